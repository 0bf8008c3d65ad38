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

struct strbuf;

struct promqltest_opts {
    bool provenance; /* log the provenance of each result series (debug) */
    bool verbose;    /* log each passing eval too */
};

struct promqltest_report {
    size_t passed;   /* eval statements that passed */
    size_t failed;   /* eval statements that failed */
};

/* Runs one file; appends to log and adds counts to rep.
 * Returns 0, or -1 when the file cannot be read or parsed (logged). */
int promqltest_run_file(const char *path, const struct promqltest_opts *o,
                        struct promqltest_report *rep, struct strbuf *log);

#endif
