/* coverage: a ratio (availability, success rate) over a period, stated
 * with the share of the period whose inputs could be trusted (design/
 * SCENARIOS.md 4: "99.93% over 88% of the week; 12% unknown", never a bare
 * 100% built on frozen counters). The expression is evaluated at every
 * step with the policy's classification; a step counts as covered when its
 * value is a number and none of its inputs is late or frozen.
 * Ownership rule: nothing outlives a call; the caller owns the result. */
#ifndef HEED_RULES_COVERAGE_H
#define HEED_RULES_COVERAGE_H

#include <stddef.h>
#include <stdint.h>

#include "eval/engine.h"
#include "rules/policy.h"

struct coverage_result {
    size_t points;     /* series x steps evaluated */
    size_t covered;    /* of them, a number from trusted inputs */
    size_t untrusted;  /* of them, some input late or frozen */
    size_t missing;    /* of them, no sample or not a number */
    double mean;       /* mean value over the covered points (NaN when none) */
};

/* Evaluates q at start, start+step, ... <= end over st under pol's
 * classification (eo: the engine options to start from). Returns 0, or -1
 * with *err set by the first failing evaluation. */
int coverage_eval(struct storage *st, const struct engine_opts *eo, const struct policy *pol,
                  const struct engine_query *q, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                  struct coverage_result *out, struct eval_error *err);

/* "99.83% over 88.1% of the time; 11.9% unknown" (the value as a
 * percentage with two decimals, the shares with one). */
void coverage_format(const struct coverage_result *r, char *buf, size_t n);

#endif
