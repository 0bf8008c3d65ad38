/* relabel: see relabel.h. Semantics follow Prometheus's model/relabel. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "compat/relabel.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/md5.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "base/xalloc.h"

static const char *const action_names[] = {
    [RELABEL_REPLACE] = "replace",     [RELABEL_KEEP] = "keep",
    [RELABEL_DROP] = "drop",           [RELABEL_KEEPEQUAL] = "keepequal",
    [RELABEL_DROPEQUAL] = "dropequal", [RELABEL_HASHMOD] = "hashmod",
    [RELABEL_LABELMAP] = "labelmap",   [RELABEL_LABELDROP] = "labeldrop",
    [RELABEL_LABELKEEP] = "labelkeep", [RELABEL_LOWERCASE] = "lowercase",
    [RELABEL_UPPERCASE] = "uppercase",
};

#define DEFAULT_SEPARATOR ";"
#define DEFAULT_REGEX "(.*)"
#define DEFAULT_REPLACEMENT "$1"

/* Label names are any non-empty UTF-8 (Prometheus 3's default scheme). */
static bool valid_name(const char *s)
{
    return *s && utf8_valid(s, strlen(s));
}

static void quote(struct strbuf *err, const char *s)
{
    strbuf_addch(err, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            strbuf_addch(err, '\\');
        strbuf_addch(err, *s);
    }
    strbuf_addch(err, '"');
}

static int invalid_target(struct strbuf *err, const char *target, enum relabel_action a)
{
    quote(err, target);
    strbuf_addf(err, " is invalid 'target_label' for %s action", action_names[a]);
    return -1;
}

int relabel_compile(struct arena *a, const struct relabel_spec *spec, struct relabel_rule *r,
                    struct strbuf *err)
{
    memset(r, 0, sizeof *r);
    r->action = RELABEL_REPLACE;
    if (spec->action) {
        size_t i = 0;
        while (i < sizeof action_names / sizeof action_names[0] && strcasecmp(action_names[i], spec->action))
            i++;
        if (i == sizeof action_names / sizeof action_names[0]) {
            strbuf_addstr(err, "unknown relabel action ");
            quote(err, spec->action);
            return -1;
        }
        r->action = (enum relabel_action)i;
    }
    enum relabel_action act = r->action;
    r->separator = arena_strdup(a, spec->separator ? spec->separator : DEFAULT_SEPARATOR);
    r->target_label = arena_strdup(a, spec->target_label ? spec->target_label : "");
    r->replacement = arena_strdup(a, spec->replacement ? spec->replacement : DEFAULT_REPLACEMENT);
    r->modulus = spec->modulus;
    r->regex_given = spec->regex != NULL;
    r->nsource = spec->nsource;
    r->source_labels = ARENA_NEWN(a, const char *, spec->nsource ? spec->nsource : 1);
    for (size_t i = 0; i < spec->nsource; i++)
        r->source_labels[i] = arena_strdup(a, spec->source_labels[i]);

    bool default_sep = !strcmp(r->separator, DEFAULT_SEPARATOR);
    bool default_repl = !strcmp(r->replacement, DEFAULT_REPLACEMENT);
    if (act == RELABEL_HASHMOD && r->modulus == 0) {
        strbuf_addstr(err, "relabel configuration for hashmod requires non-zero modulus");
        return -1;
    }
    if ((act == RELABEL_REPLACE || act == RELABEL_HASHMOD || act == RELABEL_LOWERCASE ||
         act == RELABEL_UPPERCASE || act == RELABEL_KEEPEQUAL || act == RELABEL_DROPEQUAL) &&
        !*r->target_label) {
        strbuf_addf(err, "relabel configuration for %s action requires 'target_label' value", action_names[act]);
        return -1;
    }
    /* Under UTF-8 names a template such as ${1} is itself a valid name. */
    if (act == RELABEL_REPLACE && !valid_name(r->target_label))
        return invalid_target(err, r->target_label, act);
    bool plain_target = act == RELABEL_LOWERCASE || act == RELABEL_UPPERCASE || act == RELABEL_KEEPEQUAL ||
                        act == RELABEL_DROPEQUAL;
    if (plain_target && !valid_name(r->target_label))
        return invalid_target(err, r->target_label, act);
    if (plain_target && !default_repl) {
        strbuf_addf(err, "'replacement' can not be set for %s action", action_names[act]);
        return -1;
    }
    if (act == RELABEL_LABELMAP && !valid_name(r->replacement)) {
        quote(err, r->replacement);
        strbuf_addf(err, " is invalid 'replacement' for %s action", action_names[act]);
        return -1;
    }
    if (act == RELABEL_HASHMOD && !valid_name(r->target_label))
        return invalid_target(err, r->target_label, act);
    if ((act == RELABEL_DROPEQUAL || act == RELABEL_KEEPEQUAL) &&
        (r->regex_given || r->modulus || !default_sep || !default_repl)) {
        strbuf_addf(err, "%s action requires only 'source_labels' and `target_label`, and no other fields",
                    action_names[act]);
        return -1;
    }
    if ((act == RELABEL_LABELDROP || act == RELABEL_LABELKEEP) &&
        (spec->has_source || *r->target_label || r->modulus || !default_sep || !default_repl)) {
        strbuf_addf(err, "%s action requires only 'regex', and no other fields", action_names[act]);
        return -1;
    }
    r->re.op = AST_MATCH_RE;
    r->re.name = "";
    r->re.value = arena_strdup(a, spec->regex ? spec->regex : DEFAULT_REGEX);
    return ast_matcher_compile(a, &r->re, err);
}

/* ---- label sets ---- */

static size_t find(const struct relabel_set *s, const char *name, bool *found)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->l[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

void relabel_set_put(struct relabel_set *s, const char *name, const char *value)
{
    bool found;
    size_t i = find(s, name, &found);
    if (!*value) {
        if (found) {
            free(s->l[i].name);
            free(s->l[i].value);
            memmove(&s->l[i], &s->l[i + 1], (s->n - i - 1) * sizeof *s->l);
            s->n--;
        }
        return;
    }
    if (found) {
        char *v = xstrdup(value);
        free(s->l[i].value);
        s->l[i].value = v;
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->l = xrealloc(s->l, s->cap * sizeof *s->l);
    }
    memmove(&s->l[i + 1], &s->l[i], (s->n - i) * sizeof *s->l);
    s->l[i].name = xstrdup(name);
    s->l[i].value = xstrdup(value);
    s->n++;
}

const char *relabel_set_get(const struct relabel_set *s, const char *name)
{
    bool found;
    size_t i = find(s, name, &found);
    return found ? s->l[i].value : "";
}

void relabel_set_release(struct relabel_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->l[i].name);
        free(s->l[i].value);
    }
    free(s->l);
    *s = (struct relabel_set){0};
}

/* ---- matching and Go's template expansion ---- */

struct match {
    pcre2_match_data *md;
    const char *subject;
    bool ok;
};

static bool match(const struct relabel_rule *r, const char *s, struct match *m)
{
    pcre2_code *re = r->re.re;
    m->subject = s;
    m->md = pcre2_match_data_create_from_pattern(re, NULL);
    m->ok = m->md && pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, m->md, NULL) >= 0;
    return m->ok;
}

static void match_free(struct match *m)
{
    pcre2_match_data_free(m->md);
}

static bool word_byte(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80; /* non-ASCII runes taken as letters */
}

/* Appends group g of the match (nothing when it did not participate). */
static void add_group(struct strbuf *out, const struct match *m, uint32_t g)
{
    if (g >= pcre2_get_ovector_count(m->md))
        return;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    if (ov[2 * g] == PCRE2_UNSET)
        return;
    strbuf_add(out, m->subject + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

/* regexp.Expand: $$ is a dollar; $name and ${name} a group by number (all
 * digits) or name, empty when there is none; a $ not followed by a name is
 * itself. The name in $name is as long as possible, so $1x names "1x". */
static void expand(struct strbuf *out, const struct relabel_rule *r, const char *t, const struct match *m)
{
    while (*t) {
        if (*t != '$') {
            strbuf_addch(out, *t++);
            continue;
        }
        if (t[1] == '$') {
            strbuf_addch(out, '$');
            t += 2;
            continue;
        }
        bool brace = t[1] == '{';
        const char *start = t + (brace ? 2 : 1), *end = start;
        while (word_byte((unsigned char)*end))
            end++;
        if (end == start || (brace && *end != '}')) {
            strbuf_addch(out, '$');
            t++;
            continue;
        }
        size_t len = (size_t)(end - start);
        long num = 0;
        for (size_t i = 0; i < len && num >= 0; i++)
            num = isdigit((unsigned char)start[i]) && num < 100000000 ? num * 10 + (start[i] - '0') : -1;
        if (num >= 0) {
            add_group(out, m, (uint32_t)num);
        } else {
            char name[256];
            if (len < sizeof name) {
                memcpy(name, start, len);
                name[len] = 0;
                int g = pcre2_substring_number_from_name(r->re.re, (PCRE2_SPTR)name);
                if (g > 0)
                    add_group(out, m, (uint32_t)g);
            }
        }
        t = end + (brace ? 1 : 0);
    }
}

static char *source_value(const struct relabel_rule *r, const struct relabel_set *s)
{
    struct strbuf v = STRBUF_INIT;
    strbuf_addstr(&v, "");
    for (size_t i = 0; i < r->nsource; i++) {
        if (i)
            strbuf_addstr(&v, r->separator);
        strbuf_addstr(&v, relabel_set_get(s, r->source_labels[i]));
    }
    return strbuf_detach(&v);
}

static void replace(const struct relabel_rule *r, struct relabel_set *s, const char *val)
{
    /* Add or delete a fixed label without matching, as Prometheus's fast path. */
    if (!*val && !r->regex_given && !strchr(r->target_label, '$') && !strchr(r->replacement, '$')) {
        relabel_set_put(s, r->target_label, r->replacement);
        return;
    }
    struct match m;
    if (match(r, val, &m)) {
        struct strbuf target = STRBUF_INIT, res = STRBUF_INIT;
        strbuf_addstr(&target, "");
        strbuf_addstr(&res, "");
        expand(&target, r, r->target_label, &m);
        if (valid_name(target.buf)) {
            expand(&res, r, r->replacement, &m);
            relabel_set_put(s, target.buf, res.buf);
        }
        strbuf_release(&target);
        strbuf_release(&res);
    }
    match_free(&m);
}

static void set_case(struct relabel_set *s, const char *target, const char *val, bool upper)
{
    char *v = xstrdup(val);
    for (char *p = v; *p; p++)
        *p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
    relabel_set_put(s, target, v);
    free(v);
}

static void hashmod(struct relabel_set *s, const char *target, const char *val, uint64_t modulus)
{
    unsigned char d[16];
    md5_sum(val, strlen(val), d);
    uint64_t h = 0;
    for (int i = 8; i < 16; i++) /* the digest's last 8 bytes, big-endian */
        h = h << 8 | d[i];
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)(h % modulus));
    relabel_set_put(s, target, buf);
}

/* labelmap, labeldrop, labelkeep: over a snapshot of the names, since the
 * set changes underneath. */
static void by_name(const struct relabel_rule *r, struct relabel_set *s)
{
    struct relabel_set snap = {0};
    for (size_t i = 0; i < s->n; i++)
        relabel_set_put(&snap, s->l[i].name, s->l[i].value);
    for (size_t i = 0; i < snap.n; i++) {
        struct match m;
        bool hit = match(r, snap.l[i].name, &m);
        if (r->action == RELABEL_LABELMAP && hit) {
            struct strbuf res = STRBUF_INIT;
            strbuf_addstr(&res, "");
            expand(&res, r, r->replacement, &m);
            relabel_set_put(s, res.buf, snap.l[i].value);
            strbuf_release(&res);
        } else if ((r->action == RELABEL_LABELDROP && hit) || (r->action == RELABEL_LABELKEEP && !hit)) {
            relabel_set_put(s, snap.l[i].name, "");
        }
        match_free(&m);
    }
    relabel_set_release(&snap);
}

static bool apply(const struct relabel_rule *r, struct relabel_set *s)
{
    char *val = source_value(r, s);
    bool keep = true;
    struct match m;
    switch (r->action) {
    case RELABEL_DROP:
    case RELABEL_KEEP:
        keep = match(r, val, &m) == (r->action == RELABEL_KEEP);
        match_free(&m);
        break;
    case RELABEL_DROPEQUAL:
        keep = strcmp(relabel_set_get(s, r->target_label), val) != 0;
        break;
    case RELABEL_KEEPEQUAL:
        keep = strcmp(relabel_set_get(s, r->target_label), val) == 0;
        break;
    case RELABEL_REPLACE:
        replace(r, s, val);
        break;
    case RELABEL_LOWERCASE:
    case RELABEL_UPPERCASE:
        set_case(s, r->target_label, val, r->action == RELABEL_UPPERCASE);
        break;
    case RELABEL_HASHMOD:
        hashmod(s, r->target_label, val, r->modulus);
        break;
    case RELABEL_LABELMAP:
    case RELABEL_LABELDROP:
    case RELABEL_LABELKEEP:
        by_name(r, s);
        break;
    }
    free(val);
    return keep;
}

bool relabel_process(const struct relabel_rule *rules, size_t n, struct relabel_set *s)
{
    for (size_t i = 0; i < n; i++)
        if (!apply(&rules[i], s))
            return false;
    return true;
}
