#include "api/metrics.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "compat/promfmt.h"

struct metrics_series {
    struct metrics_series *next; /* next series of the family */
    struct metrics_family *fam;  /* the family it belongs to */
    char **values;               /* owned label values, one per family label */
    double value;                /* counter/gauge value; sum for summary/histogram */
    uint64_t count;              /* observations (summary/histogram) */
    uint64_t *buckets;           /* histogram: non-cumulative counts per bound, +Inf last */
    double *window;              /* summary: ring of recent observations */
    size_t wlen;                 /* filled entries of window */
    size_t wpos;                 /* next slot to overwrite */
};

struct metrics_family {
    struct metrics_family *next;     /* next family of the registry */
    struct metrics_registry *reg;    /* owner, for its lock */
    enum metrics_type type;          /* kind */
    char *name;                      /* owned metric name */
    char *help;                      /* owned help text */
    char **labels;                   /* owned label names */
    size_t nlabels;                  /* their count */
    double *bounds;                  /* owned bucket bounds or quantiles */
    size_t nbounds;                  /* their count */
    struct metrics_series *series;   /* owned series, newest first */
};

struct metrics_registry {
    pthread_mutex_t mu;              /* guards everything below and all values */
    struct metrics_family *families; /* owned, newest first */
};

struct metrics_registry *metrics_registry_new(void)
{
    struct metrics_registry *r = xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

static void series_free(struct metrics_series *s, size_t nlabels)
{
    for (size_t i = 0; i < nlabels; i++)
        free(s->values[i]);
    free(s->values);
    free(s->buckets);
    free(s->window);
    free(s);
}

void metrics_registry_free(struct metrics_registry *r)
{
    if (!r)
        return;
    struct metrics_family *f = r->families;
    while (f) {
        struct metrics_family *fn = f->next;
        struct metrics_series *s = f->series;
        while (s) {
            struct metrics_series *sn = s->next;
            series_free(s, f->nlabels);
            s = sn;
        }
        for (size_t i = 0; i < f->nlabels; i++)
            free(f->labels[i]);
        free(f->labels);
        free(f->bounds);
        free(f->name);
        free(f->help);
        free(f);
        f = fn;
    }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static size_t count_names(const char *const *names)
{
    size_t n = 0;
    while (names && names[n])
        n++;
    return n;
}

struct metrics_family *metrics_family(struct metrics_registry *r, enum metrics_type type, const char *name,
                                      const char *help, const char *const *label_names, const double *bounds,
                                      size_t n)
{
    size_t nl = count_names(label_names);
    pthread_mutex_lock(&r->mu);
    for (struct metrics_family *f = r->families; f; f = f->next) {
        if (strcmp(f->name, name) != 0)
            continue;
        int same = f->type == type && f->nlabels == nl;
        for (size_t i = 0; same && i < nl; i++)
            same = !strcmp(f->labels[i], label_names[i]);
        pthread_mutex_unlock(&r->mu);
        return same ? f : NULL;
    }
    struct metrics_family *f = xcalloc(1, sizeof *f);
    f->reg = r;
    f->type = type;
    f->name = xstrdup(name);
    f->help = xstrdup(help ? help : "");
    f->nlabels = nl;
    f->labels = xcalloc(nl ? nl : 1, sizeof *f->labels);
    for (size_t i = 0; i < nl; i++)
        f->labels[i] = xstrdup(label_names[i]);
    if (type == METRICS_SUMMARY || type == METRICS_HISTOGRAM) {
        f->nbounds = n;
        f->bounds = xcalloc(n ? n : 1, sizeof *f->bounds);
        if (n)
            memcpy(f->bounds, bounds, n * sizeof *bounds);
    }
    f->next = r->families;
    r->families = f;
    pthread_mutex_unlock(&r->mu);
    return f;
}

static int values_equal(const struct metrics_series *s, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->values[i], values[i] ? values[i] : "") != 0)
            return 0;
    return 1;
}

struct metrics_series *metrics_series(struct metrics_family *f, const char *const *label_values)
{
    pthread_mutex_lock(&f->reg->mu);
    struct metrics_series *s = f->series;
    for (; s; s = s->next)
        if (values_equal(s, label_values, f->nlabels))
            break;
    if (!s) {
        s = xcalloc(1, sizeof *s);
        s->fam = f;
        s->values = xcalloc(f->nlabels ? f->nlabels : 1, sizeof *s->values);
        for (size_t i = 0; i < f->nlabels; i++)
            s->values[i] = xstrdup(label_values[i] ? label_values[i] : "");
        if (f->type == METRICS_HISTOGRAM)
            s->buckets = xcalloc(f->nbounds + 1, sizeof *s->buckets);
        if (f->type == METRICS_SUMMARY)
            s->window = xcalloc(METRICS_SUMMARY_WINDOW, sizeof *s->window);
        s->next = f->series;
        f->series = s;
    }
    pthread_mutex_unlock(&f->reg->mu);
    return s;
}

void metrics_series_remove(struct metrics_family *f, const char *const *label_values)
{
    pthread_mutex_lock(&f->reg->mu);
    for (struct metrics_series **pp = &f->series; *pp; pp = &(*pp)->next) {
        if (values_equal(*pp, label_values, f->nlabels)) {
            struct metrics_series *s = *pp;
            *pp = s->next;
            series_free(s, f->nlabels);
            break;
        }
    }
    pthread_mutex_unlock(&f->reg->mu);
}

static void lock(struct metrics_series *s)
{
    pthread_mutex_lock(&s->fam->reg->mu);
}

static void unlock(struct metrics_series *s)
{
    pthread_mutex_unlock(&s->fam->reg->mu);
}

void metrics_add(struct metrics_series *s, double v)
{
    lock(s);
    s->value += v;
    unlock(s);
}

void metrics_set(struct metrics_series *s, double v)
{
    lock(s);
    s->value = v;
    unlock(s);
}

double metrics_value(struct metrics_series *s)
{
    lock(s);
    double v = s->value;
    unlock(s);
    return v;
}

void metrics_observe(struct metrics_series *s, double v)
{
    const struct metrics_family *f = s->fam;
    lock(s);
    s->value += v;
    s->count++;
    if (s->buckets) {
        size_t i = 0;
        while (i < f->nbounds && v > f->bounds[i])
            i++;
        s->buckets[i]++;
    }
    if (s->window) {
        s->window[s->wpos] = v;
        s->wpos = (s->wpos + 1) % METRICS_SUMMARY_WINDOW;
        if (s->wlen < METRICS_SUMMARY_WINDOW)
            s->wlen++;
    }
    unlock(s);
}

/* ---- process metrics ---- */

static struct metrics_series *process_series(struct metrics_registry *r, enum metrics_type t, const char *name,
                                             const char *help)
{
    return metrics_series(metrics_family(r, t, name, help, NULL, NULL, 0), NULL);
}

/* Fields of /proc/self/stat after the command name: utime, stime,
 * starttime (clock ticks), vsize (bytes), rss (pages). */
static int read_proc_stat(double *cpu, double *start_ticks, double *vsize, double *rss_pages)
{
    struct strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, "/proc/self/stat") < 0) {
        strbuf_release(&sb);
        return -1;
    }
    /* The command name may hold spaces and parentheses: fields start
     * after the last ')'. */
    const char *p = strrchr(sb.buf, ')');
    int ok = 0;
    if (p) {
        unsigned long long f[24] = {0};
        int field = 3; /* p+2 is field 3 (state) */
        p += 2;
        while (*p && field <= 24) {
            if (field >= 4)
                f[field - 1] = strtoull(p, NULL, 10);
            while (*p && *p != ' ')
                p++;
            while (*p == ' ')
                p++;
            field++;
        }
        if (field > 24) {
            *cpu = (double)(f[13] + f[14]);
            *start_ticks = (double)f[21];
            *vsize = (double)f[22];
            *rss_pages = (double)f[23];
            ok = 1;
        }
    }
    strbuf_release(&sb);
    return ok ? 0 : -1;
}

static double boot_time(void)
{
    struct strbuf sb = STRBUF_INIT;
    double bt = 0;
    if (strbuf_read_file(&sb, "/proc/stat") == 0) {
        const char *p = strstr(sb.buf, "\nbtime ");
        if (p)
            bt = strtod(p + 7, NULL);
    }
    strbuf_release(&sb);
    return bt;
}

static double open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0;
    double n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the descriptor opendir itself holds */
}

static double rlimit_value(int resource)
{
    struct rlimit rl;
    if (getrlimit(resource, &rl) != 0)
        return 0;
    /* Go reports an unlimited limit as the largest uint64. */
    return rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0 : (double)rl.rlim_cur;
}

void metrics_update_process(struct metrics_registry *r)
{
    double ticks = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);
    double cpu, start, vsize, rss;
    if (read_proc_stat(&cpu, &start, &vsize, &rss) == 0) {
        metrics_set(process_series(r, METRICS_COUNTER, "process_cpu_seconds_total",
                                   "Total user and system CPU time spent in seconds."),
                    cpu / ticks);
        metrics_set(process_series(r, METRICS_GAUGE, "process_start_time_seconds",
                                   "Start time of the process since unix epoch in seconds."),
                    boot_time() + start / ticks);
        metrics_set(process_series(r, METRICS_GAUGE, "process_virtual_memory_bytes",
                                   "Virtual memory size in bytes."),
                    vsize);
        metrics_set(process_series(r, METRICS_GAUGE, "process_resident_memory_bytes",
                                   "Resident memory size in bytes."),
                    rss * page);
    }
    metrics_set(process_series(r, METRICS_GAUGE, "process_open_fds", "Number of open file descriptors."),
                open_fds());
    metrics_set(process_series(r, METRICS_GAUGE, "process_max_fds", "Maximum number of open file descriptors."),
                rlimit_value(RLIMIT_NOFILE));
    metrics_set(process_series(r, METRICS_GAUGE, "process_virtual_memory_max_bytes",
                               "Maximum amount of virtual memory available in bytes."),
                rlimit_value(RLIMIT_AS));
}

/* ---- exposition ---- */

static const char *type_name(enum metrics_type t)
{
    switch (t) {
    case METRICS_COUNTER:
        return "counter";
    case METRICS_GAUGE:
        return "gauge";
    case METRICS_SUMMARY:
        return "summary";
    case METRICS_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

/* HELP text escapes backslash and newline; label values also the quote. */
static void escape(struct strbuf *out, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            strbuf_addstr(out, "\\\\");
        else if (*s == '\n')
            strbuf_addstr(out, "\\n");
        else if (quote && *s == '"')
            strbuf_addstr(out, "\\\"");
        else
            strbuf_addch(out, *s);
    }
}

static void write_float(struct strbuf *out, double v)
{
    promfmt_go_float(out, v, 'g');
}

/* name{labels,extra="x"} value */
static void write_sample(struct strbuf *out, const struct metrics_family *f, const struct metrics_series *s,
                         const char *suffix, const char *extra_name, double extra_value, double v)
{
    strbuf_addstr(out, f->name);
    strbuf_addstr(out, suffix);
    if (f->nlabels || extra_name) {
        strbuf_addch(out, '{');
        for (size_t i = 0; i < f->nlabels; i++) {
            if (i)
                strbuf_addch(out, ',');
            strbuf_addf(out, "%s=\"", f->labels[i]);
            escape(out, s->values[i], 1);
            strbuf_addch(out, '"');
        }
        if (extra_name) {
            if (f->nlabels)
                strbuf_addch(out, ',');
            strbuf_addf(out, "%s=\"", extra_name);
            write_float(out, extra_value);
            strbuf_addch(out, '"');
        }
        strbuf_addch(out, '}');
    }
    strbuf_addch(out, ' ');
    write_float(out, v);
    strbuf_addch(out, '\n');
}

static int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void write_series(struct strbuf *out, const struct metrics_family *f, const struct metrics_series *s)
{
    switch (f->type) {
    case METRICS_COUNTER:
    case METRICS_GAUGE:
        write_sample(out, f, s, "", NULL, 0, s->value);
        break;
    case METRICS_SUMMARY: {
        double sorted[METRICS_SUMMARY_WINDOW];
        memcpy(sorted, s->window, s->wlen * sizeof *sorted);
        qsort(sorted, s->wlen, sizeof *sorted, double_cmp);
        for (size_t i = 0; i < f->nbounds; i++) {
            double q = f->bounds[i], v = NAN;
            if (s->wlen) {
                /* nearest rank */
                double rank = ceil(q * (double)s->wlen);
                size_t k = rank < 1 ? 0 : (size_t)rank - 1;
                v = sorted[k < s->wlen ? k : s->wlen - 1];
            }
            write_sample(out, f, s, "", "quantile", q, v);
        }
        write_sample(out, f, s, "_sum", NULL, 0, s->value);
        write_sample(out, f, s, "_count", NULL, 0, (double)s->count);
        break;
    }
    case METRICS_HISTOGRAM: {
        uint64_t cum = 0;
        for (size_t i = 0; i <= f->nbounds; i++) {
            cum += s->buckets[i];
            write_sample(out, f, s, "_bucket", "le", i < f->nbounds ? f->bounds[i] : INFINITY, (double)cum);
        }
        write_sample(out, f, s, "_sum", NULL, 0, s->value);
        write_sample(out, f, s, "_count", NULL, 0, (double)s->count);
        break;
    }
    }
}

static int family_cmp(const void *a, const void *b)
{
    return strcmp((*(struct metrics_family *const *)a)->name, (*(struct metrics_family *const *)b)->name);
}

static int series_cmp(const void *a, const void *b, void *nlabels)
{
    size_t series_cmp_nlabels = *(const size_t *)nlabels;
    const struct metrics_series *x = *(struct metrics_series *const *)a;
    const struct metrics_series *y = *(struct metrics_series *const *)b;
    for (size_t i = 0; i < series_cmp_nlabels; i++) {
        int c = strcmp(x->values[i], y->values[i]);
        if (c)
            return c;
    }
    return 0;
}

void metrics_render(struct metrics_registry *r, struct strbuf *out)
{
    pthread_mutex_lock(&r->mu);
    size_t nf = 0;
    for (struct metrics_family *f = r->families; f; f = f->next)
        nf++;
    struct metrics_family **fams = xcalloc(nf ? nf : 1, sizeof *fams);
    nf = 0;
    for (struct metrics_family *f = r->families; f; f = f->next)
        fams[nf++] = f;
    qsort(fams, nf, sizeof *fams, family_cmp);
    for (size_t i = 0; i < nf; i++) {
        const struct metrics_family *f = fams[i];
        size_t ns = 0;
        for (struct metrics_series *s = f->series; s; s = s->next)
            ns++;
        if (!ns)
            continue; /* client_golang omits families without series */
        struct metrics_series **ser = xcalloc(ns, sizeof *ser);
        ns = 0;
        for (struct metrics_series *s = f->series; s; s = s->next)
            ser[ns++] = s;
        size_t nl = f->nlabels;
        qsort_r(ser, ns, sizeof *ser, series_cmp, &nl);
        strbuf_addf(out, "# HELP %s ", f->name);
        escape(out, f->help, 0);
        strbuf_addf(out, "\n# TYPE %s %s\n", f->name, type_name(f->type));
        for (size_t j = 0; j < ns; j++)
            write_series(out, f, ser[j]);
        free(ser);
    }
    free(fams);
    pthread_mutex_unlock(&r->mu);
}
