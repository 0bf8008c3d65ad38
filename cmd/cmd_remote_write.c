/* heed remote-write: sends one sample through the remote-write queue, for
 * debugging a receiver and for the end-to-end tests. The series is written
 * selector-style, metric{name="value",...}, parsed here by a small parser of
 * its own (only '=' matchers make sense for a series). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "cmd/cmd.h"
#include "base/arena.h"
#include "base/diag.h"
#include "compat/remote_write.h"
#include "grammar/parse.h"

static const char usage[] =
    "heed remote-write --url URL [--label NAME=VALUE]... [--header 'Name: value']...\n"
    "         [--bearer-token-file FILE | --basic-auth-user USER [--basic-auth-password-file FILE]]\n"
    "         [--tls-ca-file FILE] [--tls-cert-file FILE --tls-key-file FILE] [--tls-insecure-skip-verify]\n"
    "         [--timeout SECONDS] [--flush-deadline SECONDS] [--min-backoff SECONDS] [--retry-on-429]\n"
    "         [--max-samples-per-send N]\n"
    "         'metric{name=\"value\",...}' VALUE|stale|'{{HISTOGRAM}}' [TIMESTAMP_MS] [SERIES VALUE [TIMESTAMP_MS]]...\n"
    "HISTOGRAM: a float native histogram as promqltest writes one, e.g.\n"
    "  '{{schema:0 sum:1.5 count:3 buckets:[1 2] offset:1 z_bucket:0 z_bucket_w:0.001}}'";

#define MAX_LABELS 64

struct series_text {
    struct remote_write_label labels[MAX_LABELS]; /* parsed labels; strings owned by store */
    size_t nlabels;                               /* entries used */
    char *store[MAX_LABELS * 2];                  /* malloc'd names and values */
    size_t nstore;                                /* entries used */
};

static void series_text_release(struct series_text *st)
{
    for (size_t i = 0; i < st->nstore; i++)
        free(st->store[i]);
    st->nstore = 0;
    st->nlabels = 0;
}

static int add_label(struct series_text *st, char *name, char *value)
{
    if (st->nlabels == MAX_LABELS) {
        free(name);
        free(value);
        return -1;
    }
    st->store[st->nstore++] = name;
    st->store[st->nstore++] = value;
    st->labels[st->nlabels].name = name;
    st->labels[st->nlabels].value = value;
    st->nlabels++;
    return 0;
}

static int is_name_char(int c, int first, int colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
           (!first && c >= '0' && c <= '9');
}

/* A quoted string as PromQL writes it: "..." or '...' with backslash escapes,
 * or `...` taken literally. Returns the unquoted copy and advances *pp. */
static char *parse_quoted(const char **pp, const char **why)
{
    const char *p = *pp;
    char q = *p;
    if (q != '"' && q != '\'' && q != '`') {
        *why = "expected a quoted label value";
        return NULL;
    }
    struct strbuf sb = STRBUF_INIT;
    for (p++; *p && *p != q; p++) {
        if (*p != '\\' || q == '`') {
            strbuf_addch(&sb, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 'n': strbuf_addch(&sb, '\n'); break;
        case 't': strbuf_addch(&sb, '\t'); break;
        case 'r': strbuf_addch(&sb, '\r'); break;
        case '\\': case '"': case '\'': strbuf_addch(&sb, *p); break;
        default:
            strbuf_release(&sb);
            *why = "unsupported escape in label value";
            return NULL;
        }
    }
    if (*p != q) {
        strbuf_release(&sb);
        *why = "unterminated label value";
        return NULL;
    }
    *pp = p + 1;
    return strbuf_detach(&sb);
}

static void skip_space(const char **pp)
{
    while (**pp == ' ' || **pp == '\t')
        (*pp)++;
}

/* metric{a="b", c="d"}, {__name__="m"} or a bare metric name. Returns NULL,
 * or a message with *at set to the offending byte offset. */
static const char *parse_series(const char *text, struct series_text *st, size_t *at)
{
    const char *p = text, *why = NULL;
    skip_space(&p);
    if (is_name_char((unsigned char)*p, 1, 1)) {
        const char *start = p;
        while (is_name_char((unsigned char)*p, 0, 1))
            p++;
        add_label(st, xstrdup("__name__"), xstrndup(start, (size_t)(p - start)));
    }
    skip_space(&p);
    if (*p == '{') {
        p++;
        for (;;) {
            skip_space(&p);
            if (*p == '}')
                break;
            const char *start = p;
            if (!is_name_char((unsigned char)*p, 1, 0)) {
                why = "expected a label name";
                goto fail;
            }
            while (is_name_char((unsigned char)*p, 0, 0))
                p++;
            char *name = xstrndup(start, (size_t)(p - start));
            skip_space(&p);
            if (*p != '=' || p[1] == '=' || p[1] == '~') {
                free(name);
                why = "expected '=' (a series has no other matchers)";
                goto fail;
            }
            p++;
            skip_space(&p);
            char *value = parse_quoted(&p, &why);
            if (!value) {
                free(name);
                goto fail;
            }
            if (add_label(st, name, value) < 0) {
                why = "too many labels";
                goto fail;
            }
            skip_space(&p);
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p != '}') {
                why = "expected ',' or '}'";
                goto fail;
            }
        }
        p++;
    }
    skip_space(&p);
    if (*p) {
        why = "unexpected text after the series";
        goto fail;
    }
    if (st->nlabels == 0) {
        why = "empty series";
        goto fail;
    }
    return NULL;
fail:
    *at = (size_t)(p - text);
    return why;
}

static int parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno)
        return -1;
    if (!strcmp(end, "ms"))
        v /= 1000;
    else if (!strcmp(end, "m"))
        v *= 60;
    else if (*end && strcmp(end, "s"))
        return -1;
    if (!(v >= 0))
        return -1;
    *out = v;
    return 0;
}

/* logfmt, as heed's and Prometheus's logs look. */
static void log_stderr(void *ctx, enum remote_write_log_level level, const char *msg)
{
    (void)ctx;
    static const char *const names[] = {"debug", "info", "warn", "error"};
    fprintf(stderr, "level=%s component=remote_write msg=\"", names[level]);
    for (const char *p = msg; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', stderr);
        fputc(*p, stderr);
    }
    fputs("\"\n", stderr);
}

/* A timestamp argument is all digits; a series never is, so the optional
 * timestamp after a value is unambiguous. */
static int is_timestamp(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* One positional group: SERIES VALUE [TIMESTAMP_MS]. */
struct point {
    struct series_text st;             /* its labels */
    struct remote_write_sample sample; /* its one sample */
    const struct histogram *h;         /* or its native histogram (in hist_arena) */
};

/* Histogram values parsed from the command line live here until exit. */
static struct arena hist_arena;

/* Parses "{{...}}" (promqltest's notation) into a histogram; NULL if it is not one. */
static const struct histogram *parse_histogram(const char *v)
{
    struct strbuf desc = STRBUF_INIT;
    strbuf_addf(&desc, "x %s", v);
    struct parse_series ps;
    struct diag_list dl;
    diag_list_init(&dl);
    const struct histogram *h = NULL;
    if (parse_series_desc_histograms(desc.buf, desc.len, &hist_arena, &ps, &dl) == 0 && ps.nsamples == 1 &&
        ps.samples[0].kind == PARSE_SAMPLE_HISTOGRAM)
        h = ps.samples[0].h;
    diag_list_release(&dl);
    strbuf_release(&desc);
    return h;
}

/* Parses positionals into points (room for npos/2); returns how many, or -1. */
static long parse_points(char **pos, size_t npos, char **extra, size_t nextra, struct point *pts)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    long n = 0;
    for (size_t i = 0; i < npos;) {
        if (i + 1 >= npos) {
            cmd_usage_error(usage, "series '%s' has no value", pos[i]);
            return -1;
        }
        struct point *pt = &pts[n++];
        size_t at;
        const char *why = parse_series(pos[i], &pt->st, &at);
        if (why) {
            cmd_usage_error(NULL, "series '%s', byte %zu: %s", pos[i], at + 1, why);
            return -1;
        }
        for (size_t j = 0; j < nextra; j++) {
            const char *eq = strchr(extra[j], '=');
            if (add_label(&pt->st, xstrndup(extra[j], (size_t)(eq - extra[j])), xstrdup(eq + 1)) < 0) {
                cmd_usage_error(NULL, "too many labels");
                return -1;
            }
        }
        const char *v = pos[i + 1];
        pt->h = NULL;
        if (!strcmp(v, "stale")) {
            pt->sample.value = remote_write_stale_nan();
        } else if (!strncmp(v, "{{", 2)) {
            if (!(pt->h = parse_histogram(v))) {
                cmd_usage_error(usage, "bad histogram '%s'", v);
                return -1;
            }
        } else {
            char *end;
            pt->sample.value = strtod(v, &end);
            if (end == v || *end) {
                cmd_usage_error(usage, "bad value '%s' (a number, NaN, +Inf, -Inf or stale)", v);
                return -1;
            }
        }
        pt->sample.timestamp_ms = now_ms;
        i += 2;
        if (i < npos && is_timestamp(pos[i])) {
            errno = 0;
            long long ts = strtoll(pos[i], NULL, 10);
            if (errno) {
                cmd_usage_error(usage, "bad timestamp '%s' (milliseconds since the epoch)", pos[i]);
                return -1;
            }
            pt->sample.timestamp_ms = ts;
            i++;
        }
    }
    return n;
}

int cmd_remote_write(int argc, char **argv)
{
    struct remote_write_config cfg;
    remote_write_config_defaults(&cfg);
    cfg.user_agent = "heed/" HEED_VERSION;
    cfg.flush_deadline = 10;
    cfg.log = log_stderr;
    arena_init(&hist_arena, 0);
    const char *headers[32];
    size_t nheaders = 0, npos = 0, nextra = 0;
    char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
    char **extra = xcalloc((size_t)argc + 1, sizeof *extra); /* --label NAME=VALUE */
    struct point *pts = xcalloc((size_t)argc / 2 + 1, sizeof *pts);
    long npts = 0;
    int rc = 2, options_done = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* Only "--" options: a negative VALUE such as -1 stays positional. */
        if (options_done || strncmp(a, "--", 2) != 0) {
            pos[npos++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--")) {
            options_done = 1;
            continue;
        }
        if (!strcmp(a, "--tls-insecure-skip-verify")) {
            cfg.tls_insecure_skip_verify = 1;
            continue;
        }
        if (!strcmp(a, "--retry-on-429")) {
            cfg.retry_on_http_429 = 1;
            continue;
        }
        if (i + 1 >= argc) {
            cmd_usage_error(usage, "%s needs a value", a);
            goto out;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--url")) {
            cfg.url = v;
        } else if (!strcmp(a, "--label")) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v) {
                cmd_usage_error(usage, "--label wants NAME=VALUE, got '%s'", v);
                goto out;
            }
            extra[nextra++] = argv[i];
        } else if (!strcmp(a, "--header")) {
            if (nheaders == sizeof headers / sizeof headers[0]) {
                cmd_usage_error(usage, "too many --header options");
                goto out;
            }
            headers[nheaders++] = v;
        } else if (!strcmp(a, "--bearer-token-file")) {
            cfg.bearer_token_file = v;
        } else if (!strcmp(a, "--basic-auth-user")) {
            cfg.basic_auth_username = v;
        } else if (!strcmp(a, "--basic-auth-password-file")) {
            cfg.basic_auth_password_file = v;
        } else if (!strcmp(a, "--tls-ca-file")) {
            cfg.tls_ca_file = v;
        } else if (!strcmp(a, "--tls-cert-file")) {
            cfg.tls_cert_file = v;
        } else if (!strcmp(a, "--tls-key-file")) {
            cfg.tls_key_file = v;
        } else if (!strcmp(a, "--max-samples-per-send")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (end == v || *end || n <= 0) {
                cmd_usage_error(usage, "%s: bad count '%s'", a, v);
                goto out;
            }
            cfg.max_samples_per_send = (size_t)n;
        } else if (!strcmp(a, "--timeout") || !strcmp(a, "--flush-deadline") ||
                   !strcmp(a, "--min-backoff")) {
            double secs;
            if (parse_seconds(v, &secs) < 0) {
                cmd_usage_error(usage, "%s: bad duration '%s'", a, v);
                goto out;
            }
            if (!strcmp(a, "--timeout"))
                cfg.timeout = secs;
            else if (!strcmp(a, "--flush-deadline"))
                cfg.flush_deadline = secs;
            else
                cfg.min_backoff = secs;
        } else {
            cmd_usage_error(usage, "unknown option %s", a);
            goto out;
        }
    }
    if (!cfg.url) {
        cmd_usage_error(usage, "--url is required");
        goto out;
    }
    if (npos < 2) {
        cmd_usage_error(usage, "need a series and a value");
        goto out;
    }
    cfg.headers = headers;
    cfg.nheaders = nheaders;
    if (cfg.max_backoff < cfg.min_backoff)
        cfg.max_backoff = cfg.min_backoff;
    npts = parse_points(pos, npos, extra, nextra, pts);
    if (npts < 0) {
        npts = (long)(npos / 2 + 1); /* release whatever was parsed */
        goto out;
    }

    struct remote_write_error err;
    struct remote_write_queue *q = remote_write_queue_new(&cfg, &err);
    if (!q) {
        cmd_usage_error(NULL, "%s", err.msg);
        goto out;
    }
    /* Queue everything first, so the sender batches as the daemon's would. */
    for (long i = 0; i < npts; i++) {
        struct remote_write_series series = {pts[i].st.labels, pts[i].st.nlabels, &pts[i].sample, 1, NULL, 0};
        struct remote_write_bucket_span spans[2];
        struct remote_write_histogram rh;
        if (pts[i].h) {
            remote_write_histogram_of(pts[i].h, pts[i].sample.timestamp_ms, spans, &rh);
            series.samples = NULL;
            series.nsamples = 0;
            series.histograms = &rh;
            series.nhistograms = 1;
        }
        if (remote_write_queue_push(q, &series, &err) != REMOTE_WRITE_QUEUED) {
            cmd_usage_error(NULL, "series %ld: %s", i + 1, err.msg);
            remote_write_queue_free(q);
            goto out;
        }
    }
    rc = 1;
    if (remote_write_queue_start(q, &err) < 0) {
        fprintf(stderr, "heed: %s\n", err.msg);
        remote_write_queue_free(q);
        goto out;
    }
    remote_write_queue_stop(q);
    struct remote_write_stats s;
    remote_write_queue_stats(q, &s);
    remote_write_queue_free(q);
    printf("sent=%llu failed=%llu retried=%llu dropped=%llu requests=%llu bytes=%llu\n",
           (unsigned long long)s.samples_sent, (unsigned long long)s.samples_failed,
           (unsigned long long)s.samples_retried, (unsigned long long)s.samples_dropped,
           (unsigned long long)s.requests, (unsigned long long)s.bytes_sent);
    rc = s.samples_sent == (uint64_t)npts ? 0 : 1;
out:
    for (long i = 0; i < npts; i++)
        series_text_release(&pts[i].st);
    free(pts);
    free(pos);
    free(extra);
    arena_release(&hist_arena);
    return rc;
}
