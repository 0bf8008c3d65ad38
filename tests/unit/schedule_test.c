/* schedule_test: the group phase against values derived by hand from
 * Prometheus's algorithm, slots, the first evaluation, missed iterations and
 * shard selection. */
#include <stdio.h>
#include <string.h>

#include "rules/schedule.h"
#include "tests/t.h"

#define SEC INT64_C(1000000000)

/* Expected hashes computed with an independent XXH64 written from the
 * xxHash specification (not libxxhash) over the stringlabels bytes:
 * len("file") "file" len(f) f len("name") "name" len(n) n. */
static void test_encoding(void)
{
    unsigned char buf[64];
    size_t n = schedule_group_labels_encode("rules.yml", "g1", buf, sizeof buf);
    static const unsigned char want[] = "\x04" "file" "\x09" "rules.yml" "\x04" "name" "\x02" "g1";
    T_EQ_INT(n, sizeof want - 1);
    T_CHECK(memcmp(buf, want, sizeof want - 1) == 0);
    /* 300 bytes: 0xFF then 300 little-endian in three bytes */
    char longf[301];
    memset(longf, 'x', 300);
    longf[300] = 0;
    unsigned char big[400];
    n = schedule_group_labels_encode(longf, "long", big, sizeof big);
    T_EQ_INT(n, 5 + 4 + 300 + 5 + 5);
    T_EQ_INT(big[5], 0xFF);
    T_EQ_INT(big[6], 300 & 0xFF);
    T_EQ_INT(big[7], 300 >> 8);
    T_EQ_INT(big[8], 0);
}

static void test_hash_and_phase(void)
{
    T_CHECK(schedule_group_hash(SCHEDULE_HASH_STRINGLABELS, "/etc/prometheus/rules.yml", "example") == UINT64_C(15042559949682445398));
    T_CHECK(schedule_group_hash(SCHEDULE_HASH_STRINGLABELS, "rules.yml", "g1") == UINT64_C(332418554891472798));
    char longf[301];
    memset(longf, 'x', 300);
    longf[300] = 0;
    T_CHECK(schedule_group_hash(SCHEDULE_HASH_STRINGLABELS, longf, "long") == UINT64_C(13654405431050741796));
    /* Prometheus 2 (slice labels): "file" 0xFF f 0xFF "name" 0xFF n 0xFF, same XXH64 */
    T_CHECK(schedule_group_hash(SCHEDULE_HASH_SLICELABELS, "rules.yml", "g1") == UINT64_C(5522140864151810036));
    T_CHECK(schedule_group_hash(SCHEDULE_HASH_SLICELABELS, "/etc/prometheus/rules.yml", "example") ==
            UINT64_C(4407344506431338009));
    T_EQ_INT(schedule_phase_ns(UINT64_C(15042559949682445398), 60 * SEC), INT64_C(29682445398));
    T_EQ_INT(schedule_phase_ns(UINT64_C(15042559949682445398), 15 * SEC), INT64_C(14682445398));
}

static void test_slots(void)
{
    int64_t iv = 60 * SEC, ph = 29682445398;
    int64_t t = INT64_C(1700000000) * SEC; /* divisible by 60 s: 1700000000 = 28333333*60 + 20 */
    int64_t slot = schedule_slot_ns(ph, iv, t);
    T_CHECK(slot <= t && t - slot < iv);
    T_EQ_INT((slot - ph) % iv, 0);
    T_EQ_INT(schedule_slot_ns(ph, iv, slot), slot);     /* a slot is its own slot */
    T_EQ_INT(schedule_slot_ns(ph, iv, slot - 1), slot - iv);
    T_EQ_INT(schedule_slot_ns(ph, iv, slot + iv - 1), slot);
}

static void test_first_and_missed(void)
{
    struct schedule s;
    int64_t now = INT64_C(1700000000) * SEC + 123;
    schedule_init(&s, SCHEDULE_HASH_STRINGLABELS, "/etc/prometheus/rules.yml", "example", 60 * SEC, now);
    int64_t slot = schedule_slot_ns(s.phase_ns, s.interval_ns, now);
    T_EQ_INT(s.next_ns, slot + 60 * SEC); /* waits for the next slot */
    T_CHECK(s.next_ns > now);
    /* on time */
    int64_t ts = schedule_tick(&s, s.next_ns + 5);
    T_EQ_INT(ts, slot + 60 * SEC);
    T_EQ_INT(s.iterations, 1);
    T_EQ_INT(s.missed, 0);
    /* woke 2.5 intervals late: two slots skipped, the latest one evaluated */
    ts = schedule_tick(&s, s.next_ns + 150 * SEC);
    T_EQ_INT(ts, slot + 4 * 60 * SEC);
    T_EQ_INT(s.missed, 2);
    T_EQ_INT(s.iterations, 4);
    T_EQ_INT(s.next_ns, slot + 5 * 60 * SEC);
}

static void test_shards(void)
{
    unsigned i, n;
    T_EQ_INT(schedule_shard_parse("1/3", &i, &n), 0);
    T_EQ_INT(i, 1);
    T_EQ_INT(n, 3);
    T_EQ_INT(schedule_shard_parse("3/3", &i, &n), -1);
    T_EQ_INT(schedule_shard_parse("1/0", &i, &n), -1);
    T_EQ_INT(schedule_shard_parse("a/2", &i, &n), -1);
    T_EQ_INT(schedule_shard_parse("1/2x", &i, &n), -1);
    /* every group is owned by exactly one shard, and the split is roughly even */
    int counts[4] = {0};
    for (int g = 0; g < 4000; g++) {
        char key[64];
        snprintf(key, sizeof key, "rules/%d.yml;group-%d", g % 37, g);
        int owners = 0;
        for (unsigned s = 0; s < 4; s++) {
            if (schedule_shard_owns(key, s, 4)) {
                owners++;
                counts[s]++;
            }
        }
        T_EQ_INT(owners, 1);
    }
    for (int s = 0; s < 4; s++)
        T_CHECK(counts[s] > 850 && counts[s] < 1150);
    T_CHECK(schedule_shard_owns("anything", 0, 1));
}

int main(void)
{
    t_run("stringlabels encoding", test_encoding);
    t_run("hash and phase (hand-derived)", test_hash_and_phase);
    t_run("slots", test_slots);
    t_run("first evaluation and missed iterations", test_first_and_missed);
    t_run("shards", test_shards);
    return t_done();
}
