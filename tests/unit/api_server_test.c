/* End-to-end tests of api/: the server runs in-process on 127.0.0.1 (port
 * 0: a free one) with the fake provider of api_fixture.h; libcurl checks
 * every endpoint: status codes, exact JSON shapes, filters, pagination,
 * basic auth, TLS, IPv6, request-size, connection and idle limits, and
 * that no secret reaches the log. */
#include <arpa/inet.h>
#include <crypt.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/server.h"
#include "base/strbuf.h"
#include "tests/t.h"
#include "tests/unit/api_fixture.h"

static struct fx_state fx = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};
static char base[128];
static long client_timeout_ms = 10000;
static const struct api_flag flags[] = {
    {"web.listen-address", "127.0.0.1:0"},
    {"config.file", "heed.yml"},
    {"alertmanager.notification-queue-capacity", "10000"},
};
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct strbuf logbuf = STRBUF_INIT;

static void test_log(void *ctx, const char *msg)
{
    (void)ctx;
    pthread_mutex_lock(&log_mu);
    strbuf_addstr(&logbuf, msg);
    strbuf_addch(&logbuf, '\n');
    pthread_mutex_unlock(&log_mu);
}

static struct api_server_config base_config(void)
{
    struct api_server_config c;
    memset(&c, 0, sizeof c);
    c.listen_address = "127.0.0.1:0";
    c.provider = fx_provider(&fx);
    c.build = (struct api_build_info){"0.1.0", "abc123", "main", "tester@host", "20260101-00:00:00", "cc 12"};
    c.flags = flags;
    c.nflags = sizeof flags / sizeof flags[0];
    c.max_body_bytes = 4096;
    c.log = test_log;
    return c;
}

/* ---- a small HTTP client ---- */

struct resp {
    long status;
    struct strbuf body;
    char ctype[256];
    char www_auth[256];
    int ok; /* transfer completed */
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    strbuf_add(&((struct resp *)ud)->body, p, sz * n);
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    size_t len = sz * n;
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(len < 255 ? len : 255), p);
    line[strcspn(line, "\r\n")] = '\0';
    if (!strncasecmp(line, "Content-Type: ", 14))
        snprintf(r->ctype, sizeof r->ctype, "%.200s", line + 14);
    if (!strncasecmp(line, "WWW-Authenticate: ", 18))
        snprintf(r->www_auth, sizeof r->www_auth, "%.200s", line + 18);
    return len;
}

/* method "GET"/"POST"/...; body NULL for none (sent as a form). */
static void http_to(const char *url, const char *method, const char *body, const char *userpwd, struct resp *r)
{
    memset(r, 0, sizeof *r);
    strbuf_init(&r->body);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (userpwd)
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, client_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    r->ok = curl_easy_perform(c) == CURLE_OK;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
}

static void http(const char *method, const char *path, const char *body, struct resp *r)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", base, path);
    http_to(url, method, body, NULL, r);
}

static void get(const char *path, struct resp *r)
{
    http("GET", path, NULL, r);
}

#define EXPECT(path, code, want)                                                                            \
    do {                                                                                                      \
        struct resp r_;                                                                                       \
        get(path, &r_);                                                                                       \
        T_EQ_INT(r_.status, code);                                                                            \
        T_EQ_STR(r_.body.buf, want);                                                                          \
        strbuf_release(&r_.body);                                                                             \
    } while (0)

/* ---- expected shapes ---- */

#define FRESH_A4                                                                                              \
    "{\"state\":\"stale\",\"reason\":\"frozen for at least 1h\",\"since\":\"2023-11-14T21:13:20Z\","          \
    "\"worstAge\":30,\"inputsTotal\":1,\"inputsNotFresh\":1,\"inputs\":[{\"labels\":{\"__name__\":\"up\","   \
    "\"instance\":\"c:1\"},\"class\":\"frozen\",\"age\":30}]}"

#define INFRA_GROUP                                                                                           \
    "{\"name\":\"infra\",\"file\":\"/etc/heed/b.yml\",\"rules\":[{\"state\":\"firing\",\"name\":"            \
    "\"InstanceDown\",\"query\":\"up == 0\",\"duration\":0,\"keepFiringFor\":600,\"labels\":{},"             \
    "\"annotations\":{},\"alerts\":[{\"labels\":{\"alertname\":\"InstanceDown\",\"instance\":\"c:1\"},"      \
    "\"annotations\":{},\"state\":\"firing\",\"activeAt\":\"2023-11-14T22:00:00Z\",\"keepFiringSince\":"     \
    "\"2023-11-14T22:13:20Z\",\"value\":\"0e+00\",\"freshness\":" FRESH_A4 "}],\"health\":\"err\","          \
    "\"lastError\":\"query timed out in expression evaluation\",\"evaluationTime\":0.003,"                   \
    "\"lastEvaluation\":\"2023-11-14T22:13:20.2Z\",\"type\":\"alerting\",\"freshness\":" FRESH_A4 "}],"     \
    "\"interval\":60,\"limit\":10,\"evaluationTime\":0.004,\"lastEvaluation\":\"2023-11-14T22:13:20.2Z\","   \
    "\"evaluationLag\":0,\"iterationsMissed\":2}"

#define RECORDING_RULE                                                                                        \
    "{\"name\":\"job:errors:rate5m\",\"query\":\"sum by (job) (rate(errors_total[5m]))\",\"labels\":{},"    \
    "\"health\":\"ok\",\"evaluationTime\":0.001,\"lastEvaluation\":\"2023-11-14T22:13:20.127Z\","           \
    "\"type\":\"recording\",\"freshness\":{\"state\":\"fresh\",\"worstAge\":15,\"inputsTotal\":2,"          \
    "\"inputsNotFresh\":0,\"inputs\":[]}}"

#define API_GROUP_HEAD "{\"name\":\"api\",\"file\":\"/etc/heed/a.yml\",\"rules\":["
#define API_GROUP_TAIL                                                                                        \
    "],\"interval\":30,\"limit\":0,\"evaluationTime\":0.0125,\"lastEvaluation\":"                           \
    "\"2023-11-14T22:13:20.123Z\",\"evaluationLag\":0.25,\"iterationsMissed\":0}"

#define NEVER_GROUP                                                                                           \
    "{\"name\":\"never\",\"file\":\"/etc/heed/b.yml\",\"rules\":[{\"state\":\"unknown\",\"name\":"           \
    "\"NeverAlert\",\"query\":\"vector(1)\",\"duration\":60,\"keepFiringFor\":0,\"labels\":{},"              \
    "\"annotations\":{},\"alerts\":[],\"health\":\"unknown\",\"evaluationTime\":0,\"lastEvaluation\":"       \
    "\"0001-01-01T00:00:00Z\",\"type\":\"alerting\",\"freshness\":{\"state\":\"unknown\",\"worstAge\":0,"    \
    "\"inputsTotal\":0,\"inputsNotFresh\":0,\"inputs\":[]}}],\"interval\":60,\"limit\":0,"                  \
    "\"evaluationTime\":0,\"lastEvaluation\":\"0001-01-01T00:00:00Z\",\"evaluationLag\":0,"                  \
    "\"iterationsMissed\":0}"

#define OK(data) "{\"status\":\"success\",\"data\":" data "}"

static void test_rules_shapes(void)
{
    EXPECT("/api/v1/rules?rule_group[]=infra", 200, OK("{\"groups\":[" INFRA_GROUP "]}"));
    EXPECT("/api/v1/rules?type=record", 200, OK("{\"groups\":[" API_GROUP_HEAD RECORDING_RULE API_GROUP_TAIL "]}"));
    EXPECT("/api/v1/rules?rule_group%5B%5D=never", 200, OK("{\"groups\":[" NEVER_GROUP "]}"));

    struct resp r;
    get("/api/v1/rules", &r);
    T_EQ_INT(r.status, 200);
    T_EQ_STR(r.ctype, "application/json");
    /* groups sorted by file then name; the resolved alert is not listed */
    const char *a = strstr(r.body.buf, "\"name\":\"api\""), *b = strstr(r.body.buf, "\"name\":\"infra\""),
               *c = strstr(r.body.buf, "\"name\":\"never\"");
    T_CHECK(a && b && c && a < b && b < c);
    T_CHECK(strstr(r.body.buf, "old:1") == NULL);
    T_CHECK(strstr(r.body.buf, "\"state\":\"firing\",\"name\":\"HighErrorRate\",\"query\":"
                               "\"rate(errors_total[5m]) \\u003e 0.1\",\"duration\":300,\"keepFiringFor\":0,"
                               "\"labels\":{\"severity\":\"page\"},\"annotations\":{\"summary\":\"Errors "
                               "\\u003chigh\\u003e on {{ $labels.instance }}\"},\"alerts\":[{\"labels\":"
                               "{\"alertname\":\"HighErrorRate\",\"instance\":\"a:1\",\"severity\":\"page\"}") != NULL);
    T_CHECK(strstr(r.body.buf, "\"state\":\"pending\",\"activeAt\":\"2023-11-14T22:13:10Z\",\"value\":"
                               "\"1.2345e+03\",\"freshness\":{\"state\":\"held\",\"reason\":\"inputs late: "
                               "errors_total{instance=\\\"b:1\\\"} 12m old\",\"since\":\"2023-11-14T22:11:40Z\"") !=
            NULL);
    strbuf_release(&r.body);
}

static void test_rules_filters(void)
{
    struct resp r;
    get("/api/v1/rules?type=alert&rule_name[]=InstanceDown&rule_name[]=NeverAlert", &r);
    T_EQ_INT(r.status, 200);
    T_CHECK(strstr(r.body.buf, "HighErrorRate") == NULL && strstr(r.body.buf, "InstanceDown") &&
            strstr(r.body.buf, "NeverAlert") && strstr(r.body.buf, "\"name\":\"api\"") == NULL);
    strbuf_release(&r.body);

    get("/api/v1/rules?file[]=/etc/heed/a.yml&type=ALERT", &r);
    T_CHECK(strstr(r.body.buf, "HighErrorRate") && !strstr(r.body.buf, "job:errors") &&
            !strstr(r.body.buf, "infra"));
    strbuf_release(&r.body);

    EXPECT("/api/v1/rules?rule_name[]=nothing", 200, OK("{\"groups\":[]}"));

    get("/api/v1/rules?exclude_alerts=true&rule_group[]=infra", &r);
    T_CHECK(strstr(r.body.buf, "\"alerts\":null,\"health\":\"err\"") != NULL);
    strbuf_release(&r.body);

    get("/api/v1/rules?match[]=%7Bseverity%3D%22page%22%7D", &r);
    T_EQ_INT(r.status, 200);
    T_CHECK(strstr(r.body.buf, "HighErrorRate") && !strstr(r.body.buf, "InstanceDown") &&
            !strstr(r.body.buf, "job:errors"));
    strbuf_release(&r.body);

    /* regex matchers; selectors are ORed, matchers within one ANDed */
    get("/api/v1/rules?match[]=%7Bseverity%3D~%22pa.%2A%22%7D&match[]=%7Bnothing%3D%22x%22%7D", &r);
    T_CHECK(strstr(r.body.buf, "HighErrorRate") && !strstr(r.body.buf, "InstanceDown"));
    strbuf_release(&r.body);
    get("/api/v1/rules?match[]=%7Bseverity%3D%22page%22%2Cfoo%21%3D%22%22%7D", &r);
    T_CHECK(!strstr(r.body.buf, "HighErrorRate"));
    strbuf_release(&r.body);
    EXPECT("/api/v1/rules?match[]=%7Bseverity%21%3D%22page%22%7D", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:1: parse error: vector selector must "
           "contain at least one non-empty matcher\"}");
    EXPECT("/api/v1/rules?match[]=up%7B", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:4: parse error: unexpected end of input "
           "inside braces\"}");
    EXPECT("/api/v1/rules?match[]=up%2B1", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:1: parse error: expected a metric "
           "selector\"}");
    EXPECT("/api/v1/rules?type=bogus", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"type\\\": not "
           "supported value \\\"bogus\\\"\"}");
    EXPECT("/api/v1/rules?exclude_alerts=maybe", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"exclude_alerts\\\": "
           "error converting exclude_alerts: strconv.ParseBool: parsing \\\"maybe\\\": invalid syntax\"}");
}

static void test_rules_pagination(void)
{
    struct resp r;
    get("/api/v1/rules?group_limit=1", &r);
    T_EQ_INT(r.status, 200);
    const char *tok = strstr(r.body.buf, "\"groupNextToken\":\"");
    T_CHECK(tok && strstr(r.body.buf, "\"name\":\"api\"") && !strstr(r.body.buf, "\"name\":\"infra\""));
    char token[80] = "";
    if (tok)
        sscanf(tok + 18, "%79[0-9a-f]", token);
    T_EQ_INT(strlen(token), 32);
    strbuf_release(&r.body);

    char path[256];
    snprintf(path, sizeof path, "/api/v1/rules?group_limit=1&group_next_token=%s", token);
    get(path, &r);
    T_EQ_INT(r.status, 200);
    T_CHECK(strstr(r.body.buf, "\"name\":\"infra\"") && !strstr(r.body.buf, "\"name\":\"api\"") &&
            strstr(r.body.buf, "groupNextToken"));
    strbuf_release(&r.body);

    get("/api/v1/rules?group_limit=5", &r);
    T_CHECK(!strstr(r.body.buf, "groupNextToken") && strstr(r.body.buf, "\"name\":\"never\""));
    strbuf_release(&r.body);

    EXPECT("/api/v1/rules?group_next_token=abc", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"group_next_token\\\": "
           "group_limit needs to be present in order to paginate over the groups\"}");
    EXPECT("/api/v1/rules?group_limit=0", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"group_limit\\\": "
           "group_limit needs to be greater than 0\"}");
    EXPECT("/api/v1/rules?group_limit=x", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"group_limit\\\": "
           "group_limit needs to be a valid number: strconv.ParseInt: parsing \\\"x\\\": invalid syntax\"}");
    EXPECT("/api/v1/rules?group_limit=1&group_next_token=ffff", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"group_next_token\\\": "
           "invalid group_next_token 'ffff'. were rule groups changed?\"}");
}

static void test_alerts(void)
{
    EXPECT("/api/v1/alerts", 200,
           OK("{\"alerts\":[{\"labels\":{\"alertname\":\"HighErrorRate\",\"instance\":\"a:1\",\"severity\":\"page\"},"
              "\"annotations\":{\"summary\":\"Errors \\u003chigh\\u003e on a:1\"},\"state\":\"firing\",\"activeAt\":"
              "\"2023-11-14T21:56:40Z\",\"value\":\"2.5e-01\",\"freshness\":{\"state\":\"fresh\",\"worstAge\":15,"
              "\"inputsTotal\":1,\"inputsNotFresh\":0,\"inputs\":[]}},{\"labels\":{\"alertname\":\"HighErrorRate\","
              "\"instance\":\"b:1\",\"severity\":\"page\"},\"annotations\":{\"summary\":\"Errors \\u003chigh\\u003e "
              "on a:1\"},\"state\":\"pending\",\"activeAt\":\"2023-11-14T22:13:10Z\",\"value\":\"1.2345e+03\","
              "\"freshness\":{\"state\":\"held\",\"reason\":\"inputs late: errors_total{instance=\\\"b:1\\\"} 12m "
              "old\",\"since\":\"2023-11-14T22:11:40Z\",\"worstAge\":720,\"inputsTotal\":1,\"inputsNotFresh\":1,"
              "\"inputs\":[{\"labels\":{\"__name__\":\"errors_total\",\"instance\":\"b:1\"},\"class\":\"late\","
              "\"age\":720}]}},{\"labels\":{\"alertname\":\"InstanceDown\",\"instance\":\"c:1\"},\"annotations\":{},"
              "\"state\":\"firing\",\"activeAt\":\"2023-11-14T22:00:00Z\",\"keepFiringSince\":\"2023-11-14T22:13:20Z\","
              "\"value\":\"0e+00\",\"freshness\":" FRESH_A4 "}]}"));
}

static void test_freshness(void)
{
    struct resp r;
    get("/api/v1/freshness?rule_group[]=infra", &r);
    T_EQ_INT(r.status, 200);
    T_EQ_STR(r.body.buf,
             OK("{\"groups\":[{\"name\":\"infra\",\"file\":\"/etc/heed/b.yml\",\"interval\":60,\"evaluationTime\":0.004,"
                "\"lastEvaluation\":\"2023-11-14T22:13:20.2Z\",\"evaluationLag\":0,\"iterationsMissed\":2,"
                "\"rules\":[{\"name\":\"InstanceDown\",\"type\":\"alerting\",\"health\":\"err\",\"freshness\":"
                "{\"state\":\"stale\",\"reason\":\"frozen for at least 1h\",\"since\":\"2023-11-14T21:13:20Z\","
                "\"worstAge\":30,\"inputsTotal\":1,\"inputsNotFresh\":1,\"inputs\":[{\"labels\":{\"__name__\":\"up\","
                "\"instance\":\"c:1\"},\"class\":\"frozen\",\"age\":30,\"cadence\":30,\"unchangedFor\":3600,"
                "\"unchangedForAtLeast\":true}]},\"medianAge\":30,\"ingestionLag\":30,\"inputsLate\":0,"
                "\"inputsFrozen\":1,\"inputsGone\":0,\"alerts\":[{\"labels\":{\"alertname\":\"InstanceDown\","
                "\"instance\":\"c:1\"},\"state\":\"firing\",\"freshness\":{\"state\":\"stale\",\"reason\":"
                "\"frozen for at least 1h\",\"since\":\"2023-11-14T21:13:20Z\",\"worstAge\":30,\"inputsTotal\":1,"
                "\"inputsNotFresh\":1,\"inputs\":[{\"labels\":{\"__name__\":\"up\",\"instance\":\"c:1\"},"
                "\"class\":\"frozen\",\"age\":30,\"cadence\":30,\"unchangedFor\":3600,\"unchangedForAtLeast\":"
                "true}]}}]}]}]}"));
    strbuf_release(&r.body);
    get("/api/v1/freshness", &r);
    T_CHECK(strstr(r.body.buf, "\"evaluationLag\":0.25") && strstr(r.body.buf, "\"class\":\"late\",\"age\":720,"
                                                                                "\"cadence\":15"));
    strbuf_release(&r.body);
}

static void test_query(void)
{
    EXPECT("/api/v1/query?query=up&time=1.5", 200,
           OK("{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"up\",\"instance\":\"a:1\","
              "\"job\":\"api\"},\"value\":[1.500,\"1\"]},{\"metric\":{\"__name__\":\"up\",\"instance\":\"d:1\","
              "\"job\":\"db\"},\"value\":[1.500,\"0\"]}]}"));
    EXPECT("/api/v1/query?query=up&time=2023-11-14T22:13:20.05Z&limit=1", 200,
           "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":"
           "\"up\",\"instance\":\"a:1\",\"job\":\"api\"},\"value\":[1700000000.050,\"1\"]}]},\"warnings\":"
           "[\"results truncated due to limit\"]}");
    EXPECT("/api/v1/query?query=up&time=2023-11-14T23:13:20%2B01:00", 200,
           OK("{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"up\",\"instance\":\"a:1\","
              "\"job\":\"api\"},\"value\":[1700000000,\"1\"]},{\"metric\":{\"__name__\":\"up\",\"instance\":\"d:1\","
              "\"job\":\"db\"},\"value\":[1700000000,\"0\"]}]}"));
    EXPECT("/api/v1/query?query=scalar&time=100", 200, OK("{\"resultType\":\"scalar\",\"result\":[100,\"1000000000000000000000\"]}"));
    EXPECT("/api/v1/query?query=scalar&time=100&stats=all", 200,
           OK("{\"resultType\":\"scalar\",\"result\":[100,\"1000000000000000000000\"],\"stats\":{\"timings\":{"
              "\"evalTotalTime\":1.875,\"resultSortTime\":0.125,\"queryPreparationTime\":0.25,\"innerEvalTime\":1.5,"
              "\"execQueueTime\":0,\"execTotalTime\":1.875},\"samples\":{\"totalQueryableSamples\":42}}}"));
    EXPECT("/api/v1/query?query=string&time=1.25", 200,
           "{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[1.25,\"hello \\\"world\\\"\"]},"
           "\"warnings\":[\"fixture warning\"],\"infos\":[\"fixture info\"]}");
    EXPECT("/api/v1/query?query=fresh&time=10", 200,
           OK("{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"up\",\"instance\":\"c:1\"},"
              "\"value\":[10,\"0\"],\"freshness\":" FRESH_A4 "}]}"));
    EXPECT("/api/v1/query?query=empty", 200, OK("{\"resultType\":\"vector\",\"result\":[]}"));
    EXPECT("/api/v1/query_range?query=up&start=0&end=60&step=30s", 200,
           OK("{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"__name__\":\"up\",\"instance\":\"a:1\","
              "\"job\":\"api\"},\"values\":[[0,\"1\"],[30,\"1e-07\"]]},{\"metric\":{\"__name__\":\"up\","
              "\"instance\":\"d:1\",\"job\":\"db\"},\"values\":[[0,\"1\"]]}]}"));

    /* POST with a form body, a repeated parameter: the body's value wins */
    struct resp r;
    http("POST", "/api/v1/query?query=nothing", "query=scalar&time=7", &r);
    T_EQ_INT(r.status, 200);
    T_EQ_STR(r.body.buf, OK("{\"resultType\":\"scalar\",\"result\":[7,\"1000000000000000000000\"]}"));
    strbuf_release(&r.body);
    http("POST", "/api/v1/query_range", "query=up&start=10&end=20&step=1m", &r);
    T_EQ_INT(r.status, 200);
    T_CHECK(strstr(r.body.buf, "\"values\":[[10,\"1\"],[70,\"1e-07\"]]") != NULL);
    strbuf_release(&r.body);

    /* errors: type -> status in one place */
    EXPECT("/api/v1/query?query=bad(", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": 1:1: parse "
           "error: fixture knows no such query\"}");
    EXPECT("/api/v1/query?query=exec", 422,
           "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"fixture: vector cannot contain metrics "
           "with the same labelset\"}");
    EXPECT("/api/v1/query?query=slow", 503,
           "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out in expression evaluation\"}");
    EXPECT("/api/v1/query?query=up&time=yesterday", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"time\\\": invalid "
           "time value for 'time': cannot parse \\\"yesterday\\\" to a valid timestamp\"}");
    EXPECT("/api/v1/query?query=up&timeout=soon", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"timeout\\\": cannot "
           "parse \\\"soon\\\" to a valid duration\"}");
    EXPECT("/api/v1/query?query=up&limit=-1", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"limit\\\": limit must "
           "be non-negative\"}");
    EXPECT("/api/v1/query_range?query=up&end=10&step=1", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"start\\\": cannot "
           "parse \\\"\\\" to a valid timestamp\"}");
    EXPECT("/api/v1/query_range?query=up&start=10&end=5&step=1", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"end\\\": end timestamp "
           "must not be before start time\"}");
    EXPECT("/api/v1/query_range?query=up&start=0&end=10&step=0", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"step\\\": zero or "
           "negative query resolution step widths are not accepted. Try a positive integer\"}");
    EXPECT("/api/v1/query_range?query=up&start=0&end=20000&step=1", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"exceeded maximum resolution of 11,000 "
           "points per timeseries. Try decreasing the query resolution (?step=XX)\"}");
    EXPECT("/api/v1/query_range?query=up&start=0&end=10&step=1h30x", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"step\\\": cannot "
           "parse \\\"1h30x\\\" to a valid duration\"}");
    EXPECT("/api/v1/query_range?query=up&start=0&end=7200&step=1h1m&lookback_delta=x", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"error parsing lookback delta duration: "
           "cannot parse \\\"x\\\" to a valid duration\"}");
}

static void test_status(void)
{
    EXPECT("/api/v1/status/buildinfo", 200,
           OK("{\"version\":\"0.1.0\",\"revision\":\"abc123\",\"branch\":\"main\",\"buildUser\":\"tester@host\","
              "\"buildDate\":\"20260101-00:00:00\",\"goVersion\":\"cc 12\"}"));
    EXPECT("/api/v1/status/flags", 200,
           OK("{\"alertmanager.notification-queue-capacity\":\"10000\",\"config.file\":\"heed.yml\","
              "\"web.listen-address\":\"127.0.0.1:0\"}"));
    EXPECT("/-/healthy", 200, "heed is Healthy.\n");
    pthread_mutex_lock(&fx.mu);
    fx.ready = 0;
    pthread_mutex_unlock(&fx.mu);
    EXPECT("/-/ready", 503, "Service Unavailable");
    pthread_mutex_lock(&fx.mu);
    fx.ready = 1;
    pthread_mutex_unlock(&fx.mu);
    EXPECT("/-/ready", 200, "heed is Ready.\n");

    struct resp r;
    http("HEAD", "/-/healthy", NULL, &r);
    T_EQ_INT(r.status, 200);
    T_EQ_INT(r.body.len, 0);
    strbuf_release(&r.body);

    EXPECT("/-/reload", 405, "Method Not Allowed\n");
    http("POST", "/-/reload", "", &r);
    T_EQ_INT(r.status, 200);
    strbuf_release(&r.body);
    http("PUT", "/-/reload", NULL, &r);
    T_EQ_INT(r.status, 200);
    strbuf_release(&r.body);
    pthread_mutex_lock(&fx.mu);
    T_EQ_INT(fx.reloads, 2);
    fx.reload_fails = 1;
    pthread_mutex_unlock(&fx.mu);
    http("POST", "/-/reload", NULL, &r);
    T_EQ_INT(r.status, 500);
    T_EQ_STR(r.body.buf, "failed to reload config: fixture: rule file broken\n");
    strbuf_release(&r.body);
    pthread_mutex_lock(&fx.mu);
    fx.reload_fails = 0;
    pthread_mutex_unlock(&fx.mu);

    EXPECT("/api/v1/nothing", 404, "404 page not found\n");
    http("DELETE", "/api/v1/rules", NULL, &r);
    T_EQ_INT(r.status, 405);
    strbuf_release(&r.body);
    http("POST", "/api/v1/alerts", "x=1", &r);
    T_EQ_INT(r.status, 405);
    strbuf_release(&r.body);

    /* the provider failing: its error type decides the status */
    pthread_mutex_lock(&fx.mu);
    fx.snapshot_fails = 1;
    pthread_mutex_unlock(&fx.mu);
    EXPECT("/api/v1/alerts", 500, "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"fixture: shutting down\"}");
    pthread_mutex_lock(&fx.mu);
    fx.snapshot_fails = 0;
    pthread_mutex_unlock(&fx.mu);
}

static void test_forward(void)
{
    EXPECT("/api/v1/labels?match[]=up&match[]=x", 200,
           "{\"status\":\"success\",\"data\":[\"GET /api/v1/labels\",\"match[]=up\",\"match[]=x\"]}");
    EXPECT("/api/v1/label/job/values?start=1", 200,
           "{\"status\":\"success\",\"data\":[\"GET /api/v1/label/job/values\",\"start=1\"]}");
    EXPECT("/api/v1/metadata", 200, "{\"status\":\"success\",\"data\":[\"GET /api/v1/metadata\"]}");
    struct resp r;
    http("POST", "/api/v1/series", "match%5B%5D=%7Bjob%3D%22a%22%7D", &r);
    T_EQ_INT(r.status, 200);
    T_EQ_STR(r.body.buf, "{\"status\":\"success\",\"data\":[\"POST /api/v1/series\",\"match[]={job=\"a\"}\"]}");
    strbuf_release(&r.body);
    EXPECT("/api/v1/label/down/values", 500,
           "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"fixture: datasource unreachable\"}");
    EXPECT("/api/v1/query_exemplars?query=up", 200,
           "{\"status\":\"success\",\"data\":[\"GET /api/v1/query_exemplars\",\"query=up\"]}");
    EXPECT("/api/v1/label//values", 404, "404 page not found\n");
    EXPECT("/api/v1/label/job", 404, "404 page not found\n");
    EXPECT("/api/v1/label/job/values/x", 404, "404 page not found\n");
}

static void test_format_query(void)
{
    EXPECT("/api/v1/format_query?query=sum+by(job)(rate(x%5B5m%5D))", 200,
           "{\"status\":\"success\",\"data\":\"sum by (job) (rate(x[5m]))\"}");
    EXPECT("/api/v1/format_query?query=sum(", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": "
           "1:5: parse error: unclosed left parenthesis\"}");
    EXPECT("/api/v1/format_query", 400,
           "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\": "
           "unknown position: parse error: no expression found in input\"}");
}

static void test_metrics_endpoint(void)
{
    struct resp r;
    get("/metrics", &r);
    T_EQ_INT(r.status, 200);
    T_EQ_STR(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
    T_CHECK(strstr(r.body.buf, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ") != NULL);
    T_CHECK(strstr(r.body.buf, "process_start_time_seconds ") && strstr(r.body.buf, "process_open_fds ") &&
            strstr(r.body.buf, "process_max_fds ") && strstr(r.body.buf, "process_cpu_seconds_total ") &&
            strstr(r.body.buf, "process_virtual_memory_bytes "));
    T_CHECK(strstr(r.body.buf, "heed_http_requests_total{handler=\"/api/v1/rules\",code=\"200\"} ") != NULL);
    T_CHECK(strstr(r.body.buf, "heed_http_requests_total{handler=\"/api/v1/rules\",code=\"400\"} ") != NULL);
    T_CHECK(strstr(r.body.buf, "heed_http_request_duration_seconds_bucket{handler=\"/-/healthy\",le=\"+Inf\"} ") !=
            NULL);
    /* derived from the snapshot: Prometheus's rule-group metrics, heed's freshness */
    static const char *const want[] = {
        "# HELP prometheus_rule_group_iterations_missed_total The total number of rule group evaluations missed due "
        "to slow rule group evaluation.\n# TYPE prometheus_rule_group_iterations_missed_total counter\n"
        "prometheus_rule_group_iterations_missed_total{rule_group=\"/etc/heed/a.yml;api\"} 0\n"
        "prometheus_rule_group_iterations_missed_total{rule_group=\"/etc/heed/b.yml;infra\"} 2\n"
        "prometheus_rule_group_iterations_missed_total{rule_group=\"/etc/heed/b.yml;never\"} 0\n",
        "prometheus_rule_group_last_evaluation_timestamp_seconds{rule_group=\"/etc/heed/a.yml;api\"} "
        "1.700000000123e+09\n",
        "prometheus_rule_evaluation_failures_total{rule_group=\"/etc/heed/b.yml;infra\"} 7\n",
        "prometheus_rule_group_interval_seconds{rule_group=\"/etc/heed/b.yml;infra\"} 60\n",
        "prometheus_rule_group_rules{rule_group=\"/etc/heed/a.yml;api\"} 2\n",
        "prometheus_rule_group_last_restore_duration_seconds{rule_group=\"/etc/heed/b.yml;infra\"} 0.5\n",
        "heed_rule_group_evaluation_lag_seconds{rule_group=\"/etc/heed/a.yml;api\"} 0.25\n",
        "heed_rule_inputs_not_fresh{rule_group=\"/etc/heed/a.yml;api\",rule=\"HighErrorRate\"} 1\n",
        "heed_rule_input_worst_age_seconds{rule_group=\"/etc/heed/a.yml;api\",rule=\"HighErrorRate\"} 720\n",
        /* FRESHNESS.md "Lag, exposed": median age, untrusted inputs by class, ingestion lag */
        "heed_rule_input_median_age_seconds{rule_group=\"/etc/heed/a.yml;api\",rule=\"HighErrorRate\"} 720\n",
        "heed_rule_inputs_stale{rule_group=\"/etc/heed/a.yml;api\",rule=\"HighErrorRate\",class=\"late\"} 1\n",
        "heed_rule_inputs_stale{rule_group=\"/etc/heed/a.yml;api\",rule=\"HighErrorRate\",class=\"frozen\"} 0\n",
        "heed_rule_inputs_stale{rule_group=\"/etc/heed/a.yml;api\",rule=\"HighErrorRate\",class=\"gone\"} 0\n",
        "heed_rule_ingestion_lag_seconds{rule_group=\"/etc/heed/a.yml;api\",rule=\"HighErrorRate\"} 15\n",
        "heed_alerts{rule_group=\"/etc/heed/a.yml;api\",alertname=\"HighErrorRate\",state=\"pending\","
        "freshness=\"held\"} 1\n",
        "heed_selfcheck_firing{check=\"HeedWatchdog\"} 1\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(r.body.buf, want[i]))
            printf("# /metrics lacks: %s\n", want[i]);
        T_CHECK(strstr(r.body.buf, want[i]) != NULL);
    }
    strbuf_release(&r.body);
}

static void test_page(void)
{
    struct resp r;
    get("/", &r);
    T_EQ_INT(r.status, 200);
    T_EQ_STR(r.ctype, "text/html; charset=utf-8");
    static const char *const want[] = {
        "<!DOCTYPE html>", "Self-monitoring", "HeedWatchdog", "HighErrorRate", "InstanceDown", "job:errors:rate5m",
        "Errors",          "instance=b:1",    "held",         "Stale inputs",  "frozen",       "late",
        "&lt;",            "lag 0.25s",       "2 missed",     "NeverAlert",    "query timed out",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(r.body.buf, want[i]))
            printf("# page lacks %s\n", want[i]);
        T_CHECK(strstr(r.body.buf, want[i]) != NULL);
    }
    /* no external assets, no scripts */
    T_CHECK(!strstr(r.body.buf, "<script") && !strstr(r.body.buf, "http://") && !strstr(r.body.buf, "https://") &&
            !strstr(r.body.buf, "<link"));
    /* the raw label value with '<' never appears unescaped */
    T_CHECK(!strstr(r.body.buf, "<high>"));
    strbuf_release(&r.body);
}

static void test_body_limit(void)
{
    struct strbuf big = STRBUF_INIT;
    strbuf_addstr(&big, "query=");
    for (int i = 0; i < 5000; i++)
        strbuf_addch(&big, 'x');
    struct resp r;
    http("POST", "/api/v1/query", big.buf, &r);
    T_EQ_INT(r.status, 413);
    strbuf_release(&r.body);
    strbuf_release(&big);
    /* still serving */
    EXPECT("/-/healthy", 200, "heed is Healthy.\n");
}

/* A raw TCP connection to 127.0.0.1:port. */
static int raw_connect(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends raw bytes, returns the first response line (or ""). */
static void raw_exchange(const char *req, size_t len, char *line, size_t cap)
{
    line[0] = '\0';
    unsigned port = (unsigned)atoi(strrchr(base, ':') + 1);
    int fd = raw_connect(port);
    if (fd < 0)
        return;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    ssize_t n = recv(fd, line, cap - 1, 0);
    line[n > 0 ? n : 0] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    close(fd);
}

static void test_header_limit(void)
{
    /* Headers and URL beyond the per-connection memory limit are refused
     * before any handler runs; nothing leaks (ASan checks). */
    struct strbuf req = STRBUF_INIT;
    strbuf_addstr(&req, "GET /-/healthy HTTP/1.1\r\nHost: x\r\nX-Big: ");
    for (int i = 0; i < 100000; i++)
        strbuf_addch(&req, 'a');
    strbuf_addstr(&req, "\r\n\r\n");
    char line[256];
    raw_exchange(req.buf, req.len, line, sizeof line);
    printf("# big header: %s\n", line);
    T_CHECK(strstr(line, " 200 ") == NULL);
    strbuf_reset(&req);
    strbuf_addstr(&req, "GET /api/v1/query?query=");
    for (int i = 0; i < 100000; i++)
        strbuf_addch(&req, 'u');
    strbuf_addstr(&req, " HTTP/1.1\r\nHost: x\r\n\r\n");
    raw_exchange(req.buf, req.len, line, sizeof line);
    printf("# long URL: %s\n", line);
    T_CHECK(strstr(line, " 200 ") == NULL);
    /* a chunked body (no Content-Length) over the limit */
    strbuf_reset(&req);
    strbuf_addstr(&req, "POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n1400\r\nquery=");
    for (int i = 0; i < 0x1400 - 6; i++)
        strbuf_addch(&req, 'q');
    strbuf_addstr(&req, "\r\n0\r\n\r\n");
    raw_exchange(req.buf, req.len, line, sizeof line);
    T_CHECK(!strncmp(line, "HTTP/1.1 413 ", 13));
    strbuf_release(&req);
    const char ok[] = "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    raw_exchange(ok, sizeof ok - 1, line, sizeof line);
    T_EQ_STR(line, "HTTP/1.1 200 OK");
}

static void test_connection_limits(void)
{
    struct api_server_config c = base_config();
    c.max_connections = 2;
    c.timeout_seconds = 1;
    c.threads = 1;
    struct api_server *s;
    char err[256];
    T_CHECK(api_server_start(&c, &s, err, sizeof err) == 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/-/healthy", api_server_port(s));
    int a = raw_connect(api_server_port(s)), b = raw_connect(api_server_port(s));
    T_CHECK(a >= 0 && b >= 0);
    usleep(200000);
    /* A third connection waits (MHD stops accepting at the limit)... */
    struct resp r;
    client_timeout_ms = 500;
    http_to(url, "GET", NULL, NULL, &r);
    client_timeout_ms = 10000;
    T_CHECK(!r.ok);
    strbuf_release(&r.body);
    /* idle connections are closed after the timeout */
    char ch;
    struct timeval tv = {5, 0};
    setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    T_EQ_INT(recv(a, &ch, 1, 0), 0);
    close(a);
    close(b);
    /* ...and is served once the idle ones are gone. */
    http_to(url, "GET", NULL, NULL, &r);
    T_EQ_INT(r.status, 200);
    strbuf_release(&r.body);
    api_server_stop(s);
}

static long status_of(const char *url, const char *userpwd)
{
    struct resp r;
    client_timeout_ms = 3000;
    http_to(url, "GET", NULL, userpwd, &r);
    client_timeout_ms = 10000;
    strbuf_release(&r.body);
    return r.ok ? r.status : -1;
}

static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        return 0;
    close(fd);
    return ntohs(sa.sin_port);
}

/* Users and limits apply live; a new listener replaces the old one only
 * once it runs; the same address keeps its port. */
static void test_reconfigure(void)
{
    char salt[64], hash[128];
    struct crypt_data cd;
    memset(&cd, 0, sizeof cd);
    T_CHECK(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof salt) != NULL);
    snprintf(hash, sizeof hash, "%s", crypt_r("pw", salt, &cd));
    struct api_server_config c = base_config();
    struct api_server *s;
    char err[256], url[128];
    T_CHECK(api_server_start(&c, &s, err, sizeof err) == 0);
    unsigned port = api_server_port(s);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/-/healthy", port);
    T_EQ_INT(status_of(url, NULL), 200);

    /* a user added: asked for at once, same listener */
    struct api_user users[] = {{"carol", hash}};
    c.users = users;
    c.nusers = 1;
    T_EQ_INT(api_server_reconfigure(s, &c, err, sizeof err), 0);
    T_EQ_INT(api_server_port(s), port);
    T_EQ_INT(status_of(url, NULL), 401);
    T_EQ_INT(status_of(url, "carol:pw"), 200);
    /* her password changed: the cached login no longer works */
    char hash2[128];
    snprintf(hash2, sizeof hash2, "%s", crypt_r("pw2", salt, &cd));
    users[0].password_hash = hash2;
    T_EQ_INT(api_server_reconfigure(s, &c, err, sizeof err), 0);
    T_EQ_INT(status_of(url, "carol:pw"), 401);
    T_EQ_INT(status_of(url, "carol:pw2"), 200);
    /* a bad user entry: refused, nothing changes */
    struct api_user bad[] = {{"dave", "plain"}};
    c.users = bad;
    T_EQ_INT(api_server_reconfigure(s, &c, err, sizeof err), -1);
    T_EQ_STR(err, "basic auth user 1: a crypt(3) password hash is required");
    T_EQ_INT(status_of(url, "carol:pw2"), 200);
    c.users = NULL;
    c.nusers = 0;

    /* a bad address: the old listener keeps serving, the users still apply */
    c.listen_address = "127.0.0.1:99999";
    T_EQ_INT(api_server_reconfigure(s, &c, err, sizeof err), -1);
    T_EQ_STR(err, "invalid port in listen address 127.0.0.1:99999");
    T_EQ_INT(api_server_port(s), port);
    T_EQ_INT(status_of(url, NULL), 200);

    /* a new limit on the same address: a new listener, same port, serving */
    c.listen_address = "127.0.0.1:0";
    c.max_connections = 100;
    T_EQ_INT(api_server_reconfigure(s, &c, err, sizeof err), 0);
    T_EQ_INT(api_server_port(s), port);
    for (int i = 0; i < 20; i++)
        T_EQ_INT(status_of(url, NULL), 200);

    /* a new address: served there, refused at the old one */
    unsigned np = free_port();
    char addr[64], url2[128];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", np);
    c.listen_address = addr;
    T_EQ_INT(api_server_reconfigure(s, &c, err, sizeof err), 0);
    T_EQ_INT(api_server_port(s), np);
    snprintf(url2, sizeof url2, "http://127.0.0.1:%u/-/healthy", np);
    T_EQ_INT(status_of(url2, NULL), 200);
    T_EQ_INT(status_of(url, NULL), -1);
    /* the body limit applies live */
    c.max_body_bytes = 16;
    T_EQ_INT(api_server_reconfigure(s, &c, err, sizeof err), 0);
    char qurl[160];
    snprintf(qurl, sizeof qurl, "http://127.0.0.1:%u/api/v1/query", np);
    struct resp r;
    http_to(qurl, "POST", "query=vector(1)&time=12345", NULL, &r);
    T_EQ_INT(r.status, 413);
    strbuf_release(&r.body);
    api_server_stop(s);
}

static void test_auth(void)
{
    char salt[64], hash_b[128], hash_y[128];
    T_CHECK(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof salt) != NULL);
    struct crypt_data cd;
    memset(&cd, 0, sizeof cd);
    snprintf(hash_b, sizeof hash_b, "%s", crypt_r("s3cret-pw", salt, &cd));
    T_CHECK(crypt_gensalt_rn("$2y$", 4, NULL, 0, salt, sizeof salt) != NULL);
    snprintf(hash_y, sizeof hash_y, "%s", crypt_r("other-pw", salt, &cd));
    T_CHECK(!strncmp(hash_b, "$2b$04$", 7) && !strncmp(hash_y, "$2y$04$", 7));

    struct api_user users[] = {{"alice", hash_b}, {"bob", hash_y}};
    struct api_server_config c = base_config();
    c.users = users;
    c.nusers = 2;
    struct api_server *s;
    char err[256];
    T_CHECK(api_server_start(&c, &s, err, sizeof err) == 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/status/buildinfo", api_server_port(s));
    struct resp r;
    http_to(url, "GET", NULL, NULL, &r);
    T_EQ_INT(r.status, 401);
    T_EQ_STR(r.www_auth, "Basic realm=\"heed\"");
    strbuf_release(&r.body);
    http_to(url, "GET", NULL, "alice:wrong", &r);
    T_EQ_INT(r.status, 401);
    strbuf_release(&r.body);
    http_to(url, "GET", NULL, "mallory:s3cret-pw", &r);
    T_EQ_INT(r.status, 401);
    strbuf_release(&r.body);
    for (int i = 0; i < 2; i++) { /* second time from the cache */
        http_to(url, "GET", NULL, "alice:s3cret-pw", &r);
        T_EQ_INT(r.status, 200);
        strbuf_release(&r.body);
    }
    http_to(url, "GET", NULL, "bob:other-pw", &r);
    T_EQ_INT(r.status, 200);
    strbuf_release(&r.body);
    http_to(url, "GET", NULL, "bob:s3cret-pw", &r);
    T_EQ_INT(r.status, 401);
    strbuf_release(&r.body);
    api_server_stop(s);

    /* a plain password where a hash belongs is refused at start */
    struct api_user plain[] = {{"alice", "s3cret-pw"}};
    c.users = plain;
    c.nusers = 1;
    err[0] = '\0';
    T_CHECK(api_server_start(&c, &s, err, sizeof err) < 0);
    T_CHECK(strstr(err, "hash") != NULL && strstr(err, "s3cret") == NULL);
}

static void test_tls(void)
{
    if (system("command -v openssl >/dev/null 2>&1") != 0) {
        printf("# skipped: openssl not installed, cannot make a test certificate\n");
        return;
    }
    char dir[] = "/tmp/heed-api-tls-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char cmd[1024], cert[128], key[128];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 -subj /CN=127.0.0.1 "
             ">/dev/null 2>&1",
             key, cert);
    T_EQ_INT(system(cmd), 0);
    struct api_server_config c = base_config();
    c.tls_cert_file = cert;
    c.tls_key_file = key;
    struct api_server *s;
    char err[256];
    int rc = api_server_start(&c, &s, err, sizeof err);
    T_EQ_INT(rc, 0);
    if (rc == 0) {
        char url[128];
        snprintf(url, sizeof url, "https://127.0.0.1:%u/-/healthy", api_server_port(s));
        struct resp r;
        http_to(url, "GET", NULL, NULL, &r);
        T_EQ_INT(r.status, 200);
        T_EQ_STR(r.body.buf, "heed is Healthy.\n");
        strbuf_release(&r.body);
        snprintf(url, sizeof url, "http://127.0.0.1:%u/-/healthy", api_server_port(s));
        http_to(url, "GET", NULL, NULL, &r);
        T_CHECK(r.status != 200); /* plain HTTP is not answered */
        strbuf_release(&r.body);
        api_server_stop(s);
    }
    c.tls_key_file = "/nonexistent/key.pem";
    T_CHECK(api_server_start(&c, &s, err, sizeof err) < 0);
    T_CHECK(strstr(err, "/nonexistent/key.pem") != NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    T_EQ_INT(system(cmd), 0);
}

static void test_listen_addresses(void)
{
    struct api_server_config c = base_config();
    struct api_server *s;
    char err[256];
    c.listen_address = "[::1]:0";
    if (api_server_start(&c, &s, err, sizeof err) == 0) {
        char url[128];
        snprintf(url, sizeof url, "http://[::1]:%u/-/healthy", api_server_port(s));
        struct resp r;
        http_to(url, "GET", NULL, NULL, &r);
        T_EQ_INT(r.status, 200);
        strbuf_release(&r.body);
        api_server_stop(s);
    } else {
        printf("# skipped IPv6: %s\n", err);
    }
    static const char *const bad[] = {"127.0.0.1", "127.0.0.1:99999", "[::1]0", "127.0.0.1:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c.listen_address = bad[i];
        T_CHECK(api_server_start(&c, &s, err, sizeof err) < 0);
    }
}

static void test_no_secrets_logged(void)
{
    pthread_mutex_lock(&log_mu);
    T_CHECK(strstr(logbuf.buf, "s3cret") == NULL && strstr(logbuf.buf, "other-pw") == NULL &&
            strstr(logbuf.buf, "PRIVATE KEY") == NULL && strstr(logbuf.buf, "Authorization") == NULL);
    T_CHECK(strstr(logbuf.buf, "listening on port") != NULL);
    pthread_mutex_unlock(&log_mu);
}

static volatile sig_atomic_t stop_serving;

static void on_term(int sig)
{
    (void)sig;
    stop_serving = 1;
}

/* A generated fixture of nalerts firing alerts (10 groups of 10 alerting
 * rules) for load measurements. */
static struct api_group *big_groups;
static size_t big_ngroups;

static void make_big(struct arena *a, size_t nalerts)
{
    size_t ngroups = 10, nrules = 10, per_rule = (nalerts + ngroups * nrules - 1) / (ngroups * nrules);
    big_groups = ARENA_NEWN(a, struct api_group, ngroups);
    big_ngroups = ngroups;
    size_t made = 0;
    for (size_t g = 0; g < ngroups; g++) {
        struct api_rule *rules = ARENA_NEWN(a, struct api_rule, nrules);
        for (size_t r = 0; r < nrules; r++) {
            struct api_alert *al = ARENA_NEWN(a, struct api_alert, per_rule);
            size_t n = 0;
            for (; n < per_rule && made < nalerts; n++, made++) {
                struct api_label *l = ARENA_NEWN(a, struct api_label, 4);
                l[0] = (struct api_label){"alertname", arena_printf(a, "Alert%zu_%zu", g, r)};
                l[1] = (struct api_label){"instance", arena_printf(a, "host-%zu:9100", made)};
                l[2] = (struct api_label){"job", "node"};
                l[3] = (struct api_label){"severity", "page"};
                struct api_label *an = ARENA_NEWN(a, struct api_label, 1);
                an[0] = (struct api_label){"summary", arena_printf(a, "host-%zu is down", made)};
                al[n] = (struct api_alert){.labels = {l, 4}, .annotations = {an, 1}, .state = API_ALERT_FIRING,
                                           .active_at = 1700000000000, .keep_firing_since = API_TIME_NONE,
                                           .value = (double)made,
                                           .fresh = {API_FRESH_FRESH, NULL, API_TIME_NONE, 15, 1, 0, NULL, 0, 0, 0, 0, 0, 0}};
            }
            rules[r] = (struct api_rule){.type = API_RULE_ALERTING, .name = al[0].labels.items[0].value,
                                         .query = "up == 0", .duration = 60, .health = API_HEALTH_OK,
                                         .evaluation_time = 0.01, .last_evaluation = 1700000000000,
                                         .alerts = al, .nalerts = n,
                                         .fresh = {API_FRESH_FRESH, NULL, API_TIME_NONE, 15, n, 0, NULL, 0, 0, 0, 0, 0, 0}};
        }
        big_groups[g] = (struct api_group){.name = arena_printf(a, "group%zu", g), .file = "/etc/heed/load.yml",
                                           .interval = 30, .last_evaluation = 1700000000000,
                                           .rules = rules, .nrules = nrules};
    }
}

static int big_snapshot(void *ctx, struct arena *a, struct api_snapshot *out, struct api_error *err)
{
    (void)ctx;
    (void)a;
    (void)err;
    out->groups = big_groups;
    out->ngroups = big_ngroups;
    out->now = 1700000001000;
    return 0;
}

/* "--serve PORTFILE [NALERTS]": serves the fixture on a free 127.0.0.1 port, writes
 * the port to PORTFILE and runs until SIGTERM/SIGINT; used by the browser
 * test in tests/suites/. */
static int serve(const char *portfile, size_t nalerts)
{
    struct api_server_config c = base_config();
    struct arena big;
    arena_init(&big, 0);
    if (nalerts) {
        make_big(&big, nalerts);
        c.provider.snapshot = big_snapshot;
    }
    c.log = NULL;
    c.page_title = "heed (test fixture)";
    struct api_server *s;
    char err[256];
    fx.ready = 1;
    if (api_server_start(&c, &s, err, sizeof err) < 0) {
        fprintf(stderr, "api_server_test: %s\n", err);
        arena_release(&big);
        return 2;
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    FILE *f = fopen(portfile, "w");
    if (!f) {
        api_server_stop(s);
        arena_release(&big);
        return 2;
    }
    fprintf(f, "%u\n", api_server_port(s));
    fclose(f);
    while (!stop_serving)
        usleep(50000);
    api_server_stop(s);
    arena_release(&big);
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--serve"))
        return serve(argv[2], argc == 4 ? (size_t)strtoul(argv[3], NULL, 10) : 0);
    curl_global_init(CURL_GLOBAL_ALL);
    struct api_server_config c = base_config();
    c.threads = 2;
    struct api_server *s = NULL;
    char err[256];
    if (api_server_start(&c, &s, err, sizeof err) < 0) {
        printf("not ok: cannot start server: %s\n0 passed, 1 failed\n", err);
        return 1;
    }
    snprintf(base, sizeof base, "http://127.0.0.1:%u", api_server_port(s));
    t_run("rules_shapes", test_rules_shapes);
    t_run("rules_filters", test_rules_filters);
    t_run("rules_pagination", test_rules_pagination);
    t_run("alerts", test_alerts);
    t_run("freshness", test_freshness);
    t_run("query", test_query);
    t_run("status", test_status);
    t_run("forward", test_forward);
    t_run("format_query", test_format_query);
    t_run("reconfigure", test_reconfigure);
    t_run("metrics_endpoint", test_metrics_endpoint);
    t_run("page", test_page);
    t_run("body_limit", test_body_limit);
    t_run("header_limit", test_header_limit);
    api_server_stop(s);
    t_run("connection_limits", test_connection_limits);
    t_run("auth", test_auth);
    t_run("tls", test_tls);
    t_run("listen_addresses", test_listen_addresses);
    t_run("no_secrets_logged", test_no_secrets_logged);
    strbuf_release(&logbuf);
    curl_global_cleanup();
    return t_done();
}
