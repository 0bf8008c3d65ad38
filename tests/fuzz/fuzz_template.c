/* fuzz_template: parses arbitrary bytes as an alert template and, when it
 * parses, executes it against fixed alert data and a fixed query result.
 * Properties: no crash, no leak, no sanitizer report; a parsed template
 * gives the same output twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "rules/template.h"

static int query(void *ctx, const char *q, int64_t ts_ms, struct arena *a,
                 struct tmpl_sample **out, size_t *n, const char **err)
{
    static const struct tmpl_label l[] = {{"__name__", "up"}, {"instance", "h:9100"}};
    (void)ctx;
    (void)ts_ms;
    if (q[0] == 'x') {
        *err = "failed";
        return -1;
    }
    *out = ARENA_NEWN(a, struct tmpl_sample, 2);
    (*out)[0] = (struct tmpl_sample){l, 2, 1.5};
    (*out)[1] = (struct tmpl_sample){l, 1, -2};
    *n = 2;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct tmpl_label labels[] = {{"job", "node"}, {"instance", "h:9100"}};
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    struct tmpl *t = tmpl_alert_parse("Fuzz", text);
    struct tmpl_alert_data d = {labels, 2, labels, 1, "http://x:9090/p", 12.5};
    struct tmpl_env env = {1700000000000LL, "http://x:9090/p", query, NULL};
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    tmpl_alert_expand(t, &d, &env, &a);
    tmpl_alert_expand(t, &d, &env, &b);
    if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0)
        abort();
    strbuf_release(&a);
    strbuf_release(&b);
    tmpl_free(t);
    free(text);
    return 0;
}
