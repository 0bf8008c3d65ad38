/* heed fetch: debug view of the datasource client. Sends one query to a
 * Prometheus-compatible API and prints what the streaming decoder made of it;
 * with --exact, fetches a selector's raw samples as the engine's storage
 * interface does (staleness markers reconstructed); with --eval, evaluates
 * the expression with heed's engine over the datasource instead (a planning
 * pass first, so all selectors are fetched in one parallel batch). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "cmd/cmd.h"
#include "compat/datasource.h"
#include "eval/labels.h"
#include "eval/storage.h"
#include "eval/engine.h"
#include "eval/value.h"
#include "grammar/parse.h"

static const char usage[] =
    "heed fetch --datasource URL [--time T] [--exact] [--timeout S] [--retries N]\n"
    "       [--basic-user U --basic-password-file F | --bearer-token-file F]\n"
    "       [--ca-file F] [--cert-file F --key-file F] [--server-name N] [--insecure-skip-verify]\n"
    "       [--header 'Name: value']... [--max-body-bytes N] [--max-series N] [--max-samples N]\n"
    "       [--no-exact-staleness] [--lookback S] [--stats] 'selector[window]'\n"
    "       heed fetch --datasource URL --time T --eval [options] 'expression'";

static void print_value(double v)
{
    if (value_is_stale_nan(v))
        fputs("stale", stdout);
    else if (isnan(v))
        fputs("NaN", stdout);
    else if (isinf(v))
        fputs(v > 0 ? "+Inf" : "-Inf", stdout);
    else
        printf("%.17g", v);
}

static int on_series(void *ctx, const struct promjson_label *l, size_t n)
{
    (void)ctx;
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "series {");
    for (size_t i = 0; i < n; i++) {
        strbuf_addf(&sb, "%s%s=", i ? ", " : "", l[i].name);
        labels_quote(&sb, l[i].value);
    }
    strbuf_addstr(&sb, "}\n");
    fputs(sb.buf, stdout);
    strbuf_release(&sb);
    return 0;
}

static int on_sample(void *ctx, int64_t t, double v)
{
    (void)ctx;
    printf("  %lld ", (long long)t);
    print_value(v);
    putchar('\n');
    return 0;
}

static int on_scalar(void *ctx, int64_t t, double v)
{
    (void)ctx;
    printf("scalar %lld ", (long long)t);
    print_value(v);
    putchar('\n');
    return 0;
}

static int on_string(void *ctx, int64_t t, const char *s, size_t len)
{
    (void)ctx;
    printf("string %lld %.*s\n", (long long)t, (int)len, s);
    return 0;
}

static int on_warning(void *ctx, int is_info, const char *s, size_t len)
{
    (void)ctx;
    printf("%s %.*s\n", is_info ? "info" : "warning", (int)len, s);
    return 0;
}

static int series_cmp(const void *a, const void *b)
{
    return labels_compare(((const struct storage_series *)a)->ls, ((const struct storage_series *)b)->ls);
}

static int vsample_cmp(const void *a, const void *b)
{
    return labels_compare(((const struct vsample *)a)->ls, ((const struct vsample *)b)->ls);
}

static void print_labels(struct strbuf *sb, const struct labels *ls)
{
    strbuf_reset(sb);
    labels_format(sb, ls);
    printf("series %s\n", sb->buf);
}

/* Evaluates expr at t with the engine over the datasource; prints the result
 * in this command's text form (vector sorted by labels). */
static int eval_and_print(struct datasource *ds, const char *expr, int64_t t)
{
    struct arena a;
    arena_init(&a, 0);
    struct diag_list dl;
    diag_list_init(&dl);
    int rc = 0;
    struct ast_node *root = parse_expr(expr, strlen(expr), &a, NULL, &dl);
    if (!root) {
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < dl.len; i++)
            diag_render(&sb, &dl.items[i], expr, strlen(expr), 1);
        fprintf(stderr, "heed: %s", sb.buf);
        strbuf_release(&sb);
        rc = 2;
        goto out;
    }
    struct engine_opts o = {0};
    struct engine_query q = {root, expr, strlen(expr)};
    struct engine_result res = {0};
    struct arena_mark m = arena_mark(&a);
    /* Planning pass: records every select, fetches nothing. */
    engine_eval_instant(datasource_planner(ds), &o, &q, t, &a, &res);
    arena_reset(&a, m);
    memset(&res, 0, sizeof res);
    if (engine_eval_instant(datasource_storage(ds), &o, &q, t, &a, &res) < 0) {
        fprintf(stderr, "heed: evaluation failed (%s): %s\n", eval_error_type_name(res.err.type), res.err.msg);
        rc = 1;
        goto out;
    }
    struct strbuf sb = STRBUF_INIT;
    const struct value *v = &res.v;
    switch (v->type) {
    case VALUE_VECTOR:
        if (v->u.vec.n)
            qsort(v->u.vec.s, v->u.vec.n, sizeof *v->u.vec.s, vsample_cmp);
        for (size_t i = 0; i < v->u.vec.n; i++) {
            print_labels(&sb, v->u.vec.s[i].ls);
            on_sample(NULL, v->u.vec.s[i].t_ms, v->u.vec.s[i].v);
        }
        break;
    case VALUE_MATRIX:
        for (size_t i = 0; i < v->u.mat.n; i++) {
            print_labels(&sb, v->u.mat.s[i].ls);
            for (size_t k = 0; k < v->u.mat.s[i].n; k++)
                on_sample(NULL, v->u.mat.s[i].pts[k].t_ms, v->u.mat.s[i].pts[k].v);
        }
        break;
    case VALUE_SCALAR:
        on_scalar(NULL, t, v->u.scalar.v);
        break;
    case VALUE_STRING:
        on_string(NULL, t, v->u.str, strlen(v->u.str));
        break;
    case VALUE_NONE:
        break;
    }
    for (size_t i = 0; i < res.ann.nwarn; i++)
        fprintf(stderr, "warning %s\n", res.ann.warn[i].full);
    for (size_t i = 0; i < res.ann.ninfo; i++)
        fprintf(stderr, "info %s\n", res.ann.info[i].full);
    strbuf_release(&sb);
out:
    diag_list_release(&dl);
    datasource_end_eval(ds);
    arena_release(&a);
    return rc;
}

static int parse_seconds(const char *s, long *ms_out)
{
    int64_t ms;
    if (promjson_parse_time_ms(s, strlen(s), &ms) < 0 || ms < 0)
        return -1;
    *ms_out = (long)ms;
    return 0;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end)
        return -1;
    *out = (size_t)v;
    return 0;
}

int cmd_fetch(int argc, char **argv)
{
    struct datasource_config cfg = {0};
    const char *headers[32];
    const char *time_s = NULL, *query = NULL;
    int exact = 0, eval = 0, stats = 0;
    static const char *const flags[] = {"--exact", "--insecure-skip-verify", "--no-exact-staleness", "--eval",
                                        "--stats"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            if (query)
                return cmd_usage_error(usage, "one query only");
            query = a;
            continue;
        }
        int is_flag = 0;
        for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
            is_flag |= !strcmp(a, flags[k]);
        if (is_flag) {
            exact |= !strcmp(a, "--exact");
            eval |= !strcmp(a, "--eval");
            stats |= !strcmp(a, "--stats");
            cfg.insecure_skip_verify |= !strcmp(a, "--insecure-skip-verify");
            cfg.no_exact_staleness |= !strcmp(a, "--no-exact-staleness");
            continue;
        }
        if (i + 1 >= argc)
            return cmd_usage_error(usage, "%s needs a value", a);
        const char *v = argv[++i];
        long ms;
        if (!strcmp(a, "--datasource"))
            cfg.url = v;
        else if (!strcmp(a, "--time"))
            time_s = v;
        else if (!strcmp(a, "--timeout") || !strcmp(a, "--lookback")) {
            if (parse_seconds(v, &ms) < 0)
                return cmd_usage_error(usage, "%s: not a number of seconds: %s", a, v);
            if (a[2] == 't')
                cfg.timeout_ms = ms;
            else
                cfg.lookback_ms = ms;
        } else if (!strcmp(a, "--retries")) {
            cfg.max_retries = atoi(v);
            if (cfg.max_retries == 0)
                cfg.max_retries = -1; /* 0 in the config means "default" */
        } else if (!strcmp(a, "--basic-user"))
            cfg.basic_user = v;
        else if (!strcmp(a, "--basic-password-file"))
            cfg.basic_password_file = v;
        else if (!strcmp(a, "--bearer-token-file"))
            cfg.bearer_token_file = v;
        else if (!strcmp(a, "--ca-file"))
            cfg.ca_file = v;
        else if (!strcmp(a, "--cert-file"))
            cfg.cert_file = v;
        else if (!strcmp(a, "--key-file"))
            cfg.key_file = v;
        else if (!strcmp(a, "--server-name"))
            cfg.server_name = v;
        else if (!strcmp(a, "--header")) {
            if (cfg.nheaders == sizeof headers / sizeof headers[0])
                return cmd_usage_error(usage, "too many --header options");
            headers[cfg.nheaders++] = v;
        } else if (!strcmp(a, "--max-body-bytes") || !strcmp(a, "--max-series") || !strcmp(a, "--max-samples")) {
            size_t *dst = a[6] == 'b' ? &cfg.limits.max_body_bytes
                          : a[7] == 'e' ? &cfg.limits.max_series
                                        : &cfg.limits.max_samples;
            if (parse_size(v, dst) < 0)
                return cmd_usage_error(usage, "%s: not a number: %s", a, v);
        } else
            return cmd_usage_error(usage, "unknown option %s", a);
    }
    if (!cfg.url)
        return cmd_usage_error(usage, "--datasource URL is required");
    if (!query)
        return cmd_usage_error(usage, "a query is required");
    cfg.headers = headers;
    int64_t t_ms;
    if (time_s) {
        if (promjson_parse_time_ms(time_s, strlen(time_s), &t_ms) < 0)
            return cmd_usage_error(usage, "--time: not Unix seconds: %s", time_s);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    struct promjson_error err;
    struct datasource *ds = datasource_new(&cfg, &err);
    if (!ds) {
        fprintf(stderr, "heed: %s\n", err.msg);
        return 2;
    }
    int rc = 0;
    if (eval) {
        rc = eval_and_print(ds, query, t_ms);
    } else if (!exact) {
        struct datasource_query q = {
            .query = query,
            .time_ms = t_ms,
            .cb = {.series_start = on_series,
                   .sample = on_sample,
                   .scalar = on_scalar,
                   .string = on_string,
                   .warning = on_warning},
        };
        if (datasource_run(ds, &q, 1) < 0) {
            fflush(stdout);
            fprintf(stderr, "heed: fetch failed (%s): %s\n", promjson_errtype_name(q.err.type), q.err.msg);
            rc = 1;
        }
        if (q.attempts > 1)
            fprintf(stderr, "heed: %d attempts\n", q.attempts);
    } else {
        size_t sel_len;
        int64_t window;
        if (datasource_split_range(query, &sel_len, &window) < 0) {
            datasource_free(ds);
            return cmd_usage_error(usage, "--exact needs 'selector[window]', got: %s", query);
        }
        char *sel = strndup(query, sel_len);
        struct storage_series *s;
        size_t n;
        if (datasource_select_text(ds, sel, t_ms - window + 1, t_ms, &s, &n, &err) < 0) {
            fprintf(stderr, "heed: fetch failed (%s): %s\n", promjson_errtype_name(err.type), err.msg);
            rc = 1;
        } else {
            if (n)
                qsort(s, n, sizeof *s, series_cmp);
            struct strbuf sb = STRBUF_INIT;
            for (size_t i = 0; i < n; i++) {
                strbuf_reset(&sb);
                labels_format(&sb, s[i].ls);
                printf("series %s\n", sb.buf);
                for (size_t k = 0; k < s[i].n; k++)
                    on_sample(NULL, s[i].pts[k].t_ms, s[i].pts[k].v);
            }
            strbuf_release(&sb);
        }
        free(sel);
    }
    if (stats) {
        const struct datasource_stats *st = datasource_stats(ds);
        fprintf(stderr,
                "heed: requests %llu, retries %llu, selects %llu, cache hits %llu, markers %llu, probes %llu, "
                "bytes %llu\n",
                (unsigned long long)st->requests, (unsigned long long)st->retries, (unsigned long long)st->selects,
                (unsigned long long)st->cache_hits, (unsigned long long)st->markers, (unsigned long long)st->probes,
                (unsigned long long)st->bytes);
    }
    datasource_free(ds);
    return rc;
}
