#include "compat/seriesfile.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "eval/labels.h"
#include "eval/memstore.h"
#include "eval/value.h"
#include "grammar/parse.h"

struct loader {
    struct memstore *ms;
    const char *name;
    const char *src;
    size_t len;
    struct seriesfile_stats *st;
    struct diag_list *diags;
    struct arena a; /* per-line scratch */
};

static void add_sample(struct loader *l, struct memstore_series *s, int64_t t_ms, double v)
{
    memstore_append(s, t_ms, v);
    l->st->samples++;
    if (t_ms < l->st->min_ms)
        l->st->min_ms = t_ms;
    if (t_ms > l->st->max_ms)
        l->st->max_ms = t_ms;
}

static struct memstore_series *series_of(struct loader *l, const struct parse_series *ps)
{
    struct label *ls = ARENA_NEWN(&l->a, struct label, ps->nlabels + 1);
    for (size_t i = 0; i < ps->nlabels; i++)
        ls[i] = (struct label){ps->names[i], ps->values[i]};
    size_t before = l->ms->n;
    struct memstore_series *s = memstore_series_get(l->ms, ls, ps->nlabels);
    if (l->ms->n != before)
        l->st->series++;
    return s;
}

/* Parses one line's series description, reporting errors at the line. */
static int parse_line(struct loader *l, size_t off, size_t n, struct parse_series *ps)
{
    struct diag_list dl;
    diag_list_init(&dl);
    int rc = parse_series_desc(l->src + off, n, &l->a, ps, &dl);
    if (rc != 0) {
        uint32_t at = (uint32_t)off + (dl.len ? dl.items[0].span.start : 0);
        diag_add(l->diags, DIAG_SYNTAX, (struct span){at, at + 1}, l->name, "%s",
                 dl.len ? dl.items[0].msg : "invalid series line");
    }
    diag_list_release(&dl);
    return rc;
}

static bool starts_with(const char *p, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && !memcmp(p, w, k);
}

int seriesfile_load(struct memstore *ms, const char *name, const char *src, size_t len, int64_t start_ms,
                    struct seriesfile_stats *st, struct diag_list *diags)
{
    struct loader l = {ms, name, src, len, st, diags, {0}};
    st->series = st->samples = 0;
    st->min_ms = INT64_MAX;
    st->max_ms = INT64_MIN;
    arena_init(&l.a, 16 * 1024);
    /* OpenMetrics ends with "# EOF": its timestamps are seconds. */
    bool openmetrics = false;
    for (size_t i = 0; i + 5 <= len; i++)
        if ((i == 0 || src[i - 1] == '\n') && !memcmp(src + i, "# EOF", 5))
            openmetrics = true;
    int64_t step_ms = -1; /* inside a load block when >= 0 */
    int rc = 0;
    size_t off = 0;
    while (off < len) {
        size_t eol = off;
        while (eol < len && src[eol] != '\n')
            eol++;
        size_t b = off, e = eol;
        while (b < e && (src[b] == ' ' || src[b] == '\t' || src[b] == '\r'))
            b++;
        while (e > b && (src[e - 1] == ' ' || src[e - 1] == '\t' || src[e - 1] == '\r'))
            e--;
        size_t n = e - b;
        off = eol + 1;
        struct arena_mark m = arena_mark(&l.a);
        if (n == 0 || src[b] == '#')
            continue;
        if (starts_with(src + b, n, "load ")) {
            const char *d = src + b + 5;
            size_t dn = n - 5;
            while (dn && *d == ' ')
                d++, dn--;
            if (parse_duration(d, dn, &step_ms) != 0 || step_ms <= 0) {
                diag_add(diags, DIAG_SYNTAX, (struct span){(uint32_t)b, (uint32_t)e}, name,
                         "invalid step in load command: %.*s", (int)dn, d);
                rc = -1;
                step_ms = -1;
            }
            continue;
        }
        struct parse_series ps;
        if (parse_line(&l, b, n, &ps) != 0) {
            rc = -1;
            continue;
        }
        struct memstore_series *s = series_of(&l, &ps);
        if (step_ms >= 0) {
            memstore_series_reserve(s, ps.nsamples); /* a whole load line at once, no doubling's slack */
            for (size_t i = 0; i < ps.nsamples; i++) {
                if (ps.samples[i].kind == PARSE_SAMPLE_OMITTED)
                    continue;
                double v = ps.samples[i].kind == PARSE_SAMPLE_STALE ? value_stale_nan() : ps.samples[i].value;
                add_sample(&l, s, start_ms + (int64_t)i * step_ms, v);
            }
        } else if (ps.nsamples != 2 || ps.samples[0].kind == PARSE_SAMPLE_OMITTED ||
                   ps.samples[1].kind != PARSE_SAMPLE_VALUE || !isfinite(ps.samples[1].value)) {
            diag_add(diags, DIAG_SYNTAX, (struct span){(uint32_t)b, (uint32_t)e}, name,
                     "expected 'metric{labels} value timestamp' (or a 'load <step>' block before series notation)");
            rc = -1;
        } else {
            double ts = ps.samples[1].value;
            int64_t t_ms = openmetrics ? (int64_t)llround(ts * 1000) : (int64_t)llround(ts);
            double v = ps.samples[0].kind == PARSE_SAMPLE_STALE ? value_stale_nan() : ps.samples[0].value;
            add_sample(&l, s, t_ms, v);
        }
        arena_reset(&l.a, m);
    }
    arena_release(&l.a);
    return rc;
}
