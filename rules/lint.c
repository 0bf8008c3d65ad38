/* lint: the run (pre-pass, online observations, per-rule checks, set-wide
 * checks), "# heed:" directives, disables, and the three output formats. */
#include "rules/lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "grammar/ast.h"
#include "rules/lint_internal.h"
#include "rules/ynode.h"

static const struct lint_check_info check_table[LINT_CHECK_COUNT] = {
#define X(e, id, sev, summary) [LINT_##e] = {id, sev, summary},
#include "rules/lint_checks.def"
#undef X
};

const struct lint_check_info *lint_check_info(enum lint_check c)
{
    return &check_table[c];
}

int lint_check_lookup(const char *id, size_t len)
{
    for (int i = 0; i < LINT_CHECK_COUNT; i++)
        if (strlen(check_table[i].id) == len && !memcmp(check_table[i].id, id, len))
            return i;
    return -1;
}

const char *lint_severity_name(enum lint_severity s)
{
    switch (s) {
    case LINT_INFO:
        return "info";
    case LINT_WARNING:
        return "warning";
    case LINT_ERROR:
        return "error";
    }
    return "?";
}

void lint_report_init(struct lint_report *r)
{
    memset(r, 0, sizeof *r);
    arena_init(&r->arena, 0);
}

void lint_report_release(struct lint_report *r)
{
    free(r->items);
    arena_release(&r->arena);
    memset(r, 0, sizeof *r);
}

size_t lint_report_errors(const struct lint_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->len; i++)
        n += check_table[r->items[i].check].severity == LINT_ERROR;
    return n;
}

/* ---- a small string map ---- */

static uint64_t map_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void lint_map_init(struct lint_map *m)
{
    memset(m, 0, sizeof *m);
}

void lint_map_release(struct lint_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

void *lint_map_get(const struct lint_map *m, const char *key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = map_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i])
            return NULL;
        if (!strcmp(m->keys[i], key))
            return m->vals[i];
    }
}

static void map_insert(struct lint_map *m, const char *key, void *val)
{
    for (size_t i = map_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) {
            m->keys[i] = key;
            m->vals[i] = val;
            m->len++;
            return;
        }
        if (!strcmp(m->keys[i], key)) {
            m->vals[i] = val;
            return;
        }
    }
}

void lint_map_put(struct lint_map *m, const char *key, void *val)
{
    if ((m->len + 1) * 2 > m->cap) {
        struct lint_map old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->len = 0;
        m->keys = xcalloc(m->cap, sizeof *m->keys);
        m->vals = xcalloc(m->cap, sizeof *m->vals);
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i])
                map_insert(m, old.keys[i], old.vals[i]);
        lint_map_release(&old);
    }
    map_insert(m, key, val);
}

/* ---- positions ---- */

static void build_lines(struct lint_ctx *c, size_t fi)
{
    const struct rulefile *rf = c->files[fi];
    size_t n = 1, cap = 256;
    uint32_t *s = xmalloc(cap * sizeof *s);
    s[0] = 0;
    for (const char *p = rf->src, *end = rf->src + rf->len; (p = memchr(p, '\n', (size_t)(end - p))); p++) {
        XGROW(s, cap, n + 1);
        s[n++] = (uint32_t)(p - rf->src) + 1;
    }
    c->line_starts[fi] = s;
    c->nlines[fi] = n;
}

static void offset_line_col(const struct lint_ctx *c, size_t fi, uint32_t off, uint32_t *line, uint32_t *col)
{
    const uint32_t *s = c->line_starts[fi];
    size_t lo = 0, hi = c->nlines[fi];
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *line = (uint32_t)lo + 1;
    *col = off - s[lo] + 1;
}

uint32_t lint_expr_offset(const struct lint_ctx *c, uint32_t pos)
{
    const struct ynode *n = c->r->expr_node;
    if (!n)
        return c->r->offset;
    const char *src = c->rf->src;
    if (n->style == YNODE_PLAIN || n->style == YNODE_SINGLE_QUOTED || n->style == YNODE_DOUBLE_QUOTED) {
        /* the value maps byte for byte onto the source when nothing was
         * escaped or folded: then positions inside it are exact */
        uint32_t q = n->style == YNODE_PLAIN ? 0 : 1;
        if (n->offset + q + n->len <= c->rf->len && !memchr(n->value, '\n', n->len) &&
            !memcmp(src + n->offset + q, n->value, n->len) && pos <= n->len)
            return n->offset + q + pos;
        return n->offset;
    }
    if (n->style == YNODE_LITERAL) {
        /* a literal block keeps lines: value line k is source line k after
         * the indicator, minus the block's indentation */
        uint32_t vline = 0, vcol = 0;
        for (uint32_t i = 0; i < pos && i < n->len; i++) {
            if (n->value[i] == '\n') {
                vline++;
                vcol = 0;
            } else {
                vcol++;
            }
        }
        uint32_t line, col;
        offset_line_col(c, c->fi, n->offset, &line, &col);
        size_t first = line; /* 0-based index of the line after the indicator */
        while (first < c->nlines[c->fi]) {
            const char *p = src + c->line_starts[c->fi][first];
            while (*p == ' ')
                p++;
            if (*p != '\n' && *p)
                break;
            first++;
        }
        if (first >= c->nlines[c->fi])
            return n->offset;
        const char *bol = src + c->line_starts[c->fi][first];
        uint32_t indent = 0;
        while (bol[indent] == ' ')
            indent++;
        /* leading empty lines of the value are the skipped blank lines */
        size_t target = first + vline;
        if (target >= c->nlines[c->fi])
            return n->offset;
        return c->line_starts[c->fi][target] + indent + vcol;
    }
    return n->offset;
}

/* ---- findings ---- */

static void scope_grow(struct lint_ctx *c)
{
    if (c->rep->len + 1 <= c->capscope)
        return;
    size_t cap = c->capscope ? c->capscope * 2 : 64;
    c->finding_rule = xrealloc(c->finding_rule, cap * sizeof *c->finding_rule);
    c->finding_file = xrealloc(c->finding_file, cap * sizeof *c->finding_file);
    c->finding_group = xrealloc(c->finding_group, cap * sizeof *c->finding_group);
    c->capscope = cap;
}

static void add_finding(struct lint_ctx *c, enum lint_check check, size_t fi, uint32_t off, long scope,
                        const char *msg)
{
    scope_grow(c);
    struct lint_report *r = c->rep;
    XGROW(r->items, r->cap, r->len + 1);
    struct lint_finding *f = &r->items[r->len];
    f->check = check;
    f->file = c->files[fi]->path;
    f->offset = off;
    offset_line_col(c, fi, off, &f->line, &f->col);
    f->message = msg;
    c->finding_rule[r->len] = scope;
    c->finding_file[r->len] = fi;
    c->finding_group[r->len] = c->gi;
    r->len++;
}

void lint_add(struct lint_ctx *c, enum lint_check check, uint32_t off, bool rule_scope, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    const char *msg = arena_strndup(c->a, sb.buf, sb.len);
    strbuf_release(&sb);
    add_finding(c, check, c->fi, off, rule_scope ? (long)c->ri : -1, msg);
}

/* ---- directives ---- */

/* The "# heed:" directives among the comment lines directly above line
 * (1-based), top to bottom, as rulefile_directives_above() finds them, but
 * through the file's line table: that function scans the file from its
 * start at every call, which is quadratic over a large file. */
static size_t directives_above(const struct lint_ctx *c, uint32_t line, struct rulefile_directive *out,
                               size_t max)
{
    const char *src = c->rf->src;
    const uint32_t *ls = c->line_starts[c->fi];
    size_t nl = c->nlines[c->fi];
    if (line < 2 || line > nl)
        return 0;
    uint32_t first = line - 1; /* 1-based line just above */
    while (first >= 1) {
        const char *p = src + ls[first - 1];
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '#')
            break;
        first--;
    }
    size_t count = 0;
    for (uint32_t l = first + 1; l < line; l++) {
        const char *bol = src + ls[l - 1];
        const char *eol = src + (l < nl ? ls[l] - 1 : c->rf->len);
        const char *p = bol;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *hash = p++;
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
                                                     (uint32_t)(hash - src)};
        count++;
    }
    return count;
}

static bool word_is(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && !memcmp(p, w, n);
}

/* Parses the directives above the item at line into pol, recording
 * disables for the current group (rule < 0) or rule. */
static void parse_directives(struct lint_ctx *c, uint32_t line, long rule, struct lint_policy *pol)
{
    struct rulefile_directive d[16];
    size_t n = directives_above(c, line, d, 16);
    if (n > 16)
        n = 16;
    for (size_t i = 0; i < n; i++) {
        const char *p = d[i].text, *end = d[i].text + d[i].len;
        size_t first_disable = c->ndisables;
        bool any_disable = false, reason = false;
        while (p < end && !reason) {
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            if (p >= end)
                break;
            const char *tok = p;
            while (p < end && *p != ' ' && *p != '\t')
                p++;
            size_t tlen = (size_t)(p - tok);
            const char *eq = memchr(tok, '=', tlen);
            if (!eq) {
                reason = true; /* free text: the reason, up to the end */
                break;
            }
            const char *key = tok, *val = eq + 1;
            size_t klen = (size_t)(eq - tok), vlen = (size_t)(p - val);
            char err[128];
            int64_t ms;
            if (word_is(key, klen, "disable")) {
                any_disable = true;
                const char *q = val, *vend = val + vlen;
                while (q <= vend) {
                    const char *comma = memchr(q, ',', (size_t)(vend - q));
                    const char *e = comma ? comma : vend;
                    int id = lint_check_lookup(q, (size_t)(e - q));
                    if (id < 0) {
                        lint_add(c, LINT_DIRECTIVE_INVALID, d[i].offset, rule >= 0,
                                 "disable names an unknown check '%.*s': use one of the ids listed by "
                                 "docs/lint.md (e.g. rate-window-short)",
                                 (int)(e - q), q);
                    } else {
                        struct lint_disable *dis;
                        XGROW(c->disables, c->capdisables, c->ndisables + 1);
                        dis = &c->disables[c->ndisables++];
                        *dis = (struct lint_disable){(enum lint_check)id, c->fi, c->gi, rule,
                                                     d[i].offset,         false};
                    }
                    if (!comma)
                        break;
                    q = comma + 1;
                }
            } else if (word_is(key, klen, "cadence") || word_is(key, klen, "max-hold") ||
                       word_is(key, klen, "max-unchanged") || word_is(key, klen, "max-age")) {
                bool ok = true;
                if (word_is(key, klen, "max-age") && word_is(val, vlen, "auto"))
                    ms = 1;
                else if (word_is(key, klen, "max-unchanged") && word_is(val, vlen, "off"))
                    ms = 0;
                else
                    ok = rulefile_parse_duration(val, vlen, &ms, err, sizeof err) == 0;
                if (ok && word_is(key, klen, "cadence") && ms <= 0)
                    ok = false, snprintf(err, sizeof err, "must be greater than 0");
                if (!ok) {
                    lint_add(c, LINT_DIRECTIVE_INVALID, d[i].offset, rule >= 0,
                             "bad %.*s value '%.*s' (%s): write a duration such as 30s, 5m or 1h", (int)klen,
                             key, (int)vlen, val, err);
                } else if (word_is(key, klen, "cadence")) {
                    pol->cadence_ms = ms;
                    pol->cadence_on_rule = rule >= 0;
                } else if (word_is(key, klen, "max-unchanged")) {
                    pol->has_max_unchanged = ms > 0;
                }
            } else if (word_is(key, klen, "on-missing") || word_is(key, klen, "on-stale")) {
                bool missing = word_is(key, klen, "on-missing");
                bool ok = word_is(val, vlen, "hold") || word_is(val, vlen, "resolve") ||
                          (!missing && word_is(val, vlen, "fire"));
                if (!ok)
                    lint_add(c, LINT_DIRECTIVE_INVALID, d[i].offset, rule >= 0,
                             "bad %.*s value '%.*s': use %s", (int)klen, key, (int)vlen, val,
                             missing ? "hold or resolve" : "hold, fire or resolve");
                else if (missing)
                    pol->has_on_missing = true;
            } else {
                lint_add(c, LINT_DIRECTIVE_INVALID, d[i].offset, rule >= 0,
                         "unknown heed directive key '%.*s': known keys are cadence, disable, max-age, "
                         "max-hold, max-unchanged, on-missing and on-stale",
                         (int)klen, key);
            }
        }
        if (any_disable && !reason) {
            lint_add(c, LINT_DISABLE_WITHOUT_REASON, d[i].offset, rule >= 0,
                     "a disable needs a reason: write it after the check ids, e.g. "
                     "'# heed: disable=%s the exporter pushes every 10m on purpose'",
                     c->ndisables > first_disable ? check_table[c->disables[first_disable].check].id
                                                  : "rate-window-short");
        }
    }
}

/* ---- the run ---- */

static int finding_cmp(const void *a, const void *b)
{
    const struct lint_finding *x = a, *y = b;
    int d = strcmp(x->file, y->file);
    if (d)
        return d;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    d = strcmp(check_table[x->check].id, check_table[y->check].id);
    if (d)
        return d;
    return strcmp(x->message, y->message);
}

/* Drops findings a disable directive silences and reports disables that
 * silenced nothing. */
static void apply_disables(struct lint_ctx *c)
{
    struct lint_report *r = c->rep;
    size_t keep = 0, n = r->len;
    for (size_t i = 0; i < n; i++) {
        bool silenced = false;
        for (size_t k = 0; k < c->ndisables && !silenced; k++) {
            struct lint_disable *d = &c->disables[k];
            if (d->check != r->items[i].check)
                continue;
            long scope = c->finding_rule[i];
            if (scope == -2) /* set-wide: any group-level disable in the set */
                silenced = d->rule < 0;
            else
                silenced = d->file == c->finding_file[i] && d->group == c->finding_group[i] &&
                           (d->rule < 0 || d->rule == scope);
            if (silenced)
                d->used = true;
        }
        if (!silenced) {
            r->items[keep] = r->items[i];
            c->finding_rule[keep] = c->finding_rule[i];
            c->finding_file[keep] = c->finding_file[i];
            c->finding_group[keep] = c->finding_group[i];
            keep++;
        }
    }
    r->len = keep;
    for (size_t k = 0; k < c->ndisables; k++) {
        struct lint_disable *d = &c->disables[k];
        if (d->used)
            continue;
        c->gi = d->group;
        add_finding(c, LINT_DISABLE_UNUSED, d->file, d->offset, d->rule,
                    arena_printf(c->a,
                                 "disable=%s silences nothing here: remove it (or move it above the "
                                 "group or rule that has the finding)",
                                 check_table[d->check].id));
    }
}

static const char *const online_fail_prefix = "datasource: ";

int lint_run(const struct rulefile *const *files, size_t nfiles, const struct lint_opts *opts,
             struct lint_report *out, char *err, size_t errlen)
{
    struct lint_ctx c = {0};
    struct lint_opts o = *opts;
    if (o.eval_interval_ms <= 0)
        o.eval_interval_ms = 60000;
    if (o.lookback_ms <= 0)
        o.lookback_ms = 300000;
    c.opts = &o;
    c.rep = out;
    c.a = &out->arena;
    arena_init(&c.tmp, 0);
    c.files = files;
    c.nfiles = nfiles;
    c.line_starts = xcalloc(nfiles ? nfiles : 1, sizeof *c.line_starts);
    c.nlines = xcalloc(nfiles ? nfiles : 1, sizeof *c.nlines);
    lint_map_init(&c.records);
    lint_map_init(&c.sels);
    int rc = 0;

    /* pre-pass: positions, recorded names, absence alerts, watchdog, selectors */
    for (c.fi = 0; c.fi < nfiles; c.fi++) {
        build_lines(&c, c.fi);
        c.rf = files[c.fi];
        for (c.gi = 0; c.gi < c.rf->ngroups; c.gi++) {
            c.g = &c.rf->groups[c.gi];
            for (c.ri = 0; c.ri < c.g->nrules; c.ri++) {
                c.r = &c.g->rules[c.ri];
                if (c.r->ast)
                    lint_collect_rule(&c);
            }
        }
    }

    if (o.backend && c.nsel) {
        const char **texts = xmalloc(c.nsel * sizeof *texts);
        struct lint_obs *obs = xcalloc(c.nsel, sizeof *obs);
        for (size_t i = 0; i < c.nsel; i++)
            texts[i] = c.sel_list[i]->text;
        char e[512] = "";
        if (o.backend->observe(o.backend->ctx, texts, c.nsel, obs, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s%s", online_fail_prefix, e);
            rc = -1;
        } else {
            for (size_t i = 0; i < c.nsel; i++)
                c.sel_list[i]->obs = obs[i];
            c.online = true;
        }
        free(texts);
        free(obs);
    }

    /* per group and rule: directives, then the checks */
    for (c.fi = 0; c.fi < nfiles && rc == 0; c.fi++) {
        c.rf = files[c.fi];
        bool has_directives = c.rf->src && memmem(c.rf->src, c.rf->len, "heed:", 5);
        for (c.gi = 0; c.gi < c.rf->ngroups; c.gi++) {
            c.g = &c.rf->groups[c.gi];
            c.interval_ms = c.g->interval_ms > 0 ? c.g->interval_ms : o.eval_interval_ms;
            struct lint_policy gpol = {0};
            c.group_lag = INT64_MIN;
            c.group_lag_sel = NULL;
            if (has_directives)
                parse_directives(&c, c.g->line, -1, &gpol);
            for (c.ri = 0; c.ri < c.g->nrules; c.ri++) {
                c.r = &c.g->rules[c.ri];
                c.pol = gpol;
                c.pol.cadence_on_rule = false;
                if (has_directives)
                    parse_directives(&c, c.r->line, (long)c.ri, &c.pol);
                struct arena_mark m = arena_mark(&c.tmp);
                if (c.r->ast)
                    lint_check_rule(&c);
                arena_reset(&c.tmp, m);
            }
            lint_check_group_end(&c);
        }
    }

    /* set-wide */
    if (rc == 0 && !c.have_watchdog && nfiles) {
        size_t fi = 0;
        while (fi < nfiles && !files[fi]->ngroups)
            fi++;
        if (fi < nfiles) {
            c.gi = 0;
            add_finding(&c, LINT_NO_WATCHDOG, fi, files[fi]->groups[0].offset, -2,
                        "no always-firing watchdog alert in the rule set: add one, e.g. 'alert: Watchdog' "
                        "with 'expr: vector(1)', and route it to a dead man's switch so that a pipeline "
                        "that stopped evaluating or notifying is noticed");
        }
    }
    apply_disables(&c);
    if (out->len > 1)
        qsort(out->items, out->len, sizeof *out->items, finding_cmp);

    for (size_t i = 0; i < nfiles; i++)
        free(c.line_starts[i]);
    free(c.line_starts);
    free(c.nlines);
    free(c.finding_rule);
    free(c.finding_file);
    free(c.finding_group);
    free(c.disables);
    free(c.absents);
    free(c.sel_list);
    lint_map_release(&c.records);
    lint_map_release(&c.sels);
    arena_release(&c.tmp);
    return rc;
}

/* ---- output ---- */

int lint_format_parse(const char *s, enum lint_format *f)
{
    if (!strcmp(s, "text"))
        *f = LINT_FORMAT_TEXT;
    else if (!strcmp(s, "json"))
        *f = LINT_FORMAT_JSON;
    else if (!strcmp(s, "github"))
        *f = LINT_FORMAT_GITHUB;
    else
        return -1;
    return 0;
}

static void json_string(struct strbuf *out, const char *s)
{
    strbuf_addch(out, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            strbuf_addch(out, '\\');
            strbuf_addch(out, (char)ch);
        } else if (ch == '\n') {
            strbuf_addstr(out, "\\n");
        } else if (ch == '\t') {
            strbuf_addstr(out, "\\t");
        } else if (ch < 0x20) {
            strbuf_addf(out, "\\u%04x", ch);
        } else {
            strbuf_addch(out, (char)ch);
        }
    }
    strbuf_addch(out, '"');
}

/* GitHub's workflow-command escaping: data escapes %, CR and LF;
 * properties also ':' and ','. */
static void gh_escape(struct strbuf *out, const char *s, bool property)
{
    for (; *s; s++) {
        switch (*s) {
        case '%':
            strbuf_addstr(out, "%25");
            break;
        case '\r':
            strbuf_addstr(out, "%0D");
            break;
        case '\n':
            strbuf_addstr(out, "%0A");
            break;
        case ':':
            if (property) {
                strbuf_addstr(out, "%3A");
                break;
            }
            strbuf_addch(out, *s);
            break;
        case ',':
            if (property) {
                strbuf_addstr(out, "%2C");
                break;
            }
            strbuf_addch(out, *s);
            break;
        default:
            strbuf_addch(out, *s);
        }
    }
}

void lint_render(struct strbuf *out, const struct lint_report *r, enum lint_format f)
{
    if (f == LINT_FORMAT_JSON)
        strbuf_addch(out, '[');
    for (size_t i = 0; i < r->len; i++) {
        const struct lint_finding *x = &r->items[i];
        const struct lint_check_info *ci = &check_table[x->check];
        switch (f) {
        case LINT_FORMAT_TEXT:
            strbuf_addf(out, "%s:%u:%u: %s: %s: %s\n", x->file, x->line, x->col,
                        lint_severity_name(ci->severity), ci->id, x->message);
            break;
        case LINT_FORMAT_JSON:
            strbuf_addstr(out, i ? ",\n {\"file\":" : "\n {\"file\":");
            json_string(out, x->file);
            strbuf_addf(out, ",\"line\":%u,\"column\":%u,\"severity\":\"%s\",\"check\":\"%s\",\"message\":",
                        x->line, x->col, lint_severity_name(ci->severity), ci->id);
            json_string(out, x->message);
            strbuf_addch(out, '}');
            break;
        case LINT_FORMAT_GITHUB:
            strbuf_addstr(out, ci->severity == LINT_ERROR     ? "::error file="
                               : ci->severity == LINT_WARNING ? "::warning file="
                                                              : "::notice file=");
            gh_escape(out, x->file, true);
            strbuf_addf(out, ",line=%u,col=%u,title=", x->line, x->col);
            gh_escape(out, ci->id, true);
            strbuf_addstr(out, "::");
            gh_escape(out, x->message, false);
            strbuf_addch(out, '\n');
            break;
        }
    }
    if (f == LINT_FORMAT_JSON)
        strbuf_addstr(out, r->len ? "\n]\n" : "]\n");
}

void lint_format_duration(struct strbuf *out, int64_t ms)
{
    if (ms == 0) {
        strbuf_addstr(out, "0s");
        return;
    }
    if (ms < 0) {
        strbuf_addch(out, '-');
        ms = -ms;
    }
    static const struct {
        int64_t ms;
        char unit[3];
    } units[] = {{31536000000LL, "y"}, {604800000LL, "w"}, {86400000LL, "d"}, {3600000LL, "h"},
                 {60000LL, "m"},       {1000LL, "s"},      {1LL, "ms"}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (ms >= units[i].ms) {
            strbuf_addf(out, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
            ms %= units[i].ms;
        }
    }
}
