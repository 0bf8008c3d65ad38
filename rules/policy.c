#include "rules/policy.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/xalloc.h"
#include "eval/labels.h"
#include "grammar/parse.h"
#include "rules/rulefile.h"

#define DEFAULT_MAX_HOLD_MS (60 * 60 * 1000)

struct policy policy_profile(enum policy_profile p)
{
    struct policy pol;
    memset(&pol, 0, sizeof pol);
    if (p == POLICY_PROFILE_COMPAT) {
        pol.compat = true;
        pol.on_stale = POLICY_STALE_FIRE;
        pol.on_missing = POLICY_MISSING_RESOLVE;
    } else {
        pol.on_stale = POLICY_STALE_HOLD;
        pol.on_missing = POLICY_MISSING_HOLD;
        pol.max_hold_ms = DEFAULT_MAX_HOLD_MS;
    }
    return pol;
}

int policy_profile_parse(const char *s, enum policy_profile *p)
{
    if (strcmp(s, "default") == 0)
        *p = POLICY_PROFILE_DEFAULT;
    else if (strcmp(s, "compat") == 0)
        *p = POLICY_PROFILE_COMPAT;
    else
        return -1;
    return 0;
}

const char *policy_on_stale_name(enum policy_on_stale s)
{
    switch (s) {
    case POLICY_STALE_FIRE: return "fire";
    case POLICY_STALE_RESOLVE: return "resolve";
    case POLICY_STALE_HOLD: break;
    }
    return "hold";
}

const char *policy_on_missing_name(enum policy_on_missing m)
{
    return m == POLICY_MISSING_RESOLVE ? "resolve" : "hold";
}

void policy_apply(struct policy *pol, const struct policy_patch *p)
{
    if (p->set & POLICY_SET_PROFILE)
        *pol = policy_profile(p->v.compat ? POLICY_PROFILE_COMPAT : POLICY_PROFILE_DEFAULT);
    else if (pol->compat && (p->set & ~POLICY_SET_PROFILE))
        *pol = policy_profile(POLICY_PROFILE_DEFAULT); /* a freshness key asks for heed's semantics */
    if (p->set & POLICY_SET_MAX_AGE)
        pol->max_age_ms = p->v.max_age_ms;
    if (p->set & POLICY_SET_MAX_UNCHANGED) {
        pol->max_unchanged_ms = p->v.max_unchanged_ms;
        memcpy(pol->per_metric, p->v.per_metric, sizeof pol->per_metric);
        pol->nper_metric = p->v.nper_metric;
    }
    if (p->set & POLICY_SET_ON_STALE)
        pol->on_stale = p->v.on_stale;
    if (p->set & POLICY_SET_ON_MISSING)
        pol->on_missing = p->v.on_missing;
    if (p->set & POLICY_SET_MAX_HOLD)
        pol->max_hold_ms = p->v.max_hold_ms;
}

static bool word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(s, w, n) == 0;
}

static int duration(const char *s, size_t n, int64_t *ms, char *msg, size_t msglen)
{
    if (n == 0 || parse_duration(s, n, ms) < 0) {
        snprintf(msg, msglen, "bad duration \"%.*s\"", (int)n, s);
        return -1;
    }
    return 0;
}

/* "30m" or "metric:30m,other:1h" (a bare duration sets the fallback). */
static int parse_unchanged(const char *s, size_t n, struct policy *v, char *msg, size_t msglen)
{
    v->max_unchanged_ms = 0;
    v->nper_metric = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != ',')
            j++;
        const char *colon = memchr(s + i, ':', j - i);
        int64_t ms;
        if (!colon) {
            if (duration(s + i, j - i, &ms, msg, msglen) < 0)
                return -1;
            v->max_unchanged_ms = ms;
        } else {
            size_t mlen = (size_t)(colon - (s + i));
            if (mlen == 0 || mlen >= POLICY_METRIC_LEN) {
                snprintf(msg, msglen, "bad metric name in max-unchanged \"%.*s\"", (int)(j - i), s + i);
                return -1;
            }
            if (v->nper_metric == POLICY_MAX_METRICS) {
                snprintf(msg, msglen, "max-unchanged: at most %d metric entries", POLICY_MAX_METRICS);
                return -1;
            }
            if (duration(colon + 1, (size_t)(s + j - colon - 1), &ms, msg, msglen) < 0)
                return -1;
            struct policy_unchanged *u = &v->per_metric[v->nper_metric++];
            memcpy(u->metric, s + i, mlen);
            u->metric[mlen] = '\0';
            u->ms = ms;
        }
        i = j + 1;
    }
    return 0;
}

static int parse_kv(const char *k, size_t kn, const char *val, size_t vn, struct policy_patch *out,
                    char *msg, size_t msglen)
{
    struct policy *v = &out->v;
    if (word_is(k, kn, "profile")) {
        if (word_is(val, vn, "compat"))
            v->compat = true;
        else if (word_is(val, vn, "default"))
            v->compat = false;
        else {
            snprintf(msg, msglen, "profile must be default or compat, not \"%.*s\"", (int)vn, val);
            return -1;
        }
        out->set |= POLICY_SET_PROFILE;
    } else if (word_is(k, kn, "max-age")) {
        if (word_is(val, vn, "auto"))
            v->max_age_ms = 0;
        else if (duration(val, vn, &v->max_age_ms, msg, msglen) < 0)
            return -1;
        out->set |= POLICY_SET_MAX_AGE;
    } else if (word_is(k, kn, "max-unchanged")) {
        if (word_is(val, vn, "off")) {
            v->max_unchanged_ms = 0;
            v->nper_metric = 0;
        } else if (parse_unchanged(val, vn, v, msg, msglen) < 0) {
            return -1;
        }
        out->set |= POLICY_SET_MAX_UNCHANGED;
    } else if (word_is(k, kn, "on-stale")) {
        if (word_is(val, vn, "hold"))
            v->on_stale = POLICY_STALE_HOLD;
        else if (word_is(val, vn, "fire"))
            v->on_stale = POLICY_STALE_FIRE;
        else if (word_is(val, vn, "resolve"))
            v->on_stale = POLICY_STALE_RESOLVE;
        else {
            snprintf(msg, msglen, "on-stale must be hold, fire or resolve, not \"%.*s\"", (int)vn, val);
            return -1;
        }
        out->set |= POLICY_SET_ON_STALE;
    } else if (word_is(k, kn, "on-missing")) {
        if (word_is(val, vn, "hold"))
            v->on_missing = POLICY_MISSING_HOLD;
        else if (word_is(val, vn, "resolve"))
            v->on_missing = POLICY_MISSING_RESOLVE;
        else {
            snprintf(msg, msglen, "on-missing must be hold or resolve, not \"%.*s\"", (int)vn, val);
            return -1;
        }
        out->set |= POLICY_SET_ON_MISSING;
    } else if (word_is(k, kn, "max-hold")) {
        if (duration(val, vn, &v->max_hold_ms, msg, msglen) < 0)
            return -1;
        if (v->max_hold_ms <= 0) {
            snprintf(msg, msglen, "max-hold must be positive (nothing stays firing forever)");
            return -1;
        }
        out->set |= POLICY_SET_MAX_HOLD;
    } else {
        snprintf(msg, msglen, "unknown heed directive key \"%.*s\"", (int)kn, k);
        return -1;
    }
    return 0;
}

int policy_patch_parse(const char *text, size_t len, struct policy_patch *out, size_t *err_at,
                       char *msg, size_t msglen)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && (text[i] == ' ' || text[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t ks = i;
        while (i < len && text[i] != '=' && text[i] != ' ' && text[i] != '\t')
            i++;
        *err_at = ks;
        if (i == len || text[i] != '=') {
            snprintf(msg, msglen, "expected key=value, got \"%.*s\"", (int)(i - ks), text + ks);
            return -1;
        }
        size_t kn = i - ks;
        size_t vs = ++i;
        while (i < len && text[i] != ' ' && text[i] != '\t')
            i++;
        if (parse_kv(text + ks, kn, text + vs, i - vs, out, msg, msglen) < 0)
            return -1;
    }
    return 0;
}

void policy_config_init(struct policy_config *c, enum policy_profile p)
{
    memset(c, 0, sizeof *c);
    c->profile = p;
}

void policy_config_release(struct policy_config *c)
{
    for (size_t i = 0; i < c->nentries; i++) {
        free(c->entries[i].group_re);
        free(c->entries[i].rule_re);
    }
    free(c->entries);
    memset(c, 0, sizeof *c);
}

static pcre2_code *compile_anchored(const char *re, char *msg, size_t msglen)
{
    size_t n = strlen(re) + 8;
    char *full = xmalloc(n);
    snprintf(full, n, "^(?:%s)$", re);
    int code;
    PCRE2_SIZE off;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)full, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
    free(full);
    if (!c && msg) {
        PCRE2_UCHAR buf[128];
        pcre2_get_error_message(code, buf, sizeof buf);
        snprintf(msg, msglen, "bad regular expression \"%s\": %s", re, (const char *)buf);
    }
    return c;
}

int policy_config_add(struct policy_config *c, const char *group_re, const char *rule_re,
                      const struct policy_patch *patch, char *msg, size_t msglen)
{
    const char *res[2] = {group_re, rule_re};
    for (int i = 0; i < 2; i++) {
        if (!res[i])
            continue;
        pcre2_code *code = compile_anchored(res[i], msg, msglen);
        if (!code)
            return -1;
        pcre2_code_free(code);
    }
    XGROW(c->entries, c->cap, c->nentries + 1);
    struct policy_entry *e = &c->entries[c->nentries++];
    e->group_re = group_re ? xstrdup(group_re) : NULL;
    e->rule_re = rule_re ? xstrdup(rule_re) : NULL;
    e->patch = *patch;
    return 0;
}

static bool full_match(const char *re, const char *s)
{
    if (!re)
        return true;
    pcre2_code *c = compile_anchored(re, NULL, 0);
    if (!c)
        return false;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(c, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(c);
    return rc >= 0;
}

/* Applies the directives above line; bad ones become diags. */
static int apply_directives(const struct rulefile *rf, uint32_t line, struct policy *pol,
                            struct diag_list *dl)
{
    struct rulefile_directive d[16];
    size_t n = rulefile_directives_above(rf, line, d, 16);
    if (n > 16)
        n = 16;
    int rc = 0;
    struct policy_patch patch;
    memset(&patch, 0, sizeof patch);
    for (size_t i = 0; i < n; i++) {
        size_t at = 0;
        char msg[256];
        if (policy_patch_parse(d[i].text, d[i].len, &patch, &at, msg, sizeof msg) < 0) {
            uint32_t off = (uint32_t)(d[i].text - rf->src + at);
            struct span sp = {off, off + 1};
            diag_add(dl, DIAG_SEMANTIC, sp, rf->path, "%s", msg);
            rc = -1;
        }
    }
    if (rc == 0 && patch.set)
        policy_apply(pol, &patch);
    return rc;
}

int policy_resolve(const struct policy_config *c, const struct rulefile *rf,
                   const struct rule_group *g, const struct rule *r, struct policy *out,
                   struct diag_list *dl)
{
    *out = policy_profile(c->profile);
    /* under the compat profile global keys are ignored: compat is Prometheus exactly */
    if (c->defaults.set && !(out->compat && !(c->defaults.set & POLICY_SET_PROFILE)))
        policy_apply(out, &c->defaults);
    for (size_t i = 0; i < c->nentries; i++) {
        const struct policy_entry *e = &c->entries[i];
        if (full_match(e->group_re, g->name) && (!r || full_match(e->rule_re, r->name)))
            policy_apply(out, &e->patch);
    }
    int rc = 0;
    if (rf && apply_directives(rf, g->line, out, dl) < 0)
        rc = -1;
    if (rf && r && apply_directives(rf, r->line, out, dl) < 0)
        rc = -1;
    return rc;
}

int64_t policy_max_unchanged(const struct policy *p, const char *metric)
{
    if (metric)
        for (size_t i = 0; i < p->nper_metric; i++)
            if (strcmp(p->per_metric[i].metric, metric) == 0)
                return p->per_metric[i].ms;
    return p->max_unchanged_ms;
}

int64_t policy_widest_unchanged(const struct policy *p)
{
    int64_t w = p->max_unchanged_ms;
    for (size_t i = 0; i < p->nper_metric; i++)
        if (p->per_metric[i].ms > w)
            w = p->per_metric[i].ms;
    return w;
}

enum fresh_class policy_classify(void *ctx, const struct labels *ls, const struct fresh_figures *f)
{
    const struct policy *p = ctx;
    int64_t max_age = p->max_age_ms;
    if (max_age == 0) {
        max_age = POLICY_AUTO_FACTOR * f->cadence_ms;
        if (max_age < POLICY_AUTO_MIN_MS)
            max_age = POLICY_AUTO_MIN_MS;
    }
    if (f->age_ms > max_age)
        return FRESH_CLASS_LATE;
    int64_t mu = policy_max_unchanged(p, p->nper_metric ? labels_get(ls, LABELS_METRIC_NAME) : NULL);
    if (mu > 0 && f->unchanged_ms > mu)
        return FRESH_CLASS_FROZEN;
    return FRESH_CLASS_FRESH;
}

void policy_hook(const struct policy *p, int64_t lookback_ms, struct fresh_hook *h)
{
    h->classify = policy_classify;
    h->ctx = (void *)p;
    /* a flat window must reach past max_unchanged by more than a scrape gap
     * for a frozen series to show unchanged_for > max_unchanged */
    int64_t need = policy_widest_unchanged(p);
    int64_t extra = need > 0 ? need + POLICY_AUTO_MIN_MS - lookback_ms : 0;
    h->extra_window_ms = extra > 0 ? extra : 0;
    /* max_age auto is never below POLICY_AUTO_MIN_MS, so younger inputs are
     * not late whatever their cadence: the engine skips classify for them
     * unless a max_unchanged may still call them frozen */
    h->sure_age_ms = p->max_age_ms > 0 ? p->max_age_ms : POLICY_AUTO_MIN_MS;
    h->needs_unchanged = need > 0;
}
