/* Unit tests of provenance merging (eval/value.c): union of identities,
 * worst figures, the 64-identity cap with counts beyond, sharing. */
#include "base/arena.h"
#include "eval/value.h"
#include "tests/t.h"

static void test_merge_union(void)
{
    struct arena a;
    arena_init(&a, 0);
    const struct prov *x = prov_single(&a, 10, 1000, 5000);
    const struct prov *y = prov_single(&a, 20, 3000, 2000);
    const struct prov *m = prov_merge(&a, x, y);
    T_EQ_INT(m->ninputs, 2);
    T_EQ_INT(m->nids, 2);
    T_EQ_INT(m->worst_age_ms, 3000);
    T_EQ_INT(m->worst_unchanged_ms, 5000);
    T_EQ_INT(m->ids[0], 10);
    T_EQ_INT(m->ids[1], 20);
    /* merging a contained summary shares the pointer */
    T_CHECK(prov_merge(&a, m, x) == m);
    T_CHECK(prov_merge(&a, NULL, x) == x);
    T_CHECK(prov_merge(&a, x, NULL) == x);
    /* the same input twice counts once */
    T_EQ_INT(prov_merge(&a, x, prov_single(&a, 10, 0, 0))->ninputs, 1);
    arena_release(&a);
}

static void test_merge_cap(void)
{
    struct arena a;
    arena_init(&a, 0);
    const struct prov *p = NULL;
    for (uint64_t i = 0; i < 100; i++)
        p = prov_merge(&a, p, prov_single(&a, i * 7919, (int64_t)i, 0));
    T_EQ_INT(p->nids, VALUE_PROV_MAX_IDS);
    T_EQ_INT(p->nbeyond, 100 - VALUE_PROV_MAX_IDS);
    T_EQ_INT(p->ninputs, 100);
    T_EQ_INT(p->worst_age_ms, 99);
    for (uint32_t i = 1; i < p->nids; i++)
        T_CHECK(p->ids[i - 1] < p->ids[i]);
    arena_release(&a);
}

static void test_accumulator(void)
{
    struct arena a;
    arena_init(&a, 0);
    struct prov_acc acc = {0};
    T_CHECK(prov_acc_finish(&acc, &a) == NULL);
    const struct prov *one = prov_single(&a, 5, 10, 20);
    prov_acc_add(&acc, &a, one);
    prov_acc_add(&acc, &a, one);
    T_CHECK(prov_acc_finish(&acc, &a) == one); /* a single summary is shared, not copied */
    for (uint64_t i = 0; i < 200; i++)
        prov_acc_add(&acc, &a, prov_single(&a, i, (int64_t)i, 1000 - (int64_t)i));
    /* repeats of kept identities (0 included) once the set is full: not counted again */
    prov_acc_add(&acc, &a, prov_single(&a, 0, 0, 0));
    prov_acc_add(&acc, &a, prov_single(&a, 40, 0, 0));
    const struct prov *p = prov_acc_finish(&acc, &a);
    T_EQ_INT(p->nids, VALUE_PROV_MAX_IDS);
    T_EQ_INT(p->ninputs, 200); /* id 5 was already in: counted once */
    T_EQ_INT(p->worst_age_ms, 199);
    T_EQ_INT(p->worst_unchanged_ms, 1000);
    T_EQ_INT(p->ids[0], 0);
    for (uint32_t i = 1; i < p->nids; i++)
        T_CHECK(p->ids[i - 1] < p->ids[i]);
    arena_release(&a);
}

static void test_stale_nan_bits(void)
{
    T_CHECK(value_is_stale_nan(value_stale_nan()));
    T_CHECK(!value_is_stale_nan(NAN));
    T_CHECK(isnan(value_stale_nan()));
}

int main(void)
{
    t_run("merge is a union with worst figures", test_merge_union);
    t_run("identities capped at 64 with counts beyond", test_merge_cap);
    t_run("accumulator: one allocation, shared single, cap", test_accumulator);
    t_run("StaleNaN compared by bits", test_stale_nan_bits);
    return t_done();
}
