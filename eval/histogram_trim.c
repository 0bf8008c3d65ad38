/* histogram_trim: the trim operators `h </ x` (keep observations below x)
 * and `h >/ x` (keep those above x) on one native histogram, as Prometheus's
 * FloatHistogram.TrimBuckets: buckets wholly on the kept side stay, buckets
 * wholly on the other side empty, the bucket holding x keeps the interpolated
 * share (logarithmic for exponential buckets, linear for custom ones and the
 * zero bucket), and count and sum are re-estimated from bucket midpoints
 * whenever anything was cut. */
#include <math.h>

#include "eval/histogram.h"

double histogram_fraction_below(double lo, double hi, double v, bool linear)
{
    if (linear)
        return (v - lo) / (hi - lo);
    /* Exponential bounds are evenly spaced in log2; negative buckets mirror. */
    double ll = log2(fabs(lo)), lu = log2(fabs(hi)), lv = log2(fabs(v));
    if (v > 0)
        return (lv - ll) / (lu - ll);
    return 1 - ((lv - lu) / (ll - lu));
}

static double finite_or_zero(double x)
{
    return isinf(x) ? 0 : x;
}

/* Where the observations of the surviving interval [lo, hi] are assumed to
 * sit: its middle (geometric for exponential buckets), with infinite ends
 * falling back to the finite one. */
static double midpoint(double lo, double hi, bool positive, bool linear)
{
    if (isinf(lo)) {
        if (isinf(hi))
            return 0;
        return hi > 0 ? hi / 2 : hi;
    }
    if (isinf(hi))
        return lo;
    if (linear)
        return (lo + hi) / 2;
    double g = sqrt(fabs(lo * hi));
    return positive ? g : -g;
}

/* A bucket with an infinite bound (custom buckets only): its spread is
 * unknown, so it is kept whole or dropped whole, except that a -Inf lower
 * bound with a positive finite upper one is read as starting at 0. */
static void trim_infinite(double lo, double hi, double count, double x, bool upper, double *keep,
                          double *mid)
{
    if (isinf(lo) && lo < 0) {
        if (upper) {
            if (x >= hi) {
                *keep = count, *mid = 0;
            } else if (x > 0 && hi > 0 && !isinf(hi)) {
                *keep = count * x / hi, *mid = x / 2;
            } else if (hi <= 0) {
                *keep = count, *mid = x;
            } else {
                *keep = 0, *mid = finite_or_zero(hi);
            }
            return;
        }
        if (x >= 0 && hi > x && !isinf(hi))
            *keep = count * (1 - x / hi), *mid = (x + hi) / 2;
        else
            *keep = 0, *mid = finite_or_zero(hi);
        return;
    }
    /* Upper bound +Inf. */
    if (!upper && x >= lo)
        *keep = count, *mid = x;
    else
        *keep = 0, *mid = finite_or_zero(lo);
}

/* The share of a bucket holding x that survives, and where it sits. */
static void trim_partial(double lo, double hi, double count, double x, bool upper, bool positive,
                         bool linear, double *keep, double *mid)
{
    if (isinf(lo) || isinf(hi)) {
        trim_infinite(lo, hi, count, x, upper, keep, mid);
        return;
    }
    double below = x <= lo ? 0 : x >= hi ? count : count * histogram_fraction_below(lo, hi, x, linear);
    if (upper) {
        *keep = below;
        *mid = midpoint(lo, x, positive, linear);
    } else {
        *keep = count - below;
        *mid = midpoint(x, hi, positive, linear);
    }
}

static void trim_side(struct histogram *h, bool positive, double x, bool upper, double *count,
                      double *sum, bool *cut, bool *seen)
{
    uint32_t n = positive ? h->npos : h->nneg;
    double *b = positive ? h->pos : h->neg;
    bool linear = histogram_is_custom(h);
    for (uint32_t i = 0; i < n; i++) {
        if (b[i] == 0)
            continue;
        *seen = true;
        double lo, hi;
        histogram_bucket_bounds(h, positive, i, &lo, &hi);
        bool whole = upper ? hi <= x : lo >= x;
        bool partly = upper ? lo < x : hi > x;
        if (whole) {
            *count += b[i];
            *sum += midpoint(lo, hi, positive, linear) * b[i];
        } else if (partly) {
            double keep, mid;
            trim_partial(lo, hi, b[i], x, upper, positive, linear, &keep, &mid);
            *count += keep;
            *sum += mid * keep;
            if (b[i] != keep) {
                b[i] = keep;
                *cut = true;
            }
        } else {
            b[i] = 0;
            *cut = true;
        }
    }
}

/* The zero bucket spans [-threshold, threshold], narrowed to the side that
 * has buckets when only one side does. */
static void trim_zero(struct histogram *h, double x, bool upper, bool neg, bool pos, double *keep,
                      double *mid)
{
    double lo = -h->zero_threshold, hi = h->zero_threshold, c = h->zero_count;
    if (neg && !pos)
        hi = 0;
    if (pos && !neg)
        lo = 0;
    if (upper) {
        if (x <= lo) {
            *keep = 0, *mid = 0;
        } else if (x >= hi) {
            *keep = c, *mid = (lo + hi) / 2;
        } else {
            *keep = c * (x - lo) / (hi - lo), *mid = (lo + x) / 2;
        }
        return;
    }
    if (x <= lo) {
        *keep = c, *mid = (lo + hi) / 2;
    } else if (x >= hi) {
        *keep = 0, *mid = 0;
    } else {
        *keep = c * (hi - x) / (hi - lo), *mid = (x + hi) / 2;
    }
}

void histogram_trim(struct histogram *h, double x, bool upper)
{
    double count = 0, sum = 0;
    bool cut = false, pos = false, neg = false;
    trim_side(h, true, x, upper, &count, &sum, &cut, &pos);
    trim_side(h, false, x, upper, &count, &sum, &cut, &neg);
    if (h->zero_count > 0) {
        double keep, mid;
        trim_zero(h, x, upper, neg, pos, &keep, &mid);
        if (h->zero_count != keep) {
            h->zero_count = keep;
            cut = true;
        }
        sum += mid * keep;
        count += keep;
    }
    /* An untouched histogram keeps its exact count and sum. */
    if (cut) {
        h->count = count;
        h->sum = sum;
    }
}
