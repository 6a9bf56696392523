/*
 * master_cf - parse master.cf, the service table of the master daemon.
 *
 * One service per logical line (comments and continuation as in main.cf):
 *	service type private unpriv chroot wakeup maxproc command [args...]
 * "-" selects a column's default.  Every error names the file and the line
 * where the service starts; nothing is half-loaded (-1 frees everything).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "logical_lines.h"
#include "mem.h"
#include "msg.h"

#define MASTER_CF_FILE_MAX	(1024 * 1024)
#define MASTER_CF_LINE_MAX	(64 * 1024)
#define MASTER_CF_FIELD_MAX	1024
#define MASTER_CF_ENTRIES_MAX	10000
#define MASTER_CF_MAXPROC_MAX	100000
#define MASTER_CF_WAKEUP_MAX	(7 * 86400)

struct master_cf_state {
	const char	*path;
	int		 default_maxproc;
	struct master_entry *entries;
	size_t		 count;
	size_t		 cap;
	struct strbuf	*err;
};

/* master_cf_bool - y, n, or "-" for the default */
static int
master_cf_bool(struct master_cf_state *st, int line, const char *column,
    const char *value, bool dflt, bool *out)
{
	if (strcmp(value, "-") == 0)
		*out = dflt;
	else if (strcmp(value, "y") == 0)
		*out = true;
	else if (strcmp(value, "n") == 0)
		*out = false;
	else {
		strbuf_printf(st->err, "%s:%d: bad %s field \"%.64s\" "
		    "(expected y, n or -)", st->path, line, column, value);
		return (-1);
	}
	return (0);
}

/* master_cf_number - a bounded decimal column, "-" for the default */
static int
master_cf_number(struct master_cf_state *st, int line, const char *column,
    const char *value, int dflt, int max, int *out)
{
	char *end;
	long n;

	if (strcmp(value, "-") == 0) {
		*out = dflt;
		return (0);
	}
	errno = 0;
	n = isdigit((unsigned char)*value) ? strtol(value, &end, 10) : -1;
	if (n < 0 || errno != 0 || *end != '\0' || n > max) {
		strbuf_printf(st->err, "%s:%d: bad %s field \"%.64s\" "
		    "(expected a number 0..%d or -)", st->path, line, column,
		    value, max);
		return (-1);
	}
	*out = (int)n;
	return (0);
}

/* master_cf_check_name - the service column, safe as a socket path */
static int
master_cf_check_name(struct master_cf_state *st, int line,
    const struct master_entry *me)
{
	const char *why = NULL;

	if (strcmp(me->type, "inet") != 0 && (strchr(me->service, '/') ||
	    strcmp(me->service, ".") == 0 || strcmp(me->service, "..") == 0))
		why = "must not be a path";
	for (const char *p = me->service; why == NULL && *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			why = "contains a control character";
	if (why == NULL && strcmp(me->type, "inet") != 0 &&
	    strcmp(me->type, "unix") != 0 && strcmp(me->type, "fifo") != 0 &&
	    strcmp(me->type, "pass") != 0 && strcmp(me->type, "unix-dgram") != 0) {
		strbuf_printf(st->err, "%s:%d: unknown service type "
		    "\"%.64s\" (expected inet, unix, unix-dgram, fifo or pass)",
		    st->path, line, me->type);
		return (-1);
	}
	if (why != NULL) {
		strbuf_printf(st->err, "%s:%d: service name \"%.64s\" %s",
		    st->path, line, me->service, why);
		return (-1);
	}
	for (size_t i = 0; i < st->count; i++) {
		if (strcmp(st->entries[i].service, me->service) == 0 &&
		    strcmp(st->entries[i].type, me->type) == 0) {
			strbuf_printf(st->err, "%s:%d: duplicate service "
			    "%s/%s (first defined at line %d)", st->path, line,
			    me->service, me->type, st->entries[i].line);
			return (-1);
		}
	}
	return (0);
}

/* master_cf_entry_free - release the strings of one entry */
static void
master_cf_entry_free(struct master_entry *me)
{
	free(me->service);
	free(me->type);
	strlist_free(&me->argv);
}

/* master_cf_parse_line - one logical line into a new entry */
static int
master_cf_parse_line(struct master_cf_state *st, const char *text, int line)
{
	struct master_entry me;
	struct strlist fields;
	char *wakeup;
	size_t len;
	int ret = -1;

	memset(&me, 0, sizeof(me));
	strlist_init(&fields);
	strlist_init(&me.argv);
	strlist_split(&fields, text, " \t\r\n");
	if (fields.count < 8) {
		strbuf_printf(st->err, "%s:%d: expected at least 8 fields "
		    "(service type private unpriv chroot wakeup maxproc "
		    "command), found %zu", st->path, line, fields.count);
		goto out;
	}
	for (size_t i = 0; i < fields.count; i++) {
		if (strlen(fields.items[i]) > MASTER_CF_FIELD_MAX) {
			strbuf_printf(st->err, "%s:%d: field %zu longer "
			    "than %d bytes", st->path, line, i + 1,
			    MASTER_CF_FIELD_MAX);
			goto out;
		}
	}
	me.service = xstrdup(fields.items[0]);
	me.type = xstrdup(fields.items[1]);
	me.line = line;
	if (master_cf_check_name(st, line, &me) != 0)
		goto out;
	/* An inet socket is never under private/: "-" means n for it. */
	if (master_cf_bool(st, line, "private", fields.items[2],
	    strcmp(me.type, "inet") != 0, &me.private_) != 0 ||
	    master_cf_bool(st, line, "unpriv", fields.items[3], true,
	    &me.unpriv) != 0 ||
	    master_cf_bool(st, line, "chroot", fields.items[4], false,
	    &me.chroot) != 0)
		goto out;
	if (me.private_ && strcmp(me.type, "inet") == 0) {
		strbuf_printf(st->err, "%s:%d: inet service %s cannot be "
		    "private", st->path, line, me.service);
		goto out;
	}
	/* Postfix's "wakeup?" (only wake a service in use) is accepted. */
	wakeup = fields.items[5];
	len = strlen(wakeup);
	if (len > 1 && wakeup[len - 1] == '?')
		wakeup[len - 1] = '\0';
	if (master_cf_number(st, line, "wakeup", wakeup, 0,
	    MASTER_CF_WAKEUP_MAX, &me.wakeup) != 0 ||
	    master_cf_number(st, line, "maxproc", fields.items[6],
	    st->default_maxproc, MASTER_CF_MAXPROC_MAX, &me.maxproc) != 0)
		goto out;
	for (size_t i = 7; i < fields.count; i++)
		strlist_add(&me.argv, fields.items[i]);
	if (st->count >= MASTER_CF_ENTRIES_MAX) {
		strbuf_printf(st->err, "%s:%d: more than %d services",
		    st->path, line, MASTER_CF_ENTRIES_MAX);
		goto out;
	}
	if (st->count == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 16;
		st->entries = xrealloc(st->entries,
		    st->cap * sizeof(*st->entries));
	}
	st->entries[st->count++] = me;
	memset(&me, 0, sizeof(me));
	ret = 0;
out:
	if (ret != 0)
		master_cf_entry_free(&me);
	strlist_free(&fields);
	return (ret);
}

/* master_cf_line - one logical line */
static int
master_cf_line(struct strbuf *line, int lineno, void *ctx)
{
	return (master_cf_parse_line(ctx, line->data, lineno));
}

/* master_cf_parse - split text into logical lines and parse each */
static int
master_cf_parse(struct master_cf_state *st, const char *text)
{
	return (logical_lines(text, st->path, "service", MASTER_CF_LINE_MAX,
	    master_cf_line, st, st->err));
}

/* master_cf_read - the whole file, bounded, without NUL bytes */
static int
master_cf_read(const char *path, struct strbuf *text, struct strbuf *err)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		strbuf_printf(err, "open %s: %s", path, strerror(errno));
		return (-1);
	}
	rc = config_read_fd(fd, path, MASTER_CF_FILE_MAX, text, err);
	close(fd);
	return (rc);
}

/* master_cf_load - parse a master.cf file into an array of entries */
int
master_cf_load(const char *path, int default_maxproc,
    struct master_entry **entries, size_t *count, struct strbuf *err)
{
	struct master_cf_state st;
	struct strbuf text;
	int ret;

	memset(&st, 0, sizeof(st));
	st.path = path;
	st.default_maxproc = default_maxproc;
	st.err = err;
	*entries = NULL;
	*count = 0;
	strbuf_init(&text);
	ret = master_cf_read(path, &text, err);
	if (ret == 0)
		ret = master_cf_parse(&st, text.data);
	strbuf_free(&text);
	if (ret != 0) {
		master_cf_free(st.entries, st.count);
		return (-1);
	}
	*entries = st.entries;
	*count = st.count;
	return (0);
}

/* master_cf_free - release what master_cf_load() returned */
void
master_cf_free(struct master_entry *entries, size_t count)
{
	for (size_t i = 0; i < count; i++)
		master_cf_entry_free(&entries[i]);
	free(entries);
}
