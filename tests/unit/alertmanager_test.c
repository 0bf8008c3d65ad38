/* Unit tests of compat/alertmanager and compat/alert_queue: JSON encoding,
 * time format, queue coalescing and drops, and the sender's retry behaviour
 * through a fake transport (no network). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "compat/alert_queue.h"
#include "compat/alertmanager.h"
#include "tests/t.h"

#define NPAIRS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- JSON ---- */

static void test_json_string(void)
{
    static const struct {
        const char *in;
        size_t len; /* 0: strlen */
        const char *want;
    } cases[] = {
        {"plain", 0, "\"plain\""},
        {"", 0, "\"\""},
        {"q\"b\\s", 0, "\"q\\\"b\\\\s\""},
        {"\n\r\t\b\f", 0, "\"\\n\\r\\t\\b\\f\""},
        {"\x01\x1f", 0, "\"\\u0001\\u001f\""},
        {"a<b>&c", 0, "\"a\\u003cb\\u003e\\u0026c\""},
        {"caf\xc3\xa9 \xe2\x82\xac", 0, "\"caf\xc3\xa9 \xe2\x82\xac\""},
        {"bad\xff!", 0, "\"bad\\ufffd!\""},
        {"\xed\xa0\x80", 0, "\"\\ufffd\\ufffd\\ufffd\""}, /* a surrogate is not valid UTF-8 */
        {"ls\xe2\x80\xa8ps\xe2\x80\xa9", 0, "\"ls\\u2028ps\\u2029\""},
        {"nul\0x", 5, "\"nul\\u0000x\""},
    };
    for (size_t i = 0; i < NPAIRS(cases); i++) {
        struct strbuf sb = STRBUF_INIT;
        alertmanager_json_string(&sb, cases[i].in, cases[i].len ? cases[i].len : strlen(cases[i].in));
        T_EQ_STR(sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
}

static void test_encode_full(void)
{
    const struct alertmanager_pair labels[] = {
        {"alertname", "HighLatency"}, {"job", "api"}, {"severity", "page"}};
    const struct alertmanager_pair ann[] = {{"description", "p99 > 1s"}, {"summary", "slow <api>"}};
    const struct alertmanager_alert a = {
        .labels = labels,
        .nlabels = NPAIRS(labels),
        .annotations = ann,
        .nannotations = NPAIRS(ann),
        .starts_at_ms = INT64_C(1735689600000),
        .ends_at_ms = INT64_C(1735689840123),
        .generator_url = "http://heed:9096/graph?g0.expr=up&g0.tab=1",
    };
    struct strbuf sb = STRBUF_INIT;
    T_EQ_INT(alertmanager_encode_alert(&sb, &a, NULL, 0), 0);
    T_EQ_STR(sb.buf,
             "{\"annotations\":{\"description\":\"p99 \\u003e 1s\",\"summary\":\"slow \\u003capi\\u003e\"},"
             "\"endsAt\":\"2025-01-01T00:04:00.123Z\",\"startsAt\":\"2025-01-01T00:00:00.000Z\","
             "\"generatorURL\":\"http://heed:9096/graph?g0.expr=up\\u0026g0.tab=1\","
             "\"labels\":{\"alertname\":\"HighLatency\",\"job\":\"api\",\"severity\":\"page\"}}");
    strbuf_release(&sb);
}

static void test_encode_minimal_and_invalid(void)
{
    const struct alertmanager_pair labels[] = {{"alertname", "X"}};
    struct alertmanager_alert a = {.labels = labels, .nlabels = 1, .starts_at_ms = -1500, .ends_at_ms = 0};
    struct strbuf sb = STRBUF_INIT;
    T_EQ_INT(alertmanager_encode_alert(&sb, &a, NULL, 0), 0);
    /* No annotations, no endsAt (0), no generatorURL; times before 1970 are formatted correctly. */
    T_EQ_STR(sb.buf, "{\"startsAt\":\"1969-12-31T23:59:58.500Z\",\"labels\":{\"alertname\":\"X\"}}");

    const struct alertmanager_pair empty[] = {{"alertname", ""}, {"job", ""}};
    struct alertmanager_alert b = {.labels = empty, .nlabels = 2};
    strbuf_reset(&sb);
    T_EQ_INT(alertmanager_encode_alert(&sb, &b, NULL, 0), -1);
    b.nlabels = 0;
    T_EQ_INT(alertmanager_encode_alert(&sb, &b, NULL, 0), -1);
    strbuf_release(&sb);
}

static void test_encode_external_labels(void)
{
    /* Unsorted on purpose; "cluster" empty on the alert, so the external one applies;
     * "replica" set on the alert, so the alert wins; empty "zone" is left out. */
    const struct alertmanager_pair labels[] = {
        {"replica", "from-alert"}, {"alertname", "A"}, {"cluster", ""}, {"zone", ""}};
    const struct alertmanager_pair ext[] = {{"replica", "r1"}, {"cluster", "eu1"}, {"ruler", "heed-1"}};
    const struct alertmanager_alert a = {
        .labels = labels, .nlabels = NPAIRS(labels), .starts_at_ms = 1000, .ends_at_ms = 2000};
    struct strbuf sb = STRBUF_INIT;
    T_EQ_INT(alertmanager_encode_alert(&sb, &a, ext, NPAIRS(ext)), 0);
    T_EQ_STR(sb.buf, "{\"endsAt\":\"1970-01-01T00:00:02.000Z\",\"startsAt\":\"1970-01-01T00:00:01.000Z\","
                     "\"labels\":{\"alertname\":\"A\",\"cluster\":\"eu1\",\"replica\":\"from-alert\","
                     "\"ruler\":\"heed-1\"}}");

    /* Only external labels: still a valid alert. */
    const struct alertmanager_alert b = {.labels = NULL, .nlabels = 0};
    strbuf_reset(&sb);
    T_EQ_INT(alertmanager_encode_alert(&sb, &b, ext, NPAIRS(ext)), 0);
    T_EQ_STR(sb.buf, "{\"labels\":{\"cluster\":\"eu1\",\"replica\":\"r1\",\"ruler\":\"heed-1\"}}");

    /* A duplicate name keeps its first occurrence. */
    const struct alertmanager_pair dup[] = {{"b", "1"}, {"a", "x"}, {"b", "2"}};
    const struct alertmanager_alert c = {.labels = dup, .nlabels = 3};
    strbuf_reset(&sb);
    T_EQ_INT(alertmanager_encode_alert(&sb, &c, NULL, 0), 0);
    T_EQ_STR(sb.buf, "{\"labels\":{\"a\":\"x\",\"b\":\"1\"}}");
    strbuf_release(&sb);
}

static void test_post_url(void)
{
    char *u = alertmanager_post_url("http://127.0.0.1:9093");
    T_EQ_STR(u, "http://127.0.0.1:9093/api/v2/alerts");
    free(u);
    u = alertmanager_post_url("https://am.example/prefix//");
    T_EQ_STR(u, "https://am.example/prefix/api/v2/alerts");
    free(u);
}

/* ---- queue ---- */

static struct alert_queue_item *item(const char *key, const char *json, uint64_t seq)
{
    return alert_queue_item_new(key, strlen(key), json, strlen(json), seq);
}

/* The queue's json payloads, oldest first, joined by spaces. */
static void queue_dump(struct alert_queue *q, struct strbuf *out)
{
    strbuf_reset(out);
    for (struct alert_queue_item *it = q->head; it; it = it->next) {
        if (it != q->head)
            strbuf_addch(out, ' ');
        strbuf_add(out, it->json, it->json_len);
    }
}

static void test_queue_coalesce_and_drop(void)
{
    struct alert_queue q;
    struct strbuf d = STRBUF_INIT;
    alert_queue_init(&q, 3);
    alert_queue_push(&q, item("a", "a1", 1));
    alert_queue_push(&q, item("b", "b1", 2));
    alert_queue_push(&q, item("a", "a2", 3)); /* newer state of a: replaces a1 in its place */
    queue_dump(&q, &d);
    T_EQ_STR(d.buf, "a2 b1");
    T_EQ_INT(q.len, 2);
    T_EQ_INT(q.superseded, 1);
    alert_queue_push(&q, item("c", "c1", 4));
    alert_queue_push(&q, item("d", "d1", 5)); /* over capacity: a2, the oldest, goes */
    queue_dump(&q, &d);
    T_EQ_STR(d.buf, "b1 c1 d1");
    T_EQ_INT(q.dropped, 1);
    T_EQ_INT(q.len, 3);
    /* An older state arriving late does not replace a newer one. */
    alert_queue_push(&q, item("c", "c0", 0));
    queue_dump(&q, &d);
    T_EQ_STR(d.buf, "b1 c1 d1");
    T_EQ_INT(q.superseded, 2);
    alert_queue_release(&q);
    strbuf_release(&d);
}

static void test_queue_take_and_requeue(void)
{
    struct alert_queue q;
    struct strbuf d = STRBUF_INIT;
    struct alert_queue_item *batch[4];
    alert_queue_init(&q, 4);
    alert_queue_push(&q, item("a", "a-firing", 1));
    alert_queue_push(&q, item("b", "b-firing", 2));
    alert_queue_push(&q, item("c", "c-firing", 3));
    T_EQ_INT(alert_queue_take(&q, batch, 2), 2);
    T_EQ_STR(batch[0]->json, "a-firing");
    T_EQ_STR(batch[1]->json, "b-firing");
    T_EQ_INT(q.len, 1);
    /* While the batch is in flight, a resolve of a arrives. */
    alert_queue_push(&q, item("a", "a-resolved", 4));
    /* The batch fails: b goes back before everything; a's firing is superseded. */
    alert_queue_requeue(&q, batch, 2);
    queue_dump(&q, &d);
    T_EQ_STR(d.buf, "b-firing c-firing a-resolved");
    T_EQ_INT(q.superseded, 1);
    T_EQ_INT(q.dropped, 0);

    /* Requeue over capacity drops the oldest: the requeued ones. */
    T_EQ_INT(alert_queue_take(&q, batch, 3), 3);
    alert_queue_push(&q, item("d", "d", 5));
    alert_queue_push(&q, item("e", "e", 6));
    alert_queue_push(&q, item("f", "f", 7));
    alert_queue_requeue(&q, batch, 3);
    queue_dump(&q, &d);
    T_EQ_STR(d.buf, "a-resolved d e f");
    T_EQ_INT(q.dropped, 2);
    T_EQ_INT(q.len, 4);
    T_EQ_INT(alert_queue_take(&q, batch, 4), 4);
    for (int i = 0; i < 4; i++)
        alert_queue_item_free(batch[i]);
    T_CHECK(q.head == NULL && q.tail == NULL);
    alert_queue_release(&q);
    strbuf_release(&d);
}

static void test_queue_many(void)
{
    /* Many distinct alerts plus repeated updates stay bounded and indexed. */
    struct alert_queue q;
    alert_queue_init(&q, 1000);
    char key[32], json[32];
    uint64_t seq = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1500; i++) {
            snprintf(key, sizeof key, "k%d", i);
            snprintf(json, sizeof json, "r%d-%d", round, i);
            alert_queue_push(&q, item(key, json, ++seq));
        }
    }
    T_EQ_INT(q.len, 1000);
    size_t n = 0;
    for (struct alert_queue_item *it = q.head; it; it = it->next)
        n++;
    T_EQ_INT(n, 1000);
    T_EQ_STR(q.tail->json, "r2-1499");
    T_EQ_INT(q.dropped + q.superseded + q.len, 4500);
    alert_queue_release(&q);
}

/* ---- sender, with a fake transport ---- */

struct fake {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int fail_next;       /* POSTs still to fail */
    int reject_next;     /* POSTs still to reject (as a 400: not retried) */
    int block;           /* hold the next POST until released */
    int in_post;         /* a POST is waiting on block */
    int calls;           /* POSTs seen */
    int max_batch_seen;  /* most alerts in one body */
    struct strbuf ok[2]; /* accepted bodies per target, concatenated with '\n' */
};

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    strbuf_init(&f->ok[0]);
    strbuf_init(&f->ok[1]);
}

static void fake_release(struct fake *f)
{
    strbuf_release(&f->ok[0]);
    strbuf_release(&f->ok[1]);
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->lock);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static int fake_post(void *ctx, size_t target, const char *body, size_t len, char *err, size_t errsz)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->lock);
    f->calls++;
    if (f->block) {
        f->in_post = 1;
        pthread_cond_broadcast(&f->cond);
        while (f->block)
            pthread_cond_wait(&f->cond, &f->lock);
        f->in_post = 0;
    }
    int rc = 0;
    if (f->reject_next > 0) {
        f->reject_next--;
        snprintf(err, errsz, "bad response status 400: start time must be before end time");
        rc = ALERTMANAGER_POST_REJECTED;
    } else if (f->fail_next > 0) {
        f->fail_next--;
        snprintf(err, errsz, "fake outage");
        rc = -1;
    } else {
        int n = count_of(body, "\"labels\":");
        if (n > f->max_batch_seen)
            f->max_batch_seen = n;
        T_CHECK(body[0] == '[' && body[len - 1] == ']');
        strbuf_add(&f->ok[target], body, len);
        strbuf_addch(&f->ok[target], '\n');
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static struct alertmanager_alert one_alert(const struct alertmanager_pair *labels, size_t n,
                                           const struct alertmanager_pair *ann, int64_t ends)
{
    return (struct alertmanager_alert){.labels = labels,
                                       .nlabels = n,
                                       .annotations = ann,
                                       .nannotations = ann ? 1 : 0,
                                       .starts_at_ms = 1000,
                                       .ends_at_ms = ends};
}

static void test_send_every_target_in_batches(void)
{
    struct fake f;
    fake_init(&f);
    const struct alertmanager_target targets[2] = {{.url = "http://a"}, {.url = "http://b"}};
    const struct alertmanager_pair ext[] = {{"ruler", "heed-test"}};
    struct alertmanager_config cfg = {.targets = targets,
                                      .ntargets = 2,
                                      .max_batch = 7,
                                      .post = fake_post,
                                      .post_ctx = &f,
                                      .external_labels = ext,
                                      .nexternal_labels = 1};
    char err[256] = "";
    struct alertmanager *am = alertmanager_new(&cfg, err, sizeof err);
    T_CHECK(am != NULL);
    if (!am)
        return;
    static char names[50][16];
    struct alertmanager_pair labels[50];
    struct alertmanager_alert alerts[51];
    for (int i = 0; i < 50; i++) {
        snprintf(names[i], sizeof names[i], "A%02d", i);
        labels[i] = (struct alertmanager_pair){"alertname", names[i]};
        alerts[i] = one_alert(&labels[i], 1, NULL, 5000);
    }
    alerts[50] = one_alert(NULL, 0, NULL, 5000); /* no labels of its own: valid through the external one */
    T_EQ_INT(alertmanager_send(am, alerts, 51), 51);
    T_EQ_INT(alertmanager_flush(am, 5000), 0);
    for (int t = 0; t < 2; t++) {
        struct alertmanager_stats st;
        alertmanager_stats(am, (size_t)t, &st);
        T_EQ_INT(st.sent, 51);
        T_EQ_INT(st.errors, 0);
        T_EQ_INT(st.dropped, 0);
        T_EQ_INT(st.queue_length, 0);
        T_EQ_INT(st.queue_capacity, 10000);
        T_CHECK(st.latency_count >= 8); /* 51 alerts in batches of at most 7 */
        T_EQ_STR(st.url, t ? "http://b/api/v2/alerts" : "http://a/api/v2/alerts");
        T_EQ_INT(count_of(f.ok[t].buf, "\"ruler\":\"heed-test\""), 51);
        T_EQ_INT(count_of(f.ok[t].buf, "\"alertname\":\"A49\""), 1);
    }
    T_CHECK(f.max_batch_seen <= 7 && f.max_batch_seen > 0);
    alertmanager_free(am);
    fake_release(&f);
}

static void test_outage_loses_nothing(void)
{
    struct fake f;
    fake_init(&f);
    f.fail_next = 4;
    const struct alertmanager_target target = {.url = "http://a"};
    struct alertmanager_config cfg = {.targets = &target,
                                      .ntargets = 1,
                                      .post = fake_post,
                                      .post_ctx = &f,
                                      .backoff_min_ms = 1,
                                      .backoff_max_ms = 8};
    char err[256];
    struct alertmanager *am = alertmanager_new(&cfg, err, sizeof err);
    T_CHECK(am != NULL);
    if (!am)
        return;
    const struct alertmanager_pair x[] = {{"alertname", "X"}}, y[] = {{"alertname", "Y"}};
    const struct alertmanager_pair firing[] = {{"state", "firing"}}, resolved[] = {{"state", "resolved"}};
    struct alertmanager_alert a = one_alert(x, 1, firing, 99000);
    alertmanager_send(am, &a, 1);
    a = one_alert(y, 1, firing, 99000);
    alertmanager_send(am, &a, 1);
    a = one_alert(x, 1, resolved, 2000);
    alertmanager_send(am, &a, 1);
    T_EQ_INT(alertmanager_flush(am, 5000), 0);
    struct alertmanager_stats st;
    alertmanager_stats(am, 0, &st);
    T_EQ_INT(st.dropped, 0);
    T_CHECK(st.errors >= 4);
    T_EQ_INT(st.queue_length, 0);
    T_EQ_STR(st.last_error, "");
    T_EQ_INT(st.backoff_ms, 0);
    /* Y's firing and X's newest state (its resolve) arrived; X's last word is the resolve. */
    T_EQ_INT(count_of(f.ok[0].buf, "\"alertname\":\"Y\""), 1);
    const char *last_x = NULL;
    for (const char *p = f.ok[0].buf; (p = strstr(p, "\"alertname\":\"X\"")); p++)
        last_x = p;
    T_CHECK(last_x != NULL);
    if (last_x) {
        /* The object holding last_x starts at the last '{"annotations"' before it. */
        const char *obj = NULL;
        for (const char *p = f.ok[0].buf; (p = strstr(p, "{\"annotations\"")) && p < last_x; p++)
            obj = p;
        T_CHECK(obj && strncmp(obj, "{\"annotations\":{\"state\":\"resolved\"}", 35) == 0);
    }
    alertmanager_free(am);
    fake_release(&f);
}

static void test_new_episode_keeps_resolve(void)
{
    struct fake f;
    fake_init(&f);
    f.fail_next = 3;
    f.block = 1; /* whatever POST starts first waits until all four are queued */
    const struct alertmanager_target target = {.url = "http://a"};
    struct alertmanager_config cfg = {.targets = &target,
                                      .ntargets = 1,
                                      .post = fake_post,
                                      .post_ctx = &f,
                                      .backoff_min_ms = 1,
                                      .backoff_max_ms = 4};
    char err[256];
    struct alertmanager *am = alertmanager_new(&cfg, err, sizeof err);
    T_CHECK(am != NULL);
    if (!am)
        return;
    const struct alertmanager_pair x[] = {{"alertname", "X"}};
    const struct alertmanager_pair s1[] = {{"state", "firing-1"}}, r1[] = {{"state", "resolved-1"}},
                                   s2[] = {{"state", "firing-2"}}, s2b[] = {{"state", "firing-2-resend"}};
    /* Episode 1 fires and resolves, episode 2 fires and is re-sent, all during an outage. */
    struct alertmanager_alert a[4] = {one_alert(x, 1, s1, 99000), one_alert(x, 1, r1, 2000),
                                      one_alert(x, 1, s2, 99000), one_alert(x, 1, s2b, 99000)};
    a[2].starts_at_ms = a[3].starts_at_ms = 3000;
    for (int i = 0; i < 4; i++)
        alertmanager_send(am, &a[i], 1);
    pthread_mutex_lock(&f.lock);
    f.block = 0;
    pthread_cond_broadcast(&f.cond);
    pthread_mutex_unlock(&f.lock);
    T_EQ_INT(alertmanager_flush(am, 5000), 0);
    const char *body = f.ok[0].buf;
    T_EQ_INT(count_of(body, "\"firing-1\""), 0);
    T_EQ_INT(count_of(body, "\"firing-2\""), 0);
    T_EQ_INT(count_of(body, "\"resolved-1\""), 1);
    T_EQ_INT(count_of(body, "\"firing-2-resend\""), 1);
    /* The resolve of episode 1 reaches Alertmanager before episode 2's firing. */
    const char *r = strstr(body, "resolved-1"), *n = strstr(body, "firing-2-resend");
    T_CHECK(r && n && r < n);
    struct alertmanager_stats st;
    alertmanager_stats(am, 0, &st);
    T_EQ_INT(st.superseded, 2);
    T_EQ_INT(st.dropped, 0);
    T_EQ_INT(st.sent, 2);
    alertmanager_free(am);
    fake_release(&f);
}

static void wait_in_post(struct fake *f)
{
    pthread_mutex_lock(&f->lock);
    while (!f->in_post)
        pthread_cond_wait(&f->cond, &f->lock);
    pthread_mutex_unlock(&f->lock);
}

static void release_post(struct fake *f)
{
    pthread_mutex_lock(&f->lock);
    f->block = 0;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

static void test_resolve_supersedes_failed_firing(void)
{
    struct fake f;
    fake_init(&f);
    f.block = 1;
    f.fail_next = 1;
    const struct alertmanager_target target = {.url = "http://a"};
    struct alertmanager_config cfg = {
        .targets = &target, .ntargets = 1, .post = fake_post, .post_ctx = &f, .backoff_min_ms = 1};
    char err[256];
    struct alertmanager *am = alertmanager_new(&cfg, err, sizeof err);
    T_CHECK(am != NULL);
    if (!am)
        return;
    const struct alertmanager_pair x[] = {{"alertname", "X"}};
    const struct alertmanager_pair firing[] = {{"state", "firing"}}, resolved[] = {{"state", "resolved"}};
    struct alertmanager_alert a = one_alert(x, 1, firing, 99000);
    alertmanager_send(am, &a, 1);
    wait_in_post(&f); /* the firing is in flight */
    struct alertmanager_stats st;
    alertmanager_stats(am, 0, &st);
    T_EQ_INT(st.queue_length, 0);
    T_EQ_INT(st.in_flight, 1);
    a = one_alert(x, 1, resolved, 2000);
    alertmanager_send(am, &a, 1);
    release_post(&f); /* ... and fails */
    T_EQ_INT(alertmanager_flush(am, 5000), 0);
    alertmanager_stats(am, 0, &st);
    T_EQ_INT(st.sent, 1);
    T_EQ_INT(st.errors, 1);
    T_EQ_INT(st.latency_count, 1);
    T_EQ_INT(st.in_flight, 0);
    T_EQ_INT(st.superseded, 1);
    T_EQ_INT(st.dropped, 0);
    T_EQ_INT(count_of(f.ok[0].buf, "\"state\":\"firing\""), 0);
    T_EQ_INT(count_of(f.ok[0].buf, "\"state\":\"resolved\""), 1);
    alertmanager_free(am);
    fake_release(&f);
}

static void test_rejected_batch_is_dropped_not_retried(void)
{
    struct fake f;
    fake_init(&f);
    f.reject_next = 1;
    f.block = 1; /* the first POST waits until the second alert is queued too */
    const struct alertmanager_target target = {.url = "http://a"};
    struct alertmanager_config cfg = {.targets = &target,
                                      .ntargets = 1,
                                      .post = fake_post,
                                      .post_ctx = &f,
                                      .backoff_min_ms = 1,
                                      .max_batch = 1};
    char err[256];
    struct alertmanager *am = alertmanager_new(&cfg, err, sizeof err);
    T_CHECK(am != NULL);
    if (!am)
        return;
    const struct alertmanager_pair bad[] = {{"alertname", "Bad"}}, good[] = {{"alertname", "Good"}};
    struct alertmanager_alert a = one_alert(bad, 1, NULL, 500); /* endsAt before startsAt */
    alertmanager_send(am, &a, 1);
    a = one_alert(good, 1, NULL, 99000);
    alertmanager_send(am, &a, 1);
    release_post(&f);
    T_EQ_INT(alertmanager_flush(am, 5000), 0);
    struct alertmanager_stats st;
    alertmanager_stats(am, 0, &st);
    T_EQ_INT(f.calls, 2); /* no retry of the rejected batch */
    T_EQ_INT(st.sent, 1);
    T_EQ_INT(st.errors, 1);
    T_EQ_INT(st.dropped, 1);
    T_EQ_INT(count_of(f.ok[0].buf, "\"alertname\":\"Good\""), 1);
    T_EQ_INT(count_of(f.ok[0].buf, "\"alertname\":\"Bad\""), 0);
    alertmanager_free(am);
    fake_release(&f);
}

static void test_overflow_counted_and_flush_deadline(void)
{
    struct fake f;
    fake_init(&f);
    f.fail_next = 1 << 30; /* an Alertmanager that never recovers */
    const struct alertmanager_target target = {.url = "http://a"};
    struct alertmanager_config cfg = {.targets = &target,
                                      .ntargets = 1,
                                      .post = fake_post,
                                      .post_ctx = &f,
                                      .queue_capacity = 3,
                                      .backoff_min_ms = 5,
                                      .backoff_max_ms = 20};
    char err[256];
    struct alertmanager *am = alertmanager_new(&cfg, err, sizeof err);
    T_CHECK(am != NULL);
    if (!am)
        return;
    static const struct alertmanager_pair l[5][1] = {{{"alertname", "A"}},
                                                     {{"alertname", "B"}},
                                                     {{"alertname", "C"}},
                                                     {{"alertname", "D"}},
                                                     {{"alertname", "E"}}};
    struct alertmanager_alert alerts[6];
    for (int i = 0; i < 5; i++)
        alerts[i] = one_alert(l[i], 1, NULL, 99000);
    const struct alertmanager_pair none[] = {{"alertname", ""}};
    alerts[5] = one_alert(none, 1, NULL, 99000); /* no non-empty label: invalid */
    T_EQ_INT(alertmanager_send(am, alerts, 6), 5);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    T_EQ_INT(alertmanager_flush(am, 150), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    T_CHECK(took >= 0.14 && took < 2.0);
    struct alertmanager_stats st;
    alertmanager_stats(am, 0, &st);
    T_EQ_INT(st.dropped, 3);                     /* two overflowed, one invalid */
    T_EQ_INT(st.queue_length + st.in_flight, 3); /* a retry may be under way */
    T_EQ_INT(st.latency_count, 0);               /* only successful POSTs are timed */
    T_EQ_INT(st.sent, 0);
    T_CHECK(st.errors >= 3);
    T_EQ_STR(st.last_error, "fake outage");
    T_CHECK(st.backoff_ms >= 5 && st.backoff_ms <= 20);
    alertmanager_free(am); /* stops with alerts still queued, freeing them */
    fake_release(&f);
}

static void test_config_errors(void)
{
    char err[256];
    const struct alertmanager_target no_url = {.url = ""};
    struct alertmanager_config cfg = {.targets = &no_url, .ntargets = 1};
    T_CHECK(alertmanager_new(&cfg, err, sizeof err) == NULL);
    T_CHECK(strstr(err, "missing url") != NULL);

    const struct alertmanager_target ftp = {.url = "ftp://x"};
    cfg.targets = &ftp;
    T_CHECK(alertmanager_new(&cfg, err, sizeof err) == NULL);
    T_CHECK(strstr(err, "http://") != NULL);

    const struct alertmanager_target both = {
        .url = "http://u:pw@x", .basic_auth_user = "u", .bearer_token = "t"};
    cfg.targets = &both;
    T_CHECK(alertmanager_new(&cfg, err, sizeof err) == NULL);
    T_CHECK(strstr(err, "at most one") != NULL);
    T_CHECK(strstr(err, "pw") == NULL); /* the URL in the message is redacted */

    const struct alertmanager_target cert = {.url = "https://x", .tls = {.cert_file = "c.pem"}};
    cfg.targets = &cert;
    T_CHECK(alertmanager_new(&cfg, err, sizeof err) == NULL);

    const char *bad_headers[] = {"NoColon"};
    const struct alertmanager_target hdr = {.url = "http://x", .headers = bad_headers, .nheaders = 1};
    cfg.targets = &hdr;
    T_CHECK(alertmanager_new(&cfg, err, sizeof err) == NULL);

    /* A valid TLS and header config starts (no request is made). */
    const char *headers[] = {"X-Scope-OrgID: tenant-1"};
    const struct alertmanager_target good = {.url = "https://127.0.0.1:9093/am",
                                             .headers = headers,
                                             .nheaders = 1,
                                             .tls = {.server_name = "am.example", .insecure_skip_verify = 1}};
    cfg.targets = &good;
    struct alertmanager *am = alertmanager_new(&cfg, err, sizeof err);
    T_CHECK(am != NULL);
    alertmanager_free(am);

    /* No Alertmanager at all: alerts are accepted and discarded. */
    struct alertmanager_config none = {0};
    am = alertmanager_new(&none, err, sizeof err);
    T_CHECK(am != NULL);
    const struct alertmanager_pair l[] = {{"alertname", "A"}};
    struct alertmanager_alert a = one_alert(l, 1, NULL, 1);
    T_EQ_INT(alertmanager_send(am, &a, 1), 1);
    T_EQ_INT(alertmanager_flush(am, 10), 0);
    alertmanager_free(am);
}

int main(void)
{
    /* Retry warnings and rejection errors are expected here: keep them out of the report. */
    FILE *devnull = fopen("/dev/null", "w");
    log_set_output(devnull);
    t_run("json string escaping", test_json_string);
    t_run("encode full alert", test_encode_full);
    t_run("encode minimal and invalid", test_encode_minimal_and_invalid);
    t_run("encode external labels", test_encode_external_labels);
    t_run("post url", test_post_url);
    t_run("queue coalesce and drop", test_queue_coalesce_and_drop);
    t_run("queue take and requeue", test_queue_take_and_requeue);
    t_run("queue many", test_queue_many);
    t_run("send to every target in batches", test_send_every_target_in_batches);
    t_run("outage loses nothing", test_outage_loses_nothing);
    t_run("resolve supersedes failed firing", test_resolve_supersedes_failed_firing);
    t_run("new episode keeps the old resolve", test_new_episode_keeps_resolve);
    t_run("rejected batch dropped, not retried", test_rejected_batch_is_dropped_not_retried);
    t_run("overflow counted, flush deadline", test_overflow_counted_and_flush_deadline);
    t_run("config errors", test_config_errors);
    log_set_output(NULL);
    if (devnull)
        fclose(devnull);
    return t_done();
}
