/* /api/v1/rules and /api/v1/alerts in Prometheus's shapes (web/api/v1/api.go
 * RuleDiscovery, RuleGroup, AlertingRule, RecordingRule, Alert), with
 * heed's "freshness" objects as additional fields. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "api/handlers.h"
#include "api/listing.h"
#include "api/render.h"
#include "api/server.h"
#include "base/diag.h"
#include "compat/promfmt.h"
#include "grammar/parse.h"

void api_render_freshness(struct json_writer *w, const struct api_freshness *f, int full)
{
    json_object_begin(w);
    json_key(w, "state");
    json_string(w, api_fresh_state_name(f->state));
    if (f->reason && f->reason[0]) {
        json_key(w, "reason");
        json_string(w, f->reason);
    }
    if (f->since != API_TIME_NONE && f->state != API_FRESH_FRESH && f->state != API_FRESH_UNKNOWN) {
        json_key(w, "since");
        json_time(w, f->since);
    }
    json_key(w, "worstAge");
    json_float(w, f->worst_age);
    json_key(w, "inputsTotal");
    json_int(w, (int64_t)f->inputs_total);
    json_key(w, "inputsNotFresh");
    json_int(w, (int64_t)f->inputs_not_fresh);
    json_key(w, "inputs");
    json_array_begin(w);
    for (size_t i = 0; i < f->ninputs; i++) {
        const struct api_input *in = &f->inputs[i];
        json_object_begin(w);
        json_key(w, "labels");
        json_labels(w, &in->labels);
        json_key(w, "class");
        json_string(w, api_input_class_name(in->cls));
        json_key(w, "age");
        json_float(w, in->age);
        if (full) {
            json_key(w, "cadence");
            json_float(w, in->cadence);
            json_key(w, "unchangedFor");
            json_float(w, in->unchanged_for);
            json_key(w, "unchangedForAtLeast");
            json_bool(w, in->unchanged_at_least);
        }
        json_object_end(w);
    }
    json_array_end(w);
    json_object_end(w);
}

static int alert_listed(const struct api_alert *a)
{
    /* ActiveAlerts(): resolved (inactive) instances are not shown. */
    return a->state == API_ALERT_PENDING || a->state == API_ALERT_FIRING;
}

static void render_alert(struct json_writer *w, const struct api_alert *a)
{
    json_object_begin(w);
    json_key(w, "labels");
    json_labels(w, &a->labels);
    json_key(w, "annotations");
    json_labels(w, &a->annotations);
    json_key(w, "state");
    json_string(w, api_alert_state_name(a->state));
    json_key(w, "activeAt");
    json_time(w, a->active_at);
    if (a->keep_firing_since != API_TIME_NONE) {
        json_key(w, "keepFiringSince");
        json_time(w, a->keep_firing_since);
    }
    /* strconv.FormatFloat(v, 'e', -1, 64): "1e+00", "2.5e-01" */
    struct strbuf v = STRBUF_INIT;
    promfmt_go_float(&v, a->value, 'e');
    json_key(w, "value");
    json_stringn(w, v.buf, v.len);
    strbuf_release(&v);
    json_key(w, "freshness");
    api_render_freshness(w, &a->fresh, 0);
    json_object_end(w);
}

/* The rule's state: max over its alerts, "unknown" before the first
 * evaluation (AlertingRule.State). */
static enum api_alert_state rule_state(const struct api_rule *rule)
{
    if (rule->last_evaluation == API_TIME_NONE)
        return API_ALERT_UNKNOWN;
    enum api_alert_state st = API_ALERT_INACTIVE;
    for (size_t i = 0; i < rule->nalerts; i++)
        if (rule->alerts[i].state > st)
            st = rule->alerts[i].state;
    return st;
}

static void render_rule(struct json_writer *w, const struct api_rule *rule, int exclude_alerts)
{
    json_object_begin(w);
    if (rule->type == API_RULE_ALERTING) {
        json_key(w, "state");
        json_string(w, api_alert_state_name(rule_state(rule)));
    }
    json_key(w, "name");
    json_string(w, rule->name);
    json_key(w, "query");
    json_string(w, rule->query);
    if (rule->type == API_RULE_ALERTING) {
        json_key(w, "duration");
        json_float(w, rule->duration);
        json_key(w, "keepFiringFor");
        json_float(w, rule->keep_firing_for);
    }
    json_key(w, "labels");
    json_labels(w, &rule->labels);
    if (rule->type == API_RULE_ALERTING) {
        json_key(w, "annotations");
        json_labels(w, &rule->annotations);
        json_key(w, "alerts");
        if (exclude_alerts) {
            json_null(w);
        } else {
            json_array_begin(w);
            for (size_t i = 0; i < rule->nalerts; i++)
                if (alert_listed(&rule->alerts[i]))
                    render_alert(w, &rule->alerts[i]);
            json_array_end(w);
        }
    }
    json_key(w, "health");
    json_string(w, api_rule_health_name(rule->health));
    if (rule->last_error && rule->last_error[0]) {
        json_key(w, "lastError");
        json_string(w, rule->last_error);
    }
    json_key(w, "evaluationTime");
    json_float(w, rule->evaluation_time);
    json_key(w, "lastEvaluation");
    json_time(w, rule->last_evaluation);
    json_key(w, "type");
    json_string(w, api_listing_rule_type(rule));
    json_key(w, "freshness");
    api_render_freshness(w, &rule->fresh, 0);
    json_object_end(w);
}

/* An opaque page token naming a group. Prometheus uses a SHA-256 hex of
 * "file;name"; clients only hand it back, so heed uses xxhash's 128 bits. */
static char *group_token(struct arena *a, const struct api_group *g)
{
    size_t lf = strlen(g->file), ln = strlen(g->name);
    char *key = arena_alloc(a, lf + ln + 2);
    memcpy(key, g->file, lf);
    key[lf] = ';';
    memcpy(key + lf + 1, g->name, ln + 1);
    XXH128_hash_t h = XXH3_128bits(key, lf + ln + 1);
    return arena_printf(a, "%016" PRIx64 "%016" PRIx64, (uint64_t)h.high64, (uint64_t)h.low64);
}

/* match[]: each value a metric selector, parsed by heed's PromQL parser
 * (Prometheus's ParseMetricSelectors). Returns the selectors or NULL with
 * e set to the parse error. */
static struct ast_node **parse_selectors(struct arena *a, const char **src, size_t n, struct api_error *e)
{
    struct ast_node **sel = arena_alloc(a, (n + 1) * sizeof *sel);
    for (size_t i = 0; i < n; i++) {
        struct diag_list dl;
        diag_list_init(&dl);
        size_t len = strlen(src[i]);
        sel[i] = parse_expr(src[i], len, a, NULL, &dl);
        if (!sel[i] || sel[i]->kind != AST_VECTOR_SELECTOR) {
            int line = 1, col = 1;
            uint32_t at = dl.len ? dl.items[0].span.start : 0;
            diag_line_col(src[i], len, at, &line, &col);
            api_error_set(e, API_ERR_BAD_DATA, "%d:%d: parse error: %s", line, col,
                          dl.len ? dl.items[0].msg : "expected a metric selector");
            diag_list_release(&dl);
            return NULL;
        }
        diag_list_release(&dl);
    }
    return sel;
}

static const char *label_value(const struct api_labels *ls, const char *name)
{
    for (size_t i = 0; i < ls->len; i++)
        if (!strcmp(ls->items[i].name, name))
            return ls->items[i].value;
    return "";
}

/* Matchers within a selector are ANDed, the selectors ORed
 * (rules/group.go matchesMatcherSets); an absent label reads as "". */
static int labels_match(struct ast_node *const *sel, size_t n, const struct api_labels *ls)
{
    for (size_t i = 0; i < n; i++) {
        int all = 1;
        for (size_t k = 0; all && k < sel[i]->u.vs.nmatchers; k++) {
            const struct ast_matcher *m = &sel[i]->u.vs.matchers[k];
            const char *v = label_value(ls, m->name);
            all = ast_matcher_matches(m, v, strlen(v));
        }
        if (all)
            return 1;
    }
    return 0;
}

static char *lower(struct arena *a, const char *s)
{
    char *d = arena_strdup(a, s ? s : "");
    for (char *p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

/* Go's strconv.ParseBool on an already lower-cased string. */
static int parse_bool(const char *s, int *out)
{
    if (!strcmp(s, "1") || !strcmp(s, "t") || !strcmp(s, "true")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(s, "0") || !strcmp(s, "f") || !strcmp(s, "false")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static void invalid_param(struct api_request *r, const char *param, const char *msg)
{
    struct api_error e;
    api_error_set(&e, API_ERR_BAD_DATA, "invalid parameter \"%s\": %s", param, msg);
    api_reply_error(r, &e);
}

void api_h_rules(struct api_request *r)
{
    const char **names, **groups, **files, **match;
    size_t nnames = api_param_all(r, "rule_name[]", &names);
    size_t ngroups = api_param_all(r, "rule_group[]", &groups);
    size_t nfiles = api_param_all(r, "file[]", &files);
    size_t nmatch = api_param_all(r, "match[]", &match);
    struct api_error err = {0};
    struct ast_node **selectors = NULL;
    if (nmatch && !(selectors = parse_selectors(&r->arena, match, nmatch, &err))) {
        api_reply_error(r, &err);
        return;
    }
    const char *typ = lower(&r->arena, api_url_param(r, "type"));
    if (typ[0] && strcmp(typ, "alert") != 0 && strcmp(typ, "record") != 0) {
        invalid_param(r, "type", arena_printf(&r->arena, "not supported value \"%s\"", typ));
        return;
    }
    int want_alerting = !typ[0] || !strcmp(typ, "alert");
    int want_recording = !typ[0] || !strcmp(typ, "record");
    int exclude_alerts = 0;
    const char *ex = lower(&r->arena, api_url_param(r, "exclude_alerts"));
    if (ex[0] && parse_bool(ex, &exclude_alerts) < 0) {
        invalid_param(r, "exclude_alerts",
                      arena_printf(&r->arena,
                                   "error converting exclude_alerts: strconv.ParseBool: parsing \"%s\": "
                                   "invalid syntax",
                                   ex));
        return;
    }
    const char *limit_s = api_url_param(r, "group_limit");
    const char *token = api_url_param(r, "group_next_token");
    if (token && !token[0])
        token = NULL;
    if (limit_s && !limit_s[0])
        limit_s = NULL;
    long long max_groups = -1;
    if (token && !limit_s) {
        invalid_param(r, "group_next_token", "group_limit needs to be present in order to paginate over the groups");
        return;
    }
    if (limit_s) {
        char *end;
        errno = 0;
        long long v = strtoll(limit_s, &end, 10);
        if (*end || end == limit_s || errno || v > INT32_MAX || v < INT32_MIN) {
            const char *why = (*end || end == limit_s) ? "invalid syntax" : "value out of range";
            invalid_param(r, "group_limit",
                          arena_printf(&r->arena,
                                       "group_limit needs to be a valid number: strconv.ParseInt: parsing \"%s\": %s",
                                       limit_s, why));
            return;
        }
        if (v <= 0) {
            invalid_param(r, "group_limit", "group_limit needs to be greater than 0");
            return;
        }
        max_groups = v;
    }

    struct api_snapshot snap;
    if (api_take_snapshot(r, &snap) < 0)
        return;

    struct json_writer w;
    api_listing_begin(&w, &r->body, "groups");
    long long emitted = 0;
    int found_token = 0;
    const char *next_token = NULL;
    for (size_t gi = 0; gi < snap.ngroups; gi++) {
        const struct api_group *g = &snap.groups[gi];
        if (max_groups > 0 && token && !found_token) {
            if (strcmp(token, group_token(&r->arena, g)) != 0)
                continue;
            found_token = 1;
        }
        if (!api_listing_in_set(groups, ngroups, g->name) || !api_listing_in_set(files, nfiles, g->file))
            continue;
        /* Which rules pass the filters; a group left empty is not shown. */
        unsigned char *keep = arena_zalloc(&r->arena, g->nrules + 1);
        size_t nkeep = 0;
        for (size_t ri = 0; ri < g->nrules; ri++) {
            const struct api_rule *rule = &g->rules[ri];
            if (nmatch && !labels_match(selectors, nmatch, &rule->labels))
                continue;
            if (!api_listing_in_set(names, nnames, rule->name))
                continue;
            if (rule->type == API_RULE_ALERTING ? !want_alerting : !want_recording)
                continue;
            keep[ri] = 1;
            nkeep++;
        }
        if (!nkeep)
            continue;
        if (max_groups > 0 && emitted == max_groups) {
            next_token = group_token(&r->arena, g);
            break;
        }
        emitted++;
        json_object_begin(&w);
        json_key(&w, "name");
        json_string(&w, g->name);
        json_key(&w, "file");
        json_string(&w, g->file);
        json_key(&w, "rules");
        json_array_begin(&w);
        for (size_t ri = 0; ri < g->nrules; ri++)
            if (keep[ri])
                render_rule(&w, &g->rules[ri], exclude_alerts);
        json_array_end(&w);
        api_listing_group_timing(&w, g, 1);
        json_object_end(&w);
    }
    if (max_groups > 0 && token && !found_token) {
        invalid_param(r, "group_next_token",
                      arena_printf(&r->arena, "invalid group_next_token '%s'. were rule groups changed?", token));
        return;
    }
    api_listing_end(&w, next_token ? "groupNextToken" : NULL, next_token);
    api_reply_json(r);
}

void api_h_alerts(struct api_request *r)
{
    struct api_snapshot snap;
    if (api_take_snapshot(r, &snap) < 0)
        return;
    struct json_writer w;
    api_listing_begin(&w, &r->body, "alerts");
    for (size_t gi = 0; gi < snap.ngroups; gi++) {
        const struct api_group *g = &snap.groups[gi];
        for (size_t ri = 0; ri < g->nrules; ri++) {
            const struct api_rule *rule = &g->rules[ri];
            if (rule->type != API_RULE_ALERTING)
                continue;
            for (size_t ai = 0; ai < rule->nalerts; ai++)
                if (alert_listed(&rule->alerts[ai]))
                    render_alert(&w, &rule->alerts[ai]);
        }
    }
    api_listing_end(&w, NULL, NULL);
    api_reply_json(r);
}
