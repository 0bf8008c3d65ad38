/* fn: how PromQL functions receive their evaluated arguments and write their
 * output; one dispatch table indexed by enum fn_id (fn.c), implementations
 * grouped by family in fn_<family>.c.
 * Contract: args[i] holds argument i evaluated at time t (scalars as
 * VALUE_SCALAR, instant vectors as VALUE_VECTOR, strings as VALUE_STRING, the
 * range-vector argument as VALUE_MATRIX whose series hold the window's
 * points). A function writes *out (a vector, or a scalar for the scalar-valued
 * ones) allocated in fa->ev->a, drops __name__ with ev_drop_name where
 * Prometheus does, passes provenance through, and returns 0 or -1 with
 * ev_fail. Label-only functions (label_replace, label_join) and those needing
 * their raw AST argument (absent, timestamp) read fa->call. A string that
 * becomes a label value must be allocated in fa->ev->keep (it outlives the
 * step); info() is planned specially (fn_info_plan) and gets only args[0].
 * Ownership rule: all output lives in the evaluation arenas (ev->a, ev->keep). */
#ifndef HEED_EVAL_FN_H
#define HEED_EVAL_FN_H

#include "eval/ev.h"

struct fn_args {
    struct ev *ev;                /* evaluator */
    const struct ast_node *call;  /* the AST_CALL node */
    struct value *args;           /* evaluated arguments */
    size_t nargs;                 /* count */
    int64_t t;                    /* evaluation time (ms) */
    int64_t range_ms;             /* window length of the range-vector argument */
    int64_t ref_ms;               /* window end (t - offset, or the @ time) */
    enum ast_ext ext;             /* anchored / smoothed range argument (fn_extended.c) */
};

typedef int (*fn_impl)(struct fn_args *fa, struct value *out);

/* Every function of grammar/funcs.def has an entry; a NULL entry (a function
 * added to funcs.def later) makes the evaluation fail with a clear error. */
extern const fn_impl fn_table[FN__COUNT];

/* Families. */
#define FN_DECL(name) int name(struct fn_args *fa, struct value *out);
/* fn_rate.c */
FN_DECL(fn_rate) FN_DECL(fn_increase) FN_DECL(fn_delta) FN_DECL(fn_irate) FN_DECL(fn_idelta)
FN_DECL(fn_deriv) FN_DECL(fn_predict_linear) FN_DECL(fn_resets) FN_DECL(fn_changes)
FN_DECL(fn_double_exponential_smoothing)
/* fn_over_time.c */
FN_DECL(fn_avg_over_time) FN_DECL(fn_sum_over_time) FN_DECL(fn_count_over_time)
FN_DECL(fn_min_over_time) FN_DECL(fn_max_over_time) FN_DECL(fn_last_over_time)
FN_DECL(fn_first_over_time) FN_DECL(fn_stddev_over_time) FN_DECL(fn_stdvar_over_time)
FN_DECL(fn_quantile_over_time) FN_DECL(fn_mad_over_time) FN_DECL(fn_present_over_time)
FN_DECL(fn_absent_over_time) FN_DECL(fn_ts_of_first_over_time) FN_DECL(fn_ts_of_last_over_time)
FN_DECL(fn_ts_of_min_over_time) FN_DECL(fn_ts_of_max_over_time)
/* fn_math.c */
FN_DECL(fn_math) FN_DECL(fn_clamp) FN_DECL(fn_clamp_min) FN_DECL(fn_clamp_max) FN_DECL(fn_round)
FN_DECL(fn_pi) FN_DECL(fn_min_max_of) FN_DECL(fn_scalar) FN_DECL(fn_vector) FN_DECL(fn_absent) FN_DECL(fn_timestamp)
/* fn_time.c */
FN_DECL(fn_time) FN_DECL(fn_date) FN_DECL(fn_query_time)
/* fn_label.c */
FN_DECL(fn_label_replace) FN_DECL(fn_label_join)
/* fn_info.c */
FN_DECL(fn_info)
/* fn_sort.c */
FN_DECL(fn_sort) FN_DECL(fn_sort_by_label)
/* fn_histogram.c */
FN_DECL(fn_histogram_quantile) FN_DECL(fn_histogram_quantiles) FN_DECL(fn_histogram_fraction) FN_DECL(fn_empty_vector)
/* fn_nhist.c (native histograms) */
FN_DECL(fn_nhist_simple) FN_DECL(fn_nhist_quantile) FN_DECL(fn_nhist_fraction)
FN_DECL(fn_nhist_edge_over_time) FN_DECL(fn_nhist_rate_family) FN_DECL(fn_nhist_sum_avg_over_time) FN_DECL(fn_nhist_quantiles)
#undef FN_DECL

/* Whether function id handles native histogram samples itself; the others
 * never see them (the engine removes them from their arguments). */
bool fn_sees_histograms(enum fn_id id);

/* Shared helper for families: a vector output of up to n samples. */
struct vector fn_out_vec(struct fn_args *fa, size_t n);

/* Kahan-compensated sum step, as Prometheus's kahansum.Inc. */
static inline void fn_kahan_inc(double inc, double *sum, double *c)
{
    double t = *sum + inc;
    if (__builtin_isinf(t))
        *c = 0;
    else if (__builtin_fabs(*sum) >= __builtin_fabs(inc))
        *c += (*sum - t) + inc;
    else
        *c += (inc - t) + *sum;
    *sum = t;
}

/* Go's math.Max and math.Min: NaN wins. */
static inline double fn_go_max(double a, double b)
{
    if (__builtin_isnan(a) || __builtin_isnan(b))
        return __builtin_nan("");
    return a > b ? a : b;
}
static inline double fn_go_min(double a, double b)
{
    if (__builtin_isnan(a) || __builtin_isnan(b))
        return __builtin_nan("");
    return a < b ? a : b;
}

/* Whether s is a valid label name in UTF-8 mode (non-empty, valid UTF-8). */
bool fn_valid_label_name(const char *s);

/* Quantile of sorted-in-place values, as Prometheus's quantile (phi outside [0,1] gives -Inf/+Inf). */
double fn_quantile(double phi, double *v, size_t n);



/* Labels absent()/absent_over_time() report for their argument (fn_over_time.c). */
const struct labels *fn_absent_labels(struct ev *ev, const struct ast_node *arg);
#endif
