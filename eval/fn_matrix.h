/* fn_matrix: the per-series loop shared by range-vector functions
 * (fn_rate.c, fn_over_time.c). Internal to eval/.
 * Ownership rule: outputs live in the evaluation arena. */
#ifndef HEED_EVAL_FN_MATRIX_H
#define HEED_EVAL_FN_MATRIX_H

#include "eval/fn.h"

/* Computes one value from a series' window; returns false for "no output". */
typedef bool (*fn_series_fn)(struct fn_args *fa, const struct series *s, double *out);

/* Index of the range-vector argument. */
size_t fn_matrix_arg(const struct fn_args *fa);

/* Runs f over each series of the range-vector argument; the output keeps the
 * series labels, dropping __name__ unless keep_name. */
int fn_matrix_each(struct fn_args *fa, fn_series_fn f, bool keep_name, struct value *out);

#endif
