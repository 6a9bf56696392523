/*
 * map_static - "static:value": every key finds the same value.
 *
 * "static:{text with spaces}" keeps white space that a parameter list
 * would otherwise split on; the braces are removed.
 */
#include <stdlib.h>
#include <string.h>

#include "map_impl.h"
#include "mem.h"
#include "strbuf.h"

/* static_lookup - always the one value */
static int
static_lookup(struct map *map, const char *key, size_t key_len,
    struct strbuf *value)
{
	(void)key;
	(void)key_len;
	strbuf_puts(value, map->data);
	return (MAP_FOUND);
}

/* static_close - free the value */
static void
static_close(struct map *map)
{
	free(map->data);
}

static const struct map_ops static_ops = {static_lookup, static_close, NULL, 0};

/* map_static_open - keep the value, braces removed */
int
map_static_open(struct map *map, const char *name, struct strbuf *err)
{
	struct strbuf value;

	strbuf_init(&value);
	strbuf_puts(&value, name);
	if (value.len > 0 && value.data[0] == '{') {
		if (value.data[value.len - 1] != '}') {
			strbuf_printf(err, "table \"static:%s\": missing '}'", name);
			strbuf_free(&value);
			return (-1);
		}
		strbuf_truncate(&value, value.len - 1);
		memmove(value.data, value.data + 1, value.len);	/* with NUL */
		value.len--;
		strbuf_trim(&value);
	}
	map->ops = &static_ops;
	map->data = strbuf_detach(&value);
	strbuf_free(&value);
	return (0);
}
