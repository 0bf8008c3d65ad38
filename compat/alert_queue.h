/* alert_queue: the bounded, coalescing queue of one Alertmanager's pending
 * alerts. Unlike Prometheus, heed keeps a batch that failed to send and
 * retries it, so an Alertmanager outage loses no firing and no resolve; to
 * stay bounded, the queue keeps only the newest state of each alert (items
 * with equal keys) and, when still full, drops the oldest alerts and counts
 * them. What makes two states "the same alert" is the caller's key.
 *
 * Each item carries its alert already encoded as one JSON object, its
 * coalescing key, and a sequence number that orders states of the same
 * alert (higher = newer). Not thread-safe: the owner locks around it.
 *
 * Ownership rule: the queue owns the items in it; alert_queue_take() hands
 * items to the caller, who either frees them (alert_queue_item_free) or gives
 * them back with alert_queue_requeue(). */
#ifndef HEED_COMPAT_ALERT_QUEUE_H
#define HEED_COMPAT_ALERT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct alert_queue_item {
    struct alert_queue_item *prev;  /* older neighbour in the queue (NULL: head) */
    struct alert_queue_item *next;  /* newer neighbour (NULL: tail) */
    struct alert_queue_item *chain; /* next item in the same hash bucket */
    uint64_t hash;                  /* hash of key */
    uint64_t seq;                   /* order of states of one alert: higher is newer */
    const char *key;                /* coalescing key, key_len bytes, in the same allocation */
    size_t key_len;
    const char *json; /* the alert as a JSON object, json_len bytes, same allocation */
    size_t json_len;
};

struct alert_queue {
    struct alert_queue_item *head;     /* oldest item, sent first */
    struct alert_queue_item *tail;     /* newest item */
    struct alert_queue_item **buckets; /* key index, nbuckets (a power of two) chains */
    size_t nbuckets;
    size_t len;          /* items queued */
    size_t capacity;     /* bound on len */
    uint64_t dropped;    /* items dropped because the queue was full */
    uint64_t superseded; /* items replaced by a newer state of the same alert */
};

/* One allocation holding the item and copies of key and json. */
struct alert_queue_item *alert_queue_item_new(const char *key, size_t key_len, const char *json,
                                              size_t json_len, uint64_t seq);
struct alert_queue_item *alert_queue_item_dup(const struct alert_queue_item *it);
void alert_queue_item_free(struct alert_queue_item *it);

void alert_queue_init(struct alert_queue *q, size_t capacity); /* capacity >= 1 */
void alert_queue_release(struct alert_queue *q);

/* Queues it (taking ownership) as the newest item. An older state of the same
 * alert in the queue is replaced in place (it keeps its turn); if the queue
 * then exceeds its capacity, the oldest items are dropped. */
void alert_queue_push(struct alert_queue *q, struct alert_queue_item *it);

/* Removes up to max items from the head (oldest first) into out; returns how many. */
size_t alert_queue_take(struct alert_queue *q, struct alert_queue_item **out, size_t max);

/* Gives back n items taken earlier (in the order taken) after a failed send:
 * they go before everything queued, as they are older. An item whose alert
 * has a newer state queued meanwhile is freed instead (superseded). Over
 * capacity, the oldest items are dropped. */
void alert_queue_requeue(struct alert_queue *q, struct alert_queue_item **items, size_t n);

#endif
