/*
 * delete - sluice-map -d: remove one key from a compiled lmdb: table.
 *
 * The key is deleted in place, in one transaction under the table's
 * exclusive lock (lib/maps/map_lmdb_update.c), so daemons reading the table
 * see it with the key or without it, never a half-written file, and the
 * next lookup already misses it.  As with postmap -d, the text source is
 * not edited: the next compile brings the key back if it is still there.
 */
#include <lmdb.h>
#include <string.h>

#include "map_lmdb_update.h"
#include "sluice_map.h"
#include "strbuf.h"

#define DELETE_KEY_MAX	511	/* longer keys are never stored */

struct delete_job {
	MDB_val	key;
	int	found;
};

/* delete_in_txn - a map_lmdb_update_fn: remove the key if it is there */
static int
delete_in_txn(MDB_txn *txn, MDB_dbi dbi, void *ctx)
{
	struct delete_job *job = ctx;
	int rc = mdb_del(txn, dbi, &job->key, NULL);

	if (rc == MDB_NOTFOUND)
		return (0);
	if (rc == 0)
		job->found = 1;
	return (rc);
}

/* map_delete_key - see sluice_map.h */
int
map_delete_key(const char *source_path, const char *key, struct strbuf *err)
{
	struct strbuf table, folded;
	struct delete_job job;
	int result;

	strbuf_init(&table);
	strbuf_init(&folded);
	strbuf_printf(&table, "%s.lmdb", source_path);
	strbuf_set(&folded, key);
	strbuf_lower(&folded);
	if (folded.len == 0 || folded.len > DELETE_KEY_MAX) {
		result = 0;
	} else {
		job.key.mv_data = folded.data;
		job.key.mv_size = folded.len;
		job.found = 0;
		result = map_lmdb_update(table.data, MAP_LMDB_KEEP_MODE, 0,
		    delete_in_txn, &job, err) != 0 ? -1 : job.found;
	}
	strbuf_free(&table);
	strbuf_free(&folded);
	return (result);
}
