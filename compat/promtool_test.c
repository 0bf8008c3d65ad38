#include "compat/promtool_test.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "compat/promfmt.h"
#include "eval/histogram.h"
#include "eval/engine.h"
#include "eval/labels.h"
#include "eval/memstore.h"
#include "grammar/parse.h"
#include "rules/group.h"
#include "rules/rulefile.h"
#include "rules/template.h"
#include "rules/ynode.h"

/* ---- the test file, decoded ---- */

struct exp_alert {
    const struct labels *labels;      /* exp_labels + alertname */
    const struct labels *annotations; /* exp_annotations */
};

struct alert_test {
    int64_t eval_ms;        /* eval_time */
    const char *alertname;  /* alertname ("" when missing) */
    struct exp_alert *exp;  /* exp_alerts */
    size_t nexp;
};

struct exp_sample {
    const char *labels; /* as written */
    double value;       /* value */
    const char *histogram; /* the histogram notation, "" for a float sample */
};

struct expr_test {
    const char *expr;
    int64_t eval_ms;
    struct exp_sample *exp;
    size_t nexp;
};

struct input_series {
    const char *series;
    const char *values;
    uint32_t line;
};

struct test_group {
    int64_t interval_ms;
    struct input_series *in;
    size_t nin;
    struct alert_test *alerts;
    size_t nalerts;
    struct expr_test *exprs;
    size_t nexprs;
    struct label *ext;      /* external_labels */
    size_t next;
    const char *external_url;
    const char *name;
    int64_t start_ms;
};

struct test_file {
    const char **rule_files;
    size_t nrule_files;
    int64_t eval_interval_ms;
    const char **order;
    size_t norder;
    struct test_group *tests;
    size_t ntests;
    bool fuzzy;
};

/* Decoding errors are worded as Go's yaml.v2 UnmarshalStrict words them. */
struct decoder {
    struct arena *a;
    struct strbuf *err; /* "yaml: unmarshal errors:\n  line N: ..." lines */
    int nerr;
};

static void dec_fail(struct decoder *d, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void dec_fail(struct decoder *d, const struct ynode *n, const char *fmt, ...)
{
    if (d->nerr++ == 0)
        strbuf_addstr(d->err, "yaml: unmarshal errors:");
    strbuf_addf(d->err, "\n  line %u: ", n ? n->line : 0);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(d->err, fmt, ap);
    va_end(ap);
}

static bool is_null(const struct ynode *n)
{
    return !n || (n->kind == YNODE_SCALAR && !strcmp(n->tag, "!!null"));
}

static const char *dec_str(struct decoder *d, const struct ynode *n)
{
    n = ynode_deref(n);
    if (is_null(n))
        return "";
    if (n->kind != YNODE_SCALAR) {
        dec_fail(d, n, "cannot unmarshal %s into Go value of type string", n->tag);
        return "";
    }
    return arena_strndup(d->a, n->value, n->len);
}

static int64_t dec_duration(struct decoder *d, const struct ynode *n)
{
    n = ynode_deref(n);
    if (is_null(n))
        return 0;
    int64_t ms = 0;
    char err[128];
    if (n->kind != YNODE_SCALAR || rulefile_parse_duration(n->value, n->len, &ms, err, sizeof err) != 0) {
        dec_fail(d, n, "cannot unmarshal %s `%.*s` into model.Duration", n->tag,
                 n->kind == YNODE_SCALAR ? (int)n->len : 0, n->kind == YNODE_SCALAR ? n->value : "");
        return 0;
    }
    return ms;
}

static double dec_float(struct decoder *d, const struct ynode *n)
{
    n = ynode_deref(n);
    if (is_null(n))
        return 0;
    if (n->kind == YNODE_SCALAR) {
        const char *t = ynode_resolve(n->value, n->len);
        if (n->style == YNODE_PLAIN && (!strcmp(t, "!!int") || !strcmp(t, "!!float"))) {
            char *s = arena_strndup(d->a, n->value, n->len);
            for (char *p = s; *p; p++)
                if (*p == '_')
                    memmove(p, p + 1, strlen(p));
            if (!strcasecmp(s, ".inf") || !strcasecmp(s, "+.inf"))
                return INFINITY;
            if (!strcasecmp(s, "-.inf"))
                return -INFINITY;
            if (!strcasecmp(s, ".nan"))
                return NAN;
            return strtod(s, NULL);
        }
    }
    dec_fail(d, n, "cannot unmarshal %s `%.*s` into float64", n->tag,
             n->kind == YNODE_SCALAR ? (int)n->len : 0, n->kind == YNODE_SCALAR ? n->value : "");
    return 0;
}

static bool dec_bool(struct decoder *d, const struct ynode *n)
{
    n = ynode_deref(n);
    if (is_null(n))
        return false;
    if (n->kind == YNODE_SCALAR && !strcmp(ynode_resolve(n->value, n->len), "!!bool"))
        return n->value[0] == 't' || n->value[0] == 'T' || n->value[0] == 'y' || n->value[0] == 'Y' ||
               !strcasecmp(n->value, "on");
    dec_fail(d, n, "cannot unmarshal %s into Go value of type bool", n ? n->tag : "");
    return false;
}

/* Checks that every key of map is one of keys; Go type name for messages. */
static bool dec_map(struct decoder *d, const struct ynode *n, const char *type, const char *const *keys)
{
    if (is_null(n))
        return false;
    if (n->kind != YNODE_MAP) {
        dec_fail(d, n, "cannot unmarshal %s into %s", n->tag, type);
        return false;
    }
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *k = ynode_deref(n->items[2 * i]);
        bool known = false;
        for (size_t j = 0; keys[j]; j++)
            if (k->kind == YNODE_SCALAR && !strcmp(k->value, keys[j]))
                known = true;
        if (!known)
            dec_fail(d, k, "field %s not found in type %s", k->kind == YNODE_SCALAR ? k->value : "?", type);
    }
    return true;
}

static size_t dec_seq(struct decoder *d, const struct ynode **np)
{
    const struct ynode *n = ynode_deref(*np);
    *np = n;
    if (is_null(n))
        return 0;
    if (n->kind != YNODE_SEQ) {
        dec_fail(d, n, "cannot unmarshal %s into a sequence", n->tag);
        return 0;
    }
    return n->n;
}

static const struct labels *dec_string_map(struct decoder *d, const struct ynode *n, struct labels_table *lt,
                                           const char *extra_name, const char *extra_value)
{
    n = ynode_deref(n);
    size_t cnt = (!is_null(n) && n->kind == YNODE_MAP) ? n->n : 0;
    if (!is_null(n) && n->kind != YNODE_MAP)
        dec_fail(d, n, "cannot unmarshal %s into map[string]string", n->tag);
    struct label *ls = ARENA_NEWN(d->a, struct label, cnt + 1);
    size_t k = 0;
    for (size_t i = 0; i < cnt; i++) {
        ls[k].name = dec_str(d, n->items[2 * i]);
        ls[k].value = dec_str(d, n->items[2 * i + 1]);
        k++;
    }
    if (extra_name)
        ls[k++] = (struct label){extra_name, extra_value};
    return labels_intern(lt, ls, k);
}

static void dec_group(struct decoder *d, const struct ynode *n, struct test_group *g, struct labels_table *lt)
{
    static const char *const keys[] = {"interval", "input_series", "alert_rule_test", "promql_expr_test",
                                       "external_labels", "external_url", "name", "start_timestamp", NULL};
    memset(g, 0, sizeof *g);
    g->external_url = "";
    g->name = "";
    if (!dec_map(d, n, "main.testGroup", keys))
        return;
    g->interval_ms = dec_duration(d, ynode_map_get(n, "interval"));
    const struct ynode *in = ynode_map_get(n, "input_series");
    g->nin = dec_seq(d, &in);
    g->in = ARENA_NEWN(d->a, struct input_series, g->nin + 1);
    for (size_t i = 0; i < g->nin; i++) {
        static const char *const skeys[] = {"series", "values", NULL};
        const struct ynode *s = ynode_deref(in->items[i]);
        if (!dec_map(d, s, "main.series", skeys))
            continue;
        g->in[i].series = dec_str(d, ynode_map_get(s, "series"));
        g->in[i].values = dec_str(d, ynode_map_get(s, "values"));
        g->in[i].line = s->line;
    }
    const struct ynode *at = ynode_map_get(n, "alert_rule_test");
    g->nalerts = dec_seq(d, &at);
    g->alerts = ARENA_NEWN(d->a, struct alert_test, g->nalerts + 1);
    for (size_t i = 0; i < g->nalerts; i++) {
        static const char *const akeys[] = {"eval_time", "alertname", "exp_alerts", NULL};
        const struct ynode *t = ynode_deref(at->items[i]);
        struct alert_test *x = &g->alerts[i];
        x->alertname = "";
        if (!dec_map(d, t, "main.alertTestCase", akeys))
            continue;
        x->eval_ms = dec_duration(d, ynode_map_get(t, "eval_time"));
        x->alertname = dec_str(d, ynode_map_get(t, "alertname"));
        const struct ynode *ea = ynode_map_get(t, "exp_alerts");
        x->nexp = dec_seq(d, &ea);
        x->exp = ARENA_NEWN(d->a, struct exp_alert, x->nexp + 1);
        for (size_t j = 0; j < x->nexp; j++) {
            static const char *const ekeys[] = {"exp_labels", "exp_annotations", NULL};
            const struct ynode *e = ynode_deref(ea->items[j]);
            if (!is_null(e))
                dec_map(d, e, "main.alert", ekeys);
            bool m = !is_null(e) && e->kind == YNODE_MAP;
            x->exp[j].labels = dec_string_map(d, m ? ynode_map_get(e, "exp_labels") : NULL, lt, "alertname",
                                              x->alertname);
            x->exp[j].annotations = dec_string_map(d, m ? ynode_map_get(e, "exp_annotations") : NULL, lt,
                                                   NULL, NULL);
        }
    }
    const struct ynode *pt = ynode_map_get(n, "promql_expr_test");
    g->nexprs = dec_seq(d, &pt);
    g->exprs = ARENA_NEWN(d->a, struct expr_test, g->nexprs + 1);
    for (size_t i = 0; i < g->nexprs; i++) {
        static const char *const pkeys[] = {"expr", "eval_time", "exp_samples", NULL};
        const struct ynode *t = ynode_deref(pt->items[i]);
        struct expr_test *x = &g->exprs[i];
        x->expr = "";
        if (!dec_map(d, t, "main.promqlTestCase", pkeys))
            continue;
        x->expr = dec_str(d, ynode_map_get(t, "expr"));
        x->eval_ms = dec_duration(d, ynode_map_get(t, "eval_time"));
        const struct ynode *es = ynode_map_get(t, "exp_samples");
        x->nexp = dec_seq(d, &es);
        x->exp = ARENA_NEWN(d->a, struct exp_sample, x->nexp + 1);
        for (size_t j = 0; j < x->nexp; j++) {
            static const char *const ekeys[] = {"labels", "value", "histogram", NULL};
            const struct ynode *e = ynode_deref(es->items[j]);
            x->exp[j].labels = "";
            if (!dec_map(d, e, "main.sample", ekeys))
                continue;
            x->exp[j].labels = dec_str(d, ynode_map_get(e, "labels"));
            x->exp[j].value = dec_float(d, ynode_map_get(e, "value"));
            x->exp[j].histogram = dec_str(d, ynode_map_get(e, "histogram"));
        }
    }
    const struct ynode *el = ynode_deref(ynode_map_get(n, "external_labels"));
    if (!is_null(el) && el->kind == YNODE_MAP) {
        g->next = el->n;
        g->ext = ARENA_NEWN(d->a, struct label, el->n + 1);
        for (size_t i = 0; i < el->n; i++) {
            g->ext[i].name = dec_str(d, el->items[2 * i]);
            g->ext[i].value = dec_str(d, el->items[2 * i + 1]);
        }
    }
    g->external_url = dec_str(d, ynode_map_get(n, "external_url"));
    g->name = dec_str(d, ynode_map_get(n, "name"));
    const struct ynode *st = ynode_deref(ynode_map_get(n, "start_timestamp"));
    if (!is_null(st)) {
        /* Unix seconds or RFC 3339 */
        const char *s = dec_str(d, st);
        char *end;
        double secs = strtod(s, &end);
        if (*s && !*end) {
            g->start_ms = (int64_t)llround(secs * 1000);
        } else {
            struct tm tm;
            memset(&tm, 0, sizeof tm);
            const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
            if (!rest || (*rest != 'Z' && *rest != '+' && *rest != '-' && *rest != '.'))
                dec_fail(d, st, "cannot parse %s as a timestamp", s);
            else
                g->start_ms = (int64_t)timegm(&tm) * 1000;
        }
    }
}

static int decode_file(struct decoder *d, const struct ynode *root, struct test_file *tf, struct labels_table *lt)
{
    static const char *const keys[] = {"rule_files", "evaluation_interval", "group_eval_order", "tests",
                                       "fuzzy_compare", NULL};
    memset(tf, 0, sizeof *tf);
    if (!dec_map(d, ynode_deref(root), "main.unitTestFile", keys))
        return d->nerr ? -1 : 0;
    root = ynode_deref(root);
    const struct ynode *rf = ynode_map_get(root, "rule_files");
    tf->nrule_files = dec_seq(d, &rf);
    tf->rule_files = ARENA_NEWN(d->a, const char *, tf->nrule_files + 1);
    for (size_t i = 0; i < tf->nrule_files; i++)
        tf->rule_files[i] = dec_str(d, rf->items[i]);
    tf->eval_interval_ms = dec_duration(d, ynode_map_get(root, "evaluation_interval"));
    const struct ynode *go = ynode_map_get(root, "group_eval_order");
    tf->norder = dec_seq(d, &go);
    tf->order = ARENA_NEWN(d->a, const char *, tf->norder + 1);
    for (size_t i = 0; i < tf->norder; i++)
        tf->order[i] = dec_str(d, go->items[i]);
    const struct ynode *ts = ynode_map_get(root, "tests");
    tf->ntests = dec_seq(d, &ts);
    tf->tests = ARENA_NEWN(d->a, struct test_group, tf->ntests + 1);
    for (size_t i = 0; i < tf->ntests; i++)
        dec_group(d, ynode_deref(ts->items[i]), &tf->tests[i], lt);
    tf->fuzzy = dec_bool(d, ynode_map_get(root, "fuzzy_compare"));
    return d->nerr ? -1 : 0;
}

/* ---- output helpers ---- */

struct out {
    const struct promtool_sink *sink;
};

static void out_printf(const struct promtool_sink *s, enum promtool_stream st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void out_printf(const struct promtool_sink *s, enum promtool_stream st, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    s->write(s->ctx, st, sb.buf, sb.len);
    strbuf_release(&sb);
}

/* Go's time.Duration.String() for a whole number of milliseconds. */
static void go_duration(struct strbuf *sb, int64_t ms)
{
    if (ms == 0) {
        strbuf_addstr(sb, "0s");
        return;
    }
    if (ms < 0) {
        strbuf_addch(sb, '-');
        ms = -ms;
    }
    if (ms < 1000) {
        strbuf_addf(sb, "%lldms", (long long)ms);
        return;
    }
    int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
    if (h)
        strbuf_addf(sb, "%lldh", (long long)h);
    if (h || m)
        strbuf_addf(sb, "%lldm", (long long)m);
    strbuf_addf(sb, "%lld", (long long)s);
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%03lld", (long long)frac);
        int n = 3;
        while (n > 0 && f[n - 1] == '0')
            n--;
        strbuf_addf(sb, ".%.*s", n, f);
    }
    strbuf_addch(sb, 's');
}

/* ---- one test group ---- */

struct errs {
    struct strbuf *items; /* one error text each */
    size_t n, cap;
};

static void errs_add(struct errs *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errs_add(struct errs *e, const char *fmt, ...)
{
    XGROW(e->items, e->cap, e->n + 1);
    struct strbuf *sb = &e->items[e->n++];
    strbuf_init(sb);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

static void errs_release(struct errs *e)
{
    for (size_t i = 0; i < e->n; i++)
        strbuf_release(&e->items[i]);
    free(e->items);
    memset(e, 0, sizeof *e);
}

static void append_to_store(void *ctx, const struct labels *ls, int64_t t_ms, double v)
{
    struct memstore *ms = ctx;
    memstore_append(memstore_series_get(ms, ls->l, ls->n), t_ms, v);
}

struct got_alert {
    const struct labels *ls;
    const struct labels *ann;
};

static int cmp_got_alert(const void *x, const void *y)
{
    const struct got_alert *a = x, *b = y;
    int c = labels_compare(a->ls, b->ls);
    return c ? c : labels_compare(a->ann, b->ann);
}

/* Go's labelsAndAnnotations.String() */
static void alerts_string(struct strbuf *sb, const struct got_alert *g, size_t n, const char *indent)
{
    if (n == 0) {
        strbuf_addstr(sb, "[]");
        return;
    }
    strbuf_addstr(sb, "[");
    for (size_t i = 0; i < n; i++) {
        strbuf_addf(sb, "%s\n%s%zu:\n%s  Labels:", i ? "," : "", indent, i, indent);
        labels_format(sb, g[i].ls);
        strbuf_addf(sb, "\n%s  Annotations:", indent);
        labels_format(sb, g[i].ann);
    }
    strbuf_addf(sb, "\n%s]", indent);
}

static bool float_eq(double a, double b, bool fuzzy)
{
    if (a == b)
        return true;
    return fuzzy && (nextafter(a, -INFINITY) == b || nextafter(a, INFINITY) == b);
}

struct ctx {
    const struct test_file *tf;
    const char *dir;
    const struct promtool_test_opts *o;
    struct arena *a;
    struct labels_table *lt;
};

static int group_rank(const struct ctx *c, const char *name)
{
    for (size_t i = 0; i < c->tf->norder; i++)
        if (!strcmp(c->tf->order[i], name))
            return (int)i;
    return 0;
}

static void check_alerts(struct ctx *c, struct test_group *tg, struct group *groups, size_t ngroups,
                         const struct alert_test *t, struct errs *errs)
{
    struct got_alert *got = NULL;
    size_t ngot = 0, capgot = 0;
    for (size_t g = 0; g < ngroups; g++) {
        for (size_t r = 0; r < groups[g].n; r++) {
            struct group_rule *gr = &groups[g].rules[r];
            if (gr->rule->type != RULE_ALERTING || strcmp(gr->rule->name, t->alertname) != 0)
                continue;
            for (size_t i = 0; i < gr->alerts.n; i++) {
                const struct alert *a = &gr->alerts.items[i];
                if (a->state != ALERT_FIRING)
                    continue;
                struct label *al = ARENA_NEWN(c->a, struct label, a->nann + 1);
                for (size_t k = 0; k < a->nann; k++)
                    al[k] = (struct label){arena_strdup(c->a, a->ann[k].name), arena_strdup(c->a, a->ann[k].value)};
                XGROW(got, capgot, ngot + 1);
                got[ngot].ls = labels_import(c->lt, a->ls);
                got[ngot].ann = labels_intern(c->lt, al, a->nann);
                ngot++;
            }
        }
    }
    struct got_alert *exp = ARENA_NEWN(c->a, struct got_alert, t->nexp + 1);
    for (size_t i = 0; i < t->nexp; i++)
        exp[i] = (struct got_alert){t->exp[i].labels, t->exp[i].annotations};
    if (ngot)
        qsort(got, ngot, sizeof *got, cmp_got_alert);
    qsort(exp, t->nexp, sizeof *exp, cmp_got_alert);
    bool equal = ngot == t->nexp;
    for (size_t i = 0; equal && i < ngot; i++)
        equal = labels_equal(got[i].ls, exp[i].ls) && labels_equal(got[i].ann, exp[i].ann);
    if (!equal) {
        struct strbuf es = STRBUF_INIT, gs = STRBUF_INIT, ts = STRBUF_INIT;
        alerts_string(&es, exp, t->nexp, "            ");
        alerts_string(&gs, got, ngot, "            ");
        parse_format_duration(&ts, t->eval_ms);
        struct strbuf name = STRBUF_INIT;
        if (*tg->name)
            strbuf_addf(&name, "    name: %s,\n", tg->name);
        errs_add(errs, "%s    alertname: %s, time: %s, \n        exp:%s, \n        got:%s", name.buf, t->alertname,
                 ts.buf, es.buf, gs.buf);
        strbuf_release(&es);
        strbuf_release(&gs);
        strbuf_release(&ts);
        strbuf_release(&name);
    }
    free(got);
}

struct got_sample {
    const struct labels *ls;
    double v;
    const char *hist; /* TestExpression() of a histogram sample, or NULL */
};

static int cmp_got_sample(const void *x, const void *y)
{
    const struct got_sample *a = x, *b = y;
    return labels_compare(a->ls, b->ls);
}

static const char *hist_expr(struct arena *a, const struct histogram *h)
{
    if (!h)
        return NULL;
    struct strbuf sb = STRBUF_INIT;
    histogram_test_expression(&sb, h);
    const char *r = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return r;
}

static void samples_string(struct strbuf *sb, const struct got_sample *s, size_t n)
{
    if (n == 0) {
        strbuf_addstr(sb, "nil");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addstr(sb, ", ");
        labels_format(sb, s[i].ls);
        strbuf_addch(sb, ' ');
        if (s[i].hist)
            strbuf_addstr(sb, s[i].hist);
        else
            promfmt_go_float(sb, s[i].v, 'E');
    }
}

static void go_quote(struct strbuf *sb, const char *s)
{
    labels_quote(sb, s);
}

static void check_expr(struct ctx *c, struct memstore *ms, const struct engine_opts *eo, int64_t mint,
                       const struct expr_test *t, struct errs *errs)
{
    struct strbuf ts = STRBUF_INIT, q = STRBUF_INIT;
    parse_format_duration(&ts, t->eval_ms);
    go_quote(&q, t->expr);
    struct diag_list dl;
    diag_list_init(&dl);
    struct ast_node *ast = parse_expr(t->expr, strlen(t->expr), c->a, NULL, &dl);
    if (!ast) {
        int line, col;
        diag_line_col(t->expr, strlen(t->expr), dl.items[0].span.start, &line, &col);
        errs_add(errs, "    expr: %s, time: %s, err: %d:%d: parse error: %s", q.buf, ts.buf, line, col,
                 dl.items[0].msg);
        goto out;
    }
    struct engine_query eq = {ast, t->expr, strlen(t->expr)};
    struct engine_result res;
    memset(&res, 0, sizeof res);
    if (engine_eval_instant(&ms->iface, eo, &eq, mint + t->eval_ms, c->a, &res) != 0) {
        errs_add(errs, "    expr: %s, time: %s, err: %s", q.buf, ts.buf, res.err.msg);
        goto out;
    }
    struct got_sample *got;
    size_t ngot;
    struct labels_table lt;
    labels_table_init(&lt, c->a, false);
    if (res.v.type == VALUE_SCALAR) {
        got = ARENA_NEWN(c->a, struct got_sample, 1);
        got[0] = (struct got_sample){labels_empty(&lt), res.v.u.scalar.v, NULL};
        ngot = 1;
    } else if (res.v.type == VALUE_VECTOR) {
        ngot = res.v.u.vec.n;
        got = ARENA_NEWN(c->a, struct got_sample, ngot + 1);
        for (size_t i = 0; i < ngot; i++)
            got[i] = (struct got_sample){res.v.u.vec.s[i].ls, res.v.u.vec.s[i].v,
                                         hist_expr(c->a, res.v.u.vec.s[i].h)};
    } else {
        errs_add(errs, "    expr: %s, time: %s, err: rule result is not a vector or scalar", q.buf, ts.buf);
        goto out;
    }
    struct got_sample *exp = ARENA_NEWN(c->a, struct got_sample, t->nexp + 1);
    for (size_t i = 0; i < t->nexp; i++) {
        const char *l = t->exp[i].labels;
        const char *hexp = NULL;
        if (*t->exp[i].histogram) {
            /* promtool reads it as the values of a series "{} <histogram>" */
            const char *desc = arena_printf(c->a, "{} %s", t->exp[i].histogram);
            struct parse_series hs;
            struct diag_list hdl;
            diag_list_init(&hdl);
            int hrc = parse_series_desc_histograms(desc, strlen(desc), c->a, &hs, &hdl);
            if (hrc != 0 || hs.nsamples == 0 || hs.samples[0].kind != PARSE_SAMPLE_HISTOGRAM) {
                errs_add(errs, "    expr: %s, time: %s, err: histogram \"%s\": %s", q.buf, ts.buf,
                         t->exp[i].histogram, hrc != 0 && hdl.len ? hdl.items[0].msg : "expected histogram");
                diag_list_release(&hdl);
                goto out;
            }
            diag_list_release(&hdl);
            hexp = hist_expr(c->a, hs.samples[0].h);
        }
        struct parse_series ps;
        memset(&ps, 0, sizeof ps);
        if (*l && parse_series_desc(l, strlen(l), c->a, &ps, &dl) != 0) {
            int line, col;
            diag_line_col(l, strlen(l), dl.items[0].span.start, &line, &col);
            struct strbuf lq = STRBUF_INIT;
            go_quote(&lq, l);
            errs_add(errs, "    expr: %s, time: %s, err: labels %s: %d:%d: parse error: %s", q.buf, ts.buf, lq.buf,
                     line, col, dl.items[0].msg);
            strbuf_release(&lq);
            goto out;
        }
        struct label *ls = ARENA_NEWN(c->a, struct label, ps.nlabels + 1);
        for (size_t k = 0; k < ps.nlabels; k++)
            ls[k] = (struct label){ps.names[k], ps.values[k]};
        exp[i] = (struct got_sample){labels_intern(&lt, ls, ps.nlabels), t->exp[i].value, hexp};
    }
    qsort(got, ngot, sizeof *got, cmp_got_sample);
    qsort(exp, t->nexp, sizeof *exp, cmp_got_sample);
    bool equal = ngot == t->nexp;
    for (size_t i = 0; equal && i < ngot; i++)
        equal = labels_equal(got[i].ls, exp[i].ls) && float_eq(exp[i].v, got[i].v, c->tf->fuzzy) &&
                !strcmp(exp[i].hist ? exp[i].hist : "", got[i].hist ? got[i].hist : "");
    if (!equal) {
        struct strbuf es = STRBUF_INIT, gs = STRBUF_INIT;
        samples_string(&es, exp, t->nexp);
        samples_string(&gs, got, ngot);
        errs_add(errs, "    expr: %s, time: %s,\n        exp: %s\n        got: %s", q.buf, ts.buf, es.buf, gs.buf);
        strbuf_release(&es);
        strbuf_release(&gs);
    }
out:
    diag_list_release(&dl);
    strbuf_release(&ts);
    strbuf_release(&q);
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static void run_group(struct ctx *c, struct test_group *tg, size_t index, struct rulefile_set *rules,
                      struct errs *errs)
{
    (void)index;
    int64_t eval_interval = c->tf->eval_interval_ms;
    int64_t interval = tg->interval_ms ? tg->interval_ms : eval_interval;
    struct memstore ms;
    memstore_init(&ms);

    struct diag_list dl;
    diag_list_init(&dl);
    struct group *groups = NULL;
    size_t ngroups = 0;

    /* input series: "load <interval>" semantics, first sample at start;
     * all appended now, and made visible tick by tick (promtool's
     * WithSamplesTill), so data after a tick is invisible to it, even to @ */
    for (size_t i = 0; i < tg->nin; i++) {
        struct arena_mark mark = arena_mark(c->a);
        struct strbuf line = STRBUF_INIT;
        strbuf_addf(&line, "%s %s", tg->in[i].series, tg->in[i].values);
        struct parse_series ps;
        if (parse_series_desc_histograms(line.buf, line.len, c->a, &ps, &dl) != 0) {
            int l, col;
            diag_line_col(line.buf, line.len, dl.items[0].span.start, &l, &col);
            errs_add(errs, "%d:%d: parse error: %s", l + 1, col, dl.items[0].msg);
            strbuf_release(&line);
            goto out;
        }
        strbuf_release(&line);
        struct label *ls = ARENA_NEWN(c->a, struct label, ps.nlabels + 1);
        for (size_t k = 0; k < ps.nlabels; k++)
            ls[k] = (struct label){ps.names[k], ps.values[k]};
        struct memstore_series *s = memstore_series_get(&ms, ls, ps.nlabels);
        for (size_t k = 0; k < ps.nsamples; k++) {
            int64_t ts = tg->start_ms + (int64_t)k * interval;
            if (ps.samples[k].kind == PARSE_SAMPLE_HISTOGRAM)
                memstore_append_histogram(&ms, s, ts, ps.samples[k].h);
            else if (ps.samples[k].kind != PARSE_SAMPLE_OMITTED)
                memstore_append(s, ts,
                                ps.samples[k].kind == PARSE_SAMPLE_STALE ? value_stale_nan() : ps.samples[k].value);
        }
        arena_reset(c->a, mark);
    }

    memstore_histogram_hints(&ms); /* as the TSDB returns them */

    /* the rule groups, in group_eval_order (unlisted ones rank 0) */
    size_t total = 0;
    for (size_t f = 0; f < rules->len; f++)
        total += rules->files[f]->ngroups;
    groups = xcalloc(total + 1, sizeof *groups);
    {
        /* collect, then order stably by rank */
        const struct rule_group **gs = xcalloc(total + 1, sizeof *gs);
        const struct rulefile **gf = xcalloc(total + 1, sizeof *gf);
        size_t k = 0;
        for (size_t f = 0; f < rules->len; f++)
            for (size_t g = 0; g < rules->files[f]->ngroups; g++) {
                gf[k] = rules->files[f];
                gs[k++] = &rules->files[f]->groups[g];
            }
        for (size_t i = 1; i < k; i++) {
            const struct rule_group *x = gs[i];
            size_t j = i;
            const struct rulefile *xf = gf[i];
            while (j > 0 && group_rank(c, gs[j - 1]->name) > group_rank(c, x->name)) {
                gs[j] = gs[j - 1];
                gf[j] = gf[j - 1];
                j--;
            }
            gs[j] = x;
            gf[j] = xf;
        }
        /* freshness policies: compat unless --profile or a directive says otherwise */
        struct policy_config pc;
        policy_config_init(&pc, c->o->profile);
        for (size_t i = 0; i < k; i++) {
            char msg[512];
            if (group_init(&groups[ngroups], gs[i], msg, sizeof msg) != 0) {
                ngroups++;
                errs_add(errs, "%s", msg);
                free(gs);
                free(gf);
                policy_config_release(&pc);
                goto out;
            }
            struct diag_list dl;
            diag_list_init(&dl);
            int prc = group_resolve_policies(&groups[ngroups], &pc, gf[i], &dl);
            ngroups++;
            if (prc < 0) {
                for (size_t d = 0; d < dl.len; d++) {
                    struct strbuf sb = STRBUF_INIT;
                    diag_render(&sb, &dl.items[d], gf[i]->src, gf[i]->len, 0);
                    if (sb.len && sb.buf[sb.len - 1] == '\n')
                        sb.buf[--sb.len] = '\0';
                    errs_add(errs, "%s", sb.buf);
                    strbuf_release(&sb);
                }
                diag_list_release(&dl);
                free(gs);
                free(gf);
                policy_config_release(&pc);
                goto out;
            }
            diag_list_release(&dl);
        }
        free(gs);
        free(gf);
        policy_config_release(&pc);
    }

    int64_t max_eval = 0;
    for (size_t i = 0; i < tg->nalerts; i++) {
        if (!*tg->alerts[i].alertname) {
            struct strbuf d = STRBUF_INIT;
            parse_format_duration(&d, tg->alerts[i].eval_ms);
            if (*tg->name)
                errs_add(errs, "an item under alert_rule_test misses required attribute alertname at eval_time %s (in TestGroup %s)", d.buf, tg->name);
            else
                errs_add(errs, "an item under alert_rule_test misses required attribute alertname at eval_time %s", d.buf);
            strbuf_release(&d);
            goto out;
        }
        if (tg->alerts[i].eval_ms > max_eval)
            max_eval = tg->alerts[i].eval_ms;
    }
    for (size_t i = 0; i < tg->nexprs; i++)
        if (tg->exprs[i].eval_ms > max_eval)
            max_eval = tg->exprs[i].eval_ms;

    int64_t *times = xcalloc(tg->nalerts + 1, sizeof *times);
    size_t ntimes = 0;
    for (size_t i = 0; i < tg->nalerts; i++) {
        bool dup = false;
        for (size_t j = 0; j < ntimes; j++)
            dup |= times[j] == tg->alerts[i].eval_ms;
        if (!dup)
            times[ntimes++] = tg->alerts[i].eval_ms;
    }
    qsort(times, ntimes, sizeof *times, cmp_i64);

    struct engine_opts eo = {.lookback_ms = 5 * 60 * 1000, .subquery_step_ms = eval_interval,
                             .max_samples = 50000000};
    struct tmpl_label *ext = ARENA_NEWN(c->a, struct tmpl_label, tg->next + 1);
    for (size_t i = 0; i < tg->next; i++)
        ext[i] = (struct tmpl_label){tg->ext[i].name, tg->ext[i].value};
    struct group_env env = {&ms.iface, &eo, append_to_store, &ms, ext, tg->next, tg->external_url, 0, true, false};

    int64_t mint = tg->start_ms, maxt = mint + max_eval;
    size_t curr = 0;
    for (int64_t ts = mint; ts <= maxt; ts += eval_interval) {
        ms.visible_until_ms = ts;
        bool eval_failed = false;
        for (size_t g = 0; g < ngroups; g++) {
            const struct rule_group *rg = groups[g].g;
            env.query_offset_ms = rg->has_query_offset ? rg->query_offset_ms : 0;
            group_eval(&groups[g], &env, ts);
            for (size_t r = 0; r < groups[g].n; r++) {
                if (groups[g].rules[r].health != RULE_HEALTH_ERR)
                    continue;
                struct strbuf d = STRBUF_INIT;
                go_duration(&d, ts);
                errs_add(errs, "    rule: %s, time: %s, err: %s", groups[g].rules[r].rule->name, d.buf,
                         groups[g].rules[r].last_error);
                strbuf_release(&d);
                eval_failed = true;
            }
        }
        if (eval_failed) {
            free(times);
            goto out;
        }
        while (curr < ntimes && ts - mint <= times[curr] && times[curr] < ts + eval_interval - mint) {
            for (size_t i = 0; i < tg->nalerts; i++)
                if (tg->alerts[i].eval_ms == times[curr])
                    check_alerts(c, tg, groups, ngroups, &tg->alerts[i], errs);
            curr++;
        }
    }
    free(times);
    ms.visible_until_ms = maxt;
    for (size_t i = 0; i < tg->nexprs; i++)
        check_expr(c, &ms, &eo, mint, &tg->exprs[i], errs);
out:
    for (size_t g = 0; g < ngroups; g++)
        group_release(&groups[g]);
    free(groups);
    diag_list_release(&dl);
    memstore_release(&ms);
}

static bool matches_run(const struct promtool_test_opts *o, const char *name)
{
    if (!o->nrun)
        return true;
    for (size_t i = 0; i < o->nrun; i++) {
        int ec;
        PCRE2_SIZE eo;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)o->run[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ec, &eo, NULL);
        if (!re)
            continue;
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        int rc = pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL);
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        if (rc >= 0)
            return true;
    }
    return false;
}

static int test_file(const struct promtool_test_opts *o, const char *path, const struct promtool_sink *sink,
                     struct errs *errs)
{
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct labels_table lt;
    labels_table_init(&lt, &a, true);
    struct strbuf src = STRBUF_INIT;
    struct strbuf derr = STRBUF_INIT;
    struct rulefile_set rules = {0};
    if (strbuf_read_file(&src, path) != 0) {
        errs_add(errs, "open %s: %s", path, strerror(errno));
        goto out;
    }
    struct ynode_doc doc;
    struct ynode_error yerr;
    if (ynode_parse(src.buf, src.len, &a, NULL, &doc, &yerr) != 0) {
        errs_add(errs, "%s", yerr.msg);
        goto out;
    }
    struct decoder d = {&a, &derr, 0};
    struct test_file tf;
    if (decode_file(&d, doc.root, &tf, &lt) != 0) {
        errs_add(errs, "%s", derr.buf);
        goto out;
    }
    if (!tf.eval_interval_ms)
        tf.eval_interval_ms = 60 * 1000;
    for (size_t i = 0; i < tf.norder; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(tf.order[i], tf.order[j])) {
                errs_add(errs, "group name repeated in evaluation order: %s", tf.order[i]);
                goto out;
            }
    /* rule files: relative to the test file's folder, globbed */
    char *dir = arena_strdup(&a, path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir = ".";
    const char **pats = ARENA_NEWN(&a, const char *, tf.nrule_files + 1);
    size_t npats = 0;
    for (size_t i = 0; i < tf.nrule_files; i++) {
        const char *rf = tf.rule_files[i];
        /* filepath.Join cleans a leading "./" away */
        const char *full = (*rf && rf[0] != '/' && strcmp(dir, ".") != 0) ? arena_printf(&a, "%s/%s", dir, rf) : rf;
        glob_t g;
        int grc = glob(full, 0, NULL, &g);
        if (grc != 0 || g.gl_pathc == 0)
            out_printf(sink, PROMTOOL_STDERR, "  WARNING: no file match pattern %s\n", full);
        else
            pats[npats++] = full;
        if (grc == 0)
            globfree(&g);
    }
    struct rulefile_opts ro = {.ignore_unknown_fields = o->ignore_unknown_fields};
    struct diag_list dl;
    diag_list_init(&dl);
    struct ctx c = {&tf, dir, o, &a, &lt};
    bool loaded = false;
    for (size_t i = 0; i < tf.ntests; i++) {
        struct test_group *tg = &tf.tests[i];
        if (!matches_run(o, tg->name))
            continue;
        if (!loaded) {
            loaded = true;
            if (rulefile_set_load(&rules, pats, npats, &ro, &dl) != 0) {
                for (size_t k = 0; k < dl.len; k++) {
                    if (dl.items[k].code == DIAG_WARNING)
                        continue;
                    if (dl.items[k].file)
                        errs_add(errs, "%s: %s", dl.items[k].file, dl.items[k].msg);
                    else
                        errs_add(errs, "%s", dl.items[k].msg);
                }
                diag_list_release(&dl);
                goto out;
            }
        }
        run_group(&c, tg, i, &rules, errs);
    }
    diag_list_release(&dl);
out:
    rulefile_set_release(&rules);
    strbuf_release(&src);
    strbuf_release(&derr);
    arena_release(&a);
    return errs->n ? -1 : 0;
}

int promtool_test_rules_files(const struct promtool_test_opts *o, const char *const *files, size_t nfiles,
                              const struct promtool_sink *sink)
{
    bool failed = false;
    for (size_t i = 0; i < nfiles; i++) {
        struct errs errs = {0};
        if (test_file(o, files[i], sink, &errs) != 0) {
            out_printf(sink, PROMTOOL_STDERR, "  FAILED:\n");
            for (size_t k = 0; k < errs.n; k++) {
                out_printf(sink, PROMTOOL_STDERR, "%s\n", errs.items[k].buf);
                out_printf(sink, PROMTOOL_STDOUT, "\n");
            }
            failed = true;
        } else {
            out_printf(sink, PROMTOOL_STDOUT, "  SUCCESS\n");
        }
        out_printf(sink, PROMTOOL_STDOUT, "\n");
        errs_release(&errs);
    }
    return failed ? PROMTOOL_EXIT_FAILURE : PROMTOOL_EXIT_OK;
}
