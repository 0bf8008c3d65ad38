#include "base/goquote.h"

#include "base/strbuf.h"
#include "base/utf8.h"

bool goquote_is_print(uint32_t r)
{
    if (r < 0x20 || r == 0x7F)
        return false;
    if (r < 0x7F)
        return true;
    if (r <= 0xA0 || r == 0xAD || r == 0x61C || r == 0x1680 || (r >= 0x2000 && r <= 0x200F) ||
        (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) || r == 0x3000 || r == 0xFEFF ||
        (r >= 0xFFF9 && r <= 0xFFFB) || (r >= 0xD800 && r <= 0xF8FF) || r >= 0xF0000 || r == 0xFFFE ||
        r == 0xFFFF || (r >= 0x180B && r <= 0x180E))
        return false;
    return true;
}

static void encode(struct strbuf *out, uint32_t r)
{
    if (r < 0x80) {
        strbuf_addch(out, (int)r);
    } else if (r < 0x800) {
        strbuf_addch(out, (int)(0xC0 | (r >> 6)));
        strbuf_addch(out, (int)(0x80 | (r & 0x3F)));
    } else if (r < 0x10000) {
        strbuf_addch(out, (int)(0xE0 | (r >> 12)));
        strbuf_addch(out, (int)(0x80 | ((r >> 6) & 0x3F)));
        strbuf_addch(out, (int)(0x80 | (r & 0x3F)));
    } else {
        strbuf_addch(out, (int)(0xF0 | (r >> 18)));
        strbuf_addch(out, (int)(0x80 | ((r >> 12) & 0x3F)));
        strbuf_addch(out, (int)(0x80 | ((r >> 6) & 0x3F)));
        strbuf_addch(out, (int)(0x80 | (r & 0x3F)));
    }
}

/* One rune inside quotes q (strconv's appendEscapedRune). */
static void escaped_rune(struct strbuf *out, uint32_t r, int q, int flags)
{
    if (r == (uint32_t)q || r == '\\') {
        strbuf_addch(out, '\\');
        strbuf_addch(out, (int)r);
        return;
    }
    if ((flags & GOQUOTE_ASCII) ? (r < 0x80 && goquote_is_print(r)) : goquote_is_print(r)) {
        encode(out, r);
        return;
    }
    switch (r) {
    case '\a': strbuf_addstr(out, "\\a"); return;
    case '\b': strbuf_addstr(out, "\\b"); return;
    case '\f': strbuf_addstr(out, "\\f"); return;
    case '\n': strbuf_addstr(out, "\\n"); return;
    case '\r': strbuf_addstr(out, "\\r"); return;
    case '\t': strbuf_addstr(out, "\\t"); return;
    case '\v': strbuf_addstr(out, "\\v"); return;
    }
    if (r < ' ' || r == 0x7F)
        strbuf_addf(out, "\\x%02x", (unsigned)r);
    else if (r < 0x10000)
        strbuf_addf(out, "\\u%04x", (unsigned)r);
    else
        strbuf_addf(out, "\\U%08x", (unsigned)r);
}

void goquote(struct strbuf *out, const char *s, size_t len, int flags)
{
    const unsigned char *p = (const unsigned char *)s;
    strbuf_addch(out, '"');
    for (size_t i = 0; i < len;) {
        uint32_t r;
        size_t n = utf8_decode(p + i, len - i, &r);
        if (n == 0) {
            strbuf_addf(out, "\\x%02x", p[i]);
            i++;
            continue;
        }
        escaped_rune(out, r, '"', flags);
        i += n;
    }
    strbuf_addch(out, '"');
}

void goquote_rune(struct strbuf *out, uint32_t r, int flags)
{
    if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
        r = 0xFFFD;
    strbuf_addch(out, '\'');
    escaped_rune(out, r, '\'', flags);
    strbuf_addch(out, '\'');
}
