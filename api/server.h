/* server: heed's HTTP server on libmicrohttpd. One route table maps method
 * and path to a handler (api/handlers.h); every request gets its own arena
 * and response buffer, released in MHD's completion callback; basic auth
 * checks bcrypt password hashes with crypt(3); TLS uses MHD's GnuTLS.
 * Handlers run on MHD's worker threads, so provider callbacks must take the
 * daemon's lock themselves.
 * Nothing here prints: problems at start are returned as text, runtime
 * problems go to the optional log callback, which never sees a secret (no
 * Authorization header, no password, no key material).
 * Ownership rule: api_server_start and api_server_reconfigure copy the
 * config struct, the listen address, the TLS material and the users; the
 * other strings and arrays it points to (build info, flags, page title) must
 * outlive the server. api_server_stop frees everything the server allocated. */
#ifndef HEED_API_SERVER_H
#define HEED_API_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "api/json.h"
#include "api/model.h"
#include "base/arena.h"
#include "base/strbuf.h"

struct metrics_registry;
struct metrics_family;
struct api_server;

/* A basic-auth user: the password is stored only as a crypt(3) hash
 * (bcrypt "$2y$"/"$2b$", or any other scheme libxcrypt knows). */
struct api_user {
    const char *name;          /* user name */
    const char *password_hash; /* crypt(3) hash */
};

/* /api/v1/status/buildinfo fields, as Prometheus names them. */
struct api_build_info {
    const char *version;
    const char *revision;
    const char *branch;
    const char *build_user;
    const char *build_date;
    const char *go_version; /* heed: the C compiler that built it */
};

/* One entry of /api/v1/status/flags. */
struct api_flag {
    const char *name;  /* flag name without dashes, as Prometheus shows them */
    const char *value; /* its value as text (never a secret) */
};

struct api_server_config {
    const char *listen_address;   /* "host:port", "[v6addr]:port", ":port" (all); NULL: 127.0.0.1:9096 */
    const char *tls_cert_file;    /* PEM certificate chain; NULL: plain HTTP */
    const char *tls_key_file;     /* PEM private key (with tls_cert_file) */
    const struct api_user *users; /* basic auth users; none: no auth */
    size_t nusers;
    size_t max_body_bytes;        /* request body limit; 0: 1 MiB */
    unsigned max_connections;     /* concurrent connections; 0: 256 */
    unsigned timeout_seconds;     /* idle connection timeout; 0: 60 */
    unsigned threads;             /* worker threads; 0: 2 */
    struct api_provider provider; /* the daemon's state */
    struct metrics_registry *metrics; /* rendered at /metrics; NULL: the server's own registry */
    struct api_build_info build;  /* for buildinfo */
    const struct api_flag *flags; /* for status/flags */
    size_t nflags;
    const char *page_title;       /* status page heading; NULL: "heed" */
    void (*log)(void *ctx, const char *msg); /* runtime problems; NULL: dropped */
    void *log_ctx;
};

/* Starts serving. Returns 0 and *out, or -1 with a message in err. */
int api_server_start(const struct api_server_config *cfg, struct api_server **out, char *err, size_t errlen);
/* Applies a changed configuration to a running server. Basic-auth users and
 * the body limit apply to the next request (cached logins are dropped when
 * the users change). A changed listen address, TLS certificate or key
 * (contents re-read, so a renewed certificate is taken), connection limit,
 * timeout or thread count starts a new listener first (the same address
 * keeps its port), then retires the old one, whose open connections finish;
 * if the new one cannot start, the old one keeps serving and -1 is returned
 * with the reason in err (the users and limit are applied all the same).
 * Bad users: -1 and nothing changes. Safe to call from a request handler
 * (e.g. behind /-/reload). */
int api_server_reconfigure(struct api_server *s, const struct api_server_config *cfg, char *err, size_t errlen);
/* The bound port (useful with port 0). */
unsigned api_server_port(const struct api_server *s);
/* Stops accepting, waits for running handlers, frees everything. */
void api_server_stop(struct api_server *s);

/* ---- what handlers see ---- */

struct api_param {
    const char *name;  /* decoded name, e.g. "rule_name[]" */
    const char *value; /* decoded value */
};

struct api_request {
    struct arena arena;                  /* per-request memory, released at completion */
    struct api_server *server;           /* the server */
    const struct api_server_config *cfg; /* its configuration */
    const char *method;                  /* "GET", "POST", ... (HEAD is served as GET) */
    const char *path;                    /* decoded path without the query string */
    const char *raw_query;               /* internal: the query string as received */
    struct api_param *params;            /* body parameters first, then the URL's (as Go's r.Form) */
    size_t nparams;
    size_t params_cap;                   /* allocated entries of params */
    size_t url_params_start;             /* index of the first URL parameter */
    struct strbuf body_in;               /* request body as received (bounded) */
    int body_too_large;                  /* body exceeded max_body_bytes */
    int status;                          /* response status */
    const char *content_type;            /* response content type (static or arena) */
    struct strbuf body;                  /* response body */
    const char *handler;                 /* route name for metrics */
    int64_t start_ns;                    /* monotonic start, for the duration metric */
    int started;                         /* internal: first access-handler call done */
};

/* The first value of a parameter (body, then URL), or NULL. */
const char *api_param(const struct api_request *r, const char *name);
/* The first value of a parameter from the URL only (Go's r.URL.Query().Get). */
const char *api_url_param(const struct api_request *r, const char *name);
/* All values of a repeated parameter, in the request arena; returns the count. */
size_t api_param_all(struct api_request *r, const char *name, const char ***out);

/* Parses "a=1&b=x%20y+z" into params (appended, decoded, in the arena). */
void api_parse_form(struct api_request *r, const char *s, size_t len);

/* Responses: set body then status. */
void api_reply_text(struct api_request *r, int status, const char *content_type, const char *text);
void api_reply_error(struct api_request *r, const struct api_error *e);
/* Ends a success envelope started with json_envelope_begin on r->body. */
void api_reply_json(struct api_request *r);

/* The registry /metrics renders (the configured one or the server's own). */
struct metrics_registry *api_server_metrics(struct api_server *s);
/* Wall-clock ms when the server started. */
int64_t api_server_start_time(const struct api_server *s);

#endif
