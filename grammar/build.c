/* build: tree construction for parser.y, with the checks Prometheus makes in
 * its grammar actions (generated_parser.y, parse.go: newAggregateExpr,
 * addOffset, setTimestamp, newLabelMatcher, ...), worded as upstream words them. */
#include "grammar/build.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "grammar/parse.h"
#include "parser.h"

/* Durations beyond this many seconds do not fit int64 nanoseconds (upstream durationLiteralOutOfRange). */
#define DURATION_MAX_SECONDS (9223372036854775808.0 / 1e9)

static void grow(struct pq_ctx *c, void **items, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t ncap = *cap ? *cap * 2 : 4;
    while (ncap < need)
        ncap *= 2;
    void *p = arena_alloc(c->arena, ncap * elem);
    if (*cap)
        memcpy(p, *items, *cap * elem);
    *items = p;
    *cap = ncap;
}

void pq_nodes_push(struct pq_ctx *c, struct pq_nodes *l, struct ast_node *n)
{
    grow(c, (void **)&l->items, &l->cap, l->n + 1, sizeof *l->items);
    l->items[l->n++] = n;
}

void pq_strs_push(struct pq_ctx *c, struct pq_strs *l, const char *s)
{
    grow(c, (void **)&l->items, &l->cap, l->n + 1, sizeof *l->items);
    l->items[l->n++] = s;
}

void pq_matchers_push(struct pq_ctx *c, struct pq_matchers *l, const struct ast_matcher *m)
{
    if (!m->name) /* a matcher that already failed */
        return;
    grow(c, (void **)&l->items, &l->cap, l->n + 1, sizeof *l->items);
    l->items[l->n++] = *m;
}

static uint32_t height_of(const struct ast_node *n)
{
    return n ? n->height : 0;
}

/* Sets n's height from its children and enforces the nesting limit. */
static struct ast_node *finish(struct pq_ctx *c, struct ast_node *n, const struct ast_node *a,
                               const struct ast_node *b, const struct ast_node *d)
{
    uint32_t h = height_of(a);
    if (height_of(b) > h)
        h = height_of(b);
    if (height_of(d) > h)
        h = height_of(d);
    n->height = h + 1;
    if (n->height > c->max_depth && n->height == c->max_depth + 1)
        pq_error(c, DIAG_LIMIT, n->pos, "expression nesting too deep (limit %zu)", c->max_depth);
    return n;
}

static struct ast_node *new_node(struct pq_ctx *c, enum ast_kind kind, struct span sp)
{
    struct ast_node *n = ARENA_NEW(c->arena, struct ast_node);
    n->kind = kind;
    n->pos = sp;
    n->height = 1;
    return n;
}

static char *tok_dup(struct pq_ctx *c, const struct pq_tok *t)
{
    return arena_strndup(c->arena, t->s, t->len);
}

/* Go's strconv.ParseInt(s, 0, 64) then ParseFloat(s, 64), as upstream's number(). */
static int go_number(const char *s, size_t len, double *out, const char **why)
{
    char buf[128];
    char *digits = len < sizeof buf ? buf : malloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '_')
            digits[n++] = s[i];
    digits[n] = 0;
    int rc = 0;
    char *end;
    *why = "invalid syntax";
    bool all_digits = n > 0;
    for (size_t i = 0; i < n; i++)
        if (digits[i] < '0' || digits[i] > '9')
            all_digits = false;
    if (n > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        errno = 0;
        unsigned long long v = strtoull(digits + 2, &end, 16);
        if (*end || errno || v > (unsigned long long)INT64_MAX)
            rc = -1; /* ParseFloat does not take hex without a p exponent */
        else
            *out = (double)(long long)v;
    } else if (all_digits && n > 1 && digits[0] == '0' && strspn(digits, "01234567") == n) {
        errno = 0;
        long long v = strtoll(digits, &end, 8);
        *out = errno ? strtod(digits, NULL) : (double)v;
    } else if (all_digits) {
        errno = 0;
        long long v = strtoll(digits, &end, 10);
        if (errno) {
            errno = 0;
            *out = strtod(digits, NULL);
            if (errno == ERANGE && isinf(*out)) {
                rc = -1;
                *why = "value out of range";
            }
        } else {
            *out = (double)v;
        }
    } else {
        errno = 0;
        *out = strtod(digits, &end);
        if (*end || end == digits) {
            rc = -1;
        } else if (errno == ERANGE && isinf(*out)) {
            rc = -1;
            *why = "value out of range";
        }
    }
    if (digits != buf)
        free(digits);
    return rc;
}

/* Seconds of a duration in ms, computed as Go's Duration.Seconds() does. */
static double ms_to_seconds(int64_t ms)
{
    int64_t ns_sec = ms / 1000, ns_rem = (ms % 1000) * 1000000;
    return (double)ns_sec + (double)ns_rem / 1e9;
}

double pq_number_value(struct pq_ctx *c, const struct pq_tok *t, struct span sp, bool duration)
{
    if (duration) {
        struct strbuf err = STRBUF_INIT;
        int64_t ms = 0;
        if (pq_parse_duration(t->s, t->len, &ms, &err) < 0)
            pq_error(c, DIAG_SYNTAX, sp, "%s", err.buf);
        strbuf_release(&err);
        return ms_to_seconds(ms);
    }
    double v = 0;
    const char *why;
    if (go_number(t->s, t->len, &v, &why) < 0) {
        struct strbuf q = STRBUF_INIT;
        pq_quote(&q, t->s, t->len);
        pq_error(c, DIAG_SYNTAX, sp, "error parsing number: strconv.ParseFloat: parsing %s: %s", q.buf, why);
        strbuf_release(&q);
    }
    return v;
}

struct ast_node *pq_build_number(struct pq_ctx *c, double v, struct span sp, bool duration)
{
    struct ast_node *n = new_node(c, AST_NUMBER, sp);
    n->u.number = v;
    n->duration = duration;
    return n;
}

struct ast_node *pq_build_number_tok(struct pq_ctx *c, const struct pq_tok *t, struct span sp, bool duration)
{
    return pq_build_number(c, pq_number_value(c, t, sp, duration), sp, duration);
}

struct ast_node *pq_build_string(struct pq_ctx *c, const struct pq_tok *t, struct span sp)
{
    struct ast_node *n = new_node(c, AST_STRING, sp);
    n->u.string.val = t->s;
    n->u.string.len = t->len;
    return n;
}

static bool duration_out_of_range(double v)
{
    return v > DURATION_MAX_SECONDS || v < -DURATION_MAX_SECONDS;
}

/* Seconds as int64 nanoseconds, then milliseconds (truncating, as the engine does). */
static int64_t seconds_to_ms(double v)
{
    if (duration_out_of_range(v) || isnan(v))
        return 0;
    double ns = round(v * 1e9);
    if (ns >= 9223372036854775807.0 || ns <= -9223372036854775808.0)
        return 0;
    return (int64_t)ns / 1000000;
}

static const char *const aggop_names[] = {
    "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk",
    "count_values", "quantile", "limitk", "limit_ratio",
};

struct ast_node *pq_build_aggregate(struct pq_ctx *c, const struct pq_tok *op, const struct span *opsp,
                                    const struct pq_aggmod *mod, const struct pq_nodes *args,
                                    struct span sp, bool overread)
{
    (void)overread;
    struct ast_node *n = new_node(c, AST_AGGREGATE, sp);
    enum ast_aggop aop = AST_AGG_SUM;
    for (size_t i = 0; i < sizeof aggop_names / sizeof aggop_names[0]; i++)
        if (strlen(aggop_names[i]) == op->len && !strncasecmp(aggop_names[i], op->s, op->len))
            aop = (enum ast_aggop)i;
    n->u.agg.op = aop;
    n->u.agg.without = mod->without;
    n->u.agg.has_grouping = mod->present;
    n->u.agg.grouping = mod->labels.items;
    n->u.agg.ngrouping = mod->labels.n;
    struct span errsp = {opsp->start, sp.end};
    if (args->n == 0) {
        pq_error(c, DIAG_SYNTAX, errsp, "no arguments for aggregate expression provided");
        return n;
    }
    size_t want = 1;
    if (aop == AST_AGG_TOPK || aop == AST_AGG_BOTTOMK || aop == AST_AGG_COUNT_VALUES ||
        aop == AST_AGG_QUANTILE || aop == AST_AGG_LIMITK || aop == AST_AGG_LIMIT_RATIO) {
        if ((aop == AST_AGG_LIMITK || aop == AST_AGG_LIMIT_RATIO) && !c->opts->experimental) {
            pq_error(c, DIAG_SYNTAX, errsp,
                     "%s() is experimental and must be enabled with --enable-feature=promql-experimental-functions",
                     aggop_names[aop]);
            return n;
        }
        want = 2;
        n->u.agg.param = args->items[0];
    }
    if (args->n != want) {
        pq_error(c, DIAG_SYNTAX, errsp,
                 "wrong number of arguments for aggregate expression provided, expected %zu, got %zu", want,
                 args->n);
        return n;
    }
    n->u.agg.expr = args->items[want - 1];
    return finish(c, n, n->u.agg.expr, n->u.agg.param, NULL);
}

struct pq_binmod pq_build_binmod(struct pq_ctx *c, bool return_bool)
{
    struct pq_binmod m = {return_bool, ARENA_NEW(c->arena, struct ast_matching)};
    m.match->card = AST_CARD_ONE_TO_ONE;
    return m;
}

void pq_build_matching_labels(struct pq_ctx *c, struct pq_binmod *m, bool on, const struct pq_strs *l)
{
    (void)c;
    m->match->on = on;
    m->match->has_on_ignoring = true;
    m->match->labels = l->items;
    m->match->nlabels = l->n;
}

void pq_build_matching_group(struct pq_ctx *c, struct pq_binmod *m, enum ast_card card,
                             const struct pq_strs *l)
{
    (void)c;
    m->match->card = card;
    m->match->include = l->items;
    m->match->ninclude = l->n;
}

void pq_build_fill(struct pq_ctx *c, struct pq_binmod *m, bool lhs, double lv, bool rhs, double rv)
{
    (void)c;
    m->match->fill_lhs = lhs;
    m->match->fill_lhs_v = lv;
    m->match->fill_rhs = rhs;
    m->match->fill_rhs_v = rv;
}

static bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char b = p[i];
        int n = b < 0x80 ? 1 : (b >= 0xC2 && b <= 0xDF) ? 2 : (b >= 0xE0 && b <= 0xEF) ? 3
                                                          : (b >= 0xF0 && b <= 0xF4) ? 4 : 0;
        if (!n || i + (size_t)n > len)
            return false;
        for (int k = 1; k < n; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        if (n == 3 && ((b == 0xE0 && p[i + 1] < 0xA0) || (b == 0xED && p[i + 1] > 0x9F)))
            return false;
        if (n == 4 && ((b == 0xF0 && p[i + 1] < 0x90) || (b == 0xF4 && p[i + 1] > 0x8F)))
            return false;
        i += (size_t)n;
    }
    return true;
}

struct pq_tok pq_build_grouping_label(struct pq_ctx *c, const struct pq_tok *t, struct span sp, bool quoted)
{
    struct pq_tok r = {quoted ? t->s : tok_dup(c, t), t->len};
    if (r.len == 0 || !utf8_valid(r.s, r.len) || memchr(r.s, 0, r.len)) {
        struct strbuf q = STRBUF_INIT;
        pq_quote(&q, r.s, r.len);
        pq_error(c, DIAG_SYNTAX, sp, "invalid label name for grouping: %s", q.buf);
        strbuf_release(&q);
    }
    return r;
}

/* A binary expression's range as upstream computes it: from its left operand to its right one. */
static struct span span_of_binary(const struct ast_node *lhs, const struct ast_node *rhs, struct span sp)
{
    if (lhs && rhs)
        return (struct span){lhs->pos.start, rhs->pos.end};
    return sp;
}

struct ast_node *pq_build_binary(struct pq_ctx *c, struct ast_node *lhs, enum ast_binop op,
                                 const struct pq_binmod *mod, struct ast_node *rhs, struct span sp)
{
    struct ast_node *n = new_node(c, AST_BINARY, sp);
    n->u.bin.op = op;
    n->u.bin.lhs = lhs;
    n->u.bin.rhs = rhs;
    n->u.bin.return_bool = mod->return_bool;
    n->u.bin.matching = mod->match;
    if ((mod->match->fill_lhs || mod->match->fill_rhs) && !c->opts->experimental)
        pq_error(c, DIAG_SYNTAX, span_of_binary(lhs, rhs, sp), "binop fill modifiers are experimental and not enabled");
    return finish(c, n, lhs, rhs, NULL);
}

struct ast_node *pq_build_call(struct pq_ctx *c, const struct pq_tok *name, struct span namesp,
                               const struct pq_nodes *args, struct span sp)
{
    struct ast_node *n = new_node(c, AST_CALL, sp);
    const struct fn_info *fn = ast_fn_lookup(name->s, name->len);
    struct strbuf q = STRBUF_INIT;
    pq_quote(&q, name->s, name->len);
    if (!fn)
        pq_error(c, DIAG_SYNTAX, namesp, "unknown function with name %s", q.buf);
    else if (fn->experimental && !c->opts->experimental)
        pq_error(c, DIAG_SYNTAX, namesp, "function %s is not enabled", q.buf);
    strbuf_release(&q);
    n->u.call.fn = fn;
    n->u.call.args = args->items;
    n->u.call.nargs = args->n;
    uint32_t h = 0;
    for (size_t i = 0; i < args->n; i++)
        if (height_of(args->items[i]) > h)
            h = height_of(args->items[i]);
    n->height = h + 1;
    if (n->height == c->max_depth + 1)
        pq_error(c, DIAG_LIMIT, n->pos, "expression nesting too deep (limit %zu)", c->max_depth);
    return n;
}

struct ast_node *pq_build_paren(struct pq_ctx *c, struct ast_node *e, struct span sp)
{
    struct ast_node *n = new_node(c, AST_PAREN, sp);
    n->u.paren.expr = e;
    return finish(c, n, e, NULL, NULL);
}

struct ast_node *pq_build_unary(struct pq_ctx *c, const struct pq_tok *op, struct ast_node *e, struct span sp)
{
    if (e && e->kind == AST_NUMBER) { /* -1 is a literal, not an operation */
        if (op->s[0] == '-')
            e->u.number = -e->u.number;
        e->pos.start = sp.start;
        return e;
    }
    struct ast_node *n = new_node(c, AST_UNARY, sp);
    n->u.unary.op = op->s[0];
    n->u.unary.expr = e;
    return finish(c, n, e, NULL, NULL);
}

/* The offset/@ slot an expression's modifier goes to, or NULL after reporting why none. */
static struct ast_time_mod *time_mod_of(struct pq_ctx *c, struct ast_node *e, const char *what)
{
    if (!e)
        return NULL;
    switch (e->kind) {
    case AST_VECTOR_SELECTOR:
        return &e->u.vs.tm;
    case AST_MATRIX_SELECTOR:
        if (e->u.ms.vs && e->u.ms.vs->kind == AST_VECTOR_SELECTOR)
            return &e->u.ms.vs->u.vs.tm;
        pq_error(c, DIAG_SYNTAX, e->pos, "ranges only allowed for vector selectors");
        return NULL;
    case AST_SUBQUERY:
        return &e->u.sq.tm;
    default:
        pq_error(c, DIAG_SYNTAX, e->pos,
                 "%s modifier must be preceded by an instant vector selector or range vector selector or a subquery",
                 what);
        return NULL;
    }
}

struct ast_node *pq_build_offset(struct pq_ctx *c, struct ast_node *e, struct ast_dur *d, struct span sp)
{
    struct ast_time_mod *tm = time_mod_of(c, e, "offset");
    if (!tm)
        return e;
    if (tm->offset_ms != 0 || tm->offset_expr)
        pq_error(c, DIAG_SYNTAX, e->pos, "offset may not be set multiple times");
    else if (pq_dur_is_literal(d)) {
        tm->offset_ms = seconds_to_ms(d->number);
        tm->has_offset = true;
    } else {
        tm->offset_expr = d;
        tm->has_offset = true;
    }
    e->pos.end = sp.end;
    return e;
}

static struct ast_time_mod *at_slot(struct pq_ctx *c, struct ast_node *e)
{
    struct ast_time_mod *tm = time_mod_of(c, e, "@");
    if (tm && tm->at != AST_AT_NONE) {
        pq_error(c, DIAG_SYNTAX, e->pos, "@ <timestamp> may not be set multiple times");
        return NULL;
    }
    return tm;
}

struct ast_node *pq_build_at(struct pq_ctx *c, struct ast_node *e, double ts, struct span sp)
{
    bool bad = isnan(ts) || isinf(ts) || ts >= 9223372036854775807.0 || ts <= -9223372036854775808.0;
    if (bad) {
        struct strbuf f = STRBUF_INIT;
        if (isnan(ts))
            strbuf_addstr(&f, "NaN");
        else if (isinf(ts))
            strbuf_addstr(&f, ts > 0 ? "+Inf" : "-Inf");
        else
            strbuf_addf(&f, "%f", ts);
        pq_error(c, DIAG_SYNTAX, e ? e->pos : sp, "timestamp out of bounds for @ modifier: %s", f.buf);
        strbuf_release(&f);
    }
    struct ast_time_mod *tm = at_slot(c, e);
    if (!tm)
        return e;
    double ms = round(ts * 1000);
    tm->at = AST_AT_TIME;
    tm->at_ms = (!bad && ms < 9223372036854775807.0 && ms > -9223372036854775808.0) ? (int64_t)ms : 0;
    e->pos.end = sp.end;
    return e;
}

struct ast_node *pq_build_at_fn(struct pq_ctx *c, struct ast_node *e, const struct pq_tok *fn,
                                struct span fnsp, struct span sp)
{
    enum ast_at which = AST_AT_NONE;
    if (fn->len == 5 && !strncasecmp(fn->s, "start", 5))
        which = AST_AT_START;
    else if (fn->len == 3 && !strncasecmp(fn->s, "end", 3))
        which = AST_AT_END;
    if (which == AST_AT_NONE) {
        struct strbuf q = STRBUF_INIT;
        pq_quote(&q, fn->s, fn->len);
        pq_error(c, DIAG_SYNTAX, fnsp, "unexpected identifier %s in @, expected timestamp", q.buf);
        strbuf_release(&q);
        return e;
    }
    struct ast_time_mod *tm = at_slot(c, e);
    if (!tm)
        return e;
    tm->at = which;
    e->pos.end = sp.end;
    return e;
}

struct ast_node *pq_build_matrix(struct pq_ctx *c, struct ast_node *e, struct ast_dur *range,
                                 struct span brackets, struct span sp)
{
    const char *err = NULL;
    if (!e || e->kind != AST_VECTOR_SELECTOR)
        err = "ranges only allowed for vector selectors";
    else if (e->u.vs.tm.offset_ms != 0 || e->u.vs.tm.offset_expr)
        err = "no offset modifiers allowed before range";
    else if (e->u.vs.tm.at != AST_AT_NONE)
        err = "no @ modifiers allowed before range";
    if (err)
        pq_error(c, DIAG_SYNTAX, brackets, "%s", err);
    struct ast_node *n = new_node(c, AST_MATRIX_SELECTOR, sp);
    n->u.ms.vs = e;
    if (pq_dur_is_literal(range))
        n->u.ms.range_ms = seconds_to_ms(range->number);
    else
        n->u.ms.range_expr = range;
    return finish(c, n, e, NULL, NULL);
}

struct ast_node *pq_build_subquery(struct pq_ctx *c, struct ast_node *e, struct ast_dur *range,
                                   struct ast_dur *step, struct span sp)
{
    struct ast_node *n = new_node(c, AST_SUBQUERY, sp);
    n->u.sq.expr = e;
    if (pq_dur_is_literal(range))
        n->u.sq.range_ms = seconds_to_ms(range->number);
    else
        n->u.sq.range_expr = range;
    if (step && pq_dur_is_literal(step))
        n->u.sq.step_ms = seconds_to_ms(step->number);
    else
        n->u.sq.step_expr = step;
    return finish(c, n, e, NULL, NULL);
}

struct ast_node *pq_build_matchers(struct pq_ctx *c, const struct pq_matchers *l, struct span sp)
{
    struct ast_node *n = new_node(c, AST_VECTOR_SELECTOR, sp);
    n->u.vs.matchers = l->items;
    n->u.vs.nmatchers = l->n;
    return n;
}

struct ast_node *pq_build_selector(struct pq_ctx *c, const struct pq_tok *name, struct ast_node *matchers,
                                   struct span sp)
{
    struct ast_node *n = matchers ? matchers : new_node(c, AST_VECTOR_SELECTOR, sp);
    n->pos = sp;
    if (name) {
        /* The name becomes a __name__="name" matcher, kept first. */
        size_t nm = n->u.vs.nmatchers;
        struct ast_matcher *all = ARENA_NEWN(c->arena, struct ast_matcher, nm + 1);
        if (nm)
            memcpy(all + 1, n->u.vs.matchers, nm * sizeof *all);
        n->u.vs.name = tok_dup(c, name);
        all[0].op = AST_MATCH_EQ;
        all[0].name = "__name__";
        all[0].value = n->u.vs.name;
        n->u.vs.matchers = all;
        n->u.vs.nmatchers = nm + 1;
    }
    return n;
}

struct ast_matcher pq_build_matcher(struct pq_ctx *c, const struct pq_tok *name, const struct pq_tok *op,
                                    const struct pq_tok *value, struct span sp)
{
    struct ast_matcher m = {0};
    m.name = tok_dup(c, name);
    m.value = value->s;
    if (op->s[0] == '=')
        m.op = op->len == 2 ? AST_MATCH_RE : AST_MATCH_EQ;
    else
        m.op = op->s[1] == '~' ? AST_MATCH_NRE : AST_MATCH_NEQ;
    if (m.op == AST_MATCH_RE || m.op == AST_MATCH_NRE) {
        struct strbuf err = STRBUF_INIT;
        if (ast_matcher_compile(c->arena, &m, &err) < 0) {
            pq_error(c, DIAG_SYNTAX, sp, "%s", err.buf);
            m.name = NULL;
        }
        strbuf_release(&err);
    }
    return m;
}

struct ast_matcher pq_build_name_matcher(struct pq_ctx *c, const struct pq_tok *value)
{
    (void)c;
    struct ast_matcher m = {0};
    m.op = AST_MATCH_EQ;
    m.name = "__name__";
    m.value = value->s;
    return m;
}
