/* heed template: expands (or checks) one alert label/annotation template
 * read from standard input, the way an alerting rule would, with data and
 * query results given on the command line. A debugging aid and the driver
 * of the golden tests in tests/golden/template/. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "cmd/cmd.h"
#include "rules/template.h"

static const char usage[] =
    "heed template [--check] [--alert NAME] [--label K=V]... [--external-label K=V]...\n"
    "              [--external-url URL] [--value X] [--time UNIX_SECONDS] [--sample 'K=V,... X']...\n"
    "  reads the template text from standard input";

struct labels {
    struct tmpl_label *l;
    size_t n, cap;
};

static int add_label(struct labels *ls, char *kv)
{
    char *eq = strchr(kv, '=');
    if (!eq)
        return -1;
    *eq = 0;
    XGROW(ls->l, ls->cap, ls->n + 1);
    ls->l[ls->n++] = (struct tmpl_label){kv, eq + 1};
    return 0;
}

struct samples {
    struct tmpl_sample *s;
    struct labels *ls;
    size_t n, cap, lcap;
};

/* "k=v,k=v 12.5" (labels may be empty: " 12.5" or "12.5"). */
static int add_sample(struct samples *ss, char *spec)
{
    char *sp = strrchr(spec, ' ');
    char *num = sp ? sp + 1 : spec;
    char *end;
    double v = strtod(num, &end);
    if (end == num || *end)
        return -1;
    XGROW(ss->s, ss->cap, ss->n + 1);
    XGROW(ss->ls, ss->lcap, ss->n + 1);
    struct labels *ls = &ss->ls[ss->n];
    memset(ls, 0, sizeof *ls);
    if (sp) {
        *sp = 0;
        for (char *tok = strtok(spec, ","); tok; tok = strtok(NULL, ","))
            if (add_label(ls, tok) < 0)
                return -1;
    }
    ss->s[ss->n++] = (struct tmpl_sample){NULL, 0, v};
    return 0;
}

static int query_fn(void *ctx, const char *q, int64_t ts_ms, struct arena *a,
                    struct tmpl_sample **out, size_t *n, const char **err)
{
    (void)q;
    (void)ts_ms;
    (void)a;
    (void)err;
    struct samples *ss = ctx;
    *out = ss->s;
    *n = ss->n;
    return 0;
}

int cmd_template(int argc, char **argv)
{
    struct labels labels = {0}, ext = {0};
    struct samples samples = {0};
    const char *alert = "X", *url = "";
    double value = 0, now = 0;
    bool check = false;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--check")) {
            check = true;
            continue;
        }
        if (!next) {
            rc = cmd_usage_error(usage, "unknown or incomplete option '%s'", a);
            goto out;
        }
        i++;
        if (!strcmp(a, "--alert"))
            alert = next;
        else if (!strcmp(a, "--external-url"))
            url = next;
        else if (!strcmp(a, "--value"))
            value = strtod(next, NULL);
        else if (!strcmp(a, "--time"))
            now = strtod(next, NULL);
        else if (!strcmp(a, "--label") && add_label(&labels, next) == 0)
            ;
        else if (!strcmp(a, "--external-label") && add_label(&ext, next) == 0)
            ;
        else if (!strcmp(a, "--sample") && add_sample(&samples, next) == 0)
            ;
        else {
            rc = cmd_usage_error(usage, "bad option '%s %s'", a, next);
            goto out;
        }
    }
    for (size_t i = 0; i < samples.n; i++) {
        samples.s[i].labels = samples.ls[i].l;
        samples.s[i].nlabels = samples.ls[i].n;
    }
    struct strbuf text = STRBUF_INIT;
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, stdin)) > 0)
        strbuf_add(&text, buf, got);
    if (check) {
        char *err = tmpl_alert_check(alert, text.buf);
        if (err) {
            printf("%s\n", err);
            free(err);
            rc = 1;
        }
    } else {
        struct tmpl *t = tmpl_alert_parse(alert, text.buf);
        struct tmpl_alert_data d = {labels.l, labels.n, ext.l, ext.n, url, value};
        struct tmpl_env env = {(int64_t)(now * 1000), url, query_fn, &samples};
        struct strbuf out = STRBUF_INIT;
        rc = tmpl_alert_expand(t, &d, &env, &out) < 0 ? 1 : 0;
        fwrite(out.buf, 1, out.len, stdout);
        if (out.len == 0 || out.buf[out.len - 1] != '\n')
            putchar('\n'); /* keeps the output line-oriented */
        strbuf_release(&out);
        tmpl_free(t);
    }
    strbuf_release(&text);
out:
    for (size_t i = 0; i < samples.n; i++)
        free(samples.ls[i].l);
    free(samples.ls);
    free(samples.s);
    free(labels.l);
    free(ext.l);
    return rc;
}
