/* relabel_test: every action, defaults, Go template expansion, hashmod's
 * values and the validation messages of Prometheus's relabel configs. */
#include <stdlib.h>

#include "base/arena.h"
#include "base/md5.h"
#include "base/strbuf.h"
#include "compat/relabel.h"
#include "tests/t.h"

/* "a=1,b=2" into a set. */
static void parse_set(struct relabel_set *s, const char *text)
{
    char *copy = strdup(text), *save = NULL;
    for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(p, '=');
        *eq = 0;
        relabel_set_put(s, p, eq + 1);
    }
    free(copy);
}

static char *format_set(const struct relabel_set *s)
{
    struct strbuf b = STRBUF_INIT;
    strbuf_addstr(&b, "");
    for (size_t i = 0; i < s->n; i++)
        strbuf_addf(&b, "%s%s=%s", i ? "," : "", s->l[i].name, s->l[i].value);
    return strbuf_detach(&b);
}

/* Runs specs over input; returns the resulting set as text, "DROP", or
 * "ERROR: message". */
static char *run(const char *input, const struct relabel_spec *specs, size_t n)
{
    struct arena a;
    arena_init(&a, 0);
    struct relabel_rule *rules = ARENA_NEWN(&a, struct relabel_rule, n);
    struct strbuf err = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (relabel_compile(&a, &specs[i], &rules[i], &err) < 0) {
            char *r = malloc(err.len + 8);
            sprintf(r, "ERROR: %s", err.buf);
            strbuf_release(&err);
            arena_release(&a);
            return r;
        }
    }
    struct relabel_set s = {0};
    parse_set(&s, input);
    char *out = relabel_process(rules, n, &s) ? format_set(&s) : strdup("DROP");
    relabel_set_release(&s);
    strbuf_release(&err);
    arena_release(&a);
    return out;
}

#define SRC(...) .source_labels = (const char *const[]){__VA_ARGS__}, \
                 .nsource = sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), .has_source = true

#define CHECK_RUN(input, want, ...)                                                    \
    do {                                                                               \
        const struct relabel_spec sp_[] = {__VA_ARGS__};                               \
        char *got_ = run(input, sp_, sizeof sp_ / sizeof sp_[0]);                     \
        T_EQ_STR(got_, want);                                                          \
        free(got_);                                                                    \
    } while (0)

static void test_md5(void)
{
    /* RFC 1321's test suite. */
    static const char *const in[] = {"", "abc", "message digest",
                                     "12345678901234567890123456789012345678901234567890123456789012345678901234567890"};
    static const char *const want[] = {"d41d8cd98f00b204e9800998ecf8427e", "900150983cd24fb0d6963f7d28e17f72",
                                       "f96b697d7cb7938d525a2f31aaf161d0", "57edf4a22be3c955ac49da2e2107b67a"};
    for (int i = 0; i < 4; i++) {
        unsigned char d[16];
        char hex[33];
        md5_sum(in[i], strlen(in[i]), d);
        for (int j = 0; j < 16; j++)
            sprintf(hex + 2 * j, "%02x", d[j]);
        T_EQ_STR(hex, want[i]);
    }
}

static void test_replace(void)
{
    CHECK_RUN("a=foo,b=bar,c=baz", "a=foo,b=bar,c=baz,d=ch-foo-ch", {SRC("a"), .regex = "f(.*)", .target_label = "d", .replacement = "ch-${0}-ch"});
    /* Two source labels joined by the separator; $1 of the default replacement. */
    CHECK_RUN("a=foo,b=bar", "a=foo,b=bar,d=foo;bar", {SRC("a", "b"), .target_label = "d"});
    /* No match: nothing changes. */
    CHECK_RUN("a=foo", "a=foo", {SRC("a"), .regex = "x.*", .target_label = "d"});
    /* An empty result deletes the target. */
    CHECK_RUN("a=foo,d=old", "a=foo", {SRC("a"), .regex = "foo", .target_label = "d", .replacement = "$1"});
    /* The target label is a template too. */
    CHECK_RUN("a=some-name-value", "a=some-name-value,name=value", {SRC("a"), .regex = "some-([^-]+)-([^,]+)", .target_label = "${1}", .replacement = "${2}"});
    /* $1x names group "1x", which does not exist: an empty value. */
    CHECK_RUN("a=foo", "a=foo,d=-", {SRC("a"), .regex = "(f)oo", .target_label = "d", .replacement = "$1x-"});
    /* $$ is a dollar; a lone $ stays. */
    CHECK_RUN("a=foo", "a=foo,d=$f$", {SRC("a"), .regex = "(f)oo", .target_label = "d", .replacement = "$$${1}$"});
    /* Named groups. */
    CHECK_RUN("a=foo", "a=foo,d=oo", {SRC("a"), .regex = "f(?P<rest>.*)", .target_label = "d", .replacement = "$rest"});
    /* Fast path: an empty source with the default regex sets a fixed value. */
    CHECK_RUN("a=foo", "a=foo,team=db", {.target_label = "team", .replacement = "db"});
    /* Anchored: a partial match is no match. */
    CHECK_RUN("a=foobar", "a=foobar", {SRC("a"), .regex = "foo", .target_label = "d", .replacement = "x"});
    /* A target that expands to nothing is skipped. */
    CHECK_RUN("a=foo", "a=foo", {SRC("a"), .regex = "(x)?foo", .target_label = "${1}", .replacement = "v"});
}

static void test_keep_drop(void)
{
    CHECK_RUN("a=foo", "DROP", {SRC("a"), .regex = "f.*", .action = "drop"});
    CHECK_RUN("a=foo", "a=foo", {SRC("a"), .regex = "x.*", .action = "drop"});
    CHECK_RUN("a=foo", "a=foo", {SRC("a"), .regex = "f.*", .action = "Keep"});
    CHECK_RUN("a=foo", "DROP", {SRC("a"), .regex = "x.*", .action = "keep"});
    /* A missing label is the empty string. */
    CHECK_RUN("a=foo", "DROP", {SRC("missing"), .regex = "", .action = "drop"});
    CHECK_RUN("a=foo,b=foo", "DROP", {SRC("a"), .target_label = "b", .action = "dropequal"});
    CHECK_RUN("a=foo,b=bar", "a=foo,b=bar", {SRC("a"), .target_label = "b", .action = "dropequal"});
    CHECK_RUN("a=foo,b=bar", "DROP", {SRC("a"), .target_label = "b", .action = "keepequal"});
    /* A rule after a drop never runs. */
    CHECK_RUN("a=foo", "DROP", {SRC("a"), .regex = "f.*", .action = "drop"}, {.target_label = "x", .replacement = "y"});
}

static void test_hashmod_case_labels(void)
{
    /* Values as Prometheus computes them: md5's last 8 bytes mod 1000. */
    CHECK_RUN("a=foo,b=bar,c=baz", "a=foo,b=bar,c=baz,d=976", {SRC("c"), .target_label = "d", .modulus = 1000, .action = "hashmod"});
    CHECK_RUN("a=x", "a=x,h=726", {SRC("a"), .target_label = "h", .modulus = 1000, .action = "hashmod"});
    CHECK_RUN("a=FoO,b=x", "a=FoO,b=x,l=foo;x,u=FOO;X", {SRC("a", "b"), .target_label = "l", .action = "lowercase"},
              {SRC("a", "b"), .target_label = "u", .action = "uppercase"});
    CHECK_RUN("__meta_a=1,__meta_b=2,c=3", "__meta_a=1,__meta_b=2,a=1,b=2,c=3", {.regex = "__meta_(.*)", .action = "labelmap"});
    CHECK_RUN("replica=a,prometheus_replica=b,x=1", "x=1", {.regex = "(prometheus_)?replica", .action = "labeldrop"});
    CHECK_RUN("alertname=A,severity=page,x=1", "alertname=A,severity=page", {.regex = "alertname|severity", .action = "labelkeep"});
}

static void test_validation(void)
{
    CHECK_RUN("a=1", "ERROR: unknown relabel action \"explode\"", {.action = "explode"});
    CHECK_RUN("a=1", "ERROR: relabel configuration for hashmod requires non-zero modulus", {SRC("a"), .target_label = "h", .action = "hashmod"});
    CHECK_RUN("a=1", "ERROR: relabel configuration for replace action requires 'target_label' value", {SRC("a")});
    CHECK_RUN("a=1", "ERROR: relabel configuration for lowercase action requires 'target_label' value", {SRC("a"), .action = "lowercase"});
    CHECK_RUN("a=1", "ERROR: 'replacement' can not be set for uppercase action", {SRC("a"), .target_label = "b", .replacement = "x", .action = "uppercase"});
    CHECK_RUN("a=1", "ERROR: keepequal action requires only 'source_labels' and `target_label`, and no other fields", {SRC("a"), .target_label = "b", .regex = "(.*)", .action = "keepequal"});
    CHECK_RUN("a=1", "ERROR: labeldrop action requires only 'regex', and no other fields", {SRC("a"), .regex = "a", .action = "labeldrop"});
    CHECK_RUN("a=1", "ERROR: labelkeep action requires only 'regex', and no other fields", {.regex = "a", .separator = ",", .action = "labelkeep"});
    CHECK_RUN("a=1", "ERROR: \"\" is invalid 'replacement' for labelmap action", {.regex = "a", .replacement = "", .action = "labelmap"});
    CHECK_RUN("a=1", "ERROR: error parsing regexp: invalid or unsupported Perl syntax: `(?=x)`", {SRC("a"), .regex = "(?=x)", .action = "drop"});
}

int main(void)
{
    t_run("md5 (RFC 1321 suite)", test_md5);
    t_run("replace: templates, defaults, deletion, anchoring", test_replace);
    t_run("keep, drop, keepequal, dropequal", test_keep_drop);
    t_run("hashmod, lowercase, uppercase, labelmap, labeldrop, labelkeep", test_hashmod_case_labels);
    t_run("validation messages", test_validation);
    return t_done();
}
