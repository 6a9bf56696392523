/*
 * delete - sluice-map -d: remove one key from a compiled lmdb: table.
 *
 * Like map_lmdb_build, this never touches the live file: the entries
 * minus the key are copied into a new LMDB file created with O_EXCL next
 * to the table, which is committed, fsync()ed and renamed over NAME.lmdb.
 * Daemons holding the old file keep reading it until they notice the new
 * inode (map_lmdb.c), so nobody ever reads a half-written table.  As with
 * postmap -d, the text source is not edited: the next compile brings the
 * key back if it is still there.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dir_sync.h"
#include "mem.h"
#include "msg.h"
#include "sluice_map.h"
#include "strbuf.h"

#define DELETE_MAPSIZE_MIN	((size_t)16 * 1024 * 1024)
#define DELETE_MAPSIZE_MAX	((size_t)1 << 36)

/* open_env - an LMDB environment on path; MDB error code */
static int
open_env(const char *path, size_t mapsize, unsigned flags, MDB_env **env)
{
	int rc;

	if ((rc = mdb_env_create(env)) != 0)
		return (rc);
	if ((mapsize > 0 && (rc = mdb_env_set_mapsize(*env, mapsize)) != 0) ||
	    (rc = mdb_env_open(*env, path, MDB_NOSUBDIR | MDB_NOLOCK | flags,
	    0600)) != 0) {
		mdb_env_close(*env);
		*env = NULL;
	}
	return (rc);
}

/*
 * copy_without - every entry of old except key into a fresh file tmp.
 * Returns an MDB error code; *found tells whether key was seen.
 */
static int
copy_without(MDB_env *old, const char *tmp, size_t mapsize, const MDB_val *key,
    int *found)
{
	MDB_env *env = NULL;
	MDB_txn *rtxn = NULL, *wtxn = NULL;
	MDB_cursor *cur = NULL;
	MDB_dbi rdbi, wdbi;
	MDB_val k, v;
	int rc;

	*found = 0;
	if ((rc = open_env(tmp, mapsize, 0, &env)) != 0)
		return (rc);
	if ((rc = mdb_txn_begin(old, NULL, MDB_RDONLY, &rtxn)) != 0 ||
	    (rc = mdb_dbi_open(rtxn, NULL, 0, &rdbi)) != 0 ||
	    (rc = mdb_cursor_open(rtxn, rdbi, &cur)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &wtxn)) != 0 ||
	    (rc = mdb_dbi_open(wtxn, NULL, 0, &wdbi)) != 0)
		goto out;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		if (k.mv_size == key->mv_size &&
		    memcmp(k.mv_data, key->mv_data, k.mv_size) == 0) {
			*found = 1;
			continue;
		}
		/* the old table is sorted the same way: append is safe */
		if ((rc = mdb_put(wtxn, wdbi, &k, &v, MDB_APPEND)) != 0)
			goto out;
	}
	if (rc != MDB_NOTFOUND)
		goto out;
	rc = mdb_txn_commit(wtxn);
	wtxn = NULL;
	if (rc == 0)
		rc = mdb_env_sync(env, 1);
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (wtxn != NULL)
		mdb_txn_abort(wtxn);
	if (rtxn != NULL)
		mdb_txn_abort(rtxn);
	mdb_env_close(env);
	return (rc);
}

/*
 * lock_table - open and flock the current table file.  One deleter at a
 * time, or two could each drop the other's change; a lock won on a file
 * that was renamed away meanwhile is retried on the new one.
 */
static int
lock_table(const char *path, struct stat *st)
{
	struct stat now;
	int fd;

	for (int tries = 0; tries < 100; tries++) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
			return (-1);
		if (flock(fd, LOCK_EX) != 0 || fstat(fd, st) != 0) {
			close(fd);
			return (-1);
		}
		if (stat(path, &now) == 0 && now.st_ino == st->st_ino &&
		    now.st_dev == st->st_dev)
			return (fd);
		close(fd);
	}
	errno = EAGAIN;
	return (-1);
}

/* map_delete_key - copy the table without key, then rename it into place */
int
map_delete_key(const char *source_path, const char *key, struct strbuf *err)
{
	struct strbuf table, tmp, folded;
	MDB_env *old = NULL;
	MDB_val k;
	struct stat st;
	size_t mapsize;
	int fd = -1, lockfd = -1, rc, found = 0, result = -1;

	strbuf_init(&table);
	strbuf_init(&tmp);
	strbuf_init(&folded);
	strbuf_printf(&table, "%s.lmdb", source_path);
	strbuf_set(&folded, key);
	strbuf_lower(&folded);
	if (folded.len == 0 || folded.len > 511) {
		/* such keys are never stored, so never found */
		result = 0;
		goto out;
	}
	if ((lockfd = lock_table(table.data, &st)) < 0) {
		strbuf_printf(err, "open %s: %s", table.data, strerror(errno));
		goto out;
	}
	if ((rc = open_env(table.data, 0, MDB_RDONLY, &old)) != 0) {
		strbuf_printf(err, "open %s: %s", table.data, mdb_strerror(rc));
		goto out;
	}
	strbuf_printf(&tmp, "%s.tmpXXXXXX", table.data);
	if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0) {
		strbuf_printf(err, "create %s: %s", tmp.data, strerror(errno));
		goto out;
	}
	(void)fchmod(fd, st.st_mode & 0666);
	if (geteuid() == 0)
		(void)fchown(fd, st.st_uid, st.st_gid);
	k.mv_data = folded.data;
	k.mv_size = folded.len;
	mapsize = (size_t)st.st_size * 2;
	if (mapsize < DELETE_MAPSIZE_MIN)
		mapsize = DELETE_MAPSIZE_MIN;
	while ((rc = copy_without(old, tmp.data, mapsize, &k, &found)) ==
	    MDB_MAP_FULL && mapsize < DELETE_MAPSIZE_MAX) {
		mapsize *= 2;
		if (ftruncate(fd, 0) != 0) {
			rc = errno;
			break;
		}
	}
	if (rc != 0) {
		strbuf_printf(err, "write %s: %s", tmp.data, mdb_strerror(rc));
	} else if (!found) {
		result = 0;
	} else if (fsync(fd) != 0 || rename(tmp.data, table.data) != 0) {
		strbuf_printf(err, "install %s: %s", table.data, strerror(errno));
	} else {
		if (dir_sync_parent(table.data) != 0)
			msg_warn("fsync directory of %s: %s", table.data,
			    strerror(errno));
		result = 1;
	}
	if (result != 1)
		(void)unlink(tmp.data);
out:
	if (fd >= 0)
		close(fd);
	if (old != NULL)
		mdb_env_close(old);
	if (lockfd >= 0)
		close(lockfd);
	strbuf_free(&table);
	strbuf_free(&tmp);
	strbuf_free(&folded);
	return (result);
}
