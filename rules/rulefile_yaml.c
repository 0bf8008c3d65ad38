/* rulefile_yaml: yaml.v3 decoding semantics for the rule-file schema (see rulefile_yaml.h).
 * The functions mirror the steps of Go's decoder (unmarshal, alias, prepare,
 * scalar, sequence, mapping, mappingStruct, merge) so that the same input
 * yields the same values and the same errors. "Type errors" are collected and
 * returned together; any other error ends decoding at once. */
#include "rules/rulefile_yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "rules/rulefile.h"
#include "rules/ynode.h"

/* What a value is decoded into; each has the Go type name used in messages. */
enum dtype {
    DT_STRING,       /* string */
    DT_INT,          /* int */
    DT_DURATION,     /* model.Duration (its UnmarshalYAML decodes a string) */
    DT_OPT_DURATION, /* *model.Duration */
    DT_STRMAP,       /* map[string]string */
    DT_NODE,         /* yaml.Node: takes the node as it is */
    DT_TOP,          /* the document: {groups} */
    DT_GROUPS,       /* []group */
    DT_GROUP,        /* group struct */
    DT_RULES,        /* []rule */
    DT_RULE,         /* rule struct */
};

/* The decoded top level. */
struct top {
    struct rule_group *groups;
    size_t ngroups;
};

struct dec {
    struct arena *a;
    enum rulefile_yaml_pass pass;
    bool strict;
    struct strbuf terrors; /* collected type errors, one per line */
    size_t nterrors;
    struct strbuf fatal;   /* set: decoding stopped with this error */
    bool failed;
    size_t decode_count, alias_count, alias_depth;
    const struct ynode **active_aliases; /* aliases being expanded (cycle check) */
    size_t nactive, active_cap;
    /* yaml.v3's mergedFields: keys already set while a merge is applied */
    const char **merged;
    size_t nmerged, merged_cap;
    size_t merged_base; /* the current merge's keys start here */
    bool merging;
};

static const char *type_name(const struct dec *d, enum dtype t)
{
    bool nodes = d->pass == RULEFILE_YAML_NODES;
    switch (t) {
    case DT_STRING: return "string";
    case DT_INT: return "int";
    case DT_DURATION: return "model.Duration";
    case DT_OPT_DURATION: return "*model.Duration";
    case DT_STRMAP: return "map[string]string";
    case DT_NODE: return "yaml.Node";
    case DT_TOP: return nodes ? "rulefmt.ruleGroups" : "rulefmt.RuleGroups";
    case DT_GROUPS: return nodes ? "[]rulefmt.RuleGroupNode" : "[]rulefmt.RuleGroup";
    case DT_GROUP: return nodes ? "rulefmt.RuleGroupNode" : "rulefmt.RuleGroup";
    case DT_RULES: return nodes ? "[]rulefmt.RuleNode" : "[]rulefmt.Rule";
    case DT_RULE: return nodes ? "rulefmt.RuleNode" : "rulefmt.Rule";
    }
    return "?";
}

static void fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct dec *d, const char *fmt, ...)
{
    if (d->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&d->fatal, fmt, ap);
    va_end(ap);
    d->failed = true;
}

static void terror_add(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void terror_add(struct dec *d, const char *fmt, ...)
{
    va_list ap;
    if (d->nterrors++)
        strbuf_addstr(&d->terrors, "\n  ");
    va_start(ap, fmt);
    strbuf_vaddf(&d->terrors, fmt, ap);
    va_end(ap);
}

/* "line N: cannot unmarshal !!str `abc` into int" (values over 10 bytes are cut to 7 and "..."). */
static void terror(struct dec *d, const struct ynode *n, const char *tag, enum dtype t)
{
    if (n->tag)
        tag = n->tag;
    if (!strcmp(tag, "!!seq") || !strcmp(tag, "!!map")) {
        terror_add(d, "line %u: cannot unmarshal %s into %s", n->line, tag, type_name(d, t));
        return;
    }
    if (n->len > 10)
        terror_add(d, "line %u: cannot unmarshal %s `%.7s...` into %s", n->line, tag, n->value,
                   type_name(d, t));
    else
        terror_add(d, "line %u: cannot unmarshal %s `%s` into %s", n->line, tag, n->value, type_name(d, t));
}

static bool is_null(const struct ynode *n)
{
    return n->kind == YNODE_SCALAR && !strcmp(n->tag, "!!null");
}

static int unmarshal(struct dec *d, const struct ynode *n, enum dtype t, void *out);

/* yaml.v3 allowedAliasRatio: aliases may make up most of a small document's
 * decoding work but only a tenth of a huge one's. */
static double allowed_alias_ratio(size_t count)
{
    if (count <= 400000)
        return 0.99;
    if (count >= 4000000)
        return 0.10;
    return 0.99 - 0.89 * ((double)(count - 400000) / (double)(4000000 - 400000));
}

static int alias(struct dec *d, const struct ynode *n, enum dtype t, void *out)
{
    for (size_t i = 0; i < d->nactive; i++) {
        if (d->active_aliases[i] == n) {
            fail(d, "yaml: anchor '%s' value contains itself", n->value);
            return 0;
        }
    }
    XGROW(d->active_aliases, d->active_cap, d->nactive + 1);
    d->active_aliases[d->nactive++] = n;
    d->alias_depth++;
    int good = unmarshal(d, n->target, t, out);
    d->alias_depth--;
    d->nactive--;
    return good;
}

/* Go's strconv.ParseInt(s, 0, 64) after yaml.v3 removed underscores, with
 * the 0b/0o forms yaml.v3 accepts. Returns 0, or -1 if s is no int64. */
static int parse_go_int(const char *s, size_t n, int64_t *v)
{
    char buf[128];
    size_t m = 0;
    for (size_t i = 0; i < n && m + 1 < sizeof buf; i++)
        if (s[i] != '_')
            buf[m++] = s[i];
    buf[m] = 0;
    const char *p = buf;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        base = 16, p += 2;
    else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
        base = 8, p += 2;
    else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
        base = 2, p += 2;
    else if (p[0] == '0' && p[1])
        base = 8, p += 1;
    if (!*p)
        return -1;
    errno = 0;
    char *end;
    unsigned long long u = strtoull(p, &end, base);
    if (*end || errno)
        return -1;
    if (neg) {
        if (u > (unsigned long long)INT64_MAX + 1)
            return -1;
        *v = (int64_t)(0 - u);
    } else {
        if (u > (unsigned long long)INT64_MAX)
            return -1;
        *v = (int64_t)u;
    }
    return 0;
}

static int decode_int(struct dec *d, const struct ynode *n, int64_t *out)
{
    if (!strcmp(n->tag, "!!int") && parse_go_int(n->value, n->len, out) == 0)
        return 1;
    if (!strcmp(n->tag, "!!float")) {
        char *end;
        double f = strtod(n->value, &end);
        /* yaml.v3 truncates floats that fit into an int (bounds kept strict
         * here: converting an out-of-range double is undefined in C) */
        if (!isnan(f) && f < 9223372036854775808.0 && f >= -9223372036854775808.0) {
            *out = (int64_t)f;
            return 1;
        }
    }
    terror(d, n, "!!str", DT_INT);
    return 0;
}

/* Explicitly tagged scalars must resolve to their tag (yaml.v3 resolve()). */
static bool check_explicit_tag(struct dec *d, const struct ynode *n, const char **tag)
{
    *tag = n->tag;
    if (n->style != YNODE_PLAIN)
        return true;
    static const char *const resolvable[] = {"!!bool", "!!int", "!!float", "!!null", "!!timestamp", NULL};
    bool res = false;
    for (const char *const *r = resolvable; *r; r++)
        res |= !strcmp(*r, n->tag);
    if (!res)
        return true;
    const char *rtag = ynode_resolve(n->value, n->len);
    bool ok = !strcmp(rtag, n->tag) || (!strcmp(n->tag, "!!float") && !strcmp(rtag, "!!int"));
    if (!ok)
        fail(d, "yaml: cannot decode %s `%s` as a %s", rtag, n->value, n->tag);
    return ok;
}

static void kvs_set(struct arena *a, struct rule_kvs *kvs, const char *k, const char *v)
{
    for (size_t i = 0; i < kvs->len; i++) {
        if (!strcmp(kvs->items[i].name, k)) {
            kvs->items[i].value = v;
            return;
        }
    }
    /* capacity is implied: 4, then doubled whenever len reaches a power of two */
    if (kvs->len == 0 || (kvs->len >= 4 && (kvs->len & (kvs->len - 1)) == 0)) {
        size_t cap = kvs->len ? kvs->len * 2 : 4;
        struct rule_kv *items = ARENA_NEWN(a, struct rule_kv, cap);
        if (kvs->len)
            memcpy(items, kvs->items, kvs->len * sizeof *items);
        kvs->items = items;
    }
    kvs->items[kvs->len++] = (struct rule_kv){k, v};
}

static bool kvs_has(const struct rule_kvs *kvs, const char *k)
{
    for (size_t i = 0; i < kvs->len; i++)
        if (!strcmp(kvs->items[i].name, k))
            return true;
    return false;
}

static int scalar(struct dec *d, const struct ynode *n, enum dtype t, void *out)
{
    const char *tag;
    if (!check_explicit_tag(d, n, &tag))
        return 0;
    if (n->style == YNODE_PLAIN && !strcmp(tag, "!!null")) {
        /* d.null(): pointers, maps and slices become nil; others stay as they are */
        switch (t) {
        case DT_OPT_DURATION: ((struct rule_group *)out)->has_query_offset = false; return 1;
        case DT_STRMAP: ((struct rule_kvs *)out)->len = 0; return 1;
        case DT_GROUPS: ((struct top *)out)->ngroups = 0; return 1;
        case DT_RULES: ((struct rule_group *)out)->nrules = 0; return 1;
        default: return 0;
        }
    }
    switch (t) {
    case DT_STRING:
        *(const char **)out = n->value;
        return 1;
    case DT_INT:
        return decode_int(d, n, out);
    default:
        terror(d, n, tag, t);
        return 0;
    }
}

static int sequence(struct dec *d, const struct ynode *n, enum dtype t, void *out)
{
    if (t == DT_GROUPS) {
        struct top *top = out;
        top->groups = ARENA_NEWN(d->a, struct rule_group, n->n ? n->n : 1);
        size_t j = 0;
        for (size_t i = 0; i < n->n && !d->failed; i++) {
            struct rule_group *g = &top->groups[j];
            memset(g, 0, sizeof *g);
            g->name = "";
            if (unmarshal(d, n->items[i], DT_GROUP, g)) {
                g->line = n->items[i]->line;
                g->col = n->items[i]->col;
                g->offset = n->items[i]->offset;
                j++;
            }
        }
        top->ngroups = j;
        return 1;
    }
    if (t == DT_RULES) {
        struct rule_group *g = out;
        g->rules = ARENA_NEWN(d->a, struct rule, n->n ? n->n : 1);
        size_t j = 0;
        for (size_t i = 0; i < n->n && !d->failed; i++) {
            struct rule *r = &g->rules[j];
            memset(r, 0, sizeof *r);
            r->record = r->alert = r->expr = "";
            if (unmarshal(d, n->items[i], DT_RULE, r)) {
                r->line = n->items[i]->line;
                r->col = n->items[i]->col;
                r->offset = n->items[i]->offset;
                r->index = j + 1;
                j++;
            }
        }
        g->nrules = j;
        return 1;
    }
    terror(d, n, "!!seq", t);
    return 0;
}

static bool merged_has(const struct dec *d, const char *k)
{
    for (size_t i = d->merged_base; i < d->nmerged; i++)
        if (!strcmp(d->merged[i], k))
            return true;
    return false;
}

static void merged_add(struct dec *d, const char *k)
{
    XGROW(d->merged, d->merged_cap, d->nmerged + 1);
    d->merged[d->nmerged++] = k;
}

static bool is_merge_key(const struct ynode *k)
{
    return k->kind == YNODE_SCALAR && k->len == 2 && !memcmp(k->value, "<<", 2) && !strcmp(k->tag, "!!merge");
}

/* Applies a "<<" merge: keys already present in parent (or set by an earlier
 * merged map) are not overwritten. */
static void merge(struct dec *d, const struct ynode *parent, const struct ynode *m, enum dtype t, void *out)
{
    bool was_merging = d->merging;
    size_t saved = d->nmerged, saved_base = d->merged_base;
    if (!was_merging) {
        d->merging = true;
        d->merged_base = d->nmerged;
        for (size_t i = 0; i < parent->n; i++) {
            const struct ynode *k = ynode_deref(parent->items[2 * i]);
            if (k->kind == YNODE_SCALAR && !is_null(k))
                merged_add(d, k->value);
        }
    }
    const char *want = "yaml: map merge requires map or sequence of maps as the value";
    switch (m->kind) {
    case YNODE_MAP:
        unmarshal(d, m, t, out);
        break;
    case YNODE_ALIAS:
        if (m->target->kind != YNODE_MAP)
            fail(d, "%s", want);
        else
            unmarshal(d, m, t, out);
        break;
    case YNODE_SEQ:
        for (size_t i = 0; i < m->n && !d->failed; i++) {
            const struct ynode *it = m->items[i];
            if ((it->kind == YNODE_ALIAS && it->target->kind != YNODE_MAP) ||
                (it->kind != YNODE_ALIAS && it->kind != YNODE_MAP)) {
                fail(d, "%s", want);
                break;
            }
            unmarshal(d, it, t, out);
        }
        break;
    default:
        fail(d, "%s", want);
    }
    if (!was_merging) {
        d->merging = false;
        d->nmerged = saved;
        d->merged_base = saved_base;
    }
}

/* One field of a struct type: key and where its value goes. */
struct field {
    const char *key;
    enum dtype type;
    void *out;
    const struct ynode **node_out; /* also keep the value node (record/alert/expr) */
};

static int fields_of(struct dec *d, enum dtype t, void *out, struct field *f)
{
    bool nodes = d->pass == RULEFILE_YAML_NODES;
    if (t == DT_TOP) {
        f[0] = (struct field){"groups", DT_GROUPS, out, NULL};
        return 1;
    }
    if (t == DT_GROUP) {
        struct rule_group *g = out;
        f[0] = (struct field){"name", DT_STRING, &g->name, NULL};
        f[1] = (struct field){"interval", DT_DURATION, &g->interval_ms, NULL};
        f[2] = (struct field){"query_offset", DT_OPT_DURATION, g, NULL};
        f[3] = (struct field){"limit", DT_INT, &g->limit, NULL};
        f[4] = (struct field){"rules", DT_RULES, g, NULL};
        f[5] = (struct field){"labels", DT_STRMAP, &g->labels, NULL};
        return 6;
    }
    struct rule *r = out;
    enum dtype st = nodes ? DT_NODE : DT_STRING;
    f[0] = (struct field){"record", st, nodes ? (void *)&r->record_node : (void *)&r->record, &r->record_node};
    f[1] = (struct field){"alert", st, nodes ? (void *)&r->alert_node : (void *)&r->alert, &r->alert_node};
    f[2] = (struct field){"expr", st, nodes ? (void *)&r->expr_node : (void *)&r->expr, &r->expr_node};
    f[3] = (struct field){"for", DT_DURATION, &r->for_ms, NULL};
    f[4] = (struct field){"keep_firing_for", DT_DURATION, &r->keep_firing_for_ms, NULL};
    f[5] = (struct field){"labels", DT_STRMAP, &r->labels, NULL};
    f[6] = (struct field){"annotations", DT_STRMAP, &r->annotations, NULL};
    return 7;
}

static int mapping_struct(struct dec *d, const struct ynode *n, enum dtype t, void *out)
{
    struct field fields[8];
    int nf = fields_of(d, t, out, fields);
    bool done[8] = {0};
    bool merging = d->merging;
    d->merging = false; /* nested structs see no merge in progress */
    const struct ynode *merge_node = NULL;
    for (size_t i = 0; i < n->n && !d->failed; i++) {
        const struct ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        if (is_merge_key(k)) {
            merge_node = v;
            continue;
        }
        const char *name = NULL;
        if (!unmarshal(d, k, DT_STRING, &name) || d->failed)
            continue;
        if (merging) {
            if (merged_has(d, name))
                continue;
            merged_add(d, name);
        }
        int fi = -1;
        for (int j = 0; j < nf; j++)
            if (!strcmp(fields[j].key, name))
                fi = j;
        if (fi >= 0) {
            if (done[fi]) {
                terror_add(d, "line %u: field %s already set in type %s", k->line, name, type_name(d, t));
                continue;
            }
            done[fi] = true;
            if (fields[fi].node_out)
                *fields[fi].node_out = v;
            unmarshal(d, v, fields[fi].type, fields[fi].out);
        } else if (d->strict) {
            terror_add(d, "line %u: field %s not found in type %s", k->line, name, type_name(d, t));
        }
    }
    d->merging = merging;
    if (merge_node && !d->failed)
        merge(d, n, merge_node, t, out);
    return 1;
}

static int mapping_strmap(struct dec *d, const struct ynode *n, struct rule_kvs *kvs)
{
    bool merging = d->merging;
    d->merging = false;
    bool is_new = kvs->len == 0;
    const struct ynode *merge_node = NULL;
    for (size_t i = 0; i < n->n && !d->failed; i++) {
        const struct ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        if (is_merge_key(k)) {
            merge_node = v;
            continue;
        }
        const char *name = NULL;
        if (!unmarshal(d, k, DT_STRING, &name) || d->failed)
            continue;
        if (merging) {
            if (merged_has(d, name))
                continue;
            merged_add(d, name);
        }
        const char *val = "";
        const struct ynode *dv = ynode_deref(v);
        if (unmarshal(d, v, DT_STRING, &val) || (is_null(dv) && (is_new || !kvs_has(kvs, name))))
            kvs_set(d->a, kvs, name, val);
    }
    d->merging = merging;
    if (merge_node && !d->failed)
        merge(d, n, merge_node, DT_STRMAP, kvs);
    return 1;
}

static bool same_key(const struct ynode *a, const struct ynode *b)
{
    return a->kind == b->kind && a->len == b->len && (!a->len || !memcmp(a->value, b->value, a->len));
}

static void dup_key_error(struct dec *d, const struct ynode *first, const struct ynode *again)
{
    struct strbuf q = STRBUF_INIT;
    rulefile_go_quote(&q, again->value ? again->value : "", again->len);
    terror_add(d, "line %u: mapping key %s already defined at line %u", again->line, q.buf, first->line);
    strbuf_release(&q);
}

/* Orders key indexes by key (kind, length, text), then by position;
 * ctx is the mapping's items. */
static int key_index_cmp(const void *pa, const void *pb, void *ctx)
{
    struct ynode *const *items = ctx;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const struct ynode *ka = items[2 * a], *kb = items[2 * b];
    if (ka->kind != kb->kind)
        return ka->kind < kb->kind ? -1 : 1;
    if (ka->len != kb->len)
        return ka->len < kb->len ? -1 : 1;
    int c = ka->len ? memcmp(ka->value, kb->value, ka->len) : 0;
    return c ? c : (a < b ? -1 : a > b);
}

struct key_pair {
    size_t i, j;
};

static int key_pair_cmp(const void *pa, const void *pb)
{
    const struct key_pair *a = pa, *b = pb;
    if (a->i != b->i)
        return a->i < b->i ? -1 : 1;
    return a->j < b->j ? -1 : a->j > b->j;
}

/* yaml.v3 uniqueKeys: every pair i < j of equal keys (same kind, same text)
 * is an error, reported in (i, j) order. Large mappings are sorted instead
 * of compared pairwise; at most max_pairs pairs are reported. */
static void check_unique_keys(struct dec *d, const struct ynode *n)
{
    if (n->n <= 64) {
        for (size_t i = 0; i < n->n; i++)
            for (size_t j = i + 1; j < n->n; j++)
                if (same_key(n->items[2 * i], n->items[2 * j]))
                    dup_key_error(d, n->items[2 * i], n->items[2 * j]);
        return;
    }
    const size_t max_pairs = 10000;
    size_t *idx = xmalloc(n->n * sizeof *idx);
    for (size_t i = 0; i < n->n; i++)
        idx[i] = i;
    qsort_r(idx, n->n, sizeof *idx, key_index_cmp, n->items);
    struct key_pair *pairs = NULL;
    size_t np = 0, cap = 0;
    for (size_t a = 0; a < n->n && np < max_pairs;) {
        size_t b = a + 1;
        while (b < n->n && same_key(n->items[2 * idx[a]], n->items[2 * idx[b]]))
            b++;
        for (size_t x = a; x < b && np < max_pairs; x++)
            for (size_t y = x + 1; y < b && np < max_pairs; y++) {
                XGROW(pairs, cap, np + 1);
                pairs[np++] = (struct key_pair){idx[x], idx[y]};
            }
        a = b;
    }
    if (np)
        qsort(pairs, np, sizeof *pairs, key_pair_cmp);
    for (size_t p = 0; p < np; p++)
        dup_key_error(d, n->items[2 * pairs[p].i], n->items[2 * pairs[p].j]);
    free(pairs);
    free(idx);
}

static int mapping(struct dec *d, const struct ynode *n, enum dtype t, void *out)
{
    size_t before = d->nterrors;
    check_unique_keys(d, n);
    if (d->nterrors > before)
        return 0;
    switch (t) {
    case DT_TOP:
    case DT_GROUP:
    case DT_RULE:
        return mapping_struct(d, n, t, out);
    case DT_STRMAP:
        return mapping_strmap(d, n, out);
    default:
        terror(d, n, "!!map", t);
        return 0;
    }
}

/* model.Duration's UnmarshalYAML: decode a string, then parse it; a parse
 * error is not a type error and ends decoding. */
static int duration(struct dec *d, const struct ynode *n, enum dtype t, void *out)
{
    const char *s = NULL;
    size_t before = d->nterrors;
    int good = unmarshal(d, n, DT_STRING, &s);
    if (d->failed || d->nterrors > before || !good)
        return 0;
    int64_t ms;
    char err[256];
    if (rulefile_parse_duration(s, strlen(s), &ms, err, sizeof err) < 0) {
        fail(d, "%s", err);
        return 0;
    }
    if (t == DT_OPT_DURATION) {
        struct rule_group *g = out; /* a pointer in Go: present or absent */
        g->has_query_offset = true;
        g->query_offset_ms = ms;
    } else {
        *(int64_t *)out = ms;
    }
    return 1;
}

static int unmarshal(struct dec *d, const struct ynode *n, enum dtype t, void *out)
{
    if (d->failed)
        return 0;
    d->decode_count++;
    if (d->alias_depth > 0)
        d->alias_count++;
    if (d->alias_count > 100 && d->decode_count > 1000 &&
        (double)d->alias_count / (double)d->decode_count > allowed_alias_ratio(d->decode_count)) {
        fail(d, "yaml: document contains excessive aliasing");
        return 0;
    }
    if (t == DT_NODE) {
        *(const struct ynode **)out = n;
        return 1;
    }
    if (n->kind == YNODE_ALIAS)
        return alias(d, n, t, out);
    if ((t == DT_DURATION || t == DT_OPT_DURATION) && !is_null(n))
        return duration(d, n, t, out);
    switch (n->kind) {
    case YNODE_SCALAR: return scalar(d, n, t, out);
    case YNODE_SEQ: return sequence(d, n, t, out);
    case YNODE_MAP: return mapping(d, n, t, out);
    default: return 0;
    }
}

int rulefile_yaml_decode(const struct ynode *root, struct arena *a, enum rulefile_yaml_pass pass,
                         bool strict, struct rule_group **groups, size_t *ngroups, struct strbuf *err)
{
    struct dec d = {.a = a, .pass = pass, .strict = strict};
    strbuf_init(&d.terrors);
    strbuf_init(&d.fatal);
    struct top top = {0};
    if (root)
        unmarshal(&d, root, DT_TOP, &top);
    int rc = 0;
    if (d.failed) {
        strbuf_add(err, d.fatal.buf, d.fatal.len);
        rc = -1;
    } else if (d.nterrors) {
        strbuf_addstr(err, "yaml: unmarshal errors:\n  ");
        strbuf_add(err, d.terrors.buf, d.terrors.len);
        rc = -1;
    }
    *groups = top.groups;
    *ngroups = top.ngroups;
    strbuf_release(&d.terrors);
    strbuf_release(&d.fatal);
    free(d.active_aliases);
    free(d.merged);
    return rc;
}
