/* heed test rules [--run REGEX]... [--ignore-unknown-fields] [--profile P] FILE...:
 * promtool's rule unit tests over heed's engine and in-memory store; rules
 * without a freshness directive use the compat profile unless --profile says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "cmd/cmd.h"
#include "compat/promtool_test.h"

static const char usage[] =
    "heed test rules [--run REGEX]... [--ignore-unknown-fields] [--profile compat|default] FILE...";


int cmd_test_rules(int argc, char **argv)
{
    struct promtool_test_opts o = {0};
    o.profile = POLICY_PROFILE_COMPAT;
    const char **run = xcalloc((size_t)argc + 1, sizeof *run);
    const char **files = xcalloc((size_t)argc + 1, sizeof *files);
    size_t nfiles = 0;
    int rc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--run") || !strncmp(a, "--run=", 6)) {
            if (a[5] == '=') {
                run[o.nrun++] = a + 6;
            } else if (++i < argc) {
                run[o.nrun++] = argv[i];
            } else {
                rc = cmd_usage_error(usage, "--run needs a regular expression");
                goto out;
            }
        } else if (!strcmp(a, "--profile") || !strncmp(a, "--profile=", 10)) {
            const char *v = a[9] == '=' ? a + 10 : ++i < argc ? argv[i] : NULL;
            if (!v || policy_profile_parse(v, &o.profile) < 0) {
                rc = cmd_usage_error(usage, "--profile must be compat or default");
                goto out;
            }
        } else if (!strcmp(a, "--ignore-unknown-fields")) {
            o.ignore_unknown_fields = 1;
        } else if (!strcmp(a, "--help")) {
            printf("usage: %s\n", usage);
            rc = 0;
            goto out;
        } else if (a[0] == '-' && a[1] == '-') {
            rc = cmd_usage_error(usage, "unknown flag '%s'", a);
            goto out;
        } else {
            files[nfiles++] = a;
        }
    }
    if (!nfiles) {
        rc = cmd_usage_error(usage, "no test files given");
        goto out;
    }
    o.run = run;
    struct promtool_sink sink = {cmd_promtool_write, NULL};
    rc = promtool_test_rules_files(&o, files, nfiles, &sink);
    fflush(stdout);
out:
    free(run);
    free(files);
    return rc;
}
