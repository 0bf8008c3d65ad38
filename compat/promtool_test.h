/* promtool_test: `promtool test rules` reproduced: the unit-test file format
 * (rule_files, evaluation_interval, group_eval_order, fuzzy_compare, tests
 * with input_series, alert_rule_test, promql_expr_test), its semantics (all
 * groups evaluated at every evaluation_interval tick over lazily loaded input,
 * only firing alerts compared, exact float comparison unless fuzzy) and its
 * output and exit codes, over heed's engine and in-memory store.
 * Ownership rule: nothing outlives a call; text goes to the caller's sink. */
#ifndef HEED_COMPAT_PROMTOOL_TEST_H
#define HEED_COMPAT_PROMTOOL_TEST_H

#include <stddef.h>

#include "compat/promtool_check.h"
#include "rules/policy.h"

struct promtool_test_opts {
    const char *const *run;      /* --run regexes (test groups whose name matches any) */
    size_t nrun;
    int ignore_unknown_fields;   /* --ignore-unknown-fields (rule files) */
    enum policy_profile profile; /* for rules without a directive (heed test rules: compat) */
};

/* Runs every test file; returns promtool's exit code (0 all passed, 1 otherwise). */
int promtool_test_rules_files(const struct promtool_test_opts *o, const char *const *files, size_t nfiles,
                              const struct promtool_sink *sink);

#endif
