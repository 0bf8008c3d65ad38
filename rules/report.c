/* report: availability with coverage, and its text, JSON and SVG. */
#include "rules/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "compat/promfmt.h"
#include "eval/engine.h"
#include "eval/fresh.h"
#include "eval/labels.h"
#include "grammar/parse.h"
#include "rules/replay_out.h"

const char *report_coverage_name(enum report_coverage c)
{
    return c == REPORT_FRESH ? "fresh" : c == REPORT_STALE ? "stale" : "missing";
}

void report_init(struct report *r)
{
    memset(r, 0, sizeof *r);
    arena_init(&r->arena, 16 * 1024);
    r->availability = r->naive_availability = r->budget_left = NAN;
}

void report_release(struct report *r)
{
    free(r->steps);
    free(r->iv);
    arena_release(&r->arena);
    memset(r, 0, sizeof *r);
}

/* metric{labels}, as people write a series. */
static void series_name(struct strbuf *sb, const struct labels *ls)
{
    const char *name = labels_get(ls, "__name__");
    strbuf_addstr(sb, name ? name : "");
    if (ls->n == (name != NULL))
        return;
    strbuf_addch(sb, '{');
    bool first = true;
    for (size_t i = 0; i < ls->n; i++) {
        if (!strcmp(ls->l[i].name, "__name__"))
            continue;
        strbuf_addf(sb, "%s%s=", first ? "" : ", ", ls->l[i].name);
        labels_quote(sb, ls->l[i].value);
        first = false;
    }
    strbuf_addch(sb, '}');
}

/* The untrusted inputs of one evaluation, as "inputs frozen: a, b". */
static void stale_reason(struct strbuf *sb, const struct fresh_table *t)
{
    enum fresh_class worst = FRESH_CLASS_FRESH;
    for (size_t i = 0; i < t->n; i++)
        if (t->in[i].cls > worst)
            worst = t->in[i].cls;
    strbuf_addf(sb, "inputs %s:", fresh_class_name(worst));
    size_t shown = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->in[i].cls == FRESH_CLASS_FRESH)
            continue;
        if (shown == 4) {
            strbuf_addstr(sb, " ...");
            break;
        }
        strbuf_addstr(sb, shown ? ", " : " ");
        series_name(sb, fresh_input_labels(t, &t->in[i]));
        shown++;
    }
}

/* Classifies one step; *reason set for unknown steps. */
static enum report_coverage eval_step(struct report *r, struct storage *st, const struct engine_opts *eo,
                                      const struct engine_query *q, int64_t t, struct arena *a, double *v,
                                      struct strbuf *reason)
{
    struct engine_result res;
    memset(&res, 0, sizeof res);
    *v = NAN;
    if (engine_eval_instant(st, eo, q, t, a, &res) != 0) {
        strbuf_addf(reason, "query failed: %s", res.err.msg);
        return REPORT_MISSING;
    }
    if (res.v.type == VALUE_SCALAR) {
        *v = res.v.u.scalar.v;
        if (res.v.u.scalar.prov && res.v.u.scalar.prov->nnot_fresh) {
            stale_reason(reason, &res.inputs);
            return REPORT_STALE;
        }
        return isnan(*v) ? REPORT_MISSING : REPORT_FRESH;
    }
    if (res.v.type != VALUE_VECTOR) {
        strbuf_addstr(reason, "the expression is not an instant vector or scalar");
        return REPORT_MISSING;
    }
    const struct vector *vec = &res.v.u.vec;
    double sum = 0;
    size_t n = 0;
    bool stale = false;
    for (size_t i = 0; i < vec->n; i++) {
        if (vec->s[i].prov && vec->s[i].prov->nnot_fresh)
            stale = true;
        if (!isnan(vec->s[i].v)) {
            sum += vec->s[i].v;
            n++;
        }
    }
    if (vec->n > 1)
        r->multi_series_steps++;
    if (n)
        *v = sum / (double)n;
    if (stale) {
        stale_reason(reason, &res.inputs);
        return REPORT_STALE;
    }
    if (!vec->n) {
        strbuf_addstr(reason, res.inputs.n ? "no result" : "no input series");
        return REPORT_MISSING;
    }
    if (!n) {
        strbuf_addstr(reason, "no traffic (the ratio is 0/0)");
        return REPORT_MISSING;
    }
    return REPORT_FRESH;
}

static void add_step(struct report *r, int64_t t, enum report_coverage c, const char *reason)
{
    struct report_interval *last = r->niv ? &r->iv[r->niv - 1] : NULL;
    if (last && last->cov == c && last->to_ms == t &&
        (c == REPORT_FRESH || !strcmp(last->reason, reason))) {
        last->to_ms = t + r->o.step_ms;
        last->steps++;
        return;
    }
    XGROW(r->iv, r->capiv, r->niv + 1);
    r->iv[r->niv++] = (struct report_interval){t, t + r->o.step_ms, c, 1,
                                               c == REPORT_FRESH ? "" : arena_strdup(&r->arena, reason)};
}

int report_run(struct report *r, struct storage *st, const struct report_opts *o, char *msg, size_t msglen)
{
    r->o = *o;
    if (r->o.step_ms <= 0)
        r->o.step_ms = 60 * 1000;
    if (o->to_ms < o->from_ms) {
        snprintf(msg, msglen, "the range ends before it starts");
        return -1;
    }
    r->o.expr = arena_strdup(&r->arena, o->expr);
    r->o.name = arena_strdup(&r->arena, o->name ? o->name : o->expr);
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct diag_list dl;
    diag_list_init(&dl);
    struct ast_node *ast = parse_expr(r->o.expr, strlen(r->o.expr), &a, NULL, &dl);
    if (!ast) {
        snprintf(msg, msglen, "parse error: %s", dl.len ? dl.items[0].msg : "invalid expression");
        diag_list_release(&dl);
        arena_release(&a);
        return -1;
    }
    diag_list_release(&dl);

    struct fresh_hook hook;
    policy_hook(&r->o.policy, 5 * 60 * 1000, &hook);
    struct engine_opts eo = {.lookback_ms = 5 * 60 * 1000, .subquery_step_ms = r->o.step_ms,
                             .max_samples = 50000000, .fresh = &hook};
    struct engine_query q = {ast, r->o.expr, strlen(r->o.expr)};
    r->nsteps = (size_t)((o->to_ms - o->from_ms) / r->o.step_ms) + 1;
    r->steps = xcalloc(r->nsteps, sizeof *r->steps);
    double good = 0, naive = 0;
    size_t nnaive = 0;
    struct strbuf reason = STRBUF_INIT;
    struct arena_mark m = arena_mark(&a);
    for (size_t i = 0; i < r->nsteps; i++) {
        int64_t t = o->from_ms + (int64_t)i * r->o.step_ms;
        double v;
        strbuf_reset(&reason);
        enum report_coverage c = eval_step(r, st, &eo, &q, t, &a, &v, &reason);
        if (o->end_eval)
            o->end_eval(o->end_eval_ctx);
        arena_reset(&a, m);
        r->steps[i] = (struct report_step){t, c, v};
        r->count[c]++;
        if (c == REPORT_FRESH)
            good += v;
        if (!isnan(v)) {
            naive += v;
            nnaive++;
        }
        add_step(r, t, c, reason.buf ? reason.buf : "");
    }
    strbuf_release(&reason);
    arena_release(&a);
    if (r->count[REPORT_FRESH])
        r->availability = good / (double)r->count[REPORT_FRESH];
    if (nnaive)
        r->naive_availability = naive / (double)nnaive;
    if (r->o.objective > 0 && r->o.objective < 100 && !isnan(r->availability))
        r->budget_left = 1 - (1 - r->availability) / (1 - r->o.objective / 100);
    return 0;
}

/* ---- output ---- */

static double share(const struct report *r, enum report_coverage c)
{
    return r->nsteps ? (double)r->count[c] / (double)r->nsteps : 0;
}

/* A percentage with enough digits to tell 99.9 from 99.93 (and never
 * rounding a value below 100 up to "100"). */
static void pct(struct strbuf *out, double x)
{
    if (isnan(x)) {
        strbuf_addstr(out, "n/a");
        return;
    }
    double p = x * 100;
    char buf[32];
    int digits = 2;
    for (;; digits++) {
        snprintf(buf, sizeof buf, "%.*f", digits, p);
        if (digits >= 6 || p >= 100 || strtod(buf, NULL) < 100)
            break;
    }
    strbuf_addf(out, "%s%%", buf);
}

static void pct1(struct strbuf *out, double x)
{
    strbuf_addf(out, "%.1f%%", x * 100);
}

void report_out_text(struct strbuf *out, const struct report *r)
{
    strbuf_addf(out, "heed report %s\n", r->o.name);
    if (strcmp(r->o.name, r->o.expr))
        strbuf_addf(out, "  expr: %s\n", r->o.expr);
    strbuf_addstr(out, "  range: ");
    promfmt_rfc3339(out, r->o.from_ms, -1);
    strbuf_addstr(out, " .. ");
    promfmt_rfc3339(out, r->o.to_ms, -1);
    strbuf_addstr(out, ", step ");
    replay_out_duration(out, r->o.step_ms);
    strbuf_addf(out, " (%zu steps)\n\n", r->nsteps);

    strbuf_addstr(out, "availability ");
    if (isnan(r->availability)) {
        strbuf_addstr(out, "unknown: no step had fresh inputs");
    } else {
        pct(out, r->availability);
        strbuf_addstr(out, " over ");
        pct1(out, share(r, REPORT_FRESH));
        strbuf_addstr(out, " of the range; ");
        pct1(out, 1 - share(r, REPORT_FRESH));
        strbuf_addstr(out, " unknown");
    }
    strbuf_addstr(out, "\n  covered ");
    pct1(out, share(r, REPORT_FRESH));
    strbuf_addstr(out, ", stale ");
    pct1(out, share(r, REPORT_STALE));
    strbuf_addstr(out, ", missing ");
    pct1(out, share(r, REPORT_MISSING));
    strbuf_addch(out, '\n');
    if (r->o.objective > 0) {
        strbuf_addf(out, "objective %g%%: ", r->o.objective);
        if (isnan(r->budget_left)) {
            strbuf_addstr(out, "error budget unknown\n");
        } else {
            strbuf_addstr(out, "error budget left ");
            pct1(out, r->budget_left);
            strbuf_addstr(out, r->budget_left < 0 ? " (exhausted)" : "");
            strbuf_addstr(out, " over the covered time\n");
        }
    }
    strbuf_addstr(out, "ignoring freshness (as a plain Prometheus query would): ");
    pct(out, r->naive_availability);
    strbuf_addch(out, '\n');
    if (r->multi_series_steps)
        strbuf_addf(out, "note: at %zu steps the expression returned several series (averaged)\n",
                    r->multi_series_steps);

    size_t unknown = 0;
    for (size_t i = 0; i < r->niv; i++)
        unknown += r->iv[i].cov != REPORT_FRESH;
    strbuf_addf(out, "\n%zu unknown interval(s)\n", unknown);
    for (size_t i = 0; i < r->niv; i++) {
        const struct report_interval *iv = &r->iv[i];
        if (iv->cov == REPORT_FRESH)
            continue;
        struct strbuf line = STRBUF_INIT;
        strbuf_addstr(&line, "  ");
        replay_out_time_short(&line, iv->from_ms, r->o.from_ms, r->o.to_ms);
        strbuf_addstr(&line, " .. ");
        replay_out_time_short(&line, iv->to_ms, r->o.from_ms, r->o.to_ms);
        strbuf_addf(&line, "  %-7s ", report_coverage_name(iv->cov));
        replay_out_duration(&line, iv->to_ms - iv->from_ms);
        strbuf_addch(&line, '\n');
        strbuf_addstr(out, line.buf);
        replay_out_wrapped(out, "     ", iv->reason, 6);
        strbuf_release(&line);
    }
    /* the worst covered stretches: where the budget went */
    strbuf_addstr(out, "\nlowest covered steps\n");
    size_t shown = 0;
    double last_shown = -1;
    for (int pass = 0; pass < 5; pass++) {
        double lo = INFINITY;
        size_t at = 0;
        for (size_t i = 0; i < r->nsteps; i++)
            if (r->steps[i].cov == REPORT_FRESH && r->steps[i].v < lo && r->steps[i].v > last_shown)
                lo = r->steps[i].v, at = i;
        if (lo == INFINITY || lo >= 1)
            break;
        strbuf_addstr(out, "  ");
        replay_out_time_short(out, r->steps[at].t_ms, r->o.from_ms, r->o.to_ms);
        strbuf_addstr(out, "  ");
        pct(out, lo);
        strbuf_addch(out, '\n');
        last_shown = lo;
        shown++;
    }
    if (!shown)
        strbuf_addstr(out, "  none below 100%\n");
}

static void json_num(struct strbuf *out, double v)
{
    if (isnan(v))
        strbuf_addstr(out, "null");
    else
        strbuf_addf(out, "%.6g", v);
}

void report_out_json(struct strbuf *out, const struct report *r)
{
    strbuf_addstr(out, "{\n  \"name\": \"");
    json_escape(out, r->o.name, strlen(r->o.name));
    strbuf_addstr(out, "\",\n  \"expr\": \"");
    json_escape(out, r->o.expr, strlen(r->o.expr));
    strbuf_addstr(out, "\",\n  \"from\": \"");
    promfmt_rfc3339(out, r->o.from_ms, -1);
    strbuf_addstr(out, "\",\n  \"to\": \"");
    promfmt_rfc3339(out, r->o.to_ms, -1);
    strbuf_addf(out, "\",\n  \"step_seconds\": %lld,\n  \"steps\": %zu,\n  \"objective\": ",
                (long long)(r->o.step_ms / 1000), r->nsteps);
    json_num(out, r->o.objective > 0 ? r->o.objective : NAN);
    strbuf_addstr(out, ",\n  \"availability\": ");
    json_num(out, r->availability);
    strbuf_addstr(out, ",\n  \"covered_ratio\": ");
    json_num(out, share(r, REPORT_FRESH));
    strbuf_addstr(out, ",\n  \"unknown_ratio\": ");
    json_num(out, 1 - share(r, REPORT_FRESH));
    strbuf_addstr(out, ",\n  \"stale_ratio\": ");
    json_num(out, share(r, REPORT_STALE));
    strbuf_addstr(out, ",\n  \"missing_ratio\": ");
    json_num(out, share(r, REPORT_MISSING));
    strbuf_addstr(out, ",\n  \"error_budget_left\": ");
    json_num(out, r->budget_left);
    strbuf_addstr(out, ",\n  \"availability_ignoring_freshness\": ");
    json_num(out, r->naive_availability);
    strbuf_addstr(out, ",\n  \"intervals\": [");
    for (size_t i = 0; i < r->niv; i++) {
        const struct report_interval *iv = &r->iv[i];
        strbuf_addstr(out, i ? ",\n    {\"from\": \"" : "\n    {\"from\": \"");
        promfmt_rfc3339(out, iv->from_ms, -1);
        strbuf_addstr(out, "\", \"to\": \"");
        promfmt_rfc3339(out, iv->to_ms, -1);
        strbuf_addf(out, "\", \"coverage\": \"%s\", \"steps\": %zu, \"reason\": \"", report_coverage_name(iv->cov),
                    iv->steps);
        json_escape(out, iv->reason, strlen(iv->reason));
        strbuf_addstr(out, "\"}");
    }
    strbuf_addstr(out, r->niv ? "\n  ]\n}\n" : "]\n}\n");
}

#define CH_W 960
#define CH_H 360
#define CH_L 70
#define CH_R 20
#define CH_T 60
#define CH_B 40

void report_out_svg(struct strbuf *out, const struct report *r)
{
    double span = (double)(r->o.to_ms - r->o.from_ms + r->o.step_ms);
    double pw = CH_W - CH_L - CH_R, ph = CH_H - CH_T - CH_B;
    /* y axis: from the lowest covered value (at most the objective) to 100% */
    double lo = 1;
    for (size_t i = 0; i < r->nsteps; i++)
        if (r->steps[i].cov == REPORT_FRESH && r->steps[i].v < lo)
            lo = r->steps[i].v;
    if (r->o.objective > 0 && r->o.objective / 100 < lo)
        lo = r->o.objective / 100;
    lo = lo - (1 - lo) * 0.1;
    if (lo > 0.999)
        lo = 0.999;
    if (lo < 0)
        lo = 0;
#define X(t) (CH_L + pw * (double)((t) - r->o.from_ms) / span)
#define Y(v) (CH_T + ph * (1 - ((v) - lo) / (1 - lo)))
    strbuf_addf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                "font-family=\"sans-serif\" font-size=\"12\">\n<defs><pattern id=\"stale\" width=\"6\" "
                "height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"3\" "
                "height=\"6\" fill=\"#7f7f7f\" fill-opacity=\"0.5\"/></pattern></defs>\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
                CH_W, CH_H, CH_W, CH_H);
    strbuf_addstr(out, "<text x=\"10\" y=\"20\" font-weight=\"bold\">");
    replay_out_xml(out, r->o.name);
    strbuf_addstr(out, "</text>\n<text x=\"10\" y=\"40\">availability ");
    pct(out, r->availability);
    strbuf_addstr(out, " over ");
    pct1(out, share(r, REPORT_FRESH));
    strbuf_addstr(out, " of the range; unknown: hatched (stale), red (missing)</text>\n");
    for (size_t i = 0; i < r->niv; i++) {
        const struct report_interval *iv = &r->iv[i];
        if (iv->cov == REPORT_FRESH)
            continue;
        strbuf_addf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"><title>",
                    X(iv->from_ms), CH_T, X(iv->to_ms) - X(iv->from_ms), ph,
                    iv->cov == REPORT_STALE ? "url(#stale)" : "#f4b6b6");
        strbuf_addf(out, "%s: ", report_coverage_name(iv->cov));
        replay_out_xml(out, iv->reason);
        strbuf_addstr(out, "</title></rect>\n");
    }
    /* the ratio over covered steps, one polyline per covered interval */
    for (size_t i = 0; i < r->niv; i++) {
        const struct report_interval *iv = &r->iv[i];
        if (iv->cov != REPORT_FRESH)
            continue;
        strbuf_addstr(out, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
        size_t first = (size_t)((iv->from_ms - r->o.from_ms) / r->o.step_ms);
        for (size_t k = first; k < first + iv->steps && k < r->nsteps; k++) {
            double v = r->steps[k].v < lo ? lo : r->steps[k].v > 1 ? 1 : r->steps[k].v;
            strbuf_addf(out, "%.1f,%.1f ", X(r->steps[k].t_ms), Y(v));
        }
        strbuf_addstr(out, "\"/>\n");
    }
    if (r->o.objective > 0)
        strbuf_addf(out,
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>"
                    "<text x=\"%d\" y=\"%.1f\" fill=\"#d62728\" text-anchor=\"end\">%g%%</text>\n",
                    CH_L, CH_W - CH_R, Y(r->o.objective / 100), Y(r->o.objective / 100), CH_W - CH_R,
                    Y(r->o.objective / 100) - 3, r->o.objective);
    strbuf_addf(out, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>\n", CH_L,
                CH_T, pw, ph);
    for (int k = 0; k <= 4; k++) {
        double v = lo + (1 - lo) * k / 4;
        struct strbuf lab = STRBUF_INIT;
        pct(&lab, v);
        strbuf_addf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#666\">%s</text>\n", CH_L - 4,
                    Y(v) + 4, lab.buf);
        strbuf_release(&lab);
    }
    for (int k = 0; k <= 5; k++) {
        int64_t t = r->o.from_ms + (int64_t)((r->o.to_ms - r->o.from_ms) * k / 5);
        struct strbuf lab = STRBUF_INIT;
        replay_out_time_short(&lab, t, r->o.from_ms, r->o.to_ms);
        strbuf_addf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" fill=\"#666\">%s</text>\n", X(t),
                    CH_H - CH_B + 16, k == 0 ? "start" : k == 5 ? "end" : "middle", lab.buf);
        strbuf_release(&lab);
    }
#undef X
#undef Y
    strbuf_addstr(out, "</svg>\n");
}
