/* parse: the front end's entry points (expressions, durations, series
 * descriptions) and the error reporting shared by lexer and parser. */
#include "grammar/parse.h"

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
    case TOK_LUNLESS: case TOK_AT: case TOK_TRIM_UPPER: case TOK_TRIM_LOWER:
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
    case TOK_ANCHORED: case TOK_SMOOTHED:
    case TOK_FILL: case TOK_FILL_LEFT: case TOK_FILL_RIGHT:
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
