/* heed check rules [--lint=...] [--lint-fatal] [--ignore-unknown-fields] [FILE...]:
 * promtool's check rules. Without files it reads standard input. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "cmd/cmd.h"
#include "compat/promtool_check.h"

static const char usage[] =
    "heed check rules [--lint=duplicate-rules|all|none] [--lint-fatal] [--ignore-unknown-fields]\n"
    "                 [--enable-feature=promql-experimental-functions] [FILE...]";


/* --lint takes a comma-separated list; unknown words are warned about on
 * stdout and ignored, as promtool does. */
static void parse_lint(const char *v, struct promtool_check_opts *o)
{
    o->lint_duplicate_rules = false;
    while (*v) {
        size_t n = strcspn(v, ",");
        if ((n == 3 && !strncmp(v, "all", 3)) || (n == 15 && !strncmp(v, "duplicate-rules", 15)))
            o->lint_duplicate_rules = true;
        else if (!(n == 4 && !strncmp(v, "none", 4)))
            printf("WARNING: unknown lint option: \"%.*s\"\n", (int)n, v);
        v += n;
        if (*v == ',')
            v++;
    }
}

int cmd_check_rules(int argc, char **argv)
{
    struct promtool_check_opts o = {.lint_duplicate_rules = true};
    const char **files = (const char **)argv + 1;
    size_t nfiles = 0;
    bool flags_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!flags_done && a[0] == '-' && a[1] == '-') {
            if (!strcmp(a, "--")) {
                flags_done = true;
            } else if (!strncmp(a, "--lint=", 7)) {
                parse_lint(a + 7, &o);
            } else if (!strcmp(a, "--lint")) {
                if (++i >= argc)
                    return cmd_usage_error(usage, "--lint needs a value");
                parse_lint(argv[i], &o);
            } else if (!strcmp(a, "--lint-fatal")) {
                o.lint_fatal = true;
            } else if (!strcmp(a, "--ignore-unknown-fields")) {
                o.ignore_unknown_fields = true;
            } else if (!strncmp(a, "--enable-feature=", 17)) {
                /* promtool's feature flags; the others change nothing for checking rules */
                for (const char *f = a + 17; *f;) {
                    size_t n = strcspn(f, ",");
                    if (n == 29 && !strncmp(f, "promql-experimental-functions", 29))
                        o.experimental_functions = true;
                    f += n + (f[n] == ',');
                }
            } else if (!strcmp(a, "--help")) {
                printf("usage: %s\n", usage);
                return 0;
            } else {
                return cmd_usage_error(usage, "unknown flag '%s'", a);
            }
            continue;
        }
        files[nfiles++] = a;
    }
    /* promtool refuses missing files and directories before checking any (exit 1) */
    for (size_t i = 0; i < nfiles; i++) {
        struct stat st;
        if (stat(files[i], &st) < 0) {
            fprintf(stderr, "heed: error: path '%s' does not exist, try --help\n", files[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode)) {
            fprintf(stderr, "heed: error: '%s' is a directory, try --help\n", files[i]);
            return 1;
        }
    }
    struct promtool_sink sink = {cmd_promtool_write, NULL};
    int rc;
    if (nfiles) {
        rc = promtool_check_rules_files(&o, files, nfiles, &sink);
    } else {
        struct strbuf in = STRBUF_INIT;
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
            strbuf_add(&in, buf, n);
        const char *err = ferror(stdin) ? "read /dev/stdin: input/output error" : NULL;
        rc = promtool_check_rules_stdin(&o, in.buf, in.len, err, &sink);
        strbuf_release(&in);
    }
    fflush(stdout);
    return rc;
}
