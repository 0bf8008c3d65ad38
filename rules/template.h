/* template: a Go text/template-compatible engine with Prometheus's template
 * data and functions, for alert labels and annotations.
 *
 * Parse once (tmpl_parse / tmpl_alert_parse), execute many times. Errors are
 * the strings Go and Prometheus produce ("template: NAME:LINE: msg" at parse
 * time, "template: NAME:LINE:COL: executing ..." at run time).
 *
 * Ownership rule: a struct tmpl owns all its parse data (one arena) and is
 * freed with tmpl_free(); execution allocates from an arena of its own that
 * is released before tmpl_execute() returns, so nothing from an execution
 * outlives it except the text appended to the caller's strbuf. A parsed
 * template is read-only during execution: several threads may execute it.
 *
 * Known differences from Go/Prometheus: complex-number literals parse but
 * fail when evaluated; native-histogram sample values are not represented
 * ($value is a float); regular expressions run on PCRE2 after RE2 syntax
 * checks and a rewrite of \s and \v (error texts for exotic syntax errors
 * are approximations, and invalid UTF-8 in subjects never matches `.`);
 * `title` approximates x/text word boundaries; pointers
 * nested inside printed lists print as stable fake addresses; templates
 * nest at most 1000 levels (Go: 100000 template calls, 10000 parentheses). */
#ifndef HEED_RULES_TEMPLATE_H
#define HEED_RULES_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct strbuf;
struct tmpl;
struct tmpl_type;

/* One label pair (NUL-terminated strings, not copied: they must outlive
 * the call that receives them). */
struct tmpl_label {
    const char *name;
    const char *value;
};

/* One sample returned by the query callback. */
struct tmpl_sample {
    const struct tmpl_label *labels; /* in any order */
    size_t nlabels;
    double value;
};

/* The `query` function's back end: run PromQL text `query` as an instant
 * query at ts_ms, with the semantics of the rule manager's query function
 * (a scalar result becomes one sample with no labels; a string result is
 * the error "rule result is not a vector or scalar"). On success set *out
 * and *n and return 0; the samples, their labels and label strings must stay
 * valid until the execution ends (allocate them from `a`, which lives that
 * long). On failure set *err (from `a`) to the message and return -1. */
typedef int (*tmpl_query_fn)(void *ctx, const char *query, int64_t ts_ms, struct arena *a,
                             struct tmpl_sample **out, size_t *n, const char **err);

/* Everything a template may read besides its data: what Prometheus passes to
 * NewTemplateExpander. */
struct tmpl_env {
    int64_t ts_ms;            /* evaluation time: `now` and `query` use it */
    const char *external_url; /* --web.external-url, or NULL ("") */
    tmpl_query_fn query;      /* NULL: `query` fails with an error */
    void *query_ctx;          /* passed to query */
};

/* The data of an alert template (Prometheus's AlertTemplateData). */
struct tmpl_alert_data {
    const struct tmpl_label *labels; /* the result sample's labels */
    size_t nlabels;
    const struct tmpl_label *external_labels;
    size_t nexternal_labels;
    const char *external_url; /* $externalURL: the configured string */
    double value;             /* $value */
};

/* Dynamic values, shaped after the Go values Prometheus hands to templates.
 * A value with type == NULL is Go's invalid (zero) reflect.Value. */
enum tmpl_kind {
    TMPL_INVALID,
    TMPL_NIL,      /* a nil interface{} */
    TMPL_BOOL,
    TMPL_INT,      /* int and int64 */
    TMPL_UINT,     /* uint64 */
    TMPL_FLOAT,    /* float64 */
    TMPL_STRING,   /* string and template.HTML */
    TMPL_MAP,      /* string-keyed map, keys kept sorted */
    TMPL_LIST,     /* slice */
    TMPL_STRUCT,   /* struct or pointer to struct */
    TMPL_TIME,     /* time.Time or *time.Time: UTC nanoseconds */
    TMPL_DURATION, /* time.Duration or *time.Duration: nanoseconds */
};

struct tmpl_value;

struct tmpl_map {
    size_t n;
    const char **keys;         /* sorted ascending (bytewise) */
    struct tmpl_value *values; /* values[i] belongs to keys[i] */
};

struct tmpl_list {
    size_t n;
    struct tmpl_value *items;
};

struct tmpl_value {
    const struct tmpl_type *type; /* NULL: invalid (no value) */
    union {
        int b;
        int64_t i;     /* TMPL_INT; also ns for TMPL_TIME and TMPL_DURATION */
        uint64_t u;
        double f;
        struct {
            const char *p;
            size_t len;
        } s;
        struct tmpl_map *map;     /* TMPL_MAP; NULL is a nil map */
        struct tmpl_list *list;   /* TMPL_LIST; NULL is a nil slice */
        struct tmpl_value *fields; /* TMPL_STRUCT: in the type's field order; NULL is a nil pointer */
    } u;
};

/* Go types known to the engine (for building data in tests and callers). */
extern const struct tmpl_type tmpl_type_bool, tmpl_type_int, tmpl_type_int64, tmpl_type_uint64,
    tmpl_type_float64, tmpl_type_string, tmpl_type_map_string_string, tmpl_type_list_any,
    tmpl_type_list_float64, tmpl_type_list_string, tmpl_type_list_int64, tmpl_type_list_uint64;

enum tmpl_kind tmpl_value_kind(const struct tmpl_value *v);
struct tmpl_value tmpl_value_float(double f);
struct tmpl_value tmpl_value_int(int64_t i);
struct tmpl_value tmpl_value_string(const char *s); /* not copied */
/* A map[string]string from label pairs, allocated in a. */
struct tmpl_value tmpl_value_labels(struct arena *a, const struct tmpl_label *l, size_t n);
/* A slice of the given list type holding n values (copied into a). */
struct tmpl_value tmpl_value_list(struct arena *a, const struct tmpl_type *list_type,
                                  const struct tmpl_value *items, size_t n);
/* The data Prometheus gives an alert template, allocated in a. */
struct tmpl_value tmpl_value_alert_data(struct arena *a, const struct tmpl_alert_data *d);

/* Parses text as template `name` (missingkey=zero, Prometheus's function
 * set). Never returns NULL; check tmpl_error(). */
struct tmpl *tmpl_parse(const char *name, const char *text, size_t len);
/* NULL if the template parsed, else Go's message ("template: NAME:LINE: ..."). */
const char *tmpl_error(const struct tmpl *t);
const char *tmpl_name(const struct tmpl *t);
void tmpl_free(struct tmpl *t);

/* Executes t with dot = data. Appends the output to out and returns 0, or
 * returns -1 with *err set to a malloc'd message (the caller frees it); the
 * partial output stays appended, as in Go. */
int tmpl_execute(const struct tmpl *t, const struct tmpl_value *data, const struct tmpl_env *env,
                 struct strbuf *out, char **err);

/* Alert templates: name "__alert_<alertname>", the four variable
 * definitions Prometheus prepends ($labels, $externalLabels, $externalURL,
 * $value), then text. */
struct tmpl *tmpl_alert_parse(const char *alertname, const char *text);

/* Appends what Prometheus's expand() yields: the expansion, or
 * "<error expanding template: ...>". Returns 0 on success, -1 when the
 * error text was produced (Prometheus counts and logs those). */
int tmpl_alert_expand(const struct tmpl *t, const struct tmpl_alert_data *d,
                      const struct tmpl_env *env, struct strbuf *out);

/* Rule-loader validation of one label or annotation text of alert
 * `alertname` (Prometheus's testTemplateParsing): NULL if it parses, else a
 * malloc'd Go parse error the caller frees. */
char *tmpl_alert_check(const char *alertname, const char *text);

#endif
