/* promqltest: runs Prometheus's PromQL test scripts (promql/promqltest
 * format: load, clear, eval instant/range with expect lines) against heed's
 * engine over an in-memory store, as Prometheus's own test engine does
 * (lookback 5m, subquery step 1m, delayed __name__ removal, every instant
 * eval re-run with @ rewritten selectors and in range mode).
 * Ownership rule: the caller owns the report and the log; the runner keeps
 * nothing between calls. Library code: it never prints, the log strbuf
 * receives "file:line: ..." failure lines. */
#ifndef HEED_COMPAT_PROMQLTEST_H
#define HEED_COMPAT_PROMQLTEST_H

#include <stdbool.h>
#include <stddef.h>

struct storage;
struct strbuf;

struct promqltest_opts {
    bool provenance; /* log the provenance of each result series (debug) */
    bool verbose;    /* log each passing eval too */
    /* Differential runs against a real backend that holds the same data
     * (promqltest_export wrote it): */
    struct storage *storage;       /* evaluate over this instead of the loaded data (NULL: loaded) */
    int only_state;                /* > 0: run only the evals of this data state */
    void (*after_eval)(void *ctx); /* called after each eval statement run (drops a fetch cache) */
    void *after_eval_ctx;
};

struct promqltest_report {
    size_t passed;   /* eval statements that passed */
    size_t failed;   /* eval statements that failed */
};

/* Runs one file; appends to log and adds counts to rep.
 * Returns 0, or -1 when the file cannot be read or parsed (logged). */
int promqltest_run_file(const char *path, const struct promqltest_opts *o,
                        struct promqltest_report *rep, struct strbuf *log);

/* Data states: every load or clear starts a new one (numbered in file
 * order; 1 is the empty store before any). promqltest_export_file writes,
 * into the existing folder dir, what a real backend needs to answer a
 * file's evals itself:
 *   evals.tsv    one line per eval: state, line, flags, times, expression,
 *                tab-separated. flags: comma-separated words of range, fail,
 *                ordered, norange (no range-mode re-run), hist (a selector
 *                of it selects native histograms, which the data leaves
 *                out), noname (a series a backfill cannot
 *                name), or "-"; times: T (instant) or START:END:STEP, in ms.
 *   state-N.om   the data of state N (with evals) as OpenMetrics with
 *                timestamps, float samples only, ending "# EOF";
 *   state-N.rw   when state N holds staleness markers (which OpenMetrics
 *                cannot carry): every float sample as series, value (or
 *                "stale"), t_ms, tab-separated, in time order, for a
 *                remote-write receiver.
 * Returns 0, or -1 (logged) when the file cannot be read, parsed or written. */
int promqltest_export_file(const char *path, const char *dir, struct strbuf *log);

#endif
