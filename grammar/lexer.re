/* lexer: the PromQL tokenizer (re2c 3.0, reentrant: all state is in struct pq_ctx).
 * It follows Prometheus's hand-written lexer (promql/parser/lex.go): the same
 * tokens, the same three contexts (expression, inside { }, inside [ ]) and the
 * same error messages, positioned at the start of the offending token.
 * The source handed to it is NUL-terminated; re2c:eof makes the NUL at the
 * limit the end marker, so NUL bytes inside the text are ordinary bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "grammar/pq.h"
#include "parser.h"

/*!conditions:re2c*/

/* Keywords are case-insensitive, as in Prometheus. ORDER does not matter. */
static const struct {
    const char *word;
    int tok;
} keywords[] = {
    {"and", TOK_LAND},         {"or", TOK_LOR},
    {"unless", TOK_LUNLESS},   {"atan2", TOK_ATAN2},
    {"sum", TOK_SUM},          {"avg", TOK_AVG},
    {"count", TOK_COUNT},      {"min", TOK_MIN},
    {"max", TOK_MAX},          {"group", TOK_GROUP},
    {"stddev", TOK_STDDEV},    {"stdvar", TOK_STDVAR},
    {"topk", TOK_TOPK},        {"bottomk", TOK_BOTTOMK},
    {"count_values", TOK_COUNT_VALUES}, {"quantile", TOK_QUANTILE},
    {"limitk", TOK_LIMITK},    {"limit_ratio", TOK_LIMIT_RATIO},
    {"offset", TOK_OFFSET},    {"by", TOK_BY},
    {"without", TOK_WITHOUT},  {"on", TOK_ON},
    {"ignoring", TOK_IGNORING}, {"group_left", TOK_GROUP_LEFT},
    {"group_right", TOK_GROUP_RIGHT}, {"bool", TOK_BOOL},
    {"fill", TOK_FILL},        {"fill_left", TOK_FILL_LEFT},
    {"fill_right", TOK_FILL_RIGHT},
    {"step", TOK_STEP},        {"range", TOK_RANGE},
    {"min_of", TOK_MIN_OF},    {"max_of", TOK_MAX_OF},
    {"inf", TOK_NUMBER},       {"nan", TOK_NUMBER},
    {"anchored", TOK_ANCHORED}, {"smoothed", TOK_SMOOTHED},
};

static int keyword(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strlen(keywords[i].word) == len && !strncasecmp(keywords[i].word, s, len))
            return keywords[i].tok;
    return 0;
}

static bool is_digit(int ch) { return ch >= '0' && ch <= '9'; }
static bool is_alpha(int ch) { return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static bool is_alnum(int ch) { return is_alpha(ch) || is_digit(ch); }

/* Byte at p, or -1 at the end of the source. */
static int at(const struct pq_ctx *c, const char *p)
{
    return p < c->src + c->len ? (unsigned char)*p : -1;
}

/* Decodes one UTF-8 rune at p (U+FFFD and length 1 for a bad byte), as Go's DecodeRune. */
static uint32_t decode_rune(const struct pq_ctx *c, const char *p, int *width)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t left = (size_t)(c->src + c->len - p);
    *width = 1;
    if (left == 0) {
        *width = 0;
        return 0xFFFD;
    }
    if (s[0] < 0x80)
        return s[0];
    int n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || (size_t)n > left || s[0] > 0xF4)
        return 0xFFFD;
    uint32_t r = s[0] & (0x3F >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0xFFFD;
        r = (r << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10FFFF)) || (r >= 0xD800 && r < 0xE000))
        return 0xFFFD;
    *width = n;
    return r;
}

/* Reports a lexer error at the current token and ends the token stream. */
static int lex_fail(struct pq_ctx *c, const char *fmt, const char *arg_q, uint32_t rune, int with_rune)
{
    struct strbuf m = STRBUF_INIT;
    struct strbuf q = STRBUF_INIT;
    if (with_rune)
        pq_quote_rune(&q, rune);
    else if (arg_q)
        strbuf_addstr(&q, arg_q);
    const char *hole = strstr(fmt, "%s"); /* fmt holds exactly one %s */
    strbuf_add(&m, fmt, (size_t)(hole - fmt));
    strbuf_addstr(&m, q.buf);
    strbuf_addstr(&m, hole + 2);
    struct span sp = {(uint32_t)(c->tok - c->src), (uint32_t)c->len};
    pq_error(c, DIAG_SYNTAX, sp, "%s", m.buf);
    strbuf_release(&m);
    strbuf_release(&q);
    c->last_lex_error = true;
    c->cur = c->src + c->len;
    return -1;
}

/* "U+0071 'q'" as Go's %#U prints a rune. */
static void format_U(char *buf, size_t n, uint32_t r)
{
    struct strbuf q = STRBUF_INIT;
    pq_quote_rune(&q, r);
    bool printable = r >= 0x20 && r != 0x7F && !(r >= 0x80 && r < 0xA0) && r != 0xFFFD;
    if (printable && q.len > 2 && q.buf[1] != '\\')
        snprintf(buf, n, "U+%04X %s", r, q.buf);
    else
        snprintf(buf, n, "U+%04X", r);
    strbuf_release(&q);
}

/* Appends rune r as UTF-8. */
static void add_utf8(struct strbuf *sb, uint32_t r)
{
    if (r < 0x80) {
        strbuf_addch(sb, (int)r);
    } else if (r < 0x800) {
        strbuf_addch(sb, (int)(0xC0 | (r >> 6)));
        strbuf_addch(sb, (int)(0x80 | (r & 0x3F)));
    } else if (r < 0x10000) {
        strbuf_addch(sb, (int)(0xE0 | (r >> 12)));
        strbuf_addch(sb, (int)(0x80 | ((r >> 6) & 0x3F)));
        strbuf_addch(sb, (int)(0x80 | (r & 0x3F)));
    } else {
        strbuf_addch(sb, (int)(0xF0 | (r >> 18)));
        strbuf_addch(sb, (int)(0x80 | ((r >> 12) & 0x3F)));
        strbuf_addch(sb, (int)(0x80 | ((r >> 6) & 0x3F)));
        strbuf_addch(sb, (int)(0x80 | (r & 0x3F)));
    }
}

/* Decodes the escape after a backslash (c->cur points after it) into c->sbuf.
 * Returns 0, or -1 after reporting the error as Prometheus's lexEscape does. */
static int scan_escape(struct pq_ctx *c, int quote)
{
    char ubuf[64], msg[128];
    int w;
    int ch = at(c, c->cur);
    int n = 0;
    uint32_t base = 0, maxval = 0;
    switch (ch) {
    case 'a': strbuf_addch(&c->sbuf, '\a'); c->cur++; return 0;
    case 'b': strbuf_addch(&c->sbuf, '\b'); c->cur++; return 0;
    case 'f': strbuf_addch(&c->sbuf, '\f'); c->cur++; return 0;
    case 'n': strbuf_addch(&c->sbuf, '\n'); c->cur++; return 0;
    case 'r': strbuf_addch(&c->sbuf, '\r'); c->cur++; return 0;
    case 't': strbuf_addch(&c->sbuf, '\t'); c->cur++; return 0;
    case 'v': strbuf_addch(&c->sbuf, '\v'); c->cur++; return 0;
    case '\\': strbuf_addch(&c->sbuf, '\\'); c->cur++; return 0;
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        n = 3, base = 8, maxval = 255;
        break;
    case 'x': n = 2, base = 16, maxval = 255; c->cur++; break;
    case 'u': n = 4, base = 16, maxval = 0x10FFFF; c->cur++; break;
    case 'U': n = 8, base = 16, maxval = 0x10FFFF; c->cur++; break;
    case -1:
        return lex_fail(c, "escape sequence not terminated%s", "", 0, 0);
    default:
        if (ch == quote) {
            strbuf_addch(&c->sbuf, quote);
            c->cur++;
            return 0;
        }
        format_U(ubuf, sizeof ubuf, decode_rune(c, c->cur, &w));
        snprintf(msg, sizeof msg, "unknown escape sequence %s", ubuf);
        return lex_fail(c, "%s", msg, 0, 0);
    }
    uint32_t x = 0;
    for (; n > 0; n--) {
        ch = at(c, c->cur);
        uint32_t d = is_digit(ch) ? (uint32_t)(ch - '0')
                     : (ch >= 'a' && ch <= 'f') ? (uint32_t)(ch - 'a' + 10)
                     : (ch >= 'A' && ch <= 'F') ? (uint32_t)(ch - 'A' + 10) : 16;
        if (d >= base) {
            if (ch == -1)
                return lex_fail(c, "escape sequence not terminated%s", "", 0, 0);
            format_U(ubuf, sizeof ubuf, decode_rune(c, c->cur, &w));
            snprintf(msg, sizeof msg, "illegal character %s in escape sequence", ubuf);
            return lex_fail(c, "%s", msg, 0, 0);
        }
        x = x * base + d;
        c->cur++;
    }
    if (x > maxval || (x >= 0xD800 && x < 0xE000))
        return lex_fail(c, "escape sequence is an invalid Unicode code point%s", "", 0, 0);
    if (maxval == 255)
        strbuf_addch(&c->sbuf, (int)x); /* \x and octal give raw bytes */
    else
        add_utf8(&c->sbuf, x);
    return 0;
}

/* Scans a number or a duration starting at c->tok, as lex.go's scanNumber and
 * acceptRemainingDuration: returns TOK_NUMBER, TOK_DURATION or -1 (error). */
static int scan_number(struct pq_ctx *c)
{
    const char *p = c->tok;
    bool hex = false;
    if (at(c, p) == '0' && (at(c, p + 1) == 'x' || at(c, p + 1) == 'X')) {
        p += 2;
        hex = true;
        if (at(c, p) == '_')
            p++;
    }
#define IS_DIG(ch) (hex ? (is_digit(ch) || ((ch) >= 'a' && (ch) <= 'f') || ((ch) >= 'A' && (ch) <= 'F')) : is_digit(ch))
    const char *start = p;
    bool ok = true, dot = false, expo = false;
    if (at(c, p) == '.')
        p++;
    if (IS_DIG(at(c, p)))
        p++;
    for (;;) {
        int ch = at(c, p);
        if (!(IS_DIG(ch) || ch == '.' || ch == '_' || ch == 'e' || ch == 'E'))
            break;
        if (ch == '.' && dot) {
            p++;
            ok = false;
            break;
        }
        if ((ch == 'e' || ch == 'E') && expo && !hex) {
            p++;
            ok = false;
            break;
        }
        if (ch == '.') {
            p++;
            dot = true;
            if (at(c, p) == '_' || at(c, p) == '.') {
                p++;
                ok = false;
                break;
            }
            if (hex) {
                ok = false;
                break;
            }
            continue;
        }
        if ((ch == 'e' || ch == 'E') && !hex) {
            p++;
            expo = true;
            if (at(c, p) == '+' || at(c, p) == '-')
                p++;
            int n = at(c, p);
            if (n == '.' || n == '_' || n == 'e' || n == 'E' || n == -1) {
                if (n != -1)
                    p++;
                ok = false;
                break;
            }
            continue;
        }
        if (ch == '_') {
            p++;
            int n = at(c, p);
            if (n == '.' || n == '_' || n == 'e' || n == 'E' || n == -1) {
                if (n != -1)
                    p++;
                ok = false;
                break;
            }
            continue;
        }
        while (IS_DIG(at(c, p)))
            p++;
    }
#undef IS_DIG
    if (ok && p == start && !hex)
        ok = false;
    if (ok && !is_alnum(at(c, p))) {
        c->cur = p;
        return TOK_NUMBER;
    }
    /* Not a plain number: maybe a duration ("5m", "1h30m"). */
    if (ok || !hex) {
        const char *q = p;
        if (strchr("smhdwy", at(c, q)) && at(c, q) > 0) {
            q++;
            if (at(c, q) == 's')
                q++;
            bool good = true;
            while (is_digit(at(c, q))) {
                while (is_digit(at(c, q)))
                    q++;
                if (at(c, q) > 0 && strchr("smhdw", at(c, q))) {
                    q++;
                    if (at(c, q) == 's')
                        q++;
                } else {
                    good = false;
                    break;
                }
            }
            if (good && !is_alnum(at(c, q))) {
                c->cur = q;
                return TOK_DURATION;
            }
            p = q + (good && at(c, q) != -1 ? 1 : 0);
        }
    }
    c->cur = p;
    struct strbuf q = STRBUF_INIT;
    pq_quote(&q, c->tok, (size_t)(p - c->tok));
    lex_fail(c, "bad number or duration syntax: %s", q.buf, 0, 0);
    strbuf_release(&q);
    return -1;
}

/* Error for an unexpected byte sequence at c->tok: fmt has one %s for the quoted rune. */
static int fail_rune(struct pq_ctx *c, const char *fmt, const char *p)
{
    int w;
    uint32_t r = p < c->src + c->len ? decode_rune(c, p, &w) : 0xFFFD;
    return lex_fail(c, fmt, NULL, r, 1);
}

static int nest(struct pq_ctx *c)
{
    if (++c->depth > c->max_depth) {
        struct span sp = {(uint32_t)(c->tok - c->src), (uint32_t)(c->cur - c->src)};
        pq_error(c, DIAG_LIMIT, sp, "expression nesting too deep (limit %zu)", c->max_depth);
        c->last_lex_error = true;
        c->cur = c->src + c->len;
        return -1;
    }
    return 0;
}

/* Whether the next non-blank byte after the current token is "(". */
static bool followed_by_paren(const struct pq_ctx *c)
{
    const char *p = c->cur;
    while (p < c->src + c->len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p < c->src + c->len && *p == '(';
}

/* Inside [ ] in duration position only these characters may follow. */
static int bracket_punct(struct pq_ctx *c, int tok)
{
    if (c->cond == yycBRACKET) {
        if (c->bracket_dur_state && tok != TOK_ADD && tok != TOK_SUB && tok != TOK_MUL && tok != TOK_DIV &&
            tok != TOK_MOD && tok != TOK_POW && tok != TOK_COMMA && tok != TOK_LEFT_PAREN &&
            tok != TOK_RIGHT_PAREN)
            return fail_rune(c, "unexpected character in duration expression: %s", c->tok);
        c->bracket_dur_state = true;
    }
    return tok;
}

/* Scans one token; returns its kind, 0 at the end, -1 after an error. */
static int scan(struct pq_ctx *c, struct pq_tok *val)
{
    const char *lim = c->src + c->len; /* YYLIMIT: the NUL after the text */
    int ret_cond = 0;                   /* condition to return to after a string */
    char quote = 0;                     /* the open string's quote character */
    const char *str_start = NULL;       /* start of the open string (errors point there) */
    for (;;) {
        const char *t0 = c->cur; /* start of this match (a piece of a string) */
        c->tok = str_start ? str_start : c->cur;
/*!re2c
        re2c:api:style = free-form;
        re2c:define:YYCTYPE = "unsigned char";
        re2c:define:YYCURSOR = "c->cur";
        re2c:define:YYMARKER = "c->mar";
        re2c:define:YYLIMIT = "lim";
        re2c:define:YYPEEK = "(unsigned char)*c->cur";
        re2c:define:YYSKIP = "++c->cur;";
        re2c:define:YYBACKUP = "c->mar = c->cur;";
        re2c:define:YYRESTORE = "c->cur = c->mar;";
        re2c:define:YYLESSTHAN = "lim - c->cur < @@{len}";
        re2c:define:YYGETCONDITION = "c->cond";
        re2c:define:YYSETCONDITION = "c->cond = @@;";
        re2c:define:YYFILL = "";
        re2c:yyfill:enable = 0;
        re2c:eof = 0;
        re2c:indent:top = 2;

        ws    = [ \t\r\n]+;
        ident = [a-zA-Z_:] [a-zA-Z0-9_:]*;
        label = [a-zA-Z_] [a-zA-Z0-9_]*;
        u2    = [\xc2-\xdf] [\x80-\xbf];
        u3    = "\xe0" [\xa0-\xbf] [\x80-\xbf] | [\xe1-\xec\xee\xef] [\x80-\xbf]{2} | "\xed" [\x80-\x9f] [\x80-\xbf];
        u4    = "\xf0" [\x90-\xbf] [\x80-\xbf]{2} | [\xf1-\xf3] [\x80-\xbf]{3} | "\xf4" [\x80-\x8f] [\x80-\xbf]{2};

        <EXPR, BRACES> "#" [^\n\r]* { continue; }
        <EXPR, BRACES, BRACKET> ws  { continue; }

        <EXPR, BRACKET> ","  { return bracket_punct(c, TOK_COMMA); }
        <EXPR, BRACKET> "*"  { return bracket_punct(c, TOK_MUL); }
        <EXPR, BRACKET> "/"  { return bracket_punct(c, TOK_DIV); }
        <EXPR, BRACKET> "%"  { return bracket_punct(c, TOK_MOD); }
        <EXPR, BRACKET> "+"  { return bracket_punct(c, TOK_ADD); }
        <EXPR, BRACKET> "-"  { return bracket_punct(c, TOK_SUB); }
        <EXPR, BRACKET> "^"  { return bracket_punct(c, TOK_POW); }
        <EXPR, BRACKET> "==" { return bracket_punct(c, TOK_EQLC); }
        <EXPR, BRACKET> "=~" {
            if (c->cond == yycBRACKET && c->bracket_dur_state)
                return fail_rune(c, "unexpected character in duration expression: %s", c->tok);
            return lex_fail(c, "unexpected character after '=': %s", "'~'", 0, 0);
        }
        <EXPR, BRACKET> "="  { return bracket_punct(c, TOK_EQL); }
        <EXPR, BRACKET> "!=" { return bracket_punct(c, TOK_NEQ); }
        <EXPR, BRACKET> "!"  {
            if (c->cond == yycBRACKET && c->bracket_dur_state)
                return fail_rune(c, "unexpected character in duration expression: %s", c->tok);
            return fail_rune(c, "unexpected character after '!': %s", c->cur);
        }
        <EXPR, BRACKET> "<=" { return bracket_punct(c, TOK_LTE); }
        <EXPR, BRACKET> "</" { return bracket_punct(c, TOK_TRIM_UPPER); }
        <EXPR, BRACKET> ">/" { return bracket_punct(c, TOK_TRIM_LOWER); }
        <EXPR, BRACKET> "<"  { return bracket_punct(c, TOK_LSS); }
        <EXPR, BRACKET> ">=" { return bracket_punct(c, TOK_GTE); }
        <EXPR, BRACKET> ">"  { return bracket_punct(c, TOK_GTR); }
        <EXPR, BRACKET> "@"  { return bracket_punct(c, TOK_AT); }
        <EXPR, BRACKET> "("  {
            int t = bracket_punct(c, TOK_LEFT_PAREN);
            if (t < 0 || nest(c) < 0)
                return -1;
            c->paren_depth++;
            return t;
        }
        <EXPR, BRACKET> ")"  {
            bool dur_state = c->bracket_dur_state; /* ")" leaves the bracket state as it was */
            int t = bracket_punct(c, TOK_RIGHT_PAREN);
            if (t < 0)
                return -1;
            if (--c->paren_depth < 0) {
                c->tok = c->cur; /* upstream reports it after the parenthesis */
                return lex_fail(c, "unexpected right parenthesis %s", "')'", 0, 0);
            }
            c->depth--;
            if (c->cond == yycBRACKET)
                c->bracket_dur_state = dur_state;
            return t;
        }
        <EXPR, BRACKET> "{"  {
            int t = bracket_punct(c, TOK_LEFT_BRACE);
            if (t < 0 || nest(c) < 0)
                return -1;
            c->cond = yycBRACES;
            return t;
        }
        <EXPR> "[" {
            if (nest(c) < 0)
                return -1;
            c->got_colon = false;
            c->bracket_dur_state = true;
            c->in_bracket = true;
            c->cond = yycBRACKET;
            return TOK_LEFT_BRACKET;
        }
        <BRACKET> "[" {
            if (c->bracket_dur_state)
                return fail_rune(c, "unexpected character in duration expression: %s", c->tok);
            return lex_fail(c, "unexpected left bracket %s", "'['", 0, 0);
        }
        <EXPR> "]" { return lex_fail(c, "unexpected right bracket %s", "']'", 0, 0); }
        <BRACKET> "]" {
            c->depth--;
            c->cond = yycEXPR;
            c->in_bracket = false;
            c->bracket_dur_state = false;
            return TOK_RIGHT_BRACKET;
        }
        <BRACKET> ":" {
            if (c->bracket_dur_state && !c->got_duration)
                return lex_fail(c, "unexpected colon before duration in duration expression%s", "", 0, 0);
            if (c->got_colon)
                return c->bracket_dur_state
                           ? lex_fail(c, "unexpected repeated colon in duration expression%s", "", 0, 0)
                           : lex_fail(c, "unexpected colon %s", "':'", 0, 0);
            c->got_colon = true;
            c->bracket_dur_state = true;
            return TOK_COLON;
        }
        <EXPR, BRACKET> [0-9] | "." [0-9] {
            if (c->cond == yycBRACKET) {
                c->bracket_dur_state = false;
                c->got_duration = true;
            }
            c->cur = c->tok;
            return scan_number(c);
        }
        <EXPR> ident {
            int kw = keyword(c->tok, (size_t)(c->cur - c->tok));
            if ((kw == TOK_FILL || kw == TOK_FILL_LEFT || kw == TOK_FILL_RIGHT) && !followed_by_paren(c))
                kw = 0; /* fill words are keywords only before "(", so "fill + fill" names metrics */
            if (kw)
                return kw;
            return memchr(c->tok, ':', (size_t)(c->cur - c->tok)) ? TOK_METRIC_IDENTIFIER : TOK_IDENTIFIER;
        }
        <BRACKET> [a-zA-Z_]+ {
            size_t n = (size_t)(c->cur - c->tok);
            int kw = keyword(c->tok, n);
            if (kw == TOK_STEP || kw == TOK_RANGE || kw == TOK_MIN_OF || kw == TOK_MAX_OF)
                return kw; /* the parser gates them as experimental */
            if (c->bracket_dur_state)
                return fail_rune(c, "unexpected character in duration expression: %s", c->tok);
            return fail_rune(c, "unexpected character: %s, expected ':'", c->tok);
        }
        <EXPR, BRACES, BRACKET> ["'] {
            if (c->cond == yycBRACKET && c->bracket_dur_state)
                return fail_rune(c, "unexpected character in duration expression: %s", c->tok);
            ret_cond = c->cond;
            quote = c->tok[0];
            str_start = c->tok;
            strbuf_reset(&c->sbuf);
            c->cond = yycSTR;
            continue;
        }
        <EXPR, BRACES, BRACKET> "`" {
            if (c->cond == yycBRACKET && c->bracket_dur_state)
                return fail_rune(c, "unexpected character in duration expression: %s", c->tok);
            ret_cond = c->cond;
            quote = '`';
            str_start = c->tok;
            strbuf_reset(&c->sbuf);
            c->cond = yycRAW;
            continue;
        }

        <STR> ["'] {
            if (c->cur[-1] != quote) {
                strbuf_addch(&c->sbuf, c->cur[-1]);
                continue;
            }
            c->cond = ret_cond;
            val->s = arena_memdup(c->arena, c->sbuf.buf, c->sbuf.len + 1);
            val->len = c->sbuf.len;
            return TOK_STRING;
        }
        <STR> "\\" { if (scan_escape(c, quote) < 0) return -1; continue; }
        <STR> [\n] { return lex_fail(c, "unterminated quoted string%s", "", 0, 0); }
        <STR> [^\n\\"'\x80-\xff]+ | u2 | u3 | u4 {
            strbuf_add(&c->sbuf, t0, (size_t)(c->cur - t0));
            continue;
        }
        <STR> "\xef\xbf\xbd" | [\x80-\xff] { return lex_fail(c, "invalid UTF-8 rune%s", "", 0, 0); }
        <STR> $ { return lex_fail(c, "unterminated quoted string%s", "", 0, 0); }

        <RAW> "`" {
            c->cond = ret_cond;
            val->s = arena_memdup(c->arena, c->sbuf.buf, c->sbuf.len + 1);
            val->len = c->sbuf.len;
            return TOK_STRING;
        }
        <RAW> [^`\x80-\xff]+ | u2 | u3 | u4 {
            strbuf_add(&c->sbuf, t0, (size_t)(c->cur - t0));
            continue;
        }
        <RAW> "\xef\xbf\xbd" | [\x80-\xff] { return lex_fail(c, "invalid UTF-8 rune%s", "", 0, 0); }
        <RAW> $ { return lex_fail(c, "unterminated raw string%s", "", 0, 0); }

        <BRACES> label { return TOK_IDENTIFIER; }
        <BRACES> ","   { return TOK_COMMA; }
        <BRACES> "=~"  { return TOK_EQL_REGEX; }
        <BRACES> "="   { return TOK_EQL; }
        <BRACES> "!~"  { return TOK_NEQ_REGEX; }
        <BRACES> "!="  { return TOK_NEQ; }
        <BRACES> "!"   { return fail_rune(c, "unexpected character after '!' inside braces: %s", c->cur); }
        <BRACES> "{"   { return lex_fail(c, "unexpected left brace %s", "'{'", 0, 0); }
        <BRACES> "}"   {
            c->depth--;
            c->cond = c->in_bracket ? yycBRACKET : yycEXPR;
            return TOK_RIGHT_BRACE;
        }
        <BRACES> $     { return lex_fail(c, "unexpected end of input inside braces%s", "", 0, 0); }
        <BRACES> *     { return fail_rune(c, "unexpected character inside braces: %s", c->tok); }

        <EXPR> $ {
            if (c->paren_depth)
                return lex_fail(c, "unclosed left parenthesis%s", "", 0, 0);
            return 0;
        }
        <BRACKET> $ {
            if (c->bracket_dur_state)
                return lex_fail(c, "unexpected end of input in duration expression%s", "", 0, 0);
            if (c->paren_depth)
                return lex_fail(c, "unclosed left parenthesis%s", "", 0, 0);
            return lex_fail(c, "unclosed left bracket%s", "", 0, 0);
        }
        <EXPR> * { return fail_rune(c, "unexpected character: %s", c->tok); }
        <BRACKET> * {
            if (c->bracket_dur_state)
                return fail_rune(c, "unexpected character in duration expression: %s", c->tok);
            return fail_rune(c, "unexpected character: %s", c->tok);
        }
*/
    }
}

int pq_lex(struct pq_ctx *c, struct pq_tok *val, struct span *loc)
{
    if (c->lex_done) {
        loc->start = loc->end = (uint32_t)c->len;
        c->last_type = 0;
        c->last_span = *loc;
        return 0;
    }
    if (!c->lex_started) {
        c->cond = yycEXPR;
        c->lex_started = true;
    }
    int t = scan(c, val);
    loc->start = (uint32_t)(c->tok - c->src);
    loc->end = (uint32_t)(c->cur - c->src);
    if (t != TOK_STRING) {
        val->s = c->tok;
        val->len = (size_t)(c->cur - c->tok);
    }
    if (t <= 0) {
        c->lex_done = true;
        if (t < 0)
            loc->start = (uint32_t)(c->tok - c->src);
        t = 0;
    }
    c->last_type = t;
    c->last_span = *loc;
    return t;
}
