/* state: persisted alert state, so a restart (even after SIGKILL) re-pages
 * nothing, restarts no `for` clock and loses no resolve.
 *
 * One file per rule group, <state_dir>/<16 hex digits of XXH64(group key)>.state,
 * rewritten whole and atomically (temp file, fsync, rename, fsync of the
 * folder), so a crash leaves either the old or the new file. The format is
 * versioned line-oriented text closed by a checksum line:
 *
 *   heed-state 1
 *   group "rules.yml;api"
 *   saved_at 1700000000000
 *   rule "HighErrorRate" "{severity=\"page\"}" 0
 *   alert firing 1699999000000 1699999300000 0 1699999960000 1700000200000 0 0.25
 *   label "alertname" "HighErrorRate"
 *   annotation "summary" "high"
 *   checksum 0123456789abcdef
 *
 * An alert line holds state, activeAt, firedAt, resolvedAt, lastSentAt,
 * validUntil, keepFiringSince (Unix ms) and the value (%.17g). Strings are
 * double-quoted with \\ \" \n \r \t and \xHH escapes. A rule is identified by
 * name, its own labels (Prometheus's {a="b"} form) and its ordinal among rules
 * of the group with the same name and labels. The checksum is XXH64 of every
 * byte before the checksum line. A file that is truncated, corrupt, of another
 * version or fails its checksum is reported and ignored.
 *
 * Ownership rule: a state_group owns its strings and alert sets (malloc);
 * state_group_release() frees them. Encoders append to the caller's strbuf. */
#ifndef HEED_RULES_STATE_H
#define HEED_RULES_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/alert.h"

struct diag_list;
struct strbuf;

#define STATE_VERSION 1

/* The persisted instances of one alerting rule. */
struct state_rule {
    char *name;              /* alert name */
    char *labels;            /* the rule's own labels as {a="b", ...} */
    unsigned ordinal;        /* among rules of the group with this name and labels */
    struct alert_set alerts; /* the instances */
};

struct state_group {
    char *key;               /* group key, file + ";" + name */
    int64_t saved_at_ms;     /* when the file was written (Unix ms) */
    struct state_rule **rules; /* each malloc'd: an alert_set must not move */
    size_t n;
};

/* Appends one rule and every instance of s to body. */
void state_encode_rule(struct strbuf *body, const char *name, const char *labels, unsigned ordinal,
                       const struct alert_set *s);

/* Appends a whole file: header, body (from state_encode_rule), checksum. */
void state_encode_file(struct strbuf *out, const char *group_key, int64_t saved_at_ms, const char *body,
                       size_t bodylen);

/* Decodes a file's bytes. Returns 0, or -1 with a reason in err (g is then
 * empty). g must be released either way. */
int state_decode(const char *src, size_t len, struct state_group *g, char *err, size_t errlen);

void state_group_release(struct state_group *g);

/* The rule with this identity, or NULL. */
struct state_rule *state_group_find(const struct state_group *g, const char *name, const char *labels,
                                    unsigned ordinal);

/* Prometheus's `for` restore (PROMETHEUS.md 2.4) for a pending instance
 * whose state was saved at down_at and comes back at now: with a `for`
 * shorter than the grace period nothing changes; after a longer outage than
 * tolerated the instance is dropped (returns false: its clock starts over);
 * otherwise *active_at moves so that the downtime does not count, but never
 * so that it fires sooner than the grace period from now. */
bool state_restore_pending(int64_t *active_at_ms, int64_t for_ms, int64_t grace_ms, int64_t tolerance_ms,
                           int64_t down_at_ms, int64_t now_ms);

/* "<dir>/<hex XXH64 of key>.state"; malloc'd. */
char *state_path(const char *dir, const char *group_key);

/* Writes data to path atomically: path.tmp, fsync, rename, fsync of the
 * folder. Returns 0, or -1 with a reason in err. */
int state_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* Loads every *.state file of dir. Good files are returned in *out (n of
 * them, malloc'd array); every bad file is one DIAG_IO or DIAG_SEMANTIC diag
 * naming it (and is otherwise ignored). A missing dir is not an error. */
void state_load_dir(const char *dir, struct state_group **out, size_t *n, struct diag_list *problems);

/* Releases an array from state_load_dir. */
void state_groups_free(struct state_group *gs, size_t n);

#endif
