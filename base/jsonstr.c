#include "base/jsonstr.h"

#include <pthread.h>
#include <stdint.h>

#include "base/strbuf.h"
#include "base/utf8.h"

/* Bytes that go out unchanged: printable ASCII except " \\ < > &. */
static unsigned char plain_byte[256];

static void init_plain(void)
{
    for (int c = 0x20; c < 0x80; c++)
        plain_byte[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

void jsonstr_escape(struct strbuf *out, const char *s, size_t len, int flags)
{
    static const char hex[] = "0123456789abcdef";
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_plain);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    strbuf_grow(out, len + 2);
    while (i < len) {
        /* Copy the longest run of plain bytes at once. */
        size_t j = i;
        while (j < len && plain_byte[p[j]])
            j++;
        if (j > i) {
            strbuf_add(out, p + i, j - i);
            i = j;
            if (i == len)
                break;
        }
        unsigned c = p[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = utf8_decode(p + i, len - i, &cp);
            if (n == 0) {
                /* As Go does: each invalid byte becomes one U+FFFD. */
                strbuf_addstr(out, "\\ufffd");
                i++;
            } else if (n == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
                /* U+2028/U+2029 break JavaScript string literals. */
                strbuf_addstr(out, p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
                i += 3;
            } else {
                strbuf_add(out, p + i, n);
                i += n;
            }
            continue;
        }
        switch (c) {
        case '"':
            strbuf_addstr(out, "\\\"");
            break;
        case '\\':
            strbuf_addstr(out, "\\\\");
            break;
        case '\n':
            strbuf_addstr(out, "\\n");
            break;
        case '\r':
            strbuf_addstr(out, "\\r");
            break;
        case '\t':
            strbuf_addstr(out, "\\t");
            break;
        case '\b':
        case '\f':
            if (flags & JSONSTR_SHORT_BF) {
                strbuf_addstr(out, c == '\b' ? "\\b" : "\\f");
                break;
            }
            /* fall through */
        default: {
            /* Other control characters and the HTML-sensitive <, >, &
             * as \u00XX, as Prometheus's encoder writes them. */
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            strbuf_add(out, e, sizeof e);
        }
        }
        i++;
    }
}
