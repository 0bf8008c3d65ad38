/* replay_out: text, JSON and SVG renderings of a replay. */
#include "rules/replay_out.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/json.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "compat/promfmt.h"
#include "rules/replay.h"

#define TEXT_WIDTH 80
#define BAR_LABEL 12                       /* "  prometheus" column */
#define BAR_WIDTH (TEXT_WIDTH - BAR_LABEL - 1)

void replay_out_time_short(struct strbuf *out, int64_t t_ms, int64_t from_ms, int64_t to_ms)
{
    time_t a = (time_t)(t_ms / 1000), f = (time_t)(from_ms / 1000), z = (time_t)(to_ms / 1000);
    struct tm tm, tf, tz;
    gmtime_r(&a, &tm);
    gmtime_r(&f, &tf);
    gmtime_r(&z, &tz);
    if (tf.tm_year == tz.tm_year && tf.tm_yday == tz.tm_yday)
        strbuf_addf(out, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        strbuf_addf(out, "%02d-%02d %02d:%02d", tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

void replay_out_duration(struct strbuf *out, int64_t ms)
{
    static const struct {
        char unit;
        int64_t ms;
    } units[] = {{'d', 86400000}, {'h', 3600000}, {'m', 60000}, {'s', 1000}};
    if (ms < 1000) {
        strbuf_addf(out, "%lldms", (long long)ms);
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (ms >= units[i].ms) {
            strbuf_addf(out, "%lld%c", (long long)(ms / units[i].ms), units[i].unit);
            ms %= units[i].ms;
        }
    }
}

void replay_out_xml(struct strbuf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': strbuf_addstr(out, "&lt;"); break;
        case '>': strbuf_addstr(out, "&gt;"); break;
        case '&': strbuf_addstr(out, "&amp;"); break;
        case '"': strbuf_addstr(out, "&quot;"); break;
        default: strbuf_addch(out, *s);
        }
    }
}

/* ---- instances paired by identity, in a stable order ---- */

struct pair {
    const struct replay_instance *sem[REPLAY_NSEM]; /* NULL: not recorded under that semantics */
};

static const struct replay_instance *pair_any(const struct pair *p)
{
    return p->sem[REPLAY_HEED] ? p->sem[REPLAY_HEED] : p->sem[REPLAY_PROMETHEUS];
}

static int cmp_pair(const void *x, const void *y)
{
    const struct replay_instance *a = pair_any(x), *b = pair_any(y);
    if (a->rule != b->rule)
        return a->rule < b->rule ? -1 : 1;
    return labels_compare(a->ls, b->ls);
}

static struct pair *pairs(const struct replay *rp, size_t *n)
{
    struct pair *ps = xcalloc(rp->n + 1, sizeof *ps);
    size_t k = 0;
    for (size_t i = 0; i < rp->n; i++) {
        const struct replay_instance *in = &rp->inst[i];
        const struct replay_instance *other = replay_counterpart(rp, in);
        if (other && other < in)
            continue; /* paired with the earlier one */
        ps[k].sem[in->sem] = in;
        if (other)
            ps[k].sem[other->sem] = other;
        k++;
    }
    qsort(ps, k, sizeof *ps, cmp_pair);
    *n = k;
    return ps;
}

/* Identity without the alertname (it heads the line already). */
static void instance_title(struct strbuf *out, const struct replay_instance *in)
{
    strbuf_addstr(out, in->alertname);
    strbuf_addch(out, '{');
    bool first = true;
    for (size_t i = 0; i < in->ls->n; i++) {
        const struct label *l = &in->ls->l[i];
        if (!strcmp(l->name, "alertname"))
            continue;
        if (!first)
            strbuf_addstr(out, ", ");
        first = false;
        strbuf_addf(out, "%s=", l->name);
        labels_quote(out, l->value);
    }
    strbuf_addch(out, '}');
}

/* ---- text ---- */

static char cell_char(enum alert_state st, enum replay_freshness f)
{
    if (st == ALERT_FIRING)
        return f == REPLAY_STALE ? 'h' : 'F';
    if (st == ALERT_PENDING)
        return f == REPLAY_STALE ? 's' : 'p';
    return f == REPLAY_STALE ? ',' : '.';
}

static int severity(enum alert_state st, enum replay_freshness f)
{
    return (int)st * 2 + (f == REPLAY_STALE);
}

/* The worst state an instance had during [t0, t1). */
static void worst_in(const struct replay_instance *in, int64_t t0, int64_t t1, enum alert_state *st,
                     enum replay_freshness *f)
{
    replay_instance_at(in, t0, st, f);
    for (size_t i = 0; i < in->n; i++) {
        const struct replay_transition *t = &in->tr[i];
        if (t->t_ms >= t0 && t->t_ms < t1 && severity(t->state, t->freshness) > severity(*st, *f)) {
            *st = t->state;
            *f = t->freshness;
        }
    }
}

static void text_bar(struct strbuf *out, const struct replay *rp, const struct replay_instance *in,
                     const char *name)
{
    strbuf_addf(out, "  %-*s", BAR_LABEL - 2, name);
    if (!in) {
        strbuf_addstr(out, " (no instance)\n");
        return;
    }
    strbuf_addch(out, ' ');
    int64_t span = rp->to_ms - rp->from_ms + 1;
    for (int c = 0; c < BAR_WIDTH; c++) {
        int64_t t0 = rp->from_ms + span * c / BAR_WIDTH, t1 = rp->from_ms + span * (c + 1) / BAR_WIDTH;
        enum alert_state st;
        enum replay_freshness f;
        worst_in(in, t0, t1, &st, &f);
        strbuf_addch(out, cell_char(st, f));
    }
    strbuf_addch(out, '\n');
}

void replay_out_wrapped(struct strbuf *out, const char *prefix, const char *text, size_t indent)
{
    size_t col = strlen(prefix);
    bool space = col > 0;
    strbuf_addstr(out, prefix);
    for (const char *p = text; *p;) {
        const char *sp = strchr(p, ' ');
        size_t wl = sp ? (size_t)(sp - p) : strlen(p);
        if (col > indent && col + 1 + wl > TEXT_WIDTH) {
            strbuf_addch(out, '\n');
            for (size_t i = 0; i < indent; i++)
                strbuf_addch(out, ' ');
            col = indent;
            space = false;
        }
        if (space) {
            strbuf_addch(out, ' ');
            col++;
        }
        strbuf_add(out, p, wl);
        col += wl;
        space = true;
        p += wl;
        while (*p == ' ')
            p++;
    }
    strbuf_addch(out, '\n');
}

static void state_cell(struct strbuf *out, enum alert_state st, enum replay_freshness f)
{
    strbuf_addstr(out, alert_state_name(st));
    if (f == REPLAY_STALE)
        strbuf_addstr(out, ", stale");
}

static const struct replay_transition *transition_at(const struct replay_instance *in, int64_t t)
{
    if (!in)
        return NULL;
    for (size_t i = 0; i < in->n; i++)
        if (in->tr[i].t_ms == t)
            return &in->tr[i];
    return NULL;
}

/* The transition times of both sides, merged and unique. */
static int64_t *merged_times(const struct pair *p, size_t *n)
{
    size_t cap = 1;
    for (int s = 0; s < REPLAY_NSEM; s++)
        cap += p->sem[s] ? p->sem[s]->n : 0;
    int64_t *ts = xmalloc(cap * sizeof *ts);
    size_t k = 0, idx[REPLAY_NSEM] = {0};
    for (;;) {
        int64_t t = INT64_MAX;
        for (int s = 0; s < REPLAY_NSEM; s++)
            if (p->sem[s] && idx[s] < p->sem[s]->n && p->sem[s]->tr[idx[s]].t_ms < t)
                t = p->sem[s]->tr[idx[s]].t_ms;
        if (t == INT64_MAX)
            break;
        ts[k++] = t;
        for (int s = 0; s < REPLAY_NSEM; s++)
            if (p->sem[s] && idx[s] < p->sem[s]->n && p->sem[s]->tr[idx[s]].t_ms == t)
                idx[s]++;
    }
    *n = k;
    return ts;
}

/* On a row where the two differ and only Prometheus moved: heed's reason
 * for staying where it is, from its last transition. */
static void heed_still(struct strbuf *out, const struct replay *rp, const struct replay_instance *h, int64_t t)
{
    const struct replay_transition *last = NULL;
    for (size_t i = 0; h && i < h->n && h->tr[i].t_ms <= t; i++)
        last = &h->tr[i];
    if (!last)
        return;
    struct strbuf pre = STRBUF_INIT;
    strbuf_addstr(&pre, "      heed (since ");
    replay_out_time_short(&pre, last->t_ms, rp->from_ms, rp->to_ms);
    strbuf_addstr(&pre, "):");
    replay_out_wrapped(out, pre.buf, last->reason, 12);
    strbuf_release(&pre);
}

static void text_pair(struct strbuf *out, const struct replay *rp, const struct pair *p)
{
    const struct replay_instance *h = p->sem[REPLAY_HEED], *pr = p->sem[REPLAY_PROMETHEUS];
    struct strbuf title = STRBUF_INIT;
    instance_title(&title, pair_any(p));
    replay_out_wrapped(out, "", title.buf, 4);
    strbuf_release(&title);
    bool builtin = rp->rules[pair_any(p)->rule].builtin;
    if (rp->sem_evaluated[REPLAY_HEED])
        text_bar(out, rp, h, "heed");
    if (builtin)
        strbuf_addf(out, "  %-*s (heed's own alert)\n", BAR_LABEL - 2, "prometheus");
    else
        text_bar(out, rp, pr, "prometheus");

    size_t nt;
    int64_t *ts = merged_times(p, &nt);
    strbuf_addf(out, "  %-12s %-22s %s\n", "time", "heed", "prometheus");
    for (size_t i = 0; i < nt; i++) {
        enum alert_state hs = ALERT_INACTIVE, ps = ALERT_INACTIVE;
        enum replay_freshness hf = REPLAY_FRESH, pf = REPLAY_FRESH;
        if (h)
            replay_instance_at(h, ts[i], &hs, &hf);
        if (pr)
            replay_instance_at(pr, ts[i], &ps, &pf);
        bool heed_known = rp->sem_evaluated[REPLAY_HEED];
        bool differ = heed_known && !builtin && (hs != ps || hf != pf);
        struct strbuf line = STRBUF_INIT, cell = STRBUF_INIT;
        strbuf_addstr(&line, differ ? "* " : "  ");
        struct strbuf tm = STRBUF_INIT;
        replay_out_time_short(&tm, ts[i], rp->from_ms, rp->to_ms);
        strbuf_addf(&line, "%-12s ", tm.buf);
        strbuf_release(&tm);
        if (heed_known)
            state_cell(&cell, hs, hf);
        else
            strbuf_addstr(&cell, "n/a");
        strbuf_addf(&line, "%-22s ", cell.buf);
        strbuf_reset(&cell);
        if (builtin)
            strbuf_addch(&cell, '-');
        else
            state_cell(&cell, ps, pf);
        strbuf_addf(&line, "%s\n", cell.buf);
        strbuf_addstr(out, line.buf);
        strbuf_release(&line);
        strbuf_release(&cell);
        const struct replay_transition *th = transition_at(h, ts[i]), *tp = transition_at(pr, ts[i]);
        const char *rh = th ? th->reason : NULL, *rpr = tp ? tp->reason : NULL;
        if (rh && rpr && !strcmp(rh, rpr)) {
            replay_out_wrapped(out, "      both:", rh, 12);
        } else {
            if (rh)
                replay_out_wrapped(out, "      heed:", rh, 12);
            else if (differ)
                heed_still(out, rp, h, ts[i]);
            if (rpr)
                replay_out_wrapped(out, "      prometheus:", rpr, 12);
        }
    }
    free(ts);
    strbuf_addch(out, '\n');
}

static void header(struct strbuf *out, const struct replay *rp)
{
    strbuf_addstr(out, "heed replay ");
    promfmt_rfc3339(out, rp->from_ms, -1);
    strbuf_addstr(out, " .. ");
    promfmt_rfc3339(out, rp->to_ms, -1);
    strbuf_addf(out, "\n%zu group evaluations, %zu rule(s)\n", rp->evaluations, rp->nrules);
}

void replay_out_text(struct strbuf *out, const struct replay *rp)
{
    header(out, rp);
    if (!rp->sem_evaluated[REPLAY_HEED])
        replay_out_wrapped(out, "", "note: this build evaluates Prometheus's semantics only; heed's column reads n/a.", 6);
    strbuf_addstr(out, "bars: . inactive  p pending  F firing  (stale inputs: , s h)\n");
    for (size_t i = 0; i < rp->nrules; i++) {
        const struct replay_rule *r = &rp->rules[i];
        if (!r->errors)
            continue;
        struct strbuf m = STRBUF_INIT;
        strbuf_addf(&m, "rule %s/%s failed at %zu evaluations: %s", r->group, r->name, r->errors,
                    r->last_error ? r->last_error : "");
        replay_out_wrapped(out, "", m.buf, 4);
        strbuf_release(&m);
    }
    size_t np;
    struct pair *ps = pairs(rp, &np);
    strbuf_addf(out, "%zu alert instances\n", np);
    if (np) {
        struct strbuf a = STRBUF_INIT, z = STRBUF_INIT;
        replay_out_time_short(&a, rp->from_ms, rp->from_ms, rp->to_ms);
        replay_out_time_short(&z, rp->to_ms, rp->from_ms, rp->to_ms);
        strbuf_addf(out, "%*s%s%*s\n\n", BAR_LABEL + 1, "", a.buf, (int)(BAR_WIDTH - a.len), z.buf);
        strbuf_release(&a);
        strbuf_release(&z);
    }
    for (size_t i = 0; i < np; i++)
        text_pair(out, rp, &ps[i]);
    free(ps);
}

/* ---- JSON ---- */

static void json_str(struct strbuf *out, const char *s)
{
    strbuf_addch(out, '"');
    json_escape(out, s, strlen(s));
    strbuf_addch(out, '"');
}

void replay_out_json(struct strbuf *out, const struct replay *rp)
{
    strbuf_addstr(out, "{\n  \"from\": \"");
    promfmt_rfc3339(out, rp->from_ms, -1);
    strbuf_addstr(out, "\",\n  \"to\": \"");
    promfmt_rfc3339(out, rp->to_ms, -1);
    strbuf_addf(out, "\",\n  \"evaluations\": %zu,\n  \"semantics\": [", rp->evaluations);
    bool first = true;
    for (int s = 0; s < REPLAY_NSEM; s++) {
        if (!rp->sem_evaluated[s])
            continue;
        strbuf_addstr(out, first ? "" : ", ");
        json_str(out, replay_semantics_name((enum replay_semantics)s));
        first = false;
    }
    strbuf_addstr(out, "],\n  \"rules\": [");
    for (size_t i = 0; i < rp->nrules; i++) {
        const struct replay_rule *r = &rp->rules[i];
        strbuf_addstr(out, i ? ",\n    {\"group\": " : "\n    {\"group\": ");
        json_str(out, r->group);
        strbuf_addstr(out, r->alerting ? ", \"alert\": " : ", \"record\": ");
        json_str(out, r->name);
        strbuf_addf(out, "%s, \"errors\": %zu, \"last_error\": ", r->builtin ? ", \"builtin\": true" : "",
                    r->errors);
        if (r->last_error)
            json_str(out, r->last_error);
        else
            strbuf_addstr(out, "null");
        strbuf_addch(out, '}');
    }
    strbuf_addstr(out, rp->nrules ? "\n  ],\n  \"instances\": [" : "],\n  \"instances\": [");
    size_t np;
    struct pair *ps = pairs(rp, &np);
    first = true;
    for (size_t i = 0; i < np; i++) {
        for (int s = 0; s < REPLAY_NSEM; s++) {
            const struct replay_instance *in = ps[i].sem[s];
            if (!in)
                continue;
            strbuf_addstr(out, first ? "\n    {\"alertname\": " : ",\n    {\"alertname\": ");
            first = false;
            json_str(out, in->alertname);
            strbuf_addstr(out, ", \"labels\": {");
            for (size_t j = 0; j < in->ls->n; j++) {
                strbuf_addstr(out, j ? ", " : "");
                json_str(out, in->ls->l[j].name);
                strbuf_addstr(out, ": ");
                json_str(out, in->ls->l[j].value);
            }
            strbuf_addstr(out, "}, \"semantics\": ");
            json_str(out, replay_semantics_name(in->sem));
            strbuf_addstr(out, ", \"transitions\": [");
            for (size_t j = 0; j < in->n; j++) {
                const struct replay_transition *t = &in->tr[j];
                strbuf_addstr(out, "\n      {\"time\": \"");
                promfmt_rfc3339(out, t->t_ms, -1);
                strbuf_addstr(out, "\", \"state\": ");
                json_str(out, alert_state_name(t->state));
                strbuf_addstr(out, ", \"freshness\": ");
                json_str(out, replay_freshness_name(t->freshness));
                strbuf_addstr(out, ", \"reason\": ");
                json_str(out, t->reason);
                strbuf_addstr(out, j + 1 < in->n ? "}," : "}");
            }
            strbuf_addstr(out, in->n ? "\n    ]}" : "]}");
        }
    }
    free(ps);
    strbuf_addstr(out, np ? "\n  ]\n}\n" : "]\n}\n");
}

/* ---- SVG ---- */

#define SVG_W 960
#define SVG_LEFT 110
#define SVG_RIGHT 20
#define SVG_ROW 16
#define SVG_TITLE 18

static const char *svg_fill(enum alert_state st)
{
    return st == ALERT_FIRING ? "#d62728" : st == ALERT_PENDING ? "#ff9f1c" : "#e8e8e8";
}

static double svg_x(const struct replay *rp, int64_t t)
{
    double span = (double)(rp->to_ms - rp->from_ms);
    if (span <= 0)
        span = 1;
    return SVG_LEFT + (SVG_W - SVG_LEFT - SVG_RIGHT) * (double)(t - rp->from_ms) / span;
}

static void svg_row(struct strbuf *out, const struct replay *rp, const struct replay_instance *in, int y,
                    const char *name)
{
    strbuf_addf(out, "<text x=\"%d\" y=\"%d\" class=\"sem\">%s</text>\n", SVG_LEFT - 6, y + SVG_ROW - 4, name);
    if (!in)
        return;
    int64_t t = rp->from_ms;
    enum alert_state st = ALERT_INACTIVE;
    enum replay_freshness f = REPLAY_FRESH;
    const char *why = "";
    for (size_t i = 0; i <= in->n; i++) {
        int64_t t1 = i < in->n ? in->tr[i].t_ms : rp->to_ms;
        if (t1 > t) {
            double x0 = svg_x(rp, t), x1 = svg_x(rp, t1);
            strbuf_addf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">", x0, y,
                        x1 - x0, SVG_ROW - 3, svg_fill(st));
            strbuf_addf(out, "<title>%s, %s: ", alert_state_name(st), replay_freshness_name(f));
            replay_out_xml(out, why);
            strbuf_addstr(out, "</title></rect>\n");
            if (f == REPLAY_STALE)
                strbuf_addf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"url(#stale)\"/>\n",
                            x0, y, x1 - x0, SVG_ROW - 3);
        }
        if (i < in->n) {
            t = in->tr[i].t_ms;
            st = in->tr[i].state;
            f = in->tr[i].freshness;
            why = in->tr[i].reason;
        }
    }
}

void replay_out_svg(struct strbuf *out, const struct replay *rp)
{
    size_t np;
    struct pair *ps = pairs(rp, &np);
    int nsem = rp->sem_evaluated[REPLAY_HEED] ? 2 : 1;
    int block = SVG_TITLE + nsem * SVG_ROW + 8;
    int h = 60 + (int)np * block + 30;
    strbuf_addf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                "font-family=\"sans-serif\" font-size=\"12\">\n",
                SVG_W, h, SVG_W, h);
    strbuf_addstr(out,
                  "<style>.sem{text-anchor:end;fill:#444}.title{font-weight:bold}.axis{fill:#666;font-size:11px}"
                  "</style>\n<defs><pattern id=\"stale\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
                  "patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#000\" "
                  "fill-opacity=\"0.35\"/></pattern></defs>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
    strbuf_addstr(out, "<text x=\"10\" y=\"20\" class=\"title\">heed replay ");
    promfmt_rfc3339(out, rp->from_ms, -1);
    strbuf_addstr(out, " .. ");
    promfmt_rfc3339(out, rp->to_ms, -1);
    strbuf_addstr(out, "</text>\n<text x=\"10\" y=\"38\" class=\"axis\">grey inactive, orange pending, red firing, "
                       "hatched: inputs stale</text>\n");
    int y = 60;
    for (size_t i = 0; i < np; i++) {
        struct strbuf title = STRBUF_INIT;
        instance_title(&title, pair_any(&ps[i]));
        strbuf_addf(out, "<text x=\"10\" y=\"%d\">", y + 12);
        replay_out_xml(out, title.buf);
        strbuf_addstr(out, "</text>\n");
        strbuf_release(&title);
        int ry = y + SVG_TITLE;
        if (nsem == 2) {
            svg_row(out, rp, ps[i].sem[REPLAY_HEED], ry, "heed");
            ry += SVG_ROW;
        }
        svg_row(out, rp, ps[i].sem[REPLAY_PROMETHEUS], ry, "prometheus");
        y += block;
    }
    /* time axis: six labels */
    for (int k = 0; k <= 5; k++) {
        int64_t t = rp->from_ms + (rp->to_ms - rp->from_ms) * k / 5;
        double x = svg_x(rp, t);
        struct strbuf tm = STRBUF_INIT;
        replay_out_time_short(&tm, t, rp->from_ms, rp->to_ms);
        strbuf_addf(out, "<line x1=\"%.1f\" y1=\"50\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ccc\"/>\n", x, x, y);
        strbuf_addf(out, "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"%s\">%s</text>\n", x, y + 16,
                    k == 0 ? "start" : k == 5 ? "end" : "middle", tm.buf);
        strbuf_release(&tm);
    }
    strbuf_addstr(out, "</svg>\n");
    free(ps);
}
