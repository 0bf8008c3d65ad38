/* ast_dur: duration expressions (upstream's experimental promql-duration-expr):
 * their construction with the checks upstream's grammar actions make
 * (generated_parser.y duration_expr rules, parse.go applyUnaryOpToDurationExpr,
 * wrapParenDurationExpr, experimentalDurationExpr), their printing
 * (printer.go DurationExpr.writeTo) and their evaluation once a query's step
 * and range are known (durations.go). Nodes live in the parse arena. */
#include <math.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "grammar/build.h"
#include "grammar/parse.h"

/* Durations beyond this many seconds do not fit int64 nanoseconds. */
#define DUR_MAX_SECONDS (9223372036854775808.0 / 1e9)

static bool out_of_range(double v)
{
    return v > DUR_MAX_SECONDS || v < -DUR_MAX_SECONDS;
}

static struct ast_dur *new_dur(struct pq_ctx *c, enum ast_dur_op op, struct span sp)
{
    struct ast_dur *d = ARENA_NEW(c->arena, struct ast_dur);
    d->op = op;
    d->pos = sp;
    return d;
}

static void experimental(struct pq_ctx *c, const struct ast_dur *d)
{
    if (!c->opts->experimental)
        pq_error(c, DIAG_SYNTAX, d->pos, "experimental duration expression is not enabled");
}

bool pq_dur_is_literal(const struct ast_dur *d)
{
    return d && d->op == AST_DUR_NUMBER && !d->wrapped;
}

struct ast_dur *pq_dur_literal(struct pq_ctx *c, const struct pq_tok *t, struct span sp, bool duration)
{
    struct ast_dur *d = new_dur(c, AST_DUR_NUMBER, sp);
    d->number = pq_number_value(c, t, sp, duration);
    d->duration = duration;
    return d;
}

struct ast_dur *pq_dur_checked(struct pq_ctx *c, struct ast_dur *d)
{
    if (out_of_range(d->number)) {
        pq_error(c, DIAG_SYNTAX, d->pos, "duration out of range");
        return new_dur(c, AST_DUR_NUMBER, (struct span){0, 0});
    }
    return d;
}

/* Parentheses: a literal gets a node of its own so that it stops being a literal. */
static struct ast_dur *wrap(struct pq_ctx *c, struct ast_dur *d, struct span sp)
{
    if (d->op != AST_DUR_NUMBER || d->wrapped) {
        d->wrapped = true;
        return d;
    }
    struct ast_dur *w = new_dur(c, AST_DUR_NUMBER, sp);
    *w = *d;
    w->pos = (struct span){sp.start, d->pos.end};
    w->wrapped = true;
    return w;
}

struct ast_dur *pq_dur_paren(struct pq_ctx *c, struct ast_dur *d, struct span sp)
{
    experimental(c, d);
    return wrap(c, d, sp);
}

struct ast_dur *pq_dur_unary(struct pq_ctx *c, const struct pq_tok *op, struct span opsp, struct ast_dur *d,
                             bool wrapped)
{
    if (wrapped)
        d = wrap(c, d, d->pos);
    bool neg = op->s[0] == '-';
    if (!pq_dur_is_literal(d)) {
        if (!neg)
            return d;
        struct ast_dur *n = new_dur(c, AST_DUR_NEG, (struct span){opsp.start, d->pos.end});
        n->rhs = d;
        return n;
    }
    if (neg)
        d->number = -d->number;
    if (out_of_range(d->number)) {
        pq_error(c, DIAG_SYNTAX, opsp, "duration out of range");
        return new_dur(c, AST_DUR_NUMBER, (struct span){0, 0});
    }
    d->pos.start = opsp.start;
    return d;
}

struct ast_dur *pq_dur_binary(struct pq_ctx *c, enum ast_dur_op op, struct span opsp, struct ast_dur *l,
                              struct ast_dur *r)
{
    experimental(c, l);
    if ((op == AST_DUR_DIV || op == AST_DUR_MOD) && pq_dur_is_literal(r) && r->number == 0) {
        pq_error(c, DIAG_SYNTAX, opsp, op == AST_DUR_DIV ? "division by zero" : "modulo by zero");
        return new_dur(c, AST_DUR_NUMBER, (struct span){0, 0});
    }
    struct ast_dur *d = new_dur(c, op, (struct span){l->pos.start, r->pos.end});
    d->lhs = l;
    d->rhs = r;
    return d;
}

/* step(), range(), min_of(l, r), max_of(l, r). */
struct ast_dur *pq_dur_call(struct pq_ctx *c, enum ast_dur_op op, struct span sp, struct ast_dur *l,
                            struct ast_dur *r)
{
    struct ast_dur *d = new_dur(c, op, sp);
    d->lhs = l;
    d->rhs = r;
    experimental(c, d);
    return d;
}

struct ast_dur *pq_dur_signed_call(struct pq_ctx *c, const struct pq_tok *op, struct span opsp, struct ast_dur *d)
{
    struct ast_dur *n = d;
    if (op->s[0] == '-') {
        n = new_dur(c, AST_DUR_NEG, (struct span){opsp.start, d->pos.end});
        n->rhs = d;
    }
    experimental(c, n);
    return n;
}

struct ast_dur *pq_dur_positive(struct pq_ctx *c, struct ast_dur *d)
{
    if (!pq_dur_is_literal(d))
        return d;
    if (d->number <= 0) {
        pq_error(c, DIAG_SYNTAX, d->pos, "duration must be greater than 0");
        return new_dur(c, AST_DUR_NUMBER, (struct span){0, 0});
    }
    if (d->number < 0.001)
        /* Times are milliseconds here; Prometheus would keep nanoseconds but
         * print such a range as "0s", which does not read back. */
        pq_error(c, DIAG_SYNTAX, d->pos, "duration must be at least 1ms");
    return d;
}

/* ---- printing ---- */

static const char *op_text(enum ast_dur_op op)
{
    switch (op) {
    case AST_DUR_ADD: return "+";
    case AST_DUR_SUB: case AST_DUR_NEG: return "-";
    case AST_DUR_MUL: return "*";
    case AST_DUR_DIV: return "/";
    case AST_DUR_MOD: return "%";
    case AST_DUR_POW: return "^";
    default: return "?";
    }
}

static void print_number(struct strbuf *out, const struct ast_dur *d)
{
    if (d->duration) {
        /* model.Duration(v*1e9).String(), the sign written first. */
        double ns = d->number * 1e9;
        int64_t ms = fabs(ns) < 9.2e18 ? (int64_t)ns / 1000000 : 0;
        parse_format_duration(out, ms);
    } else {
        pq_format_float(out, d->number);
    }
}

void ast_dur_print(struct strbuf *out, const struct ast_dur *d)
{
    if (d->wrapped)
        strbuf_addch(out, '(');
    switch (d->op) {
    case AST_DUR_NUMBER: print_number(out, d); break;
    case AST_DUR_STEP: strbuf_addstr(out, "step()"); break;
    case AST_DUR_RANGE: strbuf_addstr(out, "range()"); break;
    case AST_DUR_MIN_OF:
    case AST_DUR_MAX_OF:
        strbuf_addstr(out, d->op == AST_DUR_MIN_OF ? "min_of(" : "max_of(");
        ast_dur_print(out, d->lhs);
        strbuf_addstr(out, ", ");
        ast_dur_print(out, d->rhs);
        strbuf_addch(out, ')');
        break;
    case AST_DUR_NEG:
        strbuf_addch(out, '-');
        ast_dur_print(out, d->rhs);
        break;
    default:
        ast_dur_print(out, d->lhs);
        strbuf_addf(out, " %s ", op_text(d->op));
        ast_dur_print(out, d->rhs);
        break;
    }
    if (d->wrapped)
        strbuf_addch(out, ')');
}

void ast_dur_dump(struct strbuf *out, const struct ast_dur *d)
{
    static const char *const names[] = {"number", "step", "range", "min_of", "max_of", "neg",
                                        "+", "-", "*", "/", "%", "^"};
    strbuf_addf(out, "(dur%s %s", d->wrapped ? "-paren" : "", names[d->op]);
    if (d->op == AST_DUR_NUMBER) {
        strbuf_addch(out, ' ');
        pq_format_float(out, d->number);
    }
    if (d->lhs) {
        strbuf_addch(out, ' ');
        ast_dur_dump(out, d->lhs);
    }
    if (d->rhs) {
        strbuf_addch(out, ' ');
        ast_dur_dump(out, d->rhs);
    }
    strbuf_addch(out, ')');
}

/* ---- evaluation ---- */

static int eval_seconds(const struct ast_dur *d, double step, double range, double *v, struct strbuf *err)
{
    double l = 0, r = 0;
    if (d->lhs && eval_seconds(d->lhs, step, range, &l, err) < 0)
        return -1;
    if (d->rhs && eval_seconds(d->rhs, step, range, &r, err) < 0)
        return -1;
    switch (d->op) {
    case AST_DUR_NUMBER: *v = d->number; return 0;
    case AST_DUR_STEP: *v = step; return 0;
    case AST_DUR_RANGE: *v = range; return 0;
    case AST_DUR_MIN_OF: *v = fmin(l, r); return 0;
    case AST_DUR_MAX_OF: *v = fmax(l, r); return 0;
    case AST_DUR_NEG: *v = -r; return 0;
    case AST_DUR_ADD: *v = l + r; return 0;
    case AST_DUR_SUB: *v = l - r; return 0;
    case AST_DUR_MUL: *v = l * r; return 0;
    case AST_DUR_DIV:
    case AST_DUR_MOD:
        if (r == 0) {
            strbuf_addf(err, "%u:%u: %s by zero", d->pos.start, d->pos.end,
                        d->op == AST_DUR_DIV ? "division" : "modulo");
            return -1;
        }
        *v = d->op == AST_DUR_DIV ? l / r : fmod(l, r);
        return 0;
    case AST_DUR_POW: *v = pow(l, r); return 0;
    }
    return 0;
}

/* Seconds of a millisecond count, as Go's Duration.Seconds(). */
static double seconds_of(int64_t ms)
{
    return (double)(ms / 1000) + (double)(ms % 1000) / 1e3;
}

int ast_dur_eval(const struct ast_dur *d, int64_t step_ms, int64_t range_ms, bool allow_negative,
                 int64_t *ms, struct strbuf *err)
{
    double v = 0;
    if (eval_seconds(d, seconds_of(step_ms), seconds_of(range_ms), &v, err) < 0)
        return -1;
    if (isnan(v) || isinf(v)) {
        strbuf_addf(err, "%u:%u: duration is NaN or infinite", d->pos.start, d->pos.end);
        return -1;
    }
    if (v <= 0 && !allow_negative) {
        strbuf_addf(err, "%u:%u: duration must be greater than 0", d->pos.start, d->pos.end);
        return -1;
    }
    if (out_of_range(v)) {
        strbuf_addf(err, "%u:%u: duration is out of range", d->pos.start, d->pos.end);
        return -1;
    }
    /* Whole milliseconds, truncated, as upstream converts. */
    *ms = (int64_t)(v * 1000);
    return 0;
}
