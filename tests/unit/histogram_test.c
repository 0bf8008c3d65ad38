/* histogram_test: the float native histogram (eval/histogram) and its series
 * notation (parse_series_desc_histograms). */
#include <stdlib.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "eval/histogram.h"
#include "grammar/parse.h"
#include "tests/t.h"

static struct arena A;

/* The histograms of one series description's values. */
static struct parse_series parse(const char *desc)
{
    struct parse_series ps;
    struct diag_list dl;
    diag_list_init(&dl);
    memset(&ps, 0, sizeof ps);
    if (parse_series_desc_histograms(desc, strlen(desc), &A, &ps, &dl) != 0)
        T_FAIL_("parse %s: %s", desc, dl.len ? dl.items[0].msg : "?");
    diag_list_release(&dl);
    return ps;
}

static const struct histogram *one(const char *notation)
{
    char buf[512];
    snprintf(buf, sizeof buf, "m %s", notation);
    struct parse_series ps = parse(buf);
    if (ps.nsamples != 1 || ps.samples[0].kind != PARSE_SAMPLE_HISTOGRAM) {
        T_FAIL_("%s: not one histogram", notation);
        return histogram_new(&A);
    }
    return ps.samples[0].h;
}

static const char *expr(const struct histogram *h)
{
    struct strbuf sb = STRBUF_INIT;
    histogram_test_expression(&sb, h);
    const char *r = arena_strdup(&A, sb.buf);
    strbuf_release(&sb);
    return r;
}

static void test_notation(void)
{
    const struct histogram *h = one("{{schema:1 sum:-0.3 count:32.1 z_bucket:7.1 z_bucket_w:0.05 "
                                    "buckets:[5.1 10 7] offset:-3 n_buckets:[4.1 5] n_offset:-5 "
                                    "counter_reset_hint:gauge}}");
    T_EQ_INT(h->schema, 1);
    T_EQ_FLOAT(h->sum, -0.3, 0);
    T_EQ_FLOAT(h->count, 32.1, 0);
    T_EQ_FLOAT(h->zero_count, 7.1, 0);
    T_EQ_FLOAT(h->zero_threshold, 0.05, 0);
    T_EQ_INT(h->pos_off, -3);
    T_EQ_INT(h->npos, 3);
    T_EQ_INT(h->neg_off, -5);
    T_EQ_INT(h->nneg, 2);
    T_EQ_INT(h->hint, HISTOGRAM_HINT_GAUGE);
    T_EQ_STR(expr(h), "{{schema:1 count:32.1 sum:-0.3 z_bucket:7.1 z_bucket_w:0.05 counter_reset_hint:gauge "
                      "offset:-3 buckets:[5.1 10 7] n_offset:-5 n_buckets:[4.1 5]}}");
    /* parse_series_desc (floats only) still refuses them */
    struct parse_series ps;
    struct diag_list dl;
    diag_list_init(&dl);
    T_CHECK(parse_series_desc("m {{count:1}}", 13, &A, &ps, &dl) != 0);
    /* what could not be stored, or would break bucket arithmetic, is refused */
    static const char *bad[] = {
        "m {{schema:9 count:1}}",
        "m {{schema:-53 custom_values:[1 2] buckets:[1 1 1 1]}}",
        "m {{schema:-53 custom_values:[2 1] buckets:[1]}}",
        "m {{offset:99999999 buckets:[1]}}",
        "m {{count:1 foo:2}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        T_CHECK(parse_series_desc_histograms(bad[i], strlen(bad[i]), &A, &ps, &dl) != 0);
    diag_list_release(&dl);
}

static void test_expansion(void)
{
    struct parse_series ps = parse("m {{sum:3 count:2 buckets:[2]}}+{{sum:1.3 count:1 buckets:[1]}}x2 "
                                   "{{count:1}}x1 _ stale 4");
    T_EQ_INT(ps.nsamples, 8);
    T_EQ_STR(expr(ps.samples[2].h), "{{count:4 sum:5.6 buckets:[4]}}");
    T_CHECK(ps.samples[3].h == ps.samples[4].h); /* hxN repeats the value */
    T_EQ_INT(ps.samples[5].kind, PARSE_SAMPLE_OMITTED);
    T_EQ_INT(ps.samples[6].kind, PARSE_SAMPLE_STALE);
    T_EQ_FLOAT(ps.samples[7].value, 4, 0);
    ps = parse("m {{count:10 buckets:[5 5]}}-{{count:1 buckets:[1]}}x2");
    T_EQ_STR(expr(ps.samples[2].h), "{{count:8 buckets:[3 5]}}");
}

static void test_add_schemas_and_zero(void)
{
    /* schema 1 + schema 0: the result has the lower resolution */
    struct histogram *h = histogram_copy(&A, one("{{schema:1 count:4 sum:4 buckets:[1 1 1 1]}}"));
    unsigned flags;
    T_EQ_INT(histogram_add(&A, h, one("{{schema:0 count:2 sum:2 buckets:[1 1]}}"), false, &flags), 0);
    T_EQ_STR(expr(h), "{{count:6 sum:6 buckets:[2 3 1]}}");
    /* a wider zero bucket swallows the buckets below its threshold */
    h = histogram_copy(&A, one("{{count:3 z_bucket:1 z_bucket_w:0.001 buckets:[1 1] offset:-1}}"));
    T_EQ_INT(histogram_add(&A, h, one("{{count:1 z_bucket:1 z_bucket_w:0.5}}"), false, &flags), 0);
    T_EQ_FLOAT(h->zero_threshold, 0.5, 0);
    T_EQ_FLOAT(h->zero_count, 3, 0);
    T_EQ_STR(expr(h), "{{count:4 z_bucket:3 z_bucket_w:0.5 buckets:[1]}}");
    /* exponential and custom buckets do not mix */
    h = histogram_copy(&A, one("{{count:1 buckets:[1]}}"));
    T_EQ_INT(histogram_add(&A, h, one("{{schema:-53 custom_values:[1] count:1 buckets:[1]}}"), false, &flags), -1);
}

static void test_custom_reconcile(void)
{
    struct histogram *h = histogram_copy(&A, one("{{schema:-53 custom_values:[1 2 5] count:4 buckets:[1 1 1 1]}}"));
    unsigned flags;
    T_EQ_INT(histogram_add(&A, h, one("{{schema:-53 custom_values:[2 10] count:3 buckets:[1 1 1]}}"), false,
                           &flags), 0);
    T_CHECK(flags & HISTOGRAM_OP_RECONCILED);
    T_EQ_STR(expr(h), "{{schema:-53 count:7 custom_values:[2] buckets:[3 4]}}");
}

static void test_detect_reset(void)
{
    const struct histogram *a = one("{{count:5 buckets:[2 3]}}");
    T_CHECK(!histogram_detect_reset(one("{{count:6 buckets:[3 3]}}"), a));
    T_CHECK(histogram_detect_reset(one("{{count:6 buckets:[1 5]}}"), a)); /* a bucket went down */
    T_CHECK(histogram_detect_reset(one("{{count:4 buckets:[2 2]}}"), a));
    T_CHECK(!histogram_detect_reset(one("{{count:1 counter_reset_hint:not_reset}}"), a));
    T_CHECK(histogram_detect_reset(one("{{schema:1 count:6 buckets:[3 3]}}"), a)); /* schema went up */
}

static void test_scale_and_strings(void)
{
    struct histogram *h = histogram_copy(&A, one("{{count:4 sum:10 z_bucket:2 z_bucket_w:0.001 buckets:[1 2] "
                                                 "n_buckets:[1 2]}}"));
    histogram_mul(h, -1);
    T_EQ_INT(h->hint, HISTOGRAM_HINT_GAUGE);
    histogram_mul(h, -1);
    struct strbuf sb = STRBUF_INIT;
    histogram_go_string(&sb, h);
    T_EQ_STR(sb.buf, "{count:4, sum:10, [-2,-1):2, [-1,-0.5):1, [-0.001,0.001]:2, (0.5,1]:1, (1,2]:2}");
    strbuf_release(&sb);
    histogram_div(h, 0);
    T_EQ_INT(h->npos + h->nneg, 0);
    T_CHECK(isinf(h->count));
    T_CHECK(histogram_equal(one("{{count:1 buckets:[0 1] offset:1}}"), one("{{count:1 buckets:[1] offset:2}}")));
    T_CHECK(!histogram_equal(one("{{count:1 buckets:[1]}}"), one("{{count:1 buckets:[2]}}")));
}

int main(void)
{
    arena_init(&A, 0);
    t_run("notation", test_notation);
    t_run("expansion", test_expansion);
    t_run("add across schemas and zero buckets", test_add_schemas_and_zero);
    t_run("custom bucket reconciliation", test_custom_reconcile);
    t_run("counter reset detection", test_detect_reset);
    t_run("scaling, equality, Go's String", test_scale_and_strings);
    arena_release(&A);
    return t_done();
}
