/* Unit tests of grammar/: lexer, parser, type checker, printer, durations,
 * series descriptions and label matching. Table-driven; expected texts are
 * Prometheus 3.14's (printer_test.go, parse_test.go, lex.go messages). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "grammar/parse.h"
#include "grammar/pq.h"
#include "parser.h"
#include "tests/t.h"

/* Canonical text of src, or "ERR line:col: msg". */
static char *fmt_expr(const char *src, int experimental)
{
    struct arena a;
    struct diag_list dl;
    struct strbuf out = STRBUF_INIT;
    struct parse_opts opts = {.experimental = experimental};
    arena_init(&a, 0);
    diag_list_init(&dl);
    struct ast_node *n = parse_expr(src, strlen(src), &a, &opts, &dl);
    if (n) {
        ast_print(&out, n);
    } else {
        int line, col;
        diag_line_col(src, strlen(src), dl.items[0].span.start, &line, &col);
        strbuf_addf(&out, "ERR %d:%d: %s", line, col, dl.items[0].msg);
    }
    diag_list_release(&dl);
    arena_release(&a);
    return strbuf_detach(&out);
}

static char *dump_expr(const char *src)
{
    struct arena a;
    struct diag_list dl;
    struct strbuf out = STRBUF_INIT;
    arena_init(&a, 0);
    diag_list_init(&dl);
    struct ast_node *n = parse_expr(src, strlen(src), &a, NULL, &dl);
    if (n)
        ast_dump(&out, n);
    else
        strbuf_addstr(&out, "ERR");
    diag_list_release(&dl);
    arena_release(&a);
    return strbuf_detach(&out);
}

static const struct {
    const char *in, *out;
} print_cases[] = {
    {.in = "sum by() (task:errors:rate10s{job=\"s\"})", .out = "sum(task:errors:rate10s{job=\"s\"})"},
    {.in = "sum by(code) (task:errors:rate10s{job=\"s\"})", .out = "sum by (code) (task:errors:rate10s{job=\"s\"})"},
    {.in = "sum without() (x)", .out = "sum without () (x)"},
    {.in = "sum(x) by (job)", .out = "sum by (job) (x)"},
    {.in = "sum by(\"foo.bar\") (x)", .out = "sum by (\"foo.bar\") (x)"},
    {.in = "topk(5, task:errors:rate10s{job=\"s\"})", .out = "topk(5, task:errors:rate10s{job=\"s\"})"},
    {.in = "count_values(\"value\", x)", .out = "count_values(\"value\", x)"},
    {.in = "a + on(b) group_left(c) d", .out = "a + on (b) group_left (c) d"},
    {.in = "a - on() c", .out = "a - on () c"},
    {.in = "a - ignoring() c", .out = "a - c"},
    {.in = "a / ignoring(b) group_right c", .out = "a / ignoring (b) group_right () c"},
    {.in = "a > bool b", .out = "a > bool b"},
    {.in = "up > bool 0", .out = "up > bool 0"},
    {.in = "a and on(x) b", .out = "a and on (x) b"},
    {.in = "foo offset -5m", .out = "foo offset -5m"},
    {.in = "foo offset 1h30m", .out = "foo offset 1h30m"},
    {.in = "foo @ 100", .out = "foo @ 100.000"},
    {.in = "foo @ -3.5 offset 1m", .out = "foo @ -3.500 offset 1m"},
    {.in = "foo offset 1m @ start()", .out = "foo @ start() offset 1m"},
    {.in = "foo[5m] @ end()", .out = "foo[5m] @ end()"},
    {.in = "foo[5m:] offset 2m", .out = "foo[5m:] offset 2m"},
    {.in = "rate(foo[5m])[1h:1m] @ 10", .out = "rate(foo[5m])[1h:1m] @ 10.000"},
    {.in = "x[300]", .out = "x[5m]"},
    {.in = "x offset 60", .out = "x offset 1m"},
    {.in = "x[1d1ms]", .out = "x[1d1ms]"},
    {.in = "x[90d]", .out = "x[90d]"},
    {.in = "x[84d]", .out = "x[12w]"},
    {.in = "x[365d]", .out = "x[1y]"},
    {.in = "1h", .out = "1h"},
    {.in = "-1h", .out = "-1h"},
    {.in = "0x1F", .out = "31"},
    {.in = "010", .out = "8"},
    {.in = "1e3", .out = "1000"},
    {.in = "1_000", .out = "1000"},
    {.in = ".5 + 5.", .out = "0.5 + 5"},
    {.in = "1e-7", .out = "0.0000001"},
    {.in = "Inf + -iNf + NaN", .out = "+Inf + -Inf + NaN"},
    {.in = "-2^2", .out = "-2 ^ 2"},
    {.in = "2 ^ 3 ^ 2", .out = "2 ^ 3 ^ 2"},
    {.in = "(1 + 2) * 3", .out = "(1 + 2) * 3"},
    {.in = "- - foo", .out = "--foo"},
    {.in = "'single' + \"dq\\n\" + `raw\\n`", .out = "ERR 1:1: binary expression must contain only scalar and instant vector types"},
    {.in = "\"\\u00e9\\x41\\101\\t\"", .out = "\"\xc3\xa9" "AA\\t\""},
    {.in = "\"a\\xffb\"", .out = "\"a\\xffb\""},
    {.in = "{\"my.metric\", \"a.b\"=\"c\"}", .out = "{\"a.b\"=\"c\",__name__=\"my.metric\"}"},
    {.in = "foo{b=\"2\", a=~\"1\", c!=\"3\", d!~\"4\"}", .out = "foo{a=~\"1\",b=\"2\",c!=\"3\",d!~\"4\"}"},
    {.in = "sum(x) / on(job) group_left sum(y)", .out = "sum(x) / on (job) group_left () sum(y)"},
    {.in = "SUM BY (job) (x) OFFSET 5m", .out = "ERR 1:1: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"},
    {.in = "avg(x) Offset", .out = "ERR 1:14: unexpected end of input in offset, expected number, duration, step(), or range()"},
    {.in = "sum  by (job) (x)", .out = "sum by (job) (x)"},
    {.in = "label_join(up, \"d\", \",\", \"a\", \"b\", \"c\")", .out = "label_join(up, \"d\", \",\", \"a\", \"b\", \"c\")"},
    {.in = "round(x)", .out = "round(x)"},
    {.in = "time() # a comment\n + 1", .out = "time() + 1"},
    {.in = "by", .out = "by"},
    {.in = "offset offset 5m", .out = "offset offset 5m"},
    {.in = "sum by (sum, on, bool) (x)", .out = "sum by (sum, on, bool) (x)"},
};

static void test_print(void)
{
    for (size_t i = 0; i < sizeof print_cases / sizeof print_cases[0]; i++) {
        char *got = fmt_expr(print_cases[i].in, 0);
        T_EQ_STR(got, print_cases[i].out);
        free(got);
    }
}

/* Printing then parsing gives the same tree, for every case above that parses. */
static void test_round_trip(void)
{
    for (size_t i = 0; i < sizeof print_cases / sizeof print_cases[0]; i++) {
        char *printed = fmt_expr(print_cases[i].in, 0);
        if (strncmp(printed, "ERR", 3) != 0) {
            char *d1 = dump_expr(print_cases[i].in), *d2 = dump_expr(printed);
            T_EQ_STR(d2, d1);
            free(d1);
            free(d2);
        }
        free(printed);
    }
}

static const struct {
    const char *in, *err;
} error_cases[] = {
    {.in = "", .err = "ERR 1:1: no expression found in input"},
    {.in = "1 and 1", .err = "ERR 1:1: set operator \"and\" not allowed in binary scalar expression"},
    {.in = "1 == 1", .err = "ERR 1:3: comparisons between scalars must use BOOL modifier"},
    {.in = "1 + bool 1", .err = "ERR 1:3: bool modifier can only be used on comparison operators"},
    {.in = "foo and on(a) group_left(b) bar", .err = "ERR 1:1: no grouping allowed for \"and\" operation"},
    {.in = "foo + on(a) group_left(a) bar", .err = "ERR 1:5: label \"a\" must not occur in ON and GROUP clause at once"},
    {.in = "1 + on(a) foo", .err = "ERR 1:1: vector matching only allowed between instant vectors"},
    {.in = "(1))", .err = "ERR 1:5: unexpected right parenthesis ')'"},
    {.in = "((1)", .err = "ERR 1:5: unclosed left parenthesis"},
    {.in = "{", .err = "ERR 1:2: unexpected end of input inside braces"},
    {.in = "}", .err = "ERR 1:1: unexpected character: '}'"},
    {.in = "foo{", .err = "ERR 1:5: unexpected end of input inside braces"},
    {.in = "foo{a=\"b\"", .err = "ERR 1:10: unexpected end of input inside braces"},
    {.in = "foo{a \"b\"}", .err = "ERR 1:7: unexpected string \"\\\"b\\\"\" in label matching, expected label matching operator"},
    {.in = "foo{a=b}", .err = "ERR 1:7: unexpected identifier \"b\" in label matching, expected string"},
    {.in = "foo{1}", .err = "ERR 1:5: unexpected character inside braces: '1'"},
    {.in = "{}", .err = "ERR 1:1: vector selector must contain at least one non-empty matcher"},
    {.in = "{x=\"\"}", .err = "ERR 1:1: vector selector must contain at least one non-empty matcher"},
    {.in = "{x=~\".*\"}", .err = "ERR 1:1: vector selector must contain at least one non-empty matcher"},
    {.in = "{x!~\".+\"}", .err = "ERR 1:1: vector selector must contain at least one non-empty matcher"},
    {.in = "foo{__name__=\"bar\"}", .err = "ERR 1:1: metric name must not be set twice: \"foo\" or \"bar\""},
    {.in = "foo{a=~\"(\"}", .err = "ERR 1:5: error parsing regexp: missing closing parenthesis: `(`"},
    {.in = "foo{a=~\"(?=x)\"}", .err = "ERR 1:5: error parsing regexp: invalid or unsupported Perl syntax: `(?=x)`"},
    {.in = "\"abc", .err = "ERR 1:1: unterminated quoted string"},
    {.in = "`abc", .err = "ERR 1:1: unterminated raw string"},
    {.in = "\"\\q\"", .err = "ERR 1:1: unknown escape sequence U+0071 'q'"},
    {.in = "'\\\"'", .err = "ERR 1:1: unknown escape sequence U+0022 '\"'"},
    {.in = "\"\\xZZ\"", .err = "ERR 1:1: illegal character U+005A 'Z' in escape sequence"},
    {.in = "\"\\uD800\"", .err = "ERR 1:1: escape sequence is an invalid Unicode code point"},
    {.in = "\"a\xff\"", .err = "ERR 1:1: invalid UTF-8 rune"},
    {.in = "foo[5m", .err = "ERR 1:7: unclosed left bracket"},
    {.in = "foo[", .err = "ERR 1:5: unexpected end of input in duration expression"},
    {.in = "foo]", .err = "ERR 1:4: unexpected right bracket ']'"},
    {.in = "foo[5m][5m]", .err = "ERR 1:8: ranges only allowed for vector selectors"},
    {.in = "foo offset 1m[5m]", .err = "ERR 1:14: no offset modifiers allowed before range"},
    {.in = "foo @ 1 [5m]", .err = "ERR 1:9: no @ modifiers allowed before range"},
    {.in = "foo offset 1m offset 2m", .err = "ERR 1:1: offset may not be set multiple times"},
    {.in = "foo @ 1 @ 2", .err = "ERR 1:1: @ <timestamp> may not be set multiple times"},
    {.in = "foo @ start() @ end()", .err = "ERR 1:1: @ <timestamp> may not be set multiple times"},
    {.in = "foo @ bar()", .err = "ERR 1:7: unexpected identifier \"bar\" in @, expected timestamp"},
    {.in = "foo @ Inf", .err = "ERR 1:1: timestamp out of bounds for @ modifier: +Inf"},
    {.in = "foo[0]", .err = "ERR 1:5: duration must be greater than 0"},
    {.in = "foo[-5m]", .err = "ERR 1:5: duration must be greater than 0"},
    {.in = "foo[0.0001]", .err = "ERR 1:5: duration must be at least 1ms"},
    {.in = "foo[5m:0.0005]", .err = "ERR 1:8: duration must be at least 1ms"},
    {.in = "foo[5m1]", .err = "ERR 1:5: bad number or duration syntax: \"5m1\""},
    {.in = "foo[5mm]", .err = "ERR 1:5: bad number or duration syntax: \"5mm\""},
    {.in = "foo[1m5h]", .err = "ERR 1:5: not a valid duration string: \"1m5h\""},
    {.in = "foo[5y1hs]", .err = "ERR 1:5: unknown unit \"hs\" in duration \"5y1hs\""},
    {.in = "1.5m", .err = "ERR 1:1: unknown unit \".\" in duration \"1.5m\""},
    {.in = "1e400", .err = "ERR 1:1: error parsing number: strconv.ParseFloat: parsing \"1e400\": value out of range"},
    {.in = "0x", .err = "ERR 1:1: error parsing number: strconv.ParseFloat: parsing \"0x\": invalid syntax"},
    {.in = "1..2", .err = "ERR 1:1: bad number or duration syntax: \"1..\""},
    {.in = "foo[5m:1m:1m]", .err = "ERR 1:10: unexpected colon ':'"},
    {.in = "foo[:1m]", .err = "ERR 1:5: unexpected colon before duration in duration expression"},
    {.in = "foo[5m x]", .err = "ERR 1:8: unexpected character: 'x', expected ':'"},
    {.in = "rate(foo)", .err = "ERR 1:6: expected type range vector in call to function \"rate\", got instant vector"},
    {.in = "rate()", .err = "ERR 1:1: expected 1 argument(s) in call to \"rate\", got 0"},
    {.in = "round(x, 1, 2)", .err = "ERR 1:1: expected at most 2 argument(s) in call to \"round\", got 3"},
    {.in = "label_join(x, \"a\")", .err = "ERR 1:1: expected at least 3 argument(s) in call to \"label_join\", got 2"},
    {.in = "hour(x, y)", .err = "ERR 1:1: expected at most 1 argument(s) in call to \"hour\", got 2"},
    {.in = "rate(x[5m],)", .err = "ERR 1:11: trailing commas not allowed in function call args"},
    {.in = "nope(x)", .err = "ERR 1:1: unknown function with name \"nope\""},
    {.in = "Rate(x[5m])", .err = "ERR 1:1: unknown function with name \"Rate\""},
    {.in = "sort_by_label(x, \"a\")", .err = "ERR 1:1: function \"sort_by_label\" is not enabled"},
    {.in = "limitk(1, x)", .err = "ERR 1:1: limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions"},
    {.in = "sum()", .err = "ERR 1:1: no arguments for aggregate expression provided"},
    {.in = "sum(x, y)", .err = "ERR 1:1: wrong number of arguments for aggregate expression provided, expected 1, got 2"},
    {.in = "topk(x)", .err = "ERR 1:1: wrong number of arguments for aggregate expression provided, expected 2, got 1"},
    {.in = "topk(\"a\", x)", .err = "ERR 1:6: expected type scalar in aggregation parameter, got string"},
    {.in = "count_values(1, x)", .err = "ERR 1:14: expected type string in aggregation parameter, got scalar"},
    {.in = "sum(x[5m])", .err = "ERR 1:5: expected type instant vector in aggregation expression, got range vector"},
    {.in = "sum by (\"\") (x)", .err = "ERR 1:9: invalid label name for grouping: \"\""},
    {.in = "sum by (a", .err = "ERR 1:10: unclosed left parenthesis"},
    {.in = "sum by x", .err = "ERR 1:8: unexpected identifier \"x\" in grouping opts, expected \"(\""},
    {.in = "sum foo", .err = "ERR 1:5: unexpected identifier \"foo\""},
    {.in = "sum (some_metric) without (test) by (test)", .err = "ERR 1:34: unexpected <by>"},
    {.in = "foo{gibberish}", .err = "ERR 1:14: unexpected \"}\" in label matching, expected label matching operator"},
    {.in = "sum without(foo,,)(x)", .err = "ERR 1:17: unexpected \",\" in grouping opts, expected label"},
    {.in = "a - on(b) ignoring(c) d", .err = "ERR 1:11: unexpected <ignoring>"},
    {.in = "-\"a\"", .err = "ERR 1:1: unary expression only allowed on expressions of type scalar or instant vector, got \"string\""},
    {.in = "foo[5m] + 1", .err = "ERR 1:1: binary expression must contain only scalar and instant vector types"},
    {.in = "foo[5m][1h:]", .err = "ERR 1:1: subquery is only allowed on instant vector, got matrix instead"},
    {.in = "1 offset 5m", .err = "ERR 1:1: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"},
    {.in = "foo bar", .err = "ERR 1:5: unexpected identifier \"bar\""},
    {.in = "foo +", .err = "ERR 1:6: unexpected end of input"},
    {.in = "foo == == bar", .err = "ERR 1:8: unexpected <op:==>"},
    {.in = "foo =~ bar", .err = "ERR 1:5: unexpected character after '=': '~'"},
    {.in = "foo !x", .err = "ERR 1:5: unexpected character after '!': 'x'"},
    {.in = "$", .err = "ERR 1:1: unexpected character: '$'"},
    {.in = "\n\nfoo{a!b}", .err = "ERR 3:6: unexpected character after '!' inside braces: 'b'"},
    {.in = "rate(x[5m]) 1234567890123", .err = "ERR 1:13: unexpected number \"1234567890\"..."},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        char *got = fmt_expr(error_cases[i].in, 0);
        T_EQ_STR(got, error_cases[i].err);
        free(got);
    }
}

static void test_experimental(void)
{
    char *got = fmt_expr("limitk(1, x) or sort_by_label(x, \"a\", \"b\") or histogram_quantiles(x, \"q\", 0.5, 0.9)", 1);
    T_EQ_STR(got, "limitk(1, x) or sort_by_label(x, \"a\", \"b\") or histogram_quantiles(x, \"q\", 0.5, 0.9)");
    free(got);
    got = fmt_expr("info(x, {a=\"\"})", 1);
    T_EQ_STR(got, "info(x, {a=\"\"})");
    free(got);
    got = fmt_expr("info(x, foo{a=\"b\"})", 1);
    T_EQ_STR(got, "ERR 1:9: expected label selectors only, got vector selector instead");
    free(got);
}

static void test_limits(void)
{
    struct arena a;
    struct diag_list dl;
    arena_init(&a, 0);
    diag_list_init(&dl);
    struct parse_opts opts = {.max_depth = 50, .max_len = 200};
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 60; i++)
        strbuf_addch(&sb, '(');
    T_CHECK(parse_expr(sb.buf, sb.len, &a, &opts, &dl) == NULL);
    T_EQ_INT(dl.items[0].code, DIAG_LIMIT);
    diag_list_release(&dl);
    strbuf_reset(&sb);
    for (int i = 0; i < 60; i++)
        strbuf_addstr(&sb, "a+");
    strbuf_addstr(&sb, "a");
    T_CHECK(parse_expr(sb.buf, sb.len, &a, &opts, &dl) == NULL);
    T_EQ_INT(dl.items[0].code, DIAG_LIMIT);
    diag_list_release(&dl);
    strbuf_reset(&sb);
    for (int i = 0; i < 300; i++)
        strbuf_addch(&sb, '1');
    T_CHECK(parse_expr(sb.buf, sb.len, &a, &opts, &dl) == NULL);
    T_EQ_INT(dl.items[0].code, DIAG_LIMIT);
    diag_list_release(&dl);
    /* The default limits take a long flat expression. */
    strbuf_reset(&sb);
    for (int i = 0; i < 500; i++)
        strbuf_addstr(&sb, "a + ");
    strbuf_addstr(&sb, "a");
    T_CHECK(parse_expr(sb.buf, sb.len, &a, NULL, &dl) != NULL);
    strbuf_release(&sb);
    diag_list_release(&dl);
    arena_release(&a);
}

/* Token kinds straight from the lexer. */
static void test_lexer(void)
{
    static const struct {
        const char *in;
        int toks[8];
    } cases[] = {
        {"foo:bar{a=~\"x\"}", {TOK_METRIC_IDENTIFIER, TOK_LEFT_BRACE, TOK_IDENTIFIER, TOK_EQL_REGEX, TOK_STRING, TOK_RIGHT_BRACE, 0}},
        {"SUM by(x)", {TOK_SUM, TOK_BY, TOK_LEFT_PAREN, TOK_IDENTIFIER, TOK_RIGHT_PAREN, 0}},
        {"x[5m:1m]", {TOK_IDENTIFIER, TOK_LEFT_BRACKET, TOK_DURATION, TOK_COLON, TOK_DURATION, TOK_RIGHT_BRACKET, 0}},
        {"1 inf NaN 0x1f 1e-3", {TOK_NUMBER, TOK_NUMBER, TOK_NUMBER, TOK_NUMBER, TOK_NUMBER, 0}},
        {"a<=b!=c>=d<e>f==g", {TOK_IDENTIFIER, TOK_LTE, TOK_IDENTIFIER, TOK_NEQ, TOK_IDENTIFIER, TOK_GTE, TOK_IDENTIFIER, TOK_LSS}},
        {"@ start ( ) offset", {TOK_AT, TOK_IDENTIFIER, TOK_LEFT_PAREN, TOK_RIGHT_PAREN, TOK_OFFSET, 0}},
        {"{by=\"\"} # c\n^", {TOK_LEFT_BRACE, TOK_IDENTIFIER, TOK_EQL, TOK_STRING, TOK_RIGHT_BRACE, TOK_POW, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena a;
        struct diag_list dl;
        struct parse_opts opts = {0};
        arena_init(&a, 0);
        diag_list_init(&dl);
        struct pq_ctx c;
        memset(&c, 0, sizeof c);
        c.src = cases[i].in;
        c.len = strlen(cases[i].in);
        c.cur = c.src;
        c.arena = &a;
        c.opts = &opts;
        c.diags = &dl;
        c.max_depth = 100;
        strbuf_init(&c.sbuf);
        for (int k = 0; k < 8; k++) {
            struct pq_tok tok;
            struct span sp;
            int t = pq_lex(&c, &tok, &sp);
            T_EQ_INT(t, cases[i].toks[k]);
            if (t == 0)
                break;
        }
        T_EQ_INT(dl.len, 0);
        strbuf_release(&c.sbuf);
        diag_list_release(&dl);
        arena_release(&a);
    }
}

static void test_duration(void)
{
    static const struct {
        const char *in;
        int64_t ms;
        int rc;
    } cases[] = {
        {"0", 0, 0},       {"5m", 300000, 0}, {"1h30m", 5400000, 0}, {"1y", 31536000000LL, 0},
        {"2w1d", 1296000000LL, 0}, {"1s500ms", 1500, 0}, {"", 0, -1}, {"5", 0, -1}, {"1m1h", 0, -1},
        {"1.5h", 0, -1}, {"5x", 0, -1}, {"300000000y", 0, -1}, {"-5m", 0, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = -7;
        int rc = parse_duration(cases[i].in, strlen(cases[i].in), &ms);
        T_EQ_INT(rc, cases[i].rc);
        if (rc == 0)
            T_EQ_INT(ms, cases[i].ms);
    }
    static const struct {
        int64_t ms;
        const char *out;
    } fmts[] = {
        {0, "0s"}, {1, "1ms"}, {1500, "1s500ms"}, {90000, "1m30s"}, {86400000, "1d"},
        {7776000000LL, "90d"}, {7257600000LL, "12w"}, {31536000000LL, "1y"}, {-300000, "-5m"}, {694861001, "8d1h1m1s1ms"}, {604800000, "1w"},
    };
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        parse_format_duration(&sb, fmts[i].ms);
        T_EQ_STR(sb.buf, fmts[i].out);
        strbuf_release(&sb);
    }
}

static void test_series_desc(void)
{
    struct arena a;
    struct diag_list dl;
    arena_init(&a, 0);
    diag_list_init(&dl);
    struct parse_series s;
    const char *in = "http_requests{job=\"api\", \"a.b\"='c'} 1+2x3 _ stale _x2 -1x1 Inf 1m";
    T_EQ_INT(parse_series_desc(in, strlen(in), &a, &s, &dl), 0);
    T_EQ_INT(s.nlabels, 3);
    T_EQ_STR(s.names[0], "__name__");
    T_EQ_STR(s.values[0], "http_requests");
    T_EQ_STR(s.names[1], "a.b");
    T_EQ_STR(s.values[1], "c");
    T_EQ_STR(s.names[2], "job");
    T_EQ_INT(s.nsamples, 4 + 1 + 1 + 2 + 2 + 1 + 1);
    static const double want[] = {1, 3, 5, 7};
    for (int i = 0; i < 4; i++)
        T_EQ_FLOAT(s.samples[i].value, want[i], 0);
    T_EQ_INT(s.samples[4].kind, PARSE_SAMPLE_OMITTED);
    T_EQ_INT(s.samples[5].kind, PARSE_SAMPLE_STALE);
    T_EQ_INT(s.samples[6].kind, PARSE_SAMPLE_OMITTED);
    T_EQ_INT(s.samples[7].kind, PARSE_SAMPLE_OMITTED);
    T_EQ_FLOAT(s.samples[8].value, -1, 0);
    T_EQ_FLOAT(s.samples[9].value, -1, 0);
    T_CHECK(isinf(s.samples[10].value));
    T_EQ_FLOAT(s.samples[11].value, 60, 0);

    in = "{__name__=\"m\"} 0-1x2 1e3";
    T_EQ_INT(parse_series_desc(in, strlen(in), &a, &s, &dl), 0);
    T_EQ_INT(s.nsamples, 4);
    T_EQ_FLOAT(s.samples[2].value, -2, 0);
    T_EQ_FLOAT(s.samples[3].value, 1000, 0);

    in = "metric";
    T_EQ_INT(parse_series_desc(in, strlen(in), &a, &s, &dl), 0);
    T_EQ_INT(s.nsamples, 0);
    T_EQ_INT(s.nlabels, 1);

    in = "m 1 foo";
    T_EQ_INT(parse_series_desc(in, strlen(in), &a, &s, &dl), -1);
    in = "m{a=b} 1";
    T_EQ_INT(parse_series_desc(in, strlen(in), &a, &s, &dl), -1);
    in = "m {{schema:1}}";
    T_EQ_INT(parse_series_desc(in, strlen(in), &a, &s, &dl), -1);
    T_EQ_INT(dl.len, 3);
    diag_list_release(&dl);
    arena_release(&a);
}

static void test_matchers(void)
{
    struct arena a;
    struct diag_list dl;
    arena_init(&a, 0);
    diag_list_init(&dl);
    const char *src = "x{a=~\"fo+|ba.\", b!~\"a$\", c=\"v\", d=~\"lit\", e=~\"(?i)ABC\", f=~\"\\\\d+\"}";
    struct ast_node *n = parse_expr(src, strlen(src), &a, NULL, &dl);
    T_CHECK(n != NULL);
    if (n) {
        const struct ast_matcher *m = n->u.vs.matchers;
        T_EQ_INT(n->u.vs.nmatchers, 7);
        T_EQ_STR(m[0].name, "__name__");
        T_CHECK(ast_matcher_matches(&m[1], "foo", 3));
        T_CHECK(ast_matcher_matches(&m[1], "bar", 3));
        T_CHECK(ast_matcher_matches(&m[1], "ba\n", 3)); /* dot matches newline */
        T_CHECK(!ast_matcher_matches(&m[1], "xfoo", 4)); /* anchored at the start */
        T_CHECK(!ast_matcher_matches(&m[1], "foox", 4)); /* and at the end */
        T_CHECK(!ast_matcher_matches(&m[1], "bar\n", 4));
        T_CHECK(!ast_matcher_matches(&m[2], "a", 1));
        T_CHECK(ast_matcher_matches(&m[2], "a\n", 2)); /* $ is the end of the text only */
        T_CHECK(ast_matcher_matches(&m[3], "v", 1));
        T_CHECK(!ast_matcher_matches(&m[3], "vv", 2));
        T_CHECK(m[4].re_literal);
        T_CHECK(ast_matcher_matches(&m[4], "lit", 3));
        T_CHECK(!ast_matcher_matches(&m[4], "li", 2));
        T_CHECK(ast_matcher_matches(&m[5], "abc", 3));
        T_CHECK(ast_matcher_matches(&m[6], "123", 3));
        T_CHECK(!ast_matcher_matches(&m[6], "\xd9\xa3", 2)); /* \d is ASCII, as in RE2 */
        T_CHECK(!ast_matcher_matches(&m[6], "\xff", 1)); /* invalid UTF-8 does not crash */
    }
    diag_list_release(&dl);
    arena_release(&a);
}

static void test_types_and_functions(void)
{
    T_CHECK(ast_fn_lookup("rate", 4) && ast_fn_lookup("rate", 4)->ret == AST_TYPE_VECTOR);
    T_CHECK(ast_fn_lookup("time", 4) && ast_fn_lookup("time", 4)->ret == AST_TYPE_SCALAR);
    T_CHECK(ast_fn_lookup("ratex", 4) && ast_fn_lookup("ratex", 5) == NULL);
    T_CHECK(ast_fn_lookup("abs", 3) == ast_fn_info(FN_ABS));
    T_CHECK(ast_fn_lookup("year", 4) == ast_fn_info(FN_YEAR));
    for (int i = 0; i < FN__COUNT; i++) {
        const struct fn_info *f = ast_fn_info((enum fn_id)i);
        T_CHECK(f->id == (enum fn_id)i);
        T_CHECK(ast_fn_lookup(f->name, strlen(f->name)) == f); /* also checks ORDER funcs */
    }
    static const struct {
        const char *in;
        enum ast_type t;
    } cases[] = {
        {"1 + 2", AST_TYPE_SCALAR}, {"foo + 1", AST_TYPE_VECTOR}, {"foo[5m]", AST_TYPE_MATRIX},
        {"\"s\"", AST_TYPE_STRING}, {"scalar(foo)", AST_TYPE_SCALAR}, {"(foo)[5m:]", AST_TYPE_MATRIX},
        {"-(1)", AST_TYPE_SCALAR}, {"sum(foo)", AST_TYPE_VECTOR},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena a;
        struct diag_list dl;
        arena_init(&a, 0);
        diag_list_init(&dl);
        struct ast_node *n = parse_expr(cases[i].in, strlen(cases[i].in), &a, NULL, &dl);
        T_CHECK(n != NULL);
        if (n)
            T_EQ_INT(ast_node_type(n), cases[i].t);
        diag_list_release(&dl);
        arena_release(&a);
    }
    T_EQ_STR(ast_type_name(AST_TYPE_MATRIX), "range vector");
    T_EQ_STR(ast_binop_name(AST_OP_ATAN2), "atan2");
    T_EQ_STR(ast_aggop_name(AST_AGG_COUNT_VALUES), "count_values");
}

static int count_nodes(const struct ast_node *n, void *ctx)
{
    (void)n;
    (*(int *)ctx)++;
    return 0;
}

static void test_walk_and_positions(void)
{
    struct arena a;
    struct diag_list dl;
    arena_init(&a, 0);
    diag_list_init(&dl);
    const char *src = "sum by (a) (rate(x[5m])) / on (a) group_left count(y offset 1m)";
    struct ast_node *n = parse_expr(src, strlen(src), &a, NULL, &dl);
    T_CHECK(n != NULL);
    if (n) {
        int cnt = 0;
        ast_walk(n, count_nodes, &cnt);
        T_EQ_INT(cnt, 7); /* binary, sum, rate, matrix, x, count, y */
        T_EQ_INT(n->pos.start, 0);
        T_EQ_INT(n->pos.end, strlen(src));
        T_EQ_INT(n->u.bin.lhs->pos.end, 24);
        T_EQ_INT(n->u.bin.matching->card, AST_CARD_MANY_TO_ONE);
        T_EQ_INT(n->u.bin.rhs->u.agg.expr->u.vs.tm.offset_ms, 60000);
    }
    diag_list_release(&dl);
    arena_release(&a);
}

/* Every float series line of the `load` blocks in Prometheus's core test
 * scripts parses (read in place from ../shared; skipped when absent). */
static void test_series_conformance(void)
{
    static const char *const core[] = {
        "aggregators", "at_modifier", "collision", "functions", "histograms", "literals", "name_label_dropping",
        "operators", "range_queries", "selectors", "staleness", "subquery", "trig_functions",
    };
    int files = 0, lines = 0;
    for (size_t f = 0; f < sizeof core / sizeof core[0]; f++) {
        char path[512];
        snprintf(path, sizeof path, "../shared/conformance/promql/%s.test", core[f]);
        struct strbuf sb = STRBUF_INIT;
        if (strbuf_read_file(&sb, path) < 0)
            continue;
        files++;
        bool in_load = false;
        char *save = NULL;
        for (char *line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            while (*line == ' ' || *line == '\t')
                line++;
            if (!strncmp(line, "load", 4)) {
                in_load = true;
                continue;
            }
            if (!*line || !strncmp(line, "eval", 4) || !strncmp(line, "clear", 5) || !strncmp(line, "expect", 6))
                in_load = false;
            if (!in_load || *line == '#' || strstr(line, "{{"))
                continue;
            struct arena a;
            struct diag_list dl;
            struct parse_series ps;
            arena_init(&a, 0);
            diag_list_init(&dl);
            if (parse_series_desc(line, strlen(line), &a, &ps, &dl) != 0 || ps.nlabels == 0)
                T_FAIL_("%s: %s: %s", core[f], line, dl.len ? dl.items[0].msg : "no labels");
            lines++;
            diag_list_release(&dl);
            arena_release(&a);
        }
        strbuf_release(&sb);
    }
    printf("# %d series lines from %d files\n", lines, files);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pathological inputs finish quickly and either parse or fail with a limit,
 * never by exhausting the C stack (cmark's approach: a time budget). */
static void test_pathological(void)
{
    struct {
        const char *name;
        const char *unit, *head, *tail;
        int repeat;
        int ok; /* 1: parses, 0: rejected, -1: either, within the time budget */
    } cases[] = {
        {"10k nested parentheses", "(", "", "", 10000, 0},
        {"100k unary minus", "-", "", "x", 100000, 0},
        {"50k power operators", "x^", "", "x", 50000, 0},
        {"50k additions", "x+", "", "x", 50000, 0},
        {"40k matchers", "a=\"x\",", "{", "b=\"y\"}", 40000, 1},
        {"100k function arguments", "\"c\",", "label_join(x,\"a\",\"b\",", "\"d\")", 100000, 1},
        {"giant regex", "(a|b)*", "{a=~\"", "c\"}", 20000, -1},
        {"big regex", "(a|b)*", "{a=~\"", "c\"}", 500, 1},
        {"3k subqueries", "[5m:]", "x", "", 3000, 0},
        {"long string", "a", "\"", "\"", 500000, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, cases[i].head);
        for (int k = 0; k < cases[i].repeat; k++)
            strbuf_addstr(&sb, cases[i].unit);
        strbuf_addstr(&sb, cases[i].tail);
        struct arena a;
        struct diag_list dl;
        arena_init(&a, 0);
        diag_list_init(&dl);
        double t0 = seconds_now();
        struct ast_node *n = parse_expr(sb.buf, sb.len, &a, NULL, &dl);
        if (n) {
            struct strbuf out = STRBUF_INIT;
            ast_print(&out, n);
            strbuf_release(&out);
        }
        double el = seconds_now() - t0;
        if ((cases[i].ok >= 0 && (n != NULL) != cases[i].ok) || el > 2.0)
            T_FAIL_("%s: %s after %.3fs (%.80s)", cases[i].name, n ? "parsed" : "rejected", el,
                    dl.len ? dl.items[0].msg : "");
        diag_list_release(&dl);
        arena_release(&a);
        strbuf_release(&sb);
    }
}

/* Duration expressions and fill modifiers (experimental): text printed back,
 * or upstream's parse error (parse_test.go, printer_test.go). */
static void test_duration_expr_and_fill(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"foo[5m+1m]", "foo[5m + 1m]"},
        {"foo[  -  step  (  )  ]", "foo[-step()]"},
        {"foo[1800]", "foo[30m]"},
        {"foo[(5s)]", "foo[(5s)]"},
        {"foo[-2^2]", "foo[-2 ^ 2]"},
        {"foo[0+-2^2]", "foo[0 + -2 ^ 2]"},
        {"foo[max_of(step(),5s)]", "foo[max_of(step(), 5s)]"},
        {"foo[4s+4s:1s*2] offset (5s-8)", "foo[4s + 4s:1s * 2] offset (5s - 8)"},
        {"foo offset 5s-8", "foo offset 5s - 8"},
        {"foo offset -1^1", "foo offset -1s ^ 1"},
        {"foo offset -(1^2)", "foo offset -(1 ^ 2)"},
        {"foo offset (-1^2)", "foo offset (-1 ^ 2)"},
        {"foo offset -(5)", "foo offset -(5)"},
        {"foo offset -min_of(5s,step()+8s)", "foo offset -min_of(5s, step() + 8s)"},
        {"foo offset STEP() * 2", "foo offset step() * 2"},
        {"sum by (step, range) (min_of)", "sum by (step, range) (min_of)"},
        {"foo[step]", "ERR 1:9: unexpected \"]\" in subquery or range selector, expected number, duration, step(), or range()"},
        {"foo[step()/0d]", "ERR 1:11: division by zero"},
        {"foo[5s%0d]", "ERR 1:7: modulo by zero"},
        {"foo offset (4d/0)", "ERR 1:15: division by zero"},
        {"foo offset 9.5e10", "ERR 1:12: duration out of range"},
        {"foo[-1]", "ERR 1:5: duration must be greater than 0"},
        {"some_metric offset step()[5m]", "ERR 1:26: no offset modifiers allowed before range"},
        {"foo[stepx]", "ERR 1:5: unexpected character in duration expression: 's'"},
        {"a + fill(0) b", "a + fill (0) b"},
        {"a + on(x) group_left fill_right(-1) fill_left(1e6) b", "a + on (x) group_left () fill_left (1e+06) fill_right (-1) b"},
        {"a == bool fill(NaN) b", "a == bool fill_left (NaN) fill_right (NaN) b"},
        {"fill + fill_left", "fill + fill_left"},
        {"a and fill(1) b", "ERR 1:1: filling in missing series not allowed for set operators"},
        {"1 + fill(1) a", "ERR 1:1: filling in missing series only allowed between instant vectors"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = fmt_expr(cases[i].in, 1);
        T_EQ_STR(got, cases[i].out);
        free(got);
    }
    char *got = fmt_expr("foo[5m+1m]", 0);
    T_EQ_STR(got, "ERR 1:5: experimental duration expression is not enabled");
    free(got);
    got = fmt_expr("a + fill(0) b", 0);
    T_EQ_STR(got, "ERR 1:1: binop fill modifiers are experimental and not enabled");
    free(got);
}

/* Duration expressions evaluated with a query's step and range (durations.go). */
static void test_duration_eval(void)
{
    static const struct {
        const char *in;
        int64_t step_ms, range_ms, want_ms; /* want_ms -1: an error */
        const char *err;
    } cases[] = {
        {"x[step()+1ms]", 10000, 10000, 10001, ""},
        {"x[min_of(range(), 8s)]", 5000, 10000, 8000, ""},
        {"x[max_of(step(), 1ms) * 2]", 5000, 0, 10000, ""},
        {"x[step()]", 0, 0, -1, "2:8: duration must be greater than 0"},
        {"x[1m/(step()-5s)]", 5000, 0, -1, "2:15: division by zero"},
        {"x[(1m)%(step()-5s)]", 5000, 0, -1, "2:17: modulo by zero"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena a;
        struct diag_list dl;
        struct parse_opts opts = {.experimental = 1};
        arena_init(&a, 0);
        diag_list_init(&dl);
        struct ast_node *n = parse_expr(cases[i].in, strlen(cases[i].in), &a, &opts, &dl);
        T_CHECK(n && n->kind == AST_MATRIX_SELECTOR && n->u.ms.range_expr);
        if (n && n->kind == AST_MATRIX_SELECTOR && n->u.ms.range_expr) {
            struct strbuf err = STRBUF_INIT;
            int64_t ms = -1;
            int rc = ast_dur_eval(n->u.ms.range_expr, cases[i].step_ms, cases[i].range_ms, false, &ms, &err);
            T_EQ_INT(rc < 0 ? -1 : ms, cases[i].want_ms);
            T_EQ_STR(err.len ? err.buf : "", cases[i].err);
            strbuf_release(&err);
        }
        diag_list_release(&dl);
        arena_release(&a);
    }
}

int main(void)
{
    t_run("print", test_print);
    t_run("round trip", test_round_trip);
    t_run("errors", test_errors);
    t_run("experimental", test_experimental);
    t_run("duration expressions and fill", test_duration_expr_and_fill);
    t_run("duration evaluation", test_duration_eval);
    t_run("limits", test_limits);
    t_run("lexer", test_lexer);
    t_run("duration", test_duration);
    t_run("series description", test_series_desc);
    t_run("matchers", test_matchers);
    t_run("types and functions", test_types_and_functions);
    t_run("walk and positions", test_walk_and_positions);
    t_run("pathological inputs", test_pathological);
    t_run("series conformance", test_series_conformance);
    return t_done();
}
