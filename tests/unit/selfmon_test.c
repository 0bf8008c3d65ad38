/* Unit tests of heed's self-monitoring alerts (rules/selfmon.c): the
 * watchdog, lagging groups, a failing notifier, each switch. The rule-driven
 * ones (inputs stale, datasource failing) run end to end in scenarios_test. */
#include "base/diag.h"
#include "rules/group.h"
#include "rules/rulefile.h"
#include "rules/selfmon.h"
#include "tests/t.h"

#define MIN (60 * 1000)

static const char RULES[] = "groups:\n  - name: slow\n    rules:\n      - record: x\n        expr: vector(1)\n";

static void test_lagging_and_notifier(void)
{
    struct rulefile rf;
    struct diag_list dl;
    diag_list_init(&dl);
    T_EQ_INT(rulefile_parse(&rf, "r.yml", RULES, strlen(RULES), NULL, &dl), 0);
    struct group g;
    char msg[128];
    T_EQ_INT(group_init(&g, &rf.groups[0], msg, sizeof msg), 0);
    struct group *gs[] = {&g};
    struct selfmon sm;
    selfmon_init(&sm, NULL);
    /* on time, quick: only the watchdog */
    struct selfmon_timing tm = {&g, MIN, 10 * MIN, 10 * MIN + 100, 0.5, 0};
    struct selfmon_snapshot snap = {gs, 1, &tm, 1, false, NULL};
    selfmon_eval(&sm, &snap, 10 * MIN);
    T_EQ_INT(sm.set.n, 1);
    T_CHECK(selfmon_find(&sm, SELFMON_WATCHDOG, NULL, NULL)->state == ALERT_FIRING);
    /* started 40s late on a 1m interval */
    tm.started_ms = 10 * MIN + 40000;
    selfmon_eval(&sm, &snap, 11 * MIN);
    const struct alert *a = selfmon_find(&sm, SELFMON_EVAL_LAGGING, "rulegroup", "slow");
    T_CHECK(a && a->state == ALERT_FIRING);
    T_EQ_STR(a ? alert_annotation(a, "description") : NULL,
             "started 40000ms late, took 500ms of a 60000ms interval, 0 missed");
    /* overran its interval */
    tm.started_ms = tm.scheduled_ms;
    tm.duration_s = 75;
    selfmon_eval(&sm, &snap, 12 * MIN);
    T_CHECK(selfmon_find(&sm, SELFMON_EVAL_LAGGING, NULL, NULL)->state == ALERT_FIRING);
    /* back to normal: resolved */
    tm.duration_s = 0.2;
    snap.notifier_failing = true;
    snap.notifier_error = "connect: connection refused";
    selfmon_eval(&sm, &snap, 13 * MIN);
    T_CHECK(selfmon_find(&sm, SELFMON_EVAL_LAGGING, NULL, NULL)->state == ALERT_INACTIVE);
    a = selfmon_find(&sm, SELFMON_NOTIFIER_FAILING, NULL, NULL);
    T_CHECK(a && a->state == ALERT_FIRING);
    T_EQ_STR(a ? alert_annotation(a, "description") : NULL, "connect: connection refused");
    selfmon_release(&sm);

    /* each switch */
    struct selfmon_opts o = {{0}};
    o.disabled[SELFMON_WATCHDOG] = true;
    o.disabled[SELFMON_NOTIFIER_FAILING] = true;
    selfmon_init(&sm, &o);
    selfmon_eval(&sm, &snap, 14 * MIN);
    T_EQ_INT(sm.set.n, 0);
    selfmon_release(&sm);
    group_release(&g);
    rulefile_release(&rf);
    diag_list_release(&dl);
}

int main(void)
{
    t_run("lagging and notifier", test_lagging_and_notifier);
    return t_done();
}
