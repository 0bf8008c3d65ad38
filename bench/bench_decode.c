/* bench_decode: streaming decode throughput of compat/promjson on a large
 * generated /api/v1/query matrix response, fed in 16 KiB chunks as curl's
 * write callback delivers them. The body is generated chunk by chunk and
 * never exists whole, so the peak RSS is the decoder's own footprint plus
 * the process baseline. Baseline: yajl alone with empty callbacks (the floor
 * any yajl-based decoder can reach).
 *
 *   bench_decode [SERIES [SAMPLES_PER_SERIES]]   (default 20000 x 240; other
 *   arguments, as bench/run.sh passes, are ignored) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <yajl/yajl_parse.h>

#include "base/strbuf.h"
#include "compat/promjson.h"

#define CHUNK 16384

struct counts {
    uint64_t series, samples;
    double sum; /* keeps the compiler from dropping the values */
};

static int c_start(void *ctx, const struct promjson_label *l, size_t n)
{
    (void)l;
    (void)n;
    ((struct counts *)ctx)->series++;
    return 0;
}

static int c_sample(void *ctx, int64_t t, double v)
{
    struct counts *c = ctx;
    c->samples++;
    c->sum += v + (double)(t & 1);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Generates the body piece by piece and hands it to feed() in CHUNK bytes. */
typedef int (*feed_fn)(void *dec, const char *buf, size_t len);

static double run(long nseries, long nsamples, feed_fn feed, void *dec, size_t *bytes_out)
{
    struct strbuf sb = STRBUF_INIT;
    double t_decode = 0;
    size_t bytes = 0;
    strbuf_addstr(&sb, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
    for (long s = 0; s <= nseries; s++) {
        if (s < nseries) {
            strbuf_addf(&sb,
                        "%s{\"metric\":{\"__name__\":\"http_requests_total\",\"code\":\"200\",\"handler\":"
                        "\"/api/v1/query\",\"instance\":\"host-%ld:9100\",\"job\":\"node\"},\"values\":[",
                        s ? "," : "", s);
            for (long k = 0; k < nsamples; k++)
                strbuf_addf(&sb, "%s[%ld.123,\"%ld.%03ld\"]", k ? "," : "", 1700000000 + 15 * k, 1000 * s + k,
                            (k * 37) % 1000);
            strbuf_addstr(&sb, "]}");
        } else {
            strbuf_addstr(&sb, "]}}");
        }
        /* Feed whole chunks; keep the remainder for the next round. */
        size_t off = 0;
        while (sb.len - off >= CHUNK || (s == nseries && off < sb.len)) {
            size_t n = sb.len - off < CHUNK ? sb.len - off : CHUNK;
            double t0 = now_s();
            if (feed(dec, sb.buf + off, n) < 0) {
                fprintf(stderr, "decode failed\n");
                exit(1);
            }
            t_decode += now_s() - t0;
            off += n;
            bytes += n;
        }
        memmove(sb.buf, sb.buf + off, sb.len - off);
        strbuf_setlen(&sb, sb.len - off);
    }
    strbuf_release(&sb);
    *bytes_out = bytes;
    return t_decode;
}

static int feed_promjson(void *dec, const char *buf, size_t len)
{
    return promjson_feed(dec, buf, len);
}

static int feed_yajl(void *dec, const char *buf, size_t len)
{
    return yajl_parse(dec, (const unsigned char *)buf, len) == yajl_status_ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    /* bench/run.sh passes the conformance folder and a time budget to every
     * benchmark; this one needs neither, so only numeric arguments count. */
    long nseries = argc > 1 && atol(argv[1]) > 0 ? atol(argv[1]) : 20000;
    long nsamples = argc > 2 && atol(argv[2]) > 0 && argv[1][0] != '/' ? atol(argv[2]) : 240;
    long rss0 = peak_rss_kib();

    yajl_callbacks empty = {0};
    yajl_handle y = yajl_alloc(&empty, NULL, NULL);
    size_t ybytes;
    double ty = run(nseries, nsamples, feed_yajl, y, &ybytes);
    yajl_complete_parse(y);
    yajl_free(y);

    struct counts c = {0};
    struct promjson_callbacks cb = {.ctx = &c, .series_start = c_start, .sample = c_sample};
    struct promjson_limits lim = {.max_body_bytes = (size_t)1 << 40, .max_samples = (size_t)1 << 40,
                                  .max_series = (size_t)1 << 30};
    struct promjson *p = promjson_new(&cb, &lim);
    size_t bytes;
    double t = run(nseries, nsamples, feed_promjson, p, &bytes);
    if (promjson_finish(p) < 0) {
        fprintf(stderr, "decode failed: %s\n", promjson_error(p)->msg);
        return 1;
    }
    promjson_free(p);
    long rss1 = peak_rss_kib();

    double mb = bytes / 1e6;
    printf("response: %ld series x %ld samples, %.1f MB, fed in %d-byte chunks\n", nseries, nsamples, mb, CHUNK);
    printf("promjson: %.3f s  %.1f MB/s  %.2f M samples/s  (%llu series, %llu samples decoded)\n", t, mb / t,
           c.samples / t / 1e6, (unsigned long long)c.series, (unsigned long long)c.samples);
    printf("yajl alone (empty callbacks): %.3f s  %.1f MB/s\n", ty, ybytes / 1e6 / ty);
    printf("peak RSS: %ld KiB (process baseline %ld KiB); the body is never held whole\n", rss1, rss0);
    return c.sum == 0; /* the values were used */
}
