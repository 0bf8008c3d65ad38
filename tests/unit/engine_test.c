/* Unit tests of eval/engine: selector semantics (lookback, staleness),
 * errors and limits, and freshness provenance per operator
 * (design/FRESHNESS.md "Propagation"). */
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "eval/engine.h"
#include "eval/fresh.h"
#include "eval/memstore.h"
#include "grammar/parse.h"
#include "tests/t.h"

static struct memstore ms;
static struct arena arena;

static uint64_t fp(const char *name, const char *job, const char *inst)
{
    struct label l[3] = {{"__name__", name}};
    size_t n = 1;
    if (inst)
        l[n++] = (struct label){"instance", inst};
    if (job)
        l[n++] = (struct label){"job", job};
    return labels_hash(l, n);
}

static void put(const char *name, const char *job, const char *inst, int64_t from_s, int64_t to_s,
                double (*val)(int64_t))
{
    struct label l[3] = {{"__name__", name}};
    size_t n = 1;
    if (inst)
        l[n++] = (struct label){"instance", inst};
    if (job)
        l[n++] = (struct label){"job", job};
    struct memstore_series *s = memstore_series_get(&ms, l, n);
    for (int64_t t = from_s; t <= to_s; t += 15)
        memstore_append(s, t * 1000, val(t));
}

static double v1(int64_t t) { return (double)t / 15; }
static double v2(int64_t t) { return 2.0 * (double)t / 15; }
static double v3(int64_t t) { return 3.0 * (double)t / 15; }
static double five(int64_t t) { (void)t; return 5; }

static void setup(void)
{
    memstore_init(&ms);
    arena_init(&arena, 0);
    put("http_requests_total", "api", "1", 0, 600, v1);
    put("http_requests_total", "api", "2", 0, 600, v2);
    put("http_requests_total", "db", "1", 0, 600, v3);
    put("flat", "api", NULL, 0, 600, five);
    put("late", "api", NULL, 0, 300, five);
    static const char *les[] = {"0.1", "1", "+Inf"};
    for (int b = 0; b < 3; b++) {
        struct label hl[] = {{"__name__", "lat_bucket"}, {"job", "api"}, {"le", les[b]}};
        struct memstore_series *hs = memstore_series_get(&ms, hl, 3);
        for (int64_t t = 0; t <= 600; t += 15)
            memstore_append(hs, t * 1000, (double)(b + 1) * (double)t);
    }
    struct label ti[] = {{"__name__", "target_info"}, {"job", "db"}, {"instance", "1"}, {"version", "v1"}};
    struct memstore_series *tis = memstore_series_get(&ms, ti, 4);
    for (int64_t t = 0; t <= 600; t += 60)
        memstore_append(tis, t * 1000, 1);
    put("gone", "api", NULL, 0, 300, five);
    struct label g[] = {{"__name__", "gone"}, {"job", "api"}};
    memstore_append(memstore_series_get(&ms, g, 2), 315000, value_stale_nan());
}

static int eval_at(const char *q, int64_t t_ms, struct engine_result *res,
                   const struct engine_opts *o)
{
    struct diag_list dl;
    diag_list_init(&dl);
    struct parse_opts po = {.experimental = 1};
    struct ast_node *n = parse_expr(q, strlen(q), &arena, &po, &dl);
    diag_list_release(&dl);
    T_CHECK(n != NULL);
    if (!n)
        return -1;
    struct engine_opts def = {.delayed_name_removal = true};
    struct engine_query eq = {n, q, strlen(q)};
    return engine_eval_instant(&ms.iface, o ? o : &def, &eq, t_ms, &arena, res);
}

/* The vector result of q at t, asserting success. */
static struct vector vec_at(const char *q, int64_t t_ms)
{
    struct engine_result res;
    struct vector empty = {0};
    if (eval_at(q, t_ms, &res, NULL) < 0) {
        T_FAIL_("%s: %s", q, res.err.msg);
        return empty;
    }
    T_EQ_INT(res.v.type, VALUE_VECTOR);
    return res.v.type == VALUE_VECTOR ? res.v.u.vec : empty;
}

static const struct vsample *find(const struct vector *v, const char *label, const char *value)
{
    for (size_t i = 0; i < v->n; i++) {
        const char *x = labels_get(v->s[i].ls, label);
        if (x && !strcmp(x, value))
            return &v->s[i];
    }
    return NULL;
}

static bool has_id(const struct prov *p, uint64_t id)
{
    for (uint32_t i = 0; p && i < p->nids; i++)
        if (p->ids[i] == id)
            return true;
    return false;
}

static void test_lookback_and_staleness(void)
{
    T_EQ_INT(vec_at("late", 599999).n, 1);
    T_EQ_INT(vec_at("late", 600000).n, 0); /* (t-5m, t] is left-open */
    T_EQ_INT(vec_at("gone", 310000).n, 1);
    T_EQ_INT(vec_at("gone", 316000).n, 0); /* stale marker hides it at once */
    struct vector v = vec_at("late offset 1m", 600000);
    T_EQ_INT(v.n, 1);
    T_EQ_INT(vec_at("late @ 300", 900000).n, 1);
}

static void test_prov_selector(void)
{
    struct vector v = vec_at("late", 500000);
    T_EQ_INT(v.n, 1);
    const struct prov *p = v.s[0].prov;
    T_CHECK(p != NULL);
    if (!p)
        return;
    T_EQ_INT(p->ninputs, 1);
    T_EQ_INT(p->worst_age_ms, 200000);       /* newest sample at 300s */
    /* flat over the whole fetched window (t-5m, t]: "at least" from 210s */
    T_EQ_INT(p->worst_unchanged_ms, 290000);
    T_CHECK(has_id(p, fp("late", "api", NULL)));
    v = vec_at("http_requests_total{job=\"db\"}", 600000);
    T_EQ_INT(v.s[0].prov->worst_age_ms, 0);
    T_EQ_INT(v.s[0].prov->worst_unchanged_ms, 0);
}

static void test_prov_functions_and_aggregation(void)
{
    struct vector v = vec_at("rate(http_requests_total[1m])", 600000);
    T_EQ_INT(v.n, 3);
    for (size_t i = 0; i < v.n; i++)
        T_EQ_INT(v.s[i].prov->ninputs, 1);
    v = vec_at("sum by (job) (rate(http_requests_total[1m]))", 600000);
    const struct vsample *api = find(&v, "job", "api"), *db = find(&v, "job", "db");
    T_CHECK(api && db);
    if (!api || !db)
        return;
    T_EQ_INT(api->prov->ninputs, 2);
    T_CHECK(has_id(api->prov, fp("http_requests_total", "api", "1")));
    T_CHECK(has_id(api->prov, fp("http_requests_total", "api", "2")));
    T_EQ_INT(db->prov->ninputs, 1);
    v = vec_at("topk(1, http_requests_total)", 600000);
    T_EQ_INT(v.n, 1);
    T_CHECK(has_id(v.s[0].prov, fp("http_requests_total", "db", "1")));
    v = vec_at("max_over_time(late[10m:1m])", 600000);
    T_EQ_INT(v.s[0].prov->ninputs, 1);
    v = vec_at("label_replace(late, \"x\", \"y\", \"\", \"\")", 500000);
    T_EQ_INT(v.s[0].prov->worst_age_ms, 200000);
    v = vec_at("count_values(\"value\", http_requests_total)", 600000);
    size_t total = 0;
    for (size_t i = 0; i < v.n; i++)
        total += v.s[i].prov->ninputs;
    T_EQ_INT(total, 3);
}

static void test_prov_histogram_quantile(void)
{
    struct vector v = vec_at("histogram_quantile(0.5, rate(lat_bucket[1m]))", 600000);
    T_EQ_INT(v.n, 1);
    T_CHECK(v.n && !labels_has(v.s[0].ls, "le") && !labels_has(v.s[0].ls, "__name__"));
    T_CHECK(v.n && v.s[0].prov->ninputs == 3); /* every bucket series */
}

static void test_prov_binary(void)
{
    struct vector v =
        vec_at("http_requests_total{job=\"api\"} - on(instance) http_requests_total{job=\"db\"}", 600000);
    T_EQ_INT(v.n, 1);
    T_EQ_INT(v.s[0].prov->ninputs, 2);
    v = vec_at("http_requests_total * 2", 600000);
    T_EQ_INT(v.s[0].prov->ninputs, 1);
    v = vec_at("http_requests_total{job=\"db\"} * scalar(late)", 500000);
    T_EQ_INT(v.n, 1);
    T_EQ_INT(v.s[0].prov->ninputs, 2); /* the selector inside scalar() counts */
    T_EQ_INT(v.s[0].prov->worst_age_ms, 200000);
    v = vec_at("late and on(job) flat", 500000);
    T_EQ_INT(v.s[0].prov->ninputs, 2);
}

static void test_info(void)
{
    struct vector v = vec_at("info(http_requests_total{job=\"db\"})", 600000);
    T_EQ_INT(v.n, 1);
    T_CHECK(v.n && labels_get(v.s[0].ls, "version") && !strcmp(labels_get(v.s[0].ls, "version"), "v1"));
    T_CHECK(v.n && v.s[0].prov->ninputs == 2); /* the base series and its target_info */
    v = vec_at("info(http_requests_total{job=\"api\"}, {version=~\".+\"})", 600000);
    T_EQ_INT(v.n, 0); /* no info series, and the filter does not accept "" */
}

static void test_prov_no_inputs(void)
{
    struct vector v = vec_at("absent(nonexistent)", 600000);
    T_EQ_INT(v.n, 1);
    T_CHECK(v.s[0].prov == NULL);
    v = vec_at("vector(1)", 600000);
    T_CHECK(v.s[0].prov == NULL);
    v = vec_at("absent_over_time(nonexistent[5m])", 600000);
    T_CHECK(v.n == 1 && v.s[0].prov == NULL);
}

static enum fresh_class older_than_1m(void *ctx, const struct labels *ls, const struct fresh_figures *f)
{
    (void)ls;
    ++*(int *)ctx;
    return f->age_ms > 60000 ? FRESH_CLASS_LATE : FRESH_CLASS_FRESH;
}

static void test_classification_hook(void)
{
    int calls = 0;
    struct fresh_hook hook = {.classify = older_than_1m, .ctx = &calls}; /* no sure age: every input asked */
    struct engine_opts o = {.delayed_name_removal = true, .fresh = &hook};
    struct engine_result res;
    T_EQ_INT(eval_at("count({job=\"api\", le=\"\"})", 500000, &res, &o), 0);
    T_EQ_INT(res.v.u.vec.n, 1);
    const struct prov *p = res.v.u.vec.s[0].prov;
    T_EQ_INT(p->ninputs, 4);    /* 2 counters, flat, late ("gone" ended with a marker) */
    T_EQ_INT(p->nnot_fresh, 1); /* late stopped at 300s */
    T_EQ_INT(calls, 4);
}

static void test_errors_and_limits(void)
{
    struct engine_result res;
    T_EQ_INT(eval_at("http_requests_total + on(job) http_requests_total", 600000, &res, NULL), -1);
    T_EQ_INT(res.err.type, EVAL_ERR_EXECUTION);
    T_EQ_STR(res.err.msg,
             "found duplicate series for the match group {job=\"api\"} on the right hand-side of the "
             "operation: [{__name__=\"http_requests_total\", instance=\"1\", job=\"api\"}, "
             "{__name__=\"http_requests_total\", instance=\"2\", job=\"api\"}];many-to-many matching "
             "not allowed: matching labels must be unique on one side");
    struct engine_opts small = {.max_samples = 10, .delayed_name_removal = true};
    T_EQ_INT(eval_at("http_requests_total[5m]", 600000, &res, &small), -1);
    T_EQ_STR(res.err.msg, "query processing would load too many samples into memory in query execution");
    struct engine_opts quick = {.timeout_ms = 1, .delayed_name_removal = true};
    T_EQ_INT(eval_at("max_over_time(max_over_time(http_requests_total[1d:1s])[1d:1s])", 600000, &res, &quick), -1);
    T_EQ_INT(res.err.type, EVAL_ERR_TIMEOUT);
    static volatile int cancelled = 1;
    struct engine_opts stop = {.cancel = &cancelled};
    T_EQ_INT(eval_at("late", 500000, &res, &stop), -1);
    T_EQ_INT(res.err.type, EVAL_ERR_CANCELED);
    T_EQ_STR(res.err.msg, "query was canceled in expression evaluation");
}

static void test_name_removal_modes(void)
{
    struct engine_result res;
    struct engine_opts eager = {.delayed_name_removal = false};
    T_EQ_INT(eval_at("-late", 500000, &res, &eager), 0);
    T_CHECK(res.v.u.vec.n == 1 && !labels_has(res.v.u.vec.s[0].ls, "__name__"));
    /* delayed: a later label_replace may set the name back */
    struct vector v = vec_at("label_replace(-late, \"__name__\", \"x\", \"\", \"\")", 500000);
    T_CHECK(v.n == 1 && labels_get(v.s[0].ls, "__name__") && !strcmp(labels_get(v.s[0].ls, "__name__"), "x"));
    /* "or" matches without __name__: late{job} hides flat{job} */
    T_EQ_INT(eval_at("late * 1 or flat * 1", 500000, &res, NULL), 0);
    T_EQ_INT(res.v.u.vec.n, 1);
    /* two series collapse once their names go */
    T_EQ_INT(eval_at("label_replace({__name__=~\"late|flat\"}, \"__name__\", \"\", \"\", \"\")", 500000, &res, NULL), -1);
    T_EQ_STR(res.err.msg, "vector cannot contain metrics with the same labelset");
}

static void test_range_query_sorted(void)
{
    const char *q = "rate(http_requests_total[1m])";
    struct diag_list dl;
    diag_list_init(&dl);
    struct parse_opts po = {0};
    struct ast_node *n = parse_expr(q, strlen(q), &arena, &po, &dl);
    diag_list_release(&dl);
    struct engine_opts o = {.delayed_name_removal = true};
    struct engine_query eq = {n, q, strlen(q)};
    struct engine_result res;
    T_EQ_INT(engine_eval_range(&ms.iface, &o, &eq, 300000, 600000, 60000, &arena, &res), 0);
    T_EQ_INT(res.v.type, VALUE_MATRIX);
    T_EQ_INT(res.v.u.mat.n, 3);
    for (size_t i = 0; i < res.v.u.mat.n; i++) {
        T_EQ_INT(res.v.u.mat.s[i].n, 6);
        T_CHECK(!labels_has(res.v.u.mat.s[i].ls, "__name__"));
        if (i)
            T_CHECK(labels_compare(res.v.u.mat.s[i - 1].ls, res.v.u.mat.s[i].ls) < 0);
    }
    T_EQ_FLOAT(res.v.u.mat.s[0].pts[0].v, 1.0 / 15, 1e-9);
}

int main(void)
{
    setup();
    t_run("lookback window and staleness markers", test_lookback_and_staleness);
    t_run("provenance of a selector: age, unchanged_for, identity", test_prov_selector);
    t_run("provenance through functions and aggregations", test_prov_functions_and_aggregation);
    t_run("provenance through binary operators", test_prov_binary);
    t_run("provenance of histogram_quantile: all buckets", test_prov_histogram_quantile);
    t_run("absent, literals: no inputs", test_prov_no_inputs);
    t_run("info() joins target_info", test_info);
    t_run("classification hook counts inputs that are not fresh", test_classification_hook);
    t_run("errors and limits", test_errors_and_limits);
    t_run("eager and delayed __name__ removal", test_name_removal_modes);
    t_run("range query sorted, names dropped", test_range_query_sorted);
    arena_release(&arena);
    memstore_release(&ms);
    return t_done();
}
