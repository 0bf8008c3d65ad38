/* Unit tests of rules/alert: Prometheus's alert lifecycle. */
#include "base/arena.h"
#include "eval/labels.h"
#include "eval/value.h"
#include "rules/alert.h"
#include "tests/t.h"

#define MIN (60 * 1000)

static struct arena in_arena;
static struct labels_table in_table;

static const struct labels *L(const char *instance)
{
    struct label ls[] = {{"alertname", "HighErrors"}, {"instance", instance}};
    return labels_intern(&in_table, ls, 2);
}

static int step(struct alert_set *s, const char **instances, size_t n, int64_t ts,
                const struct alert_params *p, struct eval_error *err)
{
    struct alert_input in[8];
    struct alert_annotation ann = {"summary", "errors are high"};
    for (size_t i = 0; i < n; i++)
        in[i] = (struct alert_input){L(instances[i]), (double)i + 1, &ann, 1, NULL};
    err->type = EVAL_ERR_NONE;
    return alert_set_update(s, in, n, ts, p, err);
}

static void setup(void)
{
    arena_init(&in_arena, 4096);
    labels_table_init(&in_table, &in_arena, true);
}

static void teardown(void)
{
    arena_release(&in_arena);
}

static void test_for_pending_firing_resolved(void)
{
    setup();
    struct alert_set s;
    alert_set_init(&s);
    struct alert_params p = {.for_ms = 5 * MIN};
    struct eval_error err;
    const char *a[] = {"a"};
    T_EQ_INT(step(&s, a, 1, 10 * MIN, &p, &err), 0);
    struct alert *x = alert_set_find(&s, L("a"));
    T_CHECK(x && x->state == ALERT_PENDING && x->active_at_ms == 10 * MIN);
    T_CHECK(!alert_needs_sending(x, 10 * MIN, MIN));
    step(&s, a, 1, 14 * MIN, &p, &err);
    T_EQ_INT(alert_set_find(&s, L("a"))->state, ALERT_PENDING);
    step(&s, a, 1, 15 * MIN, &p, &err);
    x = alert_set_find(&s, L("a"));
    T_EQ_INT(x->state, ALERT_FIRING);
    T_EQ_INT(x->fired_at_ms, 15 * MIN);
    T_EQ_INT(x->active_at_ms, 10 * MIN);
    T_CHECK(alert_needs_sending(x, 15 * MIN, MIN));
    alert_mark_sent(x, 15 * MIN, MIN, MIN);
    T_EQ_INT(alert_ends_at(x), 19 * MIN);
    T_EQ_INT(alert_starts_at(x), 15 * MIN);
    /* resend is strict: with 1m interval and 1m delay, every second evaluation */
    T_CHECK(!alert_needs_sending(x, 16 * MIN, MIN));
    T_CHECK(alert_needs_sending(x, 17 * MIN, MIN));
    /* gone from the result: resolved, retained, resolve sent at once */
    step(&s, NULL, 0, 18 * MIN, &p, &err);
    x = alert_set_find(&s, L("a"));
    T_CHECK(x && x->state == ALERT_INACTIVE && x->resolved_at_ms == 18 * MIN);
    T_CHECK(alert_needs_sending(x, 18 * MIN, MIN));
    T_EQ_INT(alert_ends_at(x), 18 * MIN);
    T_EQ_INT(alert_set_state(&s), ALERT_INACTIVE);
    step(&s, NULL, 0, 33 * MIN, &p, &err); /* exactly 15m: still retained */
    T_CHECK(alert_set_find(&s, L("a")) != NULL);
    step(&s, NULL, 0, 33 * MIN + 1, &p, &err);
    T_CHECK(alert_set_find(&s, L("a")) == NULL);
    alert_set_release(&s);
    teardown();
}

static void test_pending_vanishes_and_restart_of_for(void)
{
    setup();
    struct alert_set s;
    alert_set_init(&s);
    struct alert_params p = {.for_ms = 5 * MIN};
    struct eval_error err;
    const char *a[] = {"a"};
    step(&s, a, 1, 0, &p, &err);
    step(&s, NULL, 0, MIN, &p, &err);
    T_CHECK(alert_set_find(&s, L("a")) == NULL); /* pending alerts are dropped at once */
    /* resolved then back: a brand-new for clock */
    p.for_ms = 0;
    step(&s, a, 1, 2 * MIN, &p, &err);
    T_EQ_INT(alert_set_find(&s, L("a"))->state, ALERT_FIRING); /* for: 0 fires at once */
    step(&s, NULL, 0, 3 * MIN, &p, &err);
    p.for_ms = 2 * MIN;
    step(&s, a, 1, 4 * MIN, &p, &err);
    struct alert *x = alert_set_find(&s, L("a"));
    T_CHECK(x->state == ALERT_PENDING && x->active_at_ms == 4 * MIN && x->resolved_at_ms == 0);
    alert_set_release(&s);
    teardown();
}

static void test_keep_firing_for(void)
{
    setup();
    struct alert_set s;
    alert_set_init(&s);
    struct alert_params p = {.for_ms = 0, .keep_firing_for_ms = 2 * MIN};
    struct eval_error err;
    const char *a[] = {"a"};
    step(&s, a, 1, 0, &p, &err);
    step(&s, NULL, 0, MIN, &p, &err);
    struct alert *x = alert_set_find(&s, L("a"));
    T_CHECK(x->state == ALERT_FIRING && x->keep_firing_since_ms == MIN);
    step(&s, NULL, 0, 2 * MIN, &p, &err);
    T_EQ_INT(alert_set_find(&s, L("a"))->state, ALERT_FIRING);
    step(&s, NULL, 0, 3 * MIN, &p, &err); /* 2m since: no longer strictly less */
    x = alert_set_find(&s, L("a"));
    T_CHECK(x->state == ALERT_INACTIVE && x->resolved_at_ms == 3 * MIN);
    /* back in the result while kept firing: the hold is reset */
    step(&s, a, 1, 4 * MIN, &p, &err);
    step(&s, NULL, 0, 5 * MIN, &p, &err);
    step(&s, a, 1, 6 * MIN, &p, &err);
    T_EQ_INT(alert_set_find(&s, L("a"))->keep_firing_since_ms, 0);
    alert_set_release(&s);
    teardown();
}

static void test_duplicates_and_limit(void)
{
    setup();
    struct alert_set s;
    alert_set_init(&s);
    struct alert_params p = {.for_ms = 0, .limit = 2};
    struct eval_error err;
    const char *dup[] = {"a", "a"};
    T_EQ_INT(step(&s, dup, 2, 0, &p, &err), -1);
    T_EQ_STR(err.msg, "vector contains metrics with the same labelset after applying alert labels");
    T_EQ_INT(s.n, 0);
    const char *two[] = {"a", "b"};
    T_EQ_INT(step(&s, two, 2, 0, &p, &err), 0);
    T_EQ_INT(s.n, 2);
    const char *three[] = {"a", "b", "c"};
    T_EQ_INT(step(&s, three, 3, MIN, &p, &err), -1);
    T_EQ_STR(err.msg, "exceeded limit of 2 with 3 alerts");
    T_EQ_INT(s.n, 0);
    alert_set_release(&s);
    teardown();
}

static void test_many_instances(void)
{
    setup();
    struct alert_set s;
    alert_set_init(&s);
    struct alert_params p = {.for_ms = MIN};
    struct eval_error err;
    enum { N = 5000 };
    static struct alert_input in[N];
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) {
            char name[32];
            snprintf(name, sizeof name, "i-%d-%d", round, i);
            struct label ls[] = {{"alertname", "X"}, {"instance", arena_strdup(&in_arena, name)}};
            in[i] = (struct alert_input){labels_intern(&in_table, ls, 2), i, NULL, 0, NULL};
        }
        T_EQ_INT(alert_set_update(&s, in, N, round * MIN, &p, &err), 0);
    }
    T_EQ_INT(s.n, N); /* earlier rounds' pending instances were dropped */
    for (int i = 0; i < N; i += 997)
        T_CHECK(alert_set_find(&s, in[i].ls) != NULL);
    alert_set_release(&s);
    teardown();
}

int main(void)
{
    t_run("for: pending, firing, resolved, retained", test_for_pending_firing_resolved);
    t_run("pending vanishes; resolved alert restarts for", test_pending_vanishes_and_restart_of_for);
    t_run("keep_firing_for", test_keep_firing_for);
    t_run("duplicate identities and limit", test_duplicates_and_limit);
    t_run("many instances, compaction", test_many_instances);
    return t_done();
}
