/*
 * strlist - a growable array of C strings.
 *
 * Used for parameter lists ("a, b c"), argv vectors and master.cf commands.
 */
#ifndef SLUICE_STRLIST_H
#define SLUICE_STRLIST_H

#include <stddef.h>

struct strlist {
	char	**items;	/* NULL-terminated when count > 0 or after init */
	size_t	  count;
	size_t	  cap;
};

void	strlist_init(struct strlist *list);
void	strlist_free(struct strlist *list);
void	strlist_add(struct strlist *list, const char *s);	/* copies */
/*
 * strlist_split - append the non-empty pieces of text separated by any of
 * the characters in seps (e.g. ", \t\r\n" for parameter lists).
 */
void	strlist_split(struct strlist *list, const char *text, const char *seps);
/* strlist_contains_ci - ASCII case-insensitive membership */
int	strlist_contains_ci(const struct strlist *list, const char *s);

#endif
