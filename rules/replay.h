/* replay: rule groups evaluated over a past range of recorded data, tick by
 * tick as the scheduler evaluates them (each group at the slots of
 * rules/schedule: its interval, shifted by Prometheus's per-group phase
 * hashed from the rule file's name as given and the group's name; data
 * visible only up to the tick), recording for every alert instance and each
 * semantics (heed's, Prometheus's) the transitions of its state and
 * freshness with the reason of each. `heed replay` prints the result
 * (rules/replay_out.h); the bundled examples and their goldens run it.
 * Ownership rule: a replay owns everything it recorded (labels and reasons
 * in its arena, transition arrays malloc'd); replay_release frees it all.
 * The rule files and the data are only borrowed during replay_run; the
 * groups' output series (recording rules, ALERTS) live in a store of the
 * replay's own, joined to the data for the rules that read them. */
#ifndef HEED_RULES_REPLAY_H
#define HEED_RULES_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "eval/labels.h"
#include "rules/alert.h"
#include "rules/policy.h"
#include "rules/schedule.h"

struct storage;
struct rulefile_set;

/* ORDER replay_semantics: heed first, as the timelines show them. */
enum replay_semantics {
    REPLAY_HEED = 0,
    REPLAY_PROMETHEUS,
    REPLAY_NSEM,
};
const char *replay_semantics_name(enum replay_semantics s); /* "heed", "prometheus" */

enum replay_freshness {
    REPLAY_FRESH = 0, /* the instance's inputs are trusted */
    REPLAY_STALE,     /* late, frozen or gone inputs (or the instance is held on them) */
};
const char *replay_freshness_name(enum replay_freshness f); /* "fresh", "stale" */

/* A change of state or freshness at an evaluation tick. */
struct replay_transition {
    int64_t t_ms;                    /* the tick */
    enum alert_state state;          /* state from this tick on */
    enum replay_freshness freshness; /* freshness from this tick on */
    const char *reason;              /* why (replay arena) */
};

/* One alert instance under one semantics. */
struct replay_instance {
    const char *alertname;          /* its alertname label */
    const struct labels *ls;        /* full identity (alertname included), replay table */
    enum replay_semantics sem;      /* which semantics */
    size_t rule;                    /* index of its rule in replay.rules */
    struct replay_transition *tr;   /* transitions in time order (malloc) */
    size_t n, cap;                  /* used, allocated */
    int64_t last_seen_ms;           /* tick it was last in its rule's alert set */
};

/* A rule as the replay names it. */
struct replay_rule {
    const char *group; /* group name (borrowed from the rule files) */
    const char *name;  /* alert or record name (borrowed) */
    bool alerting;     /* whether it has instances */
    bool builtin;      /* heed's self-monitoring alerts (heed's semantics only) */
    size_t errors;     /* ticks at which it failed */
    char *last_error;  /* replay arena: the last failure's message; NULL */
    size_t *inst;      /* indexes into replay.inst of its instances (malloc) */
    size_t ninst, capinst;
};

struct replay_opts {
    int64_t from_ms, to_ms;   /* range; ticks at from <= t <= to */
    int64_t interval_ms;      /* for groups that set none (Prometheus's global evaluation_interval); 0: 1m */
    int64_t ingest_delay_ms;  /* data visible only up to tick - delay (a lagging pipeline); 0: none */
    int64_t outage_from_ms, outage_to_ms; /* queries fail in [from, to) (a backend outage); equal: none */
    enum policy_profile profile; /* heed's policy for rules without directives (shadow: the other) */
    enum schedule_hash_kind group_phase; /* whose per-group phases the slots follow (as group_phase in heed run) */
    void (*end_eval)(void *ctx); /* called after each group evaluation (a datasource drops its cache); NULL */
    void *end_eval_ctx;
};

struct replay {
    struct arena arena;              /* labels, reasons, names */
    struct labels_table table;       /* identities of the instances */
    struct replay_instance *inst;    /* instances in order of first appearance (malloc) */
    size_t n, cap;                   /* used, allocated */
    size_t *index;                   /* open addressing: index + 1 into inst, 0 empty (malloc) */
    size_t index_cap;                /* power of two, or 0 */
    struct replay_rule *rules;       /* every rule of every group, file order (malloc) */
    size_t nrules;
    int64_t from_ms, to_ms;          /* the range replayed */
    size_t evaluations;              /* group evaluations run */
    bool sem_evaluated[REPLAY_NSEM]; /* which semantics this build evaluated */
};

void replay_init(struct replay *rp);
void replay_release(struct replay *rp);

/* Evaluates every group of rules over the range on data (a memstore
 * holding recorded series, or a datasource) and records the transitions. Returns 0, or -1 with msg set when a
 * group cannot be prepared or the range is empty. Rule failures are counted
 * per rule, not returned. */
int replay_run(struct replay *rp, const struct rulefile_set *rules, struct storage *data,
               const struct replay_opts *o, char *msg, size_t msglen);

/* The instance's state and freshness at t (inactive and fresh before its
 * first transition). */
void replay_instance_at(const struct replay_instance *in, int64_t t_ms, enum alert_state *state,
                        enum replay_freshness *fresh);

/* The instance of the other semantics with the same identity, or NULL. */
const struct replay_instance *replay_counterpart(const struct replay *rp, const struct replay_instance *in);

#endif
