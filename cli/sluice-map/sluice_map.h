/*
 * sluice_map - the pieces of the sluice-map program: compiling and
 * querying tables (main.c), deleting a key from a compiled table
 * (delete.c) and newaliases (newaliases.c).
 */
#ifndef SLUICE_MAP_PROGRAM_H
#define SLUICE_MAP_PROGRAM_H

#include "config.h"
#include "strbuf.h"

/*
 * map_delete_key - remove key from the compiled table source_path.lmdb
 * in place (under the lock the readers wait for).
 * Returns 1 when the key was there (and is gone), 0 when it was not (the
 * table is left alone), -1 with err filled on error.
 */
int	map_delete_key(const char *source_path, const char *key, struct strbuf *err);

/*
 * newaliases - compile every lmdb: (hash:, btree:) table of alias_maps in
 * the aliases(5) format.  Returns the number of tables that failed (each reported with
 * msg_error); 0 when all went well.
 */
int	newaliases(struct config *cfg);

/* What newaliases reads of main.cf (params.c, sluice_map_params). */
struct map_settings {
	char		*alias_maps;	/* as text: the tables may not exist yet */
};

#endif
