/* Unit tests of api/json: escaping as Prometheus's encoder does, number and
 * time spellings, label maps, the envelope and the errorType -> status map. */
#include <math.h>
#include <stdint.h>

#include "api/json.h"
#include "api/model.h"
#include "base/strbuf.h"
#include "tests/t.h"

struct esc_case {
    const char *in;
    size_t len; /* 0: strlen */
    const char *want;
};

static void test_escape(void)
{
    static const struct esc_case cases[] = {
        {"plain", 0, "plain"},
        {"q\"b\\", 0, "q\\\"b\\\\"},
        {"a\nb\rc\td", 0, "a\\nb\\rc\\td"},
        {"\x01\x08\x0c\x1f", 0, "\\u0001\\u0008\\u000c\\u001f"},
        {"<a href=x>&</a>", 0, "\\u003ca href=x\\u003e\\u0026\\u003c/a\\u003e"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"x\xffy", 0, "x\\ufffdy"},
        {"\xc3", 0, "\\ufffd"},               /* truncated sequence */
        {"\xe2\x82", 0, "\\ufffd\\ufffd"},    /* each invalid byte once */
        {"\xc0\x80", 0, "\\ufffd\\ufffd"},    /* overlong */
        {"\xed\xa0\x80", 0, "\\ufffd\\ufffd\\ufffd"}, /* surrogate */
        {"\xe2\x80\xa8|\xe2\x80\xa9", 0, "\\u2028|\\u2029"},
        {"nul\0in", 6, "nul\\u0000in"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        json_escape(&sb, cases[i].in, cases[i].len ? cases[i].len : strlen(cases[i].in));
        printf("# escape %zu\n", i);
        T_EQ_STR(sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
}

struct float_case {
    double v;
    const char *want;
};

static void test_float(void)
{
    /* encoding/json's float64 spelling */
    static const struct float_case cases[] = {
        {0, "0"},
        {1, "1"},
        {0.5, "0.5"},
        {15, "15"},
        {0.000123, "0.000123"},
        {1e-6, "0.000001"},
        {1e-7, "1e-7"},
        {1.5e-10, "1.5e-10"},
        {1e20, "100000000000000000000"},
        {1e21, "1e+21"},
        {-2.25, "-2.25"},
        {123456789.5, "123456789.5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        struct json_writer w;
        json_init(&w, &sb);
        json_float(&w, cases[i].v);
        T_EQ_STR(sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
}

static void test_structure(void)
{
    struct strbuf sb = STRBUF_INIT;
    struct json_writer w;
    json_init(&w, &sb);
    json_object_begin(&w);
    json_key(&w, "a");
    json_array_begin(&w);
    json_int(&w, 1);
    json_bool(&w, 0);
    json_null(&w);
    json_string(&w, "x");
    json_object_begin(&w);
    json_object_end(&w);
    json_array_begin(&w);
    json_array_end(&w);
    json_array_end(&w);
    json_key(&w, "b");
    json_string(&w, NULL);
    json_key(&w, "t0");
    json_time(&w, JSON_TIME_ZERO);
    json_key(&w, "t");
    json_time(&w, 1700000000123);
    json_key(&w, "t2");
    json_time(&w, 1700000000500);
    json_key(&w, "t3");
    json_time(&w, 0);
    json_object_end(&w);
    T_EQ_STR(sb.buf, "{\"a\":[1,false,null,\"x\",{},[]],\"b\":null,\"t0\":\"0001-01-01T00:00:00Z\","
                     "\"t\":\"2023-11-14T22:13:20.123Z\",\"t2\":\"2023-11-14T22:13:20.5Z\","
                     "\"t3\":\"1970-01-01T00:00:00Z\"}");
    T_EQ_INT(w.depth, 0);
    strbuf_release(&sb);
}

static void test_labels(void)
{
    struct api_label items[] = {{"job", "api"}, {"__name__", "up"}, {"instance", "h:1"}, {"Z", "<"}};
    struct api_labels ls = {items, 4};
    struct api_labels none = {NULL, 0};
    struct strbuf sb = STRBUF_INIT;
    struct json_writer w;
    json_init(&w, &sb);
    json_array_begin(&w);
    json_labels(&w, &ls);
    json_labels(&w, &none);
    json_array_end(&w);
    T_EQ_STR(sb.buf, "[{\"Z\":\"\\u003c\",\"__name__\":\"up\",\"instance\":\"h:1\",\"job\":\"api\"},{}]");
    strbuf_release(&sb);

    /* more than the on-stack sort buffer */
    struct api_label many[40];
    char names[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "l%02d", 39 - i);
        many[i].name = names[i];
        many[i].value = "v";
    }
    struct api_labels ml = {many, 40};
    json_init(&w, &sb);
    json_labels(&w, &ml);
    T_CHECK(!strncmp(sb.buf, "{\"l00\":\"v\",\"l01\":\"v\"", 20));
    T_CHECK(strstr(sb.buf, "\"l39\":\"v\"}") != NULL);
    strbuf_release(&sb);
}

static void test_samples(void)
{
    struct strbuf sb = STRBUF_INIT;
    struct json_writer w;
    json_init(&w, &sb);
    json_array_begin(&w);
    json_sample(&w, 1500, 1);
    json_sample(&w, 1050, 1e-7);
    json_sample(&w, 2000, NAN);
    json_sample(&w, 3000, -INFINITY);
    json_scalar(&w, 1500, 1e-7);
    json_scalar(&w, 1000, 2);
    json_string_sample(&w, 1234, "a\"b");
    json_array_end(&w);
    T_EQ_STR(sb.buf, "[[1.500,\"1\"],[1.050,\"1e-07\"],[2,\"NaN\"],[3,\"-Inf\"],[1.5,\"0.0000001\"],"
                     "[1,\"2\"],[1.234,\"a\\\"b\"]]");
    strbuf_release(&sb);
}

static void test_envelope(void)
{
    struct strbuf sb = STRBUF_INIT;
    struct json_writer w;
    json_init(&w, &sb);
    json_envelope_begin(&w);
    json_object_begin(&w);
    json_object_end(&w);
    json_envelope_end(&w, NULL, 0, NULL, 0);
    T_EQ_STR(sb.buf, "{\"status\":\"success\",\"data\":{}}");
    strbuf_reset(&sb);

    const char *warn[] = {"w1", "w<2>"};
    const char *info[] = {"i1"};
    json_init(&w, &sb);
    json_envelope_begin(&w);
    json_array_begin(&w);
    json_array_end(&w);
    json_envelope_end(&w, warn, 2, info, 1);
    T_EQ_STR(sb.buf, "{\"status\":\"success\",\"data\":[],\"warnings\":[\"w1\",\"w\\u003c2\\u003e\"],"
                     "\"infos\":[\"i1\"]}");
    strbuf_reset(&sb);

    struct api_error e;
    api_error_set(&e, API_ERR_BAD_DATA, "invalid parameter \"%s\": %s", "query", "1:1: parse error");
    json_error_body(&sb, &e);
    T_EQ_STR(sb.buf, "{\"status\":\"error\",\"errorType\":\"bad_data\","
                     "\"error\":\"invalid parameter \\\"query\\\": 1:1: parse error\"}");
    strbuf_release(&sb);
}

static void test_status_map(void)
{
    static const struct {
        enum api_error_type t;
        const char *name;
        int status;
    } cases[] = {
        {API_ERR_BAD_DATA, "bad_data", 400},      {API_ERR_EXECUTION, "execution", 422},
        {API_ERR_TIMEOUT, "timeout", 503},        {API_ERR_CANCELED, "canceled", 499},
        {API_ERR_INTERNAL, "internal", 500},      {API_ERR_UNAVAILABLE, "unavailable", 500},
        {API_ERR_NOT_FOUND, "not_found", 404},    {API_ERR_NOT_ACCEPTABLE, "not_acceptable", 406},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        T_EQ_STR(api_error_type_name(cases[i].t), cases[i].name);
        T_EQ_INT(api_error_http_status(cases[i].t), cases[i].status);
    }
}

int main(void)
{
    t_run("escape", test_escape);
    t_run("float", test_float);
    t_run("structure", test_structure);
    t_run("labels", test_labels);
    t_run("samples", test_samples);
    t_run("envelope", test_envelope);
    t_run("status_map", test_status_map);
    return t_done();
}
