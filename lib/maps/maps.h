/*
 * maps - lookup tables named "type:name".
 *
 *	lmdb:/path	  the LMDB file /path.lmdb compiled from the text
 *			  file /path (map_lmdb_build, later sluice-map)
 *	inline:{k=v, k2=v2}  a small table written in the parameter itself
 *	static:value	  every key finds value
 *	hash:/path, btree:/path  Postfix's names, served by lmdb:/path (so a
 *			  Postfix main.cf works after sluice-map /path)
 *	proxy:type:name	  type:name (tables are opened before chroot, so
 *			  Postfix's proxymap is not needed)
 *	unix:passwd.byname  the system's user names (value: the passwd line
 *			  "name:x:uid:gid:gecos:home:shell"), enumerated at
 *			  open time so that lookups work after chroot
 *	texthash:/path	  "key value" text, read at open time, no compiling
 *	cidr:/path	  cidr_table(5): networks, first match wins
 *	pcre:/path	  pcre_table(5): PCRE patterns, first match wins
 *	regexp:/path	  regexp_table(5): POSIX-style patterns (on PCRE2)
 * Fixed keys are matched case-insensitively (folded to lower case before
 * the lookup; lmdb stores folded keys).  Pattern tables (cidr, pcre,
 * regexp) see the key as given and match it whole: callers ask them with
 * the full key only (map_list_lookup_partial skips them, as Postfix does
 * for its "partial" keys).  A lookup returns MAP_FOUND,
 * MAP_NOTFOUND or MAP_TEMPFAIL (the caller answers 4xx, never 5xx, on
 * TEMPFAIL).  Maps are opened before chroot and the privilege drop.
 */
#ifndef SLUICE_MAPS_H
#define SLUICE_MAPS_H

#include <stdbool.h>

#include "strbuf.h"
#include "strlist.h"

enum map_result {
	MAP_FOUND = 1,
	MAP_NOTFOUND = 0,
	MAP_TEMPFAIL = -1,
};

struct map;

/* map_open - open one "type:name" table; NULL with err filled */
struct map *map_open(const char *spec, struct strbuf *err);
int	map_lookup(struct map *map, const char *key, struct strbuf *value);
const char *map_spec(const struct map *map);
/* map_is_pattern - cidr:, pcre:, regexp:: asked with whole keys only */
bool	map_is_pattern(const struct map *map);
/* map_type_known - name (tlen bytes, no colon) is a table type */
bool	map_type_known(const char *name, size_t tlen);
/*
 * map_changed - the table was rebuilt since it was opened and this process
 * cannot reopen it (after chroot the path is out of sight, but the open
 * copy's link count drops to zero).  A long-lived process that sees this
 * finishes its current work and exits, so the master starts a fresh one.
 */
bool	map_changed(struct map *map);
void	map_close(struct map *map);

/*
 * maps_check_reference - would map_open(spec) work in a daemon: type
 * known, file present, compiled and not older than its source, every
 * rule parsing.  0 (notice may get a sentence for the admin: hash: and
 * btree: are served by lmdb:, proxy: is not needed, the compiled table
 * is older than its source) or -1 with err filled.  For "sluice check",
 * reload and the master; notices are appended "; "-separated.
 */
int	maps_check_reference(const char *spec, struct strbuf *err,
	    struct strbuf *notice);
/* maps_check_list - the same for each table of a parameter's list */
int	maps_check_list(const char *specs, struct strbuf *err,
	    struct strbuf *notice);

/*
 * A list of maps as written in a parameter ("lmdb:/a, inline:{x=y} lmdb:/b",
 * separators ", \t\n" outside braces).  Lookups try each map in order.
 */
struct map_list;

/*
 * map_split_braced - append the items of text separated by ", \t\r\n"
 * outside braces (so "inline:{a=b, c=d}" stays one item).  Returns -1
 * for unbalanced braces.
 */
int	map_split_braced(const char *text, struct strlist *out);

struct map_list *map_list_open(const char *specs, struct strbuf *err);
int	map_list_lookup(struct map_list *list, const char *key, struct strbuf *value);
/*
 * map_list_lookup_partial - for the partial keys a caller derives from
 * the full one ("@domain", "user", "user+ext", a parent domain): the
 * pattern tables are not asked, since their patterns are written for the
 * full key and would match these in ways nobody intended.
 */
int	map_list_lookup_partial(struct map_list *list, const char *key,
	    struct strbuf *value);
int	map_list_count(const struct map_list *list);
bool	map_list_changed(struct map_list *list);	/* any map_changed() */
void	map_list_close(struct map_list *list);

/*
 * Text source formats for map_lmdb_build: MAP_SOURCE_TABLE is Postfix's
 * "key whitespace value"; MAP_SOURCE_ALIASES is aliases(5) "name: value"
 * with values possibly continued on following indented lines.
 */
enum map_source_format {
	MAP_SOURCE_TABLE,
	MAP_SOURCE_ALIASES,
};

/*
 * map_lmdb_build - compile source_path into source_path.lmdb atomically
 * (build into a temporary file, fsync, rename) so a running reader never
 * sees a half-built table.  Returns 0 or -1 with err filled (file:line).
 */
int	map_lmdb_build(const char *source_path, enum map_source_format format,
	    struct strbuf *err);

#endif
