/* End-to-end scenarios of design/SCENARIOS.md over recorded series with the
 * embedded backend (examples/, written by scripts/gen-examples.py): each
 * with heed's default profile and with compat, asserting the alert states,
 * reasons and notifications at the moments that matter. SCEN_TRACE=1 prints
 * each run's notifications. */
#include "tests/t.h"
#include "tests/unit/scenario.h"

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
    /* after max_hold both semantics agree again */
    scen_run(&sc, M(31), M(80));
    T_EQ_INT(r->ndis, 0);
    /* the primary semantics were heed's */
    T_EQ_STR(scen_state(&sc, "HighErrorRate", "pod", "b"), "resolved");
    scen_close(&sc);
}

int main(void)
{
    t_run("scenario 1: heed", test_s1_heed);
    t_run("scenario 1: compat", test_s1_compat);
    t_run("scenario 1: shadow", test_s1_shadow);
    return t_done();
}
