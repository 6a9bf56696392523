/*
 * map_unix - "unix:passwd.byname", the system's users.
 *
 * The user database is enumerated once at open time, before chroot and
 * the privilege drop, so that smtpd can tell local users from unknown
 * recipients inside its jail.  The value is the passwd line with the
 * password field shown as "x" (hashes never leave this file).  A reload
 * (new processes) picks up new users.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "map_impl.h"
#include "mem.h"
#include "strbuf.h"

/* map_unix_open - snapshot the passwd database */
int
map_unix_open(struct map *map, const char *name, struct strbuf *err)
{
	struct map_pairs *pairs;
	struct passwd *pw;
	struct strbuf key, line;

	if (strcmp(name, "passwd.byname") != 0) {
		strbuf_printf(err, "table \"unix:%s\": only unix:passwd.byname "
		    "is supported", name);
		return (-1);
	}
	pairs = xcalloc(1, sizeof(*pairs));
	strbuf_init(&key);
	strbuf_init(&line);
	setpwent();
	while ((pw = getpwent()) != NULL) {
		strbuf_set(&key, pw->pw_name);
		strbuf_lower(&key);
		strbuf_reset(&line);
		strbuf_printf(&line, "%s:x:%lu:%lu:%s:%s:%s", pw->pw_name,
		    (unsigned long)pw->pw_uid, (unsigned long)pw->pw_gid,
		    pw->pw_gecos ? pw->pw_gecos : "", pw->pw_dir ? pw->pw_dir : "",
		    pw->pw_shell ? pw->pw_shell : "");
		map_pairs_add(pairs, key.data, line.data);
	}
	endpwent();
	strbuf_free(&key);
	strbuf_free(&line);
	/* NIS-style duplicates are normal: no warning */
	map_pairs_sort(pairs, NULL);
	map->ops = &map_pairs_ops;
	map->data = pairs;
	return (0);
}
