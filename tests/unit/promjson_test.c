/* promjson_test: the streaming query-API decoder, fed in random chunk sizes. */
#include <stdint.h>
#include <stdlib.h>

#include "api/render.h"
#include "base/arena.h"
#include "base/strbuf.h"
#include "compat/promjson.h"
#include "eval/histogram.h"
#include "tests/t.h"

/* Callbacks write a transcript: S{labels} / s t v / E / scalar / string / W. */
struct transcript {
    struct strbuf out;
    struct promjson *p; /* for the refusing consumer */
    int refuse_after;   /* > 0: sample callback fails after this many */
    int samples;
};

static int tr_series_start(void *ctx, const struct promjson_label *l, size_t n)
{
    struct transcript *t = ctx;
    strbuf_addch(&t->out, 'S');
    strbuf_addch(&t->out, '{');
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&t->out, "%s%s=%s", i ? "," : "", l[i].name, l[i].value);
    strbuf_addstr(&t->out, "}\n");
    return 0;
}

static int tr_sample(void *ctx, int64_t t_ms, double v)
{
    struct transcript *t = ctx;
    if (t->refuse_after && ++t->samples > t->refuse_after) {
        promjson_fail(t->p, PROMJSON_EXECUTION, "consumer refuses sample %d", t->samples);
        return -1;
    }
    strbuf_addf(&t->out, "s %lld %.17g\n", (long long)t_ms, v);
    return 0;
}

static int tr_histogram(void *ctx, int64_t t_ms, const struct histogram *h)
{
    struct transcript *t = ctx;
    strbuf_addf(&t->out, "h %lld ", (long long)t_ms);
    histogram_format(&t->out, h);
    strbuf_addch(&t->out, '\n');
    return 0;
}

static int tr_series_end(void *ctx)
{
    strbuf_addstr(&((struct transcript *)ctx)->out, "E\n");
    return 0;
}

static int tr_scalar(void *ctx, int64_t t_ms, double v)
{
    strbuf_addf(&((struct transcript *)ctx)->out, "scalar %lld %.17g\n", (long long)t_ms, v);
    return 0;
}

static int tr_string(void *ctx, int64_t t_ms, const char *s, size_t len)
{
    strbuf_addf(&((struct transcript *)ctx)->out, "string %lld %.*s\n", (long long)t_ms, (int)len, s);
    return 0;
}

static int tr_warning(void *ctx, int is_info, const char *msg, size_t len)
{
    strbuf_addf(&((struct transcript *)ctx)->out, "%s %.*s\n", is_info ? "I" : "W", (int)len, msg);
    return 0;
}

static uint64_t rng_state = 88172645463325252ull;
static size_t rng_below(size_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (size_t)(rng_state % n);
}

/* Decodes body in chunks: chunk 0 = random sizes 1..17, else fixed size.
 * Fills the transcript; returns finish's result and copies the error. */
static int decode(const char *body, size_t len, size_t chunk, const struct promjson_limits *lim,
                  struct transcript *t, struct promjson_error *err)
{
    struct promjson_callbacks cb = {
        .ctx = t,
        .series_start = tr_series_start,
        .sample = tr_sample,
        .histogram = tr_histogram,
        .series_end = tr_series_end,
        .scalar = tr_scalar,
        .string = tr_string,
        .warning = tr_warning,
    };
    struct promjson *p = promjson_new(&cb, lim);
    t->p = p;
    int rc = 0;
    size_t off = 0;
    while (off < len && rc == 0) {
        size_t n = chunk ? chunk : 1 + rng_below(17);
        if (n > len - off)
            n = len - off;
        rc = promjson_feed(p, body + off, n);
        off += n;
    }
    if (rc == 0)
        rc = promjson_finish(p);
    *err = *promjson_error(p);
    promjson_free(p);
    return rc;
}

/* Decodes whole and in many random and fixed chunkings; every one must give
 * the same transcript and verdict. */
static void expect(const char *body, int want_rc, const char *want_out, enum promjson_errtype want_type,
                   const char *want_msg_part)
{
    static const size_t chunks[] = {(size_t)-1, 1, 2, 3, 7, 64, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        struct transcript t = {.out = STRBUF_INIT};
        struct promjson_error err;
        size_t c = chunks[i] == (size_t)-1 ? strlen(body) + 1 : chunks[i];
        int rc = decode(body, strlen(body), c, NULL, &t, &err);
        T_EQ_INT(rc, want_rc);
        if (want_out)
            T_EQ_STR(t.out.buf, want_out);
        T_EQ_INT(err.type, want_type);
        if (want_msg_part && !strstr(err.msg, want_msg_part))
            T_FAIL_("error \"%s\" lacks \"%s\"", err.msg, want_msg_part);
        strbuf_release(&t.out);
    }
}

static void test_matrix(void)
{
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
           "{\"metric\":{\"__name__\":\"up\",\"job\":\"a\\\"b\"},\"values\":[[1700000000.123,\"1\"],"
           "[1700000015.1,\"0.5\"]]},"
           "{\"metric\":{},\"values\":[[1,\"NaN\"],[2.000,\"+Inf\"],[3,\"-Inf\"],[-1.5,\"1e-07\"]]}]}}",
           0,
           "S{__name__=up,job=a\"b}\ns 1700000000123 1\ns 1700000015100 0.5\nE\n"
           "S{}\ns 1000 nan\ns 2000 inf\ns 3000 -inf\ns -1500 9.9999999999999995e-08\nE\n",
           PROMJSON_OK, NULL);
}

static void test_vector_and_whitespace(void)
{
    expect(" {\n \"status\" : \"success\" ,\"data\":{\"resultType\":\"vector\",\"result\":[\n"
           "{\"metric\":{\"a\":\"1\"},\"value\":[10,\"42\"]},{\"metric\":{\"a\":\"2\"},\"value\":[10,\"-0\"]}]}}\n",
           0, "S{a=1}\ns 10000 42\nE\nS{a=2}\ns 10000 -0\nE\n", PROMJSON_OK, NULL);
}

static void test_empty_result(void)
{
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", 0, "", PROMJSON_OK,
           NULL);
}

static void test_scalar_string(void)
{
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1.5,\"3.25\"]}}", 0,
           "scalar 1500 3.25\n", PROMJSON_OK, NULL);
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[2,\"h\\u00e9llo\"]}}", 0,
           "string 2000 h\xc3\xa9llo\n", PROMJSON_OK, NULL);
    /* resultType after the result: still told apart. */
    expect("{\"data\":{\"result\":[2,\"x\"],\"resultType\":\"string\"},\"status\":\"success\"}", 0,
           "string 2000 x\n", PROMJSON_OK, NULL);
}

static void test_key_order_and_unknown_keys(void)
{
    /* "values" before "metric": samples held back until the labels are known;
     * unknown keys (stats, future fields) skipped whatever their shape. */
    expect("{\"data\":{\"stats\":{\"timings\":{\"a\":[1,2,{\"b\":null}]}},\"result\":["
           "{\"values\":[[1,\"1\"],[2,\"2\"]],\"extra\":[true,false],\"metric\":{\"x\":\"y\"}}],"
           "\"resultType\":\"matrix\"},\"status\":\"success\",\"future\":{}}",
           0, "S{x=y}\ns 1000 1\ns 2000 2\nE\n", PROMJSON_OK, NULL);
}

static void test_warnings(void)
{
    expect("{\"status\":\"success\",\"warnings\":[\"w1\",\"w2\"],\"infos\":[\"i1\"],"
           "\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
           0, "W w1\nW w2\nI i1\n", PROMJSON_OK, NULL);
}

static void test_error_bodies(void)
{
    expect("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": "
           "1:8: parse error: missing unit character in duration\"}",
           -1, "", PROMJSON_BAD_DATA, "invalid parameter \"query\": 1:8: parse error");
    expect("{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in expression evaluation\"}",
           -1, "", PROMJSON_TIMEOUT, "query timed out");
    expect("{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"query processing would load too many "
           "samples into memory in query execution\"}",
           -1, "", PROMJSON_EXECUTION, "too many samples");
    expect("{\"status\":\"error\",\"errorType\":\"canceled\",\"error\":\"x\"}", -1, "", PROMJSON_CANCELED, "x");
    expect("{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"x\"}", -1, "", PROMJSON_UNAVAILABLE,
           "x");
    expect("{\"status\":\"error\",\"errorType\":\"internal\",\"error\":\"x\"}", -1, "", PROMJSON_INTERNAL, "x");
    expect("{\"status\":\"error\",\"errorType\":\"something_new\",\"error\":\"x\"}", -1, "", PROMJSON_INTERNAL,
           "x");
    expect("{\"status\":\"error\"}", -1, "", PROMJSON_INTERNAL, "without a message");
}

static void test_malformed(void)
{
    expect("<html><body>502 Bad Gateway</body></html>", -1, "", PROMJSON_BAD_RESPONSE, "malformed JSON");
    expect("", -1, "", PROMJSON_BAD_RESPONSE, "empty response");
    expect("[1,2]", -1, "", PROMJSON_BAD_RESPONSE, "not an object");
    expect("{\"status\":\"success\"}", -1, "", PROMJSON_BAD_RESPONSE, "resultType");
    expect("{\"data\":{\"resultType\":\"vector\",\"result\":[]}}", -1, "", PROMJSON_BAD_RESPONSE,
           "without \"status\"");
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[1,"
           "\"abc\"]]}]}}",
           -1, NULL, PROMJSON_BAD_RESPONSE, "invalid sample value \"abc\"");
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[["
           "\"1\",\"1\"]]}]}}",
           -1, NULL, PROMJSON_BAD_RESPONSE, "unexpected string as sample timestamp");
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[1]"
           "]}]}}",
           -1, NULL, PROMJSON_BAD_RESPONSE, "sample with 1 element");
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"a\":1},"
           "\"values\":[]}]}}",
           -1, NULL, PROMJSON_BAD_RESPONSE, "unexpected number as label value");
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[]}]}}", -1, NULL,
           PROMJSON_BAD_RESPONSE, "series without \"metric\"");
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"value\":[1,"
           "\"1\"]}]}}",
           -1, NULL, PROMJSON_BAD_RESPONSE, "resultType \"matrix\" but vector");
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}} {}", -1, NULL,
           PROMJSON_BAD_RESPONSE, "trailing garbage");
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}x", -1, NULL,
           PROMJSON_BAD_RESPONSE, "JSON");
    /* Invalid UTF-8 in a label. */
    expect("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"a\":\"\xff\"},"
           "\"value\":[1,\"1\"]}]}}",
           -1, NULL, PROMJSON_BAD_RESPONSE, "UTF8");
}

/* Every proper prefix of a valid body is an error, never a success or a crash. */
static void test_truncated_everywhere(void)
{
    const char *body = "{\"status\":\"success\",\"warnings\":[\"w\"],\"data\":{\"resultType\":\"matrix\",\"result\":["
                       "{\"metric\":{\"a\":\"b\"},\"values\":[[1.5,\"1\"],[2.5,\"2\"]]}]}}";
    size_t len = strlen(body);
    int bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        struct transcript t = {.out = STRBUF_INIT};
        struct promjson_error err;
        int rc = decode(body, cut, 0, NULL, &t, &err);
        if (rc != -1 || err.type != PROMJSON_BAD_RESPONSE) {
            bad++;
            T_FAIL_("prefix of %zu bytes: rc %d type %s (%s)", cut, rc, promjson_errtype_name(err.type), err.msg);
        }
        strbuf_release(&t.out);
    }
    T_EQ_INT(bad, 0);
    struct transcript t = {.out = STRBUF_INIT};
    struct promjson_error err;
    T_EQ_INT(decode(body, len, 0, NULL, &t, &err), 0);
    strbuf_release(&t.out);
}

static void check_limit(const char *body, const struct promjson_limits *lim, const char *msg_part)
{
    struct transcript t = {.out = STRBUF_INIT};
    struct promjson_error err;
    int rc = decode(body, strlen(body), 0, lim, &t, &err);
    T_EQ_INT(rc, -1);
    T_EQ_INT(err.type, PROMJSON_EXECUTION);
    if (!strstr(err.msg, msg_part))
        T_FAIL_("error \"%s\" lacks \"%s\"", err.msg, msg_part);
    strbuf_release(&t.out);
}

static void test_limits(void)
{
    const char *body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                       "{\"metric\":{\"a\":\"bbbbbbbbbb\",\"c\":\"d\"},\"values\":[[1,\"1\"],[2,\"2\"]]},"
                       "{\"metric\":{\"a\":\"x\"},\"values\":[[1,\"1\"]]}]},\"warnings\":[\"long warning\"]}";
    check_limit(body, &(struct promjson_limits){.max_series = 1}, "more than 1 series");
    check_limit(body, &(struct promjson_limits){.max_samples = 2}, "more than 2 samples");
    check_limit(body, &(struct promjson_limits){.max_labels = 1}, "more than 1 labels");
    check_limit(body, &(struct promjson_limits){.max_label_bytes = 5}, "label value of 10 bytes");
    check_limit(body, &(struct promjson_limits){.max_body_bytes = 50}, "exceeds the limit of 50 bytes");
    check_limit(body, &(struct promjson_limits){.max_string_bytes = 4}, "warning of 12 bytes");
    struct transcript t = {.out = STRBUF_INIT};
    struct promjson_error err;
    T_EQ_INT(decode(body, strlen(body), 0, &(struct promjson_limits){.max_series = 2, .max_samples = 3}, &t, &err),
             0);
    strbuf_release(&t.out);
}

static void test_consumer_refuses(void)
{
    const char *body = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                       "{\"metric\":{},\"values\":[[1,\"1\"],[2,\"2\"],[3,\"3\"]]}]}}";
    struct transcript t = {.out = STRBUF_INIT, .refuse_after = 2};
    struct promjson_error err;
    T_EQ_INT(decode(body, strlen(body), 0, NULL, &t, &err), -1);
    T_EQ_INT(err.type, PROMJSON_EXECUTION);
    T_EQ_STR(err.msg, "consumer refuses sample 3");
    strbuf_release(&t.out);
}

/* A long body built on the fly: many series, many samples; counts checked
 * against what was generated. */
static void test_large_body(void)
{
    struct strbuf b = STRBUF_INIT;
    strbuf_addstr(&b, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
    const int nseries = 300, nsamples = 200;
    for (int s = 0; s < nseries; s++) {
        strbuf_addf(&b, "%s{\"metric\":{\"__name__\":\"m\",\"i\":\"%d\"},\"values\":[", s ? "," : "", s);
        for (int k = 0; k < nsamples; k++)
            strbuf_addf(&b, "%s[%d.%03d,\"%d.25\"]", k ? "," : "", 1700000000 + k * 15, s % 1000, k);
        strbuf_addstr(&b, "]}");
    }
    strbuf_addstr(&b, "]}}");
    struct promjson *p = promjson_new(NULL, NULL);
    size_t off = 0;
    int rc = 0;
    while (off < b.len && rc == 0) {
        size_t n = 1 + rng_below(4096);
        if (n > b.len - off)
            n = b.len - off;
        rc = promjson_feed(p, b.buf + off, n);
        off += n;
    }
    T_EQ_INT(rc, 0);
    T_EQ_INT(promjson_finish(p), 0);
    T_EQ_INT(promjson_series_count(p), nseries);
    T_EQ_INT(promjson_sample_count(p), nseries * nsamples);
    T_EQ_INT(promjson_bytes_fed(p), b.len);
    T_EQ_INT(promjson_result_type(p), PROMJSON_RESULT_MATRIX);
    promjson_free(p);
    strbuf_release(&b);
}

static void test_parse_helpers(void)
{
    int64_t ms;
    double v;
    static const struct {
        const char *s;
        int rc;
        int64_t ms;
    } times[] = {
        {"0", 0, 0},
        {"1700000000.123", 0, 1700000000123},
        {"1.5", 0, 1500},
        {"1.05", 0, 1050},
        {"-1.5", 0, -1500},
        {"1.0005", 0, 1001},
        {"1e3", 0, 1000000},
        {"", -1, 0},
        {"x", -1, 0},
        {"1.2.3", -1, 0},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        printf("# time %s\n", times[i].s);
        int rc = promjson_parse_time_ms(times[i].s, strlen(times[i].s), &ms);
        T_EQ_INT(rc, times[i].rc);
        if (rc == 0)
            T_EQ_INT(ms, times[i].ms);
    }
    T_EQ_INT(promjson_parse_value("1e+21", 5, &v), 0);
    T_EQ_FLOAT(v, 1e21, 0);
    T_EQ_INT(promjson_parse_value("0.1", 3, &v), 0);
    T_CHECK(v == 0.1);
    T_EQ_INT(promjson_parse_value("inf", 3, &v), -1);
    T_EQ_INT(promjson_parse_value("0x10", 4, &v), -1);
    T_EQ_INT(promjson_parse_value("1 ", 2, &v), -1);
    T_EQ_INT(promjson_parse_value("", 0, &v), -1);
    T_EQ_STR(promjson_errtype_name(PROMJSON_BAD_DATA), "bad_data");
    T_EQ_STR(promjson_errtype_name(PROMJSON_BAD_RESPONSE), "bad_response");
    T_EQ_INT(promjson_errtype_parse("unavailable", 11), PROMJSON_UNAVAILABLE);
}

/* The fast decimal path must give strtod's bits exactly. */
static void test_value_parse_matches_strtod(void)
{
    char buf[64];
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        double x = (double)(rng_below(1u << 30)) / (double)(1 + rng_below(1000000));
        if (rng_below(4) == 0)
            x = -x;
        int prec = (int)rng_below(18);
        switch (rng_below(3)) {
        case 0: snprintf(buf, sizeof buf, "%.*f", prec, x); break;
        case 1: snprintf(buf, sizeof buf, "%.*g", prec + 1, x); break;
        default: snprintf(buf, sizeof buf, "%llu.%0*llu", (unsigned long long)rng_below(1000000000),
                          (int)(1 + rng_below(9)), (unsigned long long)rng_below(1000000000)); break;
        }
        double want = strtod(buf, NULL), got;
        if (promjson_parse_value(buf, strlen(buf), &got) < 0 || memcmp(&got, &want, sizeof got) != 0) {
            if (bad++ < 5)
                T_FAIL_("\"%s\": got %.17g, strtod %.17g", buf, got, want);
        }
    }
    T_EQ_INT(bad, 0);
    double v;
    T_EQ_INT(promjson_parse_value("-0", 2, &v), 0);
    T_CHECK(v == 0 && signbit(v));
    T_EQ_INT(promjson_parse_value("0.000000000000000000000001", 26, &v), 0);
    T_CHECK(v == 1e-24);
    T_EQ_INT(promjson_parse_value("1234567890123456789", 19, &v), 0);
    T_CHECK(v == 1234567890123456789.0);
}

/* ---- native histograms ---- */

#define HBODY(rtype, series) "{\"status\":\"success\",\"data\":{\"resultType\":\"" rtype "\",\"result\":[" series "]}}"

/* Prometheus's own spelling of an exponential histogram (schema 0: two
 * positive buckets with an empty one between, a zero bucket, a negative
 * bucket), of a custom-bucket one (first bucket closed at -Inf, an empty
 * bucket between listed ones) and of one without buckets. */
#define H_EXP "{\"count\":\"5\",\"sum\":\"-3.5\",\"buckets\":[[1,\"-16\",\"-8\",\"1\"],[3,\"-0.001\",\"0.001\",\"1\"]," \
              "[0,\"0.5\",\"1\",\"1\"],[0,\"2\",\"4\",\"2\"]]}"
#define H_NEG_SCHEMA "{\"count\":\"3\",\"sum\":\"100\",\"buckets\":[[0,\"16\",\"256\",\"3\"]]}"
#define H_CUSTOM "{\"count\":\"6\",\"sum\":\"7.5\",\"buckets\":[[3,\"-Inf\",\"0.1\",\"1\"],[0,\"0.5\",\"1\",\"3\"]," \
                 "[0,\"1\",\"+Inf\",\"2\"]]}"
#define H_EMPTY "{\"count\":\"0\",\"sum\":\"0\"}"

static void test_histograms(void)
{
    expect(HBODY("vector", "{\"metric\":{\"__name__\":\"h\"},\"histogram\":[1700000000.500," H_EXP "]}"), 0,
           "S{__name__=h}\nh 1700000000500 {{schema:0 count:5 sum:-3.5 z_bucket:1 z_bucket_w:0.001 buckets:[1 0 2] "
           "n_offset:4 n_buckets:[1]}}\nE\n",
           PROMJSON_OK, NULL);
    /* A matrix series with floats and histograms; "histograms" before "metric" is held back. */
    expect(HBODY("matrix", "{\"histograms\":[[2," H_NEG_SCHEMA "],[3," H_EMPTY "]],\"metric\":{\"a\":\"b\"},"
                           "\"values\":[[1,\"7\"]]}"),
           0,
           "S{a=b}\nh 2000 {{schema:-2 count:3 sum:100 z_bucket_w:2.9387358770557188e-39 offset:2 buckets:[3]}}\n"
           "h 3000 {{schema:8 count:0 sum:0 z_bucket_w:2.9387358770557188e-39}}\n"
           "s 1000 7\nE\n",
           PROMJSON_OK, NULL);
    expect(HBODY("vector", "{\"metric\":{},\"histogram\":[1," H_CUSTOM "]}"), 0,
           "S{}\nh 1000 {{schema:-53 count:6 sum:7.5 custom_values:[0.10000000000000001 0.5 1] buckets:[1 0 3 2]}}\nE\n", PROMJSON_OK,
           NULL);
    /* What no histogram can be. */
    static const char *const bad[][2] = {
        {HBODY("vector", "{\"metric\":{},\"histogram\":[1,{\"sum\":\"1\"}]}"), "without \"count\""},
        {HBODY("vector", "{\"metric\":{},\"histogram\":[1,{\"count\":\"1\",\"sum\":\"1\",\"buckets\":[[0,\"1\",\"2\"]]}]}"),
         "not [rule"},
        {HBODY("vector", "{\"metric\":{},\"histogram\":[1,{\"count\":\"1\",\"sum\":\"1\",\"buckets\":[[7,\"1\",\"2\",\"1\"]]}]}"),
         "boundary rule"},
        {HBODY("vector", "{\"metric\":{},\"histogram\":[1,{\"count\":\"1\",\"sum\":\"1\",\"buckets\":[[0,\"2\",\"1\",\"1\"]]}]}"),
         "invalid bounds"},
        {HBODY("vector", "{\"metric\":{},\"histogram\":[1,{\"count\":\"2\",\"sum\":\"1\",\"buckets\":[[0,\"1\",\"2\",\"1\"],"
                         "[0,\"1\",\"2\",\"1\"]]}]}"),
         "same bucket twice"},
        {HBODY("vector", "{\"metric\":{},\"histogram\":[1,{\"count\":\"2\",\"sum\":\"1\",\"buckets\":[[0,\"0.5\",\"2\",\"1\"],"
                         "[0,\"1\",\"3\",\"1\"]]}]}"),
         "overlapping custom buckets"},
        {HBODY("vector", "{\"metric\":{},\"histogram\":[1,{\"count\":\"1\",\"sum\":\"1\"},3]}"), "[time, {histogram}]"},
        {HBODY("vector", "{\"metric\":{},\"histogram\":[1,{\"count\":1,\"sum\":\"1\"}]}"), "histogram count"},
        {HBODY("matrix", "{\"metric\":{},\"histogram\":[1," H_EMPTY "]}"), "resultType \"matrix\" but vector"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect(bad[i][0], -1, NULL, PROMJSON_BAD_RESPONSE, bad[i][1]);
    /* The bucket limit. */
    struct transcript t = {.out = STRBUF_INIT};
    struct promjson_error err;
    struct promjson_limits lim = {.max_buckets = 2};
    const char *three = HBODY("vector", "{\"metric\":{},\"histogram\":[1," H_EXP "]}");
    T_EQ_INT(decode(three, strlen(three), 5, &lim, &t, &err), -1);
    T_EQ_INT(err.type, PROMJSON_EXECUTION);
    T_CHECK(strstr(err.msg, "more than 2 buckets") != NULL);
    strbuf_release(&t.out);
}

/* Decoded and rendered again, a body comes out as Prometheus wrote it. */
struct rt {
    struct arena a;
    struct api_series s[4];
    size_t n;
    struct api_point pts[8];
    size_t npts;
    struct api_label ls[8];
    size_t nls;
};

static int rt_start(void *ctx, const struct promjson_label *l, size_t n)
{
    struct rt *r = ctx;
    struct api_series *s = &r->s[r->n++];
    memset(s, 0, sizeof *s);
    s->metric.items = &r->ls[r->nls];
    for (size_t i = 0; i < n; i++)
        r->ls[r->nls++] = (struct api_label){arena_strdup(&r->a, l[i].name), arena_strdup(&r->a, l[i].value)};
    s->metric.len = n;
    s->points = &r->pts[r->npts];
    return 0;
}

static int rt_sample(void *ctx, int64_t t, double v)
{
    struct rt *r = ctx;
    r->pts[r->npts++] = (struct api_point){t, v, NULL};
    r->s[r->n - 1].npoints++;
    return 0;
}

static int rt_hist(void *ctx, int64_t t, const struct histogram *h)
{
    struct rt *r = ctx;
    r->pts[r->npts++] = (struct api_point){t, 0, histogram_copy(&r->a, h)};
    r->s[r->n - 1].npoints++;
    return 0;
}

static void round_trip(const char *body, enum api_value_type type)
{
    struct rt r = {0};
    arena_init(&r.a, 0);
    struct promjson_callbacks cb = {.ctx = &r, .series_start = rt_start, .sample = rt_sample, .histogram = rt_hist};
    struct promjson *p = promjson_new(&cb, NULL);
    T_EQ_INT(promjson_feed(p, body, strlen(body)), 0);
    T_EQ_INT(promjson_finish(p), 0);
    promjson_free(p);
    struct api_query_result res = {.type = type, .series = r.s, .nseries = r.n};
    struct strbuf out = STRBUF_INIT;
    struct json_writer w;
    json_init(&w, &out);
    api_render_query_result(&w, &res, r.n, NULL, 0);
    T_EQ_STR(out.buf, body);
    strbuf_release(&out);
    arena_release(&r.a);
}

static void test_histogram_render_round_trip(void)
{
    round_trip(HBODY("vector", "{\"metric\":{\"__name__\":\"h\",\"job\":\"x\"},\"histogram\":[1700000000.500," H_EXP "]},"
                               "{\"metric\":{},\"histogram\":[1700000000.500," H_CUSTOM "]},"
                               "{\"metric\":{\"a\":\"1\"},\"value\":[1700000000.500,\"2\"]}"),
               API_VALUE_VECTOR);
    round_trip(HBODY("matrix", "{\"metric\":{\"a\":\"b\"},\"values\":[[1,\"7\"]],\"histograms\":[[2," H_NEG_SCHEMA "],"
                               "[3," H_EMPTY "]]},{\"metric\":{\"c\":\"d\"},\"histograms\":[[4," H_CUSTOM "]]}"),
               API_VALUE_MATRIX);
}

int main(void)
{
    t_run("matrix", test_matrix);
    t_run("vector and whitespace", test_vector_and_whitespace);
    t_run("empty result", test_empty_result);
    t_run("scalar and string", test_scalar_string);
    t_run("key order and unknown keys", test_key_order_and_unknown_keys);
    t_run("warnings and infos", test_warnings);
    t_run("error bodies", test_error_bodies);
    t_run("malformed bodies", test_malformed);
    t_run("truncated at every byte", test_truncated_everywhere);
    t_run("limits", test_limits);
    t_run("consumer refuses", test_consumer_refuses);
    t_run("large body", test_large_body);
    t_run("parse helpers", test_parse_helpers);
    t_run("value parsing matches strtod", test_value_parse_matches_strtod);
    t_run("native histograms", test_histograms);
    t_run("native histograms rendered as Prometheus does", test_histogram_render_round_trip);
    return t_done();
}
