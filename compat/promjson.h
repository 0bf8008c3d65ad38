/* promjson: streaming decoder for Prometheus HTTP query-API responses.
 *
 * The body of /api/v1/query (or query_range) is fed in chunks as they arrive
 * (curl's write callback) and turned into callbacks: a series starts with its
 * labels, its samples follow, it ends; scalars, strings and warnings likewise.
 * Nothing buffers the whole body: memory is the current series' labels (and,
 * only when a series object lists "values" before "metric", its samples),
 * plus yajl's token buffer, which holds at most one token (bounded by
 * max_body_bytes).
 *
 * Errors use Prometheus's API errorType vocabulary: an error body
 * {"status":"error","errorType":...,"error":...} is reported with its own
 * type and message; a body that is not a valid response is "bad_response"
 * (the client-side type of Prometheus's Go API client); a limit exceeded is
 * "execution", as Prometheus reports its own --query.max-samples.
 *
 * Native histograms ("histogram" of a vector sample, "histograms" of a
 * matrix series: count, sum and the non-empty buckets as [boundary rule,
 * lower, upper, count]) are rebuilt as eval/histogram.h values: the schema
 * from the bucket bounds (custom bounds, schema -53, when a bound is
 * infinite or not exponential), the zero bucket from the closed bucket
 * around 0. What the API leaves out cannot come back: the zero threshold
 * of a histogram with an empty zero bucket (Prometheus's default, 2^-128,
 * is assumed), the schema of a histogram without buckets (8 is assumed, so
 * that it adopts any other's schema when added), custom bounds only
 * between empty buckets, and the counter reset hint (unknown).
 *
 * Ownership rule: the decoder owns its buffers; the label, string and
 * histogram views passed to callbacks are valid only during the callback. promjson_free()
 * releases everything. */
#ifndef HEED_COMPAT_PROMJSON_H
#define HEED_COMPAT_PROMJSON_H

#include <stddef.h>
#include <stdint.h>

/* ORDER promjson_errtype: matches promjson_errtype_name(). */
enum promjson_errtype {
    PROMJSON_OK = 0,
    PROMJSON_BAD_DATA,     /* "bad_data": the query or a parameter is invalid */
    PROMJSON_EXECUTION,    /* "execution": evaluation failed (or a limit was hit) */
    PROMJSON_TIMEOUT,      /* "timeout" */
    PROMJSON_CANCELED,     /* "canceled" */
    PROMJSON_INTERNAL,     /* "internal" */
    PROMJSON_UNAVAILABLE,  /* "unavailable": the backend cannot be reached */
    PROMJSON_NOT_FOUND,    /* "not_found" */
    PROMJSON_BAD_RESPONSE, /* "bad_response": the body is not a valid API response */
};

/* The errorType string, e.g. "bad_data". */
const char *promjson_errtype_name(enum promjson_errtype t);
/* The type for an errorType string; unknown strings map to PROMJSON_INTERNAL. */
enum promjson_errtype promjson_errtype_parse(const char *s, size_t len);

#define PROMJSON_MSG_MAX 1024

struct promjson_error {
    enum promjson_errtype type;  /* PROMJSON_OK: no error */
    char msg[PROMJSON_MSG_MAX];  /* message, truncated with "..." when long */
};

void promjson_error_set(struct promjson_error *e, enum promjson_errtype type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum promjson_result_type {
    PROMJSON_RESULT_NONE = 0,
    PROMJSON_RESULT_VECTOR,
    PROMJSON_RESULT_MATRIX,
    PROMJSON_RESULT_SCALAR,
    PROMJSON_RESULT_STRING,
};

const char *promjson_result_type_name(enum promjson_result_type t);

struct promjson_label {
    const char *name;  /* NUL-terminated view, valid during the callback */
    size_t name_len;   /* bytes of name */
    const char *value; /* NUL-terminated view */
    size_t value_len;  /* bytes of value */
};

/* Callbacks return 0 to continue; non-zero stops decoding, and the consumer's
 * error (set with promjson_fail() during the callback) is reported, or an
 * "internal" error when it set none. Any callback may be NULL. */
struct histogram;

struct promjson_callbacks {
    void *ctx; /* passed to every callback */
    /* A vector or matrix series begins; labels in the order of the body. */
    int (*series_start)(void *ctx, const struct promjson_label *labels, size_t nlabels);
    /* One sample of the current series: t in milliseconds, v a float. */
    int (*sample)(void *ctx, int64_t t_ms, double v);
    int (*series_end)(void *ctx);
    /* A scalar result. */
    int (*scalar)(void *ctx, int64_t t_ms, double v);
    /* A string result. */
    int (*string)(void *ctx, int64_t t_ms, const char *s, size_t len);
    /* An entry of "warnings" (is_info 0) or "infos" (is_info 1). */
    int (*warning)(void *ctx, int is_info, const char *msg, size_t len);
    /* One native histogram sample of the current series. A matrix series
     * lists its floats ("values") before its histograms ("histograms"), so
     * a series holding both is not in time order across the two kinds. */
    int (*histogram)(void *ctx, int64_t t_ms, const struct histogram *h);
};

/* Hard limits; 0 in a field means its default (in parentheses). */
struct promjson_limits {
    size_t max_body_bytes;   /* whole response (256 MiB) */
    size_t max_series;       /* series in the result (1,000,000) */
    size_t max_samples;      /* samples in the result, all series (50,000,000, Prometheus's max-samples) */
    size_t max_labels;       /* labels per series (1,000) */
    size_t max_label_bytes;  /* one label name or value (64 KiB) */
    size_t max_string_bytes; /* a string result, warning or error message (64 KiB) */
    size_t max_buckets;      /* buckets of one native histogram (100,000) */
};

struct promjson;

/* A decoder for one response body. */
struct promjson *promjson_new(const struct promjson_callbacks *cb, const struct promjson_limits *lim);
void promjson_free(struct promjson *p);

/* Feeds the next chunk of the body. Returns 0, or -1 once an error is known
 * (promjson_error() says which); after -1 further feeding is ignored. */
int promjson_feed(struct promjson *p, const void *buf, size_t len);

/* Ends the body: checks it was complete and says whether the response is a
 * success. Returns 0 on success, -1 with promjson_error() set otherwise
 * (including a well-formed error body: then the error is the server's). */
int promjson_finish(struct promjson *p);

/* The decoder's error (type PROMJSON_OK while there is none). */
const struct promjson_error *promjson_error(const struct promjson *p);

/* For a consumer callback that refuses the data: records the error that
 * decoding stops with. */
void promjson_fail(struct promjson *p, enum promjson_errtype type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What the body has said so far. */
enum promjson_result_type promjson_result_type(const struct promjson *p);
size_t promjson_series_count(const struct promjson *p);
size_t promjson_sample_count(const struct promjson *p);
size_t promjson_bytes_fed(const struct promjson *p);
/* The first bytes of the body (up to 256, NUL-terminated), for messages about
 * bodies that are not JSON at all (an HTML error page of a proxy). */
const char *promjson_body_head(const struct promjson *p);

/* Parses a sample value string ("1.5", "NaN", "+Inf", "-Inf", "1e-07").
 * Returns 0, or -1 when s is not a Prometheus float. */
int promjson_parse_value(const char *s, size_t len, double *out);
/* One bucket as the API lists it: rule 0 (lower, upper], 1 [lower, upper),
 * 2 (lower, upper), 3 [lower, upper]. */
struct promjson_bucket {
    int rule;
    double lower, upper, count;
};

/* Rebuilds a histogram (in a) from count, sum and the API's bucket list.
 * Returns it, or NULL with *why set when the buckets fit no histogram. */
struct arena;
struct histogram *promjson_histogram_build(struct arena *a, double count, double sum,
                                           const struct promjson_bucket *b, size_t n, const char **why);

/* Parses a JSON number of seconds (as the API writes timestamps) into
 * milliseconds, exactly for up to three decimals. Returns 0 or -1. */
int promjson_parse_time_ms(const char *s, size_t len, int64_t *out);

#endif
