/* series: the series notation of promqltest "load" blocks and promtool
 * input_series ('metric{l="v"} 1+2x3 _ stale'), as Prometheus's
 * ParseSeriesDesc reads it. Native histogram values "{{...}}" are read by
 * parse_series_desc_histograms only (parse_series_desc reports them as
 * unsupported, for callers that store floats only). A small hand-written
 * scanner: the notation is regular enough not to need the grammar. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "eval/histogram.h"
#include "grammar/parse.h"
#include "grammar/pq.h"

/* Expansion bound: a description expanding to more steps than this is refused. */
#define SERIES_MAX_SAMPLES (10 * 1000 * 1000)

struct series_scan {
    const char *src;          /* the text */
    size_t len, pos;          /* length and cursor */
    struct arena *a;          /* result storage */
    struct diag_list *diags;  /* errors */
    struct strbuf sbuf;       /* string decoding scratch */
    struct parse_sample *s;   /* samples so far (malloc, copied into the arena at the end) */
    size_t n, cap;            /* used and allocated samples */
    bool hist;                /* native histogram values accepted */
};

static int fail(struct series_scan *sc, size_t at, const char *msg)
{
    struct span sp = {(uint32_t)at, (uint32_t)(at < sc->len ? at + 1 : at)};
    diag_add(sc->diags, DIAG_SYNTAX, sp, NULL, "%s", msg);
    return -1;
}

static int peek(const struct series_scan *sc)
{
    return sc->pos < sc->len ? (unsigned char)sc->src[sc->pos] : -1;
}

static void skip_space(struct series_scan *sc)
{
    while (sc->pos < sc->len && strchr(" \t\r\n", sc->src[sc->pos]))
        sc->pos++;
}

static bool is_ident_start(int ch) { return ch == '_' || ch == ':' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static bool is_ident(int ch) { return is_ident_start(ch) || (ch >= '0' && ch <= '9'); }

/* A quoted string with Go escapes, decoded through the PromQL lexer. */
static int scan_string(struct series_scan *sc, const char **out)
{
    size_t start = sc->pos;
    int q = peek(sc);
    size_t i = sc->pos + 1;
    while (i < sc->len && sc->src[i] != q) {
        if (sc->src[i] == '\\' && q != '`')
            i++;
        i++;
    }
    if (i >= sc->len)
        return fail(sc, start, "unterminated quoted string");
    struct arena tmp;
    struct diag_list dl;
    arena_init(&tmp, 0);
    diag_list_init(&dl);
    struct ast_node *n = parse_expr(sc->src + start, i + 1 - start, &tmp, NULL, &dl);
    int rc = 0;
    if (!n || n->kind != AST_STRING) {
        rc = fail(sc, start, dl.len ? dl.items[0].msg : "invalid string");
    } else {
        *out = arena_memdup(sc->a, n->u.string.val, n->u.string.len + 1);
        sc->pos = i + 1;
    }
    diag_list_release(&dl);
    arena_release(&tmp);
    return rc;
}

static int push(struct series_scan *sc, enum parse_sample_kind kind, double v)
{
    if (sc->n >= SERIES_MAX_SAMPLES)
        return fail(sc, sc->pos, "series description expands to too many samples");
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 16;
        sc->s = realloc(sc->s, sc->cap * sizeof *sc->s);
        if (!sc->s)
            abort();
    }
    sc->s[sc->n].kind = kind;
    sc->s[sc->n].value = v;
    sc->s[sc->n].h = NULL;
    sc->s[sc->n].hint_set = false;
    sc->n++;
    return 0;
}

/* A number, Inf/NaN, or a duration (seconds), without sign. */
static int scan_number(struct series_scan *sc, double *v)
{
    size_t start = sc->pos;
    if (is_ident_start(peek(sc))) {
        size_t e = sc->pos;
        while (e < sc->len && is_ident(sc->src[e]))
            e++;
        if ((e - start == 3 && (!strncasecmp(sc->src + start, "inf", 3) || !strncasecmp(sc->src + start, "nan", 3)))) {
            *v = (sc->src[start] | 0x20) == 'i' ? INFINITY : NAN;
            sc->pos = e;
            return 0;
        }
        return fail(sc, start, "unexpected identifier in series values, expected number or \"stale\"");
    }
    size_t e = sc->pos;
    while (e < sc->len && (strchr("0123456789._", sc->src[e]) ||
                           ((sc->src[e] == 'e' || sc->src[e] == 'E') && e + 1 < sc->len &&
                            strchr("0123456789+-", sc->src[e + 1])) ||
                           ((sc->src[e] == '+' || sc->src[e] == '-') && e > start &&
                            (sc->src[e - 1] == 'e' || sc->src[e - 1] == 'E'))))
        e++;
    if (e == start)
        return fail(sc, start, "unexpected character in series values, expected number or \"stale\"");
    /* A duration unit right after the digits makes it a duration in seconds. */
    size_t d = e;
    while (d < sc->len && (strchr("smhdwy", sc->src[d]) || (sc->src[d] >= '0' && sc->src[d] <= '9')))
        d++;
    if (d > e) {
        int64_t ms;
        if (pq_parse_duration(sc->src + start, d - start, &ms, &sc->sbuf) < 0)
            return fail(sc, start, sc->sbuf.buf);
        *v = (double)ms / 1000.0;
        sc->pos = d;
        return 0;
    }
    char buf[64];
    size_t n = 0;
    for (size_t i = start; i < e && n < sizeof buf - 1; i++)
        if (sc->src[i] != '_')
            buf[n++] = sc->src[i];
    buf[n] = 0;
    char *end;
    *v = strtod(buf, &end);
    if (*end || end == buf)
        return fail(sc, start, "bad number syntax in series values");
    sc->pos = e;
    return 0;
}

static int scan_signed(struct series_scan *sc, double *v)
{
    int sign = 1;
    if (peek(sc) == '+' || peek(sc) == '-') {
        sign = peek(sc) == '-' ? -1 : 1;
        sc->pos++;
    }
    if (scan_number(sc, v) < 0)
        return -1;
    *v *= sign;
    return 0;
}

/* "x<uint>" after a value; returns the count, or -1. */
static long long scan_times(struct series_scan *sc)
{
    sc->pos++; /* the x */
    size_t start = sc->pos;
    while (sc->pos < sc->len && sc->src[sc->pos] >= '0' && sc->src[sc->pos] <= '9')
        sc->pos++;
    if (sc->pos == start)
        return fail(sc, start, "unexpected character in series values, expected repetition count");
    errno = 0;
    long long n = strtoll(sc->src + start, NULL, 10);
    if (errno || n > SERIES_MAX_SAMPLES)
        return fail(sc, start, "invalid repetition in series values: value out of range");
    return n;
}

/* Bound on bucket offsets and counts of the notation (bucket indexes stay far
 * from int32 overflow through any arithmetic on them). */
#define HIST_MAX_OFFSET (1 << 20)

/* "[1 2 3]" of numbers, into the arena. */
static int scan_list(struct series_scan *sc, double **out, uint32_t *n)
{
    if (peek(sc) != '[')
        return fail(sc, sc->pos, "unexpected character in histogram description, expected \"[\"");
    sc->pos++;
    size_t cap = 8, k = 0;
    double *v = arena_alloc(sc->a, cap * sizeof *v);
    for (;;) {
        skip_space(sc);
        if (peek(sc) == ']') {
            sc->pos++;
            break;
        }
        if (k == cap) {
            double *nv = arena_alloc(sc->a, cap * 2 * sizeof *nv);
            memcpy(nv, v, k * sizeof *v);
            v = nv;
            cap *= 2;
        }
        if (scan_signed(sc, &v[k]) < 0)
            return -1;
        k++;
    }
    *out = v;
    *n = (uint32_t)k;
    return 0;
}

/* One "{{key:value ...}}". */
static int scan_hist(struct series_scan *sc, struct histogram **out, bool *hint_set)
{
    struct histogram *h = histogram_new(sc->a);
    *hint_set = false;
    sc->pos += 2;
    for (;;) {
        skip_space(sc);
        if (peek(sc) == '}' && sc->pos + 1 < sc->len && sc->src[sc->pos + 1] == '}') {
            sc->pos += 2;
            break;
        }
        size_t ks = sc->pos;
        while (sc->pos < sc->len && is_ident(sc->src[sc->pos]) && sc->src[sc->pos] != ':')
            sc->pos++;
        size_t kl = sc->pos - ks;
        const char *k = sc->src + ks;
        if (kl == 0 || peek(sc) != ':')
            return fail(sc, ks, "unexpected character in histogram description, expected key, e.g. buckets:[5 10 7]");
        sc->pos++;
#define KEY(s) (kl == sizeof(s) - 1 && !strncmp(k, s, kl))
        double v;
        if (KEY("buckets")) {
            if (scan_list(sc, &h->pos, &h->npos) < 0)
                return -1;
        } else if (KEY("n_buckets")) {
            if (scan_list(sc, &h->neg, &h->nneg) < 0)
                return -1;
        } else if (KEY("custom_values")) {
            double *cv;
            if (scan_list(sc, &cv, &h->ncustom) < 0)
                return -1;
            h->custom = cv;
        } else if (KEY("counter_reset_hint")) {
            size_t vs = sc->pos;
            while (sc->pos < sc->len && is_ident(sc->src[sc->pos]))
                sc->pos++;
            size_t vl = sc->pos - vs;
            const char *hv = sc->src + vs;
            if (vl == 7 && !strncmp(hv, "unknown", 7))
                h->hint = HISTOGRAM_HINT_UNKNOWN;
            else if (vl == 5 && !strncmp(hv, "reset", 5))
                h->hint = HISTOGRAM_HINT_RESET;
            else if (vl == 9 && !strncmp(hv, "not_reset", 9))
                h->hint = HISTOGRAM_HINT_NOT_RESET;
            else if (vl == 5 && !strncmp(hv, "gauge", 5))
                h->hint = HISTOGRAM_HINT_GAUGE;
            else
                return fail(sc, vs, "error parsing counter_reset_hint: unknown value");
            *hint_set = true;
        } else {
            if (scan_signed(sc, &v) < 0)
                return -1;
            if (KEY("schema"))
                h->schema = (int32_t)v;
            else if (KEY("sum"))
                h->sum = v;
            else if (KEY("count"))
                h->count = v;
            else if (KEY("z_bucket"))
                h->zero_count = v;
            else if (KEY("z_bucket_w"))
                h->zero_threshold = v;
            else if (KEY("offset"))
                h->pos_off = (int32_t)v;
            else if (KEY("n_offset"))
                h->neg_off = (int32_t)v;
            else
                return fail(sc, ks, "unknown key in histogram description");
        }
#undef KEY
    }
    /* What the TSDB would refuse to store, and what bucket arithmetic needs
     * bounded: a schema in range, offsets within spans' reach, custom
     * buckets within their sorted bounds. */
    if (h->schema != HISTOGRAM_CUSTOM_SCHEMA && (h->schema < -4 || h->schema > 8))
        return fail(sc, sc->pos - 1, "histogram schema is out of range (-4..8, or -53 for custom buckets)");
    if (h->pos_off < -HIST_MAX_OFFSET || h->pos_off > HIST_MAX_OFFSET ||
        h->neg_off < -HIST_MAX_OFFSET || h->neg_off > HIST_MAX_OFFSET ||
        h->npos > HIST_MAX_OFFSET || h->nneg > HIST_MAX_OFFSET)
        return fail(sc, sc->pos - 1, "histogram bucket offset or count is out of range");
    if (histogram_is_custom(h)) {
        for (uint32_t i = 1; i < h->ncustom; i++)
            if (!(h->custom[i - 1] < h->custom[i]))
                return fail(sc, sc->pos - 1, "histogram custom_values must be strictly increasing");
        if (h->nneg || h->pos_off < 0 || (int64_t)h->pos_off + h->npos > (int64_t)h->ncustom + 1)
            return fail(sc, sc->pos - 1, "histogram buckets do not fit its custom_values");
    }
    *out = h;
    return 0;
}

static int push_hist(struct series_scan *sc, const struct histogram *h, bool hint_set)
{
    if (push(sc, PARSE_SAMPLE_HISTOGRAM, 0) < 0)
        return -1;
    sc->s[sc->n - 1].h = h;
    sc->s[sc->n - 1].hint_set = hint_set;
    return 0;
}

/* A histogram item: h, hxN, h+hxN, h-hxN. */
static int scan_hist_item(struct series_scan *sc)
{
    struct histogram *base, *inc = NULL;
    bool base_set, inc_set = false, sub = false;
    if (scan_hist(sc, &base, &base_set) < 0)
        return -1;
    if ((peek(sc) == '+' || peek(sc) == '-') && sc->pos + 2 < sc->len && sc->src[sc->pos + 1] == '{' &&
        sc->src[sc->pos + 2] == '{') {
        sub = peek(sc) == '-';
        sc->pos++;
        if (scan_hist(sc, &inc, &inc_set) < 0)
            return -1;
        if (peek(sc) != 'x')
            return fail(sc, sc->pos, "unexpected character in series values, expected \"x\"");
    }
    long long times = 0;
    if (peek(sc) == 'x' && (times = scan_times(sc)) < 0)
        return -1;
    if (sc->pos < sc->len && !strchr(" \t\r\n", sc->src[sc->pos]))
        return fail(sc, sc->pos, "unexpected character in series values");
    if (!inc) {
        for (long long i = 0; i <= times; i++)
            if (push_hist(sc, base, base_set) < 0)
                return -1;
        return 0;
    }
    const struct histogram *cur = base;
    if (push_hist(sc, base, inc_set) < 0)
        return -1;
    for (long long i = 1; i <= times; i++) {
        if (cur->schema > inc->schema)
            return fail(sc, sc->pos, "error combining histograms: cannot merge from schema");
        struct histogram *next = histogram_copy(sc->a, cur);
        unsigned flags;
        if (histogram_add(sc->a, next, inc, sub, &flags) < 0)
            return fail(sc, sc->pos, "error combining histograms: histograms have incompatible schemas");
        if (push_hist(sc, next, inc_set) < 0)
            return -1;
        cur = next;
    }
    return 0;
}

static int scan_item(struct series_scan *sc)
{
    size_t start = sc->pos;
    if (peek(sc) == '{' && sc->pos + 1 < sc->len && sc->src[sc->pos + 1] == '{') {
        if (sc->hist)
            return scan_hist_item(sc);
        return fail(sc, start, "native histogram values are not supported");
    }
    if (peek(sc) == '_' && (sc->pos + 1 >= sc->len || !is_ident(sc->src[sc->pos + 1]) || sc->src[sc->pos + 1] == 'x')) {
        sc->pos++;
        long long times = 1;
        if (peek(sc) == 'x' && (times = scan_times(sc)) < 0)
            return -1;
        for (long long i = 0; i < times; i++)
            if (push(sc, PARSE_SAMPLE_OMITTED, 0) < 0)
                return -1;
        return 0;
    }
    if (sc->len - sc->pos >= 5 && !strncmp(sc->src + sc->pos, "stale", 5) &&
        (sc->pos + 5 == sc->len || !is_ident(sc->src[sc->pos + 5]))) {
        sc->pos += 5;
        return push(sc, PARSE_SAMPLE_STALE, 0);
    }
    double v, step = 0;
    if (scan_signed(sc, &v) < 0)
        return -1;
    if (peek(sc) == '+' || peek(sc) == '-') {
        if (scan_signed(sc, &step) < 0)
            return -1;
        if (peek(sc) != 'x')
            return fail(sc, sc->pos, "unexpected character in series values, expected \"x\"");
    }
    long long times = 0;
    if (peek(sc) == 'x' && (times = scan_times(sc)) < 0)
        return -1;
    for (long long i = 0; i <= times; i++) { /* axN and a+bxN give N+1 values */
        if (push(sc, PARSE_SAMPLE_VALUE, v) < 0)
            return -1;
        v += step;
    }
    if (sc->pos < sc->len && !strchr(" \t\r\n", sc->src[sc->pos]))
        return fail(sc, sc->pos, "unexpected character in series values");
    return 0;
}

struct label_pair {
    const char *name, *value;
};

static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const struct label_pair *)a)->name, ((const struct label_pair *)b)->name);
}

static int scan_labels(struct series_scan *sc, struct label_pair **pairs, size_t *npairs, size_t *cap)
{
    sc->pos++; /* { */
    for (;;) {
        skip_space(sc);
        int ch = peek(sc);
        if (ch == '}') {
            sc->pos++;
            return 0;
        }
        const char *name = NULL, *value = NULL;
        if (ch == '"' || ch == '\'' || ch == '`') {
            if (scan_string(sc, &name) < 0)
                return -1;
        } else if (is_ident_start(ch) && ch != ':') {
            size_t s = sc->pos;
            while (sc->pos < sc->len && is_ident(sc->src[sc->pos]) && sc->src[sc->pos] != ':')
                sc->pos++;
            name = arena_strndup(sc->a, sc->src + s, sc->pos - s);
        } else {
            return fail(sc, sc->pos, "unexpected character in label set, expected identifier or \"}\"");
        }
        skip_space(sc);
        if (peek(sc) == '=') {
            sc->pos++;
            skip_space(sc);
            ch = peek(sc);
            if (ch != '"' && ch != '\'' && ch != '`')
                return fail(sc, sc->pos, "unexpected character in label set, expected string");
            if (scan_string(sc, &value) < 0)
                return -1;
        } else if (name && (sc->src[sc->pos - 1] == '"' || sc->src[sc->pos - 1] == '\'' || sc->src[sc->pos - 1] == '`')) {
            value = name; /* a quoted name alone is the metric name */
            name = "__name__";
        } else {
            return fail(sc, sc->pos, "unexpected character in label set, expected \"=\"");
        }
        if (*npairs == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            struct label_pair *np = arena_alloc(sc->a, *cap * sizeof *np);
            if (*npairs)
                memcpy(np, *pairs, *npairs * sizeof *np);
            *pairs = np;
        }
        (*pairs)[(*npairs)++] = (struct label_pair){name, value};
        skip_space(sc);
        if (peek(sc) == ',') {
            sc->pos++;
            continue;
        }
        if (peek(sc) != '}')
            return fail(sc, sc->pos, "unexpected character in label set, expected \",\" or \"}\"");
    }
}

static int series_desc(const char *src, size_t len, struct arena *a, struct parse_series *out,
                       struct diag_list *diags, bool hist)
{
    struct series_scan sc = {.src = src, .len = len, .a = a, .diags = diags, .hist = hist};
    strbuf_init(&sc.sbuf);
    struct label_pair *pairs = NULL;
    size_t npairs = 0, cap = 0;
    int rc = -1;
    memset(out, 0, sizeof *out);
    skip_space(&sc);
    if (is_ident_start(peek(&sc))) {
        size_t s = sc.pos;
        while (sc.pos < len && is_ident(src[sc.pos]))
            sc.pos++;
        cap = 8;
        pairs = arena_alloc(a, cap * sizeof *pairs);
        pairs[npairs++] = (struct label_pair){"__name__", arena_strndup(a, src + s, sc.pos - s)};
    }
    if (peek(&sc) == '{' && scan_labels(&sc, &pairs, &npairs, &cap) < 0)
        goto done;
    if (npairs == 0 && sc.pos == 0 && len > 0 && !strchr(" \t\r\n", src[0])) {
        fail(&sc, 0, "unexpected character in series description, expected metric or \"{\"");
        goto done;
    }
    for (;;) {
        size_t before = sc.pos;
        skip_space(&sc);
        if (sc.pos >= len)
            break;
        if (sc.pos == before && before > 0) {
            fail(&sc, sc.pos, "unexpected character in series values, expected space");
            goto done;
        }
        if (scan_item(&sc) < 0)
            goto done;
    }
    if (npairs)
        qsort(pairs, npairs, sizeof *pairs, cmp_pair);
    out->nlabels = npairs;
    out->names = arena_alloc(a, (npairs + 1) * sizeof *out->names);
    out->values = arena_alloc(a, (npairs + 1) * sizeof *out->values);
    for (size_t i = 0; i < npairs; i++) {
        out->names[i] = pairs[i].name;
        out->values[i] = pairs[i].value;
    }
    out->nsamples = sc.n;
    out->samples = sc.n ? arena_memdup(a, sc.s, sc.n * sizeof *sc.s) : NULL;
    rc = 0;
done:
    free(sc.s);
    strbuf_release(&sc.sbuf);
    return rc;
}

int parse_series_desc(const char *src, size_t len, struct arena *a, struct parse_series *out,
                      struct diag_list *diags)
{
    return series_desc(src, len, a, out, diags, false);
}

int parse_series_desc_histograms(const char *src, size_t len, struct arena *a,
                                 struct parse_series *out, struct diag_list *diags)
{
    return series_desc(src, len, a, out, diags, true);
}
