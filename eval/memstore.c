#include "eval/memstore.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "eval/histogram.h"
#include "grammar/ast.h"

static int ms_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint,
                     int64_t maxt, struct arena *ea, struct storage_series **out, size_t *nout,
                     struct eval_error *err);

void memstore_init(struct memstore *ms)
{
    memset(ms, 0, sizeof *ms);
    arena_init(&ms->arena, 0);
    labels_table_init(&ms->table, &ms->arena, true);
    ms->visible_until_ms = INT64_MAX;
    ms->iface.select = ms_select;
    ms->iface.impl = ms;
}

static void free_series(struct memstore *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        free(ms->s[i]->t);
        free(ms->s[i]->v);
        free(ms->s[i]->h);
        free(ms->s[i]);
    }
    free(ms->s);
    ms->s = NULL;
    ms->n = ms->cap = 0;
    free(ms->byset);
    ms->byset = NULL;
    ms->byset_cap = 0;
    for (size_t i = 0; i < ms->names_cap; i++)
        free(ms->names[i].idx);
    free(ms->names);
    ms->names = NULL;
    ms->names_cap = ms->nnames = 0;
}

/* FNV-1a: metric names are short. */
static size_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

static struct memstore_name *name_slot(struct memstore_name *tab, size_t cap, const char *name)
{
    size_t j = name_hash(name) & (cap - 1);
    while (tab[j].name && strcmp(tab[j].name, name) != 0)
        j = (j + 1) & (cap - 1);
    return &tab[j];
}

static void name_index_add(struct memstore *ms, const char *name, size_t i)
{
    if ((ms->nnames + 1) * 2 > ms->names_cap) {
        size_t ncap = ms->names_cap ? ms->names_cap * 2 : 64;
        struct memstore_name *nt = xcalloc(ncap, sizeof *nt);
        for (size_t k = 0; k < ms->names_cap; k++)
            if (ms->names[k].name)
                *name_slot(nt, ncap, ms->names[k].name) = ms->names[k];
        free(ms->names);
        ms->names = nt;
        ms->names_cap = ncap;
    }
    struct memstore_name *e = name_slot(ms->names, ms->names_cap, name);
    if (!e->name) {
        e->name = name;
        ms->nnames++;
    }
    XGROW(e->idx, e->cap, e->n + 1);
    e->idx[e->n++] = i;
}

static void byset_put(size_t *tab, size_t cap, const struct memstore_series *s, size_t i)
{
    size_t j = (size_t)s->ls->hash & (cap - 1);
    while (tab[j])
        j = (j + 1) & (cap - 1);
    tab[j] = i + 1;
}

/* Indexes series i by its label set and metric name. */
static void index_series(struct memstore *ms, size_t i)
{
    if ((ms->n + 1) * 2 > ms->byset_cap) {
        size_t ncap = ms->byset_cap ? ms->byset_cap * 2 : 64;
        size_t *nt = xcalloc(ncap, sizeof *nt);
        for (size_t k = 0; k < i; k++)
            byset_put(nt, ncap, ms->s[k], k);
        free(ms->byset);
        ms->byset = nt;
        ms->byset_cap = ncap;
    }
    byset_put(ms->byset, ms->byset_cap, ms->s[i], i);
    const char *name = labels_get(ms->s[i]->ls, LABELS_METRIC_NAME);
    name_index_add(ms, name ? name : "", i);
}

void memstore_release(struct memstore *ms)
{
    free_series(ms);
    arena_release(&ms->arena);
}

void memstore_clear(struct memstore *ms)
{
    free_series(ms);
    arena_release(&ms->arena);
    arena_init(&ms->arena, 0);
    labels_table_init(&ms->table, &ms->arena, true);
}

struct memstore_series *memstore_series_get(struct memstore *ms, const struct label *ls, size_t n)
{
    const struct labels *set = labels_intern(&ms->table, ls, n);
    /* Interning makes equal sets pointer-equal: the index compares pointers. */
    if (ms->byset_cap) {
        size_t j = (size_t)set->hash & (ms->byset_cap - 1);
        while (ms->byset[j]) {
            if (ms->s[ms->byset[j] - 1]->ls == set)
                return ms->s[ms->byset[j] - 1];
            j = (j + 1) & (ms->byset_cap - 1);
        }
    }
    struct memstore_series *s = xcalloc(1, sizeof *s);
    s->ls = set;
    XGROW(ms->s, ms->cap, ms->n + 1);
    ms->s[ms->n] = s;
    index_series(ms, ms->n);
    ms->n++;
    return s;
}

static size_t append_slot(struct memstore_series *s, int64_t t);

/* The histogram entry at sample index i, or where it would go. */
static size_t hist_lower_bound(const struct memstore_series *s, size_t i)
{
    size_t lo = 0, hi = s->nh;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->h[mid].i < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void memstore_append(struct memstore_series *s, int64_t t, double v)
{
    size_t i = append_slot(s, t);
    s->v[i] = v;
    if (s->nh && s->h[s->nh - 1].i >= i) { /* replacing a histogram with a float */
        size_t k = hist_lower_bound(s, i);
        if (k < s->nh && s->h[k].i == i) {
            memmove(s->h + k, s->h + k + 1, (s->nh - k - 1) * sizeof *s->h);
            s->nh--;
        }
    }
}

void memstore_append_histogram(struct memstore *ms, struct memstore_series *s, int64_t t,
                               const struct histogram *h)
{
    size_t i = append_slot(s, t);
    s->v[i] = 0;
    const struct histogram *copy = histogram_copy(&ms->arena, h);
    size_t k = hist_lower_bound(s, i);
    if (k < s->nh && s->h[k].i == i) {
        s->h[k].h = copy;
        return;
    }
    XGROW(s->h, s->caph, s->nh + 1);
    memmove(s->h + k + 1, s->h + k, (s->nh - k) * sizeof *s->h);
    s->h[k] = (struct memstore_hist){i, copy};
    s->nh++;
}

static void grow(struct memstore_series *s, size_t need)
{
    if (need <= s->cap)
        return;
    size_t cap = s->cap ? s->cap : 16;
    while (cap < need)
        cap *= 2;
    s->t = xrealloc(s->t, cap * sizeof *s->t);
    s->v = xrealloc(s->v, cap * sizeof *s->v);
    s->cap = cap;
}

void memstore_series_reserve(struct memstore_series *s, size_t n)
{
    if (s->n + n <= s->cap)
        return;
    s->t = xrealloc(s->t, (s->n + n) * sizeof *s->t);
    s->v = xrealloc(s->v, (s->n + n) * sizeof *s->v);
    s->cap = s->n + n;
}

static size_t lower_bound(const int64_t *t, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The index of the sample at t: the existing one, or a new one in time
 * order (its value for the caller to set). */
static size_t append_slot(struct memstore_series *s, int64_t t)
{
    size_t lo;
    if (!s->n || s->t[s->n - 1] < t) {
        lo = s->n;
    } else {
        lo = lower_bound(s->t, s->n, t);
        if (lo < s->n && s->t[lo] == t)
            return lo;
    }
    grow(s, s->n + 1);
    memmove(s->t + lo + 1, s->t + lo, (s->n - lo) * sizeof *s->t);
    memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof *s->v);
    for (size_t k = hist_lower_bound(s, lo); k < s->nh; k++)
        s->h[k].i++;
    s->t[lo] = t;
    s->n++;
    return lo;
}

void memstore_series_truncate(struct memstore_series *s)
{
    s->n = 0;
    s->nh = 0;
}

void memstore_series_drop_before(struct memstore_series *s, int64_t cutoff_ms)
{
    size_t a = lower_bound(s->t, s->n, cutoff_ms);
    if (!a)
        return;
    memmove(s->t, s->t + a, (s->n - a) * sizeof *s->t);
    memmove(s->v, s->v + a, (s->n - a) * sizeof *s->v);
    s->n -= a;
    if (!s->nh)
        return;
    size_t k = hist_lower_bound(s, a);
    memmove(s->h, s->h + k, (s->nh - k) * sizeof *s->h);
    s->nh -= k;
    for (size_t j = 0; j < s->nh; j++)
        s->h[j].i -= a;
}

size_t memstore_samples(const struct memstore *ms)
{
    size_t total = 0;
    for (size_t i = 0; i < ms->n; i++)
        total += ms->s[i]->n;
    return total;
}

static int ms_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint,
                     int64_t maxt, struct arena *ea, struct storage_series **out, size_t *nout,
                     struct eval_error *err)
{
    (void)err;
    struct memstore *ms = st->impl;
    if (maxt > ms->visible_until_ms)
        maxt = ms->visible_until_ms;
    size_t cap = 16, k = 0;
    struct storage_series *res = ARENA_NEWN(ea, struct storage_series, cap);
    /* A selector naming its metric only looks at that metric's series. */
    const size_t *cand = NULL;
    size_t ncand = ms->n;
    for (size_t j = 0; j < n; j++) {
        if (m[j].op == AST_MATCH_EQ && m[j].value[0] && !strcmp(m[j].name, LABELS_METRIC_NAME)) {
            if (!ms->names_cap)
                break;
            const struct memstore_name *e = name_slot(ms->names, ms->names_cap, m[j].value);
            cand = e->idx;
            ncand = e->name ? e->n : 0;
            break;
        }
    }
    for (size_t c = 0; c < ncand; c++) {
        const struct memstore_series *s = ms->s[cand ? cand[c] : c];
        bool ok = true;
        for (size_t j = 0; j < n && ok; j++) {
            const char *v = labels_get(s->ls, m[j].name);
            if (!v)
                v = "";
            ok = ast_matcher_matches(&m[j], v, strlen(v));
        }
        if (!ok)
            continue;
        size_t a = lower_bound(s->t, s->n, mint);
        size_t b = maxt == INT64_MAX ? s->n : lower_bound(s->t, s->n, maxt + 1);
        if (k == cap) {
            struct storage_series *nr = ARENA_NEWN(ea, struct storage_series, cap * 2);
            memcpy(nr, res, k * sizeof *nr);
            res = nr;
            cap *= 2;
        }
        res[k].ls = s->ls;
        res[k].pts = NULL;
        res[k].n = b > a ? b - a : 0;
        if (res[k].n) {
            struct sample *p = ARENA_NEWN(ea, struct sample, res[k].n);
            for (size_t j = a; j < b; j++)
                p[j - a] = (struct sample){s->t[j], s->v[j], NULL};
            for (size_t q = hist_lower_bound(s, a); q < s->nh && s->h[q].i < b; q++)
                p[s->h[q].i - a].h = s->h[q].h;
            res[k].pts = p;
        }
        k++;
    }
    *out = res;
    *nout = k;
    return 0;
}

void memstore_histogram_hints(struct memstore *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        struct memstore_series *s = ms->s[i];
        for (size_t q = 0; q < s->nh; q++) {
            struct histogram *h = (struct histogram *)s->h[q].h;
            /* the previous sample's histogram; NULL after a float or at the start */
            const struct histogram *prev = q && s->h[q - 1].i + 1 == s->h[q].i ? s->h[q - 1].h : NULL;
            if (h->hint == HISTOGRAM_HINT_GAUGE)
                continue;
            if (prev && prev->hint != HISTOGRAM_HINT_GAUGE) {
                /* a detected reset starts a new chunk whose first sample
                 * reads back as unknown (prometheus/prometheus#15346) */
                if (h->hint != HISTOGRAM_HINT_RESET) {
                    struct histogram probe = *h;
                    probe.hint = HISTOGRAM_HINT_UNKNOWN;
                    h->hint = histogram_detect_reset(&probe, prev) ? HISTOGRAM_HINT_UNKNOWN
                                                                   : HISTOGRAM_HINT_NOT_RESET;
                }
            } else if (h->hint == HISTOGRAM_HINT_NOT_RESET) {
                h->hint = HISTOGRAM_HINT_UNKNOWN;
            }
        }
    }
}
