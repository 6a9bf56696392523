/*
 * map_inline - "inline:{ key=value, { key = text with spaces } }".
 *
 * A table written in the parameter itself, in Postfix's inline syntax:
 * items are separated by commas or white space; an item that needs white
 * space or commas is wrapped in its own braces, and inside those braces
 * the spaces around the '=' are dropped.  Parsed once at open time into a
 * sorted pair table.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "map_impl.h"
#include "mem.h"
#include "strbuf.h"
#include "strlist.h"

/* trimmed - copy of [start, end) without surrounding white space */
static void
trimmed(struct strbuf *out, const char *start, const char *end)
{
	strbuf_reset(out);
	strbuf_append(out, start, end - start);
	strbuf_trim(out);
}

/* inline_item - parse "k=v" or "{ k = v }" into pairs */
static int
inline_item(struct map_pairs *pairs, const char *item, const char *spec,
    struct strbuf *err)
{
	size_t len = strlen(item);
	const char *start = item, *end = item + len, *eq;
	struct strbuf key, value;

	if (item[0] == '{') {
		if (len < 2 || item[len - 1] != '}') {
			strbuf_printf(err, "table \"inline:%s\": item \"%s\": "
			    "text after closing brace", spec, item);
			return (-1);
		}
		start++;
		end--;
	}
	eq = memchr(start, '=', end - start);
	strbuf_init(&key);
	strbuf_init(&value);
	if (eq != NULL) {
		trimmed(&key, start, eq);
		trimmed(&value, eq + 1, end);
	}
	if (eq == NULL || key.len == 0) {
		strbuf_printf(err, "table \"inline:%s\": item \"%s\": "
		    "expected key=value", spec, item);
		strbuf_free(&key);
		strbuf_free(&value);
		return (-1);
	}
	strbuf_lower(&key);
	map_pairs_add(pairs, key.data, value.data);
	strbuf_free(&key);
	strbuf_free(&value);
	return (0);
}

/* map_inline_open - parse "{...}" */
int
map_inline_open(struct map *map, const char *name, struct strbuf *err)
{
	struct map_pairs *pairs;
	struct strlist items;
	struct strbuf body, what;
	int rc = 0;

	strbuf_init(&body);
	strbuf_puts(&body, name);
	strbuf_trim(&body);
	if (body.len < 2 || body.data[0] != '{' || body.data[body.len - 1] != '}') {
		strbuf_printf(err, "table \"inline:%s\": expected "
		    "inline:{key=value, ...}", name);
		strbuf_free(&body);
		return (-1);
	}
	body.data[body.len - 1] = 0;
	strlist_init(&items);
	if (map_split_braced(body.data + 1, &items) != 0) {
		strbuf_printf(err, "table \"inline:%s\": unbalanced braces", name);
		rc = -1;
	}
	pairs = xcalloc(1, sizeof(*pairs));
	for (size_t i = 0; rc == 0 && i < items.count; i++)
		rc = inline_item(pairs, items.items[i], name, err);
	strlist_free(&items);
	strbuf_free(&body);
	if (rc != 0) {
		map_pairs_free(pairs);
		free(pairs);
		return (-1);
	}
	strbuf_init(&what);
	strbuf_printf(&what, "table \"inline:%s\"", name);
	map_pairs_sort(pairs, what.data);
	strbuf_free(&what);
	map->ops = &map_pairs_ops;
	map->data = pairs;
	return (0);
}
