/* heed: one binary, subcommands dispatched through cmd/commands.def. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

struct command {
    const char *word;    /* first command word */
    const char *sub;     /* second word, or NULL */
    int (*fn)(int, char **);
    const char *summary; /* for "heed help" */
};

static const struct command commands[] = {
#define X(word, sub, fn, summary) {word, sub, fn, summary},
#include "cmd/commands.def"
#undef X
};

int cmd_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    fputs("heed: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (usage)
        fprintf(stderr, "usage: %s\n", usage);
    return 2;
}

void cmd_promtool_write(void *ctx, enum promtool_stream stream, const char *text, size_t n)
{
    (void)ctx;
    FILE *f = stream == PROMTOOL_STDERR ? stderr : stdout;
    fflush(stream == PROMTOOL_STDERR ? stdout : stderr);
    fwrite(text, 1, n, f);
    if (stream == PROMTOOL_STDERR)
        fflush(stderr);
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("heed %s\n", HEED_VERSION);
    return 0;
}

static void help(FILE *f)
{
    fputs("usage: heed <command> [arguments]\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s%s%s", commands[i].word, commands[i].sub ? " " : "",
                 commands[i].sub ? commands[i].sub : "");
        fprintf(f, "  %-16s %s\n", name, commands[i].summary);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        help(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(argc - 1, argv + 1);
    int word_known = 0;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct command *c = &commands[i];
        if (strcmp(argv[1], c->word) != 0)
            continue;
        word_known = 1;
        if (!c->sub)
            return c->fn(argc - 1, argv + 1);
        if (argc >= 3 && !strcmp(argv[2], c->sub))
            return c->fn(argc - 2, argv + 2);
    }
    if (word_known)
        return cmd_usage_error(NULL, "unknown or missing subcommand for '%s' (see 'heed help')", argv[1]);
    return cmd_usage_error(NULL, "unknown command '%s' (see 'heed help')", argv[1]);
}
