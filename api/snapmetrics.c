#include "api/snapmetrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/metrics.h"
#include "api/model.h"
#include "base/xalloc.h"

static const double duration_buckets[] = {.01, .1, 1, 10};

void api_snapmetrics_observe_rule(struct metrics_registry *reg, double seconds)
{
    static const double q[] = {0.5, 0.9, 0.99};
    metrics_observe(metrics_series(metrics_family(reg, METRICS_SUMMARY, "prometheus_rule_evaluation_duration_seconds",
                                                  "The duration for a rule to execute.", NULL, q, 3),
                                   NULL),
                    seconds);
    metrics_observe(metrics_series(metrics_family(reg, METRICS_HISTOGRAM,
                                                  "prometheus_rule_evaluation_duration_histogram_seconds",
                                                  "The duration for a rule to execute.", NULL, duration_buckets, 4),
                                   NULL),
                    seconds);
}

void api_snapmetrics_observe_group(struct metrics_registry *reg, double seconds)
{
    static const double q[] = {0.01, 0.05, 0.5, 0.9, 0.99};
    metrics_observe(metrics_series(metrics_family(reg, METRICS_SUMMARY, "prometheus_rule_group_duration_seconds",
                                                  "The duration of rule group evaluations.", NULL, q, 5),
                                   NULL),
                    seconds);
    metrics_observe(metrics_series(metrics_family(reg, METRICS_HISTOGRAM, "prometheus_rule_group_duration_histogram_seconds",
                                                  "The duration of rule group evaluations.", NULL, duration_buckets, 4),
                                   NULL),
                    seconds);
}

/* ORDER group_metrics: Prometheus's per-group metrics (rules/group.go
 * NewGroupMetrics), names and help texts as upstream has them. */
enum {
    GM_ITER_MISSED,
    GM_ITER_TOTAL,
    GM_EVALS,
    GM_FAILURES,
    GM_INTERVAL,
    GM_LAST_TS,
    GM_LAST_DURATION,
    GM_LAST_RULE_SUM,
    GM_LAST_RESTORE,
    GM_RULES,
    GM_LAST_SAMPLES,
    GM_COUNT
};

static const struct {
    enum metrics_type type;
    const char *name;
    const char *help;
} group_metrics[GM_COUNT] = {
    {METRICS_COUNTER, "prometheus_rule_group_iterations_missed_total",
     "The total number of rule group evaluations missed due to slow rule group evaluation."},
    {METRICS_COUNTER, "prometheus_rule_group_iterations_total",
     "The total number of scheduled rule group evaluations, whether executed or missed."},
    {METRICS_COUNTER, "prometheus_rule_evaluations_total", "The total number of rule evaluations."},
    {METRICS_COUNTER, "prometheus_rule_evaluation_failures_total", "The total number of rule evaluation failures."},
    {METRICS_GAUGE, "prometheus_rule_group_interval_seconds", "The interval of a rule group."},
    {METRICS_GAUGE, "prometheus_rule_group_last_evaluation_timestamp_seconds",
     "The timestamp of the last rule group evaluation in seconds."},
    {METRICS_GAUGE, "prometheus_rule_group_last_duration_seconds", "The duration of the last rule group evaluation."},
    {METRICS_GAUGE, "prometheus_rule_group_last_rule_duration_sum_seconds",
     "The sum of time in seconds it took to evaluate each rule in the group regardless of concurrency. This should "
     "be higher than the group duration if rules are evaluated concurrently."},
    {METRICS_GAUGE, "prometheus_rule_group_last_restore_duration_seconds",
     "The duration of the last alert rules alerts restoration using the `ALERTS_FOR_STATE` series."},
    {METRICS_GAUGE, "prometheus_rule_group_rules", "The number of rules."},
    {METRICS_GAUGE, "prometheus_rule_group_last_evaluation_samples",
     "The number of samples returned during the last rule group evaluation."},
};

static double group_value(const struct api_group *g, int which)
{
    switch (which) {
    case GM_ITER_MISSED:
        return (double)g->iterations_missed;
    case GM_ITER_TOTAL:
        return (double)g->iterations_total;
    case GM_EVALS:
        return (double)g->evaluations_total;
    case GM_FAILURES:
        return (double)g->evaluation_failures;
    case GM_INTERVAL:
        return g->interval;
    case GM_LAST_TS:
        /* 0 before the first evaluation */
        return g->last_evaluation == API_TIME_NONE ? 0 : (double)g->last_evaluation / 1000.0;
    case GM_LAST_DURATION:
        return g->evaluation_time;
    case GM_LAST_RULE_SUM:
        return g->last_rule_duration_sum;
    case GM_LAST_RESTORE:
        return g->last_restore_duration;
    case GM_RULES:
        return (double)g->nrules;
    case GM_LAST_SAMPLES:
        return (double)g->last_samples;
    }
    return 0;
}

static void add_to(struct metrics_family *f, const char *const *labels, double v)
{
    if (f)
        metrics_add(metrics_series(f, labels), v);
}

static void set_max(struct metrics_family *f, const char *const *labels, double v)
{
    if (!f)
        return;
    struct metrics_series *s = metrics_series(f, labels);
    if (metrics_value(s) < v)
        metrics_set(s, v);
}

/* The per-rule freshness figures beyond the counts (FRESHNESS.md "Lag,
 * exposed"); rules sharing a name keep the worst median and lag. */
static void fill_rule_freshness(struct metrics_family *median, struct metrics_family *by_class,
                                struct metrics_family *ingest, const char *const *lr, const struct api_freshness *f)
{
    static const char *const classes[] = {"late", "frozen", "gone"};
    const size_t counts[] = {f->inputs_late, f->inputs_frozen, f->inputs_gone};
    for (size_t i = 0; i < 3; i++) {
        const char *lc[] = {lr[0], lr[1], classes[i]};
        add_to(by_class, lc, (double)counts[i]);
    }
    if (f->state == API_FRESH_UNKNOWN)
        return; /* not evaluated: no ages yet */
    set_max(median, lr, f->median_age);
    if (f->ingestion_lag >= 0)
        set_max(ingest, lr, f->ingestion_lag);
}

void api_snapmetrics_fill(struct metrics_registry *reg, const struct api_snapshot *snap)
{
    static const char *const l_group[] = {"rule_group", NULL};
    static const char *const l_rule[] = {"rule_group", "rule", NULL};
    static const char *const l_alerts[] = {"rule_group", "alertname", "state", "freshness", NULL};
    static const char *const l_check[] = {"check", NULL};
    struct metrics_family *gm[GM_COUNT];
    for (int i = 0; i < GM_COUNT; i++)
        gm[i] = metrics_family(reg, group_metrics[i].type, group_metrics[i].name, group_metrics[i].help, l_group,
                               NULL, 0);
    struct metrics_family *lag =
        metrics_family(reg, METRICS_GAUGE, "heed_rule_group_evaluation_lag_seconds",
                       "How late the last iteration of a rule group started after its scheduled slot.", l_group,
                       NULL, 0);
    struct metrics_family *inputs = metrics_family(reg, METRICS_GAUGE, "heed_rule_inputs",
                                                   "Input series that contributed to a rule's last evaluation.",
                                                   l_rule, NULL, 0);
    struct metrics_family *stale =
        metrics_family(reg, METRICS_GAUGE, "heed_rule_inputs_not_fresh",
                       "Input series of a rule that are late, frozen or gone.", l_rule, NULL, 0);
    struct metrics_family *age = metrics_family(reg, METRICS_GAUGE, "heed_rule_input_worst_age_seconds",
                                                "Age of the oldest input sample a rule used.", l_rule, NULL, 0);
    static const char *const l_class[] = {"rule_group", "rule", "class", NULL};
    struct metrics_family *median = metrics_family(reg, METRICS_GAUGE, "heed_rule_input_median_age_seconds",
                                                   "Median age of the input samples a rule used.", l_rule, NULL, 0);
    struct metrics_family *by_class =
        metrics_family(reg, METRICS_GAUGE, "heed_rule_inputs_stale",
                       "Input series of a rule that are late, frozen or gone, by class.", l_class, NULL, 0);
    struct metrics_family *ingest =
        metrics_family(reg, METRICS_GAUGE, "heed_rule_ingestion_lag_seconds",
                       "Age of the newest sample across a rule's inputs: how far the backend's ingestion lags.",
                       l_rule, NULL, 0);
    struct metrics_family *alerts =
        metrics_family(reg, METRICS_GAUGE, "heed_alerts",
                       "Pending and firing alert instances by state and freshness.", l_alerts, NULL, 0);
    struct metrics_family *checks = metrics_family(reg, METRICS_GAUGE, "heed_selfcheck_firing",
                                                   "1 when a built-in self-monitoring check fires.", l_check, NULL, 0);

    for (size_t gi = 0; gi < snap->ngroups; gi++) {
        const struct api_group *g = &snap->groups[gi];
        size_t lf = strlen(g->file), ln = strlen(g->name);
        char *key = xmalloc(lf + ln + 2);
        memcpy(key, g->file, lf);
        key[lf] = ';';
        memcpy(key + lf + 1, g->name, ln + 1);
        const char *lg[] = {key};
        for (int i = 0; i < GM_COUNT; i++)
            if (gm[i])
                metrics_set(metrics_series(gm[i], lg), group_value(g, i));
        if (lag)
            metrics_set(metrics_series(lag, lg), g->evaluation_lag);
        for (size_t ri = 0; ri < g->nrules; ri++) {
            const struct api_rule *r = &g->rules[ri];
            const char *lr[] = {key, r->name};
            /* Several rules of a group may share a name: sum the counts,
             * keep the worst age. */
            add_to(inputs, lr, (double)r->fresh.inputs_total);
            add_to(stale, lr, (double)r->fresh.inputs_not_fresh);
            set_max(age, lr, r->fresh.worst_age);
            fill_rule_freshness(median, by_class, ingest, lr, &r->fresh);
            for (size_t ai = 0; ai < r->nalerts; ai++) {
                const struct api_alert *a = &r->alerts[ai];
                if (a->state != API_ALERT_PENDING && a->state != API_ALERT_FIRING)
                    continue;
                const char *la[] = {key, r->name, api_alert_state_name(a->state), api_fresh_state_name(a->fresh.state)};
                add_to(alerts, la, 1);
            }
        }
        free(key);
    }
    for (size_t i = 0; i < snap->nchecks; i++) {
        const char *lc[] = {snap->checks[i].name};
        if (checks)
            metrics_set(metrics_series(checks, lc), snap->checks[i].firing ? 1 : 0);
    }
}
