/* heed notify: send one alert to Alertmanager(s) through heed's notifier and
 * wait until it is delivered (a debugging aid, and the end-to-end tests' driver). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/xalloc.h"
#include "cmd/cmd.h"
#include "compat/alertmanager.h"

static const char usage[] =
    "heed notify --alertmanager URL [--alertmanager URL...] [--resolve] [--annotation NAME=VALUE]...\n"
    "       [--external-label NAME=VALUE]... [--generator-url URL] [--starts-at TIME] [--ends-at TIME]\n"
    "       [--timeout SECONDS] [--flush-timeout SECONDS] [--header 'NAME: VALUE']...\n"
    "       [--bearer-token-file FILE | --basic-auth-user USER --basic-auth-password-file FILE]\n"
    "       [--ca-file FILE] [--cert-file FILE --key-file FILE] [--server-name NAME] "
    "[--insecure-skip-verify]\n"
    "       [--log.level debug|info|warn|error] NAME=VALUE...\n"
    "  TIME is RFC 3339 (2025-01-01T00:00:00Z, fractions allowed) or Unix seconds.\n"
    "  A firing alert starts now and is valid for an hour; --resolve ends it now.\n"
    "  Connection options apply to every --alertmanager.";

/* Options that set one string field of every target. */
static const struct {
    const char *opt;
    size_t off; /* offset of a const char * in struct alertmanager_target */
} target_opts[] = {
    {"--bearer-token-file", offsetof(struct alertmanager_target, bearer_token_file)},
    {"--basic-auth-user", offsetof(struct alertmanager_target, basic_auth_user)},
    {"--basic-auth-password-file", offsetof(struct alertmanager_target, basic_auth_password_file)},
    {"--ca-file", offsetof(struct alertmanager_target, tls.ca_file)},
    {"--cert-file", offsetof(struct alertmanager_target, tls.cert_file)},
    {"--key-file", offsetof(struct alertmanager_target, tls.key_file)},
    {"--server-name", offsetof(struct alertmanager_target, tls.server_name)},
};

static int target_opt(const char *a)
{
    for (size_t i = 0; i < sizeof target_opts / sizeof target_opts[0]; i++)
        if (!strcmp(a, target_opts[i].opt))
            return (int)i;
    return -1;
}

/* Parses RFC 3339 in UTC or with an offset, or Unix seconds; ms since the epoch. */
static int parse_time(const char *s, int64_t *out)
{
    char *end;
    double secs = strtod(s, &end);
    if (*s && !*end) {
        *out = (int64_t)(secs * 1000.0 + (secs < 0 ? -0.5 : 0.5));
        return 0;
    }
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    int64_t ms = (int64_t)timegm(&tm) * 1000;
    if (*p == '.') {
        int scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            ms += (*p - '0') * scale;
    }
    if (*p == 'Z' && !p[1]) {
        *out = ms;
        return 0;
    }
    int hh, mm;
    char sign;
    if (sscanf(p, "%c%2d:%2d", &sign, &hh, &mm) == 3 && (sign == '+' || sign == '-') && strlen(p) == 6) {
        int64_t off = ((int64_t)hh * 60 + mm) * 60000;
        *out = sign == '+' ? ms - off : ms + off;
        return 0;
    }
    return -1;
}

/* Splits "name=value" into a pair pointing into s (modified). */
static int split_pair(char *s, struct alertmanager_pair *p)
{
    char *eq = strchr(s, '=');
    if (!eq || eq == s)
        return -1;
    *eq = 0;
    p->name = s;
    p->value = eq + 1;
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmd_notify(int argc, char **argv)
{
    int n = argc;
    struct alertmanager_target *targets = xcalloc((size_t)n, sizeof *targets);
    struct alertmanager_pair *labels = xcalloc((size_t)n, sizeof *labels);
    struct alertmanager_pair *annotations = xcalloc((size_t)n, sizeof *annotations);
    struct alertmanager_pair *external = xcalloc((size_t)n, sizeof *external);
    size_t ntargets = 0, nlabels = 0, nann = 0, next = 0;
    const char *generator_url = NULL;
    const char **headers = xcalloc((size_t)n, sizeof *headers);
    size_t nheaders = 0;
    struct alertmanager_target proto = {0}; /* connection settings every target gets */
    int resolve = 0, rc = 2;
    int64_t starts_at = 0, ends_at = 0, timeout_ms = 10000, flush_ms = 30000;
    int have_starts = 0, have_ends = 0;
    struct alertmanager *am = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = !strcmp(a, "--alertmanager") || !strcmp(a, "--annotation") ||
                    !strcmp(a, "--external-label") || !strcmp(a, "--generator-url") ||
                    !strcmp(a, "--starts-at") || !strcmp(a, "--ends-at") || !strcmp(a, "--timeout") ||
                    !strcmp(a, "--flush-timeout") || !strcmp(a, "--log.level") || !strcmp(a, "--header") ||
                    target_opt(a) >= 0;
        if (takes && !val) {
            cmd_usage_error(usage, "%s needs a value", a);
            goto out;
        }
        if (!strcmp(a, "--alertmanager")) {
            targets[ntargets++].url = val;
        } else if (!strcmp(a, "--annotation") || !strcmp(a, "--external-label")) {
            struct alertmanager_pair *p = a[2] == 'a' ? &annotations[nann++] : &external[next++];
            if (split_pair(argv[i + 1], p) < 0) {
                cmd_usage_error(usage, "%s wants NAME=VALUE, got '%s'", a, val);
                goto out;
            }
        } else if (!strcmp(a, "--generator-url")) {
            generator_url = val;
        } else if (target_opt(a) >= 0) {
            *(const char **)((char *)&proto + target_opts[target_opt(a)].off) = val;
        } else if (!strcmp(a, "--header")) {
            headers[nheaders++] = val;
        } else if (!strcmp(a, "--insecure-skip-verify")) {
            proto.tls.insecure_skip_verify = 1;
            continue;
        } else if (!strcmp(a, "--starts-at") || !strcmp(a, "--ends-at")) {
            int64_t *dst = a[2] == 's' ? &starts_at : &ends_at;
            if (parse_time(val, dst) < 0) {
                cmd_usage_error(usage, "%s: cannot parse time '%s'", a, val);
                goto out;
            }
            *(a[2] == 's' ? &have_starts : &have_ends) = 1;
        } else if (!strcmp(a, "--timeout") || !strcmp(a, "--flush-timeout")) {
            char *end;
            double secs = strtod(val, &end);
            if (*end || secs <= 0) {
                cmd_usage_error(usage, "%s wants a positive number of seconds, got '%s'", a, val);
                goto out;
            }
            *(a[2] == 't' ? &timeout_ms : &flush_ms) = (int64_t)(secs * 1000);
        } else if (!strcmp(a, "--log.level")) {
            enum log_level l;
            if (log_level_parse(val, &l) < 0) {
                cmd_usage_error(usage, "unknown log level '%s'", val);
                goto out;
            }
            log_set_level(l);
        } else if (!strcmp(a, "--resolve")) {
            resolve = 1;
            continue;
        } else if (a[0] == '-') {
            cmd_usage_error(usage, "unknown option '%s'", a);
            goto out;
        } else {
            if (split_pair(argv[i], &labels[nlabels++]) < 0) {
                cmd_usage_error(usage, "labels are NAME=VALUE, got '%s'", a);
                goto out;
            }
            continue;
        }
        i++; /* the option's value */
    }
    if (ntargets == 0) {
        cmd_usage_error(usage, "at least one --alertmanager URL is needed");
        goto out;
    }
    size_t nonempty = 0;
    for (size_t i = 0; i < nlabels; i++)
        nonempty += labels[i].value[0] != 0;
    for (size_t i = 0; i < next; i++)
        nonempty += external[i].value[0] != 0;
    if (nonempty == 0) {
        cmd_usage_error(usage, "an alert needs at least one label with a non-empty value");
        goto out;
    }
    proto.timeout_ms = timeout_ms;
    proto.headers = headers;
    proto.nheaders = nheaders;
    for (size_t i = 0; i < ntargets; i++) {
        const char *url = targets[i].url;
        targets[i] = proto;
        targets[i].url = url;
    }

    int64_t now = now_ms();
    if (!have_ends)
        ends_at = resolve ? now : now + 3600 * 1000;
    if (!have_starts)
        starts_at = ends_at < now ? ends_at : now;

    struct alertmanager_config cfg = {
        .targets = targets,
        .ntargets = ntargets,
        .external_labels = external,
        .nexternal_labels = next,
        .user_agent = "heed/" HEED_VERSION,
    };
    char err[256];
    am = alertmanager_new(&cfg, err, sizeof err);
    if (!am) {
        cmd_usage_error(NULL, "%s", err);
        goto out;
    }
    struct alertmanager_alert alert = {
        .labels = labels,
        .nlabels = nlabels,
        .annotations = annotations,
        .nannotations = nann,
        .starts_at_ms = starts_at,
        .ends_at_ms = ends_at,
        .generator_url = generator_url,
    };
    alertmanager_send(am, &alert, 1); /* the label check above makes it valid */
    int flushed = alertmanager_flush(am, flush_ms);
    int dropped = 0;
    for (size_t i = 0; i < alertmanager_ntargets(am); i++) {
        struct alertmanager_stats st;
        alertmanager_stats(am, i, &st);
        dropped |= st.dropped > 0;
        printf("alertmanager=%s sent=%llu errors=%llu dropped=%llu queue_length=%zu%s%s\n", st.url,
               (unsigned long long)st.sent, (unsigned long long)st.errors, (unsigned long long)st.dropped,
               st.queue_length + st.in_flight, st.last_error[0] ? " last_error=" : "", st.last_error);
    }
    if (flushed < 0)
        fprintf(stderr, "heed: not every Alertmanager took the alert within %.3gs\n",
                (double)flush_ms / 1000);
    else if (dropped)
        fprintf(stderr, "heed: an Alertmanager rejected the alert\n");
    rc = flushed < 0 || dropped ? 1 : 0;
out:
    alertmanager_free(am);
    free(targets);
    free(headers);
    free(labels);
    free(annotations);
    free(external);
    return rc;
}
