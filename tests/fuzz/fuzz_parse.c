/* fuzz_parse: libFuzzer target for the PromQL front end. Any input must
 * parse or fail cleanly (no crash, leak or sanitizer report), and every
 * accepted expression must survive print -> parse with an identical tree
 * (compared as S-expression dumps), with and without experimental features. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "grammar/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const char *src, size_t len, const struct parse_opts *opts)
{
    struct arena a;
    struct diag_list dl;
    arena_init(&a, 0);
    diag_list_init(&dl);
    struct ast_node *n = parse_expr(src, len, &a, opts, &dl);
    if (!n) {
        if (dl.len == 0) {
            fprintf(stderr, "parse failed without a diagnostic\n");
            abort();
        }
    } else {
        struct strbuf printed = STRBUF_INIT, dump1 = STRBUF_INIT, dump2 = STRBUF_INIT;
        ast_print(&printed, n);
        ast_dump(&dump1, n);
        struct diag_list dl2;
        diag_list_init(&dl2);
        struct ast_node *m = parse_expr(printed.buf, printed.len, &a, opts, &dl2);
        if (!m) {
            fprintf(stderr, "reprint does not parse:\n  input:   %.*s\n  printed: %s\n  error:   %s\n",
                    (int)len, src, printed.buf, dl2.len ? dl2.items[0].msg : "?");
            abort();
        }
        ast_dump(&dump2, m);
        if (strcmp(dump1.buf, dump2.buf) != 0) {
            fprintf(stderr, "round trip changes the tree:\n  input:   %.*s\n  printed: %s\n  %s\n  %s\n",
                    (int)len, src, printed.buf, dump1.buf, dump2.buf);
            abort();
        }
        diag_list_release(&dl2);
        strbuf_release(&printed);
        strbuf_release(&dump1);
        strbuf_release(&dump2);
    }
    diag_list_release(&dl);
    arena_release(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct parse_opts plain = {0}, experimental = {.experimental = 1};
    round_trip((const char *)data, size, &plain);
    round_trip((const char *)data, size, &experimental);
    return 0;
}
