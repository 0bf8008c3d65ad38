/* daemon_test: the generatorURL escaping (Go's url.QueryEscape), and a daemon
 * refusing a bad configuration with file:line:col while starting nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "rules/daemon.h"
#include "tests/t.h"

static void test_query_escape(void)
{
    static const struct {
        const char *in, *want; /* want: what Go's url.QueryEscape returns */
    } cases[] = {
        {"up == 0", "up+%3D%3D+0"},
        {"rate(http_requests_total{job=\"api\",path=~\"/a.*\"}[5m]) > 0.5",
         "rate%28http_requests_total%7Bjob%3D%22api%22%2Cpath%3D~%22%2Fa.%2A%22%7D%5B5m%5D%29+%3E+0.5"},
        {"a_b-c.d~e", "a_b-c.d~e"},
        {"x & y + z", "x+%26+y+%2B+z"},
        {"\xc3\xa9", "%C3%A9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf sb = STRBUF_INIT;
        daemon_query_escape(&sb, cases[i].in);
        T_EQ_STR(sb.buf, cases[i].want);
        strbuf_release(&sb);
    }
}

static void test_bad_config_refused(void)
{
    char dir[] = "/tmp/heed-daemon-test.XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    char cfg[128], rules[128];
    snprintf(cfg, sizeof cfg, "%s/heed.yml", dir);
    snprintf(rules, sizeof rules, "%s/rules.yml", dir);
    FILE *f = fopen(cfg, "w");
    fputs("datasource: {url: \"http://127.0.0.1:1\"}\nrule_files: [rules.yml]\n", f);
    fclose(f);
    f = fopen(rules, "w");
    fputs("groups:\n  - name: g\n    rules:\n      - record: x\n        expr: sum(\n", f);
    fclose(f);
    struct diag_list dl;
    diag_list_init(&dl);
    struct daemon_opts o = {.config_path = cfg};
    struct daemon *d = daemon_new(&o, &dl);
    T_CHECK(d == NULL);
    T_CHECK(dl.len >= 1);
    /* a rule-file error names the rule file (rendered while it was loaded) */
    if (dl.len >= 1) {
        T_CHECK(strstr(dl.items[0].msg, rules) == dl.items[0].msg);
        T_CHECK(dl.items[0].file == NULL);
    }
    diag_list_release(&dl);
    daemon_free(d);
    unlink(cfg);
    unlink(rules);
    rmdir(dir);
}

int main(void)
{
    t_run("generatorURL escaping as Go's url.QueryEscape", test_query_escape);
    t_run("bad rule file refused with its name", test_bad_config_refused);
    return t_done();
}
