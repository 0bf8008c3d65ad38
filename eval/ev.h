/* ev: the evaluator's internal state, shared by the walker (engine.c), the
 * operators (binop.c, aggr.c) and the function families (fn_*.c).
 * Not a public interface: only eval/ includes it.
 * Ownership rule: everything an evaluation allocates comes from ev->a (values
 * of the current step) or ev->keep (what outlives a step: interned labels and
 * the strings they point to, fetched series, annotations, range results).
 * For an instant query both are the caller's arena. */
#ifndef HEED_EVAL_EV_H
#define HEED_EVAL_EV_H

#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"
#include "eval/engine.h"
#include "eval/labels.h"
#include "eval/storage.h"
#include "eval/value.h"
#include "grammar/ast.h"

/* The series fetched once for a selector node, for the whole query. */
struct ev_sel {
    const struct ast_node *vs;   /* the AST_VECTOR_SELECTOR */
    const struct ast_node *owner; /* the node that made vs up (info()), or NULL */
    struct storage_series *ss;   /* raw series from storage */
    const struct labels **ls;    /* their labels in the evaluation table */
    size_t n;                    /* series count */
};

/* A memo of label-set transformations (grouping keys, match signatures,
 * name dropping) keyed by (operator node, input set), so a range query
 * computes each once per series instead of once per step. */
struct ev_memo_slot {
    const void *node;         /* the operator (or a tag) */
    const struct labels *in;  /* input set */
    const struct labels *out; /* its transformation */
};

struct ev {
    struct arena *a;              /* scratch of the current step (reset per step of a range query) */
    struct arena *keep;           /* the caller's arena: label table, selected series, results */
    struct labels_table lt;       /* evaluation intern table */
    struct labels_builder lb;     /* scratch builder */
    const struct engine_opts *o;  /* options */
    int64_t lookback_ms;          /* resolved lookback delta */
    int64_t subq_step_ms;         /* resolved default subquery step */
    size_t max_samples;           /* resolved sample limit */
    struct storage *st;           /* where series come from */
    int64_t qstart, qend, qstep;  /* the top-level query (for @ start()/end()) */
    const char *src;              /* query text, for annotation positions */
    size_t srclen;                /* its length */
    struct engine_annots *ann;    /* annotations out */
    struct eval_error *err;       /* error out */
    struct ev_sel *sels;          /* fetched selectors */
    size_t nsels;                 /* their count */
    size_t cur_samples;           /* samples held by the current step */
    size_t *samples_read;         /* statistics: raw samples selectors took */
    int64_t deadline_ns;          /* monotonic deadline, 0: none */
    unsigned tick;                /* timeout check counter */
    struct ev_memo_slot *memo;    /* open addressing, in keep; NULL until used */
    size_t memo_cap, memo_len;    /* slots, used */
    const struct ast_node **stats_sels; /* selectors read only for histogram counts and sums */
    size_t nstats;                /* their count */
    bool range_mode;              /* top-level query is a range query */
    bool prov;                    /* track provenance */
    struct fresh_table *inputs;   /* with opts.fresh: the result's input table */
};

int ev_eval(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out);

/* Fetches the series of selector vs for evaluation times [lo, hi] once;
 * owner marks a selector made up by a function (found with ev_find_owned). */
int ev_plan_selector(struct ev *ev, const struct ast_node *vs, int64_t lo, int64_t hi,
                     const struct ast_node *owner);
const struct ev_sel *ev_find_owned(const struct ev *ev, const struct ast_node *owner);
/* An instant selector at t; own_time keeps each sample's timestamp in t_ms. */
int ev_vector_selector(struct ev *ev, const struct ast_node *vs, int64_t t, bool own_time,
                       struct value *out);

/* Sets the error and returns -1. */
int ev_fail(struct ev *ev, enum eval_error_type t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a warning/info text; pos is the expression it concerns. */
void ev_warn(struct ev *ev, const struct ast_node *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ev_info(struct ev *ev, const struct ast_node *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An info whose full text carries details after the message. */
void ev_info_detail(struct ev *ev, const struct ast_node *pos, const char *detail, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

/* The memoised transformation of in by node, or NULL. */
const struct labels *ev_memo_get(struct ev *ev, const void *node, const struct labels *in);
void ev_memo_put(struct ev *ev, const void *node, const struct labels *in, const struct labels *out);

/* Counts n more samples held; -1 with the too-many-samples error. */
int ev_hold(struct ev *ev, size_t n);

/* The set without __name__ (and the metadata labels __type__, __unit__). */
const struct labels *ev_without_name(struct ev *ev, const struct labels *ls);
/* Marks a computed sample's name for removal: now, or at the end with
 * delayed name removal. */
void ev_drop_name(struct ev *ev, struct vsample *s);

struct vsample *ev_vec_alloc(struct ev *ev, size_t n);

/* Merges vector inputs' provenance (no-op when tracking is off). */
static inline const struct prov *ev_prov_merge(struct ev *ev, const struct prov *a,
                                               const struct prov *b)
{
    return ev->prov ? prov_merge(ev->a, a, b) : NULL;
}

/* Durations written as duration expressions, resolved for this query
 * (ev_dur.c); literal ones are returned as written. ev_check_durations
 * reports upstream's error for the first one that does not evaluate. */
int ev_check_durations(struct ev *ev, const struct ast_node *root);
int64_t ev_offset_ms(const struct ev *ev, const struct ast_time_mod *tm);
int64_t ev_range_ms(const struct ev *ev, const struct ast_node *n); /* matrix selector or subquery */
int64_t ev_subq_step_ms(const struct ev *ev, const struct ast_node *n); /* 0: the default step */

/* Strips parentheses. */
const struct ast_node *ev_unparen(const struct ast_node *n);

/* Go's strconv.FormatFloat(f, 'f', -1, 64) as used for le/quantile labels;
 * allocated in ev->keep, so it may become a label value. */
const char *ev_format_float(struct ev *ev, double v);

/* info() needs its own fetch at planning time (fn_info.c). */
int fn_info_plan(struct ev *ev, const struct ast_node *call, int64_t lo, int64_t hi);

/* Operators (binop.c, aggr.c). */
int binop_eval(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out);
int aggr_eval(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out);
double binop_scalar(enum ast_binop op, double l, double r);

#endif
