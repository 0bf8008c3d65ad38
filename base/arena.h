/* arena: bump allocator for data that dies together.
 * Three lifetimes use it: a parsed rule group (freed on reload), one
 * evaluation (reset to a checkpoint afterwards) and one HTTP request.
 * Ownership rule: everything allocated from an arena is owned by the arena
 * and freed only by arena_reset()/arena_release(); never free() it.
 * Built with ARENA_DEBUG=1 every allocation is its own malloc, so ASan and
 * valgrind see overruns and use-after-reset. */
#ifndef HEED_BASE_ARENA_H
#define HEED_BASE_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena_cleanup;

struct arena {
    struct arena_chunk *head;       /* newest chunk; older ones follow */
    struct arena_cleanup *cleanups; /* callbacks run at reset/release, newest first */
    size_t chunk_size;              /* default size of a new chunk */
    size_t total;                   /* bytes handed out since init (statistics) */
};

/* A position to return to: everything allocated after it is freed at once. */
struct arena_mark {
    struct arena_chunk *chunk;
    size_t used;
    struct arena_cleanup *cleanups;
    size_t total;
};

void arena_init(struct arena *a, size_t chunk_size);
void arena_release(struct arena *a);

void *arena_alloc(struct arena *a, size_t n);  /* 16-byte aligned, uninitialised */
void *arena_zalloc(struct arena *a, size_t n); /* zeroed */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *arena_memdup(struct arena *a, const void *p, size_t n);

/* Runs fn(ptr) when the memory it belongs to is released: for foreign
 * resources such as compiled regexes whose lifetime follows the arena. */
void arena_on_release(struct arena *a, void (*fn)(void *), void *ptr);

struct arena_mark arena_mark(struct arena *a);
void arena_reset(struct arena *a, struct arena_mark m);

#define ARENA_NEW(a, type) ((type *)arena_zalloc((a), sizeof(type)))
#define ARENA_NEWN(a, type, n) ((type *)arena_zalloc((a), sizeof(type) * (size_t)(n)))

#endif
