/* Unit tests of rules/replay and rules/report: timelines under both
 * semantics over a series that ends while its alert fires, and coverage of
 * a ratio whose counters freeze. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "compat/seriesfile.h"
#include "eval/memstore.h"
#include "rules/replay.h"
#include "rules/replay_out.h"
#include "rules/report.h"
#include "rules/rulefile.h"
#include "rules/schedule.h"
#include "tests/t.h"

#define MIN (60 * 1000)

static int load(struct memstore *ms, const char *src)
{
    struct diag_list dl;
    diag_list_init(&dl);
    struct seriesfile_stats st;
    int rc = seriesfile_load(ms, "series", src, strlen(src), 0, &st, &dl);
    diag_list_release(&dl);
    return rc;
}

static const struct replay_instance *find(const struct replay *rp, const char *alertname,
                                          enum replay_semantics sem)
{
    for (size_t i = 0; i < rp->n; i++)
        if (rp->inst[i].sem == sem && !strcmp(rp->inst[i].alertname, alertname))
            return &rp->inst[i];
    return NULL;
}

static enum alert_state state_at(const struct replay_instance *in, int64_t t, enum replay_freshness *f)
{
    enum alert_state st;
    enum replay_freshness fr;
    replay_instance_at(in, t, &st, &fr);
    if (f)
        *f = fr;
    return st;
}

/* temp > 1 from 10m; the series ends at 30m15s while the alert fires:
 * Prometheus resolves on the vanished series, heed holds it (inputs gone)
 * for max_hold 1h and then resolves with that reason. */
static void test_series_ends_while_firing(void)
{
    const char *series = "load 15s\n  temp{host=\"a\"} 0x39 5x80 stale\n";
    const char *rules = "groups:\n  - name: g\n    interval: 1m\n    rules:\n"
                        "      - alert: Hot\n        expr: temp > 1\n        for: 2m\n";
    struct memstore ms;
    memstore_init(&ms);
    T_EQ_INT(load(&ms, series), 0);
    struct rulefile *rf = calloc(1, sizeof *rf);
    struct diag_list dl;
    diag_list_init(&dl);
    struct rulefile_opts ro = {0};
    T_EQ_INT(rulefile_parse(rf, "rules.yml", rules, strlen(rules), &ro, &dl), 0);
    struct rulefile_set set = {&rf, 1, 1};
    struct replay rp;
    replay_init(&rp);
    struct replay_opts o = {.from_ms = 0, .to_ms = 100 * MIN};
    char msg[256];
    T_EQ_INT(replay_run(&rp, &set, &ms.iface, &o, msg, sizeof msg), 0);
    /* the group evaluates at the daemon's slots: Prometheus's phase of
     * {file="rules.yml", name="g"} in the minute (ns, truncated to ms) */
    struct schedule sched;
    schedule_init(&sched, SCHEDULE_HASH_STRINGLABELS, "rules.yml", "g", 60 * SCHEDULE_NS_PER_MS * 1000, 0);
    int64_t ph = sched.phase_ns / SCHEDULE_NS_PER_MS;
    T_CHECK(ph > 0 && ph < MIN);
    T_EQ_INT(rp.evaluations, 100); /* ph, ph + 1m, ..., ph + 99m */
    T_CHECK(rp.sem_evaluated[REPLAY_HEED] && rp.sem_evaluated[REPLAY_PROMETHEUS]);

    const struct replay_instance *p = find(&rp, "Hot", REPLAY_PROMETHEUS);
    const struct replay_instance *h = find(&rp, "Hot", REPLAY_HEED);
    T_CHECK(p && h);
    if (p && h) {
        T_CHECK(replay_counterpart(&rp, p) == h);
        /* temp > 1 from 10m: pending at the first slot after, firing 2m later */
        T_EQ_INT(state_at(p, 10 * MIN + ph - 1, NULL), ALERT_INACTIVE);
        T_EQ_INT(state_at(p, 10 * MIN + ph, NULL), ALERT_PENDING);
        T_EQ_INT(state_at(p, 12 * MIN + ph - 1, NULL), ALERT_PENDING);
        T_EQ_INT(state_at(p, 12 * MIN + ph, NULL), ALERT_FIRING);
        T_EQ_INT(state_at(h, 12 * MIN + ph, NULL), ALERT_FIRING);
        for (size_t i = 0; i < h->n; i++)
            T_EQ_INT((h->tr[i].t_ms - ph) % MIN, 0);
        /* the series ended: Prometheus resolves, heed holds it as stale */
        enum replay_freshness f;
        T_EQ_INT(state_at(p, 40 * MIN, NULL), ALERT_INACTIVE);
        T_EQ_INT(state_at(h, 40 * MIN, &f), ALERT_FIRING);
        T_EQ_INT(f, REPLAY_STALE);
        /* max_hold (1h) passed: resolved, with the reason stated */
        T_EQ_INT(state_at(h, 100 * MIN, &f), ALERT_INACTIVE);
        T_EQ_INT(f, REPLAY_FRESH);
        const struct replay_transition *last = &h->tr[h->n - 1];
        T_CHECK(strstr(last->reason, "max_hold") != NULL);
        T_CHECK(last->t_ms > 80 * MIN && last->t_ms <= 95 * MIN);
        /* every transition changes state or freshness */
        for (size_t i = 1; i < h->n; i++)
            T_CHECK(h->tr[i].state != h->tr[i - 1].state || h->tr[i].freshness != h->tr[i - 1].freshness);
    }
    /* the watchdog is an instance too, heed's only */
    T_CHECK(find(&rp, "HeedWatchdog", REPLAY_HEED) != NULL);
    T_CHECK(find(&rp, "HeedWatchdog", REPLAY_PROMETHEUS) == NULL);

    /* the JSON lists each instance per semantics with its transitions */
    struct strbuf out = STRBUF_INIT;
    replay_out_json(&out, &rp);
    T_CHECK(strstr(out.buf, "\"semantics\": \"heed\"") != NULL);
    char want[128];
    snprintf(want, sizeof want, "{\"time\": \"1970-01-01T00:10:%02d.%03dZ\", \"state\": \"pending\", \"freshness\": \"fresh\"",
             (int)(ph / 1000), (int)(ph % 1000));
    T_CHECK(strstr(out.buf, want) != NULL);
    strbuf_reset(&out);
    replay_out_text(&out, &rp);
    /* 80 columns */
    size_t col = 0, widest = 0;
    for (const char *c = out.buf; *c; c++) {
        col = *c == '\n' ? 0 : col + 1;
        if (col > widest)
            widest = col;
    }
    T_CHECK(widest <= 80);
    strbuf_release(&out);

    replay_release(&rp);
    diag_list_release(&dl);
    rulefile_release(rf);
    free(rf);
    memstore_release(&ms);
}

/* ok/all = 0.9 while fresh; both counters frozen from 30m to 1h30m: the
 * frozen stretch is unknown (0/0 first, stale once max_unchanged passes),
 * never counted, and the availability stays 90% over the covered time. */
static void test_report_coverage(void)
{
    const char *series = "load 15s\n"
                         "  ok_total 0+9x119 1071x239 1080+9x119\n"
                         "  all_total 0+10x119 1190x239 1200+10x119\n";
    struct memstore ms;
    memstore_init(&ms);
    T_EQ_INT(load(&ms, series), 0);
    struct report r;
    report_init(&r);
    struct report_opts o = {.expr = "rate(ok_total[5m]) / rate(all_total[5m])",
                            .from_ms = 10 * MIN,
                            .to_ms = 110 * MIN,
                            .step_ms = MIN,
                            .objective = 80,
                            .policy = policy_profile(POLICY_PROFILE_DEFAULT)};
    o.policy.max_unchanged_ms = 15 * MIN;
    char msg[256];
    T_EQ_INT(report_run(&r, &ms.iface, &o, msg, sizeof msg), 0);
    T_EQ_INT(r.nsteps, 101);
    T_EQ_FLOAT(r.availability, 0.9, 1e-9);
    T_EQ_FLOAT(r.budget_left, 0.5, 1e-9);
    T_EQ_INT(r.count[REPORT_STALE], 45); /* 45m..1h30m: frozen for longer than 15m */
    T_EQ_INT(r.count[REPORT_MISSING], 10); /* 35m..45m: rate 0/0 before max_unchanged passes */
    T_EQ_INT(r.count[REPORT_FRESH] + r.count[REPORT_STALE] + r.count[REPORT_MISSING], r.nsteps);
    /* intervals tile the range in order */
    T_EQ_INT(r.iv[0].from_ms, 10 * MIN);
    for (size_t i = 1; i < r.niv; i++)
        T_EQ_INT(r.iv[i].from_ms, r.iv[i - 1].to_ms);
    struct strbuf out = STRBUF_INIT;
    report_out_text(&out, &r);
    T_CHECK(strstr(out.buf, "availability 90.00% over ") != NULL);
    T_CHECK(strstr(out.buf, "inputs frozen: ok_total, all_total") != NULL);
    strbuf_release(&out);
    report_release(&r);

    /* a bad expression is an error, not a report */
    report_init(&r);
    o.expr = "rate(ok_total[5m]";
    T_EQ_INT(report_run(&r, &ms.iface, &o, msg, sizeof msg), -1);
    report_release(&r);
    memstore_release(&ms);
}

int main(void)
{
    t_run("series ends while firing", test_series_ends_while_firing);
    t_run("report coverage", test_report_coverage);
    return t_done();
}
