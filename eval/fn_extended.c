/* fn_extended: anchored and smoothed selectors, following Prometheus's
 * engine.go (smoothSeries, extendFloats, the matrix function loop) and
 * functions.go (extendedRate, extendedHistogramRate, pickFirstSampleIndices).
 * The engine reads a wider window for these selectors; the code here picks
 * the boundary values out of it. */
#include "eval/fn_extended.h"

#include "base/arena.h"
#include "eval/histogram.h"

int64_t fn_ext_behind_ms(const struct ev *ev, const struct ast_node *vs)
{
    return vs->u.vs.ext != AST_EXT_NONE ? ev->lookback_ms : 0;
}

int64_t fn_ext_ahead_ms(const struct ev *ev, const struct ast_node *vs)
{
    return vs->u.vs.ext == AST_EXT_SMOOTHED ? ev->lookback_ms : 0;
}

/* Index of the first of pts[0..n) with time > t (n: none). */
static size_t first_after(const struct sample *pts, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pts[mid].t_ms <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of the first of pts[0..n) with time >= t (n: none). */
static size_t first_at_or_after(const struct sample *pts, size_t n, int64_t t)
{
    return first_after(pts, n, t - 1);
}

/* ---- which functions take the modifiers ---- */

static bool accepts(enum ast_ext ext, enum fn_id id)
{
    switch (id) {
    case FN_RATE: case FN_INCREASE: case FN_DELTA:
        return true;
    case FN_RESETS: case FN_CHANGES:
        return ext == AST_EXT_ANCHORED;
    default:
        return false;
    }
}

/* pickFirstSampleIndices: keep the anchor (the newest sample at or before
 * the range start, of either kind) and everything after it; a series with
 * nothing after the range start yields no output. */
static void anchor_series(struct fn_args *fa, struct matrix *m)
{
    int64_t range_start = fa->ref_ms - fa->range_ms;
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        struct series s = m->s[i];
        size_t after = first_after(s.pts, s.n, range_start);
        if (after >= s.n)
            continue;
        size_t from = after ? after - 1 : 0;
        s.pts += from;
        s.n -= from;
        if (s.has_hist) {
            s.has_hist = false;
            for (size_t j = 0; j < s.n && !s.has_hist; j++)
                s.has_hist = s.pts[j].h != NULL;
        }
        m->s[k++] = s;
    }
    m->n = k;
}

int fn_ext_prepare(struct fn_args *fa, const struct ast_node *ms, struct value *arg)
{
    enum ast_ext ext = ms->u.ms.vs->u.vs.ext;
    const struct fn_info *fi = fa->call->u.call.fn;
    if (!accepts(ext, fi->id)) {
        if (ext == AST_EXT_ANCHORED)
            return ev_fail(fa->ev, EVAL_ERR_EXECUTION,
                           "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with %s",
                           fi->name);
        return ev_fail(fa->ev, EVAL_ERR_EXECUTION,
                       "smoothed modifier can only be used with: delta, increase, rate - not with %s", fi->name);
    }
    fa->ext = ext;
    if (arg->type == VALUE_MATRIX && (fi->id == FN_RESETS || fi->id == FN_CHANGES))
        anchor_series(fa, &arg->u.mat);
    return 0;
}

/* ---- floats ---- */

/* The value at t between two samples; a counter that went down is taken to
 * have restarted from zero. */
static double interpolate(const struct sample *a, const struct sample *b, int64_t t, bool counter)
{
    double y1 = a->v, y2 = b->v;
    if (counter && y2 < y1)
        y1 = 0;
    return y1 + (y2 - y1) * (double)(t - a->t_ms) / (double)(b->t_ms - a->t_ms);
}

/* The boundary samples of a window: first is the newest sample at or
 * before start (or the oldest); last is the newest sample (smoothed: the
 * oldest at or after end). Returns false when the window yields nothing. */
static bool boundaries(const struct sample *p, size_t n, int64_t start, int64_t end, bool smoothed,
                       bool require_overlap, size_t *first, size_t *last)
{
    size_t l = n - 1;
    size_t after = first_after(p, l, start);
    size_t f = after ? after - 1 : 0;
    if (smoothed)
        l = first_at_or_after(p, l, end);
    if (p[l].t_ms <= start)
        return false;
    if (require_overlap && smoothed && p[f].t_ms > end)
        return false;
    *first = f;
    *last = l;
    return true;
}

bool fn_ext_rate(struct fn_args *fa, const struct series *s, bool counter, bool rate, double *out)
{
    if (s->n == 0)
        return false;
    const struct sample *p = s->pts;
    int64_t start = fa->ref_ms - fa->range_ms, end = fa->ref_ms;
    bool smoothed = fa->ext == AST_EXT_SMOOTHED;
    size_t first, last;
    if (!boundaries(p, s->n, start, end, smoothed, true, &first, &last))
        return false;
    double left = smoothed && p[first].t_ms < start ? interpolate(&p[first], &p[first + 1], start, counter)
                                                    : p[first].v;
    double right = smoothed && last > 0 && p[last].t_ms > end
                       ? interpolate(&p[last - 1], &p[last], end, counter)
                       : p[last].v;
    double result = right - left;
    if (counter) {
        /* Resets at the boundaries are in left and right already; check
         * the samples strictly inside the range against them. */
        size_t i = p[first].t_ms <= start ? first + 1 : first;
        size_t stop = p[last].t_ms >= end ? last : last + 1;
        double prev = left, corr = 0;
        for (; i < stop; i++) {
            if (p[i].v < prev)
                corr += prev;
            prev = p[i].v;
        }
        if (right < prev)
            corr += prev;
        result += corr;
    }
    if (rate)
        result /= (double)fa->range_ms / 1000;
    *out = result;
    return true;
}

/* ---- histograms ---- */

enum { W_MIXED, W_NOT_COUNTER, W_NOT_GAUGE, W_MIXED_SCHEMA };

static void warn_series(struct ev *ev, const struct ast_node *pos, int kind, const struct labels *ls)
{
    const char *name = labels_get(ls, LABELS_METRIC_NAME);
    if (!name)
        name = "";
    switch (kind) {
    case W_MIXED:
        ev_warn(ev, pos, "encountered a mix of histograms and floats for metric name \"%s\"", name);
        break;
    case W_NOT_COUNTER:
        ev_warn(ev, pos, "this native histogram metric is not a counter: \"%s\"", name);
        break;
    case W_NOT_GAUGE:
        ev_warn(ev, pos, "this native histogram metric is not a gauge: \"%s\"", name);
        break;
    default:
        ev_warn(ev, pos, "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"%s\"",
                name);
        break;
    }
}

static void reconciled(struct ev *ev, const struct ast_node *pos, unsigned flags, bool sub)
{
    if (flags & HISTOGRAM_OP_RECONCILED)
        ev_info(ev, pos, "mismatched custom buckets were reconciled during %s", sub ? "subtraction" : "addition");
}

/* interpolateHistograms: NULL when the two cannot be combined. */
static struct histogram *interpolate_hist(struct ev *ev, const struct ast_node *pos, const struct sample *a,
                                          const struct sample *b, int64_t t, bool counter)
{
    if (t == a->t_ms)
        return histogram_copy(ev->a, a->h);
    if (t == b->t_ms)
        return histogram_copy(ev->a, b->h);
    double fraction = (double)(t - a->t_ms) / (double)(b->t_ms - a->t_ms);
    struct histogram *r = histogram_copy(ev->a, b->h);
    if (counter && histogram_detect_reset(b->h, a->h)) {
        histogram_mul(r, fraction);
        return r;
    }
    unsigned flags;
    if (histogram_add(ev->a, r, a->h, true, &flags) < 0)
        return NULL;
    reconciled(ev, pos, flags, true);
    histogram_mul(r, fraction);
    if (histogram_add(ev->a, r, a->h, false, &flags) < 0)
        return NULL;
    reconciled(ev, pos, flags, false);
    return r;
}

/* correctForCounterResetsHistogram: the sum of the values before each
 * reset strictly inside the range; *ok false when they cannot be added. */
static struct histogram *hist_correction(struct fn_args *fa, const struct series *s, size_t first, size_t last,
                                         const struct histogram *left, const struct histogram *right,
                                         int64_t start, bool smoothed, bool *ok)
{
    const struct sample *p = s->pts;
    const struct ast_node *pos = fa->call->u.call.args[0];
    size_t i = first + 1;
    const struct histogram *prev = left;
    *ok = true;
    if (smoothed && p[first].t_ms < start && histogram_detect_reset(p[first + 1].h, p[first].h)) {
        /* The left interpolation spanned that reset already. */
        prev = p[first + 1].h;
        i++;
    }
    /* right stands for p[last] (or inherits its hint), so p[last] is not
     * compared itself. */
    if (i > last)
        return NULL;
    struct histogram *corr = NULL;
    for (;; i++) {
        const struct histogram *cur = i < last ? p[i].h : right;
        if (histogram_detect_reset(cur, prev)) {
            unsigned flags = 0;
            if (!corr)
                corr = histogram_copy(fa->ev->a, prev);
            else if (histogram_add(fa->ev->a, corr, prev, false, &flags) < 0) {
                warn_series(fa->ev, pos, W_MIXED_SCHEMA, s->ls);
                *ok = false;
                return NULL;
            }
            reconciled(fa->ev, pos, flags, false);
        }
        if (i >= last)
            break;
        prev = p[i].h;
    }
    return corr;
}

struct histogram *fn_ext_hist_rate(struct fn_args *fa, const struct series *s, bool counter, bool rate)
{
    if (s->n == 0)
        return NULL;
    struct ev *ev = fa->ev;
    const struct ast_node *pos = fa->call->u.call.args[0];
    const struct sample *p = s->pts;
    int64_t start = fa->ref_ms - fa->range_ms, end = fa->ref_ms;
    bool smoothed = fa->ext == AST_EXT_SMOOTHED;
    size_t first, last;
    if (!boundaries(p, s->n, start, end, smoothed, true, &first, &last))
        return NULL;
    bool custom = histogram_is_custom(p[first].h);
    for (size_t i = first; i <= last; i++) {
        if (histogram_is_custom(p[i].h) != custom) {
            warn_series(ev, pos, W_MIXED_SCHEMA, s->ls);
            return NULL;
        }
        if (counter && p[i].h->hint == HISTOGRAM_HINT_GAUGE)
            warn_series(ev, pos, W_NOT_COUNTER, s->ls);
    }
    struct histogram *left, *right;
    if (smoothed && p[first].t_ms < start)
        left = interpolate_hist(ev, pos, &p[first], &p[first + 1], start, counter);
    else
        left = histogram_copy(ev->a, p[first].h);
    if (!left) {
        warn_series(ev, pos, W_MIXED_SCHEMA, s->ls);
        return NULL;
    }
    if (smoothed && last > 0 && p[last].t_ms > end)
        right = interpolate_hist(ev, pos, &p[last - 1], &p[last], end, counter);
    else
        right = histogram_copy(ev->a, p[last].h);
    if (!right) {
        warn_series(ev, pos, W_MIXED_SCHEMA, s->ls);
        return NULL;
    }
    if (!counter && (left->hint != HISTOGRAM_HINT_GAUGE || right->hint != HISTOGRAM_HINT_GAUGE))
        warn_series(ev, pos, W_NOT_GAUGE, s->ls);
    struct histogram *res = histogram_copy(ev->a, right);
    unsigned flags;
    if (histogram_add(ev->a, res, left, true, &flags) < 0) {
        warn_series(ev, pos, W_MIXED_SCHEMA, s->ls);
        return NULL;
    }
    reconciled(ev, pos, flags, true);
    if (counter) {
        bool ok;
        struct histogram *corr = hist_correction(fa, s, first, last, left, right, start, smoothed, &ok);
        if (!ok)
            return NULL;
        if (corr) {
            if (histogram_add(ev->a, res, corr, false, &flags) < 0) {
                warn_series(ev, pos, W_MIXED_SCHEMA, s->ls);
                return NULL;
            }
            reconciled(ev, pos, flags, false);
        }
    }
    if (rate)
        histogram_div(res, (double)fa->range_ms / 1000);
    res->hint = HISTOGRAM_HINT_GAUGE;
    return res;
}

/* ---- smoothed instant lookups ---- */

size_t fn_ext_skip_stale(const struct sample *pts, size_t j)
{
    while (j > 0 && !pts[j - 1].h && value_is_stale_nan(pts[j - 1].v))
        j--;
    return j;
}

bool fn_ext_smooth(struct ev *ev, const struct ast_node *pos, const struct sample *pts, size_t n,
                   size_t prev, int64_t ref, struct vsample *out)
{
    const struct sample *a = &pts[prev], *b = NULL;
    bool hist = false, flt = false;
    for (size_t i = prev + 1; i-- > 0 && pts[i].t_ms > ref - ev->lookback_ms;) {
        if (!pts[i].h && value_is_stale_nan(pts[i].v))
            continue;
        hist |= pts[i].h != NULL;
        flt |= pts[i].h == NULL;
    }
    for (size_t i = prev + 1; i < n && pts[i].t_ms <= ref + ev->lookback_ms; i++) {
        if (!pts[i].h && value_is_stale_nan(pts[i].v))
            continue;
        if (!b)
            b = &pts[i];
        hist |= pts[i].h != NULL;
        flt |= pts[i].h == NULL;
    }
    if (hist && flt) {
        warn_series(ev, pos, W_MIXED, out->ls);
        return false;
    }
    out->h = a->h;
    out->v = a->v;
    if (a->t_ms == ref)
        return true;
    if (!b) {
        /* No later sample: carry the value forward. A histogram's hint
         * described its relation to the sample before, not its value. */
        if (a->h && a->h->hint != HISTOGRAM_HINT_UNKNOWN) {
            struct histogram *h = histogram_copy(ev->a, a->h);
            h->hint = HISTOGRAM_HINT_UNKNOWN;
            out->h = h;
        }
        return true;
    }
    if (!a->h) {
        out->v = interpolate(a, b, ref, false);
        return true;
    }
    if (histogram_is_custom(a->h) != histogram_is_custom(b->h)) {
        warn_series(ev, pos, W_MIXED_SCHEMA, out->ls);
        return false;
    }
    bool counter = a->h->hint != HISTOGRAM_HINT_GAUGE || b->h->hint != HISTOGRAM_HINT_GAUGE;
    struct histogram *h = interpolate_hist(ev, pos, a, b, ref, counter);
    if (!h) {
        warn_series(ev, pos, W_MIXED_SCHEMA, out->ls);
        return false;
    }
    out->h = h;
    return true;
}

/* ---- range vectors ---- */

int fn_ext_matrix(struct ev *ev, const struct ast_node *ms, int64_t ref, struct value *v)
{
    enum ast_ext ext = ms->u.ms.vs->u.vs.ext;
    bool smoothed = ext == AST_EXT_SMOOTHED;
    int64_t start = ref - ms->u.ms.range_ms, end = ref;
    struct matrix *m = &v->u.mat;
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        struct series s = m->s[i];
        if (s.has_hist)
            return ev_fail(ev, EVAL_ERR_EXECUTION, "%s modifier is not supported with histograms",
                           smoothed ? "smoothed" : "anchored");
        const struct sample *p = s.pts;
        size_t first, last;
        if (s.n == 0 || !boundaries(p, s.n, start, end, smoothed, false, &first, &last))
            continue;
        double left = smoothed && p[first].t_ms < start ? interpolate(&p[first], &p[first + 1], start, false)
                                                        : p[first].v;
        double right = smoothed && last > 0 && p[last].t_ms > end
                           ? interpolate(&p[last - 1], &p[last], end, false)
                           : p[last].v;
        size_t from = p[first].t_ms <= start ? first + 1 : first;
        size_t to = p[last].t_ms >= end ? last : last + 1; /* exclusive */
        size_t inner = to > from ? to - from : 0;
        struct sample *out = ARENA_NEWN(ev->a, struct sample, inner + 2);
        out[0] = (struct sample){.t_ms = start, .v = left};
        for (size_t j = 0; j < inner; j++)
            out[1 + j] = p[from + j];
        out[inner + 1] = (struct sample){.t_ms = end, .v = right};
        s.pts = out;
        s.n = inner + 2;
        m->s[k++] = s;
    }
    m->n = k;
    return 0;
}
