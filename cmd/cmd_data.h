/* cmd_data: where `heed replay` and `heed report` read their data: a
 * recorded series file loaded into memory, or a Prometheus-compatible
 * query API (compat/datasource), behind one storage; and how their time
 * arguments read against it (a duration counts from the series' start, or
 * back from now against a datasource).
 * Ownership rule: a cmd_data owns its store or client; cmd_data_close
 * frees them. */
#ifndef HEED_CMD_CMD_DATA_H
#define HEED_CMD_CMD_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "eval/memstore.h"

struct datasource;

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

/* Drops a datasource's per-evaluation cache (ctx: the cmd_data). */
void cmd_data_end_eval(void *ctx);

#endif
