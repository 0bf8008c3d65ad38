#include "eval/histogram.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"

struct histogram *histogram_new(struct arena *a)
{
    return ARENA_NEW(a, struct histogram);
}

struct histogram *histogram_copy(struct arena *a, const struct histogram *h)
{
    struct histogram *c = arena_memdup(a, h, sizeof *h);
    c->pos = h->npos ? arena_memdup(a, h->pos, h->npos * sizeof *h->pos) : NULL;
    c->neg = h->nneg ? arena_memdup(a, h->neg, h->nneg * sizeof *h->neg) : NULL;
    c->custom = h->ncustom ? arena_memdup(a, h->custom, h->ncustom * sizeof *h->custom) : NULL;
    return c;
}

double histogram_exp_bound(int32_t idx, int32_t schema)
{
    if (schema < 0)
        return ldexp(1, (int)(idx * (1 << -schema)));
    int32_t frac_idx = idx & ((1 << schema) - 1);
    double frac = exp2((double)frac_idx / (double)(1 << schema)) / 2;
    int e = (int)(idx >> schema) + 1;
    return ldexp(frac, e);
}

void histogram_bucket_bounds(const struct histogram *h, bool positive, uint32_t i, double *lo,
                             double *hi)
{
    int32_t idx = (positive ? h->pos_off : h->neg_off) + (int32_t)i;
    if (histogram_is_custom(h)) {
        *lo = idx <= 0 ? -INFINITY : h->custom[idx - 1];
        *hi = (uint32_t)idx < h->ncustom ? h->custom[idx] : INFINITY;
        return;
    }
    double up = histogram_exp_bound(idx, h->schema), down = histogram_exp_bound(idx - 1, h->schema);
    if (positive) {
        *lo = down;
        *hi = up;
    } else {
        *lo = -up;
        *hi = -down;
    }
}

/* The zero count h would have with a zero bucket at least *thr wide; widens
 * *thr to a bucket boundary when it falls inside a populated bucket. */
static double zero_count_for(const struct histogram *h, double *thr)
{
    double t = *thr;
    if (t == h->zero_threshold)
        return h->zero_count;
    for (;;) {
        double zc = h->zero_count, lo, hi;
        for (uint32_t i = 0; i < h->npos; i++) {
            histogram_bucket_bounds(h, true, i, &lo, &hi);
            if (lo >= t)
                break;
            zc += h->pos[i];
            if (hi > t) {
                if (h->pos[i] != 0)
                    t = hi;
                break;
            }
        }
        bool redo = false;
        for (uint32_t i = 0; i < h->nneg; i++) {
            histogram_bucket_bounds(h, false, i, &lo, &hi);
            if (hi <= -t)
                break;
            zc += h->neg[i];
            if (lo < -t) {
                if (h->neg[i] != 0) {
                    t = -lo;
                    redo = true;
                }
                break;
            }
        }
        if (!redo) {
            *thr = t;
            return zc;
        }
    }
}

/* Empties the buckets now inside the zero bucket (their counts are in it). */
static void trim_in_zero(struct histogram *h)
{
    double lo, hi;
    for (uint32_t i = 0; i < h->npos; i++) {
        histogram_bucket_bounds(h, true, i, &lo, &hi);
        if (lo >= h->zero_threshold)
            break;
        h->pos[i] = 0;
    }
    for (uint32_t i = 0; i < h->nneg; i++) {
        histogram_bucket_bounds(h, false, i, &lo, &hi);
        if (hi <= -h->zero_threshold)
            break;
        h->neg[i] = 0;
    }
}

/* Widens the zero buckets of h and (virtually) o to a common threshold;
 * returns o's zero count at that threshold. */
static double reconcile_zero(struct histogram *h, const struct histogram *o)
{
    double ozc = o->zero_count, ot = o->zero_threshold;
    while (ot != h->zero_threshold) {
        if (h->zero_threshold > ot) {
            ot = h->zero_threshold;
            ozc = zero_count_for(o, &ot);
        }
        if (ot > h->zero_threshold) {
            double t = ot;
            h->zero_count = zero_count_for(h, &t);
            h->zero_threshold = t;
            trim_in_zero(h);
        }
    }
    return ozc;
}

static int32_t target_idx(int32_t idx, int32_t from, int32_t to)
{
    return ((idx - 1) >> (from - to)) + 1;
}

/* Dense buckets (off, n, v) of schema from as schema to (to <= from), in a. */
static void reduce(struct arena *a, int32_t from, int32_t to, int32_t off, uint32_t n,
                   const double *v, int32_t *noff, uint32_t *nn, double **nv)
{
    if (from == to || n == 0) {
        *noff = off;
        *nn = n;
        *nv = (double *)v;
        return;
    }
    int32_t lo = target_idx(off, from, to), hi = target_idx(off + (int32_t)n - 1, from, to);
    double *r = ARENA_NEWN(a, double, hi - lo + 1);
    for (uint32_t i = 0; i < n; i++)
        r[target_idx(off + (int32_t)i, from, to) - lo] += v[i];
    *noff = lo;
    *nn = (uint32_t)(hi - lo + 1);
    *nv = r;
}

/* (aoff, an, av) +/- (boff, bn, bv) into a fresh array. */
static void add_dense(struct arena *a, int32_t *aoff, uint32_t *an, double **av, int32_t boff,
                      uint32_t bn, const double *bv, bool sub)
{
    if (bn == 0)
        return;
    int32_t lo = *an ? (*aoff < boff ? *aoff : boff) : boff;
    int32_t hi = boff + (int32_t)bn;
    if (*an && *aoff + (int32_t)*an > hi)
        hi = *aoff + (int32_t)*an;
    double *r = ARENA_NEWN(a, double, hi - lo);
    for (uint32_t i = 0; i < *an; i++)
        r[*aoff - lo + (int32_t)i] = (*av)[i];
    for (uint32_t i = 0; i < bn; i++)
        r[boff - lo + (int32_t)i] += sub ? -bv[i] : bv[i];
    *aoff = lo;
    *an = (uint32_t)(hi - lo);
    *av = r;
}

static bool custom_match(const struct histogram *x, const struct histogram *y)
{
    if (x->ncustom != y->ncustom)
        return false;
    for (uint32_t i = 0; i < x->ncustom; i++)
        if (x->custom[i] != y->custom[i])
            return false;
    return true;
}

/* The custom bounds both share. */
static uint32_t intersect_bounds(struct arena *a, const struct histogram *x,
                                 const struct histogram *y, double **out)
{
    double *r = ARENA_NEWN(a, double, x->ncustom + 1);
    uint32_t n = 0, i = 0, j = 0;
    while (i < x->ncustom && j < y->ncustom) {
        if (x->custom[i] == y->custom[j]) {
            r[n++] = x->custom[i];
            i++, j++;
        } else if (x->custom[i] < y->custom[j]) {
            i++;
        } else {
            j++;
        }
    }
    *out = r;
    return n;
}

/* h's custom buckets mapped onto the coarser bounds b (n of them, +Inf implied). */
static double *map_custom(struct arena *a, const struct histogram *h, const double *b, uint32_t n)
{
    double *r = ARENA_NEWN(a, double, n + 1);
    uint32_t j = 0;
    for (uint32_t i = 0; i < h->npos; i++) {
        int32_t idx = h->pos_off + (int32_t)i;
        double up = (uint32_t)idx < h->ncustom ? h->custom[idx] : INFINITY;
        while (j < n && b[j] < up)
            j++;
        r[j] += h->pos[i];
    }
    return r;
}

static void adjust_hint(struct histogram *h, const struct histogram *o, unsigned *flags)
{
    if (o->hint == h->hint || h->hint == HISTOGRAM_HINT_GAUGE ||
        h->hint == HISTOGRAM_HINT_UNKNOWN)
        return;
    if (o->hint == HISTOGRAM_HINT_GAUGE) {
        h->hint = HISTOGRAM_HINT_GAUGE;
        return;
    }
    if (o->hint != HISTOGRAM_HINT_UNKNOWN)
        *flags |= HISTOGRAM_OP_RESET_COLLISION;
    h->hint = HISTOGRAM_HINT_UNKNOWN;
}

int histogram_add(struct arena *a, struct histogram *h, const struct histogram *o, bool sub,
                  unsigned *flags)
{
    *flags = 0;
    if (histogram_is_custom(h) != histogram_is_custom(o))
        return -1;
    adjust_hint(h, o, flags);
    double s = sub ? -1 : 1;
    h->count += s * o->count;
    h->sum += s * o->sum;
    if (histogram_is_custom(h)) {
        if (custom_match(h, o)) {
            add_dense(a, &h->pos_off, &h->npos, &h->pos, o->pos_off, o->npos, o->pos, sub);
            return 0;
        }
        *flags |= HISTOGRAM_OP_RECONCILED;
        double *b;
        uint32_t n = intersect_bounds(a, h, o, &b);
        double *hv = map_custom(a, h, b, n), *ov = map_custom(a, o, b, n);
        for (uint32_t i = 0; i <= n; i++)
            hv[i] += s * ov[i];
        h->pos = hv;
        h->pos_off = 0;
        h->npos = n + 1;
        h->custom = b;
        h->ncustom = n;
        return 0;
    }
    h->zero_count += s * reconcile_zero(h, o);
    int32_t to = h->schema < o->schema ? h->schema : o->schema;
    reduce(a, h->schema, to, h->pos_off, h->npos, h->pos, &h->pos_off, &h->npos, &h->pos);
    reduce(a, h->schema, to, h->neg_off, h->nneg, h->neg, &h->neg_off, &h->nneg, &h->neg);
    h->schema = to;
    int32_t po, no;
    uint32_t pn, nn;
    double *pv, *nv;
    reduce(a, o->schema, to, o->pos_off, o->npos, o->pos, &po, &pn, &pv);
    reduce(a, o->schema, to, o->neg_off, o->nneg, o->neg, &no, &nn, &nv);
    add_dense(a, &h->pos_off, &h->npos, &h->pos, po, pn, pv, sub);
    add_dense(a, &h->neg_off, &h->nneg, &h->neg, no, nn, nv, sub);
    return 0;
}

void histogram_mul(struct histogram *h, double f)
{
    h->zero_count *= f;
    h->count *= f;
    h->sum *= f;
    for (uint32_t i = 0; i < h->npos; i++)
        h->pos[i] *= f;
    for (uint32_t i = 0; i < h->nneg; i++)
        h->neg[i] *= f;
    if (f < 0)
        h->hint = HISTOGRAM_HINT_GAUGE;
}

void histogram_div(struct histogram *h, double f)
{
    h->zero_count /= f;
    h->count /= f;
    h->sum /= f;
    if (f == 0) {
        h->npos = h->nneg = 0;
        return;
    }
    for (uint32_t i = 0; i < h->npos; i++)
        h->pos[i] /= f;
    for (uint32_t i = 0; i < h->nneg; i++)
        h->neg[i] /= f;
    if (f < 0)
        h->hint = HISTOGRAM_HINT_GAUGE;
}

/* Whether a bucket of cur (at cur's schema) holds less than prev's same bucket;
 * buckets with |upper bound| <= skip are inside the zero bucket. */
static bool side_reset(const struct histogram *cur, const struct histogram *prev, bool positive,
                       struct arena *a)
{
    int32_t po, co = positive ? cur->pos_off : cur->neg_off;
    uint32_t pn, cn = positive ? cur->npos : cur->nneg;
    double *pv;
    const double *cv = positive ? cur->pos : cur->neg;
    if (positive)
        reduce(a, prev->schema, cur->schema, prev->pos_off, prev->npos, prev->pos, &po, &pn, &pv);
    else
        reduce(a, prev->schema, cur->schema, prev->neg_off, prev->nneg, prev->neg, &po, &pn, &pv);
    for (uint32_t i = 0; i < pn; i++) {
        int32_t idx = po + (int32_t)i;
        if (!histogram_is_custom(cur) &&
            histogram_exp_bound(idx, cur->schema) <= cur->zero_threshold)
            continue;
        double c = idx >= co && idx < co + (int32_t)cn ? cv[idx - co] : 0;
        if (c < pv[i])
            return true;
    }
    return false;
}

bool histogram_detect_reset(const struct histogram *cur, const struct histogram *prev)
{
    if (cur->hint == HISTOGRAM_HINT_RESET)
        return true;
    if (cur->hint == HISTOGRAM_HINT_NOT_RESET)
        return false;
    if (cur->count < prev->count)
        return true;
    struct arena a;
    arena_init(&a, 0);
    bool r = false;
    if (histogram_is_custom(cur) || histogram_is_custom(prev)) {
        if (!histogram_is_custom(cur) || !histogram_is_custom(prev)) {
            r = true;
        } else if (!custom_match(cur, prev)) {
            double *b;
            uint32_t n = intersect_bounds(&a, cur, prev, &b);
            double *cv = map_custom(&a, cur, b, n), *pv = map_custom(&a, prev, b, n);
            for (uint32_t i = 0; i <= n && !r; i++)
                r = cv[i] < pv[i];
        } else {
            r = side_reset(cur, prev, true, &a);
        }
        arena_release(&a);
        return r;
    }
    if (cur->schema > prev->schema || cur->zero_threshold < prev->zero_threshold) {
        r = true;
    } else {
        double t = cur->zero_threshold;
        double pz = zero_count_for(prev, &t);
        r = t != cur->zero_threshold || cur->zero_count < pz ||
            side_reset(cur, prev, true, &a) || side_reset(cur, prev, false, &a);
    }
    arena_release(&a);
    return r;
}

static bool exact_eq(double a, double b)
{
    return a == b;
}

static bool dense_match(int32_t eo, uint32_t en, const double *ev, int32_t go, uint32_t gn,
                        const double *gv, bool (*eq)(double, double))
{
    int32_t lo = eo < go ? eo : go;
    int32_t hi = eo + (int32_t)en > go + (int32_t)gn ? eo + (int32_t)en : go + (int32_t)gn;
    for (int32_t i = lo; i < hi; i++) {
        double e = i >= eo && i < eo + (int32_t)en ? ev[i - eo] : 0;
        double g = i >= go && i < go + (int32_t)gn ? gv[i - go] : 0;
        if (e == 0 && g == 0)
            continue;
        if ((e == 0) != (g == 0) || !eq(e, g))
            return false;
    }
    return true;
}

bool histogram_matches(const struct histogram *e, const struct histogram *g, bool check_hint,
                       bool (*eq)(double, double))
{
    if (e->schema != g->schema || !eq(e->count, g->count) || !eq(e->sum, g->sum))
        return false;
    if (histogram_is_custom(e) && !custom_match(e, g))
        return false;
    if (e->zero_threshold != g->zero_threshold || !eq(e->zero_count, g->zero_count))
        return false;
    if (!dense_match(e->neg_off, e->nneg, e->neg, g->neg_off, g->nneg, g->neg, eq) ||
        !dense_match(e->pos_off, e->npos, e->pos, g->pos_off, g->npos, g->pos, eq))
        return false;
    return !check_hint || e->hint == g->hint;
}

static void fmt_num(struct strbuf *sb, double v)
{
    if (isnan(v))
        strbuf_addstr(sb, "NaN");
    else if (isinf(v))
        strbuf_addstr(sb, v > 0 ? "Inf" : "-Inf");
    else
        strbuf_addf(sb, "%.17g", v);
}

static void fmt_buckets(struct strbuf *sb, const char *bk, const char *ok, int32_t off, uint32_t n,
                        const double *v)
{
    uint32_t a = 0, b = n;
    while (a < b && v[a] == 0)
        a++;
    while (b > a && v[b - 1] == 0)
        b--;
    if (a == b)
        return;
    if (off + (int32_t)a != 0)
        strbuf_addf(sb, " %s:%d", ok, off + (int32_t)a);
    strbuf_addf(sb, " %s:[", bk);
    for (uint32_t i = a; i < b; i++) {
        if (i > a)
            strbuf_addch(sb, ' ');
        fmt_num(sb, v[i]);
    }
    strbuf_addch(sb, ']');
}

void histogram_format(struct strbuf *sb, const struct histogram *h)
{
    static const char *hints[] = {"unknown", "reset", "not_reset", "gauge"};
    strbuf_addf(sb, "{{schema:%d count:", (int)h->schema);
    fmt_num(sb, h->count);
    strbuf_addstr(sb, " sum:");
    fmt_num(sb, h->sum);
    if (h->zero_count != 0) {
        strbuf_addstr(sb, " z_bucket:");
        fmt_num(sb, h->zero_count);
    }
    if (h->zero_threshold != 0) {
        strbuf_addstr(sb, " z_bucket_w:");
        fmt_num(sb, h->zero_threshold);
    }
    if (histogram_is_custom(h)) {
        strbuf_addstr(sb, " custom_values:[");
        for (uint32_t i = 0; i < h->ncustom; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            fmt_num(sb, h->custom[i]);
        }
        strbuf_addch(sb, ']');
    }
    fmt_buckets(sb, "buckets", "offset", h->pos_off, h->npos, h->pos);
    fmt_buckets(sb, "n_buckets", "n_offset", h->neg_off, h->nneg, h->neg);
    if (h->hint != HISTOGRAM_HINT_UNKNOWN)
        strbuf_addf(sb, " counter_reset_hint:%s", hints[h->hint]);
    strbuf_addstr(sb, "}}");
}

void histogram_reduce(struct arena *a, struct histogram *h, int32_t schema)
{
    if (histogram_is_custom(h) || schema >= h->schema)
        return;
    reduce(a, h->schema, schema, h->pos_off, h->npos, h->pos, &h->pos_off, &h->npos, &h->pos);
    reduce(a, h->schema, schema, h->neg_off, h->nneg, h->neg, &h->neg_off, &h->nneg, &h->neg);
    h->schema = schema;
}

bool histogram_equal(const struct histogram *x, const struct histogram *y)
{
    return histogram_matches(x, y, false, exact_eq) && x->ncustom == y->ncustom;
}

/* Go's %g (and %v) for a float64: the shortest digits that round-trip, in
 * exponent form when the decimal exponent is below -4 or at least 6. */
static void go_g(struct strbuf *sb, double v)
{
    if (isnan(v)) {
        strbuf_addstr(sb, "NaN");
        return;
    }
    if (isinf(v)) {
        strbuf_addstr(sb, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == 0) {
        strbuf_addstr(sb, signbit(v) ? "-0" : "0");
        return;
    }
    char e[40];
    int prec = 0;
    for (; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    int nd = prec + 1;
    const char *ep = strchr(e, 'e');
    int x = atoi(ep + 1);
    if (x < -4 || x >= 6) {
        char mant[32];
        size_t m = (size_t)(ep - e);
        memcpy(mant, e, m);
        mant[m] = 0;
        strbuf_addf(sb, "%se%c%02d", mant, x < 0 ? '-' : '+', x < 0 ? -x : x);
        return;
    }
    int decimals = nd - 1 - x;
    strbuf_addf(sb, "%.*f", decimals > 0 ? decimals : 0, v);
}

static void go_bucket(struct strbuf *sb, double lo, double hi, bool lo_in, bool hi_in, double c)
{
    strbuf_addstr(sb, ", ");
    strbuf_addch(sb, lo_in ? '[' : '(');
    go_g(sb, lo);
    strbuf_addch(sb, ',');
    go_g(sb, hi);
    strbuf_addstr(sb, hi_in ? "]:" : "):");
    go_g(sb, c);
}

void histogram_go_string(struct strbuf *sb, const struct histogram *h)
{
    strbuf_addstr(sb, "{count:");
    go_g(sb, h->count);
    strbuf_addstr(sb, ", sum:");
    go_g(sb, h->sum);
    double lo, hi;
    for (uint32_t i = h->nneg; i-- > 0;) {
        if (h->neg[i] == 0)
            continue;
        histogram_bucket_bounds(h, false, i, &lo, &hi);
        go_bucket(sb, lo, hi, true, false, h->neg[i]);
    }
    if (h->zero_count != 0)
        go_bucket(sb, -h->zero_threshold, h->zero_threshold, true, true, h->zero_count);
    for (uint32_t i = 0; i < h->npos; i++) {
        if (h->pos[i] == 0)
            continue;
        histogram_bucket_bounds(h, true, i, &lo, &hi);
        go_bucket(sb, lo, hi, false, true, h->pos[i]);
    }
    strbuf_addch(sb, '}');
}

/* "[a b c]" of %g values. */
static void go_list(struct strbuf *sb, const double *v, uint32_t n)
{
    strbuf_addch(sb, '[');
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            strbuf_addch(sb, ' ');
        go_g(sb, v[i]);
    }
    strbuf_addch(sb, ']');
}

static void go_side(struct strbuf *sb, bool *first, const char *bk, const char *ok, int32_t off,
                    uint32_t n, const double *v)
{
    uint32_t a = 0, b = n;
    while (a < b && v[a] == 0)
        a++;
    while (b > a && v[b - 1] == 0)
        b--;
    if (a == b)
        return;
    if (off + (int32_t)a != 0) {
        strbuf_addf(sb, "%s%s:%d", *first ? "" : " ", ok, off + (int32_t)a);
        *first = false;
    }
    strbuf_addf(sb, "%s%s:", *first ? "" : " ", bk);
    *first = false;
    go_list(sb, v + a, b - a);
}

void histogram_test_expression(struct strbuf *sb, const struct histogram *h)
{
    bool first = true;
    strbuf_addstr(sb, "{{");
#define FIELD(cond, key, val)                                   \
    if (cond) {                                                 \
        strbuf_addf(sb, "%s" key ":", first ? "" : " ");        \
        first = false;                                          \
        go_g(sb, val);                                          \
    }
    if (h->schema != 0) {
        strbuf_addf(sb, "schema:%d", (int)h->schema);
        first = false;
    }
    FIELD(h->count != 0, "count", h->count)
    FIELD(h->sum != 0, "sum", h->sum)
    FIELD(h->zero_count != 0, "z_bucket", h->zero_count)
    FIELD(h->zero_threshold != 0, "z_bucket_w", h->zero_threshold)
#undef FIELD
    if (histogram_is_custom(h)) {
        strbuf_addf(sb, "%scustom_values:", first ? "" : " ");
        first = false;
        go_list(sb, h->custom, h->ncustom);
    }
    static const char *hints[] = {NULL, "reset", "not_reset", "gauge"};
    if (h->hint != HISTOGRAM_HINT_UNKNOWN) {
        strbuf_addf(sb, "%scounter_reset_hint:%s", first ? "" : " ", hints[h->hint]);
        first = false;
    }
    go_side(sb, &first, "buckets", "offset", h->pos_off, h->npos, h->pos);
    go_side(sb, &first, "n_buckets", "n_offset", h->neg_off, h->nneg, h->neg);
    strbuf_addstr(sb, "}}");
}

/* kahansum.Inc */
static void kahan_inc(double inc, double *sum, double *c)
{
    double t = *sum + inc;
    if (isinf(t))
        *c = 0;
    else if (fabs(*sum) >= fabs(inc))
        *c += (*sum - t) + inc;
    else
        *c += (inc - t) + *sum;
    *sum = t;
}

int histogram_add_kahan(struct arena *a, struct histogram *h, const struct histogram *o,
                        struct histogram_comp *c, unsigned *flags)
{
    double count = h->count, sum = h->sum;
    if (histogram_add(a, h, o, false, flags) < 0)
        return -1;
    h->count = count;
    h->sum = sum;
    kahan_inc(o->count, &h->count, &c->count);
    kahan_inc(o->sum, &h->sum, &c->sum);
    return 0;
}

void histogram_kahan_finish(struct histogram *h, const struct histogram_comp *c)
{
    h->count += c->count;
    h->sum += c->sum;
}

static bool has_overflow(const struct histogram *h)
{
    if (isinf(h->zero_count) || isinf(h->count) || isinf(h->sum))
        return true;
    for (uint32_t i = 0; i < h->npos; i++)
        if (isinf(h->pos[i]))
            return true;
    for (uint32_t i = 0; i < h->nneg; i++)
        if (isinf(h->neg[i]))
            return true;
    return false;
}

int histogram_mean_add(struct arena *a, struct histogram_mean *m, const struct histogram *h,
                       unsigned *flags)
{
    *flags = 0;
    m->n++;
    if (!m->sum) {
        m->sum = histogram_copy(a, h);
        return 0;
    }
    if (!m->incremental) {
        struct histogram *v = histogram_copy(a, m->sum);
        struct histogram_comp c = m->c;
        if (histogram_add_kahan(a, v, h, &c, flags) < 0)
            return -1;
        if (!has_overflow(v)) {
            m->sum = v;
            m->c = c;
            return 0;
        }
        /* the sum would overflow: continue with an incremental mean */
        m->incremental = true;
        histogram_div(m->sum, m->n - 1);
        m->c.count /= m->n - 1;
        m->c.sum /= m->n - 1;
    }
    double q = (m->n - 1) / m->n;
    m->c.count *= q;
    m->c.sum *= q;
    struct histogram *add = histogram_copy(a, h);
    histogram_div(add, m->n);
    histogram_mul(m->sum, q);
    return histogram_add_kahan(a, m->sum, add, &m->c, flags);
}

struct histogram *histogram_mean_finish(struct histogram_mean *m)
{
    if (!m->incremental) {
        histogram_div(m->sum, m->n);
        m->c.count /= m->n;
        m->c.sum /= m->n;
    }
    histogram_kahan_finish(m->sum, &m->c);
    return m->sum;
}
