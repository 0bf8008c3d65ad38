/* lint_online: what heed lint learns from a live backend, over the
 * Prometheus HTTP API (compat/datasource): for each selector, the raw samples
 * of selector[window] at "now" give whether it matches any series, each
 * series' cadence (the median gap between its samples; the selector's is the
 * largest of those) and the age of the newest sample (the ingestion lag
 * estimate). Implements the lint_backend interface of rules/lint.h.
 * Ownership rule: a lint_online owns its datasource client;
 * lint_online_free() releases it. */
#ifndef HEED_RULES_LINT_ONLINE_H
#define HEED_RULES_LINT_ONLINE_H

#include <stddef.h>
#include <stdint.h>

struct lint_online;
struct lint_backend;

/* now_ms: the time to look from; window_ms: how far back (0: 30m).
 * Returns NULL with err filled when the URL or client is unusable. */
struct lint_online *lint_online_new(const char *url, int64_t now_ms, int64_t window_ms, char *err,
                                    size_t errlen);
const struct lint_backend *lint_online_backend(struct lint_online *o);
void lint_online_free(struct lint_online *o); /* NULL is fine */

#endif
