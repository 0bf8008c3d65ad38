/* Unit tests of per-input freshness (eval/fresh.c) and policies
 * (rules/policy.c): figures at a reference time, each class, auto max_age,
 * the engine's inputs table and fetch widening, directives and their
 * resolution order, bad directives with file:line:col. */
#include <stdlib.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "eval/engine.h"
#include "eval/fresh.h"
#include "eval/labels.h"
#include "eval/memstore.h"
#include "grammar/parse.h"
#include "rules/policy.h"
#include "rules/rulefile.h"
#include "tests/t.h"

static void test_measure(void)
{
    /* 15s cadence, one missed scrape, value flat since 60s */
    struct sample p[] = {{0, 1, NULL}, {15000, 2, NULL}, {45000, 3, NULL}, {60000, 3, NULL}, {75000, 3, NULL}, {90000, 3, NULL}};
    struct fresh_figures f;
    T_CHECK(fresh_measure(p, 5, 100000, &f));
    T_EQ_INT(f.age_ms, 10000);
    T_EQ_INT(f.cadence_ms, 15000);
    T_EQ_INT(f.unchanged_ms, 55000);
    T_CHECK(!f.unchanged_at_least);
    T_CHECK(!f.ended);
    /* whole window flat: a lower bound */
    struct sample q[] = {{0, 7, NULL}, {15000, 7, NULL}, {30000, 7, NULL}};
    T_CHECK(fresh_measure(q, 2, 30000, &f));
    T_EQ_INT(f.unchanged_ms, 30000);
    T_CHECK(f.unchanged_at_least);
    /* ended with a staleness marker: age from the last real sample */
    struct sample r[] = {{0, 1, NULL}, {15000, 2, NULL}, {20000, value_stale_nan(), NULL}};
    T_CHECK(fresh_measure(r, 2, 30000, &f));
    T_CHECK(f.ended);
    T_EQ_INT(f.age_ms, 15000);
    struct sample s[] = {{0, value_stale_nan(), NULL}};
    T_CHECK(!fresh_measure(s, 0, 30000, &f));
}

static void test_classify(void)
{
    struct policy p = policy_profile(POLICY_PROFILE_DEFAULT);
    struct fresh_figures f = {0};
    struct arena a;
    arena_init(&a, 0);
    struct labels_table lt;
    labels_table_init(&lt, &a, false);
    struct label l[] = {{"__name__", "errors_total"}};
    const struct labels *ls = labels_intern(&lt, l, 1);
    /* auto: 3 x 15s = 45s is under the 1m floor */
    f.cadence_ms = 15000;
    f.age_ms = 59000;
    T_EQ_INT(policy_classify(&p, ls, &f), FRESH_CLASS_FRESH);
    f.age_ms = 61000;
    T_EQ_INT(policy_classify(&p, ls, &f), FRESH_CLASS_LATE);
    /* auto with a slow cadence: 3 x 60s */
    f.cadence_ms = 60000;
    f.age_ms = 170000;
    T_EQ_INT(policy_classify(&p, ls, &f), FRESH_CLASS_FRESH);
    f.age_ms = 190000;
    T_EQ_INT(policy_classify(&p, ls, &f), FRESH_CLASS_LATE);
    /* explicit max_age */
    p.max_age_ms = 30000;
    f.age_ms = 31000;
    T_EQ_INT(policy_classify(&p, ls, &f), FRESH_CLASS_LATE);
    /* frozen: only with max_unchanged, per metric name when given */
    f.age_ms = 5000;
    f.unchanged_ms = 3600000;
    T_EQ_INT(policy_classify(&p, ls, &f), FRESH_CLASS_FRESH);
    p.max_unchanged_ms = 900000;
    T_EQ_INT(policy_classify(&p, ls, &f), FRESH_CLASS_FROZEN);
    p.max_unchanged_ms = 0;
    strcpy(p.per_metric[0].metric, "requests_total");
    p.per_metric[0].ms = 60000;
    p.nper_metric = 1;
    T_EQ_INT(policy_classify(&p, ls, &f), FRESH_CLASS_FRESH);
    strcpy(p.per_metric[0].metric, "errors_total");
    T_EQ_INT(policy_classify(&p, ls, &f), FRESH_CLASS_FROZEN);
    arena_release(&a);
}

static void append_series(struct memstore *ms, const char *name, const char *inst, int64_t from,
                          int64_t to, int64_t step, double start, double inc)
{
    struct label l[] = {{"__name__", name}, {"instance", inst}};
    struct memstore_series *s = memstore_series_get(ms, l, 2);
    double v = start;
    for (int64_t t = from; t <= to; t += step, v += inc)
        memstore_append(s, t, v);
}

/* One instant evaluation with the policy's hook; returns the result's inputs. */
static int eval_with(struct memstore *ms, const char *q, int64_t t, const struct policy *pol,
                     struct arena *a, struct engine_result *res)
{
    struct diag_list dl;
    diag_list_init(&dl);
    struct ast_node *n = parse_expr(q, strlen(q), a, NULL, &dl);
    diag_list_release(&dl);
    if (!n)
        return -1;
    struct fresh_hook h;
    policy_hook(pol, 5 * 60000, &h);
    struct engine_opts o = {0};
    o.fresh = &h;
    struct engine_query eq = {n, q, strlen(q)};
    return engine_eval_instant(&ms->iface, &o, &eq, t, a, res);
}

static const struct fresh_input *input_of(const struct engine_result *res, const char *inst)
{
    for (size_t i = 0; i < res->inputs.n; i++)
        if (strcmp(labels_get(fresh_input_labels(&res->inputs, &res->inputs.in[i]), "instance"), inst) == 0)
            return &res->inputs.in[i];
    return NULL;
}

static void test_engine_inputs(void)
{
    struct memstore ms;
    memstore_init(&ms);
    int64_t end = 3600000;
    append_series(&ms, "up", "alive", 0, end, 15000, 1, 1);          /* changing, current */
    append_series(&ms, "up", "late", 0, end - 120000, 15000, 1, 1);  /* stopped 2m ago */
    append_series(&ms, "up", "frozen", 0, end - 1800000, 15000, 1, 1);
    append_series(&ms, "up", "frozen", end - 1800000 + 15000, end, 15000, 121, 0); /* flat 30m */
    struct policy pol = policy_profile(POLICY_PROFILE_DEFAULT);
    pol.max_unchanged_ms = 15 * 60000;
    struct arena a;
    arena_init(&a, 0);
    struct engine_result res;
    T_EQ_INT(eval_with(&ms, "sum(up)", end, &pol, &a, &res), 0);
    T_EQ_INT(res.inputs.n, 3);
    const struct fresh_input *in = input_of(&res, "alive");
    struct fresh_figures f;
    T_CHECK(in && in->cls == FRESH_CLASS_FRESH && in->age_ms == 0);
    if (in) {
        fresh_input_figures(&res.inputs, in, &f);
        T_EQ_INT(f.cadence_ms, 15000);
        T_EQ_INT(f.age_ms, 0);
    }
    in = input_of(&res, "late");
    T_CHECK(in && in->cls == FRESH_CLASS_LATE && in->age_ms == 120000);
    in = input_of(&res, "frozen");
    /* the window was widened past 15m, so the 30m flat run shows as such */
    T_CHECK(in && in->cls == FRESH_CLASS_FROZEN);
    if (in) {
        fresh_input_figures(&res.inputs, in, &f);
        T_CHECK(f.unchanged_ms > 15 * 60000 && f.unchanged_at_least);
    }
    T_EQ_INT(res.v.u.vec.n, 1);
    T_EQ_INT(res.v.u.vec.s[0].prov->ninputs, 3);
    T_EQ_INT(res.v.u.vec.s[0].prov->nnot_fresh, 2);
    T_CHECK(fresh_table_find(&res.inputs, fresh_input_labels(&res.inputs, input_of(&res, "late"))->hash) == input_of(&res, "late"));
    /* what a rule reports: ages 0 (alive), 0 (frozen, still scraped), 120s (late) */
    struct fresh_summary sum;
    fresh_table_summary(&res.inputs, &sum);
    T_EQ_INT(sum.ninputs, 3);
    T_EQ_INT(sum.nlate, 1);
    T_EQ_INT(sum.nfrozen, 1);
    T_EQ_INT(sum.worst_age_ms, 120000);
    T_EQ_INT(sum.median_age_ms, 0);
    T_EQ_INT(sum.newest_age_ms, 0);
    arena_release(&a);

    /* a matrix selector: rate over the frozen counter still reads it */
    arena_init(&a, 0);
    T_EQ_INT(eval_with(&ms, "rate(up{instance=\"frozen\"}[5m])", end, &pol, &a, &res), 0);
    T_EQ_INT(res.inputs.n, 1);
    T_CHECK(res.inputs.n == 1 && res.inputs.in[0].cls == FRESH_CLASS_FROZEN);
    arena_release(&a);

    /* the same series read twice (now and 3m ago): one entry, its worst reading */
    arena_init(&a, 0);
    T_EQ_INT(eval_with(&ms, "up{instance=\"late\"} - up{instance=\"late\"} offset 3m", end, &pol, &a, &res), 0);
    T_EQ_INT(res.inputs.n, 2);
    fresh_table_summary(&res.inputs, &sum); /* two reads: merged before counting */
    T_EQ_INT(sum.ninputs, 1);
    T_EQ_INT(sum.nlate, 1);
    T_EQ_INT(sum.worst_age_ms, 120000);
    T_EQ_INT(sum.newest_age_ms, 120000);
    T_CHECK(fresh_table_find(&res.inputs, fresh_input_labels(&res.inputs, &res.inputs.in[0])->hash)->cls == FRESH_CLASS_LATE);
    T_EQ_INT(res.inputs.n, 1);
    arena_release(&a);

    /* range queries classify (provenance counts) but keep no table */
    arena_init(&a, 0);
    {
        struct diag_list dl2;
        diag_list_init(&dl2);
        const char *rq = "up";
        struct ast_node *rn = parse_expr(rq, 2, &a, NULL, &dl2);
        diag_list_release(&dl2);
        struct fresh_hook h;
        policy_hook(&pol, 5 * 60000, &h);
        struct engine_opts ro = {0};
        ro.fresh = &h;
        struct engine_query req = {rn, rq, 2};
        T_EQ_INT(engine_eval_range(&ms.iface, &ro, &req, end - 600000, end, 60000, &a, &res), 0);
        T_EQ_INT(res.inputs.n, 0);
        T_CHECK(res.v.type == VALUE_MATRIX && res.v.u.mat.n == 3);
    }
    arena_release(&a);

    /* without the hook: no table, no classes */
    arena_init(&a, 0);
    struct diag_list dl;
    diag_list_init(&dl);
    struct ast_node *n = parse_expr("sum(up)", 7, &a, NULL, &dl);
    diag_list_release(&dl);
    struct engine_opts o = {0};
    struct engine_query eq = {n, "sum(up)", 7};
    T_EQ_INT(engine_eval_instant(&ms.iface, &o, &eq, end, &a, &res), 0);
    T_EQ_INT(res.inputs.n, 0);
    T_EQ_INT(res.v.u.vec.s[0].prov->nnot_fresh, 0);
    arena_release(&a);
    memstore_release(&ms);
}

static void test_patch_parse(void)
{
    struct policy_patch p = {0};
    size_t at = 0;
    char msg[256];
    const char *t = "max-age=2m max-unchanged=errors_total:30m,requests_total:1h on-stale=fire on-missing=resolve max-hold=2h";
    T_EQ_INT(policy_patch_parse(t, strlen(t), &p, &at, msg, sizeof msg), 0);
    struct policy pol = policy_profile(POLICY_PROFILE_DEFAULT);
    policy_apply(&pol, &p);
    T_EQ_INT(pol.max_age_ms, 120000);
    T_EQ_INT(pol.nper_metric, 2);
    T_EQ_INT(policy_max_unchanged(&pol, "requests_total"), 3600000);
    T_EQ_INT(policy_max_unchanged(&pol, "other"), 0);
    T_EQ_INT(pol.on_stale, POLICY_STALE_FIRE);
    T_EQ_INT(pol.on_missing, POLICY_MISSING_RESOLVE);
    T_EQ_INT(pol.max_hold_ms, 7200000);
    T_EQ_INT(policy_widest_unchanged(&pol), 3600000);
    const char *bad = "max-age=2m on-stale=maybe";
    memset(&p, 0, sizeof p);
    T_EQ_INT(policy_patch_parse(bad, strlen(bad), &p, &at, msg, sizeof msg), -1);
    T_EQ_INT(at, 11);
    T_EQ_STR(msg, "on-stale must be hold, fire or resolve, not \"maybe\"");
    const char *unk = "max_age=2m";
    T_EQ_INT(policy_patch_parse(unk, strlen(unk), &p, &at, msg, sizeof msg), -1);
    T_EQ_STR(msg, "unknown heed directive key \"max_age\"");
}

static const char RULES[] =
    "groups:\n"
    "  # heed: max-age=2m on-missing=hold\n"
    "  - name: api\n"
    "    rules:\n"
    "      # heed: max-unchanged=15m\n"
    "      - alert: Frozen\n"
    "        expr: up == 0\n"
    "      - alert: Plain\n"
    "        expr: up == 0\n"
    "  - name: batch\n"
    "    rules:\n"
    "      - alert: Other\n"
    "        expr: up == 0\n"
    "      # heed: on-stale=sometimes\n"
    "      - alert: Bad\n"
    "        expr: up == 0\n";

static void test_resolve(void)
{
    struct rulefile rf;
    struct diag_list dl;
    diag_list_init(&dl);
    T_EQ_INT(rulefile_parse(&rf, "r.yml", RULES, strlen(RULES), NULL, &dl), 0);
    struct policy_config c;
    policy_config_init(&c, POLICY_PROFILE_DEFAULT);
    struct policy_patch glob = {POLICY_SET_MAX_HOLD, {.max_hold_ms = 1800000}};
    c.defaults = glob;
    struct policy_patch ent = {POLICY_SET_ON_STALE | POLICY_SET_MAX_AGE,
                               {.on_stale = POLICY_STALE_RESOLVE, .max_age_ms = 300000}};
    char msg[256];
    T_EQ_INT(policy_config_add(&c, "ap.*", NULL, &ent, msg, sizeof msg), 0);
    T_EQ_INT(policy_config_add(&c, "(", NULL, &ent, msg, sizeof msg), -1);
    struct policy pol;
    const struct rule_group *api = &rf.groups[0], *batch = &rf.groups[1];
    T_EQ_INT(policy_resolve(&c, &rf, api, &api->rules[0], &pol, &dl), 0);
    T_EQ_INT(pol.max_hold_ms, 1800000);        /* global */
    T_EQ_INT(pol.on_stale, POLICY_STALE_RESOLVE); /* config entry */
    T_EQ_INT(pol.max_age_ms, 120000);          /* group directive beats the entry */
    T_EQ_INT(pol.max_unchanged_ms, 900000);    /* rule directive */
    T_EQ_INT(policy_resolve(&c, &rf, api, &api->rules[1], &pol, &dl), 0);
    T_EQ_INT(pol.max_unchanged_ms, 0);
    T_EQ_INT(policy_resolve(&c, &rf, batch, &batch->rules[0], &pol, &dl), 0);
    T_EQ_INT(pol.on_stale, POLICY_STALE_HOLD);
    T_EQ_INT(pol.max_age_ms, 0);
    /* a bad directive: load error at file:line:col of the key */
    T_EQ_INT(policy_resolve(&c, &rf, batch, &batch->rules[1], &pol, &dl), -1);
    T_EQ_INT(dl.len, 1);
    struct strbuf sb = STRBUF_INIT;
    if (dl.len)
        diag_render(&sb, &dl.items[0], RULES, strlen(RULES), 0);
    T_EQ_STR(sb.buf, "r.yml:14:15: on-stale must be hold, fire or resolve, not \"sometimes\"\n");
    strbuf_release(&sb);
    policy_config_release(&c);

    /* compat: rules without a directive are Prometheus's; a directive opts in */
    policy_config_init(&c, POLICY_PROFILE_COMPAT);
    T_EQ_INT(policy_resolve(&c, &rf, batch, &batch->rules[0], &pol, &dl), 0);
    T_CHECK(pol.compat && pol.on_stale == POLICY_STALE_FIRE && pol.on_missing == POLICY_MISSING_RESOLVE);
    T_EQ_INT(policy_resolve(&c, &rf, api, &api->rules[1], &pol, &dl), 0);
    T_CHECK(!pol.compat && pol.on_missing == POLICY_MISSING_HOLD && pol.max_age_ms == 120000);
    policy_config_release(&c);
    diag_list_release(&dl);
    rulefile_release(&rf);
}

int main(void)
{
    t_run("measure", test_measure);
    t_run("classify", test_classify);
    t_run("engine inputs", test_engine_inputs);
    t_run("patch parse", test_patch_parse);
    t_run("resolve", test_resolve);
    return t_done();
}
