/* rulefile: Prometheus rule files, loaded and validated as Prometheus 3 does.
 * A file is decoded with the semantics of Go's YAML library in strict mode
 * (unknown fields, duplicate keys, type mismatches, aliases and merge keys)
 * and then validated in the order and with the words of Prometheus's
 * model/rulefmt, so every error reads exactly as promtool prints it.
 * Several files and globs load into a rulefile_set; groups are keyed by
 * file + ";" + name, as Prometheus keys them.
 * Ownership rule: a rulefile owns an arena holding its source text, groups,
 * rules, strings and expression trees; rulefile_release() frees all of it.
 * Errors go to the caller's diag_list: msg is Prometheus's text (with its own
 * "line:col: " prefixes), file is the file's name, span the node's bytes. */
#ifndef HEED_RULES_RULEFILE_H
#define HEED_RULES_RULEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

struct diag_list;
struct ast_node;
struct ynode;

/* A label or annotation; a set of them is sorted by name, names unique. */
struct rule_kv {
    const char *name;  /* label name */
    const char *value; /* value (a template for alerting rules) */
};

struct rule_kvs {
    struct rule_kv *items; /* sorted by name */
    size_t len;
};

enum rule_type {
    RULE_RECORDING = 1,
    RULE_ALERTING,
};

struct rule {
    enum rule_type type;        /* from which of record/alert is set */
    const char *name;           /* the record or alert name */
    const char *record;         /* as written ("" when absent) */
    const char *alert;          /* as written ("" when absent) */
    const char *expr;           /* as written */
    const char *expr_canonical; /* the parsed expression printed back: what Prometheus runs and shows */
    struct ast_node *ast;       /* the parsed expression (NULL if it did not parse, or check_only) */
    int64_t for_ms;             /* for */
    int64_t keep_firing_for_ms; /* keep_firing_for */
    struct rule_kvs labels;      /* the rule's own labels (not merged with the group's) */
    struct rule_kvs annotations; /* annotations */
    size_t index;               /* 1-based position in its group */
    uint32_t line, col;         /* where the rule's mapping starts */
    uint32_t offset;            /* byte offset of that start */
    const struct ynode *record_node, *alert_node, *expr_node; /* value nodes (NULL: key absent) */
};

struct rule_group {
    const char *file;          /* the file's name as given */
    const char *name;          /* name */
    const char *key;           /* file + ";" + name */
    int64_t interval_ms;       /* interval; 0: the global evaluation interval */
    bool has_query_offset;     /* query_offset given (it may be 0) */
    int64_t query_offset_ms;   /* query_offset */
    int64_t limit;             /* limit; <= 0: none */
    struct rule_kvs labels;    /* group labels, added to every rule */
    struct rule *rules;        /* the rules, in order */
    size_t nrules;
    uint32_t line, col;        /* where the group's mapping starts */
    uint32_t offset;           /* byte offset of that start */
};

/* How names are validated: Prometheus 3 (and promtool) use UTF-8. */
enum rulefile_names {
    RULEFILE_NAMES_UTF8 = 0, /* any non-empty valid UTF-8 string */
    RULEFILE_NAMES_LEGACY,   /* [a-zA-Z_][a-zA-Z0-9_]* (metric names also ':') */
};

struct rulefile_opts {
    bool ignore_unknown_fields; /* promtool --ignore-unknown-fields */
    enum rulefile_names names;  /* name validation scheme */
    bool experimental;          /* parse experimental PromQL functions */
    bool check_only;            /* validate only: expression trees and canonical texts are not kept */
};

struct rulefile {
    const char *path;          /* name used in messages */
    const char *src;           /* the file's text (NUL-terminated) */
    size_t len;                /* its length */
    struct rule_group *groups; /* the groups, in order (none if decoding failed) */
    size_t ngroups;
    bool more_docs;            /* a second YAML document was ignored */
    struct arena arena;        /* owns everything above */
};

/* Decodes and validates src (len bytes) as the rule file called name.
 * Returns 0 when valid, -1 with one diag per Prometheus error otherwise.
 * A second YAML document adds a DIAG_WARNING diag and is otherwise ignored.
 * rf must be released either way. */
int rulefile_parse(struct rulefile *rf, const char *name, const char *src, size_t len,
                   const struct rulefile_opts *opts, struct diag_list *diags);

/* Reads path and parses it; a read error is one diag worded as Go's
 * ("open <path>: no such file or directory"). */
int rulefile_load(struct rulefile *rf, const char *path, const struct rulefile_opts *opts,
                  struct diag_list *diags);

void rulefile_release(struct rulefile *rf);

/* Number of rules in all groups. */
size_t rulefile_count_rules(const struct rulefile *rf);

/* The rule's labels merged over its group's (the rule's win), sorted:
 * the label set Prometheus gives the rule. Allocated in a. */
struct rule_kvs rulefile_merged_labels(const struct rule_group *g, const struct rule *r, struct arena *a);

/* A "# heed: ..." comment directly above a group or rule. */
struct rulefile_directive {
    const char *text; /* what follows "heed:", trimmed; not NUL-terminated */
    size_t len;       /* bytes in text */
    uint32_t line;    /* 1-based line of the comment */
    uint32_t col;     /* 1-based column of its '#' */
    uint32_t offset;  /* byte offset of the '#' */
};

/* Fills out[0..max) with the heed directives among the comment lines
 * directly above line (1-based; the first line of a group or rule), top
 * to bottom, and returns how many there are (possibly more than max). */
size_t rulefile_directives_above(const struct rulefile *rf, uint32_t line,
                                 struct rulefile_directive *out, size_t max);

/* Many files: each pattern is a path or a glob, expanded in sorted order;
 * a file matched twice loads once. */
struct rulefile_set {
    struct rulefile **files; /* owned, in load order */
    size_t len, cap;
};

/* Loads every file the patterns match. A pattern that matches nothing is
 * not an error (as in Prometheus). Returns 0, or -1 if any file failed;
 * the files that loaded are kept either way. */
int rulefile_set_load(struct rulefile_set *set, const char *const *patterns, size_t npatterns,
                      const struct rulefile_opts *opts, struct diag_list *diags);

/* The group with this key (file + ";" + name), or NULL. */
const struct rule_group *rulefile_set_group(const struct rulefile_set *set, const char *key);

void rulefile_set_release(struct rulefile_set *set);

/* Parses a duration as Prometheus's model package does ("1h30m", "0", no
 * fractions or signs). Returns 0, or -1 with Prometheus's message in err. */
int rulefile_parse_duration(const char *s, size_t len, int64_t *ms, char *err, size_t errlen);

/* Appends s quoted as Go's %q does (strconv.Quote) to out. */
struct strbuf;
void rulefile_go_quote(struct strbuf *out, const char *s, size_t len);

#endif
