/* fuzz_promjson: libFuzzer target for the streaming query-API decoder. Any
 * body must decode or fail with an error of a known type (no crash, leak or
 * sanitizer report), and the outcome must not depend on how the body is cut
 * into chunks: fed whole, byte by byte and at a split point taken from the
 * input, the callbacks see the same transcript and the verdict is the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "compat/promjson.h"
#include "eval/histogram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int t_start(void *ctx, const struct promjson_label *l, size_t n)
{
    strbuf_addch(ctx, '{');
    for (size_t i = 0; i < n; i++) {
        strbuf_add(ctx, l[i].name, l[i].name_len);
        strbuf_addch(ctx, '=');
        strbuf_add(ctx, l[i].value, l[i].value_len);
        strbuf_addch(ctx, ',');
    }
    strbuf_addch(ctx, '}');
    return 0;
}

static int t_sample(void *ctx, int64_t t, double v)
{
    strbuf_addf(ctx, "%lld:%a;", (long long)t, v);
    return 0;
}

static int t_end(void *ctx)
{
    strbuf_addch(ctx, '\n');
    return 0;
}

static int t_scalar(void *ctx, int64_t t, double v)
{
    strbuf_addf(ctx, "scalar %lld:%a\n", (long long)t, v);
    return 0;
}

static int t_string(void *ctx, int64_t t, const char *s, size_t len)
{
    strbuf_addf(ctx, "string %lld:", (long long)t);
    strbuf_add(ctx, s, len);
    strbuf_addch(ctx, '\n');
    return 0;
}

static int t_warning(void *ctx, int info, const char *s, size_t len)
{
    strbuf_addstr(ctx, info ? "info " : "warning ");
    strbuf_add(ctx, s, len);
    strbuf_addch(ctx, '\n');
    return 0;
}

static int t_histogram(void *ctx, int64_t t, const struct histogram *h)
{
    strbuf_addf(ctx, "histogram %lld ", (long long)t);
    histogram_format(ctx, h);
    strbuf_addch(ctx, '\n');
    return 0;
}

/* Decodes data cut at the given chunk size (0: at split only). */
static void decode(const uint8_t *data, size_t size, size_t chunk, size_t split, struct strbuf *out)
{
    struct promjson_callbacks cb = {out, t_start, t_sample, t_end, t_scalar, t_string, t_warning, t_histogram};
    struct promjson_limits lim = {.max_body_bytes = 1 << 16, .max_series = 64, .max_samples = 512, .max_labels = 16,
                                  .max_label_bytes = 256, .max_string_bytes = 256};
    struct promjson *p = promjson_new(&cb, &lim);
    int rc = 0;
    size_t off = 0;
    while (off < size && rc == 0) {
        size_t n = chunk ? chunk : (off < split ? split - off : size - off);
        if (n > size - off)
            n = size - off;
        rc = promjson_feed(p, data + off, n);
        off += n;
    }
    if (rc == 0)
        rc = promjson_finish(p);
    const struct promjson_error *e = promjson_error(p);
    if ((rc == 0) != (e->type == PROMJSON_OK) || e->type > PROMJSON_BAD_RESPONSE || (rc < 0 && !e->msg[0])) {
        fprintf(stderr, "inconsistent verdict: rc %d, type %d, msg \"%s\"\n", rc, e->type, e->msg);
        abort();
    }
    if (rc == 0 && promjson_result_type(p) == PROMJSON_RESULT_NONE) {
        fprintf(stderr, "success without a result type\n");
        abort();
    }
    strbuf_addf(out, "verdict %d %s\n", rc, promjson_errtype_name(e->type));
    promjson_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct strbuf whole = STRBUF_INIT, bytes = STRBUF_INIT, cut = STRBUF_INIT;
    decode(data, size, size ? size : 1, 0, &whole);
    decode(data, size, 1, 0, &bytes);
    decode(data, size, 0, size ? data[0] % size : 0, &cut);
    /* Error messages may name different bytes, but the data delivered and
     * the verdict must not differ. */
    if (strcmp(whole.buf, bytes.buf) != 0 || strcmp(whole.buf, cut.buf) != 0) {
        fprintf(stderr, "chunking changes the outcome:\n--- whole\n%s--- bytes\n%s--- cut\n%s", whole.buf, bytes.buf,
                cut.buf);
        abort();
    }
    strbuf_release(&whole);
    strbuf_release(&bytes);
    strbuf_release(&cut);
    return 0;
}
