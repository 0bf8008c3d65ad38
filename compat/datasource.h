/* datasource: heed's client of a Prometheus-compatible HTTP query API
 * (Prometheus, Thanos, Mimir, VictoriaMetrics), and the eval/storage.h
 * implementation on top of it.
 *
 * Raw samples of a selector over [mint, maxt] come from one instant query of
 * `selector[window]` at time=maxt (Prometheus returns a range selector's raw
 * samples). Those hide staleness markers, which instant selection honours, so
 * with exact_staleness (the default) a second query of the bare selector at
 * maxt says which series are present there; a series whose newest raw sample
 * is within the lookback but that is absent there ended with a staleness
 * marker; a gap of more than 1.5 scrape intervals inside the window is
 * checked the same way; each marker's exact time is then found with a few
 * more instant queries (see datasource.c, "Staleness markers").
 *
 * Requests run in parallel over reused connections (curl's multi interface),
 * their bodies decoded as they arrive (compat/promjson), with timeouts and
 * bounded retries with backoff for failures that are safe to retry.
 * Errors are struct promjson_error values with Prometheus's errorType names;
 * no message ever contains a password or token.
 *
 * Incremental fetching (config.incremental, for clients that evaluate the
 * same selectors again and again, like a daemon's group): the raw samples
 * of one evaluation are kept until the end of the next, and a fetch whose
 * window starts inside a kept window of the same selector asks only for
 * (kept end - refetch_overlap_ms, end]; the rest comes from the kept copy.
 * Samples that reach the backend more than refetch_overlap_ms after their
 * timestamp are then not seen (the overlap should exceed the longest
 * ingestion delay: a scrape's duration, a remote-write pipeline's lag).
 *
 * Credential files are re-read at every batch of requests, so rotated
 * tokens and passwords take effect without a restart.
 *
 * Not thread-safe: use one datasource per evaluating thread (each keeps its
 * own connections and fetch cache).
 *
 * Ownership rule: a datasource owns its connections, credentials and the
 * fetch cache of the current evaluation; series returned by select (and the
 * storage_series arrays) live in that cache until datasource_end_eval() or
 * datasource_free(). Config strings are copied by datasource_new(). */
#ifndef HEED_COMPAT_DATASOURCE_H
#define HEED_COMPAT_DATASOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat/promjson.h"

struct ast_matcher;
struct storage;

struct datasource_config {
    const char *url;               /* base URL, e.g. http://127.0.0.1:9090 (a path prefix is kept) */
    long timeout_ms;               /* whole request, each attempt (30000) */
    long connect_timeout_ms;       /* TCP/TLS connect (5000) */
    int max_retries;               /* extra attempts after a retryable failure (2; -1: none) */
    long retry_backoff_ms;         /* first backoff, doubled each retry, capped at 10 s (200) */
    int max_parallel;              /* concurrent connections (8) */
    const char *basic_user;        /* basic auth user, or NULL */
    const char *basic_password_file; /* its password, read from this file per batch (trailing newline dropped) */
    const char *bearer_token_file; /* bearer token, read from this file per batch, or NULL */
    const char *ca_file;           /* CA bundle to verify the server, or NULL (system) */
    const char *cert_file;         /* client certificate (PEM), or NULL */
    const char *key_file;          /* its key (PEM), or NULL */
    const char *server_name;       /* name to verify the server's certificate against (and SNI) */
    bool insecure_skip_verify;     /* do not verify the server's certificate */
    const char *const *headers;    /* extra "Name: value" headers */
    size_t nheaders;               /* count of headers */
    struct promjson_limits limits; /* per response; 0 fields take promjson's defaults */
    bool no_exact_staleness;       /* skip the presence query (cheaper, inexact after a series ends) */
    int64_t lookback_ms;           /* the backend's lookback delta (300000) */
    bool incremental;              /* reuse the previous evaluation's samples (see below) */
    int64_t refetch_overlap_ms;    /* incremental: how much of the reused window is asked again */
    /* Ask for gzip-compressed answers: DATASOURCE_GZIP_AUTO (0) does so
     * unless the host is loopback, where compressing costs the backend
     * several times the CPU of the answer itself (Prometheus spends about
     * 380 ms gzipping an 8 MB answer it encodes in 80 ms) and saves nothing. */
    enum { DATASOURCE_GZIP_AUTO = 0, DATASOURCE_GZIP_ALWAYS, DATASOURCE_GZIP_NEVER } gzip;
};

struct datasource;

/* Checks the configuration and reads credential files. Returns the client, or
 * NULL with *err set (bad_data: the configuration is unusable). */
struct datasource *datasource_new(const struct datasource_config *cfg, struct promjson_error *err);
void datasource_free(struct datasource *ds);

/* ---- low level: instant queries, in parallel ---- */

struct datasource_query {
    const char *query;               /* PromQL text */
    int64_t time_ms;                 /* evaluation time */
    struct promjson_callbacks cb;    /* receives the decoded result as it streams in */
    struct promjson_error err;       /* out: PROMJSON_OK or why it failed */
    int attempts;                    /* out: requests made (1 + retries) */
    size_t bytes;                    /* out: body bytes of the last attempt */
    struct promjson *dec;            /* out: the decoder during callbacks (for promjson_fail) */
};

/* Runs the n queries against /api/v1/query in parallel. The callbacks of a
 * query only ever see a 2xx response, and a query is retried only before any
 * callback ran. Returns 0 when all succeeded, else -1 (see each err). */
int datasource_run(struct datasource *ds, struct datasource_query *q, size_t n);

/* ---- the storage interface ---- */

/* The eval/storage.h view of this datasource (owned by it). */
struct storage *datasource_storage(struct datasource *ds);

/* A storage that only records: every select becomes a datasource_plan and
 * returns no series. Evaluating an expression once over it (cheap: no data)
 * and then over datasource_storage() fetches all its selectors in one
 * parallel batch instead of one after another. */
struct storage *datasource_planner(struct datasource *ds);

/* Announces a select the coming evaluation will make, so that everything
 * planned is fetched at once, in parallel, at the first select; identical
 * plans and selects are fetched once, and overlapping windows of one
 * selector with one request for their union. Matchers are rendered at once
 * (not kept). */
void datasource_plan(struct datasource *ds, const struct ast_matcher *m, size_t n, int64_t mint_ms,
                     int64_t maxt_ms);

/* datasource_plan for a selector already in PromQL text. */
void datasource_plan_text(struct datasource *ds, const char *selector, int64_t mint_ms, int64_t maxt_ms);

/* The select behind the storage interface, for a selector already in
 * PromQL text ("{job=\"x\"}" or "up{job=\"x\"}"): the raw samples of every
 * matching series in [mint_ms, maxt_ms], staleness markers reconstructed.
 * Returns 0, or -1 with *err set. Results as for select. */
struct storage_series;
int datasource_select_text(struct datasource *ds, const char *selector, int64_t mint_ms, int64_t maxt_ms,
                           struct storage_series **out, size_t *nout, struct promjson_error *err);

/* Splits "selector[duration]" at its range: the selector is the first
 * *sel_len bytes, the duration (Prometheus syntax, "5m", "1h30m", "300ms")
 * in *window_ms. Returns 0, or -1 when q does not end in a valid range. */
int datasource_split_range(const char *q, size_t *sel_len, int64_t *window_ms);

/* Ends an evaluation: drops the fetch cache and everything select returned
 * (incremental: keeps the raw samples fetched until the next one ends). */
void datasource_end_eval(struct datasource *ds);

/* Renders matchers as a PromQL selector, {name="value",...}, into buf (size
 * bytes). Returns the length it needs (as snprintf). */
size_t datasource_render_selector(char *buf, size_t size, const struct ast_matcher *m, size_t n);

/* Counters since datasource_new, for heed's /metrics. */
struct datasource_stats {
    uint64_t requests;   /* HTTP requests made, retries included */
    uint64_t retries;    /* of them, retries */
    uint64_t failures;   /* queries that finally failed */
    uint64_t bytes;      /* response body bytes received */
    uint64_t selects;    /* storage selects answered */
    uint64_t cache_hits; /* of them, answered from an earlier fetch of the same evaluation */
    uint64_t markers;    /* staleness markers reconstructed */
    uint64_t fetches_merged; /* windows cut from a fetch of an overlapping wider one */
    uint64_t probes;     /* instant queries made to find where markers are */
    uint64_t markers_unresolved; /* markers placed at their earliest possible time (search bound reached) */
    uint64_t incremental;  /* fetches that reused the previous evaluation's samples */
};

const struct datasource_stats *datasource_stats(const struct datasource *ds);

/* A credential file's content, without trailing newlines (malloc'd; NULL with
 * err set when unreadable or longer than one line). Messages name the file,
 * never its content. Read at every request so that rotation works. */
char *datasource_read_secret(const char *path, const char *what, struct promjson_error *err);

#endif
