/* dsproxy: forwarding the metadata endpoints to a loopback stub datasource
 * (libmicrohttpd on 127.0.0.1) that echoes what it received: method, path,
 * arguments, form body and the Authorization header. Checks paths, GET and
 * POST parameters, label-name escaping, the URL's path prefix, bearer and
 * basic credentials read from files, pass-through of JSON errors, non-JSON
 * answers, the body cap, the timeout, a refused connection, and that no
 * message carries a credential. */
#include "compat/dsproxy.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "tests/t.h"

static struct MHD_Daemon *stub;
static unsigned stub_port;
static char base_url[128];

struct upload {
    struct strbuf body;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    strbuf_addf(cls, ",\"%s=%s\"", key, value ? value : "");
    return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype, const char *text)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", ctype);
    enum MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **state)
{
    (void)cls;
    (void)version;
    struct upload *u = *state;
    if (!u) {
        u = calloc(1, sizeof *u);
        strbuf_init(&u->body);
        *state = u;
        return MHD_YES;
    }
    if (*size) {
        strbuf_add(&u->body, data, *size);
        *size = 0;
        return MHD_YES;
    }
    if (strstr(url, "/api/v1/metadata"))
        return reply(c, 404, "text/plain", "404 page not found\n");
    if (strstr(url, "/api/v1/series"))
        return reply(c, 400, "application/json",
                     "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"no match[] parameter provided\"}");
    if (strstr(url, "/api/v1/query_exemplars")) {
        const char *sleep_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sleep");
        if (sleep_s)
            usleep((useconds_t)atoi(sleep_s) * 1000);
        char big[4096];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "{\"status\":\"success\",\"data\":\"%s\"}", big);
        enum MHD_Result rc = reply(c, 200, "application/json", sb.buf);
        strbuf_release(&sb);
        return rc;
    }
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *xh = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Scope-OrgID");
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "{\"status\":\"success\",\"data\":[\"%s %s\",\"auth=%s\",\"org=%s\"", method, url,
                auth ? auth : "", xh ? xh : "");
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &sb);
    strbuf_addf(&sb, ",\"body=%s\"]}", u->body.buf);
    enum MHD_Result rc = reply(c, 200, "application/json", sb.buf);
    strbuf_release(&sb);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode tc)
{
    (void)cls;
    (void)c;
    (void)tc;
    struct upload *u = *state;
    if (u) {
        strbuf_release(&u->body);
        free(u);
    }
    *state = NULL;
}

static void stub_start(void)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    stub = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                            on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
                            NULL, MHD_OPTION_END);
    if (!stub) {
        fprintf(stderr, "cannot start the stub\n");
        exit(2);
    }
    stub_port = MHD_get_daemon_info(stub, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u/prefix/", stub_port);
}

static char tmpdir[] = "/tmp/heed-dsproxy-XXXXXX";

static const char *write_file(const char *name, const char *content)
{
    static char path[2][256];
    static int next;
    char *p = path[next++ % 2];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    fputs(content, f);
    fclose(f);
    return p;
}

/* Forwards and returns the status (-1: error, message in err). */
static int fwd(const struct datasource_config *cfg, const char *method, const char *path, const char *const *names,
               const char *const *values, size_t n, size_t max, struct strbuf *body, struct promjson_error *err)
{
    struct dsproxy_request req = {method, path, names, values, n, max};
    struct dsproxy_response resp;
    if (dsproxy_forward(cfg, &req, &resp, err) < 0)
        return -1;
    strbuf_reset(body);
    strbuf_add(body, resp.body.buf, resp.body.len);
    int st = resp.status;
    dsproxy_response_release(&resp);
    return st;
}

static void test_paths(void)
{
    T_CHECK(dsproxy_path_allowed("/api/v1/labels"));
    T_CHECK(dsproxy_path_allowed("/api/v1/series"));
    T_CHECK(dsproxy_path_allowed("/api/v1/metadata"));
    T_CHECK(dsproxy_path_allowed("/api/v1/query_exemplars"));
    T_CHECK(dsproxy_path_allowed("/api/v1/label/job/values"));
    T_CHECK(!dsproxy_path_allowed("/api/v1/label//values"));
    T_CHECK(!dsproxy_path_allowed("/api/v1/label/a/b/values"));
    T_CHECK(!dsproxy_path_allowed("/api/v1/query"));
    T_CHECK(!dsproxy_path_allowed("/api/v1/admin/tsdb/delete_series"));
    struct datasource_config cfg = {.url = base_url};
    struct strbuf b = STRBUF_INIT;
    struct promjson_error err;
    T_EQ_INT(fwd(&cfg, "GET", "/api/v1/query", NULL, NULL, 0, 0, &b, &err), -1);
    T_EQ_INT(err.type, PROMJSON_BAD_DATA);
    strbuf_release(&b);
}

static void test_get_post(void)
{
    const char *hdrs[] = {"X-Scope-OrgID: tenant-1"};
    struct datasource_config cfg = {.url = base_url, .headers = hdrs, .nheaders = 1};
    struct strbuf b = STRBUF_INIT;
    struct promjson_error err;
    const char *names[] = {"match[]", "match[]", "start"};
    const char *values[] = {"up{job=\"a b\"}", "x", "1"};
    T_EQ_INT(fwd(&cfg, "GET", "/api/v1/labels", names, values, 3, 0, &b, &err), 200);
    T_EQ_STR(b.buf, "{\"status\":\"success\",\"data\":[\"GET /prefix/api/v1/labels\",\"auth=\",\"org=tenant-1\","
                    "\"match[]=up{job=\"a b\"}\",\"match[]=x\",\"start=1\",\"body=\"]}");
    T_EQ_INT(fwd(&cfg, "POST", "/api/v1/labels", names, values, 3, 0, &b, &err), 200);
    T_EQ_STR(b.buf, "{\"status\":\"success\",\"data\":[\"POST /prefix/api/v1/labels\",\"auth=\",\"org=tenant-1\","
                    "\"body=match%5B%5D=up%7Bjob%3D%22a%20b%22%7D&match%5B%5D=x&start=1\"]}");
    /* the label name is escaped again on the way out */
    T_EQ_INT(fwd(&cfg, "GET", "/api/v1/label/a b/values", NULL, NULL, 0, 0, &b, &err), 200);
    T_EQ_STR(b.buf, "{\"status\":\"success\",\"data\":[\"GET /prefix/api/v1/label/a b/values\",\"auth=\",\"org=tenant-1\","
                    "\"body=\"]}");
    strbuf_release(&b);
}

static void test_credentials(void)
{
    struct strbuf b = STRBUF_INIT;
    struct promjson_error err;
    struct datasource_config bearer = {.url = base_url, .bearer_token_file = write_file("token", "tok-1\n")};
    T_EQ_INT(fwd(&bearer, "GET", "/api/v1/labels", NULL, NULL, 0, 0, &b, &err), 200);
    T_CHECK(strstr(b.buf, "\"auth=Bearer tok-1\"") != NULL);
    write_file("token", "tok-2\n"); /* rotated: read again per request */
    T_EQ_INT(fwd(&bearer, "GET", "/api/v1/labels", NULL, NULL, 0, 0, &b, &err), 200);
    T_CHECK(strstr(b.buf, "\"auth=Bearer tok-2\"") != NULL);
    struct datasource_config basic = {.url = base_url, .basic_user = "u", .basic_password_file = write_file("pw", "p\n")};
    T_EQ_INT(fwd(&basic, "GET", "/api/v1/labels", NULL, NULL, 0, 0, &b, &err), 200);
    T_CHECK(strstr(b.buf, "\"auth=Basic dTpw\"") != NULL); /* base64("u:p") */
    struct datasource_config missing = {.url = base_url, .bearer_token_file = "/nonexistent/heed-token"};
    T_EQ_INT(fwd(&missing, "GET", "/api/v1/labels", NULL, NULL, 0, 0, &b, &err), -1);
    T_EQ_INT(err.type, PROMJSON_BAD_DATA);
    T_CHECK(strstr(err.msg, "/nonexistent/heed-token") != NULL);
    struct datasource_config both = {.url = base_url, .basic_user = "u", .bearer_token_file = bearer.bearer_token_file};
    T_EQ_INT(fwd(&both, "GET", "/api/v1/labels", NULL, NULL, 0, 0, &b, &err), -1);
    T_CHECK(strstr(err.msg, "tok-2") == NULL);
    strbuf_release(&b);
}

static void test_errors(void)
{
    struct datasource_config cfg = {.url = base_url, .timeout_ms = 300};
    struct strbuf b = STRBUF_INIT;
    struct promjson_error err;
    /* a JSON error passes through with its status */
    T_EQ_INT(fwd(&cfg, "GET", "/api/v1/series", NULL, NULL, 0, 0, &b, &err), 400);
    T_EQ_STR(b.buf, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"no match[] parameter provided\"}");
    /* a text 404 becomes not_found */
    T_EQ_INT(fwd(&cfg, "GET", "/api/v1/metadata", NULL, NULL, 0, 0, &b, &err), -1);
    T_EQ_INT(err.type, PROMJSON_NOT_FOUND);
    T_EQ_STR(err.msg, "the datasource does not serve /api/v1/metadata (HTTP 404)");
    /* the body cap */
    T_EQ_INT(fwd(&cfg, "GET", "/api/v1/query_exemplars", NULL, NULL, 0, 100, &b, &err), -1);
    T_EQ_INT(err.type, PROMJSON_EXECUTION);
    T_EQ_STR(err.msg, "datasource response for /api/v1/query_exemplars exceeds 100 bytes");
    T_EQ_INT(fwd(&cfg, "GET", "/api/v1/query_exemplars", NULL, NULL, 0, 0, &b, &err), 200);
    T_EQ_INT(b.len, 4095 + strlen("{\"status\":\"success\",\"data\":\"\"}"));
    /* the timeout */
    const char *n[] = {"sleep"}, *v[] = {"1500"};
    T_EQ_INT(fwd(&cfg, "GET", "/api/v1/query_exemplars", n, v, 1, 0, &b, &err), -1);
    T_EQ_INT(err.type, PROMJSON_TIMEOUT);
    T_EQ_STR(err.msg, "datasource request for /api/v1/query_exemplars timed out after 300 ms");
    /* nothing listening: unavailable, and the URL's credentials appear nowhere */
    struct datasource_config down = {.url = "http://user:s3cret@127.0.0.1:1/"};
    T_EQ_INT(fwd(&down, "GET", "/api/v1/labels", NULL, NULL, 0, 0, &b, &err), -1);
    T_EQ_INT(err.type, PROMJSON_UNAVAILABLE);
    T_CHECK(strstr(err.msg, "s3cret") == NULL && strstr(err.msg, "user") == NULL);
    T_CHECK(strstr(err.msg, "/api/v1/labels failed: ") != NULL);
    struct datasource_config nourl = {.url = NULL};
    T_EQ_INT(fwd(&nourl, "GET", "/api/v1/labels", NULL, NULL, 0, 0, &b, &err), -1);
    T_EQ_INT(err.type, PROMJSON_BAD_DATA);
    strbuf_release(&b);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    stub_start();
    t_run("paths", test_paths);
    t_run("get and post", test_get_post);
    t_run("credentials", test_credentials);
    t_run("errors", test_errors);
    MHD_stop_daemon(stub);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return t_done();
}
