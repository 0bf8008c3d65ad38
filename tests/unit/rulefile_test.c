/* Unit tests for rules/ynode and rules/rulefile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "rules/rulefile.h"
#include "rules/ynode.h"
#include "tests/t.h"

/* Parses src; returns rc and leaves all diags (warnings included) joined by "\n" in out. */
static int parse(const char *src, const struct rulefile_opts *opts, struct rulefile *rf, struct strbuf *out)
{
    struct diag_list dl;
    diag_list_init(&dl);
    int rc = rulefile_parse(rf, "f.yml", src, strlen(src), opts, &dl);
    for (size_t i = 0; i < dl.len; i++)
        strbuf_addf(out, "%s%s", i ? "\n" : "", dl.items[i].msg);
    diag_list_release(&dl);
    return rc;
}

/* Expects src to fail with exactly the error text want (all errors, "\n"-joined). */
static void expect_errors(const char *src, const char *want)
{
    struct rulefile rf;
    struct strbuf out = STRBUF_INIT;
    int rc = parse(src, NULL, &rf, &out);
    T_EQ_INT(rc, -1);
    T_EQ_STR(out.buf, want);
    strbuf_release(&out);
    rulefile_release(&rf);
}

static void test_ynode_positions(void)
{
    struct arena a;
    arena_init(&a, 4096);
    struct ynode_doc doc;
    struct ynode_error err;
    const char *src = "a:\n  - x: 1\n    y: \"é\"\n  - [b, *z]\n";
    T_EQ_INT(ynode_parse(src, strlen(src), &a, NULL, &doc, &err), -1);
    T_EQ_STR(err.msg, "yaml: unknown anchor 'z' referenced");
    src = "a:\n  - x: &z 1\n    é: \"v\"\n  - [b, *z]\n";
    T_EQ_INT(ynode_parse(src, strlen(src), &a, NULL, &doc, &err), 0);
    const struct ynode *seq = ynode_map_get(doc.root, "a");
    T_CHECK(seq && seq->kind == YNODE_SEQ && seq->n == 2);
    const struct ynode *m = seq->items[0];
    T_EQ_INT(m->line, 2);
    T_EQ_INT(m->col, 5);
    T_EQ_INT(m->offset, 7);
    const struct ynode *v = ynode_map_get(m, "é");
    T_CHECK(v && v->line == 3 && v->col == 8 && v->style == YNODE_DOUBLE_QUOTED);
    /* columns count characters, offsets count bytes */
    T_EQ_INT(v->offset, (uint32_t)(strstr(src, "\"v\"") - src));
    const struct ynode *al = seq->items[1]->items[1];
    T_EQ_INT(al->kind, YNODE_ALIAS);
    T_EQ_STR(ynode_deref(al)->value, "1");
    T_EQ_STR(ynode_deref(al)->tag, "!!int");
    T_EQ_INT(doc.more_docs, 0);
    arena_release(&a);
}

static void test_ynode_docs_and_limits(void)
{
    struct arena a;
    arena_init(&a, 4096);
    struct ynode_doc doc;
    struct ynode_error err;
    T_EQ_INT(ynode_parse("", 0, &a, NULL, &doc, &err), 0);
    T_CHECK(doc.root == NULL);
    const char *two = "a: 1\n---\nb: [\n";
    T_EQ_INT(ynode_parse(two, strlen(two), &a, NULL, &doc, &err), 0);
    T_EQ_INT(doc.more_docs, 1); /* even a broken second document is only noted */
    char deep[2100];
    memset(deep, '[', 2000);
    memset(deep + 2000, 0, 100);
    struct ynode_limits lim = {.max_depth = 100};
    T_EQ_INT(ynode_parse(deep, 2000, &a, &lim, &doc, &err), -1);
    T_EQ_STR(err.msg, "yaml: exceeded max depth of 100");
    struct ynode_limits few = {.max_nodes = 3};
    T_EQ_INT(ynode_parse("[1, 2, 3, 4]", 12, &a, &few, &doc, &err), -1);
    T_CHECK(strstr(err.msg, "more than 3 nodes") != NULL);
    arena_release(&a);
}

static void test_ynode_resolve(void)
{
    T_EQ_STR(ynode_resolve("", 0), "!!null");
    T_EQ_STR(ynode_resolve("~", 1), "!!null");
    T_EQ_STR(ynode_resolve("True", 4), "!!bool");
    T_EQ_STR(ynode_resolve("yes", 3), "!!str");
    T_EQ_STR(ynode_resolve("0x1F", 4), "!!int");
    T_EQ_STR(ynode_resolve("1_000", 5), "!!int");
    T_EQ_STR(ynode_resolve("1.5e3", 5), "!!float");
    T_EQ_STR(ynode_resolve(".inf", 4), "!!float");
    T_EQ_STR(ynode_resolve("2001-12-14", 10), "!!timestamp");
    T_EQ_STR(ynode_resolve("5m", 2), "!!str");
    T_EQ_STR(ynode_resolve("<<", 2), "!!merge");
}

static void test_durations(void)
{
    static const struct {
        const char *in;
        int64_t ms;
        const char *err;
    } cases[] = {
        {"0", 0, NULL},
        {"5m", 300000, NULL},
        {"1h30m", 5400000, NULL},
        {"1y2w3d4h5m6s7ms", 31536000000LL + 1209600000LL + 259200000LL + 14400000LL + 300000LL + 6007LL, NULL},
        {"", 0, "empty duration string"},
        {"5", 0, "not a valid duration string: \"5\""},
        {"1.5h", 0, "unknown unit \".\" in duration \"1.5h\""},
        {"-1m", 0, "not a valid duration string: \"-1m\""},
        {"30m1h", 0, "not a valid duration string: \"30m1h\""},
        {"1m1m", 0, "not a valid duration string: \"1m1m\""},
        {"5x", 0, "unknown unit \"x\" in duration \"5x\""},
        {"1us", 0, "unknown unit \"us\" in duration \"1us\""},
        {"300y", 0, "duration out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = -1;
        char err[128] = "";
        int rc = rulefile_parse_duration(cases[i].in, strlen(cases[i].in), &ms, err, sizeof err);
        if (cases[i].err) {
            T_EQ_INT(rc, -1);
            T_EQ_STR(err, cases[i].err);
        } else {
            T_EQ_INT(rc, 0);
            T_EQ_INT(ms, cases[i].ms);
        }
    }
}

static void test_go_quote(void)
{
    struct strbuf sb = STRBUF_INIT;
    rulefile_go_quote(&sb, "a\"b\\c\n\t\x01é\xff", 11);
    T_EQ_STR(sb.buf, "\"a\\\"b\\\\c\\n\\t\\x01é\\xff\"");
    strbuf_release(&sb);
}

static void test_typed_fields(void)
{
    const char *src = "groups:\n"
                      "  - name: g\n"
                      "    interval: 30s\n"
                      "    query_offset: 0s\n"
                      "    limit: 10\n"
                      "    labels: {team: a, tier: \"1\"}\n"
                      "    rules:\n"
                      "      - alert: A\n"
                      "        expr: up == 0\n"
                      "        for: 5m\n"
                      "        keep_firing_for: 1m\n"
                      "        labels: {tier: \"2\", sev: page}\n"
                      "        annotations:\n"
                      "          summary: \"{{ $labels.job }} down\"\n"
                      "      - record: r:sum\n"
                      "        expr: sum(x)\n"
                      "  - name: h\n";
    struct rulefile rf;
    struct strbuf out = STRBUF_INIT;
    T_EQ_INT(parse(src, NULL, &rf, &out), 0);
    T_EQ_STR(out.buf, "");
    T_EQ_INT(rf.ngroups, 2);
    const struct rule_group *g = &rf.groups[0];
    T_EQ_STR(g->name, "g");
    T_EQ_STR(g->key, "f.yml;g");
    T_EQ_INT(g->interval_ms, 30000);
    T_EQ_INT(g->has_query_offset, 1);
    T_EQ_INT(g->query_offset_ms, 0);
    T_EQ_INT(g->limit, 10);
    T_EQ_INT(g->line, 2);
    T_EQ_INT(g->col, 5);
    T_EQ_INT(g->nrules, 2);
    const struct rule *r = &g->rules[0];
    T_EQ_INT(r->type, RULE_ALERTING);
    T_EQ_STR(r->name, "A");
    T_EQ_STR(r->expr, "up == 0");
    T_EQ_INT(r->for_ms, 300000);
    T_EQ_INT(r->keep_firing_for_ms, 60000);
    T_EQ_INT(r->line, 8);
    T_EQ_INT(r->annotations.len, 1);
    struct arena a;
    arena_init(&a, 1024);
    struct rule_kvs m = rulefile_merged_labels(g, r, &a);
    T_EQ_INT(m.len, 3);
    T_EQ_STR(m.items[0].name, "sev");
    T_EQ_STR(m.items[1].name, "team");
    T_EQ_STR(m.items[2].name, "tier");
    T_EQ_STR(m.items[2].value, "2");
    arena_release(&a);
    T_EQ_INT(g->rules[1].type, RULE_RECORDING);
    T_EQ_INT(g->rules[1].index, 2);
    T_EQ_INT(rf.groups[1].has_query_offset, 0);
    T_EQ_INT(rulefile_count_rules(&rf), 2);
    strbuf_release(&out);
    rulefile_release(&rf);
}

static void test_decode_errors(void)
{
    /* unknown fields, worded as Go's YAML library, with the key's line */
    expect_errors("groups:\n- name: g\n  rules:\n  - alert: a\n    expr: up\n    annotation: {}\n",
                  "yaml: unmarshal errors:\n  line 6: field annotation not found in type rulefmt.Rule");
    expect_errors("groupz: []\n", "yaml: unmarshal errors:\n  line 1: field groupz not found in type rulefmt.RuleGroups");
    /* type errors are reported by both of Prometheus's decoding passes */
    expect_errors("groups:\n- name: [a]\n",
                  "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!seq into string\n"
                  "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!seq into string");
    expect_errors("groups:\n- name: g\n  limit: 12345678901x\n",
                  "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `1234567...` into int\n"
                  "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `1234567...` into int");
    expect_errors("groups: {a: 1}\n",
                  "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into []rulefmt.RuleGroup\n"
                  "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into []rulefmt.RuleGroupNode");
    /* a record given as a mapping only fails the typed pass (the other keeps nodes) */
    expect_errors("groups:\n- name: g\n  rules:\n  - record: {a: 1}\n    expr: up\n",
                  "yaml: unmarshal errors:\n  line 4: cannot unmarshal !!map into string");
    expect_errors("groups:\n- name: g\n  interval: 1m30\n",
                  "not a valid duration string: \"1m30\"\nnot a valid duration string: \"1m30\"");
    expect_errors("groups:\n- name: g\n  labels:\n    a: 1\n    a: 2\n",
                  "yaml: unmarshal errors:\n  line 5: mapping key \"a\" already defined at line 4\n"
                  "yaml: unmarshal errors:\n  line 5: mapping key \"a\" already defined at line 4");
    expect_errors("groups:\n- name: g\n  rules: &r\n  - record: x\n    expr: up\n    labels: *r\n",
                  /* an anchored collection starts where its anchor is written */
                  "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!seq into map[string]string\n"
                  "yaml: unmarshal errors:\n  line 3: cannot unmarshal !!seq into map[string]string");
    expect_errors("groups:\n- name: g\n  limit: !!int abc\n",
                  "yaml: cannot decode !!str `abc` as a !!int\nyaml: cannot decode !!str `abc` as a !!int");
    expect_errors("a: [\n", "yaml: line 1: did not find expected node content\n"
                            "yaml: line 1: did not find expected node content");
}

/* Large mappings take the sorted path; pairs must still come in Go's order. */
static void test_many_duplicate_keys(void)
{
    struct strbuf src = STRBUF_INIT, out = STRBUF_INIT;
    strbuf_addstr(&src, "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    labels:\n");
    for (int i = 0; i < 100; i++)
        strbuf_addf(&src, "      k%d: v\n", i % 3);
    struct rulefile rf;
    T_EQ_INT(parse(src.buf, NULL, &rf, &out), -1);
    size_t count = 0;
    for (const char *p = out.buf; (p = strstr(p, "already defined")); p++)
        count++;
    T_EQ_INT(count, 2 * (34 * 33 / 2 + 2 * (33 * 32 / 2))); /* both passes */
    T_CHECK(!strncmp(out.buf, "yaml: unmarshal errors:\n  line 10: mapping key \"k0\" already defined at line 7\n"
                              "  line 13: mapping key \"k0\" already defined at line 7\n", 132));
    rulefile_release(&rf);
    strbuf_release(&src);
    strbuf_release(&out);
}

static void test_nulls_and_merges(void)
{
    /* null values leave fields at their zero values; null list items are skipped */
    const char *src = "groups:\n- name: g\n  interval:\n  labels:\n  rules:\n  - ~\n  - record: x\n    expr: up\n"
                      "    for: ~\n    labels: {a: ~}\n";
    struct rulefile rf;
    struct strbuf out = STRBUF_INIT;
    T_EQ_INT(parse(src, NULL, &rf, &out), 0);
    T_EQ_INT(rf.groups[0].nrules, 1);
    T_EQ_STR(rf.groups[0].rules[0].labels.items[0].value, "");
    rulefile_release(&rf);
    /* "<<" merges keep the keys set beside them */
    src = "groups:\n- name: g\n  rules:\n  - &base\n    alert: A\n    expr: up\n    labels: {s: x}\n"
          "  - <<: *base\n    alert: B\n";
    strbuf_reset(&out);
    T_EQ_INT(parse(src, NULL, &rf, &out), 0);
    T_EQ_STR(out.buf, "");
    T_EQ_INT(rf.groups[0].nrules, 2);
    T_EQ_STR(rf.groups[0].rules[1].alert, "B");
    T_EQ_STR(rf.groups[0].rules[1].expr, "up");
    T_EQ_STR(rf.groups[0].rules[1].labels.items[0].value, "x");
    rulefile_release(&rf);
    /* an anchor that contains itself */
    expect_errors("groups: [{name: g, rules: [&x {labels: *x}]}]\n",
                  "yaml: anchor 'x' value contains itself\nyaml: anchor 'x' value contains itself");
    strbuf_release(&out);
}

static void test_validation(void)
{
    expect_errors("groups:\n- name: \"\"\n- name: a\n- name: a\n  labels: {__name__: x}\n",
                  "2:3: Groupname must not be empty\n4:3: groupname: \"a\" is repeated in the same file\n"
                  "invalid label name: __name__");
    expect_errors("groups:\n- name: g\n  rules:\n  - record: x\n    alert: y\n    expr: up\n",
                  "4:13: 5:12: group \"g\", rule 1, \"y\": only one of 'record' and 'alert' must be set");
    expect_errors("groups:\n- name: g\n  rules:\n  - expr: up\n",
                  "0:0: 0:0: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set");
    expect_errors("groups:\n- name: g\n  rules:\n  - record: x\n    expr: \"\"\n",
                  "5:11: group \"g\", rule 1, \"x\": field 'expr' must be set in rule");
    expect_errors("groups:\n- name: g\n  rules:\n  - record: x{a=\"b\"}\n    expr: up\n    for: 1m\n"
                  "    annotations: {a: b}\n",
                  "4:13: group \"g\", rule 1, \"x{a=\\\"b\\\"}\": invalid field 'annotations' in recording rule\n"
                  "4:13: group \"g\", rule 1, \"x{a=\\\"b\\\"}\": invalid field 'for' in recording rule\n"
                  "4:13: group \"g\", rule 1, \"x{a=\\\"b\\\"}\": braces present in the recording rule name; "
                  "should it be in expr?: x{a=\"b\"}");
    /* (invalid UTF-8 in values cannot get past the YAML reader) */
    expect_errors("groups:\n- name: g\n  rules:\n  - alert: a\n    expr: up\n    labels: {\"\": x}\n",
                  "group \"g\", rule 1, \"a\": invalid label name: ");
    /* UTF-8 names are valid in Prometheus 3; the legacy scheme rejects them */
    const char *src = "groups:\n- name: g\n  rules:\n  - record: \"my.metric\"\n    expr: up\n"
                      "    labels: {ins-tance: x}\n  - alert: a\n    expr: up\n    annotations: {ins-tance: x}\n";
    struct rulefile rf;
    struct strbuf out = STRBUF_INIT;
    T_EQ_INT(parse(src, NULL, &rf, &out), 0);
    rulefile_release(&rf);
    struct rulefile_opts legacy = {.names = RULEFILE_NAMES_LEGACY};
    T_EQ_INT(parse(src, &legacy, &rf, &out), -1);
    T_EQ_STR(out.buf, "4:13: group \"g\", rule 1, \"my.metric\": invalid recording rule name: my.metric\n"
                      "group \"g\", rule 1, \"my.metric\": invalid label name: ins-tance\n"
                      "group \"g\", rule 2, \"a\": invalid annotation name: ins-tance");
    rulefile_release(&rf);
    strbuf_release(&out);
}

static void test_expressions(void)
{
    const char *src = "groups:\n- name: g\n  rules:\n  - record: r\n    expr: |\n      sum without(instance)\n"
                      "        (rate(x[5m]))\n";
    struct rulefile rf;
    struct strbuf out = STRBUF_INIT;
    T_EQ_INT(parse(src, NULL, &rf, &out), 0);
    const struct rule *r = &rf.groups[0].rules[0];
    T_CHECK(r->ast != NULL);
    T_EQ_STR(r->expr, "sum without(instance)\n  (rate(x[5m]))\n");
    T_EQ_STR(r->expr_canonical, "sum without (instance) (rate(x[5m]))");
    rulefile_release(&rf);
    /* check_only validates the same but keeps no trees */
    struct rulefile_opts co = {.check_only = true};
    T_EQ_INT(parse(src, &co, &rf, &out), 0);
    T_CHECK(rf.groups[0].rules[0].ast == NULL && rf.groups[0].rules[0].expr_canonical == NULL);
    rulefile_release(&rf);
    T_EQ_INT(parse("groups:\n- name: g\n  rules:\n  - record: r\n    expr: sum(\n", &co, &rf, &out), -1);
    T_CHECK(strstr(out.buf, "could not parse expression: 1:5: parse error: unclosed left parenthesis") != NULL);
    rulefile_release(&rf);
    /* positions inside the expression count its own lines */
    expect_errors("groups:\n- name: g\n  rules:\n  - record: r\n    expr: |\n      sum(x)\n      +\n",
                  "5:11: group \"g\", rule 1, \"r\": could not parse expression: 3:1: parse error: "
                  "unexpected end of input");
    strbuf_release(&out);
}

/* rulefmt_test.go TestTemplateParsing: labels and annotations of alerting
 * rules are parsed as templates; recording rules' labels are not. */
static void test_templates(void)
{
    static const struct {
        const char *labels, *annotations;
        const char *want; /* NULL: accepted */
    } cases[] = {
        {"severity: \"page\"", "summary: \"Instance {{ $labels.instance }} down\"", NULL},
        {"severity: \"page\"", "summary: \"Instance {{ $label.instance }} down\"",
         "group \"example\", rule 1, \"InstanceDown\": annotation \"summary\": template: "
         "__alert_InstanceDown:1: undefined variable \"$label\""},
        {"severity: \"{{$this_is_wrong}}\"", "summary: \"Instance {{ $labels.instance }} down\"",
         "group \"example\", rule 1, \"InstanceDown\": label \"severity\": template: "
         "__alert_InstanceDown:1: undefined variable \"$this_is_wrong\""},
        {"severity: \"page\"", "description: \"{{$labels.quantile * 100}}\"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf src = STRBUF_INIT, out = STRBUF_INIT;
        strbuf_addf(&src, "groups:\n- name: example\n  labels:\n    team: myteam\n  rules:\n"
                          "  - alert: InstanceDown\n    expr: up == 0\n    for: 5m\n"
                          "    labels:\n      %s\n    annotations:\n      %s\n",
                    cases[i].labels, cases[i].annotations);
        struct rulefile rf;
        int rc = parse(src.buf, NULL, &rf, &out);
        printf("# template case %zu\n", i);
        if (!cases[i].want) {
            T_EQ_INT(rc, 0);
        } else {
            T_EQ_INT(rc, -1);
            if (*cases[i].want)
                T_EQ_STR(out.buf, cases[i].want);
        }
        rulefile_release(&rf);
        strbuf_release(&src);
        strbuf_release(&out);
    }
    /* a recording rule's label is not a template */
    struct rulefile rf;
    struct strbuf out = STRBUF_INIT;
    T_EQ_INT(parse("groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    labels: {a: \"{{\"}\n", NULL,
                   &rf, &out), 0);
    rulefile_release(&rf);
    strbuf_release(&out);
}

static void test_unknown_fields_ignored_and_multidoc(void)
{
    const char *src = "groups:\n- name: g\n  owner: x\n  rules: []\n---\ngroups: [{name: h}]\n";
    struct rulefile_opts o = {.ignore_unknown_fields = true};
    struct rulefile rf;
    struct strbuf out = STRBUF_INIT;
    T_EQ_INT(parse(src, &o, &rf, &out), 0);
    T_EQ_STR(out.buf, "Multiple document yaml rules files are not supported, only the first document is processed");
    T_EQ_INT(rf.ngroups, 1);
    T_EQ_INT(rf.more_docs, 1);
    rulefile_release(&rf);
    strbuf_release(&out);
}

static void test_directives(void)
{
    const char *src = "groups:\n"
                      "  # heed: max-age=2m\n"
                      "  - name: g\n"
                      "    rules:\n"
                      "      # an ordinary comment\n"
                      "      #heed:   on-missing=hold  \n"
                      "      - alert: A\n"
                      "        expr: up\n"
                      "\n"
                      "      # heed: not directly above\n"
                      "\n"
                      "      - record: r\n"
                      "        expr: up\n";
    struct rulefile rf;
    struct strbuf out = STRBUF_INIT;
    T_EQ_INT(parse(src, NULL, &rf, &out), 0);
    struct rulefile_directive d[4];
    const struct rule_group *g = &rf.groups[0];
    T_EQ_INT(rulefile_directives_above(&rf, g->line, d, 4), 1);
    T_CHECK(d[0].len == 10 && !memcmp(d[0].text, "max-age=2m", 10));
    T_EQ_INT(d[0].line, 2);
    T_EQ_INT(d[0].col, 3);
    T_EQ_INT(rulefile_directives_above(&rf, g->rules[0].line, d, 4), 1);
    T_CHECK(d[0].len == 15 && !memcmp(d[0].text, "on-missing=hold", 15));
    T_EQ_INT(d[0].line, 6);
    T_EQ_INT(rulefile_directives_above(&rf, g->rules[1].line, d, 4), 0);
    T_EQ_INT(rulefile_directives_above(&rf, 1, d, 4), 0);
    rulefile_release(&rf);
    strbuf_release(&out);
}

static void test_set_globs(void)
{
    char dir[] = "/tmp/heed-rulefile-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char p1[128], p2[128], pat[128];
    snprintf(p1, sizeof p1, "%s/a.yml", dir);
    snprintf(p2, sizeof p2, "%s/b.yml", dir);
    snprintf(pat, sizeof pat, "%s/*.yml", dir);
    FILE *f = fopen(p1, "w");
    fputs("groups: [{name: g, rules: [{record: x, expr: up}]}]\n", f);
    fclose(f);
    f = fopen(p2, "w");
    fputs("groups: [{name: g}]\n", f);
    fclose(f);
    struct rulefile_set set = {0};
    struct diag_list dl;
    diag_list_init(&dl);
    const char *pats[] = {pat, p1, "/nonexistent/*.yml"};
    T_EQ_INT(rulefile_set_load(&set, pats, 3, NULL, &dl), 0);
    T_EQ_INT(set.len, 2); /* a.yml matched twice, loaded once */
    char key[160];
    snprintf(key, sizeof key, "%s;g", p2);
    const struct rule_group *g = rulefile_set_group(&set, key);
    T_CHECK(g && g->nrules == 0);
    snprintf(key, sizeof key, "%s;g", p1);
    g = rulefile_set_group(&set, key);
    T_CHECK(g && g->nrules == 1);
    rulefile_set_release(&set);
    struct rulefile rf;
    T_EQ_INT(rulefile_load(&rf, "/nonexistent.yml", NULL, &dl), -1);
    T_EQ_STR(dl.items[dl.len - 1].msg, "open /nonexistent.yml: no such file or directory");
    rulefile_release(&rf);
    diag_list_release(&dl);
    unlink(p1);
    unlink(p2);
    rmdir(dir);
}

int main(void)
{
    t_run("ynode positions and aliases", test_ynode_positions);
    t_run("ynode documents and limits", test_ynode_docs_and_limits);
    t_run("ynode scalar resolution", test_ynode_resolve);
    t_run("durations", test_durations);
    t_run("go quoting", test_go_quote);
    t_run("typed fields", test_typed_fields);
    t_run("decode errors", test_decode_errors);
    t_run("nulls and merge keys", test_nulls_and_merges);
    t_run("many duplicate keys", test_many_duplicate_keys);
    t_run("validation", test_validation);
    t_run("expressions", test_expressions);
    t_run("templates", test_templates);
    t_run("unknown fields ignored, multi-document", test_unknown_fields_ignored_and_multidoc);
    t_run("comment directives", test_directives);
    t_run("files and globs", test_set_globs);
    return t_done();
}
