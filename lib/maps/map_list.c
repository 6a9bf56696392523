/*
 * map_list - a parameter's list of tables, searched in order.
 *
 * The first table that has the key answers; a table that fails answers
 * MAP_TEMPFAIL for the whole list, so a broken table never turns into a
 * wrong 5xx "unknown user".
 */
#include <stdlib.h>

#include "map_impl.h"
#include "maps.h"
#include "mem.h"
#include "strbuf.h"
#include "strlist.h"

struct map_list {
	struct map	**maps;
	int		  count;
};

/* map_list_open - open every "type:name" in specs; empty text = no maps */
struct map_list *
map_list_open(const char *specs, struct strbuf *err)
{
	struct map_list *list;
	struct strlist items;

	list = xcalloc(1, sizeof(*list));
	strlist_init(&items);
	if (specs != NULL && map_split_braced(specs, &items) != 0) {
		strbuf_printf(err, "table list \"%s\": unbalanced braces", specs);
		goto fail;
	}
	list->maps = xcalloc(items.count + 1, sizeof(*list->maps));
	for (size_t i = 0; i < items.count; i++) {
		if ((list->maps[list->count] = map_open(items.items[i], err)) == NULL)
			goto fail;
		list->count++;
	}
	strlist_free(&items);
	return (list);

fail:
	strlist_free(&items);
	map_list_close(list);
	return (NULL);
}

/* map_list_lookup - first hit wins; a failure stops the search */
int
map_list_lookup(struct map_list *list, const char *key, struct strbuf *value)
{
	int rc;

	strbuf_reset(value);
	for (int i = 0; i < list->count; i++)
		if ((rc = map_lookup(list->maps[i], key, value)) != MAP_NOTFOUND)
			return (rc);
	return (MAP_NOTFOUND);
}

/* map_list_lookup_partial - the same without the pattern tables */
int
map_list_lookup_partial(struct map_list *list, const char *key,
    struct strbuf *value)
{
	int rc;

	strbuf_reset(value);
	for (int i = 0; i < list->count; i++) {
		if (map_is_pattern(list->maps[i]))
			continue;
		if ((rc = map_lookup(list->maps[i], key, value)) != MAP_NOTFOUND)
			return (rc);
	}
	return (MAP_NOTFOUND);
}

/* map_list_count - number of tables in the list */
int
map_list_count(const struct map_list *list)
{
	return (list->count);
}

/* map_list_changed - one of the tables was rebuilt */
bool
map_list_changed(struct map_list *list)
{
	if (list == NULL)
		return (false);
	for (int i = 0; i < list->count; i++)
		if (map_changed(list->maps[i]))
			return (true);
	return (false);
}

/* map_list_close - close every table */
void
map_list_close(struct map_list *list)
{
	if (list == NULL)
		return;
	for (int i = 0; i < list->count; i++)
		map_close(list->maps[i]);
	free(list->maps);
	free(list);
}
