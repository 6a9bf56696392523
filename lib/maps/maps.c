/*
 * maps - "type:name" dispatch for lookup tables, and the in-memory pair
 * table that the inline: and unix: types share.
 *
 * The type-specific code lives in map_<type>.c; this file parses the
 * spec, folds keys to lower case and bounds their length before any type
 * sees them, so every fixed-key type gets the same case-insensitive
 * semantics (pattern types get the key unfolded, see map_impl.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "map_impl.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"

static const struct map_type {
	const char	*name;
	int		(*open)(struct map *, const char *, struct strbuf *);
} map_types[] = {
	{"lmdb", map_lmdb_open},
	{"inline", map_inline_open},
	{"static", map_static_open},
	{"unix", map_unix_open},
	{"hash", map_hash_open},
	{"btree", map_hash_open},
	{"texthash", map_texthash_open},
	{"cidr", map_cidr_open},
	{"pcre", map_pcre_open},
	{"regexp", map_regexp_open},
};

/* map_type_known - a type map_open() knows (name of tlen bytes) */
bool
map_type_known(const char *name, size_t tlen)
{
	for (size_t i = 0; i < sizeof(map_types) / sizeof(map_types[0]); i++)
		if (strlen(map_types[i].name) == tlen &&
		    strncasecmp(map_types[i].name, name, tlen) == 0)
			return (true);
	return (false);
}

/* map_open - split "type:name" and hand name to the type */
struct map *
map_open(const char *spec, struct strbuf *err)
{
	const char *colon = strchr(spec, ':');
	struct map *map;
	size_t tlen;

	if (colon == NULL || colon == spec) {
		strbuf_printf(err, "table \"%s\": expected type:name", spec);
		return (NULL);
	}
	tlen = colon - spec;
	/* Postfix's proxymap is not needed: tables are opened before chroot */
	if (tlen == 5 && strncasecmp(spec, "proxy", 5) == 0 &&
	    (map = map_open(colon + 1, err)) != NULL) {
		free(map->spec);
		map->spec = xstrdup(spec);
		return (map);
	} else if (tlen == 5 && strncasecmp(spec, "proxy", 5) == 0) {
		return (NULL);
	}
	for (size_t i = 0; i < sizeof(map_types) / sizeof(map_types[0]); i++) {
		if (strlen(map_types[i].name) != tlen ||
		    strncasecmp(map_types[i].name, spec, tlen) != 0)
			continue;
		map = xcalloc(1, sizeof(*map));
		map->spec = xstrdup(spec);
		if (map_types[i].open(map, colon + 1, err) != 0) {
			free(map->spec);
			free(map);
			return (NULL);
		}
		return (map);
	}
	strbuf_printf(err, "table \"%s\": unsupported type \"%.*s\"", spec,
	    (int)tlen, spec);
	return (NULL);
}

/* map_lookup - fold the key and ask the type */
int
map_lookup(struct map *map, const char *key, struct strbuf *value)
{
	char folded[MAP_KEY_MAX + 1];
	size_t len = strlen(key);

	strbuf_reset(value);
	if (len > MAP_KEY_MAX)
		return (MAP_NOTFOUND);
	if (map->ops->flags & MAP_OPS_PATTERN)
		return (map->ops->lookup(map, key, len, value));
	for (size_t i = 0; i < len; i++)
		folded[i] = tolower((unsigned char)key[i]);
	folded[len] = 0;
	return (map->ops->lookup(map, folded, len, value));
}

/* map_is_pattern - see maps.h */
bool
map_is_pattern(const struct map *map)
{
	return ((map->ops->flags & MAP_OPS_PATTERN) != 0);
}

/* map_spec - the spec the map was opened with, for log lines */
const char *
map_spec(const struct map *map)
{
	return (map->spec);
}

/* map_changed - see maps.h */
bool
map_changed(struct map *map)
{
	return (map->ops->changed != NULL && map->ops->changed(map));
}

/* map_close - release the type's state and the map */
void
map_close(struct map *map)
{
	if (map == NULL)
		return;
	map->ops->close(map);
	free(map->spec);
	free(map);
}

/* map_split_braced - list items, braces protect separators */
int
map_split_braced(const char *text, struct strlist *out)
{
	const char *start = NULL;
	int depth = 0;

	for (const char *cp = text;; cp++) {
		if (*cp == 0 || (depth == 0 && strchr(", \t\r\n", *cp))) {
			if (start != NULL) {
				char *item = xstrndup(start, cp - start);

				strlist_add(out, item);
				free(item);
				start = NULL;
			}
			if (*cp == 0)
				break;
			continue;
		}
		if (start == NULL)
			start = cp;
		if (*cp == '{')
			depth++;
		else if (*cp == '}' && --depth < 0)
			return (-1);
	}
	return (depth == 0 ? 0 : -1);
}

/* map_pairs_add - append; duplicates are resolved by map_pairs_sort */
void
map_pairs_add(struct map_pairs *pairs, const char *key, const char *value)
{
	if (pairs->count == pairs->cap) {
		pairs->cap = pairs->cap ? pairs->cap * 2 : 16;
		pairs->items = xrealloc(pairs->items,
		    pairs->cap * sizeof(*pairs->items));
	}
	pairs->items[pairs->count].key = xstrdup(key);
	pairs->items[pairs->count].value = xstrdup(value);
	pairs->items[pairs->count].seq = pairs->count;
	pairs->count++;
}

/* pair_key_cmp - bsearch order */
static int
pair_key_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct map_pair *)a)->key,
	    ((const struct map_pair *)b)->key));
}

/* pair_cmp - qsort order: key, then insertion order */
static int
pair_cmp(const void *a, const void *b)
{
	const struct map_pair *pa = a, *pb = b;
	int diff = strcmp(pa->key, pb->key);

	if (diff != 0)
		return (diff);
	return (pa->seq < pb->seq ? -1 : pa->seq > pb->seq);
}

/* map_pairs_sort - sort for bsearch; the last of equal keys wins */
void
map_pairs_sort(struct map_pairs *pairs, const char *what)
{
	size_t out = 0;

	if (pairs->count < 2)
		return;
	qsort(pairs->items, pairs->count, sizeof(*pairs->items), pair_cmp);
	for (size_t i = 0; i < pairs->count; i++) {
		if (out > 0 && strcmp(pairs->items[out - 1].key,
		    pairs->items[i].key) == 0) {
			if (what != NULL)
				msg_warn("%s: duplicate key \"%s\": the later value wins",
				    what, pairs->items[i].key);
			free(pairs->items[out - 1].key);
			free(pairs->items[out - 1].value);
			pairs->items[out - 1] = pairs->items[i];
			continue;
		}
		pairs->items[out++] = pairs->items[i];
	}
	pairs->count = out;
}

/* map_pairs_find - binary search on a sorted table */
const char *
map_pairs_find(const struct map_pairs *pairs, const char *key)
{
	struct map_pair probe = {(char *)key, NULL, 0};
	const struct map_pair *hit;

	if (pairs->count == 0)
		return (NULL);
	hit = bsearch(&probe, pairs->items, pairs->count, sizeof(*pairs->items),
	    pair_key_cmp);
	return (hit ? hit->value : NULL);
}

/* map_pairs_free - release every pair */
void
map_pairs_free(struct map_pairs *pairs)
{
	for (size_t i = 0; i < pairs->count; i++) {
		free(pairs->items[i].key);
		free(pairs->items[i].value);
	}
	free(pairs->items);
	pairs->items = NULL;
	pairs->count = pairs->cap = 0;
}

/* pairs_lookup - binary search in the sorted pair table */
static int
pairs_lookup(struct map *map, const char *key, size_t key_len,
    struct strbuf *value)
{
	return (map_pairs_lookup(map->data, key, key_len, value));
}

/* map_pairs_lookup - the value of key in a sorted pair table */
int
map_pairs_lookup(void *pairs, const char *key, size_t key_len,
    struct strbuf *value)
{
	const char *hit = map_pairs_find(pairs, key);

	(void)key_len;
	if (hit == NULL)
		return (MAP_NOTFOUND);
	strbuf_puts(value, hit);
	return (MAP_FOUND);
}

/* pairs_close - free the pair table */
static void
pairs_close(struct map *map)
{
	map_pairs_free(map->data);
	free(map->data);
}

/* map_pairs_ops - for tables built in memory at open time (inline, unix) */
const struct map_ops map_pairs_ops = {pairs_lookup, pairs_close, NULL, 0};
