/*
 * map_lmdb - "lmdb:/path", the compiled file /path.lmdb.
 *
 * A rebuilt table is written into the same file (map_lmdb_update.c), in
 * one LMDB transaction, while the writer holds an exclusive flock() on
 * the file; each lookup holds a shared flock() for its read transaction.
 * That is the coordination LMDB asks of MDB_NOLOCK users (no reader
 * inside a transaction while a writer is active), and it needs no lock
 * file, which an unprivileged or chrooted reader could not create.  So a
 * daemon's next lookup after sluice-map sees the new table, also inside a
 * chroot where the path is out of sight (it keeps using its descriptor),
 * and nothing in between is answered from the old one: a lookup during
 * the rewrite waits for it.  A table that grew past our mapping is mapped
 * again (MDB_MAP_RESIZED).  A table replaced by another file (a first
 * build, a copy from elsewhere) is noticed by its inode: reopened when
 * the path is visible, else reported by map_changed().
 *
 * hash: and btree: are Postfix's names for its Berkeley DB tables; they
 * are served by this type, so that "hash:/etc/postfix/virtual" works once
 * sluice-map has compiled /etc/postfix/virtual.lmdb.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_impl.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"

struct lmdb_map {
	char		*path;		/* NAME.lmdb */
	MDB_env		*env;
	MDB_dbi		 dbi;
	dev_t		 dev;
	ino_t		 ino;
	ino_t		 bad_ino;	/* a replacement that did not open */
};

/* lmdb_attach - open path into lm (env, dbi, identity); 0 or -1 + err */
static int
lmdb_attach(struct lmdb_map *lm, struct strbuf *err)
{
	struct stat st;
	MDB_txn *txn;
	int fd, rc;

	/* the header is read under the lock too: no half-written meta page */
	if ((fd = open(lm->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		strbuf_printf(err, "open %s: %s", lm->path, strerror(errno));
		return (-1);
	}
	if (flock(fd, LOCK_SH) != 0 || fstat(fd, &st) != 0) {
		strbuf_printf(err, "open %s: %s", lm->path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_printf(err, "open %s: not a regular file", lm->path);
		close(fd);
		return (-1);
	}
	if ((rc = mdb_env_create(&lm->env)) != 0) {
		strbuf_printf(err, "open %s: %s", lm->path, mdb_strerror(rc));
		close(fd);
		return (-1);
	}
	if ((rc = mdb_env_open(lm->env, lm->path,
	    MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0644)) != 0 ||
	    (rc = mdb_txn_begin(lm->env, NULL, MDB_RDONLY, &txn)) != 0) {
		strbuf_printf(err, "open %s: %s", lm->path, mdb_strerror(rc));
		mdb_env_close(lm->env);
		lm->env = NULL;
		close(fd);
		return (-1);
	}
	rc = mdb_dbi_open(txn, NULL, 0, &lm->dbi);
	mdb_txn_abort(txn);
	close(fd);
	if (rc != 0) {
		strbuf_printf(err, "open %s: %s", lm->path, mdb_strerror(rc));
		mdb_env_close(lm->env);
		lm->env = NULL;
		return (-1);
	}
	lm->dev = st.st_dev;
	lm->ino = st.st_ino;
	return (0);
}

/* lmdb_refresh - reopen when the file was replaced since we mapped it */
static void
lmdb_refresh(struct lmdb_map *lm)
{
	struct lmdb_map fresh;
	struct strbuf err;
	struct stat st;

	if (stat(lm->path, &st) != 0 ||
	    (st.st_dev == lm->dev && st.st_ino == lm->ino) ||
	    st.st_ino == lm->bad_ino)
		return;
	fresh = *lm;
	fresh.env = NULL;
	strbuf_init(&err);
	if (lmdb_attach(&fresh, &err) != 0) {
		/* once per replacement, not at every lookup */
		msg_warn("%s; still using the table opened earlier", err.data);
		lm->bad_ino = st.st_ino;
	} else {
		mdb_env_close(lm->env);
		*lm = fresh;
	}
	strbuf_free(&err);
}

/*
 * lmdb_changed - replaced on disk: a different inode at the path, or (when
 * the path is out of sight, e.g. after chroot) our copy has been unlinked
 */
static bool
lmdb_changed(struct map *map)
{
	struct lmdb_map *lm = map->data;
	struct stat st;
	int	 fd;

	if (stat(lm->path, &st) == 0)
		return (st.st_dev != lm->dev || st.st_ino != lm->ino);
	if (lm->env == NULL || mdb_env_get_fd(lm->env, &fd) != 0 ||
	    fstat(fd, &st) != 0)
		return (false);
	return (st.st_nlink == 0);
}

/* lmdb_begin - a read transaction; MDB_MAP_RESIZED maps the file again */
static int
lmdb_begin(struct lmdb_map *lm, MDB_txn **txn)
{
	int rc;

	rc = mdb_txn_begin(lm->env, NULL, MDB_RDONLY, txn);
	if (rc == MDB_MAP_RESIZED &&
	    (rc = mdb_env_set_mapsize(lm->env, 0)) == 0)
		rc = mdb_txn_begin(lm->env, NULL, MDB_RDONLY, txn);
	return (rc);
}

/* lmdb_lock - flock(op) on the mapped file, waiting out a signal */
static int
lmdb_lock(struct lmdb_map *lm, int op)
{
	int fd;

	if (mdb_env_get_fd(lm->env, &fd) != 0)
		return (-1);
	while (flock(fd, op) != 0)
		if (errno != EINTR)
			return (-1);
	return (0);
}

/* lmdb_lookup - one read-only transaction per lookup, under a shared lock */
static int
lmdb_lookup(struct map *map, const char *key, size_t key_len,
    struct strbuf *value)
{
	struct lmdb_map *lm = map->data;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	lmdb_refresh(lm);
	if (key_len == 0)
		return (MAP_NOTFOUND);
	if (lmdb_lock(lm, LOCK_SH) != 0) {
		msg_warn("%s: lock: %s", lm->path, strerror(errno));
		return (MAP_TEMPFAIL);
	}
	if ((rc = lmdb_begin(lm, &txn)) != 0) {
		(void)lmdb_lock(lm, LOCK_UN);
		msg_warn("%s: %s", lm->path, mdb_strerror(rc));
		return (MAP_TEMPFAIL);
	}
	k.mv_data = (void *)key;
	k.mv_size = key_len;
	rc = mdb_get(txn, lm->dbi, &k, &v);
	if (rc == 0)
		strbuf_append(value, v.mv_data, v.mv_size);
	mdb_txn_abort(txn);
	(void)lmdb_lock(lm, LOCK_UN);
	if (rc == MDB_NOTFOUND)
		return (MAP_NOTFOUND);
	if (rc != 0) {
		msg_warn("%s: lookup \"%s\": %s", lm->path, key, mdb_strerror(rc));
		return (MAP_TEMPFAIL);
	}
	return (MAP_FOUND);
}

/* lmdb_close - unmap and free */
static void
lmdb_close(struct map *map)
{
	struct lmdb_map *lm = map->data;

	if (lm->env != NULL)
		mdb_env_close(lm->env);
	free(lm->path);
	free(lm);
}

static const struct map_ops lmdb_ops = {lmdb_lookup, lmdb_close, lmdb_changed, 0};

/* map_lmdb_open - map NAME.lmdb */
int
map_lmdb_open(struct map *map, const char *name, struct strbuf *err)
{
	struct lmdb_map *lm;
	struct strbuf path;

	if (*name == 0) {
		strbuf_puts(err, "table \"lmdb:\": missing file name");
		return (-1);
	}
	strbuf_init(&path);
	strbuf_printf(&path, "%s.lmdb", name);
	lm = xcalloc(1, sizeof(*lm));
	lm->path = xstrdup(path.data);
	strbuf_free(&path);
	if (lmdb_attach(lm, err) != 0) {
		free(lm->path);
		free(lm);
		return (-1);
	}
	map->ops = &lmdb_ops;
	map->data = lm;
	return (0);
}

/* map_hash_open - hash: and btree: name what lmdb: serves */
int
map_hash_open(struct map *map, const char *name, struct strbuf *err)
{
	return (map_lmdb_open(map, name, err));
}
