/* render: JSON pieces more than one endpoint writes.
 * Ownership rule: writes into the caller's json_writer; keeps nothing. */
#ifndef HEED_API_RENDER_H
#define HEED_API_RENDER_H

#include "api/json.h"
#include "api/model.h"

/* heed's "freshness" object. full adds each input's cadence and
 * unchangedFor (the /api/v1/freshness detail). */
void api_render_freshness(struct json_writer *w, const struct api_freshness *f, int full);

/* The success envelope of a query result (the first nseries series). */
void api_render_query_result(struct json_writer *w, const struct api_query_result *res, size_t nseries,
                             const char *const *warnings, size_t nwarnings);

#endif
