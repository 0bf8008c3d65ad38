/* promtool_check: `promtool check rules` (see promtool_check.h), after
 * cmd/promtool/main.go CheckRules, checkRules, checkRuleGroups, checkDuplicates.
 * Known differences from promtool 3.x, on purpose:
 *  - group-level errors (empty or repeated group name) carry the group's real
 *    line:col; 3.x's node pass never fills its embedded yaml.Node, so it
 *    appears to print 0:0 there;
 *  - the multi-document warning is logged only for a real second document;
 *    3.x also logs it after any YAML syntax error (its second Decode fails);
 *  - that log line has heed's timestamp and no source line number;
 *  - labels and annotations are checked in name order (Go iterates maps randomly). */
#include "compat/promtool_check.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "rules/rulefile.h"

static void put(const struct promtool_sink *sink, enum promtool_stream s, const struct strbuf *sb)
{
    if (sb->len)
        sink->write(sink->ctx, s, sb->buf, sb->len);
}

static void puts_(const struct promtool_sink *sink, enum promtool_stream s, const char *text)
{
    sink->write(sink->ctx, s, text, strlen(text));
}

/* One rule as the duplicate lint sees it: its name and merged label set. */
struct dup_entry {
    const char *metric;
    struct rule_kvs labels;
};

/* labels.Compare: label by label (name, then value); a prefix sorts first. */
static int labels_cmp(const struct rule_kvs *a, const struct rule_kvs *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    for (size_t i = 0; i < n; i++) {
        int c = strcmp(a->items[i].name, b->items[i].name);
        if (c)
            return c;
        c = strcmp(a->items[i].value, b->items[i].value);
        if (c)
            return c;
    }
    return a->len < b->len ? -1 : a->len > b->len;
}

static int dup_cmp(const void *pa, const void *pb)
{
    const struct dup_entry *a = pa, *b = pb;
    int c = strcmp(a->metric, b->metric);
    return c ? c : labels_cmp(&a->labels, &b->labels);
}

/* Appends promtool's lint text for duplicate rules to msg; returns how many
 * distinct duplicates there are. */
static size_t lint_duplicates(const struct rulefile *rf, struct strbuf *msg)
{
    size_t n = rulefile_count_rules(rf);
    if (n < 2)
        return 0;
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct dup_entry *e = xmalloc(n * sizeof *e);
    size_t k = 0;
    for (size_t g = 0; g < rf->ngroups; g++) {
        const struct rule_group *grp = &rf->groups[g];
        for (size_t r = 0; r < grp->nrules; r++) {
            const struct rule *rule = &grp->rules[r];
            e[k].metric = *rule->alert ? rule->alert : rule->record;
            e[k].labels = rulefile_merged_labels(grp, rule, &a);
            k++;
        }
    }
    qsort(e, n, sizeof *e, dup_cmp);
    /* each duplicated rule is listed once, however often it repeats */
    const struct dup_entry **dups = xmalloc(n * sizeof *dups);
    size_t nd = 0;
    for (size_t i = 1; i < n; i++)
        if (!dup_cmp(&e[i - 1], &e[i]) && (!nd || dup_cmp(&e[i - 1], dups[nd - 1])))
            dups[nd++] = &e[i];
    if (nd) {
        strbuf_addf(msg, "lint error %zu duplicate rule(s) found.\n", nd);
        for (size_t i = 0; i < nd; i++) {
            strbuf_addf(msg, "Metric: %s\nLabel(s):\n", dups[i]->metric);
            for (size_t l = 0; l < dups[i]->labels.len; l++)
                strbuf_addf(msg, "\t%s: %s\n", dups[i]->labels.items[l].name, dups[i]->labels.items[l].value);
        }
        strbuf_addstr(msg, "Might cause inconsistency while recording expressions\n");
    }
    free(dups);
    free(e);
    arena_release(&a);
    return nd;
}

/* The line Prometheus's logger writes for a multi-document file. */
static void warn_more_docs(const struct promtool_sink *sink)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb,
                "time=%s.%03ldZ level=WARN source=rulefmt.go msg=\"Multiple document yaml rules files are not "
                "supported, only the first document is processed\"\n",
                when, ts.tv_nsec / 1000000);
    put(sink, PROMTOOL_STDERR, &sb);
    strbuf_release(&sb);
}

/* Checks one parsed (or failed) file; sets *failed and *has_errors as
 * promtool's loop does. prefix_file: errors carry "<file>: " (not for stdin). */
static void check_one(const struct promtool_check_opts *o, struct rulefile *rf, int rc, struct diag_list *dl,
                      bool prefix_file, bool *failed, bool *has_errors, const struct promtool_sink *sink)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < dl->len; i++)
        if (dl->items[i].code == DIAG_WARNING)
            warn_more_docs(sink);
    if (rc < 0) {
        *failed = *has_errors = true;
        strbuf_addstr(&sb, "  FAILED:\n");
        for (size_t i = 0; i < dl->len; i++) {
            if (dl->items[i].code == DIAG_WARNING)
                continue;
            if (prefix_file)
                strbuf_addf(&sb, "%s: ", rf->path);
            strbuf_addf(&sb, "%s\n", dl->items[i].msg);
        }
        put(sink, PROMTOOL_STDERR, &sb);
        strbuf_release(&sb);
        return;
    }
    struct strbuf lint = STRBUF_INIT;
    if (o->lint_duplicate_rules && lint_duplicates(rf, &lint)) {
        *failed = true;
        strbuf_addstr(&sb, "  FAILED:\n");
        strbuf_add(&sb, lint.buf, lint.len);
        put(sink, PROMTOOL_STDERR, &sb);
    } else {
        strbuf_addf(&sb, "  SUCCESS: %zu rules found\n", rulefile_count_rules(rf));
        put(sink, PROMTOOL_STDOUT, &sb);
    }
    puts_(sink, PROMTOOL_STDOUT, "\n");
    strbuf_release(&lint);
    strbuf_release(&sb);
}

static int exit_code(const struct promtool_check_opts *o, bool failed, bool has_errors)
{
    if (failed && has_errors)
        return PROMTOOL_EXIT_FAILURE;
    if (failed && o->lint_fatal)
        return PROMTOOL_EXIT_LINT;
    return PROMTOOL_EXIT_OK;
}

int promtool_check_rules_files(const struct promtool_check_opts *o, const char *const *files, size_t nfiles,
                               const struct promtool_sink *sink)
{
    bool failed = false, has_errors = false;
    struct rulefile_opts ro = {.ignore_unknown_fields = o->ignore_unknown_fields, .names = RULEFILE_NAMES_UTF8,
                              .experimental = o->experimental_functions, .check_only = true};
    for (size_t i = 0; i < nfiles; i++) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "Checking %s\n", files[i]);
        put(sink, PROMTOOL_STDOUT, &sb);
        strbuf_release(&sb);
        struct diag_list dl;
        diag_list_init(&dl);
        dl.max = (size_t)-1;
        struct rulefile rf;
        int rc = rulefile_load(&rf, files[i], &ro, &dl);
        check_one(o, &rf, rc, &dl, true, &failed, &has_errors, sink);
        rulefile_release(&rf);
        diag_list_release(&dl);
    }
    return exit_code(o, failed, has_errors);
}

int promtool_check_rules_stdin(const struct promtool_check_opts *o, const char *data, size_t len,
                               const char *read_error, const struct promtool_sink *sink)
{
    bool failed = false, has_errors = false;
    puts_(sink, PROMTOOL_STDOUT, "Checking standard input\n");
    if (read_error) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "  FAILED: %s\n", read_error);
        put(sink, PROMTOOL_STDERR, &sb);
        strbuf_release(&sb);
        return PROMTOOL_EXIT_FAILURE;
    }
    struct rulefile_opts ro = {.ignore_unknown_fields = o->ignore_unknown_fields, .names = RULEFILE_NAMES_UTF8,
                              .experimental = o->experimental_functions, .check_only = true};
    struct diag_list dl;
    diag_list_init(&dl);
    dl.max = (size_t)-1;
    struct rulefile rf;
    int rc = rulefile_parse(&rf, "standard input", data, len, &ro, &dl);
    check_one(o, &rf, rc, &dl, false, &failed, &has_errors, sink);
    rulefile_release(&rf);
    diag_list_release(&dl);
    return exit_code(o, failed, has_errors);
}
