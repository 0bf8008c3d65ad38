/* fn_info: info(v [, {label filter}]) (experimental in Prometheus): adds to
 * each series of v the data labels of the info metrics (target_info unless
 * the filter names others) that share its identifying labels instance and
 * job, as Prometheus's promql/info.go. The info series are fetched once at
 * planning time through a selector made up from the filter.
 * Ownership rule: the made-up selector and its regex live in ev->keep. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "eval/fn.h"

static const char *const identifying[] = {"instance", "job"};

static void free_code(void *p)
{
    pcre2_code_free(p);
}

/* The @ and offset info() applies: those of the first selector of its
 * argument, completed by the offsets of enclosing subqueries up to one with @. */
static bool first_selector_time(const struct ev *ev, const struct ast_node *n, const struct ast_node **subq,
                                size_t nsubq, struct ast_time_mod *tm)
{
    const struct ast_node *stack[64];
    if (nsubq >= 64)
        return false;
    if (nsubq)
        memcpy(stack, subq, nsubq * sizeof *stack);
    switch (n->kind) {
    case AST_VECTOR_SELECTOR:
        *tm = n->u.vs.tm;
        tm->offset_ms = ev_offset_ms(ev, &n->u.vs.tm); /* duration expressions resolved */
        tm->offset_expr = NULL;
        for (size_t i = nsubq; tm->at == AST_AT_NONE && i-- > 0;) {
            tm->offset_ms += ev_offset_ms(ev, &stack[i]->u.sq.tm);
            tm->at = stack[i]->u.sq.tm.at;
            tm->at_ms = stack[i]->u.sq.tm.at_ms;
        }
        return true;
    case AST_MATRIX_SELECTOR:
        return first_selector_time(ev, n->u.ms.vs, subq, nsubq, tm);
    case AST_SUBQUERY:
        stack[nsubq] = n;
        return first_selector_time(ev, n->u.sq.expr, stack, nsubq + 1, tm);
    case AST_CALL:
        for (size_t i = 0; i < n->u.call.nargs; i++)
            if (first_selector_time(ev, n->u.call.args[i], subq, nsubq, tm))
                return true;
        return false;
    case AST_AGGREGATE:
        return first_selector_time(ev, n->u.agg.expr, subq, nsubq, tm) ||
               (n->u.agg.param && first_selector_time(ev, n->u.agg.param, subq, nsubq, tm));
    case AST_BINARY:
        return first_selector_time(ev, n->u.bin.lhs, subq, nsubq, tm) ||
               first_selector_time(ev, n->u.bin.rhs, subq, nsubq, tm);
    case AST_UNARY:
        return first_selector_time(ev, n->u.unary.expr, subq, nsubq, tm);
    case AST_PAREN:
        return first_selector_time(ev, n->u.paren.expr, subq, nsubq, tm);
    default:
        return false;
    }
}

int fn_info_plan(struct ev *ev, const struct ast_node *call, int64_t lo, int64_t hi)
{
    const struct ast_node *filter = call->u.call.nargs > 1 ? call->u.call.args[1] : NULL;
    size_t nf = filter ? filter->u.vs.nmatchers : 0;
    struct ast_matcher *m = ARENA_NEWN(ev->keep, struct ast_matcher, nf + 2);
    size_t k = 0, nname = 0;
    bool positive = false;
    for (size_t i = 0; i < nf; i++) {
        m[k] = filter->u.vs.matchers[i];
        if (!strcmp(m[k].name, LABELS_METRIC_NAME)) {
            nname++;
            positive |= m[k].op == AST_MATCH_EQ || m[k].op == AST_MATCH_RE;
        }
        k++;
    }
    /* effectiveInfoNameMatchers */
    if (nname == 0) {
        m[k++] = (struct ast_matcher){AST_MATCH_EQ, LABELS_METRIC_NAME, "target_info", NULL, false};
    } else if (!positive) {
        int errc;
        PCRE2_SIZE off;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR) "(?s:.+_info)", PCRE2_ZERO_TERMINATED,
                                       PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF, &errc, &off,
                                       NULL);
        if (!re)
            return ev_fail(ev, EVAL_ERR_INTERNAL, "cannot compile the info metric name pattern");
        arena_on_release(ev->keep, free_code, re);
        m[k++] = (struct ast_matcher){AST_MATCH_RE, LABELS_METRIC_NAME, ".+_info", re, false};
    }
    struct ast_node *vs = ARENA_NEW(ev->keep, struct ast_node);
    vs->kind = AST_VECTOR_SELECTOR;
    vs->pos = call->pos;
    vs->u.vs.matchers = m;
    vs->u.vs.nmatchers = k;
    struct ast_time_mod tm = {0};
    first_selector_time(ev, call->u.call.args[0], NULL, 0, &tm);
    vs->u.vs.tm = tm;
    return ev_plan_selector(ev, vs, lo, hi, call);
}

/* The join key of a series for one info metric: {__name__=name, instance, job}. */
static const struct labels *join_key(struct ev *ev, const char *name, const struct labels *ls)
{
    struct label l[3] = {{LABELS_METRIC_NAME, name}};
    size_t n = 1;
    for (size_t i = 0; i < 2; i++) {
        const char *v = labels_get(ls, identifying[i]);
        if (v)
            l[n++] = (struct label){identifying[i], v};
    }
    return labels_intern(&ev->lt, l, n);
}

struct info_entry {
    const struct labels *key;  /* join key */
    const struct vsample *s;   /* the newest info sample for the key */
    const struct vsample *dup; /* another one with the same time: an error if used */
};

int fn_info(struct fn_args *fa, struct value *out)
{
    struct ev *ev = fa->ev;
    const struct ev_sel *sel = ev_find_owned(ev, fa->call);
    if (!sel)
        return ev_fail(ev, EVAL_ERR_INTERNAL, "info(): selector was not planned");
    const struct ast_node *isel = sel->vs;
    const struct vector *base = &fa->args[0].u.vec;
    struct value iv;
    if (ev_vector_selector(ev, isel, fa->t, true, &iv) < 0)
        return -1;
    const struct vector *info = &iv.u.vec;

    /* the info metric names in play, and the data-label matchers */
    const char **names = ARENA_NEWN(ev->a, const char *, sel->n + 1);
    size_t nnames = 0;
    for (size_t i = 0; i < sel->n; i++) {
        const char *nm = labels_get(sel->ls[i], LABELS_METRIC_NAME);
        bool seen = !nm;
        for (size_t j = 0; j < nnames && !seen; j++)
            seen = !strcmp(names[j], nm);
        if (!seen)
            names[nnames++] = nm;
    }
    const struct ast_matcher *dm = isel->u.vs.matchers;
    size_t ndm = isel->u.vs.nmatchers;
    size_t ndata = 0;
    for (size_t j = 0; j < ndm; j++)
        ndata += strcmp(dm[j].name, LABELS_METRIC_NAME) != 0;

    /* newest info sample per join key */
    struct info_entry *e = ARENA_NEWN(ev->a, struct info_entry, info->n + 1);
    size_t ne = 0;
    for (size_t i = 0; i < info->n; i++) {
        const struct vsample *s = &info->s[i];
        const char *nm = labels_get(s->ls, LABELS_METRIC_NAME);
        const struct labels *key = join_key(ev, nm, s->ls);
        /* An info series a base series would join with must be a float. */
        for (size_t b = 0; s->h && b < base->n; b++)
            if (join_key(ev, nm, base->s[b].ls) == key)
                return ev_fail(ev, EVAL_ERR_EXECUTION, "info sample should be float");
        size_t j = 0;
        while (j < ne && e[j].key != key)
            j++;
        if (j == ne) {
            e[ne++] = (struct info_entry){key, s, NULL};
        } else if (s->t_ms > e[j].s->t_ms) {
            e[j].s = s;
            e[j].dup = NULL;
        } else if (s->t_ms == e[j].s->t_ms) {
            e[j].dup = s;
        }
    }

    struct vector v = fn_out_vec(fa, base->n);
    struct labels_builder add;
    labels_builder_init(&add, ev->a, NULL);
    for (size_t b = 0; b < base->n; b++) {
        const struct vsample *bs = &base->s[b];
        /* a base series that is itself an info metric passes unchanged */
        const char *bname = labels_get(bs->ls, LABELS_METRIC_NAME);
        bool is_info = true;
        for (size_t j = 0; j < ndm && is_info; j++)
            if (!strcmp(dm[j].name, LABELS_METRIC_NAME))
                is_info = ast_matcher_matches(&dm[j], bname ? bname : "", bname ? strlen(bname) : 0);
        if (is_info) {
            v.s[v.n] = *bs;
            v.s[v.n++].t_ms = fa->t;
            continue;
        }
        labels_builder_reset(&add, NULL);
        const struct prov *prov = bs->prov;
        size_t seen = 0;
        for (size_t k = 0; k < nnames; k++) {
            const struct labels *key = join_key(ev, names[k], bs->ls);
            size_t j = 0;
            while (j < ne && e[j].key != key)
                j++;
            if (j == ne)
                continue;
            if (e[j].dup) {
                struct strbuf x = STRBUF_INIT, y = STRBUF_INIT;
                labels_format(&x, e[j].s->ls);
                labels_format(&y, e[j].dup->ls);
                ev_fail(ev, EVAL_ERR_EXECUTION,
                        "found duplicate series for info metric: existing %s @ %lld, new %s @ %lld",
                        x.buf, (long long)e[j].s->t_ms, y.buf, (long long)e[j].dup->t_ms);
                strbuf_release(&x);
                strbuf_release(&y);
                return -1;
            }
            const struct labels *il = e[j].s->ls;
            for (size_t l = 0; l < il->n; l++) {
                const char *ln = il->l[l].name, *lv = il->l[l].value;
                if (!strcmp(ln, LABELS_METRIC_NAME))
                    continue;
                if (ndata) {
                    bool wanted = false;
                    for (size_t d = 0; d < ndm && !wanted; d++)
                        wanted = !strcmp(dm[d].name, ln);
                    if (!wanted)
                        continue;
                }
                const char *have = labels_builder_get(&add, ln);
                if (have && strcmp(have, lv))
                    return ev_fail(ev, EVAL_ERR_EXECUTION, "conflicting label: %s", ln);
                if (labels_has(bs->ls, ln))
                    continue;
                labels_builder_set(&add, ln, lv);
            }
            prov = ev_prov_merge(ev, prov, e[j].s->prov);
            seen++;
        }
        if (seen == 0) {
            bool all_empty = true;
            for (size_t d = 0; d < ndm && all_empty; d++)
                if (strcmp(dm[d].name, LABELS_METRIC_NAME))
                    all_empty = ast_matcher_matches(&dm[d], "", 0);
            if (!all_empty)
                continue;
        }
        labels_builder_reset(&ev->lb, bs->ls);
        for (size_t l = 0; l < add.n; l++)
            labels_builder_set(&ev->lb, add.items[l].name, add.items[l].value);
        v.s[v.n] = *bs;
        v.s[v.n].ls = labels_builder_finish(&ev->lb, &ev->lt);
        v.s[v.n].t_ms = fa->t;
        v.s[v.n].prov = prov;
        v.n++;
    }
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}
