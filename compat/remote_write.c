#include "compat/remote_write.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "base/xalloc.h"
#include "compat/protobuf.h"
#include "eval/histogram.h"

/* ORDER fields: prometheus/prompb/types.proto and remote.proto, protocol 1.0. */
enum {
    WRITE_REQUEST_TIMESERIES = 1, /* WriteRequest.timeseries: repeated TimeSeries */
    TIMESERIES_LABELS = 1,        /* TimeSeries.labels: repeated Label */
    TIMESERIES_SAMPLES = 2,       /* TimeSeries.samples: repeated Sample */
    LABEL_NAME = 1,               /* Label.name: string */
    LABEL_VALUE = 2,              /* Label.value: string */
    SAMPLE_VALUE = 1,             /* Sample.value: double */
    SAMPLE_TIMESTAMP = 2,         /* Sample.timestamp: int64, milliseconds */
    TIMESERIES_HISTOGRAMS = 4,    /* TimeSeries.histograms: repeated Histogram */
    HIST_COUNT_FLOAT = 2,         /* Histogram.count_float: double (oneof count) */
    HIST_SUM = 3,                 /* Histogram.sum: double */
    HIST_SCHEMA = 4,              /* Histogram.schema: sint32 */
    HIST_ZERO_THRESHOLD = 5,      /* Histogram.zero_threshold: double */
    HIST_ZERO_COUNT_FLOAT = 7,    /* Histogram.zero_count_float: double (oneof zero_count) */
    HIST_NEG_SPANS = 8,           /* Histogram.negative_spans: repeated BucketSpan */
    HIST_NEG_COUNTS = 10,         /* Histogram.negative_counts: repeated double (packed) */
    HIST_POS_SPANS = 11,          /* Histogram.positive_spans: repeated BucketSpan */
    HIST_POS_COUNTS = 13,         /* Histogram.positive_counts: repeated double (packed) */
    HIST_RESET_HINT = 14,         /* Histogram.reset_hint: enum ResetHint */
    HIST_TIMESTAMP = 15,          /* Histogram.timestamp: int64, milliseconds */
    HIST_CUSTOM_VALUES = 16,      /* Histogram.custom_values: repeated double (packed) */
    SPAN_OFFSET = 1,              /* BucketSpan.offset: sint32 */
    SPAN_LENGTH = 2,              /* BucketSpan.length: uint32 */
};

/* A receiver's error body is shown only this far (Prometheus keeps 1024 bytes). */
#define ERROR_BODY_MAX 1024
/* Refuse to inflate more than this: a WriteRequest of any sane batch is far smaller. */
#define UNCOMPRESSED_MAX ((size_t)256 << 20)

static void set_error(struct remote_write_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct remote_write_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

double remote_write_stale_nan(void)
{
    uint64_t bits = REMOTE_WRITE_STALE_NAN_BITS;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

int remote_write_is_stale_nan(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits == REMOTE_WRITE_STALE_NAN_BITS;
}

/* ---- encoding ---- */

void remote_write_histogram_of(const struct histogram *h, int64_t t_ms, struct remote_write_bucket_span spans[2],
                               struct remote_write_histogram *out)
{
    /* heed's hints and prompb's ResetHint are listed in the same order */
    static const int hint[] = {
        [HISTOGRAM_HINT_UNKNOWN] = 0, [HISTOGRAM_HINT_RESET] = 1, [HISTOGRAM_HINT_NOT_RESET] = 2,
        [HISTOGRAM_HINT_GAUGE] = 3,
    };
    spans[0] = (struct remote_write_bucket_span){h->neg_off, h->nneg};
    spans[1] = (struct remote_write_bucket_span){h->pos_off, h->npos};
    *out = (struct remote_write_histogram){
        .count = h->count,
        .sum = h->sum,
        .schema = h->schema,
        .zero_threshold = h->zero_threshold,
        .zero_count = h->zero_count,
        .neg_spans = h->nneg ? &spans[0] : NULL,
        .nneg_spans = h->nneg ? 1 : 0,
        .neg_counts = h->neg,
        .nneg_counts = h->nneg,
        .pos_spans = h->npos ? &spans[1] : NULL,
        .npos_spans = h->npos ? 1 : 0,
        .pos_counts = h->pos,
        .npos_counts = h->npos,
        .reset_hint = hint[h->hint],
        .custom_values = histogram_is_custom(h) ? h->custom : NULL,
        .ncustom_values = histogram_is_custom(h) ? h->ncustom : 0,
        .timestamp_ms = t_ms,
    };
}

/* ASCII only, whatever the process's locale says isalpha() means. */
static int name_char(char c, int first, int colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
           (!first && c >= '0' && c <= '9');
}

/* Label names as the 1.0 spec allows them: [a-zA-Z_][a-zA-Z0-9_]*; metric
 * names (colon != 0) also allow ':', which recording rules use. */
static int name_valid(const char *s, int colon)
{
    if (!name_char(*s, 1, colon))
        return 0;
    for (s++; *s; s++)
        if (!name_char(*s, 0, colon))
            return 0;
    return 1;
}


static int label_ptr_cmp(const void *a, const void *b)
{
    const struct remote_write_label *const *x = a;
    const struct remote_write_label *const *y = b;
    /* strcmp compares as unsigned char: the byte order Go uses for strings. */
    return strcmp((*x)->name, (*y)->name);
}

static size_t spans_cover(const struct remote_write_bucket_span *sp, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += sp[i].length;
    return total;
}

/* Validates s and fills sorted[] (room for s->nlabels) with its labels that
 * have values, in name order; returns how many, or -1 with err set. */
static long series_normalise(const struct remote_write_series *s,
                             const struct remote_write_label **sorted, struct remote_write_error *err)
{
    if (s->nsamples + s->nhistograms == 0) {
        set_error(err, "series has no samples");
        return -1;
    }
    for (size_t i = 0; i < s->nlabels; i++) {
        const char *name = s->labels[i].name;
        if (!name || !*name) {
            set_error(err, "empty label name");
            return -1;
        }
        if (!name_valid(name, 0)) {
            set_error(err, "invalid label name \"%s\"", name);
            return -1;
        }
        sorted[i] = &s->labels[i];
    }
    qsort(sorted, s->nlabels, sizeof *sorted, label_ptr_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < s->nlabels; i++) {
        if (i > 0 && !strcmp(sorted[i - 1]->name, sorted[i]->name)) {
            set_error(err, "duplicate label name \"%s\"", sorted[i]->name);
            return -1;
        }
        const char *value = sorted[i]->value;
        if (!value || !*value)
            continue;
        if (!utf8_valid(value, strlen(value))) {
            set_error(err, "label %s has a value that is not valid UTF-8", sorted[i]->name);
            return -1;
        }
        if (!strcmp(sorted[i]->name, "__name__") && !name_valid(value, 1)) {
            set_error(err, "invalid metric name \"%s\"", value);
            return -1;
        }
        sorted[kept++] = sorted[i];
    }
    if (kept == 0) {
        set_error(err, "series has no labels with values");
        return -1;
    }
    for (size_t i = 1; i < s->nsamples; i++) {
        if (s->samples[i].timestamp_ms < s->samples[i - 1].timestamp_ms) {
            set_error(err, "samples out of timestamp order (%lld after %lld)",
                      (long long)s->samples[i].timestamp_ms,
                      (long long)s->samples[i - 1].timestamp_ms);
            return -1;
        }
    }
    for (size_t i = 0; i < s->nhistograms; i++) {
        const struct remote_write_histogram *h = &s->histograms[i];
        if (i && h->timestamp_ms < s->histograms[i - 1].timestamp_ms) {
            set_error(err, "histograms out of timestamp order (%lld after %lld)", (long long)h->timestamp_ms,
                      (long long)s->histograms[i - 1].timestamp_ms);
            return -1;
        }
        if (spans_cover(h->pos_spans, h->npos_spans) != h->npos_counts ||
            spans_cover(h->neg_spans, h->nneg_spans) != h->nneg_counts) {
            set_error(err, "histogram spans do not cover its bucket counts");
            return -1;
        }
    }
    return (long)kept;
}

static void encode_spans(struct strbuf *out, uint32_t field, const struct remote_write_bucket_span *sp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t m = protobuf_msg_begin(out, field);
        protobuf_put_sint64(out, SPAN_OFFSET, sp[i].offset);
        protobuf_put_uint64(out, SPAN_LENGTH, sp[i].length);
        protobuf_msg_end(out, m);
    }
}

/* A float histogram in field order; the two oneof members are written even
 * when zero, since their presence is what marks a float histogram. */
static void encode_histogram(struct strbuf *out, const struct remote_write_histogram *h)
{
    size_t m = protobuf_msg_begin(out, TIMESERIES_HISTOGRAMS);
    protobuf_put_double_present(out, HIST_COUNT_FLOAT, h->count);
    protobuf_put_double(out, HIST_SUM, h->sum);
    protobuf_put_sint64(out, HIST_SCHEMA, h->schema);
    protobuf_put_double(out, HIST_ZERO_THRESHOLD, h->zero_threshold);
    protobuf_put_double_present(out, HIST_ZERO_COUNT_FLOAT, h->zero_count);
    encode_spans(out, HIST_NEG_SPANS, h->neg_spans, h->nneg_spans);
    protobuf_put_packed_doubles(out, HIST_NEG_COUNTS, h->neg_counts, h->nneg_counts);
    encode_spans(out, HIST_POS_SPANS, h->pos_spans, h->npos_spans);
    protobuf_put_packed_doubles(out, HIST_POS_COUNTS, h->pos_counts, h->npos_counts);
    protobuf_put_uint64(out, HIST_RESET_HINT, (uint64_t)h->reset_hint);
    protobuf_put_int64(out, HIST_TIMESTAMP, h->timestamp_ms);
    protobuf_put_packed_doubles(out, HIST_CUSTOM_VALUES, h->custom_values, h->ncustom_values);
    protobuf_msg_end(out, m);
}

int remote_write_encode(const struct remote_write_series *series, size_t n, struct strbuf *out,
                        struct remote_write_error *err)
{
    size_t start = out->len;
    const struct remote_write_label **sorted = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        const struct remote_write_series *s = &series[i];
        XGROW(sorted, cap, s->nlabels ? s->nlabels : 1);
        long kept = series_normalise(s, sorted, err);
        if (kept < 0) {
            size_t len = strlen(err ? err->msg : "");
            if (err)
                snprintf(err->msg + len, sizeof err->msg - len, " (series %zu)", i);
            strbuf_setlen(out, start);
            free(sorted);
            return -1;
        }
        size_t ts = protobuf_msg_begin(out, WRITE_REQUEST_TIMESERIES);
        for (long j = 0; j < kept; j++) {
            size_t m = protobuf_msg_begin(out, TIMESERIES_LABELS);
            protobuf_put_string(out, LABEL_NAME, sorted[j]->name);
            protobuf_put_string(out, LABEL_VALUE, sorted[j]->value);
            protobuf_msg_end(out, m);
        }
        for (size_t j = 0; j < s->nsamples; j++) {
            size_t m = protobuf_msg_begin(out, TIMESERIES_SAMPLES);
            protobuf_put_double(out, SAMPLE_VALUE, s->samples[j].value);
            protobuf_put_int64(out, SAMPLE_TIMESTAMP, s->samples[j].timestamp_ms);
            protobuf_msg_end(out, m);
        }
        for (size_t j = 0; j < s->nhistograms; j++)
            encode_histogram(out, &s->histograms[j]);
        protobuf_msg_end(out, ts);
    }
    free(sorted);
    return 0;
}

int remote_write_compress(const void *p, size_t n, struct strbuf *out, struct remote_write_error *err)
{
    size_t max = snappy_max_compressed_length(n);
    strbuf_grow(out, max);
    size_t got = max;
    if (snappy_compress(p, n, out->buf + out->len, &got) != SNAPPY_OK) {
        set_error(err, "snappy compression failed");
        return -1;
    }
    strbuf_setlen(out, out->len + got);
    return 0;
}

int remote_write_uncompress(const void *p, size_t n, struct strbuf *out,
                            struct remote_write_error *err)
{
    size_t want;
    if (snappy_uncompressed_length(p, n, &want) != SNAPPY_OK) {
        set_error(err, "not a snappy block");
        return -1;
    }
    if (want > UNCOMPRESSED_MAX) {
        set_error(err, "snappy block inflates to %zu bytes, more than %zu", want, UNCOMPRESSED_MAX);
        return -1;
    }
    strbuf_grow(out, want);
    size_t got = want;
    if (snappy_uncompress(p, n, out->buf + out->len, &got) != SNAPPY_OK) {
        set_error(err, "corrupt snappy block");
        return -1;
    }
    strbuf_setlen(out, out->len + got);
    return 0;
}

/* Counts the fields numbered `field` in a message (for sizing arrays first). */
static long count_fields(const uint8_t *p, size_t n, uint32_t field)
{
    struct protobuf_reader r;
    struct protobuf_field f;
    protobuf_reader_init(&r, p, n);
    long count = 0;
    int rc;
    while ((rc = protobuf_next(&r, &f)) > 0)
        count += f.number == field;
    return rc < 0 ? -1 : count;
}

static int decode_label(const struct protobuf_field *msg, struct arena *a, struct remote_write_label *l)
{
    struct protobuf_reader r;
    struct protobuf_field f;
    protobuf_reader_init(&r, msg->data, msg->len);
    l->name = "";
    l->value = "";
    int rc;
    while ((rc = protobuf_next(&r, &f)) > 0) {
        if (f.number != LABEL_NAME && f.number != LABEL_VALUE)
            continue;
        if (f.wire != PROTOBUF_WIRE_LEN)
            return -1;
        char *s = arena_strndup(a, (const char *)f.data, f.len);
        if (f.number == LABEL_NAME)
            l->name = s;
        else
            l->value = s;
    }
    return rc;
}

static int decode_sample(const struct protobuf_field *msg, struct remote_write_sample *s)
{
    struct protobuf_reader r;
    struct protobuf_field f;
    protobuf_reader_init(&r, msg->data, msg->len);
    s->value = 0;
    s->timestamp_ms = 0;
    int rc;
    while ((rc = protobuf_next(&r, &f)) > 0) {
        if (f.number == SAMPLE_VALUE) {
            if (f.wire != PROTOBUF_WIRE_FIXED64)
                return -1;
            s->value = protobuf_field_double(&f);
        } else if (f.number == SAMPLE_TIMESTAMP) {
            if (f.wire != PROTOBUF_WIRE_VARINT)
                return -1;
            s->timestamp_ms = (int64_t)f.bits;
        }
    }
    return rc;
}

static int decode_span(const struct protobuf_field *msg, struct remote_write_bucket_span *sp)
{
    struct protobuf_reader r;
    struct protobuf_field f;
    protobuf_reader_init(&r, msg->data, msg->len);
    *sp = (struct remote_write_bucket_span){0, 0};
    int rc;
    while ((rc = protobuf_next(&r, &f)) > 0) {
        if (f.number != SPAN_OFFSET && f.number != SPAN_LENGTH)
            continue;
        if (f.wire != PROTOBUF_WIRE_VARINT)
            return -1;
        if (f.number == SPAN_OFFSET)
            sp->offset = (int32_t)protobuf_unzigzag(f.bits);
        else
            sp->length = (uint32_t)f.bits;
    }
    return rc;
}

/* Appends the doubles of a repeated double field, packed or not. */
static int decode_doubles(const struct protobuf_field *f, struct arena *a, const double **v, size_t *n)
{
    size_t add = f->wire == PROTOBUF_WIRE_LEN ? f->len / 8 : 1;
    if ((f->wire == PROTOBUF_WIRE_LEN && f->len % 8) ||
        (f->wire != PROTOBUF_WIRE_LEN && f->wire != PROTOBUF_WIRE_FIXED64))
        return -1;
    double *out = ARENA_NEWN(a, double, *n + add + 1);
    if (*n)
        memcpy(out, *v, *n * sizeof *out);
    if (f->wire == PROTOBUF_WIRE_FIXED64) {
        out[(*n)++] = protobuf_field_double(f);
    } else {
        for (size_t i = 0; i < add; i++) {
            uint64_t bits = 0;
            for (int b = 0; b < 8; b++)
                bits |= (uint64_t)f->data[i * 8 + b] << (8 * b);
            memcpy(&out[(*n)++], &bits, sizeof bits);
        }
    }
    *v = out;
    return 0;
}

static int decode_histogram(const struct protobuf_field *msg, struct arena *a, struct remote_write_histogram *h)
{
    long nneg = count_fields(msg->data, msg->len, HIST_NEG_SPANS);
    long npos = count_fields(msg->data, msg->len, HIST_POS_SPANS);
    if (nneg < 0 || npos < 0)
        return -1;
    memset(h, 0, sizeof *h);
    struct remote_write_bucket_span *neg = ARENA_NEWN(a, struct remote_write_bucket_span, nneg + 1);
    struct remote_write_bucket_span *pos = ARENA_NEWN(a, struct remote_write_bucket_span, npos + 1);
    h->neg_spans = neg;
    h->pos_spans = pos;
    struct protobuf_reader r;
    struct protobuf_field f;
    protobuf_reader_init(&r, msg->data, msg->len);
    int rc;
    while ((rc = protobuf_next(&r, &f)) > 0) {
        switch (f.number) {
        case HIST_COUNT_FLOAT:
        case HIST_SUM:
        case HIST_ZERO_THRESHOLD:
        case HIST_ZERO_COUNT_FLOAT:
            if (f.wire != PROTOBUF_WIRE_FIXED64)
                return -1;
            *(f.number == HIST_COUNT_FLOAT ? &h->count
              : f.number == HIST_SUM       ? &h->sum
              : f.number == HIST_ZERO_THRESHOLD ? &h->zero_threshold
                                                : &h->zero_count) = protobuf_field_double(&f);
            break;
        case HIST_SCHEMA:
        case HIST_RESET_HINT:
        case HIST_TIMESTAMP:
            if (f.wire != PROTOBUF_WIRE_VARINT)
                return -1;
            if (f.number == HIST_SCHEMA)
                h->schema = (int32_t)protobuf_unzigzag(f.bits);
            else if (f.number == HIST_RESET_HINT)
                h->reset_hint = (int)f.bits;
            else
                h->timestamp_ms = (int64_t)f.bits;
            break;
        case HIST_NEG_SPANS:
        case HIST_POS_SPANS:
            if (f.wire != PROTOBUF_WIRE_LEN ||
                decode_span(&f, f.number == HIST_NEG_SPANS ? &neg[h->nneg_spans++] : &pos[h->npos_spans++]) < 0)
                return -1;
            break;
        case HIST_NEG_COUNTS:
            if (decode_doubles(&f, a, &h->neg_counts, &h->nneg_counts) < 0)
                return -1;
            break;
        case HIST_POS_COUNTS:
            if (decode_doubles(&f, a, &h->pos_counts, &h->npos_counts) < 0)
                return -1;
            break;
        case HIST_CUSTOM_VALUES:
            if (decode_doubles(&f, a, &h->custom_values, &h->ncustom_values) < 0)
                return -1;
            break;
        default: /* integer histograms' fields (1, 6, 9, 12) are not decoded */
            break;
        }
    }
    return rc;
}

static int decode_series(const struct protobuf_field *msg, struct arena *a,
                         struct remote_write_series *s)
{
    long nl = count_fields(msg->data, msg->len, TIMESERIES_LABELS);
    long ns = count_fields(msg->data, msg->len, TIMESERIES_SAMPLES);
    long nh = count_fields(msg->data, msg->len, TIMESERIES_HISTOGRAMS);
    if (nl < 0 || ns < 0 || nh < 0)
        return -1;
    struct remote_write_label *labels = ARENA_NEWN(a, struct remote_write_label, nl);
    struct remote_write_sample *samples = ARENA_NEWN(a, struct remote_write_sample, ns);
    struct remote_write_histogram *hists = ARENA_NEWN(a, struct remote_write_histogram, nh);
    struct protobuf_reader r;
    struct protobuf_field f;
    protobuf_reader_init(&r, msg->data, msg->len);
    size_t il = 0, is = 0, ih = 0;
    while (protobuf_next(&r, &f) > 0) {
        if (f.number != TIMESERIES_LABELS && f.number != TIMESERIES_SAMPLES && f.number != TIMESERIES_HISTOGRAMS)
            continue;
        if (f.wire != PROTOBUF_WIRE_LEN)
            return -1;
        if (f.number == TIMESERIES_HISTOGRAMS) {
            if (decode_histogram(&f, a, &hists[ih++]) < 0)
                return -1;
            continue;
        }
        if (f.number == TIMESERIES_LABELS ? decode_label(&f, a, &labels[il++]) < 0
                                          : decode_sample(&f, &samples[is++]) < 0)
            return -1;
    }
    s->histograms = hists;
    s->nhistograms = ih;
    s->labels = labels;
    s->nlabels = il;
    s->samples = samples;
    s->nsamples = is;
    return 0;
}

int remote_write_decode(const void *p, size_t n, struct arena *a, struct remote_write_series **out,
                        size_t *nout, struct remote_write_error *err)
{
    long count = count_fields(p, n, WRITE_REQUEST_TIMESERIES);
    if (count < 0) {
        set_error(err, "malformed WriteRequest");
        return -1;
    }
    struct remote_write_series *series = ARENA_NEWN(a, struct remote_write_series, count);
    struct protobuf_reader r;
    struct protobuf_field f;
    protobuf_reader_init(&r, p, n);
    size_t i = 0;
    while (protobuf_next(&r, &f) > 0) {
        if (f.number != WRITE_REQUEST_TIMESERIES)
            continue;
        if (f.wire != PROTOBUF_WIRE_LEN || decode_series(&f, a, &series[i]) < 0) {
            set_error(err, "malformed TimeSeries %zu", i);
            return -1;
        }
        i++;
    }
    *out = series;
    *nout = i;
    return 0;
}

/* ---- configuration ---- */

void remote_write_config_defaults(struct remote_write_config *c)
{
    memset(c, 0, sizeof *c);
    c->user_agent = "heed";
    c->timeout = 30;
    c->capacity = 10000;
    c->max_samples_per_send = 2000;
    c->batch_send_deadline = 5;
    c->min_backoff = 0.030;
    c->max_backoff = 5;
    c->flush_deadline = 60;
}

/* Headers the protocol or the transport sets itself (Prometheus refuses the
 * same list in remote_write.headers); authorization has its own options. */
static const char *const reserved_headers[] = {
    "authorization", "host", "content-encoding", "content-length", "content-type",
    "user-agent", "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "www-authenticate", "accept-encoding", "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version", "expect", "transfer-encoding",
};

static int header_check(const char *h, struct remote_write_error *err)
{
    const char *colon = strchr(h, ':');
    if (!colon || colon == h) {
        set_error(err, "header \"%s\" is not \"Name: value\"", h);
        return -1;
    }
    for (const char *p = h; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            set_error(err, "header \"%.*s\" contains a line break", (int)(colon - h), h);
            return -1;
        }
        if (p < colon && !(name_char(*p, 0, 0) || strchr("!#$%&'*+-.^`|~", *p))) {
            set_error(err, "header name \"%.*s\" has an invalid character", (int)(colon - h), h);
            return -1;
        }
    }
    size_t n = (size_t)(colon - h);
    for (size_t i = 0; i < sizeof reserved_headers / sizeof reserved_headers[0]; i++) {
        if (strlen(reserved_headers[i]) == n && !strncasecmp(h, reserved_headers[i], n)) {
            set_error(err, "header \"%.*s\" is reserved for remote write", (int)n, h);
            return -1;
        }
    }
    return 0;
}

int remote_write_config_check(const struct remote_write_config *c, struct remote_write_error *err)
{
    if (!c->url || (strncmp(c->url, "http://", 7) && strncmp(c->url, "https://", 8))) {
        set_error(err, "remote write url must start with http:// or https://");
        return -1;
    }
    if (c->bearer_token && c->bearer_token_file) {
        set_error(err, "at most one of bearer_token and bearer_token_file may be set");
        return -1;
    }
    if (c->basic_auth_password && c->basic_auth_password_file) {
        set_error(err, "at most one of basic_auth password and password_file may be set");
        return -1;
    }
    int basic = c->basic_auth_username || c->basic_auth_password || c->basic_auth_password_file;
    if (basic && (c->bearer_token || c->bearer_token_file)) {
        set_error(err, "at most one of basic_auth and bearer token may be set");
        return -1;
    }
    if (basic && !c->basic_auth_username) {
        set_error(err, "basic_auth needs a username");
        return -1;
    }
    if (!c->tls_cert_file != !c->tls_key_file) {
        set_error(err, "tls cert_file and key_file must be set together");
        return -1;
    }
    for (size_t i = 0; i < c->nheaders; i++)
        if (header_check(c->headers[i], err) < 0)
            return -1;
    if (!(c->timeout > 0) || !(c->batch_send_deadline > 0)) {
        set_error(err, "remote_timeout and batch_send_deadline must be positive");
        return -1;
    }
    if (c->capacity == 0 || c->max_samples_per_send == 0) {
        set_error(err, "capacity and max_samples_per_send must be positive");
        return -1;
    }
    if (!(c->min_backoff >= 0) || !(c->max_backoff >= c->min_backoff) || !(c->flush_deadline >= 0)) {
        set_error(err, "need 0 <= min_backoff <= max_backoff and flush_deadline >= 0");
        return -1;
    }
    return 0;
}

/* ---- transport ---- */

struct remote_write_http {
    const struct remote_write_config *cfg; /* borrowed: outlives this transport */
    CURL *curl;                            /* one handle, so the connection is reused */
    struct strbuf body;                    /* start of the response body (ERROR_BODY_MAX) */
    double retry_after;                    /* seconds from the response's Retry-After */
    char errbuf[CURL_ERROR_SIZE];          /* curl's description of a failed transfer */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Reads a secret file, trimmed of surrounding whitespace as Prometheus does. */
static int read_secret(const char *path, struct strbuf *out, struct remote_write_error *err)
{
    strbuf_reset(out);
    if (strbuf_read_file(out, path) < 0) {
        set_error(err, "reading %s: %s", path, strerror(errno));
        return -1;
    }
    size_t end = out->len, start = 0;
    while (end > 0 && isspace((unsigned char)out->buf[end - 1]))
        end--;
    while (start < end && isspace((unsigned char)out->buf[start]))
        start++;
    memmove(out->buf, out->buf + start, end - start);
    strbuf_setlen(out, end - start);
    return 0;
}

static size_t http_on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct remote_write_http *h = ctx;
    size_t len = size * n;
    if (h->body.len < ERROR_BODY_MAX)
        strbuf_add(&h->body, p, len < ERROR_BODY_MAX - h->body.len ? len : ERROR_BODY_MAX - h->body.len);
    return len;
}

static size_t http_on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct remote_write_http *h = ctx;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1)) {
        char value[128];
        size_t vlen = len - (sizeof name - 1);
        if (vlen >= sizeof value)
            vlen = sizeof value - 1;
        memcpy(value, p + sizeof name - 1, vlen);
        value[vlen] = '\0';
        char *v = value;
        while (isspace((unsigned char)*v))
            v++;
        char *end;
        long secs = strtol(v, &end, 10);
        if (end != v && (isspace((unsigned char)*end) || !*end)) {
            h->retry_after = secs > 0 ? (double)secs : 0;
        } else {
            /* The other form is an HTTP date. */
            time_t when = curl_getdate(v, NULL);
            if (when != -1 && when > time(NULL))
                h->retry_after = difftime(when, time(NULL));
        }
    }
    return len;
}

struct remote_write_http *remote_write_http_new(const struct remote_write_config *c,
                                                struct remote_write_error *err)
{
    if (remote_write_config_check(c, err) < 0)
        return NULL;
    /* Fail at start rather than retrying forever on a secret that is not there. */
    struct strbuf secret = STRBUF_INIT;
    const char *files[] = {c->bearer_token_file, c->basic_auth_password_file};
    for (size_t i = 0; i < 2; i++) {
        if (files[i] && read_secret(files[i], &secret, err) < 0) {
            strbuf_release(&secret);
            return NULL;
        }
    }
    strbuf_release(&secret);
    pthread_once(&curl_once, curl_init_once);
    CURL *curl = curl_easy_init();
    if (!curl) {
        set_error(err, "curl_easy_init failed");
        return NULL;
    }
    struct remote_write_http *h = xcalloc(1, sizeof *h);
    h->cfg = c;
    h->curl = curl;
    strbuf_init(&h->body);
    long timeout_ms = (long)(c->timeout * 1000);
    curl_easy_setopt(curl, CURLOPT_URL, c->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* we run in a thread: no SIGALRM */
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, c->user_agent ? c->user_agent : "heed");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, http_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    if (c->basic_auth_username) {
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, c->basic_auth_username);
    }
    if (c->tls_ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->tls_ca_file);
    if (c->tls_cert_file) {
        curl_easy_setopt(curl, CURLOPT_SSLCERT, c->tls_cert_file);
        curl_easy_setopt(curl, CURLOPT_SSLKEY, c->tls_key_file);
    }
    if (c->tls_insecure_skip_verify) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    /* "" turns off curl's http_proxy/https_proxy environment lookup: like
     * Prometheus, use a proxy only when configured. */
    curl_easy_setopt(curl, CURLOPT_PROXY, c->proxy_url ? c->proxy_url : "");
    return h;
}

void remote_write_http_free(struct remote_write_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    strbuf_release(&h->body);
    free(h);
}

/* Copies text into the fixed error field, on one line. */
static void response_error(struct remote_write_response *resp, const char *prefix, const char *text,
                           size_t len)
{
    int n = snprintf(resp->error, sizeof resp->error, "%s", prefix);
    size_t at = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < len && at + 1 < sizeof resp->error; i++)
        resp->error[at++] = (text[i] == '\n' || text[i] == '\r') ? ' ' : text[i];
    while (at > 0 && resp->error[at - 1] == ' ')
        at--;
    resp->error[at] = '\0';
}

void remote_write_http_send(void *ctx, const void *body, size_t len,
                            struct remote_write_response *resp)
{
    struct remote_write_http *h = ctx;
    const struct remote_write_config *c = h->cfg;
    memset(resp, 0, sizeof *resp);
    struct remote_write_error err;
    struct strbuf secret = STRBUF_INIT, line = STRBUF_INIT;
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Content-Encoding: snappy");
    headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
    headers = curl_slist_append(headers, "X-Prometheus-Remote-Write-Version: 0.1.0");
    /* curl would wait for "100 Continue" on larger bodies: a wasted round trip. */
    headers = curl_slist_append(headers, "Expect:");
    for (size_t i = 0; i < c->nheaders; i++)
        headers = curl_slist_append(headers, c->headers[i]);
    if (c->bearer_token || c->bearer_token_file) {
        if (c->bearer_token_file && read_secret(c->bearer_token_file, &secret, &err) < 0) {
            /* Reported as a failed delivery: the file may be back (rotated) by the retry. */
            response_error(resp, "", err.msg, strlen(err.msg));
            goto out;
        }
        strbuf_addf(&line, "Authorization: Bearer %s", c->bearer_token_file ? secret.buf : c->bearer_token);
        headers = curl_slist_append(headers, line.buf);
    }
    if (c->basic_auth_username) {
        const char *password = c->basic_auth_password ? c->basic_auth_password : "";
        if (c->basic_auth_password_file) {
            if (read_secret(c->basic_auth_password_file, &secret, &err) < 0) {
                response_error(resp, "", err.msg, strlen(err.msg));
                goto out;
            }
            password = secret.buf;
        }
        curl_easy_setopt(h->curl, CURLOPT_PASSWORD, password);
    }
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    strbuf_reset(&h->body);
    h->retry_after = 0;
    h->errbuf[0] = '\0';
    CURLcode rc = curl_easy_perform(h->curl);
    if (rc != CURLE_OK) {
        const char *msg = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
        response_error(resp, "", msg, strlen(msg));
    } else {
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
        resp->retry_after = h->retry_after;
        if (resp->status / 100 != 2) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "HTTP %ld: ", resp->status);
            response_error(resp, prefix, h->body.buf, h->body.len);
        }
    }
    /* The handle keeps pointers to these; clear them before they go away. */
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h->curl, CURLOPT_PASSWORD, NULL);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, NULL);
out:
    curl_slist_free_all(headers);
    strbuf_release(&secret);
    strbuf_release(&line);
}

/* ---- queue ---- */

/* A queued series: one allocation holding the copied samples, the sorted
 * labels that have values, and their strings, in that order. */
struct entry {
    struct entry *next;                /* younger entry, or NULL */
    double enqueued;                   /* monotonic seconds when pushed */
    struct remote_write_series series; /* points into this allocation */
};

struct remote_write_queue {
    struct remote_write_config cfg; /* copy; its strings live in cfg_arena */
    struct arena cfg_arena;         /* owns the copied configuration strings */
    struct remote_write_http *http; /* default transport, when cfg.send was NULL */
    pthread_mutex_t mu;             /* guards everything below */
    pthread_cond_t wake;            /* signalled on push and on stop */
    pthread_t thread;               /* the sender */
    int running;                    /* sender started and not yet joined */
    int stopping;                   /* stop() called: no more pushes, flush what is left */
    double stop_deadline;           /* monotonic seconds after which unsent samples are dropped */
    struct entry *head, *tail;      /* FIFO of queued series, oldest at head */
    size_t queued_samples;          /* samples in head..tail */
    size_t inflight_samples;        /* samples in the batch being sent */
    struct remote_write_stats stats; /* counters; pending is derived on read */
};

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits on q->wake until monotonic time `until` at the latest. */
static void wait_until(struct remote_write_queue *q, double until)
{
    double whole = floor(until);
    struct timespec ts = {.tv_sec = (time_t)whole, .tv_nsec = (long)((until - whole) * 1e9)};
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_nsec = 999999999L;
    pthread_cond_timedwait(&q->wake, &q->mu, &ts);
}

static void queue_log(struct remote_write_queue *q, enum remote_write_log_level level,
                      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void queue_log(struct remote_write_queue *q, enum remote_write_log_level level,
                      const char *fmt, ...)
{
    if (!q->cfg.log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    q->cfg.log(q->cfg.log_ctx, level, msg);
}

static const char *copy_str(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

struct remote_write_queue *remote_write_queue_new(const struct remote_write_config *c,
                                                  struct remote_write_error *err)
{
    /* A substituted transport needs no url; check the rest with a stand-in. */
    struct remote_write_config checked = *c;
    if (checked.send && !checked.url)
        checked.url = "http://substituted.transport/";
    if (remote_write_config_check(&checked, err) < 0)
        return NULL;
    struct remote_write_queue *q = xcalloc(1, sizeof *q);
    arena_init(&q->cfg_arena, 4096);
    struct arena *a = &q->cfg_arena;
    q->cfg = *c;
    q->cfg.url = copy_str(a, c->url);
    q->cfg.user_agent = copy_str(a, c->user_agent);
    q->cfg.basic_auth_username = copy_str(a, c->basic_auth_username);
    q->cfg.basic_auth_password = copy_str(a, c->basic_auth_password);
    q->cfg.basic_auth_password_file = copy_str(a, c->basic_auth_password_file);
    q->cfg.bearer_token = copy_str(a, c->bearer_token);
    q->cfg.bearer_token_file = copy_str(a, c->bearer_token_file);
    q->cfg.tls_ca_file = copy_str(a, c->tls_ca_file);
    q->cfg.tls_cert_file = copy_str(a, c->tls_cert_file);
    q->cfg.tls_key_file = copy_str(a, c->tls_key_file);
    q->cfg.proxy_url = copy_str(a, c->proxy_url);
    const char **headers = ARENA_NEWN(a, const char *, c->nheaders);
    for (size_t i = 0; i < c->nheaders; i++)
        headers[i] = arena_strdup(a, c->headers[i]);
    q->cfg.headers = headers;
    if (!q->cfg.send) {
        q->http = remote_write_http_new(&q->cfg, err);
        if (!q->http) {
            arena_release(a);
            free(q);
            return NULL;
        }
        q->cfg.send = remote_write_http_send;
        q->cfg.send_ctx = q->http;
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&q->wake, &attr);
    pthread_condattr_destroy(&attr);
    q->stats.capacity = q->cfg.capacity;
    q->stats.max_samples_per_send = q->cfg.max_samples_per_send;
    return q;
}

/* Samples of a series, floats and histograms (what the counters count). */
static size_t series_points(const struct remote_write_series *s)
{
    return s->nsamples + s->nhistograms;
}

static int64_t series_last_ms(const struct remote_write_series *s)
{
    int64_t f = s->nsamples ? s->samples[s->nsamples - 1].timestamp_ms : INT64_MIN;
    int64_t h = s->nhistograms ? s->histograms[s->nhistograms - 1].timestamp_ms : INT64_MIN;
    return f > h ? f : h;
}

/* The histograms of s, deep-copied into a block of *size bytes at p (NULL:
 * only compute the size). Everything in it is 8-byte aligned. */
static struct remote_write_histogram *histograms_copy(const struct remote_write_series *s, char *p, size_t *size)
{
    size_t total = s->nhistograms * sizeof(struct remote_write_histogram);
    for (size_t i = 0; i < s->nhistograms; i++) {
        const struct remote_write_histogram *h = &s->histograms[i];
        total += (h->nneg_spans + h->npos_spans) * sizeof(struct remote_write_bucket_span) +
                 (h->nneg_counts + h->npos_counts + h->ncustom_values) * sizeof(double);
    }
    *size = total;
    if (!p)
        return NULL;
    struct remote_write_histogram *out = (struct remote_write_histogram *)p;
    char *at = p + s->nhistograms * sizeof *out;
#define COPY_ARRAY(dst, src, n)                   \
    do {                                          \
        size_t bytes_ = (n) * sizeof *(src);      \
        if (bytes_)                               \
            memcpy(at, (src), bytes_);            \
        (dst) = (void *)at;                       \
        at += bytes_;                             \
    } while (0)
    for (size_t i = 0; i < s->nhistograms; i++) {
        out[i] = s->histograms[i];
        COPY_ARRAY(out[i].neg_spans, s->histograms[i].neg_spans, s->histograms[i].nneg_spans);
        COPY_ARRAY(out[i].pos_spans, s->histograms[i].pos_spans, s->histograms[i].npos_spans);
        COPY_ARRAY(out[i].neg_counts, s->histograms[i].neg_counts, s->histograms[i].nneg_counts);
        COPY_ARRAY(out[i].pos_counts, s->histograms[i].pos_counts, s->histograms[i].npos_counts);
        COPY_ARRAY(out[i].custom_values, s->histograms[i].custom_values, s->histograms[i].ncustom_values);
    }
#undef COPY_ARRAY
    return out;
}

/* Validates s and copies it, normalised, into one allocation; NULL when invalid. */
static struct entry *entry_new(const struct remote_write_series *s, struct remote_write_error *err)
{
    const struct remote_write_label **sorted = xmalloc(sizeof *sorted * (s->nlabels ? s->nlabels : 1));
    long kept = series_normalise(s, sorted, err);
    if (kept < 0) {
        free(sorted);
        return NULL;
    }
    size_t strings = 0;
    for (long i = 0; i < kept; i++)
        strings += strlen(sorted[i]->name) + strlen(sorted[i]->value) + 2;
    size_t samples_size = s->nsamples * sizeof(struct remote_write_sample);
    size_t labels_size = (size_t)kept * sizeof(struct remote_write_label);
    size_t hist_size;
    histograms_copy(s, NULL, &hist_size);
    struct entry *e = xmalloc(sizeof *e + samples_size + hist_size + labels_size + strings);
    struct remote_write_sample *samples = (struct remote_write_sample *)(e + 1);
    struct remote_write_histogram *hists = histograms_copy(s, (char *)samples + samples_size, &hist_size);
    struct remote_write_label *labels = (struct remote_write_label *)((char *)samples + samples_size + hist_size);
    char *str = (char *)labels + labels_size;
    if (samples_size)
        memcpy(samples, s->samples, samples_size);
    for (long i = 0; i < kept; i++) {
        size_t n = strlen(sorted[i]->name) + 1, v = strlen(sorted[i]->value) + 1;
        labels[i].name = memcpy(str, sorted[i]->name, n);
        labels[i].value = memcpy(str + n, sorted[i]->value, v);
        str += n + v;
    }
    free(sorted);
    e->next = NULL;
    e->series.labels = labels;
    e->series.nlabels = (size_t)kept;
    e->series.samples = samples;
    e->series.nsamples = s->nsamples;
    e->series.histograms = hists;
    e->series.nhistograms = s->nhistograms;
    return e;
}

static void entries_free(struct entry *e)
{
    while (e) {
        struct entry *next = e->next;
        free(e);
        e = next;
    }
}

enum remote_write_push_result remote_write_queue_push(struct remote_write_queue *q,
                                                      const struct remote_write_series *s,
                                                      struct remote_write_error *err)
{
    struct entry *e = entry_new(s, err);
    pthread_mutex_lock(&q->mu);
    size_t points = series_points(s);
    q->stats.samples_in += points;
    if (!e) {
        q->stats.samples_dropped += points;
        pthread_mutex_unlock(&q->mu);
        return REMOTE_WRITE_INVALID;
    }
    /* No WAL to fall back on as Prometheus has: when the backend cannot keep
     * up, the newest samples are refused rather than blocking the evaluator. */
    if (q->stopping || q->queued_samples + q->inflight_samples + points > q->cfg.capacity) {
        q->stats.samples_dropped += points;
        int stopping = q->stopping;
        pthread_mutex_unlock(&q->mu);
        free(e);
        set_error(err, stopping ? "remote write queue is stopping" : "remote write queue is full");
        return REMOTE_WRITE_FULL;
    }
    e->enqueued = monotonic_now();
    if (q->tail)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
    q->queued_samples += points;
    int64_t last = series_last_ms(s);
    if (last > q->stats.highest_enqueued_ms)
        q->stats.highest_enqueued_ms = last;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->mu);
    return REMOTE_WRITE_QUEUED;
}

/* Scratch buffers of the sender thread, reused across batches. */
struct sender {
    struct strbuf raw;                   /* encoded WriteRequest */
    struct strbuf body;                  /* its snappy block */
    struct remote_write_series *series;  /* the batch's series */
    size_t cap;                          /* allocated entries in series */
};

/* Called with q->mu held; returns it held. */
static void send_batch(struct remote_write_queue *q, struct sender *sd, struct entry *batch,
                       size_t nsamples)
{
    size_t n = 0;
    int64_t max_ts = 0;
    for (struct entry *e = batch; e; e = e->next) {
        XGROW(sd->series, sd->cap, n + 1);
        sd->series[n++] = e->series;
        int64_t ts = series_last_ms(&e->series);
        if (n == 1 || ts > max_ts)
            max_ts = ts;
    }
    pthread_mutex_unlock(&q->mu);
    struct remote_write_error err;
    strbuf_reset(&sd->raw);
    strbuf_reset(&sd->body);
    if (remote_write_encode(sd->series, n, &sd->raw, &err) < 0 ||
        remote_write_compress(sd->raw.buf, sd->raw.len, &sd->body, &err) < 0) {
        /* Entries were validated on push, so this is a bug; count, do not crash. */
        pthread_mutex_lock(&q->mu);
        q->stats.samples_failed += nsamples;
        queue_log(q, REMOTE_WRITE_LOG_ERROR, "encoding a batch of %zu samples failed: %s", nsamples,
                  err.msg);
        return;
    }
    double backoff = q->cfg.min_backoff;
    for (;;) {
        struct remote_write_response resp;
        memset(&resp, 0, sizeof resp);
        double t0 = monotonic_now();
        q->cfg.send(q->cfg.send_ctx, sd->body.buf, sd->body.len, &resp);
        double took = monotonic_now() - t0;
        pthread_mutex_lock(&q->mu);
        q->stats.requests++;
        q->stats.request_seconds += took;
        if (resp.status / 100 == 2) {
            q->stats.samples_sent += nsamples;
            q->stats.bytes_sent += sd->body.len;
            if (max_ts > q->stats.highest_sent_ms)
                q->stats.highest_sent_ms = max_ts;
            return;
        }
        int recoverable = resp.status == 0 || resp.status / 100 == 5 ||
                          (resp.status == 429 && q->cfg.retry_on_http_429);
        if (!recoverable) {
            /* The receiver refused the data itself (bad labels, out of order,
             * too old): sending it again cannot succeed. */
            q->stats.samples_failed += nsamples;
            queue_log(q, REMOTE_WRITE_LOG_ERROR,
                      "non-recoverable error sending %zu samples, dropping them: %s", nsamples,
                      resp.error);
            return;
        }
        double delay = resp.retry_after > 0 ? resp.retry_after : backoff;
        queue_log(q, REMOTE_WRITE_LOG_WARN, "failed to send %zu samples, retrying in %.3gs: %s",
                  nsamples, delay, resp.error[0] ? resp.error : "no response");
        double until = monotonic_now() + delay;
        for (;;) {
            double limit = until;
            if (q->stopping && q->stop_deadline < limit)
                limit = q->stop_deadline;
            if (monotonic_now() >= limit)
                break;
            wait_until(q, limit);
        }
        if (q->stopping && monotonic_now() >= q->stop_deadline) {
            q->stats.samples_dropped += nsamples;
            queue_log(q, REMOTE_WRITE_LOG_ERROR,
                      "flush deadline passed, dropping %zu samples not delivered: %s", nsamples,
                      resp.error[0] ? resp.error : "no response");
            return;
        }
        q->stats.samples_retried += nsamples;
        pthread_mutex_unlock(&q->mu);
        backoff = backoff * 2 < q->cfg.max_backoff ? backoff * 2 : q->cfg.max_backoff;
    }
}

static void *sender_main(void *arg)
{
    struct remote_write_queue *q = arg;
    struct sender sd = {STRBUF_INIT, STRBUF_INIT, NULL, 0};
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (!q->head) {
            if (q->stopping)
                break;
            pthread_cond_wait(&q->wake, &q->mu);
            continue;
        }
        if (q->stopping && monotonic_now() >= q->stop_deadline)
            break; /* stop() counts what is left as dropped */
        /* A partial batch waits for more samples, but not past its deadline. */
        if (!q->stopping && q->queued_samples < q->cfg.max_samples_per_send) {
            double due = q->head->enqueued + q->cfg.batch_send_deadline;
            if (monotonic_now() < due) {
                wait_until(q, due);
                continue;
            }
        }
        /* Whole series only; a series larger than a batch goes alone. */
        struct entry *batch = q->head, *last = NULL;
        size_t nsamples = 0;
        for (struct entry *e = q->head; e; e = e->next) {
            if (last && nsamples + series_points(&e->series) > q->cfg.max_samples_per_send)
                break;
            nsamples += series_points(&e->series);
            last = e;
        }
        q->head = last->next;
        if (!q->head)
            q->tail = NULL;
        last->next = NULL;
        q->queued_samples -= nsamples;
        q->inflight_samples = nsamples;
        send_batch(q, &sd, batch, nsamples);
        q->inflight_samples = 0;
        pthread_mutex_unlock(&q->mu);
        entries_free(batch);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    strbuf_release(&sd.raw);
    strbuf_release(&sd.body);
    free(sd.series);
    return NULL;
}

int remote_write_queue_start(struct remote_write_queue *q, struct remote_write_error *err)
{
    pthread_mutex_lock(&q->mu);
    if (q->running || q->stopping) {
        pthread_mutex_unlock(&q->mu);
        set_error(err, q->running ? "remote write queue already running" : "remote write queue stopped");
        return -1;
    }
    int rc = pthread_create(&q->thread, NULL, sender_main, q);
    if (rc == 0)
        q->running = 1;
    pthread_mutex_unlock(&q->mu);
    if (rc != 0) {
        set_error(err, "starting the remote write sender: %s", strerror(rc));
        return -1;
    }
    return 0;
}

void remote_write_queue_stop(struct remote_write_queue *q)
{
    pthread_mutex_lock(&q->mu);
    if (!q->stopping) {
        q->stopping = 1;
        q->stop_deadline = monotonic_now() + q->cfg.flush_deadline;
        pthread_cond_broadcast(&q->wake);
    }
    int join = q->running;
    q->running = 0;
    pthread_mutex_unlock(&q->mu);
    if (join)
        pthread_join(q->thread, NULL);
    /* Whatever the sender could not deliver in time (or, never started, at all). */
    pthread_mutex_lock(&q->mu);
    struct entry *left = q->head;
    size_t nleft = q->queued_samples;
    q->head = q->tail = NULL;
    q->queued_samples = 0;
    q->stats.samples_dropped += nleft;
    pthread_mutex_unlock(&q->mu);
    if (nleft)
        queue_log(q, REMOTE_WRITE_LOG_ERROR, "remote write stopped with %zu samples unsent, dropped",
                  nleft);
    entries_free(left);
}

void remote_write_queue_free(struct remote_write_queue *q)
{
    if (!q)
        return;
    remote_write_queue_stop(q);
    remote_write_http_free(q->http);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->mu);
    arena_release(&q->cfg_arena);
    free(q);
}

void remote_write_queue_stats(struct remote_write_queue *q, struct remote_write_stats *out)
{
    pthread_mutex_lock(&q->mu);
    *out = q->stats;
    out->samples_pending = q->queued_samples + q->inflight_samples;
    pthread_mutex_unlock(&q->mu);
}
