/* template_fmt: the parts of Go's fmt, strconv, unicode and time packages
 * that template output depends on: %v printing of values, Sprint/Sprintln/
 * Sprintf, shortest float formatting, strconv.Quote, time.Time.String and
 * Format, time.Duration.String. Character classes come from glibc's C.UTF-8
 * tables (close to Go's Unicode tables), falling back to ASCII. */
#include <locale.h>
#include <stdarg.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "base/goquote.h"
#include "base/utf8.h"
#include "rules/template_impl.h"

/* snprintf with a format built at run time from Go flags (vsnprintf keeps
 * -Wformat-nonliteral quiet; the formats are ours, never user text). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int cfmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
#pragma GCC diagnostic pop

/* ---- UTF-8 and Unicode ---- */

int goutf8_decode(const char *p, size_t n, uint32_t *r)
{
    /* Go's range over a string: an invalid byte is one U+FFFD */
    size_t len = n ? utf8_decode((const unsigned char *)p, n, r) : 0;
    if (len == 0) {
        *r = 0xFFFD;
        return 1;
    }
    return (int)len;
}

void goutf8_encode(struct strbuf *sb, uint32_t r)
{
    if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000))
        r = 0xFFFD;
    if (r < 0x80) {
        strbuf_addch(sb, (int)r);
    } else if (r < 0x800) {
        strbuf_addch(sb, (int)(0xC0 | (r >> 6)));
        strbuf_addch(sb, (int)(0x80 | (r & 0x3F)));
    } else if (r < 0x10000) {
        strbuf_addch(sb, (int)(0xE0 | (r >> 12)));
        strbuf_addch(sb, (int)(0x80 | ((r >> 6) & 0x3F)));
        strbuf_addch(sb, (int)(0x80 | (r & 0x3F)));
    } else {
        strbuf_addch(sb, (int)(0xF0 | (r >> 18)));
        strbuf_addch(sb, (int)(0x80 | ((r >> 12) & 0x3F)));
        strbuf_addch(sb, (int)(0x80 | ((r >> 6) & 0x3F)));
        strbuf_addch(sb, (int)(0x80 | (r & 0x3F)));
    }
}

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t uloc(void)
{
    pthread_once(&utf8_once, utf8_init);
    return utf8_locale;
}

bool gouni_is_letter(uint32_t r)
{
    if (r < 0x80)
        return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
    locale_t l = uloc();
    return l && iswalpha_l((wint_t)r, l) && !iswdigit_l((wint_t)r, l);
}

bool gouni_is_digit(uint32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    /* Unicode Nd outside ASCII: the common decimal-digit blocks. */
    static const uint32_t zeros[] = {0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66,
                                     0xBE6, 0xC66, 0xCE6, 0xD66, 0xE50, 0xED0, 0xF20, 0x1040,
                                     0x17E0, 0x1810, 0xFF10};
    for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++)
        if (r >= zeros[i] && r < zeros[i] + 10)
            return true;
    return false;
}

bool gouni_is_print(uint32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    if (r < 0xA0 || r == 0xAD || r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200F) ||
        (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F) || r == 0x3000 ||
        r == 0xFEFF || (r >= 0xD800 && r < 0xE000) || (r >= 0xE000 && r < 0xF900) || r > 0x10FFFF)
        return false;
    locale_t l = uloc();
    return l ? iswprint_l((wint_t)r, l) != 0 : true;
}

uint32_t gouni_upper(uint32_t r)
{
    if (r < 0x80)
        return r >= 'a' && r <= 'z' ? r - 32 : r;
    locale_t l = uloc();
    return l ? (uint32_t)towupper_l((wint_t)r, l) : r;
}

uint32_t gouni_lower(uint32_t r)
{
    if (r < 0x80)
        return r >= 'A' && r <= 'Z' ? r + 32 : r;
    locale_t l = uloc();
    return l ? (uint32_t)towlower_l((wint_t)r, l) : r;
}

void gofmt_rune_u(struct strbuf *sb, uint32_t r)
{
    strbuf_addf(sb, "U+%04X", r);
    if (gouni_is_print(r)) {
        strbuf_addstr(sb, " '");
        goutf8_encode(sb, r);
        strbuf_addch(sb, '\'');
    }
}



void gofmt_quote(struct strbuf *sb, const char *s, size_t n)
{
    goquote(sb, s, n, 0);
}

/* ---- floats ---- */

/* Shortest decimal digits that round-trip: digits (no dot) and the decimal
 * point position dp (value = 0.digits * 10^dp). */
static int shortest_digits(double f, char *digits, int *dp)
{
    char buf[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, f);
        if (strtod(buf, NULL) == f || p == 17)
            break;
    }
    /* buf is "d.ddde±XX" (f >= 0 here) */
    int nd = 0;
    char *e = strchr(buf, 'e');
    for (char *c = buf; c < e; c++)
        if (*c >= '0' && *c <= '9')
            digits[nd++] = *c;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;
    *dp = atoi(e + 1) + 1;
    if (nd == 1 && digits[0] == '0')
        *dp = 1;
    return nd;
}

void gofmt_float(struct strbuf *sb, double f, char verb, int prec)
{
    if (isnan(f)) {
        strbuf_addstr(sb, "NaN");
        return;
    }
    if (isinf(f)) {
        strbuf_addstr(sb, f > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (prec >= 0 || (verb != 'g' && verb != 'G')) {
        char fmt[16], buf[512];
        snprintf(fmt, sizeof fmt, "%%.%d%c", prec < 0 ? 6 : prec, verb);
        cfmt(buf, sizeof buf, fmt, f);
        strbuf_addstr(sb, buf);
        return;
    }
    if (signbit(f)) {
        strbuf_addch(sb, '-');
        f = -f;
    }
    char d[32];
    int dp;
    int nd = shortest_digits(f, d, &dp);
    int exp = dp - 1;
    /* Go's %v: exponent form when exp < -4 || exp >= 6 (shortest mode). */
    if (exp < -4 || exp >= 6) {
        strbuf_addch(sb, d[0]);
        if (nd > 1) {
            strbuf_addch(sb, '.');
            strbuf_add(sb, d + 1, (size_t)nd - 1);
        }
        strbuf_addf(sb, "%c%c%02d", verb == 'G' ? 'E' : 'e', exp < 0 ? '-' : '+', abs(exp));
        return;
    }
    if (dp <= 0) {
        strbuf_addstr(sb, "0.");
        for (int i = 0; i < -dp; i++)
            strbuf_addch(sb, '0');
        strbuf_add(sb, d, (size_t)nd);
    } else if (dp >= nd) {
        strbuf_add(sb, d, (size_t)nd);
        for (int i = nd; i < dp; i++)
            strbuf_addch(sb, '0');
    } else {
        strbuf_add(sb, d, (size_t)dp);
        strbuf_addch(sb, '.');
        strbuf_add(sb, d + dp, (size_t)(nd - dp));
    }
}

/* ---- time ---- */

static void civil(int64_t days, int64_t *y, int *m, int *d)
{
    /* Howard Hinnant's days-from-civil inverse. */
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

struct gtime {
    int64_t year;
    int month, day, hour, min, sec, yday, wday;
    int32_t nsec;
};

static struct gtime split_time(int64_t ns)
{
    int64_t sec = ns / 1000000000, n = ns % 1000000000;
    if (n < 0) {
        n += 1000000000;
        sec--;
    }
    int64_t days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    struct gtime t;
    civil(days, &t.year, &t.month, &t.day);
    t.hour = (int)(rem / 3600);
    t.min = (int)(rem / 60 % 60);
    t.sec = (int)(rem % 60);
    t.nsec = (int32_t)n;
    t.wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    static const int cum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    bool leap = (t.year % 4 == 0 && t.year % 100 != 0) || t.year % 400 == 0;
    t.yday = cum[t.month - 1] + t.day + (leap && t.month > 2);
    return t;
}

static const char *const month_names[] = {"January", "February", "March",     "April",
                                          "May",     "June",     "July",      "August",
                                          "September", "October", "November", "December"};
static const char *const day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

void gotime_string(struct strbuf *sb, int64_t ns)
{
    gotime_format(sb, ns, "2006-01-02 15:04:05.999999999 -0700 MST", 39);
}

static bool starts(const char *s, size_t n, const char *p)
{
    size_t k = strlen(p);
    return n >= k && memcmp(s, p, k) == 0;
}

void gotime_format(struct strbuf *sb, int64_t ns, const char *l, size_t n)
{
    struct gtime t = split_time(ns);
    size_t i = 0;
    while (i < n) {
        const char *s = l + i;
        size_t r = n - i;
        int h12 = t.hour % 12 == 0 ? 12 : t.hour % 12;
        if (starts(s, r, "January")) { strbuf_addstr(sb, month_names[t.month - 1]); i += 7; }
        else if (starts(s, r, "Jan")) { strbuf_add(sb, month_names[t.month - 1], 3); i += 3; }
        else if (starts(s, r, "Monday")) { strbuf_addstr(sb, day_names[t.wday]); i += 6; }
        else if (starts(s, r, "Mon")) { strbuf_add(sb, day_names[t.wday], 3); i += 3; }
        else if (starts(s, r, "MST")) { strbuf_addstr(sb, "UTC"); i += 3; }
        else if (starts(s, r, "2006")) { strbuf_addf(sb, "%04lld", (long long)t.year); i += 4; }
        else if (starts(s, r, "002")) { strbuf_addf(sb, "%03d", t.yday); i += 3; }
        else if (starts(s, r, "01")) { strbuf_addf(sb, "%02d", t.month); i += 2; }
        else if (starts(s, r, "02")) { strbuf_addf(sb, "%02d", t.day); i += 2; }
        else if (starts(s, r, "03")) { strbuf_addf(sb, "%02d", h12); i += 2; }
        else if (starts(s, r, "04")) { strbuf_addf(sb, "%02d", t.min); i += 2; }
        else if (starts(s, r, "05")) { strbuf_addf(sb, "%02d", t.sec); i += 2; }
        else if (starts(s, r, "06")) { strbuf_addf(sb, "%02lld", (long long)(t.year % 100)); i += 2; }
        else if (starts(s, r, "15")) { strbuf_addf(sb, "%02d", t.hour); i += 2; }
        else if (starts(s, r, "__2")) { strbuf_addf(sb, "%3d", t.yday); i += 3; }
        else if (starts(s, r, "_2")) { strbuf_addf(sb, "%2d", t.day); i += 2; }
        else if (starts(s, r, "1")) { strbuf_addf(sb, "%d", t.month); i += 1; }
        else if (starts(s, r, "2")) { strbuf_addf(sb, "%d", t.day); i += 1; }
        else if (starts(s, r, "3")) { strbuf_addf(sb, "%d", h12); i += 1; }
        else if (starts(s, r, "4")) { strbuf_addf(sb, "%d", t.min); i += 1; }
        else if (starts(s, r, "5")) { strbuf_addf(sb, "%d", t.sec); i += 1; }
        else if (starts(s, r, "PM")) { strbuf_addstr(sb, t.hour >= 12 ? "PM" : "AM"); i += 2; }
        else if (starts(s, r, "pm")) { strbuf_addstr(sb, t.hour >= 12 ? "pm" : "am"); i += 2; }
        else if (starts(s, r, "-07:00:00")) { strbuf_addstr(sb, "+00:00:00"); i += 9; }
        else if (starts(s, r, "-070000")) { strbuf_addstr(sb, "+000000"); i += 7; }
        else if (starts(s, r, "-07:00")) { strbuf_addstr(sb, "+00:00"); i += 6; }
        else if (starts(s, r, "-0700")) { strbuf_addstr(sb, "+0000"); i += 5; }
        else if (starts(s, r, "-07")) { strbuf_addstr(sb, "+00"); i += 3; }
        else if (starts(s, r, "Z07:00:00")) { strbuf_addch(sb, 'Z'); i += 9; }
        else if (starts(s, r, "Z070000")) { strbuf_addch(sb, 'Z'); i += 7; }
        else if (starts(s, r, "Z07:00")) { strbuf_addch(sb, 'Z'); i += 6; }
        else if (starts(s, r, "Z0700")) { strbuf_addch(sb, 'Z'); i += 5; }
        else if (starts(s, r, "Z07")) { strbuf_addch(sb, 'Z'); i += 3; }
        else if ((s[0] == '.' || s[0] == ',') && r > 1 && (s[1] == '0' || s[1] == '9')) {
            /* Fractional seconds: a run of one digit, not followed by a digit. */
            size_t k = 1;
            while (k < r && s[k] == s[1])
                k++;
            if (k < r && s[k] >= '0' && s[k] <= '9') {
                strbuf_addch(sb, s[0]);
                i += 1;
                continue;
            }
            int digits = (int)(k - 1) > 9 ? 9 : (int)(k - 1);
            char frac[16];
            snprintf(frac, sizeof frac, "%09d", (int)t.nsec);
            if (s[1] == '9') {
                int e = digits;
                while (e > 0 && frac[e - 1] == '0')
                    e--;
                if (e > 0) {
                    strbuf_addch(sb, s[0]);
                    strbuf_add(sb, frac, (size_t)e);
                }
            } else {
                strbuf_addch(sb, s[0]);
                strbuf_add(sb, frac, (size_t)digits);
            }
            i += k;
        } else {
            strbuf_addch(sb, s[0]);
            i += 1;
        }
    }
}

/* time.Duration.String: "72h3m0.5s", "1.5µs", "0s". */
void goduration_string(struct strbuf *sb, int64_t d)
{
    if (d == 0) {
        strbuf_addstr(sb, "0s");
        return;
    }
    uint64_t u = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    if (d < 0)
        strbuf_addch(sb, '-');
    char frac[16];
    if (u < 1000000000ULL) {
        const char *unit;
        uint64_t div;
        int prec;
        if (u < 1000) {
            strbuf_addf(sb, "%lluns", (unsigned long long)u);
            return;
        } else if (u < 1000000) {
            unit = "\xc2\xb5s", div = 1000, prec = 3;
        } else {
            unit = "ms", div = 1000000, prec = 6;
        }
        strbuf_addf(sb, "%llu", (unsigned long long)(u / div));
        snprintf(frac, sizeof frac, "%0*llu", prec, (unsigned long long)(u % div));
        int e = prec;
        while (e > 0 && frac[e - 1] == '0')
            e--;
        if (e > 0) {
            strbuf_addch(sb, '.');
            strbuf_add(sb, frac, (size_t)e);
        }
        strbuf_addstr(sb, unit);
        return;
    }
    uint64_t secs = u / 1000000000ULL, ns = u % 1000000000ULL;
    uint64_t h = secs / 3600, m = secs / 60 % 60, s = secs % 60;
    if (h)
        strbuf_addf(sb, "%lluh", (unsigned long long)h);
    if (h || m)
        strbuf_addf(sb, "%llum", (unsigned long long)m);
    strbuf_addf(sb, "%llu", (unsigned long long)s);
    snprintf(frac, sizeof frac, "%09llu", (unsigned long long)ns);
    int e = 9;
    while (e > 0 && frac[e - 1] == '0')
        e--;
    if (e > 0) {
        strbuf_addch(sb, '.');
        strbuf_add(sb, frac, (size_t)e);
    }
    strbuf_addch(sb, 's');
}

/* ---- value printing ---- */

const char *gofmt_type_name(const struct tmpl_value *v)
{
    if (!v->type || v->type->kind == TMPL_NIL)
        return "<nil>";
    return v->type->name;
}

static bool is_stringer(const struct tmpl_value *v)
{
    return v->type && (v->type->kind == TMPL_TIME || v->type->kind == TMPL_DURATION);
}

static void stringer(struct strbuf *sb, const struct tmpl_value *v)
{
    if (v->type->kind == TMPL_TIME)
        gotime_string(sb, v->u.i);
    else
        goduration_string(sb, v->u.i);
}

/* fmt's %v at a nesting depth (pointers print as addresses below depth 0). */
static void print_v_seq(struct strbuf *sb, const struct tmpl_value *v, int depth, unsigned *seq)
{
    if (!v->type || v->type->kind == TMPL_NIL) {
        strbuf_addstr(sb, "<nil>");
        return;
    }
    if (is_stringer(v)) {
        stringer(sb, v);
        return;
    }
    const struct tmpl_type *t = v->type;
    switch (t->kind) {
    case TMPL_BOOL:
        strbuf_addstr(sb, v->u.b ? "true" : "false");
        break;
    case TMPL_INT:
        strbuf_addf(sb, "%lld", (long long)v->u.i);
        break;
    case TMPL_UINT:
        strbuf_addf(sb, "%llu", (unsigned long long)v->u.u);
        break;
    case TMPL_FLOAT:
        gofmt_float(sb, v->u.f, 'g', -1);
        break;
    case TMPL_STRING:
        strbuf_add(sb, v->u.s.p, v->u.s.len);
        break;
    case TMPL_MAP:
        strbuf_addstr(sb, "map[");
        for (size_t i = 0; v->u.map && i < v->u.map->n; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            strbuf_addstr(sb, v->u.map->keys[i]);
            strbuf_addch(sb, ':');
            print_v_seq(sb, &v->u.map->values[i], depth + 1, seq);
        }
        strbuf_addch(sb, ']');
        break;
    case TMPL_LIST:
        strbuf_addch(sb, '[');
        for (size_t i = 0; v->u.list && i < v->u.list->n; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            print_v_seq(sb, &v->u.list->items[i], depth + 1, seq);
        }
        strbuf_addch(sb, ']');
        break;
    case TMPL_STRUCT:
        if (t->ptr) {
            if (!v->u.fields) {
                strbuf_addstr(sb, "<nil>");
                break;
            }
            if (depth > 0) {
                /* Go prints the address; ours is as meaningless, but
                 * deterministic: one per pointer printed. */
                strbuf_addf(sb, "0xc%09x", 0x10000u + 0x30u * (*seq)++);
                break;
            }
            strbuf_addch(sb, '&');
        }
        strbuf_addch(sb, '{');
        for (size_t i = 0; i < t->nfields; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            print_v_seq(sb, &v->u.fields[i], depth + 1, seq);
        }
        strbuf_addch(sb, '}');
        break;
    default:
        break;
    }
}

static void print_v(struct strbuf *sb, const struct tmpl_value *v, int depth)
{
    unsigned seq = 0;
    print_v_seq(sb, v, depth, &seq);
}

void gofmt_print(struct strbuf *sb, const struct tmpl_value *v)
{
    print_v(sb, v, 0);
}

static bool is_string_kind(const struct tmpl_value *v)
{
    return v->type && v->type->kind == TMPL_STRING;
}

void gofmt_sprint(struct strbuf *sb, const struct tmpl_value *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (i > 0 && !is_string_kind(&v[i]) && !is_string_kind(&v[i - 1]))
            strbuf_addch(sb, ' ');
        print_v(sb, &v[i], 0);
    }
}

void gofmt_sprintln(struct strbuf *sb, const struct tmpl_value *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (i > 0)
            strbuf_addch(sb, ' ');
        print_v(sb, &v[i], 0);
    }
    strbuf_addch(sb, '\n');
}

/* ---- Sprintf ---- */

struct fspec {
    bool plus, minus, sharp, space, zero;
    int width, prec; /* -1: absent */
    char verb;
};

static size_t rune_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n;) {
        uint32_t r;
        i += (size_t)goutf8_decode(s + i, n - i, &r);
        c++;
    }
    return c;
}

static void pad(struct strbuf *sb, const char *s, size_t n, const struct fspec *f)
{
    size_t w = rune_count(s, n);
    size_t fill = f->width > 0 && (size_t)f->width > w ? (size_t)f->width - w : 0;
    if (!f->minus)
        for (size_t i = 0; i < fill; i++)
            strbuf_addch(sb, ' ');
    strbuf_add(sb, s, n);
    if (f->minus)
        for (size_t i = 0; i < fill; i++)
            strbuf_addch(sb, ' ');
}

static void bad_verb(struct strbuf *sb, const struct fspec *f, const struct tmpl_value *v)
{
    strbuf_addf(sb, "%%!%c(", f->verb);
    if (!v->type || v->type->kind == TMPL_NIL) {
        strbuf_addstr(sb, "<nil>");
    } else {
        strbuf_addstr(sb, v->type->name);
        strbuf_addch(sb, '=');
        print_v(sb, v, 0);
    }
    strbuf_addch(sb, ')');
}

static void c_flags(char *fmt, const struct fspec *f, const char *len_mod, char verb)
{
    char *p = fmt;
    *p++ = '%';
    if (f->plus) *p++ = '+';
    if (f->minus) *p++ = '-';
    if (f->sharp) *p++ = '#';
    if (f->space) *p++ = ' ';
    if (f->zero && !f->minus) *p++ = '0';
    if (f->width >= 0) p += sprintf(p, "%d", f->width);
    if (f->prec >= 0) p += sprintf(p, ".%d", f->prec);
    p += sprintf(p, "%s%c", len_mod, verb);
}

static void fmt_string(struct strbuf *sb, const char *s, size_t n, const struct fspec *f)
{
    struct strbuf tmp = STRBUF_INIT;
    if (f->prec >= 0) {
        size_t i = 0;
        for (int r = 0; r < f->prec && i < n; r++) {
            uint32_t c;
            i += (size_t)goutf8_decode(s + i, n - i, &c);
        }
        n = i;
    }
    switch (f->verb) {
    case 'q':
        goquote(&tmp, s, n, f->plus ? GOQUOTE_ASCII : 0);
        break;
    case 'x':
    case 'X':
        for (size_t i = 0; i < n; i++)
            strbuf_addf(&tmp, f->verb == 'x' ? "%02x" : "%02X", (unsigned char)s[i]);
        break;
    default:
        strbuf_add(&tmp, s, n);
    }
    pad(sb, tmp.buf, tmp.len, f);
    strbuf_release(&tmp);
}

static void fmt_value(struct strbuf *sb, const struct tmpl_value *v, const struct fspec *f,
                      int depth);

static void fmt_int(struct strbuf *sb, bool neg_ok, int64_t i, uint64_t u, bool is_signed,
                    const struct fspec *f, const struct tmpl_value *v)
{
    (void)neg_ok;
    char fmt[48], buf[160];
    switch (f->verb) {
    case 'v':
    case 'd':
        c_flags(fmt, f, "ll", is_signed ? 'd' : 'u');
        break;
    case 'o':
    case 'x':
    case 'X':
        if (is_signed && i < 0) {
            /* Go prints a sign and the magnitude. */
            struct fspec g = *f;
            g.width = -1;
            c_flags(fmt, &g, "ll", f->verb);
            char mag[80];
            cfmt(mag, sizeof mag, fmt, (unsigned long long)(-(uint64_t)i));
            snprintf(buf, sizeof buf, "-%s", mag);
            pad(sb, buf, strlen(buf), f);
            return;
        }
        c_flags(fmt, f, "ll", f->verb);
        break;
    case 'c': {
        struct strbuf r = STRBUF_INIT;
        goutf8_encode(&r, (uint32_t)(is_signed ? (uint64_t)i : u));
        pad(sb, r.buf, r.len, f);
        strbuf_release(&r);
        return;
    }
    case 'q': {
        struct strbuf r = STRBUF_INIT, q = STRBUF_INIT;
        uint32_t c = (uint32_t)(is_signed ? (uint64_t)i : u);
        goquote_rune(&q, c, f->plus ? GOQUOTE_ASCII : 0);
        pad(sb, q.buf, q.len, f);
        strbuf_release(&r);
        strbuf_release(&q);
        return;
    }
    case 'U': {
        snprintf(buf, sizeof buf, "U+%04llX", (unsigned long long)(is_signed ? (uint64_t)i : u));
        pad(sb, buf, strlen(buf), f);
        return;
    }
    case 'b': {
        uint64_t m = is_signed && i < 0 ? -(uint64_t)i : is_signed ? (uint64_t)i : u;
        char bits[72];
        int k = 0;
        do {
            bits[k++] = (char)('0' + (m & 1));
            m >>= 1;
        } while (m);
        struct strbuf r = STRBUF_INIT;
        if (is_signed && i < 0)
            strbuf_addch(&r, '-');
        while (k > 0)
            strbuf_addch(&r, bits[--k]);
        pad(sb, r.buf, r.len, f);
        strbuf_release(&r);
        return;
    }
    default:
        bad_verb(sb, f, v);
        return;
    }
    if (is_signed)
        cfmt(buf, sizeof buf, fmt, (long long)i);
    else
        cfmt(buf, sizeof buf, fmt, (unsigned long long)u);
    strbuf_addstr(sb, buf);
}

static void fmt_float_spec(struct strbuf *sb, double x, const struct fspec *f,
                           const struct tmpl_value *v)
{
    char verb = f->verb;
    if (verb == 'v')
        verb = 'g';
    if (!strchr("eEfFgG", verb)) {
        bad_verb(sb, f, v);
        return;
    }
    if (isnan(x) || isinf(x)) {
        const char *s = isnan(x) ? (f->plus ? "+NaN" : f->space ? " NaN" : "NaN")
                                 : x > 0 ? (f->plus ? "+Inf" : f->space ? " Inf" : "+Inf") : "-Inf";
        pad(sb, s, strlen(s), f);
        return;
    }
    if ((verb == 'g' || verb == 'G') && f->prec < 0) {
        struct strbuf t = STRBUF_INIT;
        if (f->plus && !signbit(x))
            strbuf_addch(&t, '+');
        else if (f->space && !signbit(x))
            strbuf_addch(&t, ' ');
        gofmt_float(&t, x, verb, -1);
        if (f->zero && !f->minus && f->width > 0 && t.len < (size_t)f->width) {
            size_t sign = t.buf[0] == '-' || t.buf[0] == '+' || t.buf[0] == ' ';
            struct strbuf z = STRBUF_INIT;
            strbuf_add(&z, t.buf, sign);
            for (size_t i = t.len; i < (size_t)f->width; i++)
                strbuf_addch(&z, '0');
            strbuf_add(&z, t.buf + sign, t.len - sign);
            strbuf_add(sb, z.buf, z.len);
            strbuf_release(&z);
        } else {
            pad(sb, t.buf, t.len, f);
        }
        strbuf_release(&t);
        return;
    }
    char fmt[48], buf[512];
    c_flags(fmt, f, "", verb);
    cfmt(buf, sizeof buf, fmt, x);
    strbuf_addstr(sb, buf);
}

static void fmt_value(struct strbuf *sb, const struct tmpl_value *v, const struct fspec *f, int depth)
{
    if (f->verb == 'T') {
        const char *n = gofmt_type_name(v);
        pad(sb, n, strlen(n), f);
        return;
    }
    if (!v->type || v->type->kind == TMPL_NIL) {
        if (f->verb == 'v')
            pad(sb, "<nil>", 5, f);
        else
            bad_verb(sb, f, v);
        return;
    }
    if (is_stringer(v) && strchr("vsqxX", f->verb)) {
        struct strbuf t = STRBUF_INIT;
        stringer(&t, v);
        fmt_string(sb, t.buf, t.len, f);
        strbuf_release(&t);
        return;
    }
    const struct tmpl_type *t = v->type;
    switch (t->kind) {
    case TMPL_BOOL:
        if (f->verb == 'v' || f->verb == 't')
            pad(sb, v->u.b ? "true" : "false", v->u.b ? 4 : 5, f);
        else
            bad_verb(sb, f, v);
        break;
    case TMPL_INT:
    case TMPL_DURATION:
        fmt_int(sb, true, v->u.i, 0, true, f, v);
        break;
    case TMPL_UINT:
        fmt_int(sb, true, 0, v->u.u, false, f, v);
        break;
    case TMPL_FLOAT:
        fmt_float_spec(sb, v->u.f, f, v);
        break;
    case TMPL_STRING:
        if (strchr("vsqxX", f->verb))
            fmt_string(sb, v->u.s.p, v->u.s.len, f);
        else
            bad_verb(sb, f, v);
        break;
    case TMPL_MAP:
        strbuf_addstr(sb, "map[");
        for (size_t i = 0; v->u.map && i < v->u.map->n; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            struct tmpl_value k = tmpl_value_string(v->u.map->keys[i]);
            fmt_value(sb, &k, f, depth + 1);
            strbuf_addch(sb, ':');
            fmt_value(sb, &v->u.map->values[i], f, depth + 1);
        }
        strbuf_addch(sb, ']');
        break;
    case TMPL_LIST:
        strbuf_addch(sb, '[');
        for (size_t i = 0; v->u.list && i < v->u.list->n; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            fmt_value(sb, &v->u.list->items[i], f, depth + 1);
        }
        strbuf_addch(sb, ']');
        break;
    case TMPL_STRUCT:
        if (t->ptr && (!v->u.fields || depth > 0)) {
            print_v(sb, v, depth);
            break;
        }
        if (t->ptr)
            strbuf_addch(sb, '&');
        strbuf_addch(sb, '{');
        for (size_t i = 0; i < t->nfields; i++) {
            if (i)
                strbuf_addch(sb, ' ');
            if (f->plus) {
                strbuf_addstr(sb, t->fields[i]);
                strbuf_addch(sb, ':');
            }
            fmt_value(sb, &v->u.fields[i], f, depth + 1);
        }
        strbuf_addch(sb, '}');
        break;
    default:
        print_v(sb, v, depth);
    }
}

void gofmt_sprintf(struct strbuf *sb, const char *fmt, size_t flen, const struct tmpl_value *args,
                   int nargs)
{
    int argi = 0;
    size_t i = 0;
    while (i < flen) {
        if (fmt[i] != '%') {
            size_t j = i;
            while (j < flen && fmt[j] != '%')
                j++;
            strbuf_add(sb, fmt + i, j - i);
            i = j;
            continue;
        }
        i++;
        struct fspec f = {.width = -1, .prec = -1};
        for (; i < flen; i++) {
            char c = fmt[i];
            if (c == '+') f.plus = true;
            else if (c == '-') f.minus = true;
            else if (c == '#') f.sharp = true;
            else if (c == ' ') f.space = true;
            else if (c == '0') f.zero = true;
            else break;
        }
        bool bad_width = false, bad_prec = false;
        if (i < flen && fmt[i] == '*') {
            i++;
            if (argi < nargs && args[argi].type && args[argi].type->kind == TMPL_INT) {
                f.width = (int)args[argi].u.i;
                if (f.width < 0) {
                    f.minus = true;
                    f.width = -f.width;
                }
            } else {
                bad_width = true;
            }
            argi++;
        } else {
            while (i < flen && fmt[i] >= '0' && fmt[i] <= '9') {
                f.width = (f.width < 0 ? 0 : f.width) * 10 + (fmt[i] - '0');
                i++;
            }
        }
        if (i < flen && fmt[i] == '.') {
            i++;
            if (i < flen && fmt[i] == '*') {
                i++;
                if (argi < nargs && args[argi].type && args[argi].type->kind == TMPL_INT &&
                    args[argi].u.i >= 0)
                    f.prec = (int)args[argi].u.i;
                else
                    bad_prec = true;
                argi++;
            } else {
                f.prec = 0;
                while (i < flen && fmt[i] >= '0' && fmt[i] <= '9') {
                    f.prec = f.prec * 10 + (fmt[i] - '0');
                    i++;
                }
            }
        }
        if (bad_width)
            strbuf_addstr(sb, "%!(BADWIDTH)");
        if (bad_prec)
            strbuf_addstr(sb, "%!(BADPREC)");
        if (i >= flen) {
            strbuf_addstr(sb, "%!(NOVERB)");
            break;
        }
        uint32_t verb;
        i += (size_t)goutf8_decode(fmt + i, flen - i, &verb);
        if (verb == '%') {
            strbuf_addch(sb, '%');
            continue;
        }
        if (argi >= nargs) {
            strbuf_addstr(sb, "%!");
            goutf8_encode(sb, verb);
            strbuf_addstr(sb, "(MISSING)");
            continue;
        }
        f.verb = verb < 128 ? (char)verb : '?';
        fmt_value(sb, &args[argi++], &f, 0);
    }
    if (argi < nargs) {
        strbuf_addstr(sb, "%!(EXTRA ");
        for (int k = argi; k < nargs; k++) {
            if (k > argi)
                strbuf_addstr(sb, ", ");
            strbuf_addstr(sb, gofmt_type_name(&args[k]));
            strbuf_addch(sb, '=');
            print_v(sb, &args[k], 0);
        }
        strbuf_addch(sb, ')');
    }
}
