/* lint_internal: what the files of the lint module share (lint.c: the run,
 * directives, findings and output; lint_checks.c: the per-rule checks over
 * the expression tree). Not for use outside rules/lint*.c.
 * Ownership rule: the context borrows the rule files and owns, through its
 * arenas, every table built during one lint_run. */
#ifndef HEED_RULES_LINT_INTERNAL_H
#define HEED_RULES_LINT_INTERNAL_H

#include "rules/lint.h"
#include "rules/rulefile.h"

struct ast_node;

/* A string-keyed table (open addressing); keys and values are borrowed. */
struct lint_map {
    const char **keys; /* NULL: empty slot */
    void **vals;       /* value per slot */
    size_t cap, len;   /* slots (a power of two), used */
};
void lint_map_init(struct lint_map *m);
void lint_map_release(struct lint_map *m);
void *lint_map_get(const struct lint_map *m, const char *key);
void lint_map_put(struct lint_map *m, const char *key, void *val);

/* The freshness policy and cadence a rule is linted with: its group's
 * directives overlaid by its own. */
struct lint_policy {
    bool has_on_missing;    /* on-missing= given */
    bool has_max_unchanged; /* max-unchanged= given */
    int64_t cadence_ms;     /* cadence= (0: not declared) */
    bool cadence_on_rule;   /* declared above the rule (else above the group) */
};

/* A disable=<check> directive. */
struct lint_disable {
    enum lint_check check; /* what it silences */
    size_t file, group;    /* where it stands */
    long rule;             /* rule index in the group, -1: above the group */
    uint32_t offset;       /* the directive's '#' */
    bool used;             /* it silenced a finding */
};

/* A selector whose absence an alert watches: absent(S) / absent_over_time(S[..]). */
struct lint_absent_sel {
    const struct ast_node *vs; /* the AST_VECTOR_SELECTOR */
};

/* The selector text an online lookup is keyed by, and what was observed. */
struct lint_sel {
    const char *text;    /* canonical selector without offset/@ */
    struct lint_obs obs; /* filled online */
};

struct lint_ctx {
    const struct lint_opts *opts;
    struct lint_report *rep;
    struct arena *a;  /* long-lived strings (report arena) */
    struct arena tmp; /* per-rule scratch, reset after each rule */
    const struct rulefile *const *files;
    size_t nfiles;
    uint32_t **line_starts; /* per file: byte offset of each line */
    size_t *nlines;         /* per file */
    /* the current position in the walk */
    size_t fi, gi, ri; /* file, group, rule indexes */
    const struct rulefile *rf;
    const struct rule_group *g;
    const struct rule *r;
    struct lint_policy pol; /* the current rule's policy */
    int64_t interval_ms;    /* the current group's interval */
    /* set-wide facts */
    struct lint_map records;         /* record name -> its struct rule */
    struct lint_absent_sel *absents; /* selectors watched by absent() in alerting rules */
    size_t nabsents, capabsents;
    struct lint_map sels;       /* selector text -> struct lint_sel (online) */
    struct lint_sel **sel_list; /* in first-seen order */
    size_t nsel, capsel;
    bool online;        /* observations are available */
    bool have_watchdog; /* an always-firing alert exists */
    /* online, per group: the largest ingestion-lag estimate among its rules */
    int64_t group_lag;                        /* INT64_MIN: none */
    const char *group_lag_sel;                /* the selector it was seen on */
    int64_t group_lag_age, group_lag_cadence; /* that selector's newest-sample age and cadence */
    /* findings before disables are applied; scope per finding */
    struct lint_disable *disables;
    size_t ndisables, capdisables;
    long *finding_rule; /* per finding: rule index or -1 (group) or -2 (set) */
    size_t *finding_file, *finding_group;
    size_t capscope;
};

/* Adds a finding at byte offset off of the current file, scoped to the
 * current rule (rule_scope true) or group. */
void lint_add(struct lint_ctx *c, enum lint_check check, uint32_t off, bool rule_scope, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The byte offset in the file of offset pos inside the current rule's
 * expression (the expression's own start when it cannot be mapped). */
uint32_t lint_expr_offset(const struct lint_ctx *c, uint32_t pos);

/* The canonical text of a vector selector without offset/@ (tmp arena). */
const char *lint_selector_text(struct lint_ctx *c, struct arena *a, const struct ast_node *vs);

/* The online observation for a selector (NULL offline or unknown). */
const struct lint_obs *lint_observed(const struct lint_ctx *c, const char *sel_text);

/* Whether an expression always returns at least one series (a watchdog). */
bool lint_always_fires(const struct ast_node *n);

/* Runs every per-rule check on the current rule. */
void lint_check_rule(struct lint_ctx *c);

/* Reports what needs all of a group's rules (the ingestion lag). */
void lint_check_group_end(struct lint_ctx *c);

/* Collects what the set-wide checks need from the current rule. */
void lint_collect_rule(struct lint_ctx *c);

#endif
