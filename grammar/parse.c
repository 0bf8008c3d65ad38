/* parse: the front end's entry points (expressions, durations, series
 * descriptions) and the error reporting shared by lexer and parser. */
#include "grammar/parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "grammar/pq.h"
#include "parser.h"

#define DEFAULT_MAX_DEPTH 1000
#define DEFAULT_MAX_LEN (1024 * 1024)

void pq_error(struct pq_ctx *c, enum diag_code code, struct span sp, const char *fmt, ...)
{
    if (c->nerrors++)
        return;
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    diag_add(c->diags, code, sp, NULL, "%s", sb.buf);
    strbuf_release(&sb);
}

/* Go's fmt %.10q: the first ten runes quoted. */
static void quote_prefix10(struct strbuf *out, const char *s, size_t len)
{
    size_t i = 0;
    for (int runes = 0; i < len && runes < 10; runes++) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    pq_quote(out, s, i);
}

/* Describes the last token as Prometheus's Item.desc() does. */
static void describe_last(struct pq_ctx *c, struct strbuf *out)
{
    const char *s = c->src + c->last_span.start;
    size_t len = c->last_span.end - c->last_span.start;
    int t = c->last_type;
    const char *kind = NULL;
    switch (t) {
    case 0:
        strbuf_addstr(out, "end of input");
        return;
    case TOK_IDENTIFIER: kind = "identifier"; break;
    case TOK_METRIC_IDENTIFIER: kind = "metric identifier"; break;
    case TOK_NUMBER: kind = "number"; break;
    case TOK_DURATION: kind = "duration"; break;
    case TOK_STRING: kind = "string"; break;
    case TOK_ADD: case TOK_SUB: case TOK_MUL: case TOK_DIV: case TOK_MOD: case TOK_POW:
    case TOK_ATAN2: case TOK_EQLC: case TOK_NEQ: case TOK_LTE: case TOK_LSS: case TOK_GTE:
    case TOK_GTR: case TOK_EQL_REGEX: case TOK_NEQ_REGEX: case TOK_LAND: case TOK_LOR:
    case TOK_LUNLESS: case TOK_AT:
        strbuf_addstr(out, "<op:");
        strbuf_add(out, s, len);
        strbuf_addch(out, '>');
        return;
    case TOK_SUM: case TOK_AVG: case TOK_COUNT: case TOK_MIN: case TOK_MAX: case TOK_GROUP:
    case TOK_STDDEV: case TOK_STDVAR: case TOK_TOPK: case TOK_BOTTOMK: case TOK_COUNT_VALUES:
    case TOK_QUANTILE: case TOK_LIMITK: case TOK_LIMIT_RATIO:
        strbuf_addstr(out, "<aggr:");
        strbuf_add(out, s, len);
        strbuf_addch(out, '>');
        return;
    case TOK_BOOL: case TOK_BY: case TOK_WITHOUT: case TOK_ON: case TOK_IGNORING:
    case TOK_GROUP_LEFT: case TOK_GROUP_RIGHT: case TOK_OFFSET:
        strbuf_addch(out, '<');
        strbuf_add(out, s, len);
        strbuf_addch(out, '>');
        return;
    default: /* punctuation */
        pq_quote(out, s, len);
        return;
    }
    strbuf_addstr(out, kind);
    strbuf_addch(out, ' ');
    if (t == TOK_IDENTIFIER || t == TOK_METRIC_IDENTIFIER || len <= 10) {
        pq_quote(out, s, len);
    } else {
        quote_prefix10(out, s, len);
        strbuf_addstr(out, "...");
    }
}

void pq_unexpected(struct pq_ctx *c, const char *context, const char *expected)
{
    if (c->last_lex_error || c->nerrors)
        return;
    struct strbuf m = STRBUF_INIT;
    strbuf_addstr(&m, "unexpected ");
    describe_last(c, &m);
    if (*context)
        strbuf_addf(&m, " in %s", context);
    if (*expected)
        strbuf_addf(&m, ", expected %s", expected);
    pq_error(c, DIAG_SYNTAX, c->last_span, "%s", m.buf);
    strbuf_release(&m);
}

struct ast_node *parse_expr(const char *src, size_t len, struct arena *a, const struct parse_opts *opts,
                            struct diag_list *diags)
{
    static const struct parse_opts defaults;
    if (!opts)
        opts = &defaults;
    struct pq_ctx c;
    memset(&c, 0, sizeof c);
    size_t max_len = opts->max_len ? opts->max_len : DEFAULT_MAX_LEN;
    if (len > max_len) {
        diag_add(diags, DIAG_LIMIT, (struct span){0, 0}, NULL, "query too long: %zu bytes (limit %zu)", len, max_len);
        return NULL;
    }
    /* A private NUL-terminated copy: the lexer's end marker. */
    char *copy = arena_alloc(a, len + 1);
    memcpy(copy, src, len);
    copy[len] = 0;
    c.src = copy;
    c.len = len;
    c.cur = copy;
    c.arena = a;
    c.opts = opts;
    c.diags = diags;
    c.max_depth = opts->max_depth ? opts->max_depth : DEFAULT_MAX_DEPTH;
    strbuf_init(&c.sbuf);
    int rc = pq_yyparse(&c);
    strbuf_release(&c.sbuf);
    if (rc != 0 && !c.nerrors)
        pq_error(&c, DIAG_SYNTAX, (struct span){(uint32_t)len, (uint32_t)len}, "syntax error");
    if (c.nerrors || !c.root)
        return NULL;
    pq_check(&c, c.root);
    if (c.nerrors)
        return NULL;
    return c.root;
}

/* ORDER units: biggest first, as model.ParseDuration requires. */
static const struct {
    const char *unit;
    uint64_t ms;
} duration_units[] = {
    {"y", 1000ULL * 60 * 60 * 24 * 365}, {"w", 1000ULL * 60 * 60 * 24 * 7}, {"d", 1000ULL * 60 * 60 * 24},
    {"h", 1000ULL * 60 * 60},            {"m", 1000ULL * 60},                {"s", 1000},
    {"ms", 1},
};

int pq_parse_duration(const char *s, size_t len, int64_t *ms, struct strbuf *err)
{
    struct strbuf q = STRBUF_INIT;
    pq_quote(&q, s, len);
    *ms = 0;
    if (len == 1 && s[0] == '0') {
        strbuf_release(&q);
        return 0;
    }
    if (len == 0) {
        strbuf_addstr(err, "empty duration string");
        goto fail;
    }
    uint64_t total_ns = 0;
    size_t i = 0, last_unit = 0;
    while (i < len) {
        if (!(s[i] >= '0' && s[i] <= '9')) {
            strbuf_addf(err, "not a valid duration string: %s", q.buf);
            goto fail;
        }
        uint64_t v = 0;
        bool overflow = false;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (v > (UINT64_MAX - 9) / 10)
                overflow = true;
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (overflow) {
            strbuf_addf(err, "not a valid duration string: %s", q.buf);
            goto fail;
        }
        size_t u = i;
        while (i < len && !(s[i] >= '0' && s[i] <= '9'))
            i++;
        if (u == i) {
            strbuf_addf(err, "not a valid duration string: %s", q.buf);
            goto fail;
        }
        size_t k, nunits = sizeof duration_units / sizeof duration_units[0];
        for (k = 0; k < nunits; k++)
            if (strlen(duration_units[k].unit) == i - u && !memcmp(duration_units[k].unit, s + u, i - u))
                break;
        if (k == nunits) {
            struct strbuf uq = STRBUF_INIT;
            pq_quote(&uq, s + u, i - u);
            strbuf_addf(err, "unknown unit %s in duration %s", uq.buf, q.buf);
            strbuf_release(&uq);
            goto fail;
        }
        if (k + 1 <= last_unit) {
            strbuf_addf(err, "not a valid duration string: %s", q.buf);
            goto fail;
        }
        last_unit = k + 1;
        uint64_t mult = duration_units[k].ms * 1000000ULL;
        if (v > (1ULL << 63) / mult) {
            strbuf_addstr(err, "duration out of range");
            goto fail;
        }
        total_ns += v * mult;
        if (total_ns > (uint64_t)INT64_MAX) {
            strbuf_addstr(err, "duration out of range");
            goto fail;
        }
    }
    *ms = (int64_t)(total_ns / 1000000ULL);
    strbuf_release(&q);
    return 0;
fail:
    strbuf_release(&q);
    return -1;
}

int parse_duration(const char *s, size_t len, int64_t *ms)
{
    struct strbuf err = STRBUF_INIT;
    int rc = pq_parse_duration(s, len, ms, &err);
    strbuf_release(&err);
    return rc;
}

/* As Prometheus's model.Duration.String(): years and weeks only when exact. */
void parse_format_duration(struct strbuf *out, int64_t ms)
{
    static const struct {
        const char *unit;
        int64_t mult;
        bool exact;
    } units[] = {
        {"y", 1000LL * 60 * 60 * 24 * 365, true}, {"w", 1000LL * 60 * 60 * 24 * 7, true},
        {"d", 1000LL * 60 * 60 * 24, false},      {"h", 1000LL * 60 * 60, false},
        {"m", 1000LL * 60, false},                {"s", 1000, false},
        {"ms", 1, false},
    };
    if (ms == 0) {
        strbuf_addstr(out, "0s");
        return;
    }
    uint64_t left = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (ms < 0)
        strbuf_addch(out, '-');
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t mult = (uint64_t)units[i].mult;
        if (units[i].exact && left % mult != 0)
            continue;
        uint64_t v = left / mult;
        if (v > 0) {
            strbuf_addf(out, "%llu%s", (unsigned long long)v, units[i].unit);
            left -= v * mult;
        }
    }
}

/* Series descriptions: the notation of promqltest "load" blocks and promtool
 * input_series ('metric{l="v"} 1+2x3 _ stale'), as Prometheus's
 * ParseSeriesDesc reads it (float samples only; native histogram values
 * "{{...}}" are reported as unsupported). A small hand-written scanner: the
 * notation is regular enough not to need the grammar. */
/* Expansion bound: a description expanding to more steps than this is refused. */
#define SERIES_MAX_SAMPLES (10 * 1000 * 1000)

struct series_scan {
    const char *src;          /* the text */
    size_t len, pos;          /* length and cursor */
    struct arena *a;          /* result storage */
    struct diag_list *diags;  /* errors */
    struct strbuf sbuf;       /* string decoding scratch */
    struct parse_sample *s;   /* samples so far (malloc, copied into the arena at the end) */
    size_t n, cap;            /* used and allocated samples */
};

static int fail(struct series_scan *sc, size_t at, const char *msg)
{
    struct span sp = {(uint32_t)at, (uint32_t)(at < sc->len ? at + 1 : at)};
    diag_add(sc->diags, DIAG_SYNTAX, sp, NULL, "%s", msg);
    return -1;
}

static int peek(const struct series_scan *sc)
{
    return sc->pos < sc->len ? (unsigned char)sc->src[sc->pos] : -1;
}

static void skip_space(struct series_scan *sc)
{
    while (sc->pos < sc->len && strchr(" \t\r\n", sc->src[sc->pos]))
        sc->pos++;
}

static bool is_ident_start(int ch) { return ch == '_' || ch == ':' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static bool is_ident(int ch) { return is_ident_start(ch) || (ch >= '0' && ch <= '9'); }

/* A quoted string with Go escapes, decoded through the PromQL lexer. */
static int scan_string(struct series_scan *sc, const char **out)
{
    size_t start = sc->pos;
    int q = peek(sc);
    size_t i = sc->pos + 1;
    while (i < sc->len && sc->src[i] != q) {
        if (sc->src[i] == '\\' && q != '`')
            i++;
        i++;
    }
    if (i >= sc->len)
        return fail(sc, start, "unterminated quoted string");
    struct arena tmp;
    struct diag_list dl;
    arena_init(&tmp, 0);
    diag_list_init(&dl);
    struct ast_node *n = parse_expr(sc->src + start, i + 1 - start, &tmp, NULL, &dl);
    int rc = 0;
    if (!n || n->kind != AST_STRING) {
        rc = fail(sc, start, dl.len ? dl.items[0].msg : "invalid string");
    } else {
        *out = arena_memdup(sc->a, n->u.string.val, n->u.string.len + 1);
        sc->pos = i + 1;
    }
    diag_list_release(&dl);
    arena_release(&tmp);
    return rc;
}

static int push(struct series_scan *sc, enum parse_sample_kind kind, double v)
{
    if (sc->n >= SERIES_MAX_SAMPLES)
        return fail(sc, sc->pos, "series description expands to too many samples");
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 16;
        sc->s = realloc(sc->s, sc->cap * sizeof *sc->s);
        if (!sc->s)
            abort();
    }
    sc->s[sc->n].kind = kind;
    sc->s[sc->n].value = v;
    sc->n++;
    return 0;
}

/* A number, Inf/NaN, or a duration (seconds), without sign. */
static int scan_number(struct series_scan *sc, double *v)
{
    size_t start = sc->pos;
    if (is_ident_start(peek(sc))) {
        size_t e = sc->pos;
        while (e < sc->len && is_ident(sc->src[e]))
            e++;
        if ((e - start == 3 && (!strncasecmp(sc->src + start, "inf", 3) || !strncasecmp(sc->src + start, "nan", 3)))) {
            *v = (sc->src[start] | 0x20) == 'i' ? INFINITY : NAN;
            sc->pos = e;
            return 0;
        }
        return fail(sc, start, "unexpected identifier in series values, expected number or \"stale\"");
    }
    size_t e = sc->pos;
    while (e < sc->len && (strchr("0123456789._", sc->src[e]) ||
                           ((sc->src[e] == 'e' || sc->src[e] == 'E') && e + 1 < sc->len &&
                            strchr("0123456789+-", sc->src[e + 1])) ||
                           ((sc->src[e] == '+' || sc->src[e] == '-') && e > start &&
                            (sc->src[e - 1] == 'e' || sc->src[e - 1] == 'E'))))
        e++;
    if (e == start)
        return fail(sc, start, "unexpected character in series values, expected number or \"stale\"");
    /* A duration unit right after the digits makes it a duration in seconds. */
    size_t d = e;
    while (d < sc->len && (strchr("smhdwy", sc->src[d]) || (sc->src[d] >= '0' && sc->src[d] <= '9')))
        d++;
    if (d > e) {
        int64_t ms;
        if (pq_parse_duration(sc->src + start, d - start, &ms, &sc->sbuf) < 0)
            return fail(sc, start, sc->sbuf.buf);
        *v = (double)ms / 1000.0;
        sc->pos = d;
        return 0;
    }
    char buf[64];
    size_t n = 0;
    for (size_t i = start; i < e && n < sizeof buf - 1; i++)
        if (sc->src[i] != '_')
            buf[n++] = sc->src[i];
    buf[n] = 0;
    char *end;
    *v = strtod(buf, &end);
    if (*end || end == buf)
        return fail(sc, start, "bad number syntax in series values");
    sc->pos = e;
    return 0;
}

static int scan_signed(struct series_scan *sc, double *v)
{
    int sign = 1;
    if (peek(sc) == '+' || peek(sc) == '-') {
        sign = peek(sc) == '-' ? -1 : 1;
        sc->pos++;
    }
    if (scan_number(sc, v) < 0)
        return -1;
    *v *= sign;
    return 0;
}

/* "x<uint>" after a value; returns the count, or -1. */
static long long scan_times(struct series_scan *sc)
{
    sc->pos++; /* the x */
    size_t start = sc->pos;
    while (sc->pos < sc->len && sc->src[sc->pos] >= '0' && sc->src[sc->pos] <= '9')
        sc->pos++;
    if (sc->pos == start)
        return fail(sc, start, "unexpected character in series values, expected repetition count");
    errno = 0;
    long long n = strtoll(sc->src + start, NULL, 10);
    if (errno || n > SERIES_MAX_SAMPLES)
        return fail(sc, start, "invalid repetition in series values: value out of range");
    return n;
}

static int scan_item(struct series_scan *sc)
{
    size_t start = sc->pos;
    if (peek(sc) == '{' && sc->pos + 1 < sc->len && sc->src[sc->pos + 1] == '{')
        return fail(sc, start, "native histogram values are not supported");
    if (peek(sc) == '_' && (sc->pos + 1 >= sc->len || !is_ident(sc->src[sc->pos + 1]) || sc->src[sc->pos + 1] == 'x')) {
        sc->pos++;
        long long times = 1;
        if (peek(sc) == 'x' && (times = scan_times(sc)) < 0)
            return -1;
        for (long long i = 0; i < times; i++)
            if (push(sc, PARSE_SAMPLE_OMITTED, 0) < 0)
                return -1;
        return 0;
    }
    if (sc->len - sc->pos >= 5 && !strncmp(sc->src + sc->pos, "stale", 5) &&
        (sc->pos + 5 == sc->len || !is_ident(sc->src[sc->pos + 5]))) {
        sc->pos += 5;
        return push(sc, PARSE_SAMPLE_STALE, 0);
    }
    double v, step = 0;
    if (scan_signed(sc, &v) < 0)
        return -1;
    if (peek(sc) == '+' || peek(sc) == '-') {
        if (scan_signed(sc, &step) < 0)
            return -1;
        if (peek(sc) != 'x')
            return fail(sc, sc->pos, "unexpected character in series values, expected \"x\"");
    }
    long long times = 0;
    if (peek(sc) == 'x' && (times = scan_times(sc)) < 0)
        return -1;
    for (long long i = 0; i <= times; i++) { /* axN and a+bxN give N+1 values */
        if (push(sc, PARSE_SAMPLE_VALUE, v) < 0)
            return -1;
        v += step;
    }
    if (sc->pos < sc->len && !strchr(" \t\r\n", sc->src[sc->pos]))
        return fail(sc, sc->pos, "unexpected character in series values");
    return 0;
}

struct label_pair {
    const char *name, *value;
};

static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const struct label_pair *)a)->name, ((const struct label_pair *)b)->name);
}

static int scan_labels(struct series_scan *sc, struct label_pair **pairs, size_t *npairs, size_t *cap)
{
    sc->pos++; /* { */
    for (;;) {
        skip_space(sc);
        int ch = peek(sc);
        if (ch == '}') {
            sc->pos++;
            return 0;
        }
        const char *name = NULL, *value = NULL;
        if (ch == '"' || ch == '\'' || ch == '`') {
            if (scan_string(sc, &name) < 0)
                return -1;
        } else if (is_ident_start(ch) && ch != ':') {
            size_t s = sc->pos;
            while (sc->pos < sc->len && is_ident(sc->src[sc->pos]) && sc->src[sc->pos] != ':')
                sc->pos++;
            name = arena_strndup(sc->a, sc->src + s, sc->pos - s);
        } else {
            return fail(sc, sc->pos, "unexpected character in label set, expected identifier or \"}\"");
        }
        skip_space(sc);
        if (peek(sc) == '=') {
            sc->pos++;
            skip_space(sc);
            ch = peek(sc);
            if (ch != '"' && ch != '\'' && ch != '`')
                return fail(sc, sc->pos, "unexpected character in label set, expected string");
            if (scan_string(sc, &value) < 0)
                return -1;
        } else if (name && (sc->src[sc->pos - 1] == '"' || sc->src[sc->pos - 1] == '\'' || sc->src[sc->pos - 1] == '`')) {
            value = name; /* a quoted name alone is the metric name */
            name = "__name__";
        } else {
            return fail(sc, sc->pos, "unexpected character in label set, expected \"=\"");
        }
        if (*npairs == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            struct label_pair *np = arena_alloc(sc->a, *cap * sizeof *np);
            if (*npairs)
                memcpy(np, *pairs, *npairs * sizeof *np);
            *pairs = np;
        }
        (*pairs)[(*npairs)++] = (struct label_pair){name, value};
        skip_space(sc);
        if (peek(sc) == ',') {
            sc->pos++;
            continue;
        }
        if (peek(sc) != '}')
            return fail(sc, sc->pos, "unexpected character in label set, expected \",\" or \"}\"");
    }
}

int parse_series_desc(const char *src, size_t len, struct arena *a, struct parse_series *out,
                      struct diag_list *diags)
{
    struct series_scan sc = {.src = src, .len = len, .a = a, .diags = diags};
    strbuf_init(&sc.sbuf);
    struct label_pair *pairs = NULL;
    size_t npairs = 0, cap = 0;
    int rc = -1;
    memset(out, 0, sizeof *out);
    skip_space(&sc);
    if (is_ident_start(peek(&sc))) {
        size_t s = sc.pos;
        while (sc.pos < len && is_ident(src[sc.pos]))
            sc.pos++;
        cap = 8;
        pairs = arena_alloc(a, cap * sizeof *pairs);
        pairs[npairs++] = (struct label_pair){"__name__", arena_strndup(a, src + s, sc.pos - s)};
    }
    if (peek(&sc) == '{' && scan_labels(&sc, &pairs, &npairs, &cap) < 0)
        goto done;
    if (npairs == 0 && sc.pos == 0 && len > 0 && !strchr(" \t\r\n", src[0])) {
        fail(&sc, 0, "unexpected character in series description, expected metric or \"{\"");
        goto done;
    }
    for (;;) {
        size_t before = sc.pos;
        skip_space(&sc);
        if (sc.pos >= len)
            break;
        if (sc.pos == before && before > 0) {
            fail(&sc, sc.pos, "unexpected character in series values, expected space");
            goto done;
        }
        if (scan_item(&sc) < 0)
            goto done;
    }
    qsort(pairs, npairs, sizeof *pairs, cmp_pair);
    out->nlabels = npairs;
    out->names = arena_alloc(a, (npairs + 1) * sizeof *out->names);
    out->values = arena_alloc(a, (npairs + 1) * sizeof *out->values);
    for (size_t i = 0; i < npairs; i++) {
        out->names[i] = pairs[i].name;
        out->values[i] = pairs[i].value;
    }
    out->nsamples = sc.n;
    out->samples = sc.n ? arena_memdup(a, sc.s, sc.n * sizeof *sc.s) : NULL;
    rc = 0;
done:
    free(sc.s);
    strbuf_release(&sc.sbuf);
    return rc;
}
