/* lint_online: selector observations from a Prometheus-compatible backend. */
#include "rules/lint_online.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "compat/datasource.h"
#include "rules/lint.h"

#define BATCH 256 /* queries in flight at once */

struct lint_online {
    struct datasource *ds;  /* the client */
    int64_t now_ms;         /* evaluation time of every query */
    struct lint_backend be; /* the interface handed to lint_run */
};

/* Decoding state of one query. */
struct obs_acc {
    struct lint_obs *obs; /* where the result goes */
    int64_t now_ms;
    int64_t last;  /* previous sample of the current series (INT64_MIN: none) */
    int64_t *gaps; /* gaps of the current series */
    size_t ngaps, capgaps;
    int64_t newest; /* newest sample over all series */
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int on_series_start(void *ctx, const struct promjson_label *l, size_t n)
{
    (void)l;
    (void)n;
    struct obs_acc *a = ctx;
    a->last = INT64_MIN;
    a->ngaps = 0;
    return 0;
}

static int on_sample(void *ctx, int64_t t, double v)
{
    (void)v;
    struct obs_acc *a = ctx;
    if (a->last != INT64_MIN && t > a->last) {
        XGROW(a->gaps, a->capgaps, a->ngaps + 1);
        a->gaps[a->ngaps++] = t - a->last;
    }
    a->last = t;
    if (t > a->newest)
        a->newest = t;
    return 0;
}

static int on_series_end(void *ctx)
{
    struct obs_acc *a = ctx;
    if (a->last == INT64_MIN)
        return 0;
    a->obs->nseries++;
    if (a->ngaps) {
        qsort(a->gaps, a->ngaps, sizeof *a->gaps, cmp_i64);
        int64_t med = a->gaps[a->ngaps / 2];
        if (med > a->obs->cadence_ms)
            a->obs->cadence_ms = med;
    }
    return 0;
}

static int observe(void *ctx, const char *const *sels, size_t n, struct lint_obs *obs, char *err,
                   size_t errlen)
{
    struct lint_online *o = ctx;
    struct strbuf win = STRBUF_INIT;
    lint_format_duration(&win, o->be.window_ms);
    int rc = 0;
    for (size_t base = 0; base < n && rc == 0; base += BATCH) {
        size_t m = n - base < BATCH ? n - base : BATCH;
        struct datasource_query *q = xcalloc(m, sizeof *q);
        struct obs_acc *acc = xcalloc(m, sizeof *acc);
        char **texts = xcalloc(m, sizeof *texts);
        for (size_t i = 0; i < m; i++) {
            struct strbuf sb = STRBUF_INIT;
            strbuf_addf(&sb, "%s[%s]", sels[base + i], win.buf);
            texts[i] = strbuf_detach(&sb);
            obs[base + i] = (struct lint_obs){0};
            acc[i] = (struct obs_acc){.obs = &obs[base + i], .now_ms = o->now_ms, .newest = INT64_MIN};
            q[i].query = texts[i];
            q[i].time_ms = o->now_ms;
            q[i].cb = (struct promjson_callbacks){.ctx = &acc[i],
                                                  .series_start = on_series_start,
                                                  .sample = on_sample,
                                                  .series_end = on_series_end};
        }
        if (datasource_run(o->ds, q, m) < 0) {
            for (size_t i = 0; i < m; i++)
                if (q[i].err.type != PROMJSON_OK) {
                    snprintf(err, errlen, "query %s failed (%s): %s", texts[i],
                             promjson_errtype_name(q[i].err.type), q[i].err.msg);
                    break;
                }
            rc = -1;
        } else {
            for (size_t i = 0; i < m; i++) {
                obs[base + i].answered = true;
                if (acc[i].obs->nseries)
                    obs[base + i].newest_age_ms = o->now_ms - acc[i].newest;
            }
        }
        for (size_t i = 0; i < m; i++) {
            free(texts[i]);
            free(acc[i].gaps);
        }
        free(texts);
        free(acc);
        free(q);
    }
    strbuf_release(&win);
    return rc;
}

struct lint_online *lint_online_new(const char *url, int64_t now_ms, int64_t window_ms, char *err,
                                    size_t errlen)
{
    struct datasource_config cfg = {.url = url};
    struct promjson_error e = {0};
    struct datasource *ds = datasource_new(&cfg, &e);
    if (!ds) {
        snprintf(err, errlen, "datasource %s: %s", url, e.msg);
        return NULL;
    }
    struct lint_online *o = xcalloc(1, sizeof *o);
    o->ds = ds;
    o->now_ms = now_ms;
    o->be = (struct lint_backend){observe, o, window_ms > 0 ? window_ms : 30 * 60000};
    return o;
}

const struct lint_backend *lint_online_backend(struct lint_online *o)
{
    return &o->be;
}

void lint_online_free(struct lint_online *o)
{
    if (!o)
        return;
    datasource_free(o->ds);
    free(o);
}
