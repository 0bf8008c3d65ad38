/* schedule: when a rule group evaluates, as Prometheus times its groups.
 * Every group has a fixed phase inside its interval, derived from the hash of
 * the label set {file="<file>", name="<group>"} exactly as Prometheus computes
 * it (XXH64 of its label-set bytes, Prometheus 3's or 2's), so heed and Prometheus evaluate the
 * same group at the same instants. Evaluation timestamps are slots
 * (phase + k*interval); the first one is the slot after the current one; a
 * group that falls behind skips the slots it missed (counted, never caught up).
 * Sharding picks groups by a stable hash of their key.
 * Ownership rule: plain values; nothing here allocates. Times are Unix
 * nanoseconds (Prometheus's phase is in nanoseconds). */
#ifndef HEED_RULES_SCHEDULE_H
#define HEED_RULES_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHEDULE_NS_PER_MS INT64_C(1000000)

/* The bytes Prometheus hashes for the label set {file=file, name=name}:
 * names sorted, each string preceded by its length (one byte below 255, else
 * 0xFF and three bytes little-endian). Writes at most size bytes into buf and
 * returns the full length (as snprintf). */
size_t schedule_group_labels_encode(const char *file, const char *name, unsigned char *buf, size_t size);

/* Which Prometheus's phases to match: its Group.hash() is Labels.Hash() of
 * {file, name}, whose bytes depend on how that build stores label sets. */
enum schedule_hash_kind {
    SCHEDULE_HASH_STRINGLABELS = 0, /* Prometheus 3 (default build): the encoding above */
    SCHEDULE_HASH_SLICELABELS,      /* Prometheus 2: name 0xFF value 0xFF for each label */
};

/* Prometheus's Group.hash(): XXH64 (seed 0) of the label set's bytes. */
uint64_t schedule_group_hash(enum schedule_hash_kind kind, const char *file, const char *name);

/* The phase of a group in an interval: hash mod interval (both in ns). */
int64_t schedule_phase_ns(uint64_t hash, int64_t interval_ns);

/* The slot holding time t: the latest phase + k*interval <= t
 * (Prometheus's Group.EvalTimestamp). */
int64_t schedule_slot_ns(int64_t phase_ns, int64_t interval_ns, int64_t t_ns);

/* One group's timer. */
struct schedule {
    int64_t interval_ns; /* the group's interval */
    int64_t phase_ns;    /* its phase */
    int64_t next_ns;     /* the next slot to evaluate */
    uint64_t iterations; /* scheduled iterations: evaluated + missed (..._iterations_total) */
    uint64_t missed;     /* slots skipped because the group fell behind (..._iterations_missed_total) */
};

/* Starts a timer at now: the first evaluation is at the slot after now's. */
void schedule_init(struct schedule *s, enum schedule_hash_kind kind, const char *file, const char *name,
                   int64_t interval_ns, int64_t now_ns);

/* Called once now >= s->next_ns: returns the slot to evaluate (the latest
 * slot <= now; slots skipped in between are counted as missed) and moves
 * next_ns to the slot after it. */
int64_t schedule_tick(struct schedule *s, int64_t now_ns);

/* Sharding: parses "i/n" (0 <= i < n). Returns 0, or -1. */
int schedule_shard_parse(const char *s, unsigned *index, unsigned *count);

/* Whether the group with this key (file + ";" + name) belongs to shard
 * index of count: XXH64 of the key, mod count. Stable across processes,
 * machines and versions, so replicas agree without talking. */
bool schedule_shard_owns(const char *group_key, unsigned index, unsigned count);

#endif
