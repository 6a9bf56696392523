/*
 * mem - allocation wrappers that never return NULL.
 *
 * An allocation failure is logged through msg_fatal() so the process exits
 * and the master restarts it; callers never test for NULL.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"

/* xmalloc - malloc or die; a zero size still yields a unique pointer */
void *
xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size ? size : 1)) == NULL)
		msg_fatal("out of memory (%zu bytes)", size);
	return (p);
}

/* xcalloc - zeroed array allocation with overflow check */
void *
xcalloc(size_t count, size_t size)
{
	void *p;

	if (count == 0 || size == 0)
		count = size = 1;
	if ((p = calloc(count, size)) == NULL)
		msg_fatal("out of memory (%zu x %zu bytes)", count, size);
	return (p);
}

/* xrealloc - realloc or die */
void *
xrealloc(void *ptr, size_t size)
{
	void *p;

	if ((p = realloc(ptr, size ? size : 1)) == NULL)
		msg_fatal("out of memory (%zu bytes)", size);
	return (p);
}

/* xstrdup - strdup or die */
char *
xstrdup(const char *s)
{
	return (xmemdup(s, strlen(s)));
}

/* xstrndup - copy at most n bytes of s */
char *
xstrndup(const char *s, size_t n)
{
	return (xmemdup(s, strnlen(s, n)));
}

/* xmemdup - copy n bytes and add a terminating NUL */
char *
xmemdup(const void *p, size_t n)
{
	char *copy;

	if (n == (size_t)-1)
		msg_fatal("xmemdup: size overflow");
	copy = xmalloc(n + 1);
	if (n > 0)
		memcpy(copy, p, n);
	copy[n] = '\0';
	return (copy);
}
