/*
 * map_build - compile a text table into NAME.lmdb (newaliases, sluice
 * init, later sluice-map).
 *
 * The whole source is parsed first, so a syntax error leaves the old
 * table untouched.  The new table is written to a temporary file created
 * with O_EXCL next to the target, committed and fsync()ed, then renamed
 * over NAME.lmdb and the directory fsync()ed: readers see the old table or
 * the new one, never a mixture (map_lmdb.c notices the new inode).
 *
 * Source formats (Postfix compatible): lines whose first non-blank is '#'
 * and blank lines are ignored; a line starting with white space continues
 * the previous logical line.  TABLE: "key whitespace value".  ALIASES:
 * "name: value, value...".  Keys are folded to lower case; when a key
 * repeats the later line wins, with a warning.
 */
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
#include "map_impl.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"

#define BUILD_LINE_MAX	(1024 * 1024)		/* one logical line */
#define BUILD_MAPSIZE_MIN ((size_t)16 * 1024 * 1024)
#define BUILD_MAPSIZE_MAX ((size_t)1 << 36)

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

/* parse_logical - one logical line into an entry; 0 or -1 + err */
static int
parse_logical(const char *path, enum map_source_format format,
    struct strbuf *text, long line, struct build_entries *e,
    struct strbuf *err)
{
	struct strbuf key;
	const char *cp = text->data, *sep;
	size_t klen;

	if (format == MAP_SOURCE_ALIASES) {
		if ((sep = strchr(cp, ':')) == NULL) {
			strbuf_printf(err, "%s, line %ld: expected format: "
			    "name: value", path, line);
			return (-1);
		}
	} else {
		sep = cp + strcspn(cp, " \t");
	}
	strbuf_init(&key);
	strbuf_append(&key, cp, sep - cp);
	strbuf_trim(&key);
	klen = strcspn(key.data, " \t");
	cp = sep + (*sep == ':');
	cp += strspn(cp, " \t");
	if (key.len == 0 || klen != key.len || *cp == 0) {
		strbuf_printf(err, "%s, line %ld: expected format: %s", path,
		    line, format == MAP_SOURCE_ALIASES ? "name: value" :
		    "key whitespace value");
		strbuf_free(&key);
		return (-1);
	}
	if (key.len > MAP_KEY_MAX) {
		strbuf_printf(err, "%s, line %ld: key longer than %d bytes",
		    path, line, MAP_KEY_MAX);
		strbuf_free(&key);
		return (-1);
	}
	strbuf_lower(&key);
	if (e->count == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->items = xrealloc(e->items, e->cap * sizeof(*e->items));
	}
	e->items[e->count].key = strbuf_detach(&key);
	e->items[e->count].value = xstrdup(cp);
	e->items[e->count].line = line;
	e->items[e->count].warned = 0;
	e->count++;
	strbuf_free(&key);
	return (0);
}

/* parse_source - read every logical line of fp */
static int
parse_source(FILE *fp, const char *path, enum map_source_format format,
    struct build_entries *e, struct strbuf *err)
{
	struct strbuf logical;
	char *buf = NULL;
	size_t bufsize = 0;
	ssize_t n;
	long lineno = 0, start = 0;
	int rc = 0;

	strbuf_init(&logical);
	while (rc == 0 && (n = getline(&buf, &bufsize, fp)) >= 0) {
		lineno++;
		if (memchr(buf, 0, n) != NULL) {
			strbuf_printf(err, "%s, line %ld: NUL byte", path, lineno);
			rc = -1;
			break;
		}
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
			buf[--n] = 0;
		char *text = buf + strspn(buf, " \t");

		if (*text == 0 || *text == '#')
			continue;
		if (text != buf) {
			if (logical.len == 0) {
				strbuf_printf(err, "%s, line %ld: continuation "
				    "line without a preceding line", path, lineno);
				rc = -1;
				break;
			}
			strbuf_putc(&logical, ' ');
			strbuf_puts(&logical, text);
		} else {
			if (logical.len > 0)
				rc = parse_logical(path, format, &logical, start,
				    e, err);
			strbuf_set(&logical, text);
			start = lineno;
		}
		if (rc == 0 && logical.len > BUILD_LINE_MAX) {
			strbuf_printf(err, "%s, line %ld: logical line longer than "
			    "%d bytes", path, start, BUILD_LINE_MAX);
			rc = -1;
		}
	}
	if (rc == 0 && ferror(fp)) {
		strbuf_printf(err, "read %s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && logical.len > 0)
		rc = parse_logical(path, format, &logical, start, e, err);
	free(buf);
	strbuf_free(&logical);
	return (rc);
}

/* write_entries - one transaction with every entry; MDB error code */
static int
write_entries(const char *tmp, size_t mapsize, const char *path,
    struct build_entries *e)
{
	MDB_env *env;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0)
		return (rc);
	if ((rc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
	    (rc = mdb_env_open(env, tmp, MDB_NOSUBDIR | MDB_NOLOCK, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
		goto out;
	for (size_t i = 0; i < e->count; i++) {
		k.mv_data = e->items[i].key;
		k.mv_size = strlen(e->items[i].key);
		v.mv_data = e->items[i].value;
		v.mv_size = strlen(e->items[i].value);
		rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST) {
			if (!e->items[i].warned)
				msg_warn("%s, line %ld: duplicate entry \"%s\": "
				    "the later value wins", path, e->items[i].line,
				    e->items[i].key);
			e->items[i].warned = 1;
			/* MDB_KEYEXIST pointed v at the old value */
			v.mv_data = e->items[i].value;
			v.mv_size = strlen(e->items[i].value);
			rc = mdb_put(txn, dbi, &k, &v, 0);
		}
		if (rc != 0)
			goto out;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc == 0)
		rc = mdb_env_sync(env, 1);
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	mdb_env_close(env);
	return (rc);
}

/* map_lmdb_build - parse, write to a temporary file, rename into place */
int
map_lmdb_build(const char *source_path, enum map_source_format format,
    struct strbuf *err)
{
	struct build_entries entries = {NULL, 0, 0};
	struct strbuf tmp, final;
	struct stat st;
	size_t mapsize;
	FILE *fp;
	int fd, rc;

	if ((fd = open(source_path, O_RDONLY | O_CLOEXEC)) < 0) {
		strbuf_printf(err, "open %s: %s", source_path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		strbuf_printf(err, "%s: not a regular file", source_path);
		close(fd);
		return (-1);
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		strbuf_printf(err, "open %s: %s", source_path, strerror(errno));
		close(fd);
		return (-1);
	}
	rc = parse_source(fp, source_path, format, &entries, err);
	fclose(fp);
	if (rc != 0) {
		entries_free(&entries);
		return (-1);
	}

	strbuf_init(&tmp);
	strbuf_init(&final);
	strbuf_printf(&final, "%s.lmdb", source_path);
	strbuf_printf(&tmp, "%s.lmdb.tmpXXXXXX", source_path);
	if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0) {
		strbuf_printf(err, "create %s: %s", tmp.data, strerror(errno));
		rc = -1;
		goto out;
	}
	/* readers need what they could read of the source, nothing more */
	(void)fchmod(fd, st.st_mode & 0666);
	mapsize = (size_t)st.st_size * 4;
	if (mapsize < BUILD_MAPSIZE_MIN)
		mapsize = BUILD_MAPSIZE_MIN;
	while ((rc = write_entries(tmp.data, mapsize, source_path, &entries)) ==
	    MDB_MAP_FULL && mapsize < BUILD_MAPSIZE_MAX) {
		mapsize *= 2;
		if (ftruncate(fd, 0) != 0) {
			rc = errno;
			break;
		}
	}
	if (rc != 0) {
		strbuf_printf(err, "write %s: %s", tmp.data, mdb_strerror(rc));
		rc = -1;
	} else if (fsync(fd) != 0 || rename(tmp.data, final.data) != 0) {
		strbuf_printf(err, "install %s: %s", final.data, strerror(errno));
		rc = -1;
	} else if (dir_sync_parent(final.data) != 0) {
		msg_warn("fsync directory of %s: %s", final.data, strerror(errno));
	}
	if (rc != 0)
		(void)unlink(tmp.data);
	close(fd);
out:
	strbuf_free(&tmp);
	strbuf_free(&final);
	entries_free(&entries);
	return (rc);
}
