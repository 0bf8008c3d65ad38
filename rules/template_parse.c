/* template_parse: lexer and parser for Go text/template syntax.
 * Follows the structure of Go's text/template/parse (lex.go, parse.go) so
 * that errors carry the same words and line numbers: the parser keeps Go's
 * three-token look-ahead, and errors are reported with the line of the most
 * recently lexed token, as Go does. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "rules/template_impl.h"

/* ORDER itype: keywords after IT_KEYWORD, as in Go, so "> IT_KEYWORD" works. */

/* ---- parser ---- */

struct parser {
    struct tmpl *t;
    struct arena *a;
    struct tlexer *lex;
    struct titem token[3];
    int peek_count;
    const char **vars;
    size_t nvars, capvars;
    size_t var_base; /* first variable visible in the tree being parsed */
    int action_line;
    int range_depth;
    int stack_depth;
    const char *tree_name; /* name of the tree being parsed */
    jmp_buf fail;
};

/* Go allows 10000 nested parentheses; C stacks are smaller, so parentheses
 * and nested control actions together are limited to 1000 levels. */
#define MAX_STACK_DEPTH 1000

static struct titem p_next(struct parser *p)
{
    if (p->peek_count > 0)
        p->peek_count--;
    else
        p->token[0] = tlex_next(p->lex);
    return p->token[p->peek_count];
}

static void p_backup(struct parser *p)
{
    p->peek_count++;
}

static void p_backup2(struct parser *p, struct titem t1)
{
    p->token[1] = t1;
    p->peek_count = 2;
}

static void p_backup3(struct parser *p, struct titem t2, struct titem t1)
{
    p->token[1] = t1;
    p->token[2] = t2;
    p->peek_count = 3;
}

static struct titem p_peek(struct parser *p)
{
    if (p->peek_count > 0)
        return p->token[p->peek_count - 1];
    p->peek_count = 1;
    p->token[0] = tlex_next(p->lex);
    return p->token[0];
}

static struct titem p_next_non_space(struct parser *p)
{
    struct titem t;
    do
        t = p_next(p);
    while (t.typ == IT_SPACE);
    return t;
}

static struct titem p_peek_non_space(struct parser *p)
{
    struct titem t = p_next_non_space(p);
    p_backup(p);
    return t;
}

__attribute__((noreturn, format(printf, 2, 3))) static void p_errorf(struct parser *p,
                                                                      const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "template: %s:%d: ", p->t->name, p->token[0].line);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    p->t->error = arena_strdup(p->a, sb.buf);
    strbuf_release(&sb);
    longjmp(p->fail, 1);
}

/* Go's item.String(). */
static void item_string(struct strbuf *sb, const struct titem *it)
{
    if (it->typ == IT_EOF) {
        strbuf_addstr(sb, "EOF");
    } else if (it->typ == IT_ERROR) {
        strbuf_add(sb, it->val, it->len);
    } else if (it->typ > IT_KEYWORD) {
        strbuf_addch(sb, '<');
        strbuf_add(sb, it->val, it->len);
        strbuf_addch(sb, '>');
    } else if (it->len > 10) {
        /* %.10q: the first ten runes, quoted, then "..." */
        size_t n = 0;
        for (int r = 0; r < 10 && n < it->len; r++) {
            uint32_t c;
            n += (size_t)goutf8_decode(it->val + n, it->len - n, &c);
        }
        gofmt_quote(sb, it->val, n);
        strbuf_addstr(sb, "...");
    } else {
        gofmt_quote(sb, it->val, it->len);
    }
}

__attribute__((noreturn)) static void p_unexpected(struct parser *p, const struct titem *it,
                                                  const char *context)
{
    struct strbuf sb = STRBUF_INIT;
    item_string(&sb, it);
    if (it->typ == IT_ERROR) {
        if (p->action_line != 0 && p->action_line != it->line) {
            bool action_suffix = it->len >= 7 && !memcmp(it->val + it->len - 7, " action", 7);
            strbuf_addf(&sb, "%s started at %s:%d", action_suffix ? "" : " in action", p->t->name,
                        p->action_line);
        }
        char *m = arena_strdup(p->a, sb.buf);
        strbuf_release(&sb);
        p_errorf(p, "%s", m);
    }
    char *m = arena_strdup(p->a, sb.buf);
    strbuf_release(&sb);
    p_errorf(p, "unexpected %s in %s", m, context);
}

static struct titem p_expect(struct parser *p, enum titype want, const char *context)
{
    struct titem t = p_next_non_space(p);
    if (t.typ != want)
        p_unexpected(p, &t, context);
    return t;
}

static struct tnode *new_node(struct parser *p, enum tnode_kind k, uint32_t pos)
{
    struct tnode *n = ARENA_NEW(p->a, struct tnode);
    n->kind = k;
    n->pos = pos;
    return n;
}

static void node_append(struct parser *p, struct tnode ***items, size_t *n, struct tnode *x)
{
    /* Arena arrays grow by copying at powers of two. */
    if ((*n & (*n - 1)) == 0) {
        size_t cap = *n ? *n * 2 : 4;
        struct tnode **m = ARENA_NEWN(p->a, struct tnode *, cap);
        if (*n)
            memcpy(m, *items, *n * sizeof *m);
        *items = m;
    }
    (*items)[(*n)++] = x;
}

static void push_var(struct parser *p, const char *name)
{
    XGROW(p->vars, p->capvars, p->nvars + 1);
    p->vars[p->nvars++] = name;
}

/* Splits "a.b.c" into an identifier array. */
static void split_ident(struct parser *p, struct tnode *n, const char *s, size_t len)
{
    size_t parts = 1;
    for (size_t i = 0; i < len; i++)
        parts += s[i] == '.';
    n->ident = ARENA_NEWN(p->a, const char *, parts);
    n->nident = 0;
    size_t b = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            n->ident[n->nident++] = arena_strndup(p->a, s + b, i - b);
            b = i + 1;
        }
    }
}

static struct tnode *new_variable(struct parser *p, uint32_t pos, const char *s, size_t len)
{
    struct tnode *n = new_node(p, TN_VARIABLE, pos);
    split_ident(p, n, s, len);
    return n;
}

static struct tnode *new_field(struct parser *p, uint32_t pos, const char *s, size_t len)
{
    struct tnode *n = new_node(p, TN_FIELD, pos);
    split_ident(p, n, s + 1, len - 1);
    return n;
}

/* strconv.Unquote for "..." and `...` literals; -1 on invalid syntax. */
static int go_unquote(struct strbuf *sb, const char *s, size_t n)
{
    if (n < 2)
        return -1;
    if (s[0] == '`') {
        if (s[n - 1] != '`')
            return -1;
        for (size_t i = 1; i + 1 < n; i++)
            if (s[i] != '\r')
                strbuf_addch(sb, s[i]);
        return 0;
    }
    char q = s[0];
    if ((q != '"' && q != '\'') || s[n - 1] != q)
        return -1;
    size_t i = 1, end = n - 1;
    int runes = 0;
    while (i < end) {
        unsigned char c = (unsigned char)s[i];
        if (c == q || c == '\n')
            return -1;
        runes++;
        if (c != '\\') {
            uint32_t r;
            int w = goutf8_decode(s + i, end - i, &r);
            strbuf_add(sb, s + i, (size_t)w);
            i += (size_t)w;
            continue;
        }
        if (++i >= end)
            return -1;
        c = (unsigned char)s[i++];
        switch (c) {
        case 'a': strbuf_addch(sb, '\a'); break;
        case 'b': strbuf_addch(sb, '\b'); break;
        case 'f': strbuf_addch(sb, '\f'); break;
        case 'n': strbuf_addch(sb, '\n'); break;
        case 'r': strbuf_addch(sb, '\r'); break;
        case 't': strbuf_addch(sb, '\t'); break;
        case 'v': strbuf_addch(sb, '\v'); break;
        case '\\': strbuf_addch(sb, '\\'); break;
        case '\'':
        case '"':
            if (c != (unsigned char)q)
                return -1;
            strbuf_addch(sb, (char)c);
            break;
        case 'x':
        case 'u':
        case 'U': {
            int nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            if (end - i < (size_t)nd)
                return -1;
            uint32_t v = 0;
            for (int k = 0; k < nd; k++) {
                char h = s[i++];
                int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                      : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                if (d < 0)
                    return -1;
                v = v * 16 + (uint32_t)d;
            }
            if (c == 'x') {
                strbuf_addch(sb, (char)v);
            } else {
                if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000))
                    return -1;
                goutf8_encode(sb, v);
            }
            break;
        }
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            if (end - i < 2)
                return -1;
            uint32_t v = c - '0';
            for (int k = 0; k < 2; k++) {
                char o = s[i++];
                if (o < '0' || o > '7')
                    return -1;
                v = v * 8 + (uint32_t)(o - '0');
            }
            if (v > 255)
                return -1;
            strbuf_addch(sb, (char)v);
            break;
        }
        default:
            return -1;
        }
    }
    if (q == '\'' && runes != 1)
        return -1;
    return 0;
}

static bool parse_go_int(const char *s, size_t n, int64_t *out_i, bool *ok_i, uint64_t *out_u,
                         bool *ok_u)
{
    /* strconv.ParseInt/ParseUint with base 0 (prefixes and underscores). */
    *ok_i = *ok_u = false;
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    int base = 10;
    if (n - i > 1 && s[i] == '0') {
        char b = s[i + 1];
        if (b == 'x' || b == 'X') { base = 16; i += 2; }
        else if (b == 'o' || b == 'O') { base = 8; i += 2; }
        else if (b == 'b' || b == 'B') { base = 2; i += 2; }
        else { base = 8; i += 1; }
    }
    if (i >= n && base == 10)
        return false;
    uint64_t v = 0;
    bool overflow = false, any = base == 8 && i > 0 && s[i - 1] == '0', last_us = base != 10;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '_') {
            if (last_us && !(base != 10 && !any))
                return false;
            last_us = true;
            continue;
        }
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10
              : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;
        if (d >= base)
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            overflow = true;
        v = v * (uint64_t)base + (uint64_t)d;
        any = true;
        last_us = false;
    }
    if (!any || last_us)
        return false;
    if (overflow)
        return true;
    if (!neg) {
        *ok_u = true;
        *out_u = v;
        if (v <= INT64_MAX) {
            *ok_i = true;
            *out_i = (int64_t)v;
        }
    } else {
        if (v <= (uint64_t)INT64_MAX + 1) {
            *ok_i = true;
            *out_i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
        }
        if (v == 0) {
            *ok_u = true;
            *out_u = 0;
        }
    }
    return true;
}

/* strconv.ParseFloat on Go number syntax (underscores allowed). */
static bool parse_go_float(const char *s, size_t n, double *out)
{
    char buf[128];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < sizeof buf; i++)
        if (s[i] != '_')
            buf[k++] = s[i];
    buf[k] = 0;
    if (k == 0 || strpbrk(buf, "nNiI"))
        return false;
    char *end;
    errno = 0;
    double f = strtod(buf, &end);
    if (*end || end == buf)
        return false;
    if (errno == ERANGE && isinf(f))
        return false;
    *out = f;
    return true;
}

static struct tnode *new_number(struct parser *p, const struct titem *it)
{
    struct tnode *n = new_node(p, TN_NUMBER, it->pos);
    n->src = arena_strndup(p->a, it->val, it->len);
    n->srclen = it->len;
    const char *text = n->src;
    size_t len = it->len;
    if (it->typ == IT_CHARCONST) {
        struct strbuf sb = STRBUF_INIT;
        if (go_unquote(&sb, text, len) < 0) {
            strbuf_release(&sb);
            p_errorf(p, "invalid syntax");
        }
        uint32_t r;
        goutf8_decode(sb.buf, sb.len, &r);
        if (sb.len == 1)
            r = (unsigned char)sb.buf[0];
        strbuf_release(&sb);
        n->i64 = r;
        n->u64 = r;
        n->f64 = r;
        n->is_int = n->is_uint = n->is_float = true;
        return n;
    }
    if (it->typ == IT_COMPLEX || (len > 0 && text[len - 1] == 'i')) {
        /* Imaginary numbers: kept only as the literal; execution rejects them. */
        n->is_complex = true;
        return n;
    }
    bool oki, oku;
    parse_go_int(text, len, &n->i64, &oki, &n->u64, &oku);
    n->is_int = oki;
    n->is_uint = oku;
    if (oki) {
        n->is_float = true;
        n->f64 = (double)n->i64;
    } else if (oku) {
        n->is_float = true;
        n->f64 = (double)n->u64;
    } else {
        double f;
        if (parse_go_float(text, len, &f)) {
            if (!strpbrk(text, ".eEpP")) {
                struct strbuf q = STRBUF_INIT;
                gofmt_quote(&q, text, len);
                char *m = arena_strdup(p->a, q.buf);
                strbuf_release(&q);
                p_errorf(p, "integer overflow: %s", m);
            }
            n->is_float = true;
            n->f64 = f;
            if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 && (double)(int64_t)f == f) {
                n->is_int = true;
                n->i64 = (int64_t)f;
            }
            if (f >= 0 && f < 18446744073709551616.0 && (double)(uint64_t)f == f) {
                n->is_uint = true;
                n->u64 = (uint64_t)f;
            }
        }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) {
        struct strbuf q = STRBUF_INIT;
        gofmt_quote(&q, text, len);
        char *m = arena_strdup(p->a, q.buf);
        strbuf_release(&q);
        p_errorf(p, "illegal number syntax: %s", m);
    }
    return n;
}

static struct tnode *pipeline(struct parser *p, const char *context, enum titype end);
static struct tnode *p_command(struct parser *p);

static struct tnode *use_var(struct parser *p, const struct titem *it)
{
    struct tnode *v = new_variable(p, it->pos, it->val, it->len);
    for (size_t i = p->var_base; i < p->nvars; i++)
        if (strcmp(p->vars[i], v->ident[0]) == 0)
            return v;
    struct strbuf q = STRBUF_INIT;
    gofmt_quote(&q, v->ident[0], strlen(v->ident[0]));
    char *m = arena_strdup(p->a, q.buf);
    strbuf_release(&q);
    p_errorf(p, "undefined variable %s", m);
}

static struct tnode *p_term(struct parser *p)
{
    struct titem t = p_next_non_space(p);
    switch (t.typ) {
    case IT_IDENT: {
        const struct tfunc *f = tfunc_lookup(t.val, t.len);
        if (!f) {
            struct strbuf q = STRBUF_INIT;
            gofmt_quote(&q, t.val, t.len);
            char *m = arena_strdup(p->a, q.buf);
            strbuf_release(&q);
            p_errorf(p, "function %s not defined", m);
        }
        struct tnode *n = new_node(p, TN_IDENT, t.pos);
        n->text = arena_strndup(p->a, t.val, t.len);
        n->len = t.len;
        n->func = f;
        return n;
    }
    case IT_DOT:
        return new_node(p, TN_DOT, t.pos);
    case IT_NIL:
        return new_node(p, TN_NIL, t.pos);
    case IT_VARIABLE:
        return use_var(p, &t);
    case IT_FIELD:
        return new_field(p, t.pos, t.val, t.len);
    case IT_BOOL: {
        struct tnode *n = new_node(p, TN_BOOL, t.pos);
        n->truth = t.len == 4;
        return n;
    }
    case IT_CHARCONST:
    case IT_COMPLEX:
    case IT_NUMBER:
        return new_number(p, &t);
    case IT_LPAREN: {
        if (p->stack_depth >= MAX_STACK_DEPTH)
            p_errorf(p, "max expression depth exceeded");
        p->stack_depth++;
        struct tnode *n = pipeline(p, "parenthesized pipeline", IT_RPAREN);
        p->stack_depth--;
        return n;
    }
    case IT_STRING:
    case IT_RAWSTRING: {
        struct strbuf sb = STRBUF_INIT;
        if (go_unquote(&sb, t.val, t.len) < 0) {
            strbuf_release(&sb);
            p_errorf(p, "invalid syntax");
        }
        struct tnode *n = new_node(p, TN_STRING, t.pos);
        n->src = arena_strndup(p->a, t.val, t.len);
        n->srclen = t.len;
        n->len = sb.len;
        n->text = arena_memdup(p->a, sb.buf, sb.len + 1);
        strbuf_release(&sb);
        return n;
    }
    default:
        p_backup(p);
        return NULL;
    }
}

static struct tnode *p_operand(struct parser *p)
{
    struct tnode *node = p_term(p);
    if (!node)
        return NULL;
    if (p_peek(p).typ == IT_FIELD) {
        struct tnode *chain = new_node(p, TN_CHAIN, p_peek(p).pos);
        chain->chain_node = node;
        struct strbuf names = STRBUF_INIT;
        size_t nf = 0;
        while (p_peek(p).typ == IT_FIELD) {
            struct titem f = p_next(p);
            strbuf_add(&names, f.val, f.len);
            nf++;
        }
        /* names is ".a.b"; fields are its pieces after the first dot */
        split_ident(p, chain, names.buf + 1, names.len - 1);
        switch (node->kind) {
        case TN_FIELD:
        case TN_VARIABLE: {
            /* Fold the fields into the original node, as Go does. */
            struct strbuf full = STRBUF_INIT;
            tnode_string(&full, node);
            strbuf_add(&full, names.buf, names.len);
            struct tnode *m = node->kind == TN_FIELD
                                  ? new_field(p, chain->pos, full.buf, full.len)
                                  : new_variable(p, chain->pos, full.buf, full.len);
            strbuf_release(&full);
            node = m;
            break;
        }
        case TN_BOOL:
        case TN_STRING:
        case TN_NUMBER:
        case TN_NIL:
        case TN_DOT: {
            struct strbuf s = STRBUF_INIT, q = STRBUF_INIT;
            tnode_string(&s, node);
            gofmt_quote(&q, s.buf, s.len);
            char *m = arena_strdup(p->a, q.buf);
            strbuf_release(&s);
            strbuf_release(&q);
            strbuf_release(&names);
            p_errorf(p, "unexpected . after term %s", m);
        }
        default:
            node = chain;
        }
        (void)nf;
        strbuf_release(&names);
    }
    return node;
}

static struct tnode *p_command(struct parser *p)
{
    struct tnode *cmd = new_node(p, TN_COMMAND, p_peek_non_space(p).pos);
    for (;;) {
        p_peek_non_space(p);
        struct tnode *op = p_operand(p);
        if (op)
            node_append(p, &cmd->items, &cmd->nitems, op);
        struct titem t = p_next(p);
        if (t.typ == IT_SPACE)
            continue;
        if (t.typ == IT_RDELIM || t.typ == IT_RPAREN)
            p_backup(p);
        else if (t.typ != IT_PIPE)
            p_unexpected(p, &t, "operand");
        break;
    }
    if (cmd->nitems == 0)
        p_errorf(p, "empty command");
    return cmd;
}

static void check_pipeline(struct parser *p, struct tnode *pipe, const char *context)
{
    if (pipe->nitems == 0)
        p_errorf(p, "missing value for %s", context);
    for (size_t i = 1; i < pipe->nitems; i++) {
        switch (pipe->items[i]->items[0]->kind) {
        case TN_BOOL: case TN_DOT: case TN_NIL: case TN_NUMBER: case TN_STRING:
            p_errorf(p, "non executable command in pipeline stage %zu", i + 1);
        default:
            break;
        }
    }
}

static struct tnode *pipeline(struct parser *p, const char *context, enum titype end)
{
    struct titem tok = p_peek_non_space(p);
    struct tnode *pipe = new_node(p, TN_PIPE, tok.pos);
    pipe->line = tok.line;
decls:;
    struct titem v = p_peek_non_space(p);
    if (v.typ == IT_VARIABLE) {
        p_next(p);
        struct titem after = p_peek(p);
        struct titem next = p_peek_non_space(p);
        if (next.typ == IT_ASSIGN || next.typ == IT_DECLARE) {
            pipe->is_assign = next.typ == IT_ASSIGN;
            p_next_non_space(p);
            struct tnode *var = new_variable(p, v.pos, v.val, v.len);
            node_append(p, &pipe->decl, &pipe->ndecl, var);
            push_var(p, var->ident[0]);
        } else if (next.typ == IT_CHAR && next.len == 1 && next.val[0] == ',') {
            p_next_non_space(p);
            struct tnode *var = new_variable(p, v.pos, v.val, v.len);
            node_append(p, &pipe->decl, &pipe->ndecl, var);
            push_var(p, var->ident[0]);
            if (strcmp(context, "range") == 0 && pipe->ndecl < 2) {
                enum titype k = p_peek_non_space(p).typ;
                if (k == IT_VARIABLE || k == IT_RDELIM || k == IT_RPAREN)
                    goto decls;
                p_errorf(p, "range can only initialize variables");
            }
            p_errorf(p, "too many declarations in %s", context);
        } else if (after.typ == IT_SPACE) {
            p_backup3(p, v, after);
        } else {
            p_backup2(p, v);
        }
    }
    for (;;) {
        struct titem t = p_next_non_space(p);
        if (t.typ == end) {
            check_pipeline(p, pipe, context);
            return pipe;
        }
        switch (t.typ) {
        case IT_BOOL: case IT_CHARCONST: case IT_COMPLEX: case IT_DOT: case IT_FIELD:
        case IT_IDENT: case IT_NUMBER: case IT_NIL: case IT_RAWSTRING: case IT_STRING:
        case IT_VARIABLE: case IT_LPAREN:
            p_backup(p);
            node_append(p, &pipe->items, &pipe->nitems, p_command(p));
            break;
        default:
            p_unexpected(p, &t, context);
        }
    }
}

static struct tnode *text_or_action(struct parser *p);

/* itemList: nodes up to {{end}} or {{else}}, which is returned in *next. */
static struct tnode *item_list(struct parser *p, struct tnode **next)
{
    struct tnode *list = new_node(p, TN_LIST, p_peek_non_space(p).pos);
    while (p_peek_non_space(p).typ != IT_EOF) {
        struct tnode *n = text_or_action(p);
        if (n->kind == TN_END || n->kind == TN_ELSE) {
            *next = n;
            return list;
        }
        node_append(p, &list->items, &list->nitems, n);
    }
    p_errorf(p, "unexpected EOF");
}

static struct tnode *if_control(struct parser *p);
static struct tnode *with_control(struct parser *p);

static struct tnode *parse_control(struct parser *p, enum tnode_kind kind, const char *context)
{
    size_t mark = p->nvars;
    if (p->stack_depth >= MAX_STACK_DEPTH)
        p_errorf(p, "max expression depth exceeded");
    p->stack_depth++;
    struct tnode *pipe = pipeline(p, context, IT_RDELIM);
    if (kind == TN_RANGE)
        p->range_depth++;
    struct tnode *next = NULL;
    struct tnode *list = item_list(p, &next);
    if (kind == TN_RANGE)
        p->range_depth--;
    struct tnode *else_list = NULL;
    if (next->kind == TN_ELSE) {
        if (kind == TN_IF && p_peek(p).typ == IT_IF) {
            p_next(p);
            else_list = new_node(p, TN_LIST, next->pos);
            node_append(p, &else_list->items, &else_list->nitems, if_control(p));
        } else if (kind == TN_WITH && p_peek(p).typ == IT_WITH) {
            p_next(p);
            else_list = new_node(p, TN_LIST, next->pos);
            node_append(p, &else_list->items, &else_list->nitems, with_control(p));
        } else {
            else_list = item_list(p, &next);
            if (next->kind != TN_END) {
                struct strbuf s = STRBUF_INIT;
                tnode_string(&s, next);
                char *m = arena_strdup(p->a, s.buf);
                strbuf_release(&s);
                p_errorf(p, "expected end; found %s", m);
            }
        }
    }
    p->nvars = mark;
    p->stack_depth--;
    struct tnode *n = new_node(p, kind, pipe->pos);
    n->line = pipe->line;
    n->pipe = pipe;
    n->list = list;
    n->else_list = else_list;
    return n;
}

static struct tnode *if_control(struct parser *p)
{
    return parse_control(p, TN_IF, "if");
}

static struct tnode *with_control(struct parser *p)
{
    return parse_control(p, TN_WITH, "with");
}

static const char *template_name(struct parser *p, const struct titem *t, const char *context)
{
    if (t->typ != IT_STRING && t->typ != IT_RAWSTRING)
        p_unexpected(p, t, context);
    struct strbuf sb = STRBUF_INIT;
    if (go_unquote(&sb, t->val, t->len) < 0) {
        strbuf_release(&sb);
        p_errorf(p, "invalid syntax");
    }
    const char *name = arena_strdup(p->a, sb.buf);
    strbuf_release(&sb);
    return name;
}

static bool is_empty_tree(const struct tnode *n)
{
    if (!n)
        return true;
    switch (n->kind) {
    case TN_LIST:
        for (size_t i = 0; i < n->nitems; i++)
            if (!is_empty_tree(n->items[i]))
                return false;
        return true;
    case TN_TEXT:
        for (size_t i = 0; i < n->len; i++)
            if (!strchr(" \t\n\v\f\r", n->text[i]) || n->text[i] == 0)
                return false;
        return true;
    default:
        return false;
    }
}

/* Go's Tree.add: a later empty definition never replaces a non-empty one. */
static void add_tree(struct parser *p, const char *name, struct tnode *root)
{
    for (size_t i = 0; i < p->t->ndefs; i++) {
        struct tdef *d = &p->t->defs[i];
        if (strcmp(d->name, name) != 0)
            continue;
        if (is_empty_tree(d->root)) {
            d->root = root;
            return;
        }
        if (!is_empty_tree(root)) {
            struct strbuf q = STRBUF_INIT;
            gofmt_quote(&q, name, strlen(name));
            char *m = arena_strdup(p->a, q.buf);
            strbuf_release(&q);
            p_errorf(p, "template: multiple definition of template %s", m);
        }
        return;
    }
    if (p->t->ndefs == p->t->capdefs) {
        size_t cap = p->t->capdefs ? p->t->capdefs * 2 : 4;
        struct tdef *m = ARENA_NEWN(p->a, struct tdef, cap);
        if (p->t->ndefs)
            memcpy(m, p->t->defs, p->t->ndefs * sizeof *m);
        p->t->defs = m;
        p->t->capdefs = cap;
    }
    p->t->defs[p->t->ndefs++] = (struct tdef){name, root};
}

/* A nested tree ({{define}}/{{block}} body): fresh variables, same lexer. */
static struct tnode *sub_tree(struct parser *p, const char *context)
{
    size_t saved_base = p->var_base, saved_n = p->nvars;
    int srange = p->range_depth;
    p->var_base = p->nvars;
    push_var(p, "$");
    p->range_depth = 0;
    struct tnode *end = NULL;
    struct tnode *root = item_list(p, &end);
    if (end->kind != TN_END) {
        struct strbuf s = STRBUF_INIT;
        tnode_string(&s, end);
        char *m = arena_strdup(p->a, s.buf);
        strbuf_release(&s);
        p_errorf(p, "unexpected %s in %s", m, context);
    }
    p->var_base = saved_base;
    p->nvars = saved_n;
    p->range_depth = srange;
    return root;
}

static struct tnode *p_action(struct parser *p)
{
    struct titem t = p_next_non_space(p);
    switch (t.typ) {
    case IT_BLOCK: {
        struct titem nt = p_next_non_space(p);
        const char *name = template_name(p, &nt, "block clause");
        struct tnode *pipe = pipeline(p, "block clause", IT_RDELIM);
        struct tnode *root = sub_tree(p, "block clause");
        add_tree(p, name, root);
        struct tnode *n = new_node(p, TN_TEMPLATE, nt.pos);
        n->line = nt.line;
        n->text = name;
        n->len = strlen(name);
        n->pipe = pipe;
        return n;
    }
    case IT_BREAK:
    case IT_CONTINUE: {
        const char *what = t.typ == IT_BREAK ? "{{break}}" : "{{continue}}";
        struct titem n2 = p_next_non_space(p);
        if (n2.typ != IT_RDELIM)
            p_unexpected(p, &n2, what);
        if (p->range_depth == 0)
            p_errorf(p, "%s outside {{range}}", what);
        struct tnode *n = new_node(p, t.typ == IT_BREAK ? TN_BREAK : TN_CONTINUE, t.pos);
        n->line = t.line;
        return n;
    }
    case IT_ELSE: {
        struct titem pk = p_peek_non_space(p);
        if (pk.typ == IT_IF || pk.typ == IT_WITH) {
            struct tnode *n = new_node(p, TN_ELSE, pk.pos);
            n->line = pk.line;
            return n;
        }
        struct titem e = p_expect(p, IT_RDELIM, "else");
        struct tnode *n = new_node(p, TN_ELSE, e.pos);
        n->line = e.line;
        return n;
    }
    case IT_END:
        return new_node(p, TN_END, p_expect(p, IT_RDELIM, "end").pos);
    case IT_IF:
        return if_control(p);
    case IT_RANGE:
        return parse_control(p, TN_RANGE, "range");
    case IT_TEMPLATE: {
        struct titem nt = p_next_non_space(p);
        const char *name = template_name(p, &nt, "template clause");
        struct tnode *pipe = NULL;
        if (p_next_non_space(p).typ != IT_RDELIM) {
            p_backup(p);
            pipe = pipeline(p, "template clause", IT_RDELIM);
        }
        struct tnode *n = new_node(p, TN_TEMPLATE, nt.pos);
        n->line = nt.line;
        n->text = name;
        n->len = strlen(name);
        n->pipe = pipe;
        return n;
    }
    case IT_WITH:
        return with_control(p);
    default:
        break;
    }
    p_backup(p);
    struct titem pk = p_peek(p);
    struct tnode *n = new_node(p, TN_ACTION, pk.pos);
    n->line = pk.line;
    n->pipe = pipeline(p, "command", IT_RDELIM);
    return n;
}

static struct tnode *text_or_action(struct parser *p)
{
    struct titem t = p_next_non_space(p);
    switch (t.typ) {
    case IT_TEXT: {
        struct tnode *n = new_node(p, TN_TEXT, t.pos);
        n->text = arena_strndup(p->a, t.val, t.len);
        n->len = t.len;
        return n;
    }
    case IT_LDELIM: {
        p->action_line = t.line;
        struct tnode *n = p_action(p);
        p->action_line = 0;
        return n;
    }
    default:
        p_unexpected(p, &t, "input");
    }
}

static void parse_top(struct parser *p)
{
    struct tnode *root = new_node(p, TN_LIST, p_peek(p).pos);
    while (p_peek(p).typ != IT_EOF) {
        if (p_peek(p).typ == IT_LDELIM) {
            struct titem delim = p_next(p);
            if (p_next_non_space(p).typ == IT_DEFINE) {
                struct titem nt = p_next_non_space(p);
                if (nt.typ != IT_STRING && nt.typ != IT_RAWSTRING)
                    p_unexpected(p, &nt, "define clause");
                struct strbuf sb = STRBUF_INIT;
                if (go_unquote(&sb, nt.val, nt.len) < 0) {
                    strbuf_release(&sb);
                    p_errorf(p, "invalid syntax");
                }
                const char *name = arena_strdup(p->a, sb.buf);
                strbuf_release(&sb);
                p_expect(p, IT_RDELIM, "define clause");
                struct tnode *body = sub_tree(p, "define clause");
                add_tree(p, name, body);
                continue;
            }
            p_backup2(p, delim);
        }
        struct tnode *n = text_or_action(p);
        if (n->kind == TN_END || n->kind == TN_ELSE) {
            struct strbuf s = STRBUF_INIT;
            tnode_string(&s, n);
            char *m = arena_strdup(p->a, s.buf);
            strbuf_release(&s);
            p_errorf(p, "unexpected %s", m);
        }
        node_append(p, &root->items, &root->nitems, n);
    }
    add_tree(p, p->t->name, root);
}

struct tmpl *tmpl_parse(const char *name, const char *text, size_t len)
{
    struct tmpl *t = xcalloc(1, sizeof *t);
    arena_init(&t->arena, 16384);
    t->name = arena_strdup(&t->arena, name);
    t->text = arena_strndup(&t->arena, text, len);
    t->len = len;
    struct tlexer lx = {.in = t->text, .len = len, .line = 1, .start_line = 1, .a = &t->arena};
    struct parser *p = xcalloc(1, sizeof *p);
    p->t = t;
    p->a = &t->arena;
    p->lex = &lx;
    push_var(p, "$");
    if (setjmp(p->fail) == 0) {
        /* The main tree is defs[0] even when empty, so defines go after it. */
        add_tree(p, t->name, NULL);
        parse_top(p);
    }
    free(p->vars);
    free(p);
    return t;
}

/* The definition lines Prometheus prepends to alert templates. */
static const char alert_defs[] = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
                                 "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

struct tmpl *tmpl_alert_parse(const char *alertname, const char *text)
{
    struct strbuf name = STRBUF_INIT, src = STRBUF_INIT;
    strbuf_addf(&name, "__alert_%s", alertname);
    strbuf_addstr(&src, alert_defs);
    strbuf_addstr(&src, text);
    struct tmpl *t = tmpl_parse(name.buf, src.buf, src.len);
    strbuf_release(&name);
    strbuf_release(&src);
    return t;
}

char *tmpl_alert_check(const char *alertname, const char *text)
{
    struct tmpl *t = tmpl_alert_parse(alertname, text);
    char *err = t->error ? xstrdup(t->error) : NULL;
    tmpl_free(t);
    return err;
}

const char *tmpl_error(const struct tmpl *t)
{
    return t->error;
}

const char *tmpl_name(const struct tmpl *t)
{
    return t->name;
}

void tmpl_free(struct tmpl *t)
{
    if (!t)
        return;
    arena_release(&t->arena);
    free(t);
}

void tmpl_position(const struct tmpl *t, uint32_t pos, int *line, int *col)
{
    int l = 1;
    size_t last_nl = (size_t)-1;
    for (size_t i = 0; i < pos && i < t->len; i++) {
        if (t->text[i] == '\n') {
            l++;
            last_nl = i;
        }
    }
    *line = l;
    *col = last_nl == (size_t)-1 ? (int)pos : (int)(pos - (last_nl + 1));
}

/* Go's Node.String(), used in error messages. */
void tnode_string(struct strbuf *sb, const struct tnode *n)
{
    switch (n->kind) {
    case TN_TEXT:
        strbuf_add(sb, n->text, n->len);
        break;
    case TN_ACTION:
        strbuf_addstr(sb, "{{");
        tnode_string(sb, n->pipe);
        strbuf_addstr(sb, "}}");
        break;
    case TN_BOOL:
        strbuf_addstr(sb, n->truth ? "true" : "false");
        break;
    case TN_CHAIN:
        if (n->chain_node->kind == TN_PIPE) {
            strbuf_addch(sb, '(');
            tnode_string(sb, n->chain_node);
            strbuf_addch(sb, ')');
        } else {
            tnode_string(sb, n->chain_node);
        }
        for (size_t i = 0; i < n->nident; i++) {
            strbuf_addch(sb, '.');
            strbuf_addstr(sb, n->ident[i]);
        }
        break;
    case TN_COMMAND:
        for (size_t i = 0; i < n->nitems; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            if (n->items[i]->kind == TN_PIPE) {
                strbuf_addch(sb, '(');
                tnode_string(sb, n->items[i]);
                strbuf_addch(sb, ')');
            } else {
                tnode_string(sb, n->items[i]);
            }
        }
        break;
    case TN_DOT:
        strbuf_addch(sb, '.');
        break;
    case TN_ELSE:
        strbuf_addstr(sb, "{{else}}");
        break;
    case TN_END:
        strbuf_addstr(sb, "{{end}}");
        break;
    case TN_BREAK:
        strbuf_addstr(sb, "{{break}}");
        break;
    case TN_CONTINUE:
        strbuf_addstr(sb, "{{continue}}");
        break;
    case TN_FIELD:
        for (size_t i = 0; i < n->nident; i++) {
            strbuf_addch(sb, '.');
            strbuf_addstr(sb, n->ident[i]);
        }
        break;
    case TN_VARIABLE:
        for (size_t i = 0; i < n->nident; i++) {
            if (i)
                strbuf_addch(sb, '.');
            strbuf_addstr(sb, n->ident[i]);
        }
        break;
    case TN_IDENT:
        strbuf_add(sb, n->text, n->len);
        break;
    case TN_IF:
    case TN_RANGE:
    case TN_WITH:
        strbuf_addstr(sb, n->kind == TN_IF ? "{{if " : n->kind == TN_RANGE ? "{{range " : "{{with ");
        tnode_string(sb, n->pipe);
        strbuf_addstr(sb, "}}");
        tnode_string(sb, n->list);
        if (n->else_list) {
            strbuf_addstr(sb, "{{else}}");
            tnode_string(sb, n->else_list);
        }
        strbuf_addstr(sb, "{{end}}");
        break;
    case TN_LIST:
        for (size_t i = 0; i < n->nitems; i++)
            tnode_string(sb, n->items[i]);
        break;
    case TN_NIL:
        strbuf_addstr(sb, "nil");
        break;
    case TN_NUMBER:
    case TN_STRING:
        strbuf_add(sb, n->src, n->srclen);
        break;
    case TN_PIPE:
        for (size_t i = 0; i < n->ndecl; i++) {
            if (i)
                strbuf_addstr(sb, ", ");
            tnode_string(sb, n->decl[i]);
        }
        if (n->ndecl)
            strbuf_addstr(sb, " := ");
        for (size_t i = 0; i < n->nitems; i++) {
            if (i)
                strbuf_addstr(sb, " | ");
            tnode_string(sb, n->items[i]);
        }
        break;
    case TN_TEMPLATE:
        strbuf_addstr(sb, "{{template ");
        gofmt_quote(sb, n->text, n->len);
        if (n->pipe) {
            strbuf_addch(sb, ' ');
            tnode_string(sb, n->pipe);
        }
        strbuf_addstr(sb, "}}");
        break;
    }
}
