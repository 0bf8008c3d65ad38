/* template_test: the Go text/template engine with Prometheus's data and
 * functions. Expected outputs come from Prometheus's template/template_test.go
 * (same inputs: time 1353755652000 ms, external URL
 * http://testhost:9090/path/prefix, template name "test"), from
 * prometheus/common helpers/templates/time_test.go, and from Go's
 * text/template documentation and sources. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "rules/template.h"
#include "tests/t.h"

/* ---- the fake query back end ---- */

struct fake_query {
    const struct tmpl_sample *samples;
    size_t n;
    const char *fail; /* non-NULL: the query fails with this message */
    char last_query[256];
    int64_t last_ts;
};

static int fake_query_fn(void *ctx, const char *q, int64_t ts_ms, struct arena *a,
                         struct tmpl_sample **out, size_t *n, const char **err)
{
    struct fake_query *f = ctx;
    snprintf(f->last_query, sizeof f->last_query, "%s", q);
    f->last_ts = ts_ms;
    if (f->fail) {
        *err = arena_strdup(a, f->fail);
        return -1;
    }
    *out = ARENA_NEWN(a, struct tmpl_sample, f->n ? f->n : 1);
    if (f->n)
        memcpy(*out, f->samples, f->n * sizeof **out);
    *n = f->n;
    return 0;
}

/* Prometheus's Expander.Expand: parse + execute, errors wrapped the same way. */
static char *expand(const char *text, const struct tmpl_value *data, struct fake_query *fq)
{
    struct tmpl_env env = {.ts_ms = 1353755652000LL,
                           .external_url = "http://testhost:9090/path/prefix",
                           .query = fake_query_fn,
                           .query_ctx = fq};
    struct tmpl *t = tmpl_parse("test", text, strlen(text));
    struct strbuf out = STRBUF_INIT;
    if (tmpl_error(t)) {
        strbuf_addf(&out, "ERR error parsing template test: %s", tmpl_error(t));
    } else {
        char *err = NULL;
        struct strbuf res = STRBUF_INIT;
        struct tmpl_value nodata = {0};
        if (tmpl_execute(t, data ? data : &nodata, &env, &res, &err) < 0)
            strbuf_addf(&out, "ERR error executing template test: %s", err);
        else
            strbuf_add(&out, res.buf, res.len);
        free(err);
        strbuf_release(&res);
    }
    tmpl_free(t);
    return strbuf_detach(&out);
}

enum input {
    IN_NONE,
    IN_FLOATS,  /* []float64 */
    IN_STRINGS, /* []string */
    IN_INTS,    /* []int64 */
    IN_UINTS,   /* []uint64 */
};

struct exp_case {
    const char *text;
    const char *want; /* "ERR ..." for an error */
    enum input in;
    const double *floats;
    const char *const *strings;
    const int64_t *ints;
    const uint64_t *uints;
    size_t n;
    const struct tmpl_sample *samples; /* query result */
    size_t nsamples;
};

#define FLOATS(...) .in = IN_FLOATS, .floats = (const double[]){__VA_ARGS__}, \
    .n = sizeof((const double[]){__VA_ARGS__}) / sizeof(double)
#define STRINGS(...) .in = IN_STRINGS, .strings = (const char *const[]){__VA_ARGS__}, \
    .n = sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)
#define INTS(...) .in = IN_INTS, .ints = (const int64_t[]){__VA_ARGS__}, \
    .n = sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)
#define UINTS(...) .in = IN_UINTS, .uints = (const uint64_t[]){__VA_ARGS__}, \
    .n = sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t)

static const struct tmpl_label l_metric_a[] = {{"__name__", "metric"}, {"instance", "a"}};
static const struct tmpl_label l_metric_b[] = {{"__name__", "metric"}, {"instance", "b"}};
static const struct tmpl_label l_value_a[] = {{"__name__", "metric"}, {"__value__", "a"}};
static const struct tmpl_sample q_one[] = {{l_metric_a, 2, 11}};
static const struct tmpl_sample q_scalar[] = {{NULL, 0, 1.5}};
static const struct tmpl_sample q_strvalue[] = {{l_value_a, 2, 11}};
static const struct tmpl_sample q_two[] = {{l_metric_b, 2, 21}, {l_metric_a, 2, 11}};

/* Cases from Prometheus's TestTemplateExpansion (text mode). */
static const struct exp_case prometheus_cases[] = {
    {.text = "plain text", .want = "plain text"},
    {.text = "{{ 1 }}", .want = "1"},
    {.text = "{{ \xc2\xa0}}",
     .want = "ERR error parsing template test: template: test:1: unrecognized character in "
             "action: U+00A0"},
    {.text = "{{ \"<b>\" }}", .want = "<b>"},
    {.text = "{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1 \"2\")}}",
     .want = "1 2"},
    {.text = "{{ query \"1.5\" | first | value }}", .want = "1.5", .samples = q_scalar,
     .nsamples = 1},
    {.text = "{{ query \"metric{instance='a'}\" | first | value }}", .want = "11",
     .samples = q_one, .nsamples = 1},
    {.text = "{{ query \"metric{instance='a'}\" | first | label \"instance\" }}", .want = "a",
     .samples = q_one, .nsamples = 1},
    {.text = "{{ query \"metric{__value__='a'}\" | first | strvalue }}", .want = "a",
     .samples = q_strvalue, .nsamples = 1},
    {.text = "{{ query \"metric{instance='a'}\" | first | label \"foo\" }}", .want = "",
     .samples = q_one, .nsamples = 1},
    {.text = "{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}", .want = "",
     .samples = q_one, .nsamples = 1},
    {.text = "{{ range query \"metric\" | sortByLabel \"instance\" }}{{.Labels.instance}}:{{.Value}}: {{end}}",
     .want = "a:11: b:21: ", .samples = q_two, .nsamples = 2},
    {.text = "{{ \"foo.example.com\" | stripPort }}", .want = "foo.example.com"},
    {.text = "{{ \"foo.example.com:12345\" | stripPort }}", .want = "foo.example.com"},
    {.text = "{{ \"192.0.2.1\" | stripPort }}", .want = "192.0.2.1"},
    {.text = "{{ \"192.0.2.1:12345\" | stripPort }}", .want = "192.0.2.1"},
    {.text = "{{ \"2001:0DB8::1\" | stripPort }}", .want = "2001:0DB8::1"},
    {.text = "{{ \"[2001:0DB8::1]:12345\" | stripPort }}", .want = "2001:0DB8::1"},
    {.text = "{{ \"[2001:0DB8::1]::12345\" | stripPort }}", .want = "[2001:0DB8::1]::12345"},
    {.text = "{{ .Foo }}", .want = "<no value>"},
    {.text = "{{", .want = "ERR error parsing template test: template: test:1: unclosed action"},
    {.text = "{{ query \"missing\" | first }}",
     .want = "ERR error executing template test: template: test:1:21: executing \"test\" at "
             "<first>: error calling first: first() called on vector with no elements"},
    {.text = "{{ (query \"missing\").banana }}",
     .want = "ERR error executing template test: template: test:1:10: executing \"test\" at "
             "<\"missing\">: can't evaluate field banana in type template.queryResult"},
    {.text = "{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}", .want = "xa"},
    {.text = "{{ range . }}{{ humanize . }}:{{ end }}", FLOATS(0.0, 1.0, 1234567.0, .12),
     .want = "0:1:1.235M:120m:"},
    {.text = "{{ range . }}{{ humanize . }}:{{ end }}", STRINGS("0.0", "1.0", "1234567.0", ".12"),
     .want = "0:1:1.235M:120m:"},
    {.text = "{{ humanize \"one\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<humanize \"one\">: error calling humanize: strconv.ParseFloat: parsing \"one\": "
             "invalid syntax"},
    {.text = "{{ range . }}{{ humanize . }}:{{ end }}", INTS(0, -1, 1, 1234567, INT64_MAX),
     .want = "0:-1:1:1.235M:9.223E:"},
    {.text = "{{ range . }}{{ humanize . }}:{{ end }}", UINTS(0, 1, 1234567, UINT64_MAX),
     .want = "0:1:1.235M:18.45E:"},
    {.text = "{{ range . }}{{ humanize1024 . }}:{{ end }}", FLOATS(0.0, 1.0, 1048576.0, .12),
     .want = "0:1:1Mi:0.12:"},
    {.text = "{{ range . }}{{ humanize1024 . }}:{{ end }}",
     STRINGS("0.0", "1.0", "1048576.0", ".12"), .want = "0:1:1Mi:0.12:"},
    {.text = "{{ humanize1024 \"one\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<humanize1024 \"one\">: error calling humanize1024: strconv.ParseFloat: parsing "
             "\"one\": invalid syntax"},
    {.text = "{{ range . }}{{ humanize1024 . }}:{{ end }}", INTS(0, -1, 1, 1234567, INT64_MAX),
     .want = "0:-1:1:1.177Mi:8Ei:"},
    {.text = "{{ range . }}{{ humanize1024 . }}:{{ end }}", UINTS(0, 1, 1234567, UINT64_MAX),
     .want = "0:1:1.177Mi:16Ei:"},
    {.text = "{{ range . }}{{ humanizeDuration . }}:{{ end }}",
     FLOATS(0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99),
     .want = "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:"},
    {.text = "{{ range . }}{{ humanizeDuration . }}:{{ end }}",
     STRINGS("0", "1", "60", "3600", "86400"), .want = "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:"},
    {.text = "{{ range . }}{{ humanizeDuration . }}:{{ end }}",
     FLOATS(.1, .0001, .12345, 60.1, 60.5, 1.2345, 12.345),
     .want = "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:"},
    {.text = "{{ range . }}{{ humanizeDuration . }}:{{ end }}",
     STRINGS(".1", ".0001", ".12345", "60.1", "60.5", "1.2345", "12.345"),
     .want = "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:"},
    {.text = "{{ humanizeDuration \"one\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<humanizeDuration \"one\">: error calling humanizeDuration: strconv.ParseFloat: "
             "parsing \"one\": invalid syntax"},
    {.text = "{{ range . }}{{ humanizeDuration . }}:{{ end }}", INTS(0, -1, 1, 1234567),
     .want = "0s:-1s:1s:14d 6h 56m 7s:"},
    {.text = "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
     FLOATS(INFINITY, -INFINITY, NAN),
     .want = "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:"},
    {.text = "{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}",
     STRINGS("+Inf", "-Inf", "NaN"),
     .want = "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:"},
    {.text = "{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}",
     .want = "-22.22%:0%:12.35%:123.5%"},
    {.text = "{{ range . }}{{ humanizePercentage . }}:{{ end }}",
     INTS(0, -1, 1, 1234567, INT64_MAX), .want = "0%:-100%:100%:1.235e+08%:9.223e+20%:"},
    {.text = "{{ range . }}{{ humanizePercentage . }}:{{ end }}",
     UINTS(0, 1, 1234567, UINT64_MAX), .want = "0%:100%:1.235e+08%:1.845e+21%:"},
    {.text = "{{ \"-0.22222\" | humanizePercentage }}:{{ \"0.0\" | humanizePercentage }}:{{ \"0.1234567\" | humanizePercentage }}:{{ \"1.23456\" | humanizePercentage }}",
     .want = "-22.22%:0%:12.35%:123.5%"},
    {.text = "{{ \"one\" | humanizePercentage }}",
     .want = "ERR error executing template test: template: test:1:11: executing \"test\" at "
             "<humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: "
             "parsing \"one\": invalid syntax"},
    {.text = "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", INTS(0, -1, 1, 1234567, 9223372036),
     .want = "1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 "
             "+0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:"},
    {.text = "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", INTS(INT64_MIN, INT64_MAX),
     .want = "ERR error executing template test: template: test:1:16: executing \"test\" at "
             "<humanizeTimestamp .>: error calling humanizeTimestamp: -9.223372036854776e+18 "
             "cannot be represented as a nanoseconds timestamp since it overflows int64"},
    {.text = "{{ range . }}{{ humanizeTimestamp . }}:{{ end }}", UINTS(UINT64_MAX),
     .want = "ERR error executing template test: template: test:1:16: executing \"test\" at "
             "<humanizeTimestamp .>: error calling humanizeTimestamp: 1.8446744073709552e+19 "
             "cannot be represented as a nanoseconds timestamp since it overflows int64"},
    {.text = "{{ 1435065584.128 | humanizeTimestamp }}", .want = "2015-06-23 13:19:44.128 +0000 UTC"},
    {.text = "{{ \"1435065584.128\" | humanizeTimestamp }}",
     .want = "2015-06-23 13:19:44.128 +0000 UTC"},
    {.text = "{{ (1435065584.128 | toTime).Format \"2006\" }}", .want = "2015"},
    {.text = "{{ (\"1435065584.128\" | toTime).Format \"2006\" }}", .want = "2015"},
    {.text = "{{ (1800 | toDuration).String }}", .want = "30m0s"},
    {.text = "{{ (\"1800\" | toDuration).String }}", .want = "30m0s"},
    {.text = "{{ now }}", .want = "1.353755652e+09"},
    {.text = "{{ (now | toTime).Format \"Mon Jan 2 15:04:05 2006\" }}",
     .want = "Sat Nov 24 11:14:12 2012"},
    {.text = "{{ (\"-30m\" | parseDuration | toDuration | (now | toTime).Add).UnixMilli }}",
     .want = "1353753852000"},
    {.text = "{{ \"aa bb CC\" | title }}", .want = "Aa Bb CC"},
    {.text = "{{ \"aa bb CC\" | toUpper }}", .want = "AA BB CC"},
    {.text = "{{ \"aA bB CC\" | toLower }}", .want = "aa bb cc"},
    {.text = "{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }}", .want = "true false"},
    {.text = "{{ graphLink \"up\" }}", .want = "/graph?g0.expr=up&g0.tab=0"},
    {.text = "{{ tableLink \"up\" }}", .want = "/graph?g0.expr=up&g0.tab=1"},
    {.text = "{{ pathPrefix }}", .want = "/path/prefix"},
    {.text = "{{ externalURL }}", .want = "http://testhost:9090/path/prefix"},
    {.text = "{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}", .want = "3720.01"},
    {.text = "{{ printf \"%0.2f\" (parseDuration \"-1h2m10ms\") }}", .want = "-3720.01"},
    {.text = "{{ \"foo.example.com\" | stripDomain }}", .want = "foo"},
    {.text = "{{ \"foo.example.com:12345\" | stripDomain }}", .want = "foo:12345"},
    {.text = "{{ \"192.0.2.1\" | stripDomain }}", .want = "192.0.2.1"},
    {.text = "{{ \"192.0.2.1:12345\" | stripDomain }}", .want = "192.0.2.1:12345"},
    {.text = "{{ \"2001:0DB8::1\" | stripDomain }}", .want = "2001:0DB8::1"},
    {.text = "{{ \"[2001:0DB8::1]:12345\" | stripDomain }}", .want = "[2001:0DB8::1]:12345"},
    {.text = "{{ \"[2001:0DB8::1]::12345\" | stripDomain }}", .want = "[2001:0DB8::1]::12345"},
};

/* Go text/template semantics (doc.go, exec_test.go, parse_test.go). */
static const struct exp_case go_cases[] = {
    /* trim markers and comments */
    {.text = "a  {{- 1 -}}  b", .want = "a1b"},
    {.text = "a \n{{- /* c */ -}}\n b", .want = "ab"},
    {.text = "x{{/* comment */}}y", .want = "xy"},
    {.text = "{{-3}}", .want = "-3"},
    /* literals */
    {.text = "{{ \"a\\tb\\u00e9\\x41\\101\" }}", .want = "a\tb\xc3\xa9" "AA"},
    {.text = "{{ `raw\\n` }}", .want = "raw\\n"},
    {.text = "{{ 1.5 }} {{ 1e3 }} {{ 0x1F }} {{ 'a' }} {{ 1_000 }} {{ true }} {{ -0.0 }}",
     .want = "1.5 1000 31 97 1000 true -0"},
    {.text = "{{ 1e6 }} {{ 123456.0 }} {{ 1234567.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1e21 }}",
     .want = "1e+06 123456 1.234567e+06 0.0001 1e-05 1e+21"},
    /* variables */
    {.text = "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", .want = "2"},
    {.text = "{{ $x := \"a\" }}{{ if true }}{{ $x := \"b\" }}{{ $x }}{{ end }}{{ $x }}", .want = "ba"},
    {.text = "{{ $x := \"a\" }}{{ if true }}{{ $x = \"b\" }}{{ end }}{{ $x }}", .want = "b"},
    {.text = "{{ $ }}", .want = "<no value>"},
    /* if / else if / with / range */
    {.text = "{{ if 0 }}a{{ else if \"\" }}b{{ else if 1 }}c{{ else }}d{{ end }}", .want = "c"},
    {.text = "{{ with \"x\" }}[{{ . }}]{{ else }}none{{ end }}{{ with \"\" }}y{{ else }}none{{ end }}",
     .want = "[x]none"},
    {.text = "{{ with $x := \"v\" }}{{ $x }}{{ end }}", .want = "v"},
    {.text = "{{ with \"\" }}a{{ else with \"b\" }}{{ . }}{{ end }}", .want = "b"},
    {.text = "{{ range $i, $v := . }}{{ $i }}={{ $v }};{{ end }}", FLOATS(1.5, 2),
     .want = "0=1.5;1=2;"},
    {.text = "{{ range . }}{{ if eq . 2.0 }}{{ break }}{{ end }}{{ . }}{{ end }}", FLOATS(1, 2, 3),
     .want = "1"},
    {.text = "{{ range . }}{{ if eq . 2.0 }}{{ continue }}{{ end }}{{ . }}{{ end }}",
     FLOATS(1, 2, 3), .want = "13"},
    {.text = "{{ range . }}x{{ else }}empty{{ end }}", .want = "empty"},
    {.text = "{{ range 3 }}{{ . }}{{ end }}", .want = "012"},
    {.text = "{{ range $k, $v := args \"x\" \"y\" }}{{ $k }}:{{ $v }} {{ end }}",
     .want = "arg0:x arg1:y "},
    {.text = "{{ range 1.5 }}{{ end }}",
     .want = "ERR error executing template test: template: test:1:9: executing \"test\" at "
             "<1.5>: range can't iterate over 1.5"},
    /* builtins */
    {.text = "{{ and 1 0 2 }} {{ or 0 \"\" \"z\" }} {{ not 0 }} {{ and 1 2 }}", .want = "0 z true 2"},
    {.text = "{{ len \"héllo\" }} {{ len (args 1 2) }}", .want = "6 2"},
    {.text = "{{ index \"abc\" 1 }} {{ index (args 1 2) \"arg1\" }}", .want = "98 2"},
    {.text = "{{ slice \"abcdef\" 1 3 }}", .want = "bc"},
    {.text = "{{ print 1 2 \"a\" \"b\" 3 }}|{{ println 1 \"a\" }}|", .want = "1 2ab3|1 a\n|"},
    {.text = "{{ printf \"%s=%d %5.2f|%-4s|%q %v %x %t %%\" \"k\" 42 3.14159 \"ab\" \"q\" 1.5 255 true }}",
     .want = "k=42  3.14|ab  |\"q\" 1.5 ff true %"},
    {.text = "{{ printf \"%d %s\" \"x\" }}", .want = "%!d(string=x) %!s(MISSING)"},
    {.text = "{{ printf \"%d\" 1 2 }}", .want = "1%!(EXTRA int=2)"},
    {.text = "{{ printf \"%.3g|%e|%g|%v\" 1234.5678 1234.5678 0.000012345 100000000.0 }}",
     .want = "1.23e+03|1.234568e+03|1.2345e-05|1e+08"},
    {.text = "{{ eq 1 2 3 1 }} {{ eq \"a\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt 1.5 2.5 }} {{ ge \"b\" \"a\" }}",
     .want = "true true true true true false true"},
    {.text = "{{ eq 1 \"a\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at <eq 1 "
             "\"a\">: error calling eq: incompatible types for comparison: int and string"},
    {.text = "{{ lt true false }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at <lt "
             "true false>: error calling lt: invalid type for comparison"},
    {.text = "{{ html \"<a href='x'>&\" }} {{ js \"it's <b>\" }} {{ urlquery \"a b&c\" }}",
     .want = "&lt;a href=&#39;x&#39;&gt;&amp; it\\'s \\u003Cb\\u003E a+b%26c"},
    {.text = "{{ \"<b>\" | safeHtml }}", .want = "<b>"},
    /* errors at parse time */
    {.text = "{{ foo }}",
     .want = "ERR error parsing template test: template: test:1: function \"foo\" not defined"},
    {.text = "{{ if 1 }}x", .want = "ERR error parsing template test: template: test:1: unexpected EOF"},
    {.text = "{{ end }}",
     .want = "ERR error parsing template test: template: test:1: unexpected {{end}}"},
    {.text = "a\n{{ $x }}",
     .want = "ERR error parsing template test: template: test:2: undefined variable \"$x\""},
    {.text = "{{ if }}{{ end }}",
     .want = "ERR error parsing template test: template: test:1: missing value for if"},
    {.text = "{{ break }}",
     .want = "ERR error parsing template test: template: test:1: {{break}} outside {{range}}"},
    {.text = "{{ \"x\" | 1 }}",
     .want = "ERR error parsing template test: template: test:1: non executable command in "
             "pipeline stage 2"},
    {.text = "{{ .a.b) }}",
     .want = "ERR error parsing template test: template: test:1: unexpected right paren"},
    {.text = "{{ (1 }}",
     .want = "ERR error parsing template test: template: test:1: unclosed left paren"},
    {.text = "{{ \"abc }}",
     .want = "ERR error parsing template test: template: test:1: unterminated quoted string"},
    {.text = "{{ 3x }}",
     .want = "ERR error parsing template test: template: test:1: bad number syntax: \"3x\""},
    {.text = "x\n{{ 1\n", .want = "ERR error parsing template test: template: test:3: unclosed "
                                  "action started at test:2"},
    {.text = "{{ /* x */ }}",
     .want = "ERR error parsing template test: template: test:1: unexpected \"/\" in command"},
    {.text = "{{ else }}",
     .want = "ERR error parsing template test: template: test:1: unexpected {{else}}"},
    {.text = "{{ 1 2 }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at <1>: "
             "can't give argument to non-function 1"},
    {.text = "{{ nil }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at <nil>: "
             "nil is not a command"},
    {.text = "{{ title 3 }}",
     .want = "ERR error executing template test: template: test:1:9: executing \"test\" at <3>: "
             "expected string; found 3"},
    {.text = "{{ toUpper now }}",
     .want = "ERR error executing template test: template: test:1:11: executing \"test\" at "
             "<now>: wrong type for value; expected string; got float64"},
    {.text = "{{ humanize }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<humanize>: wrong number of args for humanize: want 1 got 0"},
    {.text = "{{ template \"nope\" }}",
     .want = "ERR error executing template test: template: test:1:12: executing \"test\" at "
             "<{{template \"nope\"}}>: template \"nope\" not defined"},
    /* regexps: RE2 replacement syntax and empty-match rules */
    {.text = "{{ reReplaceAll \"a*\" \"x\" \"baaac\" }}", .want = "xbxcx"},
    {.text = "{{ reReplaceAll \"(?P<h>[^:]+):(\\\\d+)\" \"${h}-$2$$\" \"host:80\" }}",
     .want = "host-80$"},
    {.text = "{{ reReplaceAll \"(a)\" \"$1x\" \"a\" }}", .want = ""},
    {.text = "{{ reReplaceAll \"(\" \"x\" \"a\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<reReplaceAll \"(\" \"x\" \"a\">: error calling reReplaceAll: regexp: Compile(`(`): "
             "error parsing regexp: missing closing ): `(`"},
    {.text = "{{ match \"a(?=b)\" \"ab\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<match \"a(?=b)\" \"ab\">: error calling match: error parsing regexp: invalid or "
             "unsupported Perl syntax: `(?=`"},
    {.text = "{{ match \"^a$\" \"a\\n\" }}", .want = "false"},
    {.text = "{{ match \"a**\" \"a\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<match \"a**\" \"a\">: error calling match: error parsing regexp: invalid nested "
             "repetition operator: `**`"},
    {.text = "{{ match \"(a)\\\\1\" \"aa\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<match \"(a)\\\\1\" \"aa\">: error calling match: error parsing regexp: invalid "
             "escape sequence: `\\1`"},
    {.text = "{{ match \"a{1001}\" \"a\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<match \"a{1001}\" \"a\">: error calling match: error parsing regexp: invalid "
             "repeat count: `{1001}`"},
    {.text = "{{ match \"(?i)AB+?c{2}\" \"xabccy\" }} {{ match \"(?P<n>x)\\\\d\" \"x1\" }}",
     .want = "true true"},
    {.text = "{{ reReplaceAll \"\\\\s+\" \"_\" \"a \\t\\v b\" }}|{{ reReplaceAll \"[\\\\s]\" \"_\" \"a\\vb c\" }}",
     .want = "a_\v_b|a\vb_c"},
    /* other Prometheus functions */
    {.text = "{{ \"hello world-wide_web o'neil\" | title }}", .want = "Hello World-Wide_web O'neil"},
    {.text = "{{ urlQueryEscape \"a b/c?d=é\" }}", .want = "a+b%2Fc%3Fd%3D%C3%A9"},
    {.text = "{{ parseDuration \"1x\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<parseDuration \"1x\">: error calling parseDuration: unknown unit \"x\" in duration "
             "\"1x\""},
    {.text = "{{ parseDuration \"1h1d\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<parseDuration \"1h1d\">: error calling parseDuration: not a valid duration string: "
             "\"1h1d\""},
    {.text = "{{ humanize nil }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<humanize nil>: error calling humanize: can't convert <nil> to float"},
    {.text = "{{ (toDuration 5400.5).String }} {{ (toDuration 0.0015).String }}",
     .want = "1h30m0.5s 1.5ms"},
    {.text = "{{ toTime 0 }}", .want = "1970-01-01 00:00:00 +0000 UTC"},
    {.text = "{{ humanize -0.5 }} {{ humanize 0.000001234 }} {{ humanize 1e-30 }} {{ humanize 1e30 }} {{ humanize -1500 }}",
     .want = "-500m 1.234u 1e-06y 1e+06Y -1.5k"},
    {.text = "{{ humanize1024 -2048 }} {{ humanize1024 1.5 }} {{ humanizePercentage \"NaN\" }}",
     .want = "-2ki 1.5 NaN%"},
    {.text = "{{ humanizeTimestamp 1.5 }} {{ humanizeTimestamp -1.5 }}",
     .want = "1970-01-01 00:00:01.5 +0000 UTC 1969-12-31 23:59:58.5 +0000 UTC"},
    {.text = "{{ humanizeDuration 0.000000001 }} {{ humanizeDuration -0.25 }} {{ humanizeDuration 59.999 }}",
     .want = "1ns -250ms 60s"},
    {.text = "{{ $caf\xc3\xa9 := \"\xc3\xbc\" }}{{ $caf\xc3\xa9 | toUpper }} {{ title \"\xc3\xa9lan vital\" }}",
     .want = "\xc3\x9c \xc3\x89lan Vital"},
    {.text = "{{ 1 \xe2\x82\xac }}",
     .want = "ERR error parsing template test: template: test:1: unrecognized character in "
             "action: U+20AC '\xe2\x82\xac'"},
    {.text = "{{ call .X }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<call .X>: error calling call: call of nil"},
    {.text = "{{ call \"f\" 1 }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<call \"f\" 1>: error calling call: non-function \"f\" of type string"},
    {.text = "{{ toTime \"NaN\" }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<toTime \"NaN\">: error calling toTime: value is NaN or Inf"},
    {.text = "{{ (now | toTime).Format \"Monday, 02-Jan-06 03:04:05.000 PM MST -07:00\" }}",
     .want = "Saturday, 24-Nov-12 11:14:12.000 AM UTC +00:00"},
    {.text = "{{ (query \"up\" | first).Value }}", .want = "11", .samples = q_one, .nsamples = 1},
    {.text = "{{ range query \"up\" | first }}{{ end }}",
     .want = "ERR error executing template test: template: test:1:22: executing \"test\" at "
             "<first>: range can't iterate over {map[__name__:metric instance:a] 11}",
     .samples = q_one, .nsamples = 1},
    {.text = "{{ if true }}{{ define \"x\" }}{{ end }}{{ end }}",
     .want = "ERR error parsing template test: template: test:1: unexpected <define> in command"},
    {.text = "{{ define \"x\" }}a{{ else }}b{{ end }}",
     .want = "ERR error parsing template test: template: test:1: unexpected {{else}} in define "
             "clause"},
    {.text = "{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}",
     .want = "ERR error parsing template test: template: test:1: template: multiple definition "
             "of template \"a\""},
    {.text = "{{ block \"b\" 5 }}[{{ . }}]{{ end }}", .want = "[5]"},
    {.text = "{{ $x := 1 }}{{ define \"d\" }}{{ $x }}{{ end }}",
     .want = "ERR error parsing template test: template: test:1: undefined variable \"$x\""},
    {.text = "{{ range $i, $e := 3 }}{{ end }}",
     .want = "ERR error executing template test: template: test:1:19: executing \"test\" at "
             "<3>: can't use 3 to iterate over more than one variable"},
    {.text = "{{ 9223372036854775808 }}",
     .want = "ERR error executing template test: template: test:1:3: executing \"test\" at "
             "<9223372036854775808>: 9223372036854775808 overflows int"},
    {.text = "{{ 0x1p4 }} {{ 017 }} {{ 0b101 }} {{ 0o17 }}", .want = "16 15 5 15"},
    {.text = "{{ $labels := args 1 }}{{ $labels.arg0 }} {{ $labels.missing }}", .want = "1 <no value>"},
    {.text = "{{ printf \"%T %T %T %T\" 1 1.5 \"s\" (args) }}",
     .want = "int float64 string map[string]interface {}"},
    {.text = "{{ printf \"%5s|%-5d|%05d|%+d|%x|%X|%o|%c|%q|%U\" \"a\" 3 42 7 \"hi\" 255 8 65 66 67 }}",
     .want = "    a|3    |00042|+7|6869|FF|10|A|'B'|U+0043"},
    {.text = "{{ len (query \"up\") }}", .want = "2", .samples = q_two, .nsamples = 2},
};

static void run_cases(const struct exp_case *cases, size_t n)
{
    struct arena a;
    arena_init(&a, 4096);
    for (size_t i = 0; i < n; i++) {
        const struct exp_case *c = &cases[i];
        struct tmpl_value items[16];
        struct tmpl_value data = {0};
        const struct tmpl_type *lt = NULL;
        for (size_t k = 0; k < c->n && k < 16; k++) {
            switch (c->in) {
            case IN_FLOATS: items[k] = tmpl_value_float(c->floats[k]); lt = &tmpl_type_list_float64; break;
            case IN_STRINGS: items[k] = tmpl_value_string(c->strings[k]); lt = &tmpl_type_list_string; break;
            case IN_INTS:
                items[k] = (struct tmpl_value){.type = &tmpl_type_int64, .u.i = c->ints[k]};
                lt = &tmpl_type_list_int64;
                break;
            case IN_UINTS:
                items[k] = (struct tmpl_value){.type = &tmpl_type_uint64, .u.u = c->uints[k]};
                lt = &tmpl_type_list_uint64;
                break;
            case IN_NONE: break;
            }
        }
        if (c->in != IN_NONE)
            data = tmpl_value_list(&a, lt, items, c->n);
        struct fake_query fq = {.samples = c->samples, .n = c->nsamples};
        char *got = expand(c->text, c->in != IN_NONE ? &data : NULL, &fq);
        if (strcmp(got, c->want) != 0)
            T_FAIL_("case %zu: %s\n    got:  %s\n    want: %s", i, c->text, got, c->want);
        free(got);
    }
    arena_release(&a);
}

static void test_prometheus_expansion(void)
{
    run_cases(prometheus_cases, sizeof prometheus_cases / sizeof prometheus_cases[0]);
}

static void test_go_semantics(void)
{
    run_cases(go_cases, sizeof go_cases / sizeof go_cases[0]);
}

/* ---- alert templates ---- */

static void test_alert_expand(void)
{
    static const struct tmpl_label labels[] = {{"instance", "host1:9100"}, {"job", "node"},
                                               {"__name__", "up"}};
    static const struct tmpl_label ext[] = {{"cluster", "eu1"}};
    struct fake_query fq = {.samples = q_one, .n = 1};
    struct tmpl_env env = {.ts_ms = 1700000000000LL,
                           .external_url = "http://prom:9090",
                           .query = fake_query_fn,
                           .query_ctx = &fq};
    static const struct {
        const char *text;
        double value;
        const char *want;
        int rc;
    } cases[] = {
        {"{{ $labels.instance }} of {{ $labels.job }} is down", 0, "host1:9100 of node is down", 0},
        {"{{ $value }}", 1e6, "1e+06", 0},
        {"{{ $value }}", 0.5, "0.5", 0},
        {"{{ $value }}", NAN, "NaN", 0},
        {"{{ $value }}", INFINITY, "+Inf", 0},
        {"{{ $value }}", 1234567, "1.234567e+06", 0},
        {"{{ $value | humanize }}B", 1234567, "1.235MB", 0},
        {"{{ .Labels.job }}/{{ $externalLabels.cluster }}/{{ $externalURL }}", 0,
         "node/eu1/http://prom:9090", 0},
        {"[{{ $labels.missing }}]", 0, "[]", 0},
        {"{{ .Value }}", 42, "42", 0},
        {"{{ $labels.__name__ }}", 0, "up", 0},
        {"{{ with query \"up\" }}{{ . | first | value }}{{ end }}", 0, "11", 0},
        {"{{ humanize $labels.job }}", 0,
         "<error expanding template: error executing template __alert_HostDown: template: "
         "__alert_HostDown:1:115: executing \"__alert_HostDown\" at <humanize $labels.job>: "
         "error calling humanize: strconv.ParseFloat: parsing \"node\": invalid syntax>",
         -1},
        {"{{ toUpper $value }}", 3, "<error expanding template: error executing template "
         "__alert_HostDown: template: __alert_HostDown:1:123: executing \"__alert_HostDown\" at "
         "<$value>: wrong type for value; expected string; got float64>", -1},
        {"{{ .Foo }}", 0, "<error expanding template: error executing template __alert_HostDown: "
         "template: __alert_HostDown:1:115: executing \"__alert_HostDown\" at <.Foo>: can't "
         "evaluate field Foo in type struct { Labels map[string]string; ExternalLabels "
         "map[string]string; ExternalURL string; Value interface {} }>", -1},
        {"{{ foo }}", 0, "<error expanding template: error parsing template __alert_HostDown: "
         "template: __alert_HostDown:1: function \"foo\" not defined>", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tmpl_alert_data d = {labels, 3, ext, 1, "http://prom:9090", cases[i].value};
        struct tmpl *t = tmpl_alert_parse("HostDown", cases[i].text);
        struct strbuf out = STRBUF_INIT;
        int rc = tmpl_alert_expand(t, &d, &env, &out);
        T_EQ_STR(out.buf, cases[i].want);
        T_EQ_INT(rc, cases[i].rc);
        /* A parsed template is reusable: a second run gives the same text. */
        struct strbuf again = STRBUF_INIT;
        tmpl_alert_expand(t, &d, &env, &again);
        T_EQ_STR(again.buf, out.buf);
        strbuf_release(&again);
        strbuf_release(&out);
        tmpl_free(t);
    }
    T_EQ_STR(fq.last_query, "up");
    T_EQ_INT(fq.last_ts, 1700000000000LL);
}

static void test_alert_query_error(void)
{
    struct fake_query fq = {.fail = "query timed out"};
    struct tmpl_env env = {.ts_ms = 0, .query = fake_query_fn, .query_ctx = &fq};
    struct tmpl_alert_data d = {0};
    struct tmpl *t = tmpl_alert_parse("A", "x{{ query \"up\" }}");
    struct strbuf out = STRBUF_INIT;
    T_EQ_INT(tmpl_alert_expand(t, &d, &env, &out), -1);
    T_EQ_STR(out.buf, "<error expanding template: error executing template __alert_A: template: "
                      "__alert_A:1:116: executing \"__alert_A\" at <query \"up\">: error calling "
                      "query: query timed out>");
    strbuf_release(&out);
    tmpl_free(t);
}

static void test_alert_check(void)
{
    static const struct {
        const char *text;
        const char *want; /* NULL: valid */
    } cases[] = {
        {"{{ $labels.instance }} down", NULL},
        {"{{ $value | humanizePercentage }}", NULL},
        {"{{ range query \"up\" }}{{ .Labels.job }}{{ end }}", NULL},
        {"{{ humanise $value }}", "template: __alert_X:1: function \"humanise\" not defined"},
        {"{{ $labels.instance", "template: __alert_X:1: unclosed action"},
        {"{{ if $value }}x", "template: __alert_X:1: unexpected EOF"},
        {"line1\nline2 {{ $undefined }}", "template: __alert_X:2: undefined variable \"$undefined\""},
        {"{{ end }}", "template: __alert_X:1: unexpected {{end}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = tmpl_alert_check("X", cases[i].text);
        if (cases[i].want)
            T_EQ_STR(err, cases[i].want);
        else if (err)
            T_FAIL_("%s: unexpected error %s", cases[i].text, err);
        free(err);
    }
}

/* The humanizeDuration table of prometheus/common helpers/templates/time_test.go. */
static void test_humanize_duration_table(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"0", "0s"}, {"1", "1s"}, {"60", "1m 0s"}, {"3600", "1h 0m 0s"}, {"86400", "1d 0h 0m 0s"},
        {"90000", "1d 1h 0m 0s"}, {"-183845", "-2d 3h 4m 5s"}, {"899.99", "14m 59s"},
        {".1", "100ms"}, {".0001", "100us"}, {".12345", "123.5ms"}, {"60.1", "1m 0s"},
        {"60.5", "1m 0s"}, {"1.2345", "1.234s"}, {"12.345", "12.35s"}, {"-1", "-1s"},
        {"1234567", "14d 6h 56m 7s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "{{ humanizeDuration %s }}", cases[i].in);
        char *got = expand(text, NULL, NULL);
        T_EQ_STR(got, cases[i].want);
        free(got);
    }
}

/* Pathological inputs end in Go's error, not in a crash, and quickly. */
static void test_pathological(void)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "{{ ");
    for (int i = 0; i < 5000; i++)
        strbuf_addch(&sb, '(');
    strbuf_addch(&sb, '1');
    for (int i = 0; i < 5000; i++)
        strbuf_addch(&sb, ')');
    strbuf_addstr(&sb, " }}");
    struct tmpl *t = tmpl_parse("p", sb.buf, sb.len);
    T_EQ_STR(tmpl_error(t), "template: p:1: max expression depth exceeded");
    tmpl_free(t);

    strbuf_reset(&sb);
    for (int i = 0; i < 5000; i++)
        strbuf_addstr(&sb, "{{ if 1 }}");
    t = tmpl_parse("p", sb.buf, sb.len);
    T_EQ_STR(tmpl_error(t), "template: p:1: max expression depth exceeded");
    tmpl_free(t);

    /* 999 nested ifs are fine. */
    strbuf_reset(&sb);
    for (int i = 0; i < 999; i++)
        strbuf_addstr(&sb, "{{ if 1 }}");
    strbuf_addch(&sb, 'x');
    for (int i = 0; i < 999; i++)
        strbuf_addstr(&sb, "{{ end }}");
    char *got = expand(sb.buf, NULL, NULL);
    T_EQ_STR(got, "x");
    free(got);

    /* A megabyte of text and 20000 actions. */
    strbuf_reset(&sb);
    for (int i = 0; i < 20000; i++)
        strbuf_addstr(&sb, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij {{ 1 }}\n");
    t = tmpl_parse("p", sb.buf, sb.len);
    T_CHECK(tmpl_error(t) == NULL);
    struct strbuf out = STRBUF_INIT;
    char *err = NULL;
    struct tmpl_value none = {0};
    T_EQ_INT(tmpl_execute(t, &none, NULL, &out, &err), 0);
    T_EQ_INT(out.len, 20000 * 49);
    strbuf_release(&out);
    free(err);
    tmpl_free(t);
    strbuf_release(&sb);
}

int main(void)
{
    t_run("prometheus template expansion", test_prometheus_expansion);
    t_run("go text/template semantics", test_go_semantics);
    t_run("alert expansion", test_alert_expand);
    t_run("alert query error", test_alert_query_error);
    t_run("alert template validation", test_alert_check);
    t_run("humanizeDuration table", test_humanize_duration_table);
    t_run("pathological inputs", test_pathological);
    return t_done();
}
