/* heed lint FILE... [--datasource URL] [--format text|json|github] [--cadence D]
 *                   [--interval D] [--lookback-delta D] [--query-offset D]
 *                   [--time T] [--window D], or heed lint --list-checks:
 * stale-data risk in rule files (rules/lint.h). Exit 1 when a finding is an
 * error, 2 for usage errors and files that do not load. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "cmd/cmd.h"
#include "rules/lint.h"
#include "rules/lint_online.h"
#include "rules/rulefile.h"

static const char usage[] =
    "heed lint FILE... [--datasource URL] [--format text|json|github] [--cadence D] [--interval D] "
    "[--lookback-delta D] [--query-offset D] [--time UNIX_SECONDS] [--window D] | heed lint --list-checks";

static int parse_dur(const char *flag, const char *v, int64_t *ms)
{
    char err[128];
    if (rulefile_parse_duration(v, strlen(v), ms, err, sizeof err) < 0)
        return cmd_usage_error(usage, "%s: %s", flag, err);
    return 0;
}

/* Prints a loader error as file:line:col: error: message. Prometheus's
 * messages often carry their own "line:col: " already. */
static void print_load_error(const struct rulefile *rf, const struct diag *d)
{
    const char *m = d->msg, *p = m;
    while (isdigit((unsigned char)*p))
        p++;
    if (p > m && *p == ':' && isdigit((unsigned char)p[1])) {
        const char *q = p + 1;
        while (isdigit((unsigned char)*q))
            q++;
        if (*q == ':' && q[1] == ' ') {
            fprintf(stderr, "%s:%.*s: error: %s\n", rf->path, (int)(q - m), m, q + 2);
            return;
        }
    }
    if (rf->src && rf->len) {
        int line, col;
        diag_line_col(rf->src, rf->len, d->span.start, &line, &col);
        fprintf(stderr, "%s:%d:%d: error: %s\n", rf->path, line, col, m);
    } else {
        fprintf(stderr, "%s: error: %s\n", rf->path, m);
    }
}

int cmd_lint(int argc, char **argv)
{
    struct lint_opts o = {0};
    enum lint_format fmt = LINT_FORMAT_TEXT;
    const char *url = NULL;
    int64_t now_ms = 0, window_ms = 0;
    const char **files = xmalloc((size_t)(argc + 1) * sizeof *files);
    size_t nfiles = 0;
    bool flags_done = false;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (flags_done || a[0] != '-' || !a[1]) {
            files[nfiles++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            flags_done = true;
            continue;
        }
        if (!strcmp(a, "--list-checks")) {
            for (int k = 0; k < LINT_CHECK_COUNT; k++) {
                const struct lint_check_info *ci = lint_check_info((enum lint_check)k);
                printf("%-32s %-8s %s\n", ci->id, lint_severity_name(ci->severity), ci->summary);
            }
            free(files);
            return 0;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: %s\n", usage);
            free(files);
            return 0;
        }
        const char *eq = strchr(a, '=');
        char name[64];
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
        const char *v = eq ? eq + 1 : NULL;
        static const char *const with_value[] = {"--datasource", "--format",         "--cadence",
                                                 "--interval",   "--lookback-delta", "--query-offset",
                                                 "--time",       "--window"};
        bool known = false;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            known |= !strcmp(name, with_value[k]);
        if (!known) {
            rc = cmd_usage_error(usage, "unknown flag '%s'", a);
            break;
        }
        if (!v) {
            if (i + 1 >= argc) {
                rc = cmd_usage_error(usage, "%s needs a value", name);
                break;
            }
            v = argv[++i];
        }
        if (!strcmp(name, "--datasource")) {
            url = v;
        } else if (!strcmp(name, "--format")) {
            if (lint_format_parse(v, &fmt) < 0)
                rc = cmd_usage_error(usage, "--format: unknown format '%s' (text, json or github)", v);
        } else if (!strcmp(name, "--cadence")) {
            rc = parse_dur(name, v, &o.cadence_ms);
            if (!rc && o.cadence_ms <= 0)
                rc = cmd_usage_error(usage, "--cadence must be greater than 0");
        } else if (!strcmp(name, "--interval")) {
            rc = parse_dur(name, v, &o.eval_interval_ms);
        } else if (!strcmp(name, "--lookback-delta")) {
            rc = parse_dur(name, v, &o.lookback_ms);
        } else if (!strcmp(name, "--query-offset")) {
            rc = parse_dur(name, v, &o.query_offset_ms);
        } else if (!strcmp(name, "--window")) {
            rc = parse_dur(name, v, &window_ms);
        } else if (!strcmp(name, "--time")) {
            char *end;
            double t = strtod(v, &end);
            if (*end || end == v || t < 0)
                rc = cmd_usage_error(usage, "--time: '%s' is not a Unix time in seconds", v);
            now_ms = (int64_t)(t * 1000 + 0.5);
        }
    }
    if (rc == 0 && !nfiles)
        rc = cmd_usage_error(usage, "no rule files given");
    if (rc) {
        free(files);
        return rc;
    }

    struct rulefile **rfs = xcalloc(nfiles, sizeof *rfs);
    struct rulefile_opts ropts = {0};
    bool load_failed = false;
    for (size_t i = 0; i < nfiles; i++) {
        struct diag_list dl;
        diag_list_init(&dl);
        rfs[i] = xmalloc(sizeof *rfs[i]);
        if (rulefile_load(rfs[i], files[i], &ropts, &dl) < 0) {
            load_failed = true;
            for (size_t k = 0; k < dl.len; k++)
                if (dl.items[k].code != DIAG_WARNING)
                    print_load_error(rfs[i], &dl.items[k]);
        }
        diag_list_release(&dl);
    }

    struct lint_online *online = NULL;
    if (!load_failed && url) {
        if (!now_ms) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        }
        char err[512];
        online = lint_online_new(url, now_ms, window_ms, err, sizeof err);
        if (!online) {
            fprintf(stderr, "heed: lint: %s\n", err);
            load_failed = true;
        } else {
            o.backend = lint_online_backend(online);
        }
    }

    if (load_failed) {
        rc = 2;
    } else {
        struct lint_report rep;
        lint_report_init(&rep);
        char err[600];
        if (lint_run((const struct rulefile *const *)rfs, nfiles, &o, &rep, err, sizeof err) < 0) {
            fprintf(stderr, "heed: lint: %s\n", err);
            rc = 2;
        } else {
            struct strbuf out = STRBUF_INIT;
            lint_render(&out, &rep, fmt);
            fwrite(out.buf, 1, out.len, stdout);
            strbuf_release(&out);
            rc = lint_report_errors(&rep) ? 1 : 0;
        }
        lint_report_release(&rep);
    }
    lint_online_free(online);
    for (size_t i = 0; i < nfiles; i++) {
        rulefile_release(rfs[i]);
        free(rfs[i]);
    }
    free(rfs);
    free(files);
    fflush(stdout);
    return rc;
}
