/* storage: the one interface through which the engine pulls series.
 * "Raw samples (staleness markers included, ascending time) of every series
 * matching these matchers, within [mint_ms, maxt_ms] (both inclusive)."
 * Implemented by eval/memstore (in memory, for tests and benchmarks) and by
 * compat/datasource (HTTP, later).
 * Ownership rule: the returned array, series, samples and label sets must stay
 * valid until the evaluation arena passed to select is reset; an implementation
 * may allocate them there or point into its own longer-lived memory. */
#ifndef HEED_EVAL_STORAGE_H
#define HEED_EVAL_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "eval/value.h"

struct arena;
struct ast_matcher;
struct labels;

/* One selected series. */
struct storage_series {
    const struct labels *ls;    /* its labels: sorted, unique names, hash = labels_hash (build
                                   them with labels_intern in any table; the engine re-interns) */
    const struct sample *pts;   /* raw samples in [mint, maxt], ascending, StaleNaN included */
    size_t n;                   /* number of samples */
};

struct storage {
    /* Selects every series all n matchers match (a matcher on a missing label
     * sees the empty string, as in Prometheus). Returns 0 and sets *out and *nout,
     * or -1 with *err set (EVAL_ERR_UNAVAILABLE, EVAL_ERR_TIMEOUT, ...).
     * The order of the series is unspecified. */
    int (*select)(struct storage *s, const struct ast_matcher *m, size_t n, int64_t mint_ms,
                  int64_t maxt_ms, struct arena *eval_arena, struct storage_series **out,
                  size_t *nout, struct eval_error *err);
    void *impl; /* the implementation's state */
};

#endif
