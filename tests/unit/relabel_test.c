/* Unit tests of compat/relabel: every action on small label sets, Go's
 * $-expansion, anchoring, hashmod against MD5 values computed independently
 * (Python's hashlib: md5("baz") ends in ...e44cf984c85f6e88, which mod 1000
 * is 976), and Prometheus's validation errors. */
#include <stdlib.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "compat/relabel.h"
#include "tests/t.h"

/* ls from "a=1,b=2"; the result as "a=1,b=2" (sorted), or "dropped". */
static void run(const struct relabel_config *cs, size_t n, const char *in, struct strbuf *out)
{
    struct relabel_labels ls;
    relabel_labels_init(&ls);
    char *copy = xstrdup(in);
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        *eq = 0;
        relabel_labels_set(&ls, kv, eq + 1);
    }
    free(copy);
    struct relabel_rule **rules = xcalloc(n, sizeof *rules);
    for (size_t i = 0; i < n; i++) {
        char err[256];
        rules[i] = relabel_compile(&cs[i], err, sizeof err);
        if (!rules[i])
            T_FAIL_("rule %zu: %s", i, err);
    }
    strbuf_reset(out);
    if (!relabel_process(rules, n, &ls)) {
        strbuf_addstr(out, "dropped");
    } else {
        relabel_labels_sort(&ls);
        for (size_t i = 0; i < ls.n; i++)
            strbuf_addf(out, "%s%s=%s", i ? "," : "", ls.l[i].name, ls.l[i].value);
    }
    for (size_t i = 0; i < n; i++)
        relabel_free(rules[i]);
    free(rules);
    relabel_labels_release(&ls);
}

static const char *const SRC_A[] = {"a"};
static const char *const SRC_AB[] = {"a", "b"};
static const char *const SRC_C[] = {"c"};

static void test_replace(void)
{
    struct strbuf got = STRBUF_INIT;
    struct relabel_config c = {.source_labels = SRC_A, .nsource_labels = 1, .target_label = "d",
                               .regex = "f(.*)", .replacement = "ch${1}-ch${1}"};
    run(&c, 1, "a=foo,b=bar", &got);
    T_EQ_STR(got.buf, "a=foo,b=bar,d=choo-choo");
    /* no match (anchored: "o" is not "foo"): unchanged */
    c.regex = "o";
    run(&c, 1, "a=foo", &got);
    T_EQ_STR(got.buf, "a=foo");
    /* defaults: regex (.*), replacement $1; joined sources */
    struct relabel_config d = {.source_labels = SRC_AB, .nsource_labels = 2, .target_label = "joined"};
    run(&d, 1, "a=x,b=y", &got);
    T_EQ_STR(got.buf, "a=x,b=y,joined=x;y");
    d.separator = "-";
    run(&d, 1, "a=x", &got); /* a missing label joins as "" */
    T_EQ_STR(got.buf, "a=x,joined=x-");
    /* an empty result deletes the target */
    struct relabel_config e = {.source_labels = SRC_A, .nsource_labels = 1, .target_label = "b", .regex = "(.*)",
                               .replacement = ""};
    run(&e, 1, "a=1,b=2", &got);
    T_EQ_STR(got.buf, "a=1");
    /* the target is a template too; $1x names a group "1x" (empty), $$ is a dollar */
    struct relabel_config f = {.source_labels = SRC_A, .nsource_labels = 1, .target_label = "t_${2}",
                               .regex = "(f)(.*)", .replacement = "$1x|${1}x|$$1|$name"};
    run(&f, 1, "a=foo", &got);
    T_EQ_STR(got.buf, "a=foo,t_oo=|fx|$1|");
    struct relabel_config g = {.source_labels = SRC_A, .nsource_labels = 1, .target_label = "n",
                               .regex = "(?P<first>.)(?P<rest>.*)", .replacement = "$rest-${first}"};
    run(&g, 1, "a=foo", &got);
    T_EQ_STR(got.buf, "a=foo,n=oo-f");
    /* dot matches a newline */
    struct relabel_config h = {.source_labels = SRC_A, .nsource_labels = 1, .action = RELABEL_KEEP, .regex = "x.y"};
    run(&h, 1, "a=x\ny", &got);
    T_EQ_STR(got.buf, "a=x\ny");
    strbuf_release(&got);
}

static void test_keep_drop(void)
{
    struct strbuf got = STRBUF_INIT;
    struct relabel_config keep = {.source_labels = SRC_A, .nsource_labels = 1, .action = RELABEL_KEEP, .regex = "f.*"};
    run(&keep, 1, "a=foo", &got);
    T_EQ_STR(got.buf, "a=foo");
    run(&keep, 1, "a=bar", &got);
    T_EQ_STR(got.buf, "dropped");
    struct relabel_config drop = {.source_labels = SRC_A, .nsource_labels = 1, .action = RELABEL_DROP, .regex = "f.*"};
    run(&drop, 1, "a=foo", &got);
    T_EQ_STR(got.buf, "dropped");
    run(&drop, 1, "a=bar", &got);
    T_EQ_STR(got.buf, "a=bar");
    struct relabel_config keq = {.source_labels = SRC_A, .nsource_labels = 1, .action = RELABEL_KEEPEQUAL,
                                 .target_label = "b"};
    run(&keq, 1, "a=1,b=1", &got);
    T_EQ_STR(got.buf, "a=1,b=1");
    run(&keq, 1, "a=1,b=2", &got);
    T_EQ_STR(got.buf, "dropped");
    struct relabel_config deq = keq;
    deq.action = RELABEL_DROPEQUAL;
    run(&deq, 1, "a=1,b=1", &got);
    T_EQ_STR(got.buf, "dropped");
    run(&deq, 1, "a=1,b=2", &got);
    T_EQ_STR(got.buf, "a=1,b=2");
    strbuf_release(&got);
}

static void test_hashmod_case_labelmap(void)
{
    struct strbuf got = STRBUF_INIT;
    struct relabel_config hm = {.source_labels = SRC_C, .nsource_labels = 1, .action = RELABEL_HASHMOD,
                                .target_label = "d", .modulus = 1000};
    run(&hm, 1, "a=foo,c=baz", &got);
    T_EQ_STR(got.buf, "a=foo,c=baz,d=976");
    run(&hm, 1, "c=foo", &got);
    T_EQ_STR(got.buf, "c=foo,d=696");
    struct relabel_config up = {.source_labels = SRC_A, .nsource_labels = 1, .action = RELABEL_UPPERCASE,
                                .target_label = "u"};
    struct relabel_config lo = {.source_labels = SRC_A, .nsource_labels = 1, .action = RELABEL_LOWERCASE,
                                .target_label = "l"};
    struct relabel_config both[] = {up, lo};
    run(both, 2, "a=MiXed-1", &got);
    T_EQ_STR(got.buf, "a=MiXed-1,l=mixed-1,u=MIXED-1");
    struct relabel_config lm = {.action = RELABEL_LABELMAP, .regex = "b(.*)", .replacement = "new_$1"};
    run(&lm, 1, "a=0,b1=x,b2=y", &got);
    T_EQ_STR(got.buf, "a=0,b1=x,b2=y,new_1=x,new_2=y");
    struct relabel_config ld = {.action = RELABEL_LABELDROP, .regex = "b.*"};
    run(&ld, 1, "a=0,b1=x,b2=y", &got);
    T_EQ_STR(got.buf, "a=0");
    struct relabel_config lk = {.action = RELABEL_LABELKEEP, .regex = "a|b1"};
    run(&lk, 1, "a=0,b1=x,b2=y", &got);
    T_EQ_STR(got.buf, "a=0,b1=x");
    /* rules run in order: a dropped label no longer feeds a later rule */
    struct relabel_config seq[] = {ld, {.source_labels = (const char *const[]){"b1"}, .nsource_labels = 1,
                                        .target_label = "c", .regex = "(.+)"}};
    run(seq, 2, "a=0,b1=x", &got);
    T_EQ_STR(got.buf, "a=0");
    strbuf_release(&got);
}

static void test_validation(void)
{
    static const struct {
        struct relabel_config c;
        const char *want;
    } bad[] = {
        {{.action = RELABEL_HASHMOD, .target_label = "d"}, "relabel configuration for hashmod requires non-zero modulus"},
        {{.action = RELABEL_REPLACE}, "relabel configuration for replace action requires 'target_label' value"},
        {{.action = RELABEL_LOWERCASE, .target_label = "1x"}, "\"1x\" is invalid 'target_label' for lowercase action"},
        {{.action = RELABEL_REPLACE, .target_label = "a-b"}, "\"a-b\" is invalid 'target_label' for replace action"},
        {{.action = RELABEL_LABELDROP, .source_labels = SRC_A, .nsource_labels = 1},
         "labeldrop action requires only 'regex', and no other fields"},
        {{.action = RELABEL_KEEPEQUAL, .target_label = "b", .regex = "x"},
         "keepequal action requires only 'source_labels' and `target_label`, and no other fields"},
        {{.action = RELABEL_KEEP, .regex = "a("}, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        struct relabel_rule *r = relabel_compile(&bad[i].c, err, sizeof err);
        T_CHECK(r == NULL);
        relabel_free(r);
        if (bad[i].want)
            T_EQ_STR(err, bad[i].want);
        else
            T_CHECK(strstr(err, "invalid regex \"a(\"") != NULL);
    }
    T_EQ_INT(relabel_action_parse("LabelMap"), RELABEL_LABELMAP);
    T_EQ_INT(relabel_action_parse("dropequal"), RELABEL_DROPEQUAL);
    T_EQ_INT(relabel_action_parse("rename"), -1);
}

int main(void)
{
    t_run("replace", test_replace);
    t_run("keep, drop, keepequal, dropequal", test_keep_drop);
    t_run("hashmod, case, labelmap, labeldrop, labelkeep", test_hashmod_case_labelmap);
    t_run("validation", test_validation);
    return t_done();
}
