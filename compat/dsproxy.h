/* dsproxy: forwards one read-only metadata request of Prometheus's HTTP API
 * (/api/v1/labels, /api/v1/label/<name>/values, /api/v1/series,
 * /api/v1/metadata, /api/v1/query_exemplars) to the datasource, with the
 * datasource's URL, auth and TLS settings (struct datasource_config), so
 * Grafana's query editor works against heed. One blocking request per call
 * over its own curl handle: safe to call from any thread.
 *
 * Bounded: the datasource's timeout and a cap on the body size. Credentials
 * (password file, bearer token file) are read per call, so rotations apply
 * at once. No message and no response made here contains a credential or
 * the URL's userinfo; the caller's own credentials are never forwarded.
 *
 * Ownership rule: the caller owns request and response; dsproxy_response_release
 * frees what dsproxy_forward put in the response. The config is only read. */
#ifndef HEED_COMPAT_DSPROXY_H
#define HEED_COMPAT_DSPROXY_H

#include <stddef.h>

#include "base/strbuf.h"
#include "compat/datasource.h"
#include "compat/promjson.h"

#define DSPROXY_DEFAULT_MAX_BYTES ((size_t)64 << 20) /* 64 MiB */

struct dsproxy_request {
    const char *method;         /* "GET" or "POST" (parameters then go in a form body) */
    const char *path;           /* decoded path, e.g. "/api/v1/label/job/values" */
    const char *const *names;   /* parameter names, repeats kept, in order */
    const char *const *values;  /* parameter values */
    size_t nparams;
    size_t max_bytes;           /* body cap; 0: DSPROXY_DEFAULT_MAX_BYTES */
};

struct dsproxy_response {
    int status;         /* HTTP status to answer with */
    struct strbuf body; /* the datasource's JSON body */
};

/* 1 when path is one of the forwarded endpoints (a label name in
 * /api/v1/label/<name>/values must be non-empty and contain no '/'). */
int dsproxy_path_allowed(const char *path);

/* Sends the request and fills out with the datasource's answer when it is
 * a JSON object (its errors included, with their status). Returns 0, or -1
 * with *err and out empty: bad configuration or path (bad_data), connection
 * failure (unavailable), timeout, a body over the cap (execution), or a
 * non-JSON answer (not_found for a 404, else unavailable). */
int dsproxy_forward(const struct datasource_config *cfg, const struct dsproxy_request *req,
                    struct dsproxy_response *out, struct promjson_error *err);

void dsproxy_response_release(struct dsproxy_response *out);

#endif
