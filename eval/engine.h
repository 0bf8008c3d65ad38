/* engine: PromQL evaluation over a storage (eval/storage.h), at one instant
 * or over a range of steps, with Prometheus 3 semantics, annotations and
 * freshness provenance on every output series.
 * Ownership rule: the result, its annotations and provenance live in the
 * arena passed in; releasing or resetting that arena frees the evaluation
 * in one step. The AST and the storage are only read. */
#ifndef HEED_EVAL_ENGINE_H
#define HEED_EVAL_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/fresh.h"
#include "eval/value.h"

struct arena;
struct ast_node;
struct storage;

struct engine_opts {
    int64_t lookback_ms;       /* lookback delta; 0: 5m */
    int64_t subquery_step_ms;  /* default subquery step; 0: 1m */
    size_t max_samples;        /* samples held at once; 0: 50,000,000 */
    int64_t timeout_ms;        /* wall-clock budget; 0: none */
    const volatile int *cancel; /* set non-zero (from another thread) to cancel; NULL: never */
    bool delayed_name_removal; /* drop __name__ at the end (promqltest), not per operator */
    bool no_provenance;        /* skip freshness provenance (benchmarks) */
    const struct fresh_hook *fresh; /* classify inputs and fill engine_result.inputs; NULL: no classes */
};

/* An annotation: Prometheus's text, bare (as promqltest compares it) and
 * full (with details and " (line:col)" of the expression part it concerns,
 * as the HTTP API shows it). */
struct engine_annot {
    const char *msg;  /* "PromQL warning: ..." */
    const char *full; /* msg + details + " (line:col)" */
};

/* Warnings and infos, deduplicated by msg. */
struct engine_annots {
    struct engine_annot *warn; /* warnings */
    size_t nwarn;
    struct engine_annot *info; /* infos */
    size_t ninfo;
    size_t capw, capi;         /* allocated */
};

struct engine_result {
    struct value v;          /* vector/scalar/string/matrix (instant); matrix (range) */
    struct engine_annots ann; /* warnings and infos */
    struct eval_error err;   /* type EVAL_ERR_NONE unless the evaluation failed */
    size_t samples_read;     /* raw samples selectors took (statistics, benchmarks) */
    struct fresh_table inputs; /* input series with their figures (instant, with opts.fresh) */
};

/* Query text given so annotations can carry positions; may be NULL. */
struct engine_query {
    const struct ast_node *expr; /* parsed expression */
    const char *src;             /* its source text */
    size_t srclen;               /* bytes of src */
};

/* Evaluates q at t_ms. Returns 0, or -1 with res->err set. */
int engine_eval_instant(struct storage *st, const struct engine_opts *o,
                        const struct engine_query *q, int64_t t_ms, struct arena *a,
                        struct engine_result *res);

/* Evaluates q at start, start+step, ... <= end; result is a matrix sorted by labels. */
int engine_eval_range(struct storage *st, const struct engine_opts *o, const struct engine_query *q,
                      int64_t start_ms, int64_t end_ms, int64_t step_ms, struct arena *a,
                      struct engine_result *res);

/* Sorts a matrix by label set (Prometheus's order for range results). */
void engine_sort_matrix(struct matrix *m);

#endif
