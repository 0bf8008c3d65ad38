/* report: availability over a past range from a GOOD/TOTAL ratio expression
 * (or a recording rule's expression), with its coverage. The expression is
 * evaluated at every step with heed's freshness classification; a step whose
 * inputs are not fresh (late, frozen) is "stale", a step with no result (no
 * series, an error, 0/0) is "missing", and both are unknown: never counted
 * as good. The availability is the mean ratio over the covered steps; the
 * report states the share unknown beside it, the error budget left against
 * an objective, and what the same data says when freshness is ignored.
 * Ownership rule: a report owns its steps and intervals (malloc) and its
 * texts (its arena); report_release frees them. The store is borrowed. */
#ifndef HEED_RULES_REPORT_H
#define HEED_RULES_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "rules/policy.h"

struct storage;
struct strbuf;

/* ORDER report_coverage */
enum report_coverage {
    REPORT_FRESH = 0, /* a value from fresh inputs: counted */
    REPORT_STALE,     /* a value from late or frozen inputs: unknown */
    REPORT_MISSING,   /* no value: unknown */
};
const char *report_coverage_name(enum report_coverage c); /* "fresh", "stale", "missing" */

/* One evaluation step. */
struct report_step {
    int64_t t_ms;                 /* the step's time */
    enum report_coverage cov;     /* its coverage */
    double v;                     /* the ratio (NaN when missing) */
};

/* Consecutive steps of one coverage, and why (the first step's reason). */
struct report_interval {
    int64_t from_ms, to_ms;    /* first step, and the last step + step */
    enum report_coverage cov;  /* coverage */
    size_t steps;              /* steps in it */
    const char *reason;        /* report arena; "" for fresh */
};

struct report_opts {
    const char *expr;        /* the ratio expression (borrowed) */
    const char *name;        /* what to call it in the output (borrowed; NULL: expr) */
    int64_t from_ms, to_ms;  /* range */
    int64_t step_ms;         /* evaluation step; 0: 1m */
    double objective;        /* e.g. 99.9 (percent); 0: none */
    struct policy policy;    /* freshness policy of the inputs */
    void (*end_eval)(void *ctx); /* called after each step (a datasource drops its cache); NULL */
    void *end_eval_ctx;
};

struct report {
    struct arena arena;                /* texts */
    struct report_opts o;              /* as run (expr/name copied into arena) */
    struct report_step *steps;         /* every step (malloc) */
    size_t nsteps;
    struct report_interval *iv;        /* coverage intervals in time order (malloc) */
    size_t niv, capiv;
    size_t count[3];                   /* steps per coverage (ORDER report_coverage) */
    double availability;               /* mean ratio over fresh steps; NaN when none */
    double naive_availability;         /* mean over fresh and stale steps: freshness ignored */
    double budget_left;                /* share of the error budget left (1 - used); NaN without objective */
    size_t multi_series_steps;         /* steps where the expression gave several series (averaged) */
};

void report_init(struct report *r);
void report_release(struct report *r);

/* Evaluates o->expr over the range on st. Returns 0, or -1 with msg set
 * (the expression does not parse, the range is empty). */
int report_run(struct report *r, struct storage *st, const struct report_opts *o, char *msg, size_t msglen);

void report_out_text(struct strbuf *out, const struct report *r);
void report_out_json(struct strbuf *out, const struct report *r);
void report_out_svg(struct strbuf *out, const struct report *r);

#endif
