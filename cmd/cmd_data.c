/* cmd_data: a series file or a datasource behind one storage. */
#include "cmd/cmd_data.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "api/params.h"
#include "compat/datasource.h"
#include "compat/seriesfile.h"
#include "rules/rulefile.h"

int cmd_data_open(struct cmd_data *d, const char *series, int64_t start_ms, const char *url,
                  const char *token_file)
{
    memset(d, 0, sizeof *d);
    memstore_init(&d->ms);
    d->st = &d->ms.iface;
    if (url) {
        struct datasource_config cfg = {.url = url, .bearer_token_file = token_file};
        struct promjson_error perr = {0};
        d->ds = datasource_new(&cfg, &perr);
        if (!d->ds) {
            fprintf(stderr, "heed: datasource %s: %s\n", url, perr.msg);
            return 2;
        }
        d->st = datasource_storage(d->ds);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        d->last_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        d->first_ms = d->last_ms - 3600 * 1000;
        return 0;
    }
    struct strbuf src = STRBUF_INIT;
    struct diag_list dl;
    diag_list_init(&dl);
    struct seriesfile_stats st;
    int rc = 2;
    if (strbuf_read_file(&src, series) != 0) {
        perror(series);
    } else if (seriesfile_load(&d->ms, series, src.buf, src.len, start_ms, &st, &dl) != 0) {
        struct strbuf out = STRBUF_INIT;
        for (size_t i = 0; i < dl.len; i++)
            diag_render(&out, &dl.items[i], src.buf, src.len, 1);
        fputs(out.buf, stderr);
        strbuf_release(&out);
    } else if (!st.samples) {
        fprintf(stderr, "heed: %s holds no samples\n", series);
    } else {
        d->first_ms = st.min_ms;
        d->last_ms = st.max_ms;
        rc = 0;
    }
    diag_list_release(&dl);
    strbuf_release(&src);
    return rc;
}

void cmd_data_close(struct cmd_data *d)
{
    if (d->ds)
        datasource_free(d->ds);
    memstore_release(&d->ms);
    memset(d, 0, sizeof *d);
}

int cmd_data_duration(const char *s, int64_t *ms)
{
    char err[128];
    size_t n = s ? strlen(s) : 0;
    if (!s)
        return 0;
    /* digits then unit letters ("1h30m"): a bare number is a time, not a duration */
    if (!n || !isdigit((unsigned char)s[0]) || !isalpha((unsigned char)s[n - 1]))
        return -1;
    return rulefile_parse_duration(s, n, ms, err, sizeof err);
}

int cmd_data_time(const struct cmd_data *d, const char *s, int64_t dflt, int64_t *ms)
{
    int64_t dur;
    if (!s) {
        *ms = dflt;
        return 0;
    }
    if (cmd_data_duration(s, &dur) == 0) {
        *ms = d->ds ? d->last_ms - dur : d->first_ms + dur;
        return 0;
    }
    return api_parse_time(s, ms);
}

void cmd_data_end_eval(void *ctx)
{
    struct cmd_data *d = ctx;
    if (d->ds)
        datasource_end_eval(d->ds);
}

int cmd_data_range(const struct cmd_data *d, const char *from, const char *to, int64_t *from_ms, int64_t *to_ms)
{
    return cmd_data_time(d, from, d->first_ms, from_ms) < 0 || cmd_data_time(d, to, d->last_ms, to_ms) < 0 ? -1 : 0;
}

void cmd_data_print_diags(const struct diag_list *dl)
{
    for (size_t i = 0; i < dl->len; i++)
        fprintf(stderr, "%s: %s\n", dl->items[i].file ? dl->items[i].file : "rules", dl->items[i].msg);
}

int cmd_data_load_rules(struct rulefile_set *set, const char *const *files, size_t n, struct diag_list *dl)
{
    struct rulefile_opts rfo = {0};
    if (rulefile_set_load(set, files, n, &rfo, dl) != 0 || dl->len) {
        cmd_data_print_diags(dl);
        return -1;
    }
    return 0;
}

int cmd_data_format(const char *s)
{
    static const char *const names[] = {"text", "json", "svg"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}
