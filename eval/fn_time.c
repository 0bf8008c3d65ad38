/* fn_time: time() and the calendar functions (UTC), as Prometheus's dateWrapper. */
#include <math.h>
#include <time.h>

#include "eval/fn.h"

int fn_time(struct fn_args *fa, struct value *out)
{
    out->type = VALUE_SCALAR;
    out->u.scalar.v = (double)fa->t / 1000;
    out->u.scalar.prov = NULL;
    return 0;
}

/* start(), end(), range(), step(): the top-level query's parameters, in seconds. */
int fn_query_time(struct fn_args *fa, struct value *out)
{
    const struct ev *ev = fa->ev;
    double v = 0;
    switch (fa->call->u.call.fn->id) {
    case FN_START: v = (double)ev->qstart / 1000; break;
    case FN_END: v = (double)ev->qend / 1000; break;
    case FN_RANGE: v = (double)(ev->qend - ev->qstart) / 1000; break;
    default: v = ev->qstart != ev->qend ? (double)ev->qstep / 1000 : 0; break;
    }
    out->type = VALUE_SCALAR;
    out->u.scalar.v = v;
    out->u.scalar.prov = NULL;
    return 0;
}

static double calendar(enum fn_id id, int64_t secs)
{
    time_t tt = (time_t)secs;
    struct tm tm;
    gmtime_r(&tt, &tm);
    switch (id) {
    case FN_DAYS_IN_MONTH: {
        static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int y = tm.tm_year + 1900;
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return dim[tm.tm_mon] + (tm.tm_mon == 1 && leap);
    }
    case FN_DAY_OF_MONTH: return tm.tm_mday;
    case FN_DAY_OF_WEEK: return tm.tm_wday;
    case FN_DAY_OF_YEAR: return tm.tm_yday + 1;
    case FN_HOUR: return tm.tm_hour;
    case FN_MINUTE: return tm.tm_min;
    case FN_MONTH: return tm.tm_mon + 1;
    case FN_YEAR: return tm.tm_year + 1900;
    default: return NAN;
    }
}

/* Go's int64(f) on amd64: out-of-range and NaN give the minimum int64. */
static int64_t go_int64(double f)
{
    if (isnan(f) || f >= 9223372036854775807.0 || f < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)f;
}

int fn_date(struct fn_args *fa, struct value *out)
{
    enum fn_id id = fa->call->u.call.fn->id;
    if (fa->nargs == 0) {
        struct vector v = fn_out_vec(fa, 1);
        v.s[0].ls = labels_empty(&fa->ev->lt);
        v.s[0].v = calendar(id, fa->t / 1000);
        v.s[0].t_ms = fa->t;
        v.s[0].prov = NULL;
        v.s[0].drop_name = false;
        v.n = 1;
        out->type = VALUE_VECTOR;
        out->u.vec = v;
        return 0;
    }
    const struct vector *in = &fa->args[0].u.vec;
    struct vector v = fn_out_vec(fa, in->n);
    for (size_t i = 0; i < in->n; i++) {
        v.s[i] = in->s[i];
        v.s[i].v = calendar(id, go_int64(in->s[i].v));
        v.s[i].t_ms = fa->t;
        ev_drop_name(fa->ev, &v.s[i]);
    }
    v.n = in->n;
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}
