/*
 * map_build - compile a text table into NAME.lmdb (newaliases, sluice
 * init, later sluice-map).
 *
 * The whole source is parsed first, so a syntax error leaves the old
 * table untouched.  An existing table gets its new entries in place, in
 * one transaction under the file lock that the readers' lookups wait for
 * (map_lmdb_update.c): a running daemon's next lookup sees the new table,
 * never a mixture and never a refusal in between.  A new table is written
 * to a temporary file created with O_EXCL next to the target, synced, and
 * renamed to NAME.lmdb, the directory synced too.
 *
 * Source formats: map_source.c.  Keys are folded to lower case; when a
 * key repeats the later line wins, with a warning.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dir_sync.h"
#include "map_impl.h"
#include "map_lmdb_update.h"
#include "map_source.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"

#define BUILD_LINE_MAX	(1024 * 1024)		/* one logical line */
#define BUILD_SOURCE_MAX ((size_t)512 * 1024 * 1024)	/* the source file */

struct build_entry {
	char	*key;
	char	*value;
	long	 line;
	int	 warned;
};

struct build_entries {
	struct build_entry	*items;
	size_t			 count;
	size_t			 cap;
};

/* entries_free - release parsed entries */
static void
entries_free(struct build_entries *e)
{
	for (size_t i = 0; i < e->count; i++) {
		free(e->items[i].key);
		free(e->items[i].value);
	}
	free(e->items);
}

/* entry_add - collect one parsed entry (map_source_add_fn) */
static int
entry_add(void *ctx, const char *key, const char *value, int lineno)
{
	struct build_entries *e = ctx;

	if (e->count == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->items = xrealloc(e->items, e->cap * sizeof(*e->items));
	}
	e->items[e->count].key = xstrdup(key);
	e->items[e->count].value = xstrdup(value);
	e->items[e->count].line = lineno;
	e->items[e->count].warned = 0;
	e->count++;
	return (0);
}

/* parse_source - read fd whole and parse every logical line */
static int
parse_source(int fd, const char *path, enum map_source_format format,
    struct build_entries *e, struct strbuf *err)
{
	struct strbuf text;
	int rc;

	strbuf_init(&text);
	rc = map_text_read(fd, path, BUILD_SOURCE_MAX, &text, err);
	if (rc == 0)
		rc = map_source_parse(text.data, path, format, BUILD_LINE_MAX,
		    entry_add, e, err);
	strbuf_free(&text);
	return (rc);
}

struct build_job {
	const char		*path;		/* the source, for warnings */
	struct build_entries	*entries;
};

/*
 * put_entries - empty the table, then store every entry (a
 * map_lmdb_update_fn); of repeated keys the later line wins
 */
static int
put_entries(MDB_txn *txn, MDB_dbi dbi, void *ctx)
{
	struct build_job *job = ctx;
	struct build_entries *e = job->entries;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_drop(txn, dbi, 0)) != 0)
		return (rc);
	for (size_t i = 0; i < e->count; i++) {
		k.mv_data = e->items[i].key;
		k.mv_size = strlen(e->items[i].key);
		v.mv_data = e->items[i].value;
		v.mv_size = strlen(e->items[i].value);
		rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST) {
			if (!e->items[i].warned)
				msg_warn("%s:%ld: duplicate entry \"%s\": "
				    "the later value wins", job->path,
				    e->items[i].line, e->items[i].key);
			e->items[i].warned = 1;
			/* MDB_KEYEXIST pointed v at the old value */
			v.mv_data = e->items[i].value;
			v.mv_size = strlen(e->items[i].value);
			rc = mdb_put(txn, dbi, &k, &v, 0);
		}
		if (rc != 0)
			return (rc);
	}
	return (0);
}

/* entries_size - what the entries take, roughly, to size the map */
static size_t
entries_size(const struct build_entries *e)
{
	size_t total = 0;

	for (size_t i = 0; i < e->count; i++)
		total += strlen(e->items[i].key) + strlen(e->items[i].value) + 64;
	return (total);
}

/*
 * create_table - a table that does not exist yet: written into a new
 * file created with O_EXCL, synced, and renamed into place, so that the
 * name never shows a half-built file.  mode is the source's.
 */
static int
create_table(const char *final, struct build_job *job, mode_t mode,
    struct strbuf *err)
{
	struct strbuf tmp;
	int fd, rc;

	strbuf_init(&tmp);
	strbuf_printf(&tmp, "%s.tmpXXXXXX", final);
	if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0) {
		strbuf_printf(err, "create %s: %s", tmp.data, strerror(errno));
		strbuf_free(&tmp);
		return (-1);
	}
	/* readers need what they could read of the source, nothing more */
	(void)fchmod(fd, mode & 0666);
	if (map_lmdb_update(tmp.data, MAP_LMDB_KEEP_MODE,
	    entries_size(job->entries), put_entries,
	    job, err) != 0) {
		rc = -1;
	} else if (fsync(fd) != 0 || rename(tmp.data, final) != 0) {
		strbuf_printf(err, "install %s: %s", final, strerror(errno));
		rc = -1;
	} else {
		rc = 0;
		if (dir_sync_parent(final) != 0)
			msg_warn("fsync directory of %s: %s", final,
			    strerror(errno));
	}
	if (rc != 0)
		(void)unlink(tmp.data);
	close(fd);
	strbuf_free(&tmp);
	return (rc);
}

/* map_lmdb_build - parse, then replace the table's entries or create it */
int
map_lmdb_build(const char *source_path, enum map_source_format format,
    struct strbuf *err)
{
	struct build_entries entries = {NULL, 0, 0};
	struct build_job job = {source_path, &entries};
	struct strbuf final;
	struct stat st, db;
	int fd, rc;

	if ((fd = open(source_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		strbuf_printf(err, "open %s: %s", source_path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		strbuf_printf(err, "%s: not a regular file", source_path);
		close(fd);
		return (-1);
	}
	rc = parse_source(fd, source_path, format, &entries, err);
	close(fd);
	if (rc != 0) {
		entries_free(&entries);
		return (-1);
	}
	strbuf_init(&final);
	strbuf_printf(&final, "%s.lmdb", source_path);
	/* lstat: a link planted at the name must not be followed (below) */
	if (lstat(final.data, &db) == 0) {
		rc = map_lmdb_update(final.data, st.st_mode & 0666,
		    entries_size(&entries), put_entries, &job, err);
		/* damaged, or not LMDB at all: a new file, as for a first build */
		if (rc == MAP_LMDB_UNUSABLE && S_ISREG(db.st_mode)) {
			msg_warn("%s; writing a new table", err->data);
			strbuf_reset(err);
			rc = create_table(final.data, &job, st.st_mode, err);
		}
	} else if (errno == ENOENT)
		rc = create_table(final.data, &job, st.st_mode, err);
	else {
		strbuf_printf(err, "%s: %s", final.data, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		rc = -1;
	strbuf_free(&final);
	entries_free(&entries);
	return (rc);
}
