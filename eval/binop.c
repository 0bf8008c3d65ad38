/* binop: binary operators — scalar/scalar, vector/scalar and vector/vector
 * with one-to-one, many-to-one/one-to-many and set matching, Prometheus's
 * error texts and __name__ rules (VectorBinop, VectorscalarBinop, resultMetric). */
#include <math.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "eval/ev.h"
#include "eval/histogram.h"

double binop_scalar(enum ast_binop op, double l, double r)
{
    switch (op) {
    case AST_OP_ADD: return l + r;
    case AST_OP_SUB: return l - r;
    case AST_OP_MUL: return l * r;
    case AST_OP_DIV: return l / r;
    case AST_OP_POW: return pow(l, r);
    case AST_OP_MOD: return fmod(l, r);
    case AST_OP_ATAN2: return atan2(l, r);
    case AST_OP_EQLC: return l == r;
    case AST_OP_NEQ: return l != r;
    case AST_OP_GTR: return l > r;
    case AST_OP_LSS: return l < r;
    case AST_OP_GTE: return l >= r;
    case AST_OP_LTE: return l <= r;
    default: return NAN;
    }
}

static bool changes_schema(enum ast_binop op)
{
    switch (op) {
    case AST_OP_ADD: case AST_OP_SUB: case AST_OP_MUL: case AST_OP_DIV:
    case AST_OP_POW: case AST_OP_MOD: case AST_OP_ATAN2:
        return true;
    default:
        return false;
    }
}

/* The trim operators exist for native histograms only: a float operand
 * takes the histogram path, which refuses it with an info. */
static bool is_trim(enum ast_binop op)
{
    return op == AST_OP_TRIM_UPPER || op == AST_OP_TRIM_LOWER;
}

/* Value and keep flag of one element operation (vectorElemBinop, floats). */
static double elem(enum ast_binop op, double l, double r, bool *keep)
{
    *keep = true;
    if (ast_binop_is_comparison(op)) {
        *keep = binop_scalar(op, l, r) != 0;
        return l;
    }
    return binop_scalar(op, l, r);
}

enum { ELEM_OK = 0, ELEM_SKIP_INFO, ELEM_SKIP_LAYOUT, ELEM_COLLISION };

/* vectorElemBinop when a histogram is involved: sets *v, *h and *keep, or
 * returns why the pair yields nothing (an info on incompatible sample types,
 * or a warning on incompatible bucket layouts). */
static int elem_hist(struct ev *ev, enum ast_binop op, double fl, double fr,
                     const struct histogram *hl, const struct histogram *hr, double *v,
                     const struct histogram **h, bool *keep, unsigned *flags)
{
    *keep = true;
    *v = 0;
    *h = NULL;
    *flags = 0;
    if (!hl) {
        if (op != AST_OP_MUL)
            return ELEM_SKIP_INFO;
        struct histogram *r = histogram_copy(ev->a, hr);
        histogram_mul(r, fl);
        *h = r;
        return ELEM_OK;
    }
    if (!hr) {
        if (op != AST_OP_MUL && op != AST_OP_DIV && !is_trim(op))
            return ELEM_SKIP_INFO;
        struct histogram *r = histogram_copy(ev->a, hl);
        if (op == AST_OP_MUL)
            histogram_mul(r, fr);
        else if (op == AST_OP_DIV)
            histogram_div(r, fr);
        else
            histogram_trim(r, fr, op == AST_OP_TRIM_UPPER);
        *h = r;
        return ELEM_OK;
    }
    switch (op) {
    case AST_OP_ADD:
    case AST_OP_SUB: {
        struct histogram *r = histogram_copy(ev->a, hl);
        if (histogram_add(ev->a, r, hr, op == AST_OP_SUB, flags) < 0)
            return ELEM_SKIP_LAYOUT;
        if (op == AST_OP_SUB)
            r->hint = HISTOGRAM_HINT_GAUGE;
        *h = r;
        return (*flags & HISTOGRAM_OP_RESET_COLLISION) ? ELEM_COLLISION : ELEM_OK;
    }
    case AST_OP_EQLC:
    case AST_OP_NEQ: {
        bool eq = histogram_equal(hl, hr);
        *keep = op == AST_OP_EQLC ? eq : !eq;
        *h = hl;
        return ELEM_OK;
    }
    default:
        return ELEM_SKIP_INFO;
    }
}

static void elem_hist_annot(struct ev *ev, const struct ast_node *n, int st, bool lh, bool rh,
                            unsigned flags)
{
    enum ast_binop op = n->u.bin.op;
    if (st == ELEM_SKIP_INFO)
        ev_info(ev, n, "incompatible sample types encountered for binary operator \"%s\": %s %s %s",
                ast_binop_name(op), lh ? "histogram" : "float", ast_binop_name(op),
                rh ? "histogram" : "float");
    else if (st == ELEM_SKIP_LAYOUT)
        ev_warn(ev, n, "incompatible bucket layout encountered for binary operator %s",
                ast_binop_name(op));
    else if (st == ELEM_COLLISION)
        ev_warn(ev, n, "conflicting counter resets during histogram %s",
                op == AST_OP_SUB ? "subtraction" : "addition");
    if (flags & HISTOGRAM_OP_RECONCILED)
        ev_info(ev, n, "mismatched custom buckets were reconciled during %s",
                op == AST_OP_SUB ? "subtraction" : "addition");
}

static int vector_scalar(struct ev *ev, const struct ast_node *n, const struct vector *vec,
                         double sc, const struct prov *sprov, bool swap, int64_t t,
                         struct value *out)
{
    enum ast_binop op = n->u.bin.op;
    bool rb = n->u.bin.return_bool;
    struct vsample *o = ev_vec_alloc(ev, vec->n);
    size_t k = 0;
    for (size_t i = 0; i < vec->n; i++) {
        double l = vec->s[i].v, r = sc, keepv;
        if (swap)
            l = sc, r = vec->s[i].v;
        bool keep;
        const struct histogram *hv = NULL;
        double v;
        if (vec->s[i].h || is_trim(op)) {
            unsigned flags;
            int st = elem_hist(ev, op, l, r, swap ? NULL : vec->s[i].h, swap ? vec->s[i].h : NULL,
                               &v, &hv, &keep, &flags);
            elem_hist_annot(ev, n, st, !swap, swap, flags);
            if (st == ELEM_SKIP_INFO || st == ELEM_SKIP_LAYOUT)
                continue;
            if (ast_binop_is_comparison(op))
                hv = vec->s[i].h;
        } else {
            v = elem(op, l, r, &keep);
        }
        if (ast_binop_is_comparison(op) && swap)
            v = r; /* the vector's value survives a scalar-on-left comparison */
        keepv = v;
        if (rb) {
            keepv = keep ? 1 : 0;
            keep = true;
        }
        if (!keep)
            continue;
        o[k] = vec->s[i];
        o[k].v = keepv;
        o[k].h = rb ? NULL : hv;
        o[k].t_ms = t;
        o[k].prov = ev_prov_merge(ev, vec->s[i].prov, sprov);
        if (changes_schema(op) || rb)
            ev_drop_name(ev, &o[k]);
        k++;
    }
    out->type = VALUE_VECTOR;
    out->u.vec.s = o;
    out->u.vec.n = k;
    return 0;
}

/* ---- signatures ---- */

struct sigmap {
    const struct labels **key; /* signature sets (interned) */
    size_t *val;               /* ordinal + 1 */
    size_t cap;
    size_t n;
};

static void sigmap_init(struct sigmap *m, struct ev *ev, size_t hint)
{
    m->cap = 16;
    while (m->cap < hint * 2 + 2)
        m->cap *= 2;
    m->key = ARENA_NEWN(ev->a, const struct labels *, m->cap);
    m->val = ARENA_NEWN(ev->a, size_t, m->cap);
    m->n = 0;
}

/* Ordinal of sig, inserting when new. */
static size_t sigmap_ord(struct sigmap *m, const struct labels *sig)
{
    size_t j = (size_t)sig->hash & (m->cap - 1);
    while (m->key[j]) {
        if (m->key[j] == sig)
            return m->val[j] - 1;
        j = (j + 1) & (m->cap - 1);
    }
    m->key[j] = sig;
    m->val[j] = ++m->n;
    return m->n - 1;
}

static const struct labels *signature(struct ev *ev, const struct labels *ls,
                                      const struct ast_matching *mt)
{
    const void *key = mt ? (const void *)mt : (const void *)&ev->lb; /* memo tag */
    const struct labels *memo = ev_memo_get(ev, key, ls);
    if (memo)
        return memo;
    labels_builder_reset(&ev->lb, ls);
    if (mt && mt->on) {
        labels_builder_keep(&ev->lb, mt->labels, mt->nlabels);
    } else {
        if (mt)
            for (size_t i = 0; i < mt->nlabels; i++)
                labels_builder_del(&ev->lb, mt->labels[i]);
        labels_builder_del(&ev->lb, LABELS_METRIC_NAME);
    }
    memo = labels_builder_finish(&ev->lb, &ev->lt);
    ev_memo_put(ev, key, ls, memo);
    return memo;
}

static size_t *sig_ordinals(struct ev *ev, struct sigmap *m, const struct vector *v,
                            const struct ast_matching *mt)
{
    size_t *o = ARENA_NEWN(ev->a, size_t, v->n ? v->n : 1);
    for (size_t i = 0; i < v->n; i++)
        o[i] = sigmap_ord(m, signature(ev, v->s[i].ls, mt));
    return o;
}

static int set_op(struct ev *ev, const struct ast_node *n, const struct vector *l,
                  const struct vector *r, struct value *out)
{
    const struct ast_matching *mt = n->u.bin.matching;
    enum ast_binop op = n->u.bin.op;
    struct vsample *o = ev_vec_alloc(ev, l->n + r->n);
    size_t k = 0;
    out->type = VALUE_VECTOR;
    if (op == AST_OP_LAND && (l->n == 0 || r->n == 0)) {
        out->u.vec.s = o;
        out->u.vec.n = 0;
        return 0;
    }
    struct sigmap m;
    sigmap_init(&m, ev, l->n + r->n);
    size_t *lo = sig_ordinals(ev, &m, l, mt), *ro = sig_ordinals(ev, &m, r, mt);
    bool *inr = ARENA_NEWN(ev->a, bool, m.n + 1), *inl = ARENA_NEWN(ev->a, bool, m.n + 1);
    const struct prov **rprov = ARENA_NEWN(ev->a, const struct prov *, m.n + 1);
    for (size_t i = 0; i < r->n; i++) {
        inr[ro[i]] = true;
        rprov[ro[i]] = ev_prov_merge(ev, rprov[ro[i]], r->s[i].prov);
    }
    switch (op) {
    case AST_OP_LAND:
        for (size_t i = 0; i < l->n; i++)
            if (inr[lo[i]]) {
                o[k] = l->s[i];
                o[k].prov = ev_prov_merge(ev, l->s[i].prov, rprov[lo[i]]);
                k++;
            }
        break;
    case AST_OP_LOR:
        for (size_t i = 0; i < l->n; i++) {
            inl[lo[i]] = true;
            o[k++] = l->s[i];
        }
        for (size_t i = 0; i < r->n; i++)
            if (!inl[ro[i]])
                o[k++] = r->s[i];
        break;
    default: /* unless */
        for (size_t i = 0; i < l->n; i++)
            if (!inr[lo[i]])
                o[k++] = l->s[i];
        break;
    }
    out->u.vec.s = o;
    out->u.vec.n = k;
    return 0;
}

static const struct labels *result_metric(struct ev *ev, const struct labels *l,
                                          const struct labels *r, enum ast_binop op,
                                          const struct ast_matching *mt, bool drop_name)
{
    labels_builder_reset(&ev->lb, l);
    if (drop_name || changes_schema(op)) {
        labels_builder_del(&ev->lb, LABELS_METRIC_NAME);
        labels_builder_del(&ev->lb, "__type__");
        labels_builder_del(&ev->lb, "__unit__");
    }
    if (!mt || mt->card == AST_CARD_ONE_TO_ONE) {
        if (mt && mt->on)
            labels_builder_keep(&ev->lb, mt->labels, mt->nlabels);
        else if (mt)
            for (size_t i = 0; i < mt->nlabels; i++)
                labels_builder_del(&ev->lb, mt->labels[i]);
    }
    if (mt)
        for (size_t i = 0; i < mt->ninclude; i++)
            labels_builder_set(&ev->lb, mt->include[i], labels_get(r, mt->include[i]));
    return labels_builder_finish(&ev->lb, &ev->lt);
}

static const struct labels *match_labels(struct ev *ev, const struct labels *ls,
                                         const struct ast_matching *mt)
{
    /* MatchLabels: the on labels, or everything but the ignoring labels and __name__. */
    return signature(ev, ls, mt);
}

/* State of one vector/vector matching (VectorBinop). */
struct vv {
    const struct ast_node *n;
    const struct ast_matching *mt;
    enum ast_card card;
    size_t *matched;           /* per signature: pairs produced (fill_left looks at it) */
    const struct labels **pkey; /* many-to-one: (result labels, signature) pairs produced */
    size_t *pord;
    size_t pcap;
    struct vsample *o;         /* output */
    size_t k;
};

/* One matched (or filled) pair: ls from the "many" side, rs from the "one" side. */
static int vv_pair(struct ev *ev, struct vv *st, const struct vsample *ls, const struct vsample *rs,
                   size_t sig, int64_t t)
{
    enum ast_binop op = st->n->u.bin.op;
    bool rb = st->n->u.bin.return_bool;
    double fl = ls->v, fr = rs->v;
    if (st->card == AST_CARD_ONE_TO_MANY)
        fl = rs->v, fr = ls->v;
    bool keep;
    double v;
    const struct histogram *hv = NULL;
    if (ls->h || rs->h || is_trim(op)) {
        const struct histogram *hl = ls->h, *hr = rs->h;
        if (st->card == AST_CARD_ONE_TO_MANY)
            hl = rs->h, hr = ls->h;
        unsigned flags;
        int stt = elem_hist(ev, op, fl, fr, hl, hr, &v, &hv, &keep, &flags);
        elem_hist_annot(ev, st->n, stt, hl != NULL, hr != NULL, flags);
        if (stt != ELEM_OK)
            return 0;
    } else {
        v = elem(op, fl, fr, &keep);
    }
    if (rb) {
        v = keep ? 1 : 0;
        hv = NULL;
    }
    bool delayed = ev->o->delayed_name_removal;
    const struct labels *met = result_metric(ev, ls->ls, rs->ls, op, st->mt, !delayed && rb);
    if (st->card == AST_CARD_ONE_TO_ONE) {
        if (st->matched[sig])
            return ev_fail(ev, EVAL_ERR_EXECUTION,
                           "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
    } else {
        /* a repeated (signature, result labels) pair is a collision */
        size_t h = ((size_t)met->hash ^ (sig * 0x9e3779b97f4a7c15ull)) & (st->pcap - 1);
        while (st->pkey[h]) {
            if (st->pkey[h] == met && st->pord[h] == sig)
                return ev_fail(ev, EVAL_ERR_EXECUTION,
                               "multiple matches for labels: grouping labels must ensure unique matches");
            h = (h + 1) & (st->pcap - 1);
        }
        st->pkey[h] = met;
        st->pord[h] = sig;
    }
    st->matched[sig]++;
    if (!keep && !rb)
        return 0;
    struct vsample *o = &st->o[st->k++];
    o->ls = met;
    o->v = v;
    o->h = hv;
    o->t_ms = t;
    o->drop_name = delayed && rb;
    o->prov = ev_prov_merge(ev, ls->prov, rs->prov);
    return 0;
}

/* The stand-in for a missing sample: the present one's match labels and the fill value. */
static struct vsample fill_sample(struct ev *ev, const struct vsample *present,
                                  const struct ast_matching *mt, double v)
{
    struct vsample s;
    memset(&s, 0, sizeof s);
    s.ls = match_labels(ev, present->ls, mt);
    s.v = v;
    s.t_ms = present->t_ms;
    return s;
}

static int vector_vector(struct ev *ev, const struct ast_node *n, const struct vector *l0,
                         const struct vector *r0, int64_t t, struct value *out)
{
    const struct ast_matching *mt = n->u.bin.matching;
    bool fill_l = mt && mt->fill_lhs, fill_r = mt && mt->fill_rhs;
    struct vv st = {.n = n, .mt = mt, .card = mt ? mt->card : AST_CARD_ONE_TO_ONE};
    out->type = VALUE_VECTOR;
    out->u.vec.n = 0;
    out->u.vec.s = ev_vec_alloc(ev, 0);
    if ((l0->n == 0 && r0->n == 0) || ((l0->n == 0 || r0->n == 0) && !fill_l && !fill_r))
        return 0;
    const struct vector *l = l0, *r = r0;
    if (st.card == AST_CARD_ONE_TO_MANY)
        l = r0, r = l0;
    struct sigmap m;
    sigmap_init(&m, ev, l->n + r->n);
    size_t *ro = sig_ordinals(ev, &m, r, mt);
    size_t *lo = sig_ordinals(ev, &m, l, mt);
    const struct vsample **right = ARENA_NEWN(ev->a, const struct vsample *, m.n + 1);
    for (size_t i = 0; i < r->n; i++) {
        if (right[ro[i]]) {
            struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, g = STRBUF_INIT;
            labels_format(&a, r->s[i].ls);
            labels_format(&b, right[ro[i]]->ls);
            labels_format(&g, match_labels(ev, r->s[i].ls, mt));
            if (strcmp(a.buf, b.buf) > 0) {
                struct strbuf tmp = a;
                a = b;
                b = tmp;
            }
            ev_fail(ev, EVAL_ERR_EXECUTION,
                    "found duplicate series for the match group %s on the %s hand-side of the "
                    "operation: [%s, %s];many-to-many matching not allowed: matching labels must "
                    "be unique on one side",
                    g.buf, st.card == AST_CARD_ONE_TO_MANY ? "left" : "right", a.buf, b.buf);
            strbuf_release(&a);
            strbuf_release(&b);
            strbuf_release(&g);
            return -1;
        }
        right[ro[i]] = &r->s[i];
    }
    st.matched = ARENA_NEWN(ev->a, size_t, m.n + 1);
    st.pcap = 16;
    while (st.pcap < (l->n + r->n) * 2 + 2)
        st.pcap *= 2;
    if (st.card != AST_CARD_ONE_TO_ONE) {
        st.pkey = ARENA_NEWN(ev->a, const struct labels *, st.pcap);
        st.pord = ARENA_NEWN(ev->a, size_t, st.pcap);
    }
    st.o = ev_vec_alloc(ev, l->n + r->n);
    /* The fill values are not swapped with the sides for group_right, as upstream. */
    for (size_t i = 0; i < l->n; i++) {
        const struct vsample *rs = right[lo[i]];
        struct vsample filled;
        if (!rs) {
            if (!fill_r)
                continue;
            filled = fill_sample(ev, &l->s[i], mt, mt->fill_rhs_v);
            rs = &filled;
        }
        if (vv_pair(ev, &st, &l->s[i], rs, lo[i], t) < 0)
            return -1;
    }
    if (fill_l)
        for (size_t i = 0; i < r->n; i++) {
            if (st.matched[ro[i]])
                continue;
            struct vsample filled = fill_sample(ev, &r->s[i], mt, mt->fill_lhs_v);
            if (vv_pair(ev, &st, &filled, &r->s[i], ro[i], t) < 0)
                return -1;
        }
    out->u.vec.s = st.o;
    out->u.vec.n = st.k;
    return 0;
}

int binop_eval(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out)
{
    struct value l, r;
    if (ev_eval(ev, n->u.bin.lhs, t, &l) < 0 || ev_eval(ev, n->u.bin.rhs, t, &r) < 0)
        return -1;
    enum ast_binop op = n->u.bin.op;
    if (l.type == VALUE_SCALAR && r.type == VALUE_SCALAR) {
        if (is_trim(op))
            return ev_fail(ev, EVAL_ERR_EXECUTION, "operator \"%s\" not allowed for Scalar operations",
                           ast_binop_name(op));
        out->type = VALUE_SCALAR;
        out->u.scalar.v = binop_scalar(op, l.u.scalar.v, r.u.scalar.v);
        out->u.scalar.prov = ev_prov_merge(ev, l.u.scalar.prov, r.u.scalar.prov);
        return 0;
    }
    if (l.type == VALUE_VECTOR && r.type == VALUE_SCALAR)
        return vector_scalar(ev, n, &l.u.vec, r.u.scalar.v, r.u.scalar.prov, false, t, out);
    if (l.type == VALUE_SCALAR && r.type == VALUE_VECTOR)
        return vector_scalar(ev, n, &r.u.vec, l.u.scalar.v, l.u.scalar.prov, true, t, out);
    if (l.type == VALUE_VECTOR && r.type == VALUE_VECTOR) {
        if (ast_binop_is_set(op))
            return set_op(ev, n, &l.u.vec, &r.u.vec, out);
        return vector_vector(ev, n, &l.u.vec, &r.u.vec, t, out);
    }
    return ev_fail(ev, EVAL_ERR_BAD_DATA, "binary operator %s on unsupported operand types",
                   ast_binop_name(op));
}
