/* group: one evaluation of a rule group at a slot time, as Prometheus's
 * Group.Eval does it: rules in order, each rule's output appended before the
 * next rule runs (so recording results are visible to later rules), alert
 * labels and annotations templated, the alert lifecycle applied, ALERTS and
 * ALERTS_FOR_STATE series written, and staleness markers for output series
 * that disappeared. A failing rule keeps its state and reports health "err".
 * Ownership rule: a group borrows its rule_group (owned by the rulefile,
 * which must outlive it) and owns its per-rule state (alert sets, parsed
 * templates, previous output series, last error). */
#ifndef HEED_RULES_GROUP_H
#define HEED_RULES_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "eval/engine.h"
#include "eval/labels.h"
#include "rules/alert.h"
#include "rules/policy.h"
#include "rules/rulefile.h"

struct storage;
struct tmpl;
struct tmpl_label;

enum rule_health {
    RULE_HEALTH_UNKNOWN = 0, /* "unknown": never evaluated */
    RULE_HEALTH_OK,          /* "ok" */
    RULE_HEALTH_ERR,         /* "err" */
};
const char *rule_health_name(enum rule_health h);

/* Shadow mode: an alert instance whose state differs between heed's
 * semantics and Prometheus's over the same query results. */
struct group_disagreement {
    char *alert;                  /* owned: the instance's labels, formatted */
    enum alert_state heed;        /* its state under heed's semantics */
    enum alert_state prometheus;  /* its state under Prometheus's */
    int64_t since_ms;             /* evaluation at which this disagreement began */
    int64_t until_ms;             /* evaluation at which it ended (log only); 0: current */
    char *why;                    /* owned: heed's stated reason */
};

/* Ended disagreements kept per rule (oldest dropped first). */
#define GROUP_DISAGREEMENT_LOG 256

/* Output series of the previous evaluation, for staleness markers. */
struct group_series_set {
    struct arena arena;        /* owns the table */
    struct labels_table table; /* the series */
};

struct group_rule {
    const struct rule *rule;        /* borrowed from the rulefile */
    struct rule_kvs labels;         /* group labels overlaid by rule labels (group arena) */
    struct tmpl **label_tmpl;       /* alerting: parsed label templates, parallel to labels */
    struct tmpl **ann_tmpl;         /* alerting: parsed annotation templates */
    struct alert_set alerts;        /* alerting: the instances */
    enum rule_health health;        /* last evaluation's verdict */
    char *last_error;               /* malloc'd; NULL when healthy */
    int64_t last_eval_ms;           /* evaluation time (slot) of the last evaluation; 0: never */
    double eval_seconds;            /* duration of the last evaluation */
    uint64_t samples;               /* samples the last evaluation appended */
    struct group_series_set prev;   /* output series last time */
    struct group_series_set cur;    /* scratch for this time */
    struct engine_annots last_ann;  /* last warnings (texts copied into prev arena: dropped each tick) */
    struct policy policy;           /* freshness policy (group_init: compat, Prometheus exactly) */
    struct fresh_hook hook;         /* the engine's classification by policy (or by shadow_policy) */
    /* shadow mode (group_env.shadow): the other semantics over the same results */
    struct policy shadow_policy;    /* compat when policy is heed's, else the default profile */
    struct alert_set shadow;        /* alerting: the instances under shadow_policy */
    struct group_disagreement *dis; /* owned: current disagreements */
    size_t ndis, capdis;            /* count, allocated */
    uint64_t dis_started;           /* disagreements begun since the group started */
    struct group_disagreement *dis_log; /* owned ring: ended disagreements, oldest first from dis_log_head */
    size_t ndis_log, dis_log_head;  /* entries used, index of the oldest */
    uint32_t inputs_late, inputs_frozen, inputs_gone; /* last evaluation's untrusted input counts */
    uint32_t inputs_total;          /* last evaluation: distinct input series read */
    int64_t worst_input_age_ms;     /* last evaluation: oldest input */
    int64_t median_input_age_ms;    /* last evaluation: median input age */
    int64_t ingestion_lag_ms;       /* last evaluation: age of the newest sample over inputs (-1: no input) */
    char *stale_inputs;             /* malloc: the last evaluation's untrusted inputs, formatted; NULL */
    enum eval_error_type last_error_type; /* type of last_error */
};

/* Where a group's output samples go: the test runner's memstore, the
 * daemon's local overlay and remote write. Called in rule order. */
typedef void (*group_append_fn)(void *ctx, const struct labels *ls, int64_t t_ms, double v);
/* Native histogram results (group.append_hist). */
struct histogram;
typedef void (*group_append_hist_fn)(void *ctx, const struct labels *ls, int64_t t_ms, const struct histogram *h);

struct group_env {
    struct storage *st;                     /* what queries read */
    const struct engine_opts *eopts;        /* engine options */
    group_append_fn append;                 /* output sink (may be NULL) */
    void *append_ctx;                       /* passed to append */
    const struct tmpl_label *external_labels; /* for templates ($externalLabels) */
    size_t nexternal_labels;
    const char *external_url;               /* for templates ($externalURL) */
    int64_t query_offset_ms;                /* effective query_offset */
    bool restored;                          /* write ALERTS/ALERTS_FOR_STATE (Prometheus: after restore) */
    bool shadow;                            /* evaluate both semantics, record disagreements */
};

struct group {
    const struct rule_group *g;  /* borrowed */
    struct group_rule *rules;    /* one per rule, in order */
    size_t n;                    /* rules */
    struct arena arena;          /* merged labels, template arrays */
    int64_t last_eval_ms;        /* slot time of the last evaluation; 0: never */
    double eval_seconds;         /* duration of the last evaluation */
    struct group_series_set stale_pending; /* series of rules no longer in the group (group_add_stale) */
    group_append_hist_fn append_hist; /* native histogram results, with env's append_ctx (NULL: append
                                       * gets their float value); set after group_init */
};

/* Prepares the group: merges labels and parses alert templates (which the
 * rule file loader already validated). Returns 0, or -1 with msg set when a
 * template does not parse. */
int group_init(struct group *gr, const struct rule_group *g, char *msg, size_t msglen);
void group_release(struct group *gr);

/* Sets rule i's freshness policy (default after group_init: compat). */
void group_set_policy(struct group *gr, size_t i, const struct policy *p);

/* Resolves every rule's policy from c and the directives in rf (the file
 * the group came from). Bad directives add diags; returns -1 then. */
int group_resolve_policies(struct group *gr, const struct policy_config *c, const struct rulefile *rf,
                           struct diag_list *dl);

/* The planning pass of one evaluation at ts_ms: every rule's expression
 * evaluated over planner (a storage that records its selects and returns no
 * series, e.g. datasource_planner), with the options and time group_eval
 * will use, so that the evaluation that follows finds every select of the
 * group planned (datasource: fetched in one parallel batch, deduplicated,
 * overlapping windows merged). Templates' query() calls are not planned. */
void group_plan(struct group *gr, const struct group_env *env, struct storage *planner, int64_t ts_ms);

/* Evaluates every rule at slot time ts_ms. Rule errors are recorded in
 * their health, not returned. Returns the number of rules that failed. */
int group_eval(struct group *gr, const struct group_env *env, int64_t ts_ms);

/* Marks ls (an output series of a rule this group no longer has, as
 * Prometheus's CopyState finds them on reload) stale at the end of the next
 * group_eval, unless a rule of the group wrote it there (the staleness
 * marker goes out through env->append at the output timestamp). */
void group_add_stale(struct group *gr, const struct labels *ls);

/* Whether a rule of the group output ls in its last evaluation. */
bool group_has_output(const struct group *gr, const struct labels *ls);

/* Calls fn for each alert instance of the group that is due a notification
 * at ts (Prometheus's sendAlerts), after marking it sent. */
typedef void (*group_notify_fn)(void *ctx, const struct group_rule *r, const struct alert *a);
void group_send_alerts(struct group *gr, int64_t ts_ms, int64_t interval_ms, int64_t resend_delay_ms,
                       group_notify_fn fn, void *ctx);

#endif
