/* memstore: an in-memory series store implementing eval/storage.h, for the
 * PromQL test runner, unit tests and benchmarks.
 * Ownership rule: the store owns its label sets (in its own arena and intern
 * table) and sample arrays (malloc); memstore_clear/memstore_release free them,
 * so nothing selected may be used after either. */
#ifndef HEED_EVAL_MEMSTORE_H
#define HEED_EVAL_MEMSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "eval/labels.h"
#include "eval/storage.h"

/* A native histogram sample of a series, by its position. */
struct memstore_hist {
    size_t i;                  /* index into the series' t and v */
    const struct histogram *h; /* in the store's arena */
};

/* Samples are kept as two arrays (16 bytes a float sample: a week of
 * 15-second data for 1,000 series is 645 MB, not the 968 MB of struct
 * sample's 24), the rare histograms aside; select builds struct samples
 * in the evaluation arena for the range asked only. */
struct memstore_series {
    const struct labels *ls;  /* interned in the store's table */
    int64_t *t;               /* timestamps: ascending, unique (malloc) */
    double *v;                /* values; 0 where a histogram stands (malloc) */
    size_t n;                 /* samples */
    size_t cap;               /* allocated samples (of t and of v) */
    struct memstore_hist *h;  /* histogram samples, ascending i (malloc); NULL */
    size_t nh, caph;          /* used, allocated */
};

/* The series of one metric name (an index for selectors naming it). */
struct memstore_name {
    const char *name;  /* metric name (the store's interned string); NULL: empty slot */
    size_t *idx;       /* indexes into memstore.s, ascending (malloc) */
    size_t n, cap;     /* used, allocated */
};

struct memstore {
    struct arena arena;            /* label strings and sets */
    struct labels_table table;     /* intern table of series labels */
    struct memstore_series **s;    /* series, in insertion order (malloc) */
    size_t n;                      /* series count */
    size_t cap;                    /* allocated */
    size_t *byset;                 /* open addressing on the label set's hash: index+1 into s, 0 empty */
    size_t byset_cap;              /* power of two, or 0 */
    struct memstore_name *names;   /* open addressing on the metric name's hash (malloc) */
    size_t names_cap;              /* power of two, or 0 */
    size_t nnames;                 /* names used */
    int64_t visible_until_ms;      /* selects see no sample after this (INT64_MAX: all), for
                                    * loading data ahead of a replay without showing the future */
    struct storage iface;          /* storage vtable bound to this store */
};

void memstore_init(struct memstore *ms);
void memstore_release(struct memstore *ms);
/* Drops all series and samples (promqltest "clear"). */
void memstore_clear(struct memstore *ms);

/* The series with these labels, created when new. */
struct memstore_series *memstore_series_get(struct memstore *ms, const struct label *ls, size_t n);
/* Adds a sample; a sample at an existing timestamp replaces it. */
void memstore_append(struct memstore_series *s, int64_t t_ms, double v);
/* Adds a native histogram sample (copied into the store's arena). */
void memstore_append_histogram(struct memstore *ms, struct memstore_series *s, int64_t t_ms,
                               const struct histogram *h);
/* Sets the counter reset hints of stored histograms as Prometheus's TSDB
 * returns them: a gauge stays a gauge; the first histogram after a float,
 * a staleness marker or nothing keeps its own hint (a reset or unknown);
 * each following one keeps an explicit CounterReset, reads back as unknown
 * when it resets against the previous one (a new chunk), else as
 * NotCounterReset. Call after loading. */
void memstore_histogram_hints(struct memstore *ms);
/* Removes every sample of the series (a redefinition inside one load). */
void memstore_series_truncate(struct memstore_series *s);
/* Removes the samples before cutoff_ms (a daemon's overlay keeps a window). */
void memstore_series_drop_before(struct memstore_series *s, int64_t cutoff_ms);
/* Makes room for n more samples at once: a loader that knows how many
 * follow avoids the doubling's slack (up to half of a large series). */
void memstore_series_reserve(struct memstore_series *s, size_t n);

/* Total number of samples held. */
size_t memstore_samples(const struct memstore *ms);

#endif
