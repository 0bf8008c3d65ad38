#include "base/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

char strbuf_empty_[1];

void strbuf_init(struct strbuf *sb)
{
    sb->buf = strbuf_empty_;
    sb->len = 0;
    sb->cap = 0;
}

void strbuf_release(struct strbuf *sb)
{
    if (sb->cap)
        free(sb->buf);
    strbuf_init(sb);
}

void strbuf_reset(struct strbuf *sb)
{
    strbuf_setlen(sb, 0);
}

char *strbuf_detach(struct strbuf *sb)
{
    char *p = sb->cap ? sb->buf : xstrdup("");
    strbuf_init(sb);
    return p;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return;
    size_t ncap = sb->cap ? sb->cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (sb->cap) {
        sb->buf = xrealloc(sb->buf, ncap);
    } else {
        sb->buf = xmalloc(ncap);
        sb->buf[0] = '\0';
    }
    sb->cap = ncap;
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
    if (!sb->cap)
        return;
    sb->len = len;
    sb->buf[len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
    strbuf_grow(sb, n);
    memcpy(sb->buf + sb->len, p, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
    strbuf_grow(sb, 1);
    sb->buf[sb->len++] = (char)c;
    sb->buf[sb->len] = '\0';
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(sb->buf + sb->len, sb->cap ? sb->cap - sb->len : 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    if (!sb->cap || (size_t)n >= sb->cap - sb->len) {
        strbuf_grow(sb, (size_t)n);
        vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
    }
    sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

int strbuf_read_file(struct strbuf *sb, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        strbuf_add(sb, tmp, n);
    int err = ferror(f);
    fclose(f);
    if (err) {
        errno = EIO;
        return -1;
    }
    if (!sb->cap)
        strbuf_grow(sb, 0);
    return 0;
}
