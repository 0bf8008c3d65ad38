/* log: process-wide structured logging in logfmt, shaped like Prometheus's
 * (promslog) so the same log tooling reads both:
 *
 *   time=2026-11-25T20:00:00.000Z level=info source=alertmanager.c:321 msg="Error sending alerts" count=3
 *
 * One line per call, written whole under a lock, so threads never interleave.
 * Values are quoted only when they need it (empty, spaces, '=', '"',
 * control bytes, invalid UTF-8) and then escaped as Go's strconv.Quote does.
 * Secrets never belong in a log line: pass URLs through log_redact_url().
 *
 * Ownership rule: the logger owns nothing of its callers; every string passed
 * in is only read during the call. The output FILE is borrowed, never closed. */
#ifndef HEED_BASE_LOG_H
#define HEED_BASE_LOG_H

#include <stdint.h>
#include <stdio.h>

struct strbuf;

/* ORDER log_level: least to most severe. */
enum log_level {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
};

/* "debug", "info", "warn", "error" (as --log.level takes them); 0, or -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_set_level(enum log_level level); /* default info */
enum log_level log_get_level(void);
int log_enabled(enum log_level level);

/* Where lines go; NULL restores stderr. The FILE is flushed after each line. */
void log_set_output(FILE *out);
/* The clock for the time= field, in ms since the epoch; NULL restores the wall clock. */
void log_set_clock(int64_t (*now_ms)(void));

/* Writes one line. The variadic part is key, value pairs of const char *
 * ending with a NULL key; a NULL value prints as <nil>. Use the LOG_* macros,
 * which add the source position and the terminating NULL. */
void log_write(enum log_level level, const char *file, int line, const char *msg, ...);

/* Formats a whole line (with the trailing newline) without writing it. */
void log_format(struct strbuf *out, int64_t time_ms, enum log_level level, const char *file, int line,
                const char *msg, const char *const *kv, size_t nkv);

/* Appends v as a logfmt value: bare when safe, else quoted and escaped. */
void log_append_value(struct strbuf *out, const char *v, size_t len);

/* A copy of url with the password of its userinfo replaced by "xxxxx"
 * (as Go's url.Redacted does) and the values of query parameters whose names
 * look secret (token, password, secret, key, ...) likewise; xmalloc'd. */
char *log_redact_url(const char *url);

/* Formats ms since the epoch as RFC 3339 UTC with milliseconds,
 * "2025-01-01T00:00:00.000Z", into buf (at least LOG_TIME_BUF bytes). */
#define LOG_TIME_BUF 80
const char *log_format_time(char *buf, int64_t ms);

/* Number formatting into a caller-supplied buffer, for key/value arguments. */
const char *log_fmt_int_(char *buf, long long v);
const char *log_fmt_uint_(char *buf, unsigned long long v);
const char *log_fmt_float_(char *buf, double v);
#define LOG_INT(v) log_fmt_int_((char[24]){0}, (long long)(v))
#define LOG_UINT(v) log_fmt_uint_((char[24]){0}, (unsigned long long)(v))
#define LOG_FLOAT(v) log_fmt_float_((char[32]){0}, (double)(v))

#define LOG_AT_(level, ...)                                                                                  \
    do {                                                                                                     \
        if (log_enabled(level))                                                                              \
            log_write((level), __FILE__, __LINE__, __VA_ARGS__, (const char *)NULL);                         \
    } while (0)
/* LOG_INFO("msg", "key", value, ...): values are strings (LOG_INT etc. for numbers). */
#define LOG_DEBUG(...) LOG_AT_(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT_(LOG_LEVEL_INFO, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT_(LOG_LEVEL_WARN, __VA_ARGS__)
#define LOG_ERROR(...) LOG_AT_(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
