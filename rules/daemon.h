/* daemon: the running rule evaluator behind `heed run`: configuration and
 * rule files loaded, rule groups evaluated on Prometheus's schedule
 * (rules/schedule) through rules/group by a bounded pool of workers
 * (evaluation_workers; never two evaluations of one group at once, slots
 * missed while every worker was busy counted), each group tick planned
 * first (group_plan) so that its selects are fetched in one parallel batch,
 * incrementally from the previous tick's samples (incremental_fetch), alerts sent to every
 * Alertmanager, recording results (and ALERTS) to remote write, alert state
 * persisted per group (rules/state) and restored at start, freshness
 * policies (rules/policy) from the configuration and `# heed:` directives,
 * and the built-in self-monitoring alerts of rules/selfmon (HeedWatchdog,
 * HeedRuleInputsStale, HeedDatasourceFailing, HeedEvaluationLagging,
 * HeedNotifierFailing) derived from heed's own state, and the HTTP API
 * (api/server) on web.listen_address with a provider answering from the
 * running groups (snapshot, reload, query over a per-request datasource
 * client).
 *
 * Reload (daemon_reload, on SIGHUP) is all or nothing: the new configuration,
 * rule files, templates and clients are all built before anything running is
 * touched; any failure keeps the old set running and says why. Groups equal to
 * old ones keep their state and schedule; changed groups inherit alert state
 * by rule name + labels (+ position among rules with both equal) and restart
 * their schedule, as Prometheus does.
 *
 * Threads: daemon_start/stop are called from one thread (cmd_run's signal
 * loop); daemon_reload also from the API's /-/reload, serialised with
 * SIGHUP's and with the API's readers by the daemon's control lock. Workers
 * only read the configuration, which is replaced only while they
 * are stopped; each group's state is read by others (self-monitoring, the
 * API) only under its eval lock; the notifier and remote-write queue are
 * thread-safe; logging is line-atomic.
 *
 * Ownership rule: a daemon owns its configuration, rule files, groups,
 * threads and clients; daemon_free() releases all of it. */
#ifndef HEED_RULES_DAEMON_H
#define HEED_RULES_DAEMON_H

#include <stddef.h>
#include <stdint.h>

struct diag_list;

struct daemon_opts {
    const char *config_path;  /* --config */
    unsigned shard_index;     /* --shard i/n: evaluate only groups of shard i ... */
    unsigned shard_count;     /* ... of n (0 or 1: all groups) */
    int64_t flush_timeout_ms; /* how long stop waits for notifications to drain (0: 10 s) */
    const char *version;      /* heed's version, for /api/v1/status/buildinfo */
};

struct daemon;

/* Loads the configuration and rule files and restores persisted state. On
 * failure returns NULL with the problems in diags (nothing is running). */
struct daemon *daemon_new(const struct daemon_opts *opts, struct diag_list *diags);

/* Starts the evaluation workers. Returns 0. */
int daemon_start(struct daemon *d);

/* Reloads configuration and rules (see above). Returns 0 when the new set is
 * running, -1 when it was refused (the old one keeps running; diags say why). */
int daemon_reload(struct daemon *d, struct diag_list *diags);

/* Stops gracefully: waits for evaluations under way, saves every group's
 * state, drains notifications and remote write within the flush timeout. */
void daemon_stop(struct daemon *d);

void daemon_free(struct daemon *d);

/* Number of groups this process evaluates (after sharding). */
size_t daemon_ngroups(const struct daemon *d);

/* Go's url.QueryEscape of s, appended to out (for generatorURL). */
struct strbuf;
void daemon_query_escape(struct strbuf *out, const char *s);

#endif
