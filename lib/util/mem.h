/*
 * mem - allocation wrappers that never return NULL.
 *
 * Running out of memory in a mail daemon is not recoverable in a useful way:
 * the process logs and exits, the master restarts it, and the client sees a
 * 4xx.  Every program uses these instead of malloc() directly.
 */
#ifndef SLUICE_MEM_H
#define SLUICE_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xmemdup - copy n bytes and add a terminating NUL (binary-safe values) */
char *xmemdup(const void *p, size_t n);

#endif
