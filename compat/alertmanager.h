/* alertmanager: heed's Alertmanager v2 client. Alerts handed to
 * alertmanager_send() go to every configured Alertmanager (as Prometheus does:
 * no load balancing, Alertmanager clusters deduplicate), each through its own
 * bounded queue and sender thread, in JSON batches POSTed to
 * <url>/api/v2/alerts. Callers never block on the network.
 *
 * Where heed differs from Prometheus on purpose: a batch that fails is kept
 * and retried with bounded exponential backoff instead of being dropped
 * (unless Alertmanager rejected its content: 400, 413, 422, where Alertmanager
 * has already stored the valid alerts of the batch and a retry would only
 * block the queue behind it; those are dropped and counted), and
 * queued alerts coalesce so an Alertmanager outage loses no firing and no
 * resolve while the queue stays bounded: a queued alert is replaced by a
 * newer state of the same alert, which is the same label set *and* the same
 * startsAt (one firing episode: its re-sends and its resolve). A new episode
 * of the same labels does not replace the previous episode's resolve; both
 * are delivered, in order. What still overflows is dropped oldest-first and
 * counted.
 *
 * Ownership rule: alertmanager_new() copies everything it needs from the
 * config; alertmanager_send() copies the alerts (encoding them at once), so
 * callers keep ownership of all they pass in. The handle owns its threads,
 * queues and curl handles; alertmanager_free() stops and releases them. */
#ifndef HEED_COMPAT_ALERTMANAGER_H
#define HEED_COMPAT_ALERTMANAGER_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

/* A label or annotation: name and value, both NUL-terminated. */
struct alertmanager_pair {
    const char *name;
    const char *value;
};

/* One alert in the shape Alertmanager's postableAlert takes. */
struct alertmanager_alert {
    const struct alertmanager_pair *labels; /* sorted by name; empty values count as absent */
    size_t nlabels;
    const struct alertmanager_pair *annotations; /* sorted by name; omitted from JSON when none */
    size_t nannotations;
    int64_t starts_at_ms;      /* ms since the epoch; 0: omitted (Alertmanager then uses endsAt or now) */
    int64_t ends_at_ms;        /* in the future: firing until then; past: resolved; 0: omitted */
    const char *generator_url; /* NULL or "": omitted */
};

/* TLS settings, as a Prometheus tls_config has them. */
struct alertmanager_tls {
    const char *ca_file;   /* NULL: system CAs */
    const char *cert_file; /* client certificate (with key_file) */
    const char *key_file;
    const char *server_name; /* name to verify and send as SNI, if not the URL's host */
    int insecure_skip_verify;
};

/* One Alertmanager. */
struct alertmanager_target {
    const char *url;                      /* base URL, e.g. http://127.0.0.1:9093 or .../prefix */
    const char *basic_auth_user;          /* NULL: no basic auth */
    const char *basic_auth_password;      /* or: */
    const char *basic_auth_password_file; /* read at every request, so rotation works */
    const char *bearer_token;             /* NULL: none; or: */
    const char *bearer_token_file;        /* read at every request */
    struct alertmanager_tls tls;
    const char *const *headers; /* extra "Name: value" headers */
    size_t nheaders;
    int64_t timeout_ms; /* per POST; 0: 10000 */
};

/* Replaces the HTTP POST (tests): returns ALERTMANAGER_POST_OK when the batch
 * was accepted, else _RETRY or _REJECTED with a reason in err. target is the
 * index into alertmanager_config.targets. */
enum alertmanager_post_result {
    ALERTMANAGER_POST_OK = 0,
    ALERTMANAGER_POST_RETRY = -1,    /* transport error, 5xx, 401/403/404/408/429...: keep and retry */
    ALERTMANAGER_POST_REJECTED = -2, /* 400, 413, 422: the batch itself is bad; retrying cannot help */
};
typedef int (*alertmanager_post_fn)(void *ctx, size_t target, const char *body, size_t len, char *err,
                                    size_t errsz);

struct alertmanager_config {
    const struct alertmanager_target *targets; /* every alert goes to every target */
    size_t ntargets;
    const struct alertmanager_pair *external_labels; /* added when the alert has no non-empty value */
    size_t nexternal_labels;
    size_t queue_capacity;     /* per target; 0: 10000 */
    size_t max_batch;          /* alerts per POST; 0: 256 */
    int64_t backoff_min_ms;    /* first retry delay after a failure; 0: 500 */
    int64_t backoff_max_ms;    /* cap of the doubling delay; 0: 30000 */
    const char *user_agent;    /* NULL: "heed" */
    alertmanager_post_fn post; /* NULL: libcurl */
    void *post_ctx;
};

/* Counters of one target. Names in brackets are the Prometheus metrics they
 * map to on /metrics, with label alertmanager=<url of /api/v2/alerts>. */
struct alertmanager_stats {
    const char *url;        /* the POST URL with credentials redacted; owned by the handle */
    uint64_t sent;          /* alerts accepted [prometheus_notifications_sent_total] */
    uint64_t errors;        /* alerts in failed POSTs, per attempt [prometheus_notifications_errors_total] */
    uint64_t dropped;       /* overflowed, invalid or rejected [prometheus_notifications_dropped_total] */
    uint64_t superseded;    /* queued alerts replaced by a newer state (heed only; not a loss) */
    size_t queue_length;    /* queued, without the batch in flight [prometheus_notifications_queue_length] */
    size_t in_flight;       /* alerts in the POST under way (heed only) */
    size_t queue_capacity;  /* [prometheus_notifications_queue_capacity] */
    uint64_t latency_count; /* successful POSTs [prometheus_notifications_latency_seconds_count] */
    double latency_sum_seconds;  /* their total duration [prometheus_notifications_latency_seconds_sum] */
    double last_latency_seconds; /* duration of the latest POST, successful or not */
    int64_t backoff_ms;          /* current retry delay (0: not backing off) */
    char last_error[256];        /* latest failure, "" if none since the last success */
};

struct alertmanager;

/* Starts the sender threads. Returns NULL with a reason in err on a bad config
 * (no URL, unreadable or inconsistent TLS files are reported at send time). */
struct alertmanager *alertmanager_new(const struct alertmanager_config *cfg, char *err, size_t errsz);

/* Queues n alerts for every target. Alerts with no non-empty label are
 * invalid and counted as dropped. Returns the number accepted. */
size_t alertmanager_send(struct alertmanager *am, const struct alertmanager_alert *alerts, size_t n);

/* Waits until every queue is empty and nothing is in flight, or until
 * timeout_ms passed. Returns 0 when drained, -1 on timeout. */
int alertmanager_flush(struct alertmanager *am, int64_t timeout_ms);

size_t alertmanager_ntargets(const struct alertmanager *am);
void alertmanager_stats(struct alertmanager *am, size_t target, struct alertmanager_stats *out);

/* Stops the threads (an in-flight POST is aborted), frees everything; queued
 * alerts are discarded, so call alertmanager_flush() first to drain. */
void alertmanager_free(struct alertmanager *am);

/* The pieces, exposed for tests and for /metrics. */

/* Appends one alert as Prometheus encodes it (keys in its order: annotations,
 * endsAt, startsAt, generatorURL, labels; map keys sorted), with external
 * labels merged in. Returns 0, or -1 if the alert has no non-empty label. */
int alertmanager_encode_alert(struct strbuf *out, const struct alertmanager_alert *a,
                              const struct alertmanager_pair *external, size_t nexternal);

/* Appends s (len bytes) as a JSON string with quotes, escaped as Go's
 * encoding/json does (<, >, & and U+2028/U+2029 as \u escapes, invalid UTF-8
 * as U+FFFD). */
void alertmanager_json_string(struct strbuf *out, const char *s, size_t len);

/* "<base>/api/v2/alerts" with exactly one slash at the join; xmalloc'd. */
char *alertmanager_post_url(const char *base);

#endif
