/* datasource: HTTP query-API client and storage implementation (see datasource.h). */
#include "compat/datasource.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "eval/histogram.h"
#include "eval/labels.h"
#include "eval/storage.h"
#include "eval/value.h"
#include "grammar/ast.h"

/* Error bodies of non-2xx responses are read only this far. */
#define ERROR_BODY_MAX (64 << 10)
#define BACKOFF_CAP_MS 10000

/* One fetch of the current evaluation: a distinct selector and window. */
struct fetch {
    char *selector;   /* rendered selector (arena) */
    int64_t mint_ms;  /* window, both ends inclusive */
    int64_t maxt_ms;
    int state;        /* 0 planned, 1 fetched, -1 failed, 2 to be cut from carrier */
    struct fetch *carrier; /* state 2: the fetch whose window covers this one */
    struct storage_series *series; /* result (arena) */
    size_t nseries;
    struct storage_series *raw;    /* state 1 from a request: the raw samples, before markers */
    size_t nraw;
    bool requested;                /* fetched by a request of its own (not cut from a carrier) */
    struct promjson_error err; /* why it failed */
    struct fetch *next;        /* in the cache list */
};

struct datasource {
    CURLM *multi;              /* shared connection pool */
    char *base_url;            /* without trailing slash */
    bool gzip;                 /* ask for compressed answers */
    char *display_url;         /* base URL without credentials, for messages */
    struct curl_slist *connect_to; /* "name:port:host:port" when server_name is set */
    struct curl_slist *headers; /* extra headers and the bearer token, rebuilt per batch */
    struct curl_slist *extra_headers; /* configured extra headers */
    char *bearer_file;         /* bearer token file, re-read per batch (tokens rotate) */
    char *password_file;       /* basic auth password file, re-read per batch */
    char *basic_user;          /* owned copies */
    char *basic_password;
    char *ca_file, *cert_file, *key_file;
    bool insecure;
    long timeout_ms, connect_timeout_ms, backoff_ms;
    int max_retries;
    struct promjson_limits limits;
    bool exact;
    bool no_stale_set;          /* the backend drops names in last_over_time: ask bare selectors */
    int64_t lookback_ms;
    CURL **pool; /* idle easy handles, reused */
    size_t npool, pool_cap;
    struct datasource_stats stats;

    /* The fetch cache of the current evaluation. */
    struct arena arena;         /* selectors, label sets, samples */
    struct labels_table table;  /* label sets of fetched series */
    struct fetch *fetches;      /* newest first */
    struct storage iface;       /* eval/storage.h vtable */
    struct storage planner;     /* the recording vtable (datasource_planner) */

    /* Incremental fetching: the previous evaluation's arena and requested
     * fetches, kept until the end of this one. */
    bool incremental;
    int64_t refetch_ms;         /* the part of a kept window asked again */
    struct arena kept_arena;    /* the previous evaluation's cache arena */
    struct fetch *kept;         /* its requested fetches (state 1) */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *datasource_read_secret(const char *path, const char *what, struct promjson_error *err)
{
    struct strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, path) < 0) {
        /* The path is not secret; the content never appears in a message. */
        promjson_error_set(err, PROMJSON_BAD_DATA, "cannot read %s file %s: %s", what, path, strerror(errno));
        strbuf_release(&sb);
        return NULL;
    }
    while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r'))
        strbuf_setlen(&sb, sb.len - 1);
    if (memchr(sb.buf, '\n', sb.len) || memchr(sb.buf, '\r', sb.len)) {
        promjson_error_set(err, PROMJSON_BAD_DATA, "%s file %s has more than one line", what, path);
        strbuf_release(&sb);
        return NULL;
    }
    return strbuf_detach(&sb);
}

static char *opt_strdup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Splits the URL: checks the scheme, keeps a credential-free copy for
 * messages and, with server_name, points the URL at that name while
 * connecting to the real host (so TLS verifies and sends that name). */
static int setup_url(struct datasource *ds, const struct datasource_config *cfg, struct promjson_error *err)
{
    CURLU *u = curl_url();
    if (!u)
        abort();
    int rc = -1;
    char *scheme = NULL, *host = NULL, *port = NULL, *full = NULL, *shown = NULL;
    if (curl_url_set(u, CURLUPART_URL, cfg->url, 0) != CURLUE_OK) {
        promjson_error_set(err, PROMJSON_BAD_DATA, "datasource URL is not a valid URL");
        goto out;
    }
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (!scheme || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        promjson_error_set(err, PROMJSON_BAD_DATA, "datasource URL must be http or https");
        goto out;
    }
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    bool loopback = host && (!strcasecmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "[::1]"));
    ds->gzip = cfg->gzip == DATASOURCE_GZIP_ALWAYS || (cfg->gzip == DATASOURCE_GZIP_AUTO && !loopback);
    if (cfg->server_name && *cfg->server_name) {
        struct strbuf ct = STRBUF_INIT;
        strbuf_addf(&ct, "%s:%s:%s:%s", cfg->server_name, port, host, port);
        ds->connect_to = curl_slist_append(NULL, ct.buf);
        strbuf_release(&ct);
        curl_url_set(u, CURLUPART_HOST, cfg->server_name, 0);
    }
    curl_url_get(u, CURLUPART_URL, &full, 0);
    /* Messages name the configured host, without credentials. */
    curl_url_set(u, CURLUPART_HOST, host, 0);
    curl_url_set(u, CURLUPART_USER, NULL, 0);
    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
    curl_url_set(u, CURLUPART_QUERY, NULL, 0);
    curl_url_get(u, CURLUPART_URL, &shown, 0);
    ds->base_url = xstrdup(full);
    ds->display_url = xstrdup(shown);
    for (char **s = (char *[]){ds->base_url, ds->display_url, NULL}; *s; s++) {
        size_t len = strlen(*s);
        while (len && (*s)[len - 1] == '/')
            (*s)[--len] = 0;
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(full);
    curl_free(shown);
    curl_url_cleanup(u);
    return rc;
}

static void secret_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

/* (Re)reads the credential files and rebuilds the header list, so rotated
 * tokens and passwords take effect at the next batch, as in Prometheus.
 * Only between batches: no transfer uses the list meanwhile. */
static int load_credentials(struct datasource *ds, struct promjson_error *err)
{
    char *tok = NULL;
    if (ds->bearer_file && !(tok = datasource_read_secret(ds->bearer_file, "bearer token", err)))
        return -1;
    if (ds->password_file) {
        char *pw = datasource_read_secret(ds->password_file, "basic auth password", err);
        if (!pw)
            return -1;
        secret_free(ds->basic_password);
        ds->basic_password = pw;
    }
    if (ds->headers) {
        for (struct curl_slist *h = ds->headers; h; h = h->next)
            memset(h->data, 0, strlen(h->data));
        curl_slist_free_all(ds->headers);
    }
    ds->headers = NULL;
    for (struct curl_slist *h = ds->extra_headers; h; h = h->next)
        ds->headers = curl_slist_append(ds->headers, h->data);
    if (tok) {
        struct strbuf h = STRBUF_INIT;
        strbuf_addf(&h, "Authorization: Bearer %s", tok);
        ds->headers = curl_slist_append(ds->headers, h.buf);
        memset(h.buf, 0, h.len); /* wipe the copies we no longer need */
        strbuf_release(&h);
        secret_free(tok);
    }
    return 0;
}

static int ds_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint, int64_t maxt,
                     struct arena *ea, struct storage_series **out, size_t *nout, struct eval_error *err);
static int plan_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint, int64_t maxt,
                       struct arena *ea, struct storage_series **out, size_t *nout, struct eval_error *err);

struct datasource *datasource_new(const struct datasource_config *cfg, struct promjson_error *err)
{
    pthread_once(&curl_once, curl_init_once);
    err->type = PROMJSON_OK;
    err->msg[0] = 0;
    if (!cfg->url || !*cfg->url) {
        promjson_error_set(err, PROMJSON_BAD_DATA, "datasource URL missing");
        return NULL;
    }
    struct datasource *ds = xcalloc(1, sizeof *ds);
    ds->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    ds->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 5000;
    ds->backoff_ms = cfg->retry_backoff_ms > 0 ? cfg->retry_backoff_ms : 200;
    ds->max_retries = cfg->max_retries < 0 ? 0 : cfg->max_retries > 0 ? cfg->max_retries : 2;
    ds->limits = cfg->limits;
    ds->exact = !cfg->no_exact_staleness;
    ds->lookback_ms = cfg->lookback_ms > 0 ? cfg->lookback_ms : 300000;
    ds->insecure = cfg->insecure_skip_verify;
    ds->ca_file = opt_strdup(cfg->ca_file);
    ds->cert_file = opt_strdup(cfg->cert_file);
    ds->key_file = opt_strdup(cfg->key_file);
    arena_init(&ds->arena, 0);
    labels_table_init(&ds->table, &ds->arena, true);
    arena_init(&ds->kept_arena, 0);
    ds->incremental = cfg->incremental;
    ds->refetch_ms = cfg->refetch_overlap_ms > 0 ? cfg->refetch_overlap_ms : 0;
    ds->iface.select = ds_select;
    ds->iface.impl = ds;
    ds->planner.select = plan_select;
    ds->planner.impl = ds;
    if (setup_url(ds, cfg, err) < 0)
        goto fail;
    if (cfg->basic_user) {
        ds->basic_user = xstrdup(cfg->basic_user);
        ds->password_file = opt_strdup(cfg->basic_password_file);
    } else if (cfg->basic_password_file) {
        promjson_error_set(err, PROMJSON_BAD_DATA, "basic auth password file given without a user");
        goto fail;
    }
    if (cfg->bearer_token_file) {
        if (cfg->basic_user) {
            promjson_error_set(err, PROMJSON_BAD_DATA, "basic auth and a bearer token are mutually exclusive");
            goto fail;
        }
        ds->bearer_file = xstrdup(cfg->bearer_token_file);
    }
    for (size_t i = 0; i < cfg->nheaders; i++) {
        const char *h = cfg->headers[i];
        const char *colon = strchr(h, ':');
        if (!colon || colon == h || strchr(h, '\n') || strchr(h, '\r')) {
            promjson_error_set(err, PROMJSON_BAD_DATA, "header %zu is not \"Name: value\"", i + 1);
            goto fail;
        }
        ds->extra_headers = curl_slist_append(ds->extra_headers, h);
    }
    if (load_credentials(ds, err) < 0)
        goto fail;
    ds->multi = curl_multi_init();
    if (!ds->multi)
        abort();
    long par = cfg->max_parallel > 0 ? cfg->max_parallel : 8;
    curl_multi_setopt(ds->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, par);
    curl_multi_setopt(ds->multi, CURLMOPT_MAX_HOST_CONNECTIONS, par);
    return ds;
fail:
    datasource_free(ds);
    return NULL;
}

void datasource_free(struct datasource *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->npool; i++)
        curl_easy_cleanup(ds->pool[i]);
    free(ds->pool);
    if (ds->multi)
        curl_multi_cleanup(ds->multi);
    secret_free(ds->basic_password);
    if (ds->headers)
        for (struct curl_slist *h = ds->headers; h; h = h->next)
            memset(h->data, 0, strlen(h->data));
    curl_slist_free_all(ds->headers);
    curl_slist_free_all(ds->extra_headers);
    free(ds->bearer_file);
    free(ds->password_file);
    free(ds->basic_user);
    free(ds->base_url);
    free(ds->display_url);
    curl_slist_free_all(ds->connect_to);
    free(ds->ca_file);
    free(ds->cert_file);
    free(ds->key_file);
    arena_release(&ds->arena);
    arena_release(&ds->kept_arena);
    free(ds);
}

const struct datasource_stats *datasource_stats(const struct datasource *ds)
{
    return &ds->stats;
}

/* ---- transfers ---- */

struct transfer {
    struct datasource *ds;
    struct datasource_query *q;
    CURL *easy;           /* while active or waiting for a retry */
    struct promjson *dec; /* created at the first body byte, when the status is known */
    long status;          /* HTTP status of the current attempt */
    char *post;           /* form body: query=...&time=... */
    char errbuf[CURL_ERROR_SIZE];
    int64_t due_ms;       /* when a retry may start */
    int active;           /* added to the multi handle */
    int done;             /* finished, q->err final */
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct transfer *t = ud;
    size_t len = size * nmemb;
    if (!t->dec) {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
        if (t->status >= 200 && t->status < 300) {
            t->dec = promjson_new(&t->q->cb, &t->ds->limits);
        } else {
            /* Only the envelope of an error body matters; never pass it on. */
            struct promjson_limits lim = {.max_body_bytes = ERROR_BODY_MAX, .max_series = 1, .max_samples = 1};
            t->dec = promjson_new(NULL, &lim);
        }
        t->q->dec = t->dec;
    }
    t->ds->stats.bytes += len;
    if (promjson_feed(t->dec, ptr, len) < 0) {
        /* Past the limit of an error page: stop reading, keep what we have. */
        return 0;
    }
    return len;
}

static CURL *easy_get(struct datasource *ds)
{
    if (ds->npool)
        return ds->pool[--ds->npool];
    CURL *e = curl_easy_init();
    if (!e)
        abort();
    return e;
}

static void easy_put(struct datasource *ds, CURL *e)
{
    curl_easy_reset(e);
    XGROW(ds->pool, ds->pool_cap, ds->npool + 1);
    ds->pool[ds->npool++] = e;
}

static void format_time(char *buf, size_t size, int64_t t_ms)
{
    uint64_t a = t_ms < 0 ? (uint64_t)(-(t_ms + 1)) + 1 : (uint64_t)t_ms;
    snprintf(buf, size, "%s%llu.%03llu", t_ms < 0 ? "-" : "", (unsigned long long)(a / 1000),
             (unsigned long long)(a % 1000));
}

static void transfer_start(struct transfer *t)
{
    struct datasource *ds = t->ds;
    t->easy = easy_get(ds);
    t->status = 0;
    t->errbuf[0] = 0;
    promjson_free(t->dec);
    t->dec = NULL;
    t->q->dec = NULL;
    t->q->attempts++;
    ds->stats.requests++;
    CURL *e = t->easy;
    struct strbuf url = STRBUF_INIT;
    strbuf_addf(&url, "%s/api/v1/query", ds->base_url);
    curl_easy_setopt(e, CURLOPT_URL, url.buf);
    strbuf_release(&url); /* curl copies it */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->post);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ds->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ds->connect_timeout_ms);
    /* any encoding curl can decode, or none (NULL: no Accept-Encoding) */
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ds->gzip ? "" : NULL);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "heed/0.1");
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (ds->headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, ds->headers);
    if (ds->basic_user) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, ds->basic_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, ds->basic_password ? ds->basic_password : "");
    }
    if (ds->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, ds->ca_file);
    if (ds->cert_file)
        curl_easy_setopt(e, CURLOPT_SSLCERT, ds->cert_file);
    if (ds->key_file)
        curl_easy_setopt(e, CURLOPT_SSLKEY, ds->key_file);
    if (ds->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (ds->connect_to)
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, ds->connect_to);
    curl_multi_add_handle(ds->multi, e);
    t->active = 1;
}

static int retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return 1;
    default:
        return 0;
    }
}

static const char *first_line(const char *s, char *buf, size_t size)
{
    size_t i = 0;
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    for (; s[i] && s[i] != '\n' && s[i] != '\r' && i + 1 < size && i < 120; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    buf[i] = 0;
    return buf;
}

/* Classifies a finished attempt: 1 done (q->err final), 0 retry. */
static int transfer_finish(struct transfer *t, CURLcode rc)
{
    struct datasource *ds = t->ds;
    struct datasource_query *q = t->q;
    int retry = 0;
    q->err.type = PROMJSON_OK;
    q->err.msg[0] = 0;
    q->bytes = t->dec ? promjson_bytes_fed(t->dec) : 0;
    if (!t->status)
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
    int ok_status = t->status >= 200 && t->status < 300;
    if (rc == CURLE_WRITE_ERROR && t->dec && promjson_error(t->dec)->type != PROMJSON_OK && ok_status) {
        q->err = *promjson_error(t->dec);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t connected = 0;
        curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connected);
        if (!connected) {
            /* Never connected: as safe to retry as a refused connection. */
            retry = 1;
            promjson_error_set(&q->err, PROMJSON_UNAVAILABLE, "connecting to %s timed out after %ld ms",
                               ds->display_url,
                               ds->connect_timeout_ms < ds->timeout_ms ? ds->connect_timeout_ms : ds->timeout_ms);
        } else {
            promjson_error_set(&q->err, PROMJSON_TIMEOUT,
                               "request to %s timed out after %ld ms (%zu bytes received)", ds->display_url,
                               ds->timeout_ms, q->bytes);
        }
    } else if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR && !(t->status && !ok_status && t->dec)) {
        /* Transport failure; retry only if nothing reached the consumer. */
        retry = retryable_curl(rc) && !(ok_status && q->bytes);
        if (rc == CURLE_PARTIAL_FILE)
            promjson_error_set(&q->err, PROMJSON_BAD_RESPONSE, "response from %s truncated after %zu bytes",
                               ds->display_url, q->bytes);
        else
            promjson_error_set(&q->err, PROMJSON_UNAVAILABLE, "request to %s failed: %s", ds->display_url,
                               t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
    } else if (ok_status) {
        if (!t->dec) {
            promjson_error_set(&q->err, PROMJSON_BAD_RESPONSE, "empty response body from %s", ds->display_url);
        } else if (promjson_finish(t->dec) < 0) {
            q->err = *promjson_error(t->dec);
        }
    } else {
        /* A non-2xx status: Prometheus's error body when there is one. */
        int have_body_error = 0;
        if (t->dec && rc == CURLE_OK && promjson_finish(t->dec) < 0 &&
            promjson_error(t->dec)->type != PROMJSON_BAD_RESPONSE)
            have_body_error = 1;
        if (have_body_error) {
            q->err = *promjson_error(t->dec);
        } else {
            char line[128];
            const char *head = t->dec ? first_line(promjson_body_head(t->dec), line, sizeof line) : "";
            enum promjson_errtype type = (t->status == 502 || t->status == 503 || t->status == 504)
                                             ? PROMJSON_UNAVAILABLE
                                         : t->status == 400 ? PROMJSON_BAD_DATA
                                         : t->status == 422 ? PROMJSON_EXECUTION
                                         : t->status == 404 ? PROMJSON_NOT_FOUND
                                                            : PROMJSON_INTERNAL;
            promjson_error_set(&q->err, type, "server %s returned HTTP %ld%s%s", ds->display_url, t->status,
                               *head ? ": " : " with an empty body", head);
        }
        retry = t->status == 502 || t->status == 503 || t->status == 504;
    }
    if (retry && q->attempts <= ds->max_retries)
        return 0;
    return 1;
}

static void transfer_detach(struct transfer *t)
{
    curl_multi_remove_handle(t->ds->multi, t->easy);
    easy_put(t->ds, t->easy);
    t->easy = NULL;
    t->active = 0;
}

static char *form_body(const char *query, int64_t t_ms)
{
    char *esc = curl_easy_escape(NULL, query, (int)strlen(query));
    if (!esc)
        abort();
    char ts[32];
    format_time(ts, sizeof ts, t_ms);
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "query=%s&time=%s", esc, ts);
    curl_free(esc);
    return strbuf_detach(&sb);
}

int datasource_run(struct datasource *ds, struct datasource_query *q, size_t n)
{
    if (!n)
        return 0;
    struct promjson_error cerr;
    if ((ds->bearer_file || ds->password_file) && load_credentials(ds, &cerr) < 0) {
        for (size_t i = 0; i < n; i++) {
            q[i].err = cerr;
            q[i].attempts = 0;
        }
        ds->stats.failures += n;
        return -1;
    }
    struct transfer *ts = xcalloc(n, sizeof *ts);
    for (size_t i = 0; i < n; i++) {
        ts[i] = (struct transfer){.ds = ds, .q = &q[i], .post = form_body(q[i].query, q[i].time_ms)};
        q[i].attempts = 0;
        q[i].err.type = PROMJSON_OK;
        transfer_start(&ts[i]);
    }
    size_t remaining = n;
    while (remaining) {
        int running = 0;
        curl_multi_perform(ds->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(ds->multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct transfer *t = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            CURLcode rc = msg->data.result;
            int done = transfer_finish(t, rc);
            transfer_detach(t);
            if (done) {
                t->done = 1;
                remaining--;
                if (t->q->err.type != PROMJSON_OK)
                    ds->stats.failures++;
            } else {
                /* Exponential backoff with jitter, capped. */
                int64_t b = ds->backoff_ms << (t->q->attempts - 1 < 16 ? t->q->attempts - 1 : 16);
                if (b > BACKOFF_CAP_MS)
                    b = BACKOFF_CAP_MS;
                b = b / 2 + (int64_t)((uint64_t)rand() % (uint64_t)(b / 2 + 1));
                t->due_ms = now_ms() + b;
                ds->stats.retries++;
            }
        }
        if (!remaining)
            break;
        int64_t now = now_ms(), wait = 1000;
        for (size_t i = 0; i < n; i++) {
            struct transfer *t = &ts[i];
            if (t->done || t->active)
                continue;
            if (t->due_ms <= now) {
                transfer_start(t);
                wait = 0;
            } else if (t->due_ms - now < wait) {
                wait = t->due_ms - now;
            }
        }
        if (wait)
            curl_multi_poll(ds->multi, NULL, 0, (int)wait, NULL);
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (ts[i].q->err.type != PROMJSON_OK)
            rc = -1;
        promjson_free(ts[i].dec);
        q[i].dec = NULL;
        free(ts[i].post);
    }
    free(ts);
    return rc;
}

/* ---- selectors ---- */

size_t datasource_render_selector(char *buf, size_t size, const struct ast_matcher *m, size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addch(&sb, '{');
    for (size_t i = 0; i < n; i++) {
        static const char *const ops[] = {"=", "!=", "=~", "!~"};
        strbuf_addf(&sb, "%s%s%s\"", i ? "," : "", m[i].name, ops[m[i].op]);
        for (const unsigned char *c = (const unsigned char *)m[i].value; *c; c++) {
            switch (*c) {
            case '"': strbuf_addstr(&sb, "\\\""); break;
            case '\\': strbuf_addstr(&sb, "\\\\"); break;
            case '\n': strbuf_addstr(&sb, "\\n"); break;
            case '\r': strbuf_addstr(&sb, "\\r"); break;
            case '\t': strbuf_addstr(&sb, "\\t"); break;
            default:
                if (*c < 0x20 || *c == 0x7f)
                    strbuf_addf(&sb, "\\x%02x", *c);
                else
                    strbuf_addch(&sb, (char)*c);
            }
        }
        strbuf_addch(&sb, '"');
    }
    strbuf_addch(&sb, '}');
    size_t len = sb.len;
    if (size) {
        size_t k = len < size - 1 ? len : size - 1;
        memcpy(buf, sb.buf, k);
        buf[k] = 0;
    }
    strbuf_release(&sb);
    return len;
}

/* ---- the storage interface ---- */

/* Collects the series of one response into the cache arena. */
struct collect {
    struct datasource *ds;
    struct datasource_query *q;
    struct label *lbuf;       /* scratch labels (malloc) */
    size_t lcap;
    struct sample *pts;       /* scratch samples of the current series (malloc) */
    size_t npts, pcap;
    const struct labels *cur; /* current series' labels */
    struct storage_series *out; /* finished series (malloc, moved to the arena at the end) */
    size_t nout, ocap;
    int64_t mint_ms, maxt_ms; /* raw queries: samples outside are dropped (window ends differ by version) */
    int64_t hist_last;        /* time of the current series' last histogram (INT64_MIN: none) */
};

/* The label that carries a copy of __name__ through visibility queries. */
#define STALE_NAME_LABEL "__heed_name__"

static int collect_start(void *ctx, const struct promjson_label *l, size_t n)
{
    struct collect *c = ctx;
    if (n > c->lcap) {
        c->lbuf = xrealloc(c->lbuf, n * sizeof *c->lbuf);
        c->lcap = n;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].name, STALE_NAME_LABEL) != 0)
            c->lbuf[k++] = (struct label){l[i].name, l[i].value};
    c->cur = labels_intern(&c->ds->table, c->lbuf, k);
    c->npts = 0;
    c->hist_last = INT64_MIN;
    return 0;
}

static int collect_sample(void *ctx, int64_t t_ms, double v)
{
    struct collect *c = ctx;
    /* Prometheus 2 closes range windows on the left, 3 does not: one sample
     * at mint - 1 ms may come back; the interface promises [mint, maxt]. */
    if (t_ms < c->mint_ms || t_ms > c->maxt_ms)
        return 0;
    if (c->npts && t_ms <= c->pts[c->npts - 1].t_ms) {
        promjson_fail(c->q->dec, PROMJSON_BAD_RESPONSE, "samples of a series out of time order");
        return -1;
    }
    XGROW(c->pts, c->pcap, c->npts + 1);
    c->pts[c->npts++] = (struct sample){t_ms, v, NULL};
    return 0;
}

/* A native histogram sample, copied into the fetch cache. A series that
 * holds floats and histograms lists all floats first: each histogram is
 * merged in at its time. */
static int collect_histogram(void *ctx, int64_t t_ms, const struct histogram *h)
{
    struct collect *c = ctx;
    if (t_ms < c->mint_ms || t_ms > c->maxt_ms)
        return 0;
    if (t_ms <= c->hist_last) {
        promjson_fail(c->q->dec, PROMJSON_BAD_RESPONSE, "histograms of a series out of time order");
        return -1;
    }
    c->hist_last = t_ms;
    size_t at = c->npts;
    while (at > 0 && c->pts[at - 1].t_ms > t_ms)
        at--;
    if (at > 0 && c->pts[at - 1].t_ms == t_ms) {
        promjson_fail(c->q->dec, PROMJSON_BAD_RESPONSE, "a float and a histogram at the same time in one series");
        return -1;
    }
    XGROW(c->pts, c->pcap, c->npts + 1);
    memmove(c->pts + at + 1, c->pts + at, (c->npts - at) * sizeof *c->pts);
    c->pts[at] = (struct sample){t_ms, 0, histogram_copy(&c->ds->arena, h)};
    c->npts++;
    return 0;
}

static int collect_end(void *ctx)
{
    struct collect *c = ctx;
    XGROW(c->out, c->ocap, c->nout + 1);
    c->out[c->nout++] = (struct storage_series){
        .ls = c->cur,
        .pts = c->npts ? arena_memdup(&c->ds->arena, c->pts, c->npts * sizeof *c->pts) : NULL,
        .n = c->npts,
    };
    return 0;
}

static void collect_release(struct collect *c)
{
    free(c->lbuf);
    free(c->pts);
    free(c->out);
}

/* The typical gap between samples, taken low (the lower quartile of the
 * newest gaps; 0 with fewer than two samples): a gap that hides a marker is
 * at least two scrape intervals, and a short series has few gaps to judge
 * by (0 10 _ 30 has gaps 10 and 20: the median would call 20 normal). */
static int64_t cadence_ms(const struct sample *p, size_t n)
{
    if (n < 2)
        return 0;
    int64_t gaps[64];
    size_t k = 0;
    /* The newest gaps say most about the current scrape interval. */
    for (size_t i = n - 1; i > 0 && k < 64; i--)
        gaps[k++] = p[i].t_ms - p[i - 1].t_ms;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && gaps[j - 1] > gaps[j]; j--) {
            int64_t x = gaps[j];
            gaps[j] = gaps[j - 1];
            gaps[j - 1] = x;
        }
    return gaps[k / 4];
}

static struct fetch *fetch_find(struct datasource *ds, const char *sel, int64_t mint, int64_t maxt)
{
    for (struct fetch *f = ds->fetches; f; f = f->next)
        if (f->mint_ms == mint && f->maxt_ms == maxt && !strcmp(f->selector, sel))
            return f;
    return NULL;
}

static struct fetch *fetch_add(struct datasource *ds, const char *sel, int64_t mint, int64_t maxt)
{
    struct fetch *f = fetch_find(ds, sel, mint, maxt);
    if (f)
        return f;
    f = ARENA_NEW(&ds->arena, struct fetch);
    f->selector = arena_strdup(&ds->arena, sel);
    f->mint_ms = mint;
    f->maxt_ms = maxt;
    f->next = ds->fetches;
    ds->fetches = f;
    return f;
}

/* The selector text in a malloc'd buffer (fetch_add keeps its own copy). */
static char *render(const struct ast_matcher *m, size_t n)
{
    size_t len = datasource_render_selector(NULL, 0, m, n);
    char *buf = xmalloc(len + 1);
    datasource_render_selector(buf, len + 1, m, n);
    return buf;
}

void datasource_plan_text(struct datasource *ds, const char *selector, int64_t mint_ms, int64_t maxt_ms)
{
    if (maxt_ms >= mint_ms)
        fetch_add(ds, selector, mint_ms, maxt_ms);
}

void datasource_plan(struct datasource *ds, const struct ast_matcher *m, size_t n, int64_t mint_ms, int64_t maxt_ms)
{
    char *sel = render(m, n);
    datasource_plan_text(ds, sel, mint_ms, maxt_ms);
    free(sel);
}

static int presence_start(void *ctx, const struct promjson_label *l, size_t n)
{
    struct collect *c = ctx;
    if (collect_start(ctx, l, n) < 0)
        return -1;
    XGROW(c->out, c->ocap, c->nout + 1);
    c->out[c->nout++] = (struct storage_series){.ls = c->cur};
    return 0;
}

/* Staleness markers. Raw range results hide them, so they are found with
 * instant queries of the same selector, which honour them: between two
 * consecutive samples (or after the last one) a series is visible until its
 * marker and invisible from it on, so presence is monotone there and the
 * marker's time is found exactly by bisection over instant queries.
 *   - after the last sample: the presence query at maxt says whether the
 *     series is stale at maxt (within the lookback of its last sample);
 *   - inside a gap of more than 1.5 scrape intervals: one query just before
 *     the next sample says whether the series was stale in the gap.
 * Then the bisection starts with Prometheus's habit, a marker at the first
 * scrape that missed the series (previous sample + interval): probing that
 * instant and 1 ms before settles the usual case in one round. Each round's
 * probes run in parallel, and one probe (a selector at an instant) answers
 * for every series of the selector. Bounded: SEARCH_ROUNDS rounds and
 * SEARCH_PROBES queries per round; a search not settled by then gets its
 * marker at its earliest possible time (counted as unresolved). */
#define SEARCH_ROUNDS 24
#define SEARCH_PROBES 128

struct marker_search {
    struct fetch *f; /* whose selector */
    size_t series;   /* index in f->series */
    size_t pos;      /* the marker goes before pts[pos] (pos == n: at the end) */
    int64_t lo;      /* latest instant known visible */
    int64_t hi;      /* earliest instant known stale; 0 while unknown (gaps) */
    int64_t probe_at; /* gaps: where to check that there is a marker at all */
    int64_t guess;   /* previous sample + scrape interval */
    int state;       /* 0 existence unknown, 1 searching, 2 marker at hi, 3 no marker */
    int guessed;     /* the guess was probed */
};

/* Which series of a selector are visible at an instant (instant-selector
 * rules, markers honoured). Asked as
 *   label_replace(last_over_time(sel[lookback]), N, "$1", "__name__", "(.+)")
 *     unless label_replace(sel, N, "$1", "__name__", "(.+)")
 * the answer lists only the series with a sample in the lookback that are
 * NOT visible, so it stays small however many series the selector has. The
 * name is copied into the label N (STALE_NAME_LABEL, stripped again from
 * the answer) because vector matching, `unless` included, ignores __name__:
 * without it a stale series would hide behind a visible one of another
 * metric with the same other labels. This relies on last_over_time keeping
 * the metric name (Prometheus 2.x and 3.x do); a backend that drops it
 * answers with name-less series, which is detected, and from then on the
 * bare selector is asked instead (its answer lists the visible series). */
struct probe_result {
    struct fetch *f;    /* selector probed */
    int64_t t_ms;       /* instant */
    struct collect c;   /* series of the answer */
    int stale_set;      /* c lists the series not visible (else the visible ones) */
    int usable;         /* answered and checked */
    struct strbuf text; /* the query */
};

static int probe_visible(const struct probe_result *p, const struct labels *ls)
{
    int listed = 0;
    for (size_t i = 0; i < p->c.nout && !listed; i++)
        listed = p->c.out[i].ls == ls;
    return p->stale_set ? !listed : listed;
}

/* Whether every series the selector matches has one metric name: a rendered
 * selector starting with an equality matcher on __name__, or one written
 * name{...}. Then `unless` cannot match across metrics, and the stale set is
 * asked without carrying the name in a label, which costs the backend about
 * half as much. */
static bool selector_one_name(const char *sel)
{
    if (!strncmp(sel, "{__name__=\"", 11))
        return true;
    unsigned char c = (unsigned char)sel[0];
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static void probe_query(struct datasource *ds, struct probe_result *p, struct datasource_query *q)
{
    strbuf_init(&p->text);
    p->stale_set = !ds->no_stale_set;
    if (p->stale_set && selector_one_name(p->f->selector))
        strbuf_addf(&p->text, "last_over_time(%s[%lldms]) unless %s", p->f->selector, (long long)ds->lookback_ms,
                    p->f->selector);
    else if (p->stale_set)
        strbuf_addf(&p->text,
                    "label_replace(last_over_time(%s[%lldms]), \"" STALE_NAME_LABEL "\", \"$1\", \"__name__\", "
                    "\"(.+)\") unless label_replace(%s, \"" STALE_NAME_LABEL "\", \"$1\", \"__name__\", \"(.+)\")",
                    p->f->selector, (long long)ds->lookback_ms, p->f->selector);
    else
        strbuf_addstr(&p->text, p->f->selector);
    p->c.ds = ds;
    p->c.q = q;
    q->query = p->text.buf;
    q->time_ms = p->t_ms;
    q->cb = (struct promjson_callbacks){.ctx = &p->c, .series_start = presence_start};
}

/* After the query ran: usable unless it failed (then *err) or a stale-set
 * answer lost the metric names (then bare selectors from now on). */
static void probe_check(struct datasource *ds, struct probe_result *p, const struct datasource_query *q)
{
    p->usable = q->err.type == PROMJSON_OK;
    for (size_t i = 0; p->usable && p->stale_set && i < p->c.nout; i++)
        if (!labels_has(p->c.out[i].ls, LABELS_METRIC_NAME)) {
            ds->no_stale_set = true;
            p->usable = 0;
        }
}

static void probe_release(struct probe_result *p)
{
    collect_release(&p->c);
    strbuf_release(&p->text);
    memset(p, 0, sizeof *p);
}

static struct probe_result *probe_lookup(struct probe_result *pr, size_t n, const struct fetch *f, int64_t t)
{
    for (size_t i = 0; i < n; i++)
        if (pr[i].f == f && pr[i].t_ms == t)
            return &pr[i];
    return NULL;
}

/* The instants search s wants probed this round (0, 1 or 2). */
static size_t search_wants(const struct marker_search *s, int64_t t[2])
{
    if (s->state == 0) {
        t[0] = s->probe_at;
        return 1;
    }
    if (s->state != 1 || s->hi - s->lo <= 1)
        return 0;
    if (!s->guessed && s->guess > s->lo && s->guess <= s->hi) {
        size_t k = 0;
        if (s->guess - 1 > s->lo)
            t[k++] = s->guess - 1;
        if (s->guess < s->hi)
            t[k++] = s->guess;
        if (k)
            return k;
    }
    t[0] = s->lo + (s->hi - s->lo) / 2;
    return 1;
}

static void search_learn(struct marker_search *s, int64_t t, int visible)
{
    if (s->state == 0) {
        s->state = visible ? 3 : 1;
        s->hi = t;
        return;
    }
    if (visible && t > s->lo)
        s->lo = t;
    if (!visible && t < s->hi)
        s->hi = t;
}

static void searches_add(struct marker_search **ss, size_t *n, size_t *cap, struct marker_search s)
{
    XGROW(*ss, *cap, *n + 1);
    (*ss)[(*n)++] = s;
}

static int search_cmp(const void *a, const void *b)
{
    const struct marker_search *x = a, *y = b;
    if (x->f != y->f)
        return x->f < y->f ? -1 : 1;
    if (x->series != y->series)
        return x->series < y->series ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* vis[i]: visibility at maxt of fetch fs[i]. */
static void place_markers(struct datasource *ds, struct fetch **fs, size_t n, const struct probe_result *vis)
{
    struct marker_search *ss = NULL;
    size_t nss = 0, sscap = 0;
    for (size_t i = 0; i < n; i++) {
        struct fetch *f = fs[i];
        for (size_t j = 0; f->state == 1 && j < f->nseries; j++) {
            const struct storage_series *s = &f->series[j];
            if (!s->n)
                continue;
            int64_t cad = cadence_ms(s->pts, s->n);
            for (size_t k = 1; k < s->n && cad > 0; k++) {
                int64_t prev = s->pts[k - 1].t_ms, next = s->pts[k].t_ms;
                if ((next - prev) * 2 <= cad * 3 || cad >= ds->lookback_ms)
                    continue;
                /* Beyond the lookback the series is invisible anyway. */
                int64_t horizon = prev + ds->lookback_ms;
                searches_add(&ss, &nss, &sscap,
                             (struct marker_search){.f = f, .series = j, .pos = k, .lo = prev,
                                                    .probe_at = next - 1 < horizon - 1 ? next - 1 : horizon - 1,
                                                    .guess = prev + cad});
            }
            int64_t last = s->pts[s->n - 1].t_ms;
            if (last <= f->maxt_ms - ds->lookback_ms || probe_visible(&vis[i], s->ls))
                continue;
            int64_t hi = f->maxt_ms < last + ds->lookback_ms ? f->maxt_ms : last + ds->lookback_ms;
            searches_add(&ss, &nss, &sscap,
                         (struct marker_search){.f = f, .series = j, .pos = s->n, .lo = last, .hi = hi, .state = 1,
                                                .guess = cad > 0 ? last + cad : last + 1});
        }
    }
    struct probe_result *pr = xcalloc(SEARCH_PROBES, sizeof *pr);
    for (int round = 0; round < SEARCH_ROUNDS && nss; round++) {
        size_t np = 0;
        int64_t t[2];
        for (size_t i = 0; i < nss; i++) {
            size_t k = search_wants(&ss[i], t);
            for (size_t m = 0; m < k; m++)
                if (!probe_lookup(pr, np, ss[i].f, t[m]) && np < SEARCH_PROBES)
                    pr[np++] = (struct probe_result){.f = ss[i].f, .t_ms = t[m]};
        }
        if (!np)
            break;
        struct datasource_query *q = xcalloc(np, sizeof *q);
        for (size_t i = 0; i < np; i++)
            probe_query(ds, &pr[i], &q[i]);
        ds->stats.probes += np;
        datasource_run(ds, q, np);
        for (size_t i = 0; i < np; i++) {
            probe_check(ds, &pr[i], &q[i]);
            if (q[i].err.type != PROMJSON_OK && pr[i].f->state == 1) {
                pr[i].f->state = -1; /* no exact answer without the probe */
                pr[i].f->err = q[i].err;
            }
        }
        for (size_t i = 0; i < nss; i++) {
            struct marker_search *s = &ss[i];
            if (s->f->state != 1)
                continue;
            size_t k = search_wants(s, t);
            for (size_t m = 0; m < k; m++) {
                struct probe_result *p = probe_lookup(pr, np, s->f, t[m]);
                if (p && p->usable)
                    search_learn(s, t[m], probe_visible(p, s->f->series[s->series].ls));
            }
            if (k == 2 || (k == 1 && s->state == 1 && (t[0] == s->guess || t[0] == s->guess - 1)))
                s->guessed = 1;
            if (s->state == 1 && s->hi - s->lo <= 1)
                s->state = 2;
        }
        for (size_t i = 0; i < np; i++)
            probe_release(&pr[i]);
        free(q);
    }
    free(pr);
    /* Insert the markers found, series by series, in time order. */
    if (nss)
        qsort(ss, nss, sizeof *ss, search_cmp);
    for (size_t i = 0; i < nss;) {
        size_t end = i;
        while (end < nss && ss[end].f == ss[i].f && ss[end].series == ss[i].series)
            end++;
        struct fetch *f = ss[i].f;
        struct storage_series *s = &f->series[ss[i].series];
        size_t add = 0;
        for (size_t k = i; k < end; k++) {
            if (ss[k].state == 1) {
                ds->stats.markers_unresolved++;
                ss[k].state = 2;
                ss[k].hi = ss[k].lo + 1;
            }
            if (ss[k].state == 0)
                ds->stats.markers_unresolved++; /* existence never checked */
            add += ss[k].state == 2;
        }
        if (f->state == 1 && add) {
            struct sample *pts = arena_alloc(&ds->arena, (s->n + add) * sizeof *pts);
            size_t m = 0, k = i;
            for (size_t p = 0; p <= s->n; p++) {
                for (; k < end && ss[k].pos == p; k++)
                    if (ss[k].state == 2)
                        pts[m++] = (struct sample){ss[k].hi, value_stale_nan(), NULL};
                if (p < s->n)
                    pts[m++] = s->pts[p];
            }
            s->pts = pts;
            s->n = m;
            ds->stats.markers += add;
        }
        i = end;
    }
    free(ss);
}

/* Incremental fetching. A daemon evaluates the same selectors every
 * interval over windows that mostly overlap the previous evaluation's. The
 * raw samples (markers not yet placed) of the previous evaluation's requests
 * are kept, and a fetch whose window starts inside a kept one of the same
 * selector asks the backend only for (kept maxt - refetch, maxt]: the
 * samples before that come from the kept copy. The refetched overlap takes
 * in samples that reached the backend after the previous request although
 * their timestamps are older (a scrape's samples are appended when it
 * ends); samples arriving later than that are not seen. Markers are placed
 * on the merged series as on a full fetch, so staleness stays exact. */
static const struct fetch *kept_find(const struct datasource *ds, const struct fetch *f, int64_t *from)
{
    const struct fetch *best = NULL;
    for (const struct fetch *k = ds->incremental ? ds->kept : NULL; k; k = k->next) {
        if (k->mint_ms > f->mint_ms || k->maxt_ms > f->maxt_ms || strcmp(k->selector, f->selector))
            continue;
        if (k->maxt_ms - ds->refetch_ms < f->mint_ms)
            continue; /* nothing to reuse */
        if (!best || k->maxt_ms > best->maxt_ms)
            best = k;
    }
    if (best)
        *from = best->maxt_ms - ds->refetch_ms + 1;
    return best;
}

static int series_ls_cmp(const void *a, const void *b)
{
    const struct labels *x = ((const struct storage_series *)a)->ls, *y = ((const struct storage_series *)b)->ls;
    return x < y ? -1 : x > y;
}

/* f's series: kept's samples in [f->mint, from) joined with the new ones
 * (fetched from `from` on). Label sets are interned in this evaluation's
 * table, so equal series have equal pointers. */
static void merge_kept(struct datasource *ds, struct fetch *f, const struct fetch *kept, int64_t from)
{
    size_t nk = kept->nraw, nn = f->nseries;
    struct storage_series *old = xcalloc(nk + 1, sizeof *old);
    for (size_t i = 0; i < nk; i++) {
        const struct storage_series *s = &kept->raw[i];
        size_t lo = 0;
        while (lo < s->n && s->pts[lo].t_ms < f->mint_ms)
            lo++;
        size_t hi = lo;
        while (hi < s->n && s->pts[hi].t_ms < from)
            hi++;
        old[i] = (struct storage_series){labels_import(&ds->table, s->ls), s->pts + lo, hi - lo};
    }
    qsort(old, nk, sizeof *old, series_ls_cmp);
    if (nn)
        qsort(f->series, nn, sizeof *f->series, series_ls_cmp);
    struct storage_series *out = ARENA_NEWN(&ds->arena, struct storage_series, nk + nn + 1);
    size_t n = 0, i = 0, j = 0;
    while (i < nk || j < nn) {
        const struct storage_series *a = i < nk ? &old[i] : NULL, *b = j < nn ? &f->series[j] : NULL;
        if (a && (!b || a->ls < b->ls)) {
            if (a->n)
                out[n++] = (struct storage_series){a->ls, arena_memdup(&ds->arena, a->pts, a->n * sizeof *a->pts), a->n};
            i++;
        } else if (!a || b->ls < a->ls) {
            out[n++] = *b;
            j++;
        } else {
            struct sample *pts = arena_alloc(&ds->arena, (a->n + b->n + 1) * sizeof *pts);
            memcpy(pts, a->pts, a->n * sizeof *pts);
            memcpy(pts + a->n, b->pts, b->n * sizeof *pts);
            out[n++] = (struct storage_series){a->ls, pts, a->n + b->n};
            i++;
            j++;
        }
    }
    free(old);
    f->series = out;
    f->nseries = n;
}

/* Fetches every planned entry at once: the raw samples of each and, for
 * exact staleness, its visibility at maxt, all in one parallel batch. */
static void fetch_batch(struct datasource *ds)
{
    size_t n = 0;
    for (struct fetch *f = ds->fetches; f; f = f->next)
        n += f->state == 0;
    if (!n)
        return;
    size_t per = ds->exact ? 2 : 1;
    struct datasource_query *q = xcalloc(n * per, sizeof *q);
    struct collect *c = xcalloc(n, sizeof *c);
    struct fetch **fs = xcalloc(n, sizeof *fs);
    struct strbuf *texts = xcalloc(n, sizeof *texts);
    struct probe_result *vis = xcalloc(n, sizeof *vis);
    const struct fetch **kept = xcalloc(n, sizeof *kept);
    int64_t *from = xcalloc(n, sizeof *from);
    size_t k = 0;
    for (struct fetch *f = ds->fetches; f; f = f->next) {
        if (f->state != 0)
            continue;
        fs[k] = f;
        from[k] = f->mint_ms;
        kept[k] = kept_find(ds, f, &from[k]);
        strbuf_init(&texts[k]);
        /* (maxt - window, maxt] = [from, maxt] in milliseconds. */
        strbuf_addf(&texts[k], "%s[%lldms]", f->selector, (long long)(f->maxt_ms - from[k] + 1));
        c[k] = (struct collect){.ds = ds, .q = &q[k * per], .mint_ms = from[k], .maxt_ms = f->maxt_ms};
        q[k * per] = (struct datasource_query){
            .query = texts[k].buf,
            .time_ms = f->maxt_ms,
            .cb = {.ctx = &c[k], .series_start = collect_start, .sample = collect_sample,
                   .histogram = collect_histogram, .series_end = collect_end},
        };
        if (per == 2) {
            vis[k] = (struct probe_result){.f = f, .t_ms = f->maxt_ms};
            probe_query(ds, &vis[k], &q[k * per + 1]);
        }
        k++;
    }
    datasource_run(ds, q, n * per);
    for (size_t i = 0; i < n; i++) {
        struct fetch *f = fs[i];
        const struct datasource_query *raw = &q[i * per];
        if (raw->err.type != PROMJSON_OK) {
            f->state = -1;
            f->err = raw->err;
        } else {
            f->state = 1;
            f->requested = true;
            f->nseries = c[i].nout;
            f->series = c[i].nout ? arena_memdup(&ds->arena, c[i].out, c[i].nout * sizeof *c[i].out) : NULL;
            if (kept[i]) {
                merge_kept(ds, f, kept[i], from[i]);
                ds->stats.incremental++;
            }
            /* what the next evaluation may reuse: markers are placed on copies */
            f->nraw = f->nseries;
            f->raw = f->nseries ? arena_memdup(&ds->arena, f->series, f->nseries * sizeof *f->series) : NULL;
        }
        strbuf_release(&texts[i]);
        collect_release(&c[i]);
    }
    if (per == 2) {
        /* Visibility answers that cannot be used are asked again (then with
         * bare selectors); failures fail their fetch. */
        size_t redo = 0;
        for (size_t i = 0; i < n; i++) {
            probe_check(ds, &vis[i], &q[i * per + 1]);
            redo += !vis[i].usable && q[i * per + 1].err.type == PROMJSON_OK;
        }
        if (redo) {
            struct datasource_query *rq = xcalloc(redo, sizeof *rq);
            size_t *idx = xcalloc(redo, sizeof *idx);
            size_t r = 0;
            for (size_t i = 0; i < n; i++)
                if (!vis[i].usable && q[i * per + 1].err.type == PROMJSON_OK) {
                    probe_release(&vis[i]);
                    vis[i] = (struct probe_result){.f = fs[i], .t_ms = fs[i]->maxt_ms};
                    probe_query(ds, &vis[i], &rq[r]);
                    idx[r++] = i;
                }
            datasource_run(ds, rq, redo);
            for (size_t j = 0; j < redo; j++) {
                probe_check(ds, &vis[idx[j]], &rq[j]);
                q[idx[j] * per + 1].err = rq[j].err;
            }
            free(rq);
            free(idx);
        }
        for (size_t i = 0; i < n; i++)
            if (fs[i]->state == 1 && !vis[i].usable) {
                fs[i]->state = -1;
                fs[i]->err = q[i * per + 1].err;
                if (fs[i]->err.type == PROMJSON_OK)
                    promjson_error_set(&fs[i]->err, PROMJSON_BAD_RESPONSE,
                                       "no usable answer about staleness of %s", fs[i]->selector);
            }
        place_markers(ds, fs, n, vis);
        for (size_t i = 0; i < n; i++)
            probe_release(&vis[i]);
    }
    free(q);
    free(c);
    free(fs);
    free(texts);
    free(vis);
    free(kept);
    free(from);
}

static int fetch_order(const void *a, const void *b)
{
    const struct fetch *x = *(struct fetch *const *)a, *y = *(struct fetch *const *)b;
    int c = strcmp(x->selector, y->selector);
    if (c)
        return c;
    return x->mint_ms < y->mint_ms ? -1 : x->mint_ms > y->mint_ms ? 1 : (x->maxt_ms > y->maxt_ms) - (x->maxt_ms < y->maxt_ms);
}

/* The part of a carrier's series inside [mint, maxt] (markers are exact, so
 * a cut is what a fetch of that window would have given). */
static void cut_from_carrier(struct datasource *ds, struct fetch *f)
{
    const struct fetch *c = f->carrier;
    if (c->state < 0) {
        f->state = -1;
        f->err = c->err;
        return;
    }
    f->state = 1;
    f->series = c->nseries ? ARENA_NEWN(&ds->arena, struct storage_series, c->nseries) : NULL;
    f->nseries = 0;
    for (size_t i = 0; i < c->nseries; i++) {
        const struct storage_series *s = &c->series[i];
        size_t lo = 0, hi = s->n;
        while (lo < hi) { /* first sample at or after mint */
            size_t mid = lo + (hi - lo) / 2;
            if (s->pts[mid].t_ms < f->mint_ms)
                lo = mid + 1;
            else
                hi = mid;
        }
        size_t end = lo;
        while (end < s->n && s->pts[end].t_ms <= f->maxt_ms)
            end++;
        if (end > lo)
            f->series[f->nseries++] = (struct storage_series){.ls = s->ls, .pts = s->pts + lo, .n = end - lo};
    }
}

/* Before fetching, planned windows of one selector that overlap or touch
 * are merged: one request for their union (never larger than their sum),
 * each window then cut from it. Evaluations and ticks that use a metric at
 * several ranges (rate(x[5m]) / rate(x[1h]), x and rate(x[5m])) fetch it
 * once; disjoint windows (x and x offset 1d) stay separate requests. */
static void fetch_planned(struct datasource *ds)
{
    size_t n = 0;
    for (struct fetch *f = ds->fetches; f; f = f->next)
        n += f->state == 0;
    if (!n)
        return;
    struct fetch **p = xcalloc(n, sizeof *p);
    size_t k = 0;
    for (struct fetch *f = ds->fetches; f; f = f->next)
        if (f->state == 0)
            p[k++] = f;
    qsort(p, n, sizeof *p, fetch_order);
    for (size_t i = 0; i < n;) {
        int64_t mint = p[i]->mint_ms, maxt = p[i]->maxt_ms;
        size_t j = i + 1;
        while (j < n && !strcmp(p[j]->selector, p[i]->selector) && p[j]->mint_ms <= maxt + 1) {
            if (p[j]->maxt_ms > maxt)
                maxt = p[j]->maxt_ms;
            j++;
        }
        if (j - i > 1) {
            struct fetch *carrier = fetch_find(ds, p[i]->selector, mint, maxt);
            if (!carrier)
                carrier = fetch_add(ds, p[i]->selector, mint, maxt);
            for (size_t m = i; m < j; m++)
                if (p[m] != carrier) {
                    p[m]->state = 2;
                    p[m]->carrier = carrier;
                    ds->stats.fetches_merged++;
                }
        }
        i = j;
    }
    fetch_batch(ds);
    for (size_t i = 0; i < n; i++)
        if (p[i]->state == 2)
            cut_from_carrier(ds, p[i]);
    free(p);
}

static enum eval_error_type eval_type(enum promjson_errtype t)
{
    switch (t) {
    case PROMJSON_OK: return EVAL_ERR_NONE;
    case PROMJSON_BAD_DATA: return EVAL_ERR_BAD_DATA;
    case PROMJSON_EXECUTION: return EVAL_ERR_EXECUTION;
    case PROMJSON_TIMEOUT: return EVAL_ERR_TIMEOUT;
    case PROMJSON_CANCELED: return EVAL_ERR_CANCELED;
    case PROMJSON_INTERNAL: return EVAL_ERR_INTERNAL;
    /* The engine has no not_found/bad_response: from its point of view the
     * backend did not deliver. */
    case PROMJSON_UNAVAILABLE:
    case PROMJSON_NOT_FOUND:
    case PROMJSON_BAD_RESPONSE: return EVAL_ERR_UNAVAILABLE;
    }
    return EVAL_ERR_INTERNAL;
}

int datasource_select_text(struct datasource *ds, const char *selector, int64_t mint_ms, int64_t maxt_ms,
                           struct storage_series **out, size_t *nout, struct promjson_error *err)
{
    ds->stats.selects++;
    *out = NULL;
    *nout = 0;
    if (maxt_ms < mint_ms)
        return 0;
    struct fetch *f = fetch_find(ds, selector, mint_ms, maxt_ms);
    if (f && f->state != 0) {
        ds->stats.cache_hits++;
    } else {
        if (!f)
            f = fetch_add(ds, selector, mint_ms, maxt_ms);
        fetch_planned(ds);
    }
    if (f->state < 0) {
        *err = f->err;
        return -1;
    }
    *out = f->series;
    *nout = f->nseries;
    return 0;
}

static int ds_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint, int64_t maxt,
                     struct arena *ea, struct storage_series **out, size_t *nout, struct eval_error *err)
{
    (void)ea; /* results live in the datasource's cache until datasource_end_eval */
    struct datasource *ds = st->impl;
    char *sel = render(m, n);
    struct promjson_error perr;
    int rc = datasource_select_text(ds, sel, mint, maxt, out, nout, &perr);
    free(sel);
    if (rc < 0)
        eval_error_set(err, eval_type(perr.type), "%s", perr.msg);
    return rc;
}

struct storage *datasource_storage(struct datasource *ds)
{
    return &ds->iface;
}

/* Records the select and answers "no series": a planning pass of the engine
 * over this storage costs no request and leaves every fetch planned. */
static int plan_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint, int64_t maxt,
                       struct arena *ea, struct storage_series **out, size_t *nout, struct eval_error *err)
{
    (void)ea;
    (void)err;
    datasource_plan(st->impl, m, n, mint, maxt);
    *out = NULL;
    *nout = 0;
    return 0;
}

struct storage *datasource_planner(struct datasource *ds)
{
    return &ds->planner;
}

void datasource_end_eval(struct datasource *ds)
{
    arena_release(&ds->kept_arena);
    ds->kept = NULL;
    if (ds->incremental) {
        /* this evaluation's arena (and its requested fetches) is kept for
         * the next one instead of being dropped */
        for (struct fetch *f = ds->fetches, *next; f; f = next) {
            next = f->next;
            if (f->state == 1 && f->requested) {
                f->next = ds->kept;
                ds->kept = f;
            }
        }
        ds->kept_arena = ds->arena;
    } else {
        arena_release(&ds->arena);
    }
    arena_init(&ds->arena, 0);
    labels_table_init(&ds->table, &ds->arena, true);
    ds->fetches = NULL;
}

int datasource_split_range(const char *q, size_t *sel_len, int64_t *window_ms)
{
    size_t len = strlen(q);
    while (len && (q[len - 1] == ' ' || q[len - 1] == '\n'))
        len--;
    if (!len || q[len - 1] != ']')
        return -1;
    const char *open = NULL;
    for (size_t i = len - 1; i-- > 0;)
        if (q[i] == '[') {
            open = q + i;
            break;
        }
    if (!open || open == q)
        return -1;
    /* A Prometheus duration: one or more <number><unit>, units largest first. */
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"y", 365LL * 86400000}, {"w", 7LL * 86400000}, {"d", 86400000}, {"h", 3600000},
                 {"ms", 1},             {"m", 60000},          {"s", 1000}};
    const char *p = open + 1, *end = q + len - 1;
    int64_t total = 0;
    if (p == end)
        return -1;
    while (p < end) {
        int64_t num = 0;
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9') {
            if (num > INT64_MAX / 10 / 1000)
                return -1;
            num = num * 10 + (*p++ - '0');
        }
        if (p == d)
            return -1;
        size_t u = 0;
        for (; u < sizeof units / sizeof units[0]; u++) {
            size_t ul = strlen(units[u].unit);
            if ((size_t)(end - p) >= ul && !memcmp(p, units[u].unit, ul))
                break;
        }
        if (u == sizeof units / sizeof units[0])
            return -1;
        if (num > (INT64_MAX - total) / units[u].ms)
            return -1;
        total += num * units[u].ms;
        p += strlen(units[u].unit);
    }
    if (total <= 0)
        return -1;
    *sel_len = (size_t)(open - q);
    *window_ms = total;
    return 0;
}
