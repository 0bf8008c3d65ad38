/* bench_fresh: the cost of freshness tracking (design/FRESHNESS.md asks for
 * <= 5%): the same alerting-rule shapes over the same generated data,
 * evaluated as instant queries (what rules do) three ways —
 *   off:   no provenance (Prometheus's work only),
 *   prov:  provenance on every output series,
 *   fresh: provenance plus per-input figures, classes by the default
 *          policy and the inputs table (what a rule under heed's policy runs).
 * Runs alternate and the best of several rounds is kept, so a noisy shared
 * machine disturbs both sides alike. A max_unchanged policy also fetches a
 * wider window; that cost is shown apart (it is the policy's, not tracking's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/diag.h"
#include "eval/engine.h"
#include "eval/memstore.h"
#include "grammar/parse.h"
#include "rules/policy.h"

#define STEP_S 15
#define HOURS 2
#define NSERIES 5000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: less disturbed by a busy machine */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void generate(struct memstore *ms)
{
    char job[16], inst[16];
    const char *codes[] = {"200", "500"};
    for (int i = 0; i < NSERIES; i++) {
        snprintf(job, sizeof job, "job%d", i % 10);
        snprintf(inst, sizeof inst, "i%d", i);
        struct label l[] = {{"__name__", "http_requests_total"}, {"job", job}, {"instance", inst},
                            {"code", codes[i % 5 == 0]}};
        struct memstore_series *s = memstore_series_get(ms, l, 4);
        double v = 0;
        for (int t = 0; t <= HOURS * 3600; t += STEP_S) {
            v += (double)(i % 7 + 1) * (t % 600 != 0); /* some flat stretches */
            memstore_append(s, (int64_t)t * 1000, v);
        }
        struct label g[] = {{"__name__", "queue_depth"}, {"job", job}, {"instance", inst}};
        s = memstore_series_get(ms, g, 3);
        for (int t = 0; t <= HOURS * 3600; t += STEP_S)
            memstore_append(s, (int64_t)t * 1000, (double)((t / 60 + i) % 13));
    }
}

enum mode { MODE_OFF, MODE_PROV, MODE_FRESH, MODE_WIDE, NMODES };
static const char *const mode_names[NMODES] = {"off", "prov", "fresh", "fresh+max_unchanged 30m"};

/* Seconds per evaluation of q in mode m over iters evaluations. */
static double run(struct memstore *ms, const struct ast_node *n, const char *q, enum mode m, int iters)
{
    struct policy pol = policy_profile(POLICY_PROFILE_DEFAULT);
    if (m == MODE_WIDE)
        pol.max_unchanged_ms = 30 * 60 * 1000;
    struct fresh_hook h;
    policy_hook(&pol, 5 * 60 * 1000, &h);
    struct engine_opts o = {0};
    o.no_provenance = m == MODE_OFF;
    if (m == MODE_FRESH || m == MODE_WIDE)
        o.fresh = &h;
    struct engine_query eq = {n, q, strlen(q)};
    struct arena a;
    arena_init(&a, 1 << 20);
    struct arena_mark mk = arena_mark(&a);
    double t0 = now_s();
    for (int i = 0; i < iters; i++) {
        struct engine_result res;
        if (engine_eval_instant(&ms->iface, &o, &eq, (int64_t)HOURS * 3600 * 1000, &a, &res) < 0) {
            fprintf(stderr, "bench_fresh: %s: %s\n", q, res.err.msg);
            arena_release(&a);
            return -1;
        }
        arena_reset(&a, mk);
    }
    double secs = (now_s() - t0) / iters;
    arena_release(&a);
    return secs;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 10;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (iters < 1)
        iters = 1;
    if (rounds < 1)
        rounds = 1;
    struct memstore ms;
    memstore_init(&ms);
    generate(&ms);
    printf("%zu series, %zu samples; best of %d rounds of %d evaluations\n", ms.n, memstore_samples(&ms),
           rounds, iters);
    static const char *queries[] = {
        "rate(http_requests_total[5m]) > 5",
        "sum by (job) (rate(http_requests_total{code=\"500\"}[5m])) / sum by (job) (rate(http_requests_total[5m])) > 0.01",
        "queue_depth > 10",
        "avg_over_time(queue_depth[10m]) > 8",
    };
    printf("%-104s %9s %9s %9s %9s %8s %8s\n", "query", "off ms", "prov ms", "fresh ms", "wide ms", "prov", "fresh");
    int rc = 0;
    double tot[NMODES] = {0};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        struct arena pa;
        arena_init(&pa, 4096);
        struct diag_list dl;
        diag_list_init(&dl);
        struct ast_node *n = parse_expr(queries[i], strlen(queries[i]), &pa, NULL, &dl);
        diag_list_release(&dl);
        if (!n) {
            arena_release(&pa);
            rc = 1;
            continue;
        }
        double best[NMODES];
        for (int m = 0; m < NMODES; m++)
            best[m] = 1e9;
        for (int r = 0; r < rounds; r++)
            for (int m = 0; m < NMODES; m++) {
                double s = run(&ms, n, queries[i], (enum mode)m, iters);
                if (s < 0)
                    rc = 1;
                else if (s < best[m])
                    best[m] = s;
            }
        for (int m = 0; m < NMODES; m++)
            tot[m] += best[m];
        printf("%-104s %9.3f %9.3f %9.3f %9.3f %+7.1f%% %+7.1f%%\n", queries[i], best[MODE_OFF] * 1e3,
               best[MODE_PROV] * 1e3, best[MODE_FRESH] * 1e3, best[MODE_WIDE] * 1e3,
               (best[MODE_PROV] / best[MODE_OFF] - 1) * 100, (best[MODE_FRESH] / best[MODE_OFF] - 1) * 100);
        arena_release(&pa);
    }
    printf("total: off %.3f ms, prov %+.1f%%, fresh %+.1f%% (over prov %+.1f%%), %s %+.1f%%\n",
           tot[MODE_OFF] * 1e3, (tot[MODE_PROV] / tot[MODE_OFF] - 1) * 100,
           (tot[MODE_FRESH] / tot[MODE_OFF] - 1) * 100, (tot[MODE_FRESH] / tot[MODE_PROV] - 1) * 100,
           mode_names[MODE_WIDE], (tot[MODE_WIDE] / tot[MODE_OFF] - 1) * 100);
    memstore_release(&ms);
    return rc;
}
