/* relabel: Prometheus's relabelling of a label set (see relabel.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "compat/relabel.h"

#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/strbuf.h"
#include "base/xalloc.h"

struct relabel_rule {
    enum relabel_action action;
    char **source;       /* source label names */
    size_t nsource;
    char *separator;
    char *target;        /* "" when not given */
    char *replacement;
    uint64_t modulus;
    pcre2_code *re;      /* anchored at both ends, dot matches newline */
    pcre2_match_data *md;
};

/* ORDER relabel_action */
static const char *const action_names[] = {
    "replace", "keep", "drop", "keepequal", "dropequal", "hashmod",
    "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase",
};

int relabel_action_parse(const char *s)
{
    for (size_t i = 0; i < sizeof action_names / sizeof action_names[0]; i++)
        if (!strcasecmp(s, action_names[i]))
            return (int)i;
    return -1;
}

const char *relabel_action_name(enum relabel_action a)
{
    return action_names[a];
}

/* ---- MD5 (RFC 1321), for hashmod ---- */

static uint32_t rotl(uint32_t x, unsigned c)
{
    return (x << c) | (x >> (32 - c));
}

static void md5(const unsigned char *msg, size_t len, unsigned char out[16])
{
    static const unsigned shift[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                       5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                       4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                       6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    uint32_t k[64];
    for (int i = 0; i < 64; i++) /* the RFC's table: floor(|sin(i + 1)| * 2^32) */
        k[i] = (uint32_t)(fabs(sin((double)(i + 1))) * 4294967296.0);
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    size_t total = ((len + 8) / 64 + 1) * 64;
    unsigned char *buf = xcalloc(total, 1);
    memcpy(buf, msg, len);
    buf[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        buf[total - 8 + i] = (unsigned char)(bits >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[16];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)buf[off + 4 * i] | (uint32_t)buf[off + 4 * i + 1] << 8 |
                   (uint32_t)buf[off + 4 * i + 2] << 16 | (uint32_t)buf[off + 4 * i + 3] << 24;
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
        for (int i = 0; i < 64; i++) {
            uint32_t f;
            int g;
            if (i < 16) {
                f = (b & c) | (~b & d);
                g = i;
            } else if (i < 32) {
                f = (d & b) | (~d & c);
                g = (5 * i + 1) % 16;
            } else if (i < 48) {
                f = b ^ c ^ d;
                g = (3 * i + 5) % 16;
            } else {
                f = c ^ (b | ~d);
                g = (7 * i) % 16;
            }
            uint32_t t = d;
            d = c;
            c = b;
            b = b + rotl(a + f + k[i] + w[g], shift[i]);
            a = t;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
    }
    free(buf);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (unsigned char)(h[i] >> (8 * j));
}

/* Prometheus's sum64 of an MD5 sum: its last eight bytes, big-endian (the
 * first eight shift out of a uint64). */
static uint64_t hash_mod(const char *val, uint64_t modulus)
{
    unsigned char sum[16];
    md5((const unsigned char *)val, strlen(val), sum);
    uint64_t s = 0;
    for (int i = 8; i < 16; i++)
        s = s << 8 | sum[i];
    return s % modulus;
}

/* ---- labels ---- */

void relabel_labels_init(struct relabel_labels *ls)
{
    memset(ls, 0, sizeof *ls);
}

void relabel_labels_release(struct relabel_labels *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        free(ls->l[i].name);
        free(ls->l[i].value);
    }
    free(ls->l);
    memset(ls, 0, sizeof *ls);
}

static long find(const struct relabel_labels *ls, const char *name)
{
    for (size_t i = 0; i < ls->n; i++)
        if (!strcmp(ls->l[i].name, name))
            return (long)i;
    return -1;
}

static void del_at(struct relabel_labels *ls, size_t i)
{
    free(ls->l[i].name);
    free(ls->l[i].value);
    ls->l[i] = ls->l[--ls->n];
}

void relabel_labels_set(struct relabel_labels *ls, const char *name, const char *value)
{
    long i = find(ls, name);
    if (!*value) {
        if (i >= 0)
            del_at(ls, (size_t)i);
        return;
    }
    if (i >= 0) {
        free(ls->l[i].value);
        ls->l[i].value = xstrdup(value);
        return;
    }
    XGROW(ls->l, ls->cap, ls->n + 1);
    ls->l[ls->n++] = (struct relabel_label){xstrdup(name), xstrdup(value)};
}

const char *relabel_labels_get(const struct relabel_labels *ls, const char *name)
{
    long i = find(ls, name);
    return i >= 0 ? ls->l[i].value : "";
}

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const struct relabel_label *)a)->name, ((const struct relabel_label *)b)->name);
}

void relabel_labels_sort(struct relabel_labels *ls)
{
    if (ls->n > 1)
        qsort(ls->l, ls->n, sizeof *ls->l, label_cmp);
}

/* ---- compiling ---- */

static bool label_name_valid(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (p != s && c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Prometheus's check of a replace target: label-name characters and
 * $-references ($name, ${name}), starting with a letter, '_' or a reference. */
static bool target_template_valid(const char *s)
{
    if (!*s || (word_char(*s) && *s >= '0' && *s <= '9'))
        return false;
    for (const char *p = s; *p;) {
        if (*p == '$') {
            p++;
            if (*p == '{') {
                const char *q = ++p;
                while (word_char(*p))
                    p++;
                if (p == q || *p != '}')
                    return false;
                p++;
            } else {
                const char *q = p;
                while (word_char(*p))
                    p++;
                if (p == q)
                    return false;
            }
        } else if (word_char(*p)) {
            p++;
        } else {
            return false;
        }
    }
    return true;
}

struct relabel_rule *relabel_compile(const struct relabel_config *c, char *err, size_t errsz)
{
    const char *target = c->target_label ? c->target_label : "";
    const char *name = relabel_action_name(c->action);
    bool plain_sep = !c->separator || !strcmp(c->separator, ";");
    bool plain_re = !c->regex || !strcmp(c->regex, "(.*)");
    bool plain_repl = !c->replacement || !strcmp(c->replacement, "$1");
    switch (c->action) {
    case RELABEL_HASHMOD:
        if (!c->modulus) {
            snprintf(err, errsz, "relabel configuration for hashmod requires non-zero modulus");
            return NULL;
        }
        /* fall through */
    case RELABEL_REPLACE:
    case RELABEL_LOWERCASE:
    case RELABEL_UPPERCASE:
    case RELABEL_KEEPEQUAL:
    case RELABEL_DROPEQUAL:
        if (!*target) {
            snprintf(err, errsz, "relabel configuration for %s action requires 'target_label' value", name);
            return NULL;
        }
        if (c->action == RELABEL_REPLACE ? !target_template_valid(target) : !label_name_valid(target)) {
            snprintf(err, errsz, "\"%s\" is invalid 'target_label' for %s action", target, name);
            return NULL;
        }
        break;
    default:
        break;
    }
    if ((c->action == RELABEL_KEEPEQUAL || c->action == RELABEL_DROPEQUAL) &&
        (!plain_re || c->modulus || !plain_sep || !plain_repl)) {
        snprintf(err, errsz, "%s action requires only 'source_labels' and `target_label`, and no other fields", name);
        return NULL;
    }
    if ((c->action == RELABEL_LABELDROP || c->action == RELABEL_LABELKEEP) &&
        (c->nsource_labels || *target || c->modulus || !plain_sep || !plain_repl)) {
        snprintf(err, errsz, "%s action requires only 'regex', and no other fields", name);
        return NULL;
    }
    const char *regex = c->regex ? c->regex : "(.*)";
    int code;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                                   PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOTALL | PCRE2_UTF, &code, &at, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, errsz, "invalid regex \"%s\": %s at offset %zu", regex, (const char *)msg, (size_t)at);
        return NULL;
    }
    struct relabel_rule *r = xcalloc(1, sizeof *r);
    r->action = c->action;
    r->re = re;
    r->md = pcre2_match_data_create_from_pattern(re, NULL);
    r->nsource = c->nsource_labels;
    r->source = xcalloc(r->nsource + 1, sizeof *r->source);
    for (size_t i = 0; i < r->nsource; i++)
        r->source[i] = xstrdup(c->source_labels[i]);
    r->separator = xstrdup(c->separator ? c->separator : ";");
    r->target = xstrdup(target);
    r->replacement = xstrdup(c->replacement ? c->replacement : "$1");
    r->modulus = c->modulus;
    return r;
}

void relabel_free(struct relabel_rule *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsource; i++)
        free(r->source[i]);
    free(r->source);
    free(r->separator);
    free(r->target);
    free(r->replacement);
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->re);
    free(r);
}

/* ---- applying ---- */

static bool match(struct relabel_rule *r, const char *s)
{
    return pcre2_match(r->re, (PCRE2_SPTR)s, strlen(s), 0, 0, r->md, NULL) >= 0;
}

/* Go's Regexp.Expand of tmpl against the last match of subject. */
static void expand(struct relabel_rule *r, const char *subject, const char *tmpl, struct strbuf *out)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    uint32_t ngroups = pcre2_get_ovector_count(r->md);
    for (const char *p = tmpl; *p;) {
        if (*p != '$') {
            strbuf_addch(out, *p++);
            continue;
        }
        p++;
        if (*p == '$') {
            strbuf_addch(out, '$');
            p++;
            continue;
        }
        const char *name = p, *end;
        bool braced = *p == '{';
        if (braced)
            name = ++p;
        while (word_char(*p))
            p++;
        end = p;
        if (end == name || (braced && *p != '}')) {
            strbuf_addch(out, '$'); /* malformed: the $ is literal text */
            p = braced ? name - 1 : name;
            continue;
        }
        if (braced)
            p++;
        char buf[128];
        size_t len = (size_t)(end - name) < sizeof buf - 1 ? (size_t)(end - name) : sizeof buf - 1;
        memcpy(buf, name, len);
        buf[len] = 0;
        long g = -1;
        bool digits = true;
        for (size_t i = 0; i < len; i++)
            digits &= buf[i] >= '0' && buf[i] <= '9';
        if (digits)
            g = len < 10 ? atol(buf) : -1;
        else
            g = pcre2_substring_number_from_name(r->re, (PCRE2_SPTR)buf);
        if (g >= 0 && (uint32_t)g < ngroups && ov[2 * g] != PCRE2_UNSET)
            strbuf_add(out, subject + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
    }
}

static bool apply(struct relabel_rule *r, struct relabel_labels *ls)
{
    struct strbuf val = STRBUF_INIT, tmp = STRBUF_INIT;
    for (size_t i = 0; i < r->nsource; i++) {
        if (i)
            strbuf_addstr(&val, r->separator);
        strbuf_addstr(&val, relabel_labels_get(ls, r->source[i]));
    }
    const char *v = val.buf ? val.buf : "";
    bool keep = true;
    switch (r->action) {
    case RELABEL_DROP:
        keep = !match(r, v);
        break;
    case RELABEL_KEEP:
        keep = match(r, v);
        break;
    case RELABEL_DROPEQUAL:
        keep = strcmp(relabel_labels_get(ls, r->target), v) != 0;
        break;
    case RELABEL_KEEPEQUAL:
        keep = strcmp(relabel_labels_get(ls, r->target), v) == 0;
        break;
    case RELABEL_REPLACE: {
        if (!match(r, v))
            break;
        expand(r, v, r->target, &tmp);
        char *target = strbuf_detach(&tmp);
        if (label_name_valid(target)) {
            expand(r, v, r->replacement, &tmp);
            relabel_labels_set(ls, target, tmp.buf ? tmp.buf : "");
        }
        free(target);
        break;
    }
    case RELABEL_LOWERCASE:
    case RELABEL_UPPERCASE: {
        strbuf_addstr(&tmp, v);
        for (size_t i = 0; i < tmp.len; i++) {
            char c = tmp.buf[i]; /* ASCII only; other bytes unchanged */
            if (r->action == RELABEL_LOWERCASE && c >= 'A' && c <= 'Z')
                tmp.buf[i] = (char)(c - 'A' + 'a');
            else if (r->action == RELABEL_UPPERCASE && c >= 'a' && c <= 'z')
                tmp.buf[i] = (char)(c - 'a' + 'A');
        }
        relabel_labels_set(ls, r->target, tmp.buf ? tmp.buf : "");
        break;
    }
    case RELABEL_HASHMOD: {
        char num[32];
        snprintf(num, sizeof num, "%llu", (unsigned long long)hash_mod(v, r->modulus));
        relabel_labels_set(ls, r->target, num);
        break;
    }
    case RELABEL_LABELMAP: {
        /* over the labels as they were: new names add to the set */
        size_t n = ls->n;
        char **names = xcalloc(n + 1, sizeof *names), **values = xcalloc(n + 1, sizeof *values);
        for (size_t i = 0; i < n; i++) {
            names[i] = xstrdup(ls->l[i].name);
            values[i] = xstrdup(ls->l[i].value);
        }
        for (size_t i = 0; i < n; i++) {
            if (!match(r, names[i]))
                continue;
            strbuf_reset(&tmp);
            expand(r, names[i], r->replacement, &tmp);
            if (tmp.len)
                relabel_labels_set(ls, tmp.buf, values[i]);
        }
        for (size_t i = 0; i < n; i++) {
            free(names[i]);
            free(values[i]);
        }
        free(names);
        free(values);
        break;
    }
    case RELABEL_LABELDROP:
    case RELABEL_LABELKEEP:
        for (size_t i = 0; i < ls->n;) {
            if (match(r, ls->l[i].name) == (r->action == RELABEL_LABELDROP))
                del_at(ls, i);
            else
                i++;
        }
        break;
    }
    strbuf_release(&val);
    strbuf_release(&tmp);
    return keep;
}

bool relabel_process(struct relabel_rule *const *rules, size_t n, struct relabel_labels *ls)
{
    for (size_t i = 0; i < n; i++)
        if (!apply(rules[i], ls))
            return false;
    return true;
}
