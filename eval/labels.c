#include "eval/labels.h"

#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH64_state_t on the stack */
#include <xxhash.h>

#include "base/arena.h"
#include "base/goquote.h"
#include "base/strbuf.h"

void labels_table_init(struct labels_table *t, struct arena *a, bool copy_strings)
{
    t->arena = a;
    t->cap = 64;
    t->len = 0;
    t->slot = ARENA_NEWN(a, const struct labels *, t->cap);
    t->copy_strings = copy_strings;
}

uint64_t labels_hash(const struct label *ls, size_t n)
{
    /* One-shot hashing over a stack buffer is several times faster than the
     * streaming state for the short sets label hashing sees; long sets
     * fall back to streaming. Same bytes either way. */
    unsigned char buf[1024];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = strlen(ls[i].name), b = strlen(ls[i].value);
        if (len + a + b + 2 > sizeof buf) {
            len = (size_t)-1;
            break;
        }
        memcpy(buf + len, ls[i].name, a);
        len += a;
        buf[len++] = 0xff;
        memcpy(buf + len, ls[i].value, b);
        len += b;
        buf[len++] = 0xff;
    }
    if (len != (size_t)-1)
        return XXH64(buf, len, 0);
    XXH64_state_t st;
    XXH64_reset(&st, 0);
    static const unsigned char sep = 0xff;
    for (size_t i = 0; i < n; i++) {
        XXH64_update(&st, ls[i].name, strlen(ls[i].name));
        XXH64_update(&st, &sep, 1);
        XXH64_update(&st, ls[i].value, strlen(ls[i].value));
        XXH64_update(&st, &sep, 1);
    }
    return XXH64_digest(&st);
}

static int cmp_label_name(const void *a, const void *b)
{
    const struct label *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static bool same_labels(const struct labels *s, const struct label *ls, size_t n)
{
    if (s->n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->l[i].name, ls[i].name) || strcmp(s->l[i].value, ls[i].value))
            return false;
    return true;
}

static void grow(struct labels_table *t)
{
    size_t ncap = t->cap * 2;
    const struct labels **ns = ARENA_NEWN(t->arena, const struct labels *, ncap);
    for (size_t i = 0; i < t->cap; i++) {
        const struct labels *s = t->slot[i];
        if (!s)
            continue;
        size_t j = (size_t)s->hash & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = s;
    }
    t->slot = ns;
    t->cap = ncap;
}

/* Interns sorted, deduplicated, non-empty labels. */
static const struct labels *intern_sorted(struct labels_table *t, const struct label *ls, size_t n)
{
    uint64_t h = labels_hash(ls, n);
    size_t j = (size_t)h & (t->cap - 1);
    while (t->slot[j]) {
        if (t->slot[j]->hash == h && same_labels(t->slot[j], ls, n))
            return t->slot[j];
        j = (j + 1) & (t->cap - 1);
    }
    struct labels *s = arena_alloc(t->arena, sizeof *s + n * sizeof s->l[0]);
    s->hash = h;
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        s->l[i].name = t->copy_strings ? arena_strdup(t->arena, ls[i].name) : ls[i].name;
        s->l[i].value = t->copy_strings ? arena_strdup(t->arena, ls[i].value) : ls[i].value;
    }
    t->slot[j] = s;
    if (++t->len * 2 > t->cap)
        grow(t);
    return s;
}

const struct labels *labels_intern(struct labels_table *t, const struct label *ls, size_t n)
{
    struct label stackbuf[32] = {{0}};
    struct label *tmp = n <= 32 ? stackbuf : malloc(n * sizeof *tmp);
    size_t m = 0;
    /* Stable sort keeps the order of duplicates, so the later one can win. */
    for (size_t i = 0; i < n; i++)
        tmp[m++] = ls[i];
    for (size_t i = 1; i < m; i++) { /* insertion sort: stable, sets are small */
        struct label x = tmp[i];
        size_t j = i;
        while (j > 0 && cmp_label_name(&tmp[j - 1], &x) > 0) {
            tmp[j] = tmp[j - 1];
            j--;
        }
        tmp[j] = x;
    }
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        if (k > 0 && !strcmp(tmp[k - 1].name, tmp[i].name))
            k--;
        tmp[k++] = tmp[i];
    }
    size_t out = 0;
    for (size_t i = 0; i < k; i++)
        if (tmp[i].value && tmp[i].value[0])
            tmp[out++] = tmp[i];
    const struct labels *r = intern_sorted(t, tmp, out);
    if (tmp != stackbuf)
        free(tmp);
    return r;
}

const struct labels *labels_import(struct labels_table *t, const struct labels *ls)
{
    size_t j = (size_t)ls->hash & (t->cap - 1);
    while (t->slot[j]) {
        if (t->slot[j] == ls)
            return ls;
        if (t->slot[j]->hash == ls->hash && same_labels(t->slot[j], ls->l, ls->n))
            return t->slot[j];
        j = (j + 1) & (t->cap - 1);
    }
    return intern_sorted(t, ls->l, ls->n);
}

const struct labels *labels_empty(struct labels_table *t)
{
    return intern_sorted(t, NULL, 0);
}

const char *labels_get(const struct labels *ls, const char *name)
{
    size_t lo = 0, hi = ls->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ls->l[mid].name, name);
        if (c == 0)
            return ls->l[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool labels_has(const struct labels *ls, const char *name)
{
    return labels_get(ls, name) != NULL;
}

int labels_compare(const struct labels *a, const struct labels *b)
{
    if (a == b)
        return 0;
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        int c = strcmp(a->l[i].name, b->l[i].name);
        if (c)
            return c < 0 ? -1 : 1;
        c = strcmp(a->l[i].value, b->l[i].value);
        if (c)
            return c < 0 ? -1 : 1;
    }
    return a->n < b->n ? -1 : a->n > b->n ? 1 : 0;
}

bool labels_equal(const struct labels *a, const struct labels *b)
{
    return a == b || (a->hash == b->hash && same_labels(a, b->l, b->n));
}

void labels_quote(struct strbuf *out, const char *s)
{
    goquote(out, s, strlen(s), 0);
}

void labels_format(struct strbuf *out, const struct labels *ls)
{
    strbuf_addch(out, '{');
    for (size_t i = 0; i < ls->n; i++) {
        if (i)
            strbuf_addstr(out, ", ");
        strbuf_addstr(out, ls->l[i].name);
        strbuf_addch(out, '=');
        labels_quote(out, ls->l[i].value);
    }
    strbuf_addch(out, '}');
}

void labels_builder_init(struct labels_builder *b, struct arena *a, const struct labels *base)
{
    b->arena = a;
    b->items = NULL;
    b->n = b->cap = 0;
    labels_builder_reset(b, base);
}

static void builder_reserve(struct labels_builder *b, size_t need)
{
    if (need <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    struct label *ni = ARENA_NEWN(b->arena, struct label, ncap);
    if (b->n)
        memcpy(ni, b->items, b->n * sizeof *ni);
    b->items = ni;
    b->cap = ncap;
}

void labels_builder_reset(struct labels_builder *b, const struct labels *base)
{
    b->n = 0;
    if (!base)
        return;
    builder_reserve(b, base->n);
    if (base->n)
        memcpy(b->items, base->l, base->n * sizeof base->l[0]);
    b->n = base->n;
}

void labels_builder_del(struct labels_builder *b, const char *name)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->items[i].name, name)) {
            b->items[i] = b->items[--b->n];
            return;
        }
}

void labels_builder_set(struct labels_builder *b, const char *name, const char *value)
{
    if (!value || !value[0]) {
        labels_builder_del(b, name);
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->items[i].name, name)) {
            b->items[i].value = value;
            return;
        }
    builder_reserve(b, b->n + 1);
    b->items[b->n].name = name;
    b->items[b->n].value = value;
    b->n++;
}

void labels_builder_keep(struct labels_builder *b, const char *const *names, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        bool keep = false;
        for (size_t j = 0; j < n && !keep; j++)
            keep = !strcmp(b->items[i].name, names[j]);
        if (keep)
            b->items[k++] = b->items[i];
    }
    b->n = k;
}

const char *labels_builder_get(const struct labels_builder *b, const char *name)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->items[i].name, name))
            return b->items[i].value;
    return NULL;
}

const struct labels *labels_builder_finish(struct labels_builder *b, struct labels_table *t)
{
    return labels_intern(t, b->items, b->n);
}
