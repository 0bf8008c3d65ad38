/* Unit tests of rules/group's daemon-facing parts: the planning pass
 * (group_plan: every rule's selects, at the output time query_offset
 * gives, before any data is read) and the staleness markers of series whose
 * rules left the group (group_add_stale). */
#include <math.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "eval/histogram.h"
#include "eval/memstore.h"
#include "eval/storage.h"
#include "grammar/ast.h"
#include "eval/value.h"
#include "rules/group.h"
#include "rules/rulefile.h"
#include "tests/t.h"

#define MIN (60 * 1000)

static const char RULES[] = "groups:\n"
                            "  - name: g\n"
                            "    rules:\n"
                            "      - record: r1\n"
                            "        expr: sum(rate(x[5m]))\n"
                            "      - alert: A\n"
                            "        expr: y > r1\n";

/* A storage that records what is selected and returns nothing. */
struct recorder {
    struct storage iface;
    struct strbuf log;
    int calls;
};

static int rec_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint, int64_t maxt,
                      struct arena *ea, struct storage_series **out, size_t *nout, struct eval_error *err)
{
    (void)ea;
    (void)err;
    struct recorder *r = st->impl;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(m[i].name, "__name__"))
            strbuf_addf(&r->log, "%s [%lld, %lld]\n", m[i].value, (long long)mint, (long long)maxt);
    r->calls++;
    *out = NULL;
    *nout = 0;
    return 0;
}

static void test_plan(void)
{
    struct rulefile rf;
    struct diag_list dl;
    diag_list_init(&dl);
    T_EQ_INT(rulefile_parse(&rf, "r.yml", RULES, strlen(RULES), NULL, &dl), 0);
    struct group g;
    char msg[128];
    T_EQ_INT(group_init(&g, &rf.groups[0], msg, sizeof msg), 0);
    struct recorder rec = {{rec_select, NULL}, STRBUF_INIT, 0};
    rec.iface.impl = &rec;
    struct engine_opts eo = {.lookback_ms = 5 * MIN};
    struct group_env env = {.st = NULL, .eopts = &eo, .query_offset_ms = MIN, .restored = true};
    group_plan(&g, &env, &rec.iface, 100 * MIN);
    /* windows end at ts - query_offset; [5m] and the lookback reach back 5m */
    T_EQ_STR(rec.log.buf, "x [5640000, 5940000]\n"
                          "y [5640000, 5940000]\n"
                          "r1 [5640000, 5940000]\n");
    /* nothing was evaluated: no health, no alert, no output */
    T_EQ_INT(g.rules[0].health, RULE_HEALTH_UNKNOWN);
    T_EQ_INT(g.rules[1].alerts.n, 0);
    T_EQ_INT(g.last_eval_ms, 0);
    strbuf_release(&rec.log);
    group_release(&g);
    rulefile_release(&rf);
    diag_list_release(&dl);
}

struct appended {
    struct strbuf log;
};

static void on_append(void *ctx, const struct labels *ls, int64_t t_ms, double v)
{
    struct appended *ap = ctx;
    strbuf_addf(&ap->log, "%s@%lld=%s\n", labels_get(ls, "__name__"), (long long)t_ms,
                value_is_stale_nan(v) ? "stale" : "value");
}

static void test_stale_of_removed_rules(void)
{
    static const char src[] = "groups:\n  - name: g\n    rules:\n      - record: r1\n        expr: vector(1)\n";
    struct rulefile rf;
    struct diag_list dl;
    diag_list_init(&dl);
    T_EQ_INT(rulefile_parse(&rf, "r.yml", src, strlen(src), NULL, &dl), 0);
    struct group g;
    char msg[128];
    T_EQ_INT(group_init(&g, &rf.groups[0], msg, sizeof msg), 0);
    struct memstore ms;
    memstore_init(&ms);
    struct appended ap = {STRBUF_INIT};
    struct engine_opts eo = {.lookback_ms = 5 * MIN};
    struct group_env env = {.st = &ms.iface, .eopts = &eo, .append = on_append, .append_ctx = &ap,
                            .query_offset_ms = 1000, .restored = true};
    /* a series of a removed rule, and one the group still writes */
    struct labels_table lt;
    struct arena a;
    arena_init(&a, 0);
    labels_table_init(&lt, &a, true);
    group_add_stale(&g, labels_intern(&lt, (struct label[]){{"__name__", "gone"}}, 1));
    group_add_stale(&g, labels_intern(&lt, (struct label[]){{"__name__", "r1"}}, 1));
    T_EQ_INT(group_eval(&g, &env, 10 * MIN), 0);
    T_EQ_STR(ap.log.buf, "r1@599000=value\ngone@599000=stale\n");
    T_CHECK(group_has_output(&g, labels_intern(&lt, (struct label[]){{"__name__", "r1"}}, 1)));
    T_CHECK(!group_has_output(&g, labels_intern(&lt, (struct label[]){{"__name__", "gone"}}, 1)));
    /* written once */
    strbuf_reset(&ap.log);
    T_EQ_INT(group_eval(&g, &env, 11 * MIN), 0);
    T_EQ_STR(ap.log.buf, "r1@659000=value\n");
    strbuf_release(&ap.log);
    arena_release(&a);
    memstore_release(&ms);
    group_release(&g);
    rulefile_release(&rf);
    diag_list_release(&dl);
}

static void on_append_hist(void *ctx, const struct labels *ls, int64_t t_ms, const struct histogram *h)
{
    struct appended *ap = ctx;
    strbuf_addf(&ap->log, "%s@%lld=histogram count %g\n", labels_get(ls, "__name__"), (long long)t_ms, h->count);
}

/* A recording rule whose result is a native histogram hands the histogram
 * to append_hist (remote write encodes it); floats still go to append. */
static void test_histogram_results(void)
{
    static const char src[] = "groups:\n  - name: g\n    rules:\n      - record: h_out\n        expr: h_in\n"
                              "      - record: f_out\n        expr: vector(2)\n";
    struct rulefile rf;
    struct diag_list dl;
    diag_list_init(&dl);
    T_EQ_INT(rulefile_parse(&rf, "r.yml", src, strlen(src), NULL, &dl), 0);
    struct group g;
    char msg[128];
    T_EQ_INT(group_init(&g, &rf.groups[0], msg, sizeof msg), 0);
    struct memstore ms;
    memstore_init(&ms);
    struct arena a;
    arena_init(&a, 0);
    struct histogram *h = histogram_new(&a);
    h->count = 5;
    h->sum = 2.5;
    h->pos_off = 1;
    h->npos = 1;
    h->pos = ARENA_NEWN(&a, double, 1);
    h->pos[0] = 5;
    memstore_append_histogram(&ms, memstore_series_get(&ms, (struct label[]){{"__name__", "h_in"}}, 1), 9 * MIN, h);
    struct appended ap = {STRBUF_INIT};
    struct engine_opts eo = {.lookback_ms = 5 * MIN};
    g.append_hist = on_append_hist;
    struct group_env env = {.st = &ms.iface, .eopts = &eo, .append = on_append, .append_ctx = &ap, .restored = true};
    T_EQ_INT(group_eval(&g, &env, 10 * MIN), 0);
    T_EQ_STR(ap.log.buf, "h_out@600000=histogram count 5\nf_out@600000=value\n");
    strbuf_release(&ap.log);
    arena_release(&a);
    memstore_release(&ms);
    group_release(&g);
    rulefile_release(&rf);
    diag_list_release(&dl);
}

int main(void)
{
    t_run("planning pass", test_plan);
    t_run("stale markers of removed rules", test_stale_of_removed_rules);
    t_run("histogram results", test_histogram_results);
    return t_done();
}
