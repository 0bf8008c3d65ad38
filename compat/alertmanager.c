#include "compat/alertmanager.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "base/jsonstr.h"
#include "base/xalloc.h"
#include "compat/alert_queue.h"

/* Defaults, as Prometheus has them where it has them. */
#define AM_DEFAULT_CAPACITY 10000   /* --alertmanager.notification-queue-capacity */
#define AM_DEFAULT_BATCH 256        /* notifier.DefaultMaxBatchSize */
#define AM_DEFAULT_TIMEOUT_MS 10000 /* alertmanager_config timeout */
#define AM_DEFAULT_BACKOFF_MIN_MS 500
#define AM_DEFAULT_BACKOFF_MAX_MS 30000
#define AM_ERROR_BODY_MAX 200 /* bytes of an error response kept for the log */

struct am_target {
    struct alertmanager *am; /* the owning handle */
    size_t index;            /* position in am->targets */
    char *post_url;          /* <url>/api/v2/alerts, or with server_name as host */
    char *redacted_url;      /* post_url for logs and stats */
    char *connect_to;        /* CURLOPT_CONNECT_TO entry when tls.server_name is set */
    char *user, *password, *password_file, *token, *token_file;
    char *ca_file, *cert_file, *key_file;
    int insecure;
    char **headers; /* owned copies of the extra headers */
    size_t nheaders;
    int64_t timeout_ms;

    /* Guarded by am->lock. */
    struct alert_queue queue;
    size_t in_flight;    /* alerts in the POST under way */
    int64_t retry_at_ms; /* monotonic time before which no POST starts */
    int64_t backoff_ms;  /* current retry delay; 0 after a success */
    uint64_t sent, errors, invalid, rejected;
    uint64_t latency_count;
    double latency_sum, latency_last;
    char last_error[256];
    pthread_cond_t wake; /* new alerts or stop */

    pthread_t thread;
    int thread_started;
    CURL *curl; /* the sender thread's handle, kept for connection reuse */
};

struct alertmanager {
    pthread_mutex_t lock;
    pthread_cond_t idle; /* broadcast when a POST finishes */
    _Atomic int stopping;
    uint64_t seq;                       /* last sequence number handed to an alert; guarded by lock */
    struct alertmanager_pair *external; /* sorted copy; names and values owned */
    size_t nexternal;
    size_t max_batch;
    int64_t backoff_min_ms, backoff_max_ms;
    char *user_agent;
    alertmanager_post_fn post;
    void *post_ctx;
    struct am_target *targets;
    size_t ntargets;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec abs_mono(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    return ts;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

/* ---- JSON encoding ---- */


void alertmanager_json_string(struct strbuf *out, const char *str, size_t len)
{
    strbuf_addch(out, '"');
    jsonstr_escape(out, str, len, JSONSTR_SHORT_BF);
    strbuf_addch(out, '"');
}

/* Pointers to pairs sorted by name, first occurrence of a duplicate name
 * kept; with skip_empty, empty values left out. Returns the count; *out is
 * xmalloc'd (free it). */
static size_t sorted_pairs(const struct alertmanager_pair *p, size_t n, int skip_empty,
                           const struct alertmanager_pair ***out)
{
    const struct alertmanager_pair **v = xmalloc((n ? n : 1) * sizeof *v);
    size_t m = 0;
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
        if (!p[i].name || !*p[i].name || !p[i].value || (skip_empty && !*p[i].value))
            continue;
        if (m && strcmp(v[m - 1]->name, p[i].name) >= 0)
            sorted = 0;
        v[m++] = &p[i];
    }
    if (!sorted) {
        /* qsort is not stable: order equal names by position to keep the first. */
        for (size_t i = 1; i < m; i++) {
            for (size_t j = i; j > 0 && strcmp(v[j - 1]->name, v[j]->name) > 0; j--) {
                const struct alertmanager_pair *tmp = v[j - 1];
                v[j - 1] = v[j];
                v[j] = tmp;
            }
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (k == 0 || strcmp(v[k - 1]->name, v[i]->name) != 0)
            v[k++] = v[i];
    *out = v;
    return k;
}

/* The alert's label set with external labels merged in (an external label
 * only where the alert has no non-empty value for its name), sorted. */
static size_t merged_labels(const struct alertmanager_alert *a, const struct alertmanager_pair *ext,
                            size_t next, const struct alertmanager_pair ***out)
{
    const struct alertmanager_pair **own;
    size_t nown = sorted_pairs(a->labels, a->nlabels, 1, &own);
    const struct alertmanager_pair **ex;
    size_t nex = sorted_pairs(ext, next, 1, &ex);
    const struct alertmanager_pair **m = xmalloc((nown + nex + 1) * sizeof *m);
    size_t i = 0, j = 0, k = 0;
    while (i < nown || j < nex) {
        int c = i == nown ? 1 : j == nex ? -1 : strcmp(own[i]->name, ex[j]->name);
        if (c < 0) {
            m[k++] = own[i++];
        } else if (c > 0) {
            m[k++] = ex[j++];
        } else {
            m[k++] = own[i++]; /* the alert wins */
            j++;
        }
    }
    free(own);
    free(ex);
    *out = m;
    return k;
}

static void json_object(struct strbuf *out, const struct alertmanager_pair *const *p, size_t n)
{
    strbuf_addch(out, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addch(out, ',');
        alertmanager_json_string(out, p[i]->name, strlen(p[i]->name));
        strbuf_addch(out, ':');
        alertmanager_json_string(out, p[i]->value, strlen(p[i]->value));
    }
    strbuf_addch(out, '}');
}

static void json_time(struct strbuf *out, const char *key, int64_t ms)
{
    char buf[LOG_TIME_BUF];
    strbuf_addf(out, "\"%s\":\"%s\",", key, log_format_time(buf, ms));
}

/* Encodes a into json and its coalescing key (the canonical label set and
 * startsAt: one firing episode) into key. */
static int encode(struct strbuf *json, struct strbuf *key, const struct alertmanager_alert *a,
                  const struct alertmanager_pair *ext, size_t next)
{
    const struct alertmanager_pair **labels;
    size_t nlabels = merged_labels(a, ext, next, &labels);
    if (nlabels == 0) {
        free(labels);
        return -1;
    }
    const struct alertmanager_pair **ann;
    size_t nann = sorted_pairs(a->annotations, a->nannotations, 0, &ann);

    /* Field order of Prometheus's body (go-openapi's PostableAlert). */
    strbuf_addch(json, '{');
    if (nann) {
        strbuf_addstr(json, "\"annotations\":");
        json_object(json, ann, nann);
        strbuf_addch(json, ',');
    }
    if (a->ends_at_ms)
        json_time(json, "endsAt", a->ends_at_ms);
    if (a->starts_at_ms)
        json_time(json, "startsAt", a->starts_at_ms);
    if (a->generator_url && *a->generator_url) {
        strbuf_addstr(json, "\"generatorURL\":");
        alertmanager_json_string(json, a->generator_url, strlen(a->generator_url));
        strbuf_addch(json, ',');
    }
    strbuf_addstr(json, "\"labels\":");
    json_object(json, labels, nlabels);
    strbuf_addch(json, '}');

    if (key) {
        for (size_t i = 0; i < nlabels; i++) {
            strbuf_add(key, labels[i]->name, strlen(labels[i]->name) + 1);
            strbuf_add(key, labels[i]->value, strlen(labels[i]->value) + 1);
        }
        strbuf_addf(key, "%lld", (long long)a->starts_at_ms);
    }
    free(labels);
    free(ann);
    return 0;
}

int alertmanager_encode_alert(struct strbuf *out, const struct alertmanager_alert *a,
                              const struct alertmanager_pair *external, size_t nexternal)
{
    return encode(out, NULL, a, external, nexternal);
}

char *alertmanager_post_url(const char *base)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    struct strbuf sb = STRBUF_INIT;
    strbuf_add(&sb, base, n);
    strbuf_addstr(&sb, "/api/v2/alerts");
    return strbuf_detach(&sb);
}

/* ---- HTTP ---- */

static size_t collect_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct strbuf *sb = userdata;
    size_t n = size * nmemb;
    if (sb->len < AM_ERROR_BODY_MAX)
        strbuf_add(sb, ptr, n < AM_ERROR_BODY_MAX - sb->len ? n : AM_ERROR_BODY_MAX - sb->len);
    return n;
}

static int abort_on_stop(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    struct alertmanager *am = clientp;
    return atomic_load(&am->stopping) ? 1 : 0;
}

/* Reads a credential file, trimmed of surrounding white space as Prometheus does. */
static int read_secret(const char *path, struct strbuf *out, char *err, size_t errsz)
{
    if (strbuf_read_file(out, path) < 0) {
        snprintf(err, errsz, "unable to read %s: %s", path, strerror(errno));
        return -1;
    }
    size_t start = 0, end = out->len;
    while (start < end && strchr(" \t\r\n", out->buf[start]))
        start++;
    while (end > start && strchr(" \t\r\n", out->buf[end - 1]))
        end--;
    memmove(out->buf, out->buf + start, end - start);
    strbuf_setlen(out, end - start);
    return 0;
}

static int curl_post(struct am_target *t, const char *body, size_t len, char *err, size_t errsz)
{
    struct alertmanager *am = t->am;
    if (!t->curl) {
        t->curl = curl_easy_init();
        if (!t->curl) {
            snprintf(err, errsz, "curl_easy_init failed");
            return ALERTMANAGER_POST_RETRY;
        }
    }
    CURL *c = t->curl;
    curl_easy_reset(c);
    struct strbuf secret = STRBUF_INIT, auth = STRBUF_INIT, resp = STRBUF_INIT;
    struct curl_slist *hdrs = NULL, *connect_to = NULL;
    int rc = ALERTMANAGER_POST_RETRY;

    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    if (t->token || t->token_file) {
        if (t->token_file) {
            if (read_secret(t->token_file, &secret, err, errsz) < 0)
                goto out;
            strbuf_addf(&auth, "Authorization: Bearer %s", secret.buf);
        } else {
            strbuf_addf(&auth, "Authorization: Bearer %s", t->token);
        }
        hdrs = curl_slist_append(hdrs, auth.buf);
    }
    if (t->user) {
        if (t->password_file) {
            if (read_secret(t->password_file, &secret, err, errsz) < 0)
                goto out;
            curl_easy_setopt(c, CURLOPT_PASSWORD, secret.buf);
        } else {
            curl_easy_setopt(c, CURLOPT_PASSWORD, t->password ? t->password : "");
        }
        curl_easy_setopt(c, CURLOPT_USERNAME, t->user);
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    }
    for (size_t i = 0; i < t->nheaders; i++)
        hdrs = curl_slist_append(hdrs, t->headers[i]);

    curl_easy_setopt(c, CURLOPT_URL, t->post_url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, am->user_agent);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, am);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    /* No proxy from the environment, as Prometheus by default (proxy_from_environment: false). */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    if (t->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
    if (t->cert_file)
        curl_easy_setopt(c, CURLOPT_SSLCERT, t->cert_file);
    if (t->key_file)
        curl_easy_setopt(c, CURLOPT_SSLKEY, t->key_file);
    if (t->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (t->connect_to) {
        connect_to = curl_slist_append(NULL, t->connect_to);
        curl_easy_setopt(c, CURLOPT_CONNECT_TO, connect_to);
    }

    char curl_err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    if (cc != CURLE_OK) {
        snprintf(err, errsz, "%s", curl_err[0] ? curl_err : curl_easy_strerror(cc));
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status / 100 != 2) {
        while (resp.len && strchr(" \t\r\n", resp.buf[resp.len - 1]))
            strbuf_setlen(&resp, resp.len - 1);
        snprintf(err, errsz, "bad response status %ld%s%s", status, resp.len ? ": " : "", resp.buf);
        /* Only a verdict on the content is final; anything else (auth,
         * routing, overload) may be fixed while the alerts wait. */
        if (status == 400 || status == 413 || status == 422)
            rc = ALERTMANAGER_POST_REJECTED;
        goto out;
    }
    rc = ALERTMANAGER_POST_OK;
out:
    curl_slist_free_all(hdrs);
    curl_slist_free_all(connect_to);
    /* Credentials do not outlive the request in our buffers. */
    memset(secret.buf, 0, secret.len);
    memset(auth.buf, 0, auth.len);
    strbuf_release(&secret);
    strbuf_release(&auth);
    strbuf_release(&resp);
    return rc;
}

/* ---- sender ---- */

static void *sender_main(void *arg)
{
    struct am_target *t = arg;
    struct alertmanager *am = t->am;
    struct alert_queue_item **batch = xmalloc(am->max_batch * sizeof *batch);
    struct strbuf body = STRBUF_INIT;

    pthread_mutex_lock(&am->lock);
    while (!atomic_load(&am->stopping)) {
        if (t->queue.len == 0) {
            pthread_cond_wait(&t->wake, &am->lock);
            continue;
        }
        int64_t now = mono_ms();
        if (now < t->retry_at_ms) {
            struct timespec until = abs_mono(t->retry_at_ms);
            pthread_cond_timedwait(&t->wake, &am->lock, &until);
            continue;
        }
        size_t n = alert_queue_take(&t->queue, batch, am->max_batch);
        t->in_flight = n;
        pthread_mutex_unlock(&am->lock);

        strbuf_reset(&body);
        strbuf_addch(&body, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_addch(&body, ',');
            strbuf_add(&body, batch[i]->json, batch[i]->json_len);
        }
        strbuf_addch(&body, ']');
        char err[256] = "";
        double start = mono_seconds();
        int rc = am->post ? am->post(am->post_ctx, t->index, body.buf, body.len, err, sizeof err)
                          : curl_post(t, body.buf, body.len, err, sizeof err);
        double took = mono_seconds() - start;

        pthread_mutex_lock(&am->lock);
        t->in_flight = 0;
        t->latency_last = took;
        int64_t backoff = 0;
        int recovered = rc == ALERTMANAGER_POST_OK && t->backoff_ms > 0;
        if (rc == ALERTMANAGER_POST_OK) {
            /* As Prometheus: latency is observed for successful POSTs only. */
            t->latency_count++;
            t->latency_sum += took;
            t->sent += n;
            t->backoff_ms = 0;
            t->retry_at_ms = 0;
            t->last_error[0] = 0;
        } else {
            t->errors += n;
            snprintf(t->last_error, sizeof t->last_error, "%s", err[0] ? err : "unknown error");
        }
        if (rc == ALERTMANAGER_POST_REJECTED)
            t->rejected += n;
        if (rc == ALERTMANAGER_POST_OK || rc == ALERTMANAGER_POST_REJECTED) {
            for (size_t i = 0; i < n; i++)
                alert_queue_item_free(batch[i]);
        } else {
            alert_queue_requeue(&t->queue, batch, n);
            t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : am->backoff_min_ms;
            if (t->backoff_ms > am->backoff_max_ms)
                t->backoff_ms = am->backoff_max_ms;
            t->retry_at_ms = mono_ms() + t->backoff_ms;
            backoff = t->backoff_ms;
        }
        pthread_cond_broadcast(&am->idle);
        int stopping = atomic_load(&am->stopping);
        pthread_mutex_unlock(&am->lock);
        if (rc == ALERTMANAGER_POST_REJECTED)
            LOG_ERROR("Alertmanager rejected alerts, dropping them", "component", "notifier", "alertmanager",
                      t->redacted_url, "count", LOG_UINT(n), "err", err[0] ? err : "unknown error");
        else if (rc != ALERTMANAGER_POST_OK && !stopping)
            LOG_WARN("Error sending alerts, will retry", "component", "notifier", "alertmanager",
                     t->redacted_url, "count", LOG_UINT(n), "retry_in_ms", LOG_INT(backoff), "err",
                     err[0] ? err : "unknown error");
        else if (recovered)
            LOG_INFO("Alertmanager reachable again, queued alerts sent", "component", "notifier",
                     "alertmanager", t->redacted_url, "count", LOG_UINT(n));
        pthread_mutex_lock(&am->lock);
    }
    pthread_mutex_unlock(&am->lock);

    strbuf_release(&body);
    free(batch);
    if (t->curl)
        curl_easy_cleanup(t->curl);
    t->curl = NULL;
    return NULL;
}

/* ---- lifecycle ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_global(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* With tls.server_name, the request goes to https://<server_name>:<port>/...
 * (so SNI and verification use it) while CONNECT_TO sends it to the real host. */
static int setup_server_name(struct am_target *t, const char *server_name, char *err, size_t errsz)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *url = NULL;
    int rc = -1;
    if (curl_url_set(u, CURLUPART_URL, t->post_url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        snprintf(err, errsz, "cannot parse alertmanager URL %s", t->redacted_url);
        goto out;
    }
    if (curl_url_set(u, CURLUPART_HOST, server_name, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
        snprintf(err, errsz, "invalid tls server_name %s", server_name);
        goto out;
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s:%s:%s:%s", server_name, port, host, port);
    t->connect_to = strbuf_detach(&sb);
    free(t->post_url);
    t->post_url = xstrdup(url);
    rc = 0;
out:
    curl_free(host);
    curl_free(port);
    curl_free(url);
    curl_url_cleanup(u);
    return rc;
}

static int target_init(struct alertmanager *am, struct am_target *t, size_t index,
                       const struct alertmanager_target *c, size_t capacity, char *err, size_t errsz)
{
    t->am = am;
    t->index = index;
    alert_queue_init(&t->queue, capacity);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &ca);
    pthread_condattr_destroy(&ca);

    if (!c->url || !*c->url) {
        snprintf(err, errsz, "alertmanager %zu: missing url", index);
        return -1;
    }
    t->post_url = alertmanager_post_url(c->url);
    t->redacted_url = log_redact_url(t->post_url);
    if (!am->post && strncmp(c->url, "http://", 7) != 0 && strncmp(c->url, "https://", 8) != 0) {
        snprintf(err, errsz, "alertmanager %s: url must start with http:// or https://", t->redacted_url);
        return -1;
    }
    if ((c->bearer_token || c->bearer_token_file) && c->basic_auth_user) {
        snprintf(err, errsz, "alertmanager %s: at most one of basic_auth and bearer_token may be set",
                 t->redacted_url);
        return -1;
    }
    if (c->bearer_token && c->bearer_token_file) {
        snprintf(err, errsz, "alertmanager %s: at most one of bearer_token and bearer_token_file",
                 t->redacted_url);
        return -1;
    }
    if (c->basic_auth_password && c->basic_auth_password_file) {
        snprintf(err, errsz, "alertmanager %s: at most one of password and password_file", t->redacted_url);
        return -1;
    }
    if (!!c->tls.cert_file != !!c->tls.key_file) {
        snprintf(err, errsz, "alertmanager %s: tls cert_file and key_file go together", t->redacted_url);
        return -1;
    }
    for (size_t i = 0; i < c->nheaders; i++) {
        const char *h = c->headers[i];
        const char *colon = h ? strchr(h, ':') : NULL;
        if (!colon || colon == h || strpbrk(h, "\r\n")) {
            snprintf(err, errsz, "alertmanager %s: header %zu is not \"Name: value\"", t->redacted_url, i);
            return -1;
        }
    }
    t->user = dup_or_null(c->basic_auth_user);
    t->password = c->basic_auth_password ? xstrdup(c->basic_auth_password) : NULL;
    t->password_file = dup_or_null(c->basic_auth_password_file);
    t->token = dup_or_null(c->bearer_token);
    t->token_file = dup_or_null(c->bearer_token_file);
    t->ca_file = dup_or_null(c->tls.ca_file);
    t->cert_file = dup_or_null(c->tls.cert_file);
    t->key_file = dup_or_null(c->tls.key_file);
    t->insecure = c->tls.insecure_skip_verify;
    t->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : AM_DEFAULT_TIMEOUT_MS;
    t->headers = xcalloc(c->nheaders ? c->nheaders : 1, sizeof *t->headers);
    for (size_t i = 0; i < c->nheaders; i++)
        t->headers[t->nheaders++] = xstrdup(c->headers[i]);
    if (c->tls.server_name && *c->tls.server_name && !am->post)
        return setup_server_name(t, c->tls.server_name, err, errsz);
    return 0;
}

static void wipe_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

static void target_release(struct am_target *t)
{
    alert_queue_release(&t->queue);
    pthread_cond_destroy(&t->wake);
    free(t->post_url);
    free(t->redacted_url);
    free(t->connect_to);
    free(t->user);
    wipe_free(t->password);
    free(t->password_file);
    wipe_free(t->token);
    free(t->token_file);
    free(t->ca_file);
    free(t->cert_file);
    free(t->key_file);
    for (size_t i = 0; i < t->nheaders; i++)
        wipe_free(t->headers[i]);
    free(t->headers);
}

struct alertmanager *alertmanager_new(const struct alertmanager_config *cfg, char *err, size_t errsz)
{
    pthread_once(&curl_once, curl_global);
    struct alertmanager *am = xcalloc(1, sizeof *am);
    pthread_mutex_init(&am->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&am->idle, &ca);
    pthread_condattr_destroy(&ca);
    am->max_batch = cfg->max_batch ? cfg->max_batch : AM_DEFAULT_BATCH;
    am->backoff_min_ms = cfg->backoff_min_ms > 0 ? cfg->backoff_min_ms : AM_DEFAULT_BACKOFF_MIN_MS;
    am->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : AM_DEFAULT_BACKOFF_MAX_MS;
    if (am->backoff_max_ms < am->backoff_min_ms)
        am->backoff_max_ms = am->backoff_min_ms;
    am->user_agent = xstrdup(cfg->user_agent ? cfg->user_agent : "heed");
    am->post = cfg->post;
    am->post_ctx = cfg->post_ctx;

    /* External labels: kept sorted, empty values dropped (they mean "absent"). */
    const struct alertmanager_pair **ext;
    size_t next = sorted_pairs(cfg->external_labels, cfg->nexternal_labels, 1, &ext);
    am->external = xcalloc(next ? next : 1, sizeof *am->external);
    for (size_t i = 0; i < next; i++) {
        am->external[i].name = xstrdup(ext[i]->name);
        am->external[i].value = xstrdup(ext[i]->value);
    }
    am->nexternal = next;
    free(ext);

    size_t capacity = cfg->queue_capacity ? cfg->queue_capacity : AM_DEFAULT_CAPACITY;
    am->targets = xcalloc(cfg->ntargets ? cfg->ntargets : 1, sizeof *am->targets);
    for (size_t i = 0; i < cfg->ntargets; i++) {
        am->ntargets++;
        if (target_init(am, &am->targets[i], i, &cfg->targets[i], capacity, err, errsz) < 0) {
            alertmanager_free(am);
            return NULL;
        }
    }
    for (size_t i = 0; i < am->ntargets; i++) {
        struct am_target *t = &am->targets[i];
        if (pthread_create(&t->thread, NULL, sender_main, t) != 0) {
            snprintf(err, errsz, "cannot start the notifier thread: %s", strerror(errno));
            alertmanager_free(am);
            return NULL;
        }
        t->thread_started = 1;
    }
    return am;
}

size_t alertmanager_send(struct alertmanager *am, const struct alertmanager_alert *alerts, size_t n)
{
    if (am->ntargets == 0)
        return n; /* like Prometheus with no Alertmanager: accepted and discarded */
    struct alert_queue_item **items = xmalloc((n ? n : 1) * sizeof *items);
    struct strbuf json = STRBUF_INIT, key = STRBUF_INIT;
    size_t ok = 0, invalid = 0;
    for (size_t i = 0; i < n; i++) {
        strbuf_reset(&json);
        strbuf_reset(&key);
        if (encode(&json, &key, &alerts[i], am->external, am->nexternal) < 0) {
            invalid++;
            continue;
        }
        items[ok++] = alert_queue_item_new(key.buf, key.len, json.buf, json.len, 0);
    }
    strbuf_release(&json);
    strbuf_release(&key);

    pthread_mutex_lock(&am->lock);
    for (size_t i = 0; i < ok; i++)
        items[i]->seq = ++am->seq;
    for (size_t ti = 0; ti < am->ntargets; ti++) {
        struct am_target *t = &am->targets[ti];
        t->invalid += invalid;
        for (size_t i = 0; i < ok; i++)
            alert_queue_push(&t->queue, ti + 1 == am->ntargets ? items[i] : alert_queue_item_dup(items[i]));
        if (ok)
            pthread_cond_signal(&t->wake);
    }
    pthread_mutex_unlock(&am->lock);
    free(items);
    if (invalid)
        LOG_WARN("Dropping alerts without labels", "component", "notifier", "count", LOG_UINT(invalid));
    return ok;
}

int alertmanager_flush(struct alertmanager *am, int64_t timeout_ms)
{
    int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    struct timespec until = abs_mono(deadline);
    int rc = 0;
    pthread_mutex_lock(&am->lock);
    for (;;) {
        int busy = 0;
        for (size_t i = 0; i < am->ntargets; i++)
            busy |= am->targets[i].queue.len > 0 || am->targets[i].in_flight > 0;
        if (!busy)
            break;
        if (mono_ms() >= deadline || pthread_cond_timedwait(&am->idle, &am->lock, &until) == ETIMEDOUT) {
            /* Check once more: the last POST may have finished right at the deadline. */
            busy = 0;
            for (size_t i = 0; i < am->ntargets; i++)
                busy |= am->targets[i].queue.len > 0 || am->targets[i].in_flight > 0;
            rc = busy ? -1 : 0;
            break;
        }
    }
    pthread_mutex_unlock(&am->lock);
    return rc;
}

size_t alertmanager_ntargets(const struct alertmanager *am)
{
    return am->ntargets;
}

void alertmanager_stats(struct alertmanager *am, size_t target, struct alertmanager_stats *out)
{
    memset(out, 0, sizeof *out);
    if (target >= am->ntargets)
        return;
    struct am_target *t = &am->targets[target];
    pthread_mutex_lock(&am->lock);
    out->url = t->redacted_url;
    out->sent = t->sent;
    out->errors = t->errors;
    out->dropped = t->queue.dropped + t->invalid + t->rejected;
    out->superseded = t->queue.superseded;
    out->queue_length = t->queue.len;
    out->in_flight = t->in_flight;
    out->queue_capacity = t->queue.capacity;
    out->latency_count = t->latency_count;
    out->latency_sum_seconds = t->latency_sum;
    out->last_latency_seconds = t->latency_last;
    out->backoff_ms = t->backoff_ms;
    snprintf(out->last_error, sizeof out->last_error, "%s", t->last_error);
    pthread_mutex_unlock(&am->lock);
}

void alertmanager_free(struct alertmanager *am)
{
    if (!am)
        return;
    pthread_mutex_lock(&am->lock);
    atomic_store(&am->stopping, 1);
    for (size_t i = 0; i < am->ntargets; i++)
        pthread_cond_broadcast(&am->targets[i].wake);
    pthread_mutex_unlock(&am->lock);
    for (size_t i = 0; i < am->ntargets; i++)
        if (am->targets[i].thread_started)
            pthread_join(am->targets[i].thread, NULL);
    for (size_t i = 0; i < am->ntargets; i++)
        target_release(&am->targets[i]);
    free(am->targets);
    for (size_t i = 0; i < am->nexternal; i++) {
        free((char *)am->external[i].name);
        free((char *)am->external[i].value);
    }
    free(am->external);
    free(am->user_agent);
    pthread_cond_destroy(&am->idle);
    pthread_mutex_destroy(&am->lock);
    free(am);
}
