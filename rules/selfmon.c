#include "rules/selfmon.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "eval/value.h"
#include "rules/group.h"

/* ORDER selfmon_kind */
static const char *const names[SELFMON_NKINDS] = {
    "HeedWatchdog", "HeedRuleInputsStale", "HeedDatasourceFailing", "HeedEvaluationLagging",
    "HeedNotifierFailing",
};

const char *selfmon_alertname(enum selfmon_kind k)
{
    return k < SELFMON_NKINDS ? names[k] : "";
}

void selfmon_init(struct selfmon *sm, const struct selfmon_opts *o)
{
    memset(sm, 0, sizeof *sm);
    if (o)
        sm->o = *o;
    alert_set_init(&sm->set);
}

void selfmon_release(struct selfmon *sm)
{
    alert_set_release(&sm->set);
}

/* The instances being built for one evaluation. */
struct batch {
    struct arena *a;
    struct labels_table lt;
    struct alert_input *in;
    size_t n, cap;
};

static void add(struct batch *b, enum selfmon_kind k, const char *group, const char *rule,
                const char *severity, const char *summary, const char *detail)
{
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 8;
        struct alert_input *nin = ARENA_NEWN(b->a, struct alert_input, ncap);
        if (b->n)
            memcpy(nin, b->in, b->n * sizeof *nin);
        b->in = nin;
        b->cap = ncap;
    }
    struct label l[4];
    size_t nl = 0;
    l[nl++] = (struct label){"alertname", names[k]};
    if (rule)
        l[nl++] = (struct label){"rule", rule};
    if (group)
        l[nl++] = (struct label){"rulegroup", group};
    l[nl++] = (struct label){"severity", severity};
    struct alert_annotation *ann = ARENA_NEWN(b->a, struct alert_annotation, 2);
    ann[0] = (struct alert_annotation){"summary", arena_strdup(b->a, summary)};
    ann[1] = (struct alert_annotation){"description", arena_strdup(b->a, detail ? detail : "")};
    struct alert_input *in = &b->in[b->n++];
    memset(in, 0, sizeof *in);
    in->ls = labels_intern(&b->lt, l, nl);
    in->value = 1;
    in->ann = ann;
    in->nann = 2;
}

static bool storage_error(enum eval_error_type t)
{
    return t == EVAL_ERR_UNAVAILABLE || t == EVAL_ERR_TIMEOUT || t == EVAL_ERR_CANCELED;
}

static void rules_state(const struct selfmon *sm, struct batch *b, const struct group *g)
{
    const char *gname = g->g->name;
    const char *ds_error = NULL;
    size_t ds_failed = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct group_rule *r = &g->rules[i];
        if (r->health == RULE_HEALTH_ERR && storage_error(r->last_error_type)) {
            ds_failed++;
            if (!ds_error)
                ds_error = r->last_error;
        }
        if (!sm->o.disabled[SELFMON_INPUTS_STALE] && r->health == RULE_HEALTH_OK && r->stale_inputs) {
            char summary[256];
            snprintf(summary, sizeof summary, "inputs of rule %s: %u late, %u frozen, %u gone",
                     r->rule->name, r->inputs_late, r->inputs_frozen, r->inputs_gone);
            add(b, SELFMON_INPUTS_STALE, gname, r->rule->name, "warning", summary, r->stale_inputs);
        }
    }
    if (!sm->o.disabled[SELFMON_DATASOURCE_FAILING] && ds_failed) {
        char summary[256];
        snprintf(summary, sizeof summary, "%zu of %zu rules of group %s cannot query the backend", ds_failed,
                 g->n, gname);
        add(b, SELFMON_DATASOURCE_FAILING, gname, NULL, "critical", summary, ds_error);
    }
}

/* Late start (half an interval), overrun (a whole one) or skipped slots. */
static void lag_state(struct batch *b, const struct selfmon_timing *t)
{
    int64_t late = t->started_ms - t->scheduled_ms;
    double took_ms = t->duration_s * 1000.0;
    if (late * 2 < t->interval_ms && took_ms < (double)t->interval_ms && t->missed == 0)
        return;
    char detail[256];
    snprintf(detail, sizeof detail, "started %lldms late, took %.0fms of a %lldms interval, %llu missed",
             (long long)late, took_ms, (long long)t->interval_ms, (unsigned long long)t->missed);
    add(b, SELFMON_EVAL_LAGGING, t->g->g->name, NULL, "warning", "rule group evaluation is lagging", detail);
}

void selfmon_eval(struct selfmon *sm, const struct selfmon_snapshot *snap, int64_t ts_ms)
{
    struct arena a;
    arena_init(&a, 8192);
    struct batch b = {&a, {0}, NULL, 0, 0};
    labels_table_init(&b.lt, &a, false);
    if (!sm->o.disabled[SELFMON_WATCHDOG])
        add(&b, SELFMON_WATCHDOG, NULL, NULL, "none", "heed is evaluating rules (always firing)",
            "a dead man's switch: if this stops arriving, heed or its notification path is down");
    for (size_t i = 0; i < snap->ngroups; i++)
        rules_state(sm, &b, snap->groups[i]);
    if (!sm->o.disabled[SELFMON_EVAL_LAGGING])
        for (size_t i = 0; i < snap->ntiming; i++)
            lag_state(&b, &snap->timing[i]);
    if (!sm->o.disabled[SELFMON_NOTIFIER_FAILING] && snap->notifier_failing)
        add(&b, SELFMON_NOTIFIER_FAILING, NULL, NULL, "critical", "notifications to Alertmanager fail",
            snap->notifier_error);
    /* facts about heed itself: no for, Prometheus's lifecycle */
    struct alert_params p = {0, 0, 0, NULL, NULL};
    struct eval_error err = {EVAL_ERR_NONE, ""};
    alert_set_update(&sm->set, b.in, b.n, ts_ms, &p, &err); /* identities are unique by construction */
    arena_release(&a);
}

void selfmon_send_alerts(struct selfmon *sm, int64_t ts_ms, int64_t interval_ms, int64_t resend_delay_ms,
                         selfmon_notify_fn fn, void *ctx)
{
    for (size_t i = 0; i < sm->set.n; i++) {
        struct alert *a = &sm->set.items[i];
        if (!alert_needs_sending(a, ts_ms, resend_delay_ms))
            continue;
        alert_mark_sent(a, ts_ms, interval_ms, resend_delay_ms);
        fn(ctx, a);
    }
}

const struct alert *selfmon_find(const struct selfmon *sm, enum selfmon_kind k, const char *name,
                                 const char *value)
{
    for (size_t i = 0; i < sm->set.n; i++) {
        const struct alert *a = &sm->set.items[i];
        const char *an = labels_get(a->ls, "alertname");
        if (!an || strcmp(an, names[k]) != 0)
            continue;
        if (name) {
            const char *v = labels_get(a->ls, name);
            if (!v || strcmp(v, value) != 0)
                continue;
        }
        return a;
    }
    return NULL;
}
