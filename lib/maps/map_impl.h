/*
 * map_impl - what the map types share with maps.c (internal to the maps
 * module; other code uses maps.h only).
 *
 * Each type supplies an open function that fills map->ops and map->data.
 * maps.c folds the key to lower case before calling ops->lookup, so a
 * fixed-key type only ever sees folded keys.  Pattern types (regexp:,
 * pcre:, cidr:) get the key as the caller wrote it: their patterns decide
 * about case themselves (Postfix's 'i' flag), and $1 copies the original.
 */
#ifndef SLUICE_MAP_IMPL_H
#define SLUICE_MAP_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "maps.h"
#include "strbuf.h"
#include "strlist.h"

#define MAP_KEY_MAX	511	/* LMDB's default key limit; longer never matches */

/* map_ops.flags */
#define MAP_OPS_PATTERN	(1u << 0)	/* key not folded; no partial keys */

struct map;

struct map_ops {
	/* lookup - key is lower case; value is reset by the caller */
	int	(*lookup)(struct map *map, const char *key, size_t key_len,
		    struct strbuf *value);
	void	(*close)(struct map *map);
	/* changed - the table was replaced on disk (optional: NULL = never) */
	bool	(*changed)(struct map *map);
	unsigned flags;			/* MAP_OPS_* */
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
int	map_hash_open(struct map *map, const char *name, struct strbuf *err);
int	map_texthash_open(struct map *map, const char *name, struct strbuf *err);
int	map_cidr_open(struct map *map, const char *name, struct strbuf *err);
int	map_pcre_open(struct map *map, const char *name, struct strbuf *err);
int	map_regexp_open(struct map *map, const char *name, struct strbuf *err);

/*
 * Tables read from a text file at open time (texthash:, cidr:, pcre:,
 * regexp:): the type parses the whole text into its own state, and
 * map_text.c keeps the file's identity, so that an edited file is read
 * again at the next lookup (or, when the path is out of sight after
 * chroot and the file was replaced, reported by map_changed()).
 */
#define MAP_TEXT_SIZE_MAX	(64 * 1024 * 1024)	/* whole source file */
#define MAP_TEXT_LINE_MAX	(64 * 1024)		/* one logical line */

struct map_text_type {
	const char	*name;		/* "cidr", for messages */
	unsigned	 flags;		/* MAP_OPS_* */
	/* parse - NULL with err "PATH:N: why" */
	void	       *(*parse)(const char *text, const char *path,
			    struct strbuf *err);
	int		(*lookup)(void *state, const char *key, size_t key_len,
			    struct strbuf *value);
	void		(*free)(void *state);
};

int	map_text_open(struct map *map, const char *path,
	    const struct map_text_type *type, struct strbuf *err);
/* map_text_read - a regular file of at most max bytes, without NUL bytes */
int	map_text_read(int fd, const char *path, size_t max, struct strbuf *text,
	    struct strbuf *err);

/*
 * map_rules.c - the rule lines of cidr:, pcre: and regexp: (Postfix's
 * if/endif and '!'): map_rule_keyword - the text after word (any case) and its
 * blanks, when line starts with word followed by a blank or the end,
 * else NULL; map_rule_negation - skip '!'s and blanks, true for an odd
 * number of '!'
 */
const char *map_rule_keyword(const char *line, const char *word);
bool	map_rule_negation(const char **cp);

/*
 * map_nest - the open "if" rules while a table is parsed: the index of
 * each (its endif stores where to skip to) and its line (for "if without
 * endif"), at most MAP_NEST_MAX deep
 */
#define MAP_NEST_MAX	100

struct map_nest {
	size_t	rule[MAP_NEST_MAX];
	int	line[MAP_NEST_MAX];
	int	depth;
};

/* map_nest_push - an if at rule index, lineno; -1 when nested too deep */
int	map_nest_push(struct map_nest *nest, size_t rule, int lineno);
/* map_nest_pop - the rule index of the innermost if; -1 when none is open */
long	map_nest_pop(struct map_nest *nest);
/* map_nest_check - 0, or -1 with "PATH:N: if without endif" */
int	map_nest_check(const struct map_nest *nest, const char *path,
	    struct strbuf *err);

extern const struct map_text_type map_texthash_type;
extern const struct map_text_type map_cidr_type;
extern const struct map_text_type map_pcre_type;
extern const struct map_text_type map_regexp_type;


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
/* map_pairs_lookup - MAP_FOUND with the value appended, or MAP_NOTFOUND */
int	map_pairs_lookup(void *pairs, const char *key, size_t key_len,
	    struct strbuf *value);
void	map_pairs_free(struct map_pairs *pairs);
/* map_pairs_ops - lookup/close for maps whose data is a sorted map_pairs */
extern const struct map_ops map_pairs_ops;

#endif
