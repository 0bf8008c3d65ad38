/* policy: how a rule treats inputs it cannot trust (design/FRESHNESS.md
 * "Policy"): max_age, max_unchanged (optionally per metric name), on_stale,
 * on_missing, max_hold; the profiles `default` and `compat` (exactly
 * Prometheus); resolution from global defaults < configuration entries
 * matched by group / rule name < `# heed:` directives above a group < above
 * a rule; and the classification hook the engine calls per input series.
 * Ownership rule: a policy is a plain value (fixed-size, copied freely);
 * a policy_config owns its entries (policy_config_release). */
#ifndef HEED_RULES_POLICY_H
#define HEED_RULES_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/fresh.h"

struct diag_list;
struct rulefile;
struct rule_group;
struct rule;

enum policy_on_stale {
    POLICY_STALE_HOLD = 0, /* no new instance, pending does not advance, firing stays (marked stale) */
    POLICY_STALE_FIRE,     /* Prometheus: the lifecycle goes on */
    POLICY_STALE_RESOLVE,  /* treat the instance as not returned */
};

enum policy_on_missing {
    POLICY_MISSING_HOLD = 0, /* keep the instance until fresh evidence or max_hold */
    POLICY_MISSING_RESOLVE,  /* Prometheus: resolve */
};

#define POLICY_MAX_METRICS 8   /* per-metric max_unchanged entries */
#define POLICY_METRIC_LEN 128  /* longest metric name in such an entry */
#define POLICY_AUTO_MIN_MS (60 * 1000) /* max_age auto: at least 1m */
#define POLICY_AUTO_FACTOR 3           /* max_age auto: 3 x cadence */

struct policy_unchanged {
    char metric[POLICY_METRIC_LEN]; /* __name__ it applies to */
    int64_t ms;                     /* its max_unchanged */
};

struct policy {
    bool compat;                 /* profile compat: Prometheus exactly, no classification */
    int64_t max_age_ms;          /* 0: auto (3 x cadence, at least 1m) */
    int64_t max_unchanged_ms;    /* for every metric without its own entry; 0: off */
    struct policy_unchanged per_metric[POLICY_MAX_METRICS]; /* metric-specific max_unchanged */
    size_t nper_metric;          /* entries used */
    enum policy_on_stale on_stale;
    enum policy_on_missing on_missing;
    int64_t max_hold_ms;         /* after it a held instance resolves with its reason */
};

enum policy_profile {
    POLICY_PROFILE_DEFAULT = 0, /* heed's semantics */
    POLICY_PROFILE_COMPAT,      /* Prometheus's */
};

/* The profile's policy. */
struct policy policy_profile(enum policy_profile p);
/* "default" / "compat" -> 0 and *p, else -1. */
int policy_profile_parse(const char *s, enum policy_profile *p);

/* Which keys a patch sets (bit per key). */
enum {
    POLICY_SET_PROFILE = 1u << 0,
    POLICY_SET_MAX_AGE = 1u << 1,
    POLICY_SET_MAX_UNCHANGED = 1u << 2,
    POLICY_SET_ON_STALE = 1u << 3,
    POLICY_SET_ON_MISSING = 1u << 4,
    POLICY_SET_MAX_HOLD = 1u << 5,
};

/* Some keys, to lay over a policy. */
struct policy_patch {
    unsigned set;     /* POLICY_SET_* bits */
    struct policy v;  /* the values of the keys set (profile: v.compat) */
};

/* Lays p over pol: a profile key first resets pol to that profile. */
void policy_apply(struct policy *pol, const struct policy_patch *p);

/* Parses "key=value key=value ..." (keys with dashes: profile, max-age,
 * max-unchanged, on-stale, on-missing, max-hold) into *out, adding to what
 * it already sets. max-unchanged takes a duration, or metric:duration
 * entries separated by commas. On error returns -1 with *err_at the
 * offset in text of the offending key and msg set. */
int policy_patch_parse(const char *text, size_t len, struct policy_patch *out, size_t *err_at,
                       char *msg, size_t msglen);

/* A configuration entry: applies to groups and rules whose names fully
 * match the regular expressions (NULL: any). */
struct policy_entry {
    char *group_re;             /* owned; NULL: any group */
    char *rule_re;              /* owned; NULL: any rule */
    struct policy_patch patch;  /* what it sets */
};

/* What the daemon's configuration `freshness:` section fills. */
struct policy_config {
    enum policy_profile profile;  /* global profile */
    struct policy_patch defaults; /* global keys over the profile */
    struct policy_entry *entries; /* owned, in file order (later wins) */
    size_t nentries, cap;
    bool shadow;                  /* shadow mode: evaluate both semantics */
};

void policy_config_init(struct policy_config *c, enum policy_profile p);
void policy_config_release(struct policy_config *c);
/* Adds an entry (regexes copied; NULL: any). Returns -1 with msg when a
 * regex does not compile. */
int policy_config_add(struct policy_config *c, const char *group_re, const char *rule_re,
                      const struct policy_patch *patch, char *msg, size_t msglen);

/* The policy of rule r of group g in file rf: global profile and defaults,
 * matching entries, then the directives above the group and above the rule.
 * Under the compat profile a rule or group with a directive starts from the
 * default profile (a directive asks for heed's semantics) unless it says
 * profile=compat. Bad directives add diags at their file:line:col and
 * return -1 (the policy is then what resolved before them). */
int policy_resolve(const struct policy_config *c, const struct rulefile *rf,
                   const struct rule_group *g, const struct rule *r, struct policy *out,
                   struct diag_list *dl);

/* The max_unchanged that applies to a metric name (NULL: no name); 0: off. */
int64_t policy_max_unchanged(const struct policy *p, const char *metric);
/* The largest max_unchanged of the policy: how far back selectors must reach. */
int64_t policy_widest_unchanged(const struct policy *p);

/* The engine hook's classification (ctx: const struct policy *). */
enum fresh_class policy_classify(void *ctx, const struct labels *ls, const struct fresh_figures *f);

/* Fills h for the engine: classification by p and the fetch widening its
 * max_unchanged needs beyond lookback_ms. */
void policy_hook(const struct policy *p, int64_t lookback_ms, struct fresh_hook *h);

const char *policy_on_stale_name(enum policy_on_stale s);
const char *policy_on_missing_name(enum policy_on_missing m);

#endif
