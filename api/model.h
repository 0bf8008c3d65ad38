/* model: what the API shows, as plain snapshot structs, and the provider
 * interface through which the daemon hands them over.
 * The daemon owns the live state; for each request the API calls a provider
 * callback which copies what it needs under the daemon's lock into the
 * request's arena and returns. Handlers then render without any lock.
 * Ownership rule: every pointer in a snapshot points into the request arena
 * passed to the callback (or to static/long-lived strings that outlive the
 * request); the API never frees or keeps any of it after the request. */
#ifndef HEED_API_MODEL_H
#define HEED_API_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "api/json.h"

struct arena;

/* Times are Unix milliseconds; API_TIME_NONE means "never" (Go's zero time
 * in Prometheus's JSON). Durations are seconds as doubles, as the JSON shows. */
#define API_TIME_NONE JSON_TIME_ZERO

struct api_label {
    const char *name;  /* label name */
    const char *value; /* label value */
};

struct api_labels {
    const struct api_label *items; /* in any order: rendering sorts */
    size_t len;                    /* number of labels */
};

/* ---- freshness (heed's additional fields) ---- */

/* ORDER api_input_class: names in api_input_class_name(). */
enum api_input_class {
    API_INPUT_FRESH = 0, /* age within max_age and not frozen */
    API_INPUT_LATE,      /* age beyond max_age */
    API_INPUT_FROZEN,    /* samples arrive but the value has not changed for max_unchanged */
    API_INPUT_GONE,      /* contributed last time, no sample now */
};

/* One input series of a rule or alert instance. */
struct api_input {
    struct api_labels labels;     /* the series' labels, __name__ included */
    double age;                   /* seconds since the newest sample used */
    double cadence;               /* observed sample spacing, seconds (0: unknown) */
    double unchanged_for;         /* seconds since the value last changed */
    int unchanged_at_least;       /* 1: the whole fetched window was flat, unchanged_for is a lower bound */
    enum api_input_class cls;     /* its class */
};

/* ORDER api_fresh_state: names in api_fresh_state_name(). */
enum api_fresh_state {
    API_FRESH_UNKNOWN = 0, /* not evaluated yet */
    API_FRESH_FRESH,       /* all inputs fresh */
    API_FRESH_STALE,       /* some input late, frozen or gone; state still follows the data */
    API_FRESH_HELD,        /* state held by policy because the evidence is not trusted */
};

/* Freshness summary of a rule or an alert instance. */
struct api_freshness {
    enum api_fresh_state state;    /* summary state */
    const char *reason;            /* why not fresh, human text (NULL or "": none) */
    int64_t since;                 /* when it became stale/held (API_TIME_NONE: n/a) */
    double worst_age;              /* seconds; worst input age */
    size_t inputs_total;           /* contributing inputs, also beyond the listed ones */
    size_t inputs_not_fresh;       /* of which late, frozen or gone */
    const struct api_input *inputs; /* listed inputs (may be capped) */
    size_t ninputs;                /* entries in inputs */
    /* rules only (alerts leave them 0): FRESHNESS.md "Lag, exposed" */
    size_t inputs_late, inputs_frozen, inputs_gone; /* inputs_not_fresh by class */
    double median_age;             /* seconds; median input age */
    double ingestion_lag;          /* seconds; age of the newest input sample (< 0: none read) */
};

/* ---- alerts, rules, groups (Prometheus's fields first) ---- */

/* ORDER api_alert_state: names in api_alert_state_name(); the order is
 * Prometheus's, so the rule state is the max over its alerts. */
enum api_alert_state {
    API_ALERT_UNKNOWN = 0, /* only as a rule state: never evaluated */
    API_ALERT_INACTIVE,    /* resolved, retained; not listed by the API */
    API_ALERT_PENDING,     /* waiting for "for" */
    API_ALERT_FIRING,      /* firing */
};

struct api_alert {
    struct api_labels labels;      /* alert identity */
    struct api_labels annotations; /* expanded annotations */
    enum api_alert_state state;    /* pending, firing (inactive ones are skipped) */
    int64_t active_at;             /* when it became pending */
    int64_t keep_firing_since;     /* API_TIME_NONE unless held by keep_firing_for */
    double value;                  /* the sample value that produced it */
    struct api_freshness fresh;    /* heed: freshness of its inputs */
};

enum api_rule_type {
    API_RULE_ALERTING = 0, /* alert: */
    API_RULE_RECORDING,    /* record: */
};

/* ORDER api_rule_health: names in api_rule_health_name(). */
enum api_rule_health {
    API_HEALTH_UNKNOWN = 0, /* "unknown": not evaluated */
    API_HEALTH_OK,          /* "ok" */
    API_HEALTH_ERR,         /* "err" */
};

struct api_rule {
    enum api_rule_type type;        /* alerting or recording */
    const char *name;               /* alert or record name */
    const char *query;              /* the expression, canonically printed */
    double duration;                /* "for", seconds (alerting) */
    double keep_firing_for;         /* seconds (alerting) */
    struct api_labels labels;       /* rule labels */
    struct api_labels annotations;  /* annotation templates (alerting) */
    enum api_rule_health health;    /* last evaluation's health */
    const char *last_error;         /* NULL or "": none */
    double evaluation_time;         /* seconds the last evaluation took */
    int64_t last_evaluation;        /* wall clock start of the last evaluation */
    const struct api_alert *alerts; /* all instances incl. inactive (the API filters) */
    size_t nalerts;                 /* entries in alerts */
    struct api_freshness fresh;     /* heed: freshness of the rule's inputs */
};

struct api_group {
    const char *name;           /* group name */
    const char *file;           /* rule file path */
    double interval;            /* seconds */
    int64_t limit;              /* alert/series limit, 0 none */
    double evaluation_time;     /* seconds the last iteration took */
    int64_t last_evaluation;    /* wall clock start of the last iteration */
    double evaluation_lag;      /* heed: seconds the last iteration started after its slot */
    uint64_t iterations_missed; /* slots skipped since start */
    /* Counters and last-iteration figures behind Prometheus's
     * prometheus_rule_group_* metrics (exported by api/snapmetrics). */
    uint64_t iterations_total;       /* scheduled iterations, executed or missed */
    uint64_t evaluations_total;      /* rule evaluations */
    uint64_t evaluation_failures;    /* failed rule evaluations */
    uint64_t last_samples;           /* samples produced by the last iteration */
    double last_rule_duration_sum;   /* seconds, sum over the rules of the last iteration */
    double last_restore_duration;    /* seconds the last ALERTS_FOR_STATE restore took */
    const struct api_rule *rules; /* in file order */
    size_t nrules;              /* entries in rules */
};

/* A self-monitoring check of heed itself, for the status page. */
struct api_selfcheck {
    const char *name;   /* e.g. "HeedDatasourceFailing" */
    int firing;         /* 1: the condition holds */
    const char *detail; /* human text, never a secret (NULL: none) */
};

/* Everything the rule endpoints, /api/v1/freshness and the page show. */
struct api_snapshot {
    const struct api_group *groups; /* sorted by file, then name */
    size_t ngroups;                 /* entries in groups */
    const struct api_selfcheck *checks; /* self-monitoring state */
    size_t nchecks;                 /* entries in checks */
    int64_t now;                    /* when the snapshot was taken */
};

/* ---- queries ---- */

enum api_value_type {
    API_VALUE_VECTOR = 0, /* "vector" */
    API_VALUE_MATRIX,     /* "matrix" */
    API_VALUE_SCALAR,     /* "scalar" */
    API_VALUE_STRING,     /* "string" */
};

struct histogram;

struct api_point {
    int64_t t; /* ms */
    double v;  /* value */
    const struct histogram *h; /* a native histogram sample (eval/histogram.h), or NULL: v */
};

/* One series of a vector (one point) or a matrix (npoints points). */
struct api_series {
    struct api_labels metric;     /* labels */
    const struct api_point *points; /* in time order */
    size_t npoints;               /* 1 for vector samples */
    const struct api_freshness *fresh; /* heed: the series' input freshness; NULL: not shown */
};

struct api_query_request {
    const char *query;     /* PromQL text */
    int range;             /* 0: instant (/query), 1: range (/query_range) */
    int64_t time;          /* instant: evaluation time, ms */
    int64_t start, end;    /* range: bounds, ms */
    int64_t step;          /* range: step, ms (> 0) */
    int64_t timeout;       /* ms, 0: the engine's default */
    int64_t lookback_delta; /* ms, 0: default */
    int64_t limit;         /* max series returned, 0: no limit */
};

/* Prometheus's query statistics ("stats" parameter), as heed measures them.
 * heed queues no queries (execQueueTime is 0) and does not track the peak
 * of samples held, so peakSamples and the per-step counts are not shown. */
struct api_query_stats {
    double preparation;   /* seconds parsing (queryPreparationTime) */
    double inner_eval;    /* seconds evaluating, datasource fetches included (innerEvalTime) */
    double result_sort;   /* seconds sorting and shaping the result (resultSortTime) */
    double total;         /* the three together (evalTotalTime, execTotalTime) */
    int64_t samples;      /* raw samples the selectors read (totalQueryableSamples) */
};

struct api_query_result {
    enum api_value_type type;      /* which of the members below is valid */
    const struct api_series *series; /* vector or matrix */
    size_t nseries;                /* entries in series */
    struct api_point scalar;       /* scalar value and time */
    const char *string;            /* string value (time in scalar.t) */
    const char *const *warnings;   /* annotations shown as "warnings" */
    size_t nwarnings;
    const char *const *infos;      /* annotations shown as "infos" */
    size_t ninfos;
    struct api_query_stats stats;  /* always measured */
    int show_stats;                /* render "stats" in the data (the request asked) */
};

/* ---- forwarded metadata requests ---- */

struct api_forward_request {
    const char *method;             /* "GET" or "POST" */
    const char *path;               /* decoded, e.g. "/api/v1/label/job/values": escape it again to send */
    const char *const *names;       /* parameter names (repeats kept, in order) */
    const char *const *values;      /* parameter values */
    size_t nparams;
};

struct api_forward_response {
    int status;       /* the datasource's HTTP status */
    const char *body; /* its JSON body */
    size_t len;       /* body length */
};

/* ---- the provider: the daemon's side ---- */

struct api_provider {
    void *ctx; /* passed to every callback */

    /* Copies the current state into a (the request arena). Returns 0, or -1
     * with err set (e.g. unavailable while shutting down). */
    int (*snapshot)(void *ctx, struct arena *a, struct api_snapshot *out, struct api_error *err);

    /* 1 once every group has been evaluated at least once. NULL: derived
     * from the snapshot (every group has a last evaluation). */
    int (*ready)(void *ctx);

    /* Reloads the configuration and rule files. Returns 0, or -1 with err.
     * NULL: /-/reload answers 404-free "reload not supported" (unavailable). */
    int (*reload)(void *ctx, struct api_error *err);

    /* Runs a query. Returns 0 with out filled (in a), or -1 with err. NULL:
     * the query endpoints answer "unavailable". */
    int (*query)(void *ctx, const struct api_query_request *req, struct arena *a,
                 struct api_query_result *out, struct api_error *err);

    /* For the metadata endpoints Grafana's query editor uses, which heed
     * answers from its datasource (/api/v1/labels, /api/v1/label/<name>/values,
     * /api/v1/series, /api/v1/metadata): forwards path and parameters and
     * returns the datasource's status and JSON body (in a). Returns 0, or -1
     * with err when the datasource cannot be reached. NULL: 404. */
    int (*forward)(void *ctx, const struct api_forward_request *req, struct arena *a,
                   struct api_forward_response *out, struct api_error *err);

    /* As snapshot, for /metrics: the same groups, rules, alert states and
     * figures, without labels, annotations, queries and reasons (empty).
     * NULL: snapshot is used. */
    int (*snapshot_brief)(void *ctx, struct arena *a, struct api_snapshot *out, struct api_error *err);
};

const char *api_alert_state_name(enum api_alert_state s);
const char *api_rule_health_name(enum api_rule_health h);
const char *api_fresh_state_name(enum api_fresh_state s);
const char *api_input_class_name(enum api_input_class c);
const char *api_value_type_name(enum api_value_type t);

#endif
