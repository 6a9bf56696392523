/*
 * map_impl - what the map types share with maps.c (internal to the maps
 * module; other code uses maps.h only).
 *
 * Each type supplies an open function that fills map->ops and map->data.
 * maps.c folds the key to lower case before calling ops->lookup, so a type
 * only ever sees folded keys.
 */
#ifndef SLUICE_MAP_IMPL_H
#define SLUICE_MAP_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "maps.h"
#include "strbuf.h"
#include "strlist.h"

#define MAP_KEY_MAX	511	/* LMDB's default key limit; longer never matches */

struct map;

struct map_ops {
	/* lookup - key is lower case; value is reset by the caller */
	int	(*lookup)(struct map *map, const char *key, size_t key_len,
		    struct strbuf *value);
	void	(*close)(struct map *map);
	/* changed - the table was replaced on disk (optional: NULL = never) */
	bool	(*changed)(struct map *map);
};

struct map {
	char			*spec;	/* "type:name" as given */
	const struct map_ops	*ops;
	void			*data;	/* the type's own state */
};

int	map_lmdb_open(struct map *map, const char *name, struct strbuf *err);
int	map_inline_open(struct map *map, const char *name, struct strbuf *err);
int	map_static_open(struct map *map, const char *name, struct strbuf *err);
int	map_unix_open(struct map *map, const char *name, struct strbuf *err);

/*
 * map_split_braced - append the items of text separated by ", \t\r\n"
 * outside braces (so "inline:{a=b, c=d}" stays one item).  Returns -1
 * for unbalanced braces.
 */
int	map_split_braced(const char *text, struct strlist *out);

/*
 * Key/value pairs kept in memory (inline:, unix:), sorted by key for
 * binary search.
 */
struct map_pair {
	char	*key;
	char	*value;
	size_t	 seq;	/* insertion order, so the last duplicate wins */
};

struct map_pairs {
	struct map_pair	*items;
	size_t		 count;
	size_t		 cap;
};

void	map_pairs_add(struct map_pairs *pairs, const char *key, const char *value);
/* map_pairs_sort - sort; of equal keys the last added stays (warned as what) */
void	map_pairs_sort(struct map_pairs *pairs, const char *what);
const char *map_pairs_find(const struct map_pairs *pairs, const char *key);
void	map_pairs_free(struct map_pairs *pairs);
/* map_pairs_ops - lookup/close for maps whose data is a sorted map_pairs */
extern const struct map_ops map_pairs_ops;

#endif
