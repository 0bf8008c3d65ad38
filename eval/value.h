/* value: what PromQL evaluates to — float samples, instant vectors, range
 * vectors (matrices), scalars and strings — plus the freshness provenance
 * each output series carries and the evaluation error type.
 * Ownership rule: every value, its arrays and its provenance live in the
 * evaluation arena; label sets are interned in the evaluation's table. */
#ifndef HEED_EVAL_VALUE_H
#define HEED_EVAL_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct labels;
struct arena;
struct histogram;

/* Prometheus's staleness marker: a NaN with this exact bit pattern. */
#define VALUE_STALE_NAN_BITS 0x7ff0000000000002ULL

static inline bool value_is_stale_nan(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b == VALUE_STALE_NAN_BITS;
}

static inline double value_stale_nan(void)
{
    uint64_t b = VALUE_STALE_NAN_BITS;
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* One raw or computed sample: a float, or a native histogram when h is set
 * (v is then 0 and unused; a stale histogram is a StaleNaN float sample). */
struct sample {
    int64_t t_ms;              /* Unix milliseconds */
    double v;                  /* value; StaleNaN marks staleness in raw data only */
    const struct histogram *h; /* native histogram (eval/histogram.h), or NULL: a float */
};

/* Freshness provenance (design/FRESHNESS.md "Per input series",
 * "Propagation"): a summary over the input series an output depends on.
 * Immutable once built; operators share a pointer when they pass a series
 * through and merge when they combine series. NULL means "no inputs"
 * (literals, time(), absent()). */
#define VALUE_PROV_MAX_IDS 64
struct prov {
    int64_t worst_age_ms;       /* max over inputs of reference time - newest sample used */
    int64_t worst_unchanged_ms; /* max over inputs of reference time - last value change */
    uint32_t ninputs;           /* contributing input series (ids + beyond) */
    uint32_t nnot_fresh;        /* of them, not fresh (classification hook: 0 until policies exist) */
    uint32_t nids;              /* fingerprints stored in ids (<= VALUE_PROV_MAX_IDS) */
    uint32_t nbeyond;           /* distinct contributors not stored because of the cap (upper bound) */
    uint64_t ids[];             /* sorted input label fingerprints */
};

/* A provenance for one input series (nnot_fresh 0; the caller may classify). */
struct prov *prov_single(struct arena *a, uint64_t fingerprint, int64_t age_ms,
                               int64_t unchanged_ms);

/* Selectors make one single-input summary per series: they take room for
 * all of a selector's series in one allocation and fill slot i in place
 * (an allocation per series was a measurable part of tracking's cost). */
#define PROV_SINGLE_SIZE (sizeof(struct prov) + sizeof(uint64_t))
struct prov *prov_singles(struct arena *a, size_t n);
static inline struct prov *prov_singles_at(struct prov *block, size_t i)
{
    return (struct prov *)((unsigned char *)block + i * PROV_SINGLE_SIZE);
}
static inline void prov_single_set(struct prov *p, uint64_t fingerprint, int64_t age_ms,
                                   int64_t unchanged_ms, bool not_fresh)
{
    p->worst_age_ms = age_ms;
    p->worst_unchanged_ms = unchanged_ms;
    p->ninputs = 1;
    p->nnot_fresh = not_fresh;
    p->nids = 1;
    p->nbeyond = 0;
    p->ids[0] = fingerprint;
}
/* A copy of p in a (NULL for NULL). */
const struct prov *prov_copy(struct arena *a, const struct prov *p);
/* The union of a and b (either may be NULL); returns a or b itself when one contains the other. */
const struct prov *prov_merge(struct arena *a, const struct prov *x, const struct prov *y);

/* Accumulates the union of many summaries (aggregation groups) with one
 * allocation at the end instead of one per merge. Zero-initialise; the
 * working set is allocated in the arena only once a second distinct
 * summary arrives. */
struct prov_set;
struct prov_acc {
    const struct prov *first; /* the only summary added so far */
    struct prov_set *set;     /* open union, or NULL */
};
void prov_acc_add(struct prov_acc *acc, struct arena *a, const struct prov *p);
const struct prov *prov_acc_finish(struct prov_acc *acc, struct arena *a);

/* An element of an instant vector. */
struct vsample {
    const struct labels *ls; /* interned in the evaluation's table */
    double v;                /* value (0 for a histogram) */
    const struct histogram *h; /* native histogram, or NULL: a float */
    int64_t t_ms;            /* evaluation time, or the sample's own time for timestamp() */
    const struct prov *prov; /* NULL: no inputs */
    bool drop_name;          /* delayed __name__ removal pending */
};

struct vector {
    struct vsample *s; /* samples */
    size_t n;          /* count */
};

/* A series of a range vector (or of a range query result). */
struct series {
    const struct labels *ls; /* interned in the evaluation's table */
    struct sample *pts;      /* ascending time, no StaleNaN */
    size_t n;                /* points */
    const struct prov *prov; /* NULL: no inputs */
    bool drop_name;          /* delayed __name__ removal pending */
    bool has_hist;           /* some point is a native histogram (float-only code skips a scan) */
};

struct matrix {
    struct series *s; /* series */
    size_t n;         /* count */
};

enum value_type {
    VALUE_NONE = 0,
    VALUE_SCALAR,
    VALUE_VECTOR,
    VALUE_MATRIX,
    VALUE_STRING,
};

struct value {
    enum value_type type; /* which member is valid */
    union {
        struct {
            double v;                /* the scalar */
            const struct prov *prov; /* selectors inside scalar(...), else NULL */
        } scalar;
        struct vector vec;
        struct matrix mat;
        const char *str; /* NUL-terminated */
    } u;
};

/* Evaluation errors; the type maps 1:1 to Prometheus's API errorType. */
enum eval_error_type {
    EVAL_ERR_NONE = 0,
    EVAL_ERR_BAD_DATA,    /* "bad_data" */
    EVAL_ERR_EXECUTION,   /* "execution" */
    EVAL_ERR_TIMEOUT,     /* "timeout" */
    EVAL_ERR_CANCELED,    /* "canceled" */
    EVAL_ERR_INTERNAL,    /* "internal" */
    EVAL_ERR_UNAVAILABLE, /* "unavailable" */
};

struct eval_error {
    enum eval_error_type type; /* EVAL_ERR_NONE: no error */
    char msg[512];             /* Prometheus's text */
};

const char *eval_error_type_name(enum eval_error_type t);
void eval_error_set(struct eval_error *e, enum eval_error_type t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
