/*
 * map_text - the part that texthash:, cidr:, pcre: and regexp: tables
 * share: reading the source file at open time, and noticing later that
 * it was edited.
 *
 * Postfix reads these tables once and has the daemon restart after the
 * current session when the file changes; until then the old rules answer.
 * Here the next lookup reads the file again when its identity (device,
 * inode, size, mtime) moved, so a fixed rule takes effect at once.  A
 * daemon in a chroot cannot see the path any more; it still holds the
 * file open, so an edit in place is read through that descriptor, and a
 * file replaced by another (rename, most editors) is what map_changed()
 * reports: the daemon restarts after the session, as in Postfix.  A new
 * version that does not parse leaves the old rules in force, with one
 * warning per version (the next "sluice check" says what is wrong).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_impl.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"

struct text_id {
	dev_t		dev;
	ino_t		ino;
	off_t		size;
	struct timespec	mtime;
};

struct text_map {
	const struct map_text_type *type;
	char		*path;
	int		 fd;		/* the file the rules came from */
	struct text_id	 id;		/* ... and its identity then */
	struct text_id	 rejected;	/* a version that did not parse */
	void		*state;
};

/* text_id_of - the identity fields of st */
static struct text_id
text_id_of(const struct stat *st)
{
	struct text_id id;

	memset(&id, 0, sizeof(id));
	id.dev = st->st_dev;
	id.ino = st->st_ino;
	id.size = st->st_size;
	id.mtime = st->st_mtim;
	return (id);
}

/* text_id_same - nothing that tells an edit apart differs */
static bool
text_id_same(const struct text_id *a, const struct text_id *b)
{
	return (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec);
}

/* map_text_read - the whole file behind fd, from its start */
int
map_text_read(int fd, const char *path, size_t max, struct strbuf *text,
    struct strbuf *err)
{
	struct stat st;
	char buf[16384];
	off_t off = 0;
	ssize_t n;

	strbuf_reset(text);
	if (fstat(fd, &st) != 0) {
		strbuf_printf(err, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_printf(err, "%s: not a regular file", path);
		return (-1);
	}
	while ((n = pread(fd, buf, sizeof(buf), off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			strbuf_printf(err, "read %s: %s", path, strerror(errno));
			return (-1);
		}
		if (text->len + (size_t)n > max) {
			strbuf_printf(err, "%s: file larger than %zu bytes",
			    path, max);
			return (-1);
		}
		strbuf_append(text, buf, (size_t)n);
		off += n;
	}
	if (memchr(text->data, 0, text->len) != NULL) {
		const char *nul = memchr(text->data, 0, text->len);
		int line = 1;

		for (const char *cp = text->data; cp < nul; cp++)
			line += *cp == '\n';
		strbuf_printf(err, "%s:%d: NUL byte", path, line);
		return (-1);
	}
	return (0);
}

/* text_load - read and parse fd; the type's state or NULL + err */
static void *
text_load(const struct map_text_type *type, int fd, const char *path,
    struct strbuf *err)
{
	struct strbuf text;
	void *state = NULL;

	strbuf_init(&text);
	if (map_text_read(fd, path, MAP_TEXT_SIZE_MAX, &text, err) == 0)
		state = type->parse(text.data, path, err);
	strbuf_free(&text);
	return (state);
}

/* text_adopt - use new rules from fd (identity id); keep the old on failure */
static void
text_adopt(struct text_map *tm, int fd, const struct text_id *id)
{
	struct strbuf err;
	void *state;

	if (text_id_same(id, &tm->rejected)) {
		if (fd != tm->fd)
			close(fd);
		return;
	}
	strbuf_init(&err);
	if ((state = text_load(tm->type, fd, tm->path, &err)) == NULL) {
		msg_warn("%s; still using the %s:%s table read earlier",
		    err.data, tm->type->name, tm->path);
		tm->rejected = *id;
		if (fd != tm->fd)
			close(fd);
	} else {
		msg_info("%s:%s: read again after a change", tm->type->name,
		    tm->path);
		tm->type->free(tm->state);
		tm->state = state;
		if (fd != tm->fd)
			close(tm->fd);
		tm->fd = fd;
		tm->id = *id;
	}
	strbuf_free(&err);
}

/* text_refresh - read the file again if it changed since we read it */
static void
text_refresh(struct text_map *tm)
{
	struct stat st;
	struct text_id id;
	int fd;

	if (stat(tm->path, &st) == 0) {
		id = text_id_of(&st);
		if (text_id_same(&id, &tm->id))
			return;
		if (id.dev == tm->id.dev && id.ino == tm->id.ino) {
			text_adopt(tm, tm->fd, &id);
			return;
		}
		if ((fd = open(tm->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
			return;
		if (fstat(fd, &st) != 0) {
			close(fd);
			return;
		}
		id = text_id_of(&st);
		text_adopt(tm, fd, &id);
		return;
	}
	/* out of sight (chroot): only an edit of our own file can be read */
	if (fstat(tm->fd, &st) != 0 || st.st_nlink == 0)
		return;
	id = text_id_of(&st);
	if (!text_id_same(&id, &tm->id))
		text_adopt(tm, tm->fd, &id);
}

/* text_lookup - refresh, then ask the type */
static int
text_lookup(struct map *map, const char *key, size_t key_len,
    struct strbuf *value)
{
	struct text_map *tm = map->data;

	text_refresh(tm);
	return (tm->type->lookup(tm->state, key, key_len, value));
}

/* text_changed - replaced while we cannot see the path to read it again */
static bool
text_changed(struct map *map)
{
	struct text_map *tm = map->data;
	struct stat st;

	if (stat(tm->path, &st) == 0)
		return (false);		/* the next lookup reads it */
	return (fstat(tm->fd, &st) == 0 && st.st_nlink == 0);
}

/* text_close - the rules and the file */
static void
text_close(struct map *map)
{
	struct text_map *tm = map->data;

	tm->type->free(tm->state);
	close(tm->fd);
	free(tm->path);
	free(tm);
}

static const struct map_ops text_ops = {text_lookup, text_close, text_changed, 0};
static const struct map_ops text_pattern_ops = {text_lookup, text_close,
	text_changed, MAP_OPS_PATTERN};

/* map_text_open - read and parse path with type */
int
map_text_open(struct map *map, const char *path,
    const struct map_text_type *type, struct strbuf *err)
{
	struct text_map *tm;
	struct stat st;
	int fd;

	if (*path == 0) {
		strbuf_printf(err, "table \"%s:\": missing file name", type->name);
		return (-1);
	}
	/* O_NONBLOCK: a FIFO planted at the path must not hang the open */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		strbuf_printf(err, "open %s: %s", path, strerror(errno));
		return (-1);
	}
	tm = xcalloc(1, sizeof(*tm));
	tm->type = type;
	tm->path = xstrdup(path);
	tm->fd = fd;
	if (fstat(fd, &st) != 0 ||
	    (tm->state = text_load(type, fd, path, err)) == NULL) {
		if (err->len == 0)
			strbuf_printf(err, "%s: %s", path, strerror(errno));
		close(fd);
		free(tm->path);
		free(tm);
		return (-1);
	}
	tm->id = text_id_of(&st);
	map->ops = (type->flags & MAP_OPS_PATTERN) ? &text_pattern_ops : &text_ops;
	map->data = tm;
	return (0);
}
