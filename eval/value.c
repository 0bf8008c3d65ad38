#include "eval/value.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/arena.h"

const struct prov *prov_single(struct arena *a, uint64_t fingerprint, int64_t age_ms,
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
