/* fn_extended: the anchored and smoothed selector modifiers (Prometheus's
 * experimental promql-extended-range-selectors) — the wider windows they
 * read, which functions accept them, rate/increase/delta at the range
 * boundaries (picked or interpolated instead of extrapolated), the anchor
 * of resets/changes, smoothed instant lookups and smoothed/anchored range
 * vectors returned as such. Internal to eval/.
 * Ownership rule: everything built here lives in the evaluation arena (ev->a). */
#ifndef HEED_EVAL_FN_EXTENDED_H
#define HEED_EVAL_FN_EXTENDED_H

#include "eval/fn.h"

struct histogram;

/* Milliseconds a selector reads before its window start (anchored and
 * smoothed look one lookback delta further back) and after its reference
 * time (smoothed looks one lookback delta ahead). 0 without a modifier. */
int64_t fn_ext_behind_ms(const struct ev *ev, const struct ast_node *vs);
int64_t fn_ext_ahead_ms(const struct ev *ev, const struct ast_node *vs);

/* Called by the engine once a range selector with a modifier (ms, the
 * AST_MATRIX_SELECTOR) is evaluated as argument arg of fa->call: fails when
 * the function does not accept the modifier, records it in fa->ext, and for
 * resets/changes cuts each series to its anchor. */
int fn_ext_prepare(struct fn_args *fa, const struct ast_node *ms, struct value *arg);

/* rate/increase/delta of a float series under fa->ext (extendedRate). */
bool fn_ext_rate(struct fn_args *fa, const struct series *s, bool counter, bool rate, double *out);
/* The same over a series of histograms only (extendedHistogramRate); NULL: no output. */
struct histogram *fn_ext_hist_rate(struct fn_args *fa, const struct series *s, bool counter, bool rate);

/* A smoothed instant lookup at ref: pts[prev] is the newest sample at or
 * before ref (within the lookback); the value is interpolated towards the
 * next sample when one follows within the lookback. Returns false (maybe
 * with a warning at pos) when the series yields nothing. */
bool fn_ext_smooth(struct ev *ev, const struct ast_node *pos, const struct sample *pts, size_t n,
                   size_t prev, int64_t ref, struct vsample *out);
/* The index of the newest sample at or before index j-1 that is not a
 * staleness marker, plus one (0: none): the smoothing window drops markers. */
size_t fn_ext_skip_stale(const struct sample *pts, size_t j);

/* A range selector with a modifier evaluated as a range vector: each
 * series becomes its boundary values plus the samples strictly inside
 * (extendFloats). ref is the window end. */
int fn_ext_matrix(struct ev *ev, const struct ast_node *ms, int64_t ref, struct value *v);

#endif
