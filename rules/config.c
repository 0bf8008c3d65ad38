/* config: strict decoding of heed's configuration file (see config.h).
 * Each section is a table of known keys: decode_map() checks the node is a
 * mapping, reports unknown and duplicate keys and hands back the value node
 * of each known key; the section's code then converts those values. Every
 * problem is collected (not just the first), so one run shows them all. */
#include "rules/config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "rules/rulefile.h"
#include "rules/schedule.h"
#include "rules/ynode.h"

struct cdec {
    struct config *cfg;
    struct diag_list *diags;
    int errors; /* problems reported */
};

static void fail_at(struct cdec *d, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_at(struct cdec *d, const struct ynode *n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint32_t off = n ? n->offset : 0;
    diag_add(d->diags, DIAG_SEMANTIC, (struct span){off, off}, d->cfg->path, "%s", msg);
    d->errors++;
}

static const char *kind_name(const struct ynode *n)
{
    switch (n->kind) {
    case YNODE_SEQ: return "a sequence";
    case YNODE_MAP: return "a mapping";
    default: return "a scalar";
    }
}

static bool is_null(const struct ynode *n)
{
    return !n || (n->kind == YNODE_SCALAR && n->tag && !strcmp(n->tag, "!!null"));
}

/* Checks node is a mapping whose keys are among keys[0..nkeys); vals[i] gets
 * the value of keys[i] (NULL when absent or null). where names the section
 * in messages. Returns 0, or -1 when node is not a mapping. */
static int decode_map(struct cdec *d, const struct ynode *node, const char *where,
                      const char *const *keys, size_t nkeys, const struct ynode **vals)
{
    for (size_t i = 0; i < nkeys; i++)
        vals[i] = NULL;
    node = ynode_deref(node);
    if (is_null(node))
        return 0;
    if (node->kind != YNODE_MAP) {
        fail_at(d, node, "%s: expected a mapping, got %s", where, kind_name(node));
        return -1;
    }
    bool seen[64] = {0};
    for (size_t i = 0; i < node->n; i++) {
        const struct ynode *k = ynode_deref(node->items[2 * i]);
        const struct ynode *v = ynode_deref(node->items[2 * i + 1]);
        if (k->kind != YNODE_SCALAR) {
            fail_at(d, k, "%s: keys must be strings", where);
            continue;
        }
        size_t j = 0;
        while (j < nkeys && strcmp(keys[j], k->value) != 0)
            j++;
        if (j == nkeys) {
            fail_at(d, k, "%s: unknown field \"%s\"", where, k->value);
            continue;
        }
        if (seen[j]) {
            fail_at(d, k, "%s: field \"%s\" given twice", where, k->value);
            continue;
        }
        seen[j] = true;
        vals[j] = is_null(v) ? NULL : v;
    }
    return 0;
}

static const char *get_string(struct cdec *d, const struct ynode *n, const char *where)
{
    if (!n)
        return NULL;
    if (n->kind != YNODE_SCALAR) {
        fail_at(d, n, "%s: expected a string, got %s", where, kind_name(n));
        return NULL;
    }
    if (memchr(n->value, '\0', n->len)) {
        fail_at(d, n, "%s: a NUL byte is not allowed", where);
        return NULL;
    }
    return arena_strndup(&d->cfg->arena, n->value, n->len);
}

/* A string that must not be empty when given. */
static const char *get_nonempty(struct cdec *d, const struct ynode *n, const char *where)
{
    const char *s = get_string(d, n, where);
    if (s && !*s) {
        fail_at(d, n, "%s: must not be empty", where);
        return NULL;
    }
    return s;
}

static void get_bool(struct cdec *d, const struct ynode *n, const char *where, bool *out)
{
    if (!n)
        return;
    if (n->kind != YNODE_SCALAR || !n->tag || strcmp(n->tag, "!!bool") != 0) {
        fail_at(d, n, "%s: expected true or false, got %s%s%s", where,
                n->kind == YNODE_SCALAR ? "\"" : "", n->kind == YNODE_SCALAR ? n->value : kind_name(n),
                n->kind == YNODE_SCALAR ? "\"" : "");
        return;
    }
    *out = n->value[0] == 't' || n->value[0] == 'T'; /* yaml.v3 bools: true/false in any case */
}

/* A Prometheus duration ("1m30s"); positive unless zero_ok. */
static void get_duration(struct cdec *d, const struct ynode *n, const char *where, bool zero_ok,
                         int64_t *out)
{
    if (!n)
        return;
    if (n->kind != YNODE_SCALAR) {
        fail_at(d, n, "%s: expected a duration, got %s", where, kind_name(n));
        return;
    }
    char err[256];
    int64_t ms;
    if (rulefile_parse_duration(n->value, n->len, &ms, err, sizeof err) < 0) {
        fail_at(d, n, "%s: %s", where, err);
        return;
    }
    if (ms == 0 && !zero_ok) {
        fail_at(d, n, "%s: must be greater than 0", where);
        return;
    }
    *out = ms;
}

static void get_int(struct cdec *d, const struct ynode *n, const char *where, int64_t *out)
{
    if (!n)
        return;
    char *end = NULL;
    errno = 0;
    long long v = n->kind == YNODE_SCALAR ? strtoll(n->value, &end, 10) : 0;
    if (n->kind != YNODE_SCALAR || !n->tag || strcmp(n->tag, "!!int") != 0 || errno || !end || *end) {
        fail_at(d, n, "%s: expected an integer, got %s%s%s", where,
                n->kind == YNODE_SCALAR ? "\"" : "", n->kind == YNODE_SCALAR ? n->value : kind_name(n),
                n->kind == YNODE_SCALAR ? "\"" : "");
        return;
    }
    if (v <= 0) {
        fail_at(d, n, "%s: must be greater than 0", where);
        return;
    }
    *out = v;
}

/* http(s)://host[:port][/path]: no userinfo (credentials go in files), no
 * query or fragment, a port that is a number. */
static const char *get_url(struct cdec *d, const struct ynode *n, const char *where)
{
    const char *s = get_nonempty(d, n, where);
    if (!s)
        return NULL;
    const char *p = NULL;
    if (!strncmp(s, "http://", 7))
        p = s + 7;
    else if (!strncmp(s, "https://", 8))
        p = s + 8;
    if (!p) {
        fail_at(d, n, "%s: invalid URL \"%s\": the scheme must be http or https", where, s);
        return NULL;
    }
    size_t hostlen = strcspn(p, "/?#");
    const char *at = memchr(p, '@', hostlen);
    if (at) {
        /* never echo what may be a password */
        fail_at(d, n, "%s: invalid URL: credentials in the URL are not allowed (use basic_auth)", where);
        return NULL;
    }
    if (strpbrk(s, "?#")) {
        fail_at(d, n, "%s: invalid URL \"%s\": no query or fragment allowed", where, s);
        return NULL;
    }
    if (strpbrk(s, " \t\r\n")) {
        fail_at(d, n, "%s: invalid URL \"%s\": contains white space", where, s);
        return NULL;
    }
    const char *colon = NULL;
    if (hostlen && p[0] == '[') {
        const char *close = memchr(p, ']', hostlen);
        if (!close) {
            fail_at(d, n, "%s: invalid URL \"%s\": unclosed '[' in host", where, s);
            return NULL;
        }
        if (close + 1 < p + hostlen)
            colon = close + 1;
    } else {
        colon = memchr(p, ':', hostlen);
    }
    size_t namelen = colon ? (size_t)(colon - p) : hostlen;
    if (namelen == 0) {
        fail_at(d, n, "%s: invalid URL \"%s\": no host", where, s);
        return NULL;
    }
    if (colon) {
        const char *q = colon + 1;
        const char *e = p + hostlen;
        long port = 0;
        bool ok = *colon == ':' && q < e;
        for (; ok && q < e; q++) {
            ok = *q >= '0' && *q <= '9';
            port = port * 10 + (*q - '0');
            ok = ok && port <= 65535;
        }
        if (!ok) {
            fail_at(d, n, "%s: invalid URL \"%s\": bad port", where, s);
            return NULL;
        }
    }
    return s;
}

/* host:port, as Go's net.SplitHostPort takes it (host may be empty or [v6]). */
static const char *get_listen_address(struct cdec *d, const struct ynode *n, const char *where)
{
    const char *s = get_nonempty(d, n, where);
    if (!s)
        return NULL;
    const char *colon = strrchr(s, ':');
    bool ok = colon && colon[1];
    if (ok && s[0] == '[')
        ok = colon > s && colon[-1] == ']';
    else if (ok)
        ok = memchr(s, ':', (size_t)(colon - s)) == NULL;
    long port = 0;
    for (const char *q = colon ? colon + 1 : s; ok && *q; q++) {
        ok = *q >= '0' && *q <= '9';
        port = port * 10 + (*q - '0');
        ok = ok && port <= 65535;
    }
    if (!ok) {
        fail_at(d, n, "%s: invalid address \"%s\": expected host:port", where, s);
        return NULL;
    }
    return s;
}

static int pair_cmp(const void *a, const void *b)
{
    return strcmp(((const struct config_pair *)a)->name, ((const struct config_pair *)b)->name);
}

/* A mapping of string to string. check, when set, validates each pair. */
static struct config_pair *get_pairs(struct cdec *d, const struct ynode *n, const char *where, size_t *np,
                                     bool (*check)(struct cdec *, const struct ynode *, const struct ynode *,
                                                   const char *))
{
    *np = 0;
    if (!n)
        return NULL;
    if (n->kind != YNODE_MAP) {
        fail_at(d, n, "%s: expected a mapping, got %s", where, kind_name(n));
        return NULL;
    }
    struct config_pair *out = ARENA_NEWN(&d->cfg->arena, struct config_pair, n->n ? n->n : 1);
    size_t m = 0;
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *k = ynode_deref(n->items[2 * i]);
        const struct ynode *v = ynode_deref(n->items[2 * i + 1]);
        const char *name = get_nonempty(d, k, where);
        const char *value = is_null(v) ? "" : get_string(d, v, where);
        if (!name || !value)
            continue;
        bool dup = false;
        for (size_t j = 0; j < m && !dup; j++)
            dup = !strcmp(out[j].name, name);
        if (dup) {
            fail_at(d, k, "%s: \"%s\" given twice", where, name);
            continue;
        }
        if (check && !check(d, k, v, where))
            continue;
        out[m++] = (struct config_pair){name, value};
    }
    qsort(out, m, sizeof *out, pair_cmp);
    *np = m;
    return out;
}

static bool check_label(struct cdec *d, const struct ynode *k, const struct ynode *v, const char *where)
{
    (void)v;
    const char *s = k->value;
    bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_';
    for (const char *q = s; ok && *q; q++)
        ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' || (*q >= '0' && *q <= '9');
    if (!ok)
        fail_at(d, k, "%s: invalid label name \"%s\"", where, s);
    else if (!strncmp(s, "__", 2))
        fail_at(d, k, "%s: label name \"%s\" is reserved", where, s);
    return ok && strncmp(s, "__", 2) != 0;
}

static bool check_header(struct cdec *d, const struct ynode *k, const struct ynode *v, const char *where)
{
    static const char *const reserved[] = {"authorization", "content-type", "content-length", "host",
                                           "user-agent", "content-encoding"};
    bool ok = true;
    for (const char *q = k->value; ok && *q; q++)
        ok = *q > ' ' && *q < 127 && !strchr("()<>@,;:\\\"/[]?={}", *q);
    if (!ok) {
        fail_at(d, k, "%s: invalid header name \"%s\"", where, k->value);
        return false;
    }
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        if (!strcasecmp(k->value, reserved[i])) {
            fail_at(d, k, "%s: header \"%s\" is set by heed and cannot be configured", where, k->value);
            return false;
        }
    }
    if (v && v->kind == YNODE_SCALAR && strpbrk(v->value, "\r\n")) {
        fail_at(d, v, "%s: the value of header \"%s\" contains a line break", where, k->value);
        return false;
    }
    return true;
}

/* A bcrypt hash as Go's golang.org/x/crypto/bcrypt writes it:
 * $2a$ (or $2b$, $2y$), a two-digit cost 04..31, '$', 53 characters. */
static bool check_bcrypt(struct cdec *d, const struct ynode *k, const struct ynode *v, const char *where)
{
    const char *h = v && v->kind == YNODE_SCALAR ? v->value : "";
    size_t len = strlen(h);
    bool ok = len == 60 && h[0] == '$' && h[1] == '2' && strchr("aby", h[2]) && h[3] == '$' &&
              h[4] >= '0' && h[4] <= '3' && h[5] >= '0' && h[5] <= '9' && h[6] == '$';
    int cost = ok ? (h[4] - '0') * 10 + (h[5] - '0') : 0;
    for (size_t i = 7; ok && i < len; i++)
        ok = (h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
             h[i] == '.' || h[i] == '/';
    if (!ok || cost < 4 || cost > 31) {
        /* the hash is not printed: it is a secret of sorts */
        fail_at(d, v ? v : k, "%s: the password of user \"%s\" is not a bcrypt hash", where, k->value);
        return false;
    }
    return true;
}

static void decode_tls(struct cdec *d, const struct ynode *n, const char *where, struct config_tls *t)
{
    static const char *const keys[] = {"ca_file", "cert_file", "key_file", "server_name",
                                       "insecure_skip_verify"};
    const struct ynode *v[5];
    char w[160];
    snprintf(w, sizeof w, "%s.tls", where);
    if (decode_map(d, n, w, keys, 5, v) < 0)
        return;
    t->ca_file = get_nonempty(d, v[0], w);
    t->cert_file = get_nonempty(d, v[1], w);
    t->key_file = get_nonempty(d, v[2], w);
    t->server_name = get_nonempty(d, v[3], w);
    get_bool(d, v[4], w, &t->insecure_skip_verify);
    if (!t->cert_file != !t->key_file)
        fail_at(d, ynode_deref(n), "%s: cert_file and key_file must be given together", w);
}

/* url, basic_auth, bearer_token_file, tls, headers, timeout: shared by the
 * datasource, Alertmanagers and remote write. */
static void decode_http(struct cdec *d, const struct ynode *n, const char *where, struct config_http *h,
                        int64_t default_timeout_ms)
{
    static const char *const keys[] = {"url", "basic_auth", "bearer_token_file", "tls", "headers",
                                       "timeout", "bearer_token", "password"};
    const struct ynode *v[8];
    h->timeout_ms = default_timeout_ms;
    if (decode_map(d, n, where, keys, 8, v) < 0)
        return;
    n = ynode_deref(n);
    if (is_null(n) || !v[0])
        fail_at(d, n, "%s: url is required", where);
    h->url = get_url(d, v[0], where);
    if (v[1]) {
        static const char *const bkeys[] = {"username", "password_file", "password"};
        const struct ynode *b[3];
        char w[160];
        snprintf(w, sizeof w, "%s.basic_auth", where);
        if (decode_map(d, v[1], w, bkeys, 3, b) == 0) {
            h->basic_auth_username = get_nonempty(d, b[0], w);
            h->basic_auth_password_file = get_nonempty(d, b[1], w);
            if (b[2])
                fail_at(d, b[2], "%s: secrets are given only as files: use password_file", w);
            if (!b[0])
                fail_at(d, ynode_deref(v[1]), "%s: username is required", w);
        }
    }
    h->bearer_token_file = get_nonempty(d, v[2], where);
    if (v[6])
        fail_at(d, v[6], "%s: secrets are given only as files: use bearer_token_file", where);
    if (v[7])
        fail_at(d, v[7], "%s: secrets are given only as files: use basic_auth.password_file", where);
    if (v[1] && v[2])
        fail_at(d, v[2], "%s: basic_auth and bearer_token_file are mutually exclusive", where);
    decode_tls(d, v[3], where, &h->tls);
    if (v[4]) {
        char w[160];
        snprintf(w, sizeof w, "%s.headers", where);
        size_t np;
        struct config_pair *p = get_pairs(d, v[4], w, &np, check_header);
        h->headers = ARENA_NEWN(&d->cfg->arena, const char *, np ? np : 1);
        for (size_t i = 0; i < np; i++)
            h->headers[i] = arena_printf(&d->cfg->arena, "%s: %s", p[i].name, p[i].value);
        h->nheaders = np;
    }
    get_duration(d, v[5], where, false, &h->timeout_ms);
}

/* ---- freshness ---- */

static void *compile_regex(struct cdec *d, const struct ynode *n, const char *where, const char **text)
{
    *text = get_string(d, n, where);
    if (!*text)
        return NULL;
    int code;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)*text, PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF,
                                   &code, &at, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        fail_at(d, n, "%s: invalid regex \"%s\": %s at offset %zu", where, *text, (const char *)msg, (size_t)at);
        *text = NULL;
        return NULL;
    }
    arena_on_release(&d->cfg->arena, (void (*)(void *))pcre2_code_free, re);
    return re;
}

/* The policy keys; starts at keys[first] in a section's key table. */
static void decode_policy(struct cdec *d, const struct ynode *const *v, const char *where,
                          struct config_freshness *p)
{
    if (v[0]) {
        p->has_max_age = true;
        if (v[0]->kind == YNODE_SCALAR && !strcmp(v[0]->value, "auto"))
            p->max_age_auto = true;
        else
            get_duration(d, v[0], where, false, &p->max_age_ms);
    }
    if (v[1]) {
        p->has_max_unchanged = true;
        get_duration(d, v[1], where, true, &p->max_unchanged_ms);
    }
    if (v[2]) {
        const char *s = get_string(d, v[2], where);
        p->has_on_stale = s != NULL;
        if (s && !strcmp(s, "hold"))
            p->on_stale = CONFIG_ON_STALE_HOLD;
        else if (s && !strcmp(s, "fire"))
            p->on_stale = CONFIG_ON_STALE_FIRE;
        else if (s && !strcmp(s, "resolve"))
            p->on_stale = CONFIG_ON_STALE_RESOLVE;
        else if (s)
            fail_at(d, v[2], "%s: on_stale must be hold, fire or resolve, not \"%s\"", where, s);
    }
    if (v[3]) {
        const char *s = get_string(d, v[3], where);
        p->has_on_missing = s != NULL;
        if (s && !strcmp(s, "hold"))
            p->on_missing = CONFIG_ON_MISSING_HOLD;
        else if (s && !strcmp(s, "resolve"))
            p->on_missing = CONFIG_ON_MISSING_RESOLVE;
        else if (s)
            fail_at(d, v[3], "%s: on_missing must be hold or resolve, not \"%s\"", where, s);
    }
    if (v[4]) {
        p->has_max_hold = true;
        get_duration(d, v[4], where, true, &p->max_hold_ms);
    }
}

static void decode_freshness(struct cdec *d, const struct ynode *n)
{
    static const char *const keys[] = {"profile", "defaults", "rules", "shadow"};
    static const char *const pkeys[] = {"max_age", "max_unchanged", "on_stale", "on_missing", "max_hold"};
    static const char *const rkeys[] = {"max_age", "max_unchanged", "on_stale", "on_missing", "max_hold",
                                        "group", "alert", "record"};
    const struct ynode *v[4];
    struct config *cfg = d->cfg;
    if (decode_map(d, n, "freshness", keys, 4, v) < 0)
        return;
    get_bool(d, v[3], "freshness.shadow", &cfg->shadow);
    const char *profile = get_string(d, v[0], "freshness.profile");
    if (profile && !strcmp(profile, "compat"))
        cfg->profile = CONFIG_PROFILE_COMPAT;
    else if (profile && strcmp(profile, "default") != 0)
        fail_at(d, v[0], "freshness.profile: must be default or compat, not \"%s\"", profile);
    const struct ynode *pv[5];
    if (decode_map(d, v[1], "freshness.defaults", pkeys, 5, pv) == 0)
        decode_policy(d, pv, "freshness.defaults", &cfg->freshness);
    cfg->freshness_given = cfg->freshness;
    if (!v[2])
        return;
    if (v[2]->kind != YNODE_SEQ) {
        fail_at(d, v[2], "freshness.rules: expected a sequence, got %s", kind_name(v[2]));
        return;
    }
    cfg->fresh_rules = ARENA_NEWN(&cfg->arena, struct config_freshness_rule, v[2]->n ? v[2]->n : 1);
    for (size_t i = 0; i < v[2]->n; i++) {
        char w[64];
        snprintf(w, sizeof w, "freshness.rules[%zu]", i);
        const struct ynode *item = ynode_deref(v[2]->items[i]);
        const struct ynode *rv[8];
        if (is_null(item)) {
            fail_at(d, item, "%s: expected a mapping, got null", w);
            continue;
        }
        if (decode_map(d, item, w, rkeys, 8, rv) < 0)
            continue;
        struct config_freshness_rule *r = &cfg->fresh_rules[cfg->nfresh_rules++];
        decode_policy(d, rv, w, &r->p);
        if (rv[5])
            r->group_re = compile_regex(d, rv[5], w, &r->group);
        if (rv[6])
            r->alert_re = compile_regex(d, rv[6], w, &r->alert);
        if (rv[7])
            r->record_re = compile_regex(d, rv[7], w, &r->record);
        if (rv[6] && rv[7])
            fail_at(d, rv[7], "%s: alert and record are mutually exclusive", w);
        if (!rv[5] && !rv[6] && !rv[7])
            fail_at(d, item, "%s: one of group, alert or record is required", w);
    }
}

static void decode_self_monitoring(struct cdec *d, const struct ynode *n)
{
    static const char *const keys[] = {"watchdog", "inputs_stale", "datasource_failing", "evaluation_lagging",
                                       "notifier_failing"};
    static const char *const ekeys[] = {"enabled"};
    struct config_self_monitoring *sm = &d->cfg->self_monitoring;
    bool *out[] = {&sm->watchdog, &sm->inputs_stale, &sm->datasource_failing, &sm->evaluation_lagging,
                   &sm->notifier_failing};
    const struct ynode *v[5];
    if (decode_map(d, n, "self_monitoring", keys, 5, v) < 0)
        return;
    for (size_t i = 0; i < 5; i++) {
        char w[64];
        snprintf(w, sizeof w, "self_monitoring.%s", keys[i]);
        if (v[i] && v[i]->kind == YNODE_MAP) { /* {enabled: false} */
            const struct ynode *e[1];
            if (decode_map(d, v[i], w, ekeys, 1, e) == 0)
                get_bool(d, e[0], w, out[i]);
        } else {
            get_bool(d, v[i], w, out[i]); /* or just: false */
        }
    }
}

static void decode_web(struct cdec *d, const struct ynode *n)
{
    static const char *const keys[] = {"listen_address", "tls", "basic_auth_users"};
    static const char *const tkeys[] = {"cert_file", "key_file", "client_ca_file"};
    struct config_web *w = &d->cfg->web;
    const struct ynode *v[3];
    if (decode_map(d, n, "web", keys, 3, v) < 0)
        return;
    if (v[0])
        w->listen_address = get_listen_address(d, v[0], "web.listen_address");
    const struct ynode *t[3];
    if (v[1] && decode_map(d, v[1], "web.tls", tkeys, 3, t) == 0) {
        w->has_tls = true;
        w->tls_cert_file = get_nonempty(d, t[0], "web.tls");
        w->tls_key_file = get_nonempty(d, t[1], "web.tls");
        w->tls_client_ca_file = get_nonempty(d, t[2], "web.tls");
        if (!t[0] || !t[1])
            fail_at(d, ynode_deref(v[1]), "web.tls: cert_file and key_file are required");
    }
    w->users = get_pairs(d, v[2], "web.basic_auth_users", &w->nusers, check_bcrypt);
}

static const char *dir_of(struct arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    if (slash == path)
        return "/";
    return arena_strndup(a, path, (size_t)(slash - path));
}

static void decode_top(struct cdec *d, const struct ynode *root)
{
    static const char *const keys[] = {
        /* ORDER top_keys: the indexes below follow this table */
        "datasource", "alertmanagers", "rule_files", "evaluation_interval", "query_offset",
        "external_labels", "external_url", "state_dir", "remote_write", "web",
        "freshness", "resend_delay", "for_grace_period", "for_outage_tolerance", "lookback_delta",
        "query_timeout", "max_samples", "self_monitoring", "group_phase", "incremental_fetch",
        "refetch_overlap", "evaluation_workers",
    };
    enum { NKEYS = sizeof keys / sizeof keys[0] };
    const struct ynode *v[NKEYS];
    struct config *cfg = d->cfg;
    if (decode_map(d, root, "configuration", keys, NKEYS, v) < 0)
        return;
    if (!v[0])
        fail_at(d, root, "datasource: required (its url at least)");
    else
        decode_http(d, v[0], "datasource", &cfg->datasource, CONFIG_DEFAULT_DATASOURCE_TIMEOUT_MS);
    if (v[1] && v[1]->kind != YNODE_SEQ) {
        fail_at(d, v[1], "alertmanagers: expected a sequence, got %s", kind_name(v[1]));
    } else if (v[1]) {
        cfg->alertmanagers = ARENA_NEWN(&cfg->arena, struct config_http, v[1]->n ? v[1]->n : 1);
        cfg->nalertmanagers = v[1]->n;
        for (size_t i = 0; i < v[1]->n; i++) {
            char w[64];
            snprintf(w, sizeof w, "alertmanagers[%zu]", i);
            decode_http(d, v[1]->items[i], w, &cfg->alertmanagers[i], CONFIG_DEFAULT_HTTP_TIMEOUT_MS);
        }
    }
    if (v[2] && v[2]->kind != YNODE_SEQ) {
        fail_at(d, v[2], "rule_files: expected a sequence, got %s", kind_name(v[2]));
    } else if (v[2]) {
        cfg->rule_files = ARENA_NEWN(&cfg->arena, const char *, v[2]->n ? v[2]->n : 1);
        for (size_t i = 0; i < v[2]->n; i++) {
            const char *p = get_nonempty(d, ynode_deref(v[2]->items[i]), "rule_files");
            if (!p)
                continue;
            cfg->rule_files[cfg->nrule_files++] =
                p[0] == '/' || !strcmp(cfg->dir, ".") ? p : arena_printf(&cfg->arena, "%s/%s", cfg->dir, p);
        }
    }
    get_duration(d, v[3], "evaluation_interval", false, &cfg->evaluation_interval_ms);
    get_duration(d, v[4], "query_offset", true, &cfg->query_offset_ms);
    cfg->external_labels = get_pairs(d, v[5], "external_labels", &cfg->nexternal_labels, check_label);
    if (v[6]) {
        cfg->external_url = get_url(d, v[6], "external_url");
        /* "/graph?..." is appended: a trailing slash would double it */
        if (cfg->external_url) {
            size_t len = strlen(cfg->external_url);
            while (len > 0 && cfg->external_url[len - 1] == '/')
                len--;
            cfg->external_url = arena_strndup(&cfg->arena, cfg->external_url, len);
        }
    }
    cfg->state_dir = get_nonempty(d, v[7], "state_dir");
    if (v[8]) {
        cfg->has_remote_write = true;
        decode_http(d, v[8], "remote_write", &cfg->remote_write, 30 * 1000);
    }
    decode_web(d, v[9]);
    decode_freshness(d, v[10]);
    get_duration(d, v[11], "resend_delay", true, &cfg->resend_delay_ms);
    get_duration(d, v[12], "for_grace_period", true, &cfg->for_grace_period_ms);
    get_duration(d, v[13], "for_outage_tolerance", true, &cfg->for_outage_tolerance_ms);
    get_duration(d, v[14], "lookback_delta", false, &cfg->lookback_delta_ms);
    get_duration(d, v[15], "query_timeout", false, &cfg->query_timeout_ms);
    get_int(d, v[16], "max_samples", &cfg->max_samples);
    decode_self_monitoring(d, v[17]);
    const char *phase = get_string(d, v[18], "group_phase");
    if (phase && !strcmp(phase, "prometheus2"))
        cfg->group_phase = SCHEDULE_HASH_SLICELABELS;
    else if (phase && strcmp(phase, "prometheus3") != 0)
        fail_at(d, v[18], "group_phase: must be prometheus3 or prometheus2, not \"%s\"", phase);
    get_bool(d, v[19], "incremental_fetch", &cfg->incremental_fetch);
    get_duration(d, v[20], "refetch_overlap", true, &cfg->refetch_overlap_ms);
    get_int(d, v[21], "evaluation_workers", &cfg->evaluation_workers);
    if (v[21] && (cfg->evaluation_workers < 1 || cfg->evaluation_workers > 1024))
        fail_at(d, v[21], "evaluation_workers: must be between 1 and 1024, not %lld",
                (long long)cfg->evaluation_workers);
}

static void set_defaults(struct config *cfg)
{
    cfg->evaluation_interval_ms = CONFIG_DEFAULT_EVALUATION_INTERVAL_MS;
    cfg->resend_delay_ms = CONFIG_DEFAULT_RESEND_DELAY_MS;
    cfg->for_grace_period_ms = CONFIG_DEFAULT_FOR_GRACE_PERIOD_MS;
    cfg->for_outage_tolerance_ms = CONFIG_DEFAULT_FOR_OUTAGE_TOLERANCE_MS;
    cfg->lookback_delta_ms = CONFIG_DEFAULT_LOOKBACK_DELTA_MS;
    cfg->query_timeout_ms = CONFIG_DEFAULT_QUERY_TIMEOUT_MS;
    cfg->max_samples = CONFIG_DEFAULT_MAX_SAMPLES;
    cfg->web.listen_address = CONFIG_DEFAULT_LISTEN_ADDRESS;
    cfg->self_monitoring = (struct config_self_monitoring){true, true, true, true, true};
    cfg->incremental_fetch = true;
    cfg->refetch_overlap_ms = CONFIG_DEFAULT_REFETCH_OVERLAP_MS;
    cfg->evaluation_workers = CONFIG_DEFAULT_EVALUATION_WORKERS;
}

/* Keys a policy leaves out take heed's defaults: auto max_age, hold. */
static void fill_freshness_defaults(struct config_freshness *p)
{
    if (!p->has_max_age) {
        p->has_max_age = true;
        p->max_age_auto = true;
    }
    p->has_max_unchanged = p->has_on_stale = p->has_on_missing = p->has_max_hold = true;
}

int config_parse(struct config *cfg, const char *path, const char *src, size_t len, struct diag_list *diags)
{
    memset(cfg, 0, sizeof *cfg);
    arena_init(&cfg->arena, 4096);
    cfg->path = arena_strdup(&cfg->arena, path);
    cfg->dir = dir_of(&cfg->arena, cfg->path);
    cfg->src = arena_strndup(&cfg->arena, src, len);
    cfg->srclen = len;
    set_defaults(cfg);
    struct cdec d = {cfg, diags, 0};
    struct ynode_doc doc;
    struct ynode_error yerr;
    struct ynode_limits lim = {.max_depth = 100, .max_nodes = 1000000, .max_bytes = 16u << 20};
    if (ynode_parse(cfg->src, len, &cfg->arena, &lim, &doc, &yerr) < 0) {
        struct ynode at = {.offset = 0};
        /* yerr's line/col are exact; turn them into an offset for the renderer */
        uint32_t line = 1, off = 0;
        while (off < len && line < yerr.line)
            if (cfg->src[off++] == '\n')
                line++;
        at.offset = off + (yerr.col > 0 ? yerr.col - 1 : 0);
        if (at.offset > len)
            at.offset = (uint32_t)len;
        fail_at(&d, &at, "%s", yerr.msg);
        return -1;
    }
    if (!doc.root) {
        fail_at(&d, NULL, "empty configuration: datasource is required");
        return -1;
    }
    decode_top(&d, ynode_deref(doc.root));
    fill_freshness_defaults(&cfg->freshness);
    return d.errors ? -1 : 0;
}

int config_load(struct config *cfg, const char *path, struct diag_list *diags)
{
    struct strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, path) < 0) {
        int e = errno;
        memset(cfg, 0, sizeof *cfg);
        arena_init(&cfg->arena, 1024);
        cfg->path = arena_strdup(&cfg->arena, path);
        cfg->src = "";
        diag_add(diags, DIAG_IO, (struct span){0, 0}, cfg->path, "cannot read the configuration: %s",
                 strerror(e));
        strbuf_release(&sb);
        return -1;
    }
    int rc = config_parse(cfg, path, sb.buf, sb.len, diags);
    strbuf_release(&sb);
    return rc;
}

void config_release(struct config *cfg)
{
    arena_release(&cfg->arena);
    memset(cfg, 0, sizeof *cfg);
}

static bool re_match(void *re, const char *s)
{
    if (!re)
        return true;
    if (!s)
        return false;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

void config_freshness_for(const struct config *cfg, const char *group, const char *alert, const char *record,
                          struct config_freshness *out)
{
    *out = cfg->freshness;
    for (size_t i = 0; i < cfg->nfresh_rules; i++) {
        const struct config_freshness_rule *r = &cfg->fresh_rules[i];
        if (!re_match(r->group_re, group) || !re_match(r->alert_re, alert) || !re_match(r->record_re, record))
            continue;
        const struct config_freshness *p = &r->p;
        if (p->has_max_age) {
            out->max_age_auto = p->max_age_auto;
            out->max_age_ms = p->max_age_ms;
        }
        if (p->has_max_unchanged)
            out->max_unchanged_ms = p->max_unchanged_ms;
        if (p->has_on_stale)
            out->on_stale = p->on_stale;
        if (p->has_on_missing)
            out->on_missing = p->on_missing;
        if (p->has_max_hold)
            out->max_hold_ms = p->max_hold_ms;
    }
}
