/* daemon: `heed run` (see daemon.h).
 *
 * A "run set" is everything one configuration produces: the configuration,
 * the groups (each with its schedule, datasource client, output overlay and
 * state file), the Alertmanager notifier and the remote-write queue. Reload
 * builds a complete new set beside the running one, reusing what is equal;
 * only when everything built does it stop the evaluation workers, move state
 * across, and start them again. */
#include "rules/daemon.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/metrics.h"
#include "api/query.h"
#include "api/server.h"
#include "api/snapmetrics.h"
#include "base/diag.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "compat/alertmanager.h"
#include "compat/relabel.h"
#include "compat/datasource.h"
#include "compat/dsproxy.h"
#include "compat/remote_write.h"
#include "eval/memstore.h"
#include "rules/config.h"
#include "rules/group.h"
#include "rules/policy.h"
#include "rules/rulefile.h"
#include "rules/schedule.h"
#include "rules/selfmon.h"
#include "rules/state.h"
#include "rules/template.h"

/* A state file is rewritten at least this often even when nothing changed,
 * so its saved_at tells a restart how long heed was down. */
#define STATE_REFRESH_MS (60 * 1000)

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t now_ms(void)
{
    return now_ns() / SCHEDULE_NS_PER_MS;
}

/* ---- rule files shared by the groups loaded from them ---- */

struct rules_gen {
    struct rulefile_set set; /* the files */
    int refs;                /* groups borrowing from set (changed only by the control thread) */
};

static void gen_unref(struct rules_gen *g)
{
    if (g && --g->refs == 0) {
        rulefile_set_release(&g->set);
        free(g);
    }
}

/* ---- the overlay: the datasource plus this group's recent output ----
 * Prometheus's later rules see earlier rules' results of the same iteration
 * because they are in its TSDB; heed keeps its own output of the last
 * lookback window in memory and merges it into what the datasource returns. */

struct overlay {
    struct storage iface;  /* what the engine reads */
    struct storage *base;  /* the datasource */
    struct memstore mem;   /* recent output samples */
};

static int sample_cmp(const void *a, const void *b)
{
    int64_t x = ((const struct sample *)a)->t_ms, y = ((const struct sample *)b)->t_ms;
    return x < y ? -1 : x > y;
}

static int overlay_select(struct storage *st, const struct ast_matcher *m, size_t n, int64_t mint, int64_t maxt,
                          struct arena *ea, struct storage_series **out, size_t *nout, struct eval_error *err)
{
    struct overlay *ov = st->impl;
    struct storage_series *bs = NULL, *ms = NULL;
    size_t bn = 0, mn = 0;
    if (ov->base->select(ov->base, m, n, mint, maxt, ea, &bs, &bn, err) != 0)
        return -1;
    if (ov->mem.n == 0 || ov->mem.iface.select(&ov->mem.iface, m, n, mint, maxt, ea, &ms, &mn, err) != 0 ||
        mn == 0) {
        *out = bs;
        *nout = bn;
        return 0;
    }
    struct storage_series *res = ARENA_NEWN(ea, struct storage_series, bn + mn);
    memcpy(res, bs, bn * sizeof *bs);
    size_t k = bn;
    for (size_t i = 0; i < mn; i++) {
        if (ms[i].n == 0)
            continue;
        size_t j = 0;
        while (j < bn && !labels_equal(res[j].ls, ms[i].ls))
            j++;
        /* copy: the memstore may grow (and move its arrays) later in the tick */
        size_t total = (j < bn ? res[j].n : 0) + ms[i].n;
        struct sample *pts = ARENA_NEWN(ea, struct sample, total);
        size_t np = 0;
        memcpy(pts, ms[i].pts, ms[i].n * sizeof *pts);
        np = ms[i].n;
        if (j < bn) {
            /* union by timestamp; our own sample wins a tie (it is what we wrote) */
            for (size_t q = 0; q < res[j].n; q++) {
                bool dup = false;
                for (size_t r = 0; r < ms[i].n && !dup; r++)
                    dup = ms[i].pts[r].t_ms == res[j].pts[q].t_ms;
                if (!dup)
                    pts[np++] = res[j].pts[q];
            }
            qsort(pts, np, sizeof *pts, sample_cmp);
            res[j].pts = pts;
            res[j].n = np;
        } else {
            res[k].ls = ms[i].ls;
            res[k].pts = pts;
            res[k].n = np;
            k++;
        }
    }
    *out = res;
    *nout = k;
    return 0;
}

static void overlay_prune(struct overlay *ov, int64_t cutoff_ms)
{
    for (size_t i = 0; i < ov->mem.n; i++) {
        struct memstore_series *s = ov->mem.s[i];
        memstore_series_drop_before(s, cutoff_ms);
    }
    /* series with nothing left are dropped once they are the majority */
    size_t empty = 0;
    for (size_t i = 0; i < ov->mem.n; i++)
        empty += ov->mem.s[i]->n == 0;
    if (empty > 64 && empty * 2 > ov->mem.n) {
        struct memstore fresh;
        memstore_init(&fresh);
        for (size_t i = 0; i < ov->mem.n; i++) {
            struct memstore_series *s = ov->mem.s[i];
            if (!s->n)
                continue;
            struct memstore_series *t = memstore_series_get(&fresh, s->ls->l, s->ls->n);
            size_t hk = 0; /* the series' histogram samples, ascending by position */
            for (size_t j = 0; j < s->n; j++) {
                if (hk < s->nh && s->h[hk].i == j)
                    memstore_append_histogram(&fresh, t, s->t[j], s->h[hk++].h);
                else
                    memstore_append(t, s->t[j], s->v[j]);
            }
        }
        memstore_release(&ov->mem);
        ov->mem = fresh;
        ov->mem.iface.impl = &ov->mem;
        ov->mem.table.arena = &ov->mem.arena;
    }
}

/* ---- groups ---- */

struct daemon;

struct dgroup {
    struct daemon *d;            /* owner */
    struct rules_gen *gen;       /* holds g's rule file */
    const struct rule_group *g;  /* the group's definition (in gen) */
    int64_t interval_ms;         /* effective interval */
    struct group gr;             /* rules, alert state (must not move: heap only) */
    char **rule_labels;          /* per rule: its own labels as {a="b"} (state identity) */
    unsigned *rule_ordinal;      /* per rule: position among rules with equal name and labels */
    struct schedule sched;       /* timing */
    struct datasource *ds;       /* this group's datasource client */
    struct overlay ov;           /* what queries read */
    char *state_path;            /* NULL: no state_dir */
    struct strbuf state_body;    /* what the state file holds now */
    int64_t state_written_ms;    /* when it was written */
    bool busy;                   /* a worker is evaluating it (under daemon.mu) */
    pthread_mutex_t eval_mu;     /* held by the worker while it evaluates and sends, and by
                                  * readers of gr (self-monitoring, the API) */
    /* for self-monitoring; written by the evaluating worker under daemon.stat_mu */
    uint64_t ds_failures_seen;   /* datasource failures counted so far */
    bool ds_failing;             /* the last tick had failed backend queries */
    struct selfmon_timing timing; /* the last tick's schedule (missed: summed until the monitor reads it) */
    /* for the API, under eval_mu */
    int64_t lag_ms;              /* how late the last iteration started after its slot */
    uint64_t rule_evals;         /* rule evaluations since the group was created */
    uint64_t rule_failures;      /* of which failed */
    uint64_t iterations, missed; /* the schedule's counters as of the last iteration */
    double restore_seconds;      /* how long restoring its alerts from the state file took */
};

struct runset {
    struct config *cfg;              /* the configuration */
    struct dgroup **groups;          /* in rule-file order */
    size_t n;
    struct alertmanager *am;         /* NULL: no Alertmanager configured */
    char *am_fp;                     /* fingerprint of the configuration am was built from */
    struct remote_write_queue *rw;   /* NULL: no remote write */
    char *rw_fp;
    char *external_url;              /* configured, or http://<hostname>:<port> */
    struct tmpl_label *ext;          /* external labels, for templates */
    size_t next;
    struct policy_config pol;        /* freshness policies from the configuration */
    bool has_pol;                    /* pol initialised */
};

struct removed_series {
    const struct labels *ls; /* in daemon.removed_table */
    int64_t t_ms;            /* when its group was removed: the marker's time */
    int64_t due_ms;          /* when to write the marker */
};

struct daemon {
    struct daemon_opts opts;
    struct runset cur;      /* what is running */
    pthread_mutex_t mu;     /* guards stopping, the groups' schedules and busy flags */
    pthread_cond_t cv;      /* wakes workers (a group became free, or stop) */
    bool stopping;          /* workers must return */
    pthread_t *workers;     /* the evaluation pool (config evaluation_workers) */
    size_t nworkers;        /* of them started */
    /* Output series of groups removed by a reload, ended (StaleNaN at the
     * removal time) two of their intervals later unless a running group
     * wrote them meanwhile: Prometheus waits so that a renamed group takes
     * its series over without a gap. Dropped at stop, as Prometheus does.
     * Written by plan_commit, read by the monitor thread (never both). */
    struct removed_series *removed;
    size_t nremoved, capremoved;
    struct arena removed_arena;       /* their label sets */
    struct labels_table removed_table;
    pthread_mutex_t stat_mu; /* guards the groups' self-monitoring fields */
    struct selfmon sm;             /* self-monitoring alerts (monitor thread; options set while it is stopped) */
    pthread_mutex_t sm_mu;         /* guards sm.set against API readers */
    pthread_mutex_t ctl_mu;        /* serialises reload/stop with API readers of cur */
    struct api_server *api;        /* the HTTP API; NULL: not serving */
    struct metrics_registry *metrics; /* what /metrics shows beyond the snapshot (duration summaries) */
    bool api_started;              /* daemon_start ran: reloads reconfigure (or retry) the API */
    struct schedule self_sched;    /* the monitor's timer */
    pthread_t monitor;             /* self-monitoring thread */
    bool monitor_running;
};

static void rule_identity_init(struct dgroup *dg)
{
    size_t n = dg->g->nrules;
    dg->rule_labels = xcalloc(n ? n : 1, sizeof *dg->rule_labels);
    dg->rule_ordinal = xcalloc(n ? n : 1, sizeof *dg->rule_ordinal);
    for (size_t i = 0; i < n; i++) {
        const struct rule *r = &dg->g->rules[i];
        struct strbuf sb = STRBUF_INIT;
        strbuf_addch(&sb, '{');
        for (size_t j = 0; j < r->labels.len; j++) {
            if (j)
                strbuf_addstr(&sb, ", ");
            strbuf_addf(&sb, "%s=", r->labels.items[j].name);
            rulefile_go_quote(&sb, r->labels.items[j].value, strlen(r->labels.items[j].value));
        }
        strbuf_addch(&sb, '}');
        dg->rule_labels[i] = strbuf_detach(&sb);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(dg->g->rules[j].name, r->name) && !strcmp(dg->rule_labels[j], dg->rule_labels[i]))
                dg->rule_ordinal[i]++;
    }
}

static void dgroup_free(struct dgroup *dg)
{
    if (!dg)
        return;
    group_release(&dg->gr);
    pthread_mutex_destroy(&dg->eval_mu);
    for (size_t i = 0; i < dg->g->nrules; i++)
        free(dg->rule_labels[i]);
    free(dg->rule_labels);
    free(dg->rule_ordinal);
    if (dg->ds)
        datasource_free(dg->ds);
    memstore_release(&dg->ov.mem);
    free(dg->state_path);
    strbuf_release(&dg->state_body);
    gen_unref(dg->gen);
    free(dg);
}

static struct datasource *make_datasource(const struct config *cfg, struct diag_list *diags)
{
    const struct config_http *h = &cfg->datasource;
    struct datasource_config dc = {
        .url = h->url,
        .timeout_ms = h->timeout_ms,
        .basic_user = h->basic_auth_username,
        .basic_password_file = h->basic_auth_password_file,
        .bearer_token_file = h->bearer_token_file,
        .ca_file = h->tls.ca_file,
        .cert_file = h->tls.cert_file,
        .key_file = h->tls.key_file,
        .server_name = h->tls.server_name,
        .insecure_skip_verify = h->tls.insecure_skip_verify,
        .headers = h->headers,
        .nheaders = h->nheaders,
        .lookback_ms = cfg->lookback_delta_ms,
        .incremental = cfg->incremental_fetch,
        .refetch_overlap_ms = cfg->refetch_overlap_ms,
    };
    struct promjson_error err = {0};
    struct datasource *ds = datasource_new(&dc, &err);
    if (!ds)
        diag_add(diags, DIAG_SEMANTIC, (struct span){0, 0}, cfg->path, "datasource: %s", err.msg);
    return ds;
}

/* ---- freshness policies ---- */

/* The keys a configuration policy gives, as a policy patch. A max_hold of 0
 * (the configuration's "forever") is left out: heed's policies always have
 * one, so nothing stays firing forever. */
static void patch_from_config(const struct config_freshness *f, struct policy_patch *out)
{
    memset(out, 0, sizeof *out);
    if (f->has_max_age) {
        out->set |= POLICY_SET_MAX_AGE;
        out->v.max_age_ms = f->max_age_auto ? 0 : f->max_age_ms;
    }
    if (f->has_max_unchanged) {
        out->set |= POLICY_SET_MAX_UNCHANGED;
        out->v.max_unchanged_ms = f->max_unchanged_ms;
    }
    if (f->has_on_stale) {
        static const enum policy_on_stale map[] = {
            [CONFIG_ON_STALE_HOLD] = POLICY_STALE_HOLD,
            [CONFIG_ON_STALE_FIRE] = POLICY_STALE_FIRE,
            [CONFIG_ON_STALE_RESOLVE] = POLICY_STALE_RESOLVE,
        };
        out->set |= POLICY_SET_ON_STALE;
        out->v.on_stale = map[f->on_stale];
    }
    if (f->has_on_missing) {
        out->set |= POLICY_SET_ON_MISSING;
        out->v.on_missing = f->on_missing == CONFIG_ON_MISSING_RESOLVE ? POLICY_MISSING_RESOLVE : POLICY_MISSING_HOLD;
    }
    if (f->has_max_hold && f->max_hold_ms > 0) {
        out->set |= POLICY_SET_MAX_HOLD;
        out->v.max_hold_ms = f->max_hold_ms;
    }
}

/* Fills pc from the configuration's freshness section: profile, the
 * defaults as written, then the name-matched entries in file order (an
 * entry's alert or record regex matches the rule name). */
static int policy_from_config(const struct config *cfg, struct policy_config *pc, struct diag_list *diags)
{
    policy_config_init(pc, cfg->profile == CONFIG_PROFILE_COMPAT ? POLICY_PROFILE_COMPAT : POLICY_PROFILE_DEFAULT);
    patch_from_config(&cfg->freshness_given, &pc->defaults);
    pc->shadow = cfg->shadow;
    for (size_t i = 0; i < cfg->nfresh_rules; i++) {
        const struct config_freshness_rule *r = &cfg->fresh_rules[i];
        struct policy_patch patch;
        patch_from_config(&r->p, &patch);
        char msg[256];
        if (policy_config_add(pc, r->group, r->alert ? r->alert : r->record, &patch, msg, sizeof msg) < 0) {
            diag_add(diags, DIAG_SEMANTIC, (struct span){0, 0}, cfg->path, "freshness.rules[%zu]: %s", i, msg);
            return -1;
        }
    }
    return 0;
}

static bool policy_equal(const struct policy *a, const struct policy *b)
{
    if (a->compat != b->compat || a->max_age_ms != b->max_age_ms || a->max_unchanged_ms != b->max_unchanged_ms ||
        a->nper_metric != b->nper_metric || a->on_stale != b->on_stale || a->on_missing != b->on_missing ||
        a->max_hold_ms != b->max_hold_ms)
        return false;
    for (size_t i = 0; i < a->nper_metric; i++)
        if (a->per_metric[i].ms != b->per_metric[i].ms || strcmp(a->per_metric[i].metric, b->per_metric[i].metric))
            return false;
    return true;
}

/* Whether a running group already has the policies pol gives g's rules. */
static bool policies_equal(const struct dgroup *old, const struct policy *pol)
{
    for (size_t i = 0; i < old->gr.n; i++)
        if (!policy_equal(&old->gr.rules[i].policy, &pol[i]))
            return false;
    return true;
}

static void on_append_hist(void *ctx, const struct labels *ls, int64_t t_ms, const struct histogram *h);

static struct dgroup *dgroup_new(struct daemon *d, struct rules_gen *gen, const struct rule_group *g,
                                 int64_t interval_ms, const struct policy *pol, struct diag_list *diags)
{
    struct dgroup *dg = xcalloc(1, sizeof *dg);
    dg->d = d;
    dg->g = g;
    dg->interval_ms = interval_ms;
    char msg[512];
    if (group_init(&dg->gr, g, msg, sizeof msg) < 0) {
        diag_add(diags, DIAG_SEMANTIC, (struct span){g->offset, g->offset}, g->file, "group %s: %s", g->name, msg);
        group_release(&dg->gr);
        free(dg);
        return NULL;
    }
    for (size_t i = 0; i < dg->gr.n; i++)
        group_set_policy(&dg->gr, i, &pol[i]);
    dg->gr.append_hist = on_append_hist;
    pthread_mutex_init(&dg->eval_mu, NULL);
    dg->gen = gen;
    gen->refs++;
    rule_identity_init(dg);
    memstore_init(&dg->ov.mem);
    strbuf_init(&dg->state_body);
    return dg;
}

static bool kvs_equal(const struct rule_kvs *a, const struct rule_kvs *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++)
        if (strcmp(a->items[i].name, b->items[i].name) || strcmp(a->items[i].value, b->items[i].value))
            return false;
    return true;
}

/* Prometheus's Group.Equals: name, file, interval, limit, query_offset and
 * every rule as written. */
static bool groups_equal(const struct dgroup *old, const struct rule_group *g, int64_t interval_ms)
{
    const struct rule_group *o = old->g;
    if (strcmp(o->key, g->key) || old->interval_ms != interval_ms || o->limit != g->limit ||
        o->has_query_offset != g->has_query_offset || o->query_offset_ms != g->query_offset_ms ||
        o->nrules != g->nrules || !kvs_equal(&o->labels, &g->labels))
        return false;
    for (size_t i = 0; i < g->nrules; i++) {
        const struct rule *a = &o->rules[i], *b = &g->rules[i];
        if (a->type != b->type || strcmp(a->name, b->name) || strcmp(a->expr, b->expr) || a->for_ms != b->for_ms ||
            a->keep_firing_for_ms != b->keep_firing_for_ms || !kvs_equal(&a->labels, &b->labels) ||
            !kvs_equal(&a->annotations, &b->annotations))
            return false;
    }
    return true;
}

/* ---- notifications and output ---- */

void daemon_query_escape(struct strbuf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            strbuf_addch(out, (char)c);
        } else if (c == ' ') {
            strbuf_addch(out, '+');
        } else {
            strbuf_addch(out, '%');
            strbuf_addch(out, hex[c >> 4]);
            strbuf_addch(out, hex[c & 15]);
        }
    }
}

/* Alerts of one tick, gathered for one alertmanager_send call. */
struct outbox {
    struct arena *a;
    const struct runset *rs;
    struct alertmanager_alert *items;
    size_t n, cap;
};

/* Appends an alert instance to the outbox in Alertmanager's shape (labels,
 * annotations, startsAt, endsAt; the caller sets generatorURL). */
static struct alertmanager_alert *outbox_add(struct outbox *ob, const struct alert *a)
{
    XGROW(ob->items, ob->cap, ob->n + 1);
    struct alertmanager_alert *x = &ob->items[ob->n++];
    memset(x, 0, sizeof *x);
    struct alertmanager_pair *labels = ARENA_NEWN(ob->a, struct alertmanager_pair, a->ls->n + 1);
    for (size_t i = 0; i < a->ls->n; i++)
        labels[i] = (struct alertmanager_pair){a->ls->l[i].name, a->ls->l[i].value};
    struct alertmanager_pair *ann = ARENA_NEWN(ob->a, struct alertmanager_pair, a->nann + 1);
    for (size_t i = 0; i < a->nann; i++)
        ann[i] = (struct alertmanager_pair){a->ann[i].name, a->ann[i].value};
    x->labels = labels;
    x->nlabels = a->ls->n;
    x->annotations = ann;
    x->nannotations = a->nann;
    x->starts_at_ms = alert_starts_at(a);
    x->ends_at_ms = alert_ends_at(a);
    return x;
}

static void collect_alert(void *ctx, const struct group_rule *r, const struct alert *a)
{
    struct outbox *ob = ctx;
    struct alertmanager_alert *x = outbox_add(ob, a);
    struct strbuf url = STRBUF_INIT;
    strbuf_addf(&url, "%s/graph?g0.expr=", ob->rs->external_url);
    daemon_query_escape(&url, r->rule->expr_canonical ? r->rule->expr_canonical : r->rule->expr);
    strbuf_addstr(&url, "&g0.tab=1");
    x->generator_url = arena_strdup(ob->a, url.buf);
    strbuf_release(&url);
}

/* One sample for remote write: a float, or with h a native histogram (as
 * prompb's float histogram). */
static void rw_push(struct remote_write_queue *rw, const struct labels *ls, int64_t t_ms, double v,
                    const struct histogram *h)
{
    if (!rw)
        return;
    struct remote_write_label small[32];
    struct remote_write_label *rl = ls->n <= 32 ? small : xmalloc(ls->n * sizeof *rl);
    for (size_t i = 0; i < ls->n; i++)
        rl[i] = (struct remote_write_label){ls->l[i].name, ls->l[i].value};
    struct remote_write_sample s = {v, t_ms};
    struct remote_write_bucket_span spans[2];
    struct remote_write_histogram rh;
    struct remote_write_series series = {rl, ls->n, &s, 1, NULL, 0};
    if (h) {
        remote_write_histogram_of(h, t_ms, spans, &rh);
        series = (struct remote_write_series){rl, ls->n, NULL, 0, &rh, 1};
    }
    struct remote_write_error err;
    if (remote_write_queue_push(rw, &series, &err) == REMOTE_WRITE_INVALID)
        LOG_WARN(h ? "Dropping an invalid histogram for remote write" : "Dropping an invalid sample for remote write",
                 "err", err.msg);
    if (rl != small)
        free(rl);
}

static void on_append(void *ctx, const struct labels *ls, int64_t t_ms, double v)
{
    struct dgroup *dg = ctx;
    memstore_append(memstore_series_get(&dg->ov.mem, ls->l, ls->n), t_ms, v);
    rw_push(dg->d->cur.rw, ls, t_ms, v, NULL);
}

static void on_append_hist(void *ctx, const struct labels *ls, int64_t t_ms, const struct histogram *h)
{
    struct dgroup *dg = ctx;
    memstore_append_histogram(&dg->ov.mem, memstore_series_get(&dg->ov.mem, ls->l, ls->n), t_ms, h);
    rw_push(dg->d->cur.rw, ls, t_ms, 0, h);
}

/* Forgets every pending marker (also the initial state: arena and table). */
static void removed_reset(struct daemon *d)
{
    arena_release(&d->removed_arena);
    arena_init(&d->removed_arena, 4096);
    labels_table_init(&d->removed_table, &d->removed_arena, true);
    d->nremoved = 0;
}

static void removed_add_one(struct daemon *d, const struct labels *ls, int64_t t_ms, int64_t due_ms)
{
    XGROW(d->removed, d->capremoved, d->nremoved + 1);
    d->removed[d->nremoved++] = (struct removed_series){labels_import(&d->removed_table, ls), t_ms, due_ms};
}

/* Remembers the output series of a group that is going away. */
static void removed_add(struct daemon *d, const struct dgroup *dg, int64_t now_ms)
{
    if (!d->cur.rw && !d->nremoved)
        return; /* nowhere to write them */
    int64_t due = now_ms + 2 * dg->interval_ms;
    for (size_t i = 0; i < dg->gr.n; i++) {
        const struct labels_table *t = &dg->gr.rules[i].prev.table;
        for (size_t k = 0; k < t->cap; k++)
            if (t->slot[k])
                removed_add_one(d, t->slot[k], now_ms, due);
    }
    const struct labels_table *t = &dg->gr.stale_pending.table;
    for (size_t k = 0; k < t->cap; k++)
        if (t->slot[k])
            removed_add_one(d, t->slot[k], now_ms, due);
}

/* Writes the markers that are due (monitor thread). */
static void removed_flush(struct daemon *d, int64_t now_ms)
{
    size_t keep = 0;
    for (size_t i = 0; i < d->nremoved; i++) {
        struct removed_series *r = &d->removed[i];
        if (r->due_ms > now_ms) {
            d->removed[keep++] = *r;
            continue;
        }
        bool taken = false;
        for (size_t k = 0; k < d->cur.n && !taken; k++) {
            struct dgroup *dg = d->cur.groups[k];
            pthread_mutex_lock(&dg->eval_mu);
            taken = group_has_output(&dg->gr, r->ls);
            pthread_mutex_unlock(&dg->eval_mu);
        }
        if (!taken)
            rw_push(d->cur.rw, r->ls, r->t_ms, value_stale_nan(), NULL);
    }
    d->nremoved = keep;
    if (!keep)
        removed_reset(d);
}

/* ---- persisted state ---- */

static void persist(struct dgroup *dg, bool force)
{
    if (!dg->state_path)
        return;
    struct strbuf body = STRBUF_INIT;
    for (size_t i = 0; i < dg->gr.n; i++) {
        const struct group_rule *r = &dg->gr.rules[i];
        if (r->rule->type == RULE_ALERTING && r->alerts.n)
            state_encode_rule(&body, r->rule->name, dg->rule_labels[i], dg->rule_ordinal[i], &r->alerts);
    }
    int64_t now = now_ms();
    bool same = body.len == dg->state_body.len && !memcmp(body.buf, dg->state_body.buf, body.len);
    if (!force && same && now - dg->state_written_ms < STATE_REFRESH_MS) {
        strbuf_release(&body);
        return;
    }
    struct strbuf file = STRBUF_INIT;
    state_encode_file(&file, dg->g->key, now, body.buf, body.len);
    char err[512];
    if (state_write_atomic(dg->state_path, file.buf, file.len, err, sizeof err) < 0) {
        LOG_ERROR("Saving alert state failed", "group", dg->g->name, "file", dg->g->file, "err", err);
    } else {
        strbuf_release(&dg->state_body);
        dg->state_body = body;
        strbuf_init(&body);
        dg->state_written_ms = now;
    }
    strbuf_release(&file);
    strbuf_release(&body);
}

/* Brings back one rule's persisted instances. Pending alerts get
 * Prometheus's restore arithmetic (PROMETHEUS.md 2.4) with the file's
 * saved_at as the moment heed went down; firing and resolved ones come back
 * as they were, so nothing is paged again and no resolve is lost. */
static size_t restore_rule(const struct config *cfg, struct group_rule *r, const struct state_rule *sr,
                           int64_t saved_at_ms, int64_t now)
{
    size_t restored = 0;
    int64_t for_ms = r->rule->for_ms;
    for (size_t i = 0; i < sr->alerts.n; i++) {
        struct alert a = sr->alerts.items[i];
        if (a.state == ALERT_PENDING &&
            !state_restore_pending(&a.active_at_ms, for_ms, cfg->for_grace_period_ms, cfg->for_outage_tolerance_ms,
                                   saved_at_ms, now))
            continue; /* down longer than tolerated: the for clock starts over */
        alert_set_restore(&r->alerts, &a);
        restored++;
    }
    return restored;
}

static void restore_from_files(struct daemon *d)
{
    const struct config *cfg = d->cur.cfg;
    if (!cfg->state_dir)
        return;
    struct state_group *gs;
    size_t n;
    struct diag_list dl;
    diag_list_init(&dl);
    state_load_dir(cfg->state_dir, &gs, &n, &dl);
    for (size_t i = 0; i < dl.len; i++)
        LOG_WARN("Ignoring a persisted state file", "err", dl.items[i].msg);
    diag_list_release(&dl);
    int64_t now = now_ms();
    for (size_t k = 0; k < d->cur.n; k++) {
        struct dgroup *dg = d->cur.groups[k];
        const struct state_group *sg = NULL;
        for (size_t i = 0; i < n && !sg; i++)
            if (!strcmp(gs[i].key, dg->g->key))
                sg = &gs[i];
        if (!sg)
            continue;
        size_t total = 0;
        int64_t t0 = now_ns();
        for (size_t i = 0; i < dg->gr.n; i++) {
            struct group_rule *r = &dg->gr.rules[i];
            if (r->rule->type != RULE_ALERTING)
                continue;
            const struct state_rule *sr = state_group_find(sg, r->rule->name, dg->rule_labels[i], dg->rule_ordinal[i]);
            if (sr)
                total += restore_rule(cfg, r, sr, sg->saved_at_ms, now);
        }
        dg->restore_seconds = (double)(now_ns() - t0) / 1e9; /* ..._last_restore_duration_seconds */
        LOG_INFO("Restored alert state", "group", dg->g->name, "file", dg->g->file, "alerts", LOG_UINT(total),
                 "saved_at", log_format_time((char[LOG_TIME_BUF]){0}, sg->saved_at_ms));
    }
    state_groups_free(gs, n);
}

/* A changed group takes over the old one's alert instances and previous
 * output series, rule by rule (Prometheus's CopyState). */
static void inherit(struct dgroup *to, const struct dgroup *from)
{
    /* output series of old rules with no counterpart end at the new
     * group's first evaluation (Prometheus's staleSeries) */
    for (size_t j = 0; j < from->gr.n; j++) {
        const struct group_rule *o = &from->gr.rules[j];
        bool matched = false;
        for (size_t i = 0; i < to->gr.n && !matched; i++)
            matched = !strcmp(o->rule->name, to->gr.rules[i].rule->name) &&
                      !strcmp(from->rule_labels[j], to->rule_labels[i]) &&
                      from->rule_ordinal[j] == to->rule_ordinal[i] && o->rule->type == to->gr.rules[i].rule->type;
        for (size_t k = 0; !matched && k < o->prev.table.cap; k++)
            if (o->prev.table.slot[k])
                group_add_stale(&to->gr, o->prev.table.slot[k]);
    }
    for (size_t k = 0; k < from->gr.stale_pending.table.cap; k++)
        if (from->gr.stale_pending.table.slot[k])
            group_add_stale(&to->gr, from->gr.stale_pending.table.slot[k]);
    for (size_t i = 0; i < to->gr.n; i++) {
        struct group_rule *r = &to->gr.rules[i];
        for (size_t j = 0; j < from->gr.n; j++) {
            const struct group_rule *o = &from->gr.rules[j];
            if (strcmp(o->rule->name, r->rule->name) || strcmp(from->rule_labels[j], to->rule_labels[i]) ||
                from->rule_ordinal[j] != to->rule_ordinal[i] || o->rule->type != r->rule->type)
                continue;
            for (size_t k = 0; k < o->alerts.n; k++)
                alert_set_restore(&r->alerts, &o->alerts.items[k]);
            for (size_t k = 0; k < o->prev.table.cap; k++)
                if (o->prev.table.slot[k])
                    labels_import(&r->prev.table, o->prev.table.slot[k]);
            r->health = o->health;
            break;
        }
    }
}

/* Prometheus's duration summaries and histograms: one observation per
 * iteration and one per rule evaluated in it (rules/group.go). */
static void observe_iteration(struct daemon *d, const struct dgroup *dg)
{
    api_snapmetrics_observe_group(d->metrics, dg->gr.eval_seconds);
    for (size_t i = 0; i < dg->gr.n; i++)
        api_snapmetrics_observe_rule(d->metrics, dg->gr.rules[i].eval_seconds);
}

/* ---- one evaluation ---- */

static void group_tick(struct dgroup *dg, int64_t slot_ns, int64_t started_ns, uint64_t missed)
{
    struct daemon *d = dg->d;
    const struct runset *rs = &d->cur;
    const struct config *cfg = rs->cfg;
    int64_t ts_ms = slot_ns / SCHEDULE_NS_PER_MS;
    overlay_prune(&dg->ov, ts_ms - cfg->lookback_delta_ms - dg->interval_ms);
    struct engine_opts eo = {
        .lookback_ms = cfg->lookback_delta_ms,
        .max_samples = (size_t)cfg->max_samples,
        .timeout_ms = cfg->query_timeout_ms,
    };
    struct group_env env = {
        .st = &dg->ov.iface,
        .eopts = &eo,
        .append = on_append,
        .append_ctx = dg,
        .external_labels = rs->ext,
        .nexternal_labels = rs->next,
        .external_url = rs->external_url,
        .query_offset_ms = dg->g->has_query_offset ? dg->g->query_offset_ms : cfg->query_offset_ms,
        .restored = true, /* state came from the state files before the first evaluation */
        .shadow = rs->pol.shadow,
    };
    pthread_mutex_lock(&dg->eval_mu);
    started_ns = now_ns(); /* an API snapshot may have held the lock: the lag counts that wait */
    /* every select of the tick planned first: the first select then fetches
     * them all in one parallel batch, each selector once, windows merged */
    group_plan(&dg->gr, &env, datasource_planner(dg->ds), ts_ms);
    int failed = group_eval(&dg->gr, &env, ts_ms);
    datasource_end_eval(dg->ds);
    uint64_t ds_failures = datasource_stats(dg->ds)->failures;
    pthread_mutex_lock(&d->stat_mu);
    dg->ds_failing = ds_failures > dg->ds_failures_seen;
    dg->ds_failures_seen = ds_failures;
    dg->timing.g = &dg->gr;
    dg->timing.interval_ms = dg->interval_ms;
    dg->timing.scheduled_ms = ts_ms;
    dg->timing.started_ms = started_ns / SCHEDULE_NS_PER_MS;
    dg->timing.duration_s = dg->gr.eval_seconds;
    dg->timing.missed += missed;
    pthread_mutex_unlock(&d->stat_mu);
    dg->lag_ms = started_ns / SCHEDULE_NS_PER_MS - ts_ms;
    dg->rule_evals += dg->gr.n;
    dg->rule_failures += (uint64_t)failed;
    dg->iterations = dg->sched.iterations;
    dg->missed = dg->sched.missed;
    observe_iteration(d, dg);
    if (failed) {
        for (size_t i = 0; i < dg->gr.n; i++) {
            const struct group_rule *r = &dg->gr.rules[i];
            if (r->health == RULE_HEALTH_ERR)
                LOG_WARN("Evaluating rule failed", "file", dg->g->file, "group", dg->g->name, "name", r->rule->name,
                         "index", LOG_UINT(i), "kind", r->rule->type == RULE_ALERTING ? "alerting" : "recording",
                         "err", r->last_error ? r->last_error : "");
        }
    }
    struct arena a;
    arena_init(&a, 16 * 1024);
    struct outbox ob = {&a, rs, NULL, 0, 0};
    group_send_alerts(&dg->gr, ts_ms, dg->interval_ms, cfg->resend_delay_ms, collect_alert, &ob);
    if (ob.n && rs->am)
        alertmanager_send(rs->am, ob.items, ob.n);
    if (ob.n)
        LOG_DEBUG("Sending alerts", "group", dg->g->name, "count", LOG_UINT(ob.n));
    free(ob.items);
    arena_release(&a);
    persist(dg, false);
    pthread_mutex_unlock(&dg->eval_mu);
}

/* A worker of the evaluation pool: takes the due group with the earliest
 * slot that no other worker is evaluating, evaluates it, and looks again.
 * A group is only ever taken by one worker at a time (busy), so its
 * evaluations never overlap; a group whose slot passed while every worker
 * was busy skips to its latest slot, the skipped ones counted as missed. */
static void *worker_thread(void *arg)
{
    struct daemon *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        int64_t now = now_ns(), wake = INT64_MAX;
        struct dgroup *dg = NULL;
        for (size_t i = 0; i < d->cur.n; i++) {
            struct dgroup *g = d->cur.groups[i];
            if (g->busy)
                continue;
            if (g->sched.next_ns <= now && (!dg || g->sched.next_ns < dg->sched.next_ns))
                dg = g;
            if (g->sched.next_ns < wake)
                wake = g->sched.next_ns;
        }
        if (!dg) {
            if (wake == INT64_MAX) {
                pthread_cond_wait(&d->cv, &d->mu);
            } else {
                struct timespec until = {(time_t)(wake / 1000000000), (long)(wake % 1000000000)};
                pthread_cond_timedwait(&d->cv, &d->mu, &until);
            }
            continue;
        }
        dg->busy = true;
        uint64_t missed = dg->sched.missed;
        int64_t slot = schedule_tick(&dg->sched, now);
        pthread_mutex_unlock(&d->mu);
        if (dg->sched.missed > missed)
            LOG_WARN("Group evaluation missed iterations", "file", dg->g->file, "group", dg->g->name, "missed",
                     LOG_UINT(dg->sched.missed - missed));
        group_tick(dg, slot, now, dg->sched.missed - missed);
        pthread_mutex_lock(&d->mu);
        dg->busy = false;
        pthread_cond_broadcast(&d->cv); /* its next slot may be the earliest now */
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* ---- self-monitoring (rules/selfmon) ---- */

static void collect_self_alert(void *ctx, const struct alert *al)
{
    struct outbox *ob = ctx;
    outbox_add(ob, al)->generator_url = ob->rs->external_url;
}

static void selfmon_opts_from(const struct config_self_monitoring *c, struct selfmon_opts *o)
{
    memset(o, 0, sizeof *o);
    o->disabled[SELFMON_WATCHDOG] = !c->watchdog;
    o->disabled[SELFMON_INPUTS_STALE] = !c->inputs_stale;
    o->disabled[SELFMON_DATASOURCE_FAILING] = !c->datasource_failing;
    o->disabled[SELFMON_EVAL_LAGGING] = !c->evaluation_lagging;
    o->disabled[SELFMON_NOTIFIER_FAILING] = !c->notifier_failing;
}

/* One monitor tick: a snapshot of heed's own state (each group read under
 * its eval_mu, so never mid-evaluation), rules/selfmon's alerts from it,
 * and what is due sent into the same Alertmanager queue as rule alerts. */
static void monitor_tick(struct daemon *d, int64_t ts_ms)
{
    if (d->nremoved)
        removed_flush(d, now_ms());
    const struct runset *rs = &d->cur;
    const struct config *cfg = rs->cfg;
    struct arena a;
    arena_init(&a, 16 * 1024);
    size_t n = rs->n;
    struct group **groups = ARENA_NEWN(&a, struct group *, n + 1);
    bool *ds_failing = ARENA_NEWN(&a, bool, n + 1);
    struct selfmon_timing *timing = ARENA_NEWN(&a, struct selfmon_timing, n + 1);
    size_t ntiming = 0;
    pthread_mutex_lock(&d->stat_mu);
    for (size_t i = 0; i < n; i++) {
        struct dgroup *dg = rs->groups[i];
        groups[i] = &dg->gr;
        ds_failing[i] = dg->ds_failing;
        if (dg->timing.g) {
            timing[ntiming++] = dg->timing;
            dg->timing.missed = 0;
        }
    }
    pthread_mutex_unlock(&d->stat_mu);
    struct selfmon_notifier *notifiers = NULL;
    size_t nnot = rs->am ? alertmanager_ntargets(rs->am) : 0;
    notifiers = ARENA_NEWN(&a, struct selfmon_notifier, nnot + 1);
    for (size_t i = 0; i < nnot; i++) {
        struct alertmanager_stats st;
        alertmanager_stats(rs->am, i, &st);
        notifiers[i].url = arena_strdup(&a, st.url);
        notifiers[i].error = st.last_error[0] ? arena_strdup(&a, st.last_error)
                             : st.backoff_ms > 0 ? "retrying after failed deliveries"
                                                 : NULL;
    }
    struct selfmon_snapshot snap = {
        .groups = groups,
        .ngroups = n,
        .datasource_failing = ds_failing,
        .timing = timing,
        .ntiming = ntiming,
        .notifiers = notifiers,
        .nnotifiers = nnot,
    };
    /* groups locked in order; a worker only ever holds the one it evaluates */
    for (size_t i = 0; i < n; i++)
        pthread_mutex_lock(&rs->groups[i]->eval_mu);
    pthread_mutex_lock(&d->sm_mu);
    selfmon_eval(&d->sm, &snap, ts_ms);
    for (size_t i = n; i-- > 0;)
        pthread_mutex_unlock(&rs->groups[i]->eval_mu);
    struct outbox ob = {&a, rs, NULL, 0, 0};
    int64_t interval_ms = d->self_sched.interval_ns / SCHEDULE_NS_PER_MS;
    selfmon_send_alerts(&d->sm, ts_ms, interval_ms, cfg->resend_delay_ms, collect_self_alert, &ob);
    pthread_mutex_unlock(&d->sm_mu);
    if (ob.n && rs->am)
        alertmanager_send(rs->am, ob.items, ob.n);
    free(ob.items);
    arena_release(&a);
}

static void *monitor_thread(void *arg)
{
    struct daemon *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        int64_t now = now_ns();
        if (now < d->self_sched.next_ns) {
            struct timespec until = {(time_t)(d->self_sched.next_ns / 1000000000),
                                     (long)(d->self_sched.next_ns % 1000000000)};
            pthread_cond_timedwait(&d->cv, &d->mu, &until);
            continue;
        }
        pthread_mutex_unlock(&d->mu);
        int64_t slot = schedule_tick(&d->self_sched, now);
        monitor_tick(d, slot / SCHEDULE_NS_PER_MS);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static void start_threads(struct daemon *d)
{
    d->stopping = false;
    const struct config *cfg = d->cur.cfg;
    selfmon_opts_from(&cfg->self_monitoring, &d->sm.o);
    /* the monitor runs as often as the most frequent group, so what it
     * reports is at most one interval old */
    int64_t iv_ms = cfg->evaluation_interval_ms;
    for (size_t i = 0; i < d->cur.n; i++)
        if (d->cur.groups[i]->interval_ms < iv_ms)
            iv_ms = d->cur.groups[i]->interval_ms;
    int64_t iv = iv_ms * SCHEDULE_NS_PER_MS;
    if (d->self_sched.interval_ns != iv) /* keep its timing across reloads that do not change it */
        schedule_init(&d->self_sched, SCHEDULE_HASH_STRINGLABELS, "heed", "self-monitoring", iv, now_ns());
    if (pthread_create(&d->monitor, NULL, monitor_thread, d) == 0)
        d->monitor_running = true;
    else
        LOG_ERROR("Cannot start the self-monitoring thread", "err", strerror(errno));
    size_t want = (size_t)cfg->evaluation_workers;
    if (want > d->cur.n)
        want = d->cur.n ? d->cur.n : 1; /* more would only wait */
    d->workers = xcalloc(want, sizeof *d->workers);
    d->nworkers = 0;
    for (size_t i = 0; i < want; i++) {
        if (pthread_create(&d->workers[d->nworkers], NULL, worker_thread, d) != 0) {
            LOG_ERROR("Cannot start an evaluation worker", "err", strerror(errno));
            continue;
        }
        d->nworkers++;
    }
    if (!d->nworkers && d->cur.n)
        LOG_ERROR("No evaluation worker started: rule groups are not evaluated");
}

static void stop_threads(struct daemon *d)
{
    pthread_mutex_lock(&d->mu);
    d->stopping = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    for (size_t i = 0; i < d->nworkers; i++)
        pthread_join(d->workers[i], NULL);
    free(d->workers);
    d->workers = NULL;
    d->nworkers = 0;
    if (d->monitor_running)
        pthread_join(d->monitor, NULL);
    d->monitor_running = false;
}

/* ---- building a run set ---- */

static void am_fingerprint(struct strbuf *fp, const struct config *cfg)
{
    for (size_t i = 0; i < cfg->nalertmanagers; i++) {
        const struct config_http *h = &cfg->alertmanagers[i];
        strbuf_addf(fp, "%s|%s|%s|%s|%s|%s|%s|%s|%d|%lld|", h->url, h->basic_auth_username ? h->basic_auth_username : "",
                    h->basic_auth_password_file ? h->basic_auth_password_file : "",
                    h->bearer_token_file ? h->bearer_token_file : "", h->tls.ca_file ? h->tls.ca_file : "",
                    h->tls.cert_file ? h->tls.cert_file : "", h->tls.key_file ? h->tls.key_file : "",
                    h->tls.server_name ? h->tls.server_name : "", h->tls.insecure_skip_verify, (long long)h->timeout_ms);
        for (size_t j = 0; j < h->nheaders; j++)
            strbuf_addf(fp, "%s|", h->headers[j]);
        strbuf_addch(fp, '\n');
    }
    for (size_t i = 0; i < cfg->nexternal_labels; i++)
        strbuf_addf(fp, "%s=%s|", cfg->external_labels[i].name, cfg->external_labels[i].value);
    /* A changed alert_relabel_configs makes a new notifier, which compiles them. */
    for (size_t i = 0; i < cfg->nalert_relabel; i++) {
        const struct relabel_spec *r = &cfg->alert_relabel[i];
        strbuf_addf(fp, "\nrelabel %s|%s|%s|%s|%llu|%s|%d:", r->action ? r->action : "",
                    r->separator ? r->separator : "", r->target_label ? r->target_label : "",
                    r->regex ? r->regex : "", (unsigned long long)r->modulus,
                    r->replacement ? r->replacement : "", r->has_source);
        for (size_t j = 0; j < r->nsource; j++)
            strbuf_addf(fp, "%s|", r->source_labels[j]);
    }
}

static struct alertmanager *make_alertmanager(const struct config *cfg, struct diag_list *diags)
{
    if (!cfg->nalertmanagers)
        return NULL;
    struct alertmanager_target *t = xcalloc(cfg->nalertmanagers, sizeof *t);
    for (size_t i = 0; i < cfg->nalertmanagers; i++) {
        const struct config_http *h = &cfg->alertmanagers[i];
        t[i] = (struct alertmanager_target){
            .url = h->url,
            .basic_auth_user = h->basic_auth_username,
            .basic_auth_password_file = h->basic_auth_password_file,
            .bearer_token_file = h->bearer_token_file,
            .tls = {h->tls.ca_file, h->tls.cert_file, h->tls.key_file, h->tls.server_name,
                    h->tls.insecure_skip_verify},
            .headers = h->headers,
            .nheaders = h->nheaders,
            .timeout_ms = h->timeout_ms,
        };
    }
    struct alertmanager_pair *ext = xcalloc(cfg->nexternal_labels + 1, sizeof *ext);
    for (size_t i = 0; i < cfg->nexternal_labels; i++)
        ext[i] = (struct alertmanager_pair){cfg->external_labels[i].name, cfg->external_labels[i].value};
    struct alertmanager_config ac = {
        .targets = t,
        .ntargets = cfg->nalertmanagers,
        .external_labels = ext,
        .nexternal_labels = cfg->nexternal_labels,
        .user_agent = "heed",
        .relabel = cfg->alert_relabel,
        .nrelabel = cfg->nalert_relabel,
    };
    char err[256];
    struct alertmanager *am = alertmanager_new(&ac, err, sizeof err);
    if (!am)
        diag_add(diags, DIAG_SEMANTIC, (struct span){0, 0}, cfg->path, "alertmanagers: %s", err);
    free(t);
    free(ext);
    return am;
}

static void rw_fingerprint(struct strbuf *fp, const struct config *cfg)
{
    if (!cfg->has_remote_write)
        return;
    const struct config_http *h = &cfg->remote_write;
    strbuf_addf(fp, "%s|%s|%s|%s|%s|%s|%s|%d|%lld|", h->url, h->basic_auth_username ? h->basic_auth_username : "",
                h->basic_auth_password_file ? h->basic_auth_password_file : "",
                h->bearer_token_file ? h->bearer_token_file : "", h->tls.ca_file ? h->tls.ca_file : "",
                h->tls.cert_file ? h->tls.cert_file : "", h->tls.key_file ? h->tls.key_file : "",
                h->tls.insecure_skip_verify, (long long)h->timeout_ms);
    for (size_t j = 0; j < h->nheaders; j++)
        strbuf_addf(fp, "%s|", h->headers[j]);
}

static void rw_log(void *ctx, enum remote_write_log_level level, const char *msg)
{
    (void)ctx;
    static const enum log_level map[] = {LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR};
    enum log_level l = map[level];
    if (log_enabled(l))
        log_write(l, __FILE__, __LINE__, "Remote write", "detail", msg, (const char *)NULL);
}

static struct remote_write_queue *make_remote_write(const struct config *cfg, struct diag_list *diags)
{
    if (!cfg->has_remote_write)
        return NULL;
    const struct config_http *h = &cfg->remote_write;
    struct remote_write_config rc;
    remote_write_config_defaults(&rc);
    rc.url = h->url;
    rc.user_agent = "heed";
    rc.timeout = (double)h->timeout_ms / 1000.0;
    rc.basic_auth_username = h->basic_auth_username;
    rc.basic_auth_password_file = h->basic_auth_password_file;
    rc.bearer_token_file = h->bearer_token_file;
    rc.tls_ca_file = h->tls.ca_file;
    rc.tls_cert_file = h->tls.cert_file;
    rc.tls_key_file = h->tls.key_file;
    rc.tls_insecure_skip_verify = h->tls.insecure_skip_verify;
    rc.headers = h->headers;
    rc.nheaders = h->nheaders;
    rc.flush_deadline = 10;
    rc.log = rw_log;
    struct remote_write_error err;
    if (h->tls.server_name)
        LOG_WARN("remote_write.tls.server_name is not supported yet and is ignored");
    struct remote_write_queue *q = remote_write_queue_new(&rc, &err);
    if (q && remote_write_queue_start(q, &err) < 0) {
        remote_write_queue_free(q);
        q = NULL;
    }
    if (!q)
        diag_add(diags, DIAG_SEMANTIC, (struct span){0, 0}, cfg->path, "remote_write: %s", err.msg);
    return q;
}

static char *default_external_url(const struct config *cfg)
{
    if (cfg->external_url)
        return xstrdup(cfg->external_url);
    char host[256] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0)
        strcpy(host, "localhost");
    const char *colon = strrchr(cfg->web.listen_address, ':');
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "http://%s:%s", host, colon ? colon + 1 : "9096");
    return strbuf_detach(&sb);
}

static void runset_release_groups(struct runset *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        dgroup_free(rs->groups[i]);
    free(rs->groups);
    rs->groups = NULL;
    rs->n = 0;
}

static void runset_release_rest(struct runset *rs)
{
    if (rs->cfg) {
        config_release(rs->cfg);
        free(rs->cfg);
    }
    free(rs->am_fp);
    free(rs->rw_fp);
    free(rs->external_url);
    free(rs->ext);
    if (rs->has_pol)
        policy_config_release(&rs->pol);
    memset(rs, 0, sizeof *rs);
}

/* What a new run set reuses from the running one. */
struct plan {
    struct runset rs;          /* the new set (groups: new or reused) */
    bool *reused;              /* per new group: taken over from old (parallel to rs.groups) */
    struct datasource **ds;    /* per new group: its new datasource client */
    bool am_new, rw_new;       /* am/rw were built for this set (else reused) */
};

static void plan_abort(struct plan *p)
{
    for (size_t i = 0; i < p->rs.n; i++) {
        if (p->ds[i])
            datasource_free(p->ds[i]);
        if (!p->reused[i])
            dgroup_free(p->rs.groups[i]);
    }
    free(p->rs.groups);
    p->rs.groups = NULL;
    p->rs.n = 0;
    if (p->am_new && p->rs.am)
        alertmanager_free(p->rs.am);
    if (p->rw_new && p->rs.rw)
        remote_write_queue_free(p->rs.rw);
    runset_release_rest(&p->rs);
    free(p->reused);
    free(p->ds);
}

/* Diagnostics borrow their file names (and need the source for positions)
 * from the configuration and rule files, which a refused reload frees:
 * render them into self-contained messages while those are alive.
 * diags[from, cfg_end) came from the configuration file (positions from its
 * text); later ones name their file. */
static void own_diags(struct diag_list *dl, size_t from, size_t cfg_end, const struct config *cfg,
                      const struct rulefile_set *rules)
{
    for (size_t i = from; i < dl->len; i++) {
        struct diag *d = &dl->items[i];
        struct strbuf sb = STRBUF_INIT;
        const struct rulefile *rf = NULL;
        for (size_t f = 0; rules && d->file && i >= cfg_end && f < rules->len && !rf; f++)
            if (rules->files[f]->src && !strcmp(rules->files[f]->path, d->file))
                rf = rules->files[f];
        if (i < cfg_end && d->file) {
            diag_render(&sb, d, cfg->src ? cfg->src : "", cfg->src ? cfg->srclen : 0, 0);
            if (sb.len && sb.buf[sb.len - 1] == '\n')
                strbuf_setlen(&sb, sb.len - 1);
        } else if (rf) { /* e.g. a bad # heed: directive: at its file:line:col */
            diag_render(&sb, d, rf->src, strlen(rf->src), 0);
            if (sb.len && sb.buf[sb.len - 1] == '\n')
                strbuf_setlen(&sb, sb.len - 1);
        } else if (d->file) {
            strbuf_addf(&sb, "%s: %s", d->file, d->msg);
        } else {
            strbuf_addstr(&sb, d->msg);
        }
        free(d->msg);
        d->msg = strbuf_detach(&sb);
        d->file = NULL;
        d->span = (struct span){0, 0};
    }
}

/* Builds everything for the configuration at d->opts.config_path, reusing
 * what the running set (old, possibly empty) has that is equal. */
static int plan_build(struct daemon *d, const struct runset *old, struct plan *p, struct diag_list *diags)
{
    memset(p, 0, sizeof *p);
    p->rs.cfg = xcalloc(1, sizeof *p->rs.cfg);
    LOG_INFO("Loading configuration file", "filename", d->opts.config_path);
    size_t from = diags->len;
    int crc = config_load(p->rs.cfg, d->opts.config_path, diags);
    size_t cfg_end = diags->len;
    if (crc < 0) {
        own_diags(diags, from, cfg_end, p->rs.cfg, NULL);
        plan_abort(p);
        return -1;
    }
    const struct config *cfg = p->rs.cfg;
    struct rules_gen *gen = xcalloc(1, sizeof *gen);
    struct rulefile_opts ro = {0};
    int rc = rulefile_set_load(&gen->set, cfg->rule_files, cfg->nrule_files, &ro, diags);
    p->rs.has_pol = true;
    if (policy_from_config(cfg, &p->rs.pol, diags) < 0)
        rc = -1;
    for (size_t i = from; rc == 0 && i < diags->len; i++)
        if (diags->items[i].code != DIAG_WARNING)
            rc = -1;
    size_t cap = 0;
    for (size_t f = 0; rc == 0 && f < gen->set.len; f++) {
        const struct rulefile *rf = gen->set.files[f];
        for (size_t k = 0; k < rf->ngroups; k++) {
            const struct rule_group *g = &rf->groups[k];
            if (!schedule_shard_owns(g->key, d->opts.shard_index, d->opts.shard_count))
                continue;
            int64_t iv = g->interval_ms ? g->interval_ms : cfg->evaluation_interval_ms;
            /* policies first: a bad directive refuses the load at its file:line:col */
            struct policy *pol = xcalloc(g->nrules ? g->nrules : 1, sizeof *pol);
            for (size_t i = 0; i < g->nrules; i++)
                if (policy_resolve(&p->rs.pol, rf, g, &g->rules[i], &pol[i], diags) < 0)
                    rc = -1;
            if (rc < 0) {
                free(pol);
                break;
            }
            struct dgroup *reuse = NULL;
            for (size_t o = 0; o < old->n && !reuse; o++)
                if (groups_equal(old->groups[o], g, iv) && policies_equal(old->groups[o], pol))
                    reuse = old->groups[o];
            struct dgroup *dg = reuse ? reuse : dgroup_new(d, gen, g, iv, pol, diags);
            free(pol);
            if (!dg) {
                rc = -1;
                break;
            }
            if (p->rs.n == cap) {
                cap = cap ? cap * 2 : 16;
                p->rs.groups = xrealloc(p->rs.groups, cap * sizeof *p->rs.groups);
                p->reused = xrealloc(p->reused, cap * sizeof *p->reused);
                p->ds = xrealloc(p->ds, cap * sizeof *p->ds);
            }
            p->rs.groups[p->rs.n] = dg;
            p->reused[p->rs.n] = reuse != NULL;
            p->ds[p->rs.n] = NULL;
            p->rs.n++;
        }
    }
    for (size_t i = 0; rc == 0 && i < p->rs.n; i++)
        if (!(p->ds[i] = make_datasource(cfg, diags)))
            rc = -1;
    if (rc == 0) {
        struct strbuf fp = STRBUF_INIT;
        am_fingerprint(&fp, cfg);
        if (old->cfg && old->am_fp && !strcmp(old->am_fp, fp.buf)) {
            p->rs.am = old->am;
        } else {
            p->rs.am = make_alertmanager(cfg, diags);
            p->am_new = true;
            if (cfg->nalertmanagers && !p->rs.am)
                rc = -1;
        }
        p->rs.am_fp = strbuf_detach(&fp);
        rw_fingerprint(&fp, cfg);
        if (rc == 0 && old->cfg && old->rw_fp && !strcmp(old->rw_fp, fp.buf)) {
            p->rs.rw = old->rw;
        } else if (rc == 0) {
            p->rs.rw = make_remote_write(cfg, diags);
            p->rw_new = true;
            if (cfg->has_remote_write && !p->rs.rw)
                rc = -1;
        }
        p->rs.rw_fp = strbuf_detach(&fp);
    }
    own_diags(diags, from, cfg_end, cfg, &gen->set);
    if (gen->refs == 0) { /* every group reused, or failed: the new files are not needed */
        rulefile_set_release(&gen->set);
        free(gen);
    }
    if (rc < 0) {
        plan_abort(p);
        return -1;
    }
    p->rs.external_url = default_external_url(cfg);
    p->rs.ext = xcalloc(cfg->nexternal_labels + 1, sizeof *p->rs.ext);
    for (size_t i = 0; i < cfg->nexternal_labels; i++)
        p->rs.ext[i] = (struct tmpl_label){cfg->external_labels[i].name, cfg->external_labels[i].value};
    p->rs.next = cfg->nexternal_labels;
    return 0;
}

/* Puts a built set in place; the old set's threads are stopped (or there
 * were none). */
static void plan_commit(struct daemon *d, struct plan *p)
{
    struct runset old = d->cur;
    const struct config *cfg = p->rs.cfg;
    int64_t now = now_ns();
    if (cfg->state_dir && mkdir(cfg->state_dir, 0700) < 0 && errno != EEXIST)
        LOG_ERROR("Cannot create the state folder: alert state will not be saved", "state_dir", cfg->state_dir,
                  "err", strerror(errno));
    for (size_t i = 0; i < p->rs.n; i++) {
        struct dgroup *dg = p->rs.groups[i];
        if (p->reused[i] && dg->ds)
            datasource_free(dg->ds);
        dg->ds = p->ds[i];
        dg->ov.base = datasource_storage(dg->ds);
        dg->ov.iface = (struct storage){overlay_select, &dg->ov};
        char *path = cfg->state_dir ? state_path(cfg->state_dir, dg->g->key) : NULL;
        if (!path || !dg->state_path || strcmp(path, dg->state_path) != 0)
            strbuf_reset(&dg->state_body); /* a new file: write it at the next tick */
        free(dg->state_path);
        dg->state_path = path;
        if (p->reused[i])
            continue;
        for (size_t o = 0; o < old.n; o++) {
            if (!strcmp(old.groups[o]->g->key, dg->g->key)) {
                inherit(dg, old.groups[o]);
                break;
            }
        }
        /* a new or changed group waits for its next slot, as in Prometheus */
        schedule_init(&dg->sched, (enum schedule_hash_kind)cfg->group_phase, dg->g->file, dg->g->name, dg->interval_ms * SCHEDULE_NS_PER_MS, now);
        LOG_DEBUG("Rule group scheduled", "file", dg->g->file, "group", dg->g->name, "interval_ms",
                  LOG_INT(dg->interval_ms), "phase_ns", LOG_INT(dg->sched.phase_ns), "first_evaluation",
                  log_format_time((char[LOG_TIME_BUF]){0}, dg->sched.next_ns / SCHEDULE_NS_PER_MS));
    }
    for (size_t o = 0; o < old.n; o++) {
        bool kept = false;
        for (size_t i = 0; i < p->rs.n && !kept; i++)
            kept = p->rs.groups[i] == old.groups[o];
        if (!kept) {
            persist(old.groups[o], true);
            bool replaced = false; /* a changed group of the same key inherited its series */
            for (size_t i = 0; i < p->rs.n && !replaced; i++)
                replaced = !strcmp(p->rs.groups[i]->g->key, old.groups[o]->g->key);
            if (!replaced)
                removed_add(d, old.groups[o], now / SCHEDULE_NS_PER_MS);
            dgroup_free(old.groups[o]);
        }
    }
    free(old.groups);
    old.groups = NULL;
    old.n = 0;
    d->cur = p->rs;
    free(p->reused);
    free(p->ds);
    if (p->am_new && old.am) {
        if (alertmanager_flush(old.am, 5000) < 0)
            LOG_WARN("Notifications of the previous Alertmanager configuration not all delivered before the deadline");
        alertmanager_free(old.am);
    }
    if (p->rw_new && old.rw)
        remote_write_queue_free(old.rw); /* stops after sending what is queued, within its flush deadline */
    runset_release_rest(&old);
}

/* ---- the HTTP API (api/server) and its provider ---- */

static struct api_labels api_labels_of(struct arena *a, const struct labels *ls)
{
    struct api_label *l = ARENA_NEWN(a, struct api_label, ls->n + 1);
    for (size_t i = 0; i < ls->n; i++)
        l[i] = (struct api_label){arena_strdup(a, ls->l[i].name), arena_strdup(a, ls->l[i].value)};
    return (struct api_labels){l, ls->n};
}

static struct api_labels api_kvs_of(struct arena *a, const struct rule_kvs *kv)
{
    struct api_label *l = ARENA_NEWN(a, struct api_label, kv->len + 1);
    for (size_t i = 0; i < kv->len; i++)
        l[i] = (struct api_label){arena_strdup(a, kv->items[i].name), arena_strdup(a, kv->items[i].value)};
    return (struct api_labels){l, kv->len};
}

static int64_t api_time(int64_t ms)
{
    return ms ? ms : API_TIME_NONE;
}

/* brief: states and figures only, no labels, annotations or reasons
 * (what /metrics needs: far less to copy while the group is locked). */
static void api_alert_of(struct arena *a, const struct alert *al, int64_t now_ms, bool brief, struct api_alert *out)
{
    memset(out, 0, sizeof *out);
    if (!brief) {
        out->labels = api_labels_of(a, al->ls);
        struct api_label *ann = ARENA_NEWN(a, struct api_label, al->nann + 1);
        for (size_t i = 0; i < al->nann; i++)
            ann[i] = (struct api_label){arena_strdup(a, al->ann[i].name), arena_strdup(a, al->ann[i].value)};
        out->annotations = (struct api_labels){ann, al->nann};
    }
    out->state = al->state == ALERT_FIRING ? API_ALERT_FIRING
                 : al->state == ALERT_PENDING ? API_ALERT_PENDING
                                              : API_ALERT_INACTIVE;
    out->active_at = al->active_at_ms;
    out->keep_firing_since = api_time(al->keep_firing_since_ms);
    out->value = al->value;
    struct api_freshness *f = &out->fresh;
    f->since = API_TIME_NONE;
    if ((al->held || al->stale_class != FRESH_CLASS_FRESH) && brief) {
        f->state = al->held ? API_FRESH_HELD : API_FRESH_STALE;
    } else if (al->held || al->stale_class != FRESH_CLASS_FRESH) {
        f->state = al->held ? API_FRESH_HELD : API_FRESH_STALE;
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "%s: inputs %s", al->held ? "held" : "stale", fresh_class_name(al->stale_class));
        if (al->stale_series)
            strbuf_addf(&sb, " (%s)", al->stale_series);
        f->reason = arena_strdup(a, sb.buf);
        strbuf_release(&sb);
        f->since = api_time(al->stale_since_ms);
        if (al->stale_since_ms)
            f->worst_age = (double)(now_ms - al->stale_since_ms) / 1000.0;
    } else if (al->resolve_reason && !brief) {
        f->state = API_FRESH_FRESH;
        f->reason = arena_strdup(a, al->resolve_reason);
    } else {
        f->state = API_FRESH_FRESH;
    }
    f->inputs_total = al->nsrc;
    f->inputs_not_fresh = al->stale_class != FRESH_CLASS_FRESH ? al->nsrc : 0;
}

static void api_rule_of(struct arena *a, const struct group_rule *r, int64_t now_ms, bool brief,
                        struct api_rule *out)
{
    memset(out, 0, sizeof *out);
    const struct rule *ru = r->rule;
    out->type = ru->type == RULE_ALERTING ? API_RULE_ALERTING : API_RULE_RECORDING;
    out->name = ru->name;
    out->query = ru->expr_canonical ? ru->expr_canonical : ru->expr;
    out->duration = (double)ru->for_ms / 1000.0;
    out->keep_firing_for = (double)ru->keep_firing_for_ms / 1000.0;
    if (!brief) {
        out->labels = api_kvs_of(a, &r->labels);
        out->annotations = api_kvs_of(a, &ru->annotations);
    }
    out->health = r->health == RULE_HEALTH_OK ? API_HEALTH_OK : r->health == RULE_HEALTH_ERR ? API_HEALTH_ERR
                                                                                               : API_HEALTH_UNKNOWN;
    out->last_error = r->last_error ? arena_strdup(a, r->last_error) : NULL;
    out->evaluation_time = r->eval_seconds;
    out->last_evaluation = api_time(r->last_eval_ms);
    struct api_alert *al = ARENA_NEWN(a, struct api_alert, r->alerts.n + 1);
    for (size_t i = 0; i < r->alerts.n; i++)
        api_alert_of(a, &r->alerts.items[i], now_ms, brief, &al[i]);
    out->alerts = al;
    out->nalerts = r->alerts.n;
    struct api_freshness *f = &out->fresh;
    f->since = API_TIME_NONE;
    size_t bad = (size_t)r->inputs_late + r->inputs_frozen + r->inputs_gone;
    if (!r->last_eval_ms)
        f->state = API_FRESH_UNKNOWN;
    else if (bad)
        f->state = API_FRESH_STALE;
    else
        f->state = API_FRESH_FRESH;
    if (bad && !brief) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "inputs: %u late, %u frozen, %u gone", r->inputs_late, r->inputs_frozen, r->inputs_gone);
        if (r->stale_inputs)
            strbuf_addf(&sb, " (%s)", r->stale_inputs);
        f->reason = arena_strdup(a, sb.buf);
        strbuf_release(&sb);
    }
    f->worst_age = (double)r->worst_input_age_ms / 1000.0;
    f->median_age = (double)r->median_input_age_ms / 1000.0;
    f->ingestion_lag = r->last_eval_ms && r->inputs_total ? (double)r->ingestion_lag_ms / 1000.0 : -1;
    f->inputs_late = r->inputs_late;
    f->inputs_frozen = r->inputs_frozen;
    f->inputs_gone = r->inputs_gone;
    f->inputs_not_fresh = bad;
    f->inputs_total = (size_t)r->inputs_total + r->inputs_gone; /* gone ones are no longer read */
}

static int group_cmp(const void *x, const void *y)
{
    const struct api_group *a = x, *b = y;
    int c = strcmp(a->file, b->file);
    return c ? c : strcmp(a->name, b->name);
}

static void snapshot_fill(struct daemon *d, struct arena *a, bool brief, struct api_snapshot *out)
{
    memset(out, 0, sizeof *out);
    out->now = now_ms();
    pthread_mutex_lock(&d->ctl_mu);
    const struct runset *rs = &d->cur;
    struct api_group *gs = ARENA_NEWN(a, struct api_group, rs->n + 1);
    for (size_t k = 0; k < rs->n; k++) {
        struct dgroup *dg = rs->groups[k];
        struct api_group *g = &gs[k];
        memset(g, 0, sizeof *g);
        pthread_mutex_lock(&dg->eval_mu);
        g->name = arena_strdup(a, dg->g->name);
        g->file = arena_strdup(a, dg->g->file);
        g->interval = (double)dg->interval_ms / 1000.0;
        g->limit = dg->g->limit;
        g->evaluation_time = dg->gr.eval_seconds;
        /* Prometheus shows (and exports as ..._last_evaluation_timestamp_seconds)
         * the wall-clock start of the iteration: the slot plus the lag */
        g->last_evaluation = dg->gr.last_eval_ms ? dg->gr.last_eval_ms + dg->lag_ms : API_TIME_NONE;
        g->evaluation_lag = (double)dg->lag_ms / 1000.0;
        g->iterations_missed = dg->missed;
        g->iterations_total = dg->iterations;
        g->evaluations_total = dg->rule_evals;
        g->evaluation_failures = dg->rule_failures;
        g->last_restore_duration = dg->restore_seconds;
        struct api_rule *rules = ARENA_NEWN(a, struct api_rule, dg->gr.n + 1);
        for (size_t i = 0; i < dg->gr.n; i++) {
            const struct group_rule *r = &dg->gr.rules[i];
            api_rule_of(a, r, out->now, brief, &rules[i]);
            rules[i].name = arena_strdup(a, rules[i].name);
            rules[i].query = brief ? "" : arena_strdup(a, rules[i].query);
            g->last_samples += r->samples;
            g->last_rule_duration_sum += r->eval_seconds;
        }
        g->rules = rules;
        g->nrules = dg->gr.n;
        pthread_mutex_unlock(&dg->eval_mu);
    }
    qsort(gs, rs->n, sizeof *gs, group_cmp);
    out->groups = gs;
    out->ngroups = rs->n;
    /* self-monitoring: one check per kind, firing when any instance fires */
    struct api_selfcheck *ch = ARENA_NEWN(a, struct api_selfcheck, SELFMON_NKINDS);
    pthread_mutex_lock(&d->sm_mu);
    for (int k = 0; k < SELFMON_NKINDS; k++) {
        ch[k] = (struct api_selfcheck){selfmon_alertname((enum selfmon_kind)k), 0, NULL};
        if (d->sm.o.disabled[k]) {
            ch[k].detail = "disabled";
            continue;
        }
        for (size_t i = 0; i < d->sm.set.n; i++) {
            const struct alert *al = &d->sm.set.items[i];
            const char *an = labels_get(al->ls, "alertname");
            if (al->state != ALERT_FIRING || !an || strcmp(an, ch[k].name))
                continue;
            ch[k].firing = 1;
            const char *s = alert_annotation(al, "summary");
            ch[k].detail = s ? arena_strdup(a, s) : NULL;
            break;
        }
    }
    pthread_mutex_unlock(&d->sm_mu);
    pthread_mutex_unlock(&d->ctl_mu);
    out->checks = ch;
    out->nchecks = SELFMON_NKINDS;
}

static int api_snapshot_cb(void *ctx, struct arena *a, struct api_snapshot *out, struct api_error *err)
{
    (void)err;
    snapshot_fill(ctx, a, false, out);
    return 0;
}

static int api_snapshot_brief_cb(void *ctx, struct arena *a, struct api_snapshot *out, struct api_error *err)
{
    (void)err;
    snapshot_fill(ctx, a, true, out);
    return 0;
}

/* /-/ready: every group evaluated once (no snapshot needed). */
static int api_ready_cb(void *ctx)
{
    struct daemon *d = ctx;
    int ready = 1;
    pthread_mutex_lock(&d->ctl_mu);
    for (size_t k = 0; k < d->cur.n && ready; k++) {
        struct dgroup *dg = d->cur.groups[k];
        pthread_mutex_lock(&dg->eval_mu);
        ready = dg->gr.last_eval_ms != 0;
        pthread_mutex_unlock(&dg->eval_mu);
    }
    pthread_mutex_unlock(&d->ctl_mu);
    return ready;
}

static int api_reload_cb(void *ctx, struct api_error *err)
{
    struct daemon *d = ctx;
    struct diag_list dl;
    diag_list_init(&dl);
    LOG_INFO("Reloading configuration file...", "filename", d->opts.config_path, "via", "/-/reload");
    int rc = daemon_reload(d, &dl); /* SIGHUP's path; ctl_mu serialises the two */
    if (rc < 0) {
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < dl.len; i++)
            strbuf_addf(&sb, "%s%s", i ? "; " : "", dl.items[i].msg);
        LOG_ERROR("Error reloading config: previous configuration and rules kept", "err", sb.buf);
        api_error_set(err, API_ERR_INTERNAL, "failed to reload config: %s", sb.buf);
        strbuf_release(&sb);
    }
    diag_list_release(&dl);
    return rc;
}

/* A query result may point at series the datasource client owns: copy
 * everything into the request arena before the client goes. */
static void api_result_own(struct arena *a, struct api_query_result *out)
{
    struct api_series *ss = ARENA_NEWN(a, struct api_series, out->nseries + 1);
    for (size_t i = 0; i < out->nseries; i++) {
        ss[i] = out->series[i];
        struct api_label *l = ARENA_NEWN(a, struct api_label, ss[i].metric.len + 1);
        for (size_t j = 0; j < ss[i].metric.len; j++)
            l[j] = (struct api_label){arena_strdup(a, ss[i].metric.items[j].name),
                                      arena_strdup(a, ss[i].metric.items[j].value)};
        ss[i].metric.items = l;
        struct api_point *pts = ARENA_NEWN(a, struct api_point, ss[i].npoints + 1);
        if (ss[i].npoints)
            memcpy(pts, ss[i].points, ss[i].npoints * sizeof *pts);
        ss[i].points = pts;
        if (ss[i].fresh) {
            struct api_freshness *f = ARENA_NEW(a, struct api_freshness);
            *f = *ss[i].fresh;
            if (f->reason)
                f->reason = arena_strdup(a, f->reason);
            struct api_input *inp = ARENA_NEWN(a, struct api_input, f->ninputs + 1);
            for (size_t k = 0; k < f->ninputs; k++) {
                inp[k] = f->inputs[k];
                struct api_label *il = ARENA_NEWN(a, struct api_label, inp[k].labels.len + 1);
                for (size_t j = 0; j < inp[k].labels.len; j++)
                    il[j] = (struct api_label){arena_strdup(a, inp[k].labels.items[j].name),
                                               arena_strdup(a, inp[k].labels.items[j].value)};
                inp[k].labels.items = il;
            }
            f->inputs = inp;
            ss[i].fresh = f;
        }
    }
    out->series = ss;
    if (out->string)
        out->string = arena_strdup(a, out->string);
    const char **w = ARENA_NEWN(a, const char *, out->nwarnings + 1);
    for (size_t i = 0; i < out->nwarnings; i++)
        w[i] = arena_strdup(a, out->warnings[i]);
    out->warnings = w;
    const char **in = ARENA_NEWN(a, const char *, out->ninfos + 1);
    for (size_t i = 0; i < out->ninfos; i++)
        in[i] = arena_strdup(a, out->infos[i]);
    out->infos = in;
}

/* Queries run over a datasource client of their own (clients are not
 * shared between threads), made from the running configuration. */
static int api_query_cb(void *ctx, const struct api_query_request *req, struct arena *a, struct api_query_result *out,
                        struct api_error *err)
{
    struct daemon *d = ctx;
    pthread_mutex_lock(&d->ctl_mu);
    const struct config *cfg = d->cur.cfg;
    struct diag_list dl;
    diag_list_init(&dl);
    struct datasource *ds = make_datasource(cfg, &dl);
    int rc = -1;
    if (!ds) {
        api_error_set(err, API_ERR_UNAVAILABLE, "%s", dl.len ? dl.items[0].msg : "datasource unavailable");
    } else {
        struct engine_opts eo = {
            .lookback_ms = cfg->lookback_delta_ms,
            .max_samples = (size_t)cfg->max_samples,
            .timeout_ms = cfg->query_timeout_ms,
        };
        rc = api_query_run(datasource_storage(ds), &eo, req, a, out, err);
        if (rc == 0)
            api_result_own(a, out);
        datasource_end_eval(ds);
        datasource_free(ds);
    }
    diag_list_release(&dl);
    pthread_mutex_unlock(&d->ctl_mu);
    return rc;
}

static const char *arena_strdup_opt(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

static enum api_error_type api_error_of(enum promjson_errtype t)
{
    switch (t) {
    case PROMJSON_BAD_DATA:
        return API_ERR_BAD_DATA;
    case PROMJSON_EXECUTION:
        return API_ERR_EXECUTION;
    case PROMJSON_TIMEOUT:
        return API_ERR_TIMEOUT;
    case PROMJSON_CANCELED:
        return API_ERR_CANCELED;
    case PROMJSON_INTERNAL:
        return API_ERR_INTERNAL;
    case PROMJSON_NOT_FOUND:
        return API_ERR_NOT_FOUND;
    default:
        return API_ERR_UNAVAILABLE;
    }
}

/* The metadata endpoints (labels, label values, series, metadata,
 * exemplars) go to the datasource through compat/dsproxy. The running
 * configuration's datasource settings are copied under ctl_mu, so a slow
 * datasource holds no lock. */
static int api_forward_cb(void *ctx, const struct api_forward_request *req, struct arena *a,
                          struct api_forward_response *out, struct api_error *err)
{
    struct daemon *d = ctx;
    pthread_mutex_lock(&d->ctl_mu);
    const struct config_http *h = &d->cur.cfg->datasource;
    const char **headers = ARENA_NEWN(a, const char *, h->nheaders + 1);
    for (size_t i = 0; i < h->nheaders; i++)
        headers[i] = arena_strdup(a, h->headers[i]);
    struct datasource_config dc = {
        .url = arena_strdup_opt(a, h->url),
        .timeout_ms = h->timeout_ms,
        .basic_user = arena_strdup_opt(a, h->basic_auth_username),
        .basic_password_file = arena_strdup_opt(a, h->basic_auth_password_file),
        .bearer_token_file = arena_strdup_opt(a, h->bearer_token_file),
        .ca_file = arena_strdup_opt(a, h->tls.ca_file),
        .cert_file = arena_strdup_opt(a, h->tls.cert_file),
        .key_file = arena_strdup_opt(a, h->tls.key_file),
        .server_name = arena_strdup_opt(a, h->tls.server_name),
        .insecure_skip_verify = h->tls.insecure_skip_verify,
        .headers = headers,
        .nheaders = h->nheaders,
    };
    pthread_mutex_unlock(&d->ctl_mu);
    struct dsproxy_request pr = {req->method, req->path, req->names, req->values, req->nparams, 0};
    struct dsproxy_response resp;
    struct promjson_error perr;
    if (dsproxy_forward(&dc, &pr, &resp, &perr) < 0) {
        api_error_set(err, api_error_of(perr.type), "%s", perr.msg);
        return -1;
    }
    char *body = arena_alloc(a, resp.body.len + 1);
    memcpy(body, resp.body.buf, resp.body.len + 1);
    *out = (struct api_forward_response){resp.status, body, resp.body.len};
    dsproxy_response_release(&resp);
    return 0;
}

static void api_log(void *ctx, const char *msg)
{
    (void)ctx;
    LOG_WARN("HTTP API", "detail", msg);
}

/* The server's configuration from the running one; users in *users
 * (freed by the caller: the server keeps copies). */
static struct api_server_config api_config(struct daemon *d, struct api_user **users)
{
    const struct config_web *w = &d->cur.cfg->web;
    *users = xcalloc(w->nusers + 1, sizeof **users);
    for (size_t i = 0; i < w->nusers; i++)
        (*users)[i] = (struct api_user){w->users[i].name, w->users[i].value};
    if (w->tls_client_ca_file)
        LOG_WARN("web.tls.client_ca_file is not supported by the API server yet: client certificates are not checked");
    return (struct api_server_config){
        .listen_address = w->listen_address,
        .tls_cert_file = w->has_tls ? w->tls_cert_file : NULL,
        .tls_key_file = w->has_tls ? w->tls_key_file : NULL,
        .users = *users,
        .nusers = w->nusers,
        .provider = {.ctx = d,
                     .snapshot = api_snapshot_cb,
                     .snapshot_brief = api_snapshot_brief_cb,
                     .ready = api_ready_cb,
                     .reload = api_reload_cb,
                     .query = api_query_cb,
                     .forward = api_forward_cb},
        .metrics = d->metrics,
        .build = {d->opts.version ? d->opts.version : "", "", "", "", "", "cc " __VERSION__},
        .log = api_log,
    };
}

/* Starts the server on web.listen_address. A failure is logged and the
 * daemon goes on evaluating and notifying: the API is how people look, not
 * how alerts flow (a reload tries again). */
static void api_start(struct daemon *d)
{
    struct api_user *users;
    struct api_server_config sc = api_config(d, &users);
    char err[256];
    if (api_server_start(&sc, &d->api, err, sizeof err) < 0) {
        d->api = NULL;
        LOG_ERROR("Cannot start the HTTP API: rules are evaluated and alerts sent without it", "listen_address",
                  sc.listen_address, "err", err);
    } else {
        LOG_INFO("Listening on", "address", sc.listen_address, "port", LOG_UINT(api_server_port(d->api)));
    }
    free(users);
}

/* After a reload: users and limits apply at once; a new address or TLS
 * material gets a new listener, and if that cannot start the old one keeps
 * serving. */
static void api_reconfigure(struct daemon *d)
{
    if (!d->api) {
        api_start(d);
        return;
    }
    struct api_user *users;
    struct api_server_config sc = api_config(d, &users);
    unsigned before = api_server_port(d->api);
    char err[256];
    if (api_server_reconfigure(d->api, &sc, err, sizeof err) < 0)
        LOG_ERROR("HTTP API: the new web settings could not all be applied; the previous listener keeps serving",
                  "listen_address", sc.listen_address, "err", err);
    else if (api_server_port(d->api) != before)
        LOG_INFO("Listening on", "address", sc.listen_address, "port", LOG_UINT(api_server_port(d->api)));
    free(users);
}

static void api_stop(struct daemon *d)
{
    if (d->api)
        api_server_stop(d->api);
    d->api = NULL;
}

struct daemon *daemon_new(const struct daemon_opts *opts, struct diag_list *diags)
{
    struct daemon *d = xcalloc(1, sizeof *d);
    d->opts = *opts;
    if (!d->opts.flush_timeout_ms)
        d->opts.flush_timeout_ms = 10000;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    pthread_mutex_init(&d->stat_mu, NULL);
    pthread_mutex_init(&d->sm_mu, NULL);
    pthread_mutex_init(&d->ctl_mu, NULL);
    d->metrics = metrics_registry_new();
    arena_init(&d->removed_arena, 4096);
    removed_reset(d);
    selfmon_init(&d->sm, NULL);
    struct plan p;
    if (plan_build(d, &d->cur, &p, diags) < 0) {
        arena_release(&d->removed_arena);
        selfmon_release(&d->sm);
        metrics_registry_free(d->metrics);
        pthread_mutex_destroy(&d->sm_mu);
        pthread_mutex_destroy(&d->ctl_mu);
        pthread_mutex_destroy(&d->stat_mu);
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->cv);
        free(d);
        return NULL;
    }
    plan_commit(d, &p);
    restore_from_files(d);
    LOG_INFO("Completed loading of configuration file", "filename", d->opts.config_path, "groups",
             LOG_UINT(d->cur.n));
    return d;
}

int daemon_start(struct daemon *d)
{
    start_threads(d);
    api_start(d);
    d->api_started = true;
    return 0;
}

int daemon_reload(struct daemon *d, struct diag_list *diags)
{
    pthread_mutex_lock(&d->ctl_mu);
    struct plan p;
    if (plan_build(d, &d->cur, &p, diags) < 0) {
        pthread_mutex_unlock(&d->ctl_mu);
        return -1;
    }
    stop_threads(d);
    plan_commit(d, &p);
    start_threads(d);
    LOG_INFO("Completed loading of configuration file", "filename", d->opts.config_path, "groups",
             LOG_UINT(d->cur.n));
    if (d->api_started)
        api_reconfigure(d);
    pthread_mutex_unlock(&d->ctl_mu);
    return 0;
}

void daemon_stop(struct daemon *d)
{
    api_stop(d);
    pthread_mutex_lock(&d->ctl_mu);
    stop_threads(d);
    removed_reset(d); /* not written at stop, as Prometheus (its manager is done) */
    for (size_t i = 0; i < d->cur.n; i++)
        persist(d->cur.groups[i], true);
    if (d->cur.am && alertmanager_flush(d->cur.am, d->opts.flush_timeout_ms) < 0)
        LOG_WARN("Notification queue not drained before the deadline", "timeout_ms",
                 LOG_INT(d->opts.flush_timeout_ms));
    if (d->cur.rw)
        remote_write_queue_stop(d->cur.rw);
    pthread_mutex_unlock(&d->ctl_mu);
}

void daemon_free(struct daemon *d)
{
    if (!d)
        return;
    api_stop(d);
    stop_threads(d);
    runset_release_groups(&d->cur);
    if (d->cur.am)
        alertmanager_free(d->cur.am);
    if (d->cur.rw)
        remote_write_queue_free(d->cur.rw);
    runset_release_rest(&d->cur);
    free(d->removed);
    arena_release(&d->removed_arena);
    selfmon_release(&d->sm);
    metrics_registry_free(d->metrics);
    pthread_mutex_destroy(&d->sm_mu);
    pthread_mutex_destroy(&d->ctl_mu);
    pthread_mutex_destroy(&d->stat_mu);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}

size_t daemon_ngroups(const struct daemon *d)
{
    return d->cur.n;
}
