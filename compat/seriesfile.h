/* seriesfile: recorded series read into the in-memory store, for `heed
 * query --series`, `heed replay --series` and the bundled examples.
 * Two notations are accepted:
 *  - promqltest/promtool "load" blocks: a line "load <step>" then lines
 *    'metric{l="v"} 1+1x10 _ stale ...', the first value at the start time
 *    and one value per step (several blocks may follow each other);
 *  - OpenMetrics text with timestamps (a "# EOF" line marks it; timestamps
 *    in seconds, fractions allowed) or the Prometheus text format with
 *    millisecond timestamps; "# HELP"/"# TYPE"/"# UNIT" lines are skipped.
 * Ownership rule: samples are copied into the caller's memstore; errors go to
 * the caller's diag_list with the line's span. */
#ifndef HEED_COMPAT_SERIESFILE_H
#define HEED_COMPAT_SERIESFILE_H

#include <stddef.h>
#include <stdint.h>

struct diag_list;
struct memstore;

struct seriesfile_stats {
    size_t series;  /* distinct series touched */
    size_t samples; /* samples appended (staleness markers included) */
    int64_t min_ms; /* earliest sample time (INT64_MAX when none) */
    int64_t max_ms; /* latest sample time (INT64_MIN when none) */
};

/* Loads src (len bytes, named name in diags) into ms; "load" blocks start
 * at start_ms. Returns 0, or -1 with diags. */
int seriesfile_load(struct memstore *ms, const char *name, const char *src, size_t len, int64_t start_ms,
                    struct seriesfile_stats *st, struct diag_list *diags);

#endif
