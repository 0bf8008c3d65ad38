#include "eval/value.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/arena.h"

struct prov *prov_single(struct arena *a, uint64_t fingerprint, int64_t age_ms,
                               int64_t unchanged_ms)
{
    struct prov *p = arena_alloc(a, sizeof *p + sizeof p->ids[0]);
    p->worst_age_ms = age_ms;
    p->worst_unchanged_ms = unchanged_ms;
    p->ninputs = 1;
    p->nnot_fresh = 0;
    p->nids = 1;
    p->nbeyond = 0;
    p->ids[0] = fingerprint;
    return p;
}

const struct prov *prov_copy(struct arena *a, const struct prov *p)
{
    if (!p)
        return NULL;
    return arena_memdup(a, p, sizeof *p + p->nids * sizeof p->ids[0]);
}

/* Whether every id of small is in big (both sorted) and small adds nothing else. */
static int prov_covers(const struct prov *big, const struct prov *small)
{
    if (small->nbeyond > big->nbeyond || small->worst_age_ms > big->worst_age_ms ||
        small->worst_unchanged_ms > big->worst_unchanged_ms)
        return 0;
    size_t i = 0, j = 0;
    while (j < small->nids) {
        while (i < big->nids && big->ids[i] < small->ids[j])
            i++;
        if (i == big->nids || big->ids[i] != small->ids[j])
            return 0;
        j++;
    }
    return 1;
}

const struct prov *prov_merge(struct arena *a, const struct prov *x, const struct prov *y)
{
    if (!x || x == y)
        return y;
    if (!y)
        return x;
    if (prov_covers(x, y))
        return x;
    if (prov_covers(y, x))
        return y;
    uint64_t ids[2 * VALUE_PROV_MAX_IDS];
    size_t n = 0, i = 0, j = 0, common = 0;
    while (i < x->nids || j < y->nids) {
        if (j == y->nids || (i < x->nids && x->ids[i] < y->ids[j]))
            ids[n++] = x->ids[i++];
        else if (i == x->nids || y->ids[j] < x->ids[i])
            ids[n++] = y->ids[j++];
        else {
            ids[n++] = x->ids[i];
            i++, j++, common++;
        }
    }
    size_t keep = n < VALUE_PROV_MAX_IDS ? n : VALUE_PROV_MAX_IDS;
    struct prov *p = arena_alloc(a, sizeof *p + keep * sizeof p->ids[0]);
    p->worst_age_ms = x->worst_age_ms > y->worst_age_ms ? x->worst_age_ms : y->worst_age_ms;
    p->worst_unchanged_ms = x->worst_unchanged_ms > y->worst_unchanged_ms ? x->worst_unchanged_ms
                                                                          : y->worst_unchanged_ms;
    /* Beyond the cap identities are unknown, so counts there are upper bounds. */
    p->nbeyond = (uint32_t)(n - keep) + x->nbeyond + y->nbeyond;
    p->nids = (uint32_t)keep;
    p->ninputs = p->nids + p->nbeyond;
    p->nnot_fresh = x->nnot_fresh + y->nnot_fresh;
    if (p->nnot_fresh > p->ninputs)
        p->nnot_fresh = p->ninputs;
    memcpy(p->ids, ids, keep * sizeof ids[0]);
    (void)common;
    return p;
}

struct prov_set {
    int64_t age, unchanged;               /* worst figures */
    uint32_t nnot_fresh, nbeyond, nids;   /* counts */
    uint64_t ids[VALUE_PROV_MAX_IDS];     /* sorted */
};

static void set_add(struct prov_set *s, const struct prov *p)
{
    if (p->worst_age_ms > s->age)
        s->age = p->worst_age_ms;
    if (p->worst_unchanged_ms > s->unchanged)
        s->unchanged = p->worst_unchanged_ms;
    s->nnot_fresh += p->nnot_fresh;
    s->nbeyond += p->nbeyond;
    for (uint32_t i = 0; i < p->nids; i++) {
        uint64_t id = p->ids[i];
        uint32_t lo = 0, hi = s->nids;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (s->ids[mid] < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < s->nids && s->ids[lo] == id)
            continue;
        if (s->nids == VALUE_PROV_MAX_IDS) {
            s->nbeyond++; /* identity unknown beyond the cap: an upper bound */
            continue;
        }
        memmove(s->ids + lo + 1, s->ids + lo, (s->nids - lo) * sizeof s->ids[0]);
        s->ids[lo] = id;
        s->nids++;
    }
}

void prov_acc_add(struct prov_acc *acc, struct arena *a, const struct prov *p)
{
    if (!p || p == acc->first)
        return;
    if (!acc->first && !acc->set) {
        acc->first = p;
        return;
    }
    if (!acc->set) {
        acc->set = arena_zalloc(a, sizeof *acc->set);
        if (acc->first)
            set_add(acc->set, acc->first);
    }
    set_add(acc->set, p);
}

const struct prov *prov_acc_finish(struct prov_acc *acc, struct arena *a)
{
    if (!acc->set)
        return acc->first;
    const struct prov_set *s = acc->set;
    struct prov *p = arena_alloc(a, sizeof *p + s->nids * sizeof p->ids[0]);
    p->worst_age_ms = s->age;
    p->worst_unchanged_ms = s->unchanged;
    p->nids = s->nids;
    p->nbeyond = s->nbeyond;
    p->ninputs = s->nids + s->nbeyond;
    p->nnot_fresh = s->nnot_fresh > p->ninputs ? p->ninputs : s->nnot_fresh;
    if (s->nids)
        memcpy(p->ids, s->ids, s->nids * sizeof p->ids[0]);
    return p;
}

const char *eval_error_type_name(enum eval_error_type t)
{
    switch (t) {
    case EVAL_ERR_NONE: return "";
    case EVAL_ERR_BAD_DATA: return "bad_data";
    case EVAL_ERR_EXECUTION: return "execution";
    case EVAL_ERR_TIMEOUT: return "timeout";
    case EVAL_ERR_CANCELED: return "canceled";
    case EVAL_ERR_INTERNAL: return "internal";
    case EVAL_ERR_UNAVAILABLE: return "unavailable";
    }
    return "internal";
}

void eval_error_set(struct eval_error *e, enum eval_error_type t, const char *fmt, ...)
{
    va_list ap;
    e->type = t;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}
