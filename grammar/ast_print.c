/* ast_print: the canonical printer (Prometheus's Expr.String(), promql/parser/
 * printer.go), the S-expression dump, and the Go-compatible formatting of
 * strings, runes, floats and durations they need. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/strbuf.h"
#include "base/goquote.h"
#include "grammar/ast.h"
#include "grammar/parse.h"
#include "grammar/pq.h"




void pq_quote(struct strbuf *out, const char *s, size_t len)
{
    goquote(out, s, len, 0);
}

void pq_quote_rune(struct strbuf *out, uint32_t r)
{
    goquote_rune(out, r, 0);
}

void pq_format_float(struct strbuf *out, double v)
{
    if (isnan(v)) {
        strbuf_addstr(out, "NaN");
        return;
    }
    if (isinf(v)) {
        strbuf_addstr(out, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == 0) {
        strbuf_addstr(out, signbit(v) ? "-0" : "0");
        return;
    }
    /* Shortest digits that read back exactly, then written without exponent. */
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    char digits[32];
    int nd = 0;
    const char *p = buf;
    if (*p == '-') {
        strbuf_addch(out, '-');
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (exp >= nd - 1) {
        strbuf_add(out, digits, (size_t)nd);
        for (int i = 0; i < exp - (nd - 1); i++)
            strbuf_addch(out, '0');
    } else if (exp < 0) {
        strbuf_addstr(out, "0.");
        for (int i = 0; i < -exp - 1; i++)
            strbuf_addch(out, '0');
        strbuf_add(out, digits, (size_t)nd);
    } else {
        strbuf_add(out, digits, (size_t)exp + 1);
        strbuf_addch(out, '.');
        strbuf_add(out, digits + exp + 1, (size_t)(nd - exp - 1));
    }
}

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

/* A label name as Prometheus writes it in by/on lists: bare when legacy-valid, else quoted. */
static void write_label(struct strbuf *out, const char *s)
{
    bool legacy = *s && !(*s >= '0' && *s <= '9');
    for (const char *p = s; *p && legacy; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            legacy = false;
    /* Words the lexer never reads as a label there are quoted, so the text reads back. */
    if (legacy && (!strcasecmp(s, "without") || !strcasecmp(s, "inf") || !strcasecmp(s, "nan")))
        legacy = false;
    if (legacy)
        strbuf_addstr(out, s);
    else
        pq_quote(out, s, strlen(s));
}

static void write_labels(struct strbuf *out, const char **l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addstr(out, ", ");
        write_label(out, l[i]);
    }
}

static void write_matcher(struct strbuf *out, const struct ast_matcher *m)
{
    static const char *const ops[] = {"=", "!=", "=~", "!~"};
    bool quote = !*m->name;
    for (const char *p = m->name; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (p > m->name && *p >= '0' && *p <= '9')))
            quote = true;
    if (quote)
        pq_quote(out, m->name, strlen(m->name));
    else
        strbuf_addstr(out, m->name);
    strbuf_addstr(out, ops[m->op]);
    pq_quote(out, m->value, strlen(m->value));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void write_at(struct strbuf *out, const struct ast_time_mod *tm)
{
    switch (tm->at) {
    case AST_AT_TIME:
        strbuf_addf(out, " @ %.3f", (double)tm->at_ms / 1000.0);
        break;
    case AST_AT_START: strbuf_addstr(out, " @ start()"); break;
    case AST_AT_END: strbuf_addstr(out, " @ end()"); break;
    case AST_AT_NONE: break;
    }
}

/* anchored / smoothed sit between @ and offset, as upstream prints them. */
static void write_ext(struct strbuf *out, enum ast_ext ext)
{
    if (ext == AST_EXT_ANCHORED)
        strbuf_addstr(out, " anchored");
    else if (ext == AST_EXT_SMOOTHED)
        strbuf_addstr(out, " smoothed");
}

static void write_offset(struct strbuf *out, const struct ast_time_mod *tm)
{
    if (tm->offset_expr) {
        strbuf_addstr(out, " offset ");
        ast_dur_print(out, tm->offset_expr);
    } else if (tm->offset_ms > 0) {
        strbuf_addstr(out, " offset ");
        parse_format_duration(out, tm->offset_ms);
    } else if (tm->offset_ms < 0) {
        strbuf_addstr(out, " offset ");
        parse_format_duration(out, tm->offset_ms);
    }
}

/* The selector without its modifiers: name{sorted matchers}. */
static void write_selector(struct strbuf *out, const struct ast_node *n)
{
    const char *name = n->u.vs.name;
    size_t cnt = 0;
    char **parts = calloc(n->u.vs.nmatchers + 1, sizeof *parts);
    for (size_t i = 0; i < n->u.vs.nmatchers; i++) {
        const struct ast_matcher *m = &n->u.vs.matchers[i];
        if (name && *name && m->op == AST_MATCH_EQ && !strcmp(m->name, "__name__") && !strcmp(m->value, name))
            continue;
        struct strbuf sb = STRBUF_INIT;
        write_matcher(&sb, m);
        parts[cnt++] = strbuf_detach(&sb);
    }
    if (name)
        strbuf_addstr(out, name);
    if (cnt) {
        qsort(parts, cnt, sizeof *parts, cmp_str);
        strbuf_addch(out, '{');
        for (size_t i = 0; i < cnt; i++) {
            if (i)
                strbuf_addch(out, ',');
            strbuf_addstr(out, parts[i]);
            free(parts[i]);
        }
        strbuf_addch(out, '}');
    }
    free(parts);
}

/* A float as Go's %v prints it (shortest digits; %e form below 1e-4 and from 1e6). */
static void write_go_v(struct strbuf *out, double v)
{
    if (isnan(v) || isinf(v) || v == 0) {
        pq_format_float(out, v);
        return;
    }
    char buf[64];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    int exp = atoi(strchr(buf, 'e') + 1);
    if (exp < -4 || exp >= 6) {
        /* Go writes at least two exponent digits, as C does. */
        strbuf_addstr(out, buf);
        return;
    }
    pq_format_float(out, v);
}

/* fill modifiers as printer.go writes them: one fill when both sides agree. */
static void write_fill(struct strbuf *out, const struct ast_matching *vm)
{
    if (vm->fill_lhs && vm->fill_rhs && vm->fill_lhs_v == vm->fill_rhs_v) { /* NaN never equals: two modifiers */
        strbuf_addstr(out, " fill (");
        write_go_v(out, vm->fill_lhs_v);
        strbuf_addch(out, ')');
        return;
    }
    if (vm->fill_lhs) {
        strbuf_addstr(out, " fill_left (");
        write_go_v(out, vm->fill_lhs_v);
        strbuf_addch(out, ')');
    }
    if (vm->fill_rhs) {
        strbuf_addstr(out, " fill_right (");
        write_go_v(out, vm->fill_rhs_v);
        strbuf_addch(out, ')');
    }
}

static void write_matching(struct strbuf *out, const struct ast_matching *vm)
{
    if (!vm)
        return;
    bool grouped = vm->card == AST_CARD_MANY_TO_ONE || vm->card == AST_CARD_ONE_TO_MANY;
    if (vm->nlabels > 0 || vm->on || grouped) {
        strbuf_addstr(out, vm->on ? " on (" : " ignoring (");
        write_labels(out, vm->labels, vm->nlabels);
        strbuf_addch(out, ')');
    }
    if (grouped) {
        strbuf_addstr(out, vm->card == AST_CARD_MANY_TO_ONE ? " group_left (" : " group_right (");
        write_labels(out, vm->include, vm->ninclude);
        strbuf_addch(out, ')');
    }
    write_fill(out, vm);
}

void ast_print(struct strbuf *out, const struct ast_node *n)
{
    if (!n)
        return;
    switch (n->kind) {
    case AST_NUMBER:
        /* -0 has no duration spelling ("0s" would lose the sign): written as a number. */
        if (n->duration && !(n->u.number == 0 && signbit(n->u.number))) {
            /* As model.Duration(v*1e9).String(): nanoseconds truncated to ms. */
            double ns = n->u.number * 1e9;
            int64_t ms = (fabs(ns) < 9.2e18) ? (int64_t)ns / 1000000 : 0;
            parse_format_duration(out, ms);
        } else {
            pq_format_float(out, n->u.number);
        }
        break;
    case AST_STRING:
        pq_quote(out, n->u.string.val, n->u.string.len);
        break;
    case AST_VECTOR_SELECTOR:
        write_selector(out, n);
        write_at(out, &n->u.vs.tm);
        write_ext(out, n->u.vs.ext);
        write_offset(out, &n->u.vs.tm);
        break;
    case AST_MATRIX_SELECTOR: {
        const struct ast_node *vs = n->u.ms.vs;
        write_selector(out, vs);
        strbuf_addch(out, '[');
        if (n->u.ms.range_expr)
            ast_dur_print(out, n->u.ms.range_expr);
        else
            parse_format_duration(out, n->u.ms.range_ms);
        strbuf_addch(out, ']');
        write_ext(out, vs->u.vs.ext);
        write_at(out, &vs->u.vs.tm);
        write_offset(out, &vs->u.vs.tm);
        break;
    }
    case AST_SUBQUERY:
        ast_print(out, n->u.sq.expr);
        strbuf_addch(out, '[');
        if (n->u.sq.range_expr)
            ast_dur_print(out, n->u.sq.range_expr);
        else
            parse_format_duration(out, n->u.sq.range_ms);
        strbuf_addch(out, ':');
        if (n->u.sq.step_ms)
            parse_format_duration(out, n->u.sq.step_ms);
        else if (n->u.sq.step_expr)
            ast_dur_print(out, n->u.sq.step_expr);
        strbuf_addch(out, ']');
        write_at(out, &n->u.sq.tm);
        write_offset(out, &n->u.sq.tm);
        break;
    case AST_CALL:
        strbuf_addstr(out, n->u.call.fn->name);
        strbuf_addch(out, '(');
        for (size_t i = 0; i < n->u.call.nargs; i++) {
            if (i)
                strbuf_addstr(out, ", ");
            ast_print(out, n->u.call.args[i]);
        }
        strbuf_addch(out, ')');
        break;
    case AST_AGGREGATE:
        strbuf_addstr(out, ast_aggop_name(n->u.agg.op));
        if (n->u.agg.without) {
            strbuf_addstr(out, " without (");
            write_labels(out, n->u.agg.grouping, n->u.agg.ngrouping);
            strbuf_addstr(out, ") ");
        } else if (n->u.agg.ngrouping > 0) {
            strbuf_addstr(out, " by (");
            write_labels(out, n->u.agg.grouping, n->u.agg.ngrouping);
            strbuf_addstr(out, ") ");
        }
        strbuf_addch(out, '(');
        if (n->u.agg.param) {
            ast_print(out, n->u.agg.param);
            strbuf_addstr(out, ", ");
        }
        ast_print(out, n->u.agg.expr);
        strbuf_addch(out, ')');
        break;
    case AST_BINARY:
        /* Upstream writes +Inf; before ^ that would read back as +(Inf ^ ...),
         * since a sign binds weaker than ^, so there it is written Inf. */
        if (n->u.bin.op == AST_OP_POW && n->u.bin.lhs->kind == AST_NUMBER && isinf(n->u.bin.lhs->u.number) &&
            n->u.bin.lhs->u.number > 0)
            strbuf_addstr(out, "Inf");
        else
            ast_print(out, n->u.bin.lhs);
        strbuf_addch(out, ' ');
        strbuf_addstr(out, ast_binop_name(n->u.bin.op));
        if (n->u.bin.return_bool)
            strbuf_addstr(out, " bool");
        write_matching(out, n->u.bin.matching);
        strbuf_addch(out, ' ');
        ast_print(out, n->u.bin.rhs);
        break;
    case AST_UNARY:
        strbuf_addch(out, n->u.unary.op);
        ast_print(out, n->u.unary.expr);
        break;
    case AST_PAREN:
        strbuf_addch(out, '(');
        ast_print(out, n->u.paren.expr);
        strbuf_addch(out, ')');
        break;
    }
}

static void dump_strs(struct strbuf *out, const char **l, size_t n)
{
    strbuf_addch(out, '(');
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addch(out, ' ');
        pq_quote(out, l[i], strlen(l[i]));
    }
    strbuf_addch(out, ')');
}

static void dump_tm(struct strbuf *out, const struct ast_time_mod *tm)
{
    if (tm->offset_expr) {
        strbuf_addstr(out, " (offset ");
        ast_dur_dump(out, tm->offset_expr);
        strbuf_addch(out, ')');
    }
    if (tm->offset_ms)
        strbuf_addf(out, " (offset %lld)", (long long)tm->offset_ms);
    if (tm->at == AST_AT_TIME)
        strbuf_addf(out, " (@ %lld)", (long long)tm->at_ms);
    else if (tm->at == AST_AT_START)
        strbuf_addstr(out, " (@ start)");
    else if (tm->at == AST_AT_END)
        strbuf_addstr(out, " (@ end)");
}

static void dump_selector(struct strbuf *out, const struct ast_node *n)
{
    static const char *const ops[] = {"=", "!=", "=~", "!~"};
    strbuf_addstr(out, "(selector ");
    if (n->u.vs.name)
        pq_quote(out, n->u.vs.name, strlen(n->u.vs.name));
    else
        strbuf_addstr(out, "nil");
    /* Matchers in a canonical order, so that a reprint (which sorts) dumps the same. */
    char **parts = calloc(n->u.vs.nmatchers + 1, sizeof *parts);
    for (size_t i = 0; i < n->u.vs.nmatchers; i++) {
        const struct ast_matcher *m = &n->u.vs.matchers[i];
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "(%s ", ops[m->op]);
        pq_quote(&sb, m->name, strlen(m->name));
        strbuf_addch(&sb, ' ');
        pq_quote(&sb, m->value, strlen(m->value));
        strbuf_addch(&sb, ')');
        parts[i] = strbuf_detach(&sb);
    }
    qsort(parts, n->u.vs.nmatchers, sizeof *parts, cmp_str);
    for (size_t i = 0; i < n->u.vs.nmatchers; i++) {
        strbuf_addch(out, ' ');
        strbuf_addstr(out, parts[i]);
        free(parts[i]);
    }
    free(parts);
    dump_tm(out, &n->u.vs.tm);
    write_ext(out, n->u.vs.ext);
    strbuf_addch(out, ')');
}

void ast_dump(struct strbuf *out, const struct ast_node *n)
{
    if (!n) {
        strbuf_addstr(out, "nil");
        return;
    }
    switch (n->kind) {
    case AST_NUMBER:
        strbuf_addstr(out, "(number ");
        pq_format_float(out, n->u.number);
        strbuf_addch(out, ')'); /* the duration spelling is print-only, not part of the tree */
        break;
    case AST_STRING:
        strbuf_addstr(out, "(string ");
        pq_quote(out, n->u.string.val, n->u.string.len);
        strbuf_addch(out, ')');
        break;
    case AST_VECTOR_SELECTOR:
        dump_selector(out, n);
        break;
    case AST_MATRIX_SELECTOR:
        strbuf_addf(out, "(matrix %lld ", (long long)n->u.ms.range_ms);
        if (n->u.ms.range_expr) {
            ast_dur_dump(out, n->u.ms.range_expr);
            strbuf_addch(out, ' ');
        }
        ast_dump(out, n->u.ms.vs);
        strbuf_addch(out, ')');
        break;
    case AST_SUBQUERY:
        strbuf_addf(out, "(subquery %lld %lld", (long long)n->u.sq.range_ms, (long long)n->u.sq.step_ms);
        if (n->u.sq.range_expr) {
            strbuf_addstr(out, " (range ");
            ast_dur_dump(out, n->u.sq.range_expr);
            strbuf_addch(out, ')');
        }
        if (n->u.sq.step_expr) {
            strbuf_addstr(out, " (step ");
            ast_dur_dump(out, n->u.sq.step_expr);
            strbuf_addch(out, ')');
        }
        dump_tm(out, &n->u.sq.tm);
        strbuf_addch(out, ' ');
        ast_dump(out, n->u.sq.expr);
        strbuf_addch(out, ')');
        break;
    case AST_CALL:
        strbuf_addf(out, "(call %s", n->u.call.fn->name);
        for (size_t i = 0; i < n->u.call.nargs; i++) {
            strbuf_addch(out, ' ');
            ast_dump(out, n->u.call.args[i]);
        }
        strbuf_addch(out, ')');
        break;
    case AST_AGGREGATE:
        strbuf_addf(out, "(aggregate %s", ast_aggop_name(n->u.agg.op));
        if (n->u.agg.without || n->u.agg.ngrouping) {
            strbuf_addstr(out, n->u.agg.without ? " (without " : " (by ");
            dump_strs(out, n->u.agg.grouping, n->u.agg.ngrouping);
            strbuf_addch(out, ')');
        }
        if (n->u.agg.param) {
            strbuf_addch(out, ' ');
            ast_dump(out, n->u.agg.param);
        }
        strbuf_addch(out, ' ');
        ast_dump(out, n->u.agg.expr);
        strbuf_addch(out, ')');
        break;
    case AST_BINARY: {
        const struct ast_matching *vm = n->u.bin.matching;
        strbuf_addf(out, "(binary %s", ast_binop_name(n->u.bin.op));
        if (n->u.bin.return_bool)
            strbuf_addstr(out, " bool");
        if (vm) {
            static const char *const cards[] = {"one-to-one", "many-to-one", "one-to-many", "many-to-many"};
            strbuf_addf(out, " (%s %s ", cards[vm->card], vm->on ? "on" : "ignoring");
            dump_strs(out, vm->labels, vm->nlabels);
            strbuf_addch(out, ' ');
            dump_strs(out, vm->include, vm->ninclude);
            if (vm->fill_lhs) {
                strbuf_addstr(out, " (fill_left ");
                pq_format_float(out, vm->fill_lhs_v);
                strbuf_addch(out, ')');
            }
            if (vm->fill_rhs) {
                strbuf_addstr(out, " (fill_right ");
                pq_format_float(out, vm->fill_rhs_v);
                strbuf_addch(out, ')');
            }
            strbuf_addch(out, ')');
        }
        strbuf_addch(out, ' ');
        ast_dump(out, n->u.bin.lhs);
        strbuf_addch(out, ' ');
        ast_dump(out, n->u.bin.rhs);
        strbuf_addch(out, ')');
        break;
    }
    case AST_UNARY:
        strbuf_addf(out, "(unary %c ", n->u.unary.op);
        ast_dump(out, n->u.unary.expr);
        strbuf_addch(out, ')');
        break;
    case AST_PAREN:
        strbuf_addstr(out, "(paren ");
        ast_dump(out, n->u.paren.expr);
        strbuf_addch(out, ')');
        break;
    }
}
