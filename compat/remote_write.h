/* remote_write: sends samples to a Prometheus remote-write receiver
 * (protocol 1.0: a prometheus.WriteRequest protobuf, snappy block-compressed,
 * POSTed with libcurl), so recording-rule results reach the backend.
 *
 * Three layers, each usable alone:
 *   - encoding: series -> WriteRequest bytes (labels sorted by name, empty
 *     values dropped, as the spec requires; float samples and float native
 *     histograms), snappy, and a decoder for tests;
 *   - transport: one POST with the protocol's headers, auth and TLS options;
 *   - queue: a bounded queue and one sender thread that batches, retries
 *     recoverable errors (5xx, connection errors, optionally 429) with
 *     exponential backoff, gives up on the rest, and counts every sample.
 *
 * Ownership rule: callers own the series they pass; the queue copies what it
 * keeps (and its configuration's strings) into memory it owns and frees in
 * remote_write_queue_free(). Nothing here prints: errors come back as
 * struct remote_write_error values and through the optional log callback. */
#ifndef HEED_COMPAT_REMOTE_WRITE_H
#define HEED_COMPAT_REMOTE_WRITE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct strbuf;

/* Prometheus's staleness marker: a NaN with this exact bit pattern, which
 * ends a series at the sample's timestamp. Ordinary NaNs do not. */
#define REMOTE_WRITE_STALE_NAN_BITS UINT64_C(0x7ff0000000000002)
double remote_write_stale_nan(void);
int remote_write_is_stale_nan(double v);

struct remote_write_error {
    char msg[512]; /* NUL-terminated description of what failed */
};

struct remote_write_label {
    const char *name;  /* label name; "__name__" holds the metric name */
    const char *value; /* label value; empty means "no such label" and is not sent */
};

struct remote_write_sample {
    double value;         /* float value, possibly remote_write_stale_nan() */
    int64_t timestamp_ms; /* milliseconds since the Unix epoch */
};

/* A run of consecutive buckets of a native histogram: the first one's
 * index is the previous span's end plus offset (the first span's offset is
 * the first index). */
struct remote_write_bucket_span {
    int32_t offset;
    uint32_t length;
};

/* A float native histogram sample (prompb.Histogram with count_float,
 * zero_count_float and the *_counts fields: what Prometheus writes for
 * recording-rule results). Bucket counts are absolute, one per bucket the
 * spans cover. */
struct remote_write_histogram {
    double count;          /* observations */
    double sum;            /* their sum */
    int32_t schema;        /* -4..8; -53: custom buckets */
    double zero_threshold; /* width of the zero bucket */
    double zero_count;     /* observations in it */
    const struct remote_write_bucket_span *neg_spans;
    size_t nneg_spans;
    const double *neg_counts;
    size_t nneg_counts;
    const struct remote_write_bucket_span *pos_spans;
    size_t npos_spans;
    const double *pos_counts;
    size_t npos_counts;
    int reset_hint;        /* prompb ResetHint: 0 unknown, 1 yes, 2 no, 3 gauge */
    const double *custom_values; /* schema -53: bucket upper bounds */
    size_t ncustom_values;
    int64_t timestamp_ms;
};

/* One series and its samples, in timestamp order. */
struct remote_write_series {
    const struct remote_write_label *labels;   /* any order; sorted on encoding */
    size_t nlabels;                            /* entries in labels */
    const struct remote_write_sample *samples; /* oldest first */
    size_t nsamples;                           /* entries in samples */
    const struct remote_write_histogram *histograms; /* oldest first (may be NULL) */
    size_t nhistograms;                        /* entries in histograms */
};

/* ---- encoding ---- */

/* The prompb form of one of heed's float native histograms (eval/histogram.h)
 * at t_ms: its dense buckets are one span per side (empty buckets inside
 * are zeros, which receivers accept). out points into h and into spans
 * (room for 2), which must outlive it. */
struct histogram;
void remote_write_histogram_of(const struct histogram *h, int64_t t_ms, struct remote_write_bucket_span spans[2],
                               struct remote_write_histogram *out);

/* Appends the WriteRequest for series[0..n) to out. Labels are written sorted
 * by name (byte order, as Go compares strings) and without empty values.
 * Returns 0, or -1 (err set, out unchanged) when a series has an empty,
 * invalid or duplicate label name, an invalid metric name, a value that is
 * not UTF-8, no labels left to send, no samples (floats or histograms),
 * samples out of order, or a histogram whose spans do not cover its counts. */
int remote_write_encode(const struct remote_write_series *series, size_t n, struct strbuf *out,
                        struct remote_write_error *err);

/* Snappy block format (not the framed format), as the protocol requires. */
int remote_write_compress(const void *p, size_t n, struct strbuf *out, struct remote_write_error *err);
int remote_write_uncompress(const void *p, size_t n, struct strbuf *out,
                            struct remote_write_error *err);

/* Decodes an uncompressed WriteRequest; everything lives in a. Unknown fields
 * are skipped as protobuf requires. Returns 0, or -1 with err set. */
int remote_write_decode(const void *p, size_t n, struct arena *a, struct remote_write_series **out,
                        size_t *nout, struct remote_write_error *err);

/* ---- configuration ---- */

enum remote_write_log_level {
    REMOTE_WRITE_LOG_DEBUG,
    REMOTE_WRITE_LOG_INFO,
    REMOTE_WRITE_LOG_WARN,
    REMOTE_WRITE_LOG_ERROR,
};

/* What one POST came back with. */
struct remote_write_response {
    long status;        /* HTTP status; 0 when no response arrived (connection error, timeout) */
    double retry_after; /* seconds from a Retry-After header; 0 when absent */
    char error[512];    /* curl's error, or the start of a non-2xx response body */
};

/* A transport: POSTs one compressed WriteRequest and fills resp. The HTTP one
 * is the default; tests substitute their own to drive the queue offline. */
typedef void (*remote_write_send_fn)(void *ctx, const void *body, size_t len,
                                     struct remote_write_response *resp);

/* Field names and defaults follow Prometheus's remote_write and queue_config
 * sections; remote_write_config_defaults() fills in those defaults. */
struct remote_write_config {
    const char *url;         /* receiver endpoint, e.g. http://127.0.0.1:9090/api/v1/write */
    const char *user_agent;  /* User-Agent header, "heed/<version>" (default "heed") */
    double timeout;          /* remote_timeout: seconds per request (30) */
    const char *basic_auth_username;      /* basic auth user, or NULL */
    const char *basic_auth_password;      /* its password, or NULL */
    const char *basic_auth_password_file; /* or a file holding it, read on every request */
    const char *bearer_token;             /* "Authorization: Bearer ..." value, or NULL */
    const char *bearer_token_file;        /* or a file holding it, read on every request */
    const char *tls_ca_file;              /* CA bundle to verify the server with */
    const char *tls_cert_file;            /* client certificate (PEM) */
    const char *tls_key_file;             /* its private key (PEM) */
    int tls_insecure_skip_verify;         /* 1: accept any server certificate */
    const char *proxy_url;                /* HTTP proxy, or NULL for none */
    const char *const *headers;           /* extra "Name: value" headers */
    size_t nheaders;                      /* entries in headers */
    int retry_on_http_429;                /* 1: treat 429 as recoverable (default 0, as Prometheus) */
    size_t capacity;                      /* samples the queue holds before dropping (10000) */
    size_t max_samples_per_send;          /* samples per request (2000) */
    double batch_send_deadline;           /* seconds a partial batch may wait (5) */
    double min_backoff;                   /* first retry delay in seconds (0.03) */
    double max_backoff;                   /* retry delay cap in seconds (5) */
    double flush_deadline;                /* seconds stop() keeps sending before dropping (60) */
    /* Optional log sink, called from the sender thread with the queue locked:
     * it must not call back into the queue. */
    void (*log)(void *ctx, enum remote_write_log_level level, const char *msg);
    void *log_ctx;                        /* passed to log */
    remote_write_send_fn send;            /* NULL: HTTP POST to url with libcurl */
    void *send_ctx;                       /* passed to send */
};

void remote_write_config_defaults(struct remote_write_config *c);
/* Rejects a missing url, both a secret and its file, both basic auth and a
 * bearer token, headers that are malformed or that the protocol reserves,
 * non-positive sizes and backoffs that do not make sense. */
int remote_write_config_check(const struct remote_write_config *c, struct remote_write_error *err);

/* ---- transport ---- */

/* A libcurl-backed transport with one reused connection. Not thread-safe:
 * one user at a time (the queue's sender thread). */
struct remote_write_http;
struct remote_write_http *remote_write_http_new(const struct remote_write_config *c,
                                                struct remote_write_error *err);
void remote_write_http_free(struct remote_write_http *h);
/* A remote_write_send_fn; ctx is a struct remote_write_http. */
void remote_write_http_send(void *ctx, const void *body, size_t len,
                            struct remote_write_response *resp);

/* ---- queue ---- */

/* Sample counters; the Prometheus metric each maps to is named alongside so
 * /metrics can expose them under the names dashboards already use. For every
 * queue, samples_in == sent + failed + dropped + pending. */
struct remote_write_stats {
    uint64_t samples_in;      /* prometheus_remote_storage_samples_in_total */
    uint64_t samples_sent;    /* prometheus_remote_storage_samples_total (acknowledged by 2xx) */
    uint64_t samples_failed;  /* prometheus_remote_storage_samples_failed_total (non-recoverable: 4xx) */
    uint64_t samples_retried; /* prometheus_remote_storage_samples_retried_total (once per retry) */
    uint64_t samples_dropped; /* prometheus_remote_storage_samples_dropped_total (queue full,
                                 invalid series, or unsent when the flush deadline passed) */
    uint64_t samples_pending; /* prometheus_remote_storage_samples_pending (queued or in flight) */
    uint64_t bytes_sent;      /* prometheus_remote_storage_bytes_total (compressed, 2xx only) */
    uint64_t requests;        /* prometheus_remote_storage_sent_batch_duration_seconds_count */
    double request_seconds;   /* prometheus_remote_storage_sent_batch_duration_seconds_sum */
    int64_t highest_enqueued_ms; /* prometheus_remote_storage_queue_highest_timestamp_seconds (x1000) */
    int64_t highest_sent_ms;  /* prometheus_remote_storage_queue_highest_sent_timestamp_seconds (x1000) */
    uint64_t capacity;        /* prometheus_remote_storage_shard_capacity (one shard) */
    uint64_t max_samples_per_send; /* prometheus_remote_storage_max_samples_per_send */
};

struct remote_write_queue;

/* Checks and copies c; the sender thread is not running yet. NULL with err set. */
struct remote_write_queue *remote_write_queue_new(const struct remote_write_config *c,
                                                  struct remote_write_error *err);
/* Starts the sender thread. Returns 0, or -1 with err set. */
int remote_write_queue_start(struct remote_write_queue *q, struct remote_write_error *err);

enum remote_write_push_result {
    REMOTE_WRITE_QUEUED = 0,   /* copied into the queue */
    REMOTE_WRITE_FULL = 1,     /* no room (or stopping): dropped and counted */
    REMOTE_WRITE_INVALID = -1, /* bad series (err set): dropped and counted */
};
/* Copies s into the queue; never blocks on the network. Thread-safe. */
enum remote_write_push_result remote_write_queue_push(struct remote_write_queue *q,
                                                      const struct remote_write_series *s,
                                                      struct remote_write_error *err);
/* Sends what is queued (retrying until flush_deadline), then stops the sender
 * thread; later pushes are dropped. Safe to call twice or without start(). */
void remote_write_queue_stop(struct remote_write_queue *q);
/* Stops if still running, then frees everything, unsent samples included. */
void remote_write_queue_free(struct remote_write_queue *q);
void remote_write_queue_stats(struct remote_write_queue *q, struct remote_write_stats *out);

#endif
