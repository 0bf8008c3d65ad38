#include "rules/alert.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "eval/value.h"

const char *alert_state_name(enum alert_state s)
{
    switch (s) {
    case ALERT_PENDING:
        return "pending";
    case ALERT_FIRING:
        return "firing";
    default:
        return "inactive";
    }
}

void alert_set_init(struct alert_set *s)
{
    memset(s, 0, sizeof *s);
    arena_init(&s->arena, 16 * 1024);
    labels_table_init(&s->table, &s->arena, true);
}

static void free_annotations(struct alert *a)
{
    for (size_t i = 0; i < a->nann; i++) {
        free(a->ann[i].name);
        free(a->ann[i].value);
    }
    free(a->ann);
    a->ann = NULL;
    a->nann = 0;
}

void alert_set_release(struct alert_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free_annotations(&s->items[i]);
    free(s->items);
    free(s->index);
    arena_release(&s->arena);
    memset(s, 0, sizeof *s);
}

static int cmp_annotation(const void *x, const void *y)
{
    const struct alert_annotation *a = x, *b = y;
    return strcmp(a->name, b->name);
}

static void set_annotations(struct alert *a, const struct alert_annotation *ann, size_t n)
{
    free_annotations(a);
    if (!n)
        return;
    a->ann = xcalloc(n, sizeof *a->ann);
    for (size_t i = 0; i < n; i++) {
        a->ann[i].name = xstrdup(ann[i].name);
        a->ann[i].value = xstrdup(ann[i].value);
    }
    a->nann = n;
    qsort(a->ann, n, sizeof *a->ann, cmp_annotation);
}

static void index_put(struct alert_set *s, size_t i)
{
    size_t j = (size_t)s->items[i].ls->hash & (s->index_cap - 1);
    while (s->index[j] != (size_t)-1)
        j = (j + 1) & (s->index_cap - 1);
    s->index[j] = i;
}

/* Rebuilds the hash index over items, sized for at least want instances. */
static void reindex(struct alert_set *s, size_t want)
{
    size_t cap = 16;
    while (cap < want * 2)
        cap *= 2;
    if (cap != s->index_cap) {
        free(s->index);
        s->index = xmalloc(cap * sizeof *s->index);
        s->index_cap = cap;
    }
    for (size_t i = 0; i < s->index_cap; i++)
        s->index[i] = (size_t)-1;
    for (size_t i = 0; i < s->n; i++)
        index_put(s, i);
}

/* Appends a zeroed instance and indexes it (load factor kept at most 1/2). */
static struct alert *add_instance(struct alert_set *s, const struct labels *ls)
{
    XGROW(s->items, s->cap, s->n + 1);
    struct alert *a = &s->items[s->n++];
    memset(a, 0, sizeof *a);
    a->ls = ls;
    if (s->n * 2 > s->index_cap)
        reindex(s, s->n * 2);
    else
        index_put(s, s->n - 1);
    return a;
}

struct alert *alert_set_find(const struct alert_set *s, const struct labels *ls)
{
    if (!s->index_cap)
        return NULL;
    size_t j = (size_t)ls->hash & (s->index_cap - 1);
    while (s->index[j] != (size_t)-1) {
        struct alert *a = &s->items[s->index[j]];
        if (a->ls == ls || labels_equal(a->ls, ls))
            return a;
        j = (j + 1) & (s->index_cap - 1);
    }
    return NULL;
}

/* Label sets of dead instances stay in the table's arena; once they
 * outnumber the living, move the living into a fresh arena. */
static void compact(struct alert_set *s)
{
    if (s->table.len < 2 * s->n + 256)
        return;
    struct arena na;
    arena_init(&na, 16 * 1024);
    struct labels_table nt;
    labels_table_init(&nt, &na, true);
    for (size_t i = 0; i < s->n; i++)
        s->items[i].ls = labels_import(&nt, s->items[i].ls);
    arena_release(&s->arena);
    s->arena = na;
    s->table = nt;
    s->table.arena = &s->arena;
}

static void remove_at(struct alert_set *s, size_t i)
{
    free_annotations(&s->items[i]);
    s->items[i] = s->items[--s->n];
}

int alert_set_update(struct alert_set *s, const struct alert_input *in, size_t n, int64_t ts_ms,
                     const struct alert_params *p, struct eval_error *err)
{
    /* Identities of this result, deduplicated through a scratch table. */
    struct arena scratch;
    arena_init(&scratch, 4096);
    struct labels_table seen;
    labels_table_init(&seen, &scratch, false);
    bool *in_result = NULL;
    for (size_t i = 0; i < n; i++) {
        size_t before = seen.len;
        labels_import(&seen, in[i].ls);
        if (seen.len == before) {
            arena_release(&scratch);
            eval_error_set(err, EVAL_ERR_EXECUTION,
                           "vector contains metrics with the same labelset after applying alert labels");
            return -1;
        }
    }
    arena_release(&scratch);

    /* Merge: known active instances get the new value and annotations;
     * new or resolved ones start a fresh pending instance. */
    for (size_t i = 0; i < n; i++) {
        const struct labels *ls = labels_import(&s->table, in[i].ls);
        struct alert *a = alert_set_find(s, ls);
        if (a && a->state != ALERT_INACTIVE) {
            a->value = in[i].value;
            set_annotations(a, in[i].ann, in[i].nann);
            continue;
        }
        if (!a) {
            a = add_instance(s, ls);
        } else {
            free_annotations(a);
            memset(a, 0, sizeof *a);
            a->ls = ls;
        }
        a->state = ALERT_PENDING;
        a->active_at_ms = ts_ms;
        a->value = in[i].value;
        set_annotations(a, in[i].ann, in[i].nann);
    }

    /* Which instances this result produced. */
    in_result = xcalloc(s->n ? s->n : 1, sizeof *in_result);
    for (size_t i = 0; i < n; i++) {
        struct alert *a = alert_set_find(s, in[i].ls);
        if (a)
            in_result[a - s->items] = true;
    }

    int counted = 0;
    for (size_t i = 0; i < s->n;) {
        struct alert *a = &s->items[i];
        if (!in_result[i]) {
            bool keep_firing = false;
            if (a->state == ALERT_FIRING && p->keep_firing_for_ms > 0) {
                if (a->keep_firing_since_ms == 0)
                    a->keep_firing_since_ms = ts_ms;
                keep_firing = ts_ms - a->keep_firing_since_ms < p->keep_firing_for_ms;
            }
            if (a->state == ALERT_PENDING ||
                (a->resolved_at_ms != 0 && ts_ms - a->resolved_at_ms > ALERT_RESOLVED_RETENTION_MS)) {
                remove_at(s, i);
                in_result[i] = in_result[s->n];
                continue;
            }
            if (!keep_firing) {
                if (a->state != ALERT_INACTIVE) {
                    a->state = ALERT_INACTIVE;
                    a->resolved_at_ms = ts_ms;
                }
                i++;
                continue;
            }
        } else {
            a->keep_firing_since_ms = 0;
        }
        counted++;
        if (a->state == ALERT_PENDING && ts_ms - a->active_at_ms >= p->for_ms) {
            a->state = ALERT_FIRING;
            a->fired_at_ms = ts_ms;
        } else if (a->state == ALERT_FIRING && ts_ms - a->active_at_ms < p->for_ms) {
            /* for was raised by a reload: back to pending */
            a->state = ALERT_PENDING;
            a->fired_at_ms = 0;
            a->last_sent_at_ms = 0;
            a->keep_firing_since_ms = 0;
        }
        i++;
    }
    free(in_result);

    if (p->limit > 0 && counted > p->limit) {
        for (size_t i = 0; i < s->n; i++)
            free_annotations(&s->items[i]);
        s->n = 0;
        reindex(s, 0);
        compact(s);
        eval_error_set(err, EVAL_ERR_EXECUTION, "exceeded limit of %d with %d alerts", p->limit, counted);
        return -1;
    }
    compact(s);
    reindex(s, s->n);
    return 0;
}

struct alert *alert_set_restore(struct alert_set *s, const struct alert *a)
{
    const struct labels *ls = labels_import(&s->table, a->ls);
    struct alert *d = alert_set_find(s, ls);
    if (!d)
        d = add_instance(s, ls);
    free_annotations(d);
    *d = *a;
    d->ls = ls;
    d->ann = NULL;
    d->nann = 0;
    set_annotations(d, a->ann, a->nann);
    return d;
}

bool alert_needs_sending(const struct alert *a, int64_t ts_ms, int64_t resend_delay_ms)
{
    if (a->state == ALERT_PENDING)
        return false;
    if (a->resolved_at_ms > a->last_sent_at_ms)
        return true;
    return a->last_sent_at_ms + resend_delay_ms < ts_ms;
}

void alert_mark_sent(struct alert *a, int64_t ts_ms, int64_t interval_ms, int64_t resend_delay_ms)
{
    int64_t d = interval_ms > resend_delay_ms ? interval_ms : resend_delay_ms;
    a->last_sent_at_ms = ts_ms;
    a->valid_until_ms = ts_ms + 4 * d;
}

int64_t alert_starts_at(const struct alert *a)
{
    return a->fired_at_ms;
}

int64_t alert_ends_at(const struct alert *a)
{
    return a->resolved_at_ms ? a->resolved_at_ms : a->valid_until_ms;
}

enum alert_state alert_set_state(const struct alert_set *s)
{
    enum alert_state st = ALERT_INACTIVE;
    for (size_t i = 0; i < s->n; i++)
        if (s->items[i].state > st)
            st = s->items[i].state;
    return st;
}
