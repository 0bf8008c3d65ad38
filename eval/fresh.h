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
};

/* One distinct input series an evaluation read. */
struct fresh_input {
    const struct labels *ls;   /* evaluation-interned; ls->hash is the provenance fingerprint */
    int64_t ref_ms;            /* reference time of the reading kept */
    struct fresh_figures f;    /* its figures */
    enum fresh_class cls;      /* its class */
};

/* The input series an evaluation read. Readings are appended as the
 * engine goes (cheap: no hashing on the evaluation's path); the index by
 * fingerprint is built on first use, merging a series read several times
 * into its worst reading (then the newest), so after fresh_table_index the
 * entries are distinct. */
struct fresh_table {
    struct fresh_input *in; /* inputs, in first-read order */
    size_t n, cap;          /* count, allocated */
    size_t *idx;            /* open addressing: index + 1, 0 empty; NULL: not built */
    size_t icap;            /* power of two, or 0 */
    struct arena *a;        /* the evaluation arena (for the index) */
};

/* Makes room for n more readings (the engine calls it with a selector's
 * series count, so the table grows once per selector, not by doubling). */
void fresh_table_reserve(struct fresh_table *t, struct arena *a, size_t n);
/* Builds the index and merges repeated readings (idempotent). */
void fresh_table_index(struct fresh_table *t);
/* The input with this fingerprint, or NULL (builds the index when needed). */
const struct fresh_input *fresh_table_find(struct fresh_table *t, uint64_t fingerprint);

/* Measures one selected series at ref, classifies it through h, records it
 * in t (when t is not NULL) and returns its provenance (nnot_fresh 1 unless
 * fresh). pts/last as for fresh_measure; the series must have a real sample
 * at or before ref. */
const struct prov *fresh_observe(struct arena *a, struct fresh_table *t, const struct fresh_hook *h,
                                 const struct labels *ls, const struct sample *pts, size_t last,
                                 int64_t ref_ms);

#endif
