/* Unit tests of the anchored / smoothed selector modifiers (experimental
 * extended range selectors): their syntax, gating and printing
 * (grammar/build_ext.c, ast_print.c) and what the engine makes of them
 * (eval/fn_extended.c), on small hand-computed series. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "eval/engine.h"
#include "eval/memstore.h"
#include "grammar/parse.h"
#include "tests/t.h"

/* Canonical text of src, or "ERR msg". */
static char *fmt_expr(const char *src, int experimental)
{
    struct arena a;
    struct diag_list dl;
    struct strbuf out = STRBUF_INIT;
    struct parse_opts opts = {.experimental = experimental};
    arena_init(&a, 0);
    diag_list_init(&dl);
    struct ast_node *n = parse_expr(src, strlen(src), &a, &opts, &dl);
    if (n)
        ast_print(&out, n);
    else
        strbuf_addf(&out, "ERR %s", dl.items[0].msg);
    diag_list_release(&dl);
    arena_release(&a);
    return strbuf_detach(&out);
}

static const struct {
    const char *in, *out;
} syntax_cases[] = {
    {"foo anchored", "foo anchored"},
    {"rate(foo[5m] smoothed)", "rate(foo[5m] smoothed)"},
    /* printed as upstream does: the modifier before offset, after @ on an instant selector */
    {"foo offset 5m smoothed", "foo smoothed offset 5m"},
    {"foo @ 10 anchored", "foo @ 10.000 anchored"},
    {"increase(foo[1m] offset 1m anchored)", "increase(foo[1m] anchored offset 1m)"},
    {"increase(foo[1m] @ 60 anchored)", "increase(foo[1m] anchored @ 60.000)"},
    /* binds tighter than any operator */
    {"-foo smoothed + bar anchored", "-foo smoothed + bar anchored"},
    /* still names of metrics and labels */
    {"anchored{smoothed=\"x\"}", "anchored{smoothed=\"x\"}"},
    {"sum by (anchored) (smoothed)", "sum by (anchored) (smoothed)"},
    {"sum(foo) anchored", "ERR anchored modifier not implemented"},
    {"foo[5m:1m] smoothed", "ERR smoothed modifier is not supported for subqueries"},
    {"foo anchored smoothed", "ERR anchored and smoothed modifiers cannot be used together"},
};

static void test_syntax(void)
{
    for (size_t i = 0; i < sizeof syntax_cases / sizeof syntax_cases[0]; i++) {
        char *got = fmt_expr(syntax_cases[i].in, 1);
        T_EQ_STR(got, syntax_cases[i].out);
        free(got);
    }
    char *got = fmt_expr("rate(foo[5m] anchored)", 0);
    T_EQ_STR(got, "ERR anchored modifier is experimental and not enabled");
    free(got);
    got = fmt_expr("foo smoothed", 0);
    T_EQ_STR(got, "ERR smoothed modifier is experimental and not enabled");
    free(got);
}

static struct memstore ms;
static struct arena arena;

static void put(const char *name, const double *v, size_t n, int64_t step_s)
{
    struct label l[1] = {{"__name__", name}};
    struct memstore_series *s = memstore_series_get(&ms, l, 1);
    for (size_t i = 0; i < n; i++)
        memstore_append(s, (int64_t)i * step_s * 1000, v[i]);
}

static int eval_at(const char *q, int64_t t_ms, struct engine_result *res)
{
    struct diag_list dl;
    diag_list_init(&dl);
    struct parse_opts po = {.experimental = 1};
    struct ast_node *n = parse_expr(q, strlen(q), &arena, &po, &dl);
    diag_list_release(&dl);
    T_CHECK(n != NULL);
    if (!n)
        return -1;
    struct engine_opts o = {.delayed_name_removal = true};
    struct engine_query eq = {n, q, strlen(q)};
    return engine_eval_instant(&ms.iface, &o, &eq, t_ms, &arena, res);
}

/* The single float q yields at t (NAN when it yields no sample). */
static double one_at(const char *q, int64_t t_ms)
{
    struct engine_result res;
    if (eval_at(q, t_ms, &res) < 0) {
        T_FAIL_("%s: %s", q, res.err.msg);
        return NAN;
    }
    T_EQ_INT(res.v.type, VALUE_VECTOR);
    if (res.v.type != VALUE_VECTOR || res.v.u.vec.n != 1)
        return NAN;
    return res.v.u.vec.s[0].v;
}

static void setup(void)
{
    memstore_init(&ms);
    arena_init(&arena, 0);
    /* a counter growing by 1 every 15s, 0..600s */
    double c[41];
    for (size_t i = 0; i < 41; i++)
        c[i] = (double)i;
    put("ctr_total", c, 41, 15);
    /* a counter that resets once: 0 5 10 2 7 at 15s steps */
    static const double r[] = {0, 5, 10, 2, 7};
    put("resets_total", r, 5, 15);
}

static void test_rate_family(void)
{
    /* (247.5s, 307.5s]: anchored takes the sample at 240s (16) as baseline,
     * smoothed interpolates 16.5 and 20.5 at the two ends. */
    T_EQ_FLOAT(one_at("increase(ctr_total[1m] anchored)", 307500), 4, 1e-9);
    T_EQ_FLOAT(one_at("increase(ctr_total[1m] smoothed)", 307500), 4, 1e-9);
    T_EQ_FLOAT(one_at("rate(ctr_total[1m] smoothed)", 307500), 4.0 / 60, 1e-12);
    T_EQ_FLOAT(one_at("delta(ctr_total[1m] anchored offset 1m)", 307500), 4, 1e-9);
    /* without the modifier the same window extrapolates */
    T_EQ_FLOAT(one_at("increase(ctr_total[1m])", 307500), 4, 1e-9);
    /* the reset adds the value before it: 7 - 0 + 10 */
    T_EQ_FLOAT(one_at("increase(resets_total[1m] anchored)", 60000), 17, 1e-9);
    T_EQ_FLOAT(one_at("delta(resets_total[1m] anchored)", 60000), 7, 1e-9);
    T_EQ_FLOAT(one_at("resets(resets_total[45s] anchored)", 60000), 1, 1e-9);
    T_EQ_FLOAT(one_at("changes(resets_total[15s] anchored)", 60000), 1, 1e-9);
    /* the anchor alone (nothing after the range start) yields nothing */
    T_CHECK(isnan(one_at("increase(resets_total[1m] anchored)", 120000)));
}

static void test_smoothed_lookup(void)
{
    T_EQ_FLOAT(one_at("ctr_total smoothed", 7500), 0.5, 1e-12);
    T_EQ_FLOAT(one_at("ctr_total smoothed", 15000), 1, 1e-12);
    /* past the last sample the value is carried */
    T_EQ_FLOAT(one_at("ctr_total smoothed", 610000), 40, 1e-12);
    T_EQ_FLOAT(one_at("ctr_total offset -7s500ms smoothed", 0), 0.5, 1e-12);
    /* timestamp() reads the raw sample, as upstream does */
    T_EQ_FLOAT(one_at("timestamp(ctr_total smoothed)", 7500), 0, 1e-12);
}

static void test_errors_and_ranges(void)
{
    struct engine_result res;
    T_EQ_INT(eval_at("max_over_time(ctr_total[1m] anchored)", 60000, &res), -1);
    T_EQ_STR(res.err.msg,
             "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with max_over_time");
    T_EQ_INT(eval_at("resets(ctr_total[1m] smoothed)", 60000, &res), -1);
    T_EQ_STR(res.err.msg, "smoothed modifier can only be used with: delta, increase, rate - not with resets");
    /* a range vector as such: the two boundary values and the samples strictly inside */
    T_EQ_INT(eval_at("ctr_total[1m] smoothed", 307500, &res), 0);
    T_EQ_INT(res.v.type, VALUE_MATRIX);
    if (res.v.type == VALUE_MATRIX && res.v.u.mat.n == 1) {
        const struct series *s = &res.v.u.mat.s[0];
        T_EQ_INT(s->n, 6);
        T_EQ_INT(s->pts[0].t_ms, 247500);
        T_EQ_FLOAT(s->pts[0].v, 16.5, 1e-12);
        T_EQ_INT(s->pts[5].t_ms, 307500);
        T_EQ_FLOAT(s->pts[5].v, 20.5, 1e-12);
    } else {
        T_FAIL_("ctr_total[1m] smoothed: expected one series");
    }
}

int main(void)
{
    setup();
    t_run("syntax", test_syntax);
    t_run("rate family", test_rate_family);
    t_run("smoothed lookup", test_smoothed_lookup);
    t_run("errors and ranges", test_errors_and_ranges);
    return t_done();
}
