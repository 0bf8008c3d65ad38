#include "eval/memstore.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "grammar/ast.h"

static int ms_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint,
                     int64_t maxt, struct arena *ea, struct storage_series **out, size_t *nout,
                     struct eval_error *err);

void memstore_init(struct memstore *ms)
{
    memset(ms, 0, sizeof *ms);
    arena_init(&ms->arena, 0);
    labels_table_init(&ms->table, &ms->arena, true);
    ms->iface.select = ms_select;
    ms->iface.impl = ms;
}

static void free_series(struct memstore *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        free(ms->s[i]->pts);
        free(ms->s[i]);
    }
    free(ms->s);
    ms->s = NULL;
    ms->n = ms->cap = 0;
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
    /* Interning makes equal sets pointer-equal, so a linear scan by pointer is
     * exact; loads are small and the store is not the hot path of a query. */
    for (size_t i = ms->n; i-- > 0;)
        if (ms->s[i]->ls == set)
            return ms->s[i];
    struct memstore_series *s = xcalloc(1, sizeof *s);
    s->ls = set;
    XGROW(ms->s, ms->cap, ms->n + 1);
    ms->s[ms->n++] = s;
    return s;
}

void memstore_append(struct memstore_series *s, int64_t t, double v)
{
    size_t lo = 0, hi = s->n;
    if (s->n && s->pts[s->n - 1].t_ms < t) {
        lo = s->n;
    } else {
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (s->pts[mid].t_ms < t)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < s->n && s->pts[lo].t_ms == t) {
            s->pts[lo].v = v;
            return;
        }
    }
    XGROW(s->pts, s->cap, s->n + 1);
    memmove(s->pts + lo + 1, s->pts + lo, (s->n - lo) * sizeof s->pts[0]);
    s->pts[lo].t_ms = t;
    s->pts[lo].v = v;
    s->n++;
}

void memstore_series_truncate(struct memstore_series *s)
{
    s->n = 0;
}

size_t memstore_samples(const struct memstore *ms)
{
    size_t total = 0;
    for (size_t i = 0; i < ms->n; i++)
        total += ms->s[i]->n;
    return total;
}

static size_t lower_bound(const struct sample *p, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p[mid].t_ms < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int ms_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint,
                     int64_t maxt, struct arena *ea, struct storage_series **out, size_t *nout,
                     struct eval_error *err)
{
    (void)err;
    struct memstore *ms = st->impl;
    size_t cap = 16, k = 0;
    struct storage_series *res = ARENA_NEWN(ea, struct storage_series, cap);
    for (size_t i = 0; i < ms->n; i++) {
        const struct memstore_series *s = ms->s[i];
        bool ok = true;
        for (size_t j = 0; j < n && ok; j++) {
            const char *v = labels_get(s->ls, m[j].name);
            if (!v)
                v = "";
            ok = ast_matcher_matches(&m[j], v, strlen(v));
        }
        if (!ok)
            continue;
        size_t a = lower_bound(s->pts, s->n, mint);
        size_t b = lower_bound(s->pts, s->n, maxt == INT64_MAX ? maxt : maxt + 1);
        if (maxt == INT64_MAX)
            b = s->n;
        if (k == cap) {
            struct storage_series *nr = ARENA_NEWN(ea, struct storage_series, cap * 2);
            memcpy(nr, res, k * sizeof *nr);
            res = nr;
            cap *= 2;
        }
        res[k].ls = s->ls;
        res[k].pts = s->pts + a;
        res[k].n = b > a ? b - a : 0;
        k++;
    }
    *out = res;
    *nout = k;
    return 0;
}
