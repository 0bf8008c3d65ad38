/* fn_label: label_replace and label_join. Regexes are compiled with PCRE2,
 * anchored and dot-all as Prometheus's "^(?s:" + re + ")$"; replacements
 * expand $1, ${1}, $name and ${name} as Go's Regexp.Expand. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "eval/fn.h"

bool fn_valid_label_name(const char *s)
{
    if (!s[0])
        return false;
    /* UTF-8 validation mode: any non-empty valid UTF-8 string */
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
        if (!n)
            return false;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

static void free_code(void *p)
{
    pcre2_code_free(p);
}

static void expand(struct strbuf *out, const char *tmpl, const char *subject, pcre2_code *re,
                   PCRE2_SIZE *ov, int rc)
{
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
        const char *name;
        size_t len;
        bool braced = *p == '{';
        if (braced) {
            const char *end = strchr(p + 1, '}');
            if (!end) {
                strbuf_addch(out, '$');
                continue;
            }
            name = p + 1;
            len = (size_t)(end - name);
            p = end + 1;
        } else {
            name = p;
            while (*p && (isalnum((unsigned char)*p) || *p == '_'))
                p++;
            len = (size_t)(p - name);
            if (len == 0) {
                strbuf_addch(out, '$');
                continue;
            }
        }
        char nb[128];
        if (len == 0 || len >= sizeof nb)
            continue;
        memcpy(nb, name, len);
        nb[len] = '\0';
        int idx = -1;
        bool digits = true;
        for (size_t i = 0; i < len; i++)
            digits = digits && isdigit((unsigned char)nb[i]);
        if (digits)
            idx = atoi(nb);
        else
            idx = pcre2_substring_number_from_name(re, (PCRE2_SPTR)nb);
        if (idx < 0 || idx >= rc || ov[2 * idx] == PCRE2_UNSET)
            continue;
        strbuf_add(out, subject + ov[2 * idx], ov[2 * idx + 1] - ov[2 * idx]);
    }
}

int fn_label_replace(struct fn_args *fa, struct value *out)
{
    struct ev *ev = fa->ev;
    const char *dst = fa->args[1].u.str, *repl = fa->args[2].u.str, *src = fa->args[3].u.str,
               *rx = fa->args[4].u.str;
    struct strbuf pat = STRBUF_INIT;
    strbuf_addf(&pat, "^(?s:%s)$", rx);
    int errc;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat.buf, pat.len, PCRE2_UTF | PCRE2_NO_UTF_CHECK,
                                   &errc, &erroff, NULL);
    strbuf_release(&pat);
    if (!re)
        return ev_fail(ev, EVAL_ERR_EXECUTION, "invalid regular expression in label_replace(): %s", rx);
    arena_on_release(ev->a, free_code, re);
    if (!fn_valid_label_name(dst))
        return ev_fail(ev, EVAL_ERR_EXECUTION, "invalid destination label name in label_replace(): %s", dst);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    const struct vector *in = &fa->args[0].u.vec;
    struct vector v = fn_out_vec(fa, in->n);
    struct strbuf res = STRBUF_INIT;
    for (size_t i = 0; i < in->n; i++) {
        v.s[i] = in->s[i];
        v.s[i].t_ms = fa->t;
        const char *sv = labels_get(in->s[i].ls, src);
        if (!sv)
            sv = "";
        int rc = pcre2_match(re, (PCRE2_SPTR)sv, strlen(sv), 0, 0, md, NULL);
        if (rc < 0)
            continue;
        strbuf_reset(&res);
        expand(&res, repl, sv, re, pcre2_get_ovector_pointer(md), rc);
        labels_builder_reset(&ev->lb, in->s[i].ls);
        labels_builder_set(&ev->lb, dst, arena_strndup(ev->keep, res.buf, res.len));
        v.s[i].ls = labels_builder_finish(&ev->lb, &ev->lt);
        if (!strcmp(dst, LABELS_METRIC_NAME))
            v.s[i].drop_name = false;
    }
    v.n = in->n;
    strbuf_release(&res);
    pcre2_match_data_free(md);
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}

int fn_label_join(struct fn_args *fa, struct value *out)
{
    struct ev *ev = fa->ev;
    const char *dst = fa->args[1].u.str, *sep = fa->args[2].u.str;
    for (size_t j = 3; j < fa->nargs; j++)
        if (!fn_valid_label_name(fa->args[j].u.str))
            return ev_fail(ev, EVAL_ERR_EXECUTION, "invalid source label name in label_join(): %s",
                           fa->args[j].u.str);
    if (!fn_valid_label_name(dst))
        return ev_fail(ev, EVAL_ERR_EXECUTION, "invalid destination label name in label_join(): %s", dst);
    const struct vector *in = &fa->args[0].u.vec;
    struct vector v = fn_out_vec(fa, in->n);
    struct strbuf res = STRBUF_INIT;
    for (size_t i = 0; i < in->n; i++) {
        strbuf_reset(&res);
        for (size_t j = 3; j < fa->nargs; j++) {
            if (j > 3)
                strbuf_addstr(&res, sep);
            const char *sv = labels_get(in->s[i].ls, fa->args[j].u.str);
            if (sv)
                strbuf_addstr(&res, sv);
        }
        v.s[i] = in->s[i];
        v.s[i].t_ms = fa->t;
        labels_builder_reset(&ev->lb, in->s[i].ls);
        labels_builder_set(&ev->lb, dst, arena_strndup(ev->keep, res.buf, res.len));
        v.s[i].ls = labels_builder_finish(&ev->lb, &ev->lt);
        if (!strcmp(dst, LABELS_METRIC_NAME))
            v.s[i].drop_name = false;
    }
    v.n = in->n;
    strbuf_release(&res);
    out->type = VALUE_VECTOR;
    out->u.vec = v;
    return 0;
}
