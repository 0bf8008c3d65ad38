/* cmd_times: time points and durations on the command line. */
#include "cmd/cmd_times.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "api/params.h"
#include "rules/rulefile.h"

/* A Prometheus duration: digits then a unit letter, repeated ("1h30m"). */
static int parse_dur(const char *s, int64_t *ms)
{
    char err[128];
    size_t n = strlen(s);
    if (!n || !isdigit((unsigned char)s[0]) || !isalpha((unsigned char)s[n - 1]))
        return -1;
    return rulefile_parse_duration(s, n, ms, err, sizeof err);
}

int cmd_times_point(const char *s, int64_t dflt, int64_t series_start_ms, int64_t *ms)
{
    if (!s) {
        *ms = dflt;
        return 0;
    }
    int64_t d;
    if (parse_dur(s, &d) == 0) {
        *ms = series_start_ms + d;
        return 0;
    }
    return api_parse_time(s, ms);
}

int cmd_times_duration(const char *s, int64_t *ms)
{
    if (!s)
        return 0;
    return parse_dur(s, ms);
}
