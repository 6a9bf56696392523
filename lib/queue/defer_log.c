/*
 * defer_log - the per-message "why is it still waiting" file; see
 * defer_log.h for the format.
 *
 * qmgr writes it after every attempt that left recipients deferred;
 * showq, sluice-queue and qmgr itself (after a restart) read it.  The
 * file is replaced atomically, so a reader sees the old or the new
 * version, never half of one; in the middle of an attempt qmgr only
 * appends sent= lines, and a reader ignores a last line that an append
 * cut short.  Reading treats the file as hostile: a size limit, a line
 * limit, strict fields, and no work quadratic in the number of lines
 * (entries and addresses are indexed by hash tables; a repeated offset
 * replaces the entry, the last line winning; a repeated sent= line is
 * kept once).
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
#include "dsn_code.h"
#include "mem.h"
#include "queue_id.h"

/*
 * A message may have 1000 recipients that become 1000 addresses each
 * (smtpd_recipient_limit, virtual_alias_expansion_limit): the log must hold that
 * many sent= lines, or a log refused as too big would have all of them
 * delivered again.  Reading is linear, so only memory bounds them.
 */
#define DEFER_FILE_MAX		(64 * 1024 * 1024)
#define DEFER_ENTRY_MAX		100000		/* records with a reason */
#define DEFER_SENT_MAX		1000000		/* delivered addresses */

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
	htable_free(log->by_offset);
	htable_free(log->by_sent);
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

/* defer_dsn_valid - an RFC 3463 code that fits the entry */
static bool
defer_dsn_valid(const char *dsn, size_t len)
{
	return (len > 0 && len < sizeof(((struct defer_entry *)0)->dsn) &&
	    dsn_code_span(dsn, len) == len);
}

/* defer_log_find - the entry for offset, or NULL */
const struct defer_entry *
defer_log_find(const struct defer_log *log, off_t offset)
{
	const struct htable_entry *h;

	if (log->by_offset == NULL ||
	    (h = htable_find(log->by_offset, &offset, sizeof(offset))) == NULL)
		return (NULL);
	return (&log->entries[h->num]);
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

/* entry_get - the entry for offset, a new empty one when there is none */
static struct defer_entry *
entry_get(struct defer_log *log, off_t offset)
{
	struct htable_entry *h;
	struct defer_entry *e;
	bool	 added;

	if (log->by_offset == NULL)
		log->by_offset = htable_create(0, 0);
	h = htable_enter(log->by_offset, &offset, sizeof(offset), &added);
	if (!added)
		return (&log->entries[h->num]);
	log->entries = room_for_one(log->entries, log->count,
	    &log->entries_cap, sizeof(*log->entries));
	h->num = log->count;
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
	entry_fill(entry_get(log, offset), dsn, reason);
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

/*
 * sent_key - "OFFSET<TAB>address" in buf, the key of the sent= index
 * (matched case-insensitively, as addresses are); its length, 0 when it
 * does not fit (an address defer_address_ok refuses)
 */
static size_t
sent_key(char *buf, size_t size, off_t offset, const char *address)
{
	int	 n = snprintf(buf, size, "%lld\t%s", (long long)offset, address);

	return (n < 0 || (size_t)n >= size ? 0 : (size_t)n);
}

#define SENT_KEY_SIZE	(DEFER_ADDRESS_MAX + 32)

/* defer_log_was_sent - see defer_log.h */
bool
defer_log_was_sent(const struct defer_log *log, off_t offset,
    const char *address)
{
	char	 key[SENT_KEY_SIZE];
	size_t	 len;

	if (log->by_sent == NULL ||
	    (len = sent_key(key, sizeof(key), offset, address)) == 0)
		return (false);
	return (htable_find(log->by_sent, key, len) != NULL);
}

/* sent_append - one more delivered address (checked), unless it is there */
static void
sent_append(struct defer_log *log, off_t offset, const char *address)
{
	struct defer_sent *e;
	char	 key[SENT_KEY_SIZE];
	size_t	 len;
	bool	 added;

	if ((len = sent_key(key, sizeof(key), offset, address)) == 0)
		return;
	if (log->by_sent == NULL)
		log->by_sent = htable_create(0, HTABLE_NOCASE);
	(void)htable_enter(log->by_sent, key, len, &added);
	if (!added)
		return;
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
	if (defer_address_ok(address))
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

/* sent_lines - the sent= lines of log that seen (if any) lacks, to text */
static void
sent_lines(struct strbuf *text, const struct defer_log *log,
    const struct defer_log *seen)
{
	for (size_t i = 0; i < log->sent_count; i++) {
		const struct defer_sent *s = &log->sent[i];

		if (seen == NULL ||
		    !defer_log_was_sent(seen, s->offset, s->address))
			strbuf_printf(text, "sent=%lld\t%s\n",
			    (long long)s->offset, s->address);
	}
}

/* defer_format - the whole file for log, plus the addresses of more */
static void
defer_format(struct strbuf *text, const struct defer_log *log,
    const struct defer_log *more)
{
	strbuf_printf(text, "warned=%d\n", log->warned ? 1 : 0);
	for (size_t i = 0; i < log->count; i++) {
		const struct defer_entry *e = &log->entries[i];

		strbuf_printf(text, "%lld\t%s\t%s\n", (long long)e->offset,
		    e->dsn[0] ? e->dsn : "4.0.0", e->reason ? e->reason : "");
	}
	sent_lines(text, log, NULL);
	if (more != NULL)
		sent_lines(text, more, log);
}

/* defer_replace - text becomes defer/ID atomically (tmp, fsync, rename) */
static int
defer_replace(const char *queue_id, const struct strbuf *text,
    struct strbuf *err)
{
	struct strbuf path, tmp;
	int	 fd, rc = -1, saved;

	strbuf_init(&path);
	strbuf_init(&tmp);
	if (defer_path(queue_id, "", &path, err) < 0 ||
	    defer_path(queue_id, ".tmp", &tmp, err) < 0)
		goto out;
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
	if (defer_write_all(fd, text->data, text->len) < 0 || fsync(fd) < 0) {
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
	return (rc);
}

/* defer_log_write - replace defer/ID atomically (tmp, fsync, rename) */
int
defer_log_write(const char *queue_id, const struct defer_log *log,
    struct strbuf *err)
{
	struct strbuf text;
	int	 rc;

	strbuf_init(&text);
	defer_format(&text, log, NULL);
	rc = defer_replace(queue_id, &text, err);
	strbuf_free(&text);
	return (rc);
}

/*
 * defer_open_existing - defer/ID for reading and appending: a regular
 * file, never a link; -1 with errno ENOENT when there is none, -1 + err
 * for anything else
 */
static int
defer_open_existing(const struct strbuf *path, int flags, struct stat *st,
    struct strbuf *err)
{
	int	 fd;

	fd = open(path->data, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			strbuf_printf(err, "open %s: %s", path->data,
			    strerror(errno));
		return (-1);
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		strbuf_printf(err, "%s: not a regular file", path->data);
		close(fd);
		errno = EINVAL;
		return (-1);
	}
	return (fd);
}

/* defer_log_append - see defer_log.h */
int
defer_log_append(const char *queue_id, const struct defer_log *base,
    const struct defer_log *add, struct strbuf *err)
{
	struct defer_log now;
	struct strbuf path, text, ignored;
	struct stat st;
	int	 fd, rc = -1, saved;
	char	 last = 0;

	if (add->sent_count == 0)
		return (0);
	strbuf_init(&path);
	strbuf_init(&text);
	strbuf_init(&ignored);
	defer_log_init(&now);
	if (defer_path(queue_id, "", &path, err) < 0)
		goto out;
	fd = defer_open_existing(&path, O_RDWR | O_APPEND, &st, err);
	if (fd < 0 && errno != ENOENT)
		goto out;
	if (fd >= 0 && (st.st_size == 0 ||
	    pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n')) {
		/* empty or cut short: appending would glue onto a torn line */
		close(fd);
		fd = -1;
		if (defer_log_read(queue_id, &now, &ignored) == 0 &&
		    now.count + now.sent_count > 0)
			base = &now;
	}
	if (fd < 0) {
		defer_format(&text, base, add);
		rc = defer_replace(queue_id, &text, err);
		goto out;
	}
	sent_lines(&text, add, NULL);
	if (defer_write_all(fd, text.data, text.len) < 0) {
		saved = errno;
		/* no torn line stays behind for the next append */
		(void)ftruncate(fd, st.st_size);
		close(fd);
		strbuf_printf(err, "append to %s: %s", path.data,
		    strerror(saved));
		goto out;
	}
	if (close(fd) < 0) {
		strbuf_printf(err, "append to %s: %s", path.data,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	defer_log_free(&now);
	strbuf_free(&path);
	strbuf_free(&text);
	strbuf_free(&ignored);
	return (rc);
}

/* defer_log_sync - see defer_log.h */
int
defer_log_sync(const char *queue_id, struct strbuf *err)
{
	struct strbuf path;
	struct stat st;
	int	 fd, rc = -1;

	strbuf_init(&path);
	if (defer_path(queue_id, "", &path, err) < 0)
		goto out;
	if ((fd = defer_open_existing(&path, O_RDONLY, &st, err)) < 0) {
		if (errno == ENOENT)
			rc = 0;		/* gone with its message */
		goto out;
	}
	if (fdatasync(fd) < 0)
		strbuf_printf(err, "fsync %s: %s", path.data, strerror(errno));
	else
		rc = 0;
	close(fd);
out:
	strbuf_free(&path);
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
	    !defer_address_ok(tab + 1) || log->sent_count >= DEFER_SENT_MAX)
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
	/* a repeated offset replaces the entry: the last line wins */
	if (log->count >= DEFER_ENTRY_MAX &&
	    defer_log_find(log, (off_t)off) == NULL)
		return (-1);
	defer_log_set(log, (off_t)off, tab1 + 1, tab2 + 1);
	return (0);
}

/*
 * defer_log_read - parse defer/ID into log (reset first); errno tells a
 * malformed file (EBADMSG) from one that could not be read
 */
int
defer_log_read(const char *queue_id, struct defer_log *log, struct strbuf *err)
{
	struct strbuf path;
	struct stat st;
	char	*buf = NULL, *line, *nl;
	size_t	 got = 0, lineno = 0;
	ssize_t	 n;
	int	 fd, rc = -1, saved = EBADMSG;

	defer_log_free(log);
	strbuf_init(&path);
	if (defer_path(queue_id, "", &path, err) < 0)
		goto out;
	if ((fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0) {
		saved = errno == ELOOP ? EBADMSG : errno;	/* a link */
		if (errno == ENOENT)
			rc = 0;
		else
			strbuf_printf(err, "open %s: %s", path.data,
			    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		saved = errno;
		strbuf_printf(err, "fstat %s: %s", path.data, strerror(errno));
		close(fd);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > DEFER_FILE_MAX) {
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
		if (n < 0) {
			/* what could not be read is not "cut short" */
			saved = errno;
			strbuf_printf(err, "read %s: %s", path.data,
			    strerror(errno));
			close(fd);
			goto out;
		}
		if (n == 0)
			break;		/* it shrank: parse what is there */
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
			/* an append cut short (the first line never is) */
			if (lineno > 1)
				break;
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
	rc = 0;
	goto out;
bad:
	defer_log_free(log);
out:
	free(buf);
	strbuf_free(&path);
	if (rc < 0)
		errno = saved;
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
