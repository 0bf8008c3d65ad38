/* metrics: heed's own metrics registry and the Prometheus text exposition
 * format (version 0.0.4), spelled as client_golang spells it: families
 * sorted by name, series by label values, floats in Go's shortest 'g' form.
 * Counters, gauges, summaries (quantiles over a window of the most recent
 * observations) and histograms, each with optional labels.
 * Thread safety: every call may come from any thread; one mutex per
 * registry guards families, series and values.
 * Ownership rule: the registry owns its families and series; the pointers
 * it hands out stay valid until metrics_series_remove() removes that series
 * or metrics_registry_free() frees everything. Names and help texts are
 * copied. */
#ifndef HEED_API_METRICS_H
#define HEED_API_METRICS_H

#include <stddef.h>

struct strbuf;
struct metrics_registry;
struct metrics_family;
struct metrics_series;

enum metrics_type {
    METRICS_COUNTER = 0, /* only goes up */
    METRICS_GAUGE,       /* set to any value */
    METRICS_SUMMARY,     /* sum, count and quantiles of recent observations */
    METRICS_HISTOGRAM,   /* sum, count and cumulative buckets */
};

/* How many recent observations a summary keeps for its quantiles. */
#define METRICS_SUMMARY_WINDOW 1024

struct metrics_registry *metrics_registry_new(void);
void metrics_registry_free(struct metrics_registry *r);

/* Declares a family, or returns the existing one of that name (which must
 * have the same type and labels: else NULL). label_names is NULL-terminated
 * (NULL: no labels). bounds: histogram bucket upper bounds (ascending; +Inf
 * is implied) or summary quantiles (0..1); n: their count. */
struct metrics_family *metrics_family(struct metrics_registry *r, enum metrics_type type, const char *name,
                                      const char *help, const char *const *label_names, const double *bounds,
                                      size_t n);

/* The series with these label values (as many as the family has labels;
 * NULL when it has none), created on first use. */
struct metrics_series *metrics_series(struct metrics_family *f, const char *const *label_values);
/* Removes a series (e.g. of a rule group that no longer exists). */
void metrics_series_remove(struct metrics_family *f, const char *const *label_values);

void metrics_add(struct metrics_series *s, double v);     /* counter (v >= 0) or gauge */
void metrics_set(struct metrics_series *s, double v);     /* gauge */
void metrics_observe(struct metrics_series *s, double v); /* summary or histogram */
double metrics_value(struct metrics_series *s);           /* counter/gauge value; sum otherwise */

/* Refreshes the process_* families from /proc (CPU, memory, fds, start). */
void metrics_update_process(struct metrics_registry *r);

/* Appends the whole registry in the text exposition format. */
void metrics_render(struct metrics_registry *r, struct strbuf *out);

/* The Content-Type of metrics_render's output. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
