/* lint: heed lint, finding stale-data risk in rule files before it bites.
 * Each check has a stable id, a severity and a message that says how to fix
 * (rules/lint_checks.def lists them; docs/lint.md explains each). Checks read
 * the loaded rule files (rules/rulefile.h) and their "# heed:" directives;
 * online, they also use what a backend says about each selector (cadence,
 * existence, ingestion lag) through the lint_backend interface, which
 * rules/lint_online.h implements over the Prometheus HTTP API.
 * Ownership rule: a lint_report owns its findings and their strings (one
 * arena); lint_report_release() frees them. The rule files are only read. */
#ifndef HEED_RULES_LINT_H
#define HEED_RULES_LINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

struct rulefile;
struct strbuf;

/* ORDER lint_severity: lowest first. */
enum lint_severity {
    LINT_INFO = 0, /* worth knowing; never fails a run */
    LINT_WARNING,  /* a risk; fails nothing by itself */
    LINT_ERROR,    /* wrong with certainty; heed lint exits 1 */
};
const char *lint_severity_name(enum lint_severity s); /* "info", "warning", "error" */

enum lint_check {
#define X(e, id, sev, summary) LINT_##e,
#include "rules/lint_checks.def"
#undef X
    LINT_CHECK_COUNT
};

struct lint_check_info {
    const char *id;              /* stable id, e.g. "rate-window-short" */
    enum lint_severity severity; /* fixed per check */
    const char *summary;         /* one line */
};
const struct lint_check_info *lint_check_info(enum lint_check c);
/* The check with this id (len bytes), or -1. */
int lint_check_lookup(const char *id, size_t len);

struct lint_finding {
    enum lint_check check; /* which check */
    const char *file;      /* the rule file's name as given (not owned) */
    uint32_t line, col;    /* 1-based; col counts bytes */
    uint32_t offset;       /* byte offset in the file (for ordering) */
    const char *message;   /* what is wrong and how to fix it (report arena) */
};

struct lint_report {
    struct lint_finding *items; /* owned array, sorted by file, position, check */
    size_t len, cap;
    struct arena arena; /* owns the messages */
};

void lint_report_init(struct lint_report *r);
void lint_report_release(struct lint_report *r);
/* Findings of severity error. */
size_t lint_report_errors(const struct lint_report *r);

/* What a backend says about one selector. */
struct lint_obs {
    bool answered;         /* the backend was asked and answered */
    size_t nseries;        /* series with samples in the window */
    int64_t cadence_ms;    /* the largest per-series median gap; 0: fewer than 2 samples */
    int64_t newest_age_ms; /* now minus the newest sample of any series (nseries > 0) */
};

/* The online side: fills obs[i] for selectors[i] (PromQL selector text,
 * without offset or @). Returns 0, or -1 with a message in err. */
struct lint_backend {
    int (*observe)(void *ctx, const char *const *selectors, size_t n, struct lint_obs *obs, char *err,
                   size_t errlen);
    void *ctx;         /* passed to observe */
    int64_t window_ms; /* how far back observe looks, for messages */
};

struct lint_opts {
    int64_t cadence_ms;       /* --cadence; 0: none given (1m assumed, and said) */
    int64_t eval_interval_ms; /* the global evaluation interval (0: 1m, Prometheus's default) */
    int64_t lookback_ms;      /* the lookback delta (0: 5m, Prometheus's default) */
    int64_t query_offset_ms;  /* the global query_offset for groups without one (Prometheus's default 0) */
    const struct lint_backend *backend; /* NULL: offline */
};

/* Lints the files as one rule set. Returns 0, or -1 (err filled) when the
 * backend failed; findings are in out either way. */
int lint_run(const struct rulefile *const *files, size_t nfiles, const struct lint_opts *opts,
             struct lint_report *out, char *err, size_t errlen);

enum lint_format {
    LINT_FORMAT_TEXT = 0, /* file:line:col: severity: check-id: message */
    LINT_FORMAT_JSON,     /* [{"file","line","column","severity","check","message"}] */
    LINT_FORMAT_GITHUB,   /* ::warning file=..,line=..,col=..,title=check-id::message */
};
/* Returns 0, or -1 for an unknown name. */
int lint_format_parse(const char *s, enum lint_format *f);
void lint_render(struct strbuf *out, const struct lint_report *r, enum lint_format f);

/* A duration in Prometheus's notation ("1h30m", "45s", "250ms", "0s"). */
void lint_format_duration(struct strbuf *out, int64_t ms);

#endif
