/* alert: the alert instances of one alerting rule and Prometheus's alert
 * lifecycle over them (inactive, pending, firing; for, keep_firing_for;
 * resolved alerts retained 15 minutes; limit; sending decisions; the ALERTS
 * and ALERTS_FOR_STATE series).
 * Ownership rule: an alert_set owns its instances, their label sets (interned
 * in its own long-lived table, compacted as instances die) and annotations
 * (malloc); inputs are copied, never kept. Times are Unix milliseconds.
 * Under a non-compat policy the lifecycle also follows FRESHNESS.md's four
 * cases (inputs fresh or not, returned or not): instances may be held and
 * carry why (class, series, since when) in heed_* annotations. */
#ifndef HEED_RULES_ALERT_H
#define HEED_RULES_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "eval/fresh.h"
#include "eval/labels.h"
#include "rules/policy.h"

struct eval_error;
struct prov;

/* Prometheus keeps resolved alerts this long, re-sending their resolve. */
#define ALERT_RESOLVED_RETENTION_MS (15 * 60 * 1000)

/* ORDER alert_state: "max" over instances gives a rule's state. */
enum alert_state {
    ALERT_INACTIVE = 0,
    ALERT_PENDING,
    ALERT_FIRING,
};
const char *alert_state_name(enum alert_state s); /* "inactive", "pending", "firing" */

/* An annotation: name and expanded text (may be empty). */
struct alert_annotation {
    char *name;  /* owned */
    char *value; /* owned */
};

struct alert {
    const struct labels *ls;          /* identity, in the set's table */
    struct alert_annotation *ann;     /* owned, sorted by name */
    size_t nann;                      /* annotations */
    enum alert_state state;           /* lifecycle state */
    double value;                     /* value of the sample that last produced it */
    int64_t active_at_ms;             /* when it became pending (the for clock) */
    int64_t fired_at_ms;              /* when it became firing; 0: never */
    int64_t resolved_at_ms;           /* when it resolved; 0: not resolved */
    int64_t last_sent_at_ms;          /* last notification; 0: never */
    int64_t valid_until_ms;           /* endsAt of the last firing notification */
    int64_t keep_firing_since_ms;     /* when keep_firing_for started holding it; 0: not */
    /* freshness (heed semantics only; zero under compat) */
    enum fresh_class stale_class;     /* FRESH: trusted; else the worst class of its inputs */
    int64_t stale_since_ms;           /* start of the untrusted stretch; 0: trusted */
    char *stale_series;               /* owned: the untrusted inputs, formatted; NULL */
    bool held;                        /* not returned, kept by on_missing=hold */
    char *resolve_reason;             /* owned: why it resolved; NULL */
    uint64_t *src;                    /* owned: fingerprints of the inputs that produced it last */
    char **src_names;                 /* owned, parallel to src: their label sets, formatted */
    size_t nsrc;                      /* inputs recorded */
    int64_t last_eval_ms;             /* the evaluation before this one (for clock pauses) */
};

/* One sample of the rule's result, already turned into the alert's identity
 * (sample labels without __name__, rule labels overlaid, alertname set) with
 * its expanded annotations. */
struct alert_input {
    const struct labels *ls;                /* any table; copied */
    double value;                           /* sample value */
    const struct alert_annotation *ann;     /* borrowed, any order */
    size_t nann;
    const struct prov *prov;                /* its inputs (NULL: none); read under heed semantics */
};

struct alert_set {
    struct arena arena;          /* backs table; replaced when compacted */
    struct labels_table table;   /* identities of the instances */
    struct alert *items;         /* instances (malloc), no order */
    size_t n;                    /* instances */
    size_t cap;                  /* allocated */
    size_t *index;               /* open-addressing hash index into items (malloc) */
    size_t index_cap;            /* power of two, or 0 */
};

void alert_set_init(struct alert_set *s);
void alert_set_release(struct alert_set *s);

/* Rule parameters of one evaluation. */
struct alert_params {
    int64_t for_ms;             /* for */
    int64_t keep_firing_for_ms; /* keep_firing_for */
    int limit;                  /* group limit; <= 0: none */
    const struct policy *pol;   /* NULL or compat: Prometheus exactly */
    struct fresh_table *inputs; /* this evaluation's input series (heed semantics; indexed on use) */
};

/* Merges one successful evaluation at ts (Prometheus's AlertingRule.Eval
 * steps 3-6). Duplicated identities fail with Prometheus's message before any
 * change; exceeding the limit clears every instance and fails (Prometheus
 * sends nothing then). Returns 0, or -1 with *err set. */
int alert_set_update(struct alert_set *s, const struct alert_input *in, size_t n, int64_t ts_ms,
                     const struct alert_params *p, struct eval_error *err);

/* Annotation names heed adds to held, stale and resolved instances. */
#define ALERT_ANN_FRESHNESS "heed_freshness"         /* "stale" or "held" */
#define ALERT_ANN_STALE_REASON "heed_stale_reason"   /* "inputs late/frozen/gone" */
#define ALERT_ANN_STALE_SINCE "heed_stale_since"     /* RFC 3339 */
#define ALERT_ANN_STALE_SERIES "heed_stale_series"   /* the series, formatted */
#define ALERT_ANN_RESOLVE_REASON "heed_resolve_reason" /* why it resolved */

struct strbuf;
/* A series as people write it, name{label="value", ...}: how heed names
 * input series in reasons. */
void alert_format_series(struct strbuf *sb, const struct labels *ls);

/* The annotation's value, or NULL. */
const char *alert_annotation(const struct alert *a, const char *name);

/* heed semantics when the rule's query failed (backend down): every active
 * instance is held as it is, marked with inputs late and the error as the
 * series, its for clock standing still; after max_hold it resolves with
 * that reason. Under compat (or pol NULL) nothing changes, as in Prometheus. */
void alert_set_hold_all(struct alert_set *s, int64_t ts_ms, const struct policy *pol, const char *error);

/* Instances that are pending or firing: what /api/v1/alerts lists and what
 * gets ALERTS series (keep-firing ones are firing). */
static inline bool alert_is_active(const struct alert *a)
{
    return a->state != ALERT_INACTIVE;
}

/* The instance with this identity, or NULL. */
struct alert *alert_set_find(const struct alert_set *s, const struct labels *ls);

/* Inserts a copy of a (identity re-interned here, annotations copied),
 * replacing an instance with the same identity: how persisted or inherited
 * state comes back after a restart or reload. Returns the set's copy. */
struct alert *alert_set_restore(struct alert_set *s, const struct alert *a);

/* Whether the instance is due a notification at ts (Prometheus's
 * needsSending): never when pending; always after a fresh resolve; else when
 * the last send is strictly older than resend_delay. */
bool alert_needs_sending(const struct alert *a, int64_t ts_ms, int64_t resend_delay_ms);

/* Records a notification at ts; firing alerts stay valid until
 * ts + 4 * max(interval, resend_delay). */
void alert_mark_sent(struct alert *a, int64_t ts_ms, int64_t interval_ms, int64_t resend_delay_ms);

/* The notification times Prometheus sends: startsAt = fired_at, endsAt =
 * resolved_at when resolved, else valid_until. */
int64_t alert_starts_at(const struct alert *a);
int64_t alert_ends_at(const struct alert *a);

/* The rule's state: the highest over its instances (inactive when none). */
enum alert_state alert_set_state(const struct alert_set *s);

#endif
