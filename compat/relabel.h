/* relabel: Prometheus's relabel_config (model/relabel) applied to a label
 * set, for alert_relabel_configs: actions replace, keep, drop, keepequal,
 * dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase and
 * uppercase, with Prometheus's defaults (separator ";", regex "(.*)",
 * replacement "$1", action replace), its fully anchored regexes (RE2
 * syntax as PCRE2 reads it, dot matching newlines) and Go's $-expansion of
 * replacements ($1, ${1}, $name, ${name}, $$; $1x names the group "1x").
 * Setting a label to the empty string deletes it, as Prometheus's builder
 * does.
 * Ownership rule: relabel_compile copies what it keeps from the config into
 * the rule it returns (freed by relabel_free); a relabel_labels owns its
 * malloc'd names and values (relabel_labels_release). */
#ifndef HEED_COMPAT_RELABEL_H
#define HEED_COMPAT_RELABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum relabel_action {
    RELABEL_REPLACE = 0,
    RELABEL_KEEP,
    RELABEL_DROP,
    RELABEL_KEEPEQUAL,
    RELABEL_DROPEQUAL,
    RELABEL_HASHMOD,
    RELABEL_LABELMAP,
    RELABEL_LABELDROP,
    RELABEL_LABELKEEP,
    RELABEL_LOWERCASE,
    RELABEL_UPPERCASE,
};

/* As written in a configuration; NULL strings take Prometheus's defaults. */
struct relabel_config {
    const char *const *source_labels; /* joined with separator into the value matched */
    size_t nsource_labels;
    const char *separator;   /* NULL: ";" */
    const char *target_label; /* NULL: none */
    const char *regex;       /* NULL: "(.*)" */
    uint64_t modulus;        /* hashmod */
    const char *replacement; /* NULL: "$1" */
    enum relabel_action action;
};

/* The action named s (case-insensitive, as Prometheus reads it); -1 if none. */
int relabel_action_parse(const char *s);
const char *relabel_action_name(enum relabel_action a);

struct relabel_rule;

/* Validates c as Prometheus's Config.Validate does and compiles its regex.
 * Returns the rule, or NULL with the reason in err. */
struct relabel_rule *relabel_compile(const struct relabel_config *c, char *err, size_t errsz);
void relabel_free(struct relabel_rule *r);

/* A label set being relabelled: unsorted while rules run. */
struct relabel_labels {
    struct relabel_label {
        char *name;
        char *value;
    } *l;
    size_t n, cap;
};

void relabel_labels_init(struct relabel_labels *ls);
void relabel_labels_release(struct relabel_labels *ls);
/* Sets name to value (copies both); an empty value deletes the label. */
void relabel_labels_set(struct relabel_labels *ls, const char *name, const char *value);
/* The value of name, or "" when absent. */
const char *relabel_labels_get(const struct relabel_labels *ls, const char *name);
/* Sorts by name (byte order), for sending. */
void relabel_labels_sort(struct relabel_labels *ls);

/* Applies rules in order. Returns false when a rule dropped the set. */
bool relabel_process(struct relabel_rule *const *rules, size_t n, struct relabel_labels *ls);

#endif
