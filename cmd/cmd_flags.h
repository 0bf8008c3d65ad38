/* cmd_flags: the one flag loop of the commands that take named values
 * (heed query, replay and report): a table maps each flag to where its
 * value goes, so a command lists its flags instead of re-writing the loop,
 * and every command words its usage errors the same way.
 * Ownership rule: values point into argv; nothing is allocated. */
#ifndef HEED_CMD_CMD_FLAGS_H
#define HEED_CMD_CMD_FLAGS_H

#include <stddef.h>

/* One flag. Either value (one value follows the flag) or list (every
 * following argument up to the next "--" flag: --rules FILE...). */
struct cmd_flag {
    const char *name;   /* "--from"; NULL ends the table */
    const char **value; /* where its value goes */
    const char **list;  /* or where its values go */
    size_t *nlist;      /* how many there are */
    size_t max;         /* list's capacity */
    const char *items;  /* what the list holds, for "at most N <items>" */
};

/* A flag with one value. */
#define CMD_FLAG(flag, dst) {.name = (flag), .value = (dst)}

/* What the command does with an argument that is no flag. */
struct cmd_flags_free {
    const char **arg;       /* the one free argument (heed query's EXPR); NULL: none is allowed */
    const char *too_many;   /* the message for a second one */
};

/* Parses argv[1..] against the table (terminated by {NULL}). "--help"
 * prints the usage. Returns -1 to go on, or the exit code to return: 0
 * after --help, 2 after a usage error (printed with cmd_usage_error). */
int cmd_flags_parse(int argc, char **argv, const struct cmd_flag *flags, const struct cmd_flags_free *free_arg,
                    const char *usage);

#endif
