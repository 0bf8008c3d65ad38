/* rulefile: load and validate Prometheus rule files (see rulefile.h).
 * The validation follows model/rulefmt's Validate step by step; where Go
 * iterates a map (labels, annotations) in random order, heed goes by name. */
#include "rules/rulefile.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/goquote.h"
#include "base/utf8.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "grammar/ast.h"
#include "grammar/parse.h"
#include "rules/rulefile_yaml.h"
#include "rules/template.h"
#include "rules/ynode.h"


static bool legacy_label_name(const char *s)
{
    if (!*s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9' && i > 0)))
            return false;
    }
    return true;
}

static bool legacy_metric_name(const char *s)
{
    if (!*s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (c >= '0' && c <= '9' && i > 0)))
            return false;
    }
    return true;
}

static bool valid_label_name(enum rulefile_names scheme, const char *s)
{
    if (scheme == RULEFILE_NAMES_LEGACY)
        return legacy_label_name(s);
    return *s && utf8_valid(s, strlen(s));
}

static bool valid_metric_name(enum rulefile_names scheme, const char *s)
{
    if (scheme == RULEFILE_NAMES_LEGACY)
        return legacy_metric_name(s);
    return *s && utf8_valid(s, strlen(s));
}


void rulefile_go_quote(struct strbuf *out, const char *s, size_t len)
{
    goquote(out, s, len, 0);
}

/* ---- durations (Prometheus's model.ParseDuration) ---- */

int rulefile_parse_duration(const char *s, size_t len, int64_t *ms, char *err, size_t errlen)
{
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {
        /* ORDER units: biggest first; a duration must use them in this order */
        {"y", 365ULL * 24 * 3600 * 1000000000ULL}, {"w", 7ULL * 24 * 3600 * 1000000000ULL},
        {"d", 24ULL * 3600 * 1000000000ULL},       {"h", 3600ULL * 1000000000ULL},
        {"m", 60ULL * 1000000000ULL},              {"s", 1000000000ULL},
        {"ms", 1000000ULL},
    };
    struct strbuf q = STRBUF_INIT;
    rulefile_go_quote(&q, s, len);
    int rc = -1;
    if (len == 1 && s[0] == '0') {
        *ms = 0;
        rc = 0;
        goto out;
    }
    if (len == 0) {
        snprintf(err, errlen, "empty duration string");
        goto out;
    }
    uint64_t total = 0;
    int last = -1;
    for (size_t i = 0; i < len;) {
        if (s[i] < '0' || s[i] > '9')
            goto invalid;
        uint64_t v = 0;
        bool overflow = false;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (v > (UINT64_MAX - 9) / 10)
                overflow = true;
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (overflow)
            goto invalid; /* strconv.ParseUint fails */
        size_t u0 = i;
        while (i < len && (s[i] < '0' || s[i] > '9'))
            i++;
        if (i == u0)
            goto invalid;
        int ui = -1;
        for (int k = 0; k < (int)(sizeof units / sizeof units[0]); k++)
            if (strlen(units[k].unit) == i - u0 && !memcmp(units[k].unit, s + u0, i - u0))
                ui = k;
        if (ui < 0) {
            struct strbuf uq = STRBUF_INIT;
            rulefile_go_quote(&uq, s + u0, i - u0);
            snprintf(err, errlen, "unknown unit %s in duration %s", uq.buf, q.buf);
            strbuf_release(&uq);
            goto out;
        }
        if (ui <= last)
            goto invalid;
        last = ui;
        if (v > ((uint64_t)1 << 63) / units[ui].ns) {
            snprintf(err, errlen, "duration out of range");
            goto out;
        }
        total += v * units[ui].ns;
        if (total > (uint64_t)INT64_MAX) {
            snprintf(err, errlen, "duration out of range");
            goto out;
        }
    }
    *ms = (int64_t)(total / 1000000ULL);
    rc = 0;
    goto out;
invalid:
    snprintf(err, errlen, "not a valid duration string: %s", q.buf);
out:
    strbuf_release(&q);
    return rc;
}

/* ---- validation ---- */

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rule_kv *)a)->name, ((const struct rule_kv *)b)->name);
}

static void kvs_sort(struct rule_kvs *kvs)
{
    if (kvs->len > 1)
        qsort(kvs->items, kvs->len, sizeof *kvs->items, kv_cmp);
}

static struct span node_span(const struct ynode *n)
{
    return n ? (struct span){n->offset, n->offset} : (struct span){0, 0};
}

/* Template texts already known to parse: a file repeats its annotation
 * texts across many rules, and whether a text parses does not depend on
 * the rule (the alert's name only appears in error messages). */
struct text_set {
    const char **slots; /* open addressing; NULL: empty */
    size_t cap, len;    /* cap is a power of two */
};

static uint64_t text_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static bool text_set_has(const struct text_set *ts, const char *s, uint64_t h)
{
    if (!ts->cap)
        return false;
    for (size_t i = h & (ts->cap - 1);; i = (i + 1) & (ts->cap - 1)) {
        if (!ts->slots[i])
            return false;
        if (!strcmp(ts->slots[i], s))
            return true;
    }
}

static void text_set_add(struct text_set *ts, const char *s, uint64_t h)
{
    if (2 * (ts->len + 1) > ts->cap) {
        struct text_set big = {xcalloc(ts->cap ? 2 * ts->cap : 64, sizeof *big.slots), ts->cap ? 2 * ts->cap : 64, 0};
        for (size_t i = 0; i < ts->cap; i++)
            if (ts->slots[i])
                text_set_add(&big, ts->slots[i], text_hash(ts->slots[i]));
        free(ts->slots);
        *ts = big;
    }
    size_t i = h & (ts->cap - 1);
    while (ts->slots[i])
        i = (i + 1) & (ts->cap - 1);
    ts->slots[i] = s;
    ts->len++;
}

struct vctx {
    struct rulefile *rf;
    const struct rulefile_opts *opts;
    struct diag_list *diags;
    int errors;
    struct text_set good_templates; /* texts that parsed (see text_set) */
    struct arena scratch;           /* check_only: expression trees, reset after each rule */
};

/* One rule error, worded as rulefmt.Error: positions of the node (and the
 * alternative node) first, "0:0" for a node whose key was absent. */
static void rule_error(struct vctx *v, const struct rule_group *g, const struct rule *r, const struct ynode *node,
                       bool with_node, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void rule_error(struct vctx *v, const struct rule_group *g, const struct rule *r, const struct ynode *node,
                       bool with_node, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    if (with_node)
        strbuf_addf(&sb, "%u:%u: ", node ? node->line : 0, node ? node->col : 0);
    strbuf_addstr(&sb, "group ");
    rulefile_go_quote(&sb, g->name, strlen(g->name));
    strbuf_addf(&sb, ", rule %zu, ", r->index);
    const char *rname = *r->alert ? r->alert : r->record;
    rulefile_go_quote(&sb, rname, strlen(rname));
    strbuf_addstr(&sb, ": ");
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    diag_add(v->diags, DIAG_SEMANTIC, node_span(node), v->rf->path, "%s", sb.buf);
    strbuf_release(&sb);
    v->errors++;
}

/* The two-node form "L:C: L2:C2: group ..." used when record and alert clash. */
static void rule_error2(struct vctx *v, const struct rule_group *g, const struct rule *r, const char *msg)
{
    const struct ynode *a = r->record_node, *b = r->alert_node;
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%u:%u: %u:%u: group ", a ? a->line : 0, a ? a->col : 0, b ? b->line : 0, b ? b->col : 0);
    rulefile_go_quote(&sb, g->name, strlen(g->name));
    strbuf_addf(&sb, ", rule %zu, ", r->index);
    const char *rname = *r->alert ? r->alert : r->record;
    rulefile_go_quote(&sb, rname, strlen(rname));
    strbuf_addf(&sb, ": %s", msg);
    diag_add(v->diags, DIAG_SEMANTIC, node_span(a ? a : b), v->rf->path, "%s", sb.buf);
    strbuf_release(&sb);
    v->errors++;
}

static void check_labels(struct vctx *v, const struct rule_group *g, const struct rule *r, const struct rule_kvs *kvs)
{
    for (size_t i = 0; i < kvs->len; i++) {
        const struct rule_kv *kv = &kvs->items[i];
        bool bad_name = !valid_label_name(v->opts->names, kv->name) || !strcmp(kv->name, "__name__");
        bool bad_value = !utf8_valid(kv->value, strlen(kv->value));
        if (r) {
            if (bad_name)
                rule_error(v, g, r, NULL, false, "invalid label name: %s", kv->name);
            if (bad_value)
                rule_error(v, g, r, NULL, false, "invalid label value: %s", kv->value);
            continue;
        }
        if (bad_name) {
            diag_add(v->diags, DIAG_SEMANTIC, (struct span){g->offset, g->offset}, v->rf->path,
                     "invalid label name: %s", kv->name);
            v->errors++;
        }
        if (bad_value) {
            diag_add(v->diags, DIAG_SEMANTIC, (struct span){g->offset, g->offset}, v->rf->path,
                     "invalid label value: %s", kv->value);
            v->errors++;
        }
    }
}

/* Parses the expression and keeps its tree and canonical text; a parse error
 * reads as Prometheus's ParseErr, positioned within the expression text. */
static void check_expr(struct vctx *v, const struct rule_group *g, struct rule *r)
{
    struct parse_opts po = {.experimental = v->opts->experimental};
    struct diag_list pd;
    diag_list_init(&pd);
    size_t len = strlen(r->expr);
    if (v->opts->check_only) {
        struct arena_mark m = arena_mark(&v->scratch);
        bool ok = parse_expr(r->expr, len, &v->scratch, &po, &pd) != NULL;
        arena_reset(&v->scratch, m);
        if (ok) {
            diag_list_release(&pd);
            return;
        }
    } else {
        r->ast = parse_expr(r->expr, len, &v->rf->arena, &po, &pd);
    }
    if (r->ast) {
        struct strbuf sb = STRBUF_INIT;
        ast_print(&sb, r->ast);
        r->expr_canonical = arena_strndup(&v->rf->arena, sb.buf, sb.len);
        strbuf_release(&sb);
    } else {
        int line = 1, col = 1;
        const char *msg = pd.len ? pd.items[0].msg : "unknown error";
        if (pd.len)
            diag_line_col(r->expr, len, pd.items[0].span.start, &line, &col);
        rule_error(v, g, r, r->expr_node, true, "could not parse expression: %d:%d: parse error: %s", line, col, msg);
    }
    diag_list_release(&pd);
}

/* Alerting rules' label and annotation values are templates: parsed (not
 * run) as Prometheus's testTemplateParsing does, labels first. */
static void check_templates(struct vctx *v, const struct rule_group *g, const struct rule *r)
{
    const struct rule_kvs *sets[2] = {&r->labels, &r->annotations};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < sets[s]->len; i++) {
            const struct rule_kv *kv = &sets[s]->items[i];
            /* without "{{" a text has no action and always parses (the
             * prepended definitions are fixed), so the parse can be skipped */
            if (!strstr(kv->value, "{{"))
                continue;
            uint64_t h = text_hash(kv->value);
            if (text_set_has(&v->good_templates, kv->value, h))
                continue;
            char *err = tmpl_alert_check(r->alert, kv->value);
            if (!err) {
                text_set_add(&v->good_templates, kv->value, h);
                continue;
            }
            struct strbuf q = STRBUF_INIT;
            rulefile_go_quote(&q, kv->name, strlen(kv->name));
            rule_error(v, g, r, NULL, false, "%s %s: %s", s ? "annotation" : "label", q.buf, err);
            strbuf_release(&q);
            free(err);
        }
    }
}

static void validate_rule(struct vctx *v, const struct rule_group *g, struct rule *r)
{
    bool rec = *r->record, al = *r->alert;
    if (rec && al)
        rule_error2(v, g, r, "only one of 'record' and 'alert' must be set");
    if (!rec && !al)
        rule_error2(v, g, r, "one of 'record' or 'alert' must be set");
    if (!*r->expr)
        rule_error(v, g, r, r->expr_node, true, "field 'expr' must be set in rule");
    else
        check_expr(v, g, r);
    if (rec) {
        if (r->annotations.len)
            rule_error(v, g, r, r->record_node, true, "invalid field 'annotations' in recording rule");
        if (r->for_ms)
            rule_error(v, g, r, r->record_node, true, "invalid field 'for' in recording rule");
        if (r->keep_firing_for_ms)
            rule_error(v, g, r, r->record_node, true, "invalid field 'keep_firing_for' in recording rule");
        if (!valid_metric_name(v->opts->names, r->record))
            rule_error(v, g, r, r->record_node, true, "invalid recording rule name: %s", r->record);
        if (strchr(r->record, '{') || strchr(r->record, '}'))
            rule_error(v, g, r, r->record_node, true,
                       "braces present in the recording rule name; should it be in expr?: %s", r->record);
    }
    check_labels(v, g, r, &r->labels);
    for (size_t i = 0; i < r->annotations.len; i++)
        if (!valid_label_name(v->opts->names, r->annotations.items[i].name))
            rule_error(v, g, r, NULL, false, "invalid annotation name: %s", r->annotations.items[i].name);
    if (al)
        check_templates(v, g, r);
    r->type = al ? RULE_ALERTING : RULE_RECORDING;
    r->name = al ? r->alert : r->record;
}

static void validate(struct vctx *v)
{
    struct rulefile *rf = v->rf;
    struct text_set names = {0}; /* group names seen so far */
    for (size_t j = 0; j < rf->ngroups; j++) {
        struct rule_group *g = &rf->groups[j];
        if (!*g->name) {
            diag_add(v->diags, DIAG_SEMANTIC, (struct span){g->offset, g->offset}, rf->path,
                     "%u:%u: Groupname must not be empty", g->line, g->col);
            v->errors++;
        }
        uint64_t h = text_hash(g->name);
        if (text_set_has(&names, g->name, h)) {
            diag_add(v->diags, DIAG_SEMANTIC, (struct span){g->offset, g->offset}, rf->path,
                     "%u:%u: groupname: \"%s\" is repeated in the same file", g->line, g->col, g->name);
            v->errors++;
        } else {
            text_set_add(&names, g->name, h);
        }
        check_labels(v, g, NULL, &g->labels);
        for (size_t i = 0; i < g->nrules; i++)
            validate_rule(v, g, &g->rules[i]);
    }
    free(names.slots);
}

/* Sorts label sets and fills the derived fields every group needs. */
static void finish_groups(struct rulefile *rf)
{
    for (size_t j = 0; j < rf->ngroups; j++) {
        struct rule_group *g = &rf->groups[j];
        g->file = rf->path;
        g->key = arena_printf(&rf->arena, "%s;%s", rf->path, g->name);
        kvs_sort(&g->labels);
        for (size_t i = 0; i < g->nrules; i++) {
            struct rule *r = &g->rules[i];
            kvs_sort(&r->labels);
            kvs_sort(&r->annotations);
            r->type = *r->alert ? RULE_ALERTING : RULE_RECORDING;
            r->name = *r->alert ? r->alert : r->record;
        }
    }
}

/* Parses the NUL-terminated text already owned by rf (rf->src, rf->len). */
static int parse_source(struct rulefile *rf, const struct rulefile_opts *opts, struct diag_list *diags);

int rulefile_parse(struct rulefile *rf, const char *name, const char *src, size_t len,
                   const struct rulefile_opts *opts, struct diag_list *diags)
{
    memset(rf, 0, sizeof *rf);
    arena_init(&rf->arena, 64 * 1024);
    rf->path = arena_strdup(&rf->arena, name);
    char *copy = arena_alloc(&rf->arena, len + 1);
    memcpy(copy, src, len);
    copy[len] = 0;
    rf->src = copy;
    rf->len = len;
    return parse_source(rf, opts, diags);
}

static int parse_source(struct rulefile *rf, const struct rulefile_opts *opts, struct diag_list *diags)
{
    static const struct rulefile_opts defaults;
    if (!opts)
        opts = &defaults;

    struct ynode_doc doc;
    struct ynode_error yerr;
    if (ynode_parse(rf->src, rf->len, &rf->arena, NULL, &doc, &yerr) < 0) {
        /* Prometheus decodes twice (typed, then into nodes); both report the syntax error. */
        struct span sp = {0, 0};
        diag_add(diags, DIAG_SYNTAX, sp, rf->path, "%s", yerr.msg);
        diag_add(diags, DIAG_SYNTAX, sp, rf->path, "%s", yerr.msg);
        return -1;
    }
    rf->more_docs = doc.more_docs;
    if (doc.more_docs)
        diag_add(diags, DIAG_WARNING, (struct span){0, 0}, rf->path,
                 "Multiple document yaml rules files are not supported, only the first document is processed");

    struct strbuf err = STRBUF_INIT;
    if (rulefile_yaml_decode(doc.root, &rf->arena, RULEFILE_YAML_TYPED, !opts->ignore_unknown_fields,
                             &rf->groups, &rf->ngroups, &err) < 0) {
        diag_add(diags, DIAG_SYNTAX, (struct span){0, 0}, rf->path, "%s", err.buf);
        strbuf_reset(&err);
        struct rule_group *g2;
        size_t n2;
        if (rulefile_yaml_decode(doc.root, &rf->arena, RULEFILE_YAML_NODES, false, &g2, &n2, &err) < 0)
            diag_add(diags, DIAG_SYNTAX, (struct span){0, 0}, rf->path, "%s", err.buf);
        strbuf_release(&err);
        rf->groups = NULL;
        rf->ngroups = 0;
        return -1;
    }
    strbuf_release(&err);
    finish_groups(rf);
    struct vctx v = {.rf = rf, .opts = opts, .diags = diags};
    arena_init(&v.scratch, 64 * 1024);
    validate(&v);
    arena_release(&v.scratch);
    free(v.good_templates.slots);
    return v.errors ? -1 : 0;
}

int rulefile_load(struct rulefile *rf, const char *path, const struct rulefile_opts *opts,
                  struct diag_list *diags)
{
    struct strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, path) < 0) {
        int e = errno;
        memset(rf, 0, sizeof *rf);
        arena_init(&rf->arena, 1024);
        rf->path = arena_strdup(&rf->arena, path);
        rf->src = "";
        /* worded as Go's os.ReadFile errors: "open f: no such file or directory" */
        char msg[128];
        snprintf(msg, sizeof msg, "%s", strerror(e));
        if (msg[0] >= 'A' && msg[0] <= 'Z')
            msg[0] = (char)(msg[0] - 'A' + 'a');
        diag_add(diags, DIAG_IO, (struct span){0, 0}, rf->path, "%s %s: %s", e == EISDIR ? "read" : "open", path, msg);
        strbuf_release(&sb);
        return -1;
    }
    /* the file's buffer becomes the rulefile's source: no second copy */
    memset(rf, 0, sizeof *rf);
    arena_init(&rf->arena, 64 * 1024);
    rf->path = arena_strdup(&rf->arena, path);
    rf->len = sb.len;
    rf->src = strbuf_detach(&sb);
    arena_on_release(&rf->arena, free, (void *)rf->src);
    return parse_source(rf, opts, diags);
}

void rulefile_release(struct rulefile *rf)
{
    arena_release(&rf->arena);
    memset(rf, 0, sizeof *rf);
}

size_t rulefile_count_rules(const struct rulefile *rf)
{
    size_t n = 0;
    for (size_t i = 0; i < rf->ngroups; i++)
        n += rf->groups[i].nrules;
    return n;
}

struct rule_kvs rulefile_merged_labels(const struct rule_group *g, const struct rule *r, struct arena *a)
{
    struct rule_kvs out = {ARENA_NEWN(a, struct rule_kv, g->labels.len + r->labels.len + 1), 0};
    /* both inputs are sorted: merge them, the rule's value winning on equal names */
    size_t i = 0, j = 0;
    while (i < g->labels.len || j < r->labels.len) {
        int c = i == g->labels.len ? 1 : j == r->labels.len ? -1 : strcmp(g->labels.items[i].name, r->labels.items[j].name);
        if (c < 0)
            out.items[out.len++] = g->labels.items[i++];
        else if (c > 0)
            out.items[out.len++] = r->labels.items[j++];
        else
            out.items[out.len++] = r->labels.items[j++], i++;
    }
    return out;
}

/* ---- comment directives ---- */

size_t rulefile_directives_above(const struct rulefile *rf, uint32_t line, struct rulefile_directive *out, size_t max)
{
    if (line < 2 || !rf->src)
        return 0;
    /* find the start of each line up to `line` */
    size_t *starts = xmalloc(line * sizeof *starts);
    size_t nl = 0;
    starts[nl++] = 0;
    for (size_t i = 0; i < rf->len && nl < line; i++)
        if (rf->src[i] == '\n')
            starts[nl++] = i + 1;
    if (nl < line) {
        free(starts);
        return 0;
    }
    /* walk up over the comment lines directly above */
    uint32_t first = line - 1; /* 1-based line just above */
    while (first >= 1) {
        const char *p = rf->src + starts[first - 1];
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '#')
            break;
        first--;
    }
    size_t count = 0;
    for (uint32_t l = first + 1; l < line; l++) {
        const char *bol = rf->src + starts[l - 1];
        const char *eol = strchr(bol, '\n');
        if (!eol)
            eol = rf->src + rf->len;
        const char *p = bol;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *hash = p;
        p++;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        if ((size_t)(eol - p) < 5 || memcmp(p, "heed:", 5) != 0)
            continue;
        p += 5;
        const char *end = eol;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            end--;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (count < max)
            out[count] = (struct rulefile_directive){p, (size_t)(end - p), l, (uint32_t)(hash - bol) + 1,
                                                     (uint32_t)(hash - rf->src)};
        count++;
    }
    free(starts);
    return count;
}

/* ---- many files ---- */

static bool set_has(const struct rulefile_set *set, const char *path)
{
    for (size_t i = 0; i < set->len; i++)
        if (!strcmp(set->files[i]->path, path))
            return true;
    return false;
}

int rulefile_set_load(struct rulefile_set *set, const char *const *patterns, size_t npatterns,
                      const struct rulefile_opts *opts, struct diag_list *diags)
{
    int rc = 0;
    for (size_t p = 0; p < npatterns; p++) {
        glob_t gl;
        int g = glob(patterns[p], 0, NULL, &gl);
        if (g == GLOB_NOMATCH)
            continue;
        if (g != 0) {
            diag_add(diags, DIAG_IO, (struct span){0, 0}, NULL, "failed retrieving rule files for \"%s\"", patterns[p]);
            rc = -1;
            continue;
        }
        for (size_t i = 0; i < gl.gl_pathc; i++) {
            if (set_has(set, gl.gl_pathv[i]))
                continue;
            struct rulefile *rf = xmalloc(sizeof *rf);
            if (rulefile_load(rf, gl.gl_pathv[i], opts, diags) < 0)
                rc = -1;
            XGROW(set->files, set->cap, set->len + 1);
            set->files[set->len++] = rf;
        }
        globfree(&gl);
    }
    return rc;
}

const struct rule_group *rulefile_set_group(const struct rulefile_set *set, const char *key)
{
    for (size_t i = 0; i < set->len; i++)
        for (size_t j = 0; j < set->files[i]->ngroups; j++)
            if (!strcmp(set->files[i]->groups[j].key, key))
                return &set->files[i]->groups[j];
    return NULL;
}

void rulefile_set_release(struct rulefile_set *set)
{
    for (size_t i = 0; i < set->len; i++) {
        rulefile_release(set->files[i]);
        free(set->files[i]);
    }
    free(set->files);
    memset(set, 0, sizeof *set);
}
