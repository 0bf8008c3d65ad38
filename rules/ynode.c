/* ynode: libyaml events -> node tree (see ynode.h). */
#include "rules/ynode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/arena.h"
#include "base/xalloc.h"

#define YNODE_DEFAULT_DEPTH 10000
#define YNODE_DEFAULT_NODES ((size_t)10 * 1000 * 1000)
#define YNODE_DEFAULT_BYTES ((size_t)1 << 30)

/* An anchor definition; newest first, so a redefinition shadows the older one. */
struct anchor_def {
    const char *name;
    struct ynode *node;
    struct anchor_def *next;
};

/* A collection still being filled, with its children gathered in a growable array. */
struct open_coll {
    struct ynode *node;
    struct ynode **items;
    size_t len, cap;
};

struct builder {
    struct arena *a;
    const char *src;
    size_t len;
    uint32_t *line_start; /* byte offset of each line (0-based index), malloc'd */
    int8_t *line_ascii;   /* per line: -1 not yet known, 1 only ASCII, 0 not; malloc'd */
    size_t nlines;
    struct open_coll *stack; /* malloc'd */
    size_t depth, stack_cap;
    struct anchor_def *anchors;
    size_t nodes;
    struct ynode_limits lim;
    struct ynode_error *err;
};

static void set_error(struct ynode_error *err, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_error(struct ynode_error *err, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->line = line;
    err->col = col;
}

/* The message Go's yaml.v3 builds from libyaml's error state (parser.fail):
 * the context mark's line wins over the problem mark's; both are 0-based and
 * only scanner errors get one added, so parser errors name the line before. */
static void set_libyaml_error(struct ynode_error *err, const yaml_parser_t *p)
{
    size_t line = 0;
    if (p->context_mark.line != 0)
        line = p->context_mark.line + (p->error == YAML_SCANNER_ERROR);
    else if (p->problem_mark.line != 0)
        line = p->problem_mark.line + (p->error == YAML_SCANNER_ERROR);
    const char *problem = p->problem && *p->problem ? p->problem : "unknown problem parsing YAML content";
    if (line)
        set_error(err, (uint32_t)line, 0, "yaml: line %zu: %s", line, problem);
    else
        set_error(err, 0, 0, "yaml: %s", problem);
    if (!err->line)
        err->line = (uint32_t)p->problem_mark.line + 1;
    err->col = (uint32_t)p->problem_mark.column + 1;
}

static void build_line_table(struct builder *b)
{
    size_t cap = 64;
    b->line_start = xmalloc(cap * sizeof *b->line_start);
    b->nlines = 0;
    b->line_start[b->nlines++] = 0;
    for (const char *p = b->src, *end = b->src + b->len; (p = memchr(p, '\n', (size_t)(end - p)));) {
        p++;
        if (b->nlines == cap) {
            cap *= 2;
            b->line_start = xrealloc(b->line_start, cap * sizeof *b->line_start);
        }
        b->line_start[b->nlines++] = (uint32_t)(p - b->src);
    }
    b->line_ascii = xmalloc(b->nlines);
    memset(b->line_ascii, -1, b->nlines);
}

/* Byte offset of a libyaml mark: its line's start plus column characters
 * (libyaml counts columns in characters, not bytes; on an ASCII line the
 * two agree, and whether a line is ASCII is found out once). */
static uint32_t mark_offset(struct builder *b, const yaml_mark_t *m)
{
    if (m->line >= b->nlines)
        return (uint32_t)b->len;
    size_t off = b->line_start[m->line];
    if (b->line_ascii[m->line] < 0) {
        size_t end = m->line + 1 < b->nlines ? b->line_start[m->line + 1] : b->len;
        int8_t ascii = 1;
        for (size_t i = off; i < end && ascii; i++)
            ascii = (unsigned char)b->src[i] < 0x80;
        b->line_ascii[m->line] = ascii;
    }
    if (b->line_ascii[m->line])
        return (uint32_t)(off + m->column);
    for (size_t c = 0; c < m->column && off < b->len && b->src[off] != '\n'; c++) {
        off++;
        while (off < b->len && ((unsigned char)b->src[off] & 0xC0) == 0x80)
            off++;
    }
    return (uint32_t)off;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Go's strconv.ParseInt/ParseUint with base 0 on s (underscores already
 * removed): optional sign, then 0x/0o/0b prefixes, a leading 0 for octal. */
static int looks_int(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i >= n)
        return 0;
    int base = 10;
    if (s[i] == '0' && i + 1 < n) {
        char p = s[i + 1];
        if (p == 'x' || p == 'X')
            base = 16, i += 2;
        else if (p == 'o' || p == 'O')
            base = 8, i += 2;
        else if (p == 'b' || p == 'B')
            base = 2, i += 2;
        else
            base = 8, i += 1;
        if (i >= n)
            return 0;
    }
    for (; i < n; i++) {
        char c = s[i];
        int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : 99;
        if (d >= base)
            return 0;
    }
    return 1;
}

/* yaml.v3's float pattern ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int looks_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == d)
            return 0;
    } else {
        size_t d = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == d)
            return 0;
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && is_digit(s[i]))
                i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == d)
            return 0;
    }
    return i == n;
}

static int in_list(const char *s, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == n && !memcmp(*list, s, n))
            return 1;
    return 0;
}

/* The tag yaml.v3's resolve() gives a plain scalar (used for its error texts
 * and to tell null from a string). */
const char *ynode_resolve(const char *s, size_t n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const bools[] = {"true", "True", "TRUE", "false", "False", "FALSE", NULL};
    static const char *const floats[] = {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf",
                                         "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", NULL};
    if (in_list(s, n, nulls))
        return "!!null";
    char c = s[0];
    if (in_list(s, n, bools))
        return "!!bool";
    if (in_list(s, n, floats))
        return "!!float";
    if (n == 2 && s[0] == '<' && s[1] == '<')
        return "!!merge";
    if (c == '.')
        return looks_float(s, n) ? "!!float" : "!!str";
    if (!is_digit(c) && c != '+' && c != '-')
        return "!!str";
    /* Timestamps: yaml.v3 tries time formats that all start with YYYY-. */
    if (n > 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-') {
        size_t i = 5, d = 0;
        while (i < n && is_digit(s[i]))
            i++, d++;
        if (d >= 1 && d <= 2 && i < n && s[i] == '-') {
            i++;
            d = 0;
            while (i < n && is_digit(s[i]))
                i++, d++;
            if (d >= 1 && d <= 2 && (i == n || s[i] == 'T' || s[i] == 't' || s[i] == ' '))
                return "!!timestamp";
        }
    }
    char buf[128];
    size_t m = 0;
    for (size_t i = 0; i < n && m < sizeof buf; i++)
        if (s[i] != '_')
            buf[m++] = s[i];
    if (m == sizeof buf)
        return "!!str";
    if (looks_int(buf, m))
        return "!!int";
    if (looks_float(buf, m))
        return "!!float";
    return "!!str";
}

/* "tag:yaml.org,2002:str" -> "!!str"; other tags stay as written. */
static const char *short_tag(struct arena *a, const char *tag)
{
    static const char prefix[] = "tag:yaml.org,2002:";
    if (!strncmp(tag, prefix, sizeof prefix - 1))
        return arena_printf(a, "!!%s", tag + sizeof prefix - 1);
    return arena_strdup(a, tag);
}

static struct ynode *new_node(struct builder *b, enum ynode_kind kind, const yaml_event_t *ev)
{
    if (++b->nodes > b->lim.max_nodes) {
        set_error(b->err, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                  "yaml: document has more than %zu nodes", b->lim.max_nodes);
        return NULL;
    }
    struct ynode *n = ARENA_NEW(b->a, struct ynode);
    n->kind = kind;
    n->line = (uint32_t)ev->start_mark.line + 1;
    n->col = (uint32_t)ev->start_mark.column + 1;
    n->offset = mark_offset(b, &ev->start_mark);
    return n;
}

static void define_anchor(struct builder *b, struct ynode *n, const yaml_char_t *anchor)
{
    if (!anchor)
        return;
    struct anchor_def *d = ARENA_NEW(b->a, struct anchor_def);
    d->name = arena_strdup(b->a, (const char *)anchor);
    d->node = n;
    d->next = b->anchors;
    b->anchors = d;
}

/* Adds a finished node to the innermost open collection; with no open
 * collection it is the document's root. */
static void attach(struct builder *b, struct ynode *n, struct ynode **root)
{
    if (!b->depth) {
        *root = n;
        return;
    }
    struct open_coll *c = &b->stack[b->depth - 1];
    XGROW(c->items, c->cap, c->len + 1);
    c->items[c->len++] = n;
}

static int open_collection(struct builder *b, struct ynode *n)
{
    if (b->depth >= b->lim.max_depth) {
        /* Go's scanner reports this with a 0-based line, omitted when 0 */
        if (n->line > 1)
            set_error(b->err, n->line, n->col, "yaml: line %u: exceeded max depth of %zu", n->line,
                      b->lim.max_depth);
        else
            set_error(b->err, n->line, n->col, "yaml: exceeded max depth of %zu", b->lim.max_depth);
        return -1;
    }
    XGROW(b->stack, b->stack_cap, b->depth + 1);
    b->stack[b->depth++] = (struct open_coll){n, NULL, 0, 0};
    return 0;
}

static struct ynode *close_collection(struct builder *b)
{
    struct open_coll *c = &b->stack[--b->depth];
    struct ynode *n = c->node;
    n->items = ARENA_NEWN(b->a, struct ynode *, c->len ? c->len : 1);
    if (c->len)
        memcpy(n->items, c->items, c->len * sizeof *c->items);
    n->n = (uint32_t)(n->kind == YNODE_MAP ? c->len / 2 : c->len);
    free(c->items);
    return n;
}

/* One event of the document body. Returns 1 when the root is complete,
 * 0 to go on, -1 on error. */
static int handle_event(struct builder *b, const yaml_event_t *ev, struct ynode **root)
{
    struct ynode *n;
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        if (!(n = new_node(b, YNODE_SCALAR, ev)))
            return -1;
        n->value = arena_memdup(b->a, ev->data.scalar.value, ev->data.scalar.length + 1);
        n->len = (uint32_t)ev->data.scalar.length;
        switch (ev->data.scalar.style) {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = YNODE_SINGLE_QUOTED; break;
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = YNODE_DOUBLE_QUOTED; break;
        case YAML_LITERAL_SCALAR_STYLE: n->style = YNODE_LITERAL; break;
        case YAML_FOLDED_SCALAR_STYLE: n->style = YNODE_FOLDED; break;
        default: n->style = YNODE_PLAIN; break;
        }
        const char *tag = (const char *)ev->data.scalar.tag;
        if (tag && strcmp(tag, "!") != 0)
            n->tag = short_tag(b->a, tag);
        else if (n->style != YNODE_PLAIN)
            n->tag = "!!str";
        else
            n->tag = ynode_resolve(n->value, n->len);
        define_anchor(b, n, ev->data.scalar.anchor);
        attach(b, n, root);
        return b->depth == 0;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        struct anchor_def *d = b->anchors;
        while (d && strcmp(d->name, name) != 0)
            d = d->next;
        if (!d) {
            set_error(b->err, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                      "yaml: unknown anchor '%s' referenced", name);
            return -1;
        }
        if (!(n = new_node(b, YNODE_ALIAS, ev)))
            return -1;
        n->value = d->name;
        n->len = (uint32_t)strlen(d->name);
        n->target = d->node;
        n->tag = d->node->tag;
        attach(b, n, root);
        return b->depth == 0;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int seq = ev->type == YAML_SEQUENCE_START_EVENT;
        if (!(n = new_node(b, seq ? YNODE_SEQ : YNODE_MAP, ev)))
            return -1;
        const char *tag = (const char *)(seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag);
        n->tag = tag && strcmp(tag, "!") != 0 ? short_tag(b->a, tag) : seq ? "!!seq" : "!!map";
        if (seq ? ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                : ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE)
            n->style = YNODE_FLOW;
        define_anchor(b, n, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor);
        if (open_collection(b, n) < 0)
            return -1;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        n = close_collection(b);
        attach(b, n, root);
        return b->depth == 0;
    default:
        set_error(b->err, (uint32_t)ev->start_mark.line + 1, 0, "yaml: unexpected event %d", (int)ev->type);
        return -1;
    }
}

static int next_event(yaml_parser_t *p, yaml_event_t *ev, struct ynode_error *err)
{
    if (!yaml_parser_parse(p, ev) || p->error != YAML_NO_ERROR) {
        set_libyaml_error(err, p);
        return -1;
    }
    return 0;
}

int ynode_parse(const char *src, size_t len, struct arena *a, const struct ynode_limits *limits,
                struct ynode_doc *doc, struct ynode_error *err)
{
    struct builder b = {.a = a, .src = src, .len = len, .err = err};
    b.lim.max_depth = limits && limits->max_depth ? limits->max_depth : YNODE_DEFAULT_DEPTH;
    b.lim.max_nodes = limits && limits->max_nodes ? limits->max_nodes : YNODE_DEFAULT_NODES;
    b.lim.max_bytes = limits && limits->max_bytes ? limits->max_bytes : YNODE_DEFAULT_BYTES;
    if (b.lim.max_bytes > UINT32_MAX)
        b.lim.max_bytes = UINT32_MAX; /* offsets and lengths are 32-bit */
    memset(doc, 0, sizeof *doc);
    memset(err, 0, sizeof *err);
    if (len > b.lim.max_bytes) {
        set_error(err, 0, 0, "yaml: input of %zu bytes exceeds the limit of %zu", len, b.lim.max_bytes);
        return -1;
    }
    build_line_table(&b);

    yaml_parser_t p;
    yaml_event_t ev;
    int rc = -1, done = 0;
    struct ynode *root = NULL;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)src, len);
    /* stream start, then either stream end (no document) or a document */
    if (next_event(&p, &ev, err) < 0)
        goto out;
    yaml_event_delete(&ev);
    if (next_event(&p, &ev, err) < 0)
        goto out;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        rc = 0;
        goto out;
    }
    yaml_event_delete(&ev); /* document start */
    while (!done) {
        if (next_event(&p, &ev, err) < 0)
            goto out;
        int r = handle_event(&b, &ev, &root);
        yaml_event_delete(&ev);
        if (r < 0)
            goto out;
        done = r;
    }
    if (next_event(&p, &ev, err) < 0) /* document end */
        goto out;
    yaml_event_delete(&ev);
    /* Whatever follows the first document (another one, even a broken one)
     * is only noted, as Prometheus only warns about it. */
    if (yaml_parser_parse(&p, &ev)) {
        doc->more_docs = ev.type != YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    } else {
        doc->more_docs = 1;
    }
    doc->root = root;
    rc = 0;
out:
    while (b.depth)
        free(b.stack[--b.depth].items);
    free(b.stack);
    free(b.line_start);
    free(b.line_ascii);
    doc->nodes = b.nodes;
    yaml_parser_delete(&p);
    return rc;
}

const struct ynode *ynode_deref(const struct ynode *n)
{
    /* Anchors are defined before their aliases, so an alias chain ends. */
    while (n && n->kind == YNODE_ALIAS)
        n = n->target;
    return n;
}

const struct ynode *ynode_map_get(const struct ynode *map, const char *key)
{
    map = ynode_deref(map);
    if (!map || map->kind != YNODE_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = 0; i < map->n; i++) {
        const struct ynode *k = ynode_deref(map->items[2 * i]);
        if (k && k->kind == YNODE_SCALAR && k->len == klen && !memcmp(k->value, key, klen))
            return map->items[2 * i + 1];
    }
    return NULL;
}
