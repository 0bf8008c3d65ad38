/* params: time and duration parameters spelled as Prometheus's HTTP API
 * accepts them (web/api/v1 parseTime, parseDuration), shared by the query
 * endpoints and the command line.
 * Ownership rule: messages are allocated in the caller's arena. */
#ifndef HEED_API_PARAMS_H
#define HEED_API_PARAMS_H

#include <stdint.h>

#include "api/json.h"
#include "api/model.h"

struct arena;

/* Unix seconds as a float (rounded to ms) or RFC 3339. Returns 0 or -1. */
int api_parse_time(const char *s, int64_t *ms);

/* Float seconds or a Prometheus duration. Returns 0, or -1 with *msg. */
int api_parse_duration(struct arena *a, const char *s, int64_t *ms, const char **msg);

/* Prometheus's checks of a range query's start, end and step (bad_data errors
 * worded as the HTTP API words them). Returns 0, or -1 with *err. */
int api_query_check_range(const struct api_query_request *q, struct api_error *err);

#endif
