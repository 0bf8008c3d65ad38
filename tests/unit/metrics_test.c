/* Unit tests of api/metrics: the text exposition format as client_golang
 * writes it, label escaping, summaries, histograms, process metrics and
 * concurrent updates. */
#include <pthread.h>
#include <stdlib.h>

#include "api/metrics.h"
#include "api/snapmetrics.h"
#include "base/strbuf.h"
#include "tests/t.h"

static void test_counter_gauge(void)
{
    struct metrics_registry *r = metrics_registry_new();
    static const char *const lbl[] = {"rule_group", NULL};
    struct metrics_family *c = metrics_family(r, METRICS_COUNTER, "prometheus_rule_evaluations_total",
                                              "The total number of rule evaluations.", lbl, NULL, 0);
    struct metrics_family *g =
        metrics_family(r, METRICS_GAUGE, "prometheus_rule_group_interval_seconds",
                       "The interval of a rule group.", lbl, NULL, 0);
    T_CHECK(c && g);
    const char *v1[] = {"b.yml;grp"};
    const char *v2[] = {"a.yml;x\"y\\z\nw"};
    metrics_add(metrics_series(c, v1), 3);
    metrics_add(metrics_series(c, v1), 1);
    metrics_add(metrics_series(c, v2), 12345678);
    metrics_set(metrics_series(g, v1), 15);
    /* the same name again: same family; other shape: refused */
    T_CHECK(metrics_family(r, METRICS_COUNTER, "prometheus_rule_evaluations_total", "x", lbl, NULL, 0) == c);
    T_CHECK(metrics_family(r, METRICS_GAUGE, "prometheus_rule_evaluations_total", "x", lbl, NULL, 0) == NULL);
    T_EQ_FLOAT(metrics_value(metrics_series(c, v1)), 4, 0);
    struct strbuf sb = STRBUF_INIT;
    metrics_render(r, &sb);
    T_EQ_STR(sb.buf, "# HELP prometheus_rule_evaluations_total The total number of rule evaluations.\n"
                     "# TYPE prometheus_rule_evaluations_total counter\n"
                     "prometheus_rule_evaluations_total{rule_group=\"a.yml;x\\\"y\\\\z\\nw\"} 1.2345678e+07\n"
                     "prometheus_rule_evaluations_total{rule_group=\"b.yml;grp\"} 4\n"
                     "# HELP prometheus_rule_group_interval_seconds The interval of a rule group.\n"
                     "# TYPE prometheus_rule_group_interval_seconds gauge\n"
                     "prometheus_rule_group_interval_seconds{rule_group=\"b.yml;grp\"} 15\n");
    metrics_series_remove(c, v2);
    strbuf_reset(&sb);
    metrics_render(r, &sb);
    T_CHECK(strstr(sb.buf, "a.yml") == NULL);
    strbuf_release(&sb);
    metrics_registry_free(r);
}

static void test_help_escape_and_empty(void)
{
    struct metrics_registry *r = metrics_registry_new();
    struct metrics_family *f = metrics_family(r, METRICS_GAUGE, "g", "line1\nback\\slash \"q\"", NULL, NULL, 0);
    metrics_family(r, METRICS_GAUGE, "unused", "no series yet", NULL, NULL, 0);
    metrics_set(metrics_series(f, NULL), -0.5);
    struct strbuf sb = STRBUF_INIT;
    metrics_render(r, &sb);
    T_EQ_STR(sb.buf, "# HELP g line1\\nback\\\\slash \"q\"\n# TYPE g gauge\ng -0.5\n");
    strbuf_release(&sb);
    metrics_registry_free(r);
}

static void test_summary(void)
{
    struct metrics_registry *r = metrics_registry_new();
    static const double q[] = {0.5, 0.9, 0.99};
    struct metrics_family *f = metrics_family(r, METRICS_SUMMARY, "prometheus_rule_evaluation_duration_seconds",
                                              "The duration for a rule to execute.", NULL, q, 3);
    struct metrics_family *e = metrics_family(r, METRICS_SUMMARY, "empty_summary", "none", NULL, q, 1);
    metrics_series(e, NULL);
    for (int i = 1; i <= 100; i++)
        metrics_observe(metrics_series(f, NULL), i / 100.0);
    struct strbuf sb = STRBUF_INIT;
    metrics_render(r, &sb);
    T_EQ_STR(sb.buf, "# HELP empty_summary none\n# TYPE empty_summary summary\n"
                     "empty_summary{quantile=\"0.5\"} NaN\nempty_summary_sum 0\nempty_summary_count 0\n"
                     "# HELP prometheus_rule_evaluation_duration_seconds The duration for a rule to execute.\n"
                     "# TYPE prometheus_rule_evaluation_duration_seconds summary\n"
                     "prometheus_rule_evaluation_duration_seconds{quantile=\"0.5\"} 0.5\n"
                     "prometheus_rule_evaluation_duration_seconds{quantile=\"0.9\"} 0.9\n"
                     "prometheus_rule_evaluation_duration_seconds{quantile=\"0.99\"} 0.99\n"
                     "prometheus_rule_evaluation_duration_seconds_sum 50.5\n"
                     "prometheus_rule_evaluation_duration_seconds_count 100\n");
    strbuf_release(&sb);
    metrics_registry_free(r);
}

static void test_histogram(void)
{
    struct metrics_registry *r = metrics_registry_new();
    static const double b[] = {0.01, 0.1, 1, 10};
    static const char *const lbl[] = {"handler", NULL};
    struct metrics_family *f = metrics_family(r, METRICS_HISTOGRAM, "h_seconds", "Latency.", lbl, b, 4);
    const char *v[] = {"/x"};
    double obs[] = {0.005, 0.01, 0.05, 2, 20};
    for (size_t i = 0; i < 5; i++)
        metrics_observe(metrics_series(f, v), obs[i]);
    struct strbuf sb = STRBUF_INIT;
    metrics_render(r, &sb);
    T_EQ_STR(sb.buf, "# HELP h_seconds Latency.\n# TYPE h_seconds histogram\n"
                     "h_seconds_bucket{handler=\"/x\",le=\"0.01\"} 2\n"
                     "h_seconds_bucket{handler=\"/x\",le=\"0.1\"} 3\n"
                     "h_seconds_bucket{handler=\"/x\",le=\"1\"} 3\n"
                     "h_seconds_bucket{handler=\"/x\",le=\"10\"} 4\n"
                     "h_seconds_bucket{handler=\"/x\",le=\"+Inf\"} 5\n"
                     "h_seconds_sum{handler=\"/x\"} 22.065\n"
                     "h_seconds_count{handler=\"/x\"} 5\n");
    strbuf_release(&sb);
    metrics_registry_free(r);
}

static void test_process(void)
{
    struct metrics_registry *r = metrics_registry_new();
    metrics_update_process(r);
    struct strbuf sb = STRBUF_INIT;
    metrics_render(r, &sb);
    static const char *const names[] = {
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ",
        "# TYPE process_max_fds gauge\nprocess_max_fds ",
        "# TYPE process_open_fds gauge\nprocess_open_fds ",
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds ",
        "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes ",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *p = strstr(sb.buf, names[i]);
        T_CHECK(p != NULL);
        if (p) {
            double v = strtod(p + strlen(names[i]), NULL);
            T_CHECK(v >= 0);
            if (strstr(names[i], "resident") || strstr(names[i], "max_fds") || strstr(names[i], "open_fds"))
                T_CHECK(v > 0);
            if (strstr(names[i], "start_time")) /* after 2020, before 2100 */
                T_CHECK(v > 1.5e9 && v < 4.2e9);
        }
    }
    strbuf_release(&sb);
    metrics_registry_free(r);
}

struct worker {
    struct metrics_registry *r;
    int id;
};

static void *hammer(void *arg)
{
    struct worker *w = arg;
    static const char *const lbl[] = {"w", NULL};
    struct metrics_family *f = metrics_family(w->r, METRICS_COUNTER, "hits_total", "Hits.", lbl, NULL, 0);
    const char *v[] = {w->id % 2 ? "odd" : "even"};
    for (int i = 0; i < 10000; i++)
        metrics_add(metrics_series(f, v), 1);
    return NULL;
}

static void test_threads(void)
{
    struct metrics_registry *r = metrics_registry_new();
    pthread_t th[4];
    struct worker ws[4];
    for (int i = 0; i < 4; i++) {
        ws[i] = (struct worker){r, i};
        pthread_create(&th[i], NULL, hammer, &ws[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    struct strbuf sb = STRBUF_INIT;
    metrics_render(r, &sb);
    T_EQ_STR(sb.buf, "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total{w=\"even\"} 20000\n"
                     "hits_total{w=\"odd\"} 20000\n");
    strbuf_release(&sb);
    metrics_registry_free(r);
}

static void test_prometheus_durations(void)
{
    struct metrics_registry *r = metrics_registry_new();
    api_snapmetrics_observe_rule(r, 0.05);
    api_snapmetrics_observe_group(r, 2);
    struct strbuf sb = STRBUF_INIT;
    metrics_render(r, &sb);
    static const char *const want[] = {
        ("# HELP prometheus_rule_evaluation_duration_seconds The duration for a rule to execute.\n"
        "# TYPE prometheus_rule_evaluation_duration_seconds summary\n"
        "prometheus_rule_evaluation_duration_seconds{quantile=\"0.5\"} 0.05\n"
        "prometheus_rule_evaluation_duration_seconds{quantile=\"0.9\"} 0.05\n"
        "prometheus_rule_evaluation_duration_seconds{quantile=\"0.99\"} 0.05\n"
        "prometheus_rule_evaluation_duration_seconds_sum 0.05\n"
        "prometheus_rule_evaluation_duration_seconds_count 1\n"),
        "prometheus_rule_evaluation_duration_histogram_seconds_bucket{le=\"0.1\"} 1\n",
        "prometheus_rule_group_duration_seconds{quantile=\"0.01\"} 2\n",
        ("prometheus_rule_group_duration_histogram_seconds_bucket{le=\"1\"} 0\n"
         "prometheus_rule_group_duration_histogram_seconds_bucket{le=\"10\"} 1\n"),
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        T_CHECK(strstr(sb.buf, want[i]) != NULL);
    strbuf_release(&sb);
    metrics_registry_free(r);
}

int main(void)
{
    t_run("counter_gauge", test_counter_gauge);
    t_run("help_escape_and_empty", test_help_escape_and_empty);
    t_run("summary", test_summary);
    t_run("histogram", test_histogram);
    t_run("process", test_process);
    t_run("threads", test_threads);
    t_run("prometheus_durations", test_prometheus_durations);
    return t_done();
}
