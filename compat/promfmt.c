#include "compat/promfmt.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"

/* The shortest significant digits that read back as v (v finite, v != 0),
 * as "d1d2d3..." in digits and the decimal exponent of d1 in *exp10.
 * printf rounds correctly, so the first precision that round-trips yields
 * the digits Go's shortest formatting picks. */
static int shortest_digits(double v, char *digits, int *exp10)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v || prec == 17)
            break;
    }
    /* buf is "[-]d.ddde[+-]xx" or "[-]de[+-]xx" */
    const char *p = buf;
    if (*p == '-')
        p++;
    int n = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *exp10 = atoi(p + 1);
    return n;
}

static void fmt_fixed(struct strbuf *out, const char *d, int nd, int exp10)
{
    if (exp10 < 0) {
        strbuf_addstr(out, "0.");
        for (int i = 0; i < -exp10 - 1; i++)
            strbuf_addch(out, '0');
        strbuf_add(out, d, (size_t)nd);
        return;
    }
    for (int i = 0; i <= exp10; i++)
        strbuf_addch(out, i < nd ? d[i] : '0');
    if (nd > exp10 + 1) {
        strbuf_addch(out, '.');
        strbuf_add(out, d + exp10 + 1, (size_t)(nd - exp10 - 1));
    }
}

static void fmt_exp(struct strbuf *out, const char *d, int nd, int exp10, char e)
{
    strbuf_addch(out, d[0]);
    if (nd > 1) {
        strbuf_addch(out, '.');
        strbuf_add(out, d + 1, (size_t)(nd - 1));
    }
    strbuf_addf(out, "%c%c%02d", e, exp10 < 0 ? '-' : '+', abs(exp10));
}

void promfmt_go_float(struct strbuf *out, double v, char fmt)
{
    if (isnan(v)) {
        strbuf_addstr(out, "NaN");
        return;
    }
    if (isinf(v)) {
        strbuf_addstr(out, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (signbit(v))
        strbuf_addch(out, '-');
    char d[32];
    int exp10 = 0, nd;
    if (v == 0) {
        d[0] = '0';
        d[1] = '\0';
        nd = 1;
    } else {
        nd = shortest_digits(fabs(v), d, &exp10);
    }
    switch (fmt) {
    case 'e':
    case 'E':
        fmt_exp(out, d, nd, exp10, fmt);
        break;
    case 'g':
        /* Go's shortest 'g' (also fmt's %v): exponent form below 1e-4 and
         * from 1e+06 on, whatever the digit count. */
        if (exp10 < -4 || exp10 >= 6)
            fmt_exp(out, d, nd, exp10, 'e');
        else
            fmt_fixed(out, d, nd, exp10);
        break;
    default:
        fmt_fixed(out, d, nd, exp10);
        break;
    }
}

void promfmt_api_value(struct strbuf *out, double v)
{
    double a = fabs(v);
    promfmt_go_float(out, v, (a != 0 && (a < 1e-6 || a >= 1e21)) ? 'e' : 'f');
}

void promfmt_api_time(struct strbuf *out, int64_t ms)
{
    uint64_t t = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (ms < 0)
        strbuf_addch(out, '-');
    strbuf_addf(out, "%" PRIu64, t / 1000);
    if (t % 1000)
        strbuf_addf(out, ".%03u", (unsigned)(t % 1000));
}

void promfmt_rfc3339(struct strbuf *out, int64_t ms, int frac_digits)
{
    int64_t secs = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        secs--;
    }
    time_t tt = (time_t)secs;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strbuf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (frac_digits == 3) {
        strbuf_addf(out, ".%03d", (int)frac);
    } else if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%03d", (int)frac);
        int n = 3;
        while (n > 0 && f[n - 1] == '0')
            n--;
        strbuf_addch(out, '.');
        strbuf_add(out, f, (size_t)n);
    }
    strbuf_addch(out, 'Z');
}
