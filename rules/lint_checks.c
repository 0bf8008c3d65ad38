/* lint_checks: the per-rule checks of heed lint, over a rule's expression
 * tree: cadence against rate windows and the lookback, missing-input and
 * frozen-counter risk, for against the group interval and against how long
 * the expression can stay true, labels templates use, absent()'s labels,
 * and (online) selectors without series and the ingestion lag. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "grammar/ast.h"
#include "rules/lint_internal.h"

#define UNBOUNDED INT64_MAX

static const char *dur(struct arena *a, int64_t ms)
{
    struct strbuf sb = STRBUF_INIT;
    lint_format_duration(&sb, ms);
    const char *s = arena_strndup(a, sb.buf, sb.len);
    strbuf_release(&sb);
    return s;
}

static const char *node_text(struct arena *a, const struct ast_node *n)
{
    struct strbuf sb = STRBUF_INIT;
    ast_print(&sb, n);
    const char *s = arena_strndup(a, sb.buf, sb.len);
    strbuf_release(&sb);
    return s;
}

const char *lint_selector_text(struct lint_ctx *c, struct arena *a, const struct ast_node *vs)
{
    (void)c;
    struct ast_node copy = *vs;
    memset(&copy.u.vs.tm, 0, sizeof copy.u.vs.tm);
    return node_text(a, &copy);
}

const struct lint_obs *lint_observed(const struct lint_ctx *c, const char *sel_text)
{
    if (!c->online)
        return NULL;
    const struct lint_sel *s = lint_map_get(&c->sels, sel_text);
    return s && s->obs.answered ? &s->obs : NULL;
}

static const struct ast_node *strip(const struct ast_node *n)
{
    while (n && n->kind == AST_PAREN)
        n = n->u.paren.expr;
    return n;
}

static bool is_fn(const struct ast_node *n, enum fn_id id)
{
    return n && n->kind == AST_CALL && n->u.call.fn->id == id;
}

static bool is_absent(const struct ast_node *n)
{
    return is_fn(n, FN_ABSENT) || is_fn(n, FN_ABSENT_OVER_TIME);
}

/* The selector inside absent(S) or absent_over_time(S[..]), or NULL. */
static const struct ast_node *absent_selector(const struct ast_node *n)
{
    if (!is_absent(n) || n->u.call.nargs != 1)
        return NULL;
    const struct ast_node *a = strip(n->u.call.args[0]);
    if (a->kind == AST_MATRIX_SELECTOR)
        a = a->u.ms.vs;
    return a->kind == AST_VECTOR_SELECTOR ? a : NULL;
}

static bool is_counter_rate(enum fn_id id)
{
    return id == FN_RATE || id == FN_IRATE || id == FN_INCREASE || id == FN_RESETS;
}

static bool is_rate_family(enum fn_id id)
{
    return id == FN_RATE || id == FN_IRATE || id == FN_INCREASE || id == FN_DELTA || id == FN_IDELTA ||
           id == FN_DERIV || id == FN_PREDICT_LINEAR;
}

/* ---- constant vectors and calendar conditions ---- */

enum cval { CV_UNKNOWN = 0, CV_VALUE, CV_EMPTY };

static bool compare(enum ast_binop op, double a, double b)
{
    switch (op) {
    case AST_OP_EQLC:
        return a == b;
    case AST_OP_NEQ:
        return a != b;
    case AST_OP_LTE:
        return a <= b;
    case AST_OP_LSS:
        return a < b;
    case AST_OP_GTE:
        return a >= b;
    case AST_OP_GTR:
        return a > b;
    default:
        return false;
    }
}

static enum ast_binop flip(enum ast_binop op)
{
    switch (op) {
    case AST_OP_LTE:
        return AST_OP_GTE;
    case AST_OP_LSS:
        return AST_OP_GTR;
    case AST_OP_GTE:
        return AST_OP_LTE;
    case AST_OP_GTR:
        return AST_OP_LSS;
    default:
        return op;
    }
}

/* vector(<number>) filtered by comparisons with numbers: its value, or empty. */
static enum cval const_vector(const struct ast_node *n, double *v)
{
    n = strip(n);
    if (is_fn(n, FN_VECTOR) && strip(n->u.call.args[0])->kind == AST_NUMBER) {
        *v = strip(n->u.call.args[0])->u.number;
        return CV_VALUE;
    }
    if (n->kind == AST_BINARY && ast_binop_is_comparison(n->u.bin.op) && !n->u.bin.return_bool) {
        const struct ast_node *l = strip(n->u.bin.lhs), *r = strip(n->u.bin.rhs);
        if (r->kind == AST_NUMBER) {
            enum cval cv = const_vector(l, v);
            if (cv == CV_VALUE && !compare(n->u.bin.op, *v, r->u.number))
                return CV_EMPTY;
            return cv;
        }
        if (l->kind == AST_NUMBER) {
            enum cval cv = const_vector(r, v);
            if (cv == CV_VALUE && !compare(flip(n->u.bin.op), *v, l->u.number))
                return CV_EMPTY;
            return cv;
        }
    }
    return CV_UNKNOWN;
}

/* The calendar functions over the evaluation time, in UTC. */
struct calendar {
    enum fn_id fn;
    int min, count; /* values min .. min+count-1 */
};

static bool calendar_of(const struct ast_node *n, struct calendar *cal)
{
    n = strip(n);
    if (n->kind != AST_CALL)
        return false;
    if (n->u.call.nargs == 1) { /* f(vector(time())) is f() */
        const struct ast_node *a = strip(n->u.call.args[0]);
        if (!is_fn(a, FN_VECTOR) || !is_fn(strip(a->u.call.args[0]), FN_TIME))
            return false;
    } else if (n->u.call.nargs != 0) {
        return false;
    }
    switch (n->u.call.fn->id) {
    case FN_MINUTE:
        *cal = (struct calendar){FN_MINUTE, 0, 60};
        return true;
    case FN_HOUR:
        *cal = (struct calendar){FN_HOUR, 0, 24};
        return true;
    case FN_DAY_OF_WEEK:
        *cal = (struct calendar){FN_DAY_OF_WEEK, 0, 7};
        return true;
    case FN_DAY_OF_MONTH:
        *cal = (struct calendar){FN_DAY_OF_MONTH, 1, 31};
        return true;
    case FN_MONTH:
        *cal = (struct calendar){FN_MONTH, 1, 12};
        return true;
    default:
        return false;
    }
}

/* A calendar function filtered by comparisons with numbers: the values that pass. */
static bool calendar_set(const struct ast_node *n, struct calendar *cal, uint64_t *mask)
{
    n = strip(n);
    if (calendar_of(n, cal)) {
        *mask = cal->count == 64 ? ~0ULL : (1ULL << cal->count) - 1;
        return true;
    }
    if (n->kind != AST_BINARY || !ast_binop_is_comparison(n->u.bin.op) || n->u.bin.return_bool)
        return false;
    const struct ast_node *l = strip(n->u.bin.lhs), *r = strip(n->u.bin.rhs), *num, *vec;
    enum ast_binop op = n->u.bin.op;
    if (r->kind == AST_NUMBER)
        num = r, vec = l;
    else if (l->kind == AST_NUMBER)
        num = l, vec = r, op = flip(op);
    else
        return false;
    if (!calendar_set(vec, cal, mask))
        return false;
    for (int i = 0; i < cal->count; i++)
        if (!compare(op, cal->min + i, num->u.number))
            *mask &= ~(1ULL << i);
    return true;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* The longest time the calendar value stays inside mask without a break,
 * found by walking a long stretch of real calendar (month lengths and leap
 * years included); UNBOUNDED when it never breaks. */
static int64_t calendar_run(const struct calendar *cal, uint64_t mask)
{
    const int64_t day = 86400000;
    int64_t best = 0, run = 0, total = 0;
    uint64_t all = (1ULL << cal->count) - 1;
    if ((mask & all) == all)
        return UNBOUNDED;
    if (!(mask & all))
        return 0;
    /* 800 years from 2000-01-01 (a Saturday: day_of_week 6) */
    int steps;
    switch (cal->fn) {
    case FN_MINUTE:
    case FN_HOUR:
    case FN_DAY_OF_WEEK: {
        int64_t unit = cal->fn == FN_MINUTE ? 60000 : cal->fn == FN_HOUR ? 3600000 : day;
        steps = 2 * cal->count;
        for (int i = 0; i < steps; i++) {
            int v = i % cal->count;
            run = (mask >> v) & 1 ? run + unit : 0;
            if (run > best)
                best = run;
        }
        return best;
    }
    case FN_DAY_OF_MONTH:
        for (int y = 2000; y < 2400; y++)
            for (int m = 1; m <= 12; m++)
                for (int d = 1; d <= days_in_month(y, m); d++) {
                    run = (mask >> (d - 1)) & 1 ? run + day : 0;
                    total += day;
                    if (run > best)
                        best = run;
                }
        break;
    case FN_MONTH:
        for (int y = 2000; y < 2400; y++)
            for (int m = 1; m <= 12; m++) {
                int64_t len = days_in_month(y, m) * day;
                run = (mask >> (m - 1)) & 1 ? run + len : 0;
                total += len;
                if (run > best)
                    best = run;
            }
        break;
    default:
        return UNBOUNDED;
    }
    return best * 2 > total ? UNBOUNDED : best;
}

/* The longest time n can keep returning a result without a break, and the
 * sub-expression that limits it (*why). Sound: a result needs every input
 * of an operator that needs both sides, so the bound is the smallest. */
static int64_t run_bound(const struct ast_node *n, const struct ast_node **why)
{
    struct calendar cal;
    uint64_t mask;
    double v;
    n = strip(n);
    if (const_vector(n, &v) == CV_EMPTY) {
        *why = n;
        return 0;
    }
    if (calendar_set(n, &cal, &mask)) {
        *why = n;
        return calendar_run(&cal, mask);
    }
    switch (n->kind) {
    case AST_BINARY: {
        const struct ast_node *wl = NULL, *wr = NULL;
        bool lv = ast_node_type(n->u.bin.lhs) == AST_TYPE_VECTOR,
             rv = ast_node_type(n->u.bin.rhs) == AST_TYPE_VECTOR;
        int64_t l = lv ? run_bound(n->u.bin.lhs, &wl) : UNBOUNDED;
        int64_t r = rv ? run_bound(n->u.bin.rhs, &wr) : UNBOUNDED;
        if (n->u.bin.op == AST_OP_LOR)
            return UNBOUNDED;
        if (n->u.bin.op == AST_OP_LUNLESS)
            r = UNBOUNDED;
        if (l <= r) {
            *why = wl;
            return l;
        }
        *why = wr;
        return r;
    }
    case AST_AGGREGATE:
        return run_bound(n->u.agg.expr, why);
    case AST_UNARY:
        return run_bound(n->u.unary.expr, why);
    case AST_CALL: {
        enum fn_id id = n->u.call.fn->id;
        if (is_absent(n) || id == FN_VECTOR)
            return UNBOUNDED;
        int64_t best = UNBOUNDED;
        for (size_t i = 0; i < n->u.call.nargs; i++) {
            if (ast_node_type(n->u.call.args[i]) != AST_TYPE_VECTOR)
                continue;
            const struct ast_node *w = NULL;
            int64_t b = run_bound(n->u.call.args[i], &w);
            if (b < best)
                best = b, *why = w;
        }
        return best;
    }
    default:
        return UNBOUNDED;
    }
}

bool lint_always_fires(const struct ast_node *n)
{
    struct calendar cal;
    double v;
    n = strip(n);
    enum cval cv = const_vector(n, &v);
    if (cv != CV_UNKNOWN)
        return cv == CV_VALUE;
    if (calendar_of(n, &cal))
        return true;
    switch (n->kind) {
    case AST_AGGREGATE:
        return n->u.agg.op != AST_AGG_TOPK && n->u.agg.op != AST_AGG_BOTTOMK &&
               n->u.agg.op != AST_AGG_LIMITK && n->u.agg.op != AST_AGG_LIMIT_RATIO &&
               lint_always_fires(n->u.agg.expr);
    case AST_CALL:
        switch (n->u.call.fn->id) {
        case FN_LABEL_REPLACE:
        case FN_LABEL_JOIN:
        case FN_SORT:
        case FN_SORT_DESC:
        case FN_SORT_BY_LABEL:
        case FN_SORT_BY_LABEL_DESC:
            return lint_always_fires(n->u.call.args[0]);
        default:
            return false;
        }
    case AST_BINARY:
        if (n->u.bin.op == AST_OP_LOR)
            return lint_always_fires(n->u.bin.lhs) || lint_always_fires(n->u.bin.rhs);
        if (ast_binop_is_comparison(n->u.bin.op) && !n->u.bin.return_bool)
            return false; /* a filter whose outcome is not constant */
        if (ast_node_type(n->u.bin.lhs) != AST_TYPE_VECTOR)
            return lint_always_fires(n->u.bin.rhs);
        if (ast_node_type(n->u.bin.rhs) != AST_TYPE_VECTOR)
            return lint_always_fires(n->u.bin.lhs);
        return false;
    default:
        return false;
    }
}

/* ---- missing inputs ---- */

/* Whether n can return a result when every selector outside absent()
 * returns nothing. */
static bool survives_missing(const struct ast_node *n)
{
    switch (n->kind) {
    case AST_VECTOR_SELECTOR:
    case AST_MATRIX_SELECTOR:
        return false;
    case AST_NUMBER:
    case AST_STRING:
        return true;
    case AST_SUBQUERY:
        return survives_missing(n->u.sq.expr);
    case AST_PAREN:
        return survives_missing(n->u.paren.expr);
    case AST_UNARY:
        return survives_missing(n->u.unary.expr);
    case AST_AGGREGATE:
        return survives_missing(n->u.agg.expr);
    case AST_CALL:
        if (is_absent(n) || is_fn(n, FN_VECTOR))
            return true;
        for (size_t i = 0; i < n->u.call.nargs; i++) {
            enum ast_type t = ast_node_type(n->u.call.args[i]);
            if (t == AST_TYPE_VECTOR || t == AST_TYPE_MATRIX)
                return survives_missing(n->u.call.args[i]);
        }
        return true;
    case AST_BINARY: {
        bool lv = ast_node_type(n->u.bin.lhs) == AST_TYPE_VECTOR,
             rv = ast_node_type(n->u.bin.rhs) == AST_TYPE_VECTOR;
        if (!lv)
            return survives_missing(n->u.bin.rhs);
        if (!rv)
            return survives_missing(n->u.bin.lhs);
        bool l = survives_missing(n->u.bin.lhs), r = survives_missing(n->u.bin.rhs);
        if (n->u.bin.op == AST_OP_LOR)
            return l || r;
        if (n->u.bin.op == AST_OP_LUNLESS)
            return l;
        return l && r;
    }
    }
    return true;
}

/* Every selector of n outside absent(), in order. */
struct sel_list {
    const struct ast_node **items;
    size_t len, cap;
};

static void selectors_outside_absent(const struct ast_node *n, struct sel_list *out, struct arena *a)
{
    if (!n || is_absent(n))
        return;
    switch (n->kind) {
    case AST_VECTOR_SELECTOR:
        if (out->len == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 8;
            const struct ast_node **items = arena_alloc(a, cap * sizeof *items);
            if (out->len)
                memcpy(items, out->items, out->len * sizeof *items);
            out->items = items;
            out->cap = cap;
        }
        out->items[out->len++] = n;
        return;
    case AST_MATRIX_SELECTOR:
        selectors_outside_absent(n->u.ms.vs, out, a);
        return;
    case AST_SUBQUERY:
        selectors_outside_absent(n->u.sq.expr, out, a);
        return;
    case AST_PAREN:
        selectors_outside_absent(n->u.paren.expr, out, a);
        return;
    case AST_UNARY:
        selectors_outside_absent(n->u.unary.expr, out, a);
        return;
    case AST_AGGREGATE:
        selectors_outside_absent(n->u.agg.param, out, a);
        selectors_outside_absent(n->u.agg.expr, out, a);
        return;
    case AST_CALL:
        for (size_t i = 0; i < n->u.call.nargs; i++)
            selectors_outside_absent(n->u.call.args[i], out, a);
        return;
    case AST_BINARY:
        selectors_outside_absent(n->u.bin.lhs, out, a);
        selectors_outside_absent(n->u.bin.rhs, out, a);
        return;
    default:
        return;
    }
}

static bool matcher_eq(const struct ast_matcher *a, const struct ast_matcher *b)
{
    return a->op == b->op && !strcmp(a->name, b->name) && !strcmp(a->value, b->value);
}

/* absent(t) watches s when t is at least as specific: every matcher of s is in t. */
static bool absent_covers(const struct ast_node *t, const struct ast_node *s)
{
    for (size_t i = 0; i < s->u.vs.nmatchers; i++) {
        bool found = false;
        for (size_t k = 0; k < t->u.vs.nmatchers && !found; k++)
            found = matcher_eq(&s->u.vs.matchers[i], &t->u.vs.matchers[k]);
        if (!found)
            return false;
    }
    return true;
}

/* ---- counters ---- */

/* The node through which n applies a counter rate: a rate/irate/increase/
 * resets call, or a selector of a recorded series whose rule does. */
static const struct ast_node *counter_rate_node(const struct lint_ctx *c, const struct ast_node *n, int depth)
{
    if (!n)
        return NULL;
    const struct ast_node *f;
    switch (n->kind) {
    case AST_CALL:
        if (is_counter_rate(n->u.call.fn->id))
            return n;
        for (size_t i = 0; i < n->u.call.nargs; i++)
            if ((f = counter_rate_node(c, n->u.call.args[i], depth)))
                return f;
        return NULL;
    case AST_VECTOR_SELECTOR: {
        if (!n->u.vs.name || depth >= 8)
            return NULL;
        const struct rule *r = lint_map_get(&c->records, n->u.vs.name);
        return r && r->ast && counter_rate_node(c, r->ast, depth + 1) ? n : NULL;
    }
    case AST_MATRIX_SELECTOR:
        return counter_rate_node(c, n->u.ms.vs, depth);
    case AST_SUBQUERY:
        return counter_rate_node(c, n->u.sq.expr, depth);
    case AST_PAREN:
        return counter_rate_node(c, n->u.paren.expr, depth);
    case AST_UNARY:
        return counter_rate_node(c, n->u.unary.expr, depth);
    case AST_AGGREGATE:
        return counter_rate_node(c, n->u.agg.expr, depth);
    case AST_BINARY:
        if ((f = counter_rate_node(c, n->u.bin.lhs, depth)))
            return f;
        return counter_rate_node(c, n->u.bin.rhs, depth);
    default:
        return NULL;
    }
}

/* ---- label sets ---- */

/* The labels a result can carry: closed (exactly a subset of names) or
 * open (anything but names). __name__ is not tracked. */
struct lset {
    bool open;
    const char **names;
    size_t n;
};

static bool ls_in(const struct lset *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], name))
            return true;
    return false;
}

static bool ls_can_have(const struct lset *s, const char *name)
{
    return s->open ? !ls_in(s, name) : ls_in(s, name);
}

static struct lset ls_copy_plus(struct arena *a, const struct lset *s, size_t extra)
{
    struct lset r = {s->open, arena_alloc(a, (s->n + extra + 1) * sizeof(char *)), s->n};
    if (s->n)
        memcpy(r.names, s->names, s->n * sizeof(char *));
    return r;
}

static struct lset ls_remove(struct arena *a, const struct lset *s, const char *name)
{
    struct lset r = ls_copy_plus(a, s, 0);
    r.n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name))
            r.names[r.n++] = s->names[i];
    return r;
}

/* The set with name possibly present. */
static struct lset ls_with(struct arena *a, const struct lset *s, const char *name)
{
    if (s->open)
        return ls_remove(a, s, name);
    if (ls_in(s, name))
        return *s;
    struct lset r = ls_copy_plus(a, s, 1);
    r.names[r.n++] = name;
    return r;
}

/* The set with name certainly absent. */
static struct lset ls_without(struct arena *a, const struct lset *s, const char *name)
{
    if (!s->open)
        return ls_remove(a, s, name);
    if (ls_in(s, name))
        return *s;
    struct lset r = ls_copy_plus(a, s, 1);
    r.names[r.n++] = name;
    return r;
}

/* Only the given labels kept. */
static struct lset ls_keep(struct arena *a, const struct lset *s, const char **names, size_t n)
{
    struct lset r = {false, arena_alloc(a, (n + 1) * sizeof(char *)), 0};
    for (size_t i = 0; i < n; i++)
        if (ls_can_have(s, names[i]))
            r.names[r.n++] = names[i];
    return r;
}

static struct lset ls_union(struct arena *a, const struct lset *x, const struct lset *y)
{
    if (!x->open && !y->open) {
        struct lset r = *x;
        for (size_t i = 0; i < y->n; i++)
            r = ls_with(a, &r, y->names[i]);
        return r;
    }
    if (x->open && y->open) { /* absent only where absent from both */
        struct lset r = ls_copy_plus(a, x, 0);
        r.n = 0;
        for (size_t i = 0; i < x->n; i++)
            if (ls_in(y, x->names[i]))
                r.names[r.n++] = x->names[i];
        return r;
    }
    const struct lset *o = x->open ? x : y, *cl = x->open ? y : x;
    struct lset r = *o;
    for (size_t i = 0; i < cl->n; i++)
        r = ls_with(a, &r, cl->names[i]);
    return r;
}

static struct lset infer_labels(struct arena *a, const struct ast_node *n)
{
    static const struct lset open = {true, NULL, 0}, none = {false, NULL, 0};
    switch (n->kind) {
    case AST_VECTOR_SELECTOR:
    case AST_MATRIX_SELECTOR:
        return open;
    case AST_NUMBER:
    case AST_STRING:
        return none;
    case AST_SUBQUERY:
        return infer_labels(a, n->u.sq.expr);
    case AST_PAREN:
        return infer_labels(a, n->u.paren.expr);
    case AST_UNARY:
        return infer_labels(a, n->u.unary.expr);
    case AST_CALL: {
        enum fn_id id = n->u.call.fn->id;
        if (is_absent(n)) {
            const struct ast_node *vs = absent_selector(n);
            struct lset r = none;
            if (!vs)
                return none;
            /* only labels with exactly one equality matcher survive */
            for (size_t i = 0; i < vs->u.vs.nmatchers; i++) {
                const struct ast_matcher *m = &vs->u.vs.matchers[i];
                if (m->op != AST_MATCH_EQ || !strcmp(m->name, "__name__"))
                    continue;
                size_t eq = 0;
                for (size_t k = 0; k < vs->u.vs.nmatchers; k++)
                    eq += vs->u.vs.matchers[k].op == AST_MATCH_EQ &&
                          !strcmp(vs->u.vs.matchers[k].name, m->name);
                if (eq == 1)
                    r = ls_with(a, &r, m->name);
            }
            return r;
        }
        if (id == FN_INFO)
            return open;
        if (id == FN_VECTOR)
            return none;
        struct lset r = none;
        bool found = false;
        for (size_t i = 0; i < n->u.call.nargs && !found; i++) {
            enum ast_type t = ast_node_type(n->u.call.args[i]);
            if (t == AST_TYPE_VECTOR || t == AST_TYPE_MATRIX) {
                r = infer_labels(a, n->u.call.args[i]);
                found = true;
            }
        }
        if ((id == FN_LABEL_REPLACE || id == FN_LABEL_JOIN) && n->u.call.nargs >= 2 &&
            strip(n->u.call.args[1])->kind == AST_STRING)
            r = ls_with(a, &r, strip(n->u.call.args[1])->u.string.val);
        if (id == FN_HISTOGRAM_QUANTILE)
            r = ls_without(a, &r, "le");
        return r;
    }
    case AST_AGGREGATE: {
        struct lset in = infer_labels(a, n->u.agg.expr), r;
        enum ast_aggop op = n->u.agg.op;
        if (op == AST_AGG_TOPK || op == AST_AGG_BOTTOMK || op == AST_AGG_LIMITK || op == AST_AGG_LIMIT_RATIO)
            return in;
        if (n->u.agg.without) {
            r = in;
            for (size_t i = 0; i < n->u.agg.ngrouping; i++)
                r = ls_without(a, &r, n->u.agg.grouping[i]);
        } else {
            r = ls_keep(a, &in, n->u.agg.grouping, n->u.agg.ngrouping);
        }
        if (op == AST_AGG_COUNT_VALUES && n->u.agg.param && strip(n->u.agg.param)->kind == AST_STRING)
            r = ls_with(a, &r, strip(n->u.agg.param)->u.string.val);
        return r;
    }
    case AST_BINARY: {
        bool lv = ast_node_type(n->u.bin.lhs) == AST_TYPE_VECTOR,
             rv = ast_node_type(n->u.bin.rhs) == AST_TYPE_VECTOR;
        if (!lv)
            return infer_labels(a, n->u.bin.rhs);
        struct lset l = infer_labels(a, n->u.bin.lhs);
        if (!rv)
            return l;
        const struct ast_matching *m = n->u.bin.matching;
        if (n->u.bin.op == AST_OP_LOR) {
            struct lset r = infer_labels(a, n->u.bin.rhs);
            return ls_union(a, &l, &r);
        }
        if (n->u.bin.op == AST_OP_LAND || n->u.bin.op == AST_OP_LUNLESS || !m)
            return l;
        if (m->card == AST_CARD_ONE_TO_ONE) {
            if (m->on)
                return ls_keep(a, &l, m->labels, m->nlabels);
            for (size_t i = 0; i < m->nlabels; i++)
                l = ls_without(a, &l, m->labels[i]);
            return l;
        }
        struct lset base = m->card == AST_CARD_ONE_TO_MANY ? infer_labels(a, n->u.bin.rhs) : l;
        for (size_t i = 0; i < m->ninclude; i++)
            base = ls_with(a, &base, m->include[i]);
        return base;
    }
    }
    return open;
}

/* ---- positions of things written in a rule ---- */

static uint32_t rule_end(const struct lint_ctx *c)
{
    if (c->ri + 1 < c->g->nrules)
        return c->g->rules[c->ri + 1].offset;
    if (c->gi + 1 < c->rf->ngroups)
        return c->rf->groups[c->gi + 1].offset;
    return (uint32_t)c->rf->len;
}

/* The offset of text inside the current rule's source; at_key: only where
 * it starts a line's key (nothing but spaces or "- " before it). */
static uint32_t find_in_rule(const struct lint_ctx *c, const char *text, bool at_key)
{
    const char *s = c->rf->src, *p = s + c->r->offset, *end = s + rule_end(c);
    size_t tl = strlen(text);
    while (p < end && (p = memmem(p, (size_t)(end - p), text, tl))) {
        if (!at_key)
            return (uint32_t)(p - s);
        const char *b = p;
        while (b > s && (b[-1] == ' ' || b[-1] == '-'))
            b--;
        if (b == s || b[-1] == '\n')
            return (uint32_t)(p - s);
        p++;
    }
    return c->r->offset;
}

/* ---- cadence ---- */

struct cadence {
    int64_t ms;      /* the cadence */
    const char *why; /* where it comes from, for messages */
};

static struct cadence cadence_of(struct lint_ctx *c, const struct ast_node *vs)
{
    struct cadence cd;
    const struct lint_obs *o = c->online ? lint_observed(c, lint_selector_text(c, &c->tmp, vs)) : NULL;
    if (o && o->cadence_ms > 0) {
        cd.ms = o->cadence_ms;
        cd.why = arena_printf(&c->tmp, "observed on the backend: median gap between samples over the last %s",
                              dur(&c->tmp, c->opts->backend->window_ms));
    } else if (c->pol.cadence_ms > 0) {
        cd.ms = c->pol.cadence_ms;
        cd.why = c->pol.cadence_on_rule ? "declared by '# heed: cadence=' above the rule"
                                        : "declared by '# heed: cadence=' above the group";
    } else if (c->opts->cadence_ms > 0) {
        cd.ms = c->opts->cadence_ms;
        cd.why = "given by --cadence";
    } else {
        cd.ms = 60000;
        cd.why =
            "assumed: 1m, as no cadence is known; declare it with '# heed: cadence=30s' above the group or "
            "rule, pass --cadence, or lint against the backend with --datasource";
    }
    return cd;
}

/* ---- the expression walk ---- */

struct walk {
    struct lint_ctx *c;
    struct lint_map seen_missing; /* selector texts already reported without series */
    int64_t min_lag;              /* online: smallest lag estimate among the rule's selectors */
    const char *lag_sel;          /* the selector it was seen on */
    int64_t lag_age, lag_cadence; /* its newest-sample age and cadence */
};

static void check_no_series(struct walk *w, const struct ast_node *vs, bool in_absent)
{
    struct lint_ctx *c = w->c;
    if (!c->online)
        return;
    const char *text = lint_selector_text(c, &c->tmp, vs);
    const struct lint_obs *o = lint_observed(c, text);
    if (!o)
        return;
    if (o->nseries > 0) {
        int64_t lag = o->newest_age_ms - o->cadence_ms;
        if (lag < w->min_lag) {
            w->min_lag = lag;
            w->lag_sel = text;
            w->lag_age = o->newest_age_ms;
            w->lag_cadence = o->cadence_ms;
        }
        return;
    }
    if (in_absent || lint_map_get(&w->seen_missing, text))
        return;
    lint_map_put(&w->seen_missing, text, (void *)text);
    lint_add(
        c, LINT_SELECTOR_NO_SERIES, lint_expr_offset(c, vs->pos.start), true,
        "%s matches no series on the backend in the last %s: check the metric name and label values (a "
        "typo keeps the rule silent for ever); if the series only exists during incidents, watch its absence "
        "with absent() in a companion alert, or disable this check here with the reason",
        text, dur(&c->tmp, c->opts->backend->window_ms));
}

/* A range or step as a rule's instant evaluation sees it: a duration
 * expression (experimental) evaluated with step() and range() 0. */
static int rule_duration(const struct ast_dur *expr, int64_t plain_ms, int64_t *ms)
{
    if (!expr) {
        *ms = plain_ms;
        return 0;
    }
    struct strbuf err = STRBUF_INIT;
    int rc = ast_dur_eval(expr, 0, 0, false, ms, &err);
    strbuf_release(&err);
    return rc;
}

static void check_rate_window(struct walk *w, const struct ast_node *call)
{
    struct lint_ctx *c = w->c;
    if (call->u.call.nargs < 1)
        return;
    const struct ast_node *arg = strip(call->u.call.args[0]);
    int64_t range;
    struct cadence cd;
    if (arg->kind == AST_MATRIX_SELECTOR) {
        if (rule_duration(arg->u.ms.range_expr, arg->u.ms.range_ms, &range) < 0)
            return;
        cd = cadence_of(c, arg->u.ms.vs);
    } else if (arg->kind == AST_SUBQUERY) {
        int64_t step;
        if (rule_duration(arg->u.sq.range_expr, arg->u.sq.range_ms, &range) < 0 ||
            rule_duration(arg->u.sq.step_expr, arg->u.sq.step_ms, &step) < 0)
            return;
        cd.ms = step > 0 ? step : c->opts->eval_interval_ms;
        cd.why = step > 0 ? "the subquery's step" : "the subquery's default step, the global evaluation interval";
    } else {
        return;
    }
    const char *fn = call->u.call.fn->name;
    const char *text = node_text(&c->tmp, call);
    if (range < 2 * cd.ms) {
        lint_add(
            c, LINT_RATE_WINDOW_EMPTY, lint_expr_offset(c, call->pos.start), true,
            "%s: the %s window is shorter than 2x the cadence %s (%s), so it often holds fewer than the two "
            "samples %s needs and returns nothing: use a window of at least %s (4x the cadence)",
            text, dur(&c->tmp, range), dur(&c->tmp, cd.ms), cd.why, fn, dur(&c->tmp, 4 * cd.ms));
    } else if (range < 4 * cd.ms) {
        lint_add(
            c, LINT_RATE_WINDOW_SHORT, lint_expr_offset(c, call->pos.start), true,
            "%s: the %s window is shorter than 4x the cadence %s (%s), so one or two missed scrapes leave "
            "too few samples and %s goes empty or jumps: use a window of at least %s",
            text, dur(&c->tmp, range), dur(&c->tmp, cd.ms), cd.why, fn, dur(&c->tmp, 4 * cd.ms));
    }
}

static void check_absent_labels(struct walk *w, const struct ast_node *call)
{
    struct lint_ctx *c = w->c;
    const struct ast_node *vs = absent_selector(call);
    if (!vs)
        return;
    for (size_t i = 0; i < vs->u.vs.nmatchers; i++) {
        const struct ast_matcher *m = &vs->u.vs.matchers[i];
        if (!strcmp(m->name, "__name__"))
            continue;
        static const char *const ops[] = {"=", "!=", "=~", "!~"};
        bool lost = m->op != AST_MATCH_EQ;
        if (!lost) {
            bool first = true;
            for (size_t k = 0; k < vs->u.vs.nmatchers; k++)
                if (vs->u.vs.matchers[k].op == AST_MATCH_EQ && !strcmp(vs->u.vs.matchers[k].name, m->name)) {
                    if (k < i)
                        first = false;
                    else if (k > i && first)
                        lost = true;
                }
            if (!first)
                continue; /* reported with the first one */
        }
        if (!lost)
            continue;
        lint_add(
            c, LINT_ABSENT_LABEL_LOST, lint_expr_offset(c, call->pos.start), true,
            "%s: the label %s (matched with %s) cannot appear in %s()'s output, which keeps only labels "
            "matched once with '=': the alert cannot say which %s is missing; write one %s() per value with "
            "%s=\"...\", or set %s in the rule's labels",
            node_text(&c->tmp, call), m->name, m->op == AST_MATCH_EQ ? "= more than once" : ops[m->op],
            call->u.call.fn->name, m->name, call->u.call.fn->name, m->name, m->name);
    }
}

static void walk_expr(struct walk *w, const struct ast_node *n, bool in_absent)
{
    struct lint_ctx *c = w->c;
    if (!n)
        return;
    switch (n->kind) {
    case AST_VECTOR_SELECTOR: {
        struct cadence cd = cadence_of(c, n);
        if (cd.ms >= c->opts->lookback_ms)
            lint_add(
                c, LINT_CADENCE_EXCEEDS_LOOKBACK, lint_expr_offset(c, n->pos.start), true,
                "%s: its cadence %s (%s) is not shorter than the lookback delta %s, so between samples the "
                "instant selector returns nothing%s: wrap it in last_over_time(...[%s]) or make the series "
                "report more often",
                node_text(&c->tmp, n), dur(&c->tmp, cd.ms), cd.why, dur(&c->tmp, c->opts->lookback_ms),
                in_absent ? " and absent() fires" : " and the rule resolves", dur(&c->tmp, 2 * cd.ms));
        check_no_series(w, n, in_absent);
        return;
    }
    case AST_MATRIX_SELECTOR:
        check_no_series(w, n->u.ms.vs, in_absent);
        return;
    case AST_SUBQUERY:
        walk_expr(w, n->u.sq.expr, in_absent);
        return;
    case AST_PAREN:
        walk_expr(w, n->u.paren.expr, in_absent);
        return;
    case AST_UNARY:
        walk_expr(w, n->u.unary.expr, in_absent);
        return;
    case AST_AGGREGATE:
        walk_expr(w, n->u.agg.param, in_absent);
        walk_expr(w, n->u.agg.expr, in_absent);
        return;
    case AST_BINARY:
        walk_expr(w, n->u.bin.lhs, in_absent);
        walk_expr(w, n->u.bin.rhs, in_absent);
        return;
    case AST_CALL:
        if (is_rate_family(n->u.call.fn->id))
            check_rate_window(w, n);
        if (is_absent(n))
            check_absent_labels(w, n);
        for (size_t i = 0; i < n->u.call.nargs; i++)
            walk_expr(w, n->u.call.args[i], in_absent || is_absent(n));
        return;
    default:
        return;
    }
}

/* ---- rule-level checks ---- */

static void check_missing(struct lint_ctx *c)
{
    const struct rule *r = c->r;
    if (c->pol.has_on_missing || survives_missing(r->ast))
        return;
    struct sel_list sels = {0};
    selectors_outside_absent(r->ast, &sels, &c->tmp);
    if (!sels.len)
        return;
    const struct ast_node *uncovered = NULL;
    for (size_t i = 0; i < sels.len && !uncovered; i++) {
        bool covered = false;
        for (size_t k = 0; k < c->nabsents && !covered; k++)
            covered = absent_covers(c->absents[k].vs, sels.items[i]);
        if (!covered)
            uncovered = sels.items[i];
    }
    if (!uncovered)
        return;
    const char *sel = lint_selector_text(c, &c->tmp, uncovered);
    lint_add(
        c, LINT_RESOLVES_ON_MISSING, lint_expr_offset(c, uncovered->pos.start), true,
        "when %s returns nothing (target gone, exporter down, renamed metric) the expression returns nothing "
        "and the alert resolves though nothing proved it healthy: add '# heed: on-missing=hold' above the "
        "rule "
        "or its group so heed holds it until fresh data decides, or add a companion alert on absent(%s)",
        sel, sel);
}

static void check_counter_guard(struct lint_ctx *c)
{
    if (c->pol.has_max_unchanged)
        return;
    const struct ast_node *n = counter_rate_node(c, c->r->ast, 0);
    if (!n)
        return;
    struct strbuf sb = STRBUF_INIT;
    if (n->kind == AST_CALL)
        strbuf_addf(&sb, "applies %s() to a counter", n->u.call.fn->name);
    else
        strbuf_addf(&sb, "reads %s, recorded from a counter rate", n->u.vs.name);
    lint_add(
        c, LINT_COUNTER_NO_UNCHANGED_GUARD, lint_expr_offset(c, n->pos.start), true,
        "the alert %s: an exporter that keeps serving a frozen value while scrapes succeed makes the rate 0, "
        "so the alert resolves or never fires and nobody is told the data died: add '# heed: "
        "max-unchanged=15m' (longer than the counter's longest normal quiet spell) above the rule or group",
        sb.buf);
    strbuf_release(&sb);
}

static void check_for(struct lint_ctx *c)
{
    const struct rule *r = c->r;
    int64_t iv = c->interval_ms;
    if (r->for_ms <= 0)
        return;
    uint32_t at = find_in_rule(c, "for:", true);
    if (r->for_ms < iv) {
        lint_add(
            c, LINT_FOR_SHORTER_THAN_INTERVAL, at, true,
            "for: %s is shorter than the group's evaluation interval %s: the alert fires at the second "
            "evaluation that returns it, after %s, not %s: write for: %s (or shorten the group's interval)",
            dur(&c->tmp, r->for_ms), dur(&c->tmp, iv), dur(&c->tmp, iv), dur(&c->tmp, r->for_ms),
            dur(&c->tmp, iv));
    } else if (r->for_ms % iv) {
        int64_t eff = (r->for_ms / iv + 1) * iv;
        lint_add(
            c, LINT_FOR_NOT_MULTIPLE_OF_INTERVAL, at, true,
            "for: %s is not a multiple of the group's evaluation interval %s, so it takes effect as %s (the "
            "first evaluation after it): write for: %s or %s",
            dur(&c->tmp, r->for_ms), dur(&c->tmp, iv), dur(&c->tmp, eff), dur(&c->tmp, eff - iv),
            dur(&c->tmp, eff));
    }
}

static void check_never_fires(struct lint_ctx *c)
{
    const struct rule *r = c->r;
    const struct ast_node *why = NULL;
    int64_t run = run_bound(r->ast, &why);
    if (run == UNBOUNDED || !why)
        return;
    const char *kff = r->keep_firing_for_ms > 0
                          ? arena_printf(&c->tmp, "; its keep_firing_for: %s never comes into play",
                                         dur(&c->tmp, r->keep_firing_for_ms))
                          : "";
    if (run == 0) {
        lint_add(
            c, LINT_ALERT_NEVER_FIRES, lint_expr_offset(c, why->pos.start), true,
            "%s is never true, so the expression never returns anything and the alert can never fire%s: fix "
            "the condition",
            node_text(&c->tmp, why), kff);
    } else if (r->for_ms >= run) {
        lint_add(
            c, LINT_ALERT_NEVER_FIRES, find_in_rule(c, "for:", true), true,
            "for: %s can never elapse: the expression is true for at most %s without a break (%s), and an "
            "alert fires only after being returned for the whole for duration%s: make for shorter than %s or "
            "widen the condition",
            dur(&c->tmp, r->for_ms), dur(&c->tmp, run), node_text(&c->tmp, why), kff, dur(&c->tmp, run));
    }
}

/* Label names a template refers to: $labels.x, .Labels.x, index $labels "x".
 * Inside range or with, the dot is something else (a query result), so
 * .Labels is then left alone; $labels always means the alert's. */
static void check_templates_in(struct lint_ctx *c, const struct lset *ls, const char *where, const char *tmpl)
{
    bool dot_moves = strstr(tmpl, "range") || strstr(tmpl, "with");
    for (const char *p = tmpl; (p = strstr(p, "{{"));) {
        const char *end = strstr(p, "}}");
        if (!end)
            break;
        for (const char *q = p; q < end; q++) {
            size_t skip = 0;
            bool quoted = false;
            if (!strncmp(q, "$labels.", 8))
                skip = 8;
            else if (!dot_moves && !strncmp(q, ".Labels.", 8) &&
                     (q[-1] == ' ' || q[-1] == '(' || q[-1] == '{'))
                skip = 8;
            else if (!strncmp(q, "index $labels \"", 15))
                skip = 15, quoted = true;
            else if (!dot_moves && !strncmp(q, "index .Labels \"", 15))
                skip = 15, quoted = true;
            if (!skip)
                continue;
            const char *nm = q + skip, *e = nm;
            while (e < end && (quoted ? *e != '"'
                                      : (*e == '_' || (*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
                                         (*e >= '0' && *e <= '9'))))
                e++;
            if (e == nm)
                continue;
            const char *name = arena_strndup(&c->tmp, nm, (size_t)(e - nm));
            if (!strcmp(name, "__name__") || ls_can_have(ls, name))
                continue;
            struct strbuf keeps = STRBUF_INIT;
            if (!ls->open) {
                for (size_t i = 0; i < ls->n; i++)
                    strbuf_addf(&keeps, "%s%s", i ? ", " : "", ls->names[i]);
            }
            const char *ref = arena_strndup(&c->tmp, q, (size_t)(e - q) + (quoted ? 1 : 0));
            lint_add(
                c, LINT_TEMPLATE_LABEL_DROPPED, find_in_rule(c, ref, false), true,
                "%s uses %s, but the expression's result can never carry the label %s (%s%s%s): keep it in "
                "the aggregation's by (...) or on (...) list, or stop using it in the template",
                where, ref, name,
                ls->open    ? "it is dropped by a without/ignoring/function"
                : keeps.len ? "it keeps only "
                            : "it carries no labels",
                ls->open ? "" : keeps.buf, "");
            strbuf_release(&keeps);
            q = e;
        }
        p = end + 2;
    }
}

static void check_templates(struct lint_ctx *c)
{
    const struct rule *r = c->r;
    struct lset ls = infer_labels(&c->tmp, r->ast);
    for (size_t i = 0; i < r->annotations.len; i++)
        check_templates_in(c, &ls, arena_printf(&c->tmp, "annotation %s", r->annotations.items[i].name),
                           r->annotations.items[i].value);
    for (size_t i = 0; i < r->labels.len; i++)
        check_templates_in(c, &ls, arena_printf(&c->tmp, "label %s", r->labels.items[i].name),
                           r->labels.items[i].value);
}

void lint_collect_rule(struct lint_ctx *c)
{
    const struct rule *r = c->r;
    if (r->type == RULE_RECORDING) {
        if (!lint_map_get(&c->records, r->name))
            lint_map_put(&c->records, r->name, (void *)r);
    } else {
        if (lint_always_fires(r->ast))
            c->have_watchdog = true;
    }
    /* absence alerts and (online) every distinct selector */
    struct arena_mark m = arena_mark(&c->tmp);
    const struct ast_node *stack[256];
    size_t sp = 0;
    stack[sp++] = r->ast;
    while (sp) {
        const struct ast_node *n = stack[--sp];
        if (!n)
            continue;
        const struct ast_node *vs;
        if (r->type == RULE_ALERTING && (vs = absent_selector(n))) {
            XGROW(c->absents, c->capabsents, c->nabsents + 1);
            c->absents[c->nabsents++].vs = vs;
        }
        if (c->opts->backend && n->kind == AST_VECTOR_SELECTOR) {
            const char *t = lint_selector_text(c, &c->tmp, n);
            if (!lint_map_get(&c->sels, t)) {
                struct lint_sel *s = ARENA_NEW(c->a, struct lint_sel);
                s->text = arena_strdup(c->a, t);
                lint_map_put(&c->sels, s->text, s);
                XGROW(c->sel_list, c->capsel, c->nsel + 1);
                c->sel_list[c->nsel++] = s;
            }
        }
#define PUSH(x)                                                                                              \
    do {                                                                                                     \
        if (sp < sizeof stack / sizeof *stack)                                                               \
            stack[sp++] = (x);                                                                               \
    } while (0)
        switch (n->kind) {
        case AST_MATRIX_SELECTOR:
            PUSH(n->u.ms.vs);
            break;
        case AST_SUBQUERY:
            PUSH(n->u.sq.expr);
            break;
        case AST_PAREN:
            PUSH(n->u.paren.expr);
            break;
        case AST_UNARY:
            PUSH(n->u.unary.expr);
            break;
        case AST_AGGREGATE:
            PUSH(n->u.agg.param);
            PUSH(n->u.agg.expr);
            break;
        case AST_BINARY:
            PUSH(n->u.bin.lhs);
            PUSH(n->u.bin.rhs);
            break;
        case AST_CALL:
            for (size_t i = 0; i < n->u.call.nargs; i++)
                PUSH(n->u.call.args[i]);
            break;
        default:
            break;
        }
#undef PUSH
    }
    arena_reset(&c->tmp, m);
}

void lint_check_rule(struct lint_ctx *c)
{
    struct walk w = {.c = c, .min_lag = INT64_MAX};
    lint_map_init(&w.seen_missing);
    walk_expr(&w, c->r->ast, false);
    lint_map_release(&w.seen_missing);
    if (c->r->type == RULE_ALERTING) {
        check_missing(c);
        check_counter_guard(c);
        check_for(c);
        check_never_fires(c);
        check_templates(c);
    }
    /* online: the ingestion lag, against the group's query_offset */
    if (w.lag_sel && w.min_lag > c->group_lag) {
        c->group_lag = w.min_lag;
        c->group_lag_sel = arena_strdup(c->a, w.lag_sel);
        c->group_lag_age = w.lag_age;
        c->group_lag_cadence = w.lag_cadence;
    }
}

void lint_check_group_end(struct lint_ctx *c)
{
    int64_t offset = c->g->has_query_offset ? c->g->query_offset_ms : c->opts->query_offset_ms;
    /* In a healthy pipeline the newest sample is up to two cadences old (one
     * interval, plus the scrape's own duration before it is stored), so a lag
     * estimate below one cadence, or below a second, is scrape timing. */
    if (!c->group_lag_sel || c->group_lag < 1000 || c->group_lag < c->group_lag_cadence ||
        c->group_lag <= offset)
        return;
    int64_t lag = c->group_lag;
    int64_t suggest = (lag + 59999) / 60000 * 60000;
    if (suggest - lag < 15000)
        suggest += 60000;
    lint_add(c, LINT_QUERY_OFFSET_BELOW_LAG, c->g->offset, false,
             "the group evaluates with query_offset %s, but the backend's newest sample of %s is %s old at a "
             "cadence "
             "of %s, so data arrives at least %s late: the rules see incomplete data and resolve on it; set "
             "query_offset: %s on the group (if these series stopped instead, see selector-no-series)",
             dur(c->a, offset), c->group_lag_sel, dur(c->a, c->group_lag_age),
             dur(c->a, c->group_lag_cadence), dur(c->a, lag), dur(c->a, suggest));
}
