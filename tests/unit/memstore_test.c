/* Unit tests of eval/memstore: ordered appends, replacement, selection by
 * matchers (from the parser) and time window, clear. */
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
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

int main(void)
{
    t_run("appends keep time order, same time replaces", test_append_order);
    t_run("select by matchers and window", test_select);
    return t_done();
}
