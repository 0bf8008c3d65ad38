/* config_test: good files decode with defaults filled in; bad files give
 * exactly the expected file:line:col messages (golden errors). */
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "compat/relabel.h"
#include "rules/config.h"
#include "tests/t.h"

/* Parses src as /etc/heed/heed.yml; returns the rendered diags ("" if none). */
static char *parse(struct config *cfg, const char *src, int *rc)
{
    struct diag_list dl;
    diag_list_init(&dl);
    *rc = config_parse(cfg, "/etc/heed/heed.yml", src, strlen(src), &dl);
    struct strbuf out = STRBUF_INIT;
    for (size_t i = 0; i < dl.len; i++)
        diag_render(&out, &dl.items[i], src, strlen(src), 0);
    diag_list_release(&dl);
    return strbuf_detach(&out);
}

static void test_full(void)
{
    const char *src =
        "datasource:\n"
        "  url: http://127.0.0.1:9090/prefix\n"
        "  basic_auth: {username: heed, password_file: /run/secrets/ds}\n"
        "  tls: {ca_file: /etc/ca.pem, server_name: prom.example, insecure_skip_verify: false}\n"
        "  headers: {X-Scope-OrgID: tenant-1}\n"
        "  timeout: 20s\n"
        "alertmanagers:\n"
        "  - url: https://[::1]:9093\n"
        "    bearer_token_file: /run/secrets/am\n"
        "    tls: {cert_file: c.pem, key_file: k.pem}\n"
        "  - url: http://am2.example:9093\n"
        "rule_files: [rules/*.yml, /abs/x.yml]\n"
        "evaluation_interval: 30s\n"
        "query_offset: 15s\n"
        "external_labels: {ruler: heed-1, cluster: eu}\n"
        "external_url: http://heed.example:9096/\n"
        "state_dir: /var/lib/heed\n"
        "remote_write: {url: http://127.0.0.1:9090/api/v1/write}\n"
        "web:\n"
        "  listen_address: 0.0.0.0:9096\n"
        "  basic_auth_users:\n"
        "    admin: $2y$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n"
        "freshness:\n"
        "  profile: compat\n"
        "  defaults: {max_age: 10m, on_stale: fire, on_missing: resolve, max_hold: 1h}\n"
        "  rules:\n"
        "    - {group: \"api.*\", alert: HighErrorRate, max_unchanged: 15m}\n"
        "    - {record: \"job:.*\", max_age: auto}\n"
        "resend_delay: 2m\n"
        "for_grace_period: 5m\n"
        "for_outage_tolerance: 2h\n"
        "lookback_delta: 10m\n"
        "query_timeout: 1m\n"
        "max_samples: 1000\n"
        "self_monitoring: {watchdog: {enabled: false}, notifier_failing: false}\n"
        "group_phase: prometheus2\n"
        "evaluation_workers: 16\n"
        "incremental_fetch: false\n"
        "refetch_overlap: 90s\n";
    struct config c;
    int rc;
    char *errs = parse(&c, src, &rc);
    T_EQ_INT(rc, 0);
    T_EQ_STR(errs, "");
    T_EQ_STR(c.datasource.url, "http://127.0.0.1:9090/prefix");
    T_EQ_STR(c.datasource.basic_auth_username, "heed");
    T_EQ_STR(c.datasource.basic_auth_password_file, "/run/secrets/ds");
    T_EQ_STR(c.datasource.tls.server_name, "prom.example");
    T_EQ_INT(c.datasource.nheaders, 1);
    T_EQ_STR(c.datasource.headers[0], "X-Scope-OrgID: tenant-1");
    T_EQ_INT(c.datasource.timeout_ms, 20000);
    T_EQ_INT(c.nalertmanagers, 2);
    T_EQ_STR(c.alertmanagers[0].bearer_token_file, "/run/secrets/am");
    T_EQ_STR(c.alertmanagers[0].tls.key_file, "k.pem");
    T_EQ_INT(c.alertmanagers[1].timeout_ms, 10000);
    T_EQ_INT(c.nrule_files, 2);
    T_EQ_STR(c.rule_files[0], "/etc/heed/rules/*.yml");
    T_EQ_STR(c.rule_files[1], "/abs/x.yml");
    T_EQ_INT(c.evaluation_interval_ms, 30000);
    T_EQ_INT(c.query_offset_ms, 15000);
    T_EQ_INT(c.nexternal_labels, 2);
    T_EQ_STR(c.external_labels[0].name, "cluster"); /* sorted */
    T_EQ_STR(c.external_url, "http://heed.example:9096");
    T_EQ_STR(c.state_dir, "/var/lib/heed");
    T_CHECK(c.has_remote_write);
    T_EQ_STR(c.web.listen_address, "0.0.0.0:9096");
    T_EQ_INT(c.web.nusers, 1);
    T_EQ_INT(c.profile, CONFIG_PROFILE_COMPAT);
    T_EQ_INT(c.freshness.max_age_ms, 600000);
    T_EQ_INT(c.freshness.on_stale, CONFIG_ON_STALE_FIRE);
    T_EQ_INT(c.nfresh_rules, 2);
    T_EQ_INT(c.resend_delay_ms, 120000);
    T_EQ_INT(c.for_grace_period_ms, 300000);
    T_EQ_INT(c.for_outage_tolerance_ms, 7200000);
    T_EQ_INT(c.lookback_delta_ms, 600000);
    T_EQ_INT(c.query_timeout_ms, 60000);
    T_EQ_INT(c.max_samples, 1000);
    T_CHECK(!c.self_monitoring.watchdog);
    T_CHECK(!c.self_monitoring.notifier_failing);
    T_CHECK(c.self_monitoring.inputs_stale);
    T_EQ_INT(c.group_phase, 1);
    T_EQ_INT(c.evaluation_workers, 16);
    T_CHECK(!c.incremental_fetch);
    T_EQ_INT(c.refetch_overlap_ms, 90000);

    struct config_freshness p;
    config_freshness_for(&c, "api-east", "HighErrorRate", NULL, &p);
    T_EQ_INT(p.max_unchanged_ms, 900000);
    T_EQ_INT(p.max_age_ms, 600000);
    config_freshness_for(&c, "xapi", "HighErrorRate", NULL, &p); /* anchored: no match */
    T_EQ_INT(p.max_unchanged_ms, 0);
    config_freshness_for(&c, "g", NULL, "job:rate5m", &p);
    T_CHECK(p.max_age_auto);
    free(errs);
    config_release(&c);
}

static void test_defaults(void)
{
    struct config c;
    int rc;
    char *errs = parse(&c, "datasource: {url: http://127.0.0.1:9090}\n", &rc);
    T_EQ_INT(rc, 0);
    T_EQ_STR(errs, "");
    T_EQ_INT(c.evaluation_interval_ms, 60000);
    T_EQ_INT(c.query_offset_ms, 0);
    T_EQ_INT(c.resend_delay_ms, 60000);
    T_EQ_INT(c.for_grace_period_ms, 600000);
    T_EQ_INT(c.for_outage_tolerance_ms, 3600000);
    T_EQ_INT(c.lookback_delta_ms, 300000);
    T_EQ_INT(c.query_timeout_ms, 120000);
    T_EQ_INT(c.max_samples, 50000000);
    T_EQ_INT(c.evaluation_workers, 4);
    T_CHECK(c.incremental_fetch);
    T_EQ_INT(c.refetch_overlap_ms, 300000);
    T_EQ_INT(c.datasource.timeout_ms, 30000);
    T_EQ_STR(c.web.listen_address, "127.0.0.1:9096");
    T_CHECK(c.external_url == NULL);
    T_CHECK(c.state_dir == NULL);
    T_CHECK(!c.has_remote_write);
    T_EQ_INT(c.profile, CONFIG_PROFILE_DEFAULT);
    T_CHECK(c.freshness.max_age_auto);
    T_EQ_INT(c.freshness.on_stale, CONFIG_ON_STALE_HOLD);
    T_EQ_INT(c.freshness.on_missing, CONFIG_ON_MISSING_HOLD);
    T_CHECK(c.self_monitoring.watchdog && c.self_monitoring.inputs_stale && c.self_monitoring.datasource_failing &&
            c.self_monitoring.evaluation_lagging && c.self_monitoring.notifier_failing);
    free(errs);
    config_release(&c);
}

/* Bad files and the exact messages they must produce. */
static const struct {
    const char *name;
    const char *src;
    const char *want;
} bad[] = {
    {"unknown top-level key", "datasource: {url: http://a:1}\nevaluaton_interval: 1m\n",
     "/etc/heed/heed.yml:2:1: configuration: unknown field \"evaluaton_interval\"\n"},
    {"duplicate key", "datasource: {url: http://a:1}\nstate_dir: /a\nstate_dir: /b\n",
     "/etc/heed/heed.yml:3:1: configuration: field \"state_dir\" given twice\n"},
    {"bad duration", "datasource: {url: http://a:1}\nevaluation_interval: 1x\n",
     "/etc/heed/heed.yml:2:22: evaluation_interval: unknown unit \"x\" in duration \"1x\"\n"},
    {"zero interval", "datasource: {url: http://a:1}\nevaluation_interval: 0s\n",
     "/etc/heed/heed.yml:2:22: evaluation_interval: must be greater than 0\n"},
    {"no datasource", "state_dir: /x\n", "/etc/heed/heed.yml:1:1: datasource: required (its url at least)\n"},
    {"bad scheme", "datasource:\n  url: ftp://x\n",
     "/etc/heed/heed.yml:2:8: datasource: invalid URL \"ftp://x\": the scheme must be http or https\n"},
    {"credentials in URL", "datasource:\n  url: http://u:secret@x:9090\n",
     "/etc/heed/heed.yml:2:8: datasource: invalid URL: credentials in the URL are not allowed (use basic_auth)\n"},
    {"bad port", "datasource: {url: \"http://x:99999\"}\n",
     "/etc/heed/heed.yml:1:19: datasource: invalid URL \"http://x:99999\": bad port\n"},
    {"inline password", "datasource:\n  url: http://x\n  basic_auth: {username: u, password: hunter2}\n",
     "/etc/heed/heed.yml:3:39: datasource.basic_auth: secrets are given only as files: use password_file\n"},
    {"inline token", "datasource:\n  url: http://x\n  bearer_token: abc\n",
     "/etc/heed/heed.yml:3:17: datasource: secrets are given only as files: use bearer_token_file\n"},
    {"wrong type", "datasource: {url: http://x}\nrule_files: a.yml\n",
     "/etc/heed/heed.yml:2:13: rule_files: expected a sequence, got a scalar\n"},
    {"bool expected", "datasource: {url: http://x, tls: {insecure_skip_verify: yes}}\n",
     "/etc/heed/heed.yml:1:57: datasource.tls: expected true or false, got \"yes\"\n"},
    {"cert without key", "datasource: {url: http://x, tls: {cert_file: c}}\n",
     "/etc/heed/heed.yml:1:34: datasource.tls: cert_file and key_file must be given together\n"},
    {"alertmanager without url", "datasource: {url: http://x}\nalertmanagers:\n  - timeout: 5s\n",
     "/etc/heed/heed.yml:3:5: alertmanagers[0]: url is required\n"},
    {"bad on_stale",
     "datasource: {url: http://x}\nfreshness:\n  defaults: {on_stale: ignore}\n",
     "/etc/heed/heed.yml:3:24: freshness.defaults: on_stale must be hold, fire or resolve, not \"ignore\"\n"},
    {"bad regex", "datasource: {url: http://x}\nfreshness:\n  rules:\n    - {group: \"a(\"}\n",
     "/etc/heed/heed.yml:4:15: freshness.rules[0]: invalid regex \"a(\": missing closing parenthesis at offset 2\n"},
    {"bad listen address", "datasource: {url: http://x}\nweb: {listen_address: localhost}\n",
     "/etc/heed/heed.yml:2:23: web.listen_address: invalid address \"localhost\": expected host:port\n"},
    {"not bcrypt", "datasource: {url: http://x}\nweb:\n  basic_auth_users: {admin: plaintext}\n",
     "/etc/heed/heed.yml:3:29: web.basic_auth_users: the password of user \"admin\" is not a bcrypt hash\n"},
    {"bad label name", "datasource: {url: http://x}\nexternal_labels: {1x: a}\n",
     "/etc/heed/heed.yml:2:19: external_labels: invalid label name \"1x\"\n"},
    {"reserved header", "datasource: {url: http://x, headers: {Authorization: x}}\n",
     "/etc/heed/heed.yml:1:39: datasource.headers: header \"Authorization\" is set by heed and cannot be configured\n"},
    {"max_samples not int", "datasource: {url: http://x}\nmax_samples: lots\n",
     "/etc/heed/heed.yml:2:14: max_samples: expected an integer, got \"lots\"\n"},
    {"yaml syntax", "datasource: {url: http://x\nstate_dir: /a\n",
     "/etc/heed/heed.yml:1:10: yaml: line 1: did not find expected ',' or '}'\n"},
    {"several errors at once", "datasource: {url: http://x}\nresend_delay: soon\nweb: {listen: x}\n",
     "/etc/heed/heed.yml:3:7: web: unknown field \"listen\"\n"
     "/etc/heed/heed.yml:2:15: resend_delay: not a valid duration string: \"soon\"\n"},
    {"bad group_phase", "datasource: {url: http://x}\ngroup_phase: prometheus1\n",
     "/etc/heed/heed.yml:2:14: group_phase: must be prometheus3 or prometheus2, not \"prometheus1\"\n"},
    {"no workers", "datasource: {url: http://x}\nevaluation_workers: 0\n",
     "/etc/heed/heed.yml:2:21: evaluation_workers: must be greater than 0\n"},
    {"too many workers", "datasource: {url: http://x}\nevaluation_workers: 5000\n",
     "/etc/heed/heed.yml:2:21: evaluation_workers: must be between 1 and 1024, not 5000\n"},
    {"incremental_fetch not bool", "datasource: {url: http://x}\nincremental_fetch: yes please\n",
     "/etc/heed/heed.yml:2:20: incremental_fetch: expected true or false, got \"yes please\"\n"},
    {"bad refetch_overlap", "datasource: {url: http://x}\nrefetch_overlap: -1m\n",
     "/etc/heed/heed.yml:2:18: refetch_overlap: not a valid duration string: \"-1m\"\n"},
    {"top level is a list", "- a\n", "/etc/heed/heed.yml:1:1: configuration: expected a mapping, got a sequence\n"},
    {"relabel: unknown action", "datasource: {url: http://x}\nalert_relabel_configs:\n  - {action: explode}\n",
     "/etc/heed/heed.yml:3:5: alert_relabel_configs[0]: unknown relabel action \"explode\"\n"},
    {"relabel: hashmod without modulus",
     "datasource: {url: http://x}\nalert_relabel_configs:\n  - action: keep\n    regex: x\n  - action: hashmod\n    target_label: h\n",
     "/etc/heed/heed.yml:5:5: alert_relabel_configs[1]: relabel configuration for hashmod requires non-zero modulus\n"},
    {"relabel: bad regex", "datasource: {url: http://x}\nalert_relabel_configs:\n  - {action: drop, regex: 'a(?=b)'}\n",
     "/etc/heed/heed.yml:3:5: alert_relabel_configs[0]: error parsing regexp: invalid or unsupported Perl syntax: `a(?=b)`\n"},
    {"relabel: unknown field", "datasource: {url: http://x}\nalert_relabel_configs:\n  - {action: drop, regexp: x}\n",
     "/etc/heed/heed.yml:3:20: alert_relabel_configs[0]: unknown field \"regexp\"\n"},
};

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct config c;
        int rc;
        char *errs = parse(&c, bad[i].src, &rc);
        if (rc != -1 || strcmp(errs, bad[i].want) != 0)
            T_FAIL_("case \"%s\": rc %d\n    got:  %s    want: %s", bad[i].name, rc, errs, bad[i].want);
        free(errs);
        config_release(&c);
    }
}

static void test_alert_relabel(void)
{
    struct config c;
    int rc;
    char *errs = parse(&c,
                       "datasource: {url: http://x}\n"
                       "alert_relabel_configs:\n"
                       "  - {action: labeldrop, regex: replica}\n"
                       "  - source_labels: [alertname, job]\n"
                       "    separator: '/'\n"
                       "    target_label: key\n"
                       "    replacement: $1\n",
                       &rc);
    T_EQ_INT(rc, 0);
    T_EQ_STR(errs, "");
    T_EQ_INT(c.nalert_relabel, 2);
    if (c.nalert_relabel == 2) {
        T_EQ_STR(c.alert_relabel[0].action, "labeldrop");
        T_CHECK(!c.alert_relabel[0].has_source);
        T_EQ_INT(c.alert_relabel[1].nsource, 2);
        T_EQ_STR(c.alert_relabel[1].source_labels[1], "job");
        T_EQ_STR(c.alert_relabel[1].separator, "/");
        T_CHECK(c.alert_relabel[1].action == NULL); /* replace by default */
    }
    free(errs);
    config_release(&c);
}

static void test_secrets_never_printed(void)
{
    struct config c;
    int rc;
    char *errs = parse(&c,
                       "datasource:\n  url: http://user:s3cr3t@x\n  basic_auth: {username: u, password: s3cr3t}\n"
                       "web: {basic_auth_users: {a: s3cr3t}}\n",
                       &rc);
    T_EQ_INT(rc, -1);
    T_CHECK(strstr(errs, "s3cr3t") == NULL);
    free(errs);
    config_release(&c);
}

static void test_load_missing_file(void)
{
    struct diag_list dl;
    diag_list_init(&dl);
    struct config c;
    T_EQ_INT(config_load(&c, "/nonexistent/heed.yml", &dl), -1);
    T_EQ_INT(dl.len, 1);
    T_EQ_STR(dl.items[0].msg, "cannot read the configuration: No such file or directory");
    diag_list_release(&dl);
    config_release(&c);
}

int main(void)
{
    t_run("full configuration", test_full);
    t_run("defaults filled in", test_defaults);
    t_run("bad files: golden errors", test_bad);
    t_run("alert_relabel_configs", test_alert_relabel);
    t_run("secrets never printed", test_secrets_never_printed);
    t_run("missing file", test_load_missing_file);
    return t_done();
}
