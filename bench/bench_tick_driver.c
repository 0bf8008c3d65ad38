/* bench_tick_driver: one evaluation tick of a rule file against a
 * Prometheus-compatible query API, done with the pieces `heed run` is made
 * of, for bench/bench_tick.sh (which starts the backend and compares the
 * figures with Prometheus's and vmalert's own evaluation of the same file).
 *
 * A tick is what the daemon does once per group interval: for every group,
 * a planning pass (each rule's expression evaluated over
 * datasource_planner(), which records its selectors and fetches nothing),
 * then group_eval() over datasource_storage() (all planned selectors of the
 * group fetched at the first select, in parallel, each distinct selector and
 * window once), then datasource_end_eval(). Recording results go nowhere
 * (no remote write) and alerts are not sent; the alert lifecycle, templates
 * and ALERTS series are computed as the daemon computes them. Groups run
 * one after another, so the tick's wall time is the sum of the groups'
 * evaluation times: what Prometheus's and vmalert's per-group duration
 * metrics add up to.
 *
 *   bench_tick_driver --datasource URL --rules FILE [--ticks N] [--pause-ms MS]
 *                     [--exact-staleness yes|no]
 *
 * --exact-staleness no turns off the datasource's presence queries (half the
 * requests; inexact right after a series ends).
 *
 * Each tick evaluates at the wall clock (as the peers do). Prints one line
 * per tick, "tick N wall_ms W cpu_ms C rules R failed F", and at the end
 * "peak_rss_kb K". Run with bench/run.sh's arguments (a folder and a number)
 * it prints nothing and exits 0: it is driven by bench_tick.sh only. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/diag.h"
#include "compat/datasource.h"
#include "eval/engine.h"
#include "rules/group.h"
#include "rules/rulefile.h"

static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The daemon's per-group work for one slot time. Returns failed rules. */
static int tick_group(struct group *gr, struct datasource *ds, const struct engine_opts *eo, int64_t ts_ms)
{
    struct group_env env = {
        .st = datasource_storage(ds),
        .eopts = eo,
        .restored = true,
    };
    group_plan(gr, &env, datasource_planner(ds), ts_ms);
    int failed = group_eval(gr, &env, ts_ms);
    datasource_end_eval(ds);
    return failed;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *rules = NULL;
    int ticks = 1;
    long pause_ms = 0;
    bool exact = true;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--datasource"))
            url = argv[i + 1];
        else if (!strcmp(argv[i], "--rules"))
            rules = argv[i + 1];
        else if (!strcmp(argv[i], "--ticks"))
            ticks = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pause-ms"))
            pause_ms = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--exact-staleness"))
            exact = strcmp(argv[i + 1], "no") != 0;
    }
    if (!url && !rules)
        return 0; /* bench/run.sh's generic call */
    if (!url || !rules || ticks < 1) {
        fprintf(stderr, "usage: bench_tick_driver --datasource URL --rules FILE [--ticks N] [--pause-ms MS] [--exact-staleness yes|no]\n");
        return 2;
    }
    struct rulefile rf;
    struct diag_list dl;
    diag_list_init(&dl);
    struct rulefile_opts ro = {0};
    if (rulefile_load(&rf, rules, &ro, &dl) != 0) {
        fprintf(stderr, "bench_tick_driver: %s: %s\n", rules, dl.len ? dl.items[0].msg : "invalid");
        return 2;
    }
    diag_list_release(&dl);
    struct group *groups = calloc(rf.ngroups, sizeof *groups);
    size_t nrules = 0;
    for (size_t i = 0; i < rf.ngroups; i++) {
        char msg[256];
        if (group_init(&groups[i], &rf.groups[i], msg, sizeof msg) != 0) {
            fprintf(stderr, "bench_tick_driver: group %s: %s\n", rf.groups[i].name, msg);
            return 2;
        }
        nrules += groups[i].n;
    }
    struct datasource_config cfg = {.url = url, .no_exact_staleness = !exact};
    struct promjson_error perr = {0};
    struct datasource *ds = datasource_new(&cfg, &perr);
    if (!ds) {
        fprintf(stderr, "bench_tick_driver: %s\n", perr.msg);
        return 2;
    }
    struct engine_opts eo = {.lookback_ms = 300000};
    int rc = 0;
    for (int t = 0; t < ticks; t++) {
        if (t && pause_ms > 0)
            nanosleep(&(struct timespec){pause_ms / 1000, (pause_ms % 1000) * 1000000}, NULL);
        double w0 = wall_ms(), c0 = cpu_ms();
        int64_t ts = now_ms();
        int failed = 0;
        for (size_t i = 0; i < rf.ngroups; i++)
            failed += tick_group(&groups[i], ds, &eo, ts);
        printf("tick %d wall_ms %.1f cpu_ms %.1f rules %zu failed %d\n", t + 1, wall_ms() - w0, cpu_ms() - c0,
               nrules, failed);
        if (failed) {
            for (size_t i = 0; i < rf.ngroups && rc == 0; i++)
                for (size_t k = 0; k < groups[i].n; k++)
                    if (groups[i].rules[k].last_error) {
                        fprintf(stderr, "bench_tick_driver: %s: %s\n", groups[i].rules[k].rule->name,
                                groups[i].rules[k].last_error);
                        rc = 1;
                        break;
                    }
        }
        fflush(stdout);
    }
    const struct datasource_stats *st = datasource_stats(ds);
    printf("requests %llu bytes %llu selects %llu cache_hits %llu\n", (unsigned long long)st->requests,
           (unsigned long long)st->bytes, (unsigned long long)st->selects, (unsigned long long)st->cache_hits);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_kb %ld\n", ru.ru_maxrss);
    datasource_free(ds);
    for (size_t i = 0; i < rf.ngroups; i++)
        group_release(&groups[i]);
    free(groups);
    rulefile_release(&rf);
    return rc;
}
