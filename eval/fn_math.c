/* fn_math: element-wise math and trigonometry, clamp*, round, pi, scalar,
 * vector, absent and timestamp. */
#include <math.h>
#include <string.h>

#include "eval/fn.h"

static double apply(enum fn_id id, double v)
{
    switch (id) {
    case FN_ABS: return fabs(v);
    case FN_CEIL: return ceil(v);
    case FN_FLOOR: return floor(v);
    case FN_EXP: return exp(v);
    case FN_SQRT: return sqrt(v);
    case FN_LN: return log(v);
    case FN_LOG2: return log2(v);
    case FN_LOG10: return log10(v);
    case FN_SIN: return sin(v);
    case FN_COS: return cos(v);
    case FN_TAN: return tan(v);
    case FN_ASIN: return asin(v);
    case FN_ACOS: return acos(v);
    case FN_ATAN: return atan(v);
    case FN_SINH: return sinh(v);
    case FN_COSH: return cosh(v);
    case FN_TANH: return tanh(v);
    case FN_ASINH: return asinh(v);
    case FN_ACOSH: return acosh(v);
    case FN_ATANH: return atanh(v);
    case FN_RAD: return v * M_PI / 180;
    case FN_DEG: return v * 180 / M_PI;
    case FN_SGN: return v < 0 ? -1 : v > 0 ? 1 : v;
    default: return NAN;
    }
}

/* Applies f element-wise to vector argument 0, dropping __name__. */
static int map_vec(struct fn_args *fa, double (*f)(const struct fn_args *, double),
                   struct value *out)
{
    const struct vector *in = &fa->args[0].u.vec;
    struct vector v = fn_out_vec(fa, in->n);
    for (size_t i = 0; i < in->n; i++) {
        v.s[i] = in->s[i];
        v.s[i].v = f(fa, in->s[i].v);
        v.s[i].t_ms = fa->t;
        ev_drop_name(fa->ev, &v.s[i]);
    }
    v.n = in->n;
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

static double f_math(const struct fn_args *fa, double v) { return apply(fa->call->u.call.fn->id, v); }
int fn_math(struct fn_args *fa, struct value *out) { return map_vec(fa, f_math, out); }

static int clamp(struct fn_args *fa, double lo, double hi, struct value *out)
{
    const struct vector *in = &fa->args[0].u.vec;
    struct vector v = fn_out_vec(fa, in->n);
    if (!(hi < lo)) {
        for (size_t i = 0; i < in->n; i++) {
            v.s[i] = in->s[i];
            v.s[i].v = fn_go_max(lo, fn_go_min(hi, in->s[i].v));
            v.s[i].t_ms = fa->t;
            ev_drop_name(fa->ev, &v.s[i]);
        }
        v.n = in->n;
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

int fn_clamp(struct fn_args *fa, struct value *out)
{
    return clamp(fa, fa->args[1].u.scalar.v, fa->args[2].u.scalar.v, out);
}
int fn_clamp_min(struct fn_args *fa, struct value *out)
{
    return clamp(fa, fa->args[1].u.scalar.v, INFINITY, out);
}
int fn_clamp_max(struct fn_args *fa, struct value *out)
{
    return clamp(fa, -INFINITY, fa->args[1].u.scalar.v, out);
}

static double f_round(const struct fn_args *fa, double v)
{
    double to = fa->nargs >= 2 ? fa->args[1].u.scalar.v : 1;
    double inv = 1.0 / to;
    return floor(v * inv + 0.5) / inv;
}
int fn_round(struct fn_args *fa, struct value *out) { return map_vec(fa, f_round, out); }

int fn_pi(struct fn_args *fa, struct value *out)
{
    (void)fa;
    out->type = VALUE_SCALAR;
    out->u.scalar.v = M_PI;
    out->u.scalar.prov = NULL;
    return 0;
}

int fn_min_max_of(struct fn_args *fa, struct value *out)
{
    double a = fa->args[0].u.scalar.v, b = fa->args[1].u.scalar.v;
    out->type = VALUE_SCALAR;
    out->u.scalar.v = fa->call->u.call.fn->id == FN_MAX_OF ? fn_go_max(a, b) : fn_go_min(a, b);
    out->u.scalar.prov = ev_prov_merge(fa->ev, fa->args[0].u.scalar.prov, fa->args[1].u.scalar.prov);
    return 0;
}

int fn_scalar(struct fn_args *fa, struct value *out)
{
    const struct vector *in = &fa->args[0].u.vec;
    out->type = VALUE_SCALAR;
    out->u.scalar.v = in->n == 1 ? in->s[0].v : NAN;
    out->u.scalar.prov = NULL;
    for (size_t i = 0; i < in->n; i++)
        out->u.scalar.prov = ev_prov_merge(fa->ev, out->u.scalar.prov, in->s[i].prov);
    return 0;
}

int fn_vector(struct fn_args *fa, struct value *out)
{
    struct vector v = fn_out_vec(fa, 1);
    v.s[0].ls = labels_empty(&fa->ev->lt);
    v.s[0].v = fa->args[0].u.scalar.v;
    v.s[0].t_ms = fa->t;
    v.s[0].prov = fa->args[0].u.scalar.prov;
    v.s[0].drop_name = false;
    v.n = 1;
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

int fn_absent(struct fn_args *fa, struct value *out)
{
    struct vector v = fn_out_vec(fa, 1);
    if (fa->args[0].u.vec.n == 0) {
        v.s[0].ls = fn_absent_labels(fa->ev, fa->call->u.call.args[0]);
        v.s[0].v = 1;
        v.s[0].t_ms = fa->t;
        v.s[0].prov = NULL; /* absence has no inputs (FRESHNESS.md) */
        v.s[0].drop_name = false;
        v.n = 1;
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

int fn_timestamp(struct fn_args *fa, struct value *out)
{
    const struct vector *in = &fa->args[0].u.vec;
    struct vector v = fn_out_vec(fa, in->n);
    for (size_t i = 0; i < in->n; i++) {
        v.s[i] = in->s[i];
        v.s[i].v = (double)in->s[i].t_ms / 1000;
        v.s[i].h = NULL;
        v.s[i].t_ms = fa->t;
        ev_drop_name(fa->ev, &v.s[i]);
    }
    v.n = in->n;
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}
