/* fn_rate: counter and gauge rate functions — rate, increase, delta (with
 * Prometheus's extrapolation), irate, idelta, deriv, predict_linear, resets,
 * changes, double_exponential_smoothing. */
#include <math.h>
#include <string.h>

#include "base/arena.h"
#include "eval/fn_extended.h"
#include "eval/fn_matrix.h"

size_t fn_matrix_arg(const struct fn_args *fa)
{
    for (size_t i = 0; i < fa->nargs; i++)
        if (fa->args[i].type == VALUE_MATRIX)
            return i;
    return 0;
}

int fn_matrix_each(struct fn_args *fa, fn_series_fn f, bool keep_name, struct value *out)
{
    const struct matrix *m = &fa->args[fn_matrix_arg(fa)].u.mat;
    struct vector v = fn_out_vec(fa, m->n);
    for (size_t i = 0; i < m->n; i++) {
        double r;
        if (!f(fa, &m->s[i], &r))
            continue;
        struct vsample *s = &v.s[v.n++];
        s->ls = m->s[i].ls;
        s->v = r;
        s->t_ms = fa->t;
        s->prov = m->s[i].prov;
        s->drop_name = m->s[i].drop_name;
        if (!keep_name)
            ev_drop_name(fa->ev, s);
        else if (s->drop_name && !fa->ev->o->delayed_name_removal)
            s->ls = ev_without_name(fa->ev, s->ls);
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

/* extrapolatedRate for floats. */
static bool extrapolated(struct fn_args *fa, const struct series *s, bool counter, bool rate,
                         double *out)
{
    if (fa->ext != AST_EXT_NONE)
        return fn_ext_rate(fa, s, counter, rate, out);
    if (s->n < 2)
        return false;
    int64_t range_start = fa->ref_ms - fa->range_ms, range_end = fa->ref_ms;
    const struct sample *p = s->pts;
    size_t n = s->n;
    double result = p[n - 1].v - p[0].v;
    if (counter)
        for (size_t i = 1; i < n; i++)
            if (p[i].v < p[i - 1].v)
                result += p[i - 1].v;
    double to_start = (double)(p[0].t_ms - range_start) / 1000;
    double to_end = (double)(range_end - p[n - 1].t_ms) / 1000;
    double sampled = (double)(p[n - 1].t_ms - p[0].t_ms) / 1000;
    double avg = sampled / (double)(n - 1);
    double threshold = avg * 1.1;
    if (to_start >= threshold)
        to_start = avg / 2;
    if (counter) {
        double to_zero = to_start;
        if (result > 0 && p[0].v >= 0)
            to_zero = sampled * (p[0].v / result);
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
    *out = result * factor;
    return true;
}

static bool s_rate(struct fn_args *fa, const struct series *s, double *o) { return extrapolated(fa, s, true, true, o); }
static bool s_increase(struct fn_args *fa, const struct series *s, double *o) { return extrapolated(fa, s, true, false, o); }
static bool s_delta(struct fn_args *fa, const struct series *s, double *o) { return extrapolated(fa, s, false, false, o); }

static bool has_counter_suffix(const char *name)
{
    static const char *suf[] = {"_total", "_sum", "_count", "_bucket"};
    size_t n = strlen(name);
    for (size_t i = 0; i < 4; i++) {
        size_t k = strlen(suf[i]);
        if (n >= k && !strcmp(name + n - k, suf[i]))
            return true;
    }
    return false;
}

/* PossibleNonCounterInfo for each input series that produced a value. */
static int counter_fn(struct fn_args *fa, fn_series_fn f, struct value *out)
{
    const struct matrix *m = &fa->args[0].u.mat;
    const struct ast_node *argpos = fa->call->u.call.args[0];
    for (size_t i = 0; i < m->n; i++) {
        const char *name = labels_get(m->s[i].ls, LABELS_METRIC_NAME);
        double r;
        if (name && !has_counter_suffix(name) && f(fa, &m->s[i], &r))
            ev_info(fa->ev, argpos,
                    "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"%s\"",
                    name);
    }
    return fn_matrix_each(fa, f, false, out);
}

int fn_rate(struct fn_args *fa, struct value *out) { return counter_fn(fa, s_rate, out); }
int fn_increase(struct fn_args *fa, struct value *out) { return counter_fn(fa, s_increase, out); }
int fn_delta(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_delta, false, out); }

static bool instant(const struct series *s, bool rate, double *out)
{
    if (s->n < 2)
        return false;
    const struct sample *a = &s->pts[s->n - 2], *b = &s->pts[s->n - 1];
    int64_t dt = b->t_ms - a->t_ms;
    if (dt == 0)
        return false;
    double r = b->v;
    if (!rate || !(b->v < a->v))
        r = b->v - a->v;
    if (rate)
        r /= (double)dt / 1000;
    *out = r;
    return true;
}

static bool s_irate(struct fn_args *fa, const struct series *s, double *o) { (void)fa; return instant(s, true, o); }
static bool s_idelta(struct fn_args *fa, const struct series *s, double *o) { (void)fa; return instant(s, false, o); }
int fn_irate(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_irate, false, out); }
int fn_idelta(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_idelta, false, out); }

static void linear_regression(const struct series *s, int64_t icept_t, double *slope, double *icept)
{
    double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
    double init = s->pts[0].v;
    bool consty = true;
    for (size_t i = 0; i < s->n; i++) {
        double v = s->pts[i].v;
        if (consty && i > 0 && v != init)
            consty = false;
        n += 1;
        double x = (double)(s->pts[i].t_ms - icept_t) / 1e3;
        fn_kahan_inc(x, &sx, &cx);
        fn_kahan_inc(v, &sy, &cy);
        fn_kahan_inc(x * v, &sxy, &cxy);
        fn_kahan_inc(x * x, &sx2, &cx2);
    }
    if (consty) {
        if (isinf(init)) {
            *slope = *icept = NAN;
            return;
        }
        *slope = 0;
        *icept = init;
        return;
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    double cov = sxy - sx * sy / n, var = sx2 - sx * sx / n;
    *slope = cov / var;
    *icept = sy / n - *slope * sx / n;
}

static bool s_deriv(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n < 2)
        return false;
    double icept;
    linear_regression(s, s->pts[0].t_ms, o, &icept);
    return true;
}

int fn_deriv(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_deriv, false, out); }

static bool s_predict(struct fn_args *fa, const struct series *s, double *o)
{
    if (s->n < 2)
        return false;
    double slope, icept;
    linear_regression(s, fa->t, &slope, &icept);
    *o = slope * fa->args[1].u.scalar.v + icept;
    return true;
}

int fn_predict_linear(struct fn_args *fa, struct value *out)
{
    return fn_matrix_each(fa, s_predict, false, out);
}

static bool s_resets(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    double r = 0;
    for (size_t i = 1; i < s->n; i++)
        if (s->pts[i].v < s->pts[i - 1].v)
            r++;
    *o = r;
    return true;
}

static bool s_changes(struct fn_args *fa, const struct series *s, double *o)
{
    (void)fa;
    if (s->n == 0)
        return false;
    double c = 0;
    for (size_t i = 1; i < s->n; i++) {
        double a = s->pts[i - 1].v, b = s->pts[i].v;
        if (b != a && !(isnan(a) && isnan(b)))
            c++;
    }
    *o = c;
    return true;
}

int fn_resets(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_resets, false, out); }
int fn_changes(struct fn_args *fa, struct value *out) { return fn_matrix_each(fa, s_changes, false, out); }

static bool s_des(struct fn_args *fa, const struct series *s, double *o)
{
    double sf = fa->args[1].u.scalar.v, tf = fa->args[2].u.scalar.v;
    if (s->n < 2)
        return false;
    double s0 = 0, s1 = s->pts[0].v, b = s->pts[1].v - s->pts[0].v;
    for (size_t i = 1; i < s->n; i++) {
        double x = sf * s->pts[i].v;
        if (i - 1 != 0)
            b = tf * (s1 - s0) + (1 - tf) * b;
        double y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    *o = s1;
    return true;
}

int fn_double_exponential_smoothing(struct fn_args *fa, struct value *out)
{
    double sf = fa->args[1].u.scalar.v, tf = fa->args[2].u.scalar.v;
    if (sf <= 0 || sf >= 1)
        return ev_fail(fa->ev, EVAL_ERR_EXECUTION,
                       "invalid smoothing factor. Expected: 0 < sf < 1, got: %f", sf);
    if (tf <= 0 || tf >= 1)
        return ev_fail(fa->ev, EVAL_ERR_EXECUTION,
                       "invalid trend factor. Expected: 0 < tf < 1, got: %f", tf);
    return fn_matrix_each(fa, s_des, false, out);
}
