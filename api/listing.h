/* listing: what the rule-state endpoints (/api/v1/rules, /api/v1/alerts,
 * /api/v1/freshness) share: the name filters, the success envelope around
 * one list ({"status":"success","data":{"<key>":[...]}}), a group's timing
 * fields and a rule's type name.
 * Ownership rule: writes into the caller's json_writer; keeps nothing. */
#ifndef HEED_API_LISTING_H
#define HEED_API_LISTING_H

#include <stddef.h>

#include "api/json.h"
#include "api/model.h"

/* 1 when v is one of the n strings of set, or when the set is empty (no
 * filter given). */
int api_listing_in_set(const char *const *set, size_t n, const char *v);

/* Starts {"status":"success","data":{"<key>":[ on out. */
void api_listing_begin(struct json_writer *w, struct strbuf *out, const char *key);
/* Ends the list; extra_key (NULL: none) adds one more string field after it. */
void api_listing_end(struct json_writer *w, const char *extra_key, const char *extra_value);

/* A group's "interval", "limit" (with_limit), "evaluationTime",
 * "lastEvaluation" (Prometheus's fields, in its order), then heed's
 * "evaluationLag" and "iterationsMissed". */
void api_listing_group_timing(struct json_writer *w, const struct api_group *g, int with_limit);

/* "alerting" or "recording". */
const char *api_listing_rule_type(const struct api_rule *rule);

#endif
