/* cmd: the command-line entry. Parses arguments and calls the modules;
 * holds no logic of its own. Exit codes: 0 ok, 1 findings or test failures,
 * 2 usage or input errors. */
#ifndef HEED_CMD_CMD_H
#define HEED_CMD_CMD_H

#include <stddef.h>

#include "compat/promtool_check.h"

#define HEED_VERSION "0.1.0"

#define X(word, sub, fn, summary) int fn(int argc, char **argv);
#include "cmd/commands.def"
#undef X

/* A promtool_sink writer for stdout and stderr that flushes the
 * other stream first, so the two stay in the order promtool writes them when
 * they share a terminal or a file. */
void cmd_promtool_write(void *ctx, enum promtool_stream stream, const char *text, size_t n);

/* Prints "heed: <msg>" and the usage hint to stderr; returns 2. */
int cmd_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
