/* fn_histogram: histogram_quantile and histogram_fraction over classic
 * histograms (series with an `le` label), as Prometheus's BucketQuantile and
 * BucketFraction, with the bad-bucket-label and forced-monotonicity
 * annotations. Native histogram samples are handled in fn_nhist.c, which
 * passes the float (bucket series) part of the input on to these. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "eval/fn.h"

struct bucket {
    double ub;    /* upper bound */
    double count; /* cumulative count */
};

struct hgroup {
    const struct labels *key;  /* labels without le (name kept) */
    const struct labels *out;  /* output labels */
    struct bucket *b;
    size_t n, cap;
    struct prov_acc prov;      /* union of the buckets, while grouping */
    const struct prov *merged; /* that union, once grouped */
};

static int cmp_bucket(const void *a, const void *b)
{
    const struct bucket *x = a, *y = b;
    return x->ub < y->ub ? -1 : x->ub > y->ub;
}

static size_t coalesce(struct bucket *b, size_t n)
{
    size_t i = 0;
    struct bucket last = b[0];
    for (size_t j = 1; j < n; j++) {
        if (b[j].ub == last.ub) {
            last.count += b[j].count;
        } else {
            b[i++] = last;
            last = b[j];
        }
    }
    b[i++] = last;
    return i;
}

static bool almost_equal(double a, double b, double eps)
{
    if (isnan(a) && isnan(b))
        return true;
    if (a == b)
        return true;
    double abs_sum = fabs(a) + fabs(b), diff = fabs(a - b);
    const double min_normal = 2.2250738585072014e-308;
    if (a == 0 || b == 0 || abs_sum < min_normal)
        return diff < eps * min_normal;
    return diff / fmin(abs_sum, 1.7976931348623157e308) < eps;
}

struct mono {
    bool forced;
    double min_b, max_b, max_diff;
};

static void ensure_monotonic(struct bucket *b, size_t n, struct mono *m)
{
    m->forced = false;
    m->min_b = INFINITY;
    m->max_b = -INFINITY;
    m->max_diff = 0;
    double prev = b[0].count;
    for (size_t i = 1; i < n; i++) {
        double cur = b[i].count;
        if (cur == prev)
            continue;
        if (almost_equal(prev, cur, 1e-12)) {
            b[i].count = prev;
            continue;
        }
        if (cur < prev) {
            b[i].count = prev;
            m->forced = true;
            if (b[i].ub < m->min_b)
                m->min_b = b[i].ub;
            if (b[i].ub > m->max_b)
                m->max_b = b[i].ub;
            if (prev - cur > m->max_diff)
                m->max_diff = prev - cur;
            continue;
        }
        prev = cur;
    }
}

static double bucket_quantile(double q, struct bucket *b, size_t n, struct mono *m)
{
    m->forced = false;
    if (isnan(q))
        return NAN;
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    qsort(b, n, sizeof *b, cmp_bucket);
    if (!isinf(b[n - 1].ub) || b[n - 1].ub < 0)
        return NAN;
    n = coalesce(b, n);
    ensure_monotonic(b, n, m);
    if (n < 2)
        return NAN;
    double obs = b[n - 1].count;
    if (obs == 0)
        return NAN;
    double rank = q * obs;
    size_t i = 0;
    while (i < n - 1 && !(b[i].count >= rank))
        i++;
    if (i == n - 1)
        return b[n - 2].ub;
    if (i == 0 && b[0].ub <= 0)
        return b[0].ub;
    double start = 0, end = b[i].ub, count = b[i].count;
    if (i > 0) {
        start = b[i - 1].ub;
        count -= b[i - 1].count;
        rank -= b[i - 1].count;
    }
    return start + (end - start) * (rank / count);
}

static double bucket_fraction(double lower, double upper, struct bucket *b, size_t n)
{
    qsort(b, n, sizeof *b, cmp_bucket);
    if (!isinf(b[n - 1].ub) || b[n - 1].ub < 0)
        return NAN;
    n = coalesce(b, n);
    double count = b[n - 1].count;
    if (count == 0 || isnan(lower) || isnan(upper))
        return NAN;
    if (lower >= upper)
        return 0;
    double rank = 0, lower_rank = 0, upper_rank = 0;
    bool lower_set = false, upper_set = false;
    double lb = b[0].ub <= 0 ? -INFINITY : 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            lb = b[i - 1].ub;
        double ub = b[i].ub;
        if (!lower_set && lb >= lower) {
            lower_rank = rank;
            lower_set = true;
        }
        if (!upper_set && lb >= upper) {
            upper_rank = rank;
            upper_set = true;
        }
        if (lower_set && upper_set)
            break;
        if (!lower_set && lb < lower && ub > lower) {
            lower_rank = isinf(lb) && lb < 0 ? b[i].count
                                             : rank + (b[i].count - rank) * (lower - lb) / (ub - lb);
            lower_set = true;
        }
        if (!upper_set && lb < upper && ub > upper) {
            upper_rank = isinf(lb) && lb < 0 ? b[i].count
                                             : rank + (b[i].count - rank) * (upper - lb) / (ub - lb);
            upper_set = true;
        }
        if (lower_set && upper_set)
            break;
        rank = b[i].count;
    }
    if (!lower_set || lower_rank > count)
        lower_rank = count;
    if (!upper_set || upper_rank > count)
        upper_rank = count;
    return (upper_rank - lower_rank) / count;
}

/* Groups the bucket series of vec by their labels without le. */
static size_t group_buckets(struct fn_args *fa, const struct vector *vec,
                            const struct ast_node *argpos, struct hgroup **out)
{
    struct ev *ev = fa->ev;
    struct hgroup *g = ARENA_NEWN(ev->a, struct hgroup, vec->n + 1);
    size_t ng = 0;
    size_t cap = 16;
    while (cap < vec->n * 2)
        cap *= 2;
    const struct labels **keys = ARENA_NEWN(ev->a, const struct labels *, cap);
    size_t *idx = ARENA_NEWN(ev->a, size_t, cap);
    for (size_t i = 0; i < vec->n; i++) {
        const struct vsample *s = &vec->s[i];
        const char *le = labels_get(s->ls, "le");
        char *end = NULL;
        double ub = le ? strtod(le, &end) : 0;
        if (!le || end == le || *end) {
            const char *name = labels_get(s->ls, LABELS_METRIC_NAME);
            if (ev->o->delayed_name_removal && name)
                ev_warn(ev, argpos, "bucket label \"le\" is missing or has a malformed value of \"%s\" for metric name \"%s\"",
                        le ? le : "", name);
            else
                ev_warn(ev, argpos, "bucket label \"le\" is missing or has a malformed value of \"%s\"",
                        le ? le : "");
            continue;
        }
        labels_builder_reset(&ev->lb, s->ls);
        labels_builder_del(&ev->lb, "le");
        const struct labels *key = labels_builder_finish(&ev->lb, &ev->lt);
        size_t j = (size_t)key->hash & (cap - 1);
        while (keys[j] && keys[j] != key)
            j = (j + 1) & (cap - 1);
        struct hgroup *gr;
        if (!keys[j]) {
            keys[j] = key;
            idx[j] = ng;
            gr = &g[ng++];
            gr->key = gr->out = key;
        } else {
            gr = &g[idx[j]];
        }
        if (gr->n == gr->cap) {
            size_t nc = gr->cap ? gr->cap * 2 : 16;
            struct bucket *nb = ARENA_NEWN(ev->a, struct bucket, nc);
            if (gr->n)
                memcpy(nb, gr->b, gr->n * sizeof *nb);
            gr->b = nb;
            gr->cap = nc;
        }
        gr->b[gr->n].ub = ub;
        gr->b[gr->n].count = s->v;
        gr->n++;
        if (ev->prov)
            prov_acc_add(&gr->prov, ev->a, s->prov);
    }
    for (size_t i = 0; i < ng; i++)
        g[i].merged = prov_acc_finish(&g[i].prov, ev->a);
    *out = g;
    return ng;
}

static void put(struct fn_args *fa, struct vector *v, const struct hgroup *g, double val)
{
    struct vsample *s = &v->s[v->n++];
    s->ls = g->out;
    s->v = val;
    s->t_ms = fa->t;
    s->prov = g->merged;
    s->drop_name = false;
    ev_drop_name(fa->ev, s);
}

/* HistogramQuantileForcedMonotonicityInfo for one group. */
static void monotonicity_info(struct fn_args *fa, const struct hgroup *g, const struct mono *m,
                              const struct ast_node *argpos)
{
    struct ev *ev = fa->ev;
    const char *name = labels_get(g->key, LABELS_METRIC_NAME);
    char when[32];
    time_t tt = (time_t)(fa->t / 1000);
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char diff[64];
    snprintf(diff, sizeof diff, "%.2g", m->max_diff);
    char detail[256];
    snprintf(detail, sizeof detail,
             ", from buckets %s to %s, with a max diff of %s, over 1 samples from %s to %s",
             ev_format_float(ev, m->min_b), ev_format_float(ev, m->max_b), diff, when, when);
    if (ev->o->delayed_name_removal && name)
        ev_info_detail(ev, argpos, detail,
                       "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \"%s\"",
                       name);
    else
        ev_info_detail(ev, argpos, detail,
                       "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)");
}

int fn_histogram_quantile(struct fn_args *fa, struct value *out)
{
    struct ev *ev = fa->ev;
    double q = fa->args[0].u.scalar.v;
    const struct vector *in = &fa->args[1].u.vec;
    out->type = VALUE_VECTOR;
    if (isnan(q) || q < 0 || q > 1)
        ev_warn(ev, fa->call->u.call.args[0], "quantile value should be between 0 and 1, got %s",
                ev_format_float(ev, q));
    struct hgroup *g;
    size_t ng = group_buckets(fa, in, fa->call->u.call.args[1], &g);
    struct vector v = fn_out_vec(fa, ng);
    for (size_t i = 0; i < ng; i++) {
        struct mono m;
        double r = bucket_quantile(q, g[i].b, g[i].n, &m);
        if (m.forced)
            monotonicity_info(fa, &g[i], &m, fa->call->u.call.args[1]);
        put(fa, &v, &g[i], r);
    }
    out->u.vec = v;
    return 0;
}

int fn_histogram_fraction(struct fn_args *fa, struct value *out)
{
    double lo = fa->args[0].u.scalar.v, hi = fa->args[1].u.scalar.v;
    const struct vector *in = &fa->args[2].u.vec;
    struct hgroup *g;
    size_t ng = group_buckets(fa, in, fa->call->u.call.args[2], &g);
    struct vector v = fn_out_vec(fa, ng);
    for (size_t i = 0; i < ng; i++)
        put(fa, &v, &g[i], bucket_fraction(lo, hi, g[i].b, g[i].n));
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

/* An empty vector: start_timestamp(), as heed stores no start timestamps. */
int fn_empty_vector(struct fn_args *fa, struct value *out)
{
    out->type = VALUE_VECTOR;
    out->u.vec = fn_out_vec(fa, 0);
    return 0;
}

/* Prometheus's labels.FormatOpenMetricsFloat: integral values get ".0". */
static const char *openmetrics_float(struct ev *ev, double v)
{
    const char *s = ev_format_float(ev, v);
    if (isfinite(v) && v == floor(v) && fabs(v) < 1e15 && !strchr(s, '.'))
        return arena_printf(ev->keep, "%s.0", s);
    return s;
}

int fn_histogram_quantiles(struct fn_args *fa, struct value *out)
{
    struct ev *ev = fa->ev;
    const struct vector *in = &fa->args[0].u.vec;
    const char *label = fa->args[1].u.str;
    size_t nq = fa->nargs - 2;
    for (size_t k = 0; k < nq; k++) {
        double q = fa->args[k + 2].u.scalar.v;
        if (isnan(q) || q < 0 || q > 1)
            ev_warn(ev, fa->call->u.call.args[k + 2], "quantile value should be between 0 and 1, got %s",
                    ev_format_float(ev, q));
    }
    struct hgroup *g;
    size_t ng = group_buckets(fa, in, fa->call->u.call.args[0], &g);
    struct vector v = fn_out_vec(fa, ng * nq);
    for (size_t k = 0; k < nq; k++) {
        double q = fa->args[k + 2].u.scalar.v;
        const char *qs = openmetrics_float(ev, q);
        for (size_t i = 0; i < ng; i++) {
            struct bucket *b = ARENA_NEWN(ev->a, struct bucket, g[i].n);
            memcpy(b, g[i].b, g[i].n * sizeof *b);
            struct mono m;
            double r = bucket_quantile(q, b, g[i].n, &m);
            if (m.forced)
                monotonicity_info(fa, &g[i], &m, fa->call->u.call.args[0]);
            struct hgroup h = g[i];
            labels_builder_reset(&ev->lb, g[i].out);
            labels_builder_set(&ev->lb, label, qs);
            h.out = labels_builder_finish(&ev->lb, &ev->lt);
            put(fa, &v, &h, r);
        }
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}
