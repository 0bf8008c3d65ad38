/* histogram: Prometheus's float native histogram (model/histogram
 * FloatHistogram) as a value of its own: exponential schemas -4..8 and the
 * custom-bucket schema (-53, NHCB), zero bucket, positive and negative
 * buckets, counter reset hint, and the arithmetic PromQL needs (add,
 * subtract, scale, reset detection, bucket bounds).
 * Buckets are kept dense: bucket i of pos[] has index pos_off + i (an empty
 * bucket is a 0), which is what Prometheus's spans describe once compacted;
 * equality ignores empty buckets, as promqltest's Compact(0) comparison does.
 * Ownership rule: a histogram and its arrays live in one arena (the store's
 * for loaded data, the evaluation's for computed values) and are immutable
 * once shared: operations that change one work on a histogram_copy. */
#ifndef HEED_EVAL_HISTOGRAM_H
#define HEED_EVAL_HISTOGRAM_H

#include <stdbool.h>
#include <stdint.h>

struct arena;
struct strbuf;

#define HISTOGRAM_CUSTOM_SCHEMA (-53)

enum histogram_hint {
    HISTOGRAM_HINT_UNKNOWN = 0,
    HISTOGRAM_HINT_RESET,
    HISTOGRAM_HINT_NOT_RESET,
    HISTOGRAM_HINT_GAUGE,
};

struct histogram {
    int32_t schema;            /* -4..8, or HISTOGRAM_CUSTOM_SCHEMA */
    enum histogram_hint hint;  /* counter reset hint */
    double zero_threshold;     /* width of the zero bucket (exponential schemas) */
    double zero_count;         /* observations in the zero bucket */
    double count;              /* all observations */
    double sum;                /* sum of observations */
    int32_t pos_off, neg_off;  /* index of pos[0], neg[0] */
    uint32_t npos, nneg;       /* dense bucket counts */
    double *pos, *neg;         /* bucket populations */
    const double *custom;      /* custom bucket upper bounds (schema -53), +Inf implied last */
    uint32_t ncustom;          /* their count */
};

/* Flags operations report (Prometheus's annotations derive from them). */
enum {
    HISTOGRAM_OP_RESET_COLLISION = 1, /* a CounterReset met a NotCounterReset hint */
    HISTOGRAM_OP_RECONCILED = 2,      /* mismatched custom bounds were intersected */
};

struct histogram *histogram_new(struct arena *a);
/* A deep copy (buckets and custom bounds) in a. */
struct histogram *histogram_copy(struct arena *a, const struct histogram *h);

static inline bool histogram_is_custom(const struct histogram *h)
{
    return h->schema == HISTOGRAM_CUSTOM_SCHEMA;
}

/* Upper bound of positive bucket idx of an exponential schema. */
double histogram_exp_bound(int32_t idx, int32_t schema);
/* Lower and upper bounds of bucket i (dense position) on the positive or
 * negative side. */
void histogram_bucket_bounds(const struct histogram *h, bool positive, uint32_t i, double *lo,
                             double *hi);

/* h += o (or h -= o): h must be the caller's own copy (its arrays are
 * replaced in a). Returns 0 with *flags set, or -1 when one is exponential
 * and the other custom-bucket (ErrHistogramsIncompatibleSchema). */
int histogram_add(struct arena *a, struct histogram *h, const struct histogram *o, bool sub,
                  unsigned *flags);
/* Compensation terms of a Kahan sum of histograms (count and sum; bucket
 * populations are summed plainly). Zero-initialise. */
struct histogram_comp {
    double count, sum;
};
/* h += o with Kahan compensation in c; histogram_kahan_finish adds c in. */
int histogram_add_kahan(struct arena *a, struct histogram *h, const struct histogram *o,
                        struct histogram_comp *c, unsigned *flags);
void histogram_kahan_finish(struct histogram *h, const struct histogram_comp *c);

/* The mean of histograms as Prometheus's avg: a Kahan sum divided at the end,
 * switching to an incremental mean once the sum would overflow.
 * Zero-initialise; add returns -1 on incompatible schemas. */
struct histogram_mean {
    struct histogram *sum;    /* running sum, or mean when incremental (own copy) */
    struct histogram_comp c;  /* compensation */
    double n;                 /* histograms added */
    bool incremental;         /* switched to the incremental mean */
};
int histogram_mean_add(struct arena *a, struct histogram_mean *m, const struct histogram *h,
                       unsigned *flags);
struct histogram *histogram_mean_finish(struct histogram_mean *m);

/* h *= f; h /= f (division by zero drops the buckets, as Prometheus). */
void histogram_mul(struct histogram *h, double f);
void histogram_div(struct histogram *h, double f);

/* The share of the bucket (lo, hi] at or below v, for lo < v < hi: linear
 * (custom and zero buckets) or along log2 (exponential buckets). */
double histogram_fraction_below(double lo, double hi, double v, bool linear);
/* h </ x (upper: keep observations below x) or h >/ x in place, on the
 * caller's own copy (FloatHistogram.TrimBuckets). */
void histogram_trim(struct histogram *h, double x, bool upper);

/* Lowers h's resolution to schema (no-op when not lower, or custom buckets). */
void histogram_reduce(struct arena *a, struct histogram *h, int32_t schema);
/* Exact equality of values and layout, ignoring empty buckets and the hint
 * (FloatHistogram.Equals on compacted histograms). */
bool histogram_equal(const struct histogram *x, const struct histogram *y);

/* Whether cur is a counter reset against prev (FloatHistogram.DetectReset). */
bool histogram_detect_reset(const struct histogram *cur, const struct histogram *prev);

/* Whether two histograms are equal for the test scripts: same schema, zero
 * threshold and custom bounds, float fields and non-empty buckets equal within
 * the relative tolerance eq(). */
bool histogram_matches(const struct histogram *exp, const struct histogram *got, bool check_hint,
                       bool (*eq)(double, double));

/* Go's FloatHistogram.String(), "{count:20, sum:10, [-2,-1):2, (0.5,1]:1}"
 * (count_values uses it as the label value of a histogram). */
void histogram_go_string(struct strbuf *sb, const struct histogram *h);

/* Go's FloatHistogram.TestExpression(): the notation with default fields left
 * out and one span per side, as promtool prints and compares histograms. */
void histogram_test_expression(struct strbuf *sb, const struct histogram *h);

/* The test notation {{schema:0 count:3 sum:5 buckets:[1 2] ...}}. */
void histogram_format(struct strbuf *sb, const struct histogram *h);

#endif
