/* /api/v1/query and /api/v1/query_range: parameters parsed and checked as
 * Prometheus does (web/api/v1/api.go query, queryRange, parseTime,
 * parseDuration), the query itself run by the provider's engine, the result
 * written in Prometheus's vector/matrix/scalar/string shapes. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/handlers.h"
#include "api/params.h"
#include "api/query.h"
#include "api/render.h"
#include "api/server.h"
#include "grammar/ast.h"
#include "grammar/parse.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void bad_param(struct api_request *r, const char *param, const char *msg)
{
    struct api_error e;
    api_error_set(&e, API_ERR_BAD_DATA, "invalid parameter \"%s\": %s", param, msg);
    api_reply_error(r, &e);
}

static int opt_str(const char *s)
{
    return s && s[0];
}

/* The parameters both endpoints share: limit, timeout, lookback_delta. */
static int common_params(struct api_request *r, struct api_query_request *q)
{
    const char *limit = api_param(r, "limit");
    if (opt_str(limit)) {
        char *end;
        errno = 0;
        long long v = strtoll(limit, &end, 10);
        if (*end || errno) {
            bad_param(r, "limit",
                      arena_printf(&r->arena, "strconv.Atoi: parsing \"%s\": %s", limit,
                                   errno ? "value out of range" : "invalid syntax"));
            return -1;
        }
        if (v < 0) {
            bad_param(r, "limit", "limit must be non-negative");
            return -1;
        }
        q->limit = v;
    }
    return 0;
}

static int timeout_and_opts(struct api_request *r, struct api_query_request *q)
{
    const char *msg;
    const char *to = api_param(r, "timeout");
    if (opt_str(to) && api_parse_duration(&r->arena, to, &q->timeout, &msg) < 0) {
        bad_param(r, "timeout", msg);
        return -1;
    }
    const char *lb = api_param(r, "lookback_delta");
    if (opt_str(lb) && api_parse_duration(&r->arena, lb, &q->lookback_delta, &msg) < 0) {
        struct api_error e;
        api_error_set(&e, API_ERR_BAD_DATA, "error parsing lookback delta duration: %s", msg);
        api_reply_error(r, &e);
        return -1;
    }
    return 0;
}

static void render_labels_series(struct json_writer *w, const struct api_series *s, int matrix)
{
    json_object_begin(w);
    json_key(w, "metric");
    json_labels(w, &s->metric);
    if (matrix) {
        json_key(w, "values");
        json_array_begin(w);
        for (size_t i = 0; i < s->npoints; i++)
            json_sample(w, s->points[i].t, s->points[i].v);
        json_array_end(w);
    } else {
        json_key(w, "value");
        if (s->npoints)
            json_sample(w, s->points[0].t, s->points[0].v);
        else
            json_null(w);
    }
    if (s->fresh) {
        json_key(w, "freshness");
        api_render_freshness(w, s->fresh, 0);
    }
    json_object_end(w);
}

/* "stats" as Prometheus writes it (util/stats QueryStats), with what heed
 * measures; see struct api_query_stats for what is left out. */
static void render_stats(struct json_writer *w, const struct api_query_stats *st)
{
    json_key(w, "stats");
    json_object_begin(w);
    json_key(w, "timings");
    json_object_begin(w);
    json_key(w, "evalTotalTime");
    json_float(w, st->total);
    json_key(w, "resultSortTime");
    json_float(w, st->result_sort);
    json_key(w, "queryPreparationTime");
    json_float(w, st->preparation);
    json_key(w, "innerEvalTime");
    json_float(w, st->inner_eval);
    json_key(w, "execQueueTime");
    json_float(w, 0);
    json_key(w, "execTotalTime");
    json_float(w, st->total);
    json_object_end(w);
    json_key(w, "samples");
    json_object_begin(w);
    json_key(w, "totalQueryableSamples");
    json_int(w, st->samples);
    json_object_end(w);
    json_object_end(w);
}

/* The success envelope of a query: resultType, result (the first nseries
 * series), stats when asked, warnings and infos. */
void api_render_query_result(struct json_writer *w, const struct api_query_result *res, size_t nseries,
                             const char *const *warnings, size_t nwarnings)
{
    json_envelope_begin(w);
    json_object_begin(w);
    json_key(w, "resultType");
    json_string(w, api_value_type_name(res->type));
    json_key(w, "result");
    switch (res->type) {
    case API_VALUE_VECTOR:
    case API_VALUE_MATRIX:
        json_array_begin(w);
        for (size_t i = 0; i < nseries; i++)
            render_labels_series(w, &res->series[i], res->type == API_VALUE_MATRIX);
        json_array_end(w);
        break;
    case API_VALUE_SCALAR:
        json_scalar(w, res->scalar.t, res->scalar.v);
        break;
    case API_VALUE_STRING:
        json_string_sample(w, res->scalar.t, res->string);
        break;
    }
    if (res->show_stats)
        render_stats(w, &res->stats);
    json_object_end(w);
    json_envelope_end(w, warnings, nwarnings, res->infos, res->ninfos);
}

static void run_query(struct api_request *r, struct api_query_request *q)
{
    const struct api_provider *p = &r->cfg->provider;
    struct api_error err = {0};
    if (!p->query) {
        api_error_set(&err, API_ERR_UNAVAILABLE, "no query engine is configured");
        api_reply_error(r, &err);
        return;
    }
    q->query = api_param(r, "query");
    if (!q->query)
        q->query = "";
    struct api_query_result res;
    memset(&res, 0, sizeof res);
    if (p->query(p->ctx, q, &r->arena, &res, &err) < 0) {
        if (err.type == API_ERR_NONE)
            api_error_set(&err, API_ERR_INTERNAL, "query failed");
        api_reply_error(r, &err);
        return;
    }
    size_t nseries = res.nseries;
    int truncated = 0;
    if (q->limit > 0 && (res.type == API_VALUE_VECTOR || res.type == API_VALUE_MATRIX) &&
        nseries > (size_t)q->limit) {
        nseries = (size_t)q->limit;
        truncated = 1;
    }
    const char **warnings = arena_alloc(&r->arena, (res.nwarnings + 1) * sizeof *warnings);
    for (size_t i = 0; i < res.nwarnings; i++)
        warnings[i] = res.warnings[i];
    size_t nwarn = res.nwarnings;
    if (truncated)
        warnings[nwarn++] = "results truncated due to limit";

    const char *stats = api_param(r, "stats");
    res.show_stats = stats && stats[0];
    struct json_writer w;
    json_init(&w, &r->body);
    api_render_query_result(&w, &res, nseries, warnings, nwarn);
    api_reply_json(r);
}

void api_h_query(struct api_request *r)
{
    struct api_query_request q;
    memset(&q, 0, sizeof q);
    if (common_params(r, &q) < 0)
        return;
    const char *t = api_param(r, "time");
    q.time = now_ms();
    if (opt_str(t) && api_parse_time(t, &q.time) < 0) {
        bad_param(r, "time",
                  arena_printf(&r->arena, "invalid time value for 'time': cannot parse \"%s\" to a valid timestamp",
                               t));
        return;
    }
    if (timeout_and_opts(r, &q) < 0)
        return;
    run_query(r, &q);
}

void api_h_query_range(struct api_request *r)
{
    struct api_query_request q;
    memset(&q, 0, sizeof q);
    q.range = 1;
    if (common_params(r, &q) < 0)
        return;
    const char *names[2] = {"start", "end"};
    int64_t *dst[2] = {&q.start, &q.end};
    for (int i = 0; i < 2; i++) {
        const char *v = api_param(r, names[i]);
        if (!v)
            v = "";
        if (api_parse_time(v, dst[i]) < 0) {
            bad_param(r, names[i], arena_printf(&r->arena, "cannot parse \"%s\" to a valid timestamp", v));
            return;
        }
    }
    const char *step = api_param(r, "step"), *msg;
    if (api_parse_duration(&r->arena, step ? step : "", &q.step, &msg) < 0) {
        bad_param(r, "step", msg);
        return;
    }
    struct api_error e;
    if (api_query_check_range(&q, &e) < 0) {
        api_reply_error(r, &e);
        return;
    }
    if (timeout_and_opts(r, &q) < 0)
        return;
    run_query(r, &q);
}

/* /api/v1/format_query: heed's canonical printer (the same text `heed promql
 * fmt` prints). Prometheus answers with its pretty-printer, which breaks
 * expressions longer than 100 characters over several lines; up to that
 * length the two texts agree, longer ones stay on one line here. */
void api_h_format_query(struct api_request *r)
{
    const char *q = api_param(r, "query");
    struct api_error e = {0};
    struct ast_node *ast = api_query_parse(q ? q : "", &r->arena, &e);
    if (!ast) {
        api_reply_error(r, &e);
        return;
    }
    struct strbuf text = STRBUF_INIT;
    ast_print(&text, ast);
    struct json_writer w;
    json_init(&w, &r->body);
    json_envelope_begin(&w);
    json_stringn(&w, text.buf, text.len);
    json_envelope_end(&w, NULL, 0, NULL, 0);
    strbuf_release(&text);
    api_reply_json(r);
}
