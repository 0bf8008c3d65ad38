/* promjson: streaming decode of Prometheus query-API responses (see promjson.h).
 *
 * yajl's SAX events drive a small stack of frames, one per JSON container we
 * care about; containers we do not care about (stats, unknown keys) are
 * skipped by counting depth. Keys are recognised by the frame they appear in,
 * so the order of keys in an object does not matter, except that samples of
 * a series are streamed only once its "metric" is known (else held back). */
#include "compat/promjson.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "base/arena.h"
#include "base/xalloc.h"
#include "eval/histogram.h"

/* ORDER promjson_errtype */
static const char *const errtype_names[] = {
    "", "bad_data", "execution", "timeout", "canceled", "internal", "unavailable", "not_found", "bad_response",
};

const char *promjson_errtype_name(enum promjson_errtype t)
{
    if ((size_t)t < sizeof errtype_names / sizeof errtype_names[0])
        return errtype_names[t];
    return "internal";
}

enum promjson_errtype promjson_errtype_parse(const char *s, size_t len)
{
    for (size_t i = 1; i < sizeof errtype_names / sizeof errtype_names[0]; i++)
        if (strlen(errtype_names[i]) == len && !memcmp(errtype_names[i], s, len))
            return (enum promjson_errtype)i;
    return PROMJSON_INTERNAL;
}

static void error_vset(struct promjson_error *e, enum promjson_errtype type, const char *fmt, va_list ap)
{
    e->type = type;
    int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    if (n >= (int)sizeof e->msg)
        memcpy(e->msg + sizeof e->msg - 4, "...", 4);
}

void promjson_error_set(struct promjson_error *e, enum promjson_errtype type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(e, type, fmt, ap);
    va_end(ap);
}

const char *promjson_result_type_name(enum promjson_result_type t)
{
    switch (t) {
    case PROMJSON_RESULT_VECTOR: return "vector";
    case PROMJSON_RESULT_MATRIX: return "matrix";
    case PROMJSON_RESULT_SCALAR: return "scalar";
    case PROMJSON_RESULT_STRING: return "string";
    case PROMJSON_RESULT_NONE: break;
    }
    return "";
}

/* ---- number parsing ---- */

/* Clinger's fast path: a decimal with at most 15 significant digits and a
 * power of ten of at most 22 is one correctly rounded IEEE operation on two
 * exact operands, so it equals strtod's result. Most sample values qualify.
 * Returns 0, or -1 to fall back to strtod. */
static int fast_decimal(const char *s, size_t len, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    int digits = 0, frac = 0, any = 0, dot = 0;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            any = 1;
            if (m == 0 && c == '0') {
                frac += dot; /* leading zeros count only as scale */
                continue;
            }
            if (++digits > 15)
                return -1;
            m = m * 10 + (uint64_t)(c - '0');
            frac += dot;
        } else if (c == '.' && !dot) {
            dot = 1;
        } else {
            return -1; /* exponent or anything unusual: strtod decides */
        }
    }
    if (!any || frac > 22)
        return -1;
    double v = (double)m / pow10[frac];
    *out = neg ? -v : v;
    return 0;
}

int promjson_parse_value(const char *s, size_t len, double *out)
{
    if (len && len < 40 && fast_decimal(s, len, out) == 0)
        return 0;
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    /* Prometheus writes exactly these three spellings for the specials. */
    if (!strcmp(buf, "NaN")) {
        *out = NAN;
        return 0;
    }
    if (!strcmp(buf, "+Inf") || !strcmp(buf, "Inf")) {
        *out = INFINITY;
        return 0;
    }
    if (!strcmp(buf, "-Inf")) {
        *out = -INFINITY;
        return 0;
    }
    /* Anything else must be a plain decimal: strtod would also take "inf",
     * "nan(...)" and hex floats, which no Prometheus writes. */
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len)
        return -1;
    *out = v; /* ERANGE overflow gives +-HUGE_VAL = +-Inf, as Go's ParseFloat */
    return 0;
}

int promjson_parse_time_ms(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    int64_t whole = 0;
    size_t digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (whole > (INT64_MAX / 1000 - 9) / 10)
            return -1;
        whole = whole * 10 + (s[i] - '0');
        i++;
        digits++;
    }
    if (!digits)
        return -1;
    int64_t frac = 0;
    int fdigits = 0, round_up = 0;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (fdigits < 3)
                frac = frac * 10 + (s[i] - '0');
            else if (fdigits == 3 && s[i] >= '5')
                round_up = 1; /* round half away from zero, as Prometheus parses times */
            fdigits++;
            i++;
        }
    }
    if (i < len) {
        /* Exponent form: rare (Prometheus never writes it); go through double. */
        char buf[64];
        if (len >= sizeof buf)
            return -1;
        memcpy(buf, s, len);
        buf[len] = 0;
        char *end;
        double d = strtod(buf, &end);
        if (end != buf + len || !isfinite(d) || fabs(d) > 9.2e15)
            return -1;
        *out = (int64_t)llround(d * 1000.0);
        return 0;
    }
    for (int k = fdigits; k < 3; k++)
        frac *= 10;
    int64_t ms = whole * 1000 + frac + round_up;
    *out = neg ? -ms : ms;
    return 0;
}

/* ---- the decoder ---- */

enum frame_kind {
    F_ROOT,     /* the top-level response object */
    F_DATA,     /* "data" */
    F_RESULT,   /* "result": array of series, or a [t, v] pair for scalar/string */
    F_SERIES,   /* one element of a vector or matrix result */
    F_METRIC,   /* the series' "metric" labels */
    F_VALUES,   /* a matrix series' "values" */
    F_PAIR,     /* [t, "v"]: a vector "value", a matrix sample, or a scalar/string result */
    F_WARNINGS, /* "warnings" or "infos" */
    F_HISTS,    /* a matrix series' "histograms" */
    F_HPAIR,    /* [t, {histogram}]: a vector "histogram" or an element of "histograms" */
    F_HIST,     /* the histogram object */
    F_BUCKETS,  /* its "buckets" */
    F_BUCKET,   /* [rule, "lower", "upper", "count"] */
};

/* Which key of a known object the next value belongs to. */
enum key_id {
    K_OTHER = 0,
    K_STATUS,
    K_ERRORTYPE,
    K_ERROR,
    K_DATA,
    K_WARNINGS,
    K_INFOS,
    K_RESULTTYPE,
    K_RESULT,
    K_METRIC,
    K_VALUE,
    K_VALUES,
    K_HISTOGRAM,
    K_HISTOGRAMS,
    K_COUNT,
    K_SUM,
    K_BUCKETS,
};

enum pair_role {
    PAIR_VECTOR, /* a vector series' "value" */
    PAIR_MATRIX, /* one element of "values" */
    PAIR_RESULT, /* the result itself: scalar or string */
};

struct frame {
    enum frame_kind kind; /* what this container is */
    enum key_id key;      /* object frames: the key whose value comes next */
    int index;            /* F_PAIR: elements seen; F_WARNINGS: 1 for infos */
    enum pair_role role;  /* F_PAIR: what the pair is */
};

#define FRAMES_MAX 12
#define SKIP_DEPTH_MAX 64
#define HEAD_MAX 256

/* A label held by offsets into label_buf (which may move while growing). */
struct label_off {
    size_t name, name_len, value, value_len;
};

struct held_sample {
    int64_t t;
    double v;
};

struct promjson {
    yajl_handle yajl;             /* the SAX parser */
    struct promjson_callbacks cb; /* consumer callbacks */
    struct promjson_limits lim;   /* limits with defaults filled in */
    struct promjson_error err;    /* first error; type OK while none */

    struct frame frames[FRAMES_MAX]; /* containers we track, innermost last */
    int nframes;                     /* used entries of frames */
    int skip_depth;                  /* > 0: inside a skipped value */
    int root_done;                   /* the top-level object has closed */

    /* Envelope. */
    int status;                         /* 0 unseen, 1 "success", 2 "error", 3 other */
    enum promjson_errtype body_errtype; /* errorType of an error body */
    char *body_error;                   /* owned "error" message of an error body */
    enum promjson_result_type rtype;    /* declared resultType */
    enum promjson_result_type shape;    /* what the result looked like */

    /* The series being built. */
    char *label_buf;           /* owned: name\0value\0 for each label */
    size_t label_len, label_cap;
    struct label_off *labels;  /* owned */
    size_t nlabels, labels_cap;
    struct promjson_label *views; /* owned: views handed to series_start */
    size_t views_cap;
    int series_has_metric;     /* "metric" closed for this series */
    int series_started;        /* series_start was called */
    struct held_sample *held;  /* owned: samples seen before "metric" */
    size_t nheld, held_cap;
    int64_t pair_t;            /* timestamp of the current pair */
    char *pair_str;            /* owned: string element of a scalar/string result */
    size_t pair_str_len;
    int have_result_pair;      /* a scalar/string result waits for the end of "data" */
    int64_t result_t;
    double result_v;

    /* The native histogram being read. */
    double hist_count, hist_sum;
    int hist_fields;                /* 1: count seen, 2: sum seen */
    struct promjson_bucket *hb;     /* owned: its buckets */
    size_t nhb, hb_cap;
    struct arena harena;            /* the histogram handed out (reset per histogram) */
    struct arena_mark hmark;        /* harena when empty */
    struct arena held_arena;        /* histograms held back until "metric" */
    struct arena_mark held_mark;    /* held_arena when empty */
    struct held_hist {
        int64_t t;
        const struct histogram *h;
    } *held_h;                      /* owned: histograms seen before "metric" */
    size_t nheld_h, held_h_cap;

    /* Counters. */
    size_t bytes;   /* fed so far */
    size_t series;  /* series started */
    size_t samples; /* samples seen */
    char head[HEAD_MAX + 1]; /* first bytes of the body */
    size_t head_len;
};

static int fail(struct promjson *p, enum promjson_errtype type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error; returns 0 so yajl callbacks can "return fail(...)". */
static int fail(struct promjson *p, enum promjson_errtype type, const char *fmt, ...)
{
    if (p->err.type == PROMJSON_OK) {
        va_list ap;
        va_start(ap, fmt);
        error_vset(&p->err, type, fmt, ap);
        va_end(ap);
    }
    return 0;
}

void promjson_fail(struct promjson *p, enum promjson_errtype type, const char *fmt, ...)
{
    if (p->err.type != PROMJSON_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    error_vset(&p->err, type, fmt, ap);
    va_end(ap);
}

/* A consumer callback returned rc; turns a refusal into an error. */
static int consumer(struct promjson *p, int rc, const char *what)
{
    if (rc == 0)
        return 1;
    return fail(p, PROMJSON_INTERNAL, "decoding stopped by the consumer at %s", what);
}

static struct frame *top(struct promjson *p)
{
    return p->nframes ? &p->frames[p->nframes - 1] : NULL;
}

static int push(struct promjson *p, enum frame_kind kind, enum pair_role role)
{
    if (p->nframes == FRAMES_MAX)
        return fail(p, PROMJSON_BAD_RESPONSE, "response nested too deeply");
    p->frames[p->nframes++] = (struct frame){.kind = kind, .role = role};
    return 1;
}

/* ---- the series being built ---- */

static void series_reset(struct promjson *p)
{
    p->label_len = 0;
    p->nlabels = 0;
    p->series_has_metric = 0;
    p->series_started = 0;
    p->nheld = 0;
    p->nheld_h = 0;
    arena_reset(&p->held_arena, p->held_mark);
}

static int label_add(struct promjson *p, const char *s, size_t len, int is_value)
{
    if (len > p->lim.max_label_bytes)
        return fail(p, PROMJSON_EXECUTION, "label %s of %zu bytes exceeds the limit of %zu bytes",
                    is_value ? "value" : "name", len, p->lim.max_label_bytes);
    if (!is_value) {
        if (p->nlabels == p->lim.max_labels)
            return fail(p, PROMJSON_EXECUTION, "series has more than %zu labels", p->lim.max_labels);
        XGROW(p->labels, p->labels_cap, p->nlabels + 1);
        p->labels[p->nlabels] = (struct label_off){.name = p->label_len, .name_len = len};
    } else {
        struct label_off *l = &p->labels[p->nlabels++];
        l->value = p->label_len;
        l->value_len = len;
    }
    if (p->label_len + len + 1 > p->label_cap) {
        size_t cap = p->label_cap ? p->label_cap : 256;
        while (cap < p->label_len + len + 1)
            cap *= 2;
        p->label_buf = xrealloc(p->label_buf, cap);
        p->label_cap = cap;
    }
    memcpy(p->label_buf + p->label_len, s, len);
    p->label_buf[p->label_len + len] = 0;
    p->label_len += len + 1;
    return 1;
}

static int series_emit_start(struct promjson *p)
{
    p->series_started = 1;
    if (!p->cb.series_start)
        return 1;
    XGROW(p->views, p->views_cap, p->nlabels ? p->nlabels : 1);
    for (size_t i = 0; i < p->nlabels; i++) {
        const struct label_off *l = &p->labels[i];
        p->views[i] = (struct promjson_label){
            .name = p->label_buf + l->name,
            .name_len = l->name_len,
            .value = p->label_buf + l->value,
            .value_len = l->value_len,
        };
    }
    return consumer(p, p->cb.series_start(p->cb.ctx, p->views, p->nlabels), "series start");
}

static int sample_emit(struct promjson *p, int64_t t, double v)
{
    if (++p->samples > p->lim.max_samples)
        return fail(p, PROMJSON_EXECUTION, "response has more than %zu samples", p->lim.max_samples);
    if (!p->series_has_metric) {
        /* "values" before "metric": hold the samples of this series only. */
        XGROW(p->held, p->held_cap, p->nheld + 1);
        p->held[p->nheld++] = (struct held_sample){t, v};
        return 1;
    }
    if (!p->cb.sample)
        return 1;
    return consumer(p, p->cb.sample(p->cb.ctx, t, v), "sample");
}

static int metric_done(struct promjson *p)
{
    p->series_has_metric = 1;
    if (!series_emit_start(p))
        return 0;
    for (size_t i = 0; i < p->nheld; i++)
        if (p->cb.sample && !consumer(p, p->cb.sample(p->cb.ctx, p->held[i].t, p->held[i].v), "sample"))
            return 0;
    p->nheld = 0;
    for (size_t i = 0; i < p->nheld_h; i++)
        if (p->cb.histogram &&
            !consumer(p, p->cb.histogram(p->cb.ctx, p->held_h[i].t, p->held_h[i].h), "histogram"))
            return 0;
    p->nheld_h = 0;
    arena_reset(&p->held_arena, p->held_mark);
    return 1;
}

/* The result's shape is decided by what it contains; it must agree with
 * resultType (whichever comes first). */
static int shape_is(struct promjson *p, enum promjson_result_type shape)
{
    if (p->shape == PROMJSON_RESULT_NONE)
        p->shape = shape;
    else if (p->shape != shape)
        return fail(p, PROMJSON_BAD_RESPONSE, "result mixes %s and %s elements",
                    promjson_result_type_name(p->shape), promjson_result_type_name(shape));
    return 1;
}

/* ---- value dispatch ---- */

enum vkind { V_NULL, V_BOOL, V_NUMBER, V_STRING, V_MAP, V_ARRAY };

static const char *vkind_name(enum vkind k)
{
    static const char *const names[] = {"null", "boolean", "number", "string", "object", "array"};
    return names[k];
}

static int bad_value(struct promjson *p, const char *where, enum vkind k)
{
    return fail(p, PROMJSON_BAD_RESPONSE, "unexpected %s as %s", vkind_name(k), where);
}

static int string_limit(struct promjson *p, size_t len, const char *what)
{
    if (len > p->lim.max_string_bytes)
        return fail(p, PROMJSON_EXECUTION, "%s of %zu bytes exceeds the limit of %zu bytes", what, len,
                    p->lim.max_string_bytes);
    return 1;
}

/* A value of the key in an object frame we track. */
static int value_in_object(struct promjson *p, struct frame *f, enum vkind k, const char *s, size_t len)
{
    switch (f->key) {
    case K_STATUS:
        if (k != V_STRING)
            return bad_value(p, "\"status\"", k);
        p->status = (len == 7 && !memcmp(s, "success", 7)) ? 1 : (len == 5 && !memcmp(s, "error", 5)) ? 2 : 3;
        return 1;
    case K_ERRORTYPE:
        if (k != V_STRING)
            return bad_value(p, "\"errorType\"", k);
        p->body_errtype = promjson_errtype_parse(s, len);
        return 1;
    case K_ERROR:
        if (k != V_STRING)
            return bad_value(p, "\"error\"", k);
        free(p->body_error);
        /* Keep at most what fits an error message. */
        p->body_error = xstrndup(s, len < PROMJSON_MSG_MAX ? len : PROMJSON_MSG_MAX);
        return 1;
    case K_DATA:
        if (k == V_NULL)
            return 1;
        if (k != V_MAP)
            return bad_value(p, "\"data\"", k);
        return push(p, F_DATA, 0);
    case K_WARNINGS:
    case K_INFOS:
        if (k == V_NULL)
            return 1;
        if (k != V_ARRAY)
            return bad_value(p, f->key == K_INFOS ? "\"infos\"" : "\"warnings\"", k);
        if (!push(p, F_WARNINGS, 0))
            return 0;
        top(p)->index = f->key == K_INFOS;
        return 1;
    case K_RESULTTYPE: {
        if (k != V_STRING)
            return bad_value(p, "\"resultType\"", k);
        static const struct {
            const char *s;
            enum promjson_result_type t;
        } types[] = {{"vector", PROMJSON_RESULT_VECTOR},
                     {"matrix", PROMJSON_RESULT_MATRIX},
                     {"scalar", PROMJSON_RESULT_SCALAR},
                     {"string", PROMJSON_RESULT_STRING}};
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strlen(types[i].s) == len && !memcmp(types[i].s, s, len)) {
                p->rtype = types[i].t;
                return 1;
            }
        return fail(p, PROMJSON_BAD_RESPONSE, "unknown resultType \"%.*s\"", (int)(len > 64 ? 64 : len), s);
    }
    case K_RESULT:
        if (k != V_ARRAY)
            return bad_value(p, "\"result\"", k);
        return push(p, F_RESULT, 0);
    case K_METRIC:
        if (k != V_MAP)
            return bad_value(p, "\"metric\"", k);
        if (p->series_has_metric)
            return fail(p, PROMJSON_BAD_RESPONSE, "series has two \"metric\" objects");
        return push(p, F_METRIC, 0);
    case K_VALUE:
        if (k != V_ARRAY)
            return bad_value(p, "\"value\"", k);
        return shape_is(p, PROMJSON_RESULT_VECTOR) && push(p, F_PAIR, PAIR_VECTOR);
    case K_VALUES:
        if (k != V_ARRAY)
            return bad_value(p, "\"values\"", k);
        return shape_is(p, PROMJSON_RESULT_MATRIX) && push(p, F_VALUES, 0);
    case K_HISTOGRAM:
        if (k != V_ARRAY)
            return bad_value(p, "\"histogram\"", k);
        return shape_is(p, PROMJSON_RESULT_VECTOR) && push(p, F_HPAIR, PAIR_VECTOR);
    case K_HISTOGRAMS:
        if (k != V_ARRAY)
            return bad_value(p, "\"histograms\"", k);
        return shape_is(p, PROMJSON_RESULT_MATRIX) && push(p, F_HISTS, 0);
    case K_COUNT:
    case K_SUM:
    case K_BUCKETS:
        break; /* keys of histogram objects only */
    case K_OTHER:
        break;
    }
    /* An unknown key: skip its value whatever it is. */
    if (k == V_MAP || k == V_ARRAY)
        p->skip_depth = 1;
    return 1;
}

/* ---- native histograms ---- */

/* Prometheus's default zero threshold (2^-128), assumed when the API shows
 * no zero bucket. */
#define DEFAULT_ZERO_THRESHOLD 2.938735877055719e-39

static bool near(double a, double b)
{
    return a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static int dbl_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* The index of the bucket of schema whose upper bound (a magnitude) is hi;
 * -1 when hi is no bound of that schema. */
static int exp_index(double hi, int32_t schema, int32_t *idx)
{
    if (!(hi > 0) || isinf(hi))
        return -1;
    double i = ldexp(log2(hi), (int)schema);
    long k = lround(i);
    if (fabs(i - (double)k) > 1e-6 || fabs((double)k) > 1e8 || !near(histogram_exp_bound((int32_t)k, schema), hi))
        return -1;
    *idx = (int32_t)k;
    return 0;
}

/* The exponential schema whose bucket (lo, hi] (magnitudes) this is, with
 * its index; -1 when it is none. */
static int exp_bucket(double lo, double hi, int32_t *schema, int32_t *idx)
{
    if (!(lo > 0 && hi > lo) || isinf(hi))
        return -1;
    double r = log2(log2(hi / lo));
    long s = lround(-r);
    if (s < -4 || s > 8 || fabs(r + (double)s) > 1e-6)
        return -1;
    if (exp_index(hi, (int32_t)s, idx) < 0 || !near(histogram_exp_bound(*idx - 1, (int32_t)s), lo))
        return -1;
    *schema = (int32_t)s;
    return 0;
}

/* The zero bucket is the closed one around 0; the first bucket of custom
 * bounds is closed too, but starts at -Inf. */
static bool is_zero_bucket(const struct promjson_bucket *b)
{
    return b->rule == 3 && b->lower == -b->upper && isfinite(b->upper);
}

/* Sets bucket idx of a dense side (offset *off, *n buckets) spanning
 * [lo_idx, hi_idx]. */
static int dense_set(double *v, int32_t off, int32_t idx, double count)
{
    if (v[idx - off] != 0)
        return -1; /* the same bucket twice */
    v[idx - off] = count;
    return 0;
}

struct histogram *promjson_histogram_build(struct arena *a, double count, double sum,
                                           const struct promjson_bucket *b, size_t n, const char **why)
{
    struct histogram *h = histogram_new(a);
    h->count = count;
    h->sum = sum;
    h->hint = HISTOGRAM_HINT_UNKNOWN;
    h->zero_threshold = DEFAULT_ZERO_THRESHOLD;
    h->schema = 8;
    bool custom = false, zero = false;
    for (size_t i = 0; i < n; i++) {
        if (b[i].rule < 0 || b[i].rule > 3 || !(b[i].lower < b[i].upper)) {
            *why = "a bucket with invalid bounds";
            return NULL;
        }
        if (is_zero_bucket(&b[i])) {
            if (zero) {
                *why = "two zero buckets";
                return NULL;
            }
            zero = true;
            h->zero_threshold = b[i].upper;
            h->zero_count = b[i].count;
        } else if (isinf(b[i].lower) || isinf(b[i].upper)) {
            custom = true;
        }
    }
    /* Exponential: every other bucket names one schema and an index. */
    int32_t schema = INT32_MIN, pmin = INT32_MAX, pmax = INT32_MIN, nmin = INT32_MAX, nmax = INT32_MIN;
    /* Prometheus clips the inner bound of a bucket reaching into the zero
     * bucket to the zero threshold: such a bucket says nothing of the
     * schema, its outer bound still names its index. */
    for (size_t i = 0; i < n && !custom; i++) {
        if (is_zero_bucket(&b[i]))
            continue;
        bool pos = b[i].rule == 0;
        double inner = pos ? b[i].lower : -b[i].upper, outer = pos ? b[i].upper : -b[i].lower;
        int32_t s, idx;
        if ((pos && b[i].lower < 0) || (!pos && (b[i].rule != 1 || b[i].upper > 0))) {
            custom = true;
            break;
        }
        if (zero && inner == h->zero_threshold)
            continue;
        if (exp_bucket(inner, outer, &s, &idx) < 0 || (schema != INT32_MIN && s != schema)) {
            custom = true;
            break;
        }
        schema = s;
    }
    if (!custom && schema == INT32_MIN)
        schema = 8; /* no bucket tells (all empty or clipped): the finest schema holds every bound */
    for (size_t i = 0; i < n && !custom; i++) {
        if (is_zero_bucket(&b[i]))
            continue;
        bool pos = b[i].rule == 0;
        int32_t idx;
        if (exp_index(pos ? b[i].upper : -b[i].lower, schema, &idx) < 0) {
            custom = true;
            break;
        }
        if (pos) {
            pmin = idx < pmin ? idx : pmin;
            pmax = idx > pmax ? idx : pmax;
        } else {
            nmin = idx < nmin ? idx : nmin;
            nmax = idx > nmax ? idx : nmax;
        }
    }
    if (!custom && ((pmin <= pmax && (int64_t)pmax - pmin >= (1 << 20)) ||
                    (nmin <= nmax && (int64_t)nmax - nmin >= (1 << 20)))) {
        *why = "buckets more than 2^20 indexes apart";
        return NULL;
    }
    if (!custom) {
        h->schema = schema;
        if (pmin <= pmax) {
            h->pos_off = pmin;
            h->npos = (uint32_t)(pmax - pmin + 1);
            h->pos = ARENA_NEWN(a, double, h->npos);
        }
        if (nmin <= nmax) {
            h->neg_off = nmin;
            h->nneg = (uint32_t)(nmax - nmin + 1);
            h->neg = ARENA_NEWN(a, double, h->nneg);
        }
        for (size_t i = 0; i < n; i++) {
            if (is_zero_bucket(&b[i]))
                continue;
            bool pos = b[i].rule == 0;
            int32_t idx;
            exp_index(pos ? b[i].upper : -b[i].lower, schema, &idx);
            if (dense_set(pos ? h->pos : h->neg, pos ? h->pos_off : h->neg_off, idx, b[i].count) < 0) {
                *why = "the same bucket twice";
                return NULL;
            }
        }
        return h;
    }
    /* Custom bounds: every finite bound of a listed bucket is one, so the
     * empty buckets between listed ones come back too. */
    if (zero) {
        *why = "a zero bucket in a custom-bucket histogram";
        return NULL;
    }
    h->schema = HISTOGRAM_CUSTOM_SCHEMA;
    h->zero_threshold = 0;
    double *bounds = ARENA_NEWN(a, double, 2 * n + 1);
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i].rule != 0 && !(b[i].rule == 3 && isinf(b[i].lower))) {
            *why = "a custom-bucket histogram with a bucket not open on the left";
            return NULL;
        }
        if (!isinf(b[i].lower))
            bounds[nb++] = b[i].lower;
        if (!isinf(b[i].upper))
            bounds[nb++] = b[i].upper;
    }
    qsort(bounds, nb, sizeof *bounds, dbl_cmp);
    size_t u = 0;
    for (size_t i = 0; i < nb; i++)
        if (!u || bounds[i] != bounds[u - 1])
            bounds[u++] = bounds[i];
    h->custom = bounds;
    h->ncustom = (uint32_t)u;
    h->npos = n ? (uint32_t)u + 1 : 0;
    h->pos = n ? ARENA_NEWN(a, double, h->npos) : NULL;
    for (size_t i = 0; i < n; i++) {
        /* upper's position is the bucket index; lower must be the bound before it */
        uint32_t idx = (uint32_t)u;
        for (uint32_t k = 0; k < u; k++)
            if (bounds[k] == b[i].upper) {
                idx = k;
                break;
            }
        double lower = idx == 0 ? -INFINITY : bounds[idx - 1];
        if (lower != b[i].lower) {
            *why = "overlapping custom buckets";
            return NULL;
        }
        if (dense_set(h->pos, 0, (int32_t)idx, b[i].count) < 0) {
            *why = "the same bucket twice";
            return NULL;
        }
    }
    /* Trailing empty buckets are not buckets. */
    while (h->npos && h->pos[h->npos - 1] == 0)
        h->npos--;
    return h;
}

/* The histogram object closed: rebuild and hand it on (or hold it). */
static int histogram_emit(struct promjson *p)
{
    if (p->hist_fields != 3)
        return fail(p, PROMJSON_BAD_RESPONSE, "histogram without %s", p->hist_fields & 1 ? "\"sum\"" : "\"count\"");
    if (++p->samples > p->lim.max_samples)
        return fail(p, PROMJSON_EXECUTION, "response has more than %zu samples", p->lim.max_samples);
    const char *why = NULL;
    struct arena *a = p->series_has_metric ? &p->harena : &p->held_arena;
    if (p->series_has_metric)
        arena_reset(&p->harena, p->hmark);
    struct histogram *h = promjson_histogram_build(a, p->hist_count, p->hist_sum, p->hb, p->nhb, &why);
    if (!h)
        return fail(p, PROMJSON_BAD_RESPONSE, "invalid native histogram: %s", why);
    if (!p->series_has_metric) {
        XGROW(p->held_h, p->held_h_cap, p->nheld_h + 1);
        p->held_h[p->nheld_h++] = (struct held_hist){p->pair_t, h};
        return 1;
    }
    if (!p->cb.histogram)
        return 1;
    return consumer(p, p->cb.histogram(p->cb.ctx, p->pair_t, h), "histogram");
}

static int value_in_hist(struct promjson *p, struct frame *f, enum vkind k, const char *s, size_t len)
{
    enum key_id key = f->key;
    f->key = K_OTHER;
    if (key == K_BUCKETS) {
        if (k == V_NULL)
            return 1;
        if (k != V_ARRAY)
            return bad_value(p, "histogram \"buckets\"", k);
        return push(p, F_BUCKETS, 0);
    }
    if (key == K_COUNT || key == K_SUM) {
        double v;
        if (k != V_STRING || promjson_parse_value(s, len, &v) < 0)
            return fail(p, PROMJSON_BAD_RESPONSE, "invalid histogram %s", key == K_COUNT ? "count" : "sum");
        if (key == K_COUNT)
            p->hist_count = v;
        else
            p->hist_sum = v;
        p->hist_fields |= key == K_COUNT ? 1 : 2;
        return 1;
    }
    if (k == V_MAP || k == V_ARRAY)
        p->skip_depth = 1;
    return 1;
}

static int value_in_bucket(struct promjson *p, struct frame *f, enum vkind k, const char *s, size_t len)
{
    int i = f->index++;
    struct promjson_bucket *b = &p->hb[p->nhb - 1];
    if (i == 0) {
        if (k != V_NUMBER || len != 1 || s[0] < '0' || s[0] > '3')
            return fail(p, PROMJSON_BAD_RESPONSE, "invalid histogram bucket boundary rule");
        b->rule = s[0] - '0';
        return 1;
    }
    double v;
    if (i > 3 || k != V_STRING || promjson_parse_value(s, len, &v) < 0)
        return fail(p, PROMJSON_BAD_RESPONSE, "invalid histogram bucket, not [rule, \"lower\", \"upper\", \"count\"]");
    if (i == 1)
        b->lower = v;
    else if (i == 2)
        b->upper = v;
    else
        b->count = v;
    return 1;
}

static int value_in_pair(struct promjson *p, struct frame *f, enum vkind k, const char *s, size_t len)
{
    int i = f->index++;
    if (i == 0) {
        if (k != V_NUMBER)
            return bad_value(p, "sample timestamp", k);
        if (promjson_parse_time_ms(s, len, &p->pair_t) < 0)
            return fail(p, PROMJSON_BAD_RESPONSE, "invalid sample timestamp %.*s", (int)(len > 64 ? 64 : len), s);
        return 1;
    }
    if (i > 1)
        return fail(p, PROMJSON_BAD_RESPONSE, "sample has more than two elements");
    if (k != V_STRING)
        return bad_value(p, "sample value", k);
    if (f->role == PAIR_RESULT) {
        /* A scalar or string result; which one resultType says, possibly later. */
        if (!string_limit(p, len, "string result"))
            return 0;
        free(p->pair_str);
        p->pair_str = xstrndup(s, len);
        p->pair_str_len = len;
        return 1;
    }
    double v;
    if (promjson_parse_value(s, len, &v) < 0)
        return fail(p, PROMJSON_BAD_RESPONSE, "invalid sample value \"%.*s\"", (int)(len > 64 ? 64 : len), s);
    return sample_emit(p, p->pair_t, v);
}

static int on_value(struct promjson *p, enum vkind k, const char *s, size_t len)
{
    if (p->skip_depth) {
        if (k == V_MAP || k == V_ARRAY) {
            if (++p->skip_depth > SKIP_DEPTH_MAX)
                return fail(p, PROMJSON_BAD_RESPONSE, "response nested too deeply");
        }
        return 1;
    }
    struct frame *f = top(p);
    if (!f) {
        if (p->root_done)
            return fail(p, PROMJSON_BAD_RESPONSE, "data after the response object");
        if (k != V_MAP)
            return fail(p, PROMJSON_BAD_RESPONSE, "response is a JSON %s, not an object", vkind_name(k));
        return push(p, F_ROOT, 0);
    }
    switch (f->kind) {
    case F_ROOT:
    case F_DATA:
    case F_SERIES: {
        int rc = value_in_object(p, f, k, s, len);
        f->key = K_OTHER;
        return rc;
    }
    case F_RESULT:
        if (k == V_MAP) {
            if (p->shape == PROMJSON_RESULT_SCALAR)
                return fail(p, PROMJSON_BAD_RESPONSE, "result mixes a sample and series");
            if (++p->series > p->lim.max_series)
                return fail(p, PROMJSON_EXECUTION, "response has more than %zu series", p->lim.max_series);
            series_reset(p);
            return push(p, F_SERIES, 0);
        }
        if (k == V_NUMBER && p->shape == PROMJSON_RESULT_NONE) {
            /* [t, "v"]: the result array is itself the scalar/string pair. */
            p->shape = PROMJSON_RESULT_SCALAR;
            f->kind = F_PAIR;
            f->role = PAIR_RESULT;
            f->index = 0;
            return value_in_pair(p, f, k, s, len);
        }
        return bad_value(p, "result element", k);
    case F_METRIC:
        if (k != V_STRING)
            return bad_value(p, "label value", k);
        return label_add(p, s, len, 1);
    case F_VALUES:
        if (k != V_ARRAY)
            return bad_value(p, "matrix sample", k);
        return push(p, F_PAIR, PAIR_MATRIX);
    case F_PAIR:
        return value_in_pair(p, f, k, s, len);
    case F_HISTS:
        if (k != V_ARRAY)
            return bad_value(p, "matrix histogram", k);
        return push(p, F_HPAIR, PAIR_MATRIX);
    case F_HPAIR: {
        int i = f->index++;
        if (i == 0) {
            if (k != V_NUMBER)
                return bad_value(p, "sample timestamp", k);
            if (promjson_parse_time_ms(s, len, &p->pair_t) < 0)
                return fail(p, PROMJSON_BAD_RESPONSE, "invalid sample timestamp %.*s", (int)(len > 64 ? 64 : len), s);
            return 1;
        }
        if (i > 1 || k != V_MAP)
            return fail(p, PROMJSON_BAD_RESPONSE, "histogram sample is not [time, {histogram}]");
        p->hist_fields = 0;
        p->nhb = 0;
        return push(p, F_HIST, 0);
    }
    case F_HIST:
        return value_in_hist(p, f, k, s, len);
    case F_BUCKETS:
        if (k != V_ARRAY)
            return bad_value(p, "histogram bucket", k);
        if (p->nhb == p->lim.max_buckets)
            return fail(p, PROMJSON_EXECUTION, "histogram has more than %zu buckets", p->lim.max_buckets);
        XGROW(p->hb, p->hb_cap, p->nhb + 1);
        p->hb[p->nhb++] = (struct promjson_bucket){0};
        return push(p, F_BUCKET, 0);
    case F_BUCKET:
        return value_in_bucket(p, f, k, s, len);
    case F_WARNINGS:
        if (k != V_STRING)
            return bad_value(p, "warning", k);
        if (!string_limit(p, len, "warning"))
            return 0;
        if (!p->cb.warning)
            return 1;
        return consumer(p, p->cb.warning(p->cb.ctx, f->index, s, len), "warning");
    }
    return fail(p, PROMJSON_INTERNAL, "decoder in an unknown state");
}

/* ---- container ends ---- */

static int end_container(struct promjson *p, int is_map)
{
    if (p->skip_depth) {
        p->skip_depth--;
        return 1;
    }
    struct frame *f = top(p);
    if (!f)
        return fail(p, PROMJSON_INTERNAL, "container end without a start");
    struct frame fr = *f;
    p->nframes--;
    switch (fr.kind) {
    case F_ROOT:
        p->root_done = 1;
        return 1;
    case F_DATA:
        if (p->shape == PROMJSON_RESULT_SCALAR) {
            /* Scalar and string share a shape; resultType tells them apart. */
            if (p->rtype == PROMJSON_RESULT_STRING) {
                p->shape = PROMJSON_RESULT_STRING;
                if (p->cb.string)
                    return consumer(p,
                                    p->cb.string(p->cb.ctx, p->result_t, p->pair_str ? p->pair_str : "",
                                                 p->pair_str_len),
                                    "string");
                return 1;
            }
            if (p->rtype != PROMJSON_RESULT_SCALAR)
                return fail(p, PROMJSON_BAD_RESPONSE, "a [time, value] result with resultType \"%s\"",
                            promjson_result_type_name(p->rtype));
            if (promjson_parse_value(p->pair_str ? p->pair_str : "", p->pair_str_len, &p->result_v) < 0)
                return fail(p, PROMJSON_BAD_RESPONSE, "invalid scalar value \"%.*s\"",
                            (int)(p->pair_str_len > 64 ? 64 : p->pair_str_len), p->pair_str ? p->pair_str : "");
            if (p->cb.scalar)
                return consumer(p, p->cb.scalar(p->cb.ctx, p->result_t, p->result_v), "scalar");
            return 1;
        }
        if (p->shape != PROMJSON_RESULT_NONE && p->rtype != p->shape)
            return fail(p, PROMJSON_BAD_RESPONSE, "resultType \"%s\" but %s elements",
                        promjson_result_type_name(p->rtype), promjson_result_type_name(p->shape));
        return 1;
    case F_RESULT:
        return 1;
    case F_SERIES:
        if (!p->series_has_metric)
            return fail(p, PROMJSON_BAD_RESPONSE, "series without \"metric\"");
        if (p->cb.series_end)
            return consumer(p, p->cb.series_end(p->cb.ctx), "series end");
        return 1;
    case F_METRIC:
        return metric_done(p);
    case F_VALUES:
        return 1;
    case F_PAIR:
        if (fr.index != 2)
            return fail(p, PROMJSON_BAD_RESPONSE, "sample with %d element%s, not [time, value]", fr.index,
                        fr.index == 1 ? "" : "s");
        if (fr.role == PAIR_RESULT)
            p->result_t = p->pair_t;
        return 1;
    case F_WARNINGS:
    case F_HISTS:
    case F_BUCKETS:
        return 1;
    case F_HPAIR:
        if (fr.index != 2)
            return fail(p, PROMJSON_BAD_RESPONSE, "histogram sample is not [time, {histogram}]");
        return 1;
    case F_HIST:
        return histogram_emit(p);
    case F_BUCKET:
        if (fr.index != 4)
            return fail(p, PROMJSON_BAD_RESPONSE, "invalid histogram bucket, not [rule, \"lower\", \"upper\", \"count\"]");
        return 1;
    }
    (void)is_map;
    return 1;
}

/* ---- yajl callbacks ---- */

static int y_null(void *ctx)
{
    return on_value(ctx, V_NULL, NULL, 0);
}

static int y_boolean(void *ctx, int b)
{
    (void)b;
    return on_value(ctx, V_BOOL, NULL, 0);
}

static int y_number(void *ctx, const char *s, size_t len)
{
    return on_value(ctx, V_NUMBER, s, len);
}

static int y_string(void *ctx, const unsigned char *s, size_t len)
{
    return on_value(ctx, V_STRING, (const char *)s, len);
}

static int y_start_map(void *ctx)
{
    return on_value(ctx, V_MAP, NULL, 0);
}

static int y_start_array(void *ctx)
{
    return on_value(ctx, V_ARRAY, NULL, 0);
}

static int y_end_map(void *ctx)
{
    return end_container(ctx, 1);
}

static int y_end_array(void *ctx)
{
    return end_container(ctx, 0);
}

static enum key_id key_lookup(enum frame_kind kind, const char *s, size_t len)
{
    static const struct {
        enum frame_kind kind;
        const char *name;
        enum key_id id;
    } keys[] = {
        {F_ROOT, "status", K_STATUS},         {F_ROOT, "errorType", K_ERRORTYPE}, {F_ROOT, "error", K_ERROR},
        {F_ROOT, "data", K_DATA},             {F_ROOT, "warnings", K_WARNINGS},   {F_ROOT, "infos", K_INFOS},
        {F_DATA, "resultType", K_RESULTTYPE}, {F_DATA, "result", K_RESULT},       {F_SERIES, "metric", K_METRIC},
        {F_SERIES, "value", K_VALUE},         {F_SERIES, "values", K_VALUES},     {F_SERIES, "histogram", K_HISTOGRAM},
        {F_SERIES, "histograms", K_HISTOGRAMS}, {F_HIST, "count", K_COUNT},       {F_HIST, "sum", K_SUM},
        {F_HIST, "buckets", K_BUCKETS},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].kind == kind && strlen(keys[i].name) == len && !memcmp(keys[i].name, s, len))
            return keys[i].id;
    return K_OTHER;
}

static int y_map_key(void *ctx, const unsigned char *key, size_t len)
{
    struct promjson *p = ctx;
    if (p->skip_depth)
        return 1;
    struct frame *f = top(p);
    if (!f)
        return fail(p, PROMJSON_INTERNAL, "key outside an object");
    if (f->kind == F_METRIC)
        return label_add(p, (const char *)key, len, 0);
    f->key = key_lookup(f->kind, (const char *)key, len);
    return 1;
}

static const yajl_callbacks yajl_cbs = {
    .yajl_null = y_null,
    .yajl_boolean = y_boolean,
    .yajl_number = y_number,
    .yajl_string = y_string,
    .yajl_start_map = y_start_map,
    .yajl_map_key = y_map_key,
    .yajl_end_map = y_end_map,
    .yajl_start_array = y_start_array,
    .yajl_end_array = y_end_array,
};

/* ---- public ---- */

struct promjson *promjson_new(const struct promjson_callbacks *cb, const struct promjson_limits *lim)
{
    struct promjson *p = xcalloc(1, sizeof *p);
    if (cb)
        p->cb = *cb;
    if (lim)
        p->lim = *lim;
    if (!p->lim.max_body_bytes)
        p->lim.max_body_bytes = (size_t)256 << 20;
    if (!p->lim.max_series)
        p->lim.max_series = 1000000;
    if (!p->lim.max_samples)
        p->lim.max_samples = 50000000;
    if (!p->lim.max_labels)
        p->lim.max_labels = 1000;
    if (!p->lim.max_label_bytes)
        p->lim.max_label_bytes = 64 << 10;
    if (!p->lim.max_string_bytes)
        p->lim.max_string_bytes = 64 << 10;
    if (!p->lim.max_buckets)
        p->lim.max_buckets = 100000;
    arena_init(&p->harena, 0);
    arena_init(&p->held_arena, 0);
    p->hmark = arena_mark(&p->harena);
    p->held_mark = arena_mark(&p->held_arena);
    p->yajl = yajl_alloc(&yajl_cbs, NULL, p);
    if (!p->yajl) {
        fputs("heed: out of memory (yajl_alloc)\n", stderr);
        abort();
    }
    return p;
}

void promjson_free(struct promjson *p)
{
    if (!p)
        return;
    yajl_free(p->yajl);
    free(p->body_error);
    free(p->label_buf);
    free(p->labels);
    free(p->views);
    free(p->held);
    free(p->pair_str);
    free(p->hb);
    free(p->held_h);
    arena_release(&p->harena);
    arena_release(&p->held_arena);
    free(p);
}

/* Turns yajl's complaint into a one-line message. */
static void syntax_error(struct promjson *p, const unsigned char *chunk, size_t len)
{
    unsigned char *msg = yajl_get_error(p->yajl, 0, chunk, len);
    char line[200];
    snprintf(line, sizeof line, "%s", msg ? (const char *)msg : "parse error");
    if (msg)
        yajl_free_error(p->yajl, msg);
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    size_t n = strlen(line);
    while (n && (line[n - 1] == ' ' || line[n - 1] == '.'))
        line[--n] = 0;
    size_t off = p->bytes - len + yajl_get_bytes_consumed(p->yajl);
    if (off < 64) {
        /* Near the start: probably not JSON at all (an HTML or text page);
         * its first line says more than the lexer does. */
        char start[65];
        size_t k = 0;
        for (; k < p->head_len && k < 64 && p->head[k] != '\n' && p->head[k] != '\r'; k++)
            start[k] = (p->head[k] >= 0x20 && p->head[k] < 0x7f) ? p->head[k] : '?';
        start[k] = 0;
        fail(p, PROMJSON_BAD_RESPONSE, "malformed JSON at byte %zu: %s; the body starts \"%s\"", off, line, start);
        return;
    }
    fail(p, PROMJSON_BAD_RESPONSE, "malformed JSON at byte %zu: %s", off, line);
}

int promjson_feed(struct promjson *p, const void *buf, size_t len)
{
    if (p->err.type != PROMJSON_OK)
        return -1;
    if (p->head_len < HEAD_MAX) {
        size_t n = HEAD_MAX - p->head_len < len ? HEAD_MAX - p->head_len : len;
        memcpy(p->head + p->head_len, buf, n);
        p->head_len += n;
        p->head[p->head_len] = 0;
    }
    if (len > p->lim.max_body_bytes - p->bytes) {
        fail(p, PROMJSON_EXECUTION, "response body exceeds the limit of %zu bytes", p->lim.max_body_bytes);
        return -1;
    }
    p->bytes += len;
    yajl_status st = yajl_parse(p->yajl, buf, len);
    if (st == yajl_status_ok)
        return 0;
    if (st == yajl_status_error)
        syntax_error(p, buf, len);
    else if (p->err.type == PROMJSON_OK)
        fail(p, PROMJSON_INTERNAL, "decoding stopped");
    return -1;
}

int promjson_finish(struct promjson *p)
{
    if (p->err.type != PROMJSON_OK)
        return -1;
    if (p->bytes == 0) {
        fail(p, PROMJSON_BAD_RESPONSE, "empty response body");
        return -1;
    }
    yajl_status st = yajl_complete_parse(p->yajl);
    if (st == yajl_status_error) {
        unsigned char *msg = yajl_get_error(p->yajl, 0, NULL, 0);
        fail(p, PROMJSON_BAD_RESPONSE, "truncated or malformed JSON after %zu bytes: %s", p->bytes,
             msg ? (const char *)msg : "parse error");
        if (msg)
            yajl_free_error(p->yajl, msg);
        return -1;
    }
    if (p->err.type != PROMJSON_OK)
        return -1;
    if (!p->root_done) {
        fail(p, PROMJSON_BAD_RESPONSE, "truncated response after %zu bytes", p->bytes);
        return -1;
    }
    if (p->status == 2) {
        fail(p, p->body_errtype ? p->body_errtype : PROMJSON_INTERNAL, "%s",
             p->body_error ? p->body_error : "error response without a message");
        return -1;
    }
    if (p->status != 1) {
        fail(p, PROMJSON_BAD_RESPONSE, "response %s", p->status ? "with an unknown status" : "without \"status\"");
        return -1;
    }
    if (p->rtype == PROMJSON_RESULT_NONE) {
        fail(p, PROMJSON_BAD_RESPONSE, "success response without \"data\".\"resultType\"");
        return -1;
    }
    return 0;
}

const struct promjson_error *promjson_error(const struct promjson *p)
{
    return &p->err;
}

enum promjson_result_type promjson_result_type(const struct promjson *p)
{
    return p->rtype;
}

size_t promjson_series_count(const struct promjson *p)
{
    return p->series;
}

size_t promjson_sample_count(const struct promjson *p)
{
    return p->samples;
}

size_t promjson_bytes_fed(const struct promjson *p)
{
    return p->bytes;
}

const char *promjson_body_head(const struct promjson *p)
{
    return p->head;
}
