/* Unit tests of eval/memstore: ordered appends, replacement, selection by
 * matchers (from the parser) and time window, clear. */
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "eval/histogram.h"
#include "eval/memstore.h"
#include "grammar/parse.h"
#include "tests/t.h"

static struct memstore_series *add(struct memstore *ms, const char *name, const char *job)
{
    struct label l[] = {{"__name__", name}, {"job", job}};
    return memstore_series_get(ms, l, 2);
}

/* Selects with the matchers of a selector expression. */
static size_t sel(struct memstore *ms, struct arena *a, const char *q, int64_t mint, int64_t maxt,
                  struct storage_series **out)
{
    struct diag_list dl;
    diag_list_init(&dl);
    struct parse_opts po = {0};
    struct ast_node *n = parse_expr(q, strlen(q), a, &po, &dl);
    diag_list_release(&dl);
    T_CHECK(n && n->kind == AST_VECTOR_SELECTOR);
    if (!n)
        return 0;
    size_t k = 0;
    struct eval_error err = {0};
    T_EQ_INT(ms->iface.select(&ms->iface, n->u.vs.matchers, n->u.vs.nmatchers, mint, maxt, a, out,
                              &k, &err),
             0);
    return k;
}

static void test_append_order(void)
{
    struct memstore ms;
    memstore_init(&ms);
    struct memstore_series *s = add(&ms, "up", "a");
    memstore_append(s, 2000, 2);
    memstore_append(s, 1000, 1);
    memstore_append(s, 3000, 3);
    memstore_append(s, 2000, 20); /* same timestamp replaces */
    T_EQ_INT(s->n, 3);
    T_EQ_INT(s->t[0], 1000);
    T_EQ_FLOAT(s->v[1], 20, 0);
    T_CHECK(add(&ms, "up", "a") == s);
    T_EQ_INT(memstore_samples(&ms), 3);
    memstore_release(&ms);
}

static void test_select(void)
{
    struct memstore ms;
    memstore_init(&ms);
    struct arena a;
    arena_init(&a, 0);
    for (int i = 0; i < 10; i++) {
        memstore_append(add(&ms, "up", "api"), i * 1000, i);
        memstore_append(add(&ms, "up", "db"), i * 1000, i);
        memstore_append(add(&ms, "down", "api"), i * 1000, value_stale_nan());
    }
    struct storage_series *ss;
    T_EQ_INT(sel(&ms, &a, "up", 0, 9000, &ss), 2);
    T_EQ_INT(sel(&ms, &a, "up{job=~\"a.*\"}", 0, 9000, &ss), 1);
    T_EQ_INT(sel(&ms, &a, "{__name__=~\".+\", job!=\"db\"}", 0, 9000, &ss), 2);
    T_EQ_INT(sel(&ms, &a, "up{job=\"api\"}", 2000, 4000, &ss), 1);
    T_EQ_INT(ss[0].n, 3); /* inclusive on both ends */
    T_EQ_INT(ss[0].pts[0].t_ms, 2000);
    T_EQ_INT(sel(&ms, &a, "down", 0, 9000, &ss), 1);
    T_CHECK(value_is_stale_nan(ss[0].pts[0].v)); /* staleness markers are returned */
    T_EQ_INT(sel(&ms, &a, "up{missing=\"\"}", 0, 9000, &ss), 2); /* absent label is "" */
    memstore_clear(&ms);
    T_EQ_INT(sel(&ms, &a, "up", 0, 9000, &ss), 0);
    arena_release(&a);
    memstore_release(&ms);
}

/* Histograms sit in a sparse array by sample index: inserting before them,
 * replacing one with a float and back, and dropping old samples keep each
 * histogram at its own timestamp. */
static void test_histograms_and_drop(void)
{
    struct memstore ms;
    memstore_init(&ms);
    struct memstore_series *s = add(&ms, "h", "x");
    struct histogram h1 = {.schema = 0, .count = 1, .sum = 1};
    struct histogram h2 = {.schema = 0, .count = 2, .sum = 2};
    memstore_append(s, 1000, 1);
    memstore_append_histogram(&ms, s, 3000, &h1);
    memstore_append_histogram(&ms, s, 4000, &h2);
    memstore_append(s, 2000, 2); /* inserted before the histograms: they move up */
    struct arena a;
    arena_init(&a, 0);
    struct storage_series *ss;
    T_EQ_INT(sel(&ms, &a, "h", 0, 9000, &ss), 1);
    T_EQ_INT(ss[0].n, 4);
    T_CHECK(!ss[0].pts[1].h && ss[0].pts[1].v == 2);
    T_CHECK(ss[0].pts[2].h && ss[0].pts[2].h->count == 1 && ss[0].pts[2].t_ms == 3000);
    T_CHECK(ss[0].pts[3].h && ss[0].pts[3].h->count == 2);
    /* a window starting inside: indexes shift with it */
    T_EQ_INT(sel(&ms, &a, "h", 3500, 9000, &ss), 1);
    T_CHECK(ss[0].n == 1 && ss[0].pts[0].h && ss[0].pts[0].h->count == 2);
    /* a float replaces the histogram at 3000, then a histogram the float at 2000 */
    memstore_append(s, 3000, 7);
    memstore_append_histogram(&ms, s, 2000, &h2);
    T_EQ_INT(sel(&ms, &a, "h", 0, 9000, &ss), 1);
    T_CHECK(ss[0].pts[1].h && ss[0].pts[1].h->count == 2);
    T_CHECK(!ss[0].pts[2].h && ss[0].pts[2].v == 7);
    T_CHECK(ss[0].pts[3].h && ss[0].pts[3].h->count == 2);
    T_EQ_INT(s->nh, 2);
    /* dropping the first two samples keeps the last histogram at 4000 */
    memstore_series_drop_before(s, 2500);
    T_EQ_INT(s->n, 2);
    T_EQ_INT(s->t[0], 3000);
    T_EQ_INT(sel(&ms, &a, "h", 0, 9000, &ss), 1);
    T_CHECK(!ss[0].pts[0].h && ss[0].pts[1].h && ss[0].pts[1].t_ms == 4000);
    /* reserve keeps the samples */
    memstore_series_reserve(s, 100);
    T_CHECK(s->cap >= 102 && s->n == 2 && s->v[0] == 7);
    arena_release(&a);
    memstore_release(&ms);
}

/* Windows in any order (each select starts its search where the last one
 * started) find exactly the samples a scan finds. */
static void test_windows_any_order(void)
{
    struct memstore ms;
    memstore_init(&ms);
    struct memstore_series *s = add(&ms, "w", "x");
    for (int i = 0; i < 1000; i++)
        memstore_append(s, (int64_t)i * 15000 + (i % 7) * 100, i);
    struct arena a;
    arena_init(&a, 0);
    uint64_t r = 12345;
    struct arena_mark m0 = arena_mark(&a);
    for (int k = 0; k < 2000; k++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t mint = (int64_t)((r >> 33) % 16000000) - 500000;
        int64_t maxt = mint + (int64_t)((r >> 13) % (k % 3 ? 400000 : 16000000));
        size_t want = 0, first = 0;
        for (size_t j = 0; j < s->n; j++)
            if (s->t[j] >= mint && s->t[j] <= maxt && !want++)
                first = j;
        struct storage_series *ss;
        T_EQ_INT(sel(&ms, &a, "w", mint, maxt, &ss), 1);
        T_EQ_INT(ss[0].n, want);
        if (want && ss[0].n == want)
            T_EQ_INT(ss[0].pts[0].t_ms, s->t[first]);
        arena_reset(&a, m0);
    }
    arena_release(&a);
    memstore_release(&ms);
}

int main(void)
{
    t_run("appends keep time order, same time replaces", test_append_order);
    t_run("select by matchers and window", test_select);
    t_run("histograms by index, drop before", test_histograms_and_drop);
    t_run("windows in any order", test_windows_any_order);
    return t_done();
}
