/* template_lex: the lexer of Go's text/template (parse/lex.go), one token
 * per call: trim markers, comments, actions, numbers, strings, identifiers,
 * with Go's line counting and error messages. */
#include <stdarg.h>
#include <string.h>

#include "rules/template_impl.h"

#define EOF_RUNE ((uint32_t)-1)

static uint32_t lx_next(struct tlexer *l)
{
    if (l->pos >= l->len) {
        l->at_eof = true;
        return EOF_RUNE;
    }
    uint32_t r;
    int w = goutf8_decode(l->in + l->pos, l->len - l->pos, &r);
    l->pos += (size_t)w;
    if (r == '\n')
        l->line++;
    return r;
}

static void lx_backup(struct tlexer *l)
{
    if (l->at_eof || l->pos == 0)
        return;
    /* Step back over one UTF-8 sequence. */
    size_t p = l->pos - 1;
    while (p > 0 && ((unsigned char)l->in[p] & 0xC0) == 0x80 && l->pos - p < 4)
        p--;
    uint32_t r;
    int w = goutf8_decode(l->in + p, l->pos - p, &r);
    if ((size_t)w != l->pos - p) { /* not a valid sequence: one byte back */
        p = l->pos - 1;
        r = (unsigned char)l->in[p];
    }
    l->pos = p;
    if (r == '\n')
        l->line--;
}

static uint32_t lx_peek(struct tlexer *l)
{
    uint32_t r = lx_next(l);
    lx_backup(l);
    return r;
}

static int count_nl(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += s[i] == '\n';
    return c;
}

static struct titem lx_this(struct tlexer *l, enum titype t)
{
    struct titem it = {t, (uint32_t)l->start, l->in + l->start, l->pos - l->start, l->start_line};
    l->start = l->pos;
    l->start_line = l->line;
    return it;
}

static bool lx_emit(struct tlexer *l, enum titype t)
{
    l->item = lx_this(l, t);
    return false;
}

static void lx_ignore(struct tlexer *l)
{
    l->line += count_nl(l->in + l->start, l->pos - l->start);
    l->start = l->pos;
    l->start_line = l->line;
}

__attribute__((format(printf, 2, 3))) static bool lx_errorf(struct tlexer *l, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    l->item = (struct titem){IT_ERROR, (uint32_t)l->start, arena_strdup(l->a, sb.buf), sb.len,
                            l->start_line};
    strbuf_release(&sb);
    l->start = 0;
    l->pos = 0;
    l->len = 0;
    return false;
}

static bool is_space(uint32_t r)
{
    return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

static bool is_alnum(uint32_t r)
{
    return r == '_' || gouni_is_letter(r) || gouni_is_digit(r);
}

static bool has_left_trim(const char *s, size_t n)
{
    return n >= 2 && s[0] == '-' && is_space((unsigned char)s[1]);
}

static bool has_right_trim(const char *s, size_t n)
{
    return n >= 2 && is_space((unsigned char)s[0]) && s[1] == '-';
}

static bool has_prefix(const struct tlexer *l, size_t at, const char *p)
{
    size_t n = strlen(p);
    return at <= l->len && l->len - at >= n && memcmp(l->in + at, p, n) == 0;
}

static void at_right_delim(struct tlexer *l, bool *delim, bool *trim)
{
    *delim = *trim = false;
    if (has_right_trim(l->in + l->pos, l->len - l->pos) && has_prefix(l, l->pos + 2, "}}")) {
        *delim = *trim = true;
        return;
    }
    if (has_prefix(l, l->pos, "}}"))
        *delim = true;
}

static size_t left_trim_len(const struct tlexer *l, size_t at)
{
    size_t i = at;
    while (i < l->len && is_space((unsigned char)l->in[i]))
        i++;
    return i - at;
}

enum lstate { LS_TEXT, LS_LEFT_DELIM, LS_COMMENT, LS_RIGHT_DELIM, LS_INSIDE, LS_SPACE, LS_IDENT,
              LS_FIELD, LS_VARIABLE, LS_CHAR, LS_NUMBER, LS_QUOTE, LS_RAWQUOTE, LS_DONE };

static bool lx_at_terminator(struct tlexer *l)
{
    uint32_t r = lx_peek(l);
    if (is_space(r))
        return true;
    switch (r) {
    case EOF_RUNE: case '.': case ',': case '|': case ':': case ')': case '(':
        return true;
    }
    return has_prefix(l, l->pos, "}}");
}

static enum titype keyword(const char *w, size_t n)
{
    static const struct {
        const char *w;
        enum titype t;
    } k[] = {{".", IT_DOT},       {"block", IT_BLOCK}, {"break", IT_BREAK}, {"continue", IT_CONTINUE},
             {"define", IT_DEFINE}, {"else", IT_ELSE},  {"end", IT_END},     {"if", IT_IF},
             {"range", IT_RANGE}, {"nil", IT_NIL},     {"template", IT_TEMPLATE}, {"with", IT_WITH}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (strlen(k[i].w) == n && memcmp(k[i].w, w, n) == 0)
            return k[i].t;
    return IT_ERROR;
}

static bool lx_accept(struct tlexer *l, const char *valid)
{
    uint32_t r = lx_next(l);
    if (r != EOF_RUNE && r < 128 && r != 0 && strchr(valid, (int)r))
        return true;
    lx_backup(l);
    return false;
}

static void lx_accept_run(struct tlexer *l, const char *valid)
{
    while (lx_accept(l, valid))
        ;
}

static bool lx_scan_number(struct tlexer *l)
{
    lx_accept(l, "+-");
    const char *digits = "0123456789_";
    if (lx_accept(l, "0")) {
        if (lx_accept(l, "xX"))
            digits = "0123456789abcdefABCDEF_";
        else if (lx_accept(l, "oO"))
            digits = "01234567_";
        else if (lx_accept(l, "bB"))
            digits = "01_";
    }
    lx_accept_run(l, digits);
    if (lx_accept(l, "."))
        lx_accept_run(l, digits);
    if (strlen(digits) == 11 && lx_accept(l, "eE")) {
        lx_accept(l, "+-");
        lx_accept_run(l, "0123456789_");
    }
    if (strlen(digits) == 23 && lx_accept(l, "pP")) {
        lx_accept(l, "+-");
        lx_accept_run(l, "0123456789_");
    }
    lx_accept(l, "i");
    if (is_alnum(lx_peek(l))) {
        lx_next(l);
        return false;
    }
    return true;
}

static void quote_arg(struct strbuf *sb, const char *s, size_t n)
{
    gofmt_quote(sb, s, n);
}

/* Runs states until one produces an item (Go's nextItem). */
struct titem tlex_next(struct tlexer *l)
{
    l->item = (struct titem){IT_EOF, (uint32_t)l->pos, "EOF", 3, l->start_line};
    enum lstate st = l->inside_action ? LS_INSIDE : LS_TEXT;
    bool more = true;
    while (more) {
        switch (st) {
        case LS_TEXT: {
            const char *x = l->pos <= l->len ? memmem(l->in + l->pos, l->len - l->pos, "{{", 2) : NULL;
            if (x) {
                size_t xo = (size_t)(x - (l->in + l->pos));
                if (xo > 0) {
                    l->pos += xo;
                    size_t trim = 0;
                    if (has_left_trim(l->in + l->pos + 2, l->len - l->pos - 2)) {
                        size_t p = l->pos;
                        while (p > l->start && is_space((unsigned char)l->in[p - 1]))
                            p--;
                        trim = l->pos - p;
                    }
                    l->pos -= trim;
                    l->line += count_nl(l->in + l->start, l->pos - l->start);
                    struct titem it = lx_this(l, IT_TEXT);
                    l->pos += trim;
                    lx_ignore(l);
                    if (it.len > 0) {
                        l->item = it;
                        more = false;
                        break;
                    }
                }
                st = LS_LEFT_DELIM;
                break;
            }
            l->pos = l->len;
            if (l->pos > l->start) {
                l->line += count_nl(l->in + l->start, l->pos - l->start);
                more = lx_emit(l, IT_TEXT);
            } else {
                more = lx_emit(l, IT_EOF);
            }
            break;
        }
        case LS_LEFT_DELIM: {
            l->pos += 2;
            bool trim = has_left_trim(l->in + l->pos, l->len - l->pos);
            size_t after = trim ? 2 : 0;
            if (has_prefix(l, l->pos + after, "/*")) {
                l->pos += after;
                lx_ignore(l);
                st = LS_COMMENT;
                break;
            }
            struct titem it = lx_this(l, IT_LDELIM);
            l->inside_action = true;
            l->pos += after;
            lx_ignore(l);
            l->paren_depth = 0;
            l->item = it;
            more = false;
            break;
        }
        case LS_COMMENT: {
            l->pos += 2;
            const char *x = memmem(l->in + l->pos, l->len - l->pos, "*/", 2);
            if (!x) {
                more = lx_errorf(l, "unclosed comment");
                break;
            }
            l->pos = (size_t)(x - l->in) + 2;
            bool delim, trim;
            at_right_delim(l, &delim, &trim);
            if (!delim) {
                more = lx_errorf(l, "comment ends before closing delimiter");
                break;
            }
            l->line += count_nl(l->in + l->start, l->pos - l->start);
            lx_this(l, IT_TEXT); /* the comment itself is dropped */
            if (trim)
                l->pos += 2;
            l->pos += 2;
            if (trim)
                l->pos += left_trim_len(l, l->pos);
            lx_ignore(l);
            st = LS_TEXT;
            break;
        }
        case LS_RIGHT_DELIM: {
            bool delim, trim;
            at_right_delim(l, &delim, &trim);
            if (trim) {
                l->pos += 2;
                lx_ignore(l);
            }
            l->pos += 2;
            struct titem it = lx_this(l, IT_RDELIM);
            if (trim) {
                l->pos += left_trim_len(l, l->pos);
                lx_ignore(l);
            }
            l->inside_action = false;
            l->item = it;
            more = false;
            break;
        }
        case LS_INSIDE: {
            bool delim, trim;
            at_right_delim(l, &delim, &trim);
            if (delim) {
                if (l->paren_depth == 0) {
                    st = LS_RIGHT_DELIM;
                    break;
                }
                more = lx_errorf(l, "unclosed left paren");
                break;
            }
            uint32_t r = lx_next(l);
            if (r == EOF_RUNE) {
                more = lx_errorf(l, "unclosed action");
            } else if (is_space(r)) {
                lx_backup(l);
                st = LS_SPACE;
            } else if (r == '=') {
                more = lx_emit(l, IT_ASSIGN);
            } else if (r == ':') {
                if (lx_next(l) != '=')
                    more = lx_errorf(l, "expected :=");
                else
                    more = lx_emit(l, IT_DECLARE);
            } else if (r == '|') {
                more = lx_emit(l, IT_PIPE);
            } else if (r == '"') {
                st = LS_QUOTE;
            } else if (r == '`') {
                st = LS_RAWQUOTE;
            } else if (r == '$') {
                st = LS_VARIABLE;
            } else if (r == '\'') {
                st = LS_CHAR;
            } else if (r == '.' && l->pos < l->len && (l->in[l->pos] < '0' || l->in[l->pos] > '9')) {
                st = LS_FIELD;
            } else if (r == '.' || r == '+' || r == '-' || (r >= '0' && r <= '9')) {
                lx_backup(l);
                st = LS_NUMBER;
            } else if (is_alnum(r)) {
                lx_backup(l);
                st = LS_IDENT;
            } else if (r == '(') {
                l->paren_depth++;
                more = lx_emit(l, IT_LPAREN);
            } else if (r == ')') {
                l->paren_depth--;
                if (l->paren_depth < 0)
                    more = lx_errorf(l, "unexpected right paren");
                else
                    more = lx_emit(l, IT_RPAREN);
            } else if (r < 128 && r >= 0x20 && r != 0x7f) {
                more = lx_emit(l, IT_CHAR);
            } else {
                struct strbuf u = STRBUF_INIT;
                gofmt_rune_u(&u, r);
                more = lx_errorf(l, "unrecognized character in action: %s", u.buf);
                strbuf_release(&u);
            }
            break;
        }
        case LS_SPACE: {
            int nspaces = 0;
            while (is_space(lx_peek(l))) {
                lx_next(l);
                nspaces++;
            }
            if (has_right_trim(l->in + l->pos - 1, l->len - l->pos + 1) &&
                has_prefix(l, l->pos - 1 + 2, "}}")) {
                lx_backup(l);
                if (nspaces == 1) {
                    st = LS_RIGHT_DELIM;
                    break;
                }
            }
            more = lx_emit(l, IT_SPACE);
            break;
        }
        case LS_IDENT: {
            uint32_t r;
            while (is_alnum(r = lx_next(l)))
                ;
            lx_backup(l);
            if (!lx_at_terminator(l)) {
                struct strbuf u = STRBUF_INIT;
                gofmt_rune_u(&u, r);
                more = lx_errorf(l, "bad character %s", u.buf);
                strbuf_release(&u);
                break;
            }
            const char *w = l->in + l->start;
            size_t n = l->pos - l->start;
            enum titype k = keyword(w, n);
            if (k > IT_KEYWORD)
                more = lx_emit(l, k);
            else if (w[0] == '.')
                more = lx_emit(l, IT_FIELD);
            else if ((n == 4 && !memcmp(w, "true", 4)) || (n == 5 && !memcmp(w, "false", 5)))
                more = lx_emit(l, IT_BOOL);
            else
                more = lx_emit(l, IT_IDENT);
            break;
        }
        case LS_VARIABLE:
            if (lx_at_terminator(l)) {
                more = lx_emit(l, IT_VARIABLE);
                break;
            }
            /* fall through */
        case LS_FIELD: {
            enum titype typ = st == LS_FIELD ? IT_FIELD : IT_VARIABLE;
            if (lx_at_terminator(l)) {
                more = lx_emit(l, typ == IT_VARIABLE ? IT_VARIABLE : IT_DOT);
                break;
            }
            uint32_t r;
            while (is_alnum(r = lx_next(l)))
                ;
            lx_backup(l);
            if (!lx_at_terminator(l)) {
                struct strbuf u = STRBUF_INIT;
                gofmt_rune_u(&u, r);
                more = lx_errorf(l, "bad character %s", u.buf);
                strbuf_release(&u);
                break;
            }
            more = lx_emit(l, typ);
            break;
        }
        case LS_CHAR:
        case LS_QUOTE: {
            uint32_t close = st == LS_CHAR ? '\'' : '"';
            bool bad = false;
            for (;;) {
                uint32_t r = lx_next(l);
                if (r == '\\') {
                    r = lx_next(l);
                    if (r != EOF_RUNE && r != '\n')
                        continue;
                    bad = true;
                    break;
                }
                if (r == EOF_RUNE || r == '\n') {
                    bad = true;
                    break;
                }
                if (r == close)
                    break;
            }
            if (bad)
                more = lx_errorf(l, st == LS_CHAR ? "unterminated character constant"
                                                  : "unterminated quoted string");
            else
                more = lx_emit(l, st == LS_CHAR ? IT_CHARCONST : IT_STRING);
            break;
        }
        case LS_RAWQUOTE: {
            bool bad = false;
            for (;;) {
                uint32_t r = lx_next(l);
                if (r == EOF_RUNE) {
                    bad = true;
                    break;
                }
                if (r == '`')
                    break;
            }
            more = bad ? lx_errorf(l, "unterminated raw quoted string") : lx_emit(l, IT_RAWSTRING);
            break;
        }
        case LS_NUMBER: {
            if (!lx_scan_number(l)) {
                struct strbuf q = STRBUF_INIT;
                quote_arg(&q, l->in + l->start, l->pos - l->start);
                more = lx_errorf(l, "bad number syntax: %s", q.buf);
                strbuf_release(&q);
                break;
            }
            uint32_t sign = lx_peek(l);
            if (sign == '+' || sign == '-') {
                if (!lx_scan_number(l) || l->in[l->pos - 1] != 'i') {
                    struct strbuf q = STRBUF_INIT;
                    quote_arg(&q, l->in + l->start, l->pos - l->start);
                    more = lx_errorf(l, "bad number syntax: %s", q.buf);
                    strbuf_release(&q);
                    break;
                }
                more = lx_emit(l, IT_COMPLEX);
                break;
            }
            more = lx_emit(l, IT_NUMBER);
            break;
        }
        case LS_DONE:
            more = false;
            break;
        }
    }
    return l->item;
}
