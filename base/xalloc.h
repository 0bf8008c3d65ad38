/* xalloc: allocation wrappers that never return NULL.
 * Out of memory is not recoverable in a daemon that must not lose alerts
 * silently, so these log the failed size and abort (as git and h2o do). */
#ifndef HEED_BASE_XALLOC_H
#define HEED_BASE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grows *items (capacity *cap) so that at least need elements of size elem fit. */
void xgrow(void **items, size_t *cap, size_t need, size_t elem);
#define XGROW(arr, cap, need) xgrow((void **)&(arr), &(cap), (need), sizeof *(arr))

#endif
