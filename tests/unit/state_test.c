/* state_test: round trip of every alert field, atomic writes and loading a
 * folder, and files torn or corrupted at every byte (reported, never a crash). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "rules/state.h"
#include "tests/t.h"

/* A set with a firing, a pending and a resolved instance. */
static void fill(struct alert_set *s)
{
    struct arena a;
    arena_init(&a, 1024);
    struct labels_table t;
    labels_table_init(&t, &a, true);
    struct label l1[] = {{"alertname", "HighErrors"}, {"job", "api \"x\"\n"}};
    struct label l2[] = {{"alertname", "HighErrors"}, {"job", "db"}};
    struct label l3[] = {{"alertname", "HighErrors"}, {"job", "\x01\\weird"}};
    struct alert_annotation ann[] = {{"summary", "errors at 5%"}, {"description", "multi\nline\ttext"}};
    struct alert x = {.ls = labels_intern(&t, l1, 2), .ann = ann, .nann = 2, .state = ALERT_FIRING,
                      .value = 0.1 + 0.2, .active_at_ms = 1700000000000, .fired_at_ms = 1700000300000,
                      .last_sent_at_ms = 1700000360000, .valid_until_ms = 1700000600000,
                      .keep_firing_since_ms = 1700000400000};
    alert_set_restore(s, &x);
    struct alert y = {.ls = labels_intern(&t, l2, 2), .state = ALERT_PENDING, .value = NAN,
                      .active_at_ms = 1700000100000};
    alert_set_restore(s, &y);
    struct alert z = {.ls = labels_intern(&t, l3, 2), .state = ALERT_INACTIVE, .value = -INFINITY,
                      .active_at_ms = 1, .fired_at_ms = 2, .resolved_at_ms = 3, .last_sent_at_ms = 4,
                      .valid_until_ms = 5};
    alert_set_restore(s, &z);
    arena_release(&a);
}

static void encode(struct strbuf *file)
{
    struct alert_set s;
    alert_set_init(&s);
    fill(&s);
    struct strbuf body = STRBUF_INIT;
    state_encode_rule(&body, "HighErrors", "{severity=\"page\"}", 0, &s);
    struct alert_set empty;
    alert_set_init(&empty);
    state_encode_rule(&body, "HighErrors", "{severity=\"page\"}", 1, &empty);
    state_encode_file(file, "rules/a.yml;api", 1700000400000, body.buf, body.len);
    strbuf_release(&body);
    alert_set_release(&s);
    alert_set_release(&empty);
}

static void test_round_trip(void)
{
    struct strbuf file = STRBUF_INIT;
    encode(&file);
    struct state_group g;
    char err[256];
    T_EQ_INT(state_decode(file.buf, file.len, &g, err, sizeof err), 0);
    T_EQ_STR(g.key, "rules/a.yml;api");
    T_EQ_INT(g.saved_at_ms, 1700000400000);
    T_EQ_INT(g.n, 2);
    struct state_rule *r = state_group_find(&g, "HighErrors", "{severity=\"page\"}", 0);
    T_CHECK(r != NULL);
    T_CHECK(state_group_find(&g, "HighErrors", "{}", 0) == NULL);
    T_CHECK(state_group_find(&g, "HighErrors", "{severity=\"page\"}", 1) != NULL);
    if (r) {
        struct alert_set want;
        alert_set_init(&want);
        fill(&want);
        T_EQ_INT(r->alerts.n, 3);
        for (size_t i = 0; i < want.n; i++) {
            const struct alert *w = &want.items[i];
            const struct alert *a = alert_set_find(&r->alerts, w->ls);
            T_CHECK(a != NULL);
            if (!a)
                continue;
            T_EQ_INT(a->state, w->state);
            T_EQ_INT(a->active_at_ms, w->active_at_ms);
            T_EQ_INT(a->fired_at_ms, w->fired_at_ms);
            T_EQ_INT(a->resolved_at_ms, w->resolved_at_ms);
            T_EQ_INT(a->last_sent_at_ms, w->last_sent_at_ms);
            T_EQ_INT(a->valid_until_ms, w->valid_until_ms);
            T_EQ_INT(a->keep_firing_since_ms, w->keep_firing_since_ms);
            T_CHECK(a->value == w->value || (isnan(a->value) && isnan(w->value)));
            T_EQ_INT(a->nann, w->nann);
            for (size_t j = 0; j < a->nann && j < w->nann; j++) {
                T_EQ_STR(a->ann[j].name, w->ann[j].name);
                T_EQ_STR(a->ann[j].value, w->ann[j].value);
            }
        }
        alert_set_release(&want);
    }
    state_group_release(&g);
    strbuf_release(&file);
}

/* Every prefix of the file (a torn write), and every single-byte change,
 * is rejected with a reason; none crashes or leaks. */
static void test_torn_and_corrupt(void)
{
    struct strbuf file = STRBUF_INIT;
    encode(&file);
    char err[256];
    int accepted = 0;
    for (size_t cut = 0; cut < file.len; cut++) {
        char *copy = malloc(cut + 1);
        memcpy(copy, file.buf, cut);
        struct state_group g;
        if (state_decode(copy, cut, &g, err, sizeof err) == 0)
            accepted++;
        else if (!err[0])
            T_FAIL_("cut at %zu: rejected without a reason", cut);
        state_group_release(&g);
        free(copy);
    }
    T_EQ_INT(accepted, 0);
    for (size_t i = 0; i < file.len; i += 7) {
        char *copy = malloc(file.len);
        memcpy(copy, file.buf, file.len);
        copy[i] ^= 0x20;
        struct state_group g;
        if (state_decode(copy, file.len, &g, err, sizeof err) == 0)
            accepted++;
        state_group_release(&g);
        free(copy);
    }
    T_EQ_INT(accepted, 0);
    struct state_group g;
    T_EQ_INT(state_decode(file.buf, file.len - 3, &g, err, sizeof err), -1);
    T_EQ_STR(err, "truncated (no final newline)");
    state_group_release(&g);
    /* a body change under a recomputed checksum still has to parse */
    struct strbuf forged = STRBUF_INIT;
    state_encode_file(&forged, "k", 1, "alert firing 1 2\n", 17);
    T_EQ_INT(state_decode(forged.buf, forged.len, &g, err, sizeof err), -1);
    T_EQ_STR(err, "line 4: expected an integer");
    state_group_release(&g);
    strbuf_release(&forged);
    strbuf_release(&file);
}

static void test_files(void)
{
    char dir[] = "/tmp/heed-state-test.XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    struct strbuf file = STRBUF_INIT;
    encode(&file);
    char *good = state_path(dir, "rules/a.yml;api");
    char err[256];
    T_EQ_INT(state_write_atomic(good, file.buf, file.len, err, sizeof err), 0);
    /* a second group's file torn in the middle of a write */
    char *torn = state_path(dir, "rules/b.yml;db");
    T_EQ_INT(state_write_atomic(torn, file.buf, file.len / 2, err, sizeof err), 0);
    /* a leftover temp file from a crash before rename is not read */
    struct strbuf tmp = STRBUF_INIT;
    strbuf_addf(&tmp, "%s.tmp", good);
    FILE *f = fopen(tmp.buf, "w");
    fputs("garbage", f);
    fclose(f);

    struct state_group *gs;
    size_t n;
    struct diag_list dl;
    diag_list_init(&dl);
    state_load_dir(dir, &gs, &n, &dl);
    T_EQ_INT(n, 1);
    if (n == 1)
        T_EQ_STR(gs[0].key, "rules/a.yml;api");
    T_EQ_INT(dl.len, 1);
    if (dl.len == 1) {
        T_CHECK(strstr(dl.items[0].msg, torn) != NULL);
        T_CHECK(strstr(dl.items[0].msg, "truncated") != NULL || strstr(dl.items[0].msg, "checksum") != NULL);
    }
    state_groups_free(gs, n);
    diag_list_release(&dl);

    /* a missing folder is simply empty */
    diag_list_init(&dl);
    state_load_dir("/nonexistent/heed-state", &gs, &n, &dl);
    T_EQ_INT(n, 0);
    T_EQ_INT(dl.len, 0);
    diag_list_release(&dl);
    /* writing into a missing folder fails with a reason */
    T_EQ_INT(state_write_atomic("/nonexistent/x.state", "x", 1, err, sizeof err), -1);
    T_CHECK(strstr(err, "No such file") != NULL);

    unlink(good);
    unlink(torn);
    unlink(tmp.buf);
    rmdir(dir);
    free(good);
    free(torn);
    strbuf_release(&tmp);
    strbuf_release(&file);
}

/* Prometheus's restore cases with for 30m, grace 10m, tolerance 1h. */
static void test_restore_pending(void)
{
    const int64_t M = 60 * 1000, down = 1000 * M, FOR = 30 * M, GRACE = 10 * M, TOL = 60 * M;
    int64_t at;
    /* pending 5m when heed went down, back 20m later: 25m left, downtime not counted */
    at = down - 5 * M;
    T_CHECK(state_restore_pending(&at, FOR, GRACE, TOL, down, down + 20 * M));
    T_EQ_INT(at, down + 15 * M);
    /* pending 25m when down: 5m left < grace: fires 10m after the restart */
    at = down - 25 * M;
    T_CHECK(state_restore_pending(&at, FOR, GRACE, TOL, down, down + 2 * M));
    T_EQ_INT(at, down + 2 * M + GRACE - FOR);
    /* due already when down: unchanged (fires at the next evaluation) */
    at = down - 40 * M;
    T_CHECK(state_restore_pending(&at, FOR, GRACE, TOL, down, down + 2 * M));
    T_EQ_INT(at, down - 40 * M);
    /* down longer than the tolerance: dropped */
    at = down - 5 * M;
    T_CHECK(!state_restore_pending(&at, FOR, GRACE, TOL, down, down + 61 * M));
    /* for shorter than the grace period: unchanged whatever the outage */
    at = down - 1 * M;
    T_CHECK(state_restore_pending(&at, 5 * M, GRACE, TOL, down, down + 120 * M));
    T_EQ_INT(at, down - 1 * M);
}

int main(void)
{
    t_run("restore arithmetic of pending alerts", test_restore_pending);
    t_run("round trip of every field", test_round_trip);
    t_run("torn and corrupted files rejected", test_torn_and_corrupt);
    t_run("atomic files and loading a folder", test_files);
    return t_done();
}
