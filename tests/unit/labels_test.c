/* Unit tests of eval/labels: interning, fingerprints, ordering, builder, formatting. */
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "eval/labels.h"
#include "tests/t.h"
#include <xxhash.h>

static void test_intern_shares_and_sorts(void)
{
    struct arena a;
    arena_init(&a, 0);
    struct labels_table t;
    labels_table_init(&t, &a, true);
    struct label x[] = {{"job", "api"}, {"__name__", "up"}, {"instance", "a:1"}};
    struct label y[] = {{"instance", "a:1"}, {"job", "api"}, {"__name__", "up"}};
    const struct labels *lx = labels_intern(&t, x, 3), *ly = labels_intern(&t, y, 3);
    T_CHECK(lx == ly);
    T_EQ_INT(lx->n, 3);
    T_EQ_STR(lx->l[0].name, "__name__");
    T_EQ_STR(lx->l[2].name, "job");
    T_EQ_STR(labels_get(lx, "instance"), "a:1");
    T_CHECK(labels_get(lx, "missing") == NULL);
    /* empty values are absent labels; a later duplicate wins */
    struct label z[] = {{"a", "1"}, {"b", ""}, {"a", "2"}};
    const struct labels *lz = labels_intern(&t, z, 3);
    T_EQ_INT(lz->n, 1);
    T_EQ_STR(labels_get(lz, "a"), "2");
    for (int i = 0; i < 1000; i++) { /* growth keeps earlier pointers valid and shared */
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        struct label l[] = {{"i", v}};
        labels_intern(&t, l, 1);
    }
    T_CHECK(labels_intern(&t, y, 3) == lx);
    arena_release(&a);
}

static void test_hash_matches_prometheus(void)
{
    /* labels.FromStrings("__name__","up","job","api").Hash() in Prometheus:
     * xxhash64 of "__name__\xff" "up\xff" "job\xff" "api\xff". Computed independently
     * with XXH64 over that byte string. */
    struct label l[] = {{"__name__", "up"}, {"job", "api"}};
    const char bytes[] = "__name__\xff" "up\xff" "job\xff" "api\xff";
    T_EQ_INT(labels_hash(l, 2), XXH64(bytes, sizeof bytes - 1, 0));
    T_CHECK(labels_hash(l, 2) != labels_hash(l, 1));
}

static void test_compare_order(void)
{
    struct arena a;
    arena_init(&a, 0);
    struct labels_table t;
    labels_table_init(&t, &a, true);
    struct label p[] = {{"a", "1"}}, q[] = {{"a", "1"}, {"b", "1"}}, r[] = {{"a", "2"}};
    const struct labels *lp = labels_intern(&t, p, 1), *lq = labels_intern(&t, q, 2),
                        *lr = labels_intern(&t, r, 1);
    T_CHECK(labels_compare(lp, lq) < 0); /* shorter first */
    T_CHECK(labels_compare(lq, lr) < 0); /* value decides before length */
    T_CHECK(labels_compare(lr, lr) == 0);
    arena_release(&a);
}

static void test_builder_and_format(void)
{
    struct arena a;
    arena_init(&a, 0);
    struct labels_table t;
    labels_table_init(&t, &a, false);
    struct label x[] = {{"__name__", "up"}, {"job", "api"}, {"zone", "x\"y"}};
    const struct labels *lx = labels_intern(&t, x, 3);
    struct labels_builder b;
    labels_builder_init(&b, &a, lx);
    labels_builder_del(&b, "__name__");
    labels_builder_set(&b, "env", "prod");
    const struct labels *ly = labels_builder_finish(&b, &t);
    struct strbuf sb = STRBUF_INIT;
    labels_format(&sb, ly);
    T_EQ_STR(sb.buf, "{env=\"prod\", job=\"api\", zone=\"x\\\"y\"}");
    labels_builder_reset(&b, lx);
    const char *keep[] = {"job"};
    labels_builder_keep(&b, keep, 1);
    strbuf_reset(&sb);
    labels_format(&sb, labels_builder_finish(&b, &t));
    T_EQ_STR(sb.buf, "{job=\"api\"}");
    strbuf_release(&sb);
    arena_release(&a);
}

int main(void)
{
    t_run("intern shares equal sets and sorts", test_intern_shares_and_sorts);
    t_run("hash is Prometheus's labels.Hash", test_hash_matches_prometheus);
    t_run("labels.Compare order", test_compare_order);
    t_run("builder and String()", test_builder_and_format);
    return t_done();
}
