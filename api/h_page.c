/* The status page "/": one self-contained HTML document (inline CSS, no
 * scripts, no external assets) from the same snapshot the API serves:
 * self-monitoring, groups with their lag, rules, alert instances with
 * state and freshness, and every input that is not fresh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/server.h"
#include "compat/promfmt.h"

static void esc(struct strbuf *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            strbuf_addstr(o, "&lt;");
            break;
        case '>':
            strbuf_addstr(o, "&gt;");
            break;
        case '&':
            strbuf_addstr(o, "&amp;");
            break;
        case '"':
            strbuf_addstr(o, "&quot;");
            break;
        case '\'':
            strbuf_addstr(o, "&#39;");
            break;
        default:
            strbuf_addch(o, *s);
        }
    }
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct api_label *const *)a)->name, (*(const struct api_label *const *)b)->name);
}

/* Labels sorted by name, as Prometheus's UI lists them. */
static void labels_html(struct api_request *r, const struct api_labels *ls)
{
    struct strbuf *o = &r->body;
    const struct api_label **order = arena_alloc(&r->arena, (ls->len + 1) * sizeof *order);
    for (size_t i = 0; i < ls->len; i++)
        order[i] = &ls->items[i];
    qsort(order, ls->len, sizeof *order, label_cmp);
    for (size_t i = 0; i < ls->len; i++) {
        strbuf_addstr(o, "<span class=\"lbl\">");
        esc(o, order[i]->name);
        strbuf_addch(o, '=');
        esc(o, order[i]->value);
        strbuf_addstr(o, "</span> ");
    }
}

static void time_html(struct strbuf *o, int64_t ms)
{
    if (ms == API_TIME_NONE)
        strbuf_addstr(o, "never");
    else
        promfmt_rfc3339(o, ms, -1);
}

/* Seconds as a short human figure ("0.012s", "3m20s"). */
static void secs_html(struct strbuf *o, double s)
{
    if (s < 60) {
        promfmt_go_float(o, (double)(long long)(s * 1000 + 0.5) / 1000, 'f');
        strbuf_addch(o, 's');
        return;
    }
    long long t = (long long)(s + 0.5);
    if (t >= 86400)
        strbuf_addf(o, "%lldd", t / 86400);
    if (t >= 3600)
        strbuf_addf(o, "%lldh", t % 86400 / 3600);
    strbuf_addf(o, "%lldm%llds", t % 3600 / 60, t % 60);
}

static void badge(struct strbuf *o, const char *cls, const char *text)
{
    strbuf_addf(o, "<span class=\"b %s\">", cls);
    esc(o, text);
    strbuf_addstr(o, "</span>");
}

static void fresh_html(struct strbuf *o, const struct api_freshness *f)
{
    const char *name = api_fresh_state_name(f->state);
    badge(o, name, name);
    if (f->reason && f->reason[0]) {
        strbuf_addstr(o, " <span class=\"why\">");
        esc(o, f->reason);
        strbuf_addstr(o, "</span>");
    }
    if (f->inputs_total)
        strbuf_addf(o, " <span class=\"dim\">%zu/%zu inputs not fresh</span>", f->inputs_not_fresh,
                    f->inputs_total);
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d232b;background:#f7f8fa}"
    "h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em}"
    "table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:.8em}"
    "th,td{border:1px solid #dde1e6;padding:4px 8px;text-align:left;vertical-align:top}"
    "th{background:#eef1f5;font-weight:600}"
    ".grp{background:#e6ecf5;font-weight:600}"
    ".b{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;font-weight:600}"
    ".fresh,.ok,.inactive{background:#d8f0dc;color:#135e22}"
    ".stale,.pending,.late,.frozen{background:#fff0c2;color:#7a5300}"
    ".held,.firing,.err,.gone,.failing{background:#fbd9d9;color:#8c1111}"
    ".unknown{background:#e4e6ea;color:#444}"
    ".lbl{font-family:ui-monospace,monospace;font-size:12px;background:#eef1f5;padding:0 3px;border-radius:2px}"
    "code{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}"
    ".dim{color:#67707c}.why{color:#7a5300}";

void api_h_page(struct api_request *r)
{
    struct api_snapshot snap;
    if (api_take_snapshot(r, &snap) < 0)
        return;
    struct strbuf *o = &r->body;
    const char *title = r->cfg->page_title ? r->cfg->page_title : "heed";
    strbuf_addstr(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    esc(o, title);
    strbuf_addf(o, "</title><style>%s</style></head><body>\n<h1>", style);
    esc(o, title);
    strbuf_addstr(o, "</h1><div class=\"dim\">");
    if (r->cfg->build.version) {
        strbuf_addstr(o, "version ");
        esc(o, r->cfg->build.version);
        strbuf_addstr(o, " &middot; ");
    }
    strbuf_addstr(o, "snapshot at ");
    time_html(o, snap.now);
    strbuf_addstr(o, "</div>\n");

    /* Self-monitoring. */
    strbuf_addstr(o, "<h2 id=\"self\">Self-monitoring</h2><table><tr><th>check</th><th>state</th><th>detail</th></tr>");
    for (size_t i = 0; i < snap.nchecks; i++) {
        const struct api_selfcheck *c = &snap.checks[i];
        strbuf_addstr(o, "<tr><td>");
        esc(o, c->name);
        strbuf_addstr(o, "</td><td>");
        badge(o, c->firing ? "firing" : "ok", c->firing ? "firing" : "ok");
        strbuf_addstr(o, "</td><td>");
        esc(o, c->detail);
        strbuf_addstr(o, "</td></tr>");
    }
    if (!snap.nchecks)
        strbuf_addstr(o, "<tr><td colspan=\"3\" class=\"dim\">no checks reported</td></tr>");
    strbuf_addstr(o, "</table>\n");

    /* Alert instances. */
    size_t nalerts = 0;
    strbuf_addstr(o, "<h2 id=\"alerts\">Alert instances</h2><table><tr><th>alert</th><th>labels</th>"
                     "<th>state</th><th>active since</th><th>value</th><th>freshness</th></tr>");
    for (size_t gi = 0; gi < snap.ngroups; gi++) {
        const struct api_group *g = &snap.groups[gi];
        for (size_t ri = 0; ri < g->nrules; ri++) {
            const struct api_rule *rule = &g->rules[ri];
            for (size_t ai = 0; ai < rule->nalerts; ai++) {
                const struct api_alert *a = &rule->alerts[ai];
                if (a->state != API_ALERT_PENDING && a->state != API_ALERT_FIRING)
                    continue;
                nalerts++;
                strbuf_addstr(o, "<tr><td>");
                esc(o, rule->name);
                strbuf_addstr(o, "</td><td>");
                labels_html(r, &a->labels);
                for (size_t k = 0; k < a->annotations.len; k++) {
                    strbuf_addstr(o, "<div class=\"dim\">");
                    esc(o, a->annotations.items[k].name);
                    strbuf_addstr(o, ": ");
                    esc(o, a->annotations.items[k].value);
                    strbuf_addstr(o, "</div>");
                }
                strbuf_addstr(o, "</td><td>");
                badge(o, api_alert_state_name(a->state), api_alert_state_name(a->state));
                strbuf_addstr(o, "</td><td>");
                time_html(o, a->active_at);
                strbuf_addstr(o, "</td><td>");
                promfmt_go_float(o, a->value, 'g');
                strbuf_addstr(o, "</td><td>");
                fresh_html(o, &a->fresh);
                strbuf_addstr(o, "</td></tr>");
            }
        }
    }
    if (!nalerts)
        strbuf_addstr(o, "<tr><td colspan=\"6\" class=\"dim\">no pending or firing alerts</td></tr>");
    strbuf_addstr(o, "</table>\n");

    /* Inputs that are not fresh, per rule. */
    size_t nstale = 0;
    strbuf_addstr(o, "<h2 id=\"stale\">Stale inputs</h2><table><tr><th>rule</th><th>series</th><th>class</th>"
                     "<th>age</th><th>cadence</th><th>unchanged for</th></tr>");
    for (size_t gi = 0; gi < snap.ngroups; gi++) {
        const struct api_group *g = &snap.groups[gi];
        for (size_t ri = 0; ri < g->nrules; ri++) {
            const struct api_rule *rule = &g->rules[ri];
            for (size_t ii = 0; ii < rule->fresh.ninputs; ii++) {
                const struct api_input *in = &rule->fresh.inputs[ii];
                if (in->cls == API_INPUT_FRESH)
                    continue;
                nstale++;
                strbuf_addstr(o, "<tr><td>");
                esc(o, rule->name);
                strbuf_addstr(o, "</td><td>");
                labels_html(r, &in->labels);
                strbuf_addstr(o, "</td><td>");
                badge(o, api_input_class_name(in->cls), api_input_class_name(in->cls));
                strbuf_addstr(o, "</td><td>");
                secs_html(o, in->age);
                strbuf_addstr(o, "</td><td>");
                secs_html(o, in->cadence);
                strbuf_addstr(o, "</td><td>");
                if (in->unchanged_at_least)
                    strbuf_addstr(o, "&ge; ");
                secs_html(o, in->unchanged_for);
                strbuf_addstr(o, "</td></tr>");
            }
        }
    }
    if (!nstale)
        strbuf_addstr(o, "<tr><td colspan=\"6\" class=\"dim\">every input is fresh</td></tr>");
    strbuf_addstr(o, "</table>\n");

    /* Groups and rules. */
    strbuf_addstr(o, "<h2 id=\"groups\">Rule groups</h2><table><tr><th>rule</th><th>health</th><th>state</th>"
                     "<th>freshness</th><th>last evaluation</th><th>took</th></tr>");
    for (size_t gi = 0; gi < snap.ngroups; gi++) {
        const struct api_group *g = &snap.groups[gi];
        strbuf_addstr(o, "<tr class=\"grp\"><td colspan=\"6\">");
        esc(o, g->name);
        strbuf_addstr(o, " <span class=\"dim\">");
        esc(o, g->file);
        strbuf_addstr(o, " &middot; every ");
        secs_html(o, g->interval);
        strbuf_addstr(o, " &middot; last ");
        time_html(o, g->last_evaluation);
        strbuf_addstr(o, " &middot; took ");
        secs_html(o, g->evaluation_time);
        strbuf_addstr(o, " &middot; lag ");
        secs_html(o, g->evaluation_lag);
        if (g->iterations_missed)
            strbuf_addf(o, " &middot; %llu missed", (unsigned long long)g->iterations_missed);
        strbuf_addstr(o, "</span></td></tr>");
        for (size_t ri = 0; ri < g->nrules; ri++) {
            const struct api_rule *rule = &g->rules[ri];
            strbuf_addstr(o, "<tr><td>");
            strbuf_addstr(o, rule->type == API_RULE_ALERTING ? "alert: <b>" : "record: <b>");
            esc(o, rule->name);
            strbuf_addstr(o, "</b><br><code>");
            esc(o, rule->query);
            strbuf_addstr(o, "</code>");
            if (rule->last_error && rule->last_error[0]) {
                strbuf_addstr(o, "<br><span class=\"why\">");
                esc(o, rule->last_error);
                strbuf_addstr(o, "</span>");
            }
            strbuf_addstr(o, "</td><td>");
            badge(o, api_rule_health_name(rule->health), api_rule_health_name(rule->health));
            strbuf_addstr(o, "</td><td>");
            if (rule->type == API_RULE_ALERTING) {
                enum api_alert_state st = rule->last_evaluation == API_TIME_NONE ? API_ALERT_UNKNOWN
                                                                                 : API_ALERT_INACTIVE;
                for (size_t ai = 0; ai < rule->nalerts; ai++)
                    if (rule->alerts[ai].state > st)
                        st = rule->alerts[ai].state;
                badge(o, api_alert_state_name(st), api_alert_state_name(st));
            }
            strbuf_addstr(o, "</td><td>");
            fresh_html(o, &rule->fresh);
            strbuf_addstr(o, "</td><td>");
            time_html(o, rule->last_evaluation);
            strbuf_addstr(o, "</td><td>");
            secs_html(o, rule->evaluation_time);
            strbuf_addstr(o, "</td></tr>");
        }
    }
    if (!snap.ngroups)
        strbuf_addstr(o, "<tr><td colspan=\"6\" class=\"dim\">no rule groups loaded</td></tr>");
    strbuf_addstr(o, "</table>\n</body></html>\n");
    r->status = 200;
    r->content_type = "text/html; charset=utf-8";
}
