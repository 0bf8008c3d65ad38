/* handlers: the endpoint handlers the route table in server.c points at,
 * one file per endpoint family (h_rules.c, h_query.c, h_status.c,
 * h_freshness.c, h_page.c). A handler fills r->body and r->status.
 * Ownership rule: everything a handler allocates goes into r->arena. */
#ifndef HEED_API_HANDLERS_H
#define HEED_API_HANDLERS_H

struct api_request;

void api_h_rules(struct api_request *r);      /* GET /api/v1/rules */
void api_h_alerts(struct api_request *r);     /* GET /api/v1/alerts */
void api_h_query(struct api_request *r);      /* GET|POST /api/v1/query */
void api_h_query_range(struct api_request *r); /* GET|POST /api/v1/query_range */
void api_h_buildinfo(struct api_request *r);  /* GET /api/v1/status/buildinfo */
void api_h_flags(struct api_request *r);      /* GET /api/v1/status/flags */
void api_h_freshness(struct api_request *r);  /* GET /api/v1/freshness */
void api_h_metrics(struct api_request *r);    /* GET /metrics */
void api_h_healthy(struct api_request *r);    /* GET /-/healthy */
void api_h_ready(struct api_request *r);      /* GET /-/ready */
void api_h_reload(struct api_request *r);     /* POST|PUT /-/reload */
void api_h_page(struct api_request *r);       /* GET / */
void api_h_forward(struct api_request *r);    /* labels, label values, series, metadata, exemplars */
void api_h_format_query(struct api_request *r); /* GET|POST /api/v1/format_query */

/* Takes a snapshot through the provider; on failure replies with the error
 * and returns -1. */
struct api_snapshot;
int api_take_snapshot(struct api_request *r, struct api_snapshot *snap);

#endif
