/*
 * newaliases - compile the alias tables of an instance.
 *
 * Every lmdb: table named in alias_maps (hash: and btree: too, the names
 * a Postfix main.cf uses for the same thing) is rebuilt from its text
 * source in the aliases(5) format.  Other table types need no compiling
 * and are skipped.  map_lmdb_build changes each table in one transaction
 * that local(8)'s lookups wait for: it sees the old table or the new
 * one, and the new one from its next lookup on.  sendmail -bi and the newaliases name of sendmail run
 * "sluice-map -c DIR -N", which ends up here.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_programs.h"
#include "config.h"
#include "maps.h"
#include "msg.h"
#include "sluice_map.h"
#include "strbuf.h"
#include "strlist.h"

/* compiled_name - the file of an lmdb:, hash: or btree: spec, else NULL */
static const char *
compiled_name(const char *spec)
{
	static const char *types[] = {"lmdb:", "hash:", "btree:"};

	if (strncasecmp(spec, "proxy:", 6) == 0)
		spec += 6;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strncasecmp(spec, types[i], strlen(types[i])) == 0)
			return (spec + strlen(types[i]));
	return (NULL);
}

/* newaliases - rebuild each compiled alias table; the number of failures */
int
newaliases(struct config *cfg)
{
	struct map_settings set;
	struct strlist tables;
	struct strbuf err;
	int failed = 0;

	strlist_init(&tables);
	strbuf_init(&err);
	memset(&set, 0, sizeof(set));
	if (config_table_read(cfg, sluice_map_params, &set, &err) > 0) {
		msg_error("%s", err.data);
		strbuf_free(&err);
		return (1);
	}
	if (map_split_braced(set.alias_maps, &tables) != 0) {
		msg_error("alias_maps: unbalanced braces");
		failed++;
	}
	for (size_t i = 0; i < tables.count; i++) {
		const char *spec = tables.items[i], *name;

		if ((name = compiled_name(spec)) == NULL)
			continue;
		if (*name == 0) {
			msg_error("alias_maps: table \"%s\" has no file name", spec);
			failed++;
			continue;
		}
		strbuf_reset(&err);
		if (map_lmdb_build(name, MAP_SOURCE_ALIASES, &err) != 0) {
			msg_error("%s", err.data);
			failed++;
		}
	}
	strbuf_free(&err);
	strlist_free(&tables);
	config_table_release(sluice_map_params, &set);
	return (failed);
}
