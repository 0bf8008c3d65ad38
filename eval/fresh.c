#include "eval/fresh.h"

#include <string.h>

#include "base/arena.h"
#include "eval/labels.h"

const char *fresh_class_name(enum fresh_class c)
{
    switch (c) {
    case FRESH_CLASS_LATE: return "late";
    case FRESH_CLASS_FROZEN: return "frozen";
    case FRESH_CLASS_GONE: return "gone";
    case FRESH_CLASS_FRESH: break;
    }
    return "fresh";
}

/* Median of a small array (insertion sort: n <= FRESH_CADENCE_GAPS). */
static int64_t median(int64_t *g, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int64_t x = g[i];
        size_t j = i;
        while (j > 0 && g[j - 1] > x) {
            g[j] = g[j - 1];
            j--;
        }
        g[j] = x;
    }
    return n % 2 ? g[n / 2] : (g[n / 2 - 1] + g[n / 2]) / 2;
}

bool fresh_measure(const struct sample *pts, size_t last, int64_t ref_ms, struct fresh_figures *out)
{
    memset(out, 0, sizeof *out);
    size_t i = last + 1;
    out->ended = value_is_stale_nan(pts[last].v);
    while (i > 0 && value_is_stale_nan(pts[i - 1].v))
        i--;
    if (i == 0)
        return false;
    size_t newest = i - 1;
    out->age_ms = ref_ms - pts[newest].t_ms;

    /* cadence: the gaps between real samples, newest first */
    int64_t gaps[FRESH_CADENCE_GAPS];
    size_t ng = 0;
    int64_t prev_t = pts[newest].t_ms;
    for (size_t j = newest; j > 0 && ng < FRESH_CADENCE_GAPS; j--) {
        if (value_is_stale_nan(pts[j - 1].v))
            continue;
        gaps[ng++] = prev_t - pts[j - 1].t_ms;
        prev_t = pts[j - 1].t_ms;
    }
    out->cadence_ms = ng ? median(gaps, ng) : 0;

    /* unchanged_for: back over real samples equal to the newest value */
    double v = pts[newest].v;
    size_t start = newest;
    for (size_t j = newest; j > 0; j--) {
        const struct sample *p = &pts[j - 1];
        if (value_is_stale_nan(p->v))
            continue;
        if (!(p->v == v || (p->v != p->v && v != v)))
            break;
        start = j - 1;
    }
    out->unchanged_ms = ref_ms - pts[start].t_ms;
    /* the run reaches the first fetched sample: the value may be older still */
    size_t first = 0;
    while (first < newest && value_is_stale_nan(pts[first].v))
        first++;
    out->unchanged_at_least = start == first;
    return true;
}

static struct fresh_input *table_lookup(const struct fresh_table *t, const struct labels *ls)
{
    size_t j = (size_t)ls->hash & (t->icap - 1);
    while (t->idx[j]) {
        struct fresh_input *e = &t->in[t->idx[j] - 1];
        if (e->ls == ls || (e->ls->hash == ls->hash && labels_equal(e->ls, ls)))
            return e;
        j = (j + 1) & (t->icap - 1);
    }
    return NULL;
}

void fresh_table_index(struct fresh_table *t)
{
    if (t->idx || !t->n)
        return;
    t->icap = 16;
    while (t->icap < t->n * 2)
        t->icap *= 2;
    t->idx = ARENA_NEWN(t->a, size_t, t->icap);
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct fresh_input *in = &t->in[i];
        struct fresh_input *e = table_lookup(t, in->ls);
        if (e) {
            if (in->cls > e->cls || (in->cls == e->cls && in->ref_ms > e->ref_ms))
                *e = *in;
            continue;
        }
        t->in[k] = *in;
        size_t j = (size_t)in->ls->hash & (t->icap - 1);
        while (t->idx[j])
            j = (j + 1) & (t->icap - 1);
        t->idx[j] = ++k;
    }
    t->n = k;
}

const struct fresh_input *fresh_table_find(struct fresh_table *t, uint64_t fingerprint)
{
    fresh_table_index(t);
    if (!t->icap)
        return NULL;
    size_t j = (size_t)fingerprint & (t->icap - 1);
    while (t->idx[j]) {
        const struct fresh_input *e = &t->in[t->idx[j] - 1];
        if (e->ls->hash == fingerprint)
            return e;
        j = (j + 1) & (t->icap - 1);
    }
    return NULL;
}

void fresh_table_reserve(struct fresh_table *t, struct arena *a, size_t n)
{
    if (t->n + n <= t->cap)
        return;
    size_t ncap = t->cap * 2 > t->n + n ? t->cap * 2 : t->n + n;
    struct fresh_input *nin = arena_alloc(a, ncap * sizeof *nin);
    if (t->n)
        memcpy(nin, t->in, t->n * sizeof *nin);
    t->in = nin;
    t->cap = ncap;
    t->a = a;
}

static void table_record(struct fresh_table *t, struct arena *a, const struct labels *ls,
                         int64_t ref_ms, const struct fresh_figures *f, enum fresh_class c)
{
    if (t->n == t->cap)
        fresh_table_reserve(t, a, t->cap ? t->cap : 64);
    struct fresh_input *e = &t->in[t->n++];
    e->ls = ls;
    e->ref_ms = ref_ms;
    e->f = *f;
    e->cls = c;
    t->idx = NULL; /* a reading after indexing: rebuild on next use */
}

const struct prov *fresh_observe(struct arena *a, struct fresh_table *t, const struct fresh_hook *h,
                                 const struct labels *ls, const struct sample *pts, size_t last,
                                 int64_t ref_ms)
{
    struct fresh_figures f;
    fresh_measure(pts, last, ref_ms, &f);
    enum fresh_class c = h && h->classify ? h->classify(h->ctx, ls, &f) : FRESH_CLASS_FRESH;
    if (t)
        table_record(t, a, ls, ref_ms, &f, c);
    struct prov *p = arena_alloc(a, sizeof *p + sizeof p->ids[0]);
    p->worst_age_ms = f.age_ms;
    p->worst_unchanged_ms = f.unchanged_ms;
    p->ninputs = 1;
    p->nnot_fresh = c != FRESH_CLASS_FRESH;
    p->nids = 1;
    p->nbeyond = 0;
    p->ids[0] = ls->hash;
    return p;
}
