#include "api/listing.h"

#include <string.h>

int api_listing_in_set(const char *const *set, size_t n, const char *v)
{
    if (!n)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(set[i], v))
            return 1;
    return 0;
}

void api_listing_begin(struct json_writer *w, struct strbuf *out, const char *key)
{
    json_init(w, out);
    json_envelope_begin(w);
    json_object_begin(w);
    json_key(w, key);
    json_array_begin(w);
}

void api_listing_end(struct json_writer *w, const char *extra_key, const char *extra_value)
{
    json_array_end(w);
    if (extra_key) {
        json_key(w, extra_key);
        json_string(w, extra_value);
    }
    json_object_end(w);
    json_envelope_end(w, NULL, 0, NULL, 0);
}

void api_listing_group_timing(struct json_writer *w, const struct api_group *g, int with_limit)
{
    json_key(w, "interval");
    json_float(w, g->interval);
    if (with_limit) {
        json_key(w, "limit");
        json_int(w, g->limit);
    }
    json_key(w, "evaluationTime");
    json_float(w, g->evaluation_time);
    json_key(w, "lastEvaluation");
    json_time(w, g->last_evaluation);
    json_key(w, "evaluationLag");
    json_float(w, g->evaluation_lag);
    json_key(w, "iterationsMissed");
    json_int(w, (int64_t)g->iterations_missed);
}

const char *api_listing_rule_type(const struct api_rule *rule)
{
    return rule->type == API_RULE_ALERTING ? "alerting" : "recording";
}
