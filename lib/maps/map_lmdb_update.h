/*
 * map_lmdb_update - in-place changes of a compiled lmdb: table, under an
 * exclusive flock() that the readers' shared locks wait for (see
 * map_lmdb_update.c); used by map_build.c and sluice-map -d.
 */
#ifndef SLUICE_MAP_LMDB_UPDATE_H
#define SLUICE_MAP_LMDB_UPDATE_H

#include <sys/stat.h>

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* the change itself, inside the transaction; an MDB error code */
typedef int (*map_lmdb_update_fn)(MDB_txn *txn, MDB_dbi dbi, void *ctx);

#define MAP_LMDB_KEEP_MODE	((mode_t)-1)
#define MAP_LMDB_UNUSABLE	(-2)	/* not an LMDB file, or a damaged one */

/*
 * map_lmdb_update - open the table file path (NAME.lmdb, which must
 * exist and not be a symbolic link), lock it, give it mode (unless
 * MAP_LMDB_KEEP_MODE; the source's, so that readers get what they could
 * read of the source), run fn in one write transaction and commit it
 * (synced).  need is the size the new entries take, to size the map.
 * 0, or -1 (MAP_LMDB_UNUSABLE when the file is no usable LMDB table)
 * with err filled; on error the table is as it was.
 */
int	map_lmdb_update(const char *path, mode_t mode, size_t need,
	    map_lmdb_update_fn fn, void *ctx, struct strbuf *err);

/* map_lmdb_unusable - an MDB error code that means "not a usable table" */
bool	map_lmdb_unusable(int rc);

/* map_lmdb_lock - the locked descriptor of path, or -1 with errno */
int	map_lmdb_lock(const char *path, int op, struct stat *st);

#endif
