/* rulefile_yaml: the rule-file schema decoded from a ynode tree with the
 * semantics of Go's yaml.v3 decoder, which Prometheus uses: which values fit
 * which field, null handling, duplicate keys, unknown fields in strict mode,
 * aliases (with yaml.v3's expansion bound) and "<<" merge keys, and the exact
 * error texts ("yaml: unmarshal errors:\n  line 8: field annotation not found
 * in type rulefmt.Rule", `not a valid duration string: "5x"`).
 * Prometheus decodes a file twice, once strictly into its plain types and
 * once into node-carrying types; the second pass is offered so its errors
 * (worded with the other type names) can be reported too.
 * Ownership rule: groups, rules and strings are allocated in the caller's
 * arena; strings point into the ynode tree where they can. */
#ifndef HEED_RULES_RULEFILE_YAML_H
#define HEED_RULES_RULEFILE_YAML_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct strbuf;
struct ynode;
struct rule_group;

enum rulefile_yaml_pass {
    RULEFILE_YAML_TYPED = 0, /* into rulefmt.RuleGroups: strings, durations, maps */
    RULEFILE_YAML_NODES,     /* into rulefmt.ruleGroups: record/alert/expr kept as nodes */
};

/* Decodes root (NULL: empty document) into groups. strict rejects unknown
 * fields. Returns 0, or -1 with the one error Go's Decode would return
 * appended to err (possibly several lines). */
int rulefile_yaml_decode(const struct ynode *root, struct arena *a, enum rulefile_yaml_pass pass,
                         bool strict, struct rule_group **groups, size_t *ngroups, struct strbuf *err);

#endif
