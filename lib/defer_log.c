/*
 * defer_log - the per-message "why is it still waiting" file; see
 * defer_log.h for the format.
 *
 * qmgr writes it after every attempt that left recipients deferred;
 * showq, sluice-queue and qmgr itself (after a restart) read it.  The
 * file is replaced atomically, so a reader sees the old or the new
 * version, never half of one.  Reading treats the file as hostile: a
 * size limit, a line limit, strict fields, and no work quadratic in the
 * number of lines (they are appended as read; repeated offsets are
 * settled by one sort at the end, a repeated sent= line is harmless).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "defer_log.h"
#include "mem.h"
#include "queue_id.h"

#define DEFER_FILE_MAX		(16 * 1024 * 1024)
#define DEFER_ENTRY_MAX		100000

/* defer_log_init - an empty log */
void
defer_log_init(struct defer_log *log)
{
	memset(log, 0, sizeof(*log));
}

/* defer_log_free - release entries and leave log empty */
void
defer_log_free(struct defer_log *log)
{
	for (size_t i = 0; i < log->count; i++)
		free(log->entries[i].reason);
	free(log->entries);
	for (size_t i = 0; i < log->sent_count; i++)
		free(log->sent[i].address);
	free(log->sent);
	defer_log_init(log);
}

/* defer_clean_reason - one line of printable text, bounded */
static char *
defer_clean_reason(const char *reason)
{
	size_t	 len;
	char	*copy;

	len = strlen(reason ? reason : "");
	if (len > DEFER_REASON_MAX)
		len = DEFER_REASON_MAX;
	copy = xstrndup(reason ? reason : "", len);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return (copy);
}

/*
 * defer_dsn_valid - "C.D.D" with small numbers that fits the entry; the
 * class C is 2, 4 or 5 (RFC 3463)
 */
static bool
defer_dsn_valid(const char *dsn, size_t len)
{
	int	 dots = 0, digits = 0;

	if (len == 0 || len >= sizeof(((struct defer_entry *)0)->dsn) ||
	    (dsn[0] != '2' && dsn[0] != '4' && dsn[0] != '5'))
		return (false);
	for (size_t i = 0; i < len; i++) {
		if (dsn[i] == '.') {
			if (digits == 0)
				return (false);
			dots++;
			digits = 0;
		} else if (dsn[i] >= '0' && dsn[i] <= '9') {
			if (++digits > 3)
				return (false);
		} else
			return (false);
	}
	return (dots == 2 && digits > 0);
}

/* defer_log_find - the entry for offset, or NULL */
const struct defer_entry *
defer_log_find(const struct defer_log *log, off_t offset)
{
	for (size_t i = 0; i < log->count; i++)
		if (log->entries[i].offset == offset)
			return (&log->entries[i]);
	return (NULL);
}

/* room_for_one - grow *array (of *cap elements) to hold count + 1 */
static void *
room_for_one(void *array, size_t count, size_t *cap, size_t size)
{
	if (count < *cap)
		return (array);
	*cap = *cap ? 2 * *cap : 8;
	return (xrealloc(array, *cap * size));
}

/* entry_append - a new, empty entry for offset */
static struct defer_entry *
entry_append(struct defer_log *log, off_t offset)
{
	struct defer_entry *e;

	log->entries = room_for_one(log->entries, log->count,
	    &log->entries_cap, sizeof(*log->entries));
	e = &log->entries[log->count++];
	memset(e, 0, sizeof(*e));
	e->offset = offset;
	return (e);
}

/* entry_fill - the entry's reason and dsn, cleaned */
static void
entry_fill(struct defer_entry *e, const char *dsn, const char *reason)
{
	free(e->reason);
	e->reason = defer_clean_reason(reason);
	if (dsn != NULL && defer_dsn_valid(dsn, strlen(dsn)))
		snprintf(e->dsn, sizeof(e->dsn), "%s", dsn);
	else
		snprintf(e->dsn, sizeof(e->dsn), "4.0.0");
}

/* defer_log_set - add or replace the entry for offset */
void
defer_log_set(struct defer_log *log, off_t offset, const char *dsn,
    const char *reason)
{
	struct defer_entry *e = NULL;

	for (size_t i = 0; i < log->count; i++)
		if (log->entries[i].offset == offset)
			e = &log->entries[i];
	entry_fill(e != NULL ? e : entry_append(log, offset), dsn, reason);
}

/* defer_address_ok - fits a sent= line: bounded, no control characters */
static bool
defer_address_ok(const char *address)
{
	size_t	 len = 0;

	for (const unsigned char *p = (const unsigned char *)address; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || ++len > DEFER_ADDRESS_MAX)
			return (false);
	}
	return (len > 0);
}

/* defer_log_was_sent - see defer_log.h */
bool
defer_log_was_sent(const struct defer_log *log, off_t offset,
    const char *address)
{
	for (size_t i = 0; i < log->sent_count; i++)
		if (log->sent[i].offset == offset &&
		    strcasecmp(log->sent[i].address, address) == 0)
			return (true);
	return (false);
}

/* sent_append - one more delivered address, unchecked */
static void
sent_append(struct defer_log *log, off_t offset, const char *address)
{
	struct defer_sent *e;

	log->sent = room_for_one(log->sent, log->sent_count, &log->sent_cap,
	    sizeof(*log->sent));
	e = &log->sent[log->sent_count++];
	e->offset = offset;
	e->address = xstrdup(address);
}

/* defer_log_add_sent - see defer_log.h */
void
defer_log_add_sent(struct defer_log *log, off_t offset, const char *address)
{
	if (defer_address_ok(address) &&
	    !defer_log_was_sent(log, offset, address))
		sent_append(log, offset, address);
}

/* defer_path - defer/ID, or -1 for an ID that is not one */
static int
defer_path(const char *queue_id, const char *suffix, struct strbuf *path,
    struct strbuf *err)
{
	if (queue_id == NULL || !queue_id_valid(queue_id)) {
		if (err != NULL)
			strbuf_printf(err, "bad queue ID");
		return (-1);
	}
	strbuf_reset(path);
	strbuf_printf(path, "%s/%s%s", DEFER_LOG_DIR, queue_id, suffix);
	return (0);
}

/* defer_write_all - write(2) everything or fail */
static int
defer_write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* defer_log_write - replace defer/ID atomically (tmp, fsync, rename) */
int
defer_log_write(const char *queue_id, const struct defer_log *log,
    struct strbuf *err)
{
	struct strbuf path, tmp, text;
	int	 fd, rc = -1, saved;

	strbuf_init(&path);
	strbuf_init(&tmp);
	strbuf_init(&text);
	if (defer_path(queue_id, "", &path, err) < 0 ||
	    defer_path(queue_id, ".tmp", &tmp, err) < 0)
		goto out;
	strbuf_printf(&text, "warned=%d\n", log->warned ? 1 : 0);
	for (size_t i = 0; i < log->count; i++) {
		const struct defer_entry *e = &log->entries[i];

		strbuf_printf(&text, "%lld\t%s\t%s\n", (long long)e->offset,
		    e->dsn[0] ? e->dsn : "4.0.0", e->reason ? e->reason : "");
	}
	for (size_t i = 0; i < log->sent_count; i++)
		strbuf_printf(&text, "sent=%lld\t%s\n",
		    (long long)log->sent[i].offset, log->sent[i].address);
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0 && errno == EEXIST) {
		/* left over from a crash between create and rename */
		(void)unlink(tmp.data);
		fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		strbuf_printf(err, "create %s: %s", tmp.data, strerror(errno));
		goto out;
	}
	if (defer_write_all(fd, text.data, text.len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		(void)unlink(tmp.data);
		strbuf_printf(err, "write %s: %s", tmp.data, strerror(saved));
		goto out;
	}
	if (close(fd) < 0 || rename(tmp.data, path.data) < 0) {
		saved = errno;
		(void)unlink(tmp.data);
		strbuf_printf(err, "rename %s: %s", path.data, strerror(saved));
		goto out;
	}
	rc = 0;
out:
	strbuf_free(&path);
	strbuf_free(&tmp);
	strbuf_free(&text);
	return (rc);
}

/* defer_parse_offset - a decimal record offset; 0 / -1 */
static int
defer_parse_offset(const char *text, long long *off)
{
	char	*end;

	if (text[0] < '0' || text[0] > '9' || strlen(text) > 18)
		return (-1);
	errno = 0;
	*off = strtoll(text, &end, 10);
	return (errno != 0 || *end != '\0' ? -1 : 0);
}

/* defer_parse_sent - "OFFSET<TAB>ADDRESS" (after "sent=") into log */
static int
defer_parse_sent(struct defer_log *log, char *text)
{
	char	*tab;
	long long off;

	if ((tab = strchr(text, '\t')) == NULL)
		return (-1);
	*tab = '\0';
	/* defer_address_ok refuses a second tab like any control character */
	if (defer_parse_offset(text, &off) < 0 ||
	    !defer_address_ok(tab + 1) || log->sent_count >= DEFER_ENTRY_MAX)
		return (-1);
	sent_append(log, (off_t)off, tab + 1);
	return (0);
}

/* defer_parse_line - "OFFSET<TAB>DSN<TAB>REASON" into log; 0 / -1 */
static int
defer_parse_line(struct defer_log *log, char *line)
{
	char	*tab1, *tab2;
	long long off;

	if (strncmp(line, "sent=", 5) == 0)
		return (defer_parse_sent(log, line + 5));
	if ((tab1 = strchr(line, '\t')) == NULL ||
	    (tab2 = strchr(tab1 + 1, '\t')) == NULL)
		return (-1);
	*tab1 = *tab2 = '\0';
	if (defer_parse_offset(line, &off) < 0)
		return (-1);
	if (!defer_dsn_valid(tab1 + 1, strlen(tab1 + 1)))
		return (-1);
	if (log->count >= DEFER_ENTRY_MAX)
		return (-1);
	entry_fill(entry_append(log, (off_t)off), tab1 + 1, tab2 + 1);
	return (0);
}

/* by_offset_then_line - qsort order of entry_order: offset, then line */
static int
by_offset_then_line(const void *a, const void *b)
{
	const size_t *x = a, *y = b;	/* offset, line index */

	if (x[0] != y[0])
		return (x[0] < y[0] ? -1 : 1);
	return (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/*
 * entries_settle - one entry per offset, the last line read winning, as
 * defer_log_set would have had it; in O(n log n), since the lines were
 * appended without a search
 */
static void
entries_settle(struct defer_log *log)
{
	struct defer_entry *kept;
	size_t	*order, n = 0;

	if (log->count < 2)
		return;
	order = xcalloc(2 * log->count, sizeof(*order));
	for (size_t i = 0; i < log->count; i++) {
		order[2 * i] = (size_t)log->entries[i].offset;
		order[2 * i + 1] = i;
	}
	qsort(order, log->count, 2 * sizeof(*order), by_offset_then_line);
	kept = xcalloc(log->count, sizeof(*kept));
	for (size_t i = 0; i < log->count; i++) {
		struct defer_entry *e = &log->entries[order[2 * i + 1]];

		if (i + 1 < log->count && order[2 * i + 2] == order[2 * i])
			free(e->reason);	/* a later line has it */
		else
			kept[n++] = *e;
	}
	free(order);
	free(log->entries);
	log->entries = kept;
	log->entries_cap = log->count;
	log->count = n;
}

/* defer_log_read - parse defer/ID into log (reset first) */
int
defer_log_read(const char *queue_id, struct defer_log *log, struct strbuf *err)
{
	struct strbuf path;
	struct stat st;
	char	*buf = NULL, *line, *nl;
	size_t	 got = 0, lineno = 0;
	ssize_t	 n;
	int	 fd, rc = -1;

	defer_log_free(log);
	strbuf_init(&path);
	if (defer_path(queue_id, "", &path, err) < 0)
		goto out;
	if ((fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			strbuf_printf(err, "open %s: %s", path.data,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > DEFER_FILE_MAX) {
		strbuf_printf(err, "%s: not a regular file or too large",
		    path.data);
		close(fd);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if (memchr(buf, '\0', got) != NULL) {
		strbuf_printf(err, "%s: NUL byte", path.data);
		goto out;
	}
	for (line = buf; *line != '\0'; line = nl + 1) {
		lineno++;
		if ((nl = strchr(line, '\n')) == NULL) {
			strbuf_printf(err, "%s: line %zu: no newline", path.data,
			    lineno);
			goto bad;
		}
		*nl = '\0';
		if ((size_t)(nl - line) > DEFER_REASON_MAX + 64) {
			strbuf_printf(err, "%s: line %zu: too long", path.data,
			    lineno);
			goto bad;
		}
		if (lineno == 1) {
			if (strcmp(line, "warned=0") != 0 &&
			    strcmp(line, "warned=1") != 0) {
				strbuf_printf(err, "%s: bad first line",
				    path.data);
				goto bad;
			}
			log->warned = line[7] == '1';
		} else if (defer_parse_line(log, line) < 0) {
			strbuf_printf(err, "%s: line %zu: malformed", path.data,
			    lineno);
			goto bad;
		}
	}
	entries_settle(log);
	rc = 0;
	goto out;
bad:
	defer_log_free(log);
out:
	free(buf);
	strbuf_free(&path);
	return (rc);
}

/* defer_log_remove - unlink defer/ID; absent is fine */
void
defer_log_remove(const char *queue_id)
{
	struct strbuf path;

	strbuf_init(&path);
	if (defer_path(queue_id, "", &path, NULL) == 0)
		(void)unlink(path.data);
	strbuf_free(&path);
}
