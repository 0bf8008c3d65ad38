/* fn_over_time: the *_over_time family, present_over_time and
 * absent_over_time. */
#include <math.h>
#include <string.h>

#include "base/arena.h"
#include "eval/fn_matrix.h"

static bool s_avg(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    double sum = s->pts[0].v, count = 1, mean = 0, c = 0;
    bool incr = false;
    for (size_t i = 1; i < s->n; i++) {
        double f = s->pts[i].v;
        count = (double)(i + 1);
        if (!incr) {
            double ns = sum, nc = c;
            fn_kahan_inc(f, &ns, &nc);
            if (!isinf(ns)) {
                sum = ns;
                c = nc;
                continue;
            }
            incr = true;
            mean = sum / (count - 1);
            c /= count - 1;
        }
        double q = (count - 1) / count;
        mean *= q;
        c *= q;
        fn_kahan_inc(f / count, &mean, &c);
    }
    *o = incr ? mean + c : sum / count + c / count;
    return true;
}

static bool s_sum(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    double sum = 0, c = 0;
    for (size_t i = 0; i < s->n; i++)
        fn_kahan_inc(s->pts[i].v, &sum, &c);
    *o = isinf(sum) ? sum : sum + c;
    return true;
}

static bool s_count(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    *o = (double)s->n;
    return true;
}

static bool s_present(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    *o = 1;
    return true;
}

/* compareOverTime: keep the sample for which better(cur, best) holds last. */
static bool compare(const struct series *s, int kind, bool ts, double *o)
{
    if (s->n == 0)
        return false;
    double best = s->pts[0].v;
    int64_t bt = s->pts[0].t_ms;
    for (size_t i = 0; i < s->n; i++) {
        double cur = s->pts[i].v;
        bool take;
        switch (kind) {
        case 0: take = cur > best || isnan(best); break;  /* max */
        case 1: take = cur < best || isnan(best); break;  /* min */
        case 2: take = cur >= best || isnan(best); break; /* ts_of_max */
        default: take = cur <= best || isnan(best); break; /* ts_of_min */
        }
        if (take) {
            best = cur;
            bt = s->pts[i].t_ms;
        }
    }
    *o = ts ? (double)bt / 1000 : best;
    return true;
}

static bool s_max(struct fn_args *fa, const struct series *s, double *o) { (void)fa; return compare(s, 0, false, o); }
static bool s_min(struct fn_args *fa, const struct series *s, double *o) { (void)fa; return compare(s, 1, false, o); }
static bool s_ts_max(struct fn_args *fa, const struct series *s, double *o) { (void)fa; return compare(s, 2, true, o); }
static bool s_ts_min(struct fn_args *fa, const struct series *s, double *o) { (void)fa; return compare(s, 3, true, o); }

static bool s_last(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    *o = s->pts[s->n - 1].v;
    return true;
}

static bool s_first(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    *o = s->pts[0].v;
    return true;
}

static bool s_ts_last(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    *o = (double)s->pts[s->n - 1].t_ms / 1000;
    return true;
}

static bool s_ts_first(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    *o = (double)s->pts[0].t_ms / 1000;
    return true;
}

static double variance(const struct series *s)
{
    double count = 0, mean = 0, cm = 0, aux = 0, ca = 0;
    for (size_t i = 0; i < s->n; i++) {
        double f = s->pts[i].v;
        count++;
        double delta = f - (mean + cm);
        fn_kahan_inc(delta / count, &mean, &cm);
        fn_kahan_inc(delta * (f - (mean + cm)), &aux, &ca);
    }
    return (aux + ca) / count;
}

static bool s_stdvar(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    *o = variance(s);
    return true;
}

static bool s_stddev(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    *o = sqrt(variance(s));
    return true;
}

static bool s_quantile(struct fn_args *fa, const struct series *s, double *o)
{
    if (s->n == 0)
        return false;
    double *v = ARENA_NEWN(fa->ev->a, double, s->n);
    for (size_t i = 0; i < s->n; i++)
        v[i] = s->pts[i].v;
    *o = fn_quantile(fa->args[0].u.scalar.v, v, s->n);
    return true;
}

static bool s_mad(struct fn_args *fa, const struct series *s, double *o)
{
    if (s->n == 0)
        return false;
    double *v = ARENA_NEWN(fa->ev->a, double, s->n);
    for (size_t i = 0; i < s->n; i++) {
        v[i] = s->pts[i].v;
        if (isnan(v[i])) {
            *o = NAN;
            return true;
        }
    }
    double med = fn_quantile(0.5, v, s->n);
    for (size_t i = 0; i < s->n; i++)
        v[i] = fabs(v[i] - med);
    *o = fn_quantile(0.5, v, s->n);
    return true;
}

int fn_avg_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_avg, false, out); }
int fn_sum_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_sum, false, out); }
int fn_count_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_count, false, out); }
int fn_min_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_min, false, out); }
int fn_max_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_max, false, out); }
int fn_last_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_last, true, out); }
int fn_first_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_first, true, out); }
int fn_stddev_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_stddev, false, out); }
int fn_stdvar_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_stdvar, false, out); }
int fn_mad_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_mad, false, out); }
int fn_present_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_present, false, out); }
int fn_ts_of_first_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_ts_first, false, out); }
int fn_ts_of_last_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_ts_last, false, out); }
int fn_ts_of_min_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_ts_min, false, out); }
int fn_ts_of_max_over_time(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_ts_max, false, out); }

int fn_quantile_over_time(struct fn_args *fa, struct value *out)
{
    double q = fa->args[0].u.scalar.v;
    const struct matrix *m = &fa->args[1].u.mat;
    if (m->n > 0 && (isnan(q) || q < 0 || q > 1))
        ev_warn(fa->ev, fa->call->u.call.args[0],
                "quantile value should be between 0 and 1, got %s", ev_format_float(fa->ev, q));
    return fn_matrix_each(fa, s_quantile, false, out);
}

/* Labels absent()/absent_over_time() report: the equality matchers of a
 * plain selector argument, except __name__ and names matched twice. */
const struct labels *fn_absent_labels(struct ev *ev, const struct ast_node *arg)
{
    const struct ast_node *vs = NULL;
    if (arg->kind == AST_VECTOR_SELECTOR)
        vs = arg;
    else if (arg->kind == AST_MATRIX_SELECTOR)
        vs = arg->u.ms.vs;
    labels_builder_reset(&ev->lb, NULL);
    if (!vs)
        return labels_builder_finish(&ev->lb, &ev->lt);
    size_t n = vs->u.vs.nmatchers;
    const char **has = ARENA_NEWN(ev->a, const char *, n + 1);
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ast_matcher *m = &vs->u.vs.matchers[i];
        if (!strcmp(m->name, LABELS_METRIC_NAME))
            continue;
        bool seen = false;
        for (size_t j = 0; j < nh && !seen; j++)
            seen = !strcmp(has[j], m->name);
        if (m->op == AST_MATCH_EQ && !seen) {
            labels_builder_set(&ev->lb, m->name, m->value);
            has[nh++] = m->name;
        } else {
            labels_builder_del(&ev->lb, m->name);
        }
    }
    return labels_builder_finish(&ev->lb, &ev->lt);
}

int fn_absent_over_time(struct fn_args *fa, struct value *out)
{
    const struct matrix *m = &fa->args[0].u.mat;
    struct vector v = fn_out_vec(fa, 1);
    bool any = false;
    for (size_t i = 0; i < m->n && !any; i++)
        any = m->s[i].n > 0;
    if (!any) {
        v.s[0].ls = fn_absent_labels(fa->ev, ev_unparen(fa->call->u.call.args[0]));
        v.s[0].v = 1;
        v.s[0].t_ms = fa->t;
        v.s[0].prov = NULL;
        v.s[0].drop_name = false;
        v.n = 1;
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}
