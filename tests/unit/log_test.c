/* Unit tests of base/log: logfmt shape, quoting, levels, threads, URL redaction. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "tests/t.h"

static int64_t fixed_clock(void)
{
    return INT64_C(1795636800123); /* 2026-11-25T20:00:00.123Z */
}

/* Runs fn with the log going to a memory stream; returns what was written (malloc'd). */
static char *capture(void (*fn)(void))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    log_set_output(f);
    log_set_clock(fixed_clock);
    fn();
    log_set_output(NULL);
    log_set_clock(NULL);
    fclose(f);
    return buf;
}

static void emit_basic(void)
{
    LOG_INFO("Server is ready", "component", "notifier", "count", LOG_INT(-3), "ok", LOG_UINT(7));
}

static void test_line_shape(void)
{
    log_set_level(LOG_LEVEL_INFO);
    char *out = capture(emit_basic);
    /* The source position is this file and the line of LOG_INFO above. */
    const char *prefix = "time=2026-11-25T20:00:00.123Z level=info source=log_test.c:";
    T_CHECK(strncmp(out, prefix, strlen(prefix)) == 0);
    T_CHECK(strstr(out, " msg=\"Server is ready\" component=notifier count=-3 ok=7\n") != NULL);
    T_CHECK(strchr(out, '\n') == out + strlen(out) - 1); /* exactly one line */
    free(out);
}

static void test_value_quoting(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"plain", "plain"},
        {"", "\"\""},
        {"two words", "\"two words\""},
        {"a=b", "\"a=b\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"back\\slash", "back\\slash"},
        {"tab\there", "\"tab\\there\""},
        {"line\nbreak", "\"line\\nbreak\""},
        {"bell\x07", "\"bell\\a\""},
        {"esc\x1b", "\"esc\\x1b\""},
        {"del\x7f", "\"del\\x7f\""},
        {"caf\xc3\xa9", "caf\xc3\xa9"}, /* valid UTF-8 stays bare */
        {"bad\xff", "\"bad\\xff\""},    /* invalid UTF-8 forces quoting */
        {"trunc\xe2\x82", "\"trunc\\xe2\\x82\""},
        {"http://h:9093/x?a=1", "\"http://h:9093/x?a=1\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        log_append_value(&sb, cases[i].in, strlen(cases[i].in));
        T_EQ_STR(sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
}

static void test_format_direct(void)
{
    const char *kv[] = {"err", "connection refused: \"x\"", "bad key", NULL, "level", "7"};
    struct strbuf sb = STRBUF_INIT;
    log_format(&sb, 0, LOG_LEVEL_ERROR, "/a/b/c.c", 12, "x", kv, 6);
    T_EQ_STR(sb.buf, "time=1970-01-01T00:00:00.000Z level=error source=c.c:12 msg=x "
                     "err=\"connection refused: \\\"x\\\"\" bad_key=<nil> logged_level=7\n");
    strbuf_release(&sb);
}

static void emit_all_levels(void)
{
    LOG_DEBUG("d");
    LOG_INFO("i");
    LOG_WARN("w");
    LOG_ERROR("e");
}

static void test_levels(void)
{
    enum log_level l;
    T_EQ_INT(log_level_parse("debug", &l), 0);
    T_EQ_INT(l, LOG_LEVEL_DEBUG);
    T_EQ_INT(log_level_parse("error", &l), 0);
    T_EQ_INT(l, LOG_LEVEL_ERROR);
    T_EQ_INT(log_level_parse("verbose", &l), -1);
    T_EQ_INT(log_level_parse(NULL, &l), -1);
    T_EQ_STR(log_level_name(LOG_LEVEL_WARN), "warn");

    log_set_level(LOG_LEVEL_WARN);
    char *out = capture(emit_all_levels);
    T_CHECK(strstr(out, "msg=d") == NULL);
    T_CHECK(strstr(out, "msg=i") == NULL);
    T_CHECK(strstr(out, "level=warn ") != NULL && strstr(out, "msg=w\n") != NULL);
    T_CHECK(strstr(out, "level=error ") != NULL && strstr(out, "msg=e\n") != NULL);
    free(out);

    log_set_level(LOG_LEVEL_DEBUG);
    out = capture(emit_all_levels);
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    T_EQ_INT(lines, 4);
    T_CHECK(strstr(out, "level=debug ") != NULL);
    free(out);
    log_set_level(LOG_LEVEL_INFO);
}

static void test_time_format(void)
{
    char buf[LOG_TIME_BUF];
    T_EQ_STR(log_format_time(buf, 0), "1970-01-01T00:00:00.000Z");
    T_EQ_STR(log_format_time(buf, INT64_C(1735689600000)), "2025-01-01T00:00:00.000Z");
    T_EQ_STR(log_format_time(buf, INT64_C(1735689599999)), "2024-12-31T23:59:59.999Z");
    T_EQ_STR(log_format_time(buf, -1), "1969-12-31T23:59:59.999Z");
    T_EQ_STR(log_format_time(buf, INT64_C(951782400007)), "2000-02-29T00:00:00.007Z");
}

#define THREADS 4
#define LINES_PER_THREAD 500

static void *log_many(void *arg)
{
    const char *name = arg;
    for (int i = 0; i < LINES_PER_THREAD; i++)
        LOG_INFO("concurrent line with some length to it", "thread", name, "i", LOG_INT(i), "payload",
                 "0123456789abcdefghijklmnopqrstuvwxyz 0123456789abcdefghijklmnopqrstuvwxyz");
    return NULL;
}

static void emit_threads(void)
{
    pthread_t th[THREADS];
    static const char *names[THREADS] = {"t0", "t1", "t2", "t3"};
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, log_many, (void *)names[i]);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
}

static void test_threads_do_not_interleave(void)
{
    log_set_level(LOG_LEVEL_INFO);
    char *out = capture(emit_threads);
    int lines = 0, good = 0;
    for (char *line = out; *line;) {
        char *nl = strchr(line, '\n');
        if (!nl)
            break;
        *nl = 0;
        lines++;
        const char *prefix = "time=2026-11-25T20:00:00.123Z level=info ";
        if (strncmp(line, prefix, strlen(prefix)) == 0 &&
            strstr(line, " msg=\"concurrent line with some length to it\" thread=t") &&
            strstr(line, "xyz\"") == nl - 4)
            good++;
        line = nl + 1;
    }
    T_EQ_INT(lines, THREADS * LINES_PER_THREAD);
    T_EQ_INT(good, THREADS * LINES_PER_THREAD);
    free(out);
}

static void test_redact_url(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"http://127.0.0.1:9093", "http://127.0.0.1:9093"},
        {"http://user:s3cret@am.example:9093/prefix", "http://user:xxxxx@am.example:9093/prefix"},
        {"https://user@am.example/", "https://user@am.example/"},
        {"https://u:p@ss@h/x", "https://u:xxxxx@h/x"},
        {"http://h/api?token=abc&x=1&api_key=k#frag", "http://h/api?token=xxxxx&x=1&api_key=xxxxx#frag"},
        {"http://h/path@with-at?Password=1", "http://h/path@with-at?Password=xxxxx"},
        {"not a url", "not a url"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = log_redact_url(cases[i].in);
        T_EQ_STR(got, cases[i].want);
        free(got);
    }
}

int main(void)
{
    t_run("line shape", test_line_shape);
    t_run("value quoting", test_value_quoting);
    t_run("format with keys", test_format_direct);
    t_run("levels", test_levels);
    t_run("time format", test_time_format);
    t_run("threads do not interleave", test_threads_do_not_interleave);
    t_run("redact url", test_redact_url);
    return t_done();
}
