/* Unit tests of compat/promfmt: Go's and Prometheus's spellings. */
#include <math.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "compat/promfmt.h"
#include "tests/t.h"

struct float_case {
    double v;
    char fmt;
    const char *want;
};

static void test_go_float(void)
{
    static const struct float_case cases[] = {
        {1, 'f', "1"},
        {0.1, 'f', "0.1"},
        {-2.5, 'f', "-2.5"},
        {1e21, 'f', "1000000000000000000000"},
        {123456789.125, 'f', "123456789.125"},
        {1e-7, 'f', "0.0000001"},
        {0, 'f', "0"},
        {1, 'e', "1e+00"},
        {1234.5, 'e', "1.2345e+03"},
        {1e-7, 'e', "1e-07"},
        {1e100, 'e', "1e+100"},
        {1e6, 'g', "1e+06"},
        {123456, 'g', "123456"},
        {1234567, 'g', "1.234567e+06"},
        {0.5, 'g', "0.5"},
        {0.0001, 'g', "0.0001"},
        {0.00001, 'g', "1e-05"},
        {0.1 + 0.2, 'g', "0.30000000000000004"},
        {1, 'E', "1E+00"},
        {NAN, 'g', "NaN"},
        {INFINITY, 'f', "+Inf"},
        {-INFINITY, 'e', "-Inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        promfmt_go_float(&sb, cases[i].v, cases[i].fmt);
        T_EQ_STR(sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
}

static void test_api_value(void)
{
    static const struct float_case cases[] = {
        {1, 0, "1"}, {1e-7, 0, "1e-07"}, {1e21, 0, "1e+21"}, {9.99e20, 0, "999000000000000000000"},
        {0.000001, 0, "0.000001"}, {-0.0, 0, "-0"}, {NAN, 0, "NaN"}, {-INFINITY, 0, "-Inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        promfmt_api_value(&sb, cases[i].v);
        T_EQ_STR(sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
}

static void test_times(void)
{
    struct strbuf sb = STRBUF_INIT;
    promfmt_api_time(&sb, 1500);
    strbuf_addch(&sb, ' ');
    promfmt_api_time(&sb, 1050);
    strbuf_addch(&sb, ' ');
    promfmt_api_time(&sb, 3000);
    strbuf_addch(&sb, ' ');
    promfmt_api_time(&sb, -2050);
    T_EQ_STR(sb.buf, "1.500 1.050 3 -2.050");
    strbuf_reset(&sb);
    promfmt_rfc3339(&sb, 1735689600000, 3);
    strbuf_addch(&sb, ' ');
    promfmt_rfc3339(&sb, 1735689600120, -1);
    strbuf_addch(&sb, ' ');
    promfmt_rfc3339(&sb, 1735689600000, -1);
    strbuf_addch(&sb, ' ');
    promfmt_rfc3339(&sb, -1, 3);
    T_EQ_STR(sb.buf, "2025-01-01T00:00:00.000Z 2025-01-01T00:00:00.12Z 2025-01-01T00:00:00Z "
                     "1969-12-31T23:59:59.999Z");
    strbuf_release(&sb);
}

int main(void)
{
    t_run("go float formats", test_go_float);
    t_run("api sample values", test_api_value);
    t_run("api and rfc3339 times", test_times);
    return t_done();
}
