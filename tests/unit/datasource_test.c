/* datasource_test: the storage interface over HTTP, against an in-process
 * mock query API (libmicrohttpd on 127.0.0.1, port chosen by the kernel).
 * The mock holds a few series with staleness markers and answers
 * `sel[Nms]` (raw samples, markers hidden, as Prometheus does) and bare
 * `sel` (instant selection, markers honoured), so marker reconstruction,
 * dedupe, parallelism and error mapping are checked exactly. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "compat/datasource.h"
#include "eval/labels.h"
#include "eval/storage.h"
#include "eval/value.h"
#include "grammar/ast.h"
#include "tests/t.h"

#define LOOKBACK 300000

struct mock_series {
    const char *labels_json; /* "\"__name__\":\"m\",\"i\":\"a\"" */
    int64_t samples[16];     /* times; value = time / 1000 */
    size_t n;
    int64_t markers[4]; /* staleness marker times */
    size_t nm;
};

static struct mock_series mock_data[] = {
    /* ends with a marker one interval after its last sample */
    {"\"__name__\":\"m\",\"i\":\"a\"", {1000, 2000, 3000}, 3, {4000}, 1},
    /* leaves (marker at 2500, off the interval) and comes back */
    {"\"__name__\":\"m\",\"i\":\"b\"", {1000, 2000, 6000, 7000, 8000, 9000}, 6, {2500}, 1},
    /* never stale */
    {"\"__name__\":\"m\",\"i\":\"c\"", {1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000}, 9, {0}, 0},
};

static pthread_mutex_t mock_lock = PTHREAD_MUTEX_INITIALIZER;
static int mock_requests;
static int mock_delay_ms;
static int mock_status; /* 0: answer from the data; else this HTTP status with an error body */
static int mock_drop_names; /* last_over_time answers lose __name__ (an older backend) */
static char mock_queries[64][640];
static char mock_auth[256]; /* Authorization header of the last request */
static char mock_encoding[256]; /* Accept-Encoding header of the last request ("-": none) */

static int visible_at(const struct mock_series *s, int64_t t)
{
    int64_t newest = -1;
    int stale = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->samples[i] <= t && s->samples[i] > newest)
            newest = s->samples[i], stale = 0;
    for (size_t i = 0; i < s->nm; i++)
        if (s->markers[i] <= t && s->markers[i] > newest)
            newest = s->markers[i], stale = 1;
    return newest >= 0 && !stale && newest > t - LOOKBACK;
}

static void answer(struct strbuf *out, const char *query, int64_t t)
{
    if (strstr(query, "last_over_time(")) {
        /* "last_over_time(sel[Nms]) unless sel": series with a sample in
         * the window that are not visible. A name-dropping backend (mode
         * mock_drop_names) answers without __name__, as old ones would. */
        long long window = atoll(strchr(query, '[') + 1);
        strbuf_addstr(out, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[");
        int first = 1;
        for (size_t i = 0; i < sizeof mock_data / sizeof mock_data[0]; i++) {
            const struct mock_series *s = &mock_data[i];
            int recent = 0;
            for (size_t k = 0; k < s->n; k++)
                recent |= s->samples[k] > t - window && s->samples[k] <= t;
            if (!recent || visible_at(s, t))
                continue;
            /* As label_replace leaves it: the name copied into __heed_name__
             * (or, without a name, no copy either). */
            if (mock_drop_names)
                strbuf_addf(out, "%s{\"metric\":{%s},", first ? "" : ",", strchr(s->labels_json, ',') + 1);
            else
                strbuf_addf(out, "%s{\"metric\":{%s,\"__heed_name__\":\"m\"},", first ? "" : ",", s->labels_json);
            strbuf_addf(out, "\"value\":[%lld.%03lld,\"1\"]}", (long long)(t / 1000), (long long)(t % 1000));
            first = 0;
        }
        strbuf_addstr(out, "]}}");
        return;
    }
    const char *open = strchr(query, '[');
    strbuf_addf(out, "{\"status\":\"success\",\"data\":{\"resultType\":\"%s\",\"result\":[", open ? "matrix" : "vector");
    int first = 1;
    for (size_t i = 0; i < sizeof mock_data / sizeof mock_data[0]; i++) {
        const struct mock_series *s = &mock_data[i];
        if (open) {
            long long window = atoll(open + 1);
            struct strbuf vals = STRBUF_INIT;
            for (size_t k = 0; k < s->n; k++)
                if (s->samples[k] > t - window && s->samples[k] <= t)
                    strbuf_addf(&vals, "%s[%lld.%03lld,\"%lld\"]", vals.len ? "," : "",
                                (long long)(s->samples[k] / 1000), (long long)(s->samples[k] % 1000),
                                (long long)(s->samples[k] / 1000));
            if (vals.len) {
                strbuf_addf(out, "%s{\"metric\":{%s},\"values\":[%s]}", first ? "" : ",", s->labels_json, vals.buf);
                first = 0;
            }
            strbuf_release(&vals);
        } else if (visible_at(s, t)) {
            strbuf_addf(out, "%s{\"metric\":{%s},\"value\":[%lld.%03lld,\"1\"]}", first ? "" : ",", s->labels_json,
                        (long long)(t / 1000), (long long)(t % 1000));
            first = 0;
        }
    }
    strbuf_addstr(out, "]}}");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **state)
{
    (void)cls;
    (void)method;
    (void)version;
    struct strbuf *body = *state;
    if (!body) {
        body = calloc(1, sizeof *body);
        strbuf_init(body);
        *state = body;
        return MHD_YES;
    }
    if (*upload_size) {
        strbuf_add(body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    char query[512] = "", time_s[64] = "";
    char *save = NULL; /* strtok_r: handlers run on several threads at once */
    for (char *tok = strtok_r(body->buf, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            continue;
        *eq = 0;
        MHD_http_unescape(eq + 1);
        if (!strcmp(tok, "query"))
            snprintf(query, sizeof query, "%s", eq + 1);
        else if (!strcmp(tok, "time"))
            snprintf(time_s, sizeof time_s, "%s", eq + 1);
    }
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    pthread_mutex_lock(&mock_lock);
    snprintf(mock_auth, sizeof mock_auth, "%s", auth ? auth : "");
    const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding");
    snprintf(mock_encoding, sizeof mock_encoding, "%s", enc ? enc : "-");
    int n = mock_requests++, delay = mock_delay_ms, status = mock_status;
    if (n < 64)
        snprintf(mock_queries[n], sizeof mock_queries[n], "%s @%s", query, time_s);
    pthread_mutex_unlock(&mock_lock);
    if (delay) {
        struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    struct strbuf out = STRBUF_INIT;
    int64_t t = 0;
    if (strcmp(url, "/api/v1/query") != 0)
        status = 404;
    if (status)
        strbuf_addstr(&out, "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"mock: too slow\"}");
    else if (promjson_parse_time_ms(time_s, strlen(time_s), &t) < 0)
        status = 400, strbuf_addstr(&out, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"time\"}");
    else
        answer(&out, query, t);
    struct MHD_Response *r = MHD_create_response_from_buffer(out.len, out.buf, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result rc = MHD_queue_response(conn, status ? (unsigned)status : 200, r);
    MHD_destroy_response(r);
    strbuf_release(&out);
    return rc;
}

static void completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    struct strbuf *body = *state;
    if (body) {
        strbuf_release(body);
        free(body);
    }
    *state = NULL;
}

static struct MHD_Daemon *mock;
static char mock_url[64];

static void mock_reset(void)
{
    pthread_mutex_lock(&mock_lock);
    mock_requests = 0;
    mock_delay_ms = 0;
    mock_status = 0;
    mock_drop_names = 0;
    memset(mock_queries, 0, sizeof mock_queries);
    pthread_mutex_unlock(&mock_lock);
}

static struct datasource *new_ds(struct datasource_config cfg)
{
    if (!cfg.url)
        cfg.url = mock_url;
    struct promjson_error err;
    struct datasource *ds = datasource_new(&cfg, &err);
    if (!ds)
        T_FAIL_("datasource_new: %s", err.msg);
    return ds;
}

static const struct ast_matcher m_name = {.op = AST_MATCH_EQ, .name = "__name__", .value = "m"};

/* A select that must succeed; on failure says why. */
#define SELECT_OK(st, m, nm, mint, maxt, a, s, n, err)                                      \
    do {                                                                                     \
        if ((st)->select((st), (m), (nm), (mint), (maxt), (a), (s), (n), (err)) != 0)        \
            T_FAIL_("select [%d, %d] failed: %s: %s", (int)(mint), (int)(maxt),             \
                    eval_error_type_name((err)->type), (err)->msg);                          \
    } while (0)

/* Prints a selected series as "i=<label> t:v t:stale ..." for comparison. */
static void series_text(struct strbuf *sb, const struct storage_series *s, size_t n)
{
    for (int want = 'a'; want <= 'c'; want++)
        for (size_t i = 0; i < n; i++) {
            const char *iv = labels_get(s[i].ls, "i");
            if (!iv || *iv != want)
                continue;
            strbuf_addf(sb, "%s:", iv);
            for (size_t k = 0; k < s[i].n; k++) {
                if (value_is_stale_nan(s[i].pts[k].v))
                    strbuf_addf(sb, " %lld:stale", (long long)s[i].pts[k].t_ms);
                else
                    strbuf_addf(sb, " %lld:%g", (long long)s[i].pts[k].t_ms, s[i].pts[k].v);
            }
            strbuf_addch(sb, '\n');
        }
}

static void test_render_selector(void)
{
    struct ast_matcher m[] = {
        {.op = AST_MATCH_EQ, .name = "__name__", .value = "up"},
        {.op = AST_MATCH_RE, .name = "job", .value = "a\\.b|\"q\""},
        {.op = AST_MATCH_NEQ, .name = "x", .value = "line\nbreak\ttab\x01"},
        {.op = AST_MATCH_NRE, .name = "y", .value = "\xc3\xa9"},
    };
    char buf[256];
    size_t len = datasource_render_selector(buf, sizeof buf, m, 4);
    T_EQ_STR(buf, "{__name__=\"up\",job=~\"a\\\\.b|\\\"q\\\"\",x!=\"line\\nbreak\\ttab\\x01\",y!~\"\xc3\xa9\"}");
    T_EQ_INT(len, strlen(buf));
    char small[8];
    T_EQ_INT(datasource_render_selector(small, sizeof small, m, 1), strlen("{__name__=\"up\"}"));
    T_EQ_STR(small, "{__name");
}

static void test_split_range(void)
{
    size_t sl;
    int64_t w;
    T_EQ_INT(datasource_split_range("up{a=\"[x]\"}[5m]", &sl, &w), 0);
    T_EQ_INT(sl, strlen("up{a=\"[x]\"}"));
    T_EQ_INT(w, 300000);
    T_EQ_INT(datasource_split_range("x[1h30m]", &sl, &w), 0);
    T_EQ_INT(w, 5400000);
    T_EQ_INT(datasource_split_range("x[1m500ms]", &sl, &w), 0);
    T_EQ_INT(w, 60500);
    T_EQ_INT(datasource_split_range("x[2d]", &sl, &w), 0);
    T_EQ_INT(w, 172800000);
    T_EQ_INT(datasource_split_range("x", &sl, &w), -1);
    T_EQ_INT(datasource_split_range("x[5]", &sl, &w), -1);
    T_EQ_INT(datasource_split_range("x[0s]", &sl, &w), -1);
    T_EQ_INT(datasource_split_range("[5m]", &sl, &w), -1);
    T_EQ_INT(datasource_split_range("x[5q]", &sl, &w), -1);
}

/* The staleness markers the mock hides come back at their exact times. */
static void test_select_reconstructs_markers(void)
{
    mock_reset();
    struct datasource *ds = new_ds((struct datasource_config){0});
    if (!ds)
        return;
    struct storage *st = datasource_storage(ds);
    struct arena a;
    arena_init(&a, 0);
    struct storage_series *s;
    size_t n;
    struct eval_error err = {0};
    SELECT_OK(st, &m_name, 1, 1, 9000, &a, &s, &n, &err);
    T_EQ_INT(n, 3);
    struct strbuf got = STRBUF_INIT;
    series_text(&got, s, n);
    T_EQ_STR(got.buf, "a: 1000:1 2000:2 3000:3 4000:stale\n"
                      "b: 1000:1 2000:2 2500:stale 6000:6 7000:7 8000:8 9000:9\n"
                      "c: 1000:1 2000:2 3000:3 4000:4 5000:5 6000:6 7000:7 8000:8 9000:9\n");
    /* The raw samples of the window, and visibility at maxt. */
    T_CHECK(mock_requests >= 2);
    int raw = 0, inst = 0;
    for (int i = 0; i < mock_requests && i < 64; i++) {
        raw += !strcmp(mock_queries[i], "{__name__=\"m\"}[9000ms] @9.000");
        /* one metric name: the stale set needs no name carried in a label */
        inst += !strcmp(mock_queries[i],
                        "last_over_time({__name__=\"m\"}[300000ms]) unless {__name__=\"m\"} @9.000");
    }
    T_EQ_INT(raw, 1);
    T_EQ_INT(inst, 1);
    const struct datasource_stats *stats = datasource_stats(ds);
    T_EQ_INT(stats->markers, 2);
    T_EQ_INT(stats->markers_unresolved, 0);
    printf("# %d requests, %llu of them probes\n", mock_requests, (unsigned long long)stats->probes);
    /* A backend whose last_over_time drops the metric name: detected, the
     * bare selector asked instead, the same markers found. */
    datasource_free(ds);
    mock_reset();
    mock_drop_names = 1;
    ds = new_ds((struct datasource_config){0});
    st = datasource_storage(ds);
    SELECT_OK(st, &m_name, 1, 1, 9000, &a, &s, &n, &err);
    strbuf_reset(&got);
    series_text(&got, s, n);
    T_EQ_STR(got.buf, "a: 1000:1 2000:2 3000:3 4000:stale\n"
                      "b: 1000:1 2000:2 2500:stale 6000:6 7000:7 8000:8 9000:9\n"
                      "c: 1000:1 2000:2 3000:3 4000:4 5000:5 6000:6 7000:7 8000:8 9000:9\n");
    int bare = 0;
    for (int i = 0; i < mock_requests && i < 64; i++)
        bare += !strncmp(mock_queries[i], "{__name__=\"m\"} @", 16);
    T_CHECK(bare >= 1);
    printf("# name-dropping backend: %d requests, %d with bare selectors\n", mock_requests, bare);
    /* Without reconstruction the markers are simply missing. */
    datasource_free(ds);
    ds = new_ds((struct datasource_config){.no_exact_staleness = true});
    st = datasource_storage(ds);
    SELECT_OK(st, &m_name, 1, 1, 9000, &a, &s, &n, &err);
    strbuf_reset(&got);
    series_text(&got, s, n);
    T_EQ_STR(got.buf, "a: 1000:1 2000:2 3000:3\n"
                      "b: 1000:1 2000:2 6000:6 7000:7 8000:8 9000:9\n"
                      "c: 1000:1 2000:2 3000:3 4000:4 5000:5 6000:6 7000:7 8000:8 9000:9\n");
    strbuf_release(&got);
    arena_release(&a);
    datasource_free(ds);
}

/* Distinct planned selects are fetched in parallel; identical ones once;
 * datasource_end_eval forgets them. */
static void test_dedupe_and_parallel(void)
{
    mock_reset();
    mock_delay_ms = 200;
    struct datasource *ds = new_ds((struct datasource_config){.no_exact_staleness = true, .max_parallel = 8});
    if (!ds)
        return;
    struct storage *st = datasource_storage(ds);
    struct arena a;
    arena_init(&a, 0);
    static const char *const other[] = {"k0", "k1", "k2", "k3", "k4", "k5"};
    struct ast_matcher m[6][2];
    for (int i = 0; i < 6; i++) {
        m[i][0] = m_name;
        m[i][1] = (struct ast_matcher){.op = AST_MATCH_NEQ, .name = "i", .value = other[i]};
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 6; i++)
        datasource_plan(ds, m[i], 2, 1, 9000);
    datasource_plan(ds, m[0], 2, 1, 9000); /* the same as the first */
    struct storage_series *s;
    size_t n;
    struct eval_error err = {0};
    for (int i = 0; i < 6; i++) {
        SELECT_OK(st, m[i], 2, 1, 9000, &a, &s, &n, &err);
        T_EQ_INT(n, 3);
    }
    SELECT_OK(st, m[0], 2, 1, 9000, &a, &s, &n, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("# 6 planned fetches of 200 ms each took %ld ms\n", ms);
    T_EQ_INT(mock_requests, 6);
    T_CHECK(ms < 6 * 200);
    const struct datasource_stats *stats = datasource_stats(ds);
    T_EQ_INT(stats->selects, 7);
    T_EQ_INT(stats->cache_hits, 6); /* all but the first, which fetched everything planned */
    datasource_end_eval(ds);
    mock_delay_ms = 0;
    SELECT_OK(st, m[0], 2, 1, 9000, &a, &s, &n, &err);
    T_EQ_INT(mock_requests, 7);
    arena_release(&a);
    datasource_free(ds);
}

/* Overlapping windows of one selector: one request for their union, each
 * window cut from it (markers included); disjoint windows stay apart. */
static void test_overlapping_windows_merged(void)
{
    mock_reset();
    struct datasource *ds = new_ds((struct datasource_config){0});
    if (!ds)
        return;
    struct storage *st = datasource_storage(ds);
    struct arena a;
    arena_init(&a, 0);
    datasource_plan(ds, &m_name, 1, 1, 5000);
    datasource_plan(ds, &m_name, 1, 3000, 9000);
    datasource_plan(ds, &m_name, 1, 4000, 6000);
    struct storage_series *s;
    size_t n;
    struct eval_error err = {0};
    struct strbuf got = STRBUF_INIT;
    SELECT_OK(st, &m_name, 1, 3000, 9000, &a, &s, &n, &err);
    series_text(&got, s, n);
    T_EQ_STR(got.buf, "a: 3000:3 4000:stale\n"
                      "b: 6000:6 7000:7 8000:8 9000:9\n"
                      "c: 3000:3 4000:4 5000:5 6000:6 7000:7 8000:8 9000:9\n");
    strbuf_reset(&got);
    SELECT_OK(st, &m_name, 1, 1, 5000, &a, &s, &n, &err);
    series_text(&got, s, n);
    T_EQ_STR(got.buf, "a: 1000:1 2000:2 3000:3 4000:stale\n"
                      "b: 1000:1 2000:2 2500:stale\n"
                      "c: 1000:1 2000:2 3000:3 4000:4 5000:5\n");
    strbuf_reset(&got);
    SELECT_OK(st, &m_name, 1, 4000, 6000, &a, &s, &n, &err);
    series_text(&got, s, n);
    T_EQ_STR(got.buf, "a: 4000:stale\nb: 6000:6\nc: 4000:4 5000:5 6000:6\n");
    int raw = 0;
    for (int i = 0; i < mock_requests && i < 64; i++)
        raw += strstr(mock_queries[i], "ms] @") && !strstr(mock_queries[i], "last_over_time");
    T_EQ_INT(raw, 1);
    T_CHECK(strcmp(mock_queries[0], "{__name__=\"m\"}[9000ms] @9.000") == 0 ||
            strcmp(mock_queries[1], "{__name__=\"m\"}[9000ms] @9.000") == 0);
    T_EQ_INT(datasource_stats(ds)->fetches_merged, 3);
    datasource_end_eval(ds);
    /* Disjoint windows: two requests. */
    mock_reset();
    datasource_plan(ds, &m_name, 1, 1, 2000);
    datasource_plan(ds, &m_name, 1, 8000, 9000);
    SELECT_OK(st, &m_name, 1, 1, 2000, &a, &s, &n, &err);
    SELECT_OK(st, &m_name, 1, 8000, 9000, &a, &s, &n, &err);
    raw = 0;
    for (int i = 0; i < mock_requests && i < 64; i++)
        raw += strstr(mock_queries[i], "ms] @") && !strstr(mock_queries[i], "last_over_time");
    T_EQ_INT(raw, 2);
    strbuf_release(&got);
    arena_release(&a);
    datasource_free(ds);
}

/* Incremental fetching: the next evaluation asks only for the part after
 * the kept window (less the refetch overlap) and merges; the result equals
 * a full fetch, markers in the kept part included. */
static void test_incremental(void)
{
    mock_reset();
    struct datasource *ds = new_ds((struct datasource_config){.incremental = true, .refetch_overlap_ms = 1000});
    struct datasource *full = new_ds((struct datasource_config){0});
    if (!ds || !full)
        return;
    struct storage *st = datasource_storage(ds), *fst = datasource_storage(full);
    struct arena a;
    arena_init(&a, 0);
    struct storage_series *s;
    size_t n;
    struct eval_error err = {0};
    struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
    SELECT_OK(st, &m_name, 1, 1, 5000, &a, &s, &n, &err);
    series_text(&got, s, n);
    T_EQ_STR(got.buf, "a: 1000:1 2000:2 3000:3 4000:stale\n"
                      "b: 1000:1 2000:2 2500:stale\n"
                      "c: 1000:1 2000:2 3000:3 4000:4 5000:5\n");
    datasource_end_eval(ds);
    /* [1001, 9000]: samples before 4001 from the kept [1, 5000] */
    mock_reset();
    SELECT_OK(st, &m_name, 1, 1001, 9000, &a, &s, &n, &err);
    strbuf_reset(&got);
    series_text(&got, s, n);
    int asked = 0, wide = 0;
    for (int i = 0; i < mock_requests && i < 64; i++) {
        asked += !strcmp(mock_queries[i], "{__name__=\"m\"}[5000ms] @9.000");
        wide += !strcmp(mock_queries[i], "{__name__=\"m\"}[8000ms] @9.000");
    }
    T_EQ_INT(asked, 1);
    T_EQ_INT(wide, 0);
    T_EQ_INT(datasource_stats(ds)->incremental, 1);
    SELECT_OK(fst, &m_name, 1, 1001, 9000, &a, &s, &n, &err);
    series_text(&want, s, n);
    T_EQ_STR(got.buf, want.buf);
    T_EQ_STR(got.buf, "a: 2000:2 3000:3 4000:stale\n"
                      "b: 2000:2 2500:stale 6000:6 7000:7 8000:8 9000:9\n"
                      "c: 2000:2 3000:3 4000:4 5000:5 6000:6 7000:7 8000:8 9000:9\n");
    datasource_end_eval(ds);
    /* a window starting after the kept one's refetched part: a full fetch */
    mock_reset();
    SELECT_OK(st, &m_name, 1, 8500, 9500, &a, &s, &n, &err);
    T_EQ_INT(datasource_stats(ds)->incremental, 1);
    strbuf_reset(&got);
    series_text(&got, s, n);
    T_EQ_STR(got.buf, "b: 9000:9\nc: 9000:9\n");
    strbuf_release(&got);
    strbuf_release(&want);
    arena_release(&a);
    datasource_free(ds);
    datasource_free(full);
}

static void test_errors(void)
{
    mock_reset();
    mock_status = 503;
    struct datasource *ds = new_ds((struct datasource_config){.max_retries = 2, .retry_backoff_ms = 10});
    if (!ds)
        return;
    struct storage *st = datasource_storage(ds);
    struct arena a;
    arena_init(&a, 0);
    struct storage_series *s;
    size_t n;
    struct eval_error err = {0};
    T_EQ_INT(st->select(st, &m_name, 1, 1, 9000, &a, &s, &n, &err), -1);
    T_EQ_INT(err.type, EVAL_ERR_TIMEOUT);
    T_EQ_STR(err.msg, "mock: too slow");
    T_EQ_INT(mock_requests, 6); /* raw and presence, 3 attempts each */
    T_EQ_INT(datasource_stats(ds)->retries, 4);
    datasource_free(ds);

    /* A port nobody listens on: unavailable, after the retries. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sin;
    bind(fd, (struct sockaddr *)&sin, sizeof sin);
    getsockname(fd, (struct sockaddr *)&sin, &sl);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sin.sin_port));
    close(fd);
    ds = new_ds((struct datasource_config){.url = url, .retry_backoff_ms = 10});
    st = datasource_storage(ds);
    T_EQ_INT(st->select(st, &m_name, 1, 1, 9000, &a, &s, &n, &err), -1);
    T_EQ_INT(err.type, EVAL_ERR_UNAVAILABLE);
    T_CHECK(strstr(err.msg, "Couldn't connect") != NULL);
    datasource_free(ds);

    struct promjson_error perr;
    T_CHECK(datasource_new(&(struct datasource_config){.url = "ftp://x"}, &perr) == NULL);
    T_EQ_INT(perr.type, PROMJSON_BAD_DATA);
    T_CHECK(datasource_new(&(struct datasource_config){.url = mock_url, .bearer_token_file = "/nonexistent/t"},
                           &perr) == NULL);
    T_CHECK(strstr(perr.msg, "cannot read bearer token file /nonexistent/t") != NULL);
    T_CHECK(datasource_new(&(struct datasource_config){.url = mock_url, .headers = (const char *[]){"NoColon"},
                                                       .nheaders = 1},
                           &perr) == NULL);
    arena_release(&a);
}

/* A rotated token file takes effect at the next batch. */
static void test_token_rotation(void)
{
    mock_reset();
    char path[] = "/tmp/heed-ds-token.XXXXXX";
    int fd = mkstemp(path);
    T_CHECK(fd >= 0);
    T_CHECK(write(fd, "first\n", 6) == 6);
    close(fd);
    struct datasource *ds = new_ds((struct datasource_config){.bearer_token_file = path, .no_exact_staleness = true});
    if (ds) {
        struct datasource_query q = {.query = "{__name__=\"m\"}", .time_ms = 9000};
        T_EQ_INT(datasource_run(ds, &q, 1), 0);
        T_EQ_STR(mock_auth, "Bearer first");
        FILE *f = fopen(path, "w");
        fputs("second\n", f);
        fclose(f);
        T_EQ_INT(datasource_run(ds, &q, 1), 0);
        T_EQ_STR(mock_auth, "Bearer second");
        unlink(path);
        T_EQ_INT(datasource_run(ds, &q, 1), -1);
        T_EQ_INT(q.err.type, PROMJSON_BAD_DATA);
        T_CHECK(strstr(q.err.msg, "cannot read bearer token file") != NULL);
        T_CHECK(strstr(q.err.msg, "second") == NULL);
        datasource_free(ds);
    }
    unlink(path);
}

/* Loopback answers come uncompressed unless asked (gzip costs the backend
 * far more CPU than it saves there); ALWAYS asks for any encoding. */
static void test_gzip_choice(void)
{
    mock_reset();
    struct datasource_query q = {.query = "{__name__=\"m\"}", .time_ms = 9000};
    struct datasource *ds = new_ds((struct datasource_config){.no_exact_staleness = true});
    if (ds) {
        T_EQ_INT(datasource_run(ds, &q, 1), 0);
        T_EQ_STR(mock_encoding, "-");
        datasource_free(ds);
    }
    ds = new_ds((struct datasource_config){.no_exact_staleness = true, .gzip = DATASOURCE_GZIP_ALWAYS});
    if (ds) {
        T_EQ_INT(datasource_run(ds, &q, 1), 0);
        T_CHECK(strstr(mock_encoding, "gzip") != NULL);
        datasource_free(ds);
    }
}

int main(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    mock = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler,
                            NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_NOTIFY_COMPLETED, completed,
                            NULL, MHD_OPTION_END);
    if (!mock) {
        printf("could not start the mock server on 127.0.0.1\n0 passed, 1 failed\n");
        return 1;
    }
    snprintf(mock_url, sizeof mock_url, "http://127.0.0.1:%u",
             (unsigned)MHD_get_daemon_info(mock, MHD_DAEMON_INFO_BIND_PORT)->port);
    t_run("render selector", test_render_selector);
    t_run("split range", test_split_range);
    t_run("select reconstructs staleness markers", test_select_reconstructs_markers);
    t_run("dedupe and parallel fetches", test_dedupe_and_parallel);
    t_run("overlapping windows merged", test_overlapping_windows_merged);
    t_run("incremental fetches", test_incremental);
    t_run("errors", test_errors);
    t_run("token rotation", test_token_rotation);
    t_run("gzip only off loopback", test_gzip_choice);
    MHD_stop_daemon(mock);
    return t_done();
}
