#include "compat/alert_queue.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/xalloc.h"

struct alert_queue_item *alert_queue_item_new(const char *key, size_t key_len, const char *json,
                                              size_t json_len, uint64_t seq)
{
    struct alert_queue_item *it = xmalloc(sizeof *it + key_len + json_len + 2);
    char *k = (char *)(it + 1), *j = k + key_len + 1;
    memcpy(k, key, key_len);
    k[key_len] = 0;
    memcpy(j, json, json_len);
    j[json_len] = 0;
    *it = (struct alert_queue_item){
        .hash = XXH3_64bits(key, key_len),
        .seq = seq,
        .key = k,
        .key_len = key_len,
        .json = j,
        .json_len = json_len,
    };
    return it;
}

struct alert_queue_item *alert_queue_item_dup(const struct alert_queue_item *it)
{
    return alert_queue_item_new(it->key, it->key_len, it->json, it->json_len, it->seq);
}

void alert_queue_item_free(struct alert_queue_item *it)
{
    free(it);
}

void alert_queue_init(struct alert_queue *q, size_t capacity)
{
    memset(q, 0, sizeof *q);
    q->capacity = capacity ? capacity : 1;
    /* About two buckets per item at capacity, at least 64, at most 2^20:
     * the index is allocated once and never rehashed. */
    size_t nb = 64;
    while (nb < 2 * q->capacity && nb < ((size_t)1 << 20))
        nb <<= 1;
    q->nbuckets = nb;
    q->buckets = xcalloc(nb, sizeof *q->buckets);
}

void alert_queue_release(struct alert_queue *q)
{
    struct alert_queue_item *it = q->head;
    while (it) {
        struct alert_queue_item *next = it->next;
        alert_queue_item_free(it);
        it = next;
    }
    free(q->buckets);
    memset(q, 0, sizeof *q);
}

static struct alert_queue_item **bucket_of(struct alert_queue *q, uint64_t hash)
{
    return &q->buckets[hash & (q->nbuckets - 1)];
}

static struct alert_queue_item *find(struct alert_queue *q, const struct alert_queue_item *like)
{
    for (struct alert_queue_item *it = *bucket_of(q, like->hash); it; it = it->chain)
        if (it->hash == like->hash && it->key_len == like->key_len &&
            memcmp(it->key, like->key, like->key_len) == 0)
            return it;
    return NULL;
}

static void index_add(struct alert_queue *q, struct alert_queue_item *it)
{
    struct alert_queue_item **b = bucket_of(q, it->hash);
    it->chain = *b;
    *b = it;
}

static void index_remove(struct alert_queue *q, struct alert_queue_item *it)
{
    for (struct alert_queue_item **p = bucket_of(q, it->hash); *p; p = &(*p)->chain) {
        if (*p == it) {
            *p = it->chain;
            it->chain = NULL;
            return;
        }
    }
}

/* Unlinks it from the order list and the index (len updated). */
static void unlink_item(struct alert_queue *q, struct alert_queue_item *it)
{
    if (it->prev)
        it->prev->next = it->next;
    else
        q->head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        q->tail = it->prev;
    it->prev = it->next = NULL;
    index_remove(q, it);
    q->len--;
}

/* Puts fresh in old's place in the order list and the index; frees old. */
static void replace_item(struct alert_queue *q, struct alert_queue_item *old, struct alert_queue_item *fresh)
{
    fresh->prev = old->prev;
    fresh->next = old->next;
    if (old->prev)
        old->prev->next = fresh;
    else
        q->head = fresh;
    if (old->next)
        old->next->prev = fresh;
    else
        q->tail = fresh;
    index_remove(q, old);
    index_add(q, fresh);
    alert_queue_item_free(old);
}

static void trim_to_capacity(struct alert_queue *q)
{
    while (q->len > q->capacity) {
        struct alert_queue_item *oldest = q->head;
        unlink_item(q, oldest);
        alert_queue_item_free(oldest);
        q->dropped++;
    }
}

/* Coalesces it with a queued state of the same alert: the newer one stays in
 * the older one's place. Returns 1 if it was consumed (kept or freed). */
static int coalesce(struct alert_queue *q, struct alert_queue_item *it)
{
    struct alert_queue_item *old = find(q, it);
    if (!old)
        return 0;
    q->superseded++;
    if (it->seq >= old->seq)
        replace_item(q, old, it);
    else
        alert_queue_item_free(it);
    return 1;
}

void alert_queue_push(struct alert_queue *q, struct alert_queue_item *it)
{
    if (coalesce(q, it))
        return;
    it->next = NULL;
    it->prev = q->tail;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    index_add(q, it);
    q->len++;
    trim_to_capacity(q);
}

size_t alert_queue_take(struct alert_queue *q, struct alert_queue_item **out, size_t max)
{
    size_t n = 0;
    while (n < max && q->head) {
        struct alert_queue_item *it = q->head;
        unlink_item(q, it);
        out[n++] = it;
    }
    return n;
}

void alert_queue_requeue(struct alert_queue *q, struct alert_queue_item **items, size_t n)
{
    /* Newest of the batch first, each pushed onto the head, so the batch ends
     * up in its original order before everything queued after it. */
    for (size_t i = n; i-- > 0;) {
        struct alert_queue_item *it = items[i];
        if (coalesce(q, it))
            continue;
        it->prev = NULL;
        it->next = q->head;
        if (q->head)
            q->head->prev = it;
        else
            q->tail = it;
        q->head = it;
        index_add(q, it);
        q->len++;
    }
    trim_to_capacity(q);
}
