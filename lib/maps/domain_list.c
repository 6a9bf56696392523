/*
 * domain_list - match a domain against mydestination-style lists.
 *
 * Entries are checked in order and the first match decides; "!entry"
 * makes that match a non-match, as in Postfix.  A plain name matches
 * itself, ".name" matches strict subdomains, and a "type:name" table
 * matches when it has the domain, or ".parent" for one of its parent
 * domains, as a key.  A table failure makes the whole answer -1, so the
 * caller can say 4xx instead of wrongly refusing or accepting mail.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "domain_list.h"
#include "map_impl.h"
#include "maps.h"
#include "mem.h"
#include "strbuf.h"
#include "strlist.h"

#define DOMAIN_TEXT_MAX	255

struct domain_entry {
	char		*name;		/* lower case, no trailing dot; NULL for tables */
	struct map	*table;
	bool		 negate;
};

struct domain_list {
	struct domain_entry *items;
	size_t		     count;
};

/* is_table_spec - "type:name" (type is a plain lower-case word) */
static bool
is_table_spec(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return (n > 0 && s[n] == ':');
}

/* domain_list_open - parse names and open tables */
struct domain_list *
domain_list_open(const char *text, struct strbuf *err)
{
	struct domain_list *list = xcalloc(1, sizeof(*list));
	struct strlist items;

	strlist_init(&items);
	if (text != NULL && map_split_braced(text, &items) != 0) {
		strbuf_printf(err, "domain list \"%s\": unbalanced braces", text);
		goto fail;
	}
	list->items = xcalloc(items.count + 1, sizeof(*list->items));
	for (size_t i = 0; i < items.count; i++) {
		struct domain_entry *e = &list->items[list->count];
		const char *item = items.items[i];

		if ((e->negate = (*item == '!')))
			item++;
		if (is_table_spec(item)) {
			if ((e->table = map_open(item, err)) == NULL)
				goto fail;
		} else {
			size_t len = strlen(item);

			while (len > 0 && item[len - 1] == '.')
				len--;
			if (len == 0 || (len == 1 && item[0] == '.') ||
			    len > DOMAIN_TEXT_MAX + 1) {
				strbuf_printf(err, "domain list: bad domain \"%s\"",
				    items.items[i]);
				goto fail;
			}
			e->name = xstrndup(item, len);
			for (char *cp = e->name; *cp; cp++)
				*cp = tolower((unsigned char)*cp);
		}
		list->count++;
	}
	strlist_free(&items);
	return (list);

fail:
	strlist_free(&items);
	domain_list_free(list);
	return (NULL);
}

/* table_match - domain itself, then ".parent" keys; 1, 0 or -1 */
static int
table_match(struct map *table, const char *domain)
{
	struct strbuf value;
	int rc;

	strbuf_init(&value);
	rc = map_lookup(table, domain, &value);
	/* parent domains are partial keys: not for pattern tables */
	for (const char *dot = map_is_pattern(table) ? NULL : strchr(domain, '.');
	    rc == MAP_NOTFOUND && dot; dot = strchr(dot + 1, '.'))
		if (dot[1] != 0)
			rc = map_lookup(table, dot, &value);
	strbuf_free(&value);
	return (rc == MAP_FOUND ? 1 : rc == MAP_TEMPFAIL ? -1 : 0);
}

/* domain_list_match - first matching entry decides */
int
domain_list_match(struct domain_list *list, const char *domain)
{
	char name[DOMAIN_TEXT_MAX + 2];
	size_t len = strlen(domain);

	while (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_TEXT_MAX)
		return (0);
	for (size_t i = 0; i < len; i++)
		name[i] = tolower((unsigned char)domain[i]);
	name[len] = 0;
	for (size_t i = 0; i < list->count; i++) {
		const struct domain_entry *e = &list->items[i];
		int rc;

		if (e->table != NULL) {
			if ((rc = table_match(e->table, name)) < 0)
				return (-1);
		} else if (e->name[0] == '.') {
			size_t n = strlen(e->name);

			rc = len > n && strcmp(name + len - n, e->name) == 0;
		} else {
			rc = strcmp(name, e->name) == 0;
		}
		if (rc)
			return (e->negate ? 0 : 1);
	}
	return (0);
}

/* domain_list_changed - one of the tables in the list was rebuilt */
bool
domain_list_changed(struct domain_list *list)
{
	if (list == NULL)
		return (false);
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].table != NULL && map_changed(list->items[i].table))
			return (true);
	return (false);
}

/* domain_list_free - close tables and free names */
void
domain_list_free(struct domain_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].name);
		map_close(list->items[i].table);
	}
	free(list->items);
	free(list);
}
