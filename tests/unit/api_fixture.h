/* api_fixture.h: TEST FIXTURE. A fake provider with fixed rule groups,
 * alerts, freshness figures and canned query results, standing in for the
 * daemon in the API tests. Nothing here is heed's real state or engine. */
#ifndef HEED_TESTS_API_FIXTURE_H
#define HEED_TESTS_API_FIXTURE_H

#include <pthread.h>
#include <string.h>

#include "api/model.h"
#include "base/arena.h"

#define L(n, v) {n, v}
#define LABELS(arr) {arr, sizeof arr / sizeof arr[0]}

static const struct api_label fx_l_sev[] = {L("severity", "page")};
static const struct api_label fx_l_ann[] = {L("summary", "Errors <high> on {{ $labels.instance }}")};
static const struct api_label fx_a1_l[] = {L("severity", "page"), L("alertname", "HighErrorRate"),
                                           L("instance", "a:1")};
static const struct api_label fx_a1_ann[] = {L("summary", "Errors <high> on a:1")};
static const struct api_label fx_a2_l[] = {L("alertname", "HighErrorRate"), L("instance", "b:1"),
                                           L("severity", "page")};
static const struct api_label fx_a3_l[] = {L("alertname", "HighErrorRate"), L("instance", "old:1"),
                                           L("severity", "page")};
static const struct api_label fx_a4_l[] = {L("instance", "c:1"), L("alertname", "InstanceDown")};
static const struct api_label fx_in1[] = {L("__name__", "errors_total"), L("instance", "a:1")};
static const struct api_label fx_in2[] = {L("__name__", "errors_total"), L("instance", "b:1")};
static const struct api_label fx_in4[] = {L("__name__", "up"), L("instance", "c:1")};

static const struct api_input fx_inputs_rule1[] = {
    {LABELS(fx_in1), 15, 15, 30, 0, API_INPUT_FRESH},
    {LABELS(fx_in2), 720, 15, 720, 0, API_INPUT_LATE},
};
static const struct api_input fx_inputs_a2[] = {{LABELS(fx_in2), 720, 15, 720, 0, API_INPUT_LATE}};
static const struct api_input fx_inputs_a4[] = {{LABELS(fx_in4), 30, 30, 3600, 1, API_INPUT_FROZEN}};

#define FX_FRESH_NONE {API_FRESH_FRESH, NULL, API_TIME_NONE, 0, 0, 0, NULL, 0}

static const struct api_alert fx_alerts_rule1[] = {
    {LABELS(fx_a1_l), LABELS(fx_a1_ann), API_ALERT_FIRING, 1699999000000, API_TIME_NONE, 0.25,
     {API_FRESH_FRESH, NULL, API_TIME_NONE, 15, 1, 0, NULL, 0}},
    {LABELS(fx_a2_l), LABELS(fx_a1_ann), API_ALERT_PENDING, 1699999990000, API_TIME_NONE, 1234.5,
     {API_FRESH_HELD, "inputs late: errors_total{instance=\"b:1\"} 12m old", 1699999900000, 720, 1, 1,
      fx_inputs_a2, 1}},
    {LABELS(fx_a3_l), {NULL, 0}, API_ALERT_INACTIVE, 1699990000000, API_TIME_NONE, 1, FX_FRESH_NONE},
};
static const struct api_alert fx_alerts_rule3[] = {
    {LABELS(fx_a4_l), {NULL, 0}, API_ALERT_FIRING, 1699999200000, 1700000000000, 0,
     {API_FRESH_STALE, "frozen for at least 1h", 1699996400000, 30, 1, 1, fx_inputs_a4, 1}},
};

static const struct api_rule fx_rules_api[] = {
    {API_RULE_ALERTING, "HighErrorRate", "rate(errors_total[5m]) > 0.1", 300, 0, LABELS(fx_l_sev),
     LABELS(fx_l_ann), API_HEALTH_OK, NULL, 0.002, 1700000000125, fx_alerts_rule1, 3,
     {API_FRESH_STALE, "1 of 2 inputs late", 1699999900000, 720, 2, 1, fx_inputs_rule1, 2}},
    {API_RULE_RECORDING, "job:errors:rate5m", "sum by (job) (rate(errors_total[5m]))", 0, 0, {NULL, 0},
     {NULL, 0}, API_HEALTH_OK, NULL, 0.001, 1700000000127, NULL, 0,
     {API_FRESH_FRESH, NULL, API_TIME_NONE, 15, 2, 0, NULL, 0}},
};
static const struct api_rule fx_rules_infra[] = {
    {API_RULE_ALERTING, "InstanceDown", "up == 0", 0, 600, {NULL, 0}, {NULL, 0}, API_HEALTH_ERR,
     "query timed out in expression evaluation", 0.003, 1700000000200, fx_alerts_rule3, 1,
     {API_FRESH_STALE, "frozen for at least 1h", 1699996400000, 30, 1, 1, fx_inputs_a4, 1}},
};
static const struct api_rule fx_rules_never[] = {
    {API_RULE_ALERTING, "NeverAlert", "vector(1)", 60, 0, {NULL, 0}, {NULL, 0}, API_HEALTH_UNKNOWN, NULL, 0,
     API_TIME_NONE, NULL, 0, {API_FRESH_UNKNOWN, NULL, API_TIME_NONE, 0, 0, 0, NULL, 0}},
};

static const struct api_group fx_groups[] = {
    {.name = "api", .file = "/etc/heed/a.yml", .interval = 30, .limit = 0, .evaluation_time = 0.0125,
     .last_evaluation = 1700000000123, .evaluation_lag = 0.25, .iterations_missed = 0, .iterations_total = 120,
     .evaluations_total = 240, .evaluation_failures = 0, .last_samples = 3, .last_rule_duration_sum = 0.003,
     .rules = fx_rules_api, .nrules = 2},
    {.name = "infra", .file = "/etc/heed/b.yml", .interval = 60, .limit = 10, .evaluation_time = 0.004,
     .last_evaluation = 1700000000200, .iterations_missed = 2, .iterations_total = 62, .evaluations_total = 60,
     .evaluation_failures = 7, .last_samples = 0, .last_rule_duration_sum = 0.003, .last_restore_duration = 0.5,
     .rules = fx_rules_infra, .nrules = 1},
    {.name = "never", .file = "/etc/heed/b.yml", .interval = 60, .last_evaluation = API_TIME_NONE,
     .rules = fx_rules_never, .nrules = 1},
};

static const struct api_selfcheck fx_checks[] = {
    {"HeedWatchdog", 1, "always firing"},
    {"HeedDatasourceFailing", 0, NULL},
};

/* Mutable fixture state, set by the tests. */
struct fx_state {
    pthread_mutex_t mu; /* stands in for the daemon's lock */
    int ready;          /* what ready() answers */
    int reloads;        /* reload() calls */
    int reload_fails;   /* 1: reload() fails */
    int snapshot_fails; /* 1: snapshot() fails with unavailable */
};

static int fx_snapshot(void *ctx, struct arena *a, struct api_snapshot *out, struct api_error *err)
{
    struct fx_state *st = ctx;
    pthread_mutex_lock(&st->mu);
    int fail = st->snapshot_fails;
    pthread_mutex_unlock(&st->mu);
    if (fail) {
        api_error_set(err, API_ERR_UNAVAILABLE, "fixture: shutting down");
        return -1;
    }
    /* The real daemon copies under its lock; the fixture's data is static. */
    (void)a;
    out->groups = fx_groups;
    out->ngroups = sizeof fx_groups / sizeof fx_groups[0];
    out->checks = fx_checks;
    out->nchecks = sizeof fx_checks / sizeof fx_checks[0];
    out->now = 1700000001000;
    return 0;
}

static int fx_ready(void *ctx)
{
    struct fx_state *st = ctx;
    pthread_mutex_lock(&st->mu);
    int r = st->ready;
    pthread_mutex_unlock(&st->mu);
    return r;
}

static int fx_reload(void *ctx, struct api_error *err)
{
    struct fx_state *st = ctx;
    pthread_mutex_lock(&st->mu);
    st->reloads++;
    int fail = st->reload_fails;
    pthread_mutex_unlock(&st->mu);
    if (fail) {
        api_error_set(err, API_ERR_INTERNAL, "fixture: rule file broken");
        return -1;
    }
    return 0;
}

/* Canned answers keyed by the query text. */
static int fx_query(void *ctx, const struct api_query_request *q, struct arena *a, struct api_query_result *out,
                    struct api_error *err)
{
    (void)ctx;
    static const struct api_label up1[] = {L("__name__", "up"), L("job", "api"), L("instance", "a:1")};
    static const struct api_label up2[] = {L("job", "db"), L("__name__", "up"), L("instance", "d:1")};
    if (!strcmp(q->query, "up")) {
        struct api_point *p = ARENA_NEWN(a, struct api_point, 2);
        struct api_series *s = ARENA_NEWN(a, struct api_series, 2);
        if (!q->range) {
            p[0] = (struct api_point){q->time, 1, NULL};
            p[1] = (struct api_point){q->time, 0, NULL};
            s[0] = (struct api_series){LABELS(up1), &p[0], 1, NULL};
            s[1] = (struct api_series){LABELS(up2), &p[1], 1, NULL};
            out->type = API_VALUE_VECTOR;
        } else {
            p[0] = (struct api_point){q->start, 1, NULL};
            p[1] = (struct api_point){q->start + q->step, 1e-7, NULL};
            s[0] = (struct api_series){LABELS(up1), p, 2, NULL};
            s[1] = (struct api_series){LABELS(up2), p, 1, NULL};
            out->type = API_VALUE_MATRIX;
        }
        out->series = s;
        out->nseries = 2;
        return 0;
    }
    if (!strcmp(q->query, "fresh")) {
        /* a vector whose series carries heed's freshness */
        struct api_point *p = ARENA_NEWN(a, struct api_point, 1);
        struct api_series *s = ARENA_NEWN(a, struct api_series, 1);
        p[0] = (struct api_point){q->time, 0, NULL};
        s[0] = (struct api_series){LABELS(fx_in4), p, 1, &fx_rules_infra[0].fresh};
        out->type = API_VALUE_VECTOR;
        out->series = s;
        out->nseries = 1;
        return 0;
    }
    if (!strcmp(q->query, "scalar")) {
        out->type = API_VALUE_SCALAR;
        out->scalar = (struct api_point){q->time, 1e21, NULL};
        return 0;
    }
    if (!strcmp(q->query, "string")) {
        static const char *warn[] = {"fixture warning"};
        static const char *info[] = {"fixture info"};
        out->type = API_VALUE_STRING;
        out->scalar = (struct api_point){q->time, 0, NULL};
        out->string = "hello \"world\"";
        out->warnings = warn;
        out->nwarnings = 1;
        out->infos = info;
        out->ninfos = 1;
        return 0;
    }
    if (!strcmp(q->query, "empty")) {
        out->type = API_VALUE_VECTOR;
        return 0;
    }
    if (!strcmp(q->query, "exec"))
        api_error_set(err, API_ERR_EXECUTION, "fixture: vector cannot contain metrics with the same labelset");
    else if (!strcmp(q->query, "slow"))
        api_error_set(err, API_ERR_TIMEOUT, "query timed out in expression evaluation");
    else
        api_error_set(err, API_ERR_BAD_DATA, "invalid parameter \"query\": 1:1: parse error: fixture knows no "
                                             "such query");
    return -1;
}

/* Echoes what it was asked, as a datasource's JSON would carry data. */
static int fx_forward(void *ctx, const struct api_forward_request *req, struct arena *a,
                      struct api_forward_response *out, struct api_error *err)
{
    (void)ctx;
    if (strstr(req->path, "/down/")) {
        api_error_set(err, API_ERR_UNAVAILABLE, "fixture: datasource unreachable");
        return -1;
    }
    char *body = arena_printf(a, "{\"status\":\"success\",\"data\":[\"%s %s\"", req->method, req->path);
    for (size_t i = 0; i < req->nparams; i++)
        body = arena_printf(a, "%s,\"%s=%s\"", body, req->names[i], req->values[i]);
    body = arena_printf(a, "%s]}", body);
    out->status = 200;
    out->body = body;
    out->len = strlen(body);
    return 0;
}

static struct api_provider fx_provider(struct fx_state *st)
{
    struct api_provider p = {st, fx_snapshot, fx_ready, fx_reload, fx_query, fx_forward};
    return p;
}

#endif
