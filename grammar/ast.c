/* ast: names, the function table, value types, the walker and label matching.
 * The printer is in ast_print.c. */
#include "grammar/ast.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "grammar/pq.h"

const char *ast_type_name(enum ast_type t)
{
    switch (t) {
    case AST_TYPE_SCALAR: return "scalar";
    case AST_TYPE_VECTOR: return "instant vector";
    case AST_TYPE_MATRIX: return "range vector";
    case AST_TYPE_STRING: return "string";
    case AST_TYPE_NONE: break;
    }
    return "none";
}

/* ORDER binop */
static const char *const binop_names[] = {
    "or", "and", "unless", "==", "!=", "<=", "<", ">=", ">", "</", ">/", "+", "-", "*", "/", "%", "atan2", "^",
};

const char *ast_binop_name(enum ast_binop op)
{
    return (unsigned)op < sizeof binop_names / sizeof binop_names[0] ? binop_names[op] : "?";
}

bool ast_binop_is_comparison(enum ast_binop op)
{
    return op >= AST_OP_EQLC && op <= AST_OP_GTR;
}

bool ast_binop_is_set(enum ast_binop op)
{
    return op == AST_OP_LOR || op == AST_OP_LAND || op == AST_OP_LUNLESS;
}

/* ORDER aggop */
static const char *const aggop_names[] = {
    "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk",
    "count_values", "quantile", "limitk", "limit_ratio",
};

const char *ast_aggop_name(enum ast_aggop op)
{
    return (unsigned)op < sizeof aggop_names / sizeof aggop_names[0] ? aggop_names[op] : "?";
}

/* funcs.def's return-type letter as an enum, usable in a static initializer. */
#define TYPE_OF_LETTER(c)                                                                     \
    ((c) == 's' ? AST_TYPE_SCALAR : (c) == 'v' ? AST_TYPE_VECTOR : (c) == 'm' ? AST_TYPE_MATRIX \
                                     : (c) == 'S' ? AST_TYPE_STRING : AST_TYPE_NONE)

static const struct fn_info fn_table[] = {
#define X(id, name, ret, args, variadic, experimental) \
    {FN_##id, name, TYPE_OF_LETTER(ret), args, variadic, experimental},
#include "grammar/funcs.def"
#undef X
};

const struct fn_info *ast_fn_lookup(const char *name, size_t len)
{
    const struct fn_info *t = fn_table;
    size_t lo = 0, hi = FN__COUNT; /* the table is sorted by name (ORDER funcs) */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strncmp(t[mid].name, name, len);
        if (cmp == 0 && t[mid].name[len] != 0)
            cmp = 1;
        if (cmp == 0)
            return &t[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct fn_info *ast_fn_info(enum fn_id id)
{
    return (unsigned)id < FN__COUNT ? &fn_table[id] : NULL;
}

enum ast_type ast_node_type(const struct ast_node *n)
{
    if (!n)
        return AST_TYPE_NONE;
    switch (n->kind) {
    case AST_NUMBER: return AST_TYPE_SCALAR;
    case AST_STRING: return AST_TYPE_STRING;
    case AST_VECTOR_SELECTOR: return AST_TYPE_VECTOR;
    case AST_MATRIX_SELECTOR: return AST_TYPE_MATRIX;
    case AST_SUBQUERY: return AST_TYPE_MATRIX;
    case AST_CALL: return n->u.call.fn ? n->u.call.fn->ret : AST_TYPE_NONE;
    case AST_AGGREGATE: return AST_TYPE_VECTOR;
    case AST_BINARY:
        if (ast_node_type(n->u.bin.lhs) == AST_TYPE_SCALAR && ast_node_type(n->u.bin.rhs) == AST_TYPE_SCALAR)
            return AST_TYPE_SCALAR;
        return AST_TYPE_VECTOR;
    case AST_UNARY: return ast_node_type(n->u.unary.expr);
    case AST_PAREN: return ast_node_type(n->u.paren.expr);
    }
    return AST_TYPE_NONE;
}

int ast_walk(const struct ast_node *n, int (*fn)(const struct ast_node *, void *), void *ctx)
{
    if (!n)
        return 0;
    int rc = fn(n, ctx);
    if (rc)
        return rc;
    switch (n->kind) {
    case AST_NUMBER:
    case AST_STRING:
    case AST_VECTOR_SELECTOR:
        return 0;
    case AST_MATRIX_SELECTOR:
        return ast_walk(n->u.ms.vs, fn, ctx);
    case AST_SUBQUERY:
        return ast_walk(n->u.sq.expr, fn, ctx);
    case AST_CALL:
        for (size_t i = 0; i < n->u.call.nargs; i++)
            if ((rc = ast_walk(n->u.call.args[i], fn, ctx)))
                return rc;
        return 0;
    case AST_AGGREGATE:
        if ((rc = ast_walk(n->u.agg.param, fn, ctx)))
            return rc;
        return ast_walk(n->u.agg.expr, fn, ctx);
    case AST_BINARY:
        if ((rc = ast_walk(n->u.bin.lhs, fn, ctx)))
            return rc;
        return ast_walk(n->u.bin.rhs, fn, ctx);
    case AST_UNARY:
        return ast_walk(n->u.unary.expr, fn, ctx);
    case AST_PAREN:
        return ast_walk(n->u.paren.expr, fn, ctx);
    }
    return 0;
}

/* Matching runs per series, from any thread: PCRE2's per-call state
 * (general context, match data) comes from a buffer on the caller's stack,
 * with malloc only for what does not fit (the interpreter's backtracking
 * frames on hard patterns). */
struct match_bump {
    _Alignas(16) unsigned char buf[1024];
    size_t used;
};

static void *bump_malloc(PCRE2_SIZE n, void *ud)
{
    struct match_bump *b = ud;
    n = (n + 15) & ~(PCRE2_SIZE)15;
    if (b->used + n <= sizeof b->buf) {
        void *p = b->buf + b->used;
        b->used += n;
        return p;
    }
    return malloc(n);
}

static void bump_free(void *p, void *ud)
{
    struct match_bump *b = ud;
    if ((unsigned char *)p >= b->buf && (unsigned char *)p < b->buf + sizeof b->buf)
        return;
    free(p);
}

static bool regex_matches(const struct ast_matcher *m, const char *value, size_t len)
{
    if (m->re_literal)
        return strlen(m->value) == len && memcmp(m->value, value, len) == 0;
    if (!m->re)
        return false;
    struct match_bump bump;
    bump.used = 0;
    pcre2_general_context *gc = pcre2_general_context_create(bump_malloc, bump_free, &bump);
    pcre2_match_data *md = gc ? pcre2_match_data_create(1, gc) : NULL;
    int rc = md ? pcre2_match(m->re, (PCRE2_SPTR)value, len, 0, 0, md, NULL) : -1;
    pcre2_match_data_free(md);
    pcre2_general_context_free(gc);
    return rc >= 0;
}

bool ast_matcher_matches(const struct ast_matcher *m, const char *value, size_t len)
{
    switch (m->op) {
    case AST_MATCH_EQ:
        return strlen(m->value) == len && memcmp(m->value, value, len) == 0;
    case AST_MATCH_NEQ:
        return !(strlen(m->value) == len && memcmp(m->value, value, len) == 0);
    case AST_MATCH_RE:
        return regex_matches(m, value, len);
    case AST_MATCH_NRE:
        return !regex_matches(m, value, len);
    }
    return false;
}

static void free_regex(void *p)
{
    pcre2_code_free(p);
}

/* Syntax that PCRE2 accepts but Go's RE2-based regexp rejects; returns the
 * offending construct or NULL. Escapes and character classes are skipped. */
static const char *non_re2_syntax(const char *re)
{
    bool in_class = false;
    for (const char *p = re; *p; p++) {
        if (*p == '\\') {
            if (!p[1])
                return NULL;
            p++;
            if (!in_class && ((*p >= '1' && *p <= '9') || *p == 'g' || *p == 'k' || *p == 'K' || *p == 'R' ||
                              *p == 'G' || *p == 'X' || *p == 'h' || *p == 'H' || *p == 'V' || *p == 'N' ||
                              *p == 'Z' || *p == 'e' || *p == 'c' || *p == 'o'))
                return "invalid escape sequence";
            if (*p == 'Q') { /* \Q...\E quotes literally */
                const char *e = strstr(p, "\\E");
                if (!e)
                    return NULL;
                p = e + 1;
            }
            continue;
        }
        if (in_class) {
            if (*p == ']')
                in_class = false;
            continue;
        }
        if (*p == '[') {
            in_class = true;
            if (p[1] == '^')
                p++;
            if (p[1] == ']')
                p++;
            continue;
        }
        if (*p == '(' && p[1] == '?') {
            char k = p[2];
            if (k == '=' || k == '!' || k == '>' || k == '|' || k == '(' || k == 'R' || k == '&' ||
                (k >= '0' && k <= '9') || k == '+' || k == '#' || k == 'C' ||
                (k == '<' && (p[3] == '=' || p[3] == '!')) || (k == 'P' && (p[3] == '=' || p[3] == '>')))
                return "invalid or unsupported Perl syntax";
        }
        if (*p == '(' && p[1] == '*')
            return "missing argument to repetition operator";
        if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '+')
            return "invalid nested repetition operator";
    }
    return NULL;
}

int ast_matcher_compile(struct arena *a, struct ast_matcher *m, struct strbuf *err)
{
    const char *re = m->value;
    const char *why = non_re2_syntax(re);
    if (why) {
        strbuf_addf(err, "error parsing regexp: %s: `%s`", why, re);
        return -1;
    }
    /* A regex without metacharacters is a plain string comparison. */
    m->re_literal = strcspn(re, "\\.+*?()|[]{}^$") == strlen(re);
    int code;
    PCRE2_SIZE off;
    /* Anchored at both ends and with dot matching newline: Prometheus's ^(?s:re)$. */
    uint32_t flags = PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY | PCRE2_UTF |
                     PCRE2_MATCH_INVALID_UTF | PCRE2_NO_UTF_CHECK;
    pcre2_code *code_p = pcre2_compile((PCRE2_SPTR)re, strlen(re), flags & ~PCRE2_NO_UTF_CHECK, &code, &off, NULL);
    if (!code_p) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        strbuf_addf(err, "error parsing regexp: %s: `%s`", (const char *)msg, re);
        return -1;
    }
    /* Label matching runs once per series: JIT-compile when the platform
     * allows (pcre2_match falls back to the interpreter otherwise). */
    if (!m->re_literal)
        (void)pcre2_jit_compile(code_p, PCRE2_JIT_COMPLETE);
    m->re = code_p;
    arena_on_release(a, free_regex, code_p);
    return 0;
}
