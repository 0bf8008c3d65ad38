/* scenario.h: replays an examples/<scenario>/ recording (series.txt, rules.yml)
 * through group_eval tick by tick, with a backend that can lag or go down,
 * capturing every notification the groups send. Used by scenarios_test.c.
 * Ownership rule: a scen owns its store, rule file, groups and log. */
#ifndef HEED_TESTS_SCENARIO_H
#define HEED_TESTS_SCENARIO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "compat/seriesfile.h"
#include "eval/memstore.h"
#include "rules/group.h"
#include "rules/policy.h"
#include "rules/rulefile.h"
#include "rules/selfmon.h"

#define SCEN_MIN (60 * 1000)

/* One notification as Alertmanager would get it. */
struct scen_note {
    int64_t t_ms;         /* when sent */
    char alert[256];      /* alertname + labels, formatted */
    bool resolved;        /* endsAt in the past (a resolve) */
    char why[512];        /* heed_* annotations, "k=v; ..." */
};

struct scen {
    struct memstore ms;          /* the recorded series */
    struct storage st;           /* what rules query: ms, lagging or down */
    int64_t lag_ms;              /* samples become visible this long after their time */
    int64_t lag_from_ms;         /* ... for evaluations from this time on */
    int64_t now_ms;              /* current evaluation time */
    bool down;                   /* the backend answers every query with an error */
    struct rulefile rf;
    struct group *g;             /* one per group of the file */
    size_t ng;
    struct engine_opts eo;
    bool shadow;                 /* shadow mode */
    struct selfmon sm;           /* heed's own alerts, evaluated every minute */
    struct scen_note *notes;     /* every notification, in order */
    size_t nnotes, capnotes;
};

static inline int scen_select(struct storage *s, const struct ast_matcher *m, size_t n, int64_t mint,
                       int64_t maxt, struct arena *a, struct storage_series **out, size_t *nout,
                       struct eval_error *err)
{
    struct scen *sc = s->impl;
    if (sc->down) {
        eval_error_set(err, EVAL_ERR_UNAVAILABLE, "connection refused");
        return -1;
    }
    if (sc->lag_ms && sc->now_ms >= sc->lag_from_ms && maxt > sc->now_ms - sc->lag_ms) {
        /* samples taken since lag_from are not there yet */
        int64_t horizon = sc->now_ms - sc->lag_ms;
        if (horizon < sc->lag_from_ms)
            horizon = sc->lag_from_ms;
        maxt = horizon < maxt ? horizon : maxt;
    }
    return sc->ms.iface.select(&sc->ms.iface, m, n, mint, maxt, a, out, nout, err);
}

/* Loads examples/<name>; profile for rules without a directive. */
static inline int scen_open(struct scen *sc, const char *name, enum policy_profile profile, bool shadow)
{
    memset(sc, 0, sizeof *sc);
    memstore_init(&sc->ms);
    sc->st.select = scen_select;
    sc->st.impl = sc;
    sc->shadow = shadow;
    sc->eo.lookback_ms = 5 * SCEN_MIN;
    selfmon_init(&sc->sm, NULL);
    char path[512];
    struct strbuf sb = STRBUF_INIT;
    struct diag_list dl;
    diag_list_init(&dl);
    snprintf(path, sizeof path, "examples/%s/series.txt", name);
    struct seriesfile_stats st;
    int rc = strbuf_read_file(&sb, path);
    if (rc == 0)
        rc = seriesfile_load(&sc->ms, path, sb.buf, sb.len, 0, &st, &dl);
    strbuf_release(&sb);
    snprintf(path, sizeof path, "examples/%s/rules.yml", name);
    if (rc == 0)
        rc = rulefile_load(&sc->rf, path, NULL, &dl);
    if (rc == 0) {
        struct policy_config pc;
        policy_config_init(&pc, profile);
        sc->ng = sc->rf.ngroups;
        sc->g = xcalloc(sc->ng + 1, sizeof *sc->g);
        for (size_t i = 0; i < sc->ng && rc == 0; i++) {
            char msg[256];
            rc = group_init(&sc->g[i], &sc->rf.groups[i], msg, sizeof msg);
            if (rc == 0)
                rc = group_resolve_policies(&sc->g[i], &pc, &sc->rf, &dl);
        }
        policy_config_release(&pc);
    }
    for (size_t i = 0; i < dl.len; i++)
        fprintf(stderr, "  %s: %s\n", dl.items[i].file ? dl.items[i].file : "", dl.items[i].msg);
    diag_list_release(&dl);
    return rc;
}

static inline void scen_close(struct scen *sc)
{
    for (size_t i = 0; i < sc->ng; i++)
        group_release(&sc->g[i]);
    free(sc->g);
    selfmon_release(&sc->sm);
    rulefile_release(&sc->rf);
    memstore_release(&sc->ms);
    free(sc->notes);
}

static inline void scen_notify_alert(void *ctx, const struct alert *a)
{
    struct scen *sc = ctx;
    XGROW(sc->notes, sc->capnotes, sc->nnotes + 1);
    struct scen_note *n = &sc->notes[sc->nnotes++];
    memset(n, 0, sizeof *n);
    n->t_ms = sc->now_ms;
    struct strbuf sb = STRBUF_INIT;
    labels_format(&sb, a->ls);
    snprintf(n->alert, sizeof n->alert, "%s", sb.buf);
    strbuf_reset(&sb);
    n->resolved = a->state == ALERT_INACTIVE;
    for (size_t i = 0; i < a->nann; i++)
        if (!strncmp(a->ann[i].name, "heed_", 5))
            strbuf_addf(&sb, "%s%s=%s", sb.len ? "; " : "", a->ann[i].name, a->ann[i].value);
    const char *d = alert_annotation(a, "description");
    if (d && *d) /* selfmon alerts explain themselves in description */
        strbuf_addf(&sb, "%sdescription=%s", sb.len ? "; " : "", d);
    snprintf(n->why, sizeof n->why, "%s", sb.len ? sb.buf : "");
    strbuf_release(&sb);
}

static inline void scen_notify(void *ctx, const struct group_rule *r, const struct alert *a)
{
    (void)r;
    scen_notify_alert(ctx, a);
}

/* Evaluates every group due at t (t a multiple of its interval) and sends. */
static inline void scen_tick(struct scen *sc, int64_t t)
{
    sc->now_ms = t;
    for (size_t i = 0; i < sc->ng; i++) {
        const struct rule_group *rg = sc->g[i].g;
        int64_t interval = rg->interval_ms ? rg->interval_ms : SCEN_MIN;
        if (t % interval)
            continue;
        struct group_env env = {&sc->st, &sc->eo, NULL, NULL, NULL, 0, "", 0, true, sc->shadow};
        env.query_offset_ms = rg->has_query_offset ? rg->query_offset_ms : 0;
        group_eval(&sc->g[i], &env, t);
        group_send_alerts(&sc->g[i], t, interval, SCEN_MIN, scen_notify, sc);
    }
    struct group **gs = xcalloc(sc->ng + 1, sizeof *gs);
    for (size_t i = 0; i < sc->ng; i++)
        gs[i] = &sc->g[i];
    struct selfmon_snapshot snap = {gs, sc->ng, NULL, 0, false, NULL};
    selfmon_eval(&sc->sm, &snap, t);
    selfmon_send_alerts(&sc->sm, t, SCEN_MIN, SCEN_MIN, scen_notify_alert, sc);
    free(gs);
}

/* Runs ticks every minute over [from, to]. */
static inline void scen_run(struct scen *sc, int64_t from, int64_t to)
{
    for (int64_t t = from; t <= to; t += SCEN_MIN)
        scen_tick(sc, t);
}

/* The rule called name (first group that has it). */
static inline struct group_rule *scen_rule(struct scen *sc, const char *name)
{
    for (size_t i = 0; i < sc->ng; i++)
        for (size_t j = 0; j < sc->g[i].n; j++)
            if (!strcmp(sc->g[i].rules[j].rule->name, name))
                return &sc->g[i].rules[j];
    return NULL;
}

/* The instance of rule name whose label key has value val (NULL: none). */
static inline const struct alert *scen_alert(struct scen *sc, const char *name, const char *key, const char *val)
{
    struct group_rule *r = scen_rule(sc, name);
    if (!r)
        return NULL;
    for (size_t i = 0; i < r->alerts.n; i++) {
        const char *v = labels_get(r->alerts.items[i].ls, key);
        if (v && !strcmp(v, val))
            return &r->alerts.items[i];
    }
    return NULL;
}

/* "firing", "pending", "inactive", "held", "stale", "resolved" or "none". */
static inline const char *scen_state(struct scen *sc, const char *name, const char *key, const char *val)
{
    const struct alert *a = scen_alert(sc, name, key, val);
    if (!a)
        return "none";
    if (a->state == ALERT_INACTIVE)
        return a->resolved_at_ms ? "resolved" : "inactive";
    if (a->state == ALERT_FIRING && a->held)
        return "firing/held";
    if (a->state == ALERT_FIRING && a->stale_class != FRESH_CLASS_FRESH)
        return "firing/stale";
    if (a->state == ALERT_PENDING && a->stale_class != FRESH_CLASS_FRESH)
        return a->held ? "pending/held" : "pending/stale";
    return alert_state_name(a->state);
}

/* The first notification at or after t about an alert containing substr. */
static inline const struct scen_note *scen_note_at(const struct scen *sc, int64_t t, const char *substr, bool resolved)
{
    for (size_t i = 0; i < sc->nnotes; i++)
        if (sc->notes[i].t_ms == t && strstr(sc->notes[i].alert, substr) && sc->notes[i].resolved == resolved)
            return &sc->notes[i];
    return NULL;
}

/* The time of the first resolve notification about substr (-1: none). */
static inline int64_t scen_resolved_at(const struct scen *sc, const char *substr)
{
    for (size_t i = 0; i < sc->nnotes; i++)
        if (sc->notes[i].resolved && strstr(sc->notes[i].alert, substr))
            return sc->notes[i].t_ms;
    return -1;
}

/* Prints the timeline (SCEN_TRACE=1) to help write assertions. */
static inline void scen_trace(const struct scen *sc)
{
    if (!getenv("SCEN_TRACE"))
        return;
    for (size_t i = 0; i < sc->nnotes; i++)
        fprintf(stderr, "  %6.2fm %s %s %s\n", (double)sc->notes[i].t_ms / SCEN_MIN,
                sc->notes[i].resolved ? "RESOLVED" : "firing  ", sc->notes[i].alert, sc->notes[i].why);
}

#endif
