/* heed promql test [--provenance] [-v] FILE.test...: runs Prometheus's PromQL
 * test scripts and closes with "N passed, N failed". */
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "cmd/cmd.h"
#include "compat/promqltest.h"

#define USAGE "heed promql test [--provenance] [-v] FILE.test..."

int cmd_promql_test(int argc, char **argv)
{
    struct promqltest_opts o = {0};
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--provenance"))
            o.provenance = true;
        else if (!strcmp(argv[first], "-v") || !strcmp(argv[first], "--verbose"))
            o.verbose = true;
        else
            return cmd_usage_error(USAGE, "unknown option '%s'", argv[first]);
    }
    if (first == argc)
        return cmd_usage_error(USAGE, "no test files given");
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
    if (bad_input)
        return 2;
    return total.failed ? 1 : 0;
}
