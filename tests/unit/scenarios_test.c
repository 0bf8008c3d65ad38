/* End-to-end scenarios of design/SCENARIOS.md over recorded series with the
 * embedded backend (examples/, written by scripts/gen-examples.py): each
 * with heed's default profile and with compat, asserting the alert states,
 * reasons and notifications at the moments that matter. SCEN_TRACE=1 prints
 * each run's notifications. */
#include "tests/t.h"
#include "tests/unit/scenario.h"

#include "grammar/parse.h"
#include "base/strbuf.h"
#include "rules/report.h"

#define M(x) ((int64_t)(x) * SCEN_MIN)

/* ---- 1. the spike that was fixed, and the alert that stayed ---- */

static void s1_common(struct scen *sc)
{
    scen_run(sc, 0, M(11));
    T_EQ_STR(scen_state(sc, "HighErrorRate", "pod", "a"), "pending");
    scen_run(sc, M(12), M(12));
    T_EQ_STR(scen_state(sc, "HighErrorRate", "pod", "a"), "firing");
    T_EQ_STR(scen_state(sc, "HighErrorRate", "pod", "b"), "firing");
    T_CHECK(scen_note_at(sc, M(12), "pod=\"b\"", false) != NULL);
    scen_run(sc, M(13), M(15));
}

static void test_s1_heed(void)
{
    struct scen sc;
    T_EQ_INT(scen_open(&sc, "1-spike-restart", POLICY_PROFILE_DEFAULT, false), 0);
    s1_common(&sc);
    /* b's series ended at 15m15s: still returned (rate over old samples), stale */
    scen_run(&sc, M(16), M(16));
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "b"), "firing/stale");
    const struct scen_note *n = scen_note_at(&sc, M(16), "pod=\"b\"", false);
    T_CHECK(n && strstr(n->why, "heed_freshness=stale; heed_stale_reason=inputs gone; "
                                "heed_stale_series=errors_total{pod=\"b\"} (gone), requests_total{pod=\"b\"} (gone); "
                                "heed_stale_since=1970-01-01T00:16:00Z"));
    /* a's inputs are fresh and healthy: explicit resolve, with the reason */
    scen_run(&sc, M(17), M(19));
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "a"), "resolved");
    n = scen_note_at(&sc, M(19), "pod=\"a\"", true);
    T_CHECK(n && !strcmp(n->why, "heed_resolve_reason=no longer returned; its inputs are fresh"));
    /* b no longer returned, its inputs gone: held, re-sent, marked */
    scen_run(&sc, M(20), M(75));
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "b"), "firing/held");
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "c"), "firing/held");
    n = scen_note_at(&sc, M(74), "pod=\"c\"", false);
    T_CHECK(n && strstr(n->why, "heed_freshness=held"));
    /* the new pods never alerted */
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "d"), "none");
    /* max_hold (1h from 16m) passes: resolved with the reason stated */
    scen_run(&sc, M(76), M(76));
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "b"), "resolved");
    n = scen_note_at(&sc, M(76), "pod=\"b\"", true);
    T_CHECK(n && !strcmp(n->why, "heed_resolve_reason=max_hold 1h passed; inputs gone since "
                                 "1970-01-01T00:16:00Z: errors_total{pod=\"b\"} (gone), requests_total{pod=\"b\"} (gone)"));
    T_EQ_INT(scen_resolved_at(&sc, "pod=\"b\""), M(76));
    scen_trace(&sc);
    scen_close(&sc);
}

static void test_s1_compat(void)
{
    struct scen sc;
    T_EQ_INT(scen_open(&sc, "1-spike-restart", POLICY_PROFILE_COMPAT, false), 0);
    s1_common(&sc);
    scen_run(&sc, M(16), M(90));
    /* Prometheus: the vanished pods resolve as soon as the expression stops
     * returning them, silently (no reason), like the healthy one */
    T_EQ_INT(scen_resolved_at(&sc, "pod=\"a\""), M(19));
    T_EQ_INT(scen_resolved_at(&sc, "pod=\"b\""), M(20));
    T_EQ_INT(scen_resolved_at(&sc, "pod=\"c\""), M(20));
    const struct scen_note *n = scen_note_at(&sc, M(20), "pod=\"b\"", true);
    T_CHECK(n && !strcmp(n->why, ""));
    scen_trace(&sc);
    scen_close(&sc);
}

/* Scenario 1 under each on_stale / on_missing setting. */
static void s1_with(struct scen *sc, enum policy_on_stale st, enum policy_on_missing mi)
{
    T_EQ_INT(scen_open(sc, "1-spike-restart", POLICY_PROFILE_DEFAULT, false), 0);
    struct policy p = policy_profile(POLICY_PROFILE_DEFAULT);
    p.on_stale = st;
    p.on_missing = mi;
    group_set_policy(&sc->g[0], 0, &p);
}

static void test_s1_policies(void)
{
    struct scen sc;
    /* on_stale=resolve: b resolves as soon as its inputs are untrusted */
    s1_with(&sc, POLICY_STALE_RESOLVE, POLICY_MISSING_HOLD);
    scen_run(&sc, 0, M(16));
    T_EQ_INT(scen_resolved_at(&sc, "pod=\"b\""), M(16));
    const struct scen_note *n = scen_note_at(&sc, M(16), "pod=\"b\"", true);
    T_CHECK(n && !strcmp(n->why, "heed_resolve_reason=inputs gone (on_stale=resolve): "
                                 "errors_total{pod=\"b\"} (gone), requests_total{pod=\"b\"} (gone)"));
    /* ... and no new instance starts on untrusted inputs */
    scen_run(&sc, M(17), M(19));
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "b"), "resolved");
    scen_close(&sc);

    /* on_stale=fire: Prometheus's lifecycle, but marked stale */
    s1_with(&sc, POLICY_STALE_FIRE, POLICY_MISSING_HOLD);
    scen_run(&sc, 0, M(16));
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "b"), "firing/stale");
    scen_run(&sc, M(17), M(20));
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "b"), "firing/held");
    scen_close(&sc);

    /* on_missing=resolve: resolves when no longer returned, saying why */
    s1_with(&sc, POLICY_STALE_HOLD, POLICY_MISSING_RESOLVE);
    scen_run(&sc, 0, M(20));
    T_EQ_INT(scen_resolved_at(&sc, "pod=\"b\""), M(20));
    n = scen_note_at(&sc, M(20), "pod=\"b\"", true);
    T_CHECK(n && !strcmp(n->why, "heed_resolve_reason=no longer returned; inputs gone (on_missing=resolve): "
                                 "errors_total{pod=\"b\"} (gone), requests_total{pod=\"b\"} (gone)"));
    scen_close(&sc);

    /* a shorter max_hold ends the hold sooner */
    s1_with(&sc, POLICY_STALE_HOLD, POLICY_MISSING_HOLD);
    struct policy p = sc.g[0].rules[0].policy;
    p.max_hold_ms = M(10);
    group_set_policy(&sc.g[0], 0, &p);
    scen_run(&sc, 0, M(30));
    T_EQ_INT(scen_resolved_at(&sc, "pod=\"b\""), M(26));
    scen_close(&sc);
}

/* Shadow mode over scenario 1: the disagreements are recorded with their start. */
static void test_s1_shadow(void)
{
    struct scen sc;
    T_EQ_INT(scen_open(&sc, "1-spike-restart", POLICY_PROFILE_DEFAULT, true), 0);
    scen_run(&sc, 0, M(19));
    struct group_rule *r = scen_rule(&sc, "HighErrorRate");
    T_EQ_INT(r->ndis, 0);
    scen_run(&sc, M(20), M(30));
    T_EQ_INT(r->ndis, 2);
    for (size_t i = 0; i < r->ndis; i++) {
        T_EQ_INT(r->dis[i].heed, ALERT_FIRING);
        T_EQ_INT(r->dis[i].prometheus, ALERT_INACTIVE);
        T_EQ_INT(r->dis[i].since_ms, M(20));
        T_CHECK(strstr(r->dis[i].why, "held: inputs gone: errors_total{pod=") != NULL);
    }
    T_EQ_INT(r->dis_started, 2);
    T_EQ_INT(r->ndis_log, 0);
    /* after max_hold both semantics agree again: the log keeps what was */
    scen_run(&sc, M(31), M(80));
    T_EQ_INT(r->ndis, 0);
    T_EQ_INT(r->ndis_log, 2);
    for (size_t i = 0; i < r->ndis_log; i++) {
        T_EQ_INT(r->dis_log[i].since_ms, M(20));
        T_EQ_INT(r->dis_log[i].until_ms, M(76));
        T_CHECK(strstr(r->dis_log[i].alert, "alertname=\"HighErrorRate\"") != NULL);
    }
    /* the primary semantics were heed's */
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "b"), "resolved");
    scen_close(&sc);
}

/* ---- 2. the frozen /metrics endpoint ---- */

static void test_s2_heed(void)
{
    struct scen sc;
    T_EQ_INT(scen_open(&sc, "2-frozen-endpoint", POLICY_PROFILE_DEFAULT, false), 0);
    scen_run(&sc, 0, M(44));
    T_EQ_STR(scen_state(&sc, "ErrorBudgetBurn", "instance", "w1"), "firing");
    T_EQ_STR(scen_state(&sc, "HighLatency", "instance", "w1"), "pending");
    T_CHECK(selfmon_find(&sc.sm, SELFMON_INPUTS_STALE, NULL, NULL) == NULL);
    /* 15m after the freeze (max-unchanged): the inputs are frozen */
    scen_run(&sc, M(45), M(45));
    T_EQ_STR(scen_state(&sc, "ErrorBudgetBurn", "instance", "w1"), "firing/stale");
    T_EQ_STR(scen_state(&sc, "HighLatency", "instance", "w1"), "pending/stale");
    const struct alert *a = selfmon_find(&sc.sm, SELFMON_INPUTS_STALE, "rule", "ErrorBudgetBurn");
    T_CHECK(a && a->state == ALERT_FIRING);
    T_EQ_STR(a ? alert_annotation(a, "description") : NULL, "requests_total{instance=\"w1\"} (frozen)");
    a = selfmon_find(&sc.sm, SELFMON_INPUTS_STALE, "rule", "HighLatency");
    T_EQ_STR(a ? alert_annotation(a, "description") : NULL, "latency_seconds{instance=\"w1\"} (frozen)");
    T_CHECK(scen_note_at(&sc, M(45), "HeedRuleInputsStale", false) != NULL);
    /* rate over the frozen window empties: not returned, but held (frozen) */
    scen_run(&sc, M(46), M(209));
    T_EQ_STR(scen_state(&sc, "ErrorBudgetBurn", "instance", "w1"), "firing/held");
    /* the frozen latency never became firing: its for clock stood still */
    T_EQ_STR(scen_state(&sc, "HighLatency", "instance", "w1"), "pending/stale");
    const struct scen_note *n = scen_note_at(&sc, M(200), "ErrorBudgetBurn", false);
    T_CHECK(n && !strcmp(n->why, "heed_freshness=held; heed_stale_reason=inputs frozen; "
                                 "heed_stale_series=requests_total{instance=\"w1\"} (frozen); "
                                 "heed_stale_since=1970-01-01T00:45:00Z"));
    T_EQ_INT(scen_resolved_at(&sc, "ErrorBudgetBurn"), -1);
    /* values move again, no errors: fresh evidence resolves it, with the reason */
    scen_run(&sc, M(210), M(212));
    T_EQ_STR(scen_state(&sc, "ErrorBudgetBurn", "instance", "w1"), "resolved");
    T_EQ_STR(scen_state(&sc, "HighLatency", "instance", "w1"), "none");
    T_EQ_INT(scen_resolved_at(&sc, "ErrorBudgetBurn"), M(210));
    n = scen_note_at(&sc, M(210), "ErrorBudgetBurn", true);
    T_CHECK(n && !strcmp(n->why, "heed_resolve_reason=no longer returned; its inputs are fresh"));
    T_CHECK(selfmon_find(&sc.sm, SELFMON_INPUTS_STALE, "rule", "HighLatency")->state == ALERT_INACTIVE);
    scen_trace(&sc);
    scen_close(&sc);
}

static void test_s2_compat(void)
{
    struct scen sc;
    T_EQ_INT(scen_open(&sc, "2-frozen-endpoint", POLICY_PROFILE_COMPAT, false), 0);
    /* directives opt rules into heed's semantics: turn them off to see Prometheus */
    for (size_t i = 0; i < sc.g[0].n; i++)
        group_set_policy(&sc.g[0], i, NULL);
    scen_run(&sc, 0, M(239));
    /* the error alert resolves once rate() over the frozen window is 0/0 */
    T_EQ_INT(scen_resolved_at(&sc, "ErrorBudgetBurn"), M(60));
    /* the latency alert fires on the frozen value for hours */
    const struct scen_note *n = scen_note_at(&sc, M(50), "HighLatency", false);
    T_CHECK(n && !strcmp(n->why, ""));
    T_CHECK(scen_note_at(&sc, M(200), "HighLatency", false) != NULL);
    T_CHECK(selfmon_find(&sc.sm, SELFMON_INPUTS_STALE, NULL, NULL) == NULL);
    scen_trace(&sc);
    scen_close(&sc);
}

/* ---- 3. the lagging pipeline ---- */

static void s3_open(struct scen *sc, enum policy_profile p)
{
    T_EQ_INT(scen_open(sc, "3-lagging-pipeline", p, false), 0);
    /* from 20m the backend shows each sample 4 minutes after it was taken */
    sc->lag_ms = M(4);
    sc->lag_from_ms = M(20);
}

static void test_s3_heed(void)
{
    struct scen sc;
    s3_open(&sc, POLICY_PROFILE_DEFAULT);
    scen_run(&sc, 0, M(20));
    T_EQ_STR(scen_state(&sc, "ApiErrors", "job", "api"), "firing");
    T_EQ_INT(scen_rule(&sc, "ApiErrors")->worst_input_age_ms, 0);
    /* the lag passes max_age (auto: 1m): inputs late, the rule says so */
    scen_run(&sc, M(21), M(30));
    struct group_rule *r = scen_rule(&sc, "ApiErrors");
    T_EQ_INT(r->worst_input_age_ms, M(4)); /* the ingestion lag, per rule */
    T_EQ_INT(r->median_input_age_ms, M(4));
    T_EQ_INT(r->inputs_late, 2);
    T_EQ_STR(scen_state(&sc, "ApiErrors", "job", "api"), "firing/stale");
    const struct alert *a = selfmon_find(&sc.sm, SELFMON_INPUTS_STALE, "rule", "ApiErrors");
    T_CHECK(a && a->state == ALERT_FIRING);
    T_EQ_STR(a ? alert_annotation(a, "description") : NULL,
             "errors_total{job=\"api\"} (late), requests_total{job=\"api\"} (late)");
    T_CHECK(scen_note_at(&sc, M(22), "HeedRuleInputsStale", false) != NULL);
    /* with query_offset above the lag the same expression is fresh */
    T_EQ_STR(scen_state(&sc, "ApiErrorsOffset", "job", "api"), "firing");
    T_EQ_INT(scen_rule(&sc, "ApiErrorsOffset")->inputs_late, 0);
    T_CHECK(selfmon_find(&sc.sm, SELFMON_INPUTS_STALE, "rule", "ApiErrorsOffset") == NULL);
    /* errors stopped at 40m: the offset rule resolves on fresh evidence;
     * the plain one refuses to resolve on late data and holds */
    scen_run(&sc, M(31), M(59));
    T_EQ_INT(scen_resolved_at(&sc, "ApiErrorsOffset"), M(48));
    const struct scen_note *n = scen_note_at(&sc, M(48), "ApiErrorsOffset", true);
    T_CHECK(n && !strcmp(n->why, "heed_resolve_reason=no longer returned; its inputs are fresh"));
    T_EQ_STR(scen_state(&sc, "ApiErrors", "job", "api"), "firing/held");
    T_EQ_INT(scen_resolved_at(&sc, "alertname=\"ApiErrors\""), -1);
    scen_trace(&sc);
    scen_close(&sc);
}

static void test_s3_compat(void)
{
    struct scen sc;
    s3_open(&sc, POLICY_PROFILE_COMPAT);
    scen_run(&sc, 0, M(59));
    /* Prometheus resolves on whatever the lagging backend shows: rate()
     * sees one minute of data in its 5m window, errors already gone */
    T_EQ_INT(scen_resolved_at(&sc, "alertname=\"ApiErrors\""), M(45));
    T_EQ_INT(scen_resolved_at(&sc, "ApiErrorsOffset"), M(48));
    const struct scen_note *n = scen_note_at(&sc, M(45), "alertname=\"ApiErrors\"", true);
    T_CHECK(n && !strcmp(n->why, ""));
    T_CHECK(selfmon_find(&sc.sm, SELFMON_INPUTS_STALE, NULL, NULL) == NULL);
    scen_trace(&sc);
    scen_close(&sc);
}

/* ---- 4. the 100% SLO that was not ---- */

static void test_s4(void)
{
    struct scen sc;
    T_EQ_INT(scen_open(&sc, "4-slo-frozen", POLICY_PROFILE_DEFAULT, false), 0);
    const struct group_rule *r = &sc.g[0].rules[0];
    T_EQ_INT(policy_max_unchanged(&r->policy, "requests_total"), M(15)); /* from the directive */
    int64_t week = M(7 * 24 * 60) - M(1);
    /* heed: the ratio over the week, with the share of time it can vouch for */
    struct report_opts ro = {.expr = r->rule->expr_canonical, .from_ms = M(10), .to_ms = week, .step_ms = M(5),
                             .policy = r->policy};
    struct report rep;
    report_init(&rep);
    char msg[256];
    T_EQ_INT(report_run(&rep, &sc.st, &ro, msg, sizeof msg), 0);
    struct strbuf out = STRBUF_INIT;
    report_out_text(&out, &rep);
    T_CHECK(strstr(out.buf, "availability 99.83% over 88.1% of the range; 11.9% unknown") != NULL);
    T_CHECK(rep.count[REPORT_STALE] > 0);
    strbuf_release(&out);
    report_release(&rep);
    char text[128];
    /* Prometheus's report over the same week: a bare number; the second
     * incident, inside the frozen stretch, does not exist for it */
    const char *prom = "1 - sum(increase(errors_total[7d])) / sum(increase(requests_total[7d]))";
    struct arena a;
    arena_init(&a, 0);
    struct diag_list dl;
    diag_list_init(&dl);
    struct ast_node *n = parse_expr(prom, strlen(prom), &a, NULL, &dl);
    diag_list_release(&dl);
    struct engine_query pq = {n, prom, strlen(prom)};
    struct engine_result res;
    T_EQ_INT(engine_eval_instant(&sc.st, &sc.eo, &pq, week, &a, &res), 0);
    T_CHECK(res.v.type == VALUE_VECTOR && res.v.u.vec.n == 1);
    if (res.v.type == VALUE_VECTOR && res.v.u.vec.n == 1) {
        snprintf(text, sizeof text, "%.2f%%", 100 * res.v.u.vec.s[0].v);
        T_EQ_STR(text, "99.83%");
    }
    arena_release(&a);
    /* the compat profile has nothing to say about coverage: every point is trusted */
    struct policy compat = policy_profile(POLICY_PROFILE_COMPAT);
    compat.max_age_ms = M(7 * 24 * 60);
    ro.policy = compat;
    report_init(&rep);
    T_EQ_INT(report_run(&rep, &sc.st, &ro, msg, sizeof msg), 0);
    T_EQ_INT(rep.count[REPORT_STALE], 0);
    report_release(&rep);

    /* evaluated as a rule, the recording rule reports its frozen input */
    int64_t day4 = M(4 * 24 * 60);
    scen_run(&sc, day4 - M(10), day4 + M(30));
    const struct alert *st = selfmon_find(&sc.sm, SELFMON_INPUTS_STALE, "rule", "job:availability:ratio_rate5m");
    T_CHECK(st && st->state == ALERT_FIRING);
    T_EQ_STR(st ? alert_annotation(st, "description") : NULL, "requests_total{job=\"shop\"} (frozen)");
    T_EQ_INT(sc.g[0].rules[0].inputs_frozen, 1);
    scen_close(&sc);
}

/* ---- 5. who watches the watcher (group level) ---- */

static void s5_run(struct scen *sc)
{
    scen_run(sc, 0, M(19));
    T_EQ_STR(scen_state(sc, "ApiErrors", "job", "api"), "firing");
    const struct alert *w = selfmon_find(&sc->sm, SELFMON_WATCHDOG, NULL, NULL);
    T_CHECK(w && w->state == ALERT_FIRING);
    T_CHECK(scen_note_at(sc, M(2), "HeedWatchdog", false) != NULL); /* resent every 2m from 2m */
    T_CHECK(selfmon_find(&sc->sm, SELFMON_DATASOURCE_FAILING, NULL, NULL) == NULL);
    sc->down = true;
    scen_run(sc, M(20), M(29));
    struct group_rule *r = scen_rule(sc, "ApiErrors");
    T_EQ_STR(rule_health_name(r->health), "err");
    T_EQ_STR(r->last_error, "connection refused");
    const struct alert *d = selfmon_find(&sc->sm, SELFMON_DATASOURCE_FAILING, "rulegroup", "api");
    T_CHECK(d && d->state == ALERT_FIRING);
    T_EQ_STR(d ? alert_annotation(d, "description") : NULL, "connection refused");
    T_CHECK(scen_note_at(sc, M(20), "HeedDatasourceFailing", false) != NULL);
    T_CHECK(scen_note_at(sc, M(28), "HeedWatchdog", false) != NULL);
    /* no alert resolved while the backend was down */
    T_EQ_INT(scen_resolved_at(sc, "ApiErrors"), -1);
    sc->down = false;
    scen_run(sc, M(30), M(30));
    T_EQ_STR(rule_health_name(r->health), "ok");
    T_EQ_STR(scen_state(sc, "ApiErrors", "job", "api"), "firing");
    T_EQ_INT(scen_resolved_at(sc, "HeedDatasourceFailing"), M(30));
}

static void test_s5_heed(void)
{
    struct scen sc;
    T_EQ_INT(scen_open(&sc, "5-watchdog", POLICY_PROFILE_DEFAULT, false), 0);
    s5_run(&sc);
    /* heed kept sending the firing alert, marked held with the backend's error */
    const struct scen_note *n = scen_note_at(&sc, M(23), "ApiErrors", false);
    T_CHECK(n && !strcmp(n->why, "heed_freshness=held; heed_stale_reason=inputs late; "
                                 "heed_stale_series=backend: connection refused; "
                                 "heed_stale_since=1970-01-01T00:20:00Z"));
    /* fresh again: the marks are gone */
    scen_run(&sc, M(31), M(31));
    n = scen_note_at(&sc, M(31), "ApiErrors", false);
    T_CHECK(n && !strcmp(n->why, ""));
    scen_trace(&sc);
    scen_close(&sc);
}

static void test_s5_compat(void)
{
    struct scen sc;
    T_EQ_INT(scen_open(&sc, "5-watchdog", POLICY_PROFILE_COMPAT, false), 0);
    s5_run(&sc);
    /* Prometheus sends nothing for a failing rule: Alertmanager would time
     * the alert out by itself after endsAt */
    T_CHECK(scen_note_at(&sc, M(23), "ApiErrors", false) == NULL);
    scen_trace(&sc);
    scen_close(&sc);
}

int main(void)
{
    t_run("scenario 3: heed", test_s3_heed);
    t_run("scenario 3: compat", test_s3_compat);
    t_run("scenario 4: coverage", test_s4);
    t_run("scenario 5: heed", test_s5_heed);
    t_run("scenario 5: compat", test_s5_compat);
    t_run("scenario 2: heed", test_s2_heed);
    t_run("scenario 2: compat", test_s2_compat);
    t_run("scenario 1: heed", test_s1_heed);
    t_run("scenario 1: compat", test_s1_compat);
    t_run("scenario 1: shadow", test_s1_shadow);
    t_run("scenario 1: each policy", test_s1_policies);
    return t_done();
}
