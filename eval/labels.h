/* labels: immutable label sets, sorted by name, with Prometheus's fingerprint
 * (xxhash64 over name 0xff value 0xff ..., as labels.Hash) and ordering
 * (labels.Compare); an intern table so that equal sets built in one table
 * share one pointer; a builder for operators that add or drop labels.
 * Ownership rule: a labels_table and every set and string it interns live in
 * the arena given to labels_table_init; sets are never freed one by one.
 * Equal sets from the same table are pointer-equal. */
#ifndef HEED_EVAL_LABELS_H
#define HEED_EVAL_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct strbuf;

#define LABELS_METRIC_NAME "__name__"

struct label {
    const char *name;  /* label name, NUL-terminated */
    const char *value; /* label value, NUL-terminated, never empty in an interned set */
};

struct labels {
    uint64_t hash;     /* labels_hash of the set */
    size_t n;          /* number of labels */
    struct label l[];  /* sorted by name, names unique */
};

struct labels_table {
    struct arena *arena;        /* owner of the slots, sets and strings */
    const struct labels **slot; /* open addressing, NULL = empty */
    size_t cap;                 /* power of two */
    size_t len;                 /* sets interned */
    bool copy_strings;          /* copy names/values into arena (false: caller guarantees lifetime) */
};

/* copy_strings false is for per-evaluation tables whose strings all outlive
 * the evaluation (store, AST, evaluation arena). */
void labels_table_init(struct labels_table *t, struct arena *a, bool copy_strings);

/* Interns the set of n labels (any order; labels with empty values are
 * dropped, as Prometheus treats them as absent; a later duplicate name wins).
 * Returns the table's shared copy. */
const struct labels *labels_intern(struct labels_table *t, const struct label *ls, size_t n);
/* Re-interns a set from another table into t (pointer-equal to t's copy). */
const struct labels *labels_import(struct labels_table *t, const struct labels *ls);
/* The empty set of t. */
const struct labels *labels_empty(struct labels_table *t);

/* xxhash64 of name 0xff value 0xff ... over sorted labels, as Prometheus. */
uint64_t labels_hash(const struct label *ls, size_t n);

/* Value of label name, or NULL when absent. */
const char *labels_get(const struct labels *ls, const char *name);
bool labels_has(const struct labels *ls, const char *name);

/* Prometheus's labels.Compare: pairwise by name, then value; shorter first. */
int labels_compare(const struct labels *a, const struct labels *b);
bool labels_equal(const struct labels *a, const struct labels *b);

/* Prometheus's Labels.String(): {a="b", c="d"} with Go-quoted values. */
void labels_format(struct strbuf *out, const struct labels *ls);
/* Go's strconv.Quote of s into out. */
void labels_quote(struct strbuf *out, const char *s);

/* Builder: start from a set, then set/del/keep, then intern the result.
 * Its scratch array lives in the arena passed to init. */
struct labels_builder {
    struct arena *arena; /* scratch owner */
    struct label *items; /* current labels, unsorted */
    size_t n;            /* used */
    size_t cap;          /* allocated */
};

void labels_builder_init(struct labels_builder *b, struct arena *a, const struct labels *base);
void labels_builder_reset(struct labels_builder *b, const struct labels *base);
/* Sets name to value; an empty value deletes the label. Strings are not copied. */
void labels_builder_set(struct labels_builder *b, const char *name, const char *value);
void labels_builder_del(struct labels_builder *b, const char *name);
/* Keeps only the listed names. */
void labels_builder_keep(struct labels_builder *b, const char *const *names, size_t n);
const char *labels_builder_get(const struct labels_builder *b, const char *name);
const struct labels *labels_builder_finish(struct labels_builder *b, struct labels_table *t);

#endif
