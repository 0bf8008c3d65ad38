/* cmd_data: where `heed replay` and `heed report` read their data: a
 * recorded series file loaded into memory, or a Prometheus-compatible
 * query API (compat/datasource), behind one storage; and how their time
 * arguments read against it (a duration counts from the series' start, or
 * back from now against a datasource); and the rule files they read.
 * Ownership rule: a cmd_data owns its store or client; cmd_data_close
 * frees them. */
#ifndef HEED_CMD_CMD_DATA_H
#define HEED_CMD_CMD_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "eval/memstore.h"

struct datasource;
struct diag_list;
struct rulefile_set;

struct cmd_data {
    struct memstore ms;     /* the series file's samples */
    struct datasource *ds;  /* or the query API client; NULL */
    struct storage *st;     /* what to query */
    int64_t first_ms;       /* the series file's first sample, or now minus 1h */
    int64_t last_ms;        /* its last sample, or now */
};

/* Opens exactly one of series (a file whose "load" blocks start at
 * start_ms) and url (with an optional bearer token file). Returns 0, or 2
 * after printing why to stderr; cmd_data_close is due either way. */
int cmd_data_open(struct cmd_data *d, const char *series, int64_t start_ms, const char *url,
                  const char *token_file);
void cmd_data_close(struct cmd_data *d);

/* A time argument (NULL: dflt): RFC 3339, Unix seconds, or a duration from
 * the series' start (a file) or back from now (a datasource). 0 or -1. */
int cmd_data_time(const struct cmd_data *d, const char *s, int64_t dflt, int64_t *ms);

/* A duration argument (NULL: *ms unchanged), Prometheus's syntax. 0 or -1. */
int cmd_data_duration(const char *s, int64_t *ms);

/* --from and --to (NULL: the data's first and last sample) against the
 * data. 0 or -1 (a usage error is due). */
int cmd_data_range(const struct cmd_data *d, const char *from, const char *to, int64_t *from_ms, int64_t *to_ms);

/* Loads the rule files replay and report read; on errors prints each as
 * "file: message" to stderr and returns -1. */
int cmd_data_load_rules(struct rulefile_set *set, const char *const *files, size_t n, struct diag_list *dl);

/* --format: the index of text, json or svg, or -1. Both commands write
 * the three through a table of writers in this order. */
enum cmd_data_format { CMD_DATA_TEXT = 0, CMD_DATA_JSON, CMD_DATA_SVG };
int cmd_data_format(const char *s);

/* Prints each diagnostic as "file: message" to stderr. */
void cmd_data_print_diags(const struct diag_list *dl);

/* Drops a datasource's per-evaluation cache (ctx: the cmd_data). */
void cmd_data_end_eval(void *ctx);

#endif
