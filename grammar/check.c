/* check: PromQL type checking after a successful parse, as Prometheus's
 * checkAST (promql/parser/parse.go): same order of checks, same messages,
 * same positions. It also finishes the tree as upstream does: set operators
 * get many-to-many matching and matching is dropped unless both sides are
 * instant vectors. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "grammar/pq.h"

static enum ast_type check(struct pq_ctx *c, struct ast_node *n);

/* Upstream's ValueType names (used in the subquery message). */
static const char *raw_type_name(enum ast_type t)
{
    switch (t) {
    case AST_TYPE_SCALAR: return "scalar";
    case AST_TYPE_VECTOR: return "vector";
    case AST_TYPE_MATRIX: return "matrix";
    case AST_TYPE_STRING: return "string";
    case AST_TYPE_NONE: break;
    }
    return "none";
}

static void expect_type(struct pq_ctx *c, struct ast_node *n, enum ast_type want, const char *context)
{
    enum ast_type t = check(c, n);
    if (t != want)
        pq_error(c, DIAG_TYPE, n->pos, "expected type %s in %s, got %s", ast_type_name(want), context,
                 ast_type_name(t));
}

/* The operator's own span: first non-space after the LHS to last non-space before the RHS. */
static struct span op_span(const struct pq_ctx *c, const struct ast_node *n)
{
    struct span r;
    r.start = n->u.bin.lhs->pos.end;
    while (r.start < c->len && isspace((unsigned char)c->src[r.start]))
        r.start++;
    r.end = n->u.bin.rhs->pos.start;
    return r;
}

static void check_binary(struct pq_ctx *c, struct ast_node *n)
{
    enum ast_type lt = check(c, n->u.bin.lhs);
    enum ast_type rt = check(c, n->u.bin.rhs);
    enum ast_binop op = n->u.bin.op;
    struct ast_matching *vm = n->u.bin.matching;
    char opq[16];
    snprintf(opq, sizeof opq, "\"%s\"", ast_binop_name(op));

    if (n->u.bin.return_bool && !ast_binop_is_comparison(op))
        pq_error(c, DIAG_TYPE, op_span(c, n), "bool modifier can only be used on comparison operators");
    if (ast_binop_is_comparison(op) && !n->u.bin.return_bool && rt == AST_TYPE_SCALAR && lt == AST_TYPE_SCALAR)
        pq_error(c, DIAG_TYPE, op_span(c, n), "comparisons between scalars must use BOOL modifier");
    if (vm && ast_binop_is_set(op) && vm->card == AST_CARD_ONE_TO_ONE)
        vm->card = AST_CARD_MANY_TO_MANY;
    if (vm && vm->on)
        for (size_t i = 0; i < vm->nlabels; i++)
            for (size_t j = 0; j < vm->ninclude; j++)
                if (!strcmp(vm->labels[i], vm->include[j])) {
                    struct strbuf q = STRBUF_INIT;
                    pq_quote(&q, vm->labels[i], strlen(vm->labels[i]));
                    pq_error(c, DIAG_TYPE, op_span(c, n), "label %s must not occur in ON and GROUP clause at once",
                             q.buf);
                    strbuf_release(&q);
                }
    if (lt != AST_TYPE_SCALAR && lt != AST_TYPE_VECTOR)
        pq_error(c, DIAG_TYPE, n->u.bin.lhs->pos, "binary expression must contain only scalar and instant vector types");
    if (rt != AST_TYPE_SCALAR && rt != AST_TYPE_VECTOR)
        pq_error(c, DIAG_TYPE, n->u.bin.rhs->pos, "binary expression must contain only scalar and instant vector types");

    if ((lt != AST_TYPE_VECTOR || rt != AST_TYPE_VECTOR) && vm) {
        if (vm->nlabels > 0)
            pq_error(c, DIAG_TYPE, n->pos, "vector matching only allowed between instant vectors");
        if (vm->fill_lhs || vm->fill_rhs)
            pq_error(c, DIAG_TYPE, n->pos, "filling in missing series only allowed between instant vectors");
        n->u.bin.matching = NULL;
    } else if (vm && ast_binop_is_set(op)) {
        if (vm->card == AST_CARD_ONE_TO_MANY || vm->card == AST_CARD_MANY_TO_ONE)
            pq_error(c, DIAG_TYPE, n->pos, "no grouping allowed for %s operation", opq);
        if (vm->card != AST_CARD_MANY_TO_MANY)
            pq_error(c, DIAG_TYPE, n->pos, "set operations must always be many-to-many");
        if (vm->fill_lhs || vm->fill_rhs)
            pq_error(c, DIAG_TYPE, n->pos, "filling in missing series not allowed for set operators");
    }
    if ((lt == AST_TYPE_SCALAR || rt == AST_TYPE_SCALAR) && ast_binop_is_set(op))
        pq_error(c, DIAG_TYPE, n->pos, "set operator %s not allowed in binary scalar expression", opq);
}

static void check_call(struct pq_ctx *c, struct ast_node *n)
{
    const struct fn_info *fn = n->u.call.fn;
    size_t nargs = strlen(fn->args), got = n->u.call.nargs;
    struct strbuf q = STRBUF_INIT;
    pq_quote(&q, fn->name, strlen(fn->name));
    if (fn->variadic == 0) {
        if (nargs != got)
            pq_error(c, DIAG_TYPE, n->pos, "expected %zu argument(s) in call to %s, got %zu", nargs, q.buf, got);
    } else {
        size_t na = nargs - 1;
        if (na > got)
            pq_error(c, DIAG_TYPE, n->pos, "expected at least %zu argument(s) in call to %s, got %zu", na, q.buf, got);
        else if (fn->variadic > 0 && na + (size_t)fn->variadic < got)
            pq_error(c, DIAG_TYPE, n->pos, "expected at most %zu argument(s) in call to %s, got %zu",
                     na + (size_t)fn->variadic, q.buf, got);
    }
    if (fn->id == FN_INFO && got > 1) {
        struct ast_node *sel = n->u.call.args[1];
        enum ast_type t = ast_node_type(sel);
        if (t != AST_TYPE_VECTOR)
            pq_error(c, DIAG_TYPE, n->pos, "expected type %s in call to function %s, got %s",
                     ast_type_name(AST_TYPE_VECTOR), q.buf, ast_type_name(t));
        if (sel->kind == AST_VECTOR_SELECTOR && sel->u.vs.name)
            pq_error(c, DIAG_TYPE, sel->pos, "expected label selectors only, got vector selector instead");
        else if (sel->kind != AST_VECTOR_SELECTOR)
            pq_error(c, DIAG_TYPE, sel->pos, "expected label selectors only");
    }
    for (size_t i = 0; i < got; i++) {
        size_t k = i;
        if (k >= nargs) {
            if (fn->variadic == 0)
                break;
            k = nargs - 1;
        }
        struct ast_node *arg = n->u.call.args[i];
        enum ast_type want = AST_TYPE_NONE;
        switch (fn->args[k]) {
        case 's': want = AST_TYPE_SCALAR; break;
        case 'v': want = AST_TYPE_VECTOR; break;
        case 'm': want = AST_TYPE_MATRIX; break;
        case 'S': want = AST_TYPE_STRING; break;
        }
        /* info()'s label-selector argument may match only empty values. */
        enum ast_type t = (fn->id == FN_INFO && i == 1 && arg->kind == AST_VECTOR_SELECTOR) ? AST_TYPE_VECTOR
                                                                                               : check(c, arg);
        if (t != want)
            pq_error(c, DIAG_TYPE, arg->pos, "expected type %s in call to function %s, got %s", ast_type_name(want),
                     q.buf, ast_type_name(t));
    }
    strbuf_release(&q);
}

static void check_selector(struct pq_ctx *c, struct ast_node *n)
{
    if (n->u.vs.name) {
        for (size_t i = 1; i < n->u.vs.nmatchers; i++) {
            const struct ast_matcher *m = &n->u.vs.matchers[i];
            if (!strcmp(m->name, "__name__")) {
                struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
                pq_quote(&a, n->u.vs.name, strlen(n->u.vs.name));
                pq_quote(&b, m->value, strlen(m->value));
                pq_error(c, DIAG_TYPE, n->pos, "metric name must not be set twice: %s or %s", a.buf, b.buf);
                strbuf_release(&a);
                strbuf_release(&b);
            }
        }
        return;
    }
    for (size_t i = 0; i < n->u.vs.nmatchers; i++)
        if (!ast_matcher_matches(&n->u.vs.matchers[i], "", 0))
            return;
    pq_error(c, DIAG_TYPE, n->pos, "vector selector must contain at least one non-empty matcher");
}

static enum ast_type check(struct pq_ctx *c, struct ast_node *n)
{
    enum ast_type t = ast_node_type(n);
    switch (n->kind) {
    case AST_AGGREGATE:
        expect_type(c, n->u.agg.expr, AST_TYPE_VECTOR, "aggregation expression");
        if (n->u.agg.op == AST_AGG_TOPK || n->u.agg.op == AST_AGG_BOTTOMK || n->u.agg.op == AST_AGG_QUANTILE ||
            n->u.agg.op == AST_AGG_LIMITK || n->u.agg.op == AST_AGG_LIMIT_RATIO)
            expect_type(c, n->u.agg.param, AST_TYPE_SCALAR, "aggregation parameter");
        if (n->u.agg.op == AST_AGG_COUNT_VALUES)
            expect_type(c, n->u.agg.param, AST_TYPE_STRING, "aggregation parameter");
        break;
    case AST_BINARY:
        check_binary(c, n);
        t = ast_node_type(n);
        break;
    case AST_CALL:
        check_call(c, n);
        break;
    case AST_PAREN:
        check(c, n->u.paren.expr);
        break;
    case AST_UNARY: {
        enum ast_type et = check(c, n->u.unary.expr);
        if (et != AST_TYPE_SCALAR && et != AST_TYPE_VECTOR)
            pq_error(c, DIAG_TYPE, n->pos,
                     "unary expression only allowed on expressions of type scalar or instant vector, got \"%s\"",
                     ast_type_name(et));
        break;
    }
    case AST_SUBQUERY: {
        enum ast_type et = check(c, n->u.sq.expr);
        if (et != AST_TYPE_VECTOR)
            pq_error(c, DIAG_TYPE, n->pos, "subquery is only allowed on instant vector, got %s instead",
                     raw_type_name(et));
        break;
    }
    case AST_MATRIX_SELECTOR:
        check(c, n->u.ms.vs);
        break;
    case AST_VECTOR_SELECTOR:
        check_selector(c, n);
        break;
    case AST_NUMBER:
    case AST_STRING:
        break;
    }
    return t;
}

void pq_check(struct pq_ctx *c, struct ast_node *root)
{
    check(c, root);
}
