#include "compat/dsproxy.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>


static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ORDER forwarded: the fixed paths; /api/v1/label/<name>/values is matched apart. */
static const char *const forwarded[] = {
    "/api/v1/labels", "/api/v1/series", "/api/v1/metadata", "/api/v1/query_exemplars", NULL,
};

static const char label_prefix[] = "/api/v1/label/";
static const char label_suffix[] = "/values";

int dsproxy_path_allowed(const char *path)
{
    for (size_t i = 0; forwarded[i]; i++)
        if (!strcmp(path, forwarded[i]))
            return 1;
    size_t lp = sizeof label_prefix - 1, ls = sizeof label_suffix - 1, n = strlen(path);
    if (n <= lp + ls || strncmp(path, label_prefix, lp) || strcmp(path + n - ls, label_suffix))
        return 0;
    return memchr(path + lp, '/', n - lp - ls) == NULL;
}

static void secret_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

struct sink {
    struct strbuf *sb; /* body so far */
    size_t max;        /* cap */
    int over;          /* the cap was hit */
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct sink *s = ctx;
    size_t len = size * n;
    if (s->sb->len + len > s->max) {
        s->over = 1;
        return 0; /* aborts the transfer */
    }
    strbuf_add(s->sb, p, len);
    return len;
}

/* The full URL: the configured base (its path prefix kept, userinfo left to
 * curl), the request path with the label name escaped again, and for GET the
 * query string. With server_name the URL names that host and connect_to
 * points the connection at the configured one, so TLS verifies that name. */
static int build_url(CURL *e, const struct datasource_config *cfg, const struct dsproxy_request *req,
                     const char *query, struct strbuf *url, struct curl_slist **connect_to,
                     struct promjson_error *err)
{
    CURLU *u = curl_url();
    if (!u)
        abort();
    int rc = -1;
    char *base = NULL, *host = NULL, *port = NULL;
    if (curl_url_set(u, CURLUPART_URL, cfg->url, 0) != CURLUE_OK) {
        promjson_error_set(err, PROMJSON_BAD_DATA, "datasource URL is not a valid URL");
        goto out;
    }
    curl_url_set(u, CURLUPART_QUERY, NULL, 0);
    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    if (cfg->server_name && *cfg->server_name) {
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
        struct strbuf ct = STRBUF_INIT;
        strbuf_addf(&ct, "%s:%s:%s:%s", cfg->server_name, port, host, port);
        *connect_to = curl_slist_append(NULL, ct.buf);
        strbuf_release(&ct);
        curl_url_set(u, CURLUPART_HOST, cfg->server_name, 0);
    }
    curl_url_get(u, CURLUPART_URL, &base, 0);
    strbuf_addstr(url, base);
    while (url->len && url->buf[url->len - 1] == '/')
        strbuf_setlen(url, url->len - 1);
    if (!strncmp(req->path, label_prefix, sizeof label_prefix - 1)) {
        const char *name = req->path + sizeof label_prefix - 1;
        size_t len = strlen(name) - (sizeof label_suffix - 1);
        char *esc = curl_easy_escape(e, name, (int)len);
        strbuf_addf(url, "%s%s%s", label_prefix, esc, label_suffix);
        curl_free(esc);
    } else {
        strbuf_addstr(url, req->path);
    }
    if (query && *query)
        strbuf_addf(url, "?%s", query);
    rc = 0;
out:
    curl_free(base);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

/* name=value&... with both escaped (form encoding). */
static void encode_params(CURL *e, const struct dsproxy_request *req, struct strbuf *out)
{
    for (size_t i = 0; i < req->nparams; i++) {
        char *n = curl_easy_escape(e, req->names[i], 0);
        char *v = curl_easy_escape(e, req->values[i] ? req->values[i] : "", 0);
        strbuf_addf(out, "%s%s=%s", i ? "&" : "", n, v);
        curl_free(n);
        curl_free(v);
    }
}

/* Extra headers and the bearer token, read now (tokens rotate). */
static int build_headers(const struct datasource_config *cfg, struct curl_slist **out, struct promjson_error *err)
{
    for (size_t i = 0; i < cfg->nheaders; i++) {
        const char *h = cfg->headers[i];
        const char *colon = strchr(h, ':');
        if (!colon || colon == h || strchr(h, '\n') || strchr(h, '\r')) {
            promjson_error_set(err, PROMJSON_BAD_DATA, "header %zu is not \"Name: value\"", i + 1);
            return -1;
        }
        *out = curl_slist_append(*out, h);
    }
    if (cfg->bearer_token_file) {
        char *tok = datasource_read_secret(cfg->bearer_token_file, "bearer token", err);
        if (!tok)
            return -1;
        struct strbuf h = STRBUF_INIT;
        strbuf_addf(&h, "Authorization: Bearer %s", tok);
        *out = curl_slist_append(*out, h.buf);
        explicit_bzero(h.buf, h.len);
        strbuf_release(&h);
        secret_free(tok);
    }
    return 0;
}

static void headers_free(struct curl_slist *h)
{
    for (struct curl_slist *p = h; p; p = p->next)
        explicit_bzero(p->data, strlen(p->data));
    curl_slist_free_all(h);
}

static int is_json_object(const struct strbuf *sb)
{
    for (size_t i = 0; i < sb->len; i++) {
        char c = sb->buf[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return c == '{';
    }
    return 0;
}

int dsproxy_forward(const struct datasource_config *cfg, const struct dsproxy_request *req,
                    struct dsproxy_response *out, struct promjson_error *err)
{
    pthread_once(&curl_once, curl_init_once);
    out->status = 0;
    strbuf_init(&out->body);
    err->type = PROMJSON_OK;
    err->msg[0] = 0;
    if (!cfg->url || !*cfg->url) {
        promjson_error_set(err, PROMJSON_BAD_DATA, "datasource URL missing");
        return -1;
    }
    if (!dsproxy_path_allowed(req->path)) {
        promjson_error_set(err, PROMJSON_BAD_DATA, "%s is not forwarded to the datasource", req->path);
        return -1;
    }
    int post = req->method && !strcmp(req->method, "POST");
    CURL *e = curl_easy_init();
    if (!e)
        abort();
    struct strbuf params = STRBUF_INIT, url = STRBUF_INIT;
    struct curl_slist *headers = NULL, *connect_to = NULL;
    char *password = NULL;
    int rc = -1;
    encode_params(e, req, &params);
    if (build_url(e, cfg, req, post ? NULL : params.buf, &url, &connect_to, err) < 0 ||
        build_headers(cfg, &headers, err) < 0)
        goto out;
    if (cfg->basic_user && cfg->bearer_token_file) {
        promjson_error_set(err, PROMJSON_BAD_DATA, "basic auth and a bearer token are mutually exclusive");
        goto out;
    }
    if (cfg->basic_user && cfg->basic_password_file &&
        !(password = datasource_read_secret(cfg->basic_password_file, "basic auth password", err)))
        goto out;
    long timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    struct sink sink = {&out->body, req->max_bytes ? req->max_bytes : DSPROXY_DEFAULT_MAX_BYTES, 0};
    curl_easy_setopt(e, CURLOPT_URL, url.buf);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (post)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, params.buf); /* form-encoded, as received */
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 5000L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "heed/0.1");
    if (headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    if (cfg->basic_user) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, cfg->basic_user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, password ? password : "");
    }
    if (cfg->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->cert_file)
        curl_easy_setopt(e, CURLOPT_SSLCERT, cfg->cert_file);
    if (cfg->key_file)
        curl_easy_setopt(e, CURLOPT_SSLKEY, cfg->key_file);
    if (cfg->insecure_skip_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (connect_to)
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, connect_to);
    CURLcode cc = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    /* curl's own texts name no URL, so no userinfo can leak through them */
    if (sink.over)
        promjson_error_set(err, PROMJSON_EXECUTION, "datasource response for %s exceeds %zu bytes", req->path,
                           sink.max);
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        promjson_error_set(err, PROMJSON_TIMEOUT, "datasource request for %s timed out after %ld ms", req->path,
                           timeout_ms);
    else if (cc != CURLE_OK)
        promjson_error_set(err, PROMJSON_UNAVAILABLE, "datasource request for %s failed: %s", req->path,
                           curl_easy_strerror(cc));
    else if (!is_json_object(&out->body) && status == 404)
        promjson_error_set(err, PROMJSON_NOT_FOUND, "the datasource does not serve %s (HTTP 404)", req->path);
    else if (!is_json_object(&out->body))
        promjson_error_set(err, PROMJSON_UNAVAILABLE, "the datasource answered %s with HTTP %ld and no JSON body",
                           req->path, status);
    else
        rc = 0;
    out->status = rc == 0 ? (int)status : 0;
out:
    if (rc < 0)
        strbuf_release(&out->body);
    secret_free(password);
    headers_free(headers);
    curl_slist_free_all(connect_to);
    strbuf_release(&params);
    strbuf_release(&url);
    curl_easy_cleanup(e);
    return rc;
}

void dsproxy_response_release(struct dsproxy_response *out)
{
    strbuf_release(&out->body);
    out->status = 0;
}
