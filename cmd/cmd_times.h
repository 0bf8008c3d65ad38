/* cmd_times: the time and duration arguments of `heed replay` and `heed
 * report`: a point is RFC 3339, Unix seconds, or a duration counted from
 * the recorded series' start ("3h"); durations are Prometheus's ("1h30m").
 * Ownership rule: plain values, nothing allocated. */
#ifndef HEED_CMD_CMD_TIMES_H
#define HEED_CMD_CMD_TIMES_H

#include <stdint.h>

/* s NULL: *ms = dflt. Returns 0, or -1 when s does not parse. */
int cmd_times_point(const char *s, int64_t dflt, int64_t series_start_ms, int64_t *ms);

/* s NULL: *ms unchanged. Returns 0, or -1 when s is not a positive-or-zero duration. */
int cmd_times_duration(const char *s, int64_t *ms);

#endif
