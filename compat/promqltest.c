/* promqltest: the PromQL test-script runner (see promqltest.h). Follows
 * Prometheus's promql/promqltest/test.go: command parsing, expectations,
 * result comparison (relative epsilon 1e-6), the @-rewritten re-runs and the
 * range-mode re-run of each instant eval. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "compat/promqltest.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "eval/engine.h"
#include "eval/histogram.h"
#include "eval/labels.h"
#include "eval/memstore.h"
#include "grammar/parse.h"

enum expect_kind { EX_ORDERED, EX_FAIL, EX_WARN, EX_NO_WARN, EX_INFO, EX_NO_INFO, EX__N };

struct expect {
    enum expect_kind kind;
    const char *msg;  /* exact message, or NULL */
    pcre2_code *re;   /* pattern (NULL with msg set; NULL and no msg: match anything) */
};

struct exp_series {
    uint64_t hash;            /* fingerprint of the expected labels */
    const char *text;         /* labels as Prometheus prints them */
    struct parse_sample *v;   /* expected values */
    size_t n;
    int pos;                  /* 1-based position among series lines (ordered) */
};

struct eval_cmd {
    int line;                  /* 1-based line of the eval */
    const char *expr;          /* query text */
    bool range;                /* eval range */
    int64_t start, end, step;  /* range query (or expected range vector) */
    int64_t at;                /* instant eval time */
    bool fail, warn, info, ordered; /* legacy eval_* forms */
    const char *fail_msg;      /* expected_fail_message */
    pcre2_code *fail_re;       /* expected_fail_regexp */
    struct expect *ex;         /* expect lines */
    size_t nex, capex;
    bool expect_scalar;        /* a bare number line */
    double scalar;
    bool has_string;           /* expect string */
    const char *string;
    bool exclude_range;        /* no range-mode re-run */
    struct exp_series *ser;    /* expected series */
    size_t nser, capser;
};

struct runner {
    const char *path;          /* file name for messages */
    const struct promqltest_opts *o;
    struct promqltest_report *rep;
    struct strbuf *log;
    struct memstore ms;        /* the data loaded so far */
    struct storage *st;        /* what evals select from: &ms.iface, or o->storage */
    int state;                 /* data state: loads and clears so far */
    const char *export_dir;    /* promqltest_export_file's folder, or NULL: run the evals */
    FILE *export_evals;        /* its evals.tsv */
    int exported_state;        /* the last state written there (-1: none) */
    bool export_hist;          /* that state's data holds native histograms */
    bool export_noname;        /* ... or a series OpenMetrics cannot name */
    struct arena a;            /* per-command scratch */
    struct engine_opts eo;     /* the test engine's options */
    char nhcb_err[256];        /* why load_with_nhcb's conversion failed */
};

static void free_code(void *p)
{
    pcre2_code_free(p);
}

static pcre2_code *compile_re(struct arena *a, const char *pat)
{
    int errc;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, strlen(pat), PCRE2_UTF, &errc, &off, NULL);
    if (re)
        arena_on_release(a, free_code, re);
    return re;
}

static bool re_match(pcre2_code *re, const char *s)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

static bool expect_matches(const struct expect *e, const char *s)
{
    if (e->msg)
        return !strcmp(e->msg, s);
    if (e->re)
        return re_match(e->re, s);
    return true;
}

/* ---- lines ---- */

static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Next whitespace-separated token of *p (in place). */
static char *token(char **p)
{
    char *s = *p;
    while (*s && isspace((unsigned char)*s))
        s++;
    if (!*s)
        return NULL;
    char *t = s;
    while (*s && !isspace((unsigned char)*s))
        s++;
    if (*s)
        *s++ = '\0';
    *p = s;
    return t;
}

static int dur(const char *s, int64_t *ms)
{
    return parse_duration(s, strlen(s), ms);
}

static void failf(struct runner *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void failf(struct runner *r, int line, const char *fmt, ...)
{
    va_list ap;
    strbuf_addf(r->log, "FAIL %s:%d: ", r->path, line);
    va_start(ap, fmt);
    strbuf_vaddf(r->log, fmt, ap);
    va_end(ap);
    strbuf_addch(r->log, '\n');
}

/* ---- load ---- */

static double sample_value(const struct parse_sample *s)
{
    return s->kind == PARSE_SAMPLE_STALE ? value_stale_nan() : s->value;
}

/* parse_series_desc on a line with an empty label set ("{} 1") passes a NULL
 * array to qsort (undefined behaviour UBSan rejects; grammar/series.c): give
 * it a placeholder label instead, dropped again by series_labels(). */
#define EMPTY_SET_PLACEHOLDER "__heed_empty_set__"

static int parse_series(struct runner *r, const char *line, struct parse_series *ps,
                        struct diag_list *dl)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (p[0] == '{' && p[1] == '}') {
        char *fixed = arena_printf(&r->a, "{" EMPTY_SET_PLACEHOLDER "=\"x\"}%s", p + 2);
        if (parse_series_desc_histograms(fixed, strlen(fixed), &r->a, ps, dl) < 0)
            return -1;
        ps->nlabels = 0; /* the placeholder was the only label */
        return 0;
    }
    return parse_series_desc_histograms(line, strlen(line), &r->a, ps, dl);
}

struct load_def {
    struct label *ls;
    size_t nls;
    uint64_t hash;
    struct parse_sample *v;
    size_t n;
};

/* ---- load_with_nhcb: classic histograms also loaded as native histograms
 * with custom buckets (upstream promqltest's appendCustomHistogram) ---- */

struct nhcb_le {
    double le, count;
};

/* The classic series of one histogram at one timestamp. */
struct nhcb_point {
    int64_t t;
    struct nhcb_le *b;  /* buckets by ascending le */
    size_t nb, capb;
    double count, sum;
    bool has_count;
    bool bad;           /* non-cumulative or negative counts */
};

struct nhcb_group {
    struct label *ls;   /* base name, le dropped */
    size_t nls;
    uint64_t hash;
    struct nhcb_point *p;
    size_t np, capp;
};

static struct nhcb_point *nhcb_point(struct arena *a, struct nhcb_group *g, int64_t t)
{
    for (size_t i = 0; i < g->np; i++)
        if (g->p[i].t == t)
            return &g->p[i];
    if (g->np == g->capp) {
        size_t nc = g->capp ? g->capp * 2 : 16;
        struct nhcb_point *np = ARENA_NEWN(a, struct nhcb_point, nc);
        if (g->np)
            memcpy(np, g->p, g->np * sizeof *np);
        g->p = np;
        g->capp = nc;
    }
    struct nhcb_point *p = &g->p[g->np++];
    memset(p, 0, sizeof *p);
    p->t = t;
    return p;
}

/* Inserts a cumulative bucket count in le order (TempHistogram.SetBucketCount). */
static void nhcb_set_bucket(struct arena *a, struct nhcb_point *p, double le, double count)
{
    if (p->bad)
        return;
    if (count < 0) {
        p->bad = true;
        return;
    }
    size_t i = 0;
    while (i < p->nb && p->b[i].le < le)
        i++;
    if (i < p->nb && p->b[i].le == le)
        return; /* duplicate */
    if ((i > 0 && count < p->b[i - 1].count) || (i < p->nb && count > p->b[i].count)) {
        p->bad = true;
        return;
    }
    if (p->nb == p->capb) {
        size_t nc = p->capb ? p->capb * 2 : 8;
        struct nhcb_le *nb = ARENA_NEWN(a, struct nhcb_le, nc);
        if (p->nb)
            memcpy(nb, p->b, p->nb * sizeof *nb);
        p->b = nb;
        p->capb = nc;
    }
    memmove(p->b + i + 1, p->b + i, (p->nb - i) * sizeof *p->b);
    p->b[i] = (struct nhcb_le){le, count};
    p->nb++;
}

static bool has_suffix(const char *s, const char *suf, size_t *base)
{
    size_t n = strlen(s), k = strlen(suf);
    if (n <= k || strcmp(s + n - k, suf))
        return false;
    *base = n - k;
    return true;
}

static int load_nhcb(struct runner *r, const struct load_def *defs, size_t n, int64_t step)
{
    struct nhcb_group *g = ARENA_NEWN(&r->a, struct nhcb_group, n ? n : 1);
    size_t ng = 0;
    for (size_t j = 0; j < n; j++) {
        const char *name = NULL, *le_s = NULL;
        for (size_t k = 0; k < defs[j].nls; k++) {
            if (!strcmp(defs[j].ls[k].name, "__name__"))
                name = defs[j].ls[k].value;
            else if (!strcmp(defs[j].ls[k].name, "le"))
                le_s = defs[j].ls[k].value;
        }
        size_t base;
        int kind; /* 0 bucket, 1 count, 2 sum */
        if (!name)
            continue;
        if (has_suffix(name, "_bucket", &base))
            kind = 0;
        else if (has_suffix(name, "_count", &base))
            kind = 1;
        else if (has_suffix(name, "_sum", &base))
            kind = 2;
        else
            continue;
        double le = 0;
        if (kind == 0) {
            char *end;
            if (!le_s)
                continue;
            le = strtod(le_s, &end);
            if (*end || end == le_s || isnan(le))
                continue;
        }
        struct label *ls = ARENA_NEWN(&r->a, struct label, defs[j].nls);
        size_t nls = 0;
        for (size_t k = 0; k < defs[j].nls; k++) {
            if (!strcmp(defs[j].ls[k].name, "le"))
                continue;
            ls[nls] = defs[j].ls[k];
            if (!strcmp(ls[nls].name, "__name__"))
                ls[nls].value = arena_strndup(&r->a, name, base);
            nls++;
        }
        uint64_t h = labels_hash(ls, nls);
        size_t gi = 0;
        while (gi < ng && g[gi].hash != h)
            gi++;
        if (gi == ng) {
            memset(&g[ng], 0, sizeof g[ng]);
            g[ng].ls = ls;
            g[ng].nls = nls;
            g[ng].hash = h;
            ng++;
        }
        for (size_t k = 0; k < defs[j].n; k++) {
            const struct parse_sample *v = &defs[j].v[k];
            if (v->kind != PARSE_SAMPLE_VALUE)
                continue;
            struct nhcb_point *p = nhcb_point(&r->a, &g[gi], (int64_t)k * step);
            if (kind == 0) {
                nhcb_set_bucket(&r->a, p, le, v->value);
            } else if (kind == 1) {
                if (v->value < 0)
                    p->bad = true;
                p->count = v->value;
                p->has_count = true;
            } else {
                p->sum = v->value;
            }
        }
    }
    for (size_t gi = 0; gi < ng; gi++) {
        struct memstore_series *s = memstore_series_get(&r->ms, g[gi].ls, g[gi].nls);
        for (size_t i = 0; i < g[gi].np; i++) {
            struct nhcb_point *p = &g[gi].p[i];
            if (p->bad) {
                snprintf(r->nhcb_err, sizeof r->nhcb_err, "classic histogram counts are not cumulative");
                return -1;
            }
            if (!p->has_count && p->nb)
                p->count = p->b[p->nb - 1].count;
            if (!p->nb || !isinf(p->b[p->nb - 1].le) || p->b[p->nb - 1].le < 0) {
                if (p->nb == p->capb) {
                    struct nhcb_le *nb = ARENA_NEWN(&r->a, struct nhcb_le, p->nb + 1);
                    if (p->nb)
                        memcpy(nb, p->b, p->nb * sizeof *nb);
                    p->b = nb;
                }
                p->b[p->nb++] = (struct nhcb_le){INFINITY, p->count};
            }
            if (p->count != p->b[p->nb - 1].count) {
                snprintf(r->nhcb_err, sizeof r->nhcb_err, "count mismatch: count=%g != le=+Inf count=%g",
                         p->count, p->b[p->nb - 1].count);
                return -1;
            }
            struct histogram h = {0};
            h.schema = HISTOGRAM_CUSTOM_SCHEMA;
            h.count = p->count;
            h.sum = p->sum;
            double *cv = ARENA_NEWN(&r->a, double, p->nb);
            h.pos = ARENA_NEWN(&r->a, double, p->nb);
            h.npos = (uint32_t)p->nb;
            double prev = 0;
            for (size_t k = 0; k < p->nb; k++) {
                h.pos[k] = p->b[k].count - prev;
                prev = p->b[k].count;
                if (k + 1 < p->nb)
                    cv[k] = p->b[k].le;
            }
            h.custom = cv;
            h.ncustom = (uint32_t)p->nb - 1;
            memstore_append_histogram(&r->ms, s, p->t, &h);
        }
    }
    return 0;
}

static int run_load(struct runner *r, char **lines, size_t nlines, size_t *i)
{
    char *hdr = lines[*i];
    int hdr_line = (int)*i + 1;
    char *p = hdr;
    char *kw = token(&p);
    char *stepstr = token(&p);
    bool nhcb = !strcmp(kw, "load_with_nhcb");
    int64_t step;
    if (!stepstr || dur(stepstr, &step) < 0) {
        failf(r, hdr_line, "invalid load command: %s", hdr);
        return -1;
    }
    (void)kw;
    size_t cap = 16, n = 0;
    struct load_def *defs = ARENA_NEWN(&r->a, struct load_def, cap);
    while (*i + 1 < nlines && lines[*i + 1][0]) {
        (*i)++;
        char *l = lines[*i];
        struct diag_list dl;
        diag_list_init(&dl);
        struct parse_series ps;
        if (parse_series(r, l, &ps, &dl) < 0) {
            failf(r, (int)*i + 1, "cannot parse series: %s: %s", l,
                  dl.len ? dl.items[0].msg : "error");
            diag_list_release(&dl);
            continue;
        }
        diag_list_release(&dl);
        struct label *ls = ARENA_NEWN(&r->a, struct label, ps.nlabels + 1);
        for (size_t k = 0; k < ps.nlabels; k++) {
            ls[k].name = ps.names[k];
            ls[k].value = ps.values[k];
        }
        uint64_t h = labels_hash(ls, ps.nlabels);
        size_t j = 0;
        while (j < n && defs[j].hash != h)
            j++;
        if (j == n) {
            if (n == cap) {
                struct load_def *nd = ARENA_NEWN(&r->a, struct load_def, cap * 2);
                memcpy(nd, defs, n * sizeof *nd);
                defs = nd;
                cap *= 2;
            }
            n++;
        }
        defs[j].ls = ls;
        defs[j].nls = ps.nlabels;
        defs[j].hash = h;
        defs[j].v = ps.samples;
        defs[j].n = ps.nsamples;
    }
    for (size_t j = 0; j < n; j++) {
        struct memstore_series *s = memstore_series_get(&r->ms, defs[j].ls, defs[j].nls);
        for (size_t k = 0; k < defs[j].n; k++) {
            const struct parse_sample *v = &defs[j].v[k];
            if (v->kind == PARSE_SAMPLE_HISTOGRAM)
                memstore_append_histogram(&r->ms, s, (int64_t)k * step, v->h);
            else if (v->kind != PARSE_SAMPLE_OMITTED)
                memstore_append(s, (int64_t)k * step, sample_value(v));
        }
    }
    if (nhcb && load_nhcb(r, defs, n, step) < 0) {
        failf(r, hdr_line, "load_with_nhcb: %s", r->nhcb_err);
        return -1;
    }
    memstore_histogram_hints(&r->ms);
    return 0;
}

/* ---- eval parsing ---- */

static bool parse_number(const char *s, double *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (!*end && errno == 0) {
        *out = (double)v;
        return true;
    }
    double d = strtod(s, &end);
    if (*end)
        return false;
    *out = d;
    return true;
}

/* Go's strconv.Unquote for "..." and `...`. */
static bool unquote(struct arena *a, const char *s, const char **out)
{
    size_t n = strlen(s);
    if (n < 2)
        return false;
    if (s[0] == '`' && s[n - 1] == '`') {
        *out = arena_strndup(a, s + 1, n - 2);
        return true;
    }
    if (s[0] != '"' || s[n - 1] != '"')
        return false;
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 1; i < n - 1; i++) {
        char c = s[i];
        if (c != '\\') {
            strbuf_addch(&sb, c);
            continue;
        }
        c = s[++i];
        switch (c) {
        case 'n': strbuf_addch(&sb, '\n'); break;
        case 't': strbuf_addch(&sb, '\t'); break;
        case 'r': strbuf_addch(&sb, '\r'); break;
        case '\\': strbuf_addch(&sb, '\\'); break;
        case '"': strbuf_addch(&sb, '"'); break;
        default: strbuf_addch(&sb, '\\'); strbuf_addch(&sb, c); break;
        }
    }
    *out = arena_strndup(a, sb.buf, sb.len);
    strbuf_release(&sb);
    return true;
}

static void add_expect(struct runner *r, struct eval_cmd *c, struct expect e)
{
    if (c->nex == c->capex) {
        size_t nc = c->capex ? c->capex * 2 : 4;
        struct expect *ne = ARENA_NEWN(&r->a, struct expect, nc);
        if (c->nex)
            memcpy(ne, c->ex, c->nex * sizeof *ne);
        c->ex = ne;
        c->capex = nc;
    }
    c->ex[c->nex++] = e;
}

static size_t count_expect(const struct eval_cmd *c, enum expect_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nex; i++)
        n += c->ex[i].kind == k;
    return n;
}

static int parse_expect_line(struct runner *r, struct eval_cmd *c, char *l)
{
    static const char *kinds[EX__N] = {"ordered", "fail", "warn", "no_warn", "info", "no_info"};
    char *p = l;
    token(&p); /* "expect" */
    char *k = token(&p);
    if (!k)
        return -1;
    struct expect e = {0};
    size_t i = 0;
    while (i < EX__N && strcmp(k, kinds[i]))
        i++;
    if (i == EX__N)
        return -1;
    e.kind = (enum expect_kind)i;
    p = trim(p);
    if (*p) {
        if (!strncmp(p, "msg:", 4)) {
            e.msg = arena_strdup(&r->a, trim(p + 4));
        } else if (!strncmp(p, "regex:", 6)) {
            e.re = compile_re(&r->a, trim(p + 6));
            if (!e.re)
                return -1;
        } else {
            return -1;
        }
    }
    add_expect(r, c, e);
    return 0;
}

static int parse_eval(struct runner *r, char **lines, size_t nlines, size_t *i, struct eval_cmd *c)
{
    char *l = lines[*i];
    memset(c, 0, sizeof *c);
    c->line = (int)*i + 1;
    char *p = arena_strdup(&r->a, l);
    char *kw = token(&p);
    if (!strcmp(kw, "eval_fail"))
        c->fail = true;
    else if (!strcmp(kw, "eval_warn"))
        c->warn = true;
    else if (!strcmp(kw, "eval_info"))
        c->info = true;
    else if (!strcmp(kw, "eval_ordered"))
        c->ordered = true;
    else if (strcmp(kw, "eval"))
        return -1;
    char *mode = token(&p);
    if (!mode)
        return -1;
    if (!strcmp(mode, "instant")) {
        char *save = p;
        char *at = token(&p);
        if (at && !strcmp(at, "at")) {
            char *ts = token(&p);
            if (!ts || dur(ts, &c->at) < 0)
                return -1;
        } else {
            p = save;
        }
    } else if (!strcmp(mode, "range")) {
        c->range = true;
        char *f = token(&p), *from = token(&p), *t = token(&p), *to = token(&p),
             *s = token(&p), *step = token(&p);
        if (!f || !t || !s || strcmp(f, "from") || strcmp(t, "to") || strcmp(s, "step") ||
            dur(from, &c->start) < 0 || dur(to, &c->end) < 0 || dur(step, &c->step) < 0)
            return -1;
    } else {
        return -1;
    }
    c->expr = trim(p);
    int pos = 0;
    while (*i + 1 < nlines && lines[*i + 1][0]) {
        (*i)++;
        char *d = lines[*i];
        if (c->fail && !strncmp(d, "expected_fail_message", 21)) {
            c->fail_msg = arena_strdup(&r->a, trim(d + 21));
            continue;
        }
        if (c->fail && !strncmp(d, "expected_fail_regexp", 20)) {
            c->fail_re = compile_re(&r->a, trim(d + 20));
            continue;
        }
        if (!strncmp(d, "expect range vector", 19)) {
            char *q = arena_strdup(&r->a, d + 19);
            char *f = token(&q), *from = token(&q), *t = token(&q), *to = token(&q),
                 *s = token(&q), *step = token(&q);
            if (!f || !t || !s || dur(from, &c->start) < 0 || dur(to, &c->end) < 0 ||
                dur(step, &c->step) < 0)
                return -1;
            c->at = c->end;
            c->exclude_range = true;
            continue;
        }
        if (!strncmp(d, "expect string", 13)) {
            c->has_string = true;
            c->exclude_range = true;
            if (!unquote(&r->a, trim(d + 13), &c->string))
                return -1;
            continue;
        }
        if (!strncmp(d, "expect", 6) && (d[6] == ' ' || d[6] == '\t' || !d[6])) {
            if (parse_expect_line(r, c, d) < 0)
                return -1;
            continue;
        }
        double num;
        if (parse_number(d, &num)) {
            c->expect_scalar = true;
            c->scalar = num;
            continue;
        }
        struct diag_list dl;
        diag_list_init(&dl);
        struct parse_series ps;
        int rc = parse_series(r, d, &ps, &dl);
        diag_list_release(&dl);
        if (rc < 0)
            return -1;
        struct label *ls = ARENA_NEWN(&r->a, struct label, ps.nlabels + 1);
        for (size_t k = 0; k < ps.nlabels; k++) {
            ls[k].name = ps.names[k];
            ls[k].value = ps.values[k];
        }
        if (c->nser == c->capser) {
            size_t nc = c->capser ? c->capser * 2 : 8;
            struct exp_series *ns = ARENA_NEWN(&r->a, struct exp_series, nc);
            if (c->nser)
                memcpy(ns, c->ser, c->nser * sizeof *ns);
            c->ser = ns;
            c->capser = nc;
        }
        struct exp_series *es = &c->ser[c->nser++];
        es->hash = labels_hash(ls, ps.nlabels);
        struct strbuf sb = STRBUF_INIT;
        strbuf_addch(&sb, '{');
        for (size_t k = 0; k < ps.nlabels; k++) {
            if (k)
                strbuf_addstr(&sb, ", ");
            strbuf_addstr(&sb, ls[k].name);
            strbuf_addch(&sb, '=');
            labels_quote(&sb, ls[k].value);
        }
        strbuf_addch(&sb, '}');
        es->text = arena_strdup(&r->a, sb.buf);
        strbuf_release(&sb);
        es->v = ps.samples;
        es->n = ps.nsamples;
        es->pos = ++pos;
    }
    return 0;
}

/* ---- comparison ---- */

static bool almost_equal(double a, double b)
{
    const double eps = 0.000001, min_normal = 2.2250738585072014e-308;
    if (value_is_stale_nan(a) || value_is_stale_nan(b))
        return value_is_stale_nan(a) && value_is_stale_nan(b);
    if (isnan(a) && isnan(b))
        return true;
    if (a == b)
        return true;
    double abs_sum = fabs(a) + fabs(b), diff = fabs(a - b);
    if (a == 0 || b == 0 || abs_sum < min_normal)
        return diff < eps * min_normal;
    return diff / fmin(abs_sum, 1.7976931348623157e308) < eps;
}

static const char *fmt_hist(struct arena *a, const struct histogram *h)
{
    struct strbuf sb = STRBUF_INIT;
    histogram_format(&sb, h);
    const char *r = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return r;
}

/* Whether a result sample (float v, or histogram h) is the expected value;
 * err receives the reason when not. */
static bool value_matches(struct runner *r, const struct parse_sample *e, double v,
                          const struct histogram *h, const char *what, struct strbuf *err)
{
    if (e->kind == PARSE_SAMPLE_HISTOGRAM) {
        if (!h) {
            strbuf_addf(err, "expected histogram %s for %s but got float value %.17g",
                        fmt_hist(&r->a, e->h), what, v);
            return false;
        }
        if (!histogram_matches(e->h, h, e->hint_set, almost_equal)) {
            strbuf_addf(err, "expected %s for %s but got %s", fmt_hist(&r->a, e->h), what,
                        fmt_hist(&r->a, h));
            return false;
        }
        return true;
    }
    if (h) {
        strbuf_addf(err, "expected float value %.17g for %s but got histogram %s", sample_value(e),
                    what, fmt_hist(&r->a, h));
        return false;
    }
    if (!almost_equal(v, sample_value(e))) {
        strbuf_addf(err, "expected %.17g for %s but got %.17g", sample_value(e), what, v);
        return false;
    }
    return true;
}

static const struct exp_series *find_exp(const struct eval_cmd *c, uint64_t h)
{
    for (size_t i = 0; i < c->nser; i++)
        if (c->ser[i].hash == h)
            return &c->ser[i];
    return NULL;
}

static bool is_ordered(const struct eval_cmd *c)
{
    return c->ordered || count_expect(c, EX_ORDERED) > 0;
}

static bool is_fail(const struct eval_cmd *c)
{
    return c->fail || count_expect(c, EX_FAIL) > 0;
}

static const char *fmt_labels(struct arena *a, const struct labels *ls)
{
    struct strbuf sb = STRBUF_INIT;
    labels_format(&sb, ls);
    const char *s = arena_strdup(a, sb.buf);
    strbuf_release(&sb);
    return s;
}

/* Compares a vector/matrix/scalar/string result; err receives the reason. */
static int compare(struct runner *r, const struct eval_cmd *c, const struct value *v,
                   struct strbuf *err)
{
    switch (v->type) {
    case VALUE_MATRIX: {
        if (is_ordered(c)) {
            strbuf_addstr(err, "expected ordered result, but query returned a matrix");
            return -1;
        }
        if (c->expect_scalar) {
            strbuf_addstr(err, "expected scalar result, but got matrix");
            return -1;
        }
        const struct matrix *m = &v->u.mat;
        for (size_t i = 0; i + 1 < m->n; i++)
            if (labels_compare(m->s[i].ls, m->s[i + 1].ls) > 0) {
                strbuf_addstr(err, "matrix results should always be sorted by labels");
                return -1;
            }
        for (size_t i = 0; i < m->n; i++) {
            const struct series *s = &m->s[i];
            const struct exp_series *e = find_exp(c, s->ls->hash);
            if (!e) {
                strbuf_addf(err, "unexpected metric %s in result", fmt_labels(&r->a, s->ls));
                return -1;
            }
            size_t k = 0;
            for (size_t j = 0; j < e->n; j++) {
                int64_t t = c->start + (int64_t)j * c->step;
                if (t > c->end) {
                    strbuf_addf(err, "expected %zu points for %s, but query time range cannot return this many points",
                                e->n, e->text);
                    return -1;
                }
                if (e->v[j].kind == PARSE_SAMPLE_OMITTED)
                    continue;
                if (k >= s->n) {
                    strbuf_addf(err, "expected more points for %s than the %zu returned", e->text, s->n);
                    return -1;
                }
                if (s->pts[k].t_ms != t) {
                    strbuf_addf(err, "expected float value at index %zu for %s to have timestamp %lld, but it had timestamp %lld",
                                k, e->text, (long long)t, (long long)s->pts[k].t_ms);
                    return -1;
                }
                if (!value_matches(r, &e->v[j], s->pts[k].v, s->pts[k].h,
                                   arena_printf(&r->a, "%s at index %zu (t=%lld)", e->text, k, (long long)t),
                                   err))
                    return -1;
                k++;
            }
            if (k != s->n) {
                strbuf_addf(err, "expected %zu float points for %s, but got %zu", k, e->text, s->n);
                return -1;
            }
        }
        for (size_t j = 0; j < c->nser; j++) {
            bool seen = false;
            for (size_t i = 0; i < m->n && !seen; i++)
                seen = m->s[i].ls->hash == c->ser[j].hash;
            if (!seen) {
                strbuf_addf(err, "expected metric %s not found", c->ser[j].text);
                return -1;
            }
        }
        return 0;
    }
    case VALUE_VECTOR: {
        if (c->expect_scalar) {
            strbuf_addstr(err, "expected scalar result, but got vector");
            return -1;
        }
        const struct vector *vec = &v->u.vec;
        for (size_t i = 0; i < vec->n; i++) {
            const struct exp_series *e = find_exp(c, vec->s[i].ls->hash);
            if (!e) {
                if (vec->s[i].h)
                    strbuf_addf(err, "unexpected metric %s in result, has value %s",
                                fmt_labels(&r->a, vec->s[i].ls), fmt_hist(&r->a, vec->s[i].h));
                else
                    strbuf_addf(err, "unexpected metric %s in result, has value %.17g",
                                fmt_labels(&r->a, vec->s[i].ls), vec->s[i].v);
                return -1;
            }
            if (is_ordered(c) && e->pos != (int)i + 1) {
                strbuf_addf(err, "expected metric %s at position %d but was at %zu", e->text, e->pos, i + 1);
                return -1;
            }
            struct parse_sample nan_sample = {.kind = PARSE_SAMPLE_VALUE, .value = NAN};
            if (!value_matches(r, e->n ? &e->v[0] : &nan_sample, vec->s[i].v, vec->s[i].h, e->text, err))
                return -1;
        }
        for (size_t j = 0; j < c->nser; j++) {
            bool seen = false;
            for (size_t i = 0; i < vec->n && !seen; i++)
                seen = vec->s[i].ls->hash == c->ser[j].hash;
            if (!seen) {
                strbuf_addf(err, "expected metric %s not found", c->ser[j].text);
                return -1;
            }
        }
        return 0;
    }
    case VALUE_SCALAR:
        if (!c->expect_scalar) {
            strbuf_addf(err, "expected vector or matrix result, but got scalar %.17g", v->u.scalar.v);
            return -1;
        }
        if (!almost_equal(c->scalar, v->u.scalar.v)) {
            strbuf_addf(err, "expected scalar %.17g but got %.17g", c->scalar, v->u.scalar.v);
            return -1;
        }
        return 0;
    case VALUE_STRING:
        if (!c->string || strcmp(c->string, v->u.str)) {
            strbuf_addf(err, "expected string \"%s\" but got \"%s\"", c->string ? c->string : "",
                        v->u.str);
            return -1;
        }
        return 0;
    default:
        strbuf_addstr(err, "unexpected result type");
        return -1;
    }
}

static int check_expected_failure(const struct eval_cmd *c, const char *msg, struct strbuf *err)
{
    if (c->fail_msg && strcmp(c->fail_msg, msg)) {
        strbuf_addf(err, "expected error \"%s\", but got: %s", c->fail_msg, msg);
        return -1;
    }
    if (c->fail_re && !re_match(c->fail_re, msg)) {
        strbuf_addf(err, "expected error matching pattern, but got: %s", msg);
        return -1;
    }
    for (size_t i = 0; i < c->nex; i++)
        if (c->ex[i].kind == EX_FAIL) {
            if (!expect_matches(&c->ex[i], msg)) {
                strbuf_addf(err, "expected error matching \"%s\", but got: %s",
                            c->ex[i].msg ? c->ex[i].msg : "(pattern)", msg);
                return -1;
            }
            break;
        }
    return 0;
}

static int check_kind(const struct eval_cmd *c, enum expect_kind kind, const char *what,
                      const struct engine_annot *an, size_t ngot, struct strbuf *err)
{
    /* promqltest compares the bare texts (no query set, so no positions) */
    const char *gotbuf[64];
    const char **got = gotbuf;
    if (ngot > 64)
        ngot = 64;
    for (size_t i = 0; i < ngot; i++)
        gotbuf[i] = an[i].msg;
    if (count_expect(c, kind) == 0)
        return 0;
    if (ngot == 0) {
        strbuf_addf(err, "expected %s annotations but none were found", what);
        return -1;
    }
    for (size_t i = 0; i < c->nex; i++) {
        if (c->ex[i].kind != kind)
            continue;
        bool found = false;
        for (size_t j = 0; j < ngot && !found; j++)
            found = expect_matches(&c->ex[i], got[j]);
        if (!found) {
            strbuf_addf(err, "expected %s annotation \"%s\" but no matching annotation was found, found: [",
                        what, c->ex[i].msg ? c->ex[i].msg : "(pattern)");
            for (size_t j = 0; j < ngot; j++)
                strbuf_addf(err, "%s%s", j ? ", " : "", got[j]);
            strbuf_addch(err, ']');
            return -1;
        }
    }
    for (size_t j = 0; j < ngot; j++) {
        bool found = false;
        for (size_t i = 0; i < c->nex && !found; i++)
            found = c->ex[i].kind == kind && expect_matches(&c->ex[i], got[j]);
        if (!found) {
            strbuf_addf(err, "unexpected %s annotation \"%s\"", what, got[j]);
            return -1;
        }
    }
    return 0;
}

static int check_annotations(const struct eval_cmd *c, const struct engine_annots *an,
                             struct strbuf *err)
{
    if (c->warn && an->nwarn == 0) {
        strbuf_addstr(err, "expected warnings but got none");
        return -1;
    }
    if (c->info && an->ninfo == 0) {
        strbuf_addstr(err, "expected info annotations but got none");
        return -1;
    }
    if (check_kind(c, EX_WARN, "warn", an->warn, an->nwarn, err) < 0 ||
        check_kind(c, EX_INFO, "info", an->info, an->ninfo, err) < 0)
        return -1;
    if (count_expect(c, EX_NO_WARN) && an->nwarn) {
        strbuf_addf(err, "unexpected warning annotations: %s", an->warn[0].full);
        return -1;
    }
    if (count_expect(c, EX_NO_INFO) && an->ninfo) {
        strbuf_addf(err, "unexpected info annotations: %s", an->info[0].full);
        return -1;
    }
    return 0;
}

/* ---- running ---- */

static struct ast_node *parse_query(struct runner *r, const char *expr, struct strbuf *err)
{
    struct diag_list dl;
    diag_list_init(&dl);
    struct parse_opts po = {.experimental = 1};
    struct ast_node *n = parse_expr(expr, strlen(expr), &r->a, &po, &dl);
    if (!n) {
        int line = 1, col = 1;
        if (dl.len)
            diag_line_col(expr, strlen(expr), dl.items[0].span.start, &line, &col);
        strbuf_addf(err, "%d:%d: parse error: %s", line, col, dl.len ? dl.items[0].msg : "unknown");
    }
    diag_list_release(&dl);
    return n;
}

static void log_provenance(struct runner *r, const struct value *v)
{
    if (v->type == VALUE_VECTOR) {
        for (size_t i = 0; i < v->u.vec.n; i++) {
            const struct prov *p = v->u.vec.s[i].prov;
            strbuf_addf(r->log, "  prov %s ", fmt_labels(&r->a, v->u.vec.s[i].ls));
            if (!p)
                strbuf_addstr(r->log, "no inputs\n");
            else
                strbuf_addf(r->log, "inputs=%u not_fresh=%u worst_age=%lldms worst_unchanged=%lldms ids=%u beyond=%u\n",
                            p->ninputs, p->nnot_fresh, (long long)p->worst_age_ms,
                            (long long)p->worst_unchanged_ms, p->nids, p->nbeyond);
        }
    } else if (v->type == VALUE_MATRIX) {
        for (size_t i = 0; i < v->u.mat.n; i++) {
            const struct prov *p = v->u.mat.s[i].prov;
            strbuf_addf(r->log, "  prov %s ", fmt_labels(&r->a, v->u.mat.s[i].ls));
            if (!p)
                strbuf_addstr(r->log, "no inputs\n");
            else
                strbuf_addf(r->log, "inputs=%u not_fresh=%u worst_age=%lldms worst_unchanged=%lldms ids=%u beyond=%u\n",
                            p->ninputs, p->nnot_fresh, (long long)p->worst_age_ms,
                            (long long)p->worst_unchanged_ms, p->nids, p->nbeyond);
        }
    }
}

/* Functions whose result depends on the evaluation time itself (Prometheus's AtModifierUnsafeFunctions). */
static bool at_unsafe(const struct ast_node *n, void *ctx);
static int at_unsafe_cb(const struct ast_node *n, void *ctx)
{
    return at_unsafe(n, ctx) ? 1 : 0;
}
static bool at_unsafe(const struct ast_node *n, void *ctx)
{
    (void)ctx;
    if (n->kind != AST_CALL)
        return false;
    switch (n->u.call.fn->id) {
    case FN_DAYS_IN_MONTH: case FN_DAY_OF_MONTH: case FN_DAY_OF_WEEK: case FN_DAY_OF_YEAR:
    case FN_HOUR: case FN_MINUTE: case FN_MONTH: case FN_YEAR: case FN_PREDICT_LINEAR:
    case FN_TIME: case FN_TIMESTAMP: case FN_START: case FN_END: case FN_RANGE: case FN_STEP:
        return true;
    default:
        return false;
    }
}

/* Sets @ t on every selector and subquery without one, not below a subquery that has one. */
static void set_at(struct ast_node *n, int64_t t)
{
    switch (n->kind) {
    case AST_VECTOR_SELECTOR:
        if (n->u.vs.tm.at == AST_AT_NONE) {
            n->u.vs.tm.at = AST_AT_TIME;
            n->u.vs.tm.at_ms = t;
        }
        return;
    case AST_MATRIX_SELECTOR:
        set_at(n->u.ms.vs, t);
        return;
    case AST_SUBQUERY:
        if (n->u.sq.tm.at == AST_AT_NONE) {
            n->u.sq.tm.at = AST_AT_TIME;
            n->u.sq.tm.at_ms = t;
        }
        return; /* the subquery now has an @: its inside is left alone */
    case AST_CALL:
        for (size_t i = 0; i < n->u.call.nargs; i++)
            set_at(n->u.call.args[i], t);
        return;
    case AST_AGGREGATE:
        if (n->u.agg.param)
            set_at(n->u.agg.param, t);
        set_at(n->u.agg.expr, t);
        return;
    case AST_BINARY:
        set_at(n->u.bin.lhs, t);
        set_at(n->u.bin.rhs, t);
        return;
    case AST_UNARY:
        set_at(n->u.unary.expr, t);
        return;
    case AST_PAREN:
        set_at(n->u.paren.expr, t);
        return;
    default:
        return;
    }
}

static bool uses_query_context(const char *expr)
{
    static const char *f[] = {"start()", "end()", "range()", "step()"};
    for (size_t i = 0; i < 4; i++)
        if (strstr(expr, f[i]))
            return true;
    return false;
}

/* One instant query of an instant eval (the original or an @ variant). */
static int run_instant_query(struct runner *r, const struct eval_cmd *c, const struct ast_node *q,
                             int64_t t, bool main, struct strbuf *err)
{
    struct engine_query eq = {q, c->expr, strlen(c->expr)};
    struct engine_result res;
    int rc = engine_eval_instant(r->st, &r->eo, &eq, t, &r->a, &res);
    if (rc < 0) {
        if (is_fail(c))
            return check_expected_failure(c, res.err.msg, err);
        strbuf_addf(err, "error evaluating query: %s", res.err.msg);
        return -1;
    }
    if (is_fail(c)) {
        strbuf_addstr(err, "expected error evaluating query but got none");
        return -1;
    }
    if (check_annotations(c, &res.ann, err) < 0)
        return -1;
    if (r->o->provenance && main)
        log_provenance(r, &res.v);
    if (compare(r, c, &res.v, err) < 0)
        return -1;
    if (c->exclude_range || uses_query_context(c->expr))
        return 0;
    struct engine_result rr;
    if (engine_eval_range(r->st, &r->eo, &eq, t - 60000, t + 60000, 60000, &r->a, &rr) < 0) {
        strbuf_addf(err, "error evaluating query in range mode: %s", rr.err.msg);
        return -1;
    }
    if (is_ordered(c))
        return 0;
    const struct matrix *m = &rr.v.u.mat;
    for (size_t i = 0; i + 1 < m->n; i++)
        if (labels_compare(m->s[i].ls, m->s[i + 1].ls) > 0) {
            strbuf_addstr(err, "range mode: matrix results should always be sorted by labels");
            return -1;
        }
    struct value mid;
    if (res.v.type == VALUE_SCALAR) {
        mid.type = VALUE_SCALAR;
        mid.u.scalar.v = NAN;
        for (size_t i = 0; i < m->n; i++)
            for (size_t j = 0; j < m->s[i].n; j++)
                if (m->s[i].pts[j].t_ms == t) {
                    mid.u.scalar.v = m->s[i].pts[j].v;
                    goto found;
                }
    found:;
    } else {
        mid.type = VALUE_VECTOR;
        mid.u.vec.s = ARENA_NEWN(&r->a, struct vsample, m->n + 1);
        mid.u.vec.n = 0;
        for (size_t i = 0; i < m->n; i++)
            for (size_t j = 0; j < m->s[i].n; j++)
                if (m->s[i].pts[j].t_ms == t) {
                    struct vsample *s = &mid.u.vec.s[mid.u.vec.n++];
                    memset(s, 0, sizeof *s);
                    s->ls = m->s[i].ls;
                    s->v = m->s[i].pts[j].v;
                    s->h = m->s[i].pts[j].h;
                    s->t_ms = t;
                    break;
                }
    }
    if (compare(r, c, &mid, err) < 0) {
        struct strbuf tmp = STRBUF_INIT;
        strbuf_addf(&tmp, "range mode: %s", err->buf);
        strbuf_reset(err);
        strbuf_addstr(err, tmp.buf);
        strbuf_release(&tmp);
        return -1;
    }
    return 0;
}

static int run_eval(struct runner *r, const struct eval_cmd *c, struct strbuf *err)
{
    struct ast_node *q = parse_query(r, c->expr, err);
    if (!q)
        return -1;
    if (c->range) {
        struct engine_query eq = {q, c->expr, strlen(c->expr)};
        struct engine_result res;
        if (engine_eval_range(r->st, &r->eo, &eq, c->start, c->end, c->step, &r->a, &res) < 0) {
            if (is_fail(c))
                return check_expected_failure(c, res.err.msg, err);
            strbuf_addf(err, "error evaluating query: %s", res.err.msg);
            return -1;
        }
        if (is_fail(c)) {
            strbuf_addstr(err, "expected error evaluating query but got none");
            return -1;
        }
        if (check_annotations(c, &res.ann, err) < 0)
            return -1;
        if (r->o->provenance)
            log_provenance(r, &res.v);
        return compare(r, c, &res.v, err);
    }
    if (run_instant_query(r, c, q, c->at, true, err) < 0)
        return -1;
    if (ast_walk(q, at_unsafe_cb, NULL))
        return 0;
    int64_t ts = c->at;
    int64_t times[5];
    size_t nt;
    if (ts == 0) {
        times[0] = -1000, times[1] = 0, times[2] = 1000;
        nt = 3;
    } else {
        times[0] = -10 * ts, times[1] = 0, times[2] = ts / 5, times[3] = ts, times[4] = 10 * ts;
        nt = 5;
    }
    struct ast_node *qa = parse_query(r, c->expr, err);
    if (!qa)
        return -1;
    set_at(qa, ts);
    for (size_t i = 0; i < nt; i++)
        if (run_instant_query(r, c, qa, times[i], false, err) < 0) {
            struct strbuf tmp = STRBUF_INIT;
            strbuf_addf(&tmp, "with @ %lld at t=%lld: %s", (long long)ts, (long long)times[i], err->buf);
            strbuf_reset(err);
            strbuf_addstr(err, tmp.buf);
            strbuf_release(&tmp);
            return -1;
        }
    return 0;
}

/* ---- export for a real backend (promqltest_export_file) ---- */

static bool om_name_ok(const char *s, bool colon)
{
    if (!s || !*s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
                  (i && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

/* A label value between double quotes, as OpenMetrics and PromQL read it. */
/* Whether sample k of s is a native histogram (s->h is ascending by position). */
static bool series_has_histogram_at(const struct memstore_series *s, size_t k)
{
    size_t lo = 0, hi = s->nh;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->h[mid].i == k)
            return true;
        if (s->h[mid].i < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static void om_quote(struct strbuf *sb, const char *v)
{
    strbuf_addch(sb, '"');
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            strbuf_addch(sb, '\\');
        if (*v == '\n')
            strbuf_addstr(sb, "\\n");
        else
            strbuf_addch(sb, *v);
    }
    strbuf_addch(sb, '"');
}

/* A float that parses back to the same bits (NaN aside). */
static void om_float(struct strbuf *sb, double v)
{
    if (isnan(v))
        strbuf_addstr(sb, "NaN");
    else if (isinf(v))
        strbuf_addstr(sb, v > 0 ? "+Inf" : "-Inf");
    else
        strbuf_addf(sb, "%.17g", v);
}

/* Seconds with a trailing 0.4 ms: promtool reads the timestamp as a float
 * and truncates seconds * 1000 to milliseconds, which turns 2.002 into
 * 2001.9999... and so 2001; 2.0024 stays within 2002 whether the reader
 * truncates or rounds. Load times are never negative. */
static void om_time(struct strbuf *sb, int64_t t_ms)
{
    strbuf_addf(sb, "%lld.%03lld4", (long long)(t_ms / 1000), (long long)(t_ms % 1000));
}

struct rw_sample {
    int64_t t;
    size_t series, k;
};

static int rw_sample_cmp(const void *a, const void *b)
{
    const struct rw_sample *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->series < y->series ? -1 : x->series > y->series;
}

static int write_text(struct runner *r, const char *name, const struct strbuf *sb)
{
    char *path = arena_printf(&r->a, "%s/%s", r->export_dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fwrite(sb->buf, 1, sb->len, f) != sb->len || fclose(f) != 0) {
        if (f)
            fclose(f);
        strbuf_addf(r->log, "FAIL %s: cannot write %s: %s\n", r->path, path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes state-N.om (and state-N.rw when it holds staleness markers) for the
 * current data state, and records its flags. */
static int export_state(struct runner *r)
{
    const struct memstore *ms = &r->ms;
    bool hist = false, noname = false, stale = false;
    size_t total = 0;
    struct strbuf om = STRBUF_INIT, names = STRBUF_INIT;
    const char **text = ARENA_NEWN(&r->a, const char *, ms->n + 1);
    for (size_t i = 0; i < ms->n; i++) {
        const struct memstore_series *s = ms->s[i];
        const char *name = NULL;
        bool ok = true;
        strbuf_reset(&names);
        for (size_t j = 0; j < s->ls->n; j++) {
            const struct label *l = &s->ls->l[j];
            if (!strcmp(l->name, "__name__")) {
                name = l->value;
                continue;
            }
            ok = ok && om_name_ok(l->name, false);
            strbuf_addstr(&names, names.len ? "," : "{");
            strbuf_addstr(&names, l->name);
            strbuf_addch(&names, '=');
            om_quote(&names, l->value);
        }
        if (names.len)
            strbuf_addch(&names, '}');
        if (!om_name_ok(name, true) || !ok)
            noname = true;
        text[i] = arena_printf(&r->a, "%s%s", name ? name : "", names.buf);
        for (size_t k = 0; k < s->n; k++) {
            if (series_has_histogram_at(s, k)) {
                hist = true;
                continue;
            }
            total++;
            if (value_is_stale_nan(s->v[k])) {
                stale = true;
                continue;
            }
            strbuf_addf(&om, "%s ", text[i]);
            om_float(&om, s->v[k]);
            strbuf_addch(&om, ' ');
            om_time(&om, s->t[k]);
            strbuf_addch(&om, '\n');
        }
    }
    strbuf_addstr(&om, "# EOF\n");
    int rc = write_text(r, arena_printf(&r->a, "state-%d.om", r->state), &om);
    if (rc == 0 && stale) {
        struct rw_sample *all = malloc((total + 1) * sizeof *all);
        size_t n = 0;
        for (size_t i = 0; i < ms->n; i++)
            for (size_t k = 0; k < ms->s[i]->n; k++)
                if (!series_has_histogram_at(ms->s[i], k))
                    all[n++] = (struct rw_sample){ms->s[i]->t[k], i, k};
        qsort(all, n, sizeof *all, rw_sample_cmp);
        struct strbuf rw = STRBUF_INIT;
        for (size_t j = 0; j < n; j++) {
            const struct memstore_series *s = ms->s[all[j].series];
            strbuf_addch(&rw, '{');
            for (size_t q = 0; q < s->ls->n; q++) {
                strbuf_addf(&rw, "%s%s=", q ? "," : "", s->ls->l[q].name);
                om_quote(&rw, s->ls->l[q].value);
            }
            strbuf_addstr(&rw, "}\t");
            double v = s->v[all[j].k];
            if (value_is_stale_nan(v))
                strbuf_addstr(&rw, "stale");
            else
                om_float(&rw, v);
            strbuf_addf(&rw, "\t%lld\n", (long long)all[j].t);
        }
        free(all);
        rc = write_text(r, arena_printf(&r->a, "state-%d.rw", r->state), &rw);
        strbuf_release(&rw);
    }
    strbuf_release(&om);
    strbuf_release(&names);
    r->export_hist = hist;
    r->export_noname = noname;
    r->exported_state = r->state;
    return rc;
}

/* ast_walk callback: whether a selector of the eval selects a series holding
 * native histograms (which the exported data leaves out). */
static int selects_histograms(const struct ast_node *n, void *ctx)
{
    struct runner *r = ctx;
    if (n->kind != AST_VECTOR_SELECTOR)
        return 0;
    struct storage_series *ss;
    size_t ns;
    struct eval_error err;
    const int64_t far = (int64_t)1 << 60;
    if (r->ms.iface.select(&r->ms.iface, n->u.vs.matchers, n->u.vs.nmatchers, -far, far, &r->a, &ss, &ns,
                           &err) < 0)
        return 1; /* cannot tell: count it as touching histograms */
    for (size_t i = 0; i < ns; i++)
        for (size_t k = 0; k < ss[i].n; k++)
            if (ss[i].pts[k].h)
                return 1;
    return 0;
}

/* One evals.tsv line (and the state's data first, when new). */
static int export_eval(struct runner *r, const struct eval_cmd *c)
{
    if (r->exported_state != r->state && export_state(r) < 0)
        return -1;
    struct strbuf perr = STRBUF_INIT;
    const struct ast_node *q = parse_query(r, c->expr, &perr);
    strbuf_release(&perr);
    bool hist = r->export_hist && (!q || ast_walk(q, selects_histograms, r));
    char flags[96];
    snprintf(flags, sizeof flags, "%s%s%s%s%s%s", c->range ? ",range" : "", is_fail(c) ? ",fail" : "",
             is_ordered(c) ? ",ordered" : "",
             (c->exclude_range || uses_query_context(c->expr)) && !c->range ? ",norange" : "",
             hist ? ",hist" : "", r->export_noname ? ",noname" : "");
    fprintf(r->export_evals, "%d\t%d\t%s\t", r->state, c->line, flags[0] ? flags + 1 : "-");
    if (c->range)
        fprintf(r->export_evals, "%lld:%lld:%lld", (long long)c->start, (long long)c->end,
                (long long)c->step);
    else
        fprintf(r->export_evals, "%lld", (long long)c->at);
    fprintf(r->export_evals, "\t%s\n", c->expr);
    return 0;
}

static int run_file(const char *path, const struct promqltest_opts *o, const char *export_dir,
                    struct promqltest_report *rep, struct strbuf *log)
{
    struct strbuf src = STRBUF_INIT;
    if (strbuf_read_file(&src, path) < 0) {
        strbuf_addf(log, "FAIL %s: cannot read: %s\n", path, strerror(errno));
        strbuf_release(&src);
        return -1;
    }
    struct runner r = {0};
    r.path = path;
    r.o = o;
    r.rep = rep;
    r.log = log;
    memstore_init(&r.ms);
    r.st = o->storage ? o->storage : &r.ms.iface;
    r.export_dir = export_dir;
    r.exported_state = -1;
    r.state = 1;
    if (export_dir) {
        char *ep = NULL;
        if (asprintf(&ep, "%s/evals.tsv", export_dir) < 0 || !(r.export_evals = fopen(ep, "w"))) {
            strbuf_addf(log, "FAIL %s: cannot write %s/evals.tsv: %s\n", path, export_dir, strerror(errno));
            free(ep);
            memstore_release(&r.ms);
            strbuf_release(&src);
            return -1;
        }
        free(ep);
    }
    r.eo.lookback_ms = 5 * 60 * 1000;
    r.eo.subquery_step_ms = 60 * 1000;
    r.eo.timeout_ms = 100 * 1000;
    r.eo.delayed_name_removal = true;
    r.eo.max_samples = 10000; /* Prometheus's test engine (DefaultMaxSamplesPerQuery) */
    /* split into trimmed lines; comments become blank lines */
    size_t nlines = 1;
    for (size_t i = 0; i < src.len; i++)
        nlines += src.buf[i] == '\n';
    char **lines = calloc(nlines, sizeof *lines);
    size_t k = 0;
    char *s = src.buf;
    for (;;) {
        char *nl = strchr(s, '\n');
        if (nl)
            *nl = '\0';
        char *l = trim(s);
        lines[k++] = l[0] == '#' ? (char *)"" : l;
        if (!nl)
            break;
        s = nl + 1;
    }
    nlines = k;
    int ret = 0;
    arena_init(&r.a, 0);
    for (size_t i = 0; i < nlines; i++) {
        char *l = lines[i];
        if (!l[0])
            continue;
        struct arena_mark m = arena_mark(&r.a);
        if (!strncasecmp(l, "clear", 5) && (!l[5] || isspace((unsigned char)l[5]))) {
            memstore_clear(&r.ms);
            r.state++;
        } else if (!strncasecmp(l, "load", 4)) {
            run_load(&r, lines, nlines, &i);
            r.state++;
        } else if (!strncasecmp(l, "eval", 4)) {
            struct eval_cmd c;
            if (parse_eval(&r, lines, nlines, &i, &c) < 0) {
                failf(&r, (int)i + 1, "invalid eval command: %s", l);
                rep->failed++;
            } else if (export_dir) {
                if (export_eval(&r, &c) < 0) {
                    ret = -1;
                    break;
                }
            } else if (o->only_state > 0 && r.state != o->only_state) {
                /* another backend holds that state's data */
            } else {
                struct strbuf err = STRBUF_INIT;
                if (run_eval(&r, &c, &err) < 0) {
                    failf(&r, c.line, "%s\n    %s", c.expr, err.buf);
                    rep->failed++;
                } else {
                    rep->passed++;
                    if (o->verbose)
                        strbuf_addf(log, "ok %s:%d: %s\n", path, c.line, c.expr);
                }
                strbuf_release(&err);
                if (o->after_eval)
                    o->after_eval(o->after_eval_ctx);
            }
        } else {
            failf(&r, (int)i + 1, "invalid command \"%s\"", l);
            ret = -1;
            break;
        }
        arena_reset(&r.a, m);
    }
    arena_release(&r.a);
    memstore_release(&r.ms);
    if (r.export_evals && fclose(r.export_evals) != 0) {
        strbuf_addf(log, "FAIL %s: cannot write %s/evals.tsv\n", path, export_dir);
        ret = -1;
    }
    free(lines);
    strbuf_release(&src);
    return ret;
}

int promqltest_run_file(const char *path, const struct promqltest_opts *o,
                        struct promqltest_report *rep, struct strbuf *log)
{
    return run_file(path, o, NULL, rep, log);
}

int promqltest_export_file(const char *path, const char *dir, struct strbuf *log)
{
    struct promqltest_opts o = {0};
    struct promqltest_report rep = {0};
    return run_file(path, &o, dir, &rep, log);
}
