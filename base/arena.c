#include "base/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#ifndef ARENA_DEBUG
#define ARENA_DEBUG 0
#endif

struct arena_chunk {
    struct arena_chunk *prev; /* older chunk */
    size_t size;              /* usable bytes in data */
    size_t used;              /* bytes handed out */
    _Alignas(16) unsigned char data[];
};

struct arena_cleanup {
    struct arena_cleanup *next;
    void (*fn)(void *);
    void *ptr;
};

void arena_init(struct arena *a, size_t chunk_size)
{
    memset(a, 0, sizeof *a);
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

static void run_cleanups(struct arena *a, struct arena_cleanup *stop)
{
    while (a->cleanups && a->cleanups != stop) {
        struct arena_cleanup *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->ptr);
    }
}

void arena_release(struct arena *a)
{
    run_cleanups(a, NULL);
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *prev = c->prev;
        free(c);
        c = prev;
    }
    a->head = NULL;
    a->total = 0;
}

static struct arena_chunk *new_chunk(struct arena *a, size_t need)
{
    size_t size = ARENA_DEBUG ? need : (need > a->chunk_size ? need : a->chunk_size);
    struct arena_chunk *c = xmalloc(sizeof *c + size);
    c->prev = a->head;
    c->size = size;
    c->used = 0;
    a->head = c;
    return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need == 0)
        need = 16;
    struct arena_chunk *c = a->head;
    if (ARENA_DEBUG || !c || c->size - c->used < need)
        c = new_chunk(a, need);
    void *p = c->data + c->used;
    c->used += need;
    a->total += need;
    return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

void *arena_memdup(struct arena *a, const void *p, size_t n)
{
    void *q = arena_alloc(a, n);
    if (n)
        memcpy(q, p, n);
    return q;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_on_release(struct arena *a, void (*fn)(void *), void *ptr)
{
    struct arena_cleanup *c = arena_alloc(a, sizeof *c);
    c->fn = fn;
    c->ptr = ptr;
    c->next = a->cleanups;
    a->cleanups = c;
}

struct arena_mark arena_mark(struct arena *a)
{
    struct arena_mark m = {a->head, a->head ? a->head->used : 0, a->cleanups, a->total};
    return m;
}

void arena_reset(struct arena *a, struct arena_mark m)
{
    run_cleanups(a, m.cleanups);
    while (a->head && a->head != m.chunk) {
        struct arena_chunk *prev = a->head->prev;
        free(a->head);
        a->head = prev;
    }
    if (a->head)
        a->head->used = m.used;
    a->total = m.total;
}
