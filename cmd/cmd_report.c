/* heed report (--expr EXPR | --rules FILE... --record NAME) [--from T] [--to T] [--step D]
 *             [--objective PERCENT] [--policy 'max-unchanged=... max-age=...']
 *             (--series FILE [--series-start T] | --datasource URL) [--format text|json|svg]
 * Availability of a GOOD/TOTAL ratio over a past range, with the share of
 * time whose inputs were stale or missing. The freshness policy is heed's
 * default profile, then the rule's `# heed:` directives (with --record),
 * then --policy (the directives' syntax). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/params.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "cmd/cmd.h"
#include "cmd/cmd_data.h"
#include "cmd/cmd_flags.h"
#include "rules/policy.h"
#include "rules/report.h"
#include "rules/rulefile.h"

static const char usage[] =
    "heed report (--expr EXPR | --rules FILE... --record NAME) [--from T] [--to T] [--step D] "
    "[--objective PERCENT] [--policy 'max-unchanged=15m ...'] (--series FILE [--series-start T] | --datasource URL "
    "[--bearer-token-file F]) "
    "[--format text|json|svg]\n"
    "  T: RFC 3339, Unix seconds, or a duration from the series' start (3h); with --datasource,\n"
    "  a duration counts back from now and --from is required";

#define MAX_RULE_FILES 64

/* The rule recording name, with its group and file. */
static const struct rule *find_record(const struct rulefile_set *set, const char *name,
                                      const struct rulefile **rf, const struct rule_group **g)
{
    for (size_t f = 0; f < set->len; f++)
        for (size_t i = 0; i < set->files[f]->ngroups; i++)
            for (size_t j = 0; j < set->files[f]->groups[i].nrules; j++) {
                const struct rule *r = &set->files[f]->groups[i].rules[j];
                if (!strcmp(r->name, name)) {
                    *rf = set->files[f];
                    *g = &set->files[f]->groups[i];
                    return r;
                }
            }
    return NULL;
}

int cmd_report(int argc, char **argv)
{
    const char *rules[MAX_RULE_FILES];
    size_t nrules = 0;
    const char *expr = NULL, *record = NULL, *from = NULL, *to = NULL, *step = NULL, *objective = NULL;
    const char *series = NULL, *ds = NULL, *format = "text", *policy = NULL, *token = NULL, *series_start = NULL;
    const struct cmd_flag flags[] = {
        {.name = "--rules", .list = rules, .nlist = &nrules, .max = MAX_RULE_FILES, .items = "rule files"},
        CMD_FLAG("--expr", &expr), CMD_FLAG("--record", &record), CMD_FLAG("--from", &from), CMD_FLAG("--to", &to), CMD_FLAG("--step", &step),
        CMD_FLAG("--objective", &objective), CMD_FLAG("--series", &series), CMD_FLAG("--datasource", &ds),
        CMD_FLAG("--bearer-token-file", &token), CMD_FLAG("--series-start", &series_start), CMD_FLAG("--format", &format),
        CMD_FLAG("--policy", &policy), {.name = NULL},
    };
    int done = cmd_flags_parse(argc, argv, flags, NULL, usage);
    if (done >= 0)
        return done;
    if (!expr == !record)
        return cmd_usage_error(usage, "give either --expr or --rules with --record");
    if (record && !nrules)
        return cmd_usage_error(usage, "--record needs --rules FILE");
    if (!series == !ds)
        return cmd_usage_error(usage, "give either --series FILE or --datasource URL");
    if (ds && !from)
        return cmd_usage_error(usage, "--from is required with --datasource");
    int fmt = cmd_data_format(format);
    if (fmt < 0)
        return cmd_usage_error(usage, "--format is text, json or svg");

    struct report_opts ro = {.expr = expr, .policy = policy_profile(POLICY_PROFILE_DEFAULT)};
    if (cmd_data_duration(step, &ro.step_ms) < 0)
        return cmd_usage_error(usage, "cannot parse --step (use 30s, 1m, 5m)");
    if (objective) {
        char *end;
        ro.objective = strtod(objective, &end);
        if (*end || !(ro.objective > 0 && ro.objective < 100))
            return cmd_usage_error(usage, "--objective is a percentage between 0 and 100 (99.9)");
    }
    struct policy_patch patch = {0};
    if (policy) {
        size_t at;
        char msg[256];
        if (policy_patch_parse(policy, strlen(policy), &patch, &at, msg, sizeof msg) < 0)
            return cmd_usage_error(usage, "--policy at offset %zu: %s", at, msg);
    }

    int64_t start_ms = 0;
    if (series_start && api_parse_time(series_start, &start_ms) < 0)
        return cmd_usage_error(usage, "cannot parse --series-start: RFC 3339 or Unix seconds");
    int rc = 2;
    static void (*const writers[])(struct strbuf *, const struct report *) = {
        [CMD_DATA_TEXT] = report_out_text, [CMD_DATA_JSON] = report_out_json, [CMD_DATA_SVG] = report_out_svg};
    struct strbuf out = STRBUF_INIT;
    struct diag_list dl;
    diag_list_init(&dl);
    struct rulefile_set set = {0};
    struct policy_config pc;
    policy_config_init(&pc, POLICY_PROFILE_DEFAULT);
    struct report rep;
    report_init(&rep);
    struct cmd_data data;
    if ((rc = cmd_data_open(&data, series, start_ms, ds, token)) != 0)
        goto out;
    rc = 2;
    if (cmd_data_range(&data, from, to, &ro.from_ms, &ro.to_ms) < 0) {
        rc = cmd_usage_error(usage, "cannot parse a time: RFC 3339, Unix seconds or a duration such as 3h");
        goto out;
    }
    ro.end_eval = cmd_data_end_eval;
    ro.end_eval_ctx = &data;
    if (record) {
        if (cmd_data_load_rules(&set, rules, nrules, &dl) < 0)
            goto out;
        const struct rulefile *rf;
        const struct rule_group *g;
        const struct rule *r = find_record(&set, record, &rf, &g);
        if (!r) {
            fprintf(stderr, "heed: no rule named %s in the rule files\n", record);
            goto out;
        }
        if (policy_resolve(&pc, rf, g, r, &ro.policy, &dl) != 0) {
            cmd_data_print_diags(&dl);
            goto out;
        }
        ro.expr = r->expr_canonical;
        ro.name = r->name;
        if (!ro.step_ms)
            ro.step_ms = g->interval_ms;
    }
    policy_apply(&ro.policy, &patch);
    char msg[512];
    if (report_run(&rep, data.st, &ro, msg, sizeof msg) != 0) {
        fprintf(stderr, "heed: %s\n", msg);
        goto out;
    }
    writers[fmt](&out, &rep);
    fputs(out.buf, stdout);
    rc = 0;
out:
    report_release(&rep);
    policy_config_release(&pc);
    rulefile_set_release(&set);
    diag_list_release(&dl);
    strbuf_release(&out);
    cmd_data_close(&data);
    return rc;
}
