/* template_funcs: Prometheus's template functions (template/template.go,
 * common/helpers/templates), the few time.Time / time.Duration methods its
 * documented examples call, the function lookup, and helpers shared with
 * template_builtins.c. Each entry carries its Go signature, because
 * argument checking and error texts depend on it. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "rules/template_impl.h"

#define T_ANY (&tmpl_type_any)
#define T_RV (&tmpl_type_rv)
#define T_STR (&tmpl_type_string)
#define T_QR (&tmpl_type_query_result)
#define T_SMP (&tmpl_type_sample_ptr)
#define T_DUR (&tmpl_type_duration)


int tfunc_fail(struct texec *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&s->callerr, fmt, ap);
    va_end(ap);
    return -1;
}

struct tmpl_value tfunc_str(struct texec *s, const struct strbuf *sb, const struct tmpl_type *t)
{
    char *p = arena_memdup(s->a, sb->buf, sb->len + 1);
    return (struct tmpl_value){.type = t, .u.s = {p, sb->len}};
}

static struct tmpl_value mkstr(struct texec *s, const char *p, size_t n)
{
    char *c = arena_strndup(s->a, p, n);
    return (struct tmpl_value){.type = &tmpl_type_string, .u.s = {c, n}};
}

static struct tmpl_value mkbool(bool b)
{
    return (struct tmpl_value){.type = &tmpl_type_bool, .u.b = b};
}

static struct tmpl_value mkfloat(double f)
{
    return tmpl_value_float(f);
}

/* indirectInterface: a nil interface{} is no value. */
struct tmpl_value tfunc_iface(struct tmpl_value v)
{
    if (v.type && v.type->kind == TMPL_NIL)
        return (struct tmpl_value){0};
    return v;
}

const char *tfunc_cstr(struct texec *s, const struct tmpl_value *v)
{
    return arena_strndup(s->a, v->u.s.p, v->u.s.len);
}

void tfunc_url_query_escape(struct strbuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            strbuf_addch(out, c);
        else if (c == ' ')
            strbuf_addch(out, '+');
        else
            strbuf_addf(out, "%%%02X", c);
    }
}

int tfunc_str_cmp(const struct tmpl_value *a, const struct tmpl_value *b)
{
    size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int c = memcmp(a->u.s.p, b->u.s.p, n);
    if (c)
        return c;
    return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
}

/* ---- Prometheus: numbers ---- */

/* strconv.ParseFloat(s, 64), with Go's error text. */
static int parse_float(struct texec *s, const char *p, size_t n, double *out)
{
    char *c = arena_strndup(s->a, p, n);
    struct strbuf q = STRBUF_INIT;
    gofmt_quote(&q, p, n);
    int rc = 0;
    bool ok = n > 0 && !strchr(" \t\n\r\v\f", c[0]);
    /* Go accepts underscores only after a base prefix; plain decimals must be clean. */
    for (size_t i = 0; ok && i < n; i++)
        if (c[i] == '_')
            ok = false;
    char *end = c;
    if (ok) {
        errno = 0;
        *out = strtod(c, &end);
        ok = end != c && *end == 0;
        /* C accepts "infinity"/"nan(...)" and hex without exponent; Go: inf, infinity, nan only. */
        if (ok && (strchr(c, '(') || ((strstr(c, "0x") || strstr(c, "0X")) && !strpbrk(c, "pP"))))
            ok = false;
    }
    if (!ok) {
        tfunc_fail(s, "strconv.ParseFloat: parsing %s: invalid syntax", q.buf);
        rc = -1;
    } else if (errno == ERANGE && isinf(*out)) {
        tfunc_fail(s, "strconv.ParseFloat: parsing %s: value out of range", q.buf);
        rc = -1;
    }
    strbuf_release(&q);
    return rc;
}

static int to_float(struct texec *s, const struct tmpl_value *v, double *out)
{
    if (v->type && !v->type->ptr) {
        switch (v->type->kind) {
        case TMPL_FLOAT: *out = v->u.f; return 0;
        case TMPL_STRING:
            if (v->type == &tmpl_type_string)
                return parse_float(s, v->u.s.p, v->u.s.len, out);
            break;
        case TMPL_INT:
            if (v->type == &tmpl_type_duration) {
                *out = (double)(v->u.i / 1000000000) + (double)(v->u.i % 1000000000) / 1e9;
                return 0;
            }
            if (v->type == &tmpl_type_int || v->type == &tmpl_type_int64) {
                *out = (double)v->u.i;
                return 0;
            }
            break;
        case TMPL_DURATION:
            *out = (double)(v->u.i / 1000000000) + (double)(v->u.i % 1000000000) / 1e9;
            return 0;
        case TMPL_UINT:
            if (v->type == &tmpl_type_uint64) {
                *out = (double)v->u.u;
                return 0;
            }
            break;
        default:
            break;
        }
    }
    return tfunc_fail(s, "can't convert %s to float", gofmt_type_name(v));
}

static void fmt_g4(struct strbuf *sb, double v)
{
    gofmt_float(sb, v, 'g', 4);
}

static int fn_humanize(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    double v;
    if (to_float(s, &a[0], &v) < 0)
        return -1;
    struct strbuf sb = STRBUF_INIT;
    if (v == 0 || isnan(v) || isinf(v)) {
        fmt_g4(&sb, v);
    } else if (fabs(v) >= 1) {
        static const char *const big[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
        const char *prefix = "";
        for (size_t i = 0; i < 8 && fabs(v) >= 1000; i++) {
            prefix = big[i];
            v /= 1000;
        }
        fmt_g4(&sb, v);
        strbuf_addstr(&sb, prefix);
    } else {
        static const char *const small[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
        const char *prefix = "";
        for (size_t i = 0; i < 8 && fabs(v) < 1; i++) {
            prefix = small[i];
            v *= 1000;
        }
        fmt_g4(&sb, v);
        strbuf_addstr(&sb, prefix);
    }
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int fn_humanize1024(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    double v;
    if (to_float(s, &a[0], &v) < 0)
        return -1;
    struct strbuf sb = STRBUF_INIT;
    if (fabs(v) <= 1 || isnan(v) || isinf(v)) {
        fmt_g4(&sb, v);
    } else {
        static const char *const p[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
        const char *prefix = "";
        for (size_t i = 0; i < 8 && fabs(v) >= 1024; i++) {
            prefix = p[i];
            v /= 1024;
        }
        fmt_g4(&sb, v);
        strbuf_addstr(&sb, prefix);
    }
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int fn_humanize_percentage(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    double v;
    if (to_float(s, &a[0], &v) < 0)
        return -1;
    struct strbuf sb = STRBUF_INIT;
    fmt_g4(&sb, v * 100);
    strbuf_addch(&sb, '%');
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int fn_humanize_duration(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    double v;
    if (to_float(s, &a[0], &v) < 0)
        return -1;
    struct strbuf sb = STRBUF_INIT;
    if (isnan(v) || isinf(v)) {
        fmt_g4(&sb, v);
    } else if (v == 0) {
        fmt_g4(&sb, v);
        strbuf_addch(&sb, 's');
    } else if (fabs(v) >= 1) {
        const char *sign = "";
        if (v < 0) {
            sign = "-";
            v = -v;
        }
        int64_t d = v >= 9223372036854775808.0 ? INT64_MIN : (int64_t)v;
        int64_t secs = d % 60, mins = d / 60 % 60, hours = d / 3600 % 24, days = d / 86400;
        if (days)
            strbuf_addf(&sb, "%s%lldd %lldh %lldm %llds", sign, (long long)days, (long long)hours,
                        (long long)mins, (long long)secs);
        else if (hours)
            strbuf_addf(&sb, "%s%lldh %lldm %llds", sign, (long long)hours, (long long)mins,
                        (long long)secs);
        else if (mins)
            strbuf_addf(&sb, "%s%lldm %llds", sign, (long long)mins, (long long)secs);
        else {
            strbuf_addstr(&sb, sign);
            fmt_g4(&sb, v);
            strbuf_addch(&sb, 's');
        }
    } else {
        static const char *const small[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
        const char *prefix = "";
        for (size_t i = 0; i < 8 && fabs(v) < 1; i++) {
            prefix = small[i];
            v *= 1000;
        }
        fmt_g4(&sb, v);
        strbuf_addstr(&sb, prefix);
        strbuf_addch(&sb, 's');
    }
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

/* FloatToTime: seconds to a UTC instant truncated to milliseconds, as
 * model.TimeFromUnixNano(...).Time() does. 1: NaN/Inf. */
static int float_to_time(struct texec *s, double v, int64_t *ns)
{
    if (isnan(v) || isinf(v))
        return 1;
    double t = v * 1e9;
    if (t > 9223372036854775807.0 || t < -9223372036854775808.0) {
        struct strbuf sb = STRBUF_INIT;
        gofmt_float(&sb, v, 'g', -1);
        tfunc_fail(s, "%s cannot be represented as a nanoseconds timestamp since it overflows int64",
             sb.buf);
        strbuf_release(&sb);
        return -1;
    }
    int64_t n = t >= 9223372036854775807.0 ? INT64_MIN : (int64_t)t;
    *ns = n / 1000000 * 1000000;
    return 0;
}

static int fn_humanize_timestamp(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    double v;
    if (to_float(s, &a[0], &v) < 0)
        return -1;
    int64_t ns;
    int rc = float_to_time(s, v, &ns);
    if (rc < 0)
        return -1;
    struct strbuf sb = STRBUF_INIT;
    if (rc == 1)
        fmt_g4(&sb, v);
    else
        gotime_string(&sb, ns);
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int fn_to_time(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    double v;
    if (to_float(s, &a[0], &v) < 0)
        return -1;
    int64_t ns;
    int rc = float_to_time(s, v, &ns);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return tfunc_fail(s, "value is NaN or Inf");
    *r = (struct tmpl_value){.type = &tmpl_type_time_ptr, .u.i = ns};
    return 0;
}

static int fn_to_duration(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    double v;
    if (to_float(s, &a[0], &v) < 0)
        return -1;
    double d = v * 1e9;
    int64_t ns = (isnan(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
                     ? INT64_MIN
                     : (int64_t)d;
    *r = (struct tmpl_value){.type = &tmpl_type_duration_ptr, .u.i = ns};
    return 0;
}

static int fn_now(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)a;
    (void)n;
    *r = mkfloat((double)s->env->ts_ms / 1000.0);
    return 0;
}

/* model.ParseDurationAllowNegative, in seconds. */
static int fn_parse_duration(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    const char *orig = tfunc_cstr(s, &a[0]);
    const char *p = orig;
    bool neg = p[0] == '-';
    if (neg)
        p++;
    struct strbuf q = STRBUF_INIT;
    gofmt_quote(&q, p, strlen(p));
    uint64_t dur = 0;
    int rc = 0;
    if (strcmp(p, "0") == 0) {
        dur = 0;
    } else if (!*p) {
        rc = tfunc_fail(s, "empty duration string");
    } else {
        static const struct {
            const char *u;
            int pos;
            uint64_t mult;
        } units[] = {{"ms", 7, 1000000ULL},        {"s", 6, 1000000000ULL},
                     {"m", 5, 60000000000ULL},     {"h", 4, 3600000000000ULL},
                     {"d", 3, 86400000000000ULL},  {"w", 2, 604800000000000ULL},
                     {"y", 1, 31536000000000000ULL}};
        int last = 0;
        while (*p && rc == 0) {
            if (*p < '0' || *p > '9') {
                rc = tfunc_fail(s, "not a valid duration string: %s", q.buf);
                break;
            }
            uint64_t v = 0;
            bool over = false;
            while (*p >= '0' && *p <= '9') {
                if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
                    over = true;
                v = v * 10 + (uint64_t)(*p++ - '0');
            }
            if (over) {
                rc = tfunc_fail(s, "not a valid duration string: %s", q.buf);
                break;
            }
            const char *u = p;
            while (*p && (*p < '0' || *p > '9'))
                p++;
            size_t ul = (size_t)(p - u);
            if (ul == 0) {
                rc = tfunc_fail(s, "not a valid duration string: %s", q.buf);
                break;
            }
            int k = -1;
            for (int i = 0; i < 7; i++)
                if (strlen(units[i].u) == ul && memcmp(units[i].u, u, ul) == 0)
                    k = i;
            if (k < 0) {
                struct strbuf uq = STRBUF_INIT;
                gofmt_quote(&uq, u, ul);
                rc = tfunc_fail(s, "unknown unit %s in duration %s", uq.buf, q.buf);
                strbuf_release(&uq);
                break;
            }
            if (units[k].pos <= last) {
                rc = tfunc_fail(s, "not a valid duration string: %s", q.buf);
                break;
            }
            last = units[k].pos;
            if (v > (1ULL << 63) / units[k].mult) {
                rc = tfunc_fail(s, "duration out of range");
                break;
            }
            dur += v * units[k].mult;
            if (dur > (uint64_t)INT64_MAX) {
                rc = tfunc_fail(s, "duration out of range");
                break;
            }
        }
    }
    strbuf_release(&q);
    if (rc < 0)
        return -1;
    int64_t d = (int64_t)dur;
    if (neg)
        d = -d;
    *r = mkfloat((double)(d / 1000000000) + (double)(d % 1000000000) / 1e9);
    return 0;
}

/* ---- Prometheus: query results ---- */

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const struct tmpl_label *)a)->name, ((const struct tmpl_label *)b)->name);
}

static int fn_query(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    if (!s->env->query)
        return tfunc_fail(s, "runtime error: invalid memory address or nil pointer dereference");
    struct tmpl_sample *res = NULL;
    size_t nres = 0;
    const char *err = NULL;
    if (s->env->query(s->env->query_ctx, tfunc_cstr(s, &a[0]), s->env->ts_ms, s->a, &res, &nres, &err) < 0)
        return tfunc_fail(s, "%s", err ? err : "query failed");
    struct tmpl_list *l = ARENA_NEW(s->a, struct tmpl_list);
    l->n = nres;
    l->items = ARENA_NEWN(s->a, struct tmpl_value, nres ? nres : 1);
    for (size_t i = 0; i < nres; i++) {
        struct tmpl_value *f = ARENA_NEWN(s->a, struct tmpl_value, 2);
        struct tmpl_label *ls = ARENA_NEWN(s->a, struct tmpl_label, res[i].nlabels + 1);
        if (res[i].nlabels)
            memcpy(ls, res[i].labels, res[i].nlabels * sizeof *ls);
        qsort(ls, res[i].nlabels, sizeof *ls, cmp_label);
        f[0] = tmpl_value_labels(s->a, ls, res[i].nlabels);
        f[1] = mkfloat(res[i].value);
        l->items[i] = (struct tmpl_value){.type = &tmpl_type_sample_ptr, .u.fields = f};
    }
    *r = (struct tmpl_value){.type = &tmpl_type_query_result, .u.list = l};
    return 0;
}

static int fn_first(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    if (!a[0].u.list || a[0].u.list->n == 0)
        return tfunc_fail(s, "first() called on vector with no elements");
    *r = a[0].u.list->items[0];
    return 0;
}

static const struct tmpl_value *sample_label(const struct tmpl_value *smp, const char *name)
{
    const struct tmpl_map *m = smp->u.fields[0].u.map;
    for (size_t i = 0; m && i < m->n; i++)
        if (strcmp(m->keys[i], name) == 0)
            return &m->values[i];
    return NULL;
}

#define NIL_DEREF "runtime error: invalid memory address or nil pointer dereference"

static int fn_label(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    if (!a[1].u.fields)
        return tfunc_fail(s, NIL_DEREF);
    const struct tmpl_value *v = sample_label(&a[1], tfunc_cstr(s, &a[0]));
    *r = v ? *v : tmpl_value_string("");
    return 0;
}

static int fn_value(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    if (!a[0].u.fields)
        return tfunc_fail(s, NIL_DEREF);
    *r = a[0].u.fields[1];
    return 0;
}

static int fn_strvalue(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    if (!a[0].u.fields)
        return tfunc_fail(s, NIL_DEREF);
    const struct tmpl_value *v = sample_label(&a[0], "__value__");
    *r = v ? *v : tmpl_value_string("");
    return 0;
}

static int fn_sort_by_label(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    const char *by = tfunc_cstr(s, &a[0]);
    struct tmpl_list *l = a[1].u.list;
    /* Stable insertion sort, in place as Go's sort.Stable on the slice. */
    for (size_t i = 1; l && i < l->n; i++) {
        for (size_t j = i; j > 0; j--) {
            struct tmpl_value *x = &l->items[j - 1], *y = &l->items[j];
            if (!x->u.fields || !y->u.fields)
                return tfunc_fail(s, NIL_DEREF);
            const struct tmpl_value *lx = sample_label(x, by), *ly = sample_label(y, by);
            struct tmpl_value ex = tmpl_value_string("");
            if (tfunc_str_cmp(ly ? ly : &ex, lx ? lx : &ex) >= 0)
                break;
            struct tmpl_value t = *x;
            *x = *y;
            *y = t;
        }
    }
    *r = a[1];
    return 0;
}

static int fn_args(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    struct tmpl_map *m = ARENA_NEW(s->a, struct tmpl_map);
    m->keys = ARENA_NEWN(s->a, const char *, n ? n : 1);
    m->values = ARENA_NEWN(s->a, struct tmpl_value, n ? n : 1);
    m->n = (size_t)n;
    for (int i = 0; i < n; i++) {
        m->keys[i] = arena_printf(s->a, "arg%d", i);
        m->values[i] = a[i];
    }
    /* keys sorted bytewise: arg0 arg1 arg10 arg2 ... */
    for (size_t i = 1; i < m->n; i++)
        for (size_t j = i; j > 0 && strcmp(m->keys[j - 1], m->keys[j]) > 0; j--) {
            const char *tk = m->keys[j];
            m->keys[j] = m->keys[j - 1];
            m->keys[j - 1] = tk;
            struct tmpl_value tv = m->values[j];
            m->values[j] = m->values[j - 1];
            m->values[j - 1] = tv;
        }
    *r = (struct tmpl_value){.type = &tmpl_type_map_string_any, .u.map = m};
    return 0;
}

/* ---- Prometheus: strings ---- */

static int fn_safe_html(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    *r = a[0];
    r->type = &tmpl_type_html;
    return 0;
}

static int map_runes(struct texec *s, const struct tmpl_value *in, uint32_t (*f)(uint32_t),
                     struct tmpl_value *r)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < in->u.s.len;) {
        uint32_t c;
        int w = goutf8_decode(in->u.s.p + i, in->u.s.len - i, &c);
        if (w == 1 && c == 0xFFFD && (unsigned char)in->u.s.p[i] >= 0x80)
            strbuf_addstr(&sb, "\xef\xbf\xbd");
        else
            goutf8_encode(&sb, f(c));
        i += (size_t)w;
    }
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int fn_to_upper(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    return map_runes(s, &a[0], gouni_upper, r);
}

static int fn_to_lower(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    return map_runes(s, &a[0], gouni_lower, r);
}

/* cases.Title(AmericanEnglish, NoLower): upper-case the first letter of
 * each word, leave the rest. Words are runs of letters, digits, '_' and
 * apostrophes; '.' or ':' between letters does not end a word. */
static int fn_title(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    struct strbuf sb = STRBUF_INIT;
    const char *p = a[0].u.s.p;
    size_t len = a[0].u.s.len;
    uint32_t prev = ' ', prev2 = ' ';
    for (size_t i = 0; i < len;) {
        uint32_t c;
        int w = goutf8_decode(p + i, len - i, &c);
        bool in_word = gouni_is_letter(prev) || gouni_is_digit(prev) || prev == '_' ||
                       prev == '\'' || prev == 0x2019 ||
                       ((prev == '.' || prev == ':') && gouni_is_letter(prev2) && gouni_is_letter(c));
        if (!in_word && gouni_is_letter(c))
            goutf8_encode(&sb, gouni_upper(c));
        else
            strbuf_add(&sb, p + i, (size_t)w);
        prev2 = prev;
        prev = c;
        i += (size_t)w;
    }
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

/* net.SplitHostPort; 0 on success. */
static int split_host_port(const char *hp, size_t n, size_t *hs, size_t *he, size_t *ps)
{
    const char *colon = NULL;
    for (size_t i = n; i-- > 0;)
        if (hp[i] == ':') {
            colon = hp + i;
            break;
        }
    if (!colon)
        return -1;
    size_t i = (size_t)(colon - hp), j = 0, k = 0;
    if (hp[0] == '[') {
        const char *end = memchr(hp, ']', n);
        if (!end)
            return -1;
        size_t e = (size_t)(end - hp);
        if (e + 1 != i)
            return -1;
        *hs = 1;
        *he = e;
        j = 1;
        k = e + 1;
    } else {
        if (memchr(hp, ':', i))
            return -1;
        *hs = 0;
        *he = i;
    }
    if (memchr(hp + j, '[', n - j) || memchr(hp + k, ']', n - k))
        return -1;
    *ps = i + 1;
    return 0;
}

static int fn_strip_port(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    size_t hs, he, ps;
    if (split_host_port(a[0].u.s.p, a[0].u.s.len, &hs, &he, &ps) < 0)
        *r = a[0];
    else
        *r = mkstr(s, a[0].u.s.p + hs, he - hs);
    return 0;
}

static bool parse_ip(const char *h)
{
    unsigned char buf[16];
    if (strchr(h, '%'))
        return false;
    return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

static int fn_strip_domain(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    const char *hp = a[0].u.s.p;
    size_t len = a[0].u.s.len, hs, he, ps;
    const char *host, *port = "";
    size_t hostlen, portlen = 0;
    if (split_host_port(hp, len, &hs, &he, &ps) < 0) {
        host = hp;
        hostlen = len;
    } else {
        host = hp + hs;
        hostlen = he - hs;
        port = hp + ps;
        portlen = len - ps;
    }
    if (parse_ip(arena_strndup(s->a, host, hostlen))) {
        *r = a[0];
        return 0;
    }
    const char *dot = memchr(host, '.', hostlen);
    if (dot)
        hostlen = (size_t)(dot - host);
    struct strbuf sb = STRBUF_INIT;
    if (portlen) {
        bool v6 = memchr(host, ':', hostlen) != NULL;
        if (v6)
            strbuf_addch(&sb, '[');
        strbuf_add(&sb, host, hostlen);
        if (v6)
            strbuf_addch(&sb, ']');
        strbuf_addch(&sb, ':');
        strbuf_add(&sb, port, portlen);
    } else {
        strbuf_add(&sb, host, hostlen);
    }
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int fn_url_query_escape(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    struct strbuf sb = STRBUF_INIT;
    tfunc_url_query_escape(&sb, a[0].u.s.p, a[0].u.s.len);
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int link_for(struct texec *s, const struct tmpl_value *e, int tab, struct tmpl_value *r)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "/graph?g0.expr=");
    tfunc_url_query_escape(&sb, e->u.s.p, e->u.s.len);
    strbuf_addf(&sb, "&g0.tab=%d", tab);
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int fn_graph_link(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    return link_for(s, &a[0], 0, r);
}

static int fn_table_link(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    return link_for(s, &a[0], 1, r);
}

static int fn_external_url(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)a;
    (void)n;
    *r = tmpl_value_string(s->env->external_url ? s->env->external_url : "");
    return 0;
}

static int fn_path_prefix(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)a;
    (void)n;
    const char *u = s->env->external_url ? s->env->external_url : "";
    const char *p = strstr(u, "://");
    p = p ? strchr(p + 3, '/') : (u[0] == '/' ? u : NULL);
    if (!p) {
        *r = tmpl_value_string("");
        return 0;
    }
    size_t len = strcspn(p, "?#");
    *r = mkstr(s, p, len);
    return 0;
}

/* ---- regular expressions (RE2 syntax through PCRE2) ---- */

/* Go's error for constructs RE2 rejects but PCRE2 accepts; NULL if none. */
/* Length of a {n}, {n,} or {n,m} repeat at re (0 if it is not one); *max
 * gets the largest count. */
static size_t repeat_len(const char *re, size_t n, long *max)
{
    size_t i = 1;
    long a = -1, b = -1;
    if (i >= n || re[i] < '0' || re[i] > '9')
        return 0;
    for (a = 0; i < n && re[i] >= '0' && re[i] <= '9'; i++)
        a = a > 100000 ? a : a * 10 + (re[i] - '0');
    if (i < n && re[i] == ',') {
        i++;
        if (i < n && re[i] >= '0' && re[i] <= '9')
            for (b = 0; i < n && re[i] >= '0' && re[i] <= '9'; i++)
                b = b > 100000 ? b : b * 10 + (re[i] - '0');
    }
    if (i >= n || re[i] != '}')
        return 0;
    *max = a > b ? a : b;
    return i + 1;
}

/* Go's error for constructs RE2 rejects but PCRE2 accepts; NULL if none.
 * (Go's regexp/syntax parser: escapes, Perl groups, repetitions.) */
static const char *re2_unsupported(struct texec *s, const char *re, size_t n)
{
    bool in_class = false;
    size_t rep_start = 0;
    int after_rep = 0; /* 1: after a repetition; 2: after its lazy '?' */
    for (size_t i = 0; i < n; i++) {
        char c = re[i];
        if (c == '\\' && i + 1 < n) {
            char e = re[i + 1];
            bool octal = e >= '1' && e <= '7' && i + 2 < n && re[i + 2] >= '0' && re[i + 2] <= '7';
            if ((((e | 0x20) >= 'a' && (e | 0x20) <= 'z') || (e >= '0' && e <= '9')) &&
                !strchr("aftnrvxAbBdDpPsSwWzQE0", e) && !octal)
                return arena_printf(s->a, "invalid escape sequence: `\\%c`", e);
            if (e == 'Q') { /* literal text up to \E */
                const char *end = memmem(re + i + 2, n - i - 2, "\\E", 2);
                i = end ? (size_t)(end - re) + 1 : n;
            } else {
                i++;
            }
            after_rep = 0;
            continue;
        }
        if (in_class) {
            if (c == ']')
                in_class = false;
            continue;
        }
        if (c == '[') {
            in_class = true;
            if (i + 1 < n && re[i + 1] == '^')
                i++;
            if (i + 1 < n && re[i + 1] == ']')
                i++;
            after_rep = 0;
            continue;
        }
        long max = 0;
        size_t rl = c == '{' ? repeat_len(re + i, n - i, &max) : 0;
        if (c == '*' || c == '+' || c == '?' || rl) {
            size_t len = rl ? rl : 1;
            if (after_rep == 1 && c == '?') {
                after_rep = 2;
                continue;
            }
            if (after_rep)
                return arena_printf(s->a, "invalid nested repetition operator: `%.*s`",
                                    (int)(i + len - rep_start), re + rep_start);
            if (rl && max > 1000)
                return arena_printf(s->a, "invalid repeat count: `%.*s`", (int)rl, re + i);
            rep_start = i;
            after_rep = 1;
            i += len - 1;
            continue;
        }
        after_rep = 0;
        if (c == '(' && i + 2 < n && re[i + 1] == '?') {
            const char *t = re + i;
            size_t tn = n - i;
            bool named = (tn > 3 && t[2] == 'P' && t[3] == '<') || t[2] == '<';
            if (named) {
                const char *gt = memchr(t, '>', tn);
                if (!gt)
                    return arena_printf(s->a, "invalid named capture: `%.*s`", (int)tn, t);
                size_t b = t[2] == 'P' ? 4 : 3, e = (size_t)(gt - t);
                bool ok = e > b;
                for (size_t k = b; k < e; k++)
                    ok &= t[k] == '_' || (t[k] >= '0' && t[k] <= '9') || ((t[k] | 0x20) >= 'a' && (t[k] | 0x20) <= 'z');
                if (!ok)
                    return arena_printf(s->a, "invalid named capture: `%.*s`", (int)(e + 1), t);
                continue;
            }
            size_t k = 2;
            while (k < tn && strchr("imsU-", t[k]))
                k++;
            if (k >= tn || (t[k] != ':' && t[k] != ')'))
                return arena_printf(s->a, "invalid or unsupported Perl syntax: `%.*s`",
                                    (int)(k < tn ? k + 1 : tn), t);
        }
    }
    return NULL;
}

/* Rewrites the escapes whose meaning differs between RE2 and PCRE2:
 * RE2's \s is [\t\n\f\r ] (PCRE2 adds \v) and RE2's \v is the vertical
 * tab alone (PCRE2: any vertical space). */
static void re2_translate(struct strbuf *out, const char *re, size_t n)
{
    bool in_class = false;
    for (size_t i = 0; i < n; i++) {
        char c = re[i];
        if (c == '\\' && i + 1 < n) {
            char e = re[i + 1];
            if (e == 'Q') {
                const char *end = memmem(re + i + 2, n - i - 2, "\\E", 2);
                size_t stop = end ? (size_t)(end - re) + 2 : n;
                strbuf_add(out, re + i, stop - i);
                i = stop - 1;
                continue;
            }
            if (e == 's')
                strbuf_addstr(out, in_class ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]");
            else if (e == 'S' && !in_class)
                strbuf_addstr(out, "[^\\t\\n\\f\\r ]");
            else if (e == 'v')
                strbuf_addstr(out, "\\x0B");
            else
                strbuf_add(out, re + i, 2);
            i++;
            continue;
        }
        if (in_class) {
            if (c == ']')
                in_class = false;
        } else if (c == '[') {
            in_class = true;
            strbuf_addch(out, c);
            if (i + 1 < n && re[i + 1] == '^')
                strbuf_addch(out, re[++i]);
            if (i + 1 < n && re[i + 1] == ']')
                strbuf_addch(out, re[++i]);
            continue;
        }
        strbuf_addch(out, c);
    }
}

static void free_code(void *p)
{
    pcre2_code_free(p);
}

/* Compiles like regexp.Compile; on failure sets *err to Go's message. */
static pcre2_code *re_compile(struct texec *s, const char *re, size_t n, const char **err)
{
    const char *u = re2_unsupported(s, re, n);
    if (u) {
        *err = arena_printf(s->a, "error parsing regexp: %s", u);
        return NULL;
    }
    int ec;
    PCRE2_SIZE off;
    struct strbuf tr = STRBUF_INIT;
    re2_translate(&tr, re, n);
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    const uint32_t opts = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)tr.buf, tr.len, opts, &ec, &off, cc);
    strbuf_release(&tr);
    if (!code) {
        /* Report positions in the user's pattern, not the translated one. */
        pcre2_code *again = pcre2_compile((PCRE2_SPTR)re, n, opts, &ec, &off, cc);
        pcre2_code_free(again);
    }
    pcre2_compile_context_free(cc);
    if (!code) {
        const char *what;
        const char *frag = re;
        size_t fl = n;
        switch (ec) {
        case 114: what = "missing closing )"; break;
        case 122: what = "unexpected )"; break;
        case 106: what = "missing closing ]"; break;
        case 109: what = "missing argument to repetition operator"; frag = re + (off ? off - 1 : 0); fl = 1; break;
        case 108: what = "invalid character class range"; break;
        case 101: case 103: what = "invalid escape sequence"; frag = re + (off >= 2 ? off - 2 : 0); fl = 2; break;
        case 104: case 105: what = "invalid repeat count"; break;
        default: {
            PCRE2_UCHAR buf[256];
            pcre2_get_error_message(ec, buf, sizeof buf);
            what = arena_strdup(s->a, (const char *)buf);
        }
        }
        if (frag + fl > re + n)
            fl = (size_t)(re + n - frag);
        *err = arena_printf(s->a, "error parsing regexp: %s: `%.*s`", what, (int)fl, frag);
        return NULL;
    }
    arena_on_release(s->a, free_code, code);
    return code;
}

static int fn_match(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    const char *err;
    pcre2_code *code = re_compile(s, a[0].u.s.p, a[0].u.s.len, &err);
    if (!code)
        return tfunc_fail(s, "%s", err);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    int rc = pcre2_match(code, (PCRE2_SPTR)a[1].u.s.p, a[1].u.s.len, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    *r = mkbool(rc >= 0);
    return 0;
}

/* Regexp.Expand's template: $1, ${1}, $name, ${name}, $$. */
static void expand_repl(struct strbuf *out, pcre2_code *code, const char *tpl, size_t tn,
                        const char *src, const PCRE2_SIZE *ov, int ngroups)
{
    size_t i = 0;
    while (i < tn) {
        const char *d = memchr(tpl + i, '$', tn - i);
        if (!d) {
            strbuf_add(out, tpl + i, tn - i);
            return;
        }
        strbuf_add(out, tpl + i, (size_t)(d - (tpl + i)));
        i = (size_t)(d - tpl) + 1;
        if (i < tn && tpl[i] == '$') {
            strbuf_addch(out, '$');
            i++;
            continue;
        }
        bool brace = i < tn && tpl[i] == '{';
        size_t ns = brace ? i + 1 : i, ne = ns;
        while (ne < tn) {
            uint32_t c;
            int w = goutf8_decode(tpl + ne, tn - ne, &c);
            if (c != '_' && !gouni_is_letter(c) && !gouni_is_digit(c))
                break;
            ne += (size_t)w;
        }
        bool ok = ne > ns && (!brace || (ne < tn && tpl[ne] == '}'));
        if (!ok) {
            strbuf_addch(out, '$');
            continue;
        }
        i = brace ? ne + 1 : ne;
        int num = 0;
        for (size_t k = ns; k < ne && num >= 0; k++) {
            if (tpl[k] < '0' || tpl[k] > '9') {
                num = -1;
                break;
            }
            num = num * 10 + (tpl[k] - '0');
            if (num >= 100000000)
                num = -1;
        }
        if (num < 0) {
            char name[256];
            size_t nl = ne - ns < sizeof name - 1 ? ne - ns : sizeof name - 1;
            memcpy(name, tpl + ns, nl);
            name[nl] = 0;
            num = pcre2_substring_number_from_name(code, (PCRE2_SPTR)name);
            if (num < 0)
                continue;
        }
        if (num < ngroups && ov[2 * num] != PCRE2_UNSET)
            strbuf_add(out, src + ov[2 * num], ov[2 * num + 1] - ov[2 * num]);
    }
}

static int fn_re_replace_all(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    const char *err;
    pcre2_code *code = re_compile(s, a[0].u.s.p, a[0].u.s.len, &err);
    if (!code) {
        /* regexp.MustCompile panics; text/template reports the panic. */
        struct strbuf q = STRBUF_INIT;
        bool can_bq = !memchr(a[0].u.s.p, '`', a[0].u.s.len);
        for (size_t i = 0; can_bq && i < a[0].u.s.len; i++) {
            unsigned char c = (unsigned char)a[0].u.s.p[i];
            if ((c < ' ' && c != '\t') || c == 0x7f)
                can_bq = false;
        }
        if (can_bq) {
            strbuf_addch(&q, '`');
            strbuf_add(&q, a[0].u.s.p, a[0].u.s.len);
            strbuf_addch(&q, '`');
        } else {
            gofmt_quote(&q, a[0].u.s.p, a[0].u.s.len);
        }
        tfunc_fail(s, "regexp: Compile(%s): %s", q.buf, err);
        strbuf_release(&q);
        return -1;
    }
    const char *src = a[2].u.s.p;
    size_t end = a[2].u.s.len;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    int ngroups = (int)pcre2_get_ovector_count(md);
    struct strbuf out = STRBUF_INIT;
    size_t last_end = 0, pos = 0;
    while (pos <= end) {
        int rc = pcre2_match(code, (PCRE2_SPTR)src, end, pos, 0, md, NULL);
        if (rc < 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        strbuf_add(&out, src + last_end, ov[0] > last_end ? ov[0] - last_end : 0);
        if (ov[1] > last_end || ov[0] == 0)
            expand_repl(&out, code, a[1].u.s.p, a[1].u.s.len, src, ov, ngroups);
        last_end = ov[1];
        uint32_t c;
        size_t width = pos < end ? (size_t)goutf8_decode(src + pos, end - pos, &c) : 0;
        if (pos + width > ov[1])
            pos += width;
        else if (pos + 1 > ov[1])
            pos++;
        else
            pos = ov[1];
    }
    if (last_end < end)
        strbuf_add(&out, src + last_end, end - last_end);
    pcre2_match_data_free(md);
    *r = tfunc_str(s, &out, &tmpl_type_string);
    strbuf_release(&out);
    return 0;
}

/* ---- methods of time.Time and time.Duration ---- */

static int m_time_format(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    struct strbuf sb = STRBUF_INIT;
    gotime_format(&sb, a[0].u.i, a[1].u.s.p, a[1].u.s.len);
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int m_time_add(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    *r = (struct tmpl_value){.type = &tmpl_type_time, .u.i = a[0].u.i + a[1].u.i};
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int m_time_unix(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    *r = (struct tmpl_value){.type = &tmpl_type_int64, .u.i = floor_div(a[0].u.i, 1000000000)};
    return 0;
}

static int m_time_unix_milli(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    *r = (struct tmpl_value){.type = &tmpl_type_int64, .u.i = floor_div(a[0].u.i, 1000000)};
    return 0;
}

static int m_time_unix_nano(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    *r = (struct tmpl_value){.type = &tmpl_type_int64, .u.i = a[0].u.i};
    return 0;
}

static int m_time_utc(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    *r = (struct tmpl_value){.type = &tmpl_type_time, .u.i = a[0].u.i};
    return 0;
}

static int m_string(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)n;
    struct strbuf sb = STRBUF_INIT;
    if (a[0].type->kind == TMPL_TIME)
        gotime_string(&sb, a[0].u.i);
    else
        goduration_string(&sb, a[0].u.i);
    *r = tfunc_str(s, &sb, &tmpl_type_string);
    strbuf_release(&sb);
    return 0;
}

static int m_dur_seconds(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    int64_t d = a[0].u.i;
    *r = mkfloat((double)(d / 1000000000) + (double)(d % 1000000000) / 1e9);
    return 0;
}

static int m_dur_minutes(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    int64_t d = a[0].u.i;
    *r = mkfloat((double)(d / 60000000000LL) + (double)(d % 60000000000LL) / 60e9);
    return 0;
}

static int m_dur_hours(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    int64_t d = a[0].u.i;
    *r = mkfloat((double)(d / 3600000000000LL) + (double)(d % 3600000000000LL) / 3600e9);
    return 0;
}

static int m_dur_millis(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    *r = (struct tmpl_value){.type = &tmpl_type_int64, .u.i = a[0].u.i / 1000000};
    return 0;
}

static int m_dur_nanos(struct texec *s, struct tmpl_value *a, int n, struct tmpl_value *r)
{
    (void)s;
    (void)n;
    *r = (struct tmpl_value){.type = &tmpl_type_int64, .u.i = a[0].u.i};
    return 0;
}

/* ---- tables ---- */

/* ORDER funcs: sorted by name for bsearch. */
static const struct tfunc funcs[] = {
    {"args", 1, true, {T_ANY}, NULL, false, fn_args},
    {"externalURL", 0, false, {NULL}, NULL, false, fn_external_url},
    {"first", 1, false, {T_QR}, NULL, false, fn_first},
    {"graphLink", 1, false, {T_STR}, NULL, false, fn_graph_link},
    {"humanize", 1, false, {T_ANY}, NULL, false, fn_humanize},
    {"humanize1024", 1, false, {T_ANY}, NULL, false, fn_humanize1024},
    {"humanizeDuration", 1, false, {T_ANY}, NULL, false, fn_humanize_duration},
    {"humanizePercentage", 1, false, {T_ANY}, NULL, false, fn_humanize_percentage},
    {"humanizeTimestamp", 1, false, {T_ANY}, NULL, false, fn_humanize_timestamp},
    {"label", 2, false, {T_STR, T_SMP}, NULL, false, fn_label},
    {"match", 2, false, {T_STR, T_STR}, NULL, false, fn_match},
    {"now", 0, false, {NULL}, NULL, false, fn_now},
    {"parseDuration", 1, false, {T_STR}, NULL, false, fn_parse_duration},
    {"pathPrefix", 0, false, {NULL}, NULL, false, fn_path_prefix},
    {"query", 1, false, {T_STR}, NULL, false, fn_query},
    {"reReplaceAll", 3, false, {T_STR, T_STR, T_STR}, NULL, false, fn_re_replace_all},
    {"safeHtml", 1, false, {T_STR}, NULL, false, fn_safe_html},
    {"sortByLabel", 2, false, {T_STR, T_QR}, NULL, false, fn_sort_by_label},
    {"stripDomain", 1, false, {T_STR}, NULL, false, fn_strip_domain},
    {"stripPort", 1, false, {T_STR}, NULL, false, fn_strip_port},
    {"strvalue", 1, false, {T_SMP}, NULL, false, fn_strvalue},
    {"tableLink", 1, false, {T_STR}, NULL, false, fn_table_link},
    {"title", 1, false, {T_STR}, NULL, false, fn_title},
    {"toDuration", 1, false, {T_ANY}, NULL, false, fn_to_duration},
    {"toLower", 1, false, {T_STR}, NULL, false, fn_to_lower},
    {"toTime", 1, false, {T_ANY}, NULL, false, fn_to_time},
    {"toUpper", 1, false, {T_STR}, NULL, false, fn_to_upper},
    {"urlQueryEscape", 1, false, {T_STR}, NULL, false, fn_url_query_escape},
    {"value", 1, false, {T_SMP}, NULL, false, fn_value},
};

static const struct tfunc methods[] = {
    {"Add", 1, false, {T_DUR}, &tmpl_type_time, false, m_time_add},
    {"Format", 1, false, {T_STR}, &tmpl_type_time, false, m_time_format},
    {"String", 0, false, {NULL}, &tmpl_type_time, false, m_string},
    {"UTC", 0, false, {NULL}, &tmpl_type_time, false, m_time_utc},
    {"Unix", 0, false, {NULL}, &tmpl_type_time, false, m_time_unix},
    {"UnixMilli", 0, false, {NULL}, &tmpl_type_time, false, m_time_unix_milli},
    {"UnixNano", 0, false, {NULL}, &tmpl_type_time, false, m_time_unix_nano},
    {"Hours", 0, false, {NULL}, &tmpl_type_duration, false, m_dur_hours},
    {"Milliseconds", 0, false, {NULL}, &tmpl_type_duration, false, m_dur_millis},
    {"Minutes", 0, false, {NULL}, &tmpl_type_duration, false, m_dur_minutes},
    {"Nanoseconds", 0, false, {NULL}, &tmpl_type_duration, false, m_dur_nanos},
    {"Seconds", 0, false, {NULL}, &tmpl_type_duration, false, m_dur_seconds},
    {"String", 0, false, {NULL}, &tmpl_type_duration, false, m_string},
};

static const struct tfunc *search(const struct tfunc *tab, size_t n, const char *name, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        size_t fl = strlen(tab[mid].name);
        int c = strncmp(tab[mid].name, name, len < fl ? len : fl);
        if (c == 0)
            c = fl < len ? -1 : fl > len;
        if (c == 0)
            return &tab[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Prometheus's functions first, then the builtins, as Go's findFunction. */
const struct tfunc *tfunc_lookup(const char *name, size_t len)
{
    const struct tfunc *f = search(funcs, sizeof funcs / sizeof funcs[0], name, len);
    return f ? f : search(tfunc_builtins, tfunc_nbuiltins, name, len);
}

const struct tfunc *tfunc_method(const struct tmpl_value *recv, const char *name)
{
    if (!recv->type)
        return NULL;
    enum tmpl_kind k = recv->type->kind;
    if (k != TMPL_TIME && k != TMPL_DURATION)
        return NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (methods[i].recv->kind == k && strcmp(methods[i].name, name) == 0)
            return &methods[i];
    return NULL;
}
