/* replay: the tick loop over rule groups and the transition recorder. */
#include "rules/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "grammar/ast.h"
#include "eval/engine.h"
#include "eval/memstore.h"
#include "rules/group.h"
#include "rules/policy.h"
#include "rules/rulefile.h"
#include "rules/schedule.h"
#include "rules/selfmon.h"

const char *replay_semantics_name(enum replay_semantics s)
{
    return s == REPLAY_HEED ? "heed" : "prometheus";
}

const char *replay_freshness_name(enum replay_freshness f)
{
    return f == REPLAY_STALE ? "stale" : "fresh";
}

void replay_init(struct replay *rp)
{
    memset(rp, 0, sizeof *rp);
    arena_init(&rp->arena, 64 * 1024);
    labels_table_init(&rp->table, &rp->arena, true);
}

void replay_release(struct replay *rp)
{
    for (size_t i = 0; i < rp->n; i++)
        free(rp->inst[i].tr);
    free(rp->inst);
    free(rp->index);
    for (size_t i = 0; i < rp->nrules; i++)
        free(rp->rules[i].inst);
    free(rp->rules);
    arena_release(&rp->arena);
    memset(rp, 0, sizeof *rp);
}

/* ---- instances, found by (rule, semantics, identity) ---- */

static uint64_t inst_hash(size_t rule, enum replay_semantics sem, const struct labels *ls)
{
    uint64_t h = ls->hash ^ ((uint64_t)rule * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)sem << 61);
    h ^= h >> 29;
    return h * 0xbf58476d1ce4e5b9ull;
}

static void index_put(struct replay *rp, size_t i)
{
    const struct replay_instance *in = &rp->inst[i];
    size_t mask = rp->index_cap - 1;
    size_t k = inst_hash(in->rule, in->sem, in->ls) & mask;
    while (rp->index[k])
        k = (k + 1) & mask;
    rp->index[k] = i + 1;
}

static void index_grow(struct replay *rp)
{
    free(rp->index);
    rp->index_cap = rp->index_cap ? rp->index_cap * 2 : 64;
    rp->index = xcalloc(rp->index_cap, sizeof *rp->index);
    for (size_t i = 0; i < rp->n; i++)
        index_put(rp, i);
}

/* ls is interned in rp->table, so identities compare by pointer. */
static struct replay_instance *inst_find(const struct replay *rp, size_t rule, enum replay_semantics sem,
                                         const struct labels *ls)
{
    if (!rp->index_cap)
        return NULL;
    size_t mask = rp->index_cap - 1;
    for (size_t k = inst_hash(rule, sem, ls) & mask; rp->index[k]; k = (k + 1) & mask) {
        struct replay_instance *in = &rp->inst[rp->index[k] - 1];
        if (in->ls == ls && in->rule == rule && in->sem == sem)
            return in;
    }
    return NULL;
}

static struct replay_instance *inst_get(struct replay *rp, size_t rule, enum replay_semantics sem,
                                        const struct labels *ls)
{
    struct replay_instance *in = inst_find(rp, rule, sem, ls);
    if (in)
        return in;
    XGROW(rp->inst, rp->cap, rp->n + 1);
    in = &rp->inst[rp->n++];
    memset(in, 0, sizeof *in);
    in->ls = ls;
    in->sem = sem;
    in->rule = rule;
    in->alertname = labels_get(ls, "alertname");
    if (!in->alertname)
        in->alertname = rp->rules[rule].name;
    struct replay_rule *rr = &rp->rules[rule];
    XGROW(rr->inst, rr->capinst, rr->ninst + 1);
    rr->inst[rr->ninst++] = rp->n - 1;
    if ((rp->n + 1) * 2 > rp->index_cap)
        index_grow(rp);
    else
        index_put(rp, rp->n - 1);
    return in;
}

const struct replay_instance *replay_counterpart(const struct replay *rp, const struct replay_instance *in)
{
    return inst_find(rp, in->rule, in->sem == REPLAY_HEED ? REPLAY_PROMETHEUS : REPLAY_HEED, in->ls);
}

void replay_instance_at(const struct replay_instance *in, int64_t t_ms, enum alert_state *state,
                        enum replay_freshness *fresh)
{
    *state = ALERT_INACTIVE;
    *fresh = REPLAY_FRESH;
    /* binary search for the last transition at or before t */
    size_t lo = 0, hi = in->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (in->tr[mid].t_ms <= t_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo) {
        *state = in->tr[lo - 1].state;
        *fresh = in->tr[lo - 1].freshness;
    }
}

static void current(const struct replay_instance *in, enum alert_state *state, enum replay_freshness *fresh)
{
    *state = in->n ? in->tr[in->n - 1].state : ALERT_INACTIVE;
    *fresh = in->n ? in->tr[in->n - 1].freshness : REPLAY_FRESH;
}

static void push(struct replay_instance *in, int64_t t_ms, enum alert_state st, enum replay_freshness f,
                 const char *reason)
{
    XGROW(in->tr, in->cap, in->n + 1);
    in->tr[in->n++] = (struct replay_transition){t_ms, st, f, reason};
}

/* ---- the two semantics ----
 * Shadow mode evaluates both over the same query results: a rule's own
 * alert set follows its policy, the shadow set the other semantics. */

static void rule_sets(const struct group_rule *r, const struct alert_set *sets[REPLAY_NSEM])
{
    sets[REPLAY_HEED] = r->policy.compat ? &r->shadow : &r->alerts;
    sets[REPLAY_PROMETHEUS] = r->policy.compat ? &r->alerts : &r->shadow;
}

/* heed's instances carry their inputs' freshness; Prometheus's do not, so
 * theirs is read from heed's instance of the same identity (same inputs). */
static enum replay_freshness alert_freshness(const struct alert *a, const struct alert_set *heed)
{
    if (!a || a->state == ALERT_INACTIVE)
        return REPLAY_FRESH;
    if (heed && !a->stale_class) {
        const struct alert *h = alert_set_find(heed, a->ls);
        if (!h)
            return REPLAY_STALE; /* active here, withheld or given up by heed: untrusted inputs */
        a = h;
    }
    return a && a->state != ALERT_INACTIVE && a->stale_class != FRESH_CLASS_FRESH ? REPLAY_STALE : REPLAY_FRESH;
}

static void add_duration(struct strbuf *sb, int64_t ms)
{
    int64_t s = ms / 1000;
    if (s >= 3600) {
        strbuf_addf(sb, "%lldh", (long long)(s / 3600));
        s %= 3600;
        if (s >= 60 || s % 60)
            strbuf_addf(sb, "%lldm", (long long)(s / 60));
        s %= 60;
        if (s)
            strbuf_addf(sb, "%llds", (long long)s);
    } else if (s >= 60) {
        strbuf_addf(sb, "%lldm", (long long)(s / 60));
        if (s % 60)
            strbuf_addf(sb, "%llds", (long long)(s % 60));
    } else {
        strbuf_addf(sb, "%llds", (long long)s);
    }
}

/* Why the instance moved from (ost, of) to a's state (a NULL: dropped from
 * its set): the lifecycle as Prometheus runs it, and heed's own reasons
 * (stale inputs, holds, explained resolves) where the instance carries them. */
static const char *transition_reason(struct replay *rp, const struct rule *rule, const struct alert *a,
                                     enum alert_state ost, enum replay_freshness of, enum replay_freshness nf)
{
    struct strbuf sb = STRBUF_INIT;
    enum alert_state st = a ? a->state : ALERT_INACTIVE;
    bool stale_here = a && a->stale_class != FRESH_CLASS_FRESH && st != ALERT_INACTIVE;
    if (!rule->name) {
        /* heed's own alerts: computed from heed's state, no expression */
        strbuf_addstr(&sb, st == ALERT_INACTIVE ? "condition cleared" : "condition holds");
        if (a && a->nann && st != ALERT_INACTIVE)
            for (size_t i = 0; i < a->nann; i++)
                if (!strcmp(a->ann[i].name, "summary") || !strcmp(a->ann[i].name, "description")) {
                    strbuf_addf(&sb, ": %s", a->ann[i].value);
                    break;
                }
    } else if (st != ost) {
        if (st == ALERT_PENDING) {
            strbuf_addstr(&sb, "returned");
        } else if (st == ALERT_FIRING && ost == ALERT_PENDING) {
            strbuf_addstr(&sb, "pending for ");
            add_duration(&sb, rule->for_ms);
        } else if (st == ALERT_FIRING) {
            strbuf_addstr(&sb, rule->for_ms ? "returned" : "returned (no for)");
        } else if (a && a->resolve_reason) {
            strbuf_addf(&sb, "resolved: %s", a->resolve_reason);
        } else if (ost == ALERT_PENDING) {
            strbuf_addstr(&sb, "not returned before for elapsed");
        } else if (rule->keep_firing_for_ms) {
            strbuf_addstr(&sb, "not returned for keep_firing_for ");
            add_duration(&sb, rule->keep_firing_for_ms);
        } else {
            strbuf_addstr(&sb, "not returned");
        }
    }
    if (rule->name && (nf != of || (st != ost && stale_here))) {
        if (sb.len && (stale_here || nf == REPLAY_STALE || st == ost))
            strbuf_addstr(&sb, "; ");
        if (stale_here)
            strbuf_addf(&sb, "%sinputs %s: %s", a->held ? "held, not returned; " : "",
                        fresh_class_name(a->stale_class), a->stale_series ? a->stale_series : "");
        else if (nf == REPLAY_STALE)
            strbuf_addstr(&sb, "inputs untrusted (as heed judges them)");
        else if (st == ost)
            strbuf_addstr(&sb, "inputs fresh again");
    }
    char *out = arena_strdup(&rp->arena, sb.buf ? sb.buf : "");
    strbuf_release(&sb);
    return out;
}

/* Records one alert set's instances after an evaluation at t. */
static void record_set(struct replay *rp, size_t ri, const struct rule *rule, const struct alert_set *s,
                       enum replay_semantics sem, const struct alert_set *heed, int64_t t_ms)
{
    rp->sem_evaluated[sem] = true;
    for (size_t i = 0; i < s->n; i++) {
        const struct alert *a = &s->items[i];
        const struct labels *ls = labels_import(&rp->table, a->ls);
        struct replay_instance *in = inst_get(rp, ri, sem, ls);
        in->last_seen_ms = t_ms;
        enum alert_state ost;
        enum replay_freshness of, nf = alert_freshness(a, heed);
        current(in, &ost, &of);
        if (ost == a->state && of == nf)
            continue;
        push(in, t_ms, a->state, nf, transition_reason(rp, rule, a, ost, of, nf));
    }
}

/* heed's side of the identities Prometheus has active and heed does not:
 * heed withheld them because their inputs were not trusted. */
static void record_withheld(struct replay *rp, size_t ri, const struct group_rule *r,
                            const struct alert_set *heed, const struct alert_set *prom, int64_t t_ms)
{
    for (size_t i = 0; i < prom->n; i++) {
        const struct alert *p = &prom->items[i];
        if (p->state == ALERT_INACTIVE)
            continue;
        const struct alert *h = alert_set_find(heed, p->ls);
        if (h)
            continue;
        const struct labels *ls = labels_import(&rp->table, p->ls);
        struct replay_instance *in = inst_get(rp, ri, REPLAY_HEED, ls);
        in->last_seen_ms = t_ms;
        enum alert_state ost;
        enum replay_freshness of;
        current(in, &ost, &of);
        if (ost == ALERT_INACTIVE && of == REPLAY_STALE)
            continue;
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, "not started: heed starts no instance on untrusted inputs");
        if (r->stale_inputs)
            strbuf_addf(&sb, " (%s)", r->stale_inputs);
        push(in, t_ms, ALERT_INACTIVE, REPLAY_STALE, arena_strdup(&rp->arena, sb.buf));
        strbuf_release(&sb);
    }
}

/* Instances of rule ri under semantics sem that were not seen at t: their
 * set dropped them (a pending one not returned goes at once, a resolved
 * one after its retention), so they are inactive. */
static void record_dropped(struct replay *rp, size_t ri, const struct rule *rule, enum replay_semantics sem,
                           int64_t t_ms)
{
    const struct replay_rule *rr = &rp->rules[ri];
    for (size_t k = 0; k < rr->ninst; k++) {
        struct replay_instance *in = &rp->inst[rr->inst[k]];
        if (in->sem != sem || in->last_seen_ms == t_ms)
            continue;
        enum alert_state ost;
        enum replay_freshness of;
        current(in, &ost, &of);
        if (ost == ALERT_INACTIVE && of == REPLAY_FRESH)
            continue;
        /* an identity heed withheld: the other side's instance ended */
        push(in, t_ms, ALERT_INACTIVE, REPLAY_FRESH,
             ost == ALERT_INACTIVE ? "no longer returned (heed never started it)"
                                   : transition_reason(rp, rule, NULL, ost, of, REPLAY_FRESH));
    }
}

/* Records the rule's instances after its group evaluated at t. */
static void record_rule(struct replay *rp, size_t ri, const struct group_rule *r, int64_t t_ms)
{
    const struct alert_set *sets[REPLAY_NSEM];
    rule_sets(r, sets);
    record_set(rp, ri, r->rule, sets[REPLAY_HEED], REPLAY_HEED, NULL, t_ms);
    record_set(rp, ri, r->rule, sets[REPLAY_PROMETHEUS], REPLAY_PROMETHEUS, sets[REPLAY_HEED], t_ms);
    record_withheld(rp, ri, r, sets[REPLAY_HEED], sets[REPLAY_PROMETHEUS], t_ms);
    for (int sem = 0; sem < REPLAY_NSEM; sem++)
        record_dropped(rp, ri, r->rule, (enum replay_semantics)sem, t_ms);
}

/* The store as the groups see it: the recorded data (a series file's
 * memstore or a datasource), clamped to what was ingested by the tick,
 * joined with the groups' own output series (recording rules, ALERTS),
 * and failing like an unreachable backend during a replayed outage. */
struct replay_store {
    struct storage iface;    /* what the groups query */
    struct storage *data;    /* the recorded data */
    struct memstore out;     /* the groups' outputs */
    int64_t visible_until;   /* data newer than this is not ingested yet */
    bool down;               /* the current tick lies in the outage */
};

static int store_select(struct storage *s, const struct ast_matcher *m, size_t n, int64_t mint_ms,
                        int64_t maxt_ms, struct arena *a, struct storage_series **out, size_t *nout,
                        struct eval_error *err)
{
    struct replay_store *rs = s->impl;
    if (rs->down) {
        eval_error_set(err, EVAL_ERR_UNAVAILABLE, "backend unavailable (replayed outage)");
        return -1;
    }
    struct storage_series *d = NULL, *o = NULL;
    size_t nd = 0, no = 0;
    int64_t dmax = maxt_ms < rs->visible_until ? maxt_ms : rs->visible_until;
    if (dmax >= mint_ms && rs->data->select(rs->data, m, n, mint_ms, dmax, a, &d, &nd, err) != 0)
        return -1;
    if (rs->out.iface.select(&rs->out.iface, m, n, mint_ms, maxt_ms, a, &o, &no, err) != 0)
        return -1;
    if (!no || !nd) {
        *out = no ? o : d;
        *nout = no ? no : nd;
        return 0;
    }
    struct storage_series *all = arena_alloc(a, (nd + no) * sizeof *all);
    memcpy(all, d, nd * sizeof *all);
    memcpy(all + nd, o, no * sizeof *all);
    *out = all;
    *nout = nd + no;
    return 0;
}

static void append_to_store(void *ctx, const struct labels *ls, int64_t t_ms, double v)
{
    struct memstore *ms = ctx;
    memstore_append(memstore_series_get(ms, ls->l, ls->n), t_ms, v);
}

/* How far before its evaluation time an expression can read: the sum of
 * every range and positive offset in it (a bound over nested subqueries);
 * pinned when an @ modifier fixes a selector to any time at all. */
struct reach {
    int64_t ms;
    bool pinned;
};

static void add_time_mod(struct reach *r, const struct ast_time_mod *tm)
{
    if (tm->at != AST_AT_NONE)
        r->pinned = true;
    if (tm->offset_ms > 0)
        r->ms += tm->offset_ms;
}

static int reach_node(const struct ast_node *n, void *ctx)
{
    struct reach *r = ctx;
    if (n->kind == AST_VECTOR_SELECTOR) {
        add_time_mod(r, &n->u.vs.tm);
    } else if (n->kind == AST_MATRIX_SELECTOR) {
        r->ms += n->u.ms.range_ms;
    } else if (n->kind == AST_SUBQUERY) {
        r->ms += n->u.sq.range_ms;
        add_time_mod(r, &n->u.sq.tm);
    }
    return 0;
}

/* How long the groups' own outputs (recording rules, ALERTS) must be kept
 * behind a tick for any rule to read them: its expression's reach, the
 * lookback, the widest max_unchanged of either policy (freshness fetches
 * that much further), the query offset and an interval; -1: all of it. */
static int64_t outputs_keep_ms(const struct group *groups, size_t n, int64_t lookback_ms)
{
    int64_t keep = 0;
    for (size_t g = 0; g < n; g++) {
        const struct rule_group *rg = groups[g].g;
        for (size_t i = 0; i < groups[g].n; i++) {
            const struct group_rule *r = &groups[g].rules[i];
            struct reach re = {0};
            if (!r->rule->ast)
                return -1;
            ast_walk(r->rule->ast, reach_node, &re);
            if (re.pinned)
                return -1;
            int64_t u = policy_widest_unchanged(&r->policy);
            int64_t su = policy_widest_unchanged(&r->shadow_policy);
            int64_t need = re.ms + lookback_ms + (u > su ? u : su) + rg->interval_ms +
                           (rg->has_query_offset && rg->query_offset_ms > 0 ? rg->query_offset_ms : 0);
            if (need > keep)
                keep = need;
        }
    }
    return keep;
}

/* A group's timer as the daemon's scheduler runs it (rules/schedule):
 * Prometheus's per-group phase hashed from the file and group name, slots
 * phase + k*interval. Started as a daemon started just before from would
 * be, its first slot is the first one at or after from. */
static void timer_start(struct schedule *s, enum schedule_hash_kind kind, const char *file, const char *name,
                        int64_t interval_ms, int64_t from_ms)
{
    schedule_init(s, kind, file, name, interval_ms * SCHEDULE_NS_PER_MS, from_ms * SCHEDULE_NS_PER_MS - 1);
}

int replay_run(struct replay *rp, const struct rulefile_set *rules, struct storage *data,
               const struct replay_opts *o, char *msg, size_t msglen)
{
    int64_t def_interval = o->interval_ms > 0 ? o->interval_ms : 60 * 1000;
    if (o->to_ms < o->from_ms) {
        snprintf(msg, msglen, "the range ends before it starts");
        return -1;
    }
    rp->from_ms = o->from_ms;
    rp->to_ms = o->to_ms;
    size_t ngroups = 0;
    for (size_t f = 0; f < rules->len; f++)
        ngroups += rules->files[f]->ngroups;
    struct group *groups = xcalloc(ngroups + 1, sizeof *groups);
    struct schedule *timer = xcalloc(ngroups + 1, sizeof *timer);
    size_t *first_rule = xcalloc(ngroups + 1, sizeof *first_rule);
    size_t ready = 0;
    int64_t monitor_iv = def_interval; /* as the daemon's: its most frequent group's interval */
    int rc = 0;
    struct policy_config pc;
    policy_config_init(&pc, o->profile);
    struct diag_list dl;
    diag_list_init(&dl);
    struct replay_store rs = {.iface = {store_select, NULL}, .data = data, .visible_until = INT64_MAX};
    rs.iface.impl = &rs;
    memstore_init(&rs.out);
    struct selfmon sm;
    struct selfmon_opts smo = {0};
    selfmon_init(&sm, &smo);
    for (size_t f = 0; f < rules->len; f++) {
        for (size_t g = 0; g < rules->files[f]->ngroups; g++) {
            const struct rule_group *rg = &rules->files[f]->groups[g];
            if (group_init(&groups[ready], rg, msg, msglen) != 0) {
                ready++; /* released below, as after a success */
                rc = -1;
                goto out;
            }
            if (group_resolve_policies(&groups[ready], &pc, rules->files[f], &dl) != 0) {
                snprintf(msg, msglen, "%s: %s", rg->file, dl.len ? dl.items[0].msg : "bad heed: directive");
                ready++;
                rc = -1;
                goto out;
            }
            int64_t iv = rg->interval_ms > 0 ? rg->interval_ms : def_interval;
            timer_start(&timer[ready], o->group_phase, rg->file, rg->name, iv, o->from_ms);
            if (iv < monitor_iv)
                monitor_iv = iv;
            first_rule[ready] = rp->nrules;
            for (size_t i = 0; i < rg->nrules; i++) {
                rp->rules = xrealloc(rp->rules, (rp->nrules + 1) * sizeof *rp->rules);
                struct replay_rule *rr = &rp->rules[rp->nrules++];
                memset(rr, 0, sizeof *rr);
                rr->group = rg->name;
                rr->alerting = rg->rules[i].type == RULE_ALERTING;
                rr->name = rr->alerting ? rg->rules[i].alert : rg->rules[i].record;
            }
            ready++;
        }
    }

    /* outputs older than this are dropped as the replay goes (a week of
     * recording rule output would otherwise stay in memory), once per keep */
    const int64_t lookback_ms = 5 * 60 * 1000;
    int64_t keep_ms = outputs_keep_ms(groups, ready, lookback_ms);
    if (keep_ms >= 0)
        keep_ms += def_interval;
    int64_t pruned_at = o->from_ms;
    struct engine_opts eo = {.lookback_ms = lookback_ms, .subquery_step_ms = def_interval,
                             .max_samples = 50000000};
    struct group_env env = {.st = &rs.iface, .eopts = &eo, .append = append_to_store, .append_ctx = &rs.out,
                           .external_url = "", .restored = true, .shadow = true};
    /* heed's own alerts: one more "rule", heed's semantics only */
    size_t self_rule = rp->nrules;
    rp->rules = xrealloc(rp->rules, (rp->nrules + 1) * sizeof *rp->rules);
    rp->rules[rp->nrules++] = (struct replay_rule){.group = "heed", .name = "self-monitoring", .alerting = true,
                                                  .builtin = true};
    struct group **gptr = xcalloc(ready + 1, sizeof *gptr);
    for (size_t g = 0; g < ready; g++)
        gptr[g] = &groups[g];
    /* heed's self-monitoring has a timer of its own, as in the daemon */
    struct schedule monitor;
    timer_start(&monitor, SCHEDULE_HASH_STRINGLABELS, "heed", "self-monitoring", monitor_iv, o->from_ms);
    int64_t end_ns = (o->to_ms + 1) * SCHEDULE_NS_PER_MS; /* slots in ms are <= to */
    for (;;) {
        int64_t t_ns = monitor.next_ns;
        for (size_t g = 0; g < ready; g++)
            if (timer[g].next_ns < t_ns)
                t_ns = timer[g].next_ns;
        if (t_ns >= end_ns)
            break;
        /* the group's timestamp in ms, truncated as the daemon does */
        int64_t t = t_ns / SCHEDULE_NS_PER_MS;
        if (keep_ms >= 0 && t - pruned_at > keep_ms) {
            for (size_t k = 0; k < rs.out.n; k++)
                memstore_series_drop_before(rs.out.s[k], t - keep_ms);
            pruned_at = t;
        }
        for (size_t g = 0; g < ready; g++) {
            if (timer[g].next_ns != t_ns)
                continue;
            schedule_tick(&timer[g], t_ns);
            const struct rule_group *rg = groups[g].g;
            env.query_offset_ms = rg->has_query_offset ? rg->query_offset_ms : 0;
            rs.visible_until = t - o->ingest_delay_ms;
            rs.down = o->outage_to_ms > o->outage_from_ms && t >= o->outage_from_ms && t < o->outage_to_ms;
            group_eval(&groups[g], &env, t);
            if (o->end_eval)
                o->end_eval(o->end_eval_ctx);
            rp->evaluations++;
            for (size_t i = 0; i < groups[g].n; i++) {
                const struct group_rule *r = &groups[g].rules[i];
                struct replay_rule *rr = &rp->rules[first_rule[g] + i];
                if (r->health == RULE_HEALTH_ERR) {
                    rr->errors++;
                    const char *e = r->last_error ? r->last_error : "";
                    if (!rr->last_error || strcmp(rr->last_error, e))
                        rr->last_error = arena_strdup(&rp->arena, e);
                }
                if (rr->alerting)
                    record_rule(rp, first_rule[g] + i, r, t);
            }
        }
        if (monitor.next_ns != t_ns)
            continue;
        schedule_tick(&monitor, t_ns);
        struct selfmon_snapshot snap = {.groups = gptr, .ngroups = ready};
        selfmon_eval(&sm, &snap, t);
        static const struct rule self = {0};
        record_set(rp, self_rule, &self, &sm.set, REPLAY_HEED, NULL, t);
        record_dropped(rp, self_rule, &self, REPLAY_HEED, t);
    }
    free(gptr);
out:
    memstore_release(&rs.out);
    selfmon_release(&sm);
    policy_config_release(&pc);
    diag_list_release(&dl);
    for (size_t g = 0; g < ready; g++)
        group_release(&groups[g]);
    free(groups);
    free(timer);
    free(first_rule);
    return rc;
}
