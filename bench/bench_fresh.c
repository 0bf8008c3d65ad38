/* bench_fresh: the cost of freshness tracking (design/FRESHNESS.md asks for
 * <= 5%): the same alerting-rule shapes (rate, ratios of sums by, topk,
 * histogram_quantile over classic buckets, a gauge and an over_time) over the
 * same generated data, evaluated as instant queries (what rules do) three ways —
 *   off:   no provenance (Prometheus's work only),
 *   prov:  provenance on every output series,
 *   fresh: provenance plus per-input figures, classes by the default
 *          policy, the inputs table, and the per-rule summary a rule
 *          computes from it afterwards (fresh_table_summary: what a rule
 *          under heed's policy runs).
 * Modes alternate inside each round, so a noisy shared machine disturbs all
 * alike; the figures are medians over rounds, with the spread of the paired
 * per-round ratio. A max_unchanged policy also fetches a wider window; that
 * cost is shown apart (it is the policy's, not tracking's). */
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
#define NHIST_PER_10 2 /* instances of 10 with a histogram */

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
        if (i % 10 >= NHIST_PER_10)
            continue;
        /* a latency histogram on some instances: cumulative buckets */
        static const char *const les[] = {"0.05", "0.1", "0.25", "0.5", "1", "+Inf"};
        static const double share[] = {0.5, 0.7, 0.85, 0.95, 0.99, 1};
        for (size_t b = 0; b < sizeof les / sizeof les[0]; b++) {
            struct label h[] = {{"__name__", "request_duration_seconds_bucket"}, {"job", job},
                                {"instance", inst}, {"le", les[b]}};
            s = memstore_series_get(ms, h, 4);
            double c = 0;
            for (int t = 0; t <= HOURS * 3600; t += STEP_S) {
                c += (double)(i % 5 + 2) * 10 * share[b];
                memstore_append(s, (int64_t)t * 1000, c);
            }
        }
    }
}

enum mode { MODE_OFF, MODE_PROV, MODE_FRESH, MODE_WIDE, NMODES };
static const char *const mode_names[NMODES] = {"off", "prov", "fresh", "fresh+max_unchanged 30m"};

static volatile int64_t sink; /* keeps the summary from being optimised away */

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
    double t0 = now_s();
    for (int i = 0; i < iters; i++) {
        /* one arena per evaluation, as rules/group evaluates a rule */
        struct arena a;
        arena_init(&a, 64 * 1024);
        struct engine_result res;
        if (engine_eval_instant(&ms->iface, &o, &eq, (int64_t)HOURS * 3600 * 1000, &a, &res) < 0) {
            fprintf(stderr, "bench_fresh: %s: %s\n", q, res.err.msg);
            arena_release(&a);
            return -1;
        }
        if (o.fresh) {
            struct fresh_summary sum;
            fresh_table_summary(&res.inputs, &sum);
            sink += sum.worst_age_ms + sum.nlate;
        }
        arena_release(&a);
    }
    return (now_s() - t0) / iters;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_ROUNDS 64

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 10;
    int rounds = argc > 2 ? atoi(argv[2]) : 7;
    if (iters < 1)
        iters = 1;
    if (rounds < 1)
        rounds = 1;
    if (rounds > MAX_ROUNDS)
        rounds = MAX_ROUNDS;
    struct memstore ms;
    memstore_init(&ms);
    generate(&ms);
    printf("%zu series, %zu samples; CPU medians of %d rounds of %d evaluations\n", ms.n,
           memstore_samples(&ms), rounds, iters);
    static const char *queries[] = {
        "rate(http_requests_total[5m]) > 5",
        "sum by (job) (rate(http_requests_total{code=\"500\"}[5m])) / sum by (job) (rate(http_requests_total[5m])) > 0.01",
        "topk by (job) (3, rate(http_requests_total[5m])) > 5",
        "histogram_quantile(0.99, sum by (job, le) (rate(request_duration_seconds_bucket[5m]))) > 0.5",
        "queue_depth > 10",
        "avg_over_time(queue_depth[10m]) > 8",
    };
    enum { NQ = sizeof queries / sizeof queries[0] };
    static double secs[NQ][NMODES][MAX_ROUNDS];
    struct ast_node *nodes[NQ];
    struct arena pa;
    arena_init(&pa, 4096);
    int rc = 0;
    for (size_t i = 0; i < NQ; i++) {
        struct diag_list dl;
        diag_list_init(&dl);
        nodes[i] = parse_expr(queries[i], strlen(queries[i]), &pa, NULL, &dl);
        diag_list_release(&dl);
        if (!nodes[i]) {
            fprintf(stderr, "bench_fresh: cannot parse %s\n", queries[i]);
            rc = 1;
        }
    }
    /* round-major: every query and mode once per round, so drift hits all */
    for (int r = 0; r < rounds && !rc; r++)
        for (size_t i = 0; i < NQ; i++)
            for (int m = 0; m < NMODES; m++) {
                secs[i][m][r] = run(&ms, nodes[i], queries[i], (enum mode)m, iters);
                if (secs[i][m][r] < 0)
                    rc = 1;
            }
    if (rc) {
        arena_release(&pa);
        memstore_release(&ms);
        return rc;
    }
    printf("%-92s %8s %8s %8s %8s %7s %7s\n", "query", "off ms", "prov ms", "fresh ms", "wide ms", "prov",
           "fresh");
    double tot[NMODES][MAX_ROUNDS] = {{0}};
    for (size_t i = 0; i < NQ; i++) {
        double med[NMODES];
        for (int m = 0; m < NMODES; m++) {
            double v[MAX_ROUNDS];
            for (int r = 0; r < rounds; r++) {
                v[r] = secs[i][m][r];
                tot[m][r] += secs[i][m][r];
            }
            med[m] = median(v, rounds);
        }
        printf("%-92s %8.3f %8.3f %8.3f %8.3f %+6.1f%% %+6.1f%%\n", queries[i], med[MODE_OFF] * 1e3,
               med[MODE_PROV] * 1e3, med[MODE_FRESH] * 1e3, med[MODE_WIDE] * 1e3,
               (med[MODE_PROV] / med[MODE_OFF] - 1) * 100, (med[MODE_FRESH] / med[MODE_OFF] - 1) * 100);
    }
    /* totals: medians per mode, and the paired per-round ratios' median and spread */
    double medt[NMODES], ratio[NMODES][MAX_ROUNDS];
    for (int m = 0; m < NMODES; m++) {
        double v[MAX_ROUNDS];
        for (int r = 0; r < rounds; r++) {
            v[r] = tot[m][r];
            ratio[m][r] = (tot[m][r] / tot[MODE_OFF][r] - 1) * 100;
        }
        medt[m] = median(v, rounds);
    }
    printf("total: off %.3f ms, prov %.3f ms, fresh %.3f ms, %s %.3f ms (medians)\n", medt[MODE_OFF] * 1e3,
           medt[MODE_PROV] * 1e3, medt[MODE_FRESH] * 1e3, mode_names[MODE_WIDE], medt[MODE_WIDE] * 1e3);
    for (int m = MODE_PROV; m < NMODES; m++) {
        double lo = ratio[m][0], hi = ratio[m][0];
        for (int r = 1; r < rounds; r++) {
            lo = ratio[m][r] < lo ? ratio[m][r] : lo;
            hi = ratio[m][r] > hi ? ratio[m][r] : hi;
        }
        printf("overhead %s: %+.1f%% (median of per-round ratios; range %+.1f%% .. %+.1f%%)\n", mode_names[m],
               median(ratio[m], rounds), lo, hi);
    }
    arena_release(&pa);
    memstore_release(&ms);
    return 0;
}
