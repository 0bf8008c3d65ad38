/* fn_nhist: the functions of native histograms (histogram_count, _sum,
 * _avg, _stddev, _stdvar, the native side of histogram_quantile and
 * histogram_fraction) and the range functions that return whole samples
 * (last_over_time, first_over_time), following Prometheus's functions.go
 * and quantile.go. */
#include <math.h>
#include <string.h>

#include "base/arena.h"
#include "eval/fn.h"
#include "eval/fn_extended.h"
#include "eval/fn_matrix.h"
#include "eval/histogram.h"

/* One bucket in the order of Prometheus's AllBucketIterator. */
struct nh_bucket {
    double lo, hi, count;
};

/* Negative buckets from the lowest value up, the zero bucket (when
 * populated), then the positive buckets; bounds clipped at the zero bucket. */
static size_t nh_buckets(struct arena *a, const struct histogram *h, struct nh_bucket **out)
{
    struct nh_bucket *b = ARENA_NEWN(a, struct nh_bucket, h->npos + h->nneg + 1);
    size_t n = 0;
    double zt = h->zero_threshold;
    for (uint32_t i = h->nneg; i-- > 0;) {
        histogram_bucket_bounds(h, false, i, &b[n].lo, &b[n].hi);
        if (b[n].hi < 0 && b[n].hi > -zt)
            b[n].hi = -zt;
        b[n].count = h->neg[i];
        n++;
    }
    if (h->zero_count > 0)
        b[n++] = (struct nh_bucket){-zt, zt, h->zero_count};
    for (uint32_t i = 0; i < h->npos; i++) {
        histogram_bucket_bounds(h, true, i, &b[n].lo, &b[n].hi);
        if (b[n].lo > 0 && b[n].lo < zt)
            b[n].lo = zt;
        b[n].count = h->pos[i];
        n++;
    }
    *out = b;
    return n;
}

static bool has_buckets(const double *v, uint32_t n)
{
    return n > 0 && v != NULL;
}

static const char *metric_name(const struct labels *ls)
{
    const char *n = labels_get(ls, LABELS_METRIC_NAME);
    return n ? n : "";
}

/* HistogramQuantile for one native histogram. */
static double nh_quantile(struct ev *ev, double q, const struct histogram *h, const struct labels *ls,
                          const struct ast_node *pos)
{
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    if (h->count == 0 || isnan(q))
        return NAN;
    struct nh_bucket *b;
    size_t n = nh_buckets(ev->a, h, &b);
    bool fwd = isnan(h->sum) || q < 0.5;
    double rank = fwd ? q * h->count : (1 - q) * h->count, count = 0;
    struct nh_bucket bk = {0, 0, 0};
    size_t k = 0;
    for (; k < n; k++) {
        bk = b[fwd ? k : n - 1 - k];
        if (bk.count == 0)
            continue;
        count += bk.count;
        if (count >= rank)
            break;
    }
    if (!histogram_is_custom(h) && bk.lo < 0 && bk.hi > 0) {
        if (!has_buckets(h->neg, h->nneg) && has_buckets(h->pos, h->npos))
            bk.lo = 0;
        else if (!has_buckets(h->pos, h->npos) && has_buckets(h->neg, h->nneg))
            bk.hi = 0;
    } else if (histogram_is_custom(h)) {
        if (bk.lo == -INFINITY) {
            if (bk.hi <= 0)
                return bk.hi;
            bk.lo = 0;
        } else if (bk.hi == INFINITY) {
            return bk.lo;
        }
    }
    if (count > h->count)
        count = h->count;
    if (count < rank) {
        if (isnan(h->sum)) {
            ev_info(ev, pos, "input to histogram_quantile has NaN observations, result is NaN for metric name \"%s\"",
                    metric_name(ls));
            return NAN;
        }
        return bk.hi;
    }
    if (fwd)
        rank -= count - bk.count;
    else
        rank = count - rank;
    if (isnan(h->sum)) {
        for (k++; k < n; k++)
            count += b[k].count;
        if (count < h->count)
            ev_info(ev, pos, "input to histogram_quantile has NaN observations, result is skewed higher for metric name \"%s\"",
                    metric_name(ls));
    }
    double fraction = rank / bk.count;
    if (histogram_is_custom(h) || (bk.lo <= 0 && bk.hi >= 0))
        return bk.lo + (bk.hi - bk.lo) * fraction;
    double ll = log2(fabs(bk.lo)), lu = log2(fabs(bk.hi));
    if (bk.lo > 0)
        return exp2(ll + (lu - ll) * fraction);
    return -exp2(lu + (ll - lu) * (1 - fraction));
}

/* HistogramFraction for one native histogram. */
static double nh_fraction(struct ev *ev, double lower, double upper, const struct histogram *h,
                          const struct labels *ls, const struct ast_node *pos)
{
    if (h->count == 0 || isnan(lower) || isnan(upper))
        return NAN;
    if (lower >= upper)
        return 0;
    struct nh_bucket *b;
    size_t n = nh_buckets(ev->a, h, &b);
    double count = 0, rank = 0, lr = 0, ur = 0;
    bool ls_set = false, us_set = false;
    size_t k = 0;
    for (; k < n; k++) {
        struct nh_bucket bk = b[k];
        count += bk.count;
        bool zero = false;
        if (bk.lo <= 0 && bk.hi >= 0) {
            zero = true;
            if (!has_buckets(h->neg, h->nneg) && has_buckets(h->pos, h->npos))
                bk.lo = 0;
            else if (!has_buckets(h->pos, h->npos) && has_buckets(h->neg, h->nneg))
                bk.hi = 0;
        }
        bool linear = histogram_is_custom(h) || zero;
        if (!ls_set && bk.lo >= lower) {
            lr = rank;
            ls_set = true;
        }
        if (!us_set && bk.lo >= upper) {
            ur = rank;
            us_set = true;
        }
        if (ls_set && us_set)
            break;
        if (!ls_set && bk.lo < lower && bk.hi > lower) {
            lr = linear && bk.lo == -INFINITY ? bk.count : rank + bk.count * histogram_fraction_below(bk.lo, bk.hi, lower, linear);
            ls_set = true;
        }
        if (!us_set && bk.lo < upper && bk.hi > upper) {
            ur = linear && bk.lo == -INFINITY ? bk.count : rank + bk.count * histogram_fraction_below(bk.lo, bk.hi, upper, linear);
            us_set = true;
        }
        if (ls_set && us_set)
            break;
        rank += bk.count;
    }
    if (isnan(h->sum)) {
        for (k++; k < n; k++)
            count += b[k].count;
        if (count < h->count)
            ev_info(ev, pos, "input to histogram_fraction has NaN observations, which are excluded from all fractions for metric name \"%s\"",
                    metric_name(ls));
    } else {
        count = h->count;
    }
    if (!ls_set || lr > count)
        lr = count;
    if (!us_set || ur > count)
        ur = count;
    return (ur - lr) / h->count;
}

static double nh_variance(struct ev *ev, const struct histogram *h)
{
    double mean = h->sum / h->count, var = 0, c = 0;
    struct nh_bucket *b;
    size_t n = nh_buckets(ev->a, h, &b);
    for (size_t i = 0; i < n; i++) {
        if (b[i].count == 0)
            continue;
        double val;
        if (histogram_is_custom(h))
            val = (b[i].hi + b[i].lo) / 2;
        else if (b[i].lo <= 0 && b[i].hi >= 0)
            val = 0;
        else
            val = b[i].hi < 0 ? -sqrt(b[i].hi * b[i].lo) : sqrt(b[i].hi * b[i].lo);
        double d = val - mean;
        fn_kahan_inc(b[i].count * d * d, &var, &c);
    }
    return (var + c) / h->count;
}

int fn_nhist_simple(struct fn_args *fa, struct value *out)
{
    const struct vector *in = &fa->args[0].u.vec;
    enum fn_id id = fa->call->u.call.fn->id;
    struct vector v = fn_out_vec(fa, in->n);
    for (size_t i = 0; i < in->n; i++) {
        const struct histogram *h = in->s[i].h;
        if (!h)
            continue;
        struct vsample *s = &v.s[v.n++];
        *s = in->s[i];
        s->h = NULL;
        s->t_ms = fa->t;
        switch (id) {
        case FN_HISTOGRAM_COUNT: s->v = h->count; break;
        case FN_HISTOGRAM_SUM: s->v = h->sum; break;
        case FN_HISTOGRAM_AVG: s->v = h->sum / h->count; break;
        case FN_HISTOGRAM_STDVAR: s->v = nh_variance(fa->ev, h); break;
        default: s->v = sqrt(nh_variance(fa->ev, h)); break;
        }
        ev_drop_name(fa->ev, s);
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

/* Splits a vector into its float samples (kept in *in) and appends to v the
 * native result of each histogram sample. */
static struct vector split_native(struct fn_args *fa, struct value *arg)
{
    struct vector *in = &arg->u.vec;
    struct vector floats = fn_out_vec(fa, in->n);
    struct vector hs = fn_out_vec(fa, in->n);
    for (size_t i = 0; i < in->n; i++) {
        if (in->s[i].h)
            hs.s[hs.n++] = in->s[i];
        else
            floats.s[floats.n++] = in->s[i];
    }
    *in = floats;
    return hs;
}

static void append_results(struct fn_args *fa, struct value *out, struct vector *hs)
{
    struct vector r = fn_out_vec(fa, out->u.vec.n + hs->n);
    memcpy(r.s, out->u.vec.s, out->u.vec.n * sizeof *r.s);
    r.n = out->u.vec.n;
    for (size_t i = 0; i < hs->n; i++)
        r.s[r.n++] = hs->s[i];
    out->u.vec = r;
}

/* A group holding both bucket series and a native histogram yields nothing,
 * with a warning: drops both kinds of input of such groups (classic from
 * *classic, native from *hs). */
static void drop_mixed(struct fn_args *fa, struct vector *classic, struct vector *hs,
                       const struct ast_node *pos)
{
    struct ev *ev = fa->ev;
    if (!hs->n || !classic->n)
        return;
    const struct labels **ckey = ARENA_NEWN(ev->a, const struct labels *, classic->n);
    bool *cdrop = ARENA_NEWN(ev->a, bool, classic->n);
    for (size_t j = 0; j < classic->n; j++) {
        labels_builder_reset(&ev->lb, classic->s[j].ls);
        labels_builder_del(&ev->lb, "le");
        ckey[j] = ev_without_name(ev, labels_builder_finish(&ev->lb, &ev->lt));
    }
    size_t k = 0;
    for (size_t i = 0; i < hs->n; i++) {
        const struct labels *a = ev_without_name(ev, hs->s[i].ls);
        bool mixed = false;
        for (size_t j = 0; j < classic->n; j++)
            if (ckey[j] == a)
                mixed = cdrop[j] = true;
        if (!mixed) {
            hs->s[k++] = hs->s[i];
            continue;
        }
        const char *name = labels_get(hs->s[i].ls, LABELS_METRIC_NAME);
        ev_warn(ev, pos, "vector contains a mix of classic and native histograms for metric name \"%s\"",
                name ? name : "");
    }
    hs->n = k;
    size_t m = 0;
    for (size_t j = 0; j < classic->n; j++)
        if (!cdrop[j])
            classic->s[m++] = classic->s[j];
    classic->n = m;
}

int fn_nhist_quantile(struct fn_args *fa, struct value *out)
{
    double q = fa->args[0].u.scalar.v;
    const struct ast_node *pos = fa->call->u.call.args[1];
    struct vector hs = split_native(fa, &fa->args[1]);
    drop_mixed(fa, &fa->args[1].u.vec, &hs, pos);
    if (fn_histogram_quantile(fa, out) < 0)
        return -1;
    for (size_t i = 0; i < hs.n; i++) {
        struct vsample *s = &hs.s[i];
        s->v = nh_quantile(fa->ev, q, s->h, s->ls, pos);
        s->h = NULL;
        s->t_ms = fa->t;
        ev_drop_name(fa->ev, s);
    }
    append_results(fa, out, &hs);
    return 0;
}

int fn_nhist_fraction(struct fn_args *fa, struct value *out)
{
    double lo = fa->args[0].u.scalar.v, hi = fa->args[1].u.scalar.v;
    const struct ast_node *pos = fa->call->u.call.args[2];
    struct vector hs = split_native(fa, &fa->args[2]);
    drop_mixed(fa, &fa->args[2].u.vec, &hs, pos);
    if (fn_histogram_fraction(fa, out) < 0)
        return -1;
    for (size_t i = 0; i < hs.n; i++) {
        struct vsample *s = &hs.s[i];
        s->v = nh_fraction(fa->ev, lo, hi, s->h, s->ls, pos);
        s->h = NULL;
        s->t_ms = fa->t;
        ev_drop_name(fa->ev, s);
    }
    append_results(fa, out, &hs);
    return 0;
}

/* histogram_quantiles(v, label, q...): one output per quantile, labelled. */
int fn_nhist_quantiles(struct fn_args *fa, struct value *out)
{
    struct ev *ev = fa->ev;
    const struct ast_node *pos = fa->call->u.call.args[0];
    struct vector hs = split_native(fa, &fa->args[0]);
    drop_mixed(fa, &fa->args[0].u.vec, &hs, pos);
    if (fn_histogram_quantiles(fa, out) < 0)
        return -1;
    const char *label = fa->args[1].u.str;
    size_t nq = fa->nargs - 2;
    struct vector r = fn_out_vec(fa, out->u.vec.n + hs.n * nq);
    memcpy(r.s, out->u.vec.s, out->u.vec.n * sizeof *r.s);
    r.n = out->u.vec.n;
    for (size_t k = 0; k < nq; k++) {
        double q = fa->args[k + 2].u.scalar.v;
        const char *qs = ev_format_float(ev, q);
        if (isfinite(q) && q == floor(q) && !strchr(qs, '.'))
            qs = arena_printf(ev->keep, "%s.0", qs); /* FormatOpenMetricsFloat */
        for (size_t i = 0; i < hs.n; i++) {
            struct vsample *s = &r.s[r.n++];
            *s = hs.s[i];
            s->v = nh_quantile(ev, q, hs.s[i].h, hs.s[i].ls, pos);
            s->h = NULL;
            s->t_ms = fa->t;
            labels_builder_reset(&ev->lb, hs.s[i].ls);
            labels_builder_set(&ev->lb, label, qs);
            s->ls = labels_builder_finish(&ev->lb, &ev->lt);
            ev_drop_name(ev, s);
        }
    }
    out->type = VALUE_VECTOR;
    out->u.vec = r;
    return 0;
}

/* last_over_time/first_over_time: the last (first) sample, float or histogram. */
int fn_nhist_edge_over_time(struct fn_args *fa, struct value *out)
{
    const struct matrix *m = &fa->args[0].u.mat;
    bool last = fa->call->u.call.fn->id == FN_LAST_OVER_TIME;
    struct vector v = fn_out_vec(fa, m->n);
    for (size_t i = 0; i < m->n; i++) {
        const struct series *se = &m->s[i];
        if (!se->n)
            continue;
        const struct sample *p = &se->pts[last ? se->n - 1 : 0];
        struct vsample *s = &v.s[v.n++];
        s->ls = se->ls;
        s->v = p->v;
        s->h = p->h;
        s->t_ms = fa->t;
        s->prov = se->prov;
        s->drop_name = se->drop_name;
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

/* ---- rate, increase, delta, irate, idelta, resets, changes ---- */

enum { W_MIXED, W_NOT_COUNTER, W_NOT_GAUGE, W_MIXED_SCHEMA };

static void series_warn(struct fn_args *fa, int kind, const struct series *se)
{
    const char *name = labels_get(se->ls, LABELS_METRIC_NAME);
    const struct ast_node *pos = fa->call->u.call.args[0];
    if (!name)
        name = "";
    switch (kind) {
    case W_MIXED:
        ev_warn(fa->ev, pos, "encountered a mix of histograms and floats for metric name \"%s\"", name);
        break;
    case W_NOT_COUNTER:
        ev_warn(fa->ev, pos, "this native histogram metric is not a counter: \"%s\"", name);
        break;
    case W_NOT_GAUGE:
        ev_warn(fa->ev, pos, "this native histogram metric is not a gauge: \"%s\"", name);
        break;
    default:
        ev_warn(fa->ev, pos, "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"%s\"",
                name);
        break;
    }
}

static void reconciled_info(struct fn_args *fa, unsigned flags, bool sub)
{
    if (flags & HISTOGRAM_OP_RECONCILED)
        ev_info(fa->ev, fa->call->u.call.args[0], "mismatched custom buckets were reconciled during %s",
                sub ? "subtraction" : "addition");
}

/* histogramRate: last - first, plus each value before a counter reset. */
static struct histogram *hist_rate(struct fn_args *fa, const struct series *se, bool counter)
{
    struct ev *ev = fa->ev;
    const struct sample *p = se->pts;
    size_t n = se->n;
    const struct histogram *prev = p[0].h, *last = p[n - 1].h;
    bool custom = histogram_is_custom(prev);
    if (counter && (prev->hint == HISTOGRAM_HINT_GAUGE || last->hint == HISTOGRAM_HINT_GAUGE))
        series_warn(fa, W_NOT_COUNTER, se);
    if (counter && histogram_detect_reset(p[1].h, prev)) {
        struct histogram *z = histogram_new(ev->a);
        z->schema = p[1].h->schema;
        z->custom = p[1].h->custom;
        z->ncustom = p[1].h->ncustom;
        prev = z;
        custom = histogram_is_custom(z);
    }
    if (histogram_is_custom(last) != custom) {
        series_warn(fa, W_MIXED_SCHEMA, se);
        return NULL;
    }
    int32_t min_schema = last->schema < prev->schema ? last->schema : prev->schema;
    for (size_t i = 1; i + 1 < n; i++) {
        if (!counter)
            continue;
        if (p[i].h->hint == HISTOGRAM_HINT_GAUGE)
            series_warn(fa, W_NOT_COUNTER, se);
        if (p[i].h->schema < min_schema)
            min_schema = p[i].h->schema;
        if (histogram_is_custom(p[i].h) != custom) {
            series_warn(fa, W_MIXED_SCHEMA, se);
            return NULL;
        }
    }
    struct histogram *h = histogram_copy(ev->a, last);
    histogram_reduce(ev->a, h, min_schema);
    unsigned flags;
    if (histogram_add(ev->a, h, prev, true, &flags) < 0) {
        series_warn(fa, W_MIXED_SCHEMA, se);
        return NULL;
    }
    reconciled_info(fa, flags, true);
    if (counter) {
        for (size_t i = 1; i < n; i++) {
            if (histogram_detect_reset(p[i].h, prev)) {
                if (histogram_add(ev->a, h, prev, false, &flags) < 0) {
                    series_warn(fa, W_MIXED_SCHEMA, se);
                    return NULL;
                }
                reconciled_info(fa, flags, false);
            }
            prev = p[i].h;
        }
    } else if (p[0].h->hint != HISTOGRAM_HINT_GAUGE || p[n - 1].h->hint != HISTOGRAM_HINT_GAUGE) {
        series_warn(fa, W_NOT_GAUGE, se);
    }
    h->hint = HISTOGRAM_HINT_GAUGE;
    return h;
}

/* extrapolatedRate over a series of histograms only. */
static struct histogram *hist_extrapolated(struct fn_args *fa, const struct series *se, bool counter,
                                           bool rate)
{
    if (se->n < 2)
        return NULL;
    struct histogram *h = hist_rate(fa, se, counter);
    if (!h)
        return NULL;
    const struct sample *p = se->pts;
    size_t n = se->n;
    int64_t range_start = fa->ref_ms - fa->range_ms, range_end = fa->ref_ms;
    double to_start = (double)(p[0].t_ms - range_start) / 1000;
    double to_end = (double)(range_end - p[n - 1].t_ms) / 1000;
    double sampled = (double)(p[n - 1].t_ms - p[0].t_ms) / 1000;
    double avg = sampled / (double)(n - 1), threshold = avg * 1.1;
    if (to_start >= threshold)
        to_start = avg / 2;
    if (counter) {
        double to_zero = to_start;
        if (h->count > 0 && p[0].h->count >= 0)
            to_zero = sampled * (p[0].h->count / h->count);
        if (to_zero < to_start)
            to_start = to_zero;
    }
    if (to_end >= threshold)
        to_end = avg / 2;
    double factor = 1;
    if (sampled != 0)
        factor = (sampled + to_start + to_end) / sampled;
    if (rate)
        factor /= (double)fa->range_ms / 1000;
    histogram_mul(h, factor);
    return h;
}

/* instantValue over the last two samples when a histogram is among them. */
static bool hist_instant(struct fn_args *fa, const struct series *se, bool rate, double *v,
                         const struct histogram **out)
{
    const struct sample *a = &se->pts[se->n - 2], *b = &se->pts[se->n - 1];
    int64_t dt = b->t_ms - a->t_ms;
    if (dt == 0)
        return false;
    if (!a->h || !b->h) {
        series_warn(fa, W_MIXED, se);
        return false;
    }
    struct histogram *h = histogram_copy(fa->ev->a, b->h);
    if (rate && (a->h->hint == HISTOGRAM_HINT_GAUGE || b->h->hint == HISTOGRAM_HINT_GAUGE))
        series_warn(fa, W_NOT_COUNTER, se);
    if (!rate && (a->h->hint != HISTOGRAM_HINT_GAUGE || b->h->hint != HISTOGRAM_HINT_GAUGE))
        series_warn(fa, W_NOT_GAUGE, se);
    if (!rate || !histogram_detect_reset(b->h, a->h)) {
        unsigned flags;
        if (histogram_add(fa->ev->a, h, a->h, true, &flags) < 0) {
            series_warn(fa, W_MIXED_SCHEMA, se);
            return false;
        }
        reconciled_info(fa, flags, true);
    }
    h->hint = HISTOGRAM_HINT_GAUGE;
    if (rate)
        histogram_div(h, (double)dt / 1000);
    *v = 0;
    *out = h;
    return true;
}

/* resets/changes over a series holding histograms (and maybe floats). */
static double hist_resets_changes(const struct series *se, bool resets)
{
    double r = 0;
    for (size_t i = 1; i < se->n; i++) {
        const struct sample *a = &se->pts[i - 1], *b = &se->pts[i];
        if (!a->h && !b->h) {
            if (resets)
                r += b->v < a->v;
            else
                r += b->v != a->v && !(isnan(a->v) && isnan(b->v));
        } else if (!a->h || !b->h) {
            r++;
        } else if (resets) {
            r += histogram_detect_reset(b->h, a->h);
        } else {
            r += !histogram_equal(b->h, a->h);
        }
    }
    return r;
}

/* Leaves in *m only the series without histograms (for the float
 * function), puts the others in *hs (*nh of them), and returns the whole
 * matrix for the caller to restore. */
static struct matrix split_histograms(struct fn_args *fa, struct matrix *m, struct series **hs, size_t *nh)
{
    struct matrix all = *m;
    size_t n = 0, nf = 0;
    for (size_t i = 0; i < m->n; i++)
        n += m->s[i].has_hist;
    *hs = NULL;
    *nh = n;
    if (!n)
        return all;
    struct series *fl = ARENA_NEWN(fa->ev->a, struct series, m->n + 1);
    *hs = ARENA_NEWN(fa->ev->a, struct series, n);
    n = 0;
    for (size_t i = 0; i < all.n; i++) {
        if (all.s[i].has_hist)
            (*hs)[n++] = all.s[i];
        else
            fl[nf++] = all.s[i];
    }
    m->s = fl;
    m->n = nf;
    return all;
}

/* The float function's result vector with room for nh more samples. */
static struct vector with_room(struct fn_args *fa, const struct value *out, size_t nh)
{
    struct vector v = fn_out_vec(fa, out->u.vec.n + nh);
    memcpy(v.s, out->u.vec.s, out->u.vec.n * sizeof *v.s);
    v.n = out->u.vec.n;
    return v;
}

int fn_nhist_rate_family(struct fn_args *fa, struct value *out)
{
    enum fn_id id = fa->call->u.call.fn->id;
    struct matrix *m = &fa->args[0].u.mat;
    struct series *hs;
    size_t nh;
    struct matrix all = split_histograms(fa, m, &hs, &nh);
    int rc;
    switch (id) {
    case FN_RATE: rc = fn_rate(fa, out); break;
    case FN_INCREASE: rc = fn_increase(fa, out); break;
    case FN_DELTA: rc = fn_delta(fa, out); break;
    case FN_IRATE: rc = fn_irate(fa, out); break;
    case FN_IDELTA: rc = fn_idelta(fa, out); break;
    case FN_RESETS: rc = fn_resets(fa, out); break;
    default: rc = fn_changes(fa, out); break;
    }
    *m = all;
    if (rc < 0 || nh == 0)
        return rc;
    struct vector v = with_room(fa, out, nh);
    for (size_t i = 0; i < nh; i++) {
        const struct series *se = &hs[i];
        double val = 0;
        const struct histogram *h = NULL;
        bool ok;
        if (id == FN_RESETS || id == FN_CHANGES) {
            val = hist_resets_changes(se, id == FN_RESETS);
            ok = true;
        } else if (id == FN_IRATE || id == FN_IDELTA) {
            ok = se->n >= 2 && hist_instant(fa, se, id == FN_IRATE, &val, &h);
        } else {
            bool mixed = false;
            for (size_t j = 0; j < se->n && !mixed; j++)
                mixed = se->pts[j].h == NULL;
            if (mixed) {
                series_warn(fa, W_MIXED, se);
                ok = false;
            } else {
                h = fa->ext != AST_EXT_NONE ? fn_ext_hist_rate(fa, se, id != FN_DELTA, id == FN_RATE)
                                            : hist_extrapolated(fa, se, id != FN_DELTA, id == FN_RATE);
                ok = h != NULL;
            }
        }
        if (!ok)
            continue;
        struct vsample *s = &v.s[v.n++];
        s->ls = se->ls;
        s->v = val;
        s->h = h;
        s->t_ms = fa->t;
        s->prov = se->prov;
        s->drop_name = se->drop_name;
        ev_drop_name(fa->ev, s);
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

/* sum_over_time/avg_over_time: floats as before; a series of histograms
 * sums them; a series mixing both yields nothing with a warning. */
int fn_nhist_sum_avg_over_time(struct fn_args *fa, struct value *out)
{
    bool avg = fa->call->u.call.fn->id == FN_AVG_OVER_TIME;
    struct matrix *m = &fa->args[0].u.mat;
    struct series *hs;
    size_t nh;
    struct matrix all = split_histograms(fa, m, &hs, &nh);
    int rc = avg ? fn_avg_over_time(fa, out) : fn_sum_over_time(fa, out);
    *m = all;
    if (rc < 0 || nh == 0)
        return rc;
    struct vector v = with_room(fa, out, nh);
    for (size_t i = 0; i < nh; i++) {
        const struct series *se = &hs[i];
        bool mixed = false;
        for (size_t j = 0; j < se->n && !mixed; j++)
            mixed = se->pts[j].h == NULL;
        if (mixed) {
            series_warn(fa, W_MIXED, se);
            continue;
        }
        struct histogram *h = histogram_copy(fa->ev->a, se->pts[0].h);
        struct histogram_comp c = {0, 0};
        struct histogram_mean mean = {0};
        bool bad = false;
        unsigned flags0;
        if (avg)
            histogram_mean_add(fa->ev->a, &mean, se->pts[0].h, &flags0);
        for (size_t j = 1; j < se->n && !bad; j++) {
            unsigned flags;
            int rc = avg ? histogram_mean_add(fa->ev->a, &mean, se->pts[j].h, &flags)
                         : histogram_add_kahan(fa->ev->a, h, se->pts[j].h, &c, &flags);
            if (rc < 0) {
                series_warn(fa, W_MIXED_SCHEMA, se);
                bad = true;
            } else if (flags & HISTOGRAM_OP_RECONCILED) {
                ev_info(fa->ev, fa->call->u.call.args[0],
                        "mismatched custom buckets were reconciled during aggregation");
            }
        }
        if (bad)
            continue;
        bool reset_seen = false, not_reset_seen = false;
        for (size_t j = 0; j < se->n; j++) {
            reset_seen |= se->pts[j].h->hint == HISTOGRAM_HINT_RESET;
            not_reset_seen |= se->pts[j].h->hint == HISTOGRAM_HINT_NOT_RESET;
        }
        if (reset_seen && not_reset_seen)
            ev_warn(fa->ev, fa->call->u.call.args[0],
                    "conflicting counter resets during histogram aggregation");
        if (avg)
            h = histogram_mean_finish(&mean);
        else
            histogram_kahan_finish(h, &c);
        struct vsample *s = &v.s[v.n++];
        s->ls = se->ls;
        s->v = 0;
        s->h = h;
        s->t_ms = fa->t;
        s->prov = se->prov;
        s->drop_name = se->drop_name;
        ev_drop_name(fa->ev, s);
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}
