/* heed query (--datasource URL | --series FILE [--series-start T])
 *            [--time T | --start T --end T --step D] [--lookback-delta D] [--timeout D] EXPR
 * Evaluates one expression with heed's engine and prints exactly the JSON of
 * Prometheus's /api/v1/query or /api/v1/query_range; an error prints the
 * error body and exits 1. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/json.h"
#include "api/params.h"
#include "api/query.h"
#include "api/render.h"
#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "cmd/cmd.h"
#include "cmd/cmd_flags.h"
#include "compat/datasource.h"
#include "compat/seriesfile.h"
#include "eval/engine.h"
#include "eval/memstore.h"

static const char usage[] =
    "heed query (--datasource URL [--bearer-token-file F] | --series FILE [--series-start T])\n"
    "           [--time T | --start T --end T --step D] [--lookback-delta D] [--timeout D] EXPR";

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int print_error(const struct api_error *e)
{
    struct strbuf sb = STRBUF_INIT;
    json_error_body(&sb, e);
    printf("%s\n", sb.buf);
    strbuf_release(&sb);
    return 1;
}

int cmd_query(int argc, char **argv)
{
    const char *series = NULL, *series_start = NULL, *t = NULL, *start = NULL, *end = NULL, *step = NULL;
    const char *lookback = NULL, *timeout = NULL, *expr = NULL, *datasource = NULL, *token = NULL;
    const struct cmd_flag flags[] = {
        CMD_FLAG("--series", &series), CMD_FLAG("--datasource", &datasource), CMD_FLAG("--bearer-token-file", &token),
        CMD_FLAG("--series-start", &series_start), CMD_FLAG("--time", &t), CMD_FLAG("--start", &start), CMD_FLAG("--end", &end),
        CMD_FLAG("--step", &step), CMD_FLAG("--lookback-delta", &lookback), CMD_FLAG("--timeout", &timeout), {.name = NULL},
    };
    const struct cmd_flags_free free_arg = {&expr, "one expression only (quote it)"};
    int done = cmd_flags_parse(argc, argv, flags, &free_arg, usage);
    if (done >= 0)
        return done;
    if (!expr)
        return cmd_usage_error(usage, "no expression given");
    if (!series == !datasource)
        return cmd_usage_error(usage, "give either --datasource URL or --series FILE");
    if (t && (start || end || step))
        return cmd_usage_error(usage, "--time and --start/--end/--step exclude each other");
    if ((start || end || step) && !(start && end && step))
        return cmd_usage_error(usage, "a range query needs --start, --end and --step");

    struct arena a;
    arena_init(&a, 64 * 1024);
    struct api_query_request req = {.query = expr, .range = start != NULL, .time = now_ms()};
    struct api_error err = {0};
    const char *msg = NULL;
    int64_t series_start_ms = 0;
    int rc = 2;
    if ((t && api_parse_time(t, &req.time) < 0) || (start && api_parse_time(start, &req.start) < 0) ||
        (end && api_parse_time(end, &req.end) < 0) ||
        (series_start && api_parse_time(series_start, &series_start_ms) < 0)) {
        rc = cmd_usage_error(usage, "cannot parse a time: use Unix seconds or RFC 3339");
        goto out;
    }
    if ((step && api_parse_duration(&a, step, &req.step, &msg) < 0) ||
        (lookback && api_parse_duration(&a, lookback, &req.lookback_delta, &msg) < 0) ||
        (timeout && api_parse_duration(&a, timeout, &req.timeout, &msg) < 0)) {
        rc = cmd_usage_error(usage, "%s", msg);
        goto out;
    }
    if (req.range && api_query_check_range(&req, &err) < 0) {
        rc = print_error(&err);
        goto out;
    }

    struct memstore ms;
    memstore_init(&ms);
    struct datasource *ds = NULL;
    struct storage *st = &ms.iface;
    struct strbuf src = STRBUF_INIT;
    struct diag_list dl;
    diag_list_init(&dl);
    struct seriesfile_stats sst;
    if (datasource) {
        struct datasource_config cfg = {.url = datasource, .bearer_token_file = token};
        if (req.lookback_delta > 0)
            cfg.lookback_ms = req.lookback_delta;
        struct promjson_error perr = {0};
        ds = datasource_new(&cfg, &perr);
        if (!ds) {
            rc = cmd_usage_error(usage, "%s", perr.msg);
            goto done;
        }
        st = datasource_storage(ds);
    } else if (strbuf_read_file(&src, series) != 0) {
        perror(series);
        rc = 2;
        goto done;
    } else if (seriesfile_load(&ms, series, src.buf, src.len, series_start_ms, &sst, &dl) != 0) {
        struct strbuf out = STRBUF_INIT;
        for (size_t i = 0; i < dl.len; i++)
            diag_render(&out, &dl.items[i], src.buf, src.len, 1);
        fputs(out.buf, stderr);
        strbuf_release(&out);
        rc = 2;
        goto done;
    }
    struct engine_opts eo = {0};
    struct api_query_result res;
    if (api_query_run(st, &eo, &req, &a, &res, &err) != 0) {
        rc = print_error(&err);
    } else {
        struct strbuf body = STRBUF_INIT;
        struct json_writer w;
        json_init(&w, &body);
        api_render_query_result(&w, &res, res.nseries, res.warnings, res.nwarnings);
        printf("%s\n", body.buf);
        strbuf_release(&body);
        rc = 0;
    }
    if (ds)
        datasource_end_eval(ds);
done:
    if (ds)
        datasource_free(ds);
    diag_list_release(&dl);
    strbuf_release(&src);
    memstore_release(&ms);
out:
    arena_release(&a);
    return rc;
}
