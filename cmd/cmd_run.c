/* heed run: the daemon. Parses arguments, sets up logging and signals, and
 * drives rules/daemon: SIGHUP reloads, SIGTERM/SIGINT stop gracefully. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/log.h"
#include "cmd/cmd.h"
#include "rules/daemon.h"
#include "rules/schedule.h"

static const char usage[] = "heed run --config FILE [--shard i/n] [--log.level debug|info|warn|error]";

/* Each problem as one log line (the daemon renders them "file:line:col: message"). */
static void log_diags(const char *msg, const struct diag_list *dl)
{
    for (size_t i = 0; i < dl->len; i++) {
        const struct diag *d = &dl->items[i];
        if (d->code == DIAG_WARNING)
            LOG_WARN(msg, "err", d->msg);
        else
            LOG_ERROR(msg, "err", d->msg);
    }
}

static const char *arg_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (!strcmp(argv[*i], name) && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int cmd_run(int argc, char **argv)
{
    struct daemon_opts opts = {.version = HEED_VERSION};
    const char *shard = NULL, *level = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = arg_value(argc, argv, &i, "--config")))
            opts.config_path = v;
        else if ((v = arg_value(argc, argv, &i, "--shard")))
            shard = v;
        else if ((v = arg_value(argc, argv, &i, "--log.level")))
            level = v;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: %s\n", usage);
            return 0;
        } else
            return cmd_usage_error(usage, "unknown or incomplete argument '%s'", argv[i]);
    }
    if (!opts.config_path)
        return cmd_usage_error(usage, "--config is required");
    if (shard && schedule_shard_parse(shard, &opts.shard_index, &opts.shard_count) < 0)
        return cmd_usage_error(usage, "--shard takes i/n with 0 <= i < n, not '%s'", shard);
    enum log_level lv = LOG_LEVEL_INFO;
    if (level && log_level_parse(level, &lv) < 0)
        return cmd_usage_error(usage, "--log.level takes debug, info, warn or error, not '%s'", level);
    log_set_level(lv);

    /* Signals are taken synchronously by this thread only; every thread the
     * daemon starts inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    LOG_INFO("Starting heed", "version", HEED_VERSION);
    if (opts.shard_count > 1)
        LOG_INFO("Evaluating one shard of the rule groups", "shard", shard);
    struct diag_list dl;
    diag_list_init(&dl);
    struct daemon *d = daemon_new(&opts, &dl);
    log_diags(d ? "Loading rules" : "Error loading config", &dl);
    diag_list_release(&dl);
    if (!d)
        return 2;
    daemon_start(d);
    LOG_INFO("Server is ready to receive web requests.");
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            LOG_INFO("Reloading configuration file...", "filename", opts.config_path);
            diag_list_init(&dl);
            if (daemon_reload(d, &dl) < 0) {
                log_diags("Error reloading config", &dl);
                LOG_ERROR("Error reloading config: previous configuration and rules kept",
                          "filename", opts.config_path);
            } else {
                log_diags("Loading rules", &dl);
            }
            diag_list_release(&dl);
            continue;
        }
        LOG_WARN(sig == SIGTERM ? "Received SIGTERM, exiting gracefully..." : "Received SIGINT, exiting gracefully...");
        break;
    }
    daemon_stop(d);
    daemon_free(d);
    LOG_INFO("See you next time!");
    return 0;
}
