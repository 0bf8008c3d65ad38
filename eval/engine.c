/* engine: the AST walker, selectors, subqueries, the range-query loop and
 * the final delayed __name__ removal. Operators live in binop.c and aggr.c,
 * functions in fn_*.c. */
#include "eval/engine.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "eval/ev.h"
#include "eval/fn.h"
#include "eval/fn_extended.h"
#include "eval/histogram.h"

#define DEFAULT_LOOKBACK_MS (5 * 60 * 1000)
#define DEFAULT_SUBQ_STEP_MS (60 * 1000)
#define DEFAULT_MAX_SAMPLES 50000000

int ev_fail(struct ev *ev, enum eval_error_type t, const char *fmt, ...)
{
    if (ev->err->type != EVAL_ERR_NONE)
        return -1; /* keep the first error */
    va_list ap;
    va_start(ap, fmt);
    ev->err->type = t;
    vsnprintf(ev->err->msg, sizeof ev->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static void add_annot(struct ev *ev, bool warn, const struct ast_node *pos, const char *detail,
                      const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void add_annot(struct ev *ev, bool warn, const struct ast_node *pos, const char *detail,
                      const char *fmt, va_list ap)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, warn ? "PromQL warning: " : "PromQL info: ");
    strbuf_vaddf(&sb, fmt, ap);
    struct engine_annot **list = warn ? &ev->ann->warn : &ev->ann->info;
    size_t *n = warn ? &ev->ann->nwarn : &ev->ann->ninfo;
    size_t *cap = warn ? &ev->ann->capw : &ev->ann->capi;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i].msg, sb.buf)) {
            strbuf_release(&sb);
            return; /* the first one wins, as Prometheus's generic annotations */
        }
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct engine_annot *nl = ARENA_NEWN(ev->keep, struct engine_annot, ncap);
        if (*n)
            memcpy(nl, *list, *n * sizeof *nl);
        *list = nl;
        *cap = ncap;
    }
    struct engine_annot *an = &(*list)[(*n)++];
    an->msg = arena_strdup(ev->keep, sb.buf);
    if (detail)
        strbuf_addstr(&sb, detail);
    if (pos && ev->src) {
        int line, col;
        diag_line_col(ev->src, ev->srclen, pos->pos.start, &line, &col);
        strbuf_addf(&sb, " (%d:%d)", line, col);
    }
    an->full = arena_strdup(ev->keep, sb.buf);
    strbuf_release(&sb);
}

void ev_warn(struct ev *ev, const struct ast_node *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_annot(ev, true, pos, NULL, fmt, ap);
    va_end(ap);
}

void ev_info(struct ev *ev, const struct ast_node *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_annot(ev, false, pos, NULL, fmt, ap);
    va_end(ap);
}

void ev_info_detail(struct ev *ev, const struct ast_node *pos, const char *detail, const char *fmt,
                    ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_annot(ev, false, pos, detail, fmt, ap);
    va_end(ap);
}

int ev_hold(struct ev *ev, size_t n)
{
    ev->cur_samples += n;
    if (ev->cur_samples > ev->max_samples)
        return ev_fail(ev, EVAL_ERR_EXECUTION,
                       "query processing would load too many samples into memory in query execution");
    return 0;
}

static size_t memo_hash(const void *node, const struct labels *in)
{
    return (size_t)(in->hash ^ ((uintptr_t)node * 0x9e3779b97f4a7c15ull));
}

const struct labels *ev_memo_get(struct ev *ev, const void *node, const struct labels *in)
{
    if (!ev->memo)
        return NULL;
    size_t j = memo_hash(node, in) & (ev->memo_cap - 1);
    while (ev->memo[j].in) {
        if (ev->memo[j].in == in && ev->memo[j].node == node)
            return ev->memo[j].out;
        j = (j + 1) & (ev->memo_cap - 1);
    }
    return NULL;
}

void ev_memo_put(struct ev *ev, const void *node, const struct labels *in, const struct labels *out)
{
    if ((ev->memo_len + 1) * 2 > ev->memo_cap) {
        size_t ncap = ev->memo_cap ? ev->memo_cap * 2 : 256;
        struct ev_memo_slot *nm = ARENA_NEWN(ev->keep, struct ev_memo_slot, ncap);
        for (size_t i = 0; i < ev->memo_cap; i++) {
            if (!ev->memo[i].in)
                continue;
            size_t j = memo_hash(ev->memo[i].node, ev->memo[i].in) & (ncap - 1);
            while (nm[j].in)
                j = (j + 1) & (ncap - 1);
            nm[j] = ev->memo[i];
        }
        ev->memo = nm;
        ev->memo_cap = ncap;
    }
    size_t j = memo_hash(node, in) & (ev->memo_cap - 1);
    while (ev->memo[j].in) {
        if (ev->memo[j].in == in && ev->memo[j].node == node) {
            ev->memo[j].out = out;
            return;
        }
        j = (j + 1) & (ev->memo_cap - 1);
    }
    ev->memo[j] = (struct ev_memo_slot){node, in, out};
    ev->memo_len++;
}

const struct labels *ev_without_name(struct ev *ev, const struct labels *ls)
{
    /* Prometheus drops the metadata labels together (DropReserved(IsMetadataLabel)). */
    if (!labels_has(ls, LABELS_METRIC_NAME) && !labels_has(ls, "__type__") &&
        !labels_has(ls, "__unit__"))
        return ls;
    static const char tag = 0; /* memo key for this transformation */
    const struct labels *r = ev_memo_get(ev, &tag, ls);
    if (r)
        return r;
    labels_builder_reset(&ev->lb, ls);
    labels_builder_del(&ev->lb, LABELS_METRIC_NAME);
    labels_builder_del(&ev->lb, "__type__");
    labels_builder_del(&ev->lb, "__unit__");
    r = labels_builder_finish(&ev->lb, &ev->lt);
    ev_memo_put(ev, &tag, ls, r);
    return r;
}

void ev_drop_name(struct ev *ev, struct vsample *s)
{
    if (ev->o->delayed_name_removal)
        s->drop_name = true;
    else
        s->ls = ev_without_name(ev, s->ls);
}

struct vsample *ev_vec_alloc(struct ev *ev, size_t n)
{
    return ARENA_NEWN(ev->a, struct vsample, n ? n : 1);
}

const struct ast_node *ev_unparen(const struct ast_node *n)
{
    while (n && n->kind == AST_PAREN)
        n = n->u.paren.expr;
    return n;
}

const char *ev_format_float(struct ev *ev, double v)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    /* The shortest digits that round-trip (as Go), then placed without an
     * exponent: Go pads with zeros where printf would print the exact
     * binary value (1e23 is "100000000000000000000000"). */
    char e[40];
    int prec = 0;
    for (; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    char digits[24];
    size_t nd = 0;
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char out[400];
    size_t k = 0;
    if (neg)
        out[k++] = '-';
    if (exp < 0) {
        out[k++] = '0';
        out[k++] = '.';
        for (int i = 0; i < -exp - 1; i++)
            out[k++] = '0';
        for (size_t i = 0; i < nd; i++)
            out[k++] = digits[i];
    } else {
        for (int i = 0; i <= exp; i++)
            out[k++] = (size_t)i < nd ? digits[i] : '0';
        if ((size_t)exp + 1 < nd) {
            out[k++] = '.';
            for (size_t i = (size_t)exp + 1; i < nd; i++)
                out[k++] = digits[i];
        }
    }
    out[k] = '\0';
    return arena_strdup(ev->keep, out);
}

/* ---- time and limits ---- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int check_deadline(struct ev *ev)
{
    if (ev->o->cancel && *ev->o->cancel)
        return ev_fail(ev, EVAL_ERR_CANCELED, "query was canceled in expression evaluation");
    if (!ev->deadline_ns || (++ev->tick & 63))
        return 0;
    if (now_ns() > ev->deadline_ns)
        return ev_fail(ev, EVAL_ERR_TIMEOUT, "query timed out in expression evaluation");
    return 0;
}

/* ---- planning and fetching selectors ---- */

static int64_t at_time(struct ev *ev, const struct ast_time_mod *tm, int64_t t)
{
    switch (tm->at) {
    case AST_AT_TIME: return tm->at_ms;
    case AST_AT_START: return ev->qstart;
    case AST_AT_END: return ev->qend;
    case AST_AT_NONE: break;
    }
    return t;
}

static void stats_hints(struct ev *ev, struct storage_series *ss, size_t n);

static int plan_fetch(struct ev *ev, const struct ast_node *vs, int64_t lo, int64_t hi, int64_t back,
                      const struct ast_node *owner)
{
    const struct ast_time_mod *tm = &vs->u.vs.tm;
    if (tm->at != AST_AT_NONE)
        lo = hi = at_time(ev, tm, lo);
    if (ev->prov && ev->o->fresh)
        back += ev->o->fresh->extra_window_ms; /* unchanged_for beyond the lookback */
    int64_t off = ev_offset_ms(ev, tm);
    int64_t mint = lo - off - back, maxt = hi - off + fn_ext_ahead_ms(ev, vs);
    struct ev_sel *s = &ev->sels[ev->nsels++];
    s->vs = vs;
    s->owner = owner;
    struct storage_series *ss = NULL;
    size_t n = 0;
    if (ev->st->select(ev->st, vs->u.vs.matchers, vs->u.vs.nmatchers, mint, maxt, ev->keep, &ss,
                       &n, ev->err) < 0) {
        if (ev->err->type == EVAL_ERR_NONE)
            ev_fail(ev, EVAL_ERR_INTERNAL, "storage select failed");
        return -1;
    }
    for (size_t i = 0; i < ev->nstats; i++)
        if (ev->stats_sels[i] == vs) {
            stats_hints(ev, ss, n);
            break;
        }
    s->ss = ss;
    s->n = n;
    s->ls = ARENA_NEWN(ev->keep, const struct labels *, n);
    for (size_t i = 0; i < n; i++)
        s->ls[i] = labels_import(&ev->lt, ss[i].ls);
    return 0;
}

/* Prometheus reads a selector whose histograms only feed histogram_count,
 * histogram_sum or histogram_avg (no subquery, quantile or fraction on the
 * way up) through its HistogramStatsIterator, which rebuilds unknown counter
 * reset hints by comparing each histogram with the previous one. */
static void find_stats_selectors(struct ev *ev, const struct ast_node *n, bool stats, bool blocked)
{
    switch (n->kind) {
    case AST_VECTOR_SELECTOR:
        if (stats && !blocked)
            ev->stats_sels[ev->nstats++] = n;
        return;
    case AST_MATRIX_SELECTOR:
        find_stats_selectors(ev, n->u.ms.vs, stats, blocked);
        return;
    case AST_SUBQUERY:
        find_stats_selectors(ev, n->u.sq.expr, stats, true);
        return;
    case AST_CALL:
        switch (n->u.call.fn->id) {
        case FN_HISTOGRAM_COUNT: case FN_HISTOGRAM_SUM: case FN_HISTOGRAM_AVG:
            stats = true;
            break;
        case FN_HISTOGRAM_QUANTILE: case FN_HISTOGRAM_QUANTILES: case FN_HISTOGRAM_FRACTION:
            blocked = true;
            break;
        default:
            break;
        }
        for (size_t i = 0; i < n->u.call.nargs; i++)
            find_stats_selectors(ev, n->u.call.args[i], stats, blocked);
        return;
    case AST_AGGREGATE:
        if (n->u.agg.param)
            find_stats_selectors(ev, n->u.agg.param, stats, blocked);
        find_stats_selectors(ev, n->u.agg.expr, stats, blocked);
        return;
    case AST_BINARY:
        find_stats_selectors(ev, n->u.bin.lhs, stats, blocked);
        find_stats_selectors(ev, n->u.bin.rhs, stats, blocked);
        return;
    case AST_UNARY:
        find_stats_selectors(ev, n->u.unary.expr, stats, blocked);
        return;
    case AST_PAREN:
        find_stats_selectors(ev, n->u.paren.expr, stats, blocked);
        return;
    default:
        return;
    }
}

/* The series of a stats-read selector with unknown hints rebuilt (copies in keep). */
static void stats_hints(struct ev *ev, struct storage_series *ss, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool any = false;
        for (size_t j = 0; j < ss[i].n && !any; j++)
            any = ss[i].pts[j].h != NULL;
        if (!any)
            continue;
        struct sample *p = arena_memdup(ev->keep, ss[i].pts, ss[i].n * sizeof *p);
        const struct histogram *last = NULL;
        for (size_t j = 0; j < ss[i].n; j++) {
            if (!p[j].h || p[j].h->hint != HISTOGRAM_HINT_UNKNOWN) {
                if (p[j].h)
                    last = p[j].h;
                continue;
            }
            struct histogram *c = arena_memdup(ev->keep, p[j].h, sizeof *c);
            if (last)
                c->hint = histogram_detect_reset(c, last) ? HISTOGRAM_HINT_RESET : HISTOGRAM_HINT_NOT_RESET;
            p[j].h = c;
            last = c;
        }
        ss[i].pts = p;
    }
}

static int count_selectors_cb(const struct ast_node *n, void *ctx)
{
    /* info() fetches one selector of its own */
    *(size_t *)ctx += n->kind == AST_VECTOR_SELECTOR ||
                      (n->kind == AST_CALL && n->u.call.fn->id == FN_INFO);
    return 0;
}

/* Fetches each selector once with the window all evaluation times need. */
static int plan(struct ev *ev, const struct ast_node *n, int64_t lo, int64_t hi)
{
    switch (n->kind) {
    case AST_NUMBER:
    case AST_STRING:
        return 0;
    case AST_VECTOR_SELECTOR:
        return plan_fetch(ev, n, lo, hi, ev->lookback_ms, NULL);
    case AST_MATRIX_SELECTOR:
        return plan_fetch(ev, n->u.ms.vs, lo, hi, ev_range_ms(ev, n) + fn_ext_behind_ms(ev, n->u.ms.vs), NULL);
    case AST_SUBQUERY: {
        const struct ast_time_mod *tm = &n->u.sq.tm;
        if (tm->at != AST_AT_NONE)
            lo = hi = at_time(ev, tm, lo);
        int64_t off = ev_offset_ms(ev, tm);
        return plan(ev, n->u.sq.expr, lo - off - ev_range_ms(ev, n), hi - off);
    }
    case AST_CALL:
        if (n->u.call.fn->id == FN_INFO) /* its second argument is a label filter, not a selector */
            return plan(ev, n->u.call.args[0], lo, hi) < 0 ? -1 : fn_info_plan(ev, n, lo, hi);
        for (size_t i = 0; i < n->u.call.nargs; i++)
            if (plan(ev, n->u.call.args[i], lo, hi) < 0)
                return -1;
        return 0;
    case AST_AGGREGATE:
        if (n->u.agg.param && plan(ev, n->u.agg.param, lo, hi) < 0)
            return -1;
        return plan(ev, n->u.agg.expr, lo, hi);
    case AST_BINARY:
        if (plan(ev, n->u.bin.lhs, lo, hi) < 0)
            return -1;
        return plan(ev, n->u.bin.rhs, lo, hi);
    case AST_UNARY:
        return plan(ev, n->u.unary.expr, lo, hi);
    case AST_PAREN:
        return plan(ev, n->u.paren.expr, lo, hi);
    }
    return 0;
}

int ev_plan_selector(struct ev *ev, const struct ast_node *vs, int64_t lo, int64_t hi,
                     const struct ast_node *owner)
{
    return plan_fetch(ev, vs, lo, hi, ev->lookback_ms, owner);
}

const struct ev_sel *ev_find_owned(const struct ev *ev, const struct ast_node *owner)
{
    for (size_t i = 0; i < ev->nsels; i++)
        if (ev->sels[i].owner == owner)
            return &ev->sels[i];
    return NULL;
}

static const struct ev_sel *find_sel(struct ev *ev, const struct ast_node *vs)
{
    for (size_t i = 0; i < ev->nsels; i++)
        if (ev->sels[i].vs == vs)
            return &ev->sels[i];
    return NULL;
}

/* Index of the first sample with time > t. */
static size_t upper_bound(const struct sample *p, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p[mid].t_ms <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether a (an earlier sample) continues the value of b: equal, or a staleness marker. */
static bool same_value(const struct sample *a, const struct sample *b)
{
    if (!a->h && value_is_stale_nan(a->v))
        return true;
    if (a->h || b->h)
        return a->h && b->h && histogram_equal(a->h, b->h);
    return a->v == b->v;
}

/* ref minus the start of the trailing run of equal values ending at index last. */
static int64_t unchanged_for(const struct sample *p, size_t last, int64_t ref)
{
    size_t i = last;
    while (i > 0 && same_value(&p[i - 1], &p[last]))
        i--;
    return ref - p[i].t_ms;
}

/* ---- selectors ---- */

int ev_vector_selector(struct ev *ev, const struct ast_node *n, int64_t t, bool own_time,
                       struct value *out)
{
    const struct ev_sel *s = find_sel(ev, n);
    if (!s)
        return ev_fail(ev, EVAL_ERR_INTERNAL, "selector was not planned");
    int64_t ref = at_time(ev, &n->u.vs.tm, t) - ev_offset_ms(ev, &n->u.vs.tm);
    bool smoothed = n->u.vs.ext == AST_EXT_SMOOTHED && !own_time; /* timestamp() reads raw samples, as upstream */
    struct vsample *vs = ev_vec_alloc(ev, s->n);
    if (ev->inputs)
        fresh_table_begin(ev->inputs, ev->a, s->ls, s->ss, s->n, ref);
    struct prov *provs = ev->prov ? prov_singles(ev->a, s->n) : NULL;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct storage_series *ss = &s->ss[i];
        size_t j = upper_bound(ss->pts, ss->n, ref);
        if (smoothed)
            j = fn_ext_skip_stale(ss->pts, j);
        if (j == 0)
            continue;
        const struct sample *p = &ss->pts[j - 1];
        if (p->t_ms <= ref - ev->lookback_ms || value_is_stale_nan(p->v))
            continue;
        vs[k].ls = s->ls[i];
        vs[k].v = p->v;
        vs[k].h = p->h;
        if (smoothed && !fn_ext_smooth(ev, n, ss->pts, ss->n, j - 1, ref, &vs[k]))
            continue;
        vs[k].t_ms = own_time ? p->t_ms : t;
        vs[k].drop_name = false;
        vs[k].prov = NULL;
        if (provs) {
            struct prov *pv = prov_singles_at(provs, k);
            if (ev->o->fresh)
                fresh_observe(ev->inputs, ev->o->fresh, i, s->ls[i], ss->pts, j - 1, ref, pv);
            else
                prov_single_set(pv, s->ls[i]->hash, ref - p->t_ms, unchanged_for(ss->pts, j - 1, ref), false);
            vs[k].prov = pv;
        }
        k++;
    }
    *ev->samples_read += k;
    if (ev_hold(ev, k) < 0)
        return -1;
    out->type = VALUE_VECTOR;
    out->u.vec.s = vs;
    out->u.vec.n = k;
    return 0;
}

static int eval_matrix_selector(struct ev *ev, const struct ast_node *n, int64_t t,
                                struct value *out, int64_t *ref_out)
{
    const struct ast_node *vsn = n->u.ms.vs;
    const struct ev_sel *s = find_sel(ev, vsn);
    if (!s)
        return ev_fail(ev, EVAL_ERR_INTERNAL, "selector was not planned");
    int64_t ref = at_time(ev, &vsn->u.vs.tm, t) - ev_offset_ms(ev, &vsn->u.vs.tm);
    int64_t from = ref - ev_range_ms(ev, n) - fn_ext_behind_ms(ev, vsn), to = ref + fn_ext_ahead_ms(ev, vsn);
    *ref_out = ref;
    struct series *ms = ARENA_NEWN(ev->a, struct series, s->n ? s->n : 1);
    if (ev->inputs)
        fresh_table_begin(ev->inputs, ev->a, s->ls, s->ss, s->n, ref);
    struct prov *provs = ev->prov ? prov_singles(ev->a, s->n) : NULL;
    size_t k = 0, total = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct storage_series *ss = &s->ss[i];
        size_t a = upper_bound(ss->pts, ss->n, from), b = upper_bound(ss->pts, ss->n, to);
        if (a >= b)
            continue;
        size_t stale = 0;
        bool has_hist = false;
        for (size_t j = a; j < b; j++) {
            stale += value_is_stale_nan(ss->pts[j].v);
            has_hist |= ss->pts[j].h != NULL;
        }
        struct sample *pts;
        size_t np = b - a - stale;
        if (np == 0)
            continue;
        if (!stale) {
            pts = (struct sample *)(ss->pts + a); /* read-only use by functions */
        } else {
            pts = ARENA_NEWN(ev->a, struct sample, np);
            size_t m = 0;
            for (size_t j = a; j < b; j++)
                if (!value_is_stale_nan(ss->pts[j].v))
                    pts[m++] = ss->pts[j];
        }
        ms[k].ls = s->ls[i];
        ms[k].pts = pts;
        ms[k].n = np;
        ms[k].drop_name = false;
        ms[k].has_hist = has_hist;
        ms[k].prov = NULL;
        if (provs) {
            struct prov *pv = prov_singles_at(provs, k);
            if (ev->o->fresh)
                fresh_observe(ev->inputs, ev->o->fresh, i, s->ls[i], ss->pts, b - 1, ref, pv);
            else
                prov_single_set(pv, s->ls[i]->hash, ref - pts[np - 1].t_ms, unchanged_for(pts, np - 1, ref),
                                false);
            ms[k].prov = pv;
        }
        total += np;
        k++;
    }
    *ev->samples_read += total;
    if (ev_hold(ev, total) < 0)
        return -1;
    out->type = VALUE_MATRIX;
    out->u.mat.s = ms;
    out->u.mat.n = k;
    return 0;
}

/* ---- accumulating per-step results into series ---- */

struct acc_series {
    bool has_hist;
    const struct labels *ls;
    struct sample *pts;
    size_t n, cap;
    const struct prov *prov;
    bool drop_name;
};

struct acc {
    struct ev *ev;
    struct arena *arena; /* owner of the series, points and provenance */
    struct acc_series *s;
    size_t n, cap;
    size_t *idx; /* open addressing over labels pointers: index+1, 0 empty */
    size_t icap;
};

static void acc_init(struct acc *ac, struct ev *ev, struct arena *arena)
{
    memset(ac, 0, sizeof *ac);
    ac->ev = ev;
    ac->arena = arena;
    ac->icap = 64;
    ac->idx = ARENA_NEWN(arena, size_t, ac->icap);
}

static struct acc_series *acc_get(struct acc *ac, const struct labels *ls, bool drop_name)
{
    size_t j = (size_t)ls->hash & (ac->icap - 1);
    while (ac->idx[j]) {
        struct acc_series *s = &ac->s[ac->idx[j] - 1];
        if (s->ls == ls)
            return s;
        j = (j + 1) & (ac->icap - 1);
    }
    if (ac->n == ac->cap) {
        size_t ncap = ac->cap ? ac->cap * 2 : 16;
        struct acc_series *ns = ARENA_NEWN(ac->arena, struct acc_series, ncap);
        if (ac->n)
            memcpy(ns, ac->s, ac->n * sizeof *ns);
        ac->s = ns;
        ac->cap = ncap;
    }
    struct acc_series *s = &ac->s[ac->n++];
    memset(s, 0, sizeof *s);
    s->ls = ls;
    s->drop_name = drop_name;
    ac->idx[j] = ac->n;
    if (ac->n * 2 > ac->icap) {
        size_t ncap = ac->icap * 2;
        size_t *ni = ARENA_NEWN(ac->arena, size_t, ncap);
        for (size_t i = 0; i < ac->n; i++) {
            size_t h = (size_t)ac->s[i].ls->hash & (ncap - 1);
            while (ni[h])
                h = (h + 1) & (ncap - 1);
            ni[h] = i + 1;
        }
        ac->idx = ni;
        ac->icap = ncap;
    }
    return s;
}

static void acc_add(struct acc *ac, const struct labels *ls, bool drop_name, int64_t t, double v,
                    const struct histogram *h, const struct prov *prov)
{
    struct acc_series *s = acc_get(ac, ls, drop_name);
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 8;
        struct sample *np = ARENA_NEWN(ac->arena, struct sample, ncap);
        if (s->n)
            memcpy(np, s->pts, s->n * sizeof *np);
        s->pts = np;
        s->cap = ncap;
    }
    s->pts[s->n].t_ms = t;
    s->pts[s->n].v = v;
    /* a step's histogram dies with the step's scratch: keep a copy */
    s->pts[s->n].h = h && ac->arena != ac->ev->a ? histogram_copy(ac->arena, h) : h;
    s->has_hist |= h != NULL;
    s->n++;
    if (!ac->ev->prov || !prov)
        return;
    const struct prov *m = prov_merge(ac->arena, s->prov, prov);
    /* the step's own summary dies with the step's scratch: keep a copy */
    s->prov = m == prov && ac->arena != ac->ev->a ? prov_copy(ac->arena, prov) : m;
}

static int acc_add_value(struct acc *ac, const struct value *v, int64_t t)
{
    switch (v->type) {
    case VALUE_VECTOR:
        for (size_t i = 0; i < v->u.vec.n; i++) {
            const struct vsample *s = &v->u.vec.s[i];
            acc_add(ac, s->ls, s->drop_name, t, s->v, s->h, s->prov);
        }
        return 0;
    case VALUE_SCALAR:
        acc_add(ac, labels_empty(&ac->ev->lt), false, t, v->u.scalar.v, NULL, v->u.scalar.prov);
        return 0;
    default:
        return ev_fail(ac->ev, EVAL_ERR_BAD_DATA, "unexpected value type in range evaluation");
    }
}

static struct matrix acc_matrix(struct acc *ac)
{
    struct matrix m;
    m.s = ARENA_NEWN(ac->arena, struct series, ac->n ? ac->n : 1);
    m.n = ac->n;
    for (size_t i = 0; i < ac->n; i++) {
        m.s[i].ls = ac->s[i].ls;
        m.s[i].pts = ac->s[i].pts;
        m.s[i].n = ac->s[i].n;
        m.s[i].prov = ac->s[i].prov;
        m.s[i].drop_name = ac->s[i].drop_name;
        m.s[i].has_hist = ac->s[i].has_hist;
    }
    return m;
}

/* ---- subqueries ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int eval_subquery(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out,
                         int64_t *ref_out)
{
    const struct ast_time_mod *tm = &n->u.sq.tm;
    int64_t ref = at_time(ev, tm, t) - ev_offset_ms(ev, tm);
    int64_t step = ev_subq_step_ms(ev, n);
    if (!step)
        step = ev->subq_step_ms;
    int64_t from = ref - ev_range_ms(ev, n);
    int64_t first = (floor_div(from, step) + 1) * step; /* strictly after from, aligned to 0 */
    *ref_out = ref;
    struct acc ac;
    acc_init(&ac, ev, ev->a);
    size_t held = ev->cur_samples;
    for (int64_t ti = first; ti <= ref; ti += step) {
        struct value v;
        if (check_deadline(ev) < 0 || ev_eval(ev, n->u.sq.expr, ti, &v) < 0)
            return -1;
        if (acc_add_value(&ac, &v, ti) < 0)
            return -1;
        ev->cur_samples = held; /* inner intermediate values are gone after each step */
    }
    out->type = VALUE_MATRIX;
    out->u.mat = acc_matrix(&ac);
    /* A subquery may skip or repeat raw samples, so the stored counter reset
     * hints no longer describe neighbours: they become unknown (Prometheus). */
    for (size_t i = 0; i < out->u.mat.n; i++)
        for (size_t j = 0; out->u.mat.s[i].has_hist && j < out->u.mat.s[i].n; j++) {
            struct sample *p = &out->u.mat.s[i].pts[j];
            if (p->h && (p->h->hint == HISTOGRAM_HINT_RESET || p->h->hint == HISTOGRAM_HINT_NOT_RESET)) {
                struct histogram *c = arena_memdup(ev->a, p->h, sizeof *c);
                c->hint = HISTOGRAM_HINT_UNKNOWN;
                p->h = c;
            }
        }
    size_t total = 0;
    for (size_t i = 0; i < out->u.mat.n; i++)
        total += out->u.mat.s[i].n;
    return ev_hold(ev, total);
}

/* ---- functions ---- */

struct vector fn_out_vec(struct fn_args *fa, size_t n)
{
    struct vector v = {ev_vec_alloc(fa->ev, n), 0};
    return v;
}

static int check_same_labelset(struct ev *ev, const struct vector *v)
{
    if (v->n < 2)
        return 0;
    size_t cap = 16;
    while (cap < v->n * 2)
        cap *= 2;
    const struct labels **set = ARENA_NEWN(ev->a, const struct labels *, cap);
    for (size_t i = 0; i < v->n; i++) {
        const struct labels *ls = v->s[i].ls;
        size_t j = (size_t)ls->hash & (cap - 1);
        while (set[j]) {
            if (set[j] == ls)
                return ev_fail(ev, EVAL_ERR_EXECUTION,
                               "vector cannot contain metrics with the same labelset");
            j = (j + 1) & (cap - 1);
        }
        set[j] = ls;
    }
    return 0;
}

/* Removes native histogram samples from a function argument, for the
 * functions that read floats only: vectors lose them silently, a range
 * holding both kinds keeps its floats with Prometheus's info. */
static void strip_histograms(struct ev *ev, const struct ast_node *call, struct value *v)
{
    if (v->type == VALUE_VECTOR) {
        size_t k = 0;
        for (size_t i = 0; i < v->u.vec.n; i++)
            if (!v->u.vec.s[i].h)
                k++;
        if (k == v->u.vec.n)
            return;
        struct vsample *s = ev_vec_alloc(ev, k);
        k = 0;
        for (size_t i = 0; i < v->u.vec.n; i++)
            if (!v->u.vec.s[i].h)
                s[k++] = v->u.vec.s[i];
        v->u.vec.s = s;
        v->u.vec.n = k;
        return;
    }
    if (v->type != VALUE_MATRIX)
        return;
    struct series *out = NULL;
    size_t ko = 0;
    for (size_t i = 0; i < v->u.mat.n; i++) {
        const struct series *se = &v->u.mat.s[i];
        size_t nh = 0;
        for (size_t j = 0; se->has_hist && j < se->n; j++)
            nh += se->pts[j].h != NULL;
        if (!out && nh == 0)
            continue;
        if (!out) {
            out = ARENA_NEWN(ev->a, struct series, v->u.mat.n);
            memcpy(out, v->u.mat.s, i * sizeof *out);
            ko = i;
        }
        if (nh == se->n)
            continue;
        out[ko] = *se;
        out[ko].has_hist = false;
        if (nh) {
            const char *name = labels_get(se->ls, LABELS_METRIC_NAME);
            ev_info(ev, call->u.call.args[0], "ignored histograms in a range containing both floats and histograms for metric name \"%s\"",
                    name ? name : "");
            struct sample *p = ARENA_NEWN(ev->a, struct sample, se->n - nh);
            size_t m = 0;
            for (size_t j = 0; j < se->n; j++)
                if (!se->pts[j].h)
                    p[m++] = se->pts[j];
            out[ko].pts = p;
            out[ko].n = m;
        }
        ko++;
    }
    if (out) {
        v->u.mat.s = out;
        v->u.mat.n = ko;
    }
}

static int eval_call(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out)
{
    const struct fn_info *fi = n->u.call.fn;
    size_t na = n->u.call.nargs;
    struct fn_args fa = {ev, n, ARENA_NEWN(ev->a, struct value, na ? na : 1), na, t, 0, t, AST_EXT_NONE};
    if (fi->id == FN_TIMESTAMP && na == 1) {
        const struct ast_node *arg = ev_unparen(n->u.call.args[0]);
        if (arg->kind == AST_VECTOR_SELECTOR) {
            if (ev_vector_selector(ev, arg, t, true, &fa.args[0]) < 0)
                return -1;
            return fn_timestamp(&fa, out);
        }
    }
    if (fi->id == FN_INFO) { /* evaluates only its first argument */
        if (ev_eval(ev, n->u.call.args[0], t, &fa.args[0]) < 0)
            return -1;
        return fn_info(&fa, out);
    }
    for (size_t i = 0; i < na; i++) {
        const struct ast_node *arg = n->u.call.args[i];
        const struct ast_node *u = ev_unparen(arg);
        if (u->kind == AST_MATRIX_SELECTOR) {
            fa.range_ms = ev_range_ms(ev, u);
            if (eval_matrix_selector(ev, u, t, &fa.args[i], &fa.ref_ms) < 0)
                return -1;
            if (u->u.ms.vs->u.vs.ext != AST_EXT_NONE && fn_ext_prepare(&fa, u, &fa.args[i]) < 0)
                return -1;
        } else if (u->kind == AST_SUBQUERY) {
            fa.range_ms = ev_range_ms(ev, u);
            if (eval_subquery(ev, u, t, &fa.args[i], &fa.ref_ms) < 0)
                return -1;
        } else if (ev_eval(ev, arg, t, &fa.args[i]) < 0) {
            return -1;
        }
    }
    if (!fn_sees_histograms(fi->id))
        for (size_t i = 0; i < na; i++)
            strip_histograms(ev, n, &fa.args[i]);
    if (ev->range_mode && (fi->id == FN_SORT || fi->id == FN_SORT_DESC ||
                           fi->id == FN_SORT_BY_LABEL || fi->id == FN_SORT_BY_LABEL_DESC))
        ev_warn(ev, n, "sort is ineffective for range queries since results are always ordered by labels");
    fn_impl impl = fn_table[fi->id];
    if (!impl)
        return ev_fail(ev, EVAL_ERR_BAD_DATA, "function %s is not supported", fi->name);
    if (impl(&fa, out) < 0)
        return -1;
    if (out->type == VALUE_VECTOR && !ev->o->delayed_name_removal &&
        check_same_labelset(ev, &out->u.vec) < 0)
        return -1;
    return 0;
}

/* ---- the walker ---- */

int ev_eval(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out)
{
    if (check_deadline(ev) < 0)
        return -1;
    switch (n->kind) {
    case AST_NUMBER:
        out->type = VALUE_SCALAR;
        out->u.scalar.v = n->u.number;
        out->u.scalar.prov = NULL;
        return 0;
    case AST_STRING:
        out->type = VALUE_STRING;
        out->u.str = n->u.string.val;
        return 0;
    case AST_PAREN:
        return ev_eval(ev, n->u.paren.expr, t, out);
    case AST_UNARY:
        if (ev_eval(ev, n->u.unary.expr, t, out) < 0)
            return -1;
        if (n->u.unary.op != '-')
            return 0;
        if (out->type == VALUE_SCALAR) {
            out->u.scalar.v = -out->u.scalar.v;
        } else if (out->type == VALUE_VECTOR) {
            struct vsample *s = ev_vec_alloc(ev, out->u.vec.n);
            for (size_t i = 0; i < out->u.vec.n; i++) {
                s[i] = out->u.vec.s[i];
                s[i].v = -s[i].v;
                if (s[i].h) {
                    struct histogram *h = histogram_copy(ev->a, s[i].h);
                    histogram_mul(h, -1);
                    s[i].h = h;
                }
                s[i].t_ms = t;
                ev_drop_name(ev, &s[i]);
            }
            out->u.vec.s = s;
            if (!ev->o->delayed_name_removal && check_same_labelset(ev, &out->u.vec) < 0)
                return -1;
        }
        return 0;
    case AST_VECTOR_SELECTOR:
        return ev_vector_selector(ev, n, t, false, out);
    case AST_MATRIX_SELECTOR: {
        int64_t ref;
        if (eval_matrix_selector(ev, n, t, out, &ref) < 0)
            return -1;
        return n->u.ms.vs->u.vs.ext != AST_EXT_NONE ? fn_ext_matrix(ev, n, ref, out) : 0;
    }
    case AST_SUBQUERY: {
        int64_t ref;
        return eval_subquery(ev, n, t, out, &ref);
    }
    case AST_CALL:
        return eval_call(ev, n, t, out);
    case AST_AGGREGATE:
        return aggr_eval(ev, n, t, out);
    case AST_BINARY:
        return binop_eval(ev, n, t, out);
    }
    return ev_fail(ev, EVAL_ERR_INTERNAL, "unknown expression node");
}

/* ---- entry points ---- */

static void ev_init(struct ev *ev, struct storage *st, const struct engine_opts *o,
                    const struct engine_query *q, struct arena *a, struct engine_result *res)
{
    memset(ev, 0, sizeof *ev);
    memset(res, 0, sizeof *res);
    ev->a = a;
    ev->keep = a;
    labels_table_init(&ev->lt, a, false);
    labels_builder_init(&ev->lb, a, NULL);
    ev->o = o;
    ev->lookback_ms = o->lookback_ms ? o->lookback_ms : DEFAULT_LOOKBACK_MS;
    ev->subq_step_ms = o->subquery_step_ms ? o->subquery_step_ms : DEFAULT_SUBQ_STEP_MS;
    ev->max_samples = o->max_samples ? o->max_samples : DEFAULT_MAX_SAMPLES;
    ev->st = st;
    ev->src = q->src;
    ev->srclen = q->srclen;
    ev->ann = &res->ann;
    ev->err = &res->err;
    ev->samples_read = &res->samples_read;
    ev->prov = !o->no_provenance;
    if (ev->prov && o->fresh)
        ev->inputs = &res->inputs;
    if (o->timeout_ms)
        ev->deadline_ns = now_ns() + o->timeout_ms * 1000000;
}

static int ev_prepare(struct ev *ev, const struct ast_node *expr, int64_t start, int64_t end)
{
    if (ev_check_durations(ev, expr) < 0)
        return -1;
    size_t nsel = 0;
    ast_walk(expr, count_selectors_cb, &nsel);
    ev->sels = ARENA_NEWN(ev->keep, struct ev_sel, nsel ? nsel : 1);
    ev->stats_sels = ARENA_NEWN(ev->keep, const struct ast_node *, nsel ? nsel : 1);
    find_stats_selectors(ev, expr, false, false);
    return plan(ev, expr, start, end);
}

/* Applies delayed __name__ removal to a vector; fails on collisions. */
static int finish_vector(struct ev *ev, struct vector *v)
{
    if (ev->o->delayed_name_removal)
        for (size_t i = 0; i < v->n; i++)
            if (v->s[i].drop_name) {
                v->s[i].ls = ev_without_name(ev, v->s[i].ls);
                v->s[i].drop_name = false;
            }
    return check_same_labelset(ev, v);
}

static int cmp_sample_t(const void *a, const void *b)
{
    const struct sample *x = a, *y = b;
    return x->t_ms < y->t_ms ? -1 : x->t_ms > y->t_ms;
}

/* Drops pending names in a matrix and merges series that then collide,
 * failing when they share a timestamp (mergeSeriesWithSameLabelset). */
static int finish_matrix(struct ev *ev, struct matrix *m)
{
    bool any = false;
    for (size_t i = 0; i < m->n; i++)
        if (m->s[i].drop_name) {
            m->s[i].ls = ev_without_name(ev, m->s[i].ls);
            m->s[i].drop_name = false;
            any = true;
        }
    if (!any && !ev->o->delayed_name_removal)
        return 0;
    struct acc ac;
    acc_init(&ac, ev, ev->keep);
    for (size_t i = 0; i < m->n; i++) {
        struct acc_series *s = acc_get(&ac, m->s[i].ls, false);
        if (s->n == 0) {
            s->pts = m->s[i].pts;
            s->n = s->cap = m->s[i].n;
            s->prov = m->s[i].prov;
            continue;
        }
        struct sample *np = ARENA_NEWN(ev->keep, struct sample, s->n + m->s[i].n);
        memcpy(np, s->pts, s->n * sizeof *np);
        memcpy(np + s->n, m->s[i].pts, m->s[i].n * sizeof *np);
        size_t tot = s->n + m->s[i].n;
        qsort(np, tot, sizeof *np, cmp_sample_t);
        for (size_t j = 1; j < tot; j++)
            if (np[j].t_ms == np[j - 1].t_ms)
                return ev_fail(ev, EVAL_ERR_EXECUTION,
                               "vector cannot contain metrics with the same labelset");
        s->pts = np;
        s->n = s->cap = tot;
        s->prov = ev->prov ? prov_merge(ev->keep, s->prov, m->s[i].prov) : NULL;
    }
    *m = acc_matrix(&ac);
    return 0;
}

static int cmp_series(const void *a, const void *b)
{
    const struct series *x = a, *y = b;
    return labels_compare(x->ls, y->ls);
}

void engine_sort_matrix(struct matrix *m)
{
    if (m->n > 1)
        qsort(m->s, m->n, sizeof m->s[0], cmp_series);
}

int engine_eval_instant(struct storage *st, const struct engine_opts *o,
                        const struct engine_query *q, int64_t t_ms, struct arena *a,
                        struct engine_result *res)
{
    struct ev ev;
    ev_init(&ev, st, o, q, a, res);
    ev.qstart = ev.qend = t_ms;
    if (ev_prepare(&ev, q->expr, t_ms, t_ms) < 0)
        return -1;
    if (ev_eval(&ev, q->expr, t_ms, &res->v) < 0)
        return -1;
    if (res->v.type == VALUE_VECTOR)
        return finish_vector(&ev, &res->v.u.vec);
    if (res->v.type == VALUE_MATRIX) {
        if (finish_matrix(&ev, &res->v.u.mat) < 0)
            return -1;
        engine_sort_matrix(&res->v.u.mat);
    }
    return 0;
}

int engine_eval_range(struct storage *st, const struct engine_opts *o, const struct engine_query *q,
                      int64_t start_ms, int64_t end_ms, int64_t step_ms, struct arena *a,
                      struct engine_result *res)
{
    struct ev ev;
    ev_init(&ev, st, o, q, a, res);
    ev.inputs = NULL; /* a table per step grows with the steps: instant evaluations only */
    if (step_ms <= 0)
        return ev_fail(&ev, EVAL_ERR_BAD_DATA, "zero or negative query resolution step widths are not accepted. Try a positive integer");
    ev.qstart = start_ms;
    ev.qend = end_ms;
    ev.qstep = step_ms;
    ev.range_mode = start_ms != end_ms;
    enum ast_type ty = ast_node_type(q->expr);
    if (ty != AST_TYPE_SCALAR && ty != AST_TYPE_VECTOR)
        return ev_fail(&ev, EVAL_ERR_BAD_DATA,
                       "invalid expression type \"%s\" for range query, must be Scalar or instant Vector",
                       ast_type_name(ty));
    if (ev_prepare(&ev, q->expr, start_ms, end_ms) < 0)
        return -1;
    struct acc ac;
    acc_init(&ac, &ev, a);
    /* Each step's intermediate values live in a scratch arena reset after
     * the step, so memory follows the result, not the number of steps. */
    struct arena scratch;
    arena_init(&scratch, 0);
    ev.a = &scratch;
    size_t points = 0;
    int rc = 0;
    for (int64_t t = start_ms; t <= end_ms && rc == 0; t += step_ms) {
        struct value v;
        ev.cur_samples = points;
        struct arena_mark m = arena_mark(&scratch);
        if (ev_eval(&ev, q->expr, t, &v) < 0 ||
            (v.type == VALUE_VECTOR && !o->delayed_name_removal &&
             check_same_labelset(&ev, &v.u.vec) < 0) ||
            acc_add_value(&ac, &v, t) < 0)
            rc = -1;
        else
            points += v.type == VALUE_VECTOR ? v.u.vec.n : 1;
        arena_reset(&scratch, m);
    }
    arena_release(&scratch);
    ev.a = a;
    if (rc < 0)
        return -1;
    res->v.type = VALUE_MATRIX;
    res->v.u.mat = acc_matrix(&ac);
    if (finish_matrix(&ev, &res->v.u.mat) < 0)
        return -1;
    engine_sort_matrix(&res->v.u.mat);
    return 0;
}
