#include "base/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/strbuf.h"
#include "base/utf8.h"
#include "base/xalloc.h"

/* The most key/value pairs one line may carry; further ones are ignored. */
#define LOG_MAX_KV 32

static _Atomic int log_level_ = LOG_LEVEL_INFO;
static pthread_mutex_t log_lock_ = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_out_;              /* NULL: stderr; guarded by log_lock_ */
static int64_t (*log_clock_)(void); /* NULL: wall clock; guarded by log_lock_ */

/* ORDER log_level */
static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i < (int)(sizeof level_names / sizeof level_names[0]); i++) {
        if (s && strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

const char *log_level_name(enum log_level level)
{
    if ((int)level < 0 || (int)level > LOG_LEVEL_ERROR)
        return "unknown";
    return level_names[level];
}

void log_set_level(enum log_level level)
{
    atomic_store(&log_level_, (int)level);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load(&log_level_);
}

int log_enabled(enum log_level level)
{
    return (int)level >= atomic_load(&log_level_);
}

void log_set_output(FILE *out)
{
    pthread_mutex_lock(&log_lock_);
    log_out_ = out;
    pthread_mutex_unlock(&log_lock_);
}

void log_set_clock(int64_t (*now_ms)(void))
{
    pthread_mutex_lock(&log_lock_);
    log_clock_ = now_ms;
    pthread_mutex_unlock(&log_lock_);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *log_format_time(char *buf, int64_t ms)
{
    /* Floor division so that times before 1970 still get 0..999 ms. */
    int64_t sec = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        strcpy(buf, "0001-01-01T00:00:00.000Z");
        return buf;
    }
    snprintf(buf, LOG_TIME_BUF, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
    return buf;
}


/* slog's rule: quote when empty or when any byte is a space, '=', '"', a
 * control byte, or part of invalid UTF-8. A backslash alone does not force quoting. */
static int needs_quoting(const unsigned char *s, size_t len)
{
    if (len == 0)
        return 1;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c <= ' ' || c == '=' || c == '"' || c == 0x7f)
                return 1;
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return 1;
        i += n;
    }
    return 0;
}

void log_append_value(struct strbuf *out, const char *v, size_t len)
{
    const unsigned char *s = (const unsigned char *)v;
    if (!needs_quoting(s, len)) {
        strbuf_add(out, v, len);
        return;
    }
    strbuf_addch(out, '"');
    for (size_t i = 0; i < len;) {
        unsigned c = s[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = utf8_decode(s + i, len - i, &cp);
            if (n == 0) {
                strbuf_addf(out, "\\x%02x", c);
                i++;
            } else {
                strbuf_add(out, s + i, n);
                i += n;
            }
            continue;
        }
        /* Go's strconv.Quote: short escapes where C has them, \xNN for other controls. */
        static const char from[] = "\"\\\a\b\f\n\r\t\v", to[] = "\"\\abfnrtv";
        const char *e = c ? memchr(from, (int)c, sizeof from - 1) : NULL;
        if (e) {
            strbuf_addch(out, '\\');
            strbuf_addch(out, to[e - from]);
        } else if (c < ' ' || c == 0x7f) {
            strbuf_addf(out, "\\x%02x", c);
        } else {
            strbuf_addch(out, (int)c);
        }
        i++;
    }
    strbuf_addch(out, '"');
}

/* Keys are program constants; still, a key must not break the line's shape,
 * and one that collides with a fixed field is renamed as promslog does. */
static void append_key(struct strbuf *out, const char *k)
{
    if (!*k) {
        strbuf_addstr(out, "!BADKEY");
        return;
    }
    if (!strcmp(k, "time") || !strcmp(k, "level") || !strcmp(k, "source") || !strcmp(k, "msg"))
        strbuf_addstr(out, "logged_");
    for (; *k; k++) {
        unsigned char c = (unsigned char)*k;
        strbuf_addch(out, (c <= ' ' || c == '=' || c == '"' || c == 0x7f) ? '_' : c);
    }
}

void log_format(struct strbuf *out, int64_t time_ms, enum log_level level, const char *file, int line,
                const char *msg, const char *const *kv, size_t nkv)
{
    char tbuf[LOG_TIME_BUF];
    strbuf_addstr(out, "time=");
    strbuf_addstr(out, log_format_time(tbuf, time_ms));
    strbuf_addstr(out, " level=");
    strbuf_addstr(out, log_level_name(level));
    if (file) {
        const char *base = strrchr(file, '/');
        char src[256];
        snprintf(src, sizeof src, "%s:%d", base ? base + 1 : file, line);
        strbuf_addstr(out, " source=");
        log_append_value(out, src, strlen(src));
    }
    strbuf_addstr(out, " msg=");
    log_append_value(out, msg ? msg : "", msg ? strlen(msg) : 0);
    for (size_t i = 0; i < nkv; i += 2) {
        strbuf_addch(out, ' ');
        append_key(out, kv[i]);
        strbuf_addch(out, '=');
        const char *v = i + 1 < nkv ? kv[i + 1] : NULL;
        if (v)
            log_append_value(out, v, strlen(v));
        else
            strbuf_addstr(out, "<nil>");
    }
    strbuf_addch(out, '\n');
}

void log_write(enum log_level level, const char *file, int line, const char *msg, ...)
{
    if (!log_enabled(level))
        return;
    const char *kv[LOG_MAX_KV * 2];
    size_t nkv = 0;
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (nkv < LOG_MAX_KV * 2) {
            kv[nkv++] = k;
            kv[nkv++] = v;
        }
    }
    va_end(ap);

    struct strbuf sb = STRBUF_INIT;
    pthread_mutex_lock(&log_lock_);
    int64_t now = log_clock_ ? log_clock_() : wall_ms();
    log_format(&sb, now, level, file, line, msg, kv, nkv);
    FILE *out = log_out_ ? log_out_ : stderr;
    fwrite(sb.buf, 1, sb.len, out);
    fflush(out);
    pthread_mutex_unlock(&log_lock_);
    strbuf_release(&sb);
}

/* Query parameter names whose values are credentials often enough to hide. */
static int secret_param(const char *name, size_t len)
{
    static const char *const words[] = {"token", "password", "passwd",    "secret",
                                        "key",   "auth",     "signature", "credential"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= len; i++)
            if (strncasecmp(name + i, words[w], wl) == 0)
                return 1;
    }
    return 0;
}

char *log_redact_url(const char *url)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p = url;
    const char *scheme_end = strstr(url, "://");
    if (scheme_end) {
        const char *auth = scheme_end + 3;
        size_t auth_len = strcspn(auth, "/?#");
        const char *at = NULL;
        for (size_t i = 0; i < auth_len; i++)
            if (auth[i] == '@')
                at = auth + i; /* the last '@' ends the userinfo */
        strbuf_add(&sb, url, (size_t)(auth - url));
        if (at) {
            const char *colon = memchr(auth, ':', (size_t)(at - auth));
            if (colon) {
                strbuf_add(&sb, auth, (size_t)(colon - auth));
                strbuf_addstr(&sb, ":xxxxx");
            } else {
                strbuf_add(&sb, auth, (size_t)(at - auth));
            }
            p = at;
        } else {
            p = auth;
        }
    }
    /* Copy up to the query, then redact parameter values one by one. */
    size_t pre = strcspn(p, "?#");
    strbuf_add(&sb, p, pre);
    p += pre;
    if (*p == '?') {
        strbuf_addch(&sb, '?');
        p++;
        while (*p && *p != '#') {
            size_t plen = strcspn(p, "&#");
            size_t nlen = strcspn(p, "=&#");
            if (nlen < plen && secret_param(p, nlen)) {
                strbuf_add(&sb, p, nlen + 1);
                strbuf_addstr(&sb, "xxxxx");
            } else {
                strbuf_add(&sb, p, plen);
            }
            p += plen;
            if (*p == '&') {
                strbuf_addch(&sb, '&');
                p++;
            }
        }
    }
    strbuf_addstr(&sb, p); /* the fragment, if any */
    return strbuf_detach(&sb);
}

const char *log_fmt_int_(char *buf, long long v)
{
    snprintf(buf, 24, "%lld", v);
    return buf;
}

const char *log_fmt_uint_(char *buf, unsigned long long v)
{
    snprintf(buf, 24, "%llu", v);
    return buf;
}

const char *log_fmt_float_(char *buf, double v)
{
    snprintf(buf, 32, "%.6g", v);
    return buf;
}
