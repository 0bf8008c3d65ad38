/* template_exec: executes a parsed template (Go's text/template exec.go).
 * The walk mirrors Go's function by function, including where it records
 * the "current node", because that node is what execution errors name
 * ("executing NAME at <node>: ..."). Errors unwind with longjmp; every
 * allocation made meanwhile is in the execution arena, released at the end. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "rules/template_impl.h"

/* ---- types ---- */

static const char *const sample_fields[] = {"Labels", "Value"};
static const char *const alert_fields[] = {"Labels", "ExternalLabels", "ExternalURL", "Value"};

const struct tmpl_type tmpl_type_bool = {TMPL_BOOL, "bool", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_int = {TMPL_INT, "int", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_int64 = {TMPL_INT, "int64", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_uint64 = {TMPL_UINT, "uint64", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_float64 = {TMPL_FLOAT, "float64", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_string = {TMPL_STRING, "string", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_html = {TMPL_STRING, "template.HTML", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_any = {TMPL_NIL, "interface {}", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_rv = {TMPL_NIL, "reflect.Value", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_nil = {TMPL_NIL, "interface {}", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_map_string_string = {TMPL_MAP, "map[string]string",
                                                      &tmpl_type_string, false, 0, NULL};
const struct tmpl_type tmpl_type_map_string_any = {TMPL_MAP, "map[string]interface {}",
                                                   &tmpl_type_any, false, 0, NULL};
const struct tmpl_type tmpl_type_list_any = {TMPL_LIST, "[]interface {}", &tmpl_type_any, false, 0,
                                             NULL};
const struct tmpl_type tmpl_type_list_float64 = {TMPL_LIST, "[]float64", &tmpl_type_float64, false,
                                                 0, NULL};
const struct tmpl_type tmpl_type_list_string = {TMPL_LIST, "[]string", &tmpl_type_string, false, 0,
                                                NULL};
const struct tmpl_type tmpl_type_list_int64 = {TMPL_LIST, "[]int64", &tmpl_type_int64, false, 0,
                                               NULL};
const struct tmpl_type tmpl_type_list_uint64 = {TMPL_LIST, "[]uint64", &tmpl_type_uint64, false, 0,
                                                NULL};
static const struct tmpl_type tmpl_type_sample = {TMPL_STRUCT, "template.sample", NULL, false, 2,
                                                  sample_fields};
const struct tmpl_type tmpl_type_sample_ptr = {TMPL_STRUCT, "*template.sample", &tmpl_type_sample,
                                               true, 2, sample_fields};
const struct tmpl_type tmpl_type_query_result = {TMPL_LIST, "template.queryResult",
                                                 &tmpl_type_sample_ptr, false, 0, NULL};
const struct tmpl_type tmpl_type_alert_data = {
    TMPL_STRUCT,
    "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; "
    "Value interface {} }",
    NULL, false, 4, alert_fields};
const struct tmpl_type tmpl_type_time = {TMPL_TIME, "time.Time", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_time_ptr = {TMPL_TIME, "*time.Time", &tmpl_type_time, true, 0, NULL};
const struct tmpl_type tmpl_type_duration = {TMPL_DURATION, "time.Duration", NULL, false, 0, NULL};
const struct tmpl_type tmpl_type_duration_ptr = {TMPL_DURATION, "*time.Duration",
                                                 &tmpl_type_duration, true, 0, NULL};
/* Go's missingVal: "no value came from the pipeline". */
static const struct tmpl_type missing_type = {TMPL_INVALID, "missingValType", NULL, false, 0, NULL};

#define MAX_EXEC_DEPTH 1000 /* Go allows 100000; C stacks are smaller */

enum tmpl_kind tmpl_value_kind(const struct tmpl_value *v)
{
    return v->type ? v->type->kind : TMPL_INVALID;
}

struct tmpl_value tmpl_value_float(double f)
{
    return (struct tmpl_value){.type = &tmpl_type_float64, .u.f = f};
}

struct tmpl_value tmpl_value_int(int64_t i)
{
    return (struct tmpl_value){.type = &tmpl_type_int, .u.i = i};
}

struct tmpl_value tmpl_value_string(const char *s)
{
    return (struct tmpl_value){.type = &tmpl_type_string, .u.s = {s, strlen(s)}};
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const struct tmpl_label *)a)->name, ((const struct tmpl_label *)b)->name);
}

struct tmpl_value tmpl_value_labels(struct arena *a, const struct tmpl_label *l, size_t n)
{
    struct tmpl_label *sorted = ARENA_NEWN(a, struct tmpl_label, n ? n : 1);
    if (n)
        memcpy(sorted, l, n * sizeof *l);
    qsort(sorted, n, sizeof *sorted, cmp_label);
    struct tmpl_map *m = ARENA_NEW(a, struct tmpl_map);
    m->keys = ARENA_NEWN(a, const char *, n ? n : 1);
    m->values = ARENA_NEWN(a, struct tmpl_value, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        /* Duplicate names: the last one wins, as in a Go map. */
        if (m->n && strcmp(m->keys[m->n - 1], sorted[i].name) == 0)
            m->n--;
        m->keys[m->n] = sorted[i].name;
        m->values[m->n++] = tmpl_value_string(sorted[i].value);
    }
    return (struct tmpl_value){.type = &tmpl_type_map_string_string, .u.map = m};
}

struct tmpl_value tmpl_value_list(struct arena *a, const struct tmpl_type *list_type,
                                  const struct tmpl_value *items, size_t n)
{
    struct tmpl_list *l = ARENA_NEW(a, struct tmpl_list);
    l->n = n;
    l->items = ARENA_NEWN(a, struct tmpl_value, n ? n : 1);
    if (n)
        memcpy(l->items, items, n * sizeof *items);
    return (struct tmpl_value){.type = list_type, .u.list = l};
}

struct tmpl_value tmpl_value_alert_data(struct arena *a, const struct tmpl_alert_data *d)
{
    struct tmpl_value *f = ARENA_NEWN(a, struct tmpl_value, 4);
    f[0] = tmpl_value_labels(a, d->labels, d->nlabels);
    f[1] = tmpl_value_labels(a, d->external_labels, d->nexternal_labels);
    f[2] = tmpl_value_string(d->external_url ? d->external_url : "");
    f[3] = tmpl_value_float(d->value);
    return (struct tmpl_value){.type = &tmpl_type_alert_data, .u.fields = f};
}

struct tmpl_value tmpl_zero(const struct tmpl_type *t)
{
    struct tmpl_value v = {.type = t};
    if (!t || t == &tmpl_type_any || t == &tmpl_type_rv)
        return (struct tmpl_value){0};
    if (t->kind == TMPL_STRING)
        v.u.s.p = "";
    return v;
}

/* ---- state helpers ---- */

void texec_errorf(struct texec *s, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    if (!s->node) {
        strbuf_addf(&sb, "template: %s: ", s->cur_name);
    } else {
        int line, col;
        tmpl_position(s->t, s->node->pos, &line, &col);
        strbuf_addf(&sb, "template: %s:%d:%d: executing ", s->t->name, line, col);
        gofmt_quote(&sb, s->cur_name, strlen(s->cur_name));
        strbuf_addstr(&sb, " at <");
        tnode_string(&sb, s->node);
        strbuf_addstr(&sb, ">: ");
    }
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    s->err = arena_strdup(s->a, sb.buf);
    strbuf_release(&sb);
    longjmp(s->fail, 1);
}

static const char *node_str(struct texec *s, const struct tnode *n)
{
    struct strbuf sb = STRBUF_INIT;
    tnode_string(&sb, n);
    const char *r = arena_strdup(s->a, sb.buf);
    strbuf_release(&sb);
    return r;
}

static const char *value_str(struct texec *s, const struct tmpl_value *v)
{
    struct strbuf sb = STRBUF_INIT;
    gofmt_print(&sb, v);
    const char *r = arena_strdup(s->a, sb.buf);
    strbuf_release(&sb);
    return r;
}

static bool is_missing(const struct tmpl_value *v)
{
    return v->type == &missing_type;
}

static void at(struct texec *s, const struct tnode *n)
{
    s->node = n;
}

static size_t cur_base(const struct texec *s)
{
    return s->var_base;
}

static void push_var(struct texec *s, const char *name, struct tmpl_value v)
{
    XGROW(s->vars, s->capvars, s->nvars + 1);
    s->vars[s->nvars++] = (struct tvar){name, v};
}

static void set_var(struct texec *s, const char *name, struct tmpl_value v)
{
    for (size_t i = s->nvars; i-- > cur_base(s);) {
        if (strcmp(s->vars[i].name, name) == 0) {
            s->vars[i].value = v;
            return;
        }
    }
    texec_errorf(s, "undefined variable: %s", name);
}

static struct tmpl_value var_value(struct texec *s, const char *name)
{
    for (size_t i = s->nvars; i-- > cur_base(s);)
        if (strcmp(s->vars[i].name, name) == 0)
            return s->vars[i].value;
    texec_errorf(s, "undefined variable: %s", name);
}

/* Go's isTrue on an already indirected-through-interface value. */
bool tmpl_truth(const struct tmpl_value *v, bool *ok)
{
    *ok = true;
    if (!v->type)
        return false;
    const struct tmpl_type *t = v->type;
    if (t->ptr)
        return t->kind == TMPL_STRUCT ? v->u.fields != NULL : true;
    switch (t->kind) {
    case TMPL_INVALID:
    case TMPL_NIL:
        return false;
    case TMPL_BOOL:
        return v->u.b;
    case TMPL_INT:
    case TMPL_DURATION:
        return v->u.i != 0;
    case TMPL_UINT:
        return v->u.u != 0;
    case TMPL_FLOAT:
        return v->u.f != 0;
    case TMPL_STRING:
        return v->u.s.len > 0;
    case TMPL_MAP:
        return v->u.map && v->u.map->n > 0;
    case TMPL_LIST:
        return v->u.list && v->u.list->n > 0;
    case TMPL_STRUCT:
    case TMPL_TIME:
        return true;
    }
    *ok = false;
    return false;
}

/* Go's indirect(): follows pointers; *is_nil for a nil pointer. */
static struct tmpl_value indirect(struct tmpl_value v, bool *is_nil)
{
    *is_nil = false;
    if (!v.type)
        return v;
    if (v.type->kind == TMPL_NIL) {
        *is_nil = true;
        return v;
    }
    if (v.type->ptr) {
        if (v.type->kind == TMPL_STRUCT && !v.u.fields) {
            *is_nil = true;
            return v;
        }
        v.type = v.type->elem;
    }
    return v;
}

/* ---- evaluation ---- */

static struct tmpl_value eval_pipeline(struct texec *s, struct tmpl_value dot, const struct tnode *pipe);
static struct tmpl_value eval_arg(struct texec *s, struct tmpl_value dot, const struct tmpl_type *typ,
                                  const struct tnode *n);
static int walk(struct texec *s, struct tmpl_value dot, const struct tnode *n);

static void not_a_function(struct texec *s, struct tnode *const *args, size_t nargs,
                           const struct tmpl_value *final)
{
    if (nargs > 1 || !is_missing(final))
        texec_errorf(s, "can't give argument to non-function %s", node_str(s, args[0]));
}

static struct tmpl_value ideal_constant(struct texec *s, const struct tnode *c)
{
    at(s, c);
    if (c->is_complex)
        texec_errorf(s, "complex constant %s is not supported", c->src);
    bool hex_int = c->srclen > 2 && c->src[0] == '0' && (c->src[1] == 'x' || c->src[1] == 'X') &&
                   !strpbrk(c->src, "pP");
    bool rune_int = c->srclen > 0 && c->src[0] == '\'';
    if (c->is_float && !hex_int && !rune_int && strpbrk(c->src, ".eEpP"))
        return tmpl_value_float(c->f64);
    if (c->is_int)
        return tmpl_value_int(c->i64);
    if (c->is_uint)
        texec_errorf(s, "%s overflows int", c->src);
    return (struct tmpl_value){0};
}

static bool can_be_nil(const struct tmpl_type *t)
{
    if (t == &tmpl_type_any || t == &tmpl_type_rv)
        return true;
    return t->ptr || t->kind == TMPL_MAP || t->kind == TMPL_LIST;
}

static struct tmpl_value validate_type(struct texec *s, struct tmpl_value v, const struct tmpl_type *typ)
{
    if (!v.type) {
        if (!typ)
            return v;
        if (can_be_nil(typ)) {
            if (typ == &tmpl_type_any)
                return (struct tmpl_value){.type = &tmpl_type_nil};
            return tmpl_zero(typ);
        }
        texec_errorf(s, "invalid value; expected %s", typ->name);
    }
    if (!typ || typ == &tmpl_type_rv || typ == &tmpl_type_any || v.type == typ ||
        strcmp(v.type->name, typ->name) == 0)
        return v;
    if (v.type->ptr && v.type->elem == typ) {
        bool is_nil;
        struct tmpl_value d = indirect(v, &is_nil);
        if (is_nil)
            texec_errorf(s, "dereference of nil pointer of type %s", typ->name);
        return d;
    }
    texec_errorf(s, "wrong type for value; expected %s; got %s", typ->name, v.type->name);
}

static struct tmpl_value eval_call(struct texec *s, struct tmpl_value dot, const struct tfunc *f,
                                   const struct tmpl_value *recv, const struct tnode *node,
                                   const char *name, struct tnode *const *args, size_t nargs,
                                   struct tmpl_value final)
{
    if (args) { /* args[0] is the function or field itself */
        args++;
        nargs--;
    }
    size_t num_in = nargs + (is_missing(&final) ? 0 : 1);
    size_t num_fixed = nargs;
    if (f->variadic) {
        num_fixed = (size_t)f->nin - 1;
        if (num_in < num_fixed)
            texec_errorf(s, "wrong number of args for %s: want at least %d got %zu", name,
                         f->nin - 1, nargs);
    } else if (num_in != (size_t)f->nin) {
        texec_errorf(s, "wrong number of args for %s: want %d got %zu", name, f->nin, num_in);
    }
    if (f->builtin && (strcmp(name, "and") == 0 || strcmp(name, "or") == 0)) {
        bool want = strcmp(name, "or") == 0;
        struct tmpl_value v = {0};
        for (size_t i = 0; i < nargs; i++) {
            v = eval_arg(s, dot, &tmpl_type_rv, args[i]);
            bool ok;
            struct tmpl_value iv = v.type && v.type->kind == TMPL_NIL ? (struct tmpl_value){0} : v;
            if (tmpl_truth(&iv, &ok) == want)
                return v;
        }
        if (!is_missing(&final))
            v = final;
        return v;
    }
    size_t off = recv ? 1 : 0;
    struct tmpl_value *argv = ARENA_NEWN(s->a, struct tmpl_value, num_in + off + 1);
    if (recv)
        argv[0] = *recv;
    size_t i = 0;
    for (; i < num_fixed && i < nargs; i++)
        argv[off + i] = eval_arg(s, dot, f->in[i], args[i]);
    if (f->variadic)
        for (; i < nargs; i++)
            argv[off + i] = eval_arg(s, dot, f->in[f->nin - 1], args[i]);
    if (!is_missing(&final)) {
        size_t k = num_in - 1 < (size_t)f->nin - 1 ? num_in - 1 : (size_t)f->nin - 1;
        argv[off + i] = validate_type(s, final, f->in[k]);
    }
    if (f->builtin && strcmp(name, "call") == 0) /* Go names the callee by its node */
        s->callee = node_str(s, nargs ? args[0] : node);
    struct tmpl_value ret = {0};
    strbuf_reset(&s->callerr);
    if (f->fn(s, argv, (int)(num_in + off), &ret) < 0) {
        at(s, node);
        texec_errorf(s, "error calling %s: %s", name, s->callerr.buf);
    }
    return ret;
}

static struct tmpl_value eval_field(struct texec *s, struct tmpl_value dot, const char *field,
                                    const struct tnode *node, struct tnode *const *args, size_t nargs,
                                    struct tmpl_value final, struct tmpl_value recv)
{
    if (!recv.type)
        return recv; /* missingkey=zero: a nil receiver yields no value */
    const struct tmpl_type *typ = recv.type;
    bool is_nil;
    recv = indirect(recv, &is_nil);
    if (recv.type->kind == TMPL_NIL)
        texec_errorf(s, "nil pointer evaluating %s.%s", typ->name, field);
    const struct tfunc *m = tfunc_method(&recv, field);
    if (m)
        return eval_call(s, dot, m, &recv, node, field, args, nargs, final);
    bool has_args = nargs > 1 || !is_missing(&final);
    const struct tmpl_type *rt = recv.type;
    if (rt->kind == TMPL_STRUCT && !rt->ptr) {
        for (size_t i = 0; i < rt->nfields; i++) {
            if (strcmp(rt->fields[i], field) == 0) {
                if (has_args)
                    texec_errorf(s, "%s has arguments but cannot be invoked as function", field);
                return recv.u.fields[i];
            }
        }
    } else if (rt->kind == TMPL_MAP) {
        if (has_args)
            texec_errorf(s, "%s is not a method but has arguments", field);
        const struct tmpl_map *mp = recv.u.map;
        if (mp) {
            size_t lo = 0, hi = mp->n;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(mp->keys[mid], field);
                if (c == 0)
                    return mp->values[mid];
                if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
        }
        return tmpl_zero(rt->elem);
    } else if (rt->ptr && rt->kind == TMPL_STRUCT) {
        bool has = false;
        for (size_t i = 0; i < rt->nfields; i++)
            has |= strcmp(rt->fields[i], field) == 0;
        if (has && is_nil)
            texec_errorf(s, "nil pointer evaluating %s.%s", typ->name, field);
    }
    texec_errorf(s, "can't evaluate field %s in type %s", field, typ->name);
}

static struct tmpl_value eval_field_chain(struct texec *s, struct tmpl_value dot,
                                          struct tmpl_value recv, const struct tnode *node,
                                          const char *const *ident, size_t n,
                                          struct tnode *const *args, size_t nargs,
                                          struct tmpl_value final)
{
    struct tmpl_value missing = {.type = &missing_type};
    for (size_t i = 0; i + 1 < n; i++)
        recv = eval_field(s, dot, ident[i], node, NULL, 0, missing, recv);
    return eval_field(s, dot, ident[n - 1], node, args, nargs, final, recv);
}

static struct tmpl_value eval_field_node(struct texec *s, struct tmpl_value dot,
                                         const struct tnode *field, struct tnode *const *args,
                                         size_t nargs, struct tmpl_value final)
{
    at(s, field);
    return eval_field_chain(s, dot, dot, field, field->ident, field->nident, args, nargs, final);
}

static struct tmpl_value eval_chain_node(struct texec *s, struct tmpl_value dot,
                                         const struct tnode *chain, struct tnode *const *args,
                                         size_t nargs, struct tmpl_value final)
{
    at(s, chain);
    if (chain->nident == 0)
        texec_errorf(s, "internal error: no fields in evalChainNode");
    if (chain->chain_node->kind == TN_NIL)
        texec_errorf(s, "indirection through explicit nil in %s", node_str(s, chain));
    struct tmpl_value pipe = eval_arg(s, dot, NULL, chain->chain_node);
    return eval_field_chain(s, dot, pipe, chain, chain->ident, chain->nident, args, nargs, final);
}

static struct tmpl_value eval_variable_node(struct texec *s, struct tmpl_value dot,
                                            const struct tnode *v, struct tnode *const *args,
                                            size_t nargs, struct tmpl_value final)
{
    at(s, v);
    struct tmpl_value value = var_value(s, v->ident[0]);
    if (v->nident == 1) {
        if (args)
            not_a_function(s, args, nargs, &final);
        else if (!is_missing(&final))
            texec_errorf(s, "can't give argument to non-function %s", node_str(s, v));
        return value;
    }
    return eval_field_chain(s, dot, value, v, v->ident + 1, v->nident - 1, args, nargs, final);
}

static struct tmpl_value eval_function(struct texec *s, struct tmpl_value dot,
                                       const struct tnode *node, const struct tnode *cmd,
                                       struct tnode *const *args, size_t nargs,
                                       struct tmpl_value final)
{
    at(s, node);
    return eval_call(s, dot, node->func, NULL, cmd, node->text, args, nargs, final);
}

static struct tmpl_value eval_empty_interface(struct texec *s, struct tmpl_value dot,
                                              const struct tnode *n)
{
    struct tmpl_value missing = {.type = &missing_type};
    at(s, n);
    switch (n->kind) {
    case TN_BOOL:
        return (struct tmpl_value){.type = &tmpl_type_bool, .u.b = n->truth};
    case TN_DOT:
        return dot;
    case TN_FIELD:
        return eval_field_node(s, dot, n, NULL, 0, missing);
    case TN_IDENT:
        return eval_function(s, dot, n, n, NULL, 0, missing);
    case TN_NIL:
        texec_errorf(s, "evalEmptyInterface: nil (can't happen)");
    case TN_NUMBER:
        return ideal_constant(s, n);
    case TN_STRING:
        return (struct tmpl_value){.type = &tmpl_type_string, .u.s = {n->text, n->len}};
    case TN_VARIABLE:
        return eval_variable_node(s, dot, n, NULL, 0, missing);
    case TN_PIPE:
        return eval_pipeline(s, dot, n);
    default:
        texec_errorf(s, "can't handle assignment of %s to empty interface argument",
                     node_str(s, n));
    }
}

static struct tmpl_value eval_arg(struct texec *s, struct tmpl_value dot, const struct tmpl_type *typ,
                                  const struct tnode *n)
{
    struct tmpl_value missing = {.type = &missing_type};
    at(s, n);
    switch (n->kind) {
    case TN_DOT:
        return validate_type(s, dot, typ);
    case TN_NIL:
        if (typ && can_be_nil(typ))
            return typ == &tmpl_type_any ? (struct tmpl_value){.type = &tmpl_type_nil}
                                         : tmpl_zero(typ);
        texec_errorf(s, "cannot assign nil to %s", typ ? typ->name : "<nil>");
    case TN_FIELD: {
        struct tnode *self[1] = {(struct tnode *)n};
        return validate_type(s, eval_field_node(s, dot, n, self, 1, missing), typ);
    }
    case TN_VARIABLE:
        return validate_type(s, eval_variable_node(s, dot, n, NULL, 0, missing), typ);
    case TN_PIPE:
        return validate_type(s, eval_pipeline(s, dot, n), typ);
    case TN_IDENT:
        return validate_type(s, eval_function(s, dot, n, n, NULL, 0, missing), typ);
    case TN_CHAIN:
        return validate_type(s, eval_chain_node(s, dot, n, NULL, 0, missing), typ);
    default:
        break;
    }
    if (!typ)
        texec_errorf(s, "can't handle %s for arg of type <nil>", node_str(s, n));
    if (typ == &tmpl_type_any || typ == &tmpl_type_rv)
        return eval_empty_interface(s, dot, n);
    switch (typ->ptr ? TMPL_INVALID : typ->kind) {
    case TMPL_BOOL:
        if (n->kind == TN_BOOL)
            return (struct tmpl_value){.type = typ, .u.b = n->truth};
        texec_errorf(s, "expected bool; found %s", node_str(s, n));
    case TMPL_FLOAT:
        if (n->kind == TN_NUMBER && n->is_float)
            return (struct tmpl_value){.type = typ, .u.f = n->f64};
        texec_errorf(s, "expected float; found %s", node_str(s, n));
    case TMPL_INT:
    case TMPL_DURATION:
        if (n->kind == TN_NUMBER && n->is_int)
            return (struct tmpl_value){.type = typ, .u.i = n->i64};
        texec_errorf(s, "expected integer; found %s", node_str(s, n));
    case TMPL_UINT:
        if (n->kind == TN_NUMBER && n->is_uint)
            return (struct tmpl_value){.type = typ, .u.u = n->u64};
        texec_errorf(s, "expected unsigned integer; found %s", node_str(s, n));
    case TMPL_STRING:
        if (n->kind == TN_STRING)
            return (struct tmpl_value){.type = typ, .u.s = {n->text, n->len}};
        texec_errorf(s, "expected string; found %s", node_str(s, n));
    default:
        texec_errorf(s, "can't handle %s for arg of type %s", node_str(s, n), typ->name);
    }
}

static struct tmpl_value eval_command(struct texec *s, struct tmpl_value dot, const struct tnode *cmd,
                                      struct tmpl_value final)
{
    const struct tnode *first = cmd->items[0];
    switch (first->kind) {
    case TN_FIELD:
        return eval_field_node(s, dot, first, cmd->items, cmd->nitems, final);
    case TN_CHAIN:
        return eval_chain_node(s, dot, first, cmd->items, cmd->nitems, final);
    case TN_IDENT:
        return eval_function(s, dot, first, cmd, cmd->items, cmd->nitems, final);
    case TN_PIPE:
        not_a_function(s, cmd->items, cmd->nitems, &final);
        return eval_pipeline(s, dot, first);
    case TN_VARIABLE:
        return eval_variable_node(s, dot, first, cmd->items, cmd->nitems, final);
    default:
        break;
    }
    at(s, first);
    not_a_function(s, cmd->items, cmd->nitems, &final);
    switch (first->kind) {
    case TN_BOOL:
        return (struct tmpl_value){.type = &tmpl_type_bool, .u.b = first->truth};
    case TN_DOT:
        return dot;
    case TN_NIL:
        texec_errorf(s, "nil is not a command");
    case TN_NUMBER:
        return ideal_constant(s, first);
    case TN_STRING:
        return (struct tmpl_value){.type = &tmpl_type_string, .u.s = {first->text, first->len}};
    default: {
        struct strbuf q = STRBUF_INIT;
        const char *str = node_str(s, first);
        gofmt_quote(&q, str, strlen(str));
        const char *m = arena_strdup(s->a, q.buf);
        strbuf_release(&q);
        texec_errorf(s, "can't evaluate command %s", m);
    }
    }
}

static struct tmpl_value eval_pipeline(struct texec *s, struct tmpl_value dot, const struct tnode *pipe)
{
    if (!pipe)
        return (struct tmpl_value){0};
    at(s, pipe);
    struct tmpl_value value = {.type = &missing_type};
    for (size_t i = 0; i < pipe->nitems; i++) {
        value = eval_command(s, dot, pipe->items[i], value);
        /* Go digs into an interface{} result: a nil one becomes no value. */
        if (value.type && value.type->kind == TMPL_NIL)
            value = (struct tmpl_value){0};
    }
    for (size_t i = 0; i < pipe->ndecl; i++) {
        if (pipe->is_assign)
            set_var(s, pipe->decl[i]->ident[0], value);
        else
            push_var(s, pipe->decl[i]->ident[0], value);
    }
    return value;
}

static void print_value(struct texec *s, const struct tnode *n, struct tmpl_value v)
{
    at(s, n);
    bool is_nil;
    if (v.type && v.type->ptr)
        v = indirect(v, &is_nil);
    if (!v.type) {
        strbuf_addstr(s->out, "<no value>");
        return;
    }
    gofmt_print(s->out, &v);
}

/* ---- walking ---- */

enum { WALK_OK, WALK_BREAK, WALK_CONTINUE };

static int walk_if_or_with(struct texec *s, bool is_with, struct tmpl_value dot, const struct tnode *n)
{
    size_t mark = s->nvars;
    struct tmpl_value val = eval_pipeline(s, dot, n->pipe);
    struct tmpl_value iv = val.type && val.type->kind == TMPL_NIL ? (struct tmpl_value){0} : val;
    bool ok;
    bool truth = tmpl_truth(&iv, &ok);
    if (!ok)
        texec_errorf(s, "if/with can't use %s", value_str(s, &val));
    int r = WALK_OK;
    if (truth)
        r = walk(s, is_with ? val : dot, n->list);
    else if (n->else_list)
        r = walk(s, dot, n->else_list);
    s->nvars = mark;
    return r;
}

/* One range iteration; returns WALK_BREAK to stop. */
static int range_step(struct texec *s, const struct tnode *r, size_t mark, struct tmpl_value index,
                      struct tmpl_value elem)
{
    const struct tnode *pipe = r->pipe;
    if (pipe->ndecl > 0) {
        if (pipe->is_assign)
            set_var(s, pipe->decl[0]->ident[0], pipe->ndecl > 1 ? index : elem);
        else
            s->vars[s->nvars - 1].value = elem;
    }
    if (pipe->ndecl > 1) {
        if (pipe->is_assign)
            set_var(s, pipe->decl[1]->ident[0], elem);
        else
            s->vars[s->nvars - 2].value = index;
    }
    int res = walk(s, elem, r->list);
    s->nvars = mark;
    return res == WALK_BREAK ? WALK_BREAK : WALK_OK;
}

static int walk_range(struct texec *s, struct tmpl_value dot, const struct tnode *r)
{
    at(s, r);
    size_t mark0 = s->nvars;
    bool is_nil;
    struct tmpl_value val = indirect(eval_pipeline(s, dot, r->pipe), &is_nil);
    size_t mark = s->nvars;
    const struct tmpl_type *t = val.type;
    bool ran = false;
    if (!t || (t->kind == TMPL_NIL)) {
        /* an invalid value acts like an empty map */
    } else if (t->kind == TMPL_LIST && !t->ptr) {
        size_t n = val.u.list ? val.u.list->n : 0;
        for (size_t i = 0; i < n; i++) {
            ran = true;
            if (range_step(s, r, mark, tmpl_value_int((int64_t)i), val.u.list->items[i]) ==
                WALK_BREAK)
                break;
        }
    } else if (t->kind == TMPL_MAP) {
        size_t n = val.u.map ? val.u.map->n : 0;
        for (size_t i = 0; i < n; i++) {
            ran = true;
            if (range_step(s, r, mark, tmpl_value_string(val.u.map->keys[i]),
                           val.u.map->values[i]) == WALK_BREAK)
                break;
        }
    } else if ((t->kind == TMPL_INT || t->kind == TMPL_UINT) && !t->ptr) {
        /* Go 1.22+: range over an integer n yields 0..n-1. */
        if (r->pipe->ndecl > 1)
            texec_errorf(s, "can't use %s to iterate over more than one variable",
                         value_str(s, &val));
        int64_t n = t->kind == TMPL_INT ? val.u.i : (int64_t)val.u.u;
        for (int64_t i = 0; i < n; i++) {
            ran = true;
            struct tmpl_value iv = {.type = t, .u.i = i};
            if (range_step(s, r, mark, iv, iv) == WALK_BREAK)
                break;
        }
    } else {
        texec_errorf(s, "range can't iterate over %s", value_str(s, &val));
    }
    if (!ran && r->else_list)
        walk(s, dot, r->else_list);
    s->nvars = mark0;
    return WALK_OK;
}

static const struct tdef *lookup_def(const struct tmpl *t, const char *name)
{
    for (size_t i = 0; i < t->ndefs; i++)
        if (strcmp(t->defs[i].name, name) == 0 && t->defs[i].root)
            return &t->defs[i];
    return NULL;
}

static void walk_template(struct texec *s, struct tmpl_value dot, const struct tnode *n)
{
    at(s, n);
    const struct tdef *d = lookup_def(s->t, n->text);
    if (!d) {
        struct strbuf q = STRBUF_INIT;
        gofmt_quote(&q, n->text, n->len);
        const char *m = arena_strdup(s->a, q.buf);
        strbuf_release(&q);
        texec_errorf(s, "template %s not defined", m);
    }
    if (s->depth == MAX_EXEC_DEPTH)
        texec_errorf(s, "exceeded maximum template depth (%d)", MAX_EXEC_DEPTH);
    dot = eval_pipeline(s, dot, n->pipe);
    /* No dynamic scoping: the callee sees only "$". */
    size_t saved_base = s->var_base, saved_n = s->nvars;
    const char *saved_name = s->cur_name;
    s->var_base = s->nvars;
    push_var(s, "$", dot);
    s->depth++;
    s->cur_name = d->name;
    walk(s, dot, d->root);
    s->depth--;
    s->cur_name = saved_name;
    s->nvars = saved_n;
    s->var_base = saved_base;
}

static int walk(struct texec *s, struct tmpl_value dot, const struct tnode *n)
{
    at(s, n);
    switch (n->kind) {
    case TN_ACTION: {
        struct tmpl_value val = eval_pipeline(s, dot, n->pipe);
        if (n->pipe->ndecl == 0)
            print_value(s, n, val);
        return WALK_OK;
    }
    case TN_BREAK:
        return WALK_BREAK;
    case TN_CONTINUE:
        return WALK_CONTINUE;
    case TN_IF:
    case TN_WITH:
        return walk_if_or_with(s, n->kind == TN_WITH, dot, n);
    case TN_LIST:
        for (size_t i = 0; i < n->nitems; i++) {
            int r = walk(s, dot, n->items[i]);
            if (r != WALK_OK)
                return r;
        }
        return WALK_OK;
    case TN_RANGE:
        return walk_range(s, dot, n);
    case TN_TEMPLATE:
        walk_template(s, dot, n);
        return WALK_OK;
    case TN_TEXT:
        strbuf_add(s->out, n->text, n->len);
        return WALK_OK;
    default:
        texec_errorf(s, "unknown node: %s", node_str(s, n));
    }
}

int tmpl_execute(const struct tmpl *t, const struct tmpl_value *data, const struct tmpl_env *env,
                 struct strbuf *out, char **err)
{
    *err = NULL;
    if (t->error) {
        *err = xstrdup(t->error);
        return -1;
    }
    /* Everything longjmp may skip over lives behind s (heap), never in
     * locals of this function. */
    struct texec *s = xcalloc(1, sizeof *s);
    static const struct tmpl_env no_env = {0};
    arena_init(&s->arena, 16384);
    s->t = t;
    s->cur_name = t->name;
    s->a = &s->arena;
    s->out = out;
    s->env = env ? env : &no_env;
    strbuf_init(&s->callerr);
    volatile int rc = 0;
    if (setjmp(s->fail) == 0) {
        push_var(s, "$", *data);
        const struct tdef *main = &t->defs[0];
        if (!main->root)
            texec_errorf(s, "\"%s\" is an incomplete or empty template", t->name);
        walk(s, *data, main->root);
    } else {
        *err = xstrdup(s->err);
        rc = -1;
    }
    strbuf_release(&s->callerr);
    free(s->vars);
    arena_release(&s->arena);
    free(s);
    return rc;
}

int tmpl_alert_expand(const struct tmpl *t, const struct tmpl_alert_data *d,
                      const struct tmpl_env *env, struct strbuf *out)
{
    if (t->error) {
        strbuf_addf(out, "<error expanding template: error parsing template %s: %s>", t->name,
                    t->error);
        return -1;
    }
    struct arena a;
    arena_init(&a, 4096);
    struct tmpl_value data = tmpl_value_alert_data(&a, d);
    struct strbuf tmp = STRBUF_INIT;
    char *err = NULL;
    int rc = tmpl_execute(t, &data, env, &tmp, &err);
    if (rc == 0)
        strbuf_add(out, tmp.buf, tmp.len);
    else
        strbuf_addf(out, "<error expanding template: error executing template %s: %s>", t->name,
                    err);
    free(err);
    strbuf_release(&tmp);
    arena_release(&a);
    return rc;
}
