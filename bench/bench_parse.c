/* bench_parse: PromQL front-end throughput over every expression of the
 * `eval` lines in Prometheus's test scripts (../shared/conformance/promql).
 * Reports expressions/s, bytes/s, and arena bytes per expression (the memory
 * a parsed tree holds). Usage: bench_parse [DIR] [SECONDS] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "grammar/parse.h"

struct exprs {
    char **items; /* expression texts */
    size_t n, cap;
};

/* Adds the expression of each eval line of one test script. */
static void load_file(struct exprs *e, const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    if (strbuf_read_file(&sb, path) < 0)
        return;
    char *save = NULL;
    for (char *line = strtok_r(sb.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (strncmp(line, "eval", 4) != 0)
            continue;
        char *p = strchr(line, ' ');
        if (!p)
            continue;
        p++;
        int skip = 0;
        if (!strncmp(p, "instant at ", 11))
            skip = 3; /* "instant" "at" <time> */
        else if (!strncmp(p, "range from ", 11))
            skip = 7; /* "range" "from" <t> "to" <t> "step" <d> */
        for (int i = 0; i < skip && p; i++) {
            p = strchr(p, ' ');
            if (p)
                while (*p == ' ')
                    p++;
        }
        if (!p || !*p)
            continue;
        if (e->n == e->cap) {
            e->cap = e->cap ? e->cap * 2 : 256;
            e->items = realloc(e->items, e->cap * sizeof *e->items);
        }
        e->items[e->n++] = strdup(p);
    }
    strbuf_release(&sb);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct regex_set {
    struct ast_matcher **items; /* collected matchers */
    size_t *n;                  /* how many */
    size_t cap;                 /* room */
};

static int collect_regex(const struct ast_node *n, void *ctx)
{
    struct regex_set *rs = ctx;
    if (n->kind != AST_VECTOR_SELECTOR)
        return 0;
    for (size_t i = 0; i < n->u.vs.nmatchers && *rs->n < rs->cap; i++)
        if (n->u.vs.matchers[i].op == AST_MATCH_RE || n->u.vs.matchers[i].op == AST_MATCH_NRE)
            rs->items[(*rs->n)++] = &n->u.vs.matchers[i];
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/conformance/promql";
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    struct exprs e = {0};
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bench_parse: cannot open %s\n", dir);
        return 2;
    }
    char *names[256];
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 256)
        if (strstr(de->d_name, ".test"))
            names[nn++] = strdup(de->d_name);
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_name);
    for (size_t i = 0; i < nn; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        load_file(&e, path);
        free(names[i]);
    }
    if (e.n == 0) {
        fprintf(stderr, "bench_parse: no expressions found in %s\n", dir);
        return 2;
    }
    struct parse_opts opts = {.experimental = 1};
    size_t bytes = 0, accepted = 0, arena_bytes = 0, arena_max = 0;
    /* One pass for the memory figures (and the accepted count). */
    for (size_t i = 0; i < e.n; i++) {
        struct arena a;
        struct diag_list dl;
        arena_init(&a, 0);
        diag_list_init(&dl);
        if (parse_expr(e.items[i], strlen(e.items[i]), &a, &opts, &dl))
            accepted++;
        arena_bytes += a.total;
        if (a.total > arena_max)
            arena_max = a.total;
        bytes += strlen(e.items[i]);
        diag_list_release(&dl);
        arena_release(&a);
    }
    /* Timed passes: one arena reset per expression, as a rule reload would do. */
    struct arena a;
    arena_init(&a, 0);
    struct arena_mark m = arena_mark(&a);
    size_t parsed = 0, parsed_bytes = 0;
    double t0 = now(), t1 = t0;
    while (t1 - t0 < seconds) {
        for (size_t i = 0; i < e.n; i++) {
            struct diag_list dl;
            diag_list_init(&dl);
            parse_expr(e.items[i], strlen(e.items[i]), &a, &opts, &dl);
            diag_list_release(&dl);
            arena_reset(&a, m);
            parsed_bytes += strlen(e.items[i]);
        }
        parsed += e.n;
        t1 = now();
    }
    arena_release(&a);
    double el = t1 - t0;
    printf("bench_parse: %zu expressions (%zu bytes) from %s, %zu accepted\n", e.n, bytes, dir, accepted);
    printf("  throughput: %.0f expressions/s, %.1f MB/s (%.2f us/expression)\n", (double)parsed / el,
           (double)parsed_bytes / el / 1e6, el / (double)parsed * 1e6);
    printf("  memory: %.0f arena bytes/expression on average, %zu at most\n", (double)arena_bytes / (double)e.n,
           arena_max);
    /* Label matching with the compiled =~ and !~ matchers of all expressions. */
    static const char *const values[] = {"", "api-server", "production", "0", "request_duration_seconds_bucket"};
    arena_init(&a, 0);
    size_t nmatchers = 0, calls = 0, hits = 0;
    struct ast_matcher *ms[4096];
    for (size_t i = 0; i < e.n && nmatchers < 4096; i++) {
        struct diag_list dl;
        diag_list_init(&dl);
        struct ast_node *n = parse_expr(e.items[i], strlen(e.items[i]), &a, &opts, &dl);
        diag_list_release(&dl);
        if (n)
            ast_walk(n, collect_regex, &(struct regex_set){ms, &nmatchers, 4096});
    }
    t0 = now();
    t1 = t0;
    while (nmatchers && t1 - t0 < seconds / 2) {
        for (size_t i = 0; i < nmatchers; i++)
            for (size_t k = 0; k < sizeof values / sizeof values[0]; k++, calls++)
                hits += ast_matcher_matches(ms[i], values[k], strlen(values[k]));
        t1 = now();
    }
    if (calls)
        printf("  regex matching: %zu matchers, %.0f ns/match (%zu of %zu matched)\n", nmatchers,
               (t1 - t0) / (double)calls * 1e9, hits, calls);
    arena_release(&a);
    for (size_t i = 0; i < e.n; i++)
        free(e.items[i]);
    free(e.items);
    return 0;
}
