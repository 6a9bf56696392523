/*
 * map_lmdb_update - change a compiled lmdb: table in place: replace all
 * of its entries (sluice-map, newaliases) or delete one (sluice-map -d).
 *
 * The change is one LMDB write transaction, committed and synced, made
 * while this process holds an exclusive flock() on the table file.  The
 * daemons' lookups hold a shared flock() for each read transaction
 * (map_lmdb.c), so no reader is inside a transaction while the writer
 * runs, which is what LMDB requires of MDB_NOLOCK environments; the lock
 * also makes two writers take turns.  A reader's next lookup sees the
 * new entries through the file it already has open, also in a chroot,
 * without reopening and without a window in which it answers from the
 * old table.  A crash before the commit leaves the old table whole.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <string.h>
#include <unistd.h>

#include "map_impl.h"
#include "map_lmdb_update.h"
#include "strbuf.h"

#define UPDATE_MAPSIZE_MIN	((size_t)16 * 1024 * 1024)
#define UPDATE_MAPSIZE_MAX	((size_t)1 << 36)
#define UPDATE_LOCK_TRIES	100

/*
 * map_lmdb_lock - open and lock the table file at path.  A lock won on
 * a file that was renamed away meanwhile is tried again on the new one.
 * Returns the descriptor (st filled) or -1 with errno set.
 */
int
map_lmdb_lock(const char *path, int op, struct stat *st)
{
	struct stat now;
	int fd;

	for (int tries = 0; tries < UPDATE_LOCK_TRIES; tries++) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK)) < 0)
			return (-1);
		while (flock(fd, op) != 0) {
			if (errno != EINTR) {
				close(fd);
				return (-1);
			}
		}
		if (fstat(fd, st) == 0 && S_ISREG(st->st_mode) &&
		    stat(path, &now) == 0 && now.st_ino == st->st_ino &&
		    now.st_dev == st->st_dev)
			return (fd);
		close(fd);
	}
	errno = EAGAIN;
	return (-1);
}

/* update_txn - one write transaction over the table; MDB error code */
static int
update_txn(const char *path, size_t mapsize, map_lmdb_update_fn fn, void *ctx)
{
	MDB_env *env;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0)
		return (rc);
	if ((rc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
	    (rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
		goto out;
	if ((rc = fn(txn, dbi, ctx)) != 0)
		goto out;
	/* LMDB syncs the pages, then writes the meta page with O_DSYNC */
	rc = mdb_txn_commit(txn);
	txn = NULL;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	mdb_env_close(env);
	return (rc);
}

/* map_lmdb_update - run fn in a write transaction under the lock */
int
map_lmdb_update(const char *path, mode_t mode, size_t need,
    map_lmdb_update_fn fn, void *ctx, struct strbuf *err)
{
	struct stat st;
	size_t mapsize;
	int fd, rc;

	if ((fd = map_lmdb_lock(path, LOCK_EX, &st)) < 0) {
		strbuf_printf(err, "open %s: %s", path, strerror(errno));
		return (-1);
	}
	/* on the descriptor: never a chmod through a link planted at path */
	if (mode != MAP_LMDB_KEEP_MODE && fchmod(fd, mode) != 0 &&
	    errno != EPERM) {
		strbuf_printf(err, "chmod %s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	/* the old pages stay until the commit: room for both */
	mapsize = (size_t)st.st_size + need * 2;
	if (mapsize < UPDATE_MAPSIZE_MIN)
		mapsize = UPDATE_MAPSIZE_MIN;
	while ((rc = update_txn(path, mapsize, fn, ctx)) == MDB_MAP_FULL &&
	    mapsize < UPDATE_MAPSIZE_MAX)
		mapsize *= 2;
	close(fd);
	if (rc != 0) {
		strbuf_printf(err, "update %s: %s", path, mdb_strerror(rc));
		return (map_lmdb_unusable(rc) ? MAP_LMDB_UNUSABLE : -1);
	}
	return (0);
}

/* map_lmdb_unusable - the file is no LMDB table we can write into */
bool
map_lmdb_unusable(int rc)
{
	return (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
	    rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND);
}
