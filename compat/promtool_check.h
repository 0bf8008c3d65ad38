/* promtool_check: `promtool check rules` reproduced byte for byte: the same
 * lines on the same streams in the same order, the duplicate-rules lint and
 * promtool's exit codes (0 ok, 1 errors, 3 lint findings with --lint-fatal).
 * Nothing here prints: text goes to the caller's sink, tagged with the
 * stream it belongs on, so the caller keeps stdout and stderr interleaved.
 * Ownership rule: the caller owns the inputs; nothing outlives the call. */
#ifndef HEED_COMPAT_PROMTOOL_CHECK_H
#define HEED_COMPAT_PROMTOOL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

enum promtool_stream {
    PROMTOOL_STDOUT = 1,
    PROMTOOL_STDERR = 2,
};

struct promtool_sink {
    void (*write)(void *ctx, enum promtool_stream stream, const char *s, size_t n);
    void *ctx;
};

struct promtool_check_opts {
    bool lint_duplicate_rules;  /* --lint=duplicate-rules or all (the default) */
    bool lint_fatal;            /* --lint-fatal: lint findings exit 3 */
    bool ignore_unknown_fields; /* --ignore-unknown-fields */
    bool experimental_functions; /* --enable-feature=promql-experimental-functions */
};

/* Exit codes, as promtool's. */
enum {
    PROMTOOL_EXIT_OK = 0,
    PROMTOOL_EXIT_FAILURE = 1,
    PROMTOOL_EXIT_LINT = 3,
};

/* Checks each file. Returns the exit code. */
int promtool_check_rules_files(const struct promtool_check_opts *o, const char *const *files, size_t nfiles,
                               const struct promtool_sink *sink);

/* Checks rules read from standard input (data, len); read_error, when not
 * NULL, is why reading failed. Returns the exit code. */
int promtool_check_rules_stdin(const struct promtool_check_opts *o, const char *data, size_t len,
                               const char *read_error, const struct promtool_sink *sink);

#endif
