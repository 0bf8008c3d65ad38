/* ev: the evaluator's internal state, shared by the walker (engine.c), the
 * operators (binop.c, aggr.c) and the function families (fn_*.c).
 * Not a public interface: only eval/ includes it.
 * Ownership rule: everything an evaluation allocates comes from ev->a. */
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
    struct storage_series *ss;   /* raw series from storage */
    const struct labels **ls;    /* their labels in the evaluation table */
    size_t n;                    /* series count */
};

struct ev {
    struct arena *a;              /* evaluation arena */
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
    bool range_mode;              /* top-level query is a range query */
    bool prov;                    /* track provenance */
};

int ev_eval(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out);

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

/* Counts n more samples held; -1 with the too-many-samples error. */
int ev_hold(struct ev *ev, size_t n);

/* The set without __name__. */
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

/* Strips parentheses. */
const struct ast_node *ev_unparen(const struct ast_node *n);

/* Go's strconv.FormatFloat(f, 'f', -1, 64) as used for le/quantile labels. */
const char *ev_format_float(struct ev *ev, double v);

/* Operators (binop.c, aggr.c). */
int binop_eval(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out);
int aggr_eval(struct ev *ev, const struct ast_node *n, int64_t t, struct value *out);
double binop_scalar(enum ast_binop op, double l, double r);

#endif
