/*
 * config_edit - edit main.cf definitions in place (see config_edit.h).
 *
 * The text is walked line by line, classifying each as blank, comment,
 * definition or continuation exactly as config.c's reader does, so the
 * edited file means what the reader will see: the edited value once, and
 * every other line byte for byte.  The file variant writes a sibling
 * temporary file and renames it, so readers (daemons reloading, a
 * concurrent sluice-conf) see the old file or the new one.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dir_sync.h"
#include "config.h"
#include "config_edit.h"
#include "mem.h"
#include "strbuf.h"

#define EDIT_NAME_MAX	256

/* name_valid - [A-Za-z0-9_]+, as config.c accepts */
static bool
name_valid(const char *name, size_t len)
{
	if (len == 0 || len > EDIT_NAME_MAX)
		return (false);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return (false);
	return (true);
}

/* value_valid - one line of text: no line break, no NUL */
static bool
value_valid(const char *value)
{
	return (strpbrk(value, "\r\n") == NULL);
}

/* config_edit_parse - "name = value" into its parts */
int
config_edit_parse(const char *arg, struct strbuf *name, struct strbuf *value,
    struct strbuf *err)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL) {
		strbuf_printf(err, "%s: expected name=value", arg);
		return (-1);
	}
	strbuf_reset(name);
	strbuf_append(name, arg, (size_t)(eq - arg));
	strbuf_trim(name);
	strbuf_set(value, eq + 1);
	strbuf_trim(value);
	if (!name_valid(name->data, name->len)) {
		strbuf_printf(err, "%s: bad parameter name", arg);
		return (-1);
	}
	if (!value_valid(value->data)) {
		strbuf_printf(err, "%s: the value must be one line", name->data);
		return (-1);
	}
	return (0);
}

/* find_edit - the last edit of name (len bytes), or NULL */
static const struct config_edit *
find_edit(const struct config_edit *edits, size_t count, const char *name,
    size_t len)
{
	for (size_t i = count; i-- > 0;)
		if (strlen(edits[i].name) == len &&
		    memcmp(edits[i].name, name, len) == 0)
			return (&edits[i]);
	return (NULL);
}

/* put_definition - "name = value" as sluice-conf writes it */
static void
put_definition(struct strbuf *out, const struct config_edit *e)
{
	strbuf_printf(out, "%s =%s%s\n", e->name, *e->value ? " " : "", e->value);
}

/* config_edit_text - one pass over the lines, then the appends */
int
config_edit_text(const char *text, size_t len, const struct config_edit *edits,
    size_t count, struct strbuf *out, struct strbuf *err)
{
	const struct config_edit *e;
	const char *p = text, *end = text + len, *nl, *q;
	bool *written, dropping = false;
	size_t llen, nlen;

	for (size_t i = 0; i < count; i++) {
		if (!name_valid(edits[i].name, strlen(edits[i].name))) {
			strbuf_printf(err, "%s: bad parameter name", edits[i].name);
			return (-1);
		}
		if (edits[i].value != NULL && !value_valid(edits[i].value)) {
			strbuf_printf(err, "%s: the value must be one line",
			    edits[i].name);
			return (-1);
		}
	}
	written = xcalloc(count + 1, sizeof(*written));
	strbuf_reset(out);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		llen = nl != NULL ? (size_t)(nl + 1 - p) : (size_t)(end - p);
		for (q = p; q < p + llen && isspace((unsigned char)*q); q++)
			;
		if (q == p + llen || *q == '#') {
			/* blank or comment: kept; a continuation may follow */
		} else if (q != p) {
			if (dropping) {
				p += llen;
				continue;
			}
		} else {
			for (nlen = 0; nlen < llen && p[nlen] != '=' &&
			    p[nlen] != '\n'; nlen++)
				;
			while (nlen > 0 && isspace((unsigned char)p[nlen - 1]))
				nlen--;
			e = find_edit(edits, count, p, nlen);
			dropping = e != NULL;
			if (e != NULL) {
				if (e->value != NULL && !written[e - edits]) {
					put_definition(out, e);
					written[e - edits] = true;
				}
				p += llen;
				continue;
			}
		}
		strbuf_append(out, p, llen);
		if (nl == NULL)
			strbuf_putc(out, '\n');
		p += llen;
	}
	for (size_t i = 0; i < count; i++) {
		e = &edits[i];
		if (e->value != NULL && !written[i] &&
		    find_edit(edits, count, e->name, strlen(e->name)) == e) {
			put_definition(out, e);
			written[i] = true;
		}
	}
	free(written);
	return (0);
}

/* read_file - the whole file into text; missing = empty; 0 / -1 */
static int
read_file(const char *path, struct strbuf *text, struct stat *st, bool *exists,
    struct strbuf *err)
{
	int fd, rc;

	*exists = false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return (0);
		strbuf_printf(err, "open %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		strbuf_printf(err, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	*exists = true;
	rc = config_read_fd(fd, path, CONFIG_EDIT_FILE_MAX, text, err);
	close(fd);
	return (rc);
}

/* write_all - the whole buffer, retrying short writes */
static int
write_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, data, len)) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		data += n;
		len -= (size_t)n;
	}
	return (0);
}

/* replace_file - temporary sibling, fsync, rename, fsync the directory */
static int
replace_file(const char *path, const struct strbuf *text, const struct stat *st,
    bool exists, struct strbuf *err)
{
	struct strbuf tmp;
	int fd, rc = -1;

	strbuf_init(&tmp);
	strbuf_printf(&tmp, "%s.tmpXXXXXX", path);
	/* mkostemp opens with O_CREAT|O_EXCL, mode 0600 */
	if ((fd = mkostemp(tmp.data, O_CLOEXEC)) < 0) {
		strbuf_printf(err, "create %s: %s", tmp.data, strerror(errno));
		strbuf_free(&tmp);
		return (-1);
	}
	if (fchmod(fd, exists ? (st->st_mode & 07777) : 0644) != 0 ||
	    (exists && geteuid() == 0 && fchown(fd, st->st_uid, st->st_gid) != 0) ||
	    write_all(fd, text->data, text->len) != 0 || fsync(fd) != 0) {
		strbuf_printf(err, "write %s: %s", tmp.data, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp.data, path) != 0) {
		strbuf_printf(err, "rename %s to %s: %s", tmp.data, path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
	(void)dir_sync_parent(path);
out:
	if (rc != 0)
		(void)unlink(tmp.data);
	strbuf_free(&tmp);
	return (rc);
}

/* config_edit_file - read, edit, replace atomically */
int
config_edit_file(const char *path, const struct config_edit *edits,
    size_t count, struct strbuf *err)
{
	struct strbuf text, out;
	struct stat st;
	char real[PATH_MAX];
	const char *target = path;
	bool exists;
	int rc = -1;

	/* edit what a symbolic link points to, never replace the link */
	if (realpath(path, real) != NULL)
		target = real;
	memset(&st, 0, sizeof(st));
	strbuf_init(&text);
	strbuf_init(&out);
	if (read_file(target, &text, &st, &exists, err) == 0 &&
	    config_edit_text(text.data, text.len, edits, count, &out, err) == 0)
		rc = replace_file(target, &out, &st, exists, err);
	strbuf_free(&text);
	strbuf_free(&out);
	return (rc);
}
