/*
 * map_texthash - "texthash:/path": a "key whitespace value" file (the
 * format sluice-map compiles) read into memory at open time, so it needs
 * no compiling, as Postfix's texthash: type.  map_text.c reads it again
 * when it is edited.  Of repeated keys the later line wins, with a
 * warning, as when compiling.
 */
#include <stdlib.h>

#include "map_impl.h"
#include "map_source.h"
#include "mem.h"
#include "strbuf.h"

/* texthash_add - collect one entry */
static int
texthash_add(void *ctx, const char *key, const char *value, int lineno)
{
	(void)lineno;
	map_pairs_add(ctx, key, value);
	return (0);
}

/* texthash_parse - the sorted pair table of text */
static void *
texthash_parse(const char *text, const char *path, struct strbuf *err)
{
	struct map_pairs *pairs = xcalloc(1, sizeof(*pairs));
	struct strbuf what;

	if (map_source_parse(text, path, MAP_SOURCE_TABLE, MAP_TEXT_LINE_MAX,
	    texthash_add, pairs, err) != 0) {
		map_pairs_free(pairs);
		free(pairs);
		return (NULL);
	}
	strbuf_init(&what);
	strbuf_printf(&what, "table \"texthash:%s\"", path);
	map_pairs_sort(pairs, what.data);
	strbuf_free(&what);
	return (pairs);
}

/* texthash_free - the pairs */
static void
texthash_free(void *state)
{
	map_pairs_free(state);
	free(state);
}

const struct map_text_type map_texthash_type = {
	"texthash", 0, texthash_parse, map_pairs_lookup, texthash_free,
};

/* map_texthash_open - read path */
int
map_texthash_open(struct map *map, const char *name, struct strbuf *err)
{
	return (map_text_open(map, name, &map_texthash_type, err));
}
