#include "rules/group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "eval/storage.h"
#include "eval/value.h"
#include "grammar/parse.h"
#include "rules/template.h"

const char *rule_health_name(enum rule_health h)
{
    switch (h) {
    case RULE_HEALTH_OK:
        return "ok";
    case RULE_HEALTH_ERR:
        return "err";
    default:
        return "unknown";
    }
}

static void series_set_init(struct group_series_set *s)
{
    arena_init(&s->arena, 4096);
    labels_table_init(&s->table, &s->arena, true);
}

static void series_set_reset(struct group_series_set *s)
{
    arena_release(&s->arena);
    series_set_init(s);
}

static void series_set_release(struct group_series_set *s)
{
    arena_release(&s->arena);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int group_init(struct group *gr, const struct rule_group *g, char *msg, size_t msglen)
{
    memset(gr, 0, sizeof *gr);
    gr->g = g;
    arena_init(&gr->arena, 8192);
    gr->n = g->nrules;
    gr->rules = xcalloc(gr->n ? gr->n : 1, sizeof *gr->rules);
    series_set_init(&gr->stale_pending);
    for (size_t i = 0; i < gr->n; i++) {
        struct group_rule *r = &gr->rules[i];
        r->rule = &g->rules[i];
        r->labels = rulefile_merged_labels(g, r->rule, &gr->arena);
        alert_set_init(&r->alerts);
        alert_set_init(&r->shadow);
        group_set_policy(gr, i, NULL);
        series_set_init(&r->prev);
        series_set_init(&r->cur);
    }
    for (size_t i = 0; i < gr->n; i++) {
        struct group_rule *r = &gr->rules[i];
        if (r->rule->type != RULE_ALERTING)
            continue;
        r->label_tmpl = ARENA_NEWN(&gr->arena, struct tmpl *, r->labels.len + 1);
        r->ann_tmpl = ARENA_NEWN(&gr->arena, struct tmpl *, r->rule->annotations.len + 1);
        for (size_t j = 0; j < r->labels.len; j++)
            r->label_tmpl[j] = tmpl_alert_parse(r->rule->name, r->labels.items[j].value);
        for (size_t j = 0; j < r->rule->annotations.len; j++)
            r->ann_tmpl[j] = tmpl_alert_parse(r->rule->name, r->rule->annotations.items[j].value);
        for (size_t j = 0; j < r->labels.len; j++) {
            if (tmpl_error(r->label_tmpl[j])) {
                snprintf(msg, msglen, "label \"%s\": %s", r->labels.items[j].name, tmpl_error(r->label_tmpl[j]));
                return -1;
            }
        }
        for (size_t j = 0; j < r->rule->annotations.len; j++) {
            if (tmpl_error(r->ann_tmpl[j])) {
                snprintf(msg, msglen, "annotation \"%s\": %s", r->rule->annotations.items[j].name,
                         tmpl_error(r->ann_tmpl[j]));
                return -1;
            }
        }
    }
    return 0;
}

void group_release(struct group *gr)
{
    for (size_t i = 0; i < gr->n; i++) {
        struct group_rule *r = &gr->rules[i];
        if (r->label_tmpl)
            for (size_t j = 0; j < r->labels.len; j++)
                tmpl_free(r->label_tmpl[j]);
        if (r->ann_tmpl)
            for (size_t j = 0; j < r->rule->annotations.len; j++)
                tmpl_free(r->ann_tmpl[j]);
        alert_set_release(&r->alerts);
        alert_set_release(&r->shadow);
        for (size_t j = 0; j < r->ndis; j++) {
            free(r->dis[j].alert);
            free(r->dis[j].why);
        }
        free(r->dis);
        for (size_t j = 0; j < r->ndis_log; j++) {
            free(r->dis_log[j].alert);
            free(r->dis_log[j].why);
        }
        free(r->dis_log);
        free(r->stale_inputs);
        series_set_release(&r->prev);
        series_set_release(&r->cur);
        free(r->last_error);
    }
    free(gr->rules);
    series_set_release(&gr->stale_pending);
    arena_release(&gr->arena);
    memset(gr, 0, sizeof *gr);
}

void group_set_policy(struct group *gr, size_t i, const struct policy *p)
{
    struct group_rule *r = &gr->rules[i];
    r->policy = p ? *p : policy_profile(POLICY_PROFILE_COMPAT);
    r->shadow_policy = policy_profile(r->policy.compat ? POLICY_PROFILE_DEFAULT : POLICY_PROFILE_COMPAT);
}

int group_resolve_policies(struct group *gr, const struct policy_config *c, const struct rulefile *rf,
                           struct diag_list *dl)
{
    int rc = 0;
    for (size_t i = 0; i < gr->n; i++) {
        struct policy p;
        if (policy_resolve(c, rf, gr->g, gr->rules[i].rule, &p, dl) < 0)
            rc = -1;
        group_set_policy(gr, i, &p);
    }
    return rc;
}

/* One rule's evaluation: where its outputs go and what it produced. */
struct rule_run {
    struct group_rule *r;
    const struct group_env *env;
    struct arena *a;          /* evaluation arena */
    int64_t out_ms;           /* output timestamp: ts - query_offset */
    group_append_hist_fn hist; /* the group's histogram sink, or NULL */
};

static void emit(struct rule_run *rr, const struct labels *ls, double v, const struct histogram *h)
{
    labels_import(&rr->r->cur.table, ls);
    rr->r->samples++;
    if (h && rr->hist)
        rr->hist(rr->env->append_ctx, ls, rr->out_ms, h);
    else if (rr->env->append)
        rr->env->append(rr->env->append_ctx, ls, rr->out_ms, v);
}

static bool table_contains(const struct labels_table *t, const struct labels *ls)
{
    size_t j = (size_t)ls->hash & (t->cap - 1);
    while (t->slot[j]) {
        if (labels_equal(t->slot[j], ls))
            return true;
        j = (j + 1) & (t->cap - 1);
    }
    return false;
}

/* Staleness markers for the series written last time and not this time. */
static void mark_stale(struct rule_run *rr)
{
    struct group_rule *r = rr->r;
    if (!rr->env->append)
        return;
    for (size_t i = 0; i < r->prev.table.cap; i++) {
        const struct labels *ls = r->prev.table.slot[i];
        if (ls && !table_contains(&r->cur.table, ls))
            rr->env->append(rr->env->append_ctx, ls, rr->out_ms, value_stale_nan());
    }
}

/* The engine options for a rule: the environment's, plus input
 * classification when heed's semantics are evaluated (as rule or shadow). */
static struct engine_opts rule_engine_opts(struct group_rule *r, const struct group_env *env)
{
    struct engine_opts o = *env->eopts;
    const struct policy *heed = !r->policy.compat ? &r->policy
                                : env->shadow ? &r->shadow_policy
                                              : NULL;
    if (heed) {
        policy_hook(heed, o.lookback_ms ? o.lookback_ms : 5 * 60 * 1000, &r->hook);
        o.fresh = &r->hook;
        o.no_provenance = false;
    }
    return o;
}

static int run_query(struct rule_run *rr, int64_t t_ms, struct engine_result *res)
{
    struct engine_query q = {rr->r->rule->ast, rr->r->rule->expr_canonical,
                             strlen(rr->r->rule->expr_canonical)};
    memset(res, 0, sizeof *res);
    struct engine_opts o = rule_engine_opts(rr->r, rr->env);
    if (engine_eval_instant(rr->env->st, &o, &q, t_ms, rr->a, res) != 0)
        return -1;
    if (res->v.type == VALUE_SCALAR) {
        /* a scalar result is one sample with no labels */
        struct vsample *s = arena_zalloc(rr->a, sizeof *s);
        struct labels_table lt;
        labels_table_init(&lt, rr->a, false);
        s->ls = labels_empty(&lt);
        s->v = res->v.u.scalar.v;
        s->t_ms = t_ms;
        s->prov = res->v.u.scalar.prov;
        res->v.type = VALUE_VECTOR;
        res->v.u.vec.s = s;
        res->v.u.vec.n = 1;
    } else if (res->v.type != VALUE_VECTOR) {
        eval_error_set(&res->err, EVAL_ERR_EXECUTION, "rule result is not a vector or scalar");
        return -1;
    }
    return 0;
}

static int eval_recording(struct rule_run *rr, const struct vector *vec, struct labels_table *lt,
                          struct eval_error *err)
{
    const struct rule *rule = rr->r->rule;
    struct labels_builder lb;
    labels_builder_init(&lb, rr->a, NULL);
    const struct labels **out = ARENA_NEWN(rr->a, const struct labels *, vec->n + 1);
    size_t before = lt->len;
    for (size_t i = 0; i < vec->n; i++) {
        labels_builder_reset(&lb, vec->s[i].ls);
        labels_builder_set(&lb, LABELS_METRIC_NAME, rule->name);
        for (size_t j = 0; j < rr->r->labels.len; j++)
            labels_builder_set(&lb, rr->r->labels.items[j].name, rr->r->labels.items[j].value);
        out[i] = labels_builder_finish(&lb, lt);
        if (lt->len != before + i + 1) {
            eval_error_set(err, EVAL_ERR_EXECUTION,
                           "vector contains metrics with the same labelset after applying rule labels");
            return -1;
        }
    }
    for (size_t i = 0; i < vec->n; i++)
        emit(rr, out[i], vec->s[i].v, vec->s[i].h);
    return 0;
}

/* The labels a template sees: the raw result sample's. */
static struct tmpl_label *tmpl_labels(struct arena *a, const struct labels *ls)
{
    struct tmpl_label *tl = ARENA_NEWN(a, struct tmpl_label, ls->n + 1);
    for (size_t i = 0; i < ls->n; i++) {
        tl[i].name = ls->l[i].name;
        tl[i].value = ls->l[i].value;
    }
    return tl;
}

/* The template function `query`: heed's engine over the group's storage. */
struct tq_ctx {
    const struct group_env *env;
};

static int template_query(void *ctx, const char *query, int64_t ts_ms, struct arena *a,
                          struct tmpl_sample **out, size_t *n, const char **err)
{
    struct tq_ctx *c = ctx;
    struct diag_list dl;
    diag_list_init(&dl);
    struct ast_node *ast = parse_expr(query, strlen(query), a, NULL, &dl);
    if (!ast) {
        int line = 1, col = 1;
        diag_line_col(query, strlen(query), dl.items[0].span.start, &line, &col);
        *err = arena_printf(a, "%d:%d: parse error: %s", line, col, dl.items[0].msg);
        diag_list_release(&dl);
        return -1;
    }
    diag_list_release(&dl);
    struct engine_query q = {ast, query, strlen(query)};
    struct engine_result res;
    memset(&res, 0, sizeof res);
    if (engine_eval_instant(c->env->st, c->env->eopts, &q, ts_ms, a, &res) != 0) {
        *err = arena_strdup(a, res.err.msg);
        return -1;
    }
    if (res.v.type == VALUE_SCALAR) {
        *out = ARENA_NEWN(a, struct tmpl_sample, 1);
        (*out)[0].value = res.v.u.scalar.v;
        *n = 1;
        return 0;
    }
    if (res.v.type != VALUE_VECTOR) {
        *err = "rule result is not a vector or scalar";
        return -1;
    }
    *out = ARENA_NEWN(a, struct tmpl_sample, res.v.u.vec.n + 1);
    for (size_t i = 0; i < res.v.u.vec.n; i++) {
        (*out)[i].labels = tmpl_labels(a, res.v.u.vec.s[i].ls);
        (*out)[i].nlabels = res.v.u.vec.s[i].ls->n;
        (*out)[i].value = res.v.u.vec.s[i].v;
    }
    *n = res.v.u.vec.n;
    return 0;
}

static const char *expand(struct arena *a, const struct tmpl *t, const struct tmpl_alert_data *d,
                          const struct tmpl_env *tenv)
{
    struct strbuf sb = STRBUF_INIT;
    tmpl_alert_expand(t, d, tenv, &sb);
    const char *s = arena_strndup(a, sb.buf, sb.len);
    strbuf_release(&sb);
    return s;
}

static void emit_alert_series(struct rule_run *rr, struct labels_table *lt)
{
    struct group_rule *r = rr->r;
    struct labels_builder lb;
    labels_builder_init(&lb, rr->a, NULL);
    for (size_t i = 0; i < r->alerts.n; i++) {
        const struct alert *a = &r->alerts.items[i];
        if (!alert_is_active(a))
            continue;
        /* rule labels as written, overlaid by the instance's labels */
        labels_builder_reset(&lb, NULL);
        for (size_t j = 0; j < r->labels.len; j++)
            labels_builder_set(&lb, r->labels.items[j].name, r->labels.items[j].value);
        for (size_t j = 0; j < a->ls->n; j++)
            labels_builder_set(&lb, a->ls->l[j].name, a->ls->l[j].value);
        labels_builder_set(&lb, "alertname", r->rule->name);
        labels_builder_set(&lb, LABELS_METRIC_NAME, "ALERTS");
        labels_builder_set(&lb, "alertstate", alert_state_name(a->state));
        emit(rr, labels_builder_finish(&lb, lt), 1, NULL);
        labels_builder_del(&lb, "alertstate");
        labels_builder_set(&lb, LABELS_METRIC_NAME, "ALERTS_FOR_STATE");
        emit(rr, labels_builder_finish(&lb, lt), (double)(a->active_at_ms / 1000), NULL);
    }
}

static struct group_disagreement *find_disagreement(struct group_rule *r, const char *alert)
{
    for (size_t i = 0; i < r->ndis; i++)
        if (strcmp(r->dis[i].alert, alert) == 0)
            return &r->dis[i];
    return NULL;
}

/* heed's reason for an instance's state (NULL when it has none). */
static char *heed_why(const struct alert *h)
{
    if (!h)
        return xstrdup("heed did not start it: the inputs of this result are not fresh");
    struct strbuf sb = STRBUF_INIT;
    if (alert_is_active(h) && h->stale_class != FRESH_CLASS_FRESH)
        strbuf_addf(&sb, "%s: inputs %s: %s", h->held ? "held" : "stale", fresh_class_name(h->stale_class),
                    h->stale_series ? h->stale_series : "");
    else if (h->resolve_reason)
        strbuf_addf(&sb, "resolved: %s", h->resolve_reason);
    else
        strbuf_addstr(&sb, "inputs fresh");
    char *out = strbuf_detach(&sb);
    strbuf_release(&sb);
    return out;
}

/* Moves an ended disagreement into the rule's log (taking its strings). */
static void log_disagreement(struct group_rule *r, struct group_disagreement *d, int64_t ts_ms)
{
    if (!r->dis_log)
        r->dis_log = xcalloc(GROUP_DISAGREEMENT_LOG, sizeof *r->dis_log);
    size_t slot;
    if (r->ndis_log < GROUP_DISAGREEMENT_LOG) {
        slot = (r->dis_log_head + r->ndis_log++) % GROUP_DISAGREEMENT_LOG;
    } else {
        slot = r->dis_log_head;
        r->dis_log_head = (r->dis_log_head + 1) % GROUP_DISAGREEMENT_LOG;
        free(r->dis_log[slot].alert);
        free(r->dis_log[slot].why);
    }
    r->dis_log[slot] = *d;
    r->dis_log[slot].until_ms = ts_ms;
    d->alert = d->why = NULL;
}

/* Records the instances whose state differs between the two semantics;
 * a disagreement keeps its start while the two states stay the same. */
static void shadow_compare(struct group_rule *r, int64_t ts_ms)
{
    const struct alert_set *hs = r->policy.compat ? &r->shadow : &r->alerts;
    const struct alert_set *ps = r->policy.compat ? &r->alerts : &r->shadow;
    struct group_disagreement *nd = NULL;
    size_t nn = 0, cap = 0;
    for (int side = 0; side < 2; side++) {
        const struct alert_set *x = side ? ps : hs;
        for (size_t i = 0; i < x->n; i++) {
            const struct alert *a = &x->items[i];
            const struct alert *h = side ? alert_set_find(hs, a->ls) : a;
            const struct alert *p = side ? a : alert_set_find(ps, a->ls);
            if (side && h)
                continue; /* seen from heed's side */
            enum alert_state hst = h ? h->state : ALERT_INACTIVE, pst = p ? p->state : ALERT_INACTIVE;
            if (hst == pst)
                continue;
            struct strbuf sb = STRBUF_INIT;
            labels_format(&sb, a->ls);
            char *name = strbuf_detach(&sb);
            strbuf_release(&sb);
            const struct group_disagreement *old = find_disagreement(r, name);
            XGROW(nd, cap, nn + 1);
            struct group_disagreement *d = &nd[nn++];
            d->alert = name;
            d->heed = hst;
            d->prometheus = pst;
            d->why = heed_why(h);
            d->until_ms = 0;
            if (old && old->heed == hst && old->prometheus == pst) {
                d->since_ms = old->since_ms;
            } else {
                d->since_ms = ts_ms;
                r->dis_started++;
            }
        }
    }
    /* the ones that ended (or changed states) go to the log */
    for (size_t i = 0; i < r->ndis; i++) {
        bool same = false;
        for (size_t j = 0; j < nn && !same; j++)
            same = !strcmp(nd[j].alert, r->dis[i].alert) && nd[j].since_ms == r->dis[i].since_ms;
        if (!same)
            log_disagreement(r, &r->dis[i], ts_ms);
        free(r->dis[i].alert);
        free(r->dis[i].why);
    }
    free(r->dis);
    r->dis = nd;
    r->ndis = nn;
    r->capdis = cap;
}

static int eval_alerting(struct rule_run *rr, const struct vector *vec, struct fresh_table *inputs,
                         struct labels_table *lt, int64_t ts_ms, int limit, struct eval_error *err)
{
    struct group_rule *r = rr->r;
    const struct group_env *env = rr->env;
    struct tq_ctx qc = {env};
    struct tmpl_env tenv = {ts_ms, env->external_url, template_query, &qc};
    struct labels_builder lb;
    labels_builder_init(&lb, rr->a, NULL);
    struct alert_input *in = ARENA_NEWN(rr->a, struct alert_input, vec->n + 1);
    for (size_t i = 0; i < vec->n; i++) {
        const struct vsample *s = &vec->s[i];
        struct tmpl_alert_data d = {tmpl_labels(rr->a, s->ls), s->ls->n, env->external_labels,
                                    env->nexternal_labels, env->external_url ? env->external_url : "",
                                    s->v};
        labels_builder_reset(&lb, s->ls);
        labels_builder_del(&lb, LABELS_METRIC_NAME);
        for (size_t j = 0; j < r->labels.len; j++)
            labels_builder_set(&lb, r->labels.items[j].name, expand(rr->a, r->label_tmpl[j], &d, &tenv));
        labels_builder_set(&lb, "alertname", r->rule->name);
        in[i].ls = labels_builder_finish(&lb, lt);
        in[i].value = s->v;
        size_t na = r->rule->annotations.len;
        struct alert_annotation *ann = ARENA_NEWN(rr->a, struct alert_annotation, na + 1);
        for (size_t j = 0; j < na; j++) {
            ann[j].name = (char *)r->rule->annotations.items[j].name;
            ann[j].value = (char *)expand(rr->a, r->ann_tmpl[j], &d, &tenv);
        }
        in[i].ann = ann;
        in[i].nann = na;
        in[i].prov = s->prov;
    }
    struct alert_params p = {r->rule->for_ms, r->rule->keep_firing_for_ms, limit, &r->policy, inputs};
    if (alert_set_update(&r->alerts, in, vec->n, ts_ms, &p, err) != 0)
        return -1;
    if (env->shadow) {
        struct eval_error serr = {EVAL_ERR_NONE, ""};
        struct alert_params sp = p;
        sp.pol = &r->shadow_policy;
        alert_set_update(&r->shadow, in, vec->n, ts_ms, &sp, &serr); /* same input: same errors */
        shadow_compare(r, ts_ms);
    }
    if (env->restored)
        emit_alert_series(rr, lt);
    return 0;
}

/* Untrusted inputs named in a rule's summary; the rest are counted. */
#define STALE_INPUTS_SHOWN 5

static void add_stale_name(struct strbuf *sb, size_t *shown, const char *name, const char *cls)
{
    if ((*shown)++ >= STALE_INPUTS_SHOWN)
        return;
    strbuf_addf(sb, "%s%s (%s)", sb->len ? ", " : "", name, cls);
}

/* The last evaluation's untrusted inputs: late and frozen from the table,
 * gone from the inputs that produced the rule's active instances. */
static void count_inputs(struct group_rule *r, struct fresh_table *t)
{
    struct fresh_summary sum;
    fresh_table_summary(t, &sum); /* indexes t: distinct entries */
    r->inputs_total = (uint32_t)sum.ninputs;
    r->inputs_late = (uint32_t)sum.nlate;
    r->inputs_frozen = (uint32_t)sum.nfrozen;
    r->inputs_gone = 0;
    r->worst_input_age_ms = sum.worst_age_ms;
    r->median_input_age_ms = sum.median_age_ms;
    r->ingestion_lag_ms = sum.ninputs ? sum.newest_age_ms : -1;
    struct strbuf sb = STRBUF_INIT, name = STRBUF_INIT;
    size_t shown = 0;
    for (size_t i = 0; i < t->n && sum.nlate + sum.nfrozen; i++) {
        const struct fresh_input *e = &t->in[i];
        if (e->cls != FRESH_CLASS_FRESH) {
            strbuf_reset(&name);
            alert_format_series(&name, fresh_input_labels(t, e));
            add_stale_name(&sb, &shown, name.buf, fresh_class_name(e->cls));
        }
    }
    const struct alert_set *s = r->policy.compat ? &r->shadow : &r->alerts;
    for (size_t i = 0; i < s->n; i++) {
        const struct alert *a = &s->items[i];
        if (!alert_is_active(a))
            continue;
        for (size_t j = 0; j < a->nsrc; j++) {
            const struct fresh_input *e = fresh_table_find(t, a->src[j]);
            if (e && !e->ended)
                continue;
            r->inputs_gone++;
            add_stale_name(&sb, &shown, a->src_names[j], "gone");
        }
    }
    if (shown > STALE_INPUTS_SHOWN)
        strbuf_addf(&sb, " and %zu more", shown - STALE_INPUTS_SHOWN);
    free(r->stale_inputs);
    r->stale_inputs = shown ? strbuf_detach(&sb) : NULL;
    strbuf_release(&sb);
    strbuf_release(&name);
}

static void set_health(struct group_rule *r, const struct eval_error *err)
{
    free(r->last_error);
    r->last_error = NULL;
    r->last_error_type = err ? err->type : EVAL_ERR_NONE;
    if (err && err->type != EVAL_ERR_NONE) {
        r->health = RULE_HEALTH_ERR;
        r->last_error = xstrdup(err->msg);
    } else {
        r->health = RULE_HEALTH_OK;
    }
}

static int eval_rule(struct group *gr, struct group_rule *r, const struct group_env *env, int64_t ts_ms)
{
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct rule_run rr = {r, env, &a, ts_ms - env->query_offset_ms, gr->append_hist};
    double t0 = now_seconds();
    struct engine_result res;
    struct eval_error err = {EVAL_ERR_NONE, ""};
    int rc = 0;
    struct labels_table lt;
    labels_table_init(&lt, &a, false);
    r->samples = 0;
    series_set_reset(&r->cur);

    if (!r->rule->ast) {
        eval_error_set(&err, EVAL_ERR_BAD_DATA, "rule expression did not parse");
        rc = -1;
    } else if (run_query(&rr, rr.out_ms, &res) != 0) {
        err = res.err;
        rc = -1;
        if (r->rule->type == RULE_ALERTING) {
            /* heed: the instances are held and keep being sent, marked */
            alert_set_hold_all(&r->alerts, ts_ms, &r->policy, err.msg);
            if (env->shadow)
                alert_set_hold_all(&r->shadow, ts_ms, &r->shadow_policy, err.msg);
        }
    } else if (r->rule->type == RULE_RECORDING) {
        if (gr->g->limit > 0 && (int64_t)res.v.u.vec.n > gr->g->limit) {
            eval_error_set(&err, EVAL_ERR_EXECUTION, "exceeded limit of %lld with %zu series",
                           (long long)gr->g->limit, res.v.u.vec.n);
            rc = -1;
        } else {
            rc = eval_recording(&rr, &res.v.u.vec, &lt, &err);
            if (rc == 0)
                count_inputs(r, &res.inputs); /* recording rules report untrusted inputs too */
        }
    } else {
        rc = eval_alerting(&rr, &res.v.u.vec, &res.inputs, &lt, ts_ms, (int)gr->g->limit, &err);
        if (rc == 0)
            count_inputs(r, &res.inputs);
    }
    if (rc == 0) {
        mark_stale(&rr);
        /* this evaluation's series (without the stale ones) become "previous" */
        struct group_series_set tmp = r->prev;
        r->prev = r->cur;
        r->cur = tmp;
        series_set_reset(&r->cur);
    }
    set_health(r, rc == 0 ? NULL : &err);
    r->last_eval_ms = ts_ms;
    r->eval_seconds = now_seconds() - t0;
    arena_release(&a);
    return rc;
}

void group_plan(struct group *gr, const struct group_env *env, struct storage *planner, int64_t ts_ms)
{
    struct group_env penv = *env;
    penv.st = planner;
    struct arena a;
    arena_init(&a, 64 * 1024);
    for (size_t i = 0; i < gr->n; i++) {
        struct group_rule *r = &gr->rules[i];
        if (!r->rule->ast)
            continue;
        /* the options eval_rule will use: same windows (the freshness
         * policy's extra history included), same time (query_offset) */
        struct rule_run rr = {r, &penv, &a, ts_ms - env->query_offset_ms, NULL};
        struct engine_result res;
        struct arena_mark m = arena_mark(&a);
        run_query(&rr, rr.out_ms, &res); /* no data: errors here mean nothing */
        arena_reset(&a, m);
    }
    arena_release(&a);
}

bool group_has_output(const struct group *gr, const struct labels *ls)
{
    for (size_t j = 0; j < gr->n; j++)
        if (table_contains(&gr->rules[j].prev.table, ls))
            return true;
    return false;
}

void group_add_stale(struct group *gr, const struct labels *ls)
{
    labels_import(&gr->stale_pending.table, ls);
}

/* Staleness markers for the series of rules the group no longer has (after
 * its first evaluation, as Prometheus's Group.Eval writes its staleSeries);
 * series a rule of the group wrote in this evaluation are not ended. */
static void flush_stale_pending(struct group *gr, const struct group_env *env, int64_t out_ms)
{
    const struct labels_table *t = &gr->stale_pending.table;
    if (!t->len)
        return;
    for (size_t i = 0; env->append && i < t->cap; i++) {
        const struct labels *ls = t->slot[i];
        if (ls && !group_has_output(gr, ls))
            env->append(env->append_ctx, ls, out_ms, value_stale_nan());
    }
    series_set_reset(&gr->stale_pending);
}

int group_eval(struct group *gr, const struct group_env *env, int64_t ts_ms)
{
    double t0 = now_seconds();
    int failed = 0;
    for (size_t i = 0; i < gr->n; i++)
        if (eval_rule(gr, &gr->rules[i], env, ts_ms) != 0)
            failed++;
    flush_stale_pending(gr, env, ts_ms - env->query_offset_ms);
    gr->last_eval_ms = ts_ms;
    gr->eval_seconds = now_seconds() - t0;
    return failed;
}

void group_send_alerts(struct group *gr, int64_t ts_ms, int64_t interval_ms, int64_t resend_delay_ms,
                       group_notify_fn fn, void *ctx)
{
    for (size_t i = 0; i < gr->n; i++) {
        struct group_rule *r = &gr->rules[i];
        /* Prometheus sends nothing for a failing rule; heed keeps its held
         * instances alive at Alertmanager */
        if (r->rule->type != RULE_ALERTING || (r->health == RULE_HEALTH_ERR && r->policy.compat))
            continue;
        for (size_t j = 0; j < r->alerts.n; j++) {
            struct alert *a = &r->alerts.items[j];
            if (!alert_needs_sending(a, ts_ms, resend_delay_ms))
                continue;
            alert_mark_sent(a, ts_ms, interval_ms, resend_delay_ms);
            fn(ctx, r, a);
        }
    }
}
