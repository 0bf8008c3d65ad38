/* relabel: Prometheus's relabel_configs (model/relabel), which heed applies
 * to outgoing alerts as Prometheus applies alerting.alert_relabel_configs:
 * the same actions, defaults, validation messages, anchored RE2-syntax
 * regexes, Go's $1 / ${1} / $name template expansion and hashmod's MD5.
 *
 * Ownership rule: relabel_compile() copies a spec into rule memory from the
 * caller's arena (the compiled regex is freed with it); a relabel_set owns
 * malloc'd copies of its names and values until relabel_set_release(). */
#ifndef HEED_COMPAT_RELABEL_H
#define HEED_COMPAT_RELABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grammar/ast.h"

struct arena;
struct strbuf;

enum relabel_action {
    RELABEL_REPLACE,
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

/* One relabel_configs entry as written; NULL (or has_* false) where a key is
 * not given, so that the defaults and validation follow Prometheus's. */
struct relabel_spec {
    const char *action;                /* NULL: replace; any case */
    const char *const *source_labels;
    size_t nsource;
    bool has_source;                   /* source_labels given (even empty) */
    const char *separator;             /* NULL: ";" */
    const char *target_label;          /* NULL: "" */
    const char *regex;                 /* NULL: (.*) */
    uint64_t modulus;
    const char *replacement;           /* NULL: "$1" */
};

struct relabel_rule {
    enum relabel_action action;
    const char **source_labels;
    size_t nsource;
    const char *separator;
    const char *target_label;
    const char *replacement;
    uint64_t modulus;
    bool regex_given;         /* an explicit regex (the replace fast path needs the default) */
    struct ast_matcher re;    /* the regex, compiled anchored */
};

/* Validates and compiles spec into *out (memory from a). Returns 0, or -1
 * with Prometheus's message in err. */
int relabel_compile(struct arena *a, const struct relabel_spec *spec, struct relabel_rule *out,
                    struct strbuf *err);

/* A label set being relabelled: sorted by name, no empty values. */
struct relabel_label {
    char *name;
    char *value;
};
struct relabel_set {
    struct relabel_label *l;
    size_t n, cap;
};

/* Sets name to value; an empty value removes the label (labels.Builder). */
void relabel_set_put(struct relabel_set *s, const char *name, const char *value);
/* The value of name, "" when absent. */
const char *relabel_set_get(const struct relabel_set *s, const char *name);
void relabel_set_release(struct relabel_set *s);

/* Applies the rules in order; false when one drops the set (its labels are
 * then unspecified). */
bool relabel_process(const struct relabel_rule *rules, size_t n, struct relabel_set *s);

#endif
