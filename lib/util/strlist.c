/*
 * strlist - a growable array of C strings.
 *
 * The array is kept NULL-terminated so it can be handed to execv() as is.
 */
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "mem.h"
#include "msg.h"
#include "strlist.h"

#define STRLIST_MIN_CAP	8

/* strlist_init - an empty, NULL-terminated list */
void
strlist_init(struct strlist *list)
{
	list->cap = STRLIST_MIN_CAP;
	list->count = 0;
	list->items = xcalloc(list->cap, sizeof(*list->items));
}

/* strlist_free - release every string and the array */
void
strlist_free(struct strlist *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = list->cap = 0;
}

/* strlist_add_owned - append a string the list takes over */
static void
strlist_add_owned(struct strlist *list, char *s)
{
	if (list->items == NULL)
		strlist_init(list);
	if (list->count + 1 >= list->cap) {
		if (list->cap > ((size_t)-1 / sizeof(char *)) / 2)
			msg_fatal("strlist: size overflow");
		list->cap *= 2;
		list->items = xrealloc(list->items,
		    list->cap * sizeof(*list->items));
	}
	list->items[list->count++] = s;
	list->items[list->count] = NULL;
}

/* strlist_add - append a copy of s */
void
strlist_add(struct strlist *list, const char *s)
{
	strlist_add_owned(list, xstrdup(s));
}

/* strlist_split - append the non-empty pieces of text between separators */
void
strlist_split(struct strlist *list, const char *text, const char *seps)
{
	const char *p = text;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, seps);
		if ((n = strcspn(p, seps)) == 0)
			break;
		strlist_add_owned(list, xstrndup(p, n));
		p += n;
	}
}

/* strlist_contains_ci - ASCII case-insensitive membership */
int
strlist_contains_ci(const struct strlist *list, const char *s)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcasecmp(list->items[i], s) == 0)
			return (1);
	return (0);
}
