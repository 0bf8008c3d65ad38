/* render: JSON pieces more than one endpoint writes.
 * Ownership rule: writes into the caller's json_writer; keeps nothing. */
#ifndef HEED_API_RENDER_H
#define HEED_API_RENDER_H

#include "api/json.h"
#include "api/model.h"

/* heed's "freshness" object. full adds each input's cadence and
 * unchangedFor (the /api/v1/freshness detail). */
void api_render_freshness(struct json_writer *w, const struct api_freshness *f, int full);

#endif
