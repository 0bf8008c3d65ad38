/* heed replay --rules FILE... [--from T] [--to T] [--interval D] [--ingest-delay D]
 *             (--series FILE [--series-start T] | --datasource URL) [--format text|json|svg]
 *             [--profile default|compat] [--outage FROM,TO] [--group-phase prometheus3|prometheus2]
 * Evaluates rule files over a past range of recorded series and prints each
 * alert instance's timeline under heed's and Prometheus's semantics. T is
 * RFC 3339, Unix seconds, or a duration from the series' start ("3h"), or
 * back from now against a datasource; the range defaults to the series'
 * own (to now against a datasource). --ingest-delay replays a lagging
 * pipeline (data visible only up to tick - delay), --outage a backend that
 * fails every query between two times. Groups evaluate at the daemon's
 * slots: Prometheus's per-group phase, hashed from the rule file's name as
 * given here (as heed run and Prometheus hash the name in their
 * configuration) and the group's; --group-phase picks Prometheus 3's or 2's
 * hash, as group_phase does in heed run. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api/params.h"
#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "cmd/cmd.h"
#include "cmd/cmd_data.h"
#include "cmd/cmd_flags.h"
#include "rules/policy.h"
#include "rules/replay.h"
#include "rules/replay_out.h"
#include "rules/rulefile.h"

static const char usage[] =
    "heed replay --rules FILE... [--from T] [--to T] [--interval D] [--ingest-delay D] [--bearer-token-file F] "
    "[--outage FROM,TO] (--series FILE [--series-start T] | --datasource URL) [--format text|json|svg] [--profile default|compat]\n"
    "  [--group-phase prometheus3|prometheus2]\n"
    "  T: RFC 3339, Unix seconds, or a duration from the series' start (3h); with --datasource,\n"
    "  a duration counts back from now and --from is required";

#define MAX_RULE_FILES 64

int cmd_replay(int argc, char **argv)
{
    const char *rules[MAX_RULE_FILES];
    size_t nrules = 0;
    const char *from = NULL, *to = NULL, *interval = NULL, *delay = NULL, *series = NULL, *ds = NULL, *outage = NULL, *token = NULL, *series_start = NULL;
    const char *format = "text", *profile = NULL, *phase = NULL;
    const struct cmd_flag flags[] = {
        {.name = "--rules", .list = rules, .nlist = &nrules, .max = MAX_RULE_FILES, .items = "rule files"},
        CMD_FLAG("--from", &from), CMD_FLAG("--to", &to), CMD_FLAG("--interval", &interval), CMD_FLAG("--ingest-delay", &delay),
        CMD_FLAG("--series", &series), CMD_FLAG("--datasource", &ds), CMD_FLAG("--bearer-token-file", &token),
        CMD_FLAG("--series-start", &series_start), CMD_FLAG("--format", &format), CMD_FLAG("--profile", &profile),
        CMD_FLAG("--outage", &outage), CMD_FLAG("--group-phase", &phase), {.name = NULL},
    };
    int done = cmd_flags_parse(argc, argv, flags, NULL, usage);
    if (done >= 0)
        return done;
    if (!nrules)
        return cmd_usage_error(usage, "--rules FILE is required");
    if (!series == !ds)
        return cmd_usage_error(usage, "give either --series FILE or --datasource URL");
    if (ds && !from)
        return cmd_usage_error(usage, "--from is required with --datasource");
    int fmt = cmd_data_format(format);
    if (fmt < 0)
        return cmd_usage_error(usage, "--format is text, json or svg");

    struct replay_opts ro = {0};
    if (profile && policy_profile_parse(profile, &ro.profile) < 0)
        return cmd_usage_error(usage, "--profile is default or compat");
    if (phase && !strcmp(phase, "prometheus2"))
        ro.group_phase = SCHEDULE_HASH_SLICELABELS;
    else if (phase && strcmp(phase, "prometheus3"))
        return cmd_usage_error(usage, "--group-phase is prometheus3 or prometheus2");
    if (cmd_data_duration(interval, &ro.interval_ms) < 0 || cmd_data_duration(delay, &ro.ingest_delay_ms) < 0)
        return cmd_usage_error(usage, "cannot parse a duration (use 30s, 1m, 1h30m)");

    int64_t start_ms = 0;
    if (series_start && api_parse_time(series_start, &start_ms) < 0)
        return cmd_usage_error(usage, "cannot parse --series-start: RFC 3339 or Unix seconds");
    int rc = 2;
    static void (*const writers[])(struct strbuf *, const struct replay *) = {
        [CMD_DATA_TEXT] = replay_out_text, [CMD_DATA_JSON] = replay_out_json, [CMD_DATA_SVG] = replay_out_svg};
    struct strbuf out = STRBUF_INIT;
    struct diag_list dl;
    diag_list_init(&dl);
    struct rulefile_set set = {0};
    struct replay rp;
    replay_init(&rp);
    struct cmd_data data;
    if ((rc = cmd_data_open(&data, series, start_ms, ds, token)) != 0)
        goto out;
    rc = 2;
    if (cmd_data_range(&data, from, to, &ro.from_ms, &ro.to_ms) < 0) {
        rc = cmd_usage_error(usage, "cannot parse a time: RFC 3339, Unix seconds or a duration such as 3h");
        goto out;
    }
    if (outage) {
        char a[64], b[64];
        const char *comma = strchr(outage, ',');
        if (!comma || (size_t)(comma - outage) >= sizeof a || strlen(comma + 1) >= sizeof b) {
            rc = cmd_usage_error(usage, "--outage is FROM,TO");
            goto out;
        }
        snprintf(a, sizeof a, "%.*s", (int)(comma - outage), outage);
        snprintf(b, sizeof b, "%s", comma + 1);
        if (cmd_data_time(&data, a, 0, &ro.outage_from_ms) < 0 || cmd_data_time(&data, b, 0, &ro.outage_to_ms) < 0) {
            rc = cmd_usage_error(usage, "cannot parse the --outage times");
            goto out;
        }
    }
    ro.end_eval = cmd_data_end_eval;
    ro.end_eval_ctx = &data;
    if (cmd_data_load_rules(&set, rules, nrules, &dl) < 0)
        goto out;
    char msg[512];
    if (replay_run(&rp, &set, data.st, &ro, msg, sizeof msg) != 0) {
        fprintf(stderr, "heed: %s\n", msg);
        goto out;
    }
    writers[fmt](&out, &rp);
    fputs(out.buf, stdout);
    rc = 0;
out:
    replay_release(&rp);
    rulefile_set_release(&set);
    diag_list_release(&dl);
    strbuf_release(&out);
    cmd_data_close(&data);
    return rc;
}
