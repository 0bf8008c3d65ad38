/* state: persisted alert state (see state.h for the format). */
#include "rules/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/diag.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

static void put_quoted(struct strbuf *out, const char *s)
{
    strbuf_addch(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': strbuf_addstr(out, "\\\""); break;
        case '\\': strbuf_addstr(out, "\\\\"); break;
        case '\n': strbuf_addstr(out, "\\n"); break;
        case '\r': strbuf_addstr(out, "\\r"); break;
        case '\t': strbuf_addstr(out, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                strbuf_addf(out, "\\x%02x", *p);
            else
                strbuf_addch(out, (char)*p);
        }
    }
    strbuf_addch(out, '"');
}

void state_encode_rule(struct strbuf *body, const char *name, const char *labels, unsigned ordinal,
                       const struct alert_set *s)
{
    strbuf_addstr(body, "rule ");
    put_quoted(body, name);
    strbuf_addch(body, ' ');
    put_quoted(body, labels);
    strbuf_addf(body, " %u\n", ordinal);
    for (size_t i = 0; i < s->n; i++) {
        const struct alert *a = &s->items[i];
        strbuf_addf(body, "alert %s %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %.17g\n",
                    alert_state_name(a->state), a->active_at_ms, a->fired_at_ms, a->resolved_at_ms,
                    a->last_sent_at_ms, a->valid_until_ms, a->keep_firing_since_ms, a->value);
        for (size_t j = 0; j < a->ls->n; j++) {
            strbuf_addstr(body, "label ");
            put_quoted(body, a->ls->l[j].name);
            strbuf_addch(body, ' ');
            put_quoted(body, a->ls->l[j].value);
            strbuf_addch(body, '\n');
        }
        for (size_t j = 0; j < a->nann; j++) {
            strbuf_addstr(body, "annotation ");
            put_quoted(body, a->ann[j].name);
            strbuf_addch(body, ' ');
            put_quoted(body, a->ann[j].value);
            strbuf_addch(body, '\n');
        }
    }
}

void state_encode_file(struct strbuf *out, const char *group_key, int64_t saved_at_ms, const char *body,
                       size_t bodylen)
{
    size_t start = out->len;
    strbuf_addf(out, "heed-state %d\ngroup ", STATE_VERSION);
    put_quoted(out, group_key);
    strbuf_addf(out, "\nsaved_at %" PRId64 "\n", saved_at_ms);
    strbuf_add(out, body, bodylen);
    uint64_t sum = XXH64(out->buf + start, out->len - start, 0);
    strbuf_addf(out, "checksum %016" PRIx64 "\n", sum);
}

/* ---- decoding ---- */

struct rd {
    const char *p, *end; /* the current line: [p, end) */
    char *err;
    size_t errlen;
    int line;
};

static int rfail(struct rd *r, const char *what)
{
    snprintf(r->err, r->errlen, "line %d: %s", r->line, what);
    return -1;
}

static void skip_spaces(struct rd *r)
{
    while (r->p < r->end && *r->p == ' ')
        r->p++;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A quoted string; malloc'd into *out. */
static int get_quoted(struct rd *r, char **out)
{
    skip_spaces(r);
    if (r->p >= r->end || *r->p != '"')
        return rfail(r, "expected a quoted string");
    r->p++;
    struct strbuf sb = STRBUF_INIT;
    while (r->p < r->end && *r->p != '"') {
        char c = *r->p++;
        if (c == '\\') {
            if (r->p >= r->end)
                break;
            char e = *r->p++;
            if (e == 'n')
                c = '\n';
            else if (e == 'r')
                c = '\r';
            else if (e == 't')
                c = '\t';
            else if (e == '"' || e == '\\')
                c = e;
            else if (e == 'x' && r->end - r->p >= 2 && hexval(r->p[0]) >= 0 && hexval(r->p[1]) >= 0) {
                c = (char)(hexval(r->p[0]) * 16 + hexval(r->p[1]));
                r->p += 2;
            } else {
                strbuf_release(&sb);
                return rfail(r, "bad escape in a string");
            }
            if (c == '\0') {
                strbuf_release(&sb);
                return rfail(r, "NUL in a string");
            }
        }
        strbuf_addch(&sb, c);
    }
    if (r->p >= r->end) {
        strbuf_release(&sb);
        return rfail(r, "unterminated string");
    }
    r->p++;
    *out = strbuf_detach(&sb);
    return 0;
}

static int get_i64(struct rd *r, int64_t *out)
{
    skip_spaces(r);
    char buf[32];
    size_t n = 0;
    while (r->p < r->end && *r->p != ' ' && n < sizeof buf - 1)
        buf[n++] = *r->p++;
    buf[n] = 0;
    char *e;
    errno = 0;
    long long v = strtoll(buf, &e, 10);
    if (!n || *e || errno)
        return rfail(r, "expected an integer");
    *out = v;
    return 0;
}

static int get_word(struct rd *r, char *buf, size_t size)
{
    skip_spaces(r);
    size_t n = 0;
    while (r->p < r->end && *r->p != ' ' && n < size - 1)
        buf[n++] = *r->p++;
    buf[n] = 0;
    return n ? 0 : rfail(r, "missing field");
}

static int line_end(struct rd *r)
{
    skip_spaces(r);
    return r->p == r->end ? 0 : rfail(r, "unexpected text at the end of the line");
}

/* The alert being read: labels and annotations gathered until the next
 * alert or rule line, then inserted. */
struct pending_alert {
    bool open;
    struct alert a;
    struct label *labels;
    size_t nlabels, caplabels;
    struct alert_annotation *ann;
    size_t nann, capann;
};

static void pending_clear(struct pending_alert *pa)
{
    for (size_t i = 0; i < pa->nlabels; i++) {
        free((char *)pa->labels[i].name);
        free((char *)pa->labels[i].value);
    }
    for (size_t i = 0; i < pa->nann; i++) {
        free(pa->ann[i].name);
        free(pa->ann[i].value);
    }
    pa->nlabels = pa->nann = 0;
    pa->open = false;
}

static int pending_flush(struct rd *r, struct pending_alert *pa, struct state_rule *rule)
{
    if (!pa->open)
        return 0;
    if (!rule) {
        pending_clear(pa);
        return rfail(r, "alert outside a rule");
    }
    if (pa->nlabels == 0) {
        pending_clear(pa);
        return rfail(r, "alert without labels");
    }
    struct arena a;
    arena_init(&a, 1024);
    struct labels_table t;
    labels_table_init(&t, &a, false);
    pa->a.ls = labels_intern(&t, pa->labels, pa->nlabels);
    pa->a.ann = pa->ann;
    pa->a.nann = pa->nann;
    alert_set_restore(&rule->alerts, &pa->a);
    arena_release(&a);
    pending_clear(pa);
    return 0;
}

static int decode_line(struct rd *r, struct state_group *g, struct pending_alert *pa)
{
    char word[32];
    if (get_word(r, word, sizeof word) < 0)
        return -1;
    struct state_rule *rule = g->n ? g->rules[g->n - 1] : NULL;
    if (!strcmp(word, "rule")) {
        if (pending_flush(r, pa, rule) < 0)
            return -1;
        char *name = NULL, *labels = NULL;
        int64_t ord = 0;
        if (get_quoted(r, &name) < 0 || get_quoted(r, &labels) < 0 || get_i64(r, &ord) < 0 || line_end(r) < 0 ||
            ord < 0) {
            free(name);
            free(labels);
            return r->err[0] ? -1 : rfail(r, "bad rule line");
        }
        /* each rule on its own: an alert_set must never move (its table points at its arena) */
        g->rules = xrealloc(g->rules, (g->n + 1) * sizeof *g->rules);
        rule = g->rules[g->n++] = xcalloc(1, sizeof *rule);
        rule->name = name;
        rule->labels = labels;
        rule->ordinal = (unsigned)ord;
        alert_set_init(&rule->alerts);
        return 0;
    }
    if (!strcmp(word, "alert")) {
        if (pending_flush(r, pa, rule) < 0)
            return -1;
        char st[16];
        int64_t t[6];
        if (get_word(r, st, sizeof st) < 0)
            return -1;
        for (int i = 0; i < 6; i++)
            if (get_i64(r, &t[i]) < 0)
                return -1;
        char vbuf[64];
        if (get_word(r, vbuf, sizeof vbuf) < 0 || line_end(r) < 0)
            return -1;
        char *e;
        double v = strtod(vbuf, &e);
        if (*e)
            return rfail(r, "bad value");
        memset(&pa->a, 0, sizeof pa->a);
        if (!strcmp(st, "inactive"))
            pa->a.state = ALERT_INACTIVE;
        else if (!strcmp(st, "pending"))
            pa->a.state = ALERT_PENDING;
        else if (!strcmp(st, "firing"))
            pa->a.state = ALERT_FIRING;
        else
            return rfail(r, "unknown alert state");
        pa->a.active_at_ms = t[0];
        pa->a.fired_at_ms = t[1];
        pa->a.resolved_at_ms = t[2];
        pa->a.last_sent_at_ms = t[3];
        pa->a.valid_until_ms = t[4];
        pa->a.keep_firing_since_ms = t[5];
        pa->a.value = v;
        pa->open = true;
        return 0;
    }
    bool is_label = !strcmp(word, "label");
    if (is_label || !strcmp(word, "annotation")) {
        if (!pa->open)
            return rfail(r, "label or annotation outside an alert");
        char *name = NULL, *value = NULL;
        if (get_quoted(r, &name) < 0 || get_quoted(r, &value) < 0 || line_end(r) < 0) {
            free(name);
            free(value);
            return -1;
        }
        if (is_label) {
            XGROW(pa->labels, pa->caplabels, pa->nlabels + 1);
            pa->labels[pa->nlabels++] = (struct label){name, value};
        } else {
            XGROW(pa->ann, pa->capann, pa->nann + 1);
            pa->ann[pa->nann++] = (struct alert_annotation){name, value};
        }
        return 0;
    }
    return rfail(r, "unknown line");
}

int state_decode(const char *src, size_t len, struct state_group *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    err[0] = 0;
    /* the checksum line is the last line; everything before it is summed */
    if (len == 0 || src[len - 1] != '\n') {
        snprintf(err, errlen, "truncated (no final newline)");
        return -1;
    }
    const char *last = len >= 2 ? memrchr(src, '\n', len - 1) : NULL;
    size_t body_end = last ? (size_t)(last - src) + 1 : 0;
    uint64_t want;
    char tail[64];
    size_t tl = len - body_end;
    if (tl >= sizeof tail || !last) {
        snprintf(err, errlen, "no checksum line");
        return -1;
    }
    memcpy(tail, src + body_end, tl);
    tail[tl] = 0;
    if (sscanf(tail, "checksum %16" SCNx64 "\n", &want) != 1 || strlen(tail) != 26) {
        snprintf(err, errlen, "no checksum line");
        return -1;
    }
    if (XXH64(src, body_end, 0) != want) {
        snprintf(err, errlen, "checksum mismatch (torn or corrupted write)");
        return -1;
    }
    struct rd r = {.err = err, .errlen = errlen};
    struct pending_alert pa = {0};
    const char *p = src;
    int rc = 0;
    while (p < src + body_end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(src + body_end - p));
        r.p = p;
        r.end = nl;
        r.line++;
        if (r.line == 1) {
            int64_t v;
            char w[16];
            if (get_word(&r, w, sizeof w) < 0 || strcmp(w, "heed-state") != 0)
                rc = rfail(&r, "not a heed state file");
            else if (get_i64(&r, &v) < 0 || line_end(&r) < 0)
                rc = -1;
            else if (v != STATE_VERSION)
                rc = rfail(&r, "unsupported version");
        } else if (r.line == 2) {
            char w[16];
            if (get_word(&r, w, sizeof w) < 0 || strcmp(w, "group") != 0 || get_quoted(&r, &g->key) < 0 ||
                line_end(&r) < 0)
                rc = r.err[0] ? -1 : rfail(&r, "expected the group line");
        } else if (r.line == 3) {
            char w[16];
            if (get_word(&r, w, sizeof w) < 0 || strcmp(w, "saved_at") != 0 || get_i64(&r, &g->saved_at_ms) < 0 ||
                line_end(&r) < 0)
                rc = r.err[0] ? -1 : rfail(&r, "expected the saved_at line");
        } else {
            rc = decode_line(&r, g, &pa);
        }
        p = nl + 1;
    }
    if (rc == 0 && r.line < 3)
        rc = rfail(&r, "header incomplete");
    if (rc == 0)
        rc = pending_flush(&r, &pa, g->n ? g->rules[g->n - 1] : NULL);
    pending_clear(&pa);
    free(pa.labels);
    free(pa.ann);
    if (rc < 0) {
        state_group_release(g);
        return -1;
    }
    return 0;
}

void state_group_release(struct state_group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->rules[i]->name);
        free(g->rules[i]->labels);
        alert_set_release(&g->rules[i]->alerts);
        free(g->rules[i]);
    }
    free(g->rules);
    free(g->key);
    memset(g, 0, sizeof *g);
}

struct state_rule *state_group_find(const struct state_group *g, const char *name, const char *labels,
                                    unsigned ordinal)
{
    for (size_t i = 0; i < g->n; i++)
        if (!strcmp(g->rules[i]->name, name) && !strcmp(g->rules[i]->labels, labels) &&
            g->rules[i]->ordinal == ordinal)
            return g->rules[i];
    return NULL;
}

bool state_restore_pending(int64_t *active_at_ms, int64_t for_ms, int64_t grace_ms, int64_t tolerance_ms,
                           int64_t down_at_ms, int64_t now_ms)
{
    if (for_ms < grace_ms)
        return true;
    if (now_ms - down_at_ms > tolerance_ms)
        return false;
    int64_t remaining = for_ms - (down_at_ms - *active_at_ms);
    if (remaining <= 0)
        return true; /* it was due already: fires at the next evaluation */
    if (remaining < grace_ms)
        *active_at_ms = now_ms + grace_ms - for_ms;
    else
        *active_at_ms += now_ms - down_at_ms;
    return true;
}

char *state_path(const char *dir, const char *group_key)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s/%016" PRIx64 ".state", dir, (uint64_t)XXH64(group_key, strlen(group_key), 0));
    return strbuf_detach(&sb);
}

int state_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    struct strbuf tmp = STRBUF_INIT;
    strbuf_addf(&tmp, "%s.tmp", path);
    int fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "open %s: %s", tmp.buf, strerror(errno));
        strbuf_release(&tmp);
        return -1;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "write %s: %s", tmp.buf, strerror(errno));
            goto fail;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) < 0) {
        snprintf(err, errlen, "fsync %s: %s", tmp.buf, strerror(errno));
        goto fail;
    }
    if (close(fd) < 0) {
        fd = -1;
        snprintf(err, errlen, "close %s: %s", tmp.buf, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp.buf, path) < 0) {
        snprintf(err, errlen, "rename %s: %s", tmp.buf, strerror(errno));
        goto fail;
    }
    /* the rename itself is durable only once the folder is synced */
    char *slash = strrchr(path, '/');
    char *dir = slash ? (slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path))) : xstrdup(".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (dfd < 0 || fsync(dfd) < 0) {
        snprintf(err, errlen, "fsync %s: %s", dir, strerror(errno));
        rc = -1;
    }
    if (dfd >= 0)
        close(dfd);
    free(dir);
    strbuf_release(&tmp);
    return rc;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp.buf);
    strbuf_release(&tmp);
    return -1;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void state_load_dir(const char *dir, struct state_group **out, size_t *n, struct diag_list *problems)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno != ENOENT)
            diag_add(problems, DIAG_IO, (struct span){0, 0}, dir, "cannot read the state folder: %s",
                     strerror(errno));
        return;
    }
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 6 && !strcmp(e->d_name + l - 6, ".state")) {
            XGROW(names, cap, nn + 1);
            names[nn++] = xstrdup(e->d_name);
        }
    }
    closedir(d);
    if (nn) /* a stable order for messages */
        qsort(names, nn, sizeof *names, name_cmp);
    size_t gcap = 0;
    for (size_t i = 0; i < nn; i++) {
        struct strbuf path = STRBUF_INIT, sb = STRBUF_INIT;
        strbuf_addf(&path, "%s/%s", dir, names[i]);
        if (strbuf_read_file(&sb, path.buf) < 0) {
            diag_add(problems, DIAG_IO, (struct span){0, 0}, NULL, "%s: %s", path.buf, strerror(errno));
        } else {
            struct state_group g;
            char err[256];
            if (state_decode(sb.buf, sb.len, &g, err, sizeof err) < 0) {
                diag_add(problems, DIAG_SEMANTIC, (struct span){0, 0}, NULL, "%s: %s", path.buf, err);
            } else {
                XGROW(*out, gcap, *n + 1);
                (*out)[(*n)++] = g;
            }
        }
        strbuf_release(&sb);
        strbuf_release(&path);
        free(names[i]);
    }
    free(names);
}

void state_groups_free(struct state_group *gs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        state_group_release(&gs[i]);
    free(gs);
}
