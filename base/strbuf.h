/* strbuf: growable NUL-terminated byte string (git's strbuf, smaller).
 * Ownership rule: a strbuf owns its buffer; strbuf_release() frees it and
 * strbuf_detach() hands it to the caller, who then free()s it. */
#ifndef HEED_BASE_STRBUF_H
#define HEED_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *buf;  /* always NUL-terminated once initialised */
    size_t len; /* bytes before the NUL */
    size_t cap; /* allocated bytes (0: buf points at a shared empty string) */
};

#define STRBUF_INIT {strbuf_empty_, 0, 0}
extern char strbuf_empty_[1];

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb); /* length 0, buffer kept */
char *strbuf_detach(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);

void strbuf_add(struct strbuf *sb, const void *p, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void strbuf_setlen(struct strbuf *sb, size_t len);

/* Reads a whole file; returns 0, or -1 with errno set. */
int strbuf_read_file(struct strbuf *sb, const char *path);

#endif
