/* bench_eval [CONFORMANCE_DIR] [SECONDS]: samples per second and peak memory of heed's PromQL engine
 * for typical alerting shapes over generated in-memory data:
 * rate over 10k counters, sum by, a ratio of rates, histogram_quantile over
 * 1k bucket series, topk — each with and without freshness provenance, so the
 * cost of tracking it is visible (design/FRESHNESS.md asks for <= 5%). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/arena.h"
#include "base/diag.h"
#include "eval/engine.h"
#include "eval/memstore.h"
#include "grammar/parse.h"

#define STEP_S 15
#define HOURS 1

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void generate(struct memstore *ms)
{
    char job[16], inst[16];
    const char *codes[] = {"200", "500"};
    for (int i = 0; i < 10000; i++) {
        snprintf(job, sizeof job, "job%d", i % 10);
        snprintf(inst, sizeof inst, "i%d", i);
        struct label l[] = {{"__name__", "http_requests_total"}, {"job", job}, {"instance", inst},
                            {"code", codes[i % 3 == 0]}};
        struct memstore_series *s = memstore_series_get(ms, l, 4);
        double v = 0;
        for (int t = 0; t <= HOURS * 3600; t += STEP_S) {
            v += (double)(i % 7 + 1);
            memstore_append(s, (int64_t)t * 1000, v);
        }
    }
    static const char *les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"};
    for (int i = 0; i < 100; i++) {
        snprintf(job, sizeof job, "job%d", i % 10);
        snprintf(inst, sizeof inst, "i%d", i);
        for (int b = 0; b < 10; b++) {
            struct label l[] = {{"__name__", "request_duration_seconds_bucket"}, {"job", job},
                                {"instance", inst}, {"le", les[b]}};
            struct memstore_series *s = memstore_series_get(ms, l, 4);
            double v = 0;
            for (int t = 0; t <= HOURS * 3600; t += STEP_S) {
                v += (double)(b + 1) * (i % 3 + 1);
                memstore_append(s, (int64_t)t * 1000, v);
            }
        }
    }
}

struct run {
    double secs;    /* best time of one evaluation */
    size_t samples; /* samples read per evaluation */
    size_t bytes;   /* arena bytes per evaluation */
    size_t series;  /* result series */
};

/* Evaluates q iters times with and without provenance, interleaved so both
 * see the same cache and frequency conditions; keeps the best time of each. */
static int run_query(struct memstore *ms, const char *q, int iters, struct run *with,
                     struct run *without)
{
    struct arena a;
    arena_init(&a, 1 << 20);
    struct diag_list dl;
    diag_list_init(&dl);
    struct parse_opts po = {0};
    struct ast_node *n = parse_expr(q, strlen(q), &a, &po, &dl);
    diag_list_release(&dl);
    if (!n) {
        fprintf(stderr, "bench_eval: cannot parse %s\n", q);
        arena_release(&a);
        return -1;
    }
    struct engine_query eq = {n, q, strlen(q)};
    struct arena_mark m = arena_mark(&a);
    memset(with, 0, sizeof *with);
    memset(without, 0, sizeof *without);
    with->secs = without->secs = 1e9;
    for (int i = 0; i < 2 * iters; i++) {
        struct run *r = (i & 1) ? without : with;
        struct engine_opts o = {.no_provenance = (i & 1) != 0};
        struct engine_result res;
        double t0 = now_s();
        int rc = engine_eval_instant(&ms->iface, &o, &eq, (int64_t)HOURS * 3600 * 1000, &a, &res);
        double dt = now_s() - t0;
        if (rc < 0) {
            fprintf(stderr, "bench_eval: %s: %s\n", q, res.err.msg);
            arena_release(&a);
            return -1;
        }
        if (dt < r->secs)
            r->secs = dt;
        r->samples = res.samples_read;
        r->series = res.v.type == VALUE_VECTOR ? res.v.u.vec.n : 1;
        r->bytes = a.total;
        arena_reset(&a, m);
    }
    arena_release(&a);
    return 0;
}

int main(int argc, char **argv)
{
    /* bench/run.sh passes the conformance folder (unused here) and a time
     * budget in seconds; 10 evaluations per second of budget, at least 5. */
    int secs = argc > 2 ? atoi(argv[2]) : 2;
    int iters = secs * 10 < 5 ? 5 : secs * 10;
    struct memstore ms;
    memstore_init(&ms);
    double t0 = now_s();
    generate(&ms);
    printf("generated %zu series, %zu samples in %.2fs\n", ms.n, memstore_samples(&ms), now_s() - t0);
    static const char *queries[] = {
        "rate(http_requests_total[5m])",
        "sum by (job) (rate(http_requests_total[5m]))",
        "sum by (job) (rate(http_requests_total{code=\"500\"}[5m])) / sum by (job) (rate(http_requests_total[5m]))",
        "histogram_quantile(0.9, sum by (job, le) (rate(request_duration_seconds_bucket[5m])))",
        "topk(10, rate(http_requests_total[5m]))",
    };
    printf("%-100s %10s %12s %10s %8s %9s\n", "query", "ms/eval", "samples/s", "arena KiB", "series", "prov cost");
    printf("(best of %d evaluations each, with provenance; prov cost = time with / time without - 1)\n", iters);
    int rc = 0;
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        struct run with, without;
        if (run_query(&ms, queries[i], iters, &with, &without) < 0) {
            rc = 1;
            continue;
        }
        printf("%-100s %10.2f %12.0f %10zu %8zu %+8.1f%%\n", queries[i], with.secs * 1e3,
               (double)with.samples / with.secs, with.bytes / 1024, with.series,
               (with.secs / without.secs - 1) * 100);
    }
    /* A range query: memory follows the result (per-step values are reset). */
    {
        const char *q = "sum by (job) (rate(http_requests_total[5m]))";
        struct arena a;
        arena_init(&a, 1 << 20);
        struct diag_list dl;
        diag_list_init(&dl);
        struct parse_opts po = {0};
        struct ast_node *n = parse_expr(q, strlen(q), &a, &po, &dl);
        diag_list_release(&dl);
        struct engine_opts o = {0};
        struct engine_query eq = {n, q, strlen(q)};
        struct engine_result res;
        double t0 = now_s();
        int64_t end = (int64_t)HOURS * 3600 * 1000;
        if (!n || engine_eval_range(&ms.iface, &o, &eq, 300000, end, 15000, &a, &res) < 0) {
            fprintf(stderr, "bench_eval: range query failed\n");
            rc = 1;
        } else {
            double dt = now_s() - t0;
            size_t steps = (size_t)((end - 300000) / 15000 + 1);
            printf("range %s, %zu steps: %.1f ms, %.0f samples/s, result arena %zu KiB\n", q, steps,
                   dt * 1e3, (double)res.samples_read / dt, a.total / 1024);
        }
        arena_release(&a);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %ld MiB (store included)\n", ru.ru_maxrss / 1024);
    memstore_release(&ms);
    return rc;
}
