/* Status and lifecycle endpoints: buildinfo, flags, /metrics, /-/healthy,
 * /-/ready, /-/reload; and the snapshot helper the other handlers share. */
#include <string.h>

#include "api/handlers.h"
#include "api/metrics.h"
#include "api/server.h"
#include "api/snapmetrics.h"

int api_take_snapshot(struct api_request *r, struct api_snapshot *snap)
{
    struct api_error err = {0};
    memset(snap, 0, sizeof *snap);
    const struct api_provider *p = &r->cfg->provider;
    if (!p->snapshot) {
        api_error_set(&err, API_ERR_UNAVAILABLE, "rule state is not available");
        api_reply_error(r, &err);
        return -1;
    }
    if (p->snapshot(p->ctx, &r->arena, snap, &err) < 0) {
        if (err.type == API_ERR_NONE)
            api_error_set(&err, API_ERR_INTERNAL, "rule state could not be read");
        api_reply_error(r, &err);
        return -1;
    }
    return 0;
}

static void field(struct json_writer *w, const char *key, const char *value)
{
    json_key(w, key);
    json_string(w, value ? value : "");
}

void api_h_buildinfo(struct api_request *r)
{
    const struct api_build_info *b = &r->cfg->build;
    struct json_writer w;
    json_init(&w, &r->body);
    json_envelope_begin(&w);
    json_object_begin(&w);
    field(&w, "version", b->version);
    field(&w, "revision", b->revision);
    field(&w, "branch", b->branch);
    field(&w, "buildUser", b->build_user);
    field(&w, "buildDate", b->build_date);
    field(&w, "goVersion", b->go_version);
    json_object_end(&w);
    json_envelope_end(&w, NULL, 0, NULL, 0);
    api_reply_json(r);
}

void api_h_flags(struct api_request *r)
{
    /* A Go map: keys in byte order, the last duplicate wins. */
    struct api_labels ls = {0};
    struct api_label *items = arena_alloc(&r->arena, (r->cfg->nflags + 1) * sizeof *items);
    for (size_t i = 0; i < r->cfg->nflags; i++) {
        items[i].name = r->cfg->flags[i].name;
        items[i].value = r->cfg->flags[i].value;
    }
    ls.items = items;
    ls.len = r->cfg->nflags;
    struct json_writer w;
    json_init(&w, &r->body);
    json_envelope_begin(&w);
    json_labels(&w, &ls);
    json_envelope_end(&w, NULL, 0, NULL, 0);
    api_reply_json(r);
}

void api_h_metrics(struct api_request *r)
{
    struct metrics_registry *reg = api_server_metrics(r->server);
    metrics_update_process(reg);
    metrics_render(reg, &r->body);
    /* Rule-group and freshness metrics come from a fresh snapshot into a
     * scratch registry, so removed groups leave no series behind. */
    const struct api_provider *p = &r->cfg->provider;
    struct api_snapshot snap;
    struct api_error err = {0};
    memset(&snap, 0, sizeof snap);
    int (*take)(void *, struct arena *, struct api_snapshot *, struct api_error *) =
        p->snapshot_brief ? p->snapshot_brief : p->snapshot;
    if (take && take(p->ctx, &r->arena, &snap, &err) == 0) {
        struct metrics_registry *derived = metrics_registry_new();
        api_snapmetrics_fill(derived, &snap);
        metrics_render(derived, &r->body);
        metrics_registry_free(derived);
    }
    r->status = 200;
    r->content_type = METRICS_CONTENT_TYPE;
}

void api_h_healthy(struct api_request *r)
{
    /* Prometheus's texts with heed's name: "<AppName> is Healthy." */
    api_reply_text(r, 200, "text/plain; charset=utf-8", "heed is Healthy.\n");
}

static int all_evaluated(struct api_request *r)
{
    const struct api_provider *p = &r->cfg->provider;
    if (p->ready)
        return p->ready(p->ctx) != 0;
    struct api_snapshot snap;
    struct api_error err = {0};
    memset(&snap, 0, sizeof snap);
    if (!p->snapshot || p->snapshot(p->ctx, &r->arena, &snap, &err) < 0)
        return 0;
    for (size_t i = 0; i < snap.ngroups; i++)
        if (snap.groups[i].last_evaluation == API_TIME_NONE)
            return 0;
    return 1;
}

void api_h_ready(struct api_request *r)
{
    if (all_evaluated(r))
        api_reply_text(r, 200, "text/plain; charset=utf-8", "heed is Ready.\n");
    else
        api_reply_text(r, 503, "text/plain; charset=utf-8", "Service Unavailable");
}

void api_h_reload(struct api_request *r)
{
    const struct api_provider *p = &r->cfg->provider;
    struct api_error err = {0};
    if (!p->reload) {
        api_reply_text(r, 503, "text/plain; charset=utf-8", "reload is not available\n");
        return;
    }
    if (p->reload(p->ctx, &err) < 0) {
        /* Prometheus answers a failed reload with 500 and the error text. */
        char *msg = arena_printf(&r->arena, "failed to reload config: %s\n", err.msg);
        api_reply_text(r, 500, "text/plain; charset=utf-8", msg);
        return;
    }
    api_reply_text(r, 200, "text/plain; charset=utf-8", "");
}

void api_h_forward(struct api_request *r)
{
    const struct api_provider *p = &r->cfg->provider;
    if (!p->forward) {
        api_reply_text(r, 404, "text/plain; charset=utf-8", "404 page not found\n");
        return;
    }
    struct api_forward_request req = {r->method, r->path, NULL, NULL, r->nparams};
    const char **names = arena_alloc(&r->arena, (r->nparams + 1) * sizeof *names);
    const char **values = arena_alloc(&r->arena, (r->nparams + 1) * sizeof *values);
    for (size_t i = 0; i < r->nparams; i++) {
        names[i] = r->params[i].name;
        values[i] = r->params[i].value;
    }
    req.names = names;
    req.values = values;
    if (!strcmp(req.method, "HEAD"))
        req.method = "GET";
    struct api_forward_response out = {0};
    struct api_error err = {0};
    if (p->forward(p->ctx, &req, &r->arena, &out, &err) < 0) {
        if (err.type == API_ERR_NONE)
            api_error_set(&err, API_ERR_UNAVAILABLE, "datasource unavailable");
        api_reply_error(r, &err);
        return;
    }
    strbuf_reset(&r->body);
    strbuf_add(&r->body, out.body ? out.body : "", out.body ? out.len : 0);
    r->status = out.status ? out.status : 200;
    r->content_type = "application/json";
}
