/* snapmetrics: the metrics /metrics derives from a snapshot at scrape time:
 * Prometheus's own rule-group metrics (prometheus_rule_group_*, labelled
 * rule_group="<file>;<group>", so existing dashboards and alerts about rule
 * evaluation work unchanged) and heed's freshness and lag metrics.
 * Derived per scrape into a scratch registry, so a removed group's series
 * disappear with it. The two duration summaries/histograms Prometheus has
 * without labels are fed by events instead: api_snapmetrics_observe_*.
 * Ownership rule: writes into the registry it is given; keeps nothing. */
#ifndef HEED_API_SNAPMETRICS_H
#define HEED_API_SNAPMETRICS_H

struct api_snapshot;
struct metrics_registry;

/* Adds the snapshot-derived families to reg (normally a fresh registry). */
void api_snapmetrics_fill(struct metrics_registry *reg, const struct api_snapshot *snap);

/* prometheus_rule_evaluation_duration_seconds (summary .5/.9/.99) and
 * ..._histogram_seconds: one rule evaluation took seconds. */
void api_snapmetrics_observe_rule(struct metrics_registry *reg, double seconds);
/* prometheus_rule_group_duration_seconds (summary .01/.05/.5/.9/.99) and
 * ..._histogram_seconds: one group iteration took seconds. */
void api_snapmetrics_observe_group(struct metrics_registry *reg, double seconds);

#endif
