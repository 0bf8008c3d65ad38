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

/* The open union of an aggregation group. Members arrive in any order, so
 * ids are appended and sorted once at the end; membership is a linear scan
 * while the set is small and a hash probe after (a sorted insert per member
 * cost a binary search and a memmove each). */
#define SET_SCAN_MAX 16
#define SET_SLOTS (2 * VALUE_PROV_MAX_IDS)
struct prov_set {
    int64_t age, unchanged;             /* worst figures */
    uint32_t nnot_fresh, nbeyond, nids; /* counts */
    bool hashed;                        /* slots is in use (nids reached SET_SCAN_MAX) */
    bool has_zero;                      /* id 0 is in ids (0 marks an empty slot) */
    uint64_t ids[VALUE_PROV_MAX_IDS];   /* in arrival order */
    uint64_t slots[SET_SLOTS];          /* open addressing over ids, once hashed */
};

static bool slot_has(const uint64_t *slots, uint64_t id)
{
    size_t j = (size_t)(id ^ (id >> 29)) & (SET_SLOTS - 1);
    while (slots[j]) {
        if (slots[j] == id)
            return true;
        j = (j + 1) & (SET_SLOTS - 1);
    }
    return false;
}

/* The slots hold at most VALUE_PROV_MAX_IDS ids, half their size, so a probe always ends. */
static bool slot_insert(uint64_t *slots, uint64_t id)
{
    size_t j = (size_t)(id ^ (id >> 29)) & (SET_SLOTS - 1);
    while (slots[j]) {
        if (slots[j] == id)
            return false;
        j = (j + 1) & (SET_SLOTS - 1);
    }
    slots[j] = id;
    return true;
}

/* Adds id unless present; false when it was there already. */
static bool set_insert(struct prov_set *s, uint64_t id)
{
    if (!s->hashed) {
        for (uint32_t i = 0; i < s->nids; i++)
            if (s->ids[i] == id)
                return false;
        if (s->nids < SET_SCAN_MAX)
            return true;
        memset(s->slots, 0, sizeof s->slots);
        for (uint32_t i = 0; i < s->nids; i++)
            if (s->ids[i])
                slot_insert(s->slots, s->ids[i]);
        s->hashed = true;
        return true;
    }
    if (!id) {
        if (s->has_zero)
            return false;
        s->has_zero = true;
        return true;
    }
    return slot_insert(s->slots, id);
}

static inline void set_add(struct prov_set *s, const struct prov *p)
{
    if (p->worst_age_ms > s->age)
        s->age = p->worst_age_ms;
    if (p->worst_unchanged_ms > s->unchanged)
        s->unchanged = p->worst_unchanged_ms;
    s->nnot_fresh += p->nnot_fresh;
    s->nbeyond += p->nbeyond;
    for (uint32_t i = 0; i < p->nids; i++) {
        uint64_t id = p->ids[i];
        if (s->nids == VALUE_PROV_MAX_IDS) {
            /* Full: ids beyond the cap are not kept, so they are only
             * counted; a repeat of a kept id is still recognised. */
            if (id ? slot_has(s->slots, id) : s->has_zero)
                continue;
            s->nbeyond++; /* identity unknown beyond the cap: an upper bound */
            continue;
        }
        bool was_hashed = s->hashed;
        if (!set_insert(s, id))
            continue;
        if (!was_hashed && s->hashed)
            slot_insert(s->slots, id); /* the switch to hashing happened on this id */
        if (!id)
            s->has_zero = true;
        s->ids[s->nids++] = id;
    }
}

struct prov *prov_singles(struct arena *a, size_t n)
{
    return arena_alloc(a, (n ? n : 1) * PROV_SINGLE_SIZE);
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
        struct prov_set *s = arena_alloc(a, sizeof *acc->set);
        s->age = s->unchanged = INT64_MIN;
        s->nnot_fresh = s->nbeyond = s->nids = 0;
        s->hashed = s->has_zero = false;
        acc->set = s;
        if (acc->first)
            set_add(acc->set, acc->first);
    }
    set_add(acc->set, p);
}

const struct prov *prov_acc_finish(struct prov_acc *acc, struct arena *a)
{
    if (!acc->set)
        return acc->first;
    struct prov_set *s = acc->set;
    struct prov *p = arena_alloc(a, sizeof *p + s->nids * sizeof p->ids[0]);
    p->worst_age_ms = s->age;
    p->worst_unchanged_ms = s->unchanged;
    p->nids = s->nids;
    p->nbeyond = s->nbeyond;
    p->ninputs = s->nids + s->nbeyond;
    p->nnot_fresh = s->nnot_fresh > p->ninputs ? p->ninputs : s->nnot_fresh;
    /* insertion into p->ids: at most VALUE_PROV_MAX_IDS ids (qsort's
     * merge sort allocated and cost four times as much here) */
    for (uint32_t i = 0; i < s->nids; i++) {
        uint64_t id = s->ids[i];
        uint32_t j = i;
        while (j > 0 && p->ids[j - 1] > id) {
            p->ids[j] = p->ids[j - 1];
            j--;
        }
        p->ids[j] = id;
    }
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
