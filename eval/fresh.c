#include "eval/fresh.h"

#include <string.h>

#include "base/arena.h"
#include "eval/histogram.h"
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

/* Whether real sample p has the value of q (NaN equals NaN; histograms by content). */
static bool same_value(const struct sample *p, const struct sample *q)
{
    if (p->h || q->h)
        return p->h && q->h && histogram_equal(p->h, q->h);
    return p->v == q->v || (p->v != p->v && q->v != q->v);
}

/* Start of the trailing run of real samples equal to pts[newest]. */
static size_t run_start(const struct sample *pts, size_t newest)
{
    /* most series changed at their last sample: one comparison */
    if (newest > 0 && !pts[newest].h && !pts[newest - 1].h && pts[newest - 1].v != pts[newest].v &&
        !value_is_stale_nan(pts[newest - 1].v) && pts[newest].v == pts[newest].v)
        return newest;
    size_t start = newest;
    for (size_t j = newest; j > 0; j--) {
        const struct sample *p = &pts[j - 1];
        if (!p->h && value_is_stale_nan(p->v))
            continue;
        if (!same_value(p, &pts[newest]))
            break;
        start = j - 1;
    }
    return start;
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

    size_t start = run_start(pts, newest);
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
        const struct labels *el = fresh_input_labels(t, e);
        if (el == ls || (el->hash == ls->hash && labels_equal(el, ls)))
            return e;
        j = (j + 1) & (t->icap - 1);
    }
    return NULL;
}

/* Merges repeated readings in place (several selector reads). */
static void table_merge(struct fresh_table *t)
{
    if (t->merged || t->nreads <= 1) {
        t->merged = true;
        return;
    }
    fresh_table_index(t);
}

void fresh_table_index(struct fresh_table *t)
{
    if (t->idx || !t->n)
        return;
    t->icap = 16;
    while (t->icap < t->n * 2)
        t->icap *= 2;
    t->idx = ARENA_NEWN(t->a, uint32_t, t->icap);
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct fresh_input *in = &t->in[i];
        const struct labels *ls = fresh_input_labels(t, in);
        struct fresh_input *e = table_lookup(t, ls);
        if (e) {
            if (in->cls > e->cls || (in->cls == e->cls && fresh_input_ref(t, in) > fresh_input_ref(t, e)))
                *e = *in;
            continue;
        }
        t->in[k] = *in;
        size_t j = (size_t)ls->hash & (t->icap - 1);
        while (t->idx[j])
            j = (j + 1) & (t->icap - 1);
        t->idx[j] = (uint32_t)++k;
    }
    t->n = k;
    t->merged = true;
}

const struct fresh_input *fresh_table_find(struct fresh_table *t, uint64_t fingerprint)
{
    fresh_table_index(t);
    if (!t->icap)
        return NULL;
    size_t j = (size_t)fingerprint & (t->icap - 1);
    while (t->idx[j]) {
        const struct fresh_input *e = &t->in[t->idx[j] - 1];
        if (fresh_input_labels(t, e)->hash == fingerprint)
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

void fresh_table_grow(struct fresh_table *t)
{
    fresh_table_reserve(t, t->a, t->cap ? t->cap : 64);
}

void fresh_table_begin(struct fresh_table *t, struct arena *a, const struct labels *const *ls,
                       const struct storage_series *ss, size_t n, int64_t ref_ms)
{
    fresh_table_reserve(t, a, n);
    if (t->nreads == t->capreads) {
        size_t ncap = t->capreads ? t->capreads * 2 : 4;
        struct fresh_read *nr = arena_alloc(a, ncap * sizeof *nr);
        if (t->nreads)
            memcpy(nr, t->reads, t->nreads * sizeof *nr);
        t->reads = nr;
        t->capreads = ncap;
    }
    t->reads[t->nreads++] = (struct fresh_read){ls, ss, ref_ms};
    t->merged = false;
}

void fresh_input_figures(const struct fresh_table *t, const struct fresh_input *e, struct fresh_figures *out)
{
    const struct fresh_read *r = &t->reads[e->read];
    fresh_measure(r->ss[e->series].pts, e->last, r->ref_ms, out);
}

void fresh_observe_slow(struct fresh_table *t, const struct fresh_hook *h, size_t i, const struct labels *ls,
                        const struct sample *pts, size_t last, int64_t ref_ms, struct prov *p)
{
    bool ended = value_is_stale_nan(pts[last].v);
    size_t newest = last;
    while (newest > 0 && value_is_stale_nan(pts[newest].v))
        newest--;
    int64_t age = ref_ms - pts[newest].t_ms;
    int64_t unchanged = ref_ms - pts[run_start(pts, newest)].t_ms;
    enum fresh_class c = FRESH_CLASS_FRESH;
    if (!fresh_hook_sure(h, age)) {
        struct fresh_figures f;
        fresh_measure(pts, last, ref_ms, &f);
        c = h->classify(h->ctx, ls, &f);
    }
    fresh_record(t, i, last, age, c, ended);
    prov_single_set(p, ls->hash, age, unchanged, c != FRESH_CLASS_FRESH);
}

/* The k-th smallest of v[0..n) (selection with a three-way partition:
 * linear on average and one pass when most ages are equal, where sorting
 * every input's age per rule evaluation was n log n). */
static int64_t select_kth(int64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* k is in [lo, hi) */
    while (hi - lo > 1) {
        int64_t pivot = v[lo + (hi - lo) / 2];
        size_t lt = lo, i = lo, gt = hi; /* [lo,lt) < pivot, [lt,i) == pivot, [gt,hi) > pivot */
        while (i < gt) {
            int64_t x = v[i];
            if (x < pivot) {
                v[i++] = v[lt];
                v[lt++] = x;
            } else if (x > pivot) {
                v[i] = v[--gt];
                v[gt] = x;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return pivot;
    }
    return v[lo];
}

void fresh_table_summary(struct fresh_table *t, struct fresh_summary *out)
{
    memset(out, 0, sizeof *out);
    table_merge(t);
    if (!t->n)
        return;
    int64_t *ages = arena_alloc(t->a, t->n * sizeof *ages);
    out->newest_age_ms = INT64_MAX;
    for (size_t i = 0; i < t->n; i++) {
        const struct fresh_input *e = &t->in[i];
        ages[i] = e->age_ms;
        out->nlate += e->cls == FRESH_CLASS_LATE;
        out->nfrozen += e->cls == FRESH_CLASS_FROZEN;
        out->nended += e->ended;
        if (e->age_ms > out->worst_age_ms)
            out->worst_age_ms = e->age_ms;
        if (e->age_ms < out->newest_age_ms)
            out->newest_age_ms = e->age_ms;
    }
    out->median_age_ms = select_kth(ages, t->n, t->n / 2);
    out->ninputs = t->n;
}
