#include "rules/coverage.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"

int coverage_eval(struct storage *st, const struct engine_opts *eo, const struct policy *pol,
                  const struct engine_query *q, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                  struct coverage_result *out, struct eval_error *err)
{
    memset(out, 0, sizeof *out);
    struct fresh_hook h;
    struct engine_opts o = *eo;
    policy_hook(pol, o.lookback_ms ? o.lookback_ms : 5 * 60 * 1000, &h);
    o.fresh = &h;
    o.no_provenance = false;
    struct arena a;
    arena_init(&a, 64 * 1024);
    double sum = 0;
    int rc = 0;
    for (int64_t t = start_ms; t <= end_ms && step_ms > 0; t += step_ms) {
        struct arena_mark m = arena_mark(&a);
        struct engine_result res;
        if (engine_eval_instant(st, &o, q, t, &a, &res) != 0) {
            *err = res.err;
            rc = -1;
            break;
        }
        if (res.v.type == VALUE_SCALAR) {
            out->points++;
            out->missing += isnan(res.v.u.scalar.v);
            if (!isnan(res.v.u.scalar.v)) {
                out->covered++;
                sum += res.v.u.scalar.v;
            }
        } else if (res.v.type == VALUE_VECTOR) {
            /* a step without any series is a step without data */
            if (res.v.u.vec.n == 0) {
                out->points++;
                out->missing++;
            }
            for (size_t i = 0; i < res.v.u.vec.n; i++) {
                const struct vsample *s = &res.v.u.vec.s[i];
                out->points++;
                if (s->prov && s->prov->nnot_fresh)
                    out->untrusted++;
                else if (isnan(s->v))
                    out->missing++;
                else {
                    out->covered++;
                    sum += s->v;
                }
            }
        }
        arena_reset(&a, m);
    }
    arena_release(&a);
    out->mean = out->covered ? sum / (double)out->covered : NAN;
    return rc;
}

void coverage_format(const struct coverage_result *r, char *buf, size_t n)
{
    double cov = r->points ? 100.0 * (double)r->covered / (double)r->points : 0;
    if (!r->covered) {
        snprintf(buf, n, "unknown: no trusted data (%zu points)", r->points);
        return;
    }
    snprintf(buf, n, "%.2f%% over %.1f%% of the time; %.1f%% unknown", 100.0 * r->mean, cov, 100.0 - cov);
}
