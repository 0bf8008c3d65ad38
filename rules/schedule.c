/* schedule: Prometheus's group timing (see schedule.h). */
#include "rules/schedule.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/xalloc.h"

/* One length-prefixed string of the stringlabels encoding. */
static size_t put_string(unsigned char *buf, size_t size, size_t at, const char *s)
{
    size_t len = strlen(s);
    unsigned char hdr[4];
    size_t hlen;
    if (len < 255) {
        hdr[0] = (unsigned char)len;
        hlen = 1;
    } else {
        hdr[0] = 0xFF;
        hdr[1] = (unsigned char)(len & 0xFF);
        hdr[2] = (unsigned char)((len >> 8) & 0xFF);
        hdr[3] = (unsigned char)((len >> 16) & 0xFF);
        hlen = 4;
    }
    for (size_t i = 0; i < hlen; i++, at++)
        if (at < size)
            buf[at] = hdr[i];
    for (size_t i = 0; i < len; i++, at++)
        if (at < size)
            buf[at] = (unsigned char)s[i];
    return at;
}

size_t schedule_group_labels_encode(const char *file, const char *name, unsigned char *buf, size_t size)
{
    /* sorted by label name: "file" < "name" */
    size_t at = put_string(buf, size, 0, "file");
    at = put_string(buf, size, at, file);
    at = put_string(buf, size, at, "name");
    return put_string(buf, size, at, name);
}

/* Prometheus 2's slice labels hash name, 0xFF, value, 0xFF per label. */
static uint64_t slicelabels_hash(const char *file, const char *name)
{
    XXH64_state_t *st = XXH64_createState();
    XXH64_reset(st, 0);
    static const char sep = (char)0xFF;
    XXH64_update(st, "file", 4);
    XXH64_update(st, &sep, 1);
    XXH64_update(st, file, strlen(file));
    XXH64_update(st, &sep, 1);
    XXH64_update(st, "name", 4);
    XXH64_update(st, &sep, 1);
    XXH64_update(st, name, strlen(name));
    XXH64_update(st, &sep, 1);
    uint64_t h = XXH64_digest(st);
    XXH64_freeState(st);
    return h;
}

uint64_t schedule_group_hash(enum schedule_hash_kind kind, const char *file, const char *name)
{
    if (kind == SCHEDULE_HASH_SLICELABELS)
        return slicelabels_hash(file, name);
    unsigned char small[512];
    size_t len = schedule_group_labels_encode(file, name, small, sizeof small);
    if (len <= sizeof small)
        return XXH64(small, len, 0);
    unsigned char *big = xmalloc(len);
    schedule_group_labels_encode(file, name, big, len);
    uint64_t h = XXH64(big, len, 0);
    free(big);
    return h;
}

int64_t schedule_phase_ns(uint64_t hash, int64_t interval_ns)
{
    return interval_ns > 0 ? (int64_t)(hash % (uint64_t)interval_ns) : 0;
}

int64_t schedule_slot_ns(int64_t phase_ns, int64_t interval_ns, int64_t t_ns)
{
    int64_t adj = t_ns - phase_ns;
    int64_t rem = adj % interval_ns;
    if (rem < 0) /* floor, also before the epoch */
        rem += interval_ns;
    return adj - rem + phase_ns;
}

void schedule_init(struct schedule *s, enum schedule_hash_kind kind, const char *file, const char *name,
                   int64_t interval_ns, int64_t now_ns)
{
    memset(s, 0, sizeof *s);
    s->interval_ns = interval_ns;
    s->phase_ns = schedule_phase_ns(schedule_group_hash(kind, file, name), interval_ns);
    s->next_ns = schedule_slot_ns(s->phase_ns, interval_ns, now_ns) + interval_ns;
}

int64_t schedule_tick(struct schedule *s, int64_t now_ns)
{
    /* Prometheus: missed = (now - last)/interval - 1 with last = next - interval */
    int64_t missed = now_ns > s->next_ns ? (now_ns - s->next_ns) / s->interval_ns : 0;
    int64_t ts = s->next_ns + missed * s->interval_ns;
    s->missed += (uint64_t)missed;
    s->iterations += (uint64_t)missed + 1;
    s->next_ns = ts + s->interval_ns;
    return ts;
}

int schedule_shard_parse(const char *s, unsigned *index, unsigned *count)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    unsigned long i = strtoul(s, &end, 10);
    if (*end != '/' || end[1] < '0' || end[1] > '9')
        return -1;
    unsigned long n = strtoul(end + 1, &end, 10);
    if (*end || n == 0 || n > 1000000 || i >= n)
        return -1;
    *index = (unsigned)i;
    *count = (unsigned)n;
    return 0;
}

bool schedule_shard_owns(const char *group_key, unsigned index, unsigned count)
{
    if (count <= 1)
        return true;
    return XXH64(group_key, strlen(group_key), 0) % count == index;
}
