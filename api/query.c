#include "api/query.h"

#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/diag.h"
#include "eval/engine.h"
#include "eval/histogram.h"
#include "eval/labels.h"
#include "eval/storage.h"
#include "eval/value.h"
#include "grammar/parse.h"

static enum api_error_type error_type(enum eval_error_type t)
{
    switch (t) {
    case EVAL_ERR_BAD_DATA:
        return API_ERR_BAD_DATA;
    case EVAL_ERR_EXECUTION:
        return API_ERR_EXECUTION;
    case EVAL_ERR_TIMEOUT:
        return API_ERR_TIMEOUT;
    case EVAL_ERR_CANCELED:
        return API_ERR_CANCELED;
    case EVAL_ERR_UNAVAILABLE:
        return API_ERR_UNAVAILABLE;
    default:
        return API_ERR_INTERNAL;
    }
}

static struct api_labels api_labels_of(struct arena *a, const struct labels *ls)
{
    struct api_label *items = ARENA_NEWN(a, struct api_label, ls->n + 1);
    for (size_t i = 0; i < ls->n; i++) {
        items[i].name = ls->l[i].name;
        items[i].value = ls->l[i].value;
    }
    return (struct api_labels){items, ls->n};
}

static const char *const *annotation_texts(struct arena *a, const struct engine_annot *an, size_t n)
{
    const char **t = ARENA_NEWN(a, const char *, n + 1);
    for (size_t i = 0; i < n; i++)
        t[i] = an[i].full ? an[i].full : an[i].msg;
    return t;
}

/* A result point; a histogram is copied into a, since a raw one may live in
 * a datasource's fetch cache, which can end before the answer is written. */
static struct api_point point(struct arena *a, int64_t t, double v, const struct histogram *h)
{
    return (struct api_point){t, v, h ? histogram_copy(a, h) : NULL};
}

static void from_matrix(struct arena *a, const struct matrix *m, struct api_query_result *out)
{
    struct api_series *s = ARENA_NEWN(a, struct api_series, m->n + 1);
    for (size_t i = 0; i < m->n; i++) {
        struct api_point *p = ARENA_NEWN(a, struct api_point, m->s[i].n + 1);
        for (size_t k = 0; k < m->s[i].n; k++)
            p[k] = point(a, m->s[i].pts[k].t_ms, m->s[i].pts[k].v, m->s[i].pts[k].h);
        s[i] = (struct api_series){api_labels_of(a, m->s[i].ls), p, m->s[i].n, NULL};
    }
    out->type = API_VALUE_MATRIX;
    out->series = s;
    out->nseries = m->n;
}

struct ast_node *api_query_parse(const char *q, struct arena *a, struct api_error *err)
{
    struct diag_list dl;
    diag_list_init(&dl);
    size_t len = strlen(q);
    struct ast_node *ast = parse_expr(q, len, a, NULL, &dl);
    if (!ast) {
        const char *msg = dl.len ? dl.items[0].msg : "invalid expression";
        if (len == 0) {
            api_error_set(err, API_ERR_BAD_DATA, "invalid parameter \"query\": unknown position: parse error: %s", msg);
        } else {
            int line = 1, col = 1;
            diag_line_col(q, len, dl.len ? dl.items[0].span.start : 0, &line, &col);
            api_error_set(err, API_ERR_BAD_DATA, "invalid parameter \"query\": %d:%d: parse error: %s", line, col,
                          msg);
        }
    }
    diag_list_release(&dl);
    return ast;
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int api_query_run(struct storage *st, const struct engine_opts *eo, const struct api_query_request *req,
                  struct arena *a, struct api_query_result *out, struct api_error *err)
{
    memset(out, 0, sizeof *out);
    const char *q = req->query ? req->query : "";
    double t0 = mono_seconds();
    struct ast_node *ast = api_query_parse(q, a, err);
    if (!ast)
        return -1;
    double t1 = mono_seconds();
    struct engine_opts o = *eo;
    if (req->lookback_delta > 0)
        o.lookback_ms = req->lookback_delta;
    if (req->timeout > 0)
        o.timeout_ms = req->timeout;
    struct engine_query eq = {ast, q, strlen(q)};
    struct engine_result res;
    memset(&res, 0, sizeof res);
    int rc = req->range ? engine_eval_range(st, &o, &eq, req->start, req->end, req->step, a, &res)
                        : engine_eval_instant(st, &o, &eq, req->time, a, &res);
    if (rc != 0) {
        api_error_set(err, error_type(res.err.type), "%s", res.err.msg);
        return -1;
    }
    double t2 = mono_seconds();
    switch (res.v.type) {
    case VALUE_VECTOR: {
        const struct vector *v = &res.v.u.vec;
        struct api_series *s = ARENA_NEWN(a, struct api_series, v->n + 1);
        for (size_t i = 0; i < v->n; i++) {
            struct api_point *p = ARENA_NEW(a, struct api_point);
            *p = point(a, req->time, v->s[i].v, v->s[i].h);
            s[i] = (struct api_series){api_labels_of(a, v->s[i].ls), p, 1, NULL};
        }
        out->type = API_VALUE_VECTOR;
        out->series = s;
        out->nseries = v->n;
        break;
    }
    case VALUE_MATRIX:
        engine_sort_matrix(&res.v.u.mat);
        from_matrix(a, &res.v.u.mat, out);
        break;
    case VALUE_SCALAR:
        out->type = API_VALUE_SCALAR;
        out->scalar = (struct api_point){req->time, res.v.u.scalar.v, NULL};
        break;
    case VALUE_STRING:
        out->type = API_VALUE_STRING;
        out->scalar.t = req->time;
        out->string = res.v.u.str;
        break;
    default:
        api_error_set(err, API_ERR_INTERNAL, "unexpected result type");
        return -1;
    }
    out->warnings = annotation_texts(a, res.ann.warn, res.ann.nwarn);
    out->nwarnings = res.ann.nwarn;
    out->infos = annotation_texts(a, res.ann.info, res.ann.ninfo);
    out->ninfos = res.ann.ninfo;
    double t3 = mono_seconds();
    out->stats = (struct api_query_stats){t1 - t0, t2 - t1, t3 - t2, t3 - t0, (int64_t)res.samples_read};
    return 0;
}
