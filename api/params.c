#include "api/params.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "grammar/parse.h"

/* Go's strconv.ParseFloat, closely enough: the whole string, no spaces. */
static int parse_float(const char *s, double *out)
{
    if (!s[0] || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
        return -1;
    /* strtod reads "0x10" as 16; Go wants a hex float's "p" exponent */
    if ((strchr(s, 'x') || strchr(s, 'X')) && !strchr(s, 'p') && !strchr(s, 'P'))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* RFC 3339 as Go's time.Parse(time.RFC3339Nano) takes it: "T" and "Z" in
 * capitals, an optional fraction of 1 to 9 digits after "." or ",", read
 * exactly to the nanosecond and then cut to the millisecond (as
 * timestamp.FromTime does). */
static int parse_rfc3339(const char *s, int64_t *ms)
{
    int Y, M, D, h, m, sec;
    const char *p = s;
    if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' || digits(&p, 2, &D) ||
        *p != 'T' || (p++, digits(&p, 2, &h)) || *p++ != ':' || digits(&p, 2, &m) ||
        *p++ != ':' || digits(&p, 2, &sec))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 59)
        return -1;
    int64_t frac_ns = 0;
    if (*p == '.' || *p == ',') {
        p++;
        int n = 0;
        while (*p >= '0' && *p <= '9') {
            frac_ns = frac_ns * 10 + (*p - '0');
            p++;
            n++;
            if (n > 9)
                return -1;
        }
        if (!n)
            return -1;
        for (int i = n; i < 9; i++)
            frac_ns *= 10;
    }
    int offset_s = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p)
        return -1;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    int64_t t = (int64_t)timegm(&tm) - offset_s;
    *ms = t * 1000 + frac_ns / 1000000;
    return 0;
}

/* Prometheus's parseTime: Unix seconds as a float (rounded to ms) or RFC 3339. */
int api_parse_time(const char *s, int64_t *ms)
{
    double f;
    if (parse_float(s, &f) == 0) {
        if (!isfinite(f) || fabs(f) > 9.2e15)
            return -1;
        double ip, fp = modf(f, &ip);
        *ms = (int64_t)ip * 1000 + (int64_t)llround(fp * 1000);
        return 0;
    }
    return parse_rfc3339(s, ms);
}

/* parseDuration: float seconds or a Prometheus duration; 0 or -1 with msg. */
int api_parse_duration(struct arena *a, const char *s, int64_t *ms, const char **msg)
{
    double f;
    if (parse_float(s, &f) == 0) {
        double ns = f * 1e9;
        if (!(ns <= 9.2233720368547758e18 && ns >= -9.2233720368547758e18)) {
            *msg = arena_printf(a, "cannot parse \"%s\" to a valid duration. It overflows int64", s);
            return -1;
        }
        *ms = (int64_t)(ns / 1e6);
        return 0;
    }
    /* model.ParseDuration, as the PromQL parser reads duration literals */
    if (parse_duration(s, strlen(s), ms) == 0)
        return 0;
    *msg = arena_printf(a, "cannot parse \"%s\" to a valid duration", s);
    return -1;
}


int api_query_check_range(const struct api_query_request *q, struct api_error *err)
{
    if (q->end < q->start) {
        api_error_set(err, API_ERR_BAD_DATA, "invalid parameter \"end\": end timestamp must not be before start time");
        return -1;
    }
    if (q->step <= 0) {
        api_error_set(err, API_ERR_BAD_DATA,
                      "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. "
                      "Try a positive integer");
        return -1;
    }
    if ((q->end - q->start) / q->step > 11000) {
        api_error_set(err, API_ERR_BAD_DATA,
                      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
                      "resolution (?step=XX)");
        return -1;
    }
    return 0;
}
