/* parse: the single entry point of the PromQL front end.
 * Source text + arena in, AST or diagnostics out. Reentrant: no globals.
 * Ownership rule: the tree lives in the caller's arena; diagnostics are
 * appended to the caller's diag_list. */
#ifndef HEED_GRAMMAR_PARSE_H
#define HEED_GRAMMAR_PARSE_H

#include <stddef.h>

#include "grammar/ast.h"

struct arena;
struct diag_list;

struct parse_opts {
    int experimental;  /* accept experimental functions and limitk/limit_ratio (as promqltest does) */
    size_t max_depth;  /* limit on tree height and on open ( [ {; 0: default (1000) */
    size_t max_len;    /* source length limit in bytes; 0: default (1 MiB) */
};

/* Parses an expression. Returns the root, or NULL with exactly one diag
 * (DIAG_SYNTAX, DIAG_TYPE, or DIAG_LIMIT for the bounds above; span into
 * src) whose message is the text Prometheus puts after "parse error: " --
 * like Prometheus, only the first error is reported. Type checking is
 * Prometheus's checkAST: a successful result is well-typed, set operators
 * carry many-to-many matching, and matching is NULL unless both operands are
 * instant vectors. opts may be NULL (defaults). */
struct ast_node *parse_expr(const char *src, size_t len, struct arena *a,
                            const struct parse_opts *opts, struct diag_list *diags);

/* Parses a duration literal ("5m", "1h30m", "0") into milliseconds; -1 on error. */
int parse_duration(const char *s, size_t len, int64_t *ms);

/* Formats milliseconds as Prometheus prints durations ("1h30m", "0s", "1m500ms"). */
void parse_format_duration(struct strbuf *out, int64_t ms);

/* One value of the series notation used by promqltest "load" blocks and
 * promtool input_series: "1+2x3 _ stale _x2 -1x2". */
enum parse_sample_kind {
    PARSE_SAMPLE_VALUE = 0, /* a number */
    PARSE_SAMPLE_OMITTED,   /* "_": no sample at this step */
    PARSE_SAMPLE_STALE,     /* "stale": a staleness marker */
    PARSE_SAMPLE_HISTOGRAM, /* a native histogram "{{...}}" (parse_series_desc_histograms only) */
};

struct histogram;

struct parse_sample {
    enum parse_sample_kind kind; /* what this step holds */
    double value;                /* the number, for PARSE_SAMPLE_VALUE */
    const struct histogram *h;   /* PARSE_SAMPLE_HISTOGRAM: in the caller's arena (eval/histogram.h) */
    bool hint_set;               /* counter_reset_hint was written (promqltest compares it then) */
};

/* A series description: 'metric{l="v"} values...' with the values expanded
 * (a+bxN gives N+1 values, _xN gives N omitted steps). */
struct parse_series {
    const char **names;           /* label names, sorted, __name__ included when written */
    const char **values;          /* label values, parallel to names */
    size_t nlabels;
    struct parse_sample *samples; /* expanded values, one per step */
    size_t nsamples;
};

/* Parses a series description (values optional). Returns 0, or -1 with a diag. */
int parse_series_desc(const char *src, size_t len, struct arena *a, struct parse_series *out,
                      struct diag_list *diags);
/* The same, accepting native histogram values: "{{schema:0 sum:5 count:4
 * buckets:[1 2 1] offset:0 n_buckets:[..] n_offset:.. z_bucket:.. z_bucket_w:..
 * custom_values:[..] counter_reset_hint:gauge}}", "{{..}}xN", "{{..}}+{{..}}xN"
 * and "{{..}}-{{..}}xN" (each step adds or subtracts the second). */
int parse_series_desc_histograms(const char *src, size_t len, struct arena *a,
                                 struct parse_series *out, struct diag_list *diags);

#endif
