/* aggr: aggregation operators (sum, avg, count, min, max, group, stddev,
 * stdvar, quantile, topk, bottomk, limitk, limit_ratio, count_values) with
 * Prometheus's grouping, NaN rules, parameter checks and annotations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "eval/ev.h"
#include "eval/fn.h"
#include "eval/histogram.h"

static int aggr_vector(struct ev *ev, const struct ast_node *n, struct value pv,
                       const struct vector *in, int64_t t, struct value *out);

struct group {
    const struct labels *ls;  /* output labels (grouping result) */
    double v, mean, c;        /* running value, mean, Kahan compensation */
    double count;             /* members seen */
    bool incr_mean;           /* avg switched to incremental mean after overflow */
    bool drop_name;           /* a member had a pending name drop */
    struct prov_acc prov;     /* union of members */
    struct vsample **members; /* topk/bottomk/limitk/limit_ratio/quantile members */
    size_t nm, capm;
};

struct gmap {
    const struct labels **key;
    size_t *val;
    size_t cap;
};

static const struct labels *grouping_labels(struct ev *ev, const struct ast_node *n,
                                            const struct labels *ls)
{
    const struct labels *memo = ev_memo_get(ev, n, ls);
    if (memo)
        return memo;
    labels_builder_reset(&ev->lb, ls);
    if (n->u.agg.without) {
        for (size_t i = 0; i < n->u.agg.ngrouping; i++)
            labels_builder_del(&ev->lb, n->u.agg.grouping[i]);
        labels_builder_del(&ev->lb, LABELS_METRIC_NAME);
    } else {
        labels_builder_keep(&ev->lb, n->u.agg.grouping, n->u.agg.ngrouping);
    }
    memo = labels_builder_finish(&ev->lb, &ev->lt);
    ev_memo_put(ev, n, ls, memo);
    return memo;
}

static void add_member(struct ev *ev, struct group *g, struct vsample *s)
{
    if (g->nm == g->capm) {
        size_t nc = g->capm ? g->capm * 2 : 4;
        struct vsample **nm = ARENA_NEWN(ev->a, struct vsample *, nc);
        if (g->nm)
            memcpy(nm, g->members, g->nm * sizeof *nm);
        g->members = nm;
        g->capm = nc;
    }
    g->members[g->nm++] = s;
}

/* Heap order of topk (min-heap on value, NaN smallest) and bottomk (max-heap, NaN largest). */
static bool heap_less(bool top, const struct vsample *a, const struct vsample *b)
{
    if (isnan(a->v))
        return true;
    return top ? a->v < b->v : a->v > b->v;
}

static void heap_down(bool top, struct vsample **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && heap_less(top, h[l], h[m]))
            m = l;
        if (l + 1 < n && heap_less(top, h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        struct vsample *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_up(bool top, struct vsample **h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(top, h[i], h[p]))
            return;
        struct vsample *t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static int cmp_heap_rev(const void *a, const void *b, void *arg)
{
    bool sort_top = *(const bool *)arg;
    const struct vsample *x = *(struct vsample *const *)a, *y = *(struct vsample *const *)b;
    /* reverse of heap_less: the greatest first for topk, NaN last */
    if (heap_less(sort_top, y, x))
        return -1;
    if (heap_less(sort_top, x, y))
        return 1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x))
        return isnan(y) ? 0 : -1;
    if (isnan(y))
        return 1;
    return x < y ? -1 : x > y;
}

double fn_quantile(double phi, double *v, size_t n)
{
    if (n == 0 || isnan(phi))
        return NAN;
    if (phi < 0)
        return -INFINITY;
    if (phi > 1)
        return INFINITY;
    qsort(v, n, sizeof *v, cmp_double);
    double rank = phi * (double)(n - 1);
    double lo = fmax(0, floor(rank)), hi = fmin((double)n - 1, lo + 1);
    double w = rank - floor(rank);
    return v[(size_t)lo] * (1 - w) + v[(size_t)hi] * w;
}

static int count_values(struct ev *ev, const struct ast_node *n, const char *label,
                        const struct vector *in, int64_t t, struct value *out)
{
    struct group *g = ARENA_NEWN(ev->a, struct group, in->n + 1);
    size_t ng = 0;
    for (size_t i = 0; i < in->n; i++) {
        labels_builder_reset(&ev->lb, in->s[i].ls);
        const char *val;
        if (in->s[i].h) {
            struct strbuf hs = STRBUF_INIT;
            histogram_go_string(&hs, in->s[i].h);
            val = arena_strdup(ev->keep, hs.buf);
            strbuf_release(&hs);
        } else {
            val = ev_format_float(ev, in->s[i].v);
        }
        labels_builder_set(&ev->lb, label, val);
        const struct labels *with = labels_builder_finish(&ev->lb, &ev->lt);
        labels_builder_reset(&ev->lb, with);
        if (n->u.agg.without) {
            for (size_t j = 0; j < n->u.agg.ngrouping; j++)
                labels_builder_del(&ev->lb, n->u.agg.grouping[j]);
            labels_builder_del(&ev->lb, LABELS_METRIC_NAME);
        } else {
            const char **keep = ARENA_NEWN(ev->a, const char *, n->u.agg.ngrouping + 1);
            if (n->u.agg.ngrouping)
                memcpy(keep, n->u.agg.grouping, n->u.agg.ngrouping * sizeof *keep);
            keep[n->u.agg.ngrouping] = label;
            labels_builder_keep(&ev->lb, keep, n->u.agg.ngrouping + 1);
        }
        const struct labels *key = labels_builder_finish(&ev->lb, &ev->lt);
        size_t j = 0;
        while (j < ng && g[j].ls != key)
            j++;
        if (j == ng) {
            g[ng].ls = key;
            ng++;
        }
        g[j].count++;
        if (ev->prov)
            prov_acc_add(&g[j].prov, ev->a, in->s[i].prov);
    }
    struct vsample *o = ev_vec_alloc(ev, ng);
    for (size_t j = 0; j < ng; j++) {
        o[j].ls = g[j].ls;
        o[j].v = g[j].count;
        o[j].t_ms = t;
        o[j].prov = prov_acc_finish(&g[j].prov, ev->a);
        o[j].drop_name = false;
    }
    out->type = VALUE_VECTOR;
    out->u.vec.s = o;
    out->u.vec.n = ng;
    return 0;
}

int aggr_eval(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out)
{
    struct value pv = {0}, iv;
    if (n->u.agg.param && ev_eval(ev, n->u.agg.param, t, &pv) < 0)
        return -1;
    if (ev_eval(ev, n->u.agg.expr, t, &iv) < 0)
        return -1;
    if (iv.type != VALUE_VECTOR)
        return ev_fail(ev, EVAL_ERR_BAD_DATA, "aggregation over a non-vector");
    return aggr_vector(ev, n, pv, &iv.u.vec, t, out);
}

static const char *agg_name(enum ast_aggop op)
{
    switch (op) {
    case AST_AGG_MIN: return "min";
    case AST_AGG_MAX: return "max";
    case AST_AGG_STDDEV: return "stddev";
    case AST_AGG_STDVAR: return "stdvar";
    case AST_AGG_QUANTILE: return "quantile";
    case AST_AGG_TOPK: return "topk";
    case AST_AGG_BOTTOMK: return "bottomk";
    default: return NULL;
    }
}

/* One output group of sum/avg over native histograms. */
struct hgroup {
    const struct labels *ls;
    struct histogram *h;  /* running sum (own copy) */
    struct histogram_comp c; /* its Kahan compensation */
    struct histogram_mean mean; /* avg */
    double count;
    bool incompatible, reset_seen, not_reset_seen, drop_name;
    struct prov_acc prov;
};

/* sum and avg over a vector holding native histograms: float groups as
 * usual, histogram groups summed, groups mixing both dropped with
 * Prometheus's warning. */
static int aggr_histograms(struct ev *ev, const struct ast_node *n, struct value pv,
                           const struct vector *in, int64_t t, struct value *out)
{
    struct vector floats = {ev_vec_alloc(ev, in->n), 0};
    for (size_t i = 0; i < in->n; i++)
        if (!in->s[i].h)
            floats.s[floats.n++] = in->s[i];
    if (aggr_vector(ev, n, pv, &floats, t, out) < 0)
        return -1;
    struct hgroup *g = ARENA_NEWN(ev->a, struct hgroup, in->n);
    size_t ng = 0;
    const struct ast_node *pos = n->u.agg.expr;
    for (size_t i = 0; i < in->n; i++) {
        const struct vsample *s = &in->s[i];
        if (!s->h)
            continue;
        const struct labels *key = grouping_labels(ev, n, s->ls);
        size_t j = 0;
        while (j < ng && g[j].ls != key)
            j++;
        struct hgroup *gr = &g[j];
        if (j == ng) {
            ng++;
            gr->ls = key;
        }
        if (s->h->hint == HISTOGRAM_HINT_RESET)
            gr->reset_seen = true;
        else if (s->h->hint == HISTOGRAM_HINT_NOT_RESET)
            gr->not_reset_seen = true;
        if (s->drop_name)
            gr->drop_name = true;
        if (ev->prov)
            prov_acc_add(&gr->prov, ev->a, s->prov);
        gr->count++;
        if (gr->incompatible)
            continue;
        unsigned flags = 0;
        int rc;
        if (n->u.agg.op == AST_AGG_AVG) {
            rc = histogram_mean_add(ev->a, &gr->mean, s->h, &flags);
        } else if (!gr->h) {
            gr->h = histogram_copy(ev->a, s->h);
            continue;
        } else {
            rc = histogram_add_kahan(ev->a, gr->h, s->h, &gr->c, &flags);
        }
        if (rc < 0) {
            const char *name = labels_get(s->ls, LABELS_METRIC_NAME);
            ev_warn(ev, pos, "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"%s\"",
                    name ? name : "");
            gr->incompatible = true;
        } else if (flags & HISTOGRAM_OP_RECONCILED) {
            ev_info(ev, pos, "mismatched custom buckets were reconciled during aggregation");
        }
    }
    struct vsample *o = ev_vec_alloc(ev, out->u.vec.n + ng);
    size_t k = 0;
    for (size_t i = 0; i < out->u.vec.n; i++) {
        bool mixed = false;
        for (size_t j = 0; j < ng && !mixed; j++)
            mixed = g[j].ls == out->u.vec.s[i].ls;
        if (!mixed)
            o[k++] = out->u.vec.s[i];
    }
    for (size_t j = 0; j < ng; j++) {
        struct hgroup *gr = &g[j];
        bool mixed = false;
        for (size_t i = 0; i < out->u.vec.n && !mixed; i++)
            mixed = gr->ls == out->u.vec.s[i].ls;
        if (mixed) {
            ev_warn(ev, pos, "encountered a mix of histograms and floats for aggregation");
            continue;
        }
        if (gr->incompatible)
            continue;
        if (n->u.agg.op == AST_AGG_AVG)
            gr->h = histogram_mean_finish(&gr->mean);
        else
            histogram_kahan_finish(gr->h, &gr->c);
        if (gr->reset_seen && gr->not_reset_seen)
            ev_warn(ev, pos, "conflicting counter resets during histogram aggregation");
        o[k].ls = gr->ls;
        o[k].h = gr->h;
        o[k].v = 0;
        o[k].t_ms = t;
        o[k].prov = prov_acc_finish(&gr->prov, ev->a);
        o[k].drop_name = gr->drop_name;
        k++;
    }
    out->u.vec.s = o;
    out->u.vec.n = k;
    return 0;
}

static int aggr_vector(struct ev *ev, const struct ast_node *n, struct value pv,
                       const struct vector *in, int64_t t, struct value *out)
{
    enum ast_aggop op = n->u.agg.op;
    size_t nhist = 0;
    for (size_t i = 0; i < in->n; i++)
        nhist += in->s[i].h != NULL;
    struct vector kept;
    if (nhist && (op == AST_AGG_SUM || op == AST_AGG_AVG))
        return aggr_histograms(ev, n, pv, in, t, out);
    if (nhist && agg_name(op)) {
        ev_info(ev, n->u.agg.expr, "ignored histogram in %s aggregation", agg_name(op));
        kept.s = ev_vec_alloc(ev, in->n);
        kept.n = 0;
        for (size_t i = 0; i < in->n; i++)
            if (!in->s[i].h)
                kept.s[kept.n++] = in->s[i];
        in = &kept;
    }
    out->type = VALUE_VECTOR;
    out->u.vec.n = 0;
    out->u.vec.s = ev_vec_alloc(ev, 0);
    if (op == AST_AGG_COUNT_VALUES) {
        if (!fn_valid_label_name(pv.u.str)) {
            struct strbuf q = STRBUF_INIT;
            labels_quote(&q, pv.u.str);
            ev_fail(ev, EVAL_ERR_EXECUTION, "invalid label name %s", q.buf);
            strbuf_release(&q);
            return -1;
        }
        return count_values(ev, n, pv.u.str, in, t, out);
    }
    double param = pv.type == VALUE_SCALAR ? pv.u.scalar.v : 0;
    const struct ast_node *ppos = n->u.agg.param;
    bool kop = op == AST_AGG_TOPK || op == AST_AGG_BOTTOMK || op == AST_AGG_LIMITK;
    double ratio = 0;
    if (kop) {
        if (!(param >= 1))
            return isnan(param) ? ev_fail(ev, EVAL_ERR_EXECUTION, "Parameter value is NaN") : 0;
        if (param >= 9223372036854775807.0)
            return ev_fail(ev, EVAL_ERR_EXECUTION, "Scalar value %s overflows int64",
                           ev_format_float(ev, param));
    } else if (op == AST_AGG_LIMIT_RATIO) {
        if (param == 0)
            return 0;
        if (isnan(param))
            return ev_fail(ev, EVAL_ERR_EXECUTION, "Ratio value is NaN");
        ratio = param;
        if (param > 1) {
            ev_warn(ev, ppos, "ratio value should be between -1 and 1, got %s, capping to 1",
                    ev_format_float(ev, param));
            ratio = 1;
        } else if (param < -1) {
            ev_warn(ev, ppos, "ratio value should be between -1 and 1, got %s, capping to -1",
                    ev_format_float(ev, param));
            ratio = -1;
        }
    } else if (op == AST_AGG_QUANTILE) {
        if (isnan(param) || param < 0 || param > 1)
            ev_warn(ev, ppos, "quantile value should be between 0 and 1, got %s",
                    isnan(param) ? "NaN" : ev_format_float(ev, param));
    }
    if (in->n == 0)
        return 0;
    int64_t k = kop ? (int64_t)param : 0;
    if (kop && k > (int64_t)in->n)
        k = (int64_t)in->n;

    /* group the inputs */
    size_t cap = 16;
    while (cap < in->n * 2)
        cap *= 2;
    struct gmap m = {ARENA_NEWN(ev->a, const struct labels *, cap), ARENA_NEWN(ev->a, size_t, cap), cap};
    struct group *g = ARENA_NEWN(ev->a, struct group, in->n);
    size_t ng = 0;
    for (size_t i = 0; i < in->n; i++) {
        struct vsample *s = &in->s[i];
        const struct labels *key = grouping_labels(ev, n, s->ls);
        size_t j = (size_t)key->hash & (cap - 1);
        while (m.key[j] && m.key[j] != key)
            j = (j + 1) & (cap - 1);
        struct group *gr;
        bool first = !m.key[j];
        if (first) {
            m.key[j] = key;
            m.val[j] = ng;
            gr = &g[ng++];
            gr->ls = key;
        } else {
            gr = &g[m.val[j]];
        }
        double f = s->v;
        if (ev->prov)
            prov_acc_add(&gr->prov, ev->a, s->prov);
        if (s->drop_name)
            gr->drop_name = true;
        if (first) {
            gr->v = f;
            gr->mean = f;
            gr->count = 1;
            switch (op) {
            case AST_AGG_STDDEV:
            case AST_AGG_STDVAR:
                gr->v = (isnan(f) || isinf(f)) ? NAN : 0;
                break;
            case AST_AGG_GROUP:
                gr->v = 1;
                break;
            case AST_AGG_QUANTILE:
            case AST_AGG_LIMITK:
            case AST_AGG_TOPK:
            case AST_AGG_BOTTOMK:
                add_member(ev, gr, s);
                break;
            case AST_AGG_LIMIT_RATIO: {
                double off = (double)s->ls->hash / 18446744073709551615.0;
                if ((ratio >= 0 && off < ratio) || (ratio < 0 && off >= 1.0 + ratio))
                    add_member(ev, gr, s);
                break;
            }
            default:
                break;
            }
            continue;
        }
        switch (op) {
        case AST_AGG_SUM:
            fn_kahan_inc(f, &gr->v, &gr->c);
            break;
        case AST_AGG_AVG:
            gr->count++;
            if (!gr->incr_mean) {
                double nv = gr->v, nc = gr->c;
                fn_kahan_inc(f, &nv, &nc);
                if (!isinf(nv)) {
                    gr->v = nv;
                    gr->c = nc;
                    break;
                }
                gr->incr_mean = true;
                gr->mean = gr->v / (gr->count - 1);
                gr->c /= gr->count - 1;
            }
            {
                double q = (gr->count - 1) / gr->count;
                double mean = q * gr->mean, c = q * gr->c;
                fn_kahan_inc(f / gr->count, &mean, &c);
                gr->mean = mean;
                gr->c = c;
            }
            break;
        case AST_AGG_MAX:
            if (gr->v < f || isnan(gr->v))
                gr->v = f;
            break;
        case AST_AGG_MIN:
            if (gr->v > f || isnan(gr->v))
                gr->v = f;
            break;
        case AST_AGG_COUNT:
            gr->count++;
            break;
        case AST_AGG_STDDEV:
        case AST_AGG_STDVAR:
            if (isnan(f) || isinf(f)) {
                gr->v = NAN;
            } else {
                gr->count++;
                double d = f - gr->mean;
                gr->mean += d / gr->count;
                gr->v += d * (f - gr->mean);
            }
            break;
        case AST_AGG_QUANTILE:
            add_member(ev, gr, s);
            break;
        case AST_AGG_TOPK:
        case AST_AGG_BOTTOMK: {
            bool top = op == AST_AGG_TOPK;
            if ((int64_t)gr->nm < k) {
                add_member(ev, gr, s);
                heap_up(top, gr->members, gr->nm - 1);
            } else if ((top ? gr->members[0]->v < f : gr->members[0]->v > f) ||
                       (isnan(gr->members[0]->v) && !isnan(f))) {
                gr->members[0] = s;
                heap_down(top, gr->members, gr->nm, 0);
            }
            break;
        }
        case AST_AGG_LIMITK:
            if ((int64_t)gr->nm < k)
                add_member(ev, gr, s);
            break;
        case AST_AGG_LIMIT_RATIO: {
            double off = (double)s->ls->hash / 18446744073709551615.0;
            if ((ratio >= 0 && off < ratio) || (ratio < 0 && off >= 1.0 + ratio))
                add_member(ev, gr, s);
            break;
        }
        case AST_AGG_GROUP:
        case AST_AGG_COUNT_VALUES:
            break;
        }
    }

    bool keeps_series = kop || op == AST_AGG_LIMIT_RATIO;
    size_t total = 0;
    for (size_t j = 0; j < ng; j++)
        total += keeps_series ? g[j].nm : 1;
    struct vsample *o = ev_vec_alloc(ev, total);
    size_t k2 = 0;
    for (size_t j = 0; j < ng; j++) {
        struct group *gr = &g[j];
        if (keeps_series) {
            if (op == AST_AGG_TOPK || op == AST_AGG_BOTTOMK) {
                bool top = op == AST_AGG_TOPK;
                qsort_r(gr->members, gr->nm, sizeof *gr->members, cmp_heap_rev, &top);
            }
            for (size_t i = 0; i < gr->nm; i++) {
                o[k2] = *gr->members[i];
                o[k2].t_ms = t;
                k2++;
            }
            continue;
        }
        double v = gr->v;
        switch (op) {
        case AST_AGG_AVG:
            v = gr->count == 1 ? gr->v
                : gr->incr_mean ? gr->mean + gr->c
                                : gr->v / gr->count + gr->c / gr->count;
            break;
        case AST_AGG_COUNT:
            v = gr->count;
            break;
        case AST_AGG_STDVAR:
            v = gr->v / gr->count;
            break;
        case AST_AGG_STDDEV:
            v = sqrt(gr->v / gr->count);
            break;
        case AST_AGG_QUANTILE: {
            double *vals = ARENA_NEWN(ev->a, double, gr->nm);
            for (size_t i = 0; i < gr->nm; i++)
                vals[i] = gr->members[i]->v;
            v = fn_quantile(param, vals, gr->nm);
            break;
        }
        case AST_AGG_SUM:
            v = gr->v + gr->c;
            break;
        default:
            break;
        }
        o[k2].ls = gr->ls;
        o[k2].v = v;
        o[k2].t_ms = t;
        o[k2].prov = prov_acc_finish(&gr->prov, ev->a);
        o[k2].drop_name = gr->drop_name;
        k2++;
    }
    out->u.vec.s = o;
    out->u.vec.n = k2;
    return 0;
}
