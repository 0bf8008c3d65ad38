/* cmd_flags: the table-driven flag loop (see cmd_flags.h). */
#include "cmd/cmd_flags.h"

#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

static int is_flag(const char *a)
{
    return a[0] == '-' && a[1] == '-';
}

int cmd_flags_parse(int argc, char **argv, const struct cmd_flag *flags, const struct cmd_flags_free *free_arg,
                    const char *usage)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) {
            printf("usage: %s\n", usage);
            return 0;
        }
        const struct cmd_flag *f = flags;
        while (f->name && strcmp(f->name, a))
            f++;
        if (!f->name) {
            if (!free_arg || !free_arg->arg)
                return cmd_usage_error(usage, "unexpected argument '%s'", a);
            if (is_flag(a))
                return cmd_usage_error(usage, "unknown flag '%s'", a);
            if (*free_arg->arg)
                return cmd_usage_error(usage, "%s", free_arg->too_many);
            *free_arg->arg = a;
            continue;
        }
        if (f->list) {
            if (i + 1 >= argc || is_flag(argv[i + 1]))
                return cmd_usage_error(usage, "%s needs a file", a);
            while (i + 1 < argc && !is_flag(argv[i + 1])) {
                if (*f->nlist == f->max)
                    return cmd_usage_error(usage, "at most %zu %s", f->max, f->items);
                f->list[(*f->nlist)++] = argv[++i];
            }
            continue;
        }
        if (++i >= argc)
            return cmd_usage_error(usage, "%s needs a value", a);
        *f->value = argv[i];
    }
    return -1;
}
