/* Unit tests for compat/protobuf and compat/remote_write: wire bytes checked
 * against hand-computed encodings, snappy round trips, and the queue's
 * batching, retry and drop logic driven through a scripted in-process
 * transport (no network). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "compat/protobuf.h"
#include "compat/remote_write.h"
#include "tests/t.h"

/* True when sb holds exactly the n bytes at want; prints both otherwise. */
static int bytes_eq(const struct strbuf *sb, const uint8_t *want, size_t n)
{
    if (sb->len == n && !memcmp(sb->buf, want, n))
        return 1;
    fprintf(stderr, "  got  (%zu):", sb->len);
    for (size_t i = 0; i < sb->len; i++)
        fprintf(stderr, " %02x", (uint8_t)sb->buf[i]);
    fprintf(stderr, "\n  want (%zu):", n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %02x", want[i]);
    fputc('\n', stderr);
    return 0;
}
#define T_BYTES(sb, ...)                                              \
    do {                                                              \
        static const uint8_t want_[] = {__VA_ARGS__};                 \
        T_CHECK(bytes_eq((sb), want_, sizeof want_));                 \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* ---- protobuf ---- */

static void test_varint(void)
{
    static const struct {
        uint64_t v;
        uint8_t bytes[10];
        size_t n;
    } cases[] = {
        {0, {0x00}, 1},
        {1, {0x01}, 1},
        {127, {0x7f}, 1},
        {128, {0x80, 0x01}, 2},
        {300, {0xac, 0x02}, 2},
        {16384, {0x80, 0x80, 0x01}, 3},
        {UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        protobuf_put_varint(&sb, cases[i].v);
        T_CHECK(bytes_eq(&sb, cases[i].bytes, cases[i].n));
        T_EQ_INT(protobuf_varint_size(cases[i].v), cases[i].n);
        strbuf_release(&sb);
    }
}

static void test_scalars(void)
{
    struct strbuf sb = STRBUF_INIT;
    /* int64 -1: two's complement, ten bytes, after tag (2 << 3 | 0). */
    protobuf_put_int64(&sb, 2, -1);
    T_BYTES(&sb, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    strbuf_reset(&sb);
    protobuf_put_int64(&sb, 2, 1000);
    T_BYTES(&sb, 0x10, 0xe8, 0x07);
    strbuf_reset(&sb);
    /* double 1.0 = 0x3ff0000000000000, little-endian after tag (1 << 3 | 1). */
    protobuf_put_double(&sb, 1, 1.0);
    T_BYTES(&sb, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f);
    strbuf_reset(&sb);
    protobuf_put_double(&sb, 1, -0.0);
    T_BYTES(&sb, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80);
    strbuf_reset(&sb);
    /* proto3 defaults are not written. */
    protobuf_put_double(&sb, 1, 0.0);
    protobuf_put_int64(&sb, 2, 0);
    protobuf_put_string(&sb, 3, "");
    T_EQ_INT(sb.len, 0);
    protobuf_put_string(&sb, 3, "hi");
    T_BYTES(&sb, 0x1a, 0x02, 'h', 'i');
    strbuf_reset(&sb);
    /* Field numbers above 15 take a two-byte tag. */
    protobuf_put_tag(&sb, 16, PROTOBUF_WIRE_LEN);
    T_BYTES(&sb, 0x82, 0x01);
    strbuf_release(&sb);
}

static void test_nested_length(void)
{
    /* A 200-byte body needs a two-byte length; the fields must shift intact. */
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "pre");
    size_t m = protobuf_msg_begin(&sb, 1);
    char payload[198];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (char)('a' + i % 26);
    protobuf_put_bytes(&sb, 2, payload, sizeof payload); /* 1 + 2 + 198 = 201... */
    protobuf_msg_end(&sb, m);
    /* "pre", tag 0x0a, length 201 = c9 01, tag 0x12, length 198 = c6 01, payload. */
    T_EQ_INT(sb.len, 3 + 1 + 2 + 1 + 2 + 198);
    T_CHECK(!memcmp(sb.buf, "pre\x0a\xc9\x01\x12\xc6\x01", 9));
    T_CHECK(!memcmp(sb.buf + 9, payload, sizeof payload));
    /* An empty embedded message is still written, with length 0. */
    strbuf_reset(&sb);
    m = protobuf_msg_begin(&sb, 2);
    protobuf_msg_end(&sb, m);
    T_BYTES(&sb, 0x12, 0x00);
    strbuf_release(&sb);
}

static void test_reader(void)
{
    /* field 1 varint 300, field 2 fixed64, field 3 "ab", field 4 fixed32 */
    static const uint8_t msg[] = {0x08, 0xac, 0x02, 0x11, 1, 2, 3, 4, 5, 6, 7, 8,
                                  0x1a, 0x02, 'a',  'b',  0x25, 9, 9, 9, 9};
    struct protobuf_reader r;
    struct protobuf_field f;
    protobuf_reader_init(&r, msg, sizeof msg);
    T_EQ_INT(protobuf_next(&r, &f), 1);
    T_EQ_INT(f.number, 1);
    T_EQ_INT(f.wire, PROTOBUF_WIRE_VARINT);
    T_EQ_INT(f.bits, 300);
    T_EQ_INT(protobuf_next(&r, &f), 1);
    T_EQ_INT(f.wire, PROTOBUF_WIRE_FIXED64);
    T_CHECK(f.bits == UINT64_C(0x0807060504030201));
    T_EQ_INT(protobuf_next(&r, &f), 1);
    T_EQ_INT(f.number, 3);
    T_EQ_INT(f.len, 2);
    T_CHECK(!memcmp(f.data, "ab", 2));
    T_EQ_INT(protobuf_next(&r, &f), 1);
    T_EQ_INT(f.wire, PROTOBUF_WIRE_FIXED32);
    T_EQ_INT(f.bits, 0x09090909);
    T_EQ_INT(protobuf_next(&r, &f), 0);

    static const struct {
        const char *name;
        uint8_t bytes[12];
        size_t n;
    } bad[] = {
        {"truncated varint", {0x08, 0x80}, 2},
        {"length past the end", {0x0a, 0x05, 'a'}, 3},
        {"truncated fixed64", {0x09, 1, 2, 3}, 4},
        {"field number 0", {0x00, 0x01}, 2},
        {"group wire type", {0x0b}, 1},
        {"11-byte varint", {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 12},
        {"varint over 64 bits", {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 11},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        protobuf_reader_init(&r, bad[i].bytes, bad[i].n);
        int rc;
        while ((rc = protobuf_next(&r, &f)) > 0)
            ;
        if (rc != -1)
            T_FAIL_("%s: not reported as malformed", bad[i].name);
    }
}

/* ---- remote write encoding ---- */

static void test_encode_hand_computed(void)
{
    /* Labels given out of order; the encoding must sort them (__name__ < job). */
    const struct remote_write_label labels[] = {{"job", "a"}, {"__name__", "up"}};
    const struct remote_write_sample samples[] = {{1.0, 1000}};
    const struct remote_write_series s = {labels, 2, samples, 1, NULL, 0};
    struct strbuf sb = STRBUF_INIT;
    struct remote_write_error err;
    T_EQ_INT(remote_write_encode(&s, 1, &sb, &err), 0);
    T_BYTES(&sb,
            0x0a, 0x28,                                           /* WriteRequest.timeseries, 40 bytes */
            0x0a, 0x0e,                                           /* TimeSeries.labels, 14 bytes */
            0x0a, 0x08, '_', '_', 'n', 'a', 'm', 'e', '_', '_',   /* Label.name "__name__" */
            0x12, 0x02, 'u', 'p',                                 /* Label.value "up" */
            0x0a, 0x08,                                           /* TimeSeries.labels, 8 bytes */
            0x0a, 0x03, 'j', 'o', 'b', 0x12, 0x01, 'a',           /* job="a" */
            0x12, 0x0c,                                           /* TimeSeries.samples, 12 bytes */
            0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, /* Sample.value 1.0 */
            0x10, 0xe8, 0x07);                                    /* Sample.timestamp 1000 */
    strbuf_release(&sb);
}

/* A float native histogram (prompb.Histogram), bytes derived by hand from
 * types.proto: count_float and zero_count_float are oneof members, written
 * even when zero; schema and span offsets are zigzag (sint32); counts packed. */
static const struct remote_write_bucket_span hist_spans[] = {{-2, 2}};
static const double hist_counts[] = {1.0, 2.0};
static const struct remote_write_histogram hist_one = {
    .count = 3.0,
    .sum = 1.5,
    .schema = -1,
    .zero_count = 0.0,
    .pos_spans = hist_spans,
    .npos_spans = 1,
    .pos_counts = hist_counts,
    .npos_counts = 2,
    .timestamp_ms = 1000,
};

static void test_encode_histogram(void)
{
    const struct remote_write_label labels[] = {{"__name__", "h"}};
    struct remote_write_series s = {labels, 1, NULL, 0, &hist_one, 1};
    struct strbuf sb = STRBUF_INIT;
    struct remote_write_error err;
    T_EQ_INT(remote_write_encode(&s, 1, &sb, &err), 0);
    T_BYTES(&sb,
            0x0a, 0x49,                                           /* WriteRequest.timeseries, 73 bytes */
            0x0a, 0x0d,                                           /* TimeSeries.labels, 13 bytes */
            0x0a, 0x08, '_', '_', 'n', 'a', 'm', 'e', '_', '_',   /* Label.name "__name__" */
            0x12, 0x01, 'h',                                      /* Label.value "h" */
            0x22, 0x38,                                           /* TimeSeries.histograms (4), 56 bytes */
            0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, /* count_float (2) 3.0 */
            0x19, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, /* sum (3) 1.5 */
            0x20, 0x01,                                           /* schema (4) -1: zigzag 1 */
            0x39, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* zero_count_float (7) 0.0, present */
            0x5a, 0x04, 0x08, 0x03, 0x10, 0x02,                   /* positive_spans (11): offset -2 (zigzag 3), length 2 */
            0x6a, 0x10,                                           /* positive_counts (13), packed, 16 bytes */
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f,       /*   1.0 */
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40,       /*   2.0 */
            0x78, 0xe8, 0x07);                                    /* timestamp (15) 1000 */
    /* and back */
    struct arena a;
    arena_init(&a, 1024);
    struct remote_write_series *out;
    size_t n;
    T_EQ_INT(remote_write_decode(sb.buf, sb.len, &a, &out, &n, &err), 0);
    T_EQ_INT(n, 1);
    T_EQ_INT(out[0].nsamples, 0);
    T_EQ_INT(out[0].nhistograms, 1);
    if (n == 1 && out[0].nhistograms == 1) {
        const struct remote_write_histogram *h = &out[0].histograms[0];
        T_EQ_FLOAT(h->count, 3.0, 0);
        T_EQ_FLOAT(h->sum, 1.5, 0);
        T_EQ_INT(h->schema, -1);
        T_EQ_INT(h->npos_spans, 1);
        T_EQ_INT(h->pos_spans[0].offset, -2);
        T_EQ_INT(h->pos_spans[0].length, 2);
        T_EQ_INT(h->npos_counts, 2);
        T_EQ_FLOAT(h->pos_counts[1], 2.0, 0);
        T_EQ_INT(h->nneg_spans, 0);
        T_EQ_INT(h->timestamp_ms, 1000);
    }
    /* spans that do not cover the counts are refused */
    struct remote_write_histogram bad = hist_one;
    bad.npos_counts = 1;
    s.histograms = &bad;
    strbuf_reset(&sb);
    T_EQ_INT(remote_write_encode(&s, 1, &sb, &err), -1);
    T_CHECK(strstr(err.msg, "spans do not cover") != NULL);
    arena_release(&a);
    strbuf_release(&sb);
}

static void test_encode_stale_and_zero(void)
{
    const struct remote_write_label labels[] = {{"__name__", "m"}};
    const struct remote_write_sample samples[] = {{remote_write_stale_nan(), 5}, {0.0, 0}};
    /* Timestamps must not decrease; 5 then 0 is refused, so order them. */
    const struct remote_write_sample ordered[] = {samples[1], samples[0]};
    const struct remote_write_series s = {labels, 1, ordered, 2, NULL, 0};
    struct strbuf sb = STRBUF_INIT;
    T_EQ_INT(remote_write_encode(&s, 1, &sb, NULL), 0);
    T_BYTES(&sb, 0x0a, 0x1e,                                  /* TimeSeries, 30 bytes */
            0x0a, 0x0d,                                        /* Label, 13 bytes */
            0x0a, 0x08, '_', '_', 'n', 'a', 'm', 'e', '_', '_', 0x12, 0x01, 'm',
            0x12, 0x00,                                        /* value 0 at 0: all defaults */
            0x12, 0x0b,                                        /* the staleness marker at 5 */
            0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x7f, 0x10, 0x05);
    strbuf_release(&sb);
}

static void test_label_order_and_empty_values(void)
{
    /* Byte order: 'B' (0x42) < '_' (0x5f) < 'a' (0x61) < 'b'; empty "c" dropped. */
    const struct remote_write_label labels[] = {
        {"b", "1"}, {"c", ""}, {"a", "2"}, {"_x", "gr\xc3\xbc\xc3\x9f\xe2\x82\xac\xf0\x9f\x94\xa5"}, {"B", "4"}};
    const struct remote_write_sample samples[] = {{2, 7}};
    const struct remote_write_series s = {labels, 5, samples, 1, NULL, 0};
    struct strbuf sb = STRBUF_INIT;
    T_EQ_INT(remote_write_encode(&s, 1, &sb, NULL), 0);
    struct arena a;
    arena_init(&a, 1024);
    struct remote_write_series *out;
    size_t n;
    T_EQ_INT(remote_write_decode(sb.buf, sb.len, &a, &out, &n, NULL), 0);
    T_EQ_INT(n, 1);
    T_EQ_INT(out[0].nlabels, 4);
    if (out[0].nlabels == 4) {
        T_EQ_STR(out[0].labels[0].name, "B");
        T_EQ_STR(out[0].labels[1].name, "_x");
        T_EQ_STR(out[0].labels[1].value, "grüß€🔥");
        T_EQ_STR(out[0].labels[2].name, "a");
        T_EQ_STR(out[0].labels[3].name, "b");
        T_EQ_STR(out[0].labels[3].value, "1");
    }
    arena_release(&a);
    strbuf_release(&sb);
}

static void test_encode_errors(void)
{
    static const struct remote_write_sample one[] = {{1, 1}};
    static const struct remote_write_sample backwards[] = {{1, 2}, {1, 1}};
    static const struct remote_write_label dup[] = {{"a", "x"}, {"__name__", "m"}, {"a", "y"}};
    static const struct remote_write_label empty_name[] = {{"", "x"}};
    static const struct remote_write_label bad_name[] = {{"1a", "x"}};
    static const struct remote_write_label dash[] = {{"a-b", "x"}};
    static const struct remote_write_label bad_metric[] = {{"__name__", "a-b"}};
    static const struct remote_write_label only_empty[] = {{"a", ""}};
    static const struct remote_write_label ok[] = {{"__name__", "ok:rule"}};
    static const struct remote_write_label latin1[] = {{"__name__", "m"}, {"city", "K\xf6ln"}};
    static const struct remote_write_label overlong[] = {{"__name__", "m"}, {"slash", "\xc0\xaf"}};
    static const struct remote_write_label surrogate[] = {{"__name__", "m"}, {"s", "\xed\xa0\x80"}};
    static const struct remote_write_label cut[] = {{"__name__", "m"}, {"s", "\xe2\x82"}};
    static const struct {
        const char *name;
        struct remote_write_series s;
        const char *msg;
    } cases[] = {
        {"duplicate", {dup, 3, one, 1, NULL, 0}, "duplicate label name \"a\" (series 1)"},
        {"empty name", {empty_name, 1, one, 1, NULL, 0}, "empty label name (series 1)"},
        {"digit first", {bad_name, 1, one, 1, NULL, 0}, "invalid label name \"1a\" (series 1)"},
        {"dash", {dash, 1, one, 1, NULL, 0}, "invalid label name \"a-b\" (series 1)"},
        {"metric name", {bad_metric, 1, one, 1, NULL, 0}, "invalid metric name \"a-b\" (series 1)"},
        {"no labels", {only_empty, 1, one, 1, NULL, 0}, "series has no labels with values (series 1)"},
        {"no samples", {ok, 1, one, 0, NULL, 0}, "series has no samples (series 1)"},
        {"latin-1", {latin1, 2, one, 1, NULL, 0}, "label city has a value that is not valid UTF-8 (series 1)"},
        {"overlong", {overlong, 2, one, 1, NULL, 0}, "label slash has a value that is not valid UTF-8 (series 1)"},
        {"surrogate", {surrogate, 2, one, 1, NULL, 0}, "label s has a value that is not valid UTF-8 (series 1)"},
        {"truncated", {cut, 2, one, 1, NULL, 0}, "label s has a value that is not valid UTF-8 (series 1)"},
        {"backwards", {ok, 1, backwards, 2, NULL, 0}, "samples out of timestamp order (1 after 2) (series 1)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* A valid series first: the failed call must leave out as it was. */
        const struct remote_write_series both[] = {{ok, 1, one, 1, NULL, 0}, cases[i].s};
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "keep");
        struct remote_write_error err = {""};
        T_EQ_INT(remote_write_encode(both, 2, &sb, &err), -1);
        T_EQ_STR(err.msg, cases[i].msg);
        T_EQ_STR(sb.buf, "keep");
        strbuf_release(&sb);
    }
}

static void test_decode_round_trip(void)
{
    const struct remote_write_label l1[] = {{"__name__", "job:rate5m"}, {"job", "api"}};
    const struct remote_write_label l2[] = {{"__name__", "other"}, {"le", "+Inf"}};
    const struct remote_write_sample s1[] = {{0.25, -5}, {remote_write_stale_nan(), 1700000000123}};
    const struct remote_write_sample s2[] = {{-INFINITY, 0}, {NAN, 1}, {1e-300, 2}};
    const struct remote_write_series in[] = {{l1, 2, s1, 2, NULL, 0}, {l2, 2, s2, 3, NULL, 0}};
    struct strbuf sb = STRBUF_INIT;
    T_EQ_INT(remote_write_encode(in, 2, &sb, NULL), 0);
    /* An unknown field (15, varint) appended to the request is skipped. */
    protobuf_put_tag(&sb, 15, PROTOBUF_WIRE_VARINT);
    protobuf_put_varint(&sb, 99);
    struct arena a;
    arena_init(&a, 1024);
    struct remote_write_series *out;
    size_t n;
    struct remote_write_error err;
    T_EQ_INT(remote_write_decode(sb.buf, sb.len, &a, &out, &n, &err), 0);
    T_EQ_INT(n, 2);
    if (n == 2) {
        T_EQ_STR(out[0].labels[0].value, "job:rate5m");
        T_EQ_STR(out[0].labels[1].name, "job");
        T_EQ_INT(out[0].nsamples, 2);
        T_EQ_FLOAT(out[0].samples[0].value, 0.25, 0);
        T_EQ_INT(out[0].samples[0].timestamp_ms, -5);
        T_CHECK(remote_write_is_stale_nan(out[0].samples[1].value));
        T_EQ_INT(out[0].samples[1].timestamp_ms, 1700000000123LL);
        T_EQ_STR(out[1].labels[1].value, "+Inf");
        T_EQ_INT(out[1].nsamples, 3);
        T_CHECK(isinf(out[1].samples[0].value) && out[1].samples[0].value < 0);
        T_CHECK(isnan(out[1].samples[1].value) && !remote_write_is_stale_nan(out[1].samples[1].value));
        T_EQ_FLOAT(out[1].samples[2].value, 1e-300, 0);
    }
    /* Truncations of a valid request never decode into garbage silently. */
    for (size_t cut = 1; cut < sb.len - 2; cut++) {
        struct remote_write_series *o;
        size_t no;
        if (remote_write_decode(sb.buf, cut, &a, &o, &no, &err) == 0 && no == 2)
            T_FAIL_("truncated to %zu bytes still decodes to both series", cut);
    }
    arena_release(&a);
    strbuf_release(&sb);
}

static void test_stale_nan(void)
{
    double s = remote_write_stale_nan();
    uint64_t bits;
    memcpy(&bits, &s, sizeof bits);
    T_CHECK(bits == UINT64_C(0x7ff0000000000002));
    T_CHECK(isnan(s));
    T_CHECK(remote_write_is_stale_nan(s));
    T_CHECK(!remote_write_is_stale_nan(NAN));
    T_CHECK(!remote_write_is_stale_nan(1.0));
}

static void test_snappy(void)
{
    struct strbuf c = STRBUF_INIT, u = STRBUF_INIT;
    struct remote_write_error err;
    /* Block format, hand-decoded: length varint 3, literal tag (3-1)<<2, bytes. */
    T_EQ_INT(remote_write_compress("abc", 3, &c, &err), 0);
    T_BYTES(&c, 0x03, 0x08, 'a', 'b', 'c');
    strbuf_reset(&c);
    /* A realistic request: 500 similar series compress well and come back intact. */
    struct remote_write_label labels[2] = {{"__name__", "instance:cpu:rate5m"}, {"instance", NULL}};
    struct remote_write_sample sample = {0.5, 1700000000000};
    struct strbuf raw = STRBUF_INIT;
    char inst[32];
    for (int i = 0; i < 500; i++) {
        snprintf(inst, sizeof inst, "host-%03d:9100", i);
        labels[1].value = inst;
        struct remote_write_series s = {labels, 2, &sample, 1, NULL, 0};
        T_EQ_INT(remote_write_encode(&s, 1, &raw, &err), 0);
    }
    T_EQ_INT(remote_write_compress(raw.buf, raw.len, &c, &err), 0);
    T_CHECK(c.len * 3 < raw.len);
    T_EQ_INT(remote_write_uncompress(c.buf, c.len, &u, &err), 0);
    T_EQ_INT(u.len, raw.len);
    T_CHECK(u.len == raw.len && !memcmp(u.buf, raw.buf, raw.len));
    /* Corrupt input is an error value, not a crash. */
    strbuf_reset(&u);
    T_EQ_INT(remote_write_uncompress("\x05\x00garbage", 9, &u, &err), -1);
    T_EQ_INT(remote_write_uncompress("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10, &u, &err), -1);
    strbuf_release(&raw);
    strbuf_release(&c);
    strbuf_release(&u);
}

static void test_config_check(void)
{
    static const char *const reserved[] = {"Content-Type: text/plain"};
    static const char *const injected[] = {"X-A: b\r\nX-B: c"};
    static const char *const nameless[] = {": v"};
    static const char *const fine[] = {"X-Scope-OrgID: t1"};
    static const struct {
        const char *name;
        const char *url;
        const char *token, *token_file, *user, *cert, *key;
        const char *const *headers;
        const char *msg; /* NULL: valid */
    } cases[] = {
        {"ok", "http://127.0.0.1:9090/api/v1/write", NULL, NULL, NULL, NULL, NULL, fine, NULL},
        {"no url", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "remote write url must start with http:// or https://"},
        {"ftp", "ftp://x/", NULL, NULL, NULL, NULL, NULL, NULL, "remote write url must start with http:// or https://"},
        {"two tokens", "http://x/", "t", "/f", NULL, NULL, NULL, NULL, "at most one of bearer_token and bearer_token_file may be set"},
        {"basic and bearer", "http://x/", "t", NULL, "u", NULL, NULL, NULL, "at most one of basic_auth and bearer token may be set"},
        {"cert alone", "http://x/", NULL, NULL, NULL, "/c", NULL, NULL, "tls cert_file and key_file must be set together"},
        {"reserved", "http://x/", NULL, NULL, NULL, NULL, NULL, reserved, "header \"Content-Type\" is reserved for remote write"},
        {"line break", "http://x/", NULL, NULL, NULL, NULL, NULL, injected, "header \"X-A\" contains a line break"},
        {"no name", "http://x/", NULL, NULL, NULL, NULL, NULL, nameless, "header \": v\" is not \"Name: value\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct remote_write_config c;
        remote_write_config_defaults(&c);
        c.url = cases[i].url;
        c.bearer_token = cases[i].token;
        c.bearer_token_file = cases[i].token_file;
        c.basic_auth_username = cases[i].user;
        c.tls_cert_file = cases[i].cert;
        c.tls_key_file = cases[i].key;
        c.headers = cases[i].headers;
        c.nheaders = cases[i].headers ? 1 : 0;
        struct remote_write_error err = {""};
        int rc = remote_write_config_check(&c, &err);
        if (!cases[i].msg) {
            T_EQ_INT(rc, 0);
        } else {
            T_EQ_INT(rc, -1);
            T_EQ_STR(err.msg, cases[i].msg);
        }
    }
    struct remote_write_config c;
    remote_write_config_defaults(&c);
    c.url = "http://x/";
    c.min_backoff = 2;
    c.max_backoff = 1;
    T_EQ_INT(remote_write_config_check(&c, NULL), -1);
    /* The HTTP transport refuses to start on a secret file that is not there. */
    c.min_backoff = 0.01;
    c.bearer_token_file = "/nonexistent/heed-token";
    struct remote_write_error err;
    T_CHECK(remote_write_http_new(&c, &err) == NULL);
    T_CHECK(strstr(err.msg, "/nonexistent/heed-token") != NULL);
}

/* ---- the queue, over a scripted transport ---- */

#define FAKE_MAX 32

/* Answers with a scripted status per call (the last repeats) and records bodies. */
struct fake {
    pthread_mutex_t mu;            /* guards the fields below */
    long status[FAKE_MAX];         /* replies, in order */
    size_t nstatus;                /* entries in status */
    double retry_after;            /* Retry-After for every non-2xx reply */
    size_t calls;                  /* POSTs so far */
    struct strbuf body[FAKE_MAX];  /* each POST's body */
    double at[FAKE_MAX];           /* each POST's monotonic time */
};

static void fake_init(struct fake *f, const long *status, size_t n)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    memcpy(f->status, status, n * sizeof *status);
    f->nstatus = n;
    for (size_t i = 0; i < FAKE_MAX; i++)
        strbuf_init(&f->body[i]);
}

static void fake_release(struct fake *f)
{
    for (size_t i = 0; i < FAKE_MAX; i++)
        strbuf_release(&f->body[i]);
    pthread_mutex_destroy(&f->mu);
}

static size_t fake_calls(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->calls;
    pthread_mutex_unlock(&f->mu);
    return n;
}

static void fake_send(void *ctx, const void *body, size_t len, struct remote_write_response *resp)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->mu);
    size_t i = f->calls++;
    if (i < FAKE_MAX) {
        strbuf_add(&f->body[i], body, len);
        f->at[i] = now_s();
    }
    resp->status = f->status[i < f->nstatus ? i : f->nstatus - 1];
    if (resp->status / 100 != 2) {
        resp->retry_after = f->retry_after;
        snprintf(resp->error, sizeof resp->error, "HTTP %ld: scripted", resp->status);
    }
    pthread_mutex_unlock(&f->mu);
}

static void fake_config(struct remote_write_config *c, struct fake *f)
{
    remote_write_config_defaults(c);
    c->send = fake_send;
    c->send_ctx = f;
    c->min_backoff = 0.001;
    c->max_backoff = 0.004;
    c->flush_deadline = 5;
}

/* Decodes recorded body i; returns the number of series, sample values in vals. */
static size_t fake_decode(struct fake *f, size_t i, struct arena *a, struct remote_write_series **out)
{
    struct strbuf raw = STRBUF_INIT;
    size_t n = 0;
    struct remote_write_error err;
    if (remote_write_uncompress(f->body[i].buf, f->body[i].len, &raw, &err) < 0 ||
        remote_write_decode(raw.buf, raw.len, a, out, &n, &err) < 0) {
        T_FAIL_("body %zu does not decode: %s", i, err.msg);
        n = 0;
    }
    strbuf_release(&raw);
    return n;
}

static void check_invariant(const struct remote_write_stats *s)
{
    T_EQ_INT(s->samples_in, s->samples_sent + s->samples_failed + s->samples_dropped + s->samples_pending);
}

/* Pushes a series {__name__="m", i="<i>"} with nsamples samples valued i. */
static enum remote_write_push_result push_n(struct remote_write_queue *q, int i, size_t nsamples)
{
    char value[16];
    snprintf(value, sizeof value, "%d", i);
    struct remote_write_label labels[] = {{"i", value}, {"__name__", "m"}};
    struct remote_write_sample samples[8];
    for (size_t j = 0; j < nsamples && j < 8; j++)
        samples[j] = (struct remote_write_sample){i, 1000 * (int64_t)(j + 1) + i};
    struct remote_write_series s = {labels, 2, samples, nsamples, NULL, 0};
    enum remote_write_push_result r = remote_write_queue_push(q, &s, NULL);
    /* The queue copied everything: scribble over the caller's memory. */
    memset(value, 'X', sizeof value - 1);
    memset(samples, 0xff, sizeof samples);
    return r;
}

static void test_queue_batches(void)
{
    static const long ok[] = {200};
    struct fake f;
    fake_init(&f, ok, 1);
    struct remote_write_config c;
    fake_config(&c, &f);
    c.max_samples_per_send = 2;
    struct remote_write_queue *q = remote_write_queue_new(&c, NULL);
    T_CHECK(q != NULL);
    if (!q)
        return;
    for (int i = 1; i <= 5; i++)
        T_EQ_INT(push_n(q, i, 1), REMOTE_WRITE_QUEUED);
    T_EQ_INT(push_n(q, 6, 3), REMOTE_WRITE_QUEUED); /* bigger than a batch: goes alone */
    T_EQ_INT(push_n(q, 7, 1), REMOTE_WRITE_QUEUED);
    struct remote_write_stats s;
    remote_write_queue_stats(q, &s);
    T_EQ_INT(s.samples_pending, 9);
    T_EQ_INT(remote_write_queue_start(q, NULL), 0);
    remote_write_queue_stop(q);
    remote_write_queue_stats(q, &s);
    T_EQ_INT(s.samples_sent, 9);
    T_EQ_INT(s.requests, 5);
    T_EQ_INT(s.samples_pending, 0);
    T_EQ_INT(s.highest_sent_ms, 3006);
    T_EQ_INT(s.highest_enqueued_ms, 3006);
    check_invariant(&s);
    /* Batches of whole series, in push order: [1 2] [3 4] [5] [6x3] [7]. */
    static const int want[][3] = {{1, 2, 0}, {3, 4, 0}, {5, 0, 0}, {6, 0, 0}, {7, 0, 0}};
    static const size_t want_series[] = {2, 2, 1, 1, 1};
    T_EQ_INT(fake_calls(&f), 5);
    struct arena a;
    arena_init(&a, 1024);
    uint64_t bytes = 0;
    for (size_t b = 0; b < 5 && b < f.calls; b++) {
        struct remote_write_series *out;
        size_t n = fake_decode(&f, b, &a, &out);
        bytes += f.body[b].len;
        T_EQ_INT(n, want_series[b]);
        for (size_t k = 0; k < n && k < 3; k++) {
            T_EQ_INT(out[k].nlabels, 2);
            T_EQ_STR(out[k].labels[0].name, "__name__");
            char v[16];
            snprintf(v, sizeof v, "%d", want[b][k]);
            T_EQ_STR(out[k].labels[1].value, v);
            T_EQ_FLOAT(out[k].samples[0].value, want[b][k], 0);
            T_EQ_INT(out[k].samples[0].timestamp_ms, 1000 + want[b][k]);
        }
        if (b == 3)
            T_EQ_INT(out[0].nsamples, 3);
    }
    T_EQ_INT(s.bytes_sent, bytes);
    arena_release(&a);
    remote_write_queue_free(q);
    fake_release(&f);
}

/* A histogram goes through the queue deep-copied (the caller's arrays are
 * gone by the time it is sent) and counts as one sample. */
static void test_queue_histogram(void)
{
    static const long ok[] = {200};
    struct fake f;
    fake_init(&f, ok, 1);
    struct remote_write_config c;
    fake_config(&c, &f);
    struct remote_write_queue *q = remote_write_queue_new(&c, NULL);
    T_CHECK(q != NULL);
    if (!q)
        return;
    struct remote_write_label labels[] = {{"__name__", "h"}};
    struct remote_write_bucket_span spans[] = {{-2, 2}};
    double counts[] = {1.0, 2.0};
    struct remote_write_histogram h = hist_one;
    h.pos_spans = spans;
    h.pos_counts = counts;
    struct remote_write_series s = {labels, 1, NULL, 0, &h, 1};
    T_EQ_INT(remote_write_queue_push(q, &s, NULL), REMOTE_WRITE_QUEUED);
    memset(spans, 0xff, sizeof spans);
    memset(counts, 0xff, sizeof counts);
    T_EQ_INT(remote_write_queue_start(q, NULL), 0);
    remote_write_queue_stop(q);
    struct remote_write_stats st;
    remote_write_queue_stats(q, &st);
    T_EQ_INT(st.samples_sent, 1);
    T_EQ_INT(st.highest_sent_ms, 1000);
    struct arena a;
    arena_init(&a, 1024);
    struct remote_write_series *out;
    T_EQ_INT(fake_calls(&f), 1);
    if (fake_calls(&f) == 1 && fake_decode(&f, 0, &a, &out) == 1 && out[0].nhistograms == 1) {
        T_EQ_INT(out[0].histograms[0].pos_spans[0].offset, -2);
        T_EQ_FLOAT(out[0].histograms[0].pos_counts[0], 1.0, 0);
        T_EQ_FLOAT(out[0].histograms[0].pos_counts[1], 2.0, 0);
    } else {
        T_FAIL_("the histogram did not arrive");
    }
    arena_release(&a);
    remote_write_queue_free(q);
    fake_release(&f);
}

static void test_queue_deadline_flush(void)
{
    /* A partial batch goes out once batch_send_deadline passes, without stop(). */
    static const long ok[] = {204};
    struct fake f;
    fake_init(&f, ok, 1);
    struct remote_write_config c;
    fake_config(&c, &f);
    c.batch_send_deadline = 0.05;
    struct remote_write_queue *q = remote_write_queue_new(&c, NULL);
    T_EQ_INT(remote_write_queue_start(q, NULL), 0);
    double t0 = now_s();
    T_EQ_INT(push_n(q, 1, 1), REMOTE_WRITE_QUEUED);
    while (fake_calls(&f) == 0 && now_s() - t0 < 3)
        sleep_s(0.005);
    double took = now_s() - t0;
    T_EQ_INT(fake_calls(&f), 1);
    T_CHECK(took >= 0.045);
    struct remote_write_stats s;
    for (int i = 0; i < 200; i++) { /* the counters follow the reply */
        remote_write_queue_stats(q, &s);
        if (s.samples_sent == 1)
            break;
        sleep_s(0.005);
    }
    T_EQ_INT(s.samples_sent, 1);
    /* A full batch does not wait for the deadline. */
    c.batch_send_deadline = 60;
    remote_write_queue_free(q);
    fake_release(&f);
    fake_init(&f, ok, 1);
    c.send_ctx = &f;
    c.max_samples_per_send = 2;
    q = remote_write_queue_new(&c, NULL);
    T_EQ_INT(remote_write_queue_start(q, NULL), 0);
    t0 = now_s();
    push_n(q, 1, 1);
    push_n(q, 2, 1);
    while (fake_calls(&f) == 0 && now_s() - t0 < 3)
        sleep_s(0.005);
    T_EQ_INT(fake_calls(&f), 1);
    T_CHECK(now_s() - t0 < 2);
    remote_write_queue_free(q);
    fake_release(&f);
}

static void test_queue_retries(void)
{
    /* 503, then no response (connection error), then success. */
    static const long script[] = {503, 0, 200};
    struct fake f;
    fake_init(&f, script, 3);
    struct remote_write_config c;
    fake_config(&c, &f);
    c.min_backoff = 0.01;
    c.max_backoff = 0.02;
    struct remote_write_queue *q = remote_write_queue_new(&c, NULL);
    push_n(q, 1, 2);
    remote_write_queue_start(q, NULL);
    remote_write_queue_stop(q);
    struct remote_write_stats s;
    remote_write_queue_stats(q, &s);
    T_EQ_INT(s.samples_sent, 2);
    T_EQ_INT(s.samples_retried, 4); /* two samples, retried twice */
    T_EQ_INT(s.samples_failed, 0);
    T_EQ_INT(s.requests, 3);
    check_invariant(&s);
    T_EQ_INT(f.calls, 3);
    if (f.calls == 3) {
        /* The same bytes each time, after backoffs of 10 ms then 20 ms. */
        T_CHECK(f.body[0].len == f.body[2].len && !memcmp(f.body[0].buf, f.body[2].buf, f.body[0].len));
        T_CHECK(f.at[1] - f.at[0] >= 0.009);
        T_CHECK(f.at[2] - f.at[1] >= 0.019);
    }
    remote_write_queue_free(q);
    fake_release(&f);
}

static void test_queue_retry_after(void)
{
    static const long script[] = {503, 200};
    struct fake f;
    fake_init(&f, script, 2);
    f.retry_after = 0.2;
    struct remote_write_config c;
    fake_config(&c, &f);
    struct remote_write_queue *q = remote_write_queue_new(&c, NULL);
    push_n(q, 1, 1);
    remote_write_queue_start(q, NULL);
    remote_write_queue_stop(q);
    T_EQ_INT(f.calls, 2);
    if (f.calls == 2)
        T_CHECK(f.at[1] - f.at[0] >= 0.19);
    remote_write_queue_free(q);
    fake_release(&f);
}

static void test_queue_non_recoverable(void)
{
    static const long cases[][2] = {{400, 0}, {404, 0}, {413, 0}, {429, 0}, {429, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long script[] = {cases[i][0], 200};
        struct fake f;
        fake_init(&f, script, 2);
        struct remote_write_config c;
        fake_config(&c, &f);
        c.retry_on_http_429 = (int)cases[i][1];
        struct remote_write_queue *q = remote_write_queue_new(&c, NULL);
        push_n(q, 1, 1);
        push_n(q, 2, 1);
        remote_write_queue_start(q, NULL);
        remote_write_queue_stop(q);
        struct remote_write_stats s;
        remote_write_queue_stats(q, &s);
        int retried = (int)cases[i][1];
        T_EQ_INT(f.calls, retried ? 2 : 1);
        T_EQ_INT(s.samples_failed, retried ? 0 : 2);
        T_EQ_INT(s.samples_sent, retried ? 2 : 0);
        T_EQ_INT(s.samples_retried, retried ? 2 : 0);
        check_invariant(&s);
        remote_write_queue_free(q);
        fake_release(&f);
    }
}

static void test_queue_full_and_invalid(void)
{
    static const long ok[] = {200};
    struct fake f;
    fake_init(&f, ok, 1);
    struct remote_write_config c;
    fake_config(&c, &f);
    c.capacity = 3;
    struct remote_write_queue *q = remote_write_queue_new(&c, NULL);
    T_EQ_INT(push_n(q, 1, 2), REMOTE_WRITE_QUEUED);
    struct remote_write_error err;
    struct remote_write_label labels[] = {{"__name__", "m"}, {"k", "v"}};
    struct remote_write_sample two[] = {{1, 1}, {2, 2}};
    struct remote_write_series s2 = {labels, 2, two, 2, NULL, 0};
    T_EQ_INT(remote_write_queue_push(q, &s2, &err), REMOTE_WRITE_FULL);
    T_EQ_STR(err.msg, "remote write queue is full");
    T_EQ_INT(push_n(q, 3, 1), REMOTE_WRITE_QUEUED); /* exactly fills it */
    struct remote_write_label dup[] = {{"a", "1"}, {"a", "2"}};
    struct remote_write_series bad = {dup, 2, two, 1, NULL, 0};
    T_EQ_INT(remote_write_queue_push(q, &bad, &err), REMOTE_WRITE_INVALID);
    T_EQ_STR(err.msg, "duplicate label name \"a\"");
    struct remote_write_stats s;
    remote_write_queue_stats(q, &s);
    T_EQ_INT(s.samples_in, 6);
    T_EQ_INT(s.samples_dropped, 3);
    T_EQ_INT(s.samples_pending, 3);
    check_invariant(&s);
    remote_write_queue_start(q, NULL);
    remote_write_queue_stop(q);
    T_EQ_INT(push_n(q, 4, 1), REMOTE_WRITE_FULL); /* after stop */
    remote_write_queue_stats(q, &s);
    T_EQ_INT(s.samples_sent, 3);
    T_EQ_INT(s.samples_dropped, 4);
    check_invariant(&s);
    remote_write_queue_free(q);
    fake_release(&f);
}

static void test_queue_flush_deadline(void)
{
    /* The receiver never recovers: stop() gives up at flush_deadline, and
     * samples never attempted are dropped too. */
    static const long down[] = {503};
    struct fake f;
    fake_init(&f, down, 1);
    struct remote_write_config c;
    fake_config(&c, &f);
    c.flush_deadline = 0.15;
    c.min_backoff = 0.01;
    c.max_backoff = 0.05;
    c.max_samples_per_send = 1;
    struct remote_write_queue *q = remote_write_queue_new(&c, NULL);
    push_n(q, 1, 1);
    push_n(q, 2, 1);
    remote_write_queue_start(q, NULL);
    double t0 = now_s();
    remote_write_queue_stop(q);
    double took = now_s() - t0;
    T_CHECK(took >= 0.14 && took < 2);
    struct remote_write_stats s;
    remote_write_queue_stats(q, &s);
    T_EQ_INT(s.samples_sent, 0);
    T_EQ_INT(s.samples_dropped, 2);
    T_CHECK(s.samples_retried >= 1);
    check_invariant(&s);
    remote_write_queue_free(q);
    fake_release(&f);

    /* Never started: stop() and free() drop what is queued, and say so. */
    fake_init(&f, down, 1);
    q = remote_write_queue_new(&c, NULL);
    push_n(q, 1, 2);
    remote_write_queue_free(q);
    T_EQ_INT(f.calls, 0);
    fake_release(&f);
}

#define PUSHERS 4
#define PUSHES 200

static void *pusher(void *arg)
{
    struct remote_write_queue *q = arg;
    for (int i = 0; i < PUSHES; i++)
        if (push_n(q, i, 1) != REMOTE_WRITE_QUEUED)
            return (void *)1;
    return NULL;
}

static void test_queue_concurrent_pushes(void)
{
    /* Pushes from several threads while the sender drains: nothing lost. */
    static const long ok[] = {200};
    struct fake f;
    fake_init(&f, ok, 1);
    struct remote_write_config c;
    fake_config(&c, &f);
    c.max_samples_per_send = 50;
    c.batch_send_deadline = 0.01;
    struct remote_write_queue *q = remote_write_queue_new(&c, NULL);
    remote_write_queue_start(q, NULL);
    pthread_t th[PUSHERS];
    for (int i = 0; i < PUSHERS; i++)
        T_EQ_INT(pthread_create(&th[i], NULL, pusher, q), 0);
    for (int i = 0; i < PUSHERS; i++) {
        void *rc;
        pthread_join(th[i], &rc);
        T_CHECK(rc == NULL);
    }
    remote_write_queue_stop(q);
    struct remote_write_stats s;
    remote_write_queue_stats(q, &s);
    T_EQ_INT(s.samples_sent, PUSHERS * PUSHES);
    T_CHECK(s.requests >= PUSHERS * PUSHES / 50);
    T_EQ_INT(s.requests, fake_calls(&f));
    check_invariant(&s);
    remote_write_queue_free(q);
    fake_release(&f);
}

int main(void)
{
    t_run("varint bytes", test_varint);
    t_run("int64, double and string fields", test_scalars);
    t_run("nested message with a two-byte length", test_nested_length);
    t_run("reader fields and malformed input", test_reader);
    t_run("WriteRequest against hand-computed bytes", test_encode_hand_computed);
    t_run("float native histogram against hand-derived bytes", test_encode_histogram);
    t_run("staleness marker bits and zero sample", test_encode_stale_and_zero);
    t_run("labels sorted bytewise, empty values dropped", test_label_order_and_empty_values);
    t_run("invalid series refused, output untouched", test_encode_errors);
    t_run("decode round trip", test_decode_round_trip);
    t_run("StaleNaN helpers", test_stale_nan);
    t_run("snappy block format and round trip", test_snappy);
    t_run("configuration checks", test_config_check);
    t_run("queue batches whole series in order", test_queue_batches);
    t_run("a histogram through the queue", test_queue_histogram);
    t_run("partial batch flushed at its deadline", test_queue_deadline_flush);
    t_run("5xx and connection errors retried with backoff", test_queue_retries);
    t_run("Retry-After honoured", test_queue_retry_after);
    t_run("4xx not retried; 429 only when enabled", test_queue_non_recoverable);
    t_run("capacity, invalid series and push after stop", test_queue_full_and_invalid);
    t_run("flush deadline bounds stop()", test_queue_flush_deadline);
    t_run("concurrent pushes", test_queue_concurrent_pushes);
    return t_done();
}
