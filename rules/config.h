/* config: heed's configuration file (what `heed run --config FILE` reads),
 * decoded strictly from a rules/ynode tree: unknown keys, duplicate keys,
 * wrong types, bad durations, URLs, regexes and addresses are each one diag
 * naming file:line:col. Defaults are filled in after decoding, so every field
 * below holds the value heed runs with.
 * Secrets are never in the file, only the paths of files holding them (a
 * `password:` or `bearer_token:` key is an error that says so); nothing here
 * reads those files, so no secret ever reaches a message.
 * Ownership rule: a config owns an arena holding the source text and every
 * string and array below; config_release() frees all of it. */
#ifndef HEED_RULES_CONFIG_H
#define HEED_RULES_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

struct diag_list;

/* Defaults (Prometheus's where it has the same setting). */
#define CONFIG_DEFAULT_EVALUATION_INTERVAL_MS (60 * 1000)
#define CONFIG_DEFAULT_RESEND_DELAY_MS (60 * 1000)
#define CONFIG_DEFAULT_FOR_GRACE_PERIOD_MS (10 * 60 * 1000)
#define CONFIG_DEFAULT_FOR_OUTAGE_TOLERANCE_MS (60 * 60 * 1000)
#define CONFIG_DEFAULT_LOOKBACK_DELTA_MS (5 * 60 * 1000)
#define CONFIG_DEFAULT_QUERY_TIMEOUT_MS (2 * 60 * 1000)
#define CONFIG_DEFAULT_MAX_SAMPLES 50000000
#define CONFIG_DEFAULT_HTTP_TIMEOUT_MS (10 * 1000)
#define CONFIG_DEFAULT_DATASOURCE_TIMEOUT_MS (30 * 1000)
#define CONFIG_DEFAULT_LISTEN_ADDRESS "127.0.0.1:9096"
#define CONFIG_DEFAULT_REFETCH_OVERLAP_MS (5 * 60 * 1000)
#define CONFIG_DEFAULT_EVALUATION_WORKERS 4

struct config_tls {
    const char *ca_file;     /* CA bundle to verify the server; NULL: system CAs */
    const char *cert_file;   /* client certificate (needs key_file) */
    const char *key_file;    /* its key (needs cert_file) */
    const char *server_name; /* name to verify and send as SNI; NULL: the URL's host */
    bool insecure_skip_verify; /* accept any server certificate */
};

/* One HTTP endpoint heed talks to: the datasource, an Alertmanager, remote write. */
struct config_http {
    const char *url;                      /* http(s)://host[:port][/prefix] */
    const char *basic_auth_username;      /* NULL: no basic auth */
    const char *basic_auth_password_file; /* file holding the password */
    const char *bearer_token_file;        /* file holding a bearer token; NULL: none */
    struct config_tls tls;                /* TLS options */
    const char **headers;                 /* extra headers as "Name: value", sorted by name */
    size_t nheaders;
    int64_t timeout_ms;                   /* per request */
};

/* A label (external_labels) or a user (basic_auth_users): name and value. */
struct config_pair {
    const char *name;
    const char *value;
};

struct config_web {
    const char *listen_address;  /* host:port */
    bool has_tls;                /* tls given: serve HTTPS */
    const char *tls_cert_file;   /* server certificate */
    const char *tls_key_file;    /* its key */
    const char *tls_client_ca_file; /* verify client certificates against this CA; NULL: none */
    struct config_pair *users;   /* basic_auth_users: name -> bcrypt hash, sorted by name */
    size_t nusers;
};

enum config_profile {
    CONFIG_PROFILE_DEFAULT = 0, /* heed's freshness semantics */
    CONFIG_PROFILE_COMPAT,      /* exactly Prometheus's behaviour */
};

enum config_on_stale {
    CONFIG_ON_STALE_HOLD = 0, /* keep the alert's state while its inputs are stale */
    CONFIG_ON_STALE_FIRE,     /* fire (the staleness itself is the problem) */
    CONFIG_ON_STALE_RESOLVE,  /* resolve, as Prometheus would */
};

enum config_on_missing {
    CONFIG_ON_MISSING_HOLD = 0, /* keep state while inputs are missing */
    CONFIG_ON_MISSING_RESOLVE,  /* resolve, as Prometheus would */
};

/* A freshness policy; has_* says whether a key was given (a rule's policy
 * overrides only the keys it gives). */
struct config_freshness {
    bool has_max_age, max_age_auto;   /* max_age: auto, or: */
    int64_t max_age_ms;
    bool has_max_unchanged;
    int64_t max_unchanged_ms;         /* a value unchanged this long counts as stale; 0: off */
    bool has_on_stale;
    enum config_on_stale on_stale;
    bool has_on_missing;
    enum config_on_missing on_missing;
    bool has_max_hold;
    int64_t max_hold_ms;              /* how long hold may keep a state; 0: forever */
};

struct config_freshness_rule {
    const char *group;  /* regex (fully anchored) on the group name; NULL: any */
    const char *alert;  /* regex on the alert name; NULL: any (and not a recording rule if set) */
    const char *record; /* regex on the record name */
    struct config_freshness p; /* the keys it sets */
    void *group_re, *alert_re, *record_re; /* compiled (pcre2_code *), owned via the arena */
};

struct config_self_monitoring {
    bool watchdog;           /* an always-firing alert proving the pipeline works */
    bool inputs_stale;       /* alert when rule inputs are stale */
    bool datasource_failing; /* alert when the datasource fails */
    bool evaluation_lagging; /* alert when groups miss iterations */
    bool notifier_failing;   /* alert when Alertmanager deliveries fail */
};

struct config {
    const char *path;            /* as given */
    const char *dir;             /* the file's folder: rule_files are relative to it */
    struct config_http datasource;
    struct config_http *alertmanagers;
    size_t nalertmanagers;
    const char **rule_files;     /* patterns, already joined with dir when relative */
    size_t nrule_files;
    int64_t evaluation_interval_ms;
    int64_t query_offset_ms;
    struct config_pair *external_labels; /* sorted by name */
    size_t nexternal_labels;
    const char *external_url;    /* NULL: http://<hostname>:<port of listen_address> is up to the caller */
    const char *state_dir;       /* NULL: no persisted state */
    bool has_remote_write;
    struct config_http remote_write;
    struct config_web web;
    enum config_profile profile;
    struct config_freshness freshness;      /* defaults, all keys set */
    struct config_freshness freshness_given; /* the defaults as written (has_*: keys given) */
    bool shadow;                 /* freshness.shadow: evaluate both semantics, record disagreements */
    struct config_freshness_rule *fresh_rules;
    size_t nfresh_rules;
    int64_t resend_delay_ms;
    int64_t for_grace_period_ms;
    int64_t for_outage_tolerance_ms;
    int64_t lookback_delta_ms;
    int64_t query_timeout_ms;
    int64_t max_samples;
    struct config_self_monitoring self_monitoring;
    int group_phase;             /* enum schedule_hash_kind: whose group phases to match (prometheus3/prometheus2) */
    bool incremental_fetch;      /* reuse the previous tick's samples of a group (compat/datasource) */
    int64_t refetch_overlap_ms;  /* incremental_fetch: the newest part of a reused window asked again */
    int64_t evaluation_workers;  /* threads evaluating groups (at most one per group at a time) */
    const char *src;             /* the file's text */
    size_t srclen;
    struct arena arena;          /* owns everything above */
};

/* Decodes src (len bytes) as the configuration file at path. Returns 0, or
 * -1 with one diag per problem (file = path, span at the offending node).
 * cfg must be released either way. */
int config_parse(struct config *cfg, const char *path, const char *src, size_t len,
                 struct diag_list *diags);

/* Reads path and parses it; a read error is one DIAG_IO diag. */
int config_load(struct config *cfg, const char *path, struct diag_list *diags);

void config_release(struct config *cfg);

/* The freshness policy for a rule: the defaults, overlaid by every matching
 * freshness rule in order (later ones win for the keys they set). */
void config_freshness_for(const struct config *cfg, const char *group, const char *alert,
                          const char *record, struct config_freshness *out);

#endif
