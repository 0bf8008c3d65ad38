/* heed promql test [--provenance] [-v] FILE.test...: runs Prometheus's PromQL
 * test scripts and closes with "N passed, N failed".
 * For the differential test against a real Prometheus
 * (tests/suites/promql_datasource.sh):
 *   --export DIR FILE       writes each data state and the evals (promqltest.h)
 *   --datasource URL --state N FILE
 *                           runs the evals of state N over the datasource,
 *                           whose backend holds exactly that state's data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "cmd/cmd.h"
#include "compat/datasource.h"
#include "compat/promqltest.h"

#define USAGE                                                                                      \
    "heed promql test [--provenance] [-v] [--datasource URL --state N] FILE.test...\n"              \
    "       heed promql test --export DIR FILE.test"

static void end_eval(void *ds)
{
    datasource_end_eval(ds);
}

int cmd_promql_test(int argc, char **argv)
{
    struct promqltest_opts o = {0};
    const char *export_dir = NULL, *url = NULL;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        const char *a = argv[first];
        if (!strcmp(a, "--provenance"))
            o.provenance = true;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            o.verbose = true;
        else if ((!strcmp(a, "--export") || !strcmp(a, "--datasource") || !strcmp(a, "--state")) &&
                 first + 1 < argc) {
            const char *v = argv[++first];
            if (!strcmp(a, "--export"))
                export_dir = v;
            else if (!strcmp(a, "--datasource"))
                url = v;
            else if ((o.only_state = atoi(v)) <= 0)
                return cmd_usage_error(USAGE, "--state needs a state number (1 or more)");
        } else
            return cmd_usage_error(USAGE, "unknown option or missing value '%s'", a);
    }
    if (first == argc)
        return cmd_usage_error(USAGE, "no test files given");
    if (export_dir) {
        if (argc - first != 1 || url)
            return cmd_usage_error(USAGE, "--export takes one test file and no --datasource");
        struct strbuf log = STRBUF_INIT;
        int rc = promqltest_export_file(argv[first], export_dir, &log);
        fputs(log.buf, stderr);
        strbuf_release(&log);
        return rc < 0 ? 2 : 0;
    }
    if (!url != !o.only_state)
        return cmd_usage_error(USAGE, "--datasource and --state go together");
    struct datasource *ds = NULL;
    if (url) {
        struct datasource_config cfg = {.url = url};
        struct promjson_error perr = {0};
        if (!(ds = datasource_new(&cfg, &perr)))
            return cmd_usage_error(USAGE, "%s", perr.msg);
        o.storage = datasource_storage(ds);
        o.after_eval = end_eval;
        o.after_eval_ctx = ds;
    }
    struct promqltest_report total = {0};
    int bad_input = 0;
    for (int i = first; i < argc; i++) {
        struct promqltest_report rep = {0};
        struct strbuf log = STRBUF_INIT;
        if (promqltest_run_file(argv[i], &o, &rep, &log) < 0)
            bad_input = 1;
        fputs(log.buf, stdout);
        printf("%s: %zu passed, %zu failed\n", argv[i], rep.passed, rep.failed);
        strbuf_release(&log);
        total.passed += rep.passed;
        total.failed += rep.failed;
    }
    printf("%zu passed, %zu failed\n", total.passed, total.failed);
    if (ds)
        datasource_free(ds);
    if (bad_input)
        return 2;
    return total.failed ? 1 : 0;
}
