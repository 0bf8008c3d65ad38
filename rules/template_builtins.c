/* template_builtins: text/template's builtin functions (funcs.go): and, or,
 * not, len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge,
 * html, js, urlquery, call, with Go's comparison rules and error texts. */
#include <stdarg.h>
#include <string.h>

#include "rules/template_impl.h"

#define T_ANY (&tmpl_type_any)
#define T_RV (&tmpl_type_rv)
#define T_STR (&tmpl_type_string)

static const struct tmpl_type tmpl_type_uint8 = {TMPL_UINT, "uint8", NULL, false, 0, NULL};

static struct tmpl_value mkbool(bool b)
{
    return (struct tmpl_value){.type = &tmpl_type_bool, .u.b = b};
}

/* ---- builtins ---- */

static int fn_first_arg(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    *r = a[0];
    return 0;
}

static int fn_not(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    bool ok;
    struct tmpl_value v = tfunc_iface(a[0]);
    *r = mkbool(!tmpl_truth(&v, &ok));
    return 0;
}

static int fn_call(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    (void)r;
    struct tmpl_value v = tfunc_iface(a[0]);
    if (!v.type)
        return tfunc_fail(s, "call of nil");
    return tfunc_fail(s, "non-function %s of type %s", s->callee ? s->callee : "?",
                      v.type->name);
}

static int fn_len(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    struct tmpl_value v = a[0];
    if (v.type && v.type->ptr && v.type->kind == TMPL_STRUCT && !v.u.fields)
        return tfunc_fail(s, "len of nil pointer");
    if (!v.type)
        return tfunc_fail(s, "reflect: call of reflect.Value.Type on zero Value");
    if (v.type->kind == TMPL_NIL)
        return tfunc_fail(s, "len of nil pointer");
    int64_t len;
    switch (v.type->kind) {
    case TMPL_STRING: len = (int64_t)v.u.s.len; break;
    case TMPL_MAP: len = v.u.map ? (int64_t)v.u.map->n : 0; break;
    case TMPL_LIST: len = v.u.list ? (int64_t)v.u.list->n : 0; break;
    default:
        return tfunc_fail(s, "len of type %s", v.type->ptr ? v.type->elem->name : v.type->name);
    }
    *r = tmpl_value_int(len);
    return 0;
}

static int index_arg(struct texec *s, struct tmpl_value ix, size_t cap, size_t *out)
{
    int64_t x;
    if (!ix.type)
        return tfunc_fail(s, "cannot index slice/array with nil");
    if (ix.type->kind == TMPL_INT)
        x = ix.u.i;
    else if (ix.type->kind == TMPL_UINT)
        x = (int64_t)ix.u.u;
    else
        return tfunc_fail(s, "cannot index slice/array with type %s", ix.type->name);
    if (x < 0 || (uint64_t)x > cap)
        return tfunc_fail(s, "index out of range: %lld", (long long)x);
    *out = (size_t)x;
    return 0;
}

static int fn_index(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    struct tmpl_value item = tfunc_iface(a[0]);
    if (!item.type)
        return tfunc_fail(s, "index of untyped nil");
    for (int k = 1; k < n; k++) {
        struct tmpl_value ix = tfunc_iface(a[k]);
        if (item.type->ptr && item.type->kind == TMPL_STRUCT && !item.u.fields)
            return tfunc_fail(s, "index of nil pointer");
        switch (item.type->kind) {
        case TMPL_LIST: {
            size_t len = item.u.list ? item.u.list->n : 0, x;
            if (index_arg(s, ix, len, &x) < 0)
                return -1;
            if (x >= len)
                return tfunc_fail(s, "reflect: slice index out of range");
            item = item.u.list->items[x];
            break;
        }
        case TMPL_STRING: {
            size_t x;
            if (index_arg(s, ix, item.u.s.len, &x) < 0)
                return -1;
            if (x >= item.u.s.len)
                return tfunc_fail(s, "reflect: string index out of range");
            item = (struct tmpl_value){.type = &tmpl_type_uint8, .u.u = (unsigned char)item.u.s.p[x]};
            break;
        }
        case TMPL_MAP: {
            if (!ix.type)
                return tfunc_fail(s, "value is nil; should be of type string");
            if (ix.type->kind != TMPL_STRING || strcmp(ix.type->name, "string") != 0)
                return tfunc_fail(s, "value has type %s; should be string", ix.type->name);
            const char *key = tfunc_cstr(s, &ix);
            struct tmpl_value found = tmpl_zero(item.type->elem);
            for (size_t i = 0; item.u.map && i < item.u.map->n; i++)
                if (strcmp(item.u.map->keys[i], key) == 0)
                    found = item.u.map->values[i];
            item = found;
            break;
        }
        default:
            return tfunc_fail(s, "can't index item of type %s", item.type->name);
        }
        item = tfunc_iface(item);
        if (!item.type && k + 1 < n)
            return tfunc_fail(s, "index of untyped nil");
    }
    *r = item;
    return 0;
}

static int fn_slice(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    struct tmpl_value item = tfunc_iface(a[0]);
    if (!item.type)
        return tfunc_fail(s, "slice of untyped nil");
    if (n - 1 > 3)
        return tfunc_fail(s, "too many slice indexes: %d", n - 1);
    size_t cap, len;
    if (item.type->kind == TMPL_STRING) {
        if (n - 1 == 3)
            return tfunc_fail(s, "cannot 3-index slice a string");
        cap = len = item.u.s.len;
    } else if (item.type->kind == TMPL_LIST) {
        cap = len = item.u.list ? item.u.list->n : 0;
    } else {
        return tfunc_fail(s, "can't slice item of type %s", item.type->name);
    }
    size_t idx[3] = {0, len, 0};
    for (int k = 1; k < n; k++)
        if (index_arg(s, tfunc_iface(a[k]), cap, &idx[k - 1]) < 0)
            return -1;
    if (idx[0] > idx[1])
        return tfunc_fail(s, "invalid slice index: %zu > %zu", idx[0], idx[1]);
    if (n - 1 == 3 && idx[1] > idx[2])
        return tfunc_fail(s, "invalid slice index: %zu > %zu", idx[1], idx[2]);
    if (item.type->kind == TMPL_STRING) {
        *r = (struct tmpl_value){.type = item.type, .u.s = {item.u.s.p + idx[0], idx[1] - idx[0]}};
    } else {
        struct tmpl_list *l = ARENA_NEW(s->a, struct tmpl_list);
        l->n = idx[1] - idx[0];
        l->items = item.u.list ? item.u.list->items + idx[0] : NULL;
        *r = (struct tmpl_value){.type = item.type, .u.list = l};
    }
    return 0;
}

/* evalArgs: Sprint of the arguments after template-style indirection. */
static void eval_args(struct texec *s, struct tmpl_value *a, int n, struct strbuf *out)
{
    if (n == 1 && a[0].type == &tmpl_type_string) {
        strbuf_add(out, a[0].u.s.p, a[0].u.s.len);
        return;
    }
    struct tmpl_value *v = ARENA_NEWN(s->a, struct tmpl_value, n ? n : 1);
    for (int i = 0; i < n; i++) {
        v[i] = a[i];
        if (v[i].type && v[i].type->ptr && !(v[i].type->kind == TMPL_STRUCT && !v[i].u.fields))
            v[i].type = v[i].type->elem;
        if (!v[i].type || v[i].type->kind == TMPL_NIL)
            v[i] = tmpl_value_string("<no value>");
    }
    gofmt_sprint(out, v, n);
}


static int fn_html(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
    eval_args(s, a, n, &in);
    for (size_t i = 0; i < in.len; i++) {
        switch (in.buf[i]) {
        case 0: strbuf_addstr(&out, "\xef\xbf\xbd"); break;
        case '"': strbuf_addstr(&out, "&#34;"); break;
        case '\'': strbuf_addstr(&out, "&#39;"); break;
        case '&': strbuf_addstr(&out, "&amp;"); break;
        case '<': strbuf_addstr(&out, "&lt;"); break;
        case '>': strbuf_addstr(&out, "&gt;"); break;
        default: strbuf_addch(&out, in.buf[i]);
        }
    }
    *r = tfunc_str(s, &out, &tmpl_type_string);
    strbuf_release(&in);
    strbuf_release(&out);
    return 0;
}

static int fn_js(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
    eval_args(s, a, n, &in);
    for (size_t i = 0; i < in.len;) {
        unsigned char c = (unsigned char)in.buf[i];
        if (c >= 0x80) {
            uint32_t rr;
            int w = goutf8_decode(in.buf + i, in.len - i, &rr);
            if (gouni_is_print(rr))
                strbuf_add(&out, in.buf + i, (size_t)w);
            else
                strbuf_addf(&out, "\\u%04X", rr);
            i += (size_t)w;
            continue;
        }
        switch (c) {
        case '\\': strbuf_addstr(&out, "\\\\"); break;
        case '\'': strbuf_addstr(&out, "\\'"); break;
        case '"': strbuf_addstr(&out, "\\\""); break;
        case '<': strbuf_addstr(&out, "\\u003C"); break;
        case '>': strbuf_addstr(&out, "\\u003E"); break;
        case '&': strbuf_addstr(&out, "\\u0026"); break;
        case '=': strbuf_addstr(&out, "\\u003D"); break;
        default:
            if (c < ' ')
                strbuf_addf(&out, "\\u00%02X", c);
            else
                strbuf_addch(&out, c);
        }
        i++;
    }
    *r = tfunc_str(s, &out, &tmpl_type_string);
    strbuf_release(&in);
    strbuf_release(&out);
    return 0;
}

static int fn_urlquery(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
    eval_args(s, a, n, &in);
    tfunc_url_query_escape(&out, in.buf, in.len);
    *r = tfunc_str(s, &out, &tmpl_type_string);
    strbuf_release(&in);
    strbuf_release(&out);
    return 0;
}

static int fn_print(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    struct strbuf out = STRBUF_INIT;
    gofmt_sprint(&out, a, n);
    *r = tfunc_str(s, &out, &tmpl_type_string);
    strbuf_release(&out);
    return 0;
}

static int fn_println(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    struct strbuf out = STRBUF_INIT;
    gofmt_sprintln(&out, a, n);
    *r = tfunc_str(s, &out, &tmpl_type_string);
    strbuf_release(&out);
    return 0;
}

static int fn_printf(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    struct strbuf out = STRBUF_INIT;
    gofmt_sprintf(&out, a[0].u.s.p, a[0].u.s.len, a + 1, n - 1);
    *r = tfunc_str(s, &out, &tmpl_type_string);
    strbuf_release(&out);
    return 0;
}

/* ---- comparisons ---- */

enum bkind { BK_INVALID, BK_BOOL, BK_INT, BK_FLOAT, BK_STRING, BK_UINT };

static enum bkind basic_kind(const struct tmpl_value *v)
{
    if (!v->type)
        return BK_INVALID;
    if (v->type->ptr)
        return BK_INVALID;
    switch (v->type->kind) {
    case TMPL_BOOL: return BK_BOOL;
    case TMPL_INT: case TMPL_DURATION: return BK_INT;
    case TMPL_UINT: return BK_UINT;
    case TMPL_FLOAT: return BK_FLOAT;
    case TMPL_STRING: return BK_STRING;
    default: return BK_INVALID;
    }
}

static bool str_eq(const struct tmpl_value *a, const struct tmpl_value *b)
{
    return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
}


static bool is_nil_value(const struct tmpl_value *v)
{
    if (!v->type || v->type->kind == TMPL_NIL)
        return true;
    if (v->type->ptr && v->type->kind == TMPL_STRUCT)
        return !v->u.fields;
    if (v->type->kind == TMPL_MAP)
        return !v->u.map;
    if (v->type->kind == TMPL_LIST)
        return !v->u.list;
    return false;
}

static const char *vtype(const struct tmpl_value *v)
{
    return gofmt_type_name(v);
}

static const char *vstr(struct texec *s, const struct tmpl_value *v)
{
    struct strbuf sb = STRBUF_INIT;
    gofmt_print(&sb, v);
    const char *r = arena_strdup(s->a, sb.buf);
    strbuf_release(&sb);
    return r;
}

/* Go's eq: arg1 == any of the others. Returns 0/1, or -1 on error. */
static int do_eq(struct texec *s, struct tmpl_value a1, struct tmpl_value *rest, int n)
{
    a1 = tfunc_iface(a1);
    if (n == 0)
        return tfunc_fail(s, "missing argument for comparison");
    enum bkind k1 = basic_kind(&a1);
    for (int i = 0; i < n; i++) {
        struct tmpl_value a = tfunc_iface(rest[i]);
        enum bkind k2 = basic_kind(&a);
        bool truth = false;
        if (k1 != k2) {
            if (k1 == BK_INT && k2 == BK_UINT)
                truth = a1.u.i >= 0 && (uint64_t)a1.u.i == a.u.u;
            else if (k1 == BK_UINT && k2 == BK_INT)
                truth = a.u.i >= 0 && a1.u.u == (uint64_t)a.u.i;
            else if (a1.type && a.type)
                return tfunc_fail(s, "incompatible types for comparison: %s and %s", vtype(&a1), vtype(&a));
        } else {
            switch (k1) {
            case BK_BOOL: truth = !a1.u.b == !a.u.b; break;
            case BK_FLOAT: truth = a1.u.f == a.u.f; break;
            case BK_INT: truth = a1.u.i == a.u.i; break;
            case BK_UINT: truth = a1.u.u == a.u.u; break;
            case BK_STRING: truth = str_eq(&a1, &a); break;
            case BK_INVALID: {
                bool same_kind = (a1.type ? a1.type->kind : TMPL_INVALID) ==
                                 (a.type ? a.type->kind : TMPL_INVALID);
                if (!same_kind && a1.type && a.type)
                    return tfunc_fail(s, "non-comparable types %s: %s, %s: %s", vstr(s, &a1), vtype(&a1),
                                vtype(&a), vstr(s, &a));
                if (is_nil_value(&a1) || is_nil_value(&a)) {
                    truth = is_nil_value(&a) == is_nil_value(&a1);
                } else if (a.type->kind == TMPL_MAP || a.type->kind == TMPL_LIST ||
                           (a.type->kind == TMPL_STRUCT && !a.type->ptr)) {
                    return tfunc_fail(s, "non-comparable type %s: %s", vstr(s, &a), vtype(&a));
                } else if (a.type->kind == TMPL_TIME) {
                    truth = a1.u.i == a.u.i && a1.type == a.type;
                } else {
                    truth = a1.u.fields == a.u.fields; /* pointer identity */
                }
                break;
            }
            }
        }
        if (truth)
            return 1;
    }
    return 0;
}

static int do_lt(struct texec *s, struct tmpl_value a1, struct tmpl_value a2)
{
    a1 = tfunc_iface(a1);
    a2 = tfunc_iface(a2);
    enum bkind k1 = basic_kind(&a1), k2 = basic_kind(&a2);
    if (k1 == BK_INVALID || k2 == BK_INVALID)
        return tfunc_fail(s, "invalid type for comparison");
    if (k1 != k2) {
        if (k1 == BK_INT && k2 == BK_UINT)
            return a1.u.i < 0 || (uint64_t)a1.u.i < a2.u.u;
        if (k1 == BK_UINT && k2 == BK_INT)
            return a2.u.i >= 0 && a1.u.u < (uint64_t)a2.u.i;
        return tfunc_fail(s, "incompatible types for comparison: %s and %s", vtype(&a1), vtype(&a2));
    }
    switch (k1) {
    case BK_BOOL: return tfunc_fail(s, "invalid type for comparison");
    case BK_FLOAT: return a1.u.f < a2.u.f;
    case BK_INT: return a1.u.i < a2.u.i;
    case BK_UINT: return a1.u.u < a2.u.u;
    case BK_STRING: return tfunc_str_cmp(&a1, &a2) < 0;
    default: return tfunc_fail(s, "invalid type for comparison");
    }
}

static int fn_eq(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    int t = do_eq(s, a[0], a + 1, n - 1);
    if (t < 0)
        return -1;
    *r = mkbool(t);
    return 0;
}

static int fn_ne(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    int t = do_eq(s, a[0], a + 1, 1);
    if (t < 0)
        return -1;
    *r = mkbool(!t);
    return 0;
}

static int fn_lt(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    int t = do_lt(s, a[0], a[1]);
    if (t < 0)
        return -1;
    *r = mkbool(t);
    return 0;
}

static int do_le(struct texec *s, struct tmpl_value *a)
{
    int t = do_lt(s, a[0], a[1]);
    if (t != 0)
        return t;
    return do_eq(s, a[0], a + 1, 1);
}

static int fn_le(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    int t = do_le(s, a);
    if (t < 0)
        return -1;
    *r = mkbool(t);
    return 0;
}

static int fn_gt(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    int t = do_le(s, a);
    if (t < 0)
        return -1;
    *r = mkbool(!t);
    return 0;
}

static int fn_ge(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    int t = do_lt(s, a[0], a[1]);
    if (t < 0)
        return -1;
    *r = mkbool(!t);
    return 0;
}

/* ORDER tfunc_builtins: sorted by name for bsearch. */
const struct tfunc tfunc_builtins[] = {
    {"and", 2, true, {T_RV, T_RV}, NULL, true, fn_first_arg},
    {"call", 2, true, {T_RV, T_RV}, NULL, true, fn_call},
    {"eq", 2, true, {T_RV, T_RV}, NULL, true, fn_eq},
    {"ge", 2, false, {T_RV, T_RV}, NULL, true, fn_ge},
    {"gt", 2, false, {T_RV, T_RV}, NULL, true, fn_gt},
    {"html", 1, true, {T_ANY}, NULL, true, fn_html},
    {"index", 2, true, {T_RV, T_RV}, NULL, true, fn_index},
    {"js", 1, true, {T_ANY}, NULL, true, fn_js},
    {"le", 2, false, {T_RV, T_RV}, NULL, true, fn_le},
    {"len", 1, false, {T_RV}, NULL, true, fn_len},
    {"lt", 2, false, {T_RV, T_RV}, NULL, true, fn_lt},
    {"ne", 2, false, {T_RV, T_RV}, NULL, true, fn_ne},
    {"not", 1, false, {T_RV}, NULL, true, fn_not},
    {"or", 2, true, {T_RV, T_RV}, NULL, true, fn_first_arg},
    {"print", 1, true, {T_ANY}, NULL, true, fn_print},
    {"printf", 2, true, {T_STR, T_ANY}, NULL, true, fn_printf},
    {"println", 1, true, {T_ANY}, NULL, true, fn_println},
    {"slice", 2, true, {T_RV, T_RV}, NULL, true, fn_slice},
    {"urlquery", 1, true, {T_ANY}, NULL, true, fn_urlquery},
};
const size_t tfunc_nbuiltins = sizeof tfunc_builtins / sizeof tfunc_builtins[0];
