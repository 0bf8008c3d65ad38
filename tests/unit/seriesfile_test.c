/* Unit tests of compat/seriesfile: load blocks and OpenMetrics input. */
#include <string.h>

#include "base/diag.h"
#include "compat/seriesfile.h"
#include "eval/memstore.h"
#include "eval/value.h"
#include "tests/t.h"

static struct memstore_series *find(struct memstore *ms, const char *name)
{
    for (size_t i = 0; i < ms->n; i++)
        if (!strcmp(labels_get(ms->s[i]->ls, "__name__"), name))
            return ms->s[i];
    return NULL;
}

static void test_load_blocks(void)
{
    const char *src = "# recorded\nload 15s\n  up{job=\"a\"} 1 1 _ 0 stale\n  reqs_total 0+10x3\n"
                      "load 1m\n  other 5\n";
    struct memstore ms;
    memstore_init(&ms);
    struct diag_list dl;
    diag_list_init(&dl);
    struct seriesfile_stats st;
    T_EQ_INT(seriesfile_load(&ms, "f", src, strlen(src), 1000, &st, &dl), 0);
    T_EQ_INT(st.series, 3);
    T_EQ_INT(st.samples, 4 + 4 + 1);
    struct memstore_series *up = find(&ms, "up");
    T_CHECK(up && up->n == 4);
    T_EQ_INT(up->t[2], 1000 + 45000);
    T_CHECK(value_is_stale_nan(up->v[3]));
    struct memstore_series *r = find(&ms, "reqs_total");
    T_CHECK(r && r->n == 4 && r->v[3] == 30);
    T_EQ_INT(st.min_ms, 1000);
    T_EQ_INT(st.max_ms, 61000);
    diag_list_release(&dl);
    memstore_release(&ms);
}

static void test_openmetrics(void)
{
    const char *src = "# TYPE x counter\nx_total{a=\"1\"} 3 1700000000.5\nx_total{a=\"1\"} 4 1700000015.5\n# EOF\n";
    struct memstore ms;
    memstore_init(&ms);
    struct diag_list dl;
    diag_list_init(&dl);
    struct seriesfile_stats st;
    T_EQ_INT(seriesfile_load(&ms, "om", src, strlen(src), 0, &st, &dl), 0);
    struct memstore_series *x = find(&ms, "x_total");
    T_CHECK(x && x->n == 2 && x->t[0] == 1700000000500LL && x->v[1] == 4);
    diag_list_release(&dl);
    memstore_release(&ms);
}

static void test_errors(void)
{
    const char *src = "x 1\nload 0s\ny{ 1\n";
    struct memstore ms;
    memstore_init(&ms);
    struct diag_list dl;
    diag_list_init(&dl);
    struct seriesfile_stats st;
    T_EQ_INT(seriesfile_load(&ms, "bad", src, strlen(src), 0, &st, &dl), -1);
    T_EQ_INT(dl.len, 3);
    int line, col;
    diag_line_col(src, strlen(src), dl.items[2].span.start, &line, &col);
    T_EQ_INT(line, 3);
    diag_list_release(&dl);
    memstore_release(&ms);
}

int main(void)
{
    t_run("load blocks", test_load_blocks);
    t_run("openmetrics with timestamps", test_openmetrics);
    t_run("errors with lines", test_errors);
    return t_done();
}
