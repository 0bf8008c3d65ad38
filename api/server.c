#include "api/server.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/handlers.h"
#include "api/metrics.h"
#include "base/xalloc.h"

#define DEFAULT_LISTEN "127.0.0.1:9096"
#define AUTH_CACHE 16

/* A credential pair that crypt(3) accepted, kept so that a client does not
 * pay a bcrypt computation on every request (as Prometheus's exporter
 * toolkit caches too). In memory only, never logged. */
struct auth_ok {
    char *user;     /* owned */
    char *password; /* owned, wiped before free */
};

struct listener;

struct api_server {
    struct api_server_config cfg;      /* copy of the caller's config (users: ours; addresses: the listener's) */
    pthread_rwlock_t cfg_lock;         /* guards cfg.users, cfg.nusers, cfg.max_body_bytes */
    pthread_mutex_t reconf_mu;         /* serialises reconfigurations; guards live and retired */
    struct listener *live;             /* accepting connections */
    struct listener *retired;          /* replaced, finishing their connections */
    struct api_user *users;            /* owned copy of the basic-auth users */
    int64_t start_ms;                  /* wall clock at start */
    struct metrics_registry *own_metrics; /* owned when cfg.metrics was NULL */
    struct metrics_family *requests;   /* heed_http_requests_total{handler,code} */
    struct metrics_family *durations;  /* heed_http_request_duration_seconds{handler} */
    pthread_mutex_t auth_mu;           /* guards auth_cache */
    struct auth_ok auth_cache[AUTH_CACHE]; /* recent successful logins */
    size_t auth_next;                  /* next cache slot to replace */
};

/* ---- route table ---- */

enum {
    M_GET = 1,  /* also HEAD */
    M_POST = 2,
    M_PUT = 4,
};

struct route {
    unsigned methods;                    /* allowed methods */
    const char *path;                    /* exact path, or a prefix when it ends in '/' */
    void (*fn)(struct api_request *r);   /* handler */
    const char *name;                    /* handler label in metrics */
};

/* ORDER routes: looked up by exact path. */
static const struct route routes[] = {
    {M_GET, "/", api_h_page, "/"},
    {M_GET, "/api/v1/rules", api_h_rules, "/api/v1/rules"},
    {M_GET, "/api/v1/alerts", api_h_alerts, "/api/v1/alerts"},
    {M_GET | M_POST, "/api/v1/query", api_h_query, "/api/v1/query"},
    {M_GET | M_POST, "/api/v1/query_range", api_h_query_range, "/api/v1/query_range"},
    {M_GET, "/api/v1/status/buildinfo", api_h_buildinfo, "/api/v1/status/buildinfo"},
    {M_GET, "/api/v1/status/flags", api_h_flags, "/api/v1/status/flags"},
    {M_GET, "/api/v1/freshness", api_h_freshness, "/api/v1/freshness"},
    {M_GET, "/metrics", api_h_metrics, "/metrics"},
    {M_GET, "/-/healthy", api_h_healthy, "/-/healthy"},
    {M_GET, "/-/ready", api_h_ready, "/-/ready"},
    {M_GET | M_POST, "/api/v1/labels", api_h_forward, "/api/v1/labels"},
    {M_GET | M_POST, "/api/v1/series", api_h_forward, "/api/v1/series"},
    {M_GET, "/api/v1/metadata", api_h_forward, "/api/v1/metadata"},
    {M_GET, "/api/v1/label/", api_h_forward, "/api/v1/label/:name/values"},
    {M_GET | M_POST, "/api/v1/query_exemplars", api_h_forward, "/api/v1/query_exemplars"},
    {M_GET | M_POST, "/api/v1/format_query", api_h_format_query, "/api/v1/format_query"},
    {M_POST | M_PUT, "/-/reload", api_h_reload, "/-/reload"},
};

static unsigned method_bit(const char *m)
{
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD"))
        return M_GET;
    if (!strcmp(m, "POST"))
        return M_POST;
    if (!strcmp(m, "PUT"))
        return M_PUT;
    return 0;
}

/* ---- small helpers ---- */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void server_log(const struct api_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void server_log(const struct api_server *s, const char *fmt, ...)
{
    if (!s->cfg.log)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s->cfg.log(s->cfg.log_ctx, buf);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    const struct api_server *s = cls;
    if (!s->cfg.log)
        return;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    s->cfg.log(s->cfg.log_ctx, buf);
}

static void wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

/* ---- parameters ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX and '+' (form encoding) into a new arena string. A malformed
 * escape is kept literally. */
static char *form_decode(struct arena *a, const char *s, size_t len)
{
    char *out = arena_alloc(a, len + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            *o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

void api_parse_form(struct api_request *r, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '&' && s[j] != ';')
            j++;
        if (j > i) {
            size_t eq = i;
            while (eq < j && s[eq] != '=')
                eq++;
            if (r->nparams == r->params_cap) {
                /* Grow in the arena; the old array is freed with it. */
                size_t ncap = r->params_cap ? r->params_cap * 2 : 8;
                struct api_param *np = arena_alloc(&r->arena, ncap * sizeof *np);
                if (r->nparams)
                    memcpy(np, r->params, r->nparams * sizeof *np);
                r->params = np;
                r->params_cap = ncap;
            }
            struct api_param *p = &r->params[r->nparams++];
            p->name = form_decode(&r->arena, s + i, eq - i);
            p->value = eq < j ? form_decode(&r->arena, s + eq + 1, j - eq - 1) : "";
        }
        i = j + 1;
    }
}

const char *api_param(const struct api_request *r, const char *name)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (!strcmp(r->params[i].name, name))
            return r->params[i].value;
    return NULL;
}

const char *api_url_param(const struct api_request *r, const char *name)
{
    for (size_t i = r->url_params_start; i < r->nparams; i++)
        if (!strcmp(r->params[i].name, name))
            return r->params[i].value;
    return NULL;
}

size_t api_param_all(struct api_request *r, const char *name, const char ***out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nparams; i++)
        n += !strcmp(r->params[i].name, name);
    const char **v = arena_alloc(&r->arena, (n ? n : 1) * sizeof *v);
    n = 0;
    for (size_t i = 0; i < r->nparams; i++)
        if (!strcmp(r->params[i].name, name))
            v[n++] = r->params[i].value;
    *out = v;
    return n;
}

/* ---- responses ---- */

void api_reply_text(struct api_request *r, int status, const char *content_type, const char *text)
{
    strbuf_reset(&r->body);
    strbuf_addstr(&r->body, text);
    r->status = status;
    r->content_type = content_type;
}

void api_reply_error(struct api_request *r, const struct api_error *e)
{
    strbuf_reset(&r->body);
    json_error_body(&r->body, e);
    r->status = api_error_http_status(e->type == API_ERR_NONE ? API_ERR_INTERNAL : e->type);
    r->content_type = "application/json";
}

void api_reply_json(struct api_request *r)
{
    r->status = 200;
    r->content_type = "application/json";
}

struct metrics_registry *api_server_metrics(struct api_server *s)
{
    return s->cfg.metrics ? s->cfg.metrics : s->own_metrics;
}

int64_t api_server_start_time(const struct api_server *s)
{
    return s->start_ms;
}

/* ---- basic auth ---- */

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes standard base64 (padding optional) into out; returns the length
 * or -1. */
static long b64_decode(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        int v = b64val((unsigned char)*s);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= cap)
                return -1;
            out[n++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out[n] = '\0';
    return (long)n;
}

static int const_time_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static int auth_cached(struct api_server *s, const char *user, const char *pass)
{
    int ok = 0;
    pthread_mutex_lock(&s->auth_mu);
    for (size_t i = 0; i < AUTH_CACHE && !ok; i++)
        ok = s->auth_cache[i].user && const_time_eq(s->auth_cache[i].user, user) &&
             const_time_eq(s->auth_cache[i].password, pass);
    pthread_mutex_unlock(&s->auth_mu);
    return ok;
}

static void auth_remember(struct api_server *s, const char *user, const char *pass)
{
    pthread_mutex_lock(&s->auth_mu);
    struct auth_ok *e = &s->auth_cache[s->auth_next];
    s->auth_next = (s->auth_next + 1) % AUTH_CACHE;
    if (e->user) {
        free(e->user);
        wipe(e->password, strlen(e->password));
        free(e->password);
    }
    e->user = xstrdup(user);
    e->password = xstrdup(pass);
    pthread_mutex_unlock(&s->auth_mu);
}

/* 1 if the Authorization header names a configured user with the right
 * password. */
static int check_auth(struct api_server *s, const char *header)
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return 0;
    const char *b64 = header + 6;
    while (*b64 == ' ')
        b64++;
    char creds[1024];
    long n = b64_decode(b64, creds, sizeof creds);
    if (n < 0)
        return 0;
    int ok = 0;
    char *colon = memchr(creds, ':', (size_t)n);
    if (colon) {
        *colon = '\0';
        const char *user = creds, *pass = colon + 1;
        /* held across crypt_r: a reconfiguration frees the old user list */
        pthread_rwlock_rdlock(&s->cfg_lock);
        const struct api_user *u = NULL;
        for (size_t i = 0; i < s->cfg.nusers; i++)
            if (const_time_eq(s->cfg.users[i].name, user))
                u = &s->cfg.users[i];
        if (u && auth_cached(s, user, pass)) {
            ok = 1;
        } else if (u && u->password_hash) {
            struct crypt_data *cd = xcalloc(1, sizeof *cd);
            const char *h = crypt_r(pass, u->password_hash, cd);
            ok = h && h[0] != '*' && const_time_eq(h, u->password_hash);
            wipe(cd, sizeof *cd);
            free(cd);
            if (ok)
                auth_remember(s, user, pass);
        }
        pthread_rwlock_unlock(&s->cfg_lock);
    }
    wipe(creds, sizeof creds);
    return ok;
}

/* ---- MHD callbacks ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)c;
    struct api_server *s = cls;
    struct api_request *r = xcalloc(1, sizeof *r);
    arena_init(&r->arena, 16 * 1024);
    r->server = s;
    r->cfg = &s->cfg;
    strbuf_init(&r->body_in);
    strbuf_init(&r->body);
    r->start_ns = mono_ns();
    r->handler = "other";
    r->status = 500;
    r->content_type = "text/plain; charset=utf-8";
    const char *q = strchr(uri, '?');
    r->raw_query = arena_strdup(&r->arena, q ? q + 1 : "");
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    struct api_server *s = cls;
    struct api_request *r = *con_cls;
    if (!r)
        return;
    struct metrics_registry *reg = api_server_metrics(s);
    if (reg && r->started) {
        char code[8];
        snprintf(code, sizeof code, "%d", r->status);
        const char *lv[] = {r->handler, code};
        metrics_add(metrics_series(s->requests, lv), 1);
        const char *hv[] = {r->handler};
        metrics_observe(metrics_series(s->durations, hv), (double)(mono_ns() - r->start_ns) / 1e9);
    }
    strbuf_release(&r->body_in);
    strbuf_release(&r->body);
    arena_release(&r->arena);
    free(r);
    *con_cls = NULL;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct api_request *r, int www_auth)
{
    /* The body stays in r->body until the completion callback. */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->body.len, r->body.buf, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (www_auth)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"heed\"");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* "/api/v1/label/<name>/values": one non-empty segment, then "/values". */
static int label_values_path(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0)
        return 0;
    const char *slash = strchr(path + n, '/');
    return slash && slash > path + n && !strcmp(slash, "/values");
}

static const struct route *find_route(const char *path)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const char *rp = routes[i].path;
        size_t n = strlen(rp);
        if (n > 1 && rp[n - 1] == '/' ? label_values_path(rp, path) : !strcmp(rp, path))
            return &routes[i];
    }
    return NULL;
}

static int is_form(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct)
        return 0;
    static const char form[] = "application/x-www-form-urlencoded";
    return !strncasecmp(ct, form, sizeof form - 1) && (ct[sizeof form - 1] == '\0' || ct[sizeof form - 1] == ';');
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct api_server *s = cls;
    struct api_request *r = *con_cls;
    if (!r)
        return MHD_NO; /* cannot happen: on_uri always runs first */
    pthread_rwlock_rdlock(&s->cfg_lock);
    size_t limit = s->cfg.max_body_bytes ? s->cfg.max_body_bytes : 1024 * 1024;
    int need_auth = s->cfg.nusers > 0;
    pthread_rwlock_unlock(&s->cfg_lock);

    if (!r->started) {
        r->started = 1;
        r->method = arena_strdup(&r->arena, method);
        r->path = arena_strdup(&r->arena, url);
        if (need_auth) {
            const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
            if (!check_auth(s, h)) {
                api_reply_text(r, 401, "text/plain; charset=utf-8", "Unauthorized\n");
                return send_reply(c, r, 1);
            }
        }
        const struct route *rt = find_route(r->path);
        if (!rt) {
            api_reply_text(r, 404, "text/plain; charset=utf-8", "404 page not found\n");
            return send_reply(c, r, 0);
        }
        r->handler = rt->name;
        if (!(rt->methods & method_bit(method))) {
            api_reply_text(r, 405, "text/plain; charset=utf-8", "Method Not Allowed\n");
            return send_reply(c, r, 0);
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > limit) {
            api_reply_text(r, 413, "text/plain; charset=utf-8", "request body too large\n");
            return send_reply(c, r, 0);
        }
        return MHD_YES; /* the body (if any) follows in further calls */
    }

    if (*upload_data_size) {
        if (r->body_in.len + *upload_data_size > limit)
            r->body_too_large = 1;
        else
            strbuf_add(&r->body_in, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (r->body_too_large) {
        api_reply_text(r, 413, "text/plain; charset=utf-8", "request body too large\n");
        return send_reply(c, r, 0);
    }
    /* Body values first, then the URL's, as Go's Request.Form orders them. */
    if (r->body_in.len && is_form(c))
        api_parse_form(r, r->body_in.buf, r->body_in.len);
    r->url_params_start = r->nparams;
    api_parse_form(r, r->raw_query, strlen(r->raw_query));
    const struct route *rt = find_route(r->path);
    rt->fn(r);
    return send_reply(c, r, 0);
}

/* ---- start and stop ---- */

/* Splits "host:port" / "[v6]:port" / ":port" and resolves it. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen, char *err, size_t errlen)
{
    char host[256];
    const char *port;
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= sizeof host) {
            snprintf(err, errlen, "invalid listen address %s: want [host]:port", addr);
            return -1;
        }
        memcpy(host, addr + 1, (size_t)(end - addr - 1));
        host[end - addr - 1] = '\0';
        port = end + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= sizeof host) {
            snprintf(err, errlen, "invalid listen address %s: want host:port", addr);
            return -1;
        }
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        port = colon + 1;
    }
    char *endp;
    long pn = strtol(port, &endp, 10);
    if (!*port || *endp || pn < 0 || pn > 65535) {
        snprintf(err, errlen, "invalid port in listen address %s", addr);
        return -1;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", addr, gai_strerror(rc));
        if (res)
            freeaddrinfo(res);
        return -1;
    }
    /* Prefer IPv4 for an empty host ("all interfaces"). */
    struct addrinfo *pick = res;
    if (!host[0])
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
            if (ai->ai_family == AF_INET) {
                pick = ai;
                break;
            }
    memcpy(ss, pick->ai_addr, pick->ai_addrlen);
    *sslen = pick->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int read_pem(const char *path, struct strbuf *sb, const char *what, char *err, size_t errlen)
{
    if (strbuf_read_file(sb, path) < 0) {
        snprintf(err, errlen, "cannot read TLS %s file %s: %s", what, path, strerror(errno));
        return -1;
    }
    return 0;
}

/* One bound listening daemon. A reconfiguration that changes the address,
 * TLS material or connection limits starts a new one before it retires the
 * old, so a bad new setting never leaves heed without its API. */
struct listener {
    struct MHD_Daemon *daemon; /* running */
    MHD_socket quiesced;       /* retired: the old listen socket, closed after the daemon stops */
    char *address;             /* as configured (owned) */
    unsigned port;             /* bound port */
    struct strbuf cert, key;   /* PEM text MHD uses (the key wiped at free) */
    unsigned max_connections, timeout_seconds, threads; /* as started */
    struct listener *next;     /* in the retired list */
};

static void listener_free(struct listener *l)
{
    if (l->daemon)
        MHD_stop_daemon(l->daemon);
    if (l->quiesced != MHD_INVALID_SOCKET)
        close(l->quiesced);
    wipe(l->key.buf, l->key.len);
    strbuf_release(&l->key);
    strbuf_release(&l->cert);
    free(l->address);
    free(l);
}

static const char *listen_of(const struct api_server_config *cfg)
{
    return cfg->listen_address ? cfg->listen_address : DEFAULT_LISTEN;
}

/* Reads the TLS files of cfg into cert and key (both empty: plain HTTP). */
static int read_tls(const struct api_server_config *cfg, struct strbuf *cert, struct strbuf *key, char *err,
                    size_t errlen)
{
    if (!cfg->tls_cert_file && !cfg->tls_key_file)
        return 0;
    if (!cfg->tls_cert_file || !cfg->tls_key_file) {
        snprintf(err, errlen, "TLS needs both a certificate and a key file");
        return -1;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "this libmicrohttpd has no TLS support");
        return -1;
    }
    return read_pem(cfg->tls_cert_file, cert, "certificate", err, errlen) < 0 ||
                   read_pem(cfg->tls_key_file, key, "key", err, errlen) < 0
               ? -1
               : 0;
}

/* Starts a listener for cfg with the given PEM text (taken over, even on
 * failure). port_override > 0 replaces the address's port (a restart on
 * the same ":0" address keeps its port). */
static int listener_start(struct api_server *s, const struct api_server_config *cfg, struct strbuf *cert,
                          struct strbuf *key, unsigned port_override, struct listener **out, char *err,
                          size_t errlen)
{
    struct listener *l = xcalloc(1, sizeof *l);
    l->quiesced = MHD_INVALID_SOCKET;
    l->address = xstrdup(listen_of(cfg));
    l->cert = *cert;
    l->key = *key;
    strbuf_init(cert);
    strbuf_init(key);
    l->max_connections = cfg->max_connections ? cfg->max_connections : 256;
    l->timeout_seconds = cfg->timeout_seconds ? cfg->timeout_seconds : 60;
    l->threads = cfg->threads ? cfg->threads : 2;
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    if (parse_listen(l->address, &ss, &sslen, err, errlen) < 0) {
        listener_free(l);
        return -1;
    }
    if (port_override && ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port_override);
    else if (port_override && ss.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port_override);
    /* ITC: MHD_quiesce_daemon needs it to retire the listener later */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    int tls = l->cert.len > 0;
    if (tls)
        flags |= MHD_USE_TLS;

    struct MHD_OptionItem opts[16];
    size_t n = 0;
#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)}
    /* The logger first: MHD reports problems with later options through it. */
    OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s);
    OPT(MHD_OPTION_SOCK_ADDR, 0, &ss);
    OPT(MHD_OPTION_URI_LOG_CALLBACK, on_uri, s);
    OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, s);
    OPT(MHD_OPTION_CONNECTION_LIMIT, l->max_connections, NULL);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, l->timeout_seconds, NULL);
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, NULL);
    if (l->threads > 1)
        OPT(MHD_OPTION_THREAD_POOL_SIZE, l->threads, NULL);
    /* SO_REUSEPORT: a new listener can bind the address the old one still holds */
    OPT(MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL);
    if (tls) {
        OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, l->cert.buf);
        OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, l->key.buf);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    l->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!l->daemon) {
        snprintf(err, errlen, "cannot listen on %s (address in use, not permitted, or bad TLS material)",
                 l->address);
        listener_free(l);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
    l->port = info ? info->port : 0;
    *out = l;
    return 0;
}

/* Retired listeners no connection uses any more are stopped (one whose
 * connection is running this very reconfiguration is not: it is stopped
 * later, or at api_server_stop). */
static void reap_retired(struct api_server *s)
{
    for (struct listener **pp = &s->retired; *pp;) {
        struct listener *l = *pp;
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (info && info->num_connections == 0) {
            *pp = l->next;
            listener_free(l);
        } else {
            pp = &l->next;
        }
    }
}

static void users_free(struct api_user *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)u[i].name);
        free((char *)u[i].password_hash);
    }
    free(u);
}

/* Checks and copies the basic-auth users of cfg. */
static int users_copy(const struct api_server_config *cfg, struct api_user **out, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->nusers; i++) {
        const char *h = cfg->users[i].password_hash;
        if (!cfg->users[i].name || !h || h[0] != '$') {
            snprintf(err, errlen, "basic auth user %zu: a crypt(3) password hash is required", i + 1);
            return -1;
        }
    }
    struct api_user *u = xcalloc(cfg->nusers + 1, sizeof *u);
    for (size_t i = 0; i < cfg->nusers; i++)
        u[i] = (struct api_user){xstrdup(cfg->users[i].name), xstrdup(cfg->users[i].password_hash)};
    *out = u;
    return 0;
}

static int users_equal(const struct api_user *a, size_t na, const struct api_user *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].name, b[i].name) || strcmp(a[i].password_hash, b[i].password_hash))
            return 0;
    return 1;
}

static void auth_cache_clear(struct api_server *s)
{
    for (size_t i = 0; i < AUTH_CACHE; i++) {
        if (s->auth_cache[i].user) {
            wipe(s->auth_cache[i].password, strlen(s->auth_cache[i].password));
            free(s->auth_cache[i].password);
            free(s->auth_cache[i].user);
        }
        s->auth_cache[i] = (struct auth_ok){NULL, NULL};
    }
}

static void server_free(struct api_server *s)
{
    if (s->live)
        listener_free(s->live);
    while (s->retired) {
        struct listener *l = s->retired;
        s->retired = l->next;
        listener_free(l);
    }
    auth_cache_clear(s);
    users_free(s->users, s->cfg.nusers);
    pthread_mutex_destroy(&s->auth_mu);
    pthread_rwlock_destroy(&s->cfg_lock);
    pthread_mutex_destroy(&s->reconf_mu);
    metrics_registry_free(s->own_metrics);
    free(s);
}

int api_server_start(const struct api_server_config *cfg, struct api_server **out, char *err, size_t errlen)
{
    struct api_server *s = xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    /* the listener and the user list keep their own copies */
    s->cfg.listen_address = s->cfg.tls_cert_file = s->cfg.tls_key_file = NULL;
    s->cfg.users = NULL;
    s->cfg.nusers = 0;
    pthread_mutex_init(&s->auth_mu, NULL);
    pthread_rwlock_init(&s->cfg_lock, NULL);
    pthread_mutex_init(&s->reconf_mu, NULL);
    s->start_ms = wall_ms();
    if (!s->cfg.metrics)
        s->own_metrics = metrics_registry_new();
    struct metrics_registry *reg = api_server_metrics(s);
    static const char *const req_labels[] = {"handler", "code", NULL};
    static const char *const dur_labels[] = {"handler", NULL};
    static const double dur_buckets[] = {0.001, 0.01, 0.1, 1, 10};
    s->requests = metrics_family(reg, METRICS_COUNTER, "heed_http_requests_total",
                                 "Counter of HTTP requests.", req_labels, NULL, 0);
    s->durations = metrics_family(reg, METRICS_HISTOGRAM, "heed_http_request_duration_seconds",
                                  "Histogram of latencies for HTTP requests.", dur_labels, dur_buckets,
                                  sizeof dur_buckets / sizeof dur_buckets[0]);
    if (!s->requests || !s->durations) {
        snprintf(err, errlen, "metrics registry already has heed_http_* metrics of another shape");
        server_free(s);
        return -1;
    }
    if (users_copy(cfg, &s->users, err, errlen) < 0) {
        server_free(s);
        return -1;
    }
    s->cfg.users = s->users;
    s->cfg.nusers = cfg->nusers;
    struct strbuf cert = STRBUF_INIT, key = STRBUF_INIT;
    if (read_tls(cfg, &cert, &key, err, errlen) < 0 ||
        listener_start(s, cfg, &cert, &key, 0, &s->live, err, errlen) < 0) {
        wipe(key.buf, key.len);
        strbuf_release(&key);
        strbuf_release(&cert);
        server_free(s);
        return -1;
    }
    server_log(s, "listening on port %u%s", s->live->port, s->live->cert.len ? " (TLS)" : "");
    *out = s;
    return 0;
}

int api_server_reconfigure(struct api_server *s, const struct api_server_config *cfg, char *err, size_t errlen)
{
    struct api_user *users;
    if (users_copy(cfg, &users, err, errlen) < 0)
        return -1;
    int rc = 0;
    pthread_mutex_lock(&s->reconf_mu);
    struct listener *old = s->live;
    struct strbuf cert = STRBUF_INIT, key = STRBUF_INIT;
    if (read_tls(cfg, &cert, &key, err, errlen) < 0) {
        rc = -1;
    } else {
        int same_addr = !strcmp(old->address, listen_of(cfg));
        int renew = !same_addr || strcmp(cert.buf, old->cert.buf) || strcmp(key.buf, old->key.buf) ||
                    old->max_connections != (cfg->max_connections ? cfg->max_connections : 256) ||
                    old->timeout_seconds != (cfg->timeout_seconds ? cfg->timeout_seconds : 60) ||
                    old->threads != (cfg->threads ? cfg->threads : 2);
        struct listener *l = NULL;
        if (renew && listener_start(s, cfg, &cert, &key, same_addr ? old->port : 0, &l, err, errlen) < 0) {
            rc = -1;
        } else if (renew) {
            /* The old listener stops accepting; its open connections finish
             * (this request may be one of them). */
            old->quiesced = MHD_quiesce_daemon(old->daemon);
            /* Out of LISTEN at once (the descriptor stays open until the
             * daemon stops): no connection waits in its backlog, and none
             * sharing the port through SO_REUSEPORT is handed to it. */
            if (old->quiesced != MHD_INVALID_SOCKET)
                shutdown(old->quiesced, SHUT_RDWR);
            old->next = s->retired;
            s->retired = old;
            s->live = l; /* the caller reports the new port */
        }
    }
    wipe(key.buf, key.len);
    strbuf_release(&key);
    strbuf_release(&cert);
    reap_retired(s);
    /* Users and the body limit apply to the next request whatever became of
     * the listener: a removed user must not keep access. */
    pthread_rwlock_wrlock(&s->cfg_lock);
    if (!users_equal(users, cfg->nusers, s->users, s->cfg.nusers)) {
        pthread_mutex_lock(&s->auth_mu);
        auth_cache_clear(s);
        pthread_mutex_unlock(&s->auth_mu);
    }
    users_free(s->users, s->cfg.nusers);
    s->users = users;
    s->cfg.users = users;
    s->cfg.nusers = cfg->nusers;
    s->cfg.max_body_bytes = cfg->max_body_bytes;
    pthread_rwlock_unlock(&s->cfg_lock);
    pthread_mutex_unlock(&s->reconf_mu);
    return rc;
}

unsigned api_server_port(const struct api_server *s)
{
    pthread_mutex_lock((pthread_mutex_t *)&s->reconf_mu);
    unsigned port = s->live->port;
    pthread_mutex_unlock((pthread_mutex_t *)&s->reconf_mu);
    return port;
}

void api_server_stop(struct api_server *s)
{
    if (!s)
        return;
    server_free(s);
}
