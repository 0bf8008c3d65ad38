/* /api/v1/freshness: heed's own endpoint. Per group its evaluation lag, per
 * rule and per alert instance the input series with age, cadence,
 * unchangedFor and class. Same envelope as every Prometheus endpoint;
 * rule_group[], file[] and rule_name[] filter as in /api/v1/rules. */
#include <stdbool.h>
#include <string.h>

#include "api/handlers.h"
#include "api/listing.h"
#include "api/render.h"
#include "api/server.h"

/* A rule's input figures beyond its freshness summary (FRESHNESS.md "Lag,
 * exposed"): median age and ingestion lag (null before an evaluation read
 * an input), untrusted inputs by class. */
static void render_rule_lag(struct json_writer *w, const struct api_freshness *f)
{
    bool known = f->state != API_FRESH_UNKNOWN && f->ingestion_lag >= 0;
    json_key(w, "medianAge");
    if (known)
        json_float(w, f->median_age);
    else
        json_null(w);
    json_key(w, "ingestionLag");
    if (known)
        json_float(w, f->ingestion_lag);
    else
        json_null(w);
    json_key(w, "inputsLate");
    json_int(w, (int64_t)f->inputs_late);
    json_key(w, "inputsFrozen");
    json_int(w, (int64_t)f->inputs_frozen);
    json_key(w, "inputsGone");
    json_int(w, (int64_t)f->inputs_gone);
}

void api_h_freshness(struct api_request *r)
{
    const char **names, **groups, **files;
    size_t nnames = api_param_all(r, "rule_name[]", &names);
    size_t ngroups = api_param_all(r, "rule_group[]", &groups);
    size_t nfiles = api_param_all(r, "file[]", &files);
    struct api_snapshot snap;
    if (api_take_snapshot(r, &snap) < 0)
        return;
    struct json_writer w;
    api_listing_begin(&w, &r->body, "groups");
    for (size_t gi = 0; gi < snap.ngroups; gi++) {
        const struct api_group *g = &snap.groups[gi];
        if (!api_listing_in_set(groups, ngroups, g->name) || !api_listing_in_set(files, nfiles, g->file))
            continue;
        json_object_begin(&w);
        json_key(&w, "name");
        json_string(&w, g->name);
        json_key(&w, "file");
        json_string(&w, g->file);
        api_listing_group_timing(&w, g, 0);
        json_key(&w, "rules");
        json_array_begin(&w);
        for (size_t ri = 0; ri < g->nrules; ri++) {
            const struct api_rule *rule = &g->rules[ri];
            if (!api_listing_in_set(names, nnames, rule->name))
                continue;
            json_object_begin(&w);
            json_key(&w, "name");
            json_string(&w, rule->name);
            json_key(&w, "type");
            json_string(&w, api_listing_rule_type(rule));
            json_key(&w, "health");
            json_string(&w, api_rule_health_name(rule->health));
            json_key(&w, "freshness");
            api_render_freshness(&w, &rule->fresh, 1);
            render_rule_lag(&w, &rule->fresh);
            if (rule->type == API_RULE_ALERTING) {
                json_key(&w, "alerts");
                json_array_begin(&w);
                for (size_t ai = 0; ai < rule->nalerts; ai++) {
                    const struct api_alert *a = &rule->alerts[ai];
                    json_object_begin(&w);
                    json_key(&w, "labels");
                    json_labels(&w, &a->labels);
                    json_key(&w, "state");
                    json_string(&w, api_alert_state_name(a->state));
                    json_key(&w, "freshness");
                    api_render_freshness(&w, &a->fresh, 1);
                    json_object_end(&w);
                }
                json_array_end(&w);
            }
            json_object_end(&w);
        }
        json_array_end(&w);
        json_object_end(&w);
    }
    api_listing_end(&w, NULL, NULL);
    api_reply_json(r);
}
