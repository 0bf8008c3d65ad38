/* ev_dur: the durations a query resolves when it runs -- ranges, subquery
 * steps and offsets written as duration expressions (step(), range(), ...),
 * evaluated with the top-level query's step and range as upstream's
 * PreprocessExpr does. Literal durations pass through unchanged. */
#include "base/strbuf.h"
#include "eval/ev.h"

/* The query's step and range, as upstream's durationVisitor sees them. */
static int resolve(const struct ev *ev, const struct ast_dur *d, bool allow_negative, int64_t *ms,
                   struct strbuf *err)
{
    return ast_dur_eval(d, ev->qstep, ev->qend - ev->qstart, allow_negative, ms, err);
}

/* After ev_check_durations succeeded no expression fails, so this cannot either. */
static int64_t value_of(const struct ev *ev, const struct ast_dur *d, bool allow_negative)
{
    struct strbuf err = STRBUF_INIT;
    int64_t ms = 0;
    if (resolve(ev, d, allow_negative, &ms, &err) < 0)
        ms = 0;
    strbuf_release(&err);
    return ms;
}

int64_t ev_offset_ms(const struct ev *ev, const struct ast_time_mod *tm)
{
    return tm->offset_expr ? value_of(ev, tm->offset_expr, true) : tm->offset_ms;
}

int64_t ev_range_ms(const struct ev *ev, const struct ast_node *n)
{
    if (n->kind == AST_MATRIX_SELECTOR)
        return n->u.ms.range_expr ? value_of(ev, n->u.ms.range_expr, false) : n->u.ms.range_ms;
    return n->u.sq.range_expr ? value_of(ev, n->u.sq.range_expr, false) : n->u.sq.range_ms;
}

int64_t ev_subq_step_ms(const struct ev *ev, const struct ast_node *n)
{
    return n->u.sq.step_expr ? value_of(ev, n->u.sq.step_expr, false) : n->u.sq.step_ms;
}

struct check_ctx {
    struct ev *ev;
    struct strbuf err;
};

static int check_one(struct check_ctx *cc, const struct ast_dur *d, bool allow_negative)
{
    int64_t ms;
    return d ? resolve(cc->ev, d, allow_negative, &ms, &cc->err) : 0;
}

static int check_cb(const struct ast_node *n, void *ctx)
{
    struct check_ctx *cc = ctx;
    switch (n->kind) {
    case AST_VECTOR_SELECTOR:
        return check_one(cc, n->u.vs.tm.offset_expr, true);
    case AST_MATRIX_SELECTOR:
        return check_one(cc, n->u.ms.range_expr, false);
    case AST_SUBQUERY:
        /* upstream's order: offset, step, range */
        if (check_one(cc, n->u.sq.tm.offset_expr, true) < 0 || check_one(cc, n->u.sq.step_expr, false) < 0)
            return -1;
        return check_one(cc, n->u.sq.range_expr, false);
    default:
        return 0;
    }
}

int ev_check_durations(struct ev *ev, const struct ast_node *root)
{
    struct check_ctx cc = {ev, STRBUF_INIT};
    int rc = 0;
    if (ast_walk(root, check_cb, &cc) != 0)
        rc = ev_fail(ev, EVAL_ERR_BAD_DATA, "%s", cc.err.buf);
    strbuf_release(&cc.err);
    return rc;
}
