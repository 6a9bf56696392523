/*
 * newaliases - compile the alias tables of an instance.
 *
 * Every lmdb: table named in alias_maps is rebuilt from its text source
 * in the aliases(5) format.  Other table types need no compiling and are
 * skipped.  map_lmdb_build replaces each table atomically, so running
 * this while local(8) has the tables open is safe: it sees the old table
 * or the new one.  sendmail -bi and the newaliases name of sendmail run
 * "sluice-map -c DIR -N", which ends up here.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "maps.h"
#include "msg.h"
#include "sluice_map.h"
#include "strbuf.h"
#include "strlist.h"

/*
 * split_tables - the table specs of a map list: separators ", \t\r\n",
 * except inside braces (inline:{a=b, c=d} is one table).
 */
static void
split_tables(const char *text, struct strlist *out)
{
	struct strbuf item;
	int depth = 0;

	strbuf_init(&item);
	for (const char *cp = text;; cp++) {
		if (*cp == 0 || (depth == 0 && strchr(", \t\r\n", *cp) != NULL)) {
			if (item.len > 0)
				strlist_add(out, item.data);
			strbuf_reset(&item);
			if (*cp == 0)
				break;
			continue;
		}
		if (*cp == '{')
			depth++;
		else if (*cp == '}' && depth > 0)
			depth--;
		strbuf_putc(&item, *cp);
	}
	strbuf_free(&item);
}

/* newaliases - rebuild each lmdb: alias table; the number of failures */
int
newaliases(struct config *cfg)
{
	struct strlist tables;
	struct strbuf err;
	int failed = 0;

	strlist_init(&tables);
	strbuf_init(&err);
	split_tables(config_get(cfg, "alias_maps"), &tables);
	for (size_t i = 0; i < tables.count; i++) {
		const char *spec = tables.items[i];

		if (strncasecmp(spec, "lmdb:", 5) != 0)
			continue;
		if (spec[5] == 0) {
			msg_warn("alias_maps: table \"%s\" has no file name", spec);
			failed++;
			continue;
		}
		strbuf_reset(&err);
		if (map_lmdb_build(spec + 5, MAP_SOURCE_ALIASES, &err) != 0) {
			msg_warn("%s", err.data);
			failed++;
		}
	}
	strbuf_free(&err);
	strlist_free(&tables);
	return (failed);
}
