/* replay: runs a fuzz target's entry point over files, without libFuzzer,
 * so the committed corpus is a regression test in every build variant.
 * Prints "ok <file>" per input (a failing input aborts the run) and the
 * closing "N passed, N failed" line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct strbuf sb = STRBUF_INIT;
        if (strbuf_read_file(&sb, argv[i]) < 0) {
            printf("not ok %s: cannot read\n", argv[i]);
            failed++;
            continue;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)sb.buf, sb.len);
        strbuf_release(&sb);
        printf("ok %s\n", argv[i]);
        passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
