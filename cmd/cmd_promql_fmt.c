/* heed promql fmt: canonical form of a PromQL expression, or its parse error. */
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "cmd/cmd.h"
#include "grammar/parse.h"

static const char usage[] =
    "heed promql fmt [--dump] [--experimental] [--lines] (EXPR | -)\n"
    "  --dump          print the syntax tree as an S-expression instead\n"
    "  --experimental  accept experimental functions and aggregations\n"
    "  --lines         read one expression per line from stdin; print one result line each";

/* Formats src into out (canonical text or dump); on error the diagnostic as
 * Prometheus prints it ("1:5: parse error: ..."). Returns 0 or -1. */
static int format_one(const char *src, size_t len, int dump, int caret, const struct parse_opts *opts,
                      struct strbuf *out)
{
    struct arena a;
    struct diag_list dl;
    arena_init(&a, 0);
    diag_list_init(&dl);
    struct ast_node *n = parse_expr(src, len, &a, opts, &dl);
    int rc = 0;
    if (n) {
        if (dump)
            ast_dump(out, n);
        else
            ast_print(out, n);
    } else {
        const struct diag *d = &dl.items[0];
        int line = 1, col = 1;
        diag_line_col(src, len, d->span.start, &line, &col);
        if (len == 0)
            strbuf_addf(out, "unknown position: parse error: %s", d->msg);
        else
            strbuf_addf(out, "%d:%d: parse error: %s", line, col, d->msg);
        if (caret && len > 0) { /* the source line and a caret under the column */
            struct strbuf sb = STRBUF_INIT;
            diag_render(&sb, d, src, len, 1);
            const char *nl = strchr(sb.buf, '\n');
            if (nl && nl[1]) {
                strbuf_addch(out, '\n');
                strbuf_add(out, nl + 1, sb.len - (size_t)(nl + 1 - sb.buf) - 1);
            }
            strbuf_release(&sb);
        }
        rc = -1;
    }
    diag_list_release(&dl);
    arena_release(&a);
    return rc;
}

int cmd_promql_fmt(int argc, char **argv)
{
    int dump = 0, lines = 0;
    struct parse_opts opts = {0};
    const char *expr = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s\n", usage);
            return 0;
        } else if (!strcmp(argv[i], "--dump"))
            dump = 1;
        else if (!strcmp(argv[i], "--experimental"))
            opts.experimental = 1;
        else if (!strcmp(argv[i], "--lines"))
            lines = 1;
        else if (!strcmp(argv[i], "--") && i + 1 < argc && !expr)
            expr = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2])
            return cmd_usage_error(usage, "unknown option '%s'", argv[i]);
        else if (!expr)
            expr = argv[i];
        else
            return cmd_usage_error(usage, "more than one expression given");
    }
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
    if (lines || !expr || !strcmp(expr, "-")) {
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
            strbuf_add(&in, buf, n);
    } else {
        strbuf_addstr(&in, expr);
    }
    int rc = 0;
    if (lines) {
        /* Batch mode for test suites: "ok<TAB>result" or "error<TAB>message" per line. */
        char *p = in.buf, *end = in.buf + in.len;
        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            strbuf_reset(&out);
            int r = format_one(p, len, dump, 0, &opts, &out);
            printf("%s\t%s\n", r ? "error" : "ok", out.buf);
            p += len + 1;
        }
    } else {
        size_t len = in.len;
        if (!expr || !strcmp(expr, "-"))
            while (len > 0 && in.buf[len - 1] == '\n') /* the file's final newline is not part of it */
                len--;
        if (format_one(in.buf, len, dump, 1, &opts, &out) == 0) {
            printf("%s\n", out.buf);
        } else {
            fprintf(stderr, "%s\n", out.buf);
            rc = 2;
        }
    }
    strbuf_release(&in);
    strbuf_release(&out);
    return rc;
}
