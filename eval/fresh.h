/* fresh: per-input-series freshness figures (design/FRESHNESS.md "Per input
 * series"): age, cadence and unchanged_for at a reference time, measured on
 * the raw samples the engine fetched for a selector; the classification hook
 * a policy plugs into the engine; and the table of distinct input series an
 * evaluation read, so rules can say which series made a result untrustworthy.
 * Ownership rule: a fresh_table and everything in it live in the evaluation
 * arena; its label sets are the evaluation's interned ones (copy them to
 * keep them past the arena). */
#ifndef HEED_EVAL_FRESH_H
#define HEED_EVAL_FRESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/labels.h"
#include "eval/storage.h"
#include "eval/value.h"

struct arena;
struct labels;

/* ORDER fresh_class: higher is worse (a table keeps the worst reading). */
enum fresh_class {
    FRESH_CLASS_FRESH = 0, /* age within max_age, not frozen */
    FRESH_CLASS_LATE,      /* age beyond max_age */
    FRESH_CLASS_FROZEN,    /* samples arrive, the value has not changed for longer than max_unchanged */
    FRESH_CLASS_GONE,      /* decided by the rule layer: contributed before, no sample now */
};
const char *fresh_class_name(enum fresh_class c); /* "fresh", "late", "frozen", "gone" */

/* How many of the newest gaps the cadence median looks at: enough to be
 * robust to a missed scrape, bounded so long windows cost the same. */
#define FRESH_CADENCE_GAPS 5

struct fresh_figures {
    int64_t age_ms;          /* R - timestamp of the newest sample at or before R */
    int64_t cadence_ms;      /* median gap of the fetched samples; 0: fewer than two */
    int64_t unchanged_ms;    /* R - start of the trailing run of equal values */
    bool unchanged_at_least; /* the whole fetched window is flat: unchanged_ms is a lower bound */
    bool ended;              /* the newest raw sample at or before R is a staleness marker */
};

/* Measures the figures at ref over pts[0..last] (raw samples as fetched,
 * staleness markers included, ascending; last is the newest index at or
 * before ref). Returns false when no real sample is at or before ref. */
bool fresh_measure(const struct sample *pts, size_t last, int64_t ref_ms, struct fresh_figures *out);

/* The policy decides fresh/late/frozen for one input series (ls carries
 * __name__ when the selector kept it). */
typedef enum fresh_class (*fresh_classify_fn)(void *ctx, const struct labels *ls,
                                              const struct fresh_figures *f);

/* What the engine needs from a freshness policy (engine_opts.fresh). */
struct fresh_hook {
    fresh_classify_fn classify; /* NULL: every input is fresh */
    void *ctx;                  /* passed to classify */
    int64_t extra_window_ms;    /* fetch this much further back (max_unchanged beyond the lookback) */
    int64_t sure_age_ms;        /* > 0: an input at most this old is not late whatever its cadence */
    bool needs_unchanged;       /* classify reads unchanged_ms (some max_unchanged is set) */
};
/* Whether an input of this age is fresh without asking classify (most
 * inputs are: their cadence, a median over gaps, is then never measured). */
static inline bool fresh_hook_sure(const struct fresh_hook *h, int64_t age_ms)
{
    return !h || !h->classify || (h->sure_age_ms > 0 && age_ms <= h->sure_age_ms && !h->needs_unchanged);
}

/* One selector read: the series it saw, at one reference time. A reading
 * names its read and series instead of copying labels, samples and time. */
struct fresh_read {
    const struct labels *const *ls;    /* the series' labels (evaluation-interned) */
    const struct storage_series *ss;   /* the series as fetched (raw samples) */
    int64_t ref_ms;                    /* reference time */
};

/* One reading of an input series: what rules need at once, kept compact
 * (24 bytes: the memory a reading costs showed as much as its work); the
 * other figures are measured from the raw samples on demand
 * (fresh_input_figures). */
struct fresh_input {
    int64_t age_ms;  /* its age */
    uint32_t read;   /* index in the table's reads */
    uint32_t series; /* index of the series in that read */
    uint32_t last;   /* index in its samples of the newest one at or before the reference time */
    uint8_t cls;     /* its class (enum fresh_class) */
    bool ended;      /* that newest sample is a staleness marker */
};

/* The input series an evaluation read. Readings are appended as the
 * engine goes (cheap: no hashing on the evaluation's path); the index by
 * fingerprint is built on first use, merging a series read several times
 * into its worst reading (then the newest), so after fresh_table_index the
 * entries are distinct. */
struct fresh_table {
    struct fresh_input *in;  /* inputs, in first-read order */
    size_t n, cap;           /* count, allocated */
    struct fresh_read *reads; /* selector reads */
    size_t nreads, capreads;  /* count, allocated */
    uint32_t *idx;           /* open addressing: index + 1, 0 empty; NULL: not built */
    size_t icap;             /* power of two, or 0 */
    struct arena *a;         /* the evaluation arena (for the index) */
    bool merged;             /* entries are distinct: one read, or repeats merged by the index */
};

static inline const struct labels *fresh_input_labels(const struct fresh_table *t, const struct fresh_input *e)
{
    return t->reads[e->read].ls[e->series];
}
static inline int64_t fresh_input_ref(const struct fresh_table *t, const struct fresh_input *e)
{
    return t->reads[e->read].ref_ms;
}
/* All figures of a reading (cadence and unchanged_for measured now). */
void fresh_input_figures(const struct fresh_table *t, const struct fresh_input *e, struct fresh_figures *out);

/* Makes room for n more readings. */
void fresh_table_reserve(struct fresh_table *t, struct arena *a, size_t n);
/* A selector read of n series (labels ls, samples ss, both kept by the
 * caller as long as the table) at ref begins; the table grows once per
 * selector, not by doubling. One read's series are distinct, so a table
 * with a single read needs no merging: most rules read one selector once. */
void fresh_table_begin(struct fresh_table *t, struct arena *a, const struct labels *const *ls,
                       const struct storage_series *ss, size_t n, int64_t ref_ms);
/* Builds the index and merges repeated readings (idempotent). */
void fresh_table_index(struct fresh_table *t);
/* The input with this fingerprint, or NULL (builds the index when needed). */
const struct fresh_input *fresh_table_find(struct fresh_table *t, uint64_t fingerprint);

/* What a rule reports about its inputs after an evaluation (FRESHNESS.md
 * "Lag, exposed"), over the distinct entries of a table. */
struct fresh_summary {
    size_t ninputs;          /* distinct input series */
    size_t nlate, nfrozen;   /* of them late, frozen (gone is the rule layer's) */
    size_t nended;           /* of them ended with a staleness marker */
    int64_t worst_age_ms;    /* oldest newest-sample over inputs */
    int64_t median_age_ms;   /* median input age (the upper median) */
    int64_t newest_age_ms;   /* age of the newest sample over inputs: the backend's ingestion lag */
};
/* Summarises t's distinct inputs (merging repeated readings first when
 * there were several reads; zeroes when empty). */
void fresh_table_summary(struct fresh_table *t, struct fresh_summary *out);

/* Room for one more reading (fresh_record). */
void fresh_table_grow(struct fresh_table *t);

/* Appends a reading of series i of the current read to t (NULL: none kept). */
static inline void fresh_record(struct fresh_table *t, size_t i, size_t last, int64_t age_ms, enum fresh_class c,
                                bool ended)
{
    if (!t)
        return;
    if (t->n == t->cap)
        fresh_table_grow(t);
    struct fresh_input *e = &t->in[t->n++];
    e->age_ms = age_ms;
    e->read = (uint32_t)(t->nreads - 1);
    e->series = (uint32_t)i;
    e->last = (uint32_t)last;
    e->cls = (uint8_t)c;
    e->ended = ended;
    t->idx = NULL; /* a reading after indexing: rebuild on next use */
}

/* fresh_observe for the readings the inline path does not settle. */
void fresh_observe_slow(struct fresh_table *t, const struct fresh_hook *h, size_t i, const struct labels *ls,
                        const struct sample *pts, size_t last, int64_t ref_ms, struct prov *p);

/* Measures series i of the current read (labels ls, raw samples pts) at
 * ref, classifies it through h, records it in t (when t is not NULL, after
 * fresh_table_begin) and
 * fills its single-input provenance p (prov_single_set; nnot_fresh 1 unless
 * fresh). pts/last as for fresh_measure; the series must have a real sample
 * at or before ref. Inline because it runs once per selected series: the
 * common reading (newest sample real, the value changed at it, young enough
 * to be fresh for sure) costs a few comparisons and stores. */
static inline void fresh_observe(struct fresh_table *t, const struct fresh_hook *h, size_t i,
                                 const struct labels *ls, const struct sample *pts, size_t last, int64_t ref_ms,
                                 struct prov *p)
{
    const struct sample *cur = &pts[last];
    int64_t age = ref_ms - cur->t_ms;
    /* a float that is not NaN (so not a staleness marker) */
    if (cur->h || cur->v != cur->v || !fresh_hook_sure(h, age))
        goto slow;
    size_t start = last; /* back over the run of equal floats */
    while (start > 0) {
        const struct sample *prev = &pts[start - 1];
        if (prev->h)
            goto slow;
        if (prev->v != cur->v) {
            if (value_is_stale_nan(prev->v))
                goto slow; /* markers inside the run are skipped: the slow path knows how */
            break;
        }
        start--;
    }
    fresh_record(t, i, last, age, FRESH_CLASS_FRESH, false);
    prov_single_set(p, ls->hash, age, ref_ms - pts[start].t_ms, false);
    return;
slow:
    fresh_observe_slow(t, h, i, ls, pts, last, ref_ms, p);
}

#endif
