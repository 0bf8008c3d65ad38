/* selfmon: heed's built-in self-monitoring alerts (design/FRESHNESS.md
 * "Built-in self-monitoring"), computed from heed's own state, not from
 * PromQL over the backend, so they keep working when the backend is down:
 * HeedWatchdog (always firing), HeedRuleInputsStale, HeedDatasourceFailing,
 * HeedEvaluationLagging, HeedNotifierFailing. Each is switchable; their
 * instances go through the same alert lifecycle and notification path as
 * rule alerts.
 * Ownership rule: a selfmon owns its alert set; snapshots are borrowed for
 * the duration of selfmon_eval. */
#ifndef HEED_RULES_SELFMON_H
#define HEED_RULES_SELFMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/alert.h"

struct group;

/* ORDER selfmon_kind: the names table in selfmon.c. */
enum selfmon_kind {
    SELFMON_WATCHDOG = 0,       /* HeedWatchdog */
    SELFMON_INPUTS_STALE,       /* HeedRuleInputsStale */
    SELFMON_DATASOURCE_FAILING, /* HeedDatasourceFailing */
    SELFMON_EVAL_LAGGING,       /* HeedEvaluationLagging */
    SELFMON_NOTIFIER_FAILING,   /* HeedNotifierFailing */
    SELFMON_NKINDS,
};
const char *selfmon_alertname(enum selfmon_kind k);

struct selfmon_opts {
    bool disabled[SELFMON_NKINDS]; /* each on unless switched off */
};

/* One group's schedule, as the scheduler saw its last iteration. */
struct selfmon_timing {
    const struct group *g;   /* which group */
    int64_t interval_ms;     /* its interval */
    int64_t scheduled_ms;    /* when the last iteration was due */
    int64_t started_ms;      /* when it actually started */
    double duration_s;       /* how long it took */
    uint64_t missed;         /* iterations skipped since the previous snapshot */
};

/* What heed knows about itself at one moment. */
struct selfmon_snapshot {
    struct group *const *groups;         /* rule groups (their rules' health, inputs) */
    size_t ngroups;
    const struct selfmon_timing *timing; /* scheduler figures (may be empty: no lag alerts) */
    size_t ntiming;
    bool notifier_failing;               /* Alertmanager rejects or does not answer */
    const char *notifier_error;          /* its last error (may be NULL) */
};

struct selfmon {
    struct selfmon_opts o; /* which alerts are on */
    struct alert_set set;  /* the instances */
};

void selfmon_init(struct selfmon *sm, const struct selfmon_opts *o);
void selfmon_release(struct selfmon *sm);

/* Turns a snapshot at ts into alert instances (for 0: firing at once). */
void selfmon_eval(struct selfmon *sm, const struct selfmon_snapshot *snap, int64_t ts_ms);

/* Calls fn for each instance due a notification at ts, after marking it sent. */
typedef void (*selfmon_notify_fn)(void *ctx, const struct alert *a);
void selfmon_send_alerts(struct selfmon *sm, int64_t ts_ms, int64_t interval_ms, int64_t resend_delay_ms,
                         selfmon_notify_fn fn, void *ctx);

/* The instance of kind k whose label name has value (NULL: any), or NULL. */
const struct alert *selfmon_find(const struct selfmon *sm, enum selfmon_kind k, const char *name,
                                 const char *value);

#endif
