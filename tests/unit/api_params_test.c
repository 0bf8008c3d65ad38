/* api/params: time and duration parameters as Prometheus's HTTP API reads
 * them. The expected milliseconds are what Prometheus 2.42 answers for
 * query=time() at the same time= values (api_shapes_prometheus.sh compares
 * with a live Prometheus too). */
#include "api/params.h"

#include "base/arena.h"
#include "tests/t.h"

static int64_t t_of(const char *s, int *ok)
{
    int64_t ms = 0;
    *ok = api_parse_time(s, &ms) == 0;
    return ms;
}

#define TIME_IS(s, want)                  \
    do {                                  \
        int ok_;                          \
        int64_t ms_ = t_of((s), &ok_);    \
        T_CHECK(ok_);                     \
        T_EQ_INT(ms_, (want));            \
    } while (0)

#define TIME_BAD(s)                       \
    do {                                  \
        int ok_;                          \
        (void)t_of((s), &ok_);            \
        T_CHECK(!ok_);                    \
    } while (0)

static void test_float_seconds(void)
{
    TIME_IS("1.009", 1009);
    TIME_IS("1.0015", 1002);
    TIME_IS("1.0025", 1002); /* 1.0025 is 1.00249999... as a double */
    TIME_IS("1.0005", 1000);
    TIME_IS("-1.0015", -1002);
    TIME_IS("1e3", 1000000);
    TIME_BAD("0x10");
    TIME_BAD("");
    TIME_BAD(" 1");
}

static void test_rfc3339(void)
{
    const int64_t base = INT64_C(1704067200000); /* 2024-01-01T00:00:00Z */
    TIME_IS("2024-01-01T00:00:00Z", base);
    TIME_IS("2024-01-01T00:00:00.003Z", base + 3);
    TIME_IS("2024-01-01T00:00:00.035Z", base + 35); /* summing digits in floating point gave 34 */
    TIME_IS("2024-01-01T00:00:00.0039999Z", base + 3);
    TIME_IS("2024-01-01T00:00:00.123456789Z", base + 123);
    TIME_IS("2024-01-01T00:00:00,035Z", base + 35);
    TIME_IS("2024-01-01T01:00:00.5+01:00", base + 500);
    TIME_IS("1969-12-31T23:59:59.5Z", -500);
    TIME_BAD("2024-01-01T00:00:00.0351234567891Z");
    TIME_BAD("2024-01-01T00:00:00.Z");
    TIME_BAD("2024-01-01t00:00:00.035z");
    TIME_BAD("2024-01-01T00:00:00");
    /* every millisecond of a second, with and without nanosecond digits */
    char buf[64];
    int bad = 0;
    for (int k = 0; k < 1000; k++) {
        int ok;
        snprintf(buf, sizeof buf, "2024-01-01T00:00:00.%03dZ", k);
        bad += t_of(buf, &ok) != base + k || !ok;
        snprintf(buf, sizeof buf, "2024-01-01T00:00:00.%03d999999Z", k);
        bad += t_of(buf, &ok) != base + k || !ok;
    }
    T_EQ_INT(bad, 0);
}

static void test_durations(void)
{
    struct arena a;
    arena_init(&a, 0);
    int64_t ms = 0;
    const char *msg = NULL;
    T_EQ_INT(api_parse_duration(&a, "1.5", &ms, &msg), 0);
    T_EQ_INT(ms, 1500);
    T_EQ_INT(api_parse_duration(&a, "1m30s", &ms, &msg), 0);
    T_EQ_INT(ms, 90000);
    T_EQ_INT(api_parse_duration(&a, "0x10", &ms, &msg), -1);
    T_EQ_STR(msg, "cannot parse \"0x10\" to a valid duration");
    arena_release(&a);
}

int main(void)
{
    t_run("float seconds", test_float_seconds);
    t_run("rfc3339", test_rfc3339);
    t_run("durations", test_durations);
    return t_done();
}
