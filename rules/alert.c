#include "rules/alert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "eval/value.h"

/* Untrusted inputs named in full in heed_stale_series; the rest are counted. */
#define STALE_SERIES_SHOWN 5

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

static void free_sources(struct alert *a)
{
    for (size_t i = 0; i < a->nsrc; i++)
        free(a->src_names[i]);
    free(a->src);
    free(a->src_names);
    a->src = NULL;
    a->src_names = NULL;
    a->nsrc = 0;
}

/* Everything an instance owns. */
static void free_instance(struct alert *a)
{
    free_annotations(a);
    free_sources(a);
    free(a->stale_series);
    free(a->resolve_reason);
    a->stale_series = a->resolve_reason = NULL;
}

void alert_set_release(struct alert_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free_instance(&s->items[i]);
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
    free_instance(&s->items[i]);
    s->items[i] = s->items[--s->n];
}

/* ---- freshness (heed semantics) ---- */

/* A series as people write it: name{label="value", ...}. */
void alert_format_series(struct strbuf *sb, const struct labels *ls)
{
    const char *name = labels_get(ls, LABELS_METRIC_NAME);
    if (name)
        strbuf_addstr(sb, name);
    strbuf_addstr(sb, "{");
    bool first = true;
    for (size_t i = 0; i < ls->n; i++) {
        if (strcmp(ls->l[i].name, LABELS_METRIC_NAME) == 0)
            continue;
        strbuf_addf(sb, "%s%s=", first ? "" : ", ", ls->l[i].name);
        labels_quote(sb, ls->l[i].value);
        first = false;
    }
    strbuf_addstr(sb, "}");
}

static void format_time(char *buf, size_t n, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void format_duration(char *buf, size_t n, int64_t ms)
{
    if (ms % 3600000 == 0)
        snprintf(buf, n, "%lldh", (long long)(ms / 3600000));
    else if (ms % 60000 == 0)
        snprintf(buf, n, "%lldm", (long long)(ms / 60000));
    else
        snprintf(buf, n, "%llds", (long long)(ms / 1000));
}

/* The class of one input this evaluation: absent or ended is gone. */
static enum fresh_class input_class(struct fresh_table *t, uint64_t fp)
{
    const struct fresh_input *e = t ? fresh_table_find(t, fp) : NULL;
    if (!e || e->ended)
        return FRESH_CLASS_GONE;
    return e->cls;
}

/* The worst class over inputs fps (names: their formatted label sets, NULL
 * to take them from the table); the untrusted ones are listed in *series
 * (malloc, NULL when all are fresh). */
static enum fresh_class judge(struct fresh_table *t, const uint64_t *fps, char *const *names,
                              size_t n, char **series)
{
    enum fresh_class worst = FRESH_CLASS_FRESH;
    struct strbuf sb = STRBUF_INIT;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        enum fresh_class c = input_class(t, fps[i]);
        if (c == FRESH_CLASS_FRESH)
            continue;
        if (c > worst)
            worst = c;
        if (bad++ >= STALE_SERIES_SHOWN)
            continue;
        if (sb.len)
            strbuf_addstr(&sb, ", ");
        if (names) {
            strbuf_addstr(&sb, names[i]);
        } else {
            const struct fresh_input *e = fresh_table_find(t, fps[i]);
            alert_format_series(&sb, fresh_input_labels(t, e));
        }
        strbuf_addf(&sb, " (%s)", fresh_class_name(c));
    }
    if (bad > STALE_SERIES_SHOWN)
        strbuf_addf(&sb, " and %zu more", bad - STALE_SERIES_SHOWN);
    *series = bad ? strbuf_detach(&sb) : NULL;
    strbuf_release(&sb);
    return worst;
}

/* Records the inputs that produced the instance this time (when they changed). */
static void set_sources(struct alert *a, const struct prov *p, struct fresh_table *t)
{
    size_t n = p ? p->nids : 0;
    if (n == a->nsrc && (n == 0 || memcmp(a->src, p->ids, n * sizeof *a->src) == 0))
        return;
    free_sources(a);
    if (!n)
        return;
    a->src = xmalloc(n * sizeof *a->src);
    a->src_names = xcalloc(n, sizeof *a->src_names);
    memcpy(a->src, p->ids, n * sizeof *a->src);
    for (size_t i = 0; i < n; i++) {
        const struct fresh_input *e = t ? fresh_table_find(t, p->ids[i]) : NULL;
        struct strbuf sb = STRBUF_INIT;
        if (e)
            alert_format_series(&sb, fresh_input_labels(t, e));
        else
            strbuf_addf(&sb, "series %016llx", (unsigned long long)p->ids[i]);
        a->src_names[i] = strbuf_detach(&sb);
        strbuf_release(&sb);
    }
    a->nsrc = n;
}

static void mark_stale(struct alert *a, enum fresh_class c, char *series, int64_t ts_ms)
{
    if (a->stale_since_ms == 0)
        a->stale_since_ms = ts_ms;
    a->stale_class = c;
    free(a->stale_series);
    a->stale_series = series;
}

static void clear_stale(struct alert *a)
{
    a->stale_class = FRESH_CLASS_FRESH;
    a->stale_since_ms = 0;
    a->held = false;
    free(a->stale_series);
    a->stale_series = NULL;
}

static void set_reason(struct alert *a, char *reason)
{
    free(a->resolve_reason);
    a->resolve_reason = reason;
}

static char *printf_dup(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *printf_dup(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    char *s = strbuf_detach(&sb);
    strbuf_release(&sb);
    return s;
}

static bool is_heed_annotation(const char *name)
{
    return strncmp(name, "heed_", 5) == 0;
}

static void add_annotation(struct alert *a, const char *name, const char *value)
{
    a->ann = xrealloc(a->ann, (a->nann + 1) * sizeof *a->ann);
    a->ann[a->nann].name = xstrdup(name);
    a->ann[a->nann].value = xstrdup(value);
    a->nann++;
}

/* Replaces the heed_* annotations with the instance's current freshness. */
static void refresh_annotations(struct alert *a)
{
    size_t k = 0;
    for (size_t i = 0; i < a->nann; i++) {
        if (is_heed_annotation(a->ann[i].name)) {
            free(a->ann[i].name);
            free(a->ann[i].value);
        } else {
            a->ann[k++] = a->ann[i];
        }
    }
    a->nann = k;
    if (a->state != ALERT_INACTIVE && a->stale_class != FRESH_CLASS_FRESH) {
        char since[32], reason[32];
        format_time(since, sizeof since, a->stale_since_ms);
        snprintf(reason, sizeof reason, "inputs %s", fresh_class_name(a->stale_class));
        add_annotation(a, ALERT_ANN_FRESHNESS, a->held ? "held" : "stale");
        add_annotation(a, ALERT_ANN_STALE_REASON, reason);
        add_annotation(a, ALERT_ANN_STALE_SINCE, since);
        add_annotation(a, ALERT_ANN_STALE_SERIES, a->stale_series ? a->stale_series : "");
    } else if (a->state == ALERT_INACTIVE && a->resolve_reason) {
        add_annotation(a, ALERT_ANN_RESOLVE_REASON, a->resolve_reason);
    }
    if (a->nann)
        qsort(a->ann, a->nann, sizeof *a->ann, cmp_annotation);
}

const char *alert_annotation(const struct alert *a, const char *name)
{
    for (size_t i = 0; i < a->nann; i++)
        if (strcmp(a->ann[i].name, name) == 0)
            return a->ann[i].value;
    return NULL;
}

/* What a returned sample's inputs say under heed semantics. */
struct verdict {
    enum fresh_class cls; /* worst class of its inputs */
    char *series;         /* malloc: the untrusted ones; NULL */
};

/* For an instance the expression no longer returns (heed semantics): hold
 * it (returns true: it stays as it is) or give the reason it resolves. */
static bool hold_missing(struct alert *a, const struct alert_params *p, int64_t ts_ms,
                         const struct verdict *stale_resolve)
{
    char *series = NULL;
    if (stale_resolve && stale_resolve->cls != FRESH_CLASS_FRESH) {
        set_reason(a, printf_dup("inputs %s (on_stale=resolve): %s", fresh_class_name(stale_resolve->cls),
                                 stale_resolve->series ? stale_resolve->series : ""));
        return false;
    }
    enum fresh_class c = judge(p->inputs, a->src, a->src_names, a->nsrc, &series);
    if (c == FRESH_CLASS_FRESH) {
        set_reason(a, xstrdup("no longer returned; its inputs are fresh"));
        return false;
    }
    if (p->pol->on_missing == POLICY_MISSING_RESOLVE) {
        set_reason(a, printf_dup("no longer returned; inputs %s (on_missing=resolve): %s",
                                 fresh_class_name(c), series));
        free(series);
        return false;
    }
    mark_stale(a, c, series, ts_ms);
    a->held = true;
    if (ts_ms - a->stale_since_ms >= p->pol->max_hold_ms) {
        char since[32], hold[32];
        format_time(since, sizeof since, a->stale_since_ms);
        format_duration(hold, sizeof hold, p->pol->max_hold_ms);
        set_reason(a, printf_dup("max_hold %s passed; inputs %s since %s: %s", hold, fresh_class_name(c),
                                 since, a->stale_series));
        return false;
    }
    return true;
}

int alert_set_update(struct alert_set *s, const struct alert_input *in, size_t n, int64_t ts_ms,
                     const struct alert_params *p, struct eval_error *err)
{
    const bool heed = p->pol && !p->pol->compat;
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

    /* heed: what each sample's inputs say */
    struct verdict *vd = NULL;
    if (heed) {
        vd = xcalloc(n ? n : 1, sizeof *vd);
        for (size_t i = 0; i < n; i++)
            if (in[i].prov)
                vd[i].cls = judge(p->inputs, in[i].prov->ids, NULL, in[i].prov->nids, &vd[i].series);
    }
#define UNTRUSTED(i) (heed && vd[i].cls != FRESH_CLASS_FRESH && p->pol->on_stale != POLICY_STALE_FIRE)

    /* Merge: known active instances get the new value and annotations;
     * new or resolved ones start a fresh pending instance (heed: only on
     * trusted inputs). */
    for (size_t i = 0; i < n; i++) {
        const struct labels *ls = labels_import(&s->table, in[i].ls);
        struct alert *a = alert_set_find(s, ls);
        if (a && a->state != ALERT_INACTIVE) {
            a->value = in[i].value;
            set_annotations(a, in[i].ann, in[i].nann);
            if (heed)
                set_sources(a, in[i].prov, p->inputs);
            continue;
        }
        if (UNTRUSTED(i))
            continue; /* on_stale hold/resolve: no new instance on untrusted inputs */
        if (!a) {
            a = add_instance(s, ls);
        } else {
            free_instance(a);
            memset(a, 0, sizeof *a);
            a->ls = ls;
        }
        a->state = ALERT_PENDING;
        a->active_at_ms = ts_ms;
        a->value = in[i].value;
        set_annotations(a, in[i].ann, in[i].nann);
        if (heed)
            set_sources(a, in[i].prov, p->inputs);
    }

    /* Which instances this result produced (heed: which are paused on
     * untrusted inputs, which on_stale=resolve drops). */
    size_t nflags = s->n ? s->n : 1;
    in_result = xcalloc(nflags, sizeof *in_result);
    bool *paused = xcalloc(nflags, sizeof *paused);
    const struct verdict **dropped = xcalloc(nflags, sizeof *dropped);
    for (size_t i = 0; i < n; i++) {
        struct alert *a = alert_set_find(s, in[i].ls);
        if (!a || a->state == ALERT_INACTIVE)
            continue; /* not started on untrusted inputs */
        size_t k = (size_t)(a - s->items);
        if (heed && vd[i].cls != FRESH_CLASS_FRESH) {
            if (UNTRUSTED(i) && p->pol->on_stale == POLICY_STALE_RESOLVE) {
                dropped[k] = &vd[i];
                continue;
            }
            a->held = false;
            mark_stale(a, vd[i].cls, vd[i].series ? xstrdup(vd[i].series) : NULL, ts_ms);
            paused[k] = UNTRUSTED(i);
        } else if (heed) {
            clear_stale(a);
        }
        in_result[k] = true;
    }
#undef UNTRUSTED

    int counted = 0;
    for (size_t i = 0; i < s->n;) {
        struct alert *a = &s->items[i];
        if (!in_result[i]) {
            bool keep_firing = false;
            bool forced = false; /* heed: resolves now, whatever keep_firing_for says */
            if (heed && a->state != ALERT_INACTIVE) {
                if (hold_missing(a, p, ts_ms, dropped[i])) {
                    paused[i] = true;
                    goto counted;
                }
                forced = a->held || dropped[i];
            }
            if (!forced && a->state == ALERT_FIRING && p->keep_firing_for_ms > 0) {
                if (a->keep_firing_since_ms == 0)
                    a->keep_firing_since_ms = ts_ms;
                keep_firing = ts_ms - a->keep_firing_since_ms < p->keep_firing_for_ms;
            }
            if (a->state == ALERT_PENDING ||
                (a->resolved_at_ms != 0 && ts_ms - a->resolved_at_ms > ALERT_RESOLVED_RETENTION_MS)) {
                remove_at(s, i);
                in_result[i] = in_result[s->n];
                paused[i] = paused[s->n];
                dropped[i] = dropped[s->n];
                continue;
            }
            if (!keep_firing) {
                if (a->state != ALERT_INACTIVE) {
                    a->state = ALERT_INACTIVE;
                    a->resolved_at_ms = ts_ms;
                    if (heed)
                        clear_stale(a);
                }
                i++;
                continue;
            }
        } else {
            a->keep_firing_since_ms = 0;
        }
    counted:
        counted++;
        if (paused[i]) {
            /* untrusted inputs: a pending instance's for clock stands still */
            if (a->state == ALERT_PENDING && a->last_eval_ms)
                a->active_at_ms += ts_ms - a->last_eval_ms;
        } else if (a->state == ALERT_PENDING && ts_ms - a->active_at_ms >= p->for_ms) {
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
    free(paused);
    free(dropped);
    if (vd) {
        for (size_t i = 0; i < n; i++)
            free(vd[i].series);
        free(vd);
    }
    if (heed)
        for (size_t i = 0; i < s->n; i++) {
            s->items[i].last_eval_ms = ts_ms;
            refresh_annotations(&s->items[i]);
        }

    if (p->limit > 0 && counted > p->limit) {
        for (size_t i = 0; i < s->n; i++)
            free_instance(&s->items[i]);
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

void alert_set_hold_all(struct alert_set *s, int64_t ts_ms, const struct policy *pol, const char *error)
{
    if (!pol || pol->compat)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct alert *a = &s->items[i];
        if (a->state != ALERT_INACTIVE) {
            mark_stale(a, FRESH_CLASS_LATE, printf_dup("backend: %s", error), ts_ms);
            a->held = true;
            if (a->state == ALERT_PENDING && a->last_eval_ms)
                a->active_at_ms += ts_ms - a->last_eval_ms;
            if (ts_ms - a->stale_since_ms >= pol->max_hold_ms) {
                char since[32], hold[32];
                format_time(since, sizeof since, a->stale_since_ms);
                format_duration(hold, sizeof hold, pol->max_hold_ms);
                set_reason(a, printf_dup("max_hold %s passed; inputs late since %s: %s", hold, since,
                                         a->stale_series));
                clear_stale(a);
                a->state = ALERT_INACTIVE;
                a->resolved_at_ms = ts_ms;
            }
        }
        a->last_eval_ms = ts_ms;
        refresh_annotations(a);
    }
}

struct alert *alert_set_restore(struct alert_set *s, const struct alert *a)
{
    const struct labels *ls = labels_import(&s->table, a->ls);
    struct alert *d = alert_set_find(s, ls);
    if (!d)
        d = add_instance(s, ls);
    free_instance(d);
    *d = *a;
    d->ls = ls;
    /* deep copy: a keeps its own strings (an inherited group frees them) */
    d->ann = NULL;
    d->nann = 0;
    set_annotations(d, a->ann, a->nann);
    d->stale_series = a->stale_series ? xstrdup(a->stale_series) : NULL;
    d->resolve_reason = a->resolve_reason ? xstrdup(a->resolve_reason) : NULL;
    d->src = NULL;
    d->src_names = NULL;
    d->nsrc = 0;
    if (a->nsrc) {
        d->src = xmalloc(a->nsrc * sizeof *d->src);
        memcpy(d->src, a->src, a->nsrc * sizeof *d->src);
        d->src_names = xcalloc(a->nsrc, sizeof *d->src_names);
        for (size_t i = 0; i < a->nsrc; i++)
            d->src_names[i] = a->src_names && a->src_names[i] ? xstrdup(a->src_names[i]) : NULL;
        d->nsrc = a->nsrc;
    }
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
