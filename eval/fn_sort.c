/* fn_sort: sort, sort_desc (NaN last) and sort_by_label(_desc) with natural
 * ordering of label values (as github.com/facette/natsort), ties broken by
 * the full label set. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "eval/fn.h"

struct keyed {
    struct vsample s;  /* the sample */
    size_t idx;        /* input position, for a stable order */
};

/* Comparator context (qsort_r keeps the functions reentrant). */
struct sort_ctx {
    bool desc;           /* descending */
    const char **labels; /* sort_by_label names */
    size_t nlabels;
};

static int cmp_value(const void *a, const void *b, void *arg)
{
    const struct sort_ctx *cx = arg;
    bool sort_desc = cx->desc;
    const struct keyed *x = a, *y = b;
    double u = x->s.v, w = y->s.v;
    int c = 0;
    if (isnan(u) || isnan(w))
        c = isnan(u) - isnan(w); /* NaN last either way */
    else if (u != w)
        c = sort_desc ? (u > w ? -1 : 1) : (u < w ? -1 : 1);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* One chunk: a run of digits or of non-digits. */
static size_t chunk(const char *s)
{
    size_t n = 0;
    bool d = isdigit((unsigned char)s[0]);
    while (s[n] && (bool)isdigit((unsigned char)s[n]) == d)
        n++;
    return n;
}

static bool all_digits_int(const char *s, size_t n, long long *out)
{
    if (n == 0 || n > 18 || !isdigit((unsigned char)s[0]))
        return false;
    long long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    *out = v;
    return true;
}

/* natsort.Compare(a, b): a sorts before b. */
static bool nat_less(const char *a, const char *b)
{
    for (;;) {
        if (!*a)
            return true;
        if (!*b)
            return false;
        size_t na = chunk(a), nb = chunk(b);
        long long ia, ib;
        bool last_a = !a[na], last_b = !b[nb];
        if (all_digits_int(a, na, &ia) && all_digits_int(b, nb, &ib)) {
            if (ia != ib)
                return ia < ib;
        } else if (na != nb || memcmp(a, b, na)) {
            size_t m = na < nb ? na : nb;
            int c = memcmp(a, b, m);
            return c ? c < 0 : na < nb;
        }
        if (last_a)
            return true;
        if (last_b)
            return false;
        a += na;
        b += nb;
    }
}

static int cmp_label(const void *a, const void *b, void *arg)
{
    const struct sort_ctx *cx = arg;
    bool sort_desc = cx->desc;
    const struct keyed *x = a, *y = b;
    for (size_t i = 0; i < cx->nlabels; i++) {
        const char *u = labels_get(x->s.ls, cx->labels[i]), *w = labels_get(y->s.ls, cx->labels[i]);
        if (!u)
            u = "";
        if (!w)
            w = "";
        if (!strcmp(u, w))
            continue;
        bool lt = nat_less(u, w);
        return sort_desc ? (lt ? 1 : -1) : (lt ? -1 : 1);
    }
    int c = labels_compare(x->s.ls, y->s.ls);
    return sort_desc ? -c : c;
}

static int do_sort(struct fn_args *fa, int (*cmp)(const void *, const void *, void *),
                   struct sort_ctx *cx, struct value *out)
{
    const struct vector *in = &fa->args[0].u.vec;
    struct keyed *k = ARENA_NEWN(fa->ev->a, struct keyed, in->n ? in->n : 1);
    for (size_t i = 0; i < in->n; i++) {
        k[i].s = in->s[i];
        k[i].idx = i;
    }
    qsort_r(k, in->n, sizeof *k, cmp, cx);
    struct vector v = fn_out_vec(fa, in->n);
    for (size_t i = 0; i < in->n; i++)
        v.s[i] = k[i].s;
    v.n = in->n;
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

int fn_sort(struct fn_args *fa, struct value *out)
{
    struct sort_ctx cx = {fa->call->u.call.fn->id == FN_SORT_DESC, NULL, 0};
    return do_sort(fa, cmp_value, &cx, out);
}

int fn_sort_by_label(struct fn_args *fa, struct value *out)
{
    struct sort_ctx cx = {fa->call->u.call.fn->id == FN_SORT_BY_LABEL_DESC, NULL, fa->nargs - 1};
    const char **names = ARENA_NEWN(fa->ev->a, const char *, cx.nlabels + 1);
    for (size_t i = 0; i < cx.nlabels; i++)
        names[i] = fa->args[i + 1].u.str;
    cx.labels = names;
    return do_sort(fa, cmp_label, &cx, out);
}
