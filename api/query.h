/* query: heed's engine answering a query-API request (/api/v1/query,
 * /api/v1/query_range, `heed query`): parse, evaluate over a storage, and
 * shape the result as the API renders it, with Prometheus's error types and
 * texts ("invalid parameter \"query\": 1:5: parse error: ...").
 * Ownership rule: the result lives in the caller's arena; the storage and
 * options are only read. */
#ifndef HEED_API_QUERY_H
#define HEED_API_QUERY_H

#include "api/json.h"
#include "api/model.h"

struct arena;
struct engine_opts;
struct storage;

/* Parses q into a (Prometheus's bad_data texts on failure). Returns the
 * tree, or NULL with *err set. */
struct ast_node;
struct ast_node *api_query_parse(const char *q, struct arena *a, struct api_error *err);

/* Runs req over st. Returns 0 with *out filled, or -1 with *err set. */
int api_query_run(struct storage *st, const struct engine_opts *eo, const struct api_query_request *req,
                  struct arena *a, struct api_query_result *out, struct api_error *err);

#endif
