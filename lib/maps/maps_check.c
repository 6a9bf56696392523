/*
 * maps_check - tell whether a table reference in main.cf will work,
 * for "sluice check", "sluice reload" and the master before a reload,
 * so that a typo or a table not compiled yet is refused before any
 * daemon dies on it.
 *
 * A reference is checked by opening it as a daemon would (type known,
 * file present, compiled and readable, every regexp or cidr rule
 * parsing) and closing it again.  What works but deserves a word goes
 * into the notice: hash: and btree: (Postfix's Berkeley DB types) are
 * served by lmdb:, proxy: is not needed, and a compiled table older than
 * its source has probably not been rebuilt after an edit.
 */
#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "map_impl.h"
#include "maps.h"
#include "strbuf.h"
#include "strlist.h"

/* is_type - spec begins with "type:" */
static bool
is_type(const char *spec, const char *type)
{
	size_t n = strlen(type);

	return (strncasecmp(spec, type, n) == 0 && spec[n] == ':');
}

/* check_compiled - lmdb:/hash:/btree: NAME.lmdb missing (error) or stale */
static int
check_compiled(const char *spec, const char *name, struct strbuf *err,
    struct strbuf *notice)
{
	struct strbuf path;
	struct stat src, db;
	int rc = 0;

	strbuf_init(&path);
	strbuf_printf(&path, "%s.lmdb", name);
	if (stat(path.data, &db) != 0) {
		if (errno == ENOENT && stat(name, &src) == 0)
			strbuf_printf(err, "table \"%s\": %s is not compiled: "
			    "run \"sluice-map %s\"", spec, name, spec);
		else
			strbuf_printf(err, "table \"%s\": %s: %s", spec,
			    path.data, strerror(errno));
		rc = -1;
	} else if (stat(name, &src) == 0 && (src.st_mtim.tv_sec >
	    db.st_mtim.tv_sec || (src.st_mtim.tv_sec == db.st_mtim.tv_sec &&
	    src.st_mtim.tv_nsec > db.st_mtim.tv_nsec))) {
		strbuf_printf(notice, "%stable \"%s\": %s is older than its "
		    "source %s: run \"sluice-map %s\" after editing",
		    notice->len ? "; " : "", spec, path.data, name, spec);
	}
	strbuf_free(&path);
	return (rc);
}

/* maps_check_reference - see maps.h */
int
maps_check_reference(const char *spec, struct strbuf *err,
    struct strbuf *notice)
{
	const char *colon = strchr(spec, ':');
	const char *inner = spec;
	struct map *map;

	if (colon == NULL || colon == spec) {
		strbuf_printf(err, "table \"%s\": expected type:name", spec);
		return (-1);
	}
	if (is_type(spec, "proxy")) {
		inner = colon + 1;
		strbuf_printf(notice, "%stable \"%s\": proxy: is not needed "
		    "(daemons open their tables before chroot); using %s",
		    notice->len ? "; " : "", spec, inner);
		if ((colon = strchr(inner, ':')) == NULL || colon == inner) {
			strbuf_printf(err, "table \"%s\": expected "
			    "proxy:type:name", spec);
			return (-1);
		}
	}
	if (!map_type_known(inner, (size_t)(colon - inner))) {
		strbuf_printf(err, "table \"%s\": unknown table type \"%.*s\" "
		    "(known: lmdb hash btree texthash cidr pcre regexp inline "
		    "static unix)", spec, (int)(colon - inner), inner);
		return (-1);
	}
	if (is_type(inner, "hash") || is_type(inner, "btree"))
		strbuf_printf(notice, "%stable \"%s\": Postfix's %.*s: type "
		    "is served by lmdb: from %s.lmdb, which sluice-map "
		    "compiles", notice->len ? "; " : "", spec,
		    (int)(colon - inner), inner, colon + 1);
	if ((is_type(inner, "lmdb") || is_type(inner, "hash") ||
	    is_type(inner, "btree")) && colon[1] != 0 &&
	    check_compiled(spec, colon + 1, err, notice) != 0)
		return (-1);
	if ((map = map_open(spec, err)) == NULL)
		return (-1);
	map_close(map);
	return (0);
}

/* maps_check_list - every reference of a parameter's table list */
int
maps_check_list(const char *specs, struct strbuf *err, struct strbuf *notice)
{
	struct strlist items;
	int rc = 0;

	strlist_init(&items);
	if (map_split_braced(specs, &items) != 0) {
		strbuf_printf(err, "table list \"%s\": unbalanced braces", specs);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < items.count; i++)
		rc = maps_check_reference(items.items[i], err, notice);
	strlist_free(&items);
	return (rc);
}
