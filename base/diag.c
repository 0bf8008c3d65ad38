#include "base/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"

void diag_list_init(struct diag_list *dl)
{
    memset(dl, 0, sizeof *dl);
}

void diag_list_release(struct diag_list *dl)
{
    for (size_t i = 0; i < dl->len; i++)
        free(dl->items[i].msg);
    free(dl->items);
    diag_list_init(dl);
}

void diag_add(struct diag_list *dl, enum diag_code code, struct span span, const char *file,
              const char *fmt, ...)
{
    size_t max = dl->max ? dl->max : 100;
    if (dl->len >= max) {
        dl->dropped++;
        return;
    }
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    XGROW(dl->items, dl->cap, dl->len + 1);
    struct diag *d = &dl->items[dl->len++];
    d->code = code;
    d->span = span;
    d->file = file;
    d->msg = strbuf_detach(&sb);
}

void diag_line_col(const char *src, size_t len, uint32_t off, int *line, int *col)
{
    int l = 1;
    size_t bol = 0;
    if (off > len)
        off = (uint32_t)len;
    for (size_t i = 0; i < off; i++) {
        if (src[i] == '\n') {
            l++;
            bol = i + 1;
        }
    }
    *line = l;
    *col = (int)(off - bol) + 1;
}

void diag_render(struct strbuf *out, const struct diag *d, const char *src, size_t len, int caret)
{
    int line = 1, col = 1;
    if (src)
        diag_line_col(src, len, d->span.start, &line, &col);
    if (d->file)
        strbuf_addf(out, "%s:", d->file);
    strbuf_addf(out, "%d:%d: %s\n", line, col, d->msg);
    if (!caret || !src)
        return;
    size_t bol = d->span.start > len ? len : d->span.start;
    while (bol > 0 && src[bol - 1] != '\n')
        bol--;
    size_t eol = bol;
    while (eol < len && src[eol] != '\n')
        eol++;
    strbuf_addstr(out, "  ");
    strbuf_add(out, src + bol, eol - bol);
    strbuf_addstr(out, "\n  ");
    for (int i = 1; i < col; i++)
        strbuf_addch(out, src[bol + (size_t)i - 1] == '\t' ? '\t' : ' ');
    strbuf_addstr(out, "^\n");
}
