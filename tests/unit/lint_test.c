/* lint_test: heed lint's library over in-memory rule files: the calendar
 * bound of alert-never-fires (month lengths, leap years), durations in
 * messages, disables, and the JSON and GitHub renderers' escaping. */
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "rules/lint.h"
#include "rules/rulefile.h"
#include "tests/t.h"

/* Lints src and returns the text output (caller frees); *errors gets the count. */
static char *lint_text(const char *src, enum lint_format fmt, size_t *errors)
{
    struct rulefile rf;
    struct diag_list dl;
    diag_list_init(&dl);
    struct rulefile_opts ro = {0};
    int rc = rulefile_parse(&rf, "t.yml", src, strlen(src), &ro, &dl);
    T_EQ_INT(rc, 0);
    diag_list_release(&dl);
    struct lint_report rep;
    lint_report_init(&rep);
    struct lint_opts o = {0};
    const struct rulefile *files[] = {&rf};
    char err[256];
    T_EQ_INT(lint_run(files, 1, &o, &rep, err, sizeof err), 0);
    struct strbuf out = STRBUF_INIT;
    lint_render(&out, &rep, fmt);
    if (errors)
        *errors = lint_report_errors(&rep);
    lint_report_release(&rep);
    rulefile_release(&rf);
    return strbuf_detach(&out);
}

static char *alert_with(const char *expr, const char *for_)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb,
                "groups:\n  # heed: disable=no-watchdog unit test\n  - name: g\n    rules:\n"
                "      # heed: on-missing=hold\n      - alert: A\n        expr: '%s'\n        for: %s\n",
                expr, for_);
    size_t errors = 0;
    char *out = lint_text(sb.buf, LINT_FORMAT_TEXT, &errors);
    strbuf_release(&sb);
    return out;
}

static int never_fires(const char *expr, const char *for_)
{
    char *out = alert_with(expr, for_);
    int r = strstr(out, "alert-never-fires") != NULL;
    free(out);
    return r;
}

static void test_calendar_bounds(void)
{
    static const struct {
        const char *expr, *for_;
        int never;
    } cases[] = {
        {"x > 1 and on() hour() == 3", "59m", 0},
        {"x > 1 and on() hour() == 3", "1h", 1},
        {"x > 1 and on() minute() < 5", "5m", 1},
        {"x > 1 and on() minute() < 5", "4m", 0},
        /* hours 22, 23, 0, 1 wrap around midnight: 4h */
        {"x > 1 and on() (hour() >= 22 or hour() < 2)", "5h", 0}, /* "or" lifts the bound */
        {"x > 1 and on() hour() != 12", "22h", 0},
        {"x > 1 and on() hour() != 12", "23h", 1},
        /* Feb 1..28 of a common year runs on into Mar 1..28: 56 days */
        {"x > 1 and on() day_of_month() <= 28", "55d", 0},
        {"x > 1 and on() day_of_month() <= 28", "56d", 1},
        /* Jan..Feb of a leap year: 60 days; Dec..Feb: 91 days */
        {"x > 1 and on() month() <= 2", "59d", 0},
        {"x > 1 and on() month() <= 2", "60d", 1},
        {"x > 1 and on() (month() == 12 or month() <= 2)", "400d", 0},
        {"x > 1 and on() month() == 2", "29d", 1},
        {"x > 1 and on() month() == 2", "28d", 0},
        {"x > 1 and on() day_of_week() > 0 < 6", "5d", 1},
        {"x > 1 and on() day_of_week() > 0 < 6", "4d", 0},
        {"x > 1 unless on() hour() == 3", "10h", 0},
        {"hour(vector(time())) == 3 and on() x > 1", "2h", 1},
        {"hour(x) == 3", "2h", 0}, /* the hour of a sample value: not the clock */
        {"x > 1 and on() hour() > 23", "0s", 1},
        {"vector(1) > 2", "0s", 1},
        {"vector(3) > 2", "0s", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = never_fires(cases[i].expr, cases[i].for_);
        if (got != cases[i].never)
            T_FAIL_("case %zu: %s for %s: got never=%d", i, cases[i].expr, cases[i].for_, got);
    }
}

static void test_durations(void)
{
    static const struct {
        long long ms;
        const char *want;
    } cases[] = {{0, "0s"},       {90000, "1m30s"},         {250, "250ms"},
                 {3600000, "1h"}, {86400000LL * 8, "1w1d"}, {61001, "1m1s1ms"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct strbuf sb = STRBUF_INIT;
        lint_format_duration(&sb, cases[i].ms);
        T_EQ_STR(sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
}

static void test_escaping(void)
{
    const char *src = "groups:\n  - name: g\n    rules:\n      - alert: Watchdog\n        expr: vector(1)\n"
                      "      - record: r\n        expr: 'rate(x{p=\"a%,b\"}[1m])'\n";
    size_t errors = 0;
    char *gh = lint_text(src, LINT_FORMAT_GITHUB, &errors);
    T_EQ_INT(errors, 1);
    T_CHECK(!strncmp(
        gh, "::error file=t.yml,line=7,col=16,title=rate-window-empty::rate(x{p=\"a%25,b\"}[1m])", 79));
    free(gh);
    char *js = lint_text(src, LINT_FORMAT_JSON, NULL);
    T_CHECK(strstr(js, "\"message\":\"rate(x{p=\\\"a%,b\\\"}[1m]): the 1m window") != NULL);
    T_CHECK(!strncmp(
        js,
        "[\n "
        "{\"file\":\"t.yml\",\"line\":7,\"column\":16,\"severity\":\"error\",\"check\":\"rate-window-empty\"",
        86));
    free(js);
}

static void test_check_table(void)
{
    for (int i = 0; i < LINT_CHECK_COUNT; i++) {
        const struct lint_check_info *ci = lint_check_info((enum lint_check)i);
        T_EQ_INT(lint_check_lookup(ci->id, strlen(ci->id)), i);
    }
    T_EQ_INT(lint_check_lookup("rate-window", 11), -1);
}

int main(void)
{
    t_run("calendar bounds of alert-never-fires", test_calendar_bounds);
    t_run("durations", test_durations);
    t_run("json and github escaping", test_escaping);
    t_run("check ids", test_check_table);
    return t_done();
}
