/*
 * queue_file_read - the reading half of queue_file(3).
 *
 * Queue files are input like any other: a crash, a full disk or a hostile
 * local user can leave anything in them.  Every record's type, length and
 * position in the record order (V T Z S, then A/R/D, then M, C..., then
 * optionally X and more A/R/D, then E) is
 * checked, and a record running past the end of the file makes the whole
 * file malformed.  The envelope is read through one large read-ahead
 * buffer; content records are only stepped over, and streamed later by
 * queue_file_read_content().  A file that simply stops early (no E, or
 * mode still 0600) is not malformed, just incomplete.  A read that fails
 * (EIO, or the file shrank under us) says nothing about the file: it is
 * reported as QUEUE_FILE_IO_ERROR so that callers retry it later instead
 * of taking an acknowledged message for corrupt or unfinished.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "queue_file.h"

#define QF_HEADER_LEN	5
#define QF_SIZE_DIGITS	20
#define QF_READAHEAD	(256 * 1024)
#define QF_NOTIFY_DIGITS 5

/* A window of the file, refilled with pread() as parsing moves on. */
struct qf_input {
	int		 fd;
	off_t		 size;
	unsigned char	*buf;
	size_t		 cap;
	off_t		 base;		/* file offset of buf[0] */
	size_t		 len;		/* valid bytes in buf */
	bool		 io_error;	/* a read failed: not the file's fault */
	int		 io_errno;
};

/* Record order state while parsing an envelope. */
enum qf_stage {
	QF_START, QF_HAVE_V, QF_HAVE_T, QF_HAVE_Z, QF_ENVELOPE, QF_CONTENT,
	QF_EXTRACTED, QF_END
};

/* get_u32 - big-endian record length */
static uint32_t
get_u32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

/* input_get - need bytes at pos, from the window or a fresh read */
static const unsigned char *
input_get(struct qf_input *in, off_t pos, size_t need)
{
	size_t want, got = 0;
	ssize_t n = 0;

	if (pos >= in->base && pos - in->base <= (off_t)in->len &&
	    need <= in->len - (size_t)(pos - in->base))
		return (in->buf + (pos - in->base));
	if (pos < 0 || pos > in->size || (off_t)need > in->size - pos) {
		errno = EIO;
		return (NULL);
	}
	want = need > QF_READAHEAD ? need : QF_READAHEAD;
	if ((off_t)want > in->size - pos)
		want = (size_t)(in->size - pos);
	if (want > in->cap || in->buf == NULL) {
		free(in->buf);
		in->cap = want > 0 ? want : 1;
		in->buf = xmalloc(in->cap);
	}
	in->len = 0;
	in->base = pos;
	while (got < want) {
		n = pread(in->fd, in->buf + got, want - got, pos + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	in->len = got;
	if (got < need) {
		/* pread failed, or the file shrank under us */
		if (n == 0)
			errno = EIO;
		in->io_error = true;
		in->io_errno = errno;
		return (NULL);
	}
	return (in->buf);
}

/* all_digits - len bytes of [0-9], len > 0 */
static bool
all_digits(const unsigned char *p, size_t len)
{
	if (len == 0)
		return (false);
	for (size_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return (false);
	return (true);
}

/* parse_decimal - digits (at most 18, so no overflow) to a number */
static long long
parse_decimal(const unsigned char *p, size_t len)
{
	long long v = 0;

	for (size_t i = 0; i < len; i++)
		v = v * 10 + (p[i] - '0');
	return (v);
}

/* parse_time - T record "sec.usec" */
static int
parse_time(struct queue_message *msg, const unsigned char *p, size_t len)
{
	const unsigned char *dot = memchr(p, '.', len);
	size_t slen, ulen;

	if (dot == NULL)
		return (-1);
	slen = (size_t)(dot - p);
	ulen = len - slen - 1;
	if (!all_digits(p, slen) || slen > 18 || !all_digits(dot + 1, ulen) ||
	    ulen > 6)
		return (-1);
	msg->arrival = (time_t)parse_decimal(p, slen);
	msg->arrival_usec = (long)parse_decimal(dot + 1, ulen);
	return (0);
}

/* parse_attr - A record "name=value" */
static int
parse_attr(struct queue_message *msg, const unsigned char *p, size_t len)
{
	const unsigned char *eq = memchr(p, '=', len);
	char name[ATTR_NAME_MAX + 1];
	size_t nlen;

	if (eq == NULL || memchr(p, 0, len) != NULL)
		return (-1);
	nlen = (size_t)(eq - p);
	if (!attr_name_valid((const char *)p, nlen))
		return (-1);
	memcpy(name, p, nlen);
	name[nlen] = 0;
	attr_list_add(&msg->attrs, name, eq + 1, len - nlen - 1);
	return (0);
}

/*
 * parse_recipient - R/D record "address NUL orcpt NUL notify [NUL
 * original]"; without the last field the record is not expanded
 * (original NULL)
 */
static int
parse_recipient(struct queue_message *msg, const unsigned char *p, size_t len,
    off_t offset, bool done)
{
	const unsigned char *nul1, *nul2, *nul3, *notify, *end = p + len;
	struct queue_recipient *r;
	size_t alen, olen, nlen;

	if ((nul1 = memchr(p, 0, len)) == NULL)
		return (-1);
	alen = (size_t)(nul1 - p);
	if ((nul2 = memchr(nul1 + 1, 0, len - alen - 1)) == NULL)
		return (-1);
	olen = (size_t)(nul2 - nul1 - 1);
	notify = nul2 + 1;
	nul3 = memchr(notify, 0, (size_t)(end - notify));
	nlen = (size_t)((nul3 ? nul3 : end) - notify);
	if (!all_digits(notify, nlen) || nlen > QF_NOTIFY_DIGITS)
		return (-1);
	/* original: one more field, no NUL in it */
	if (nul3 != NULL && memchr(nul3 + 1, 0, (size_t)(end - nul3 - 1)))
		return (-1);
	if ((msg->recipient_count & (msg->recipient_count - 1)) == 0)
		msg->recipients = xrealloc(msg->recipients,
		    (msg->recipient_count ? msg->recipient_count * 2 : 1) *
		    sizeof(*msg->recipients));
	r = &msg->recipients[msg->recipient_count++];
	r->address = xmemdup(p, alen);
	r->orcpt = xmemdup(nul1 + 1, olen);
	r->notify = (int)parse_decimal(notify, nlen);
	r->original = nul3 ? xmemdup(nul3 + 1, (size_t)(end - nul3 - 1)) :
	    NULL;
	r->offset = offset;
	r->done = done;
	return (0);
}

/* set_id_from_fd - the queue ID is the file's name, if /proc can tell */
static void
set_id_from_fd(int fd, char id[QUEUE_ID_SIZE])
{
	char link[64], target[4096], *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
		return;
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (queue_id_valid(base))
		memcpy(id, base, QUEUE_ID_SIZE);
}

/*
 * parse_record - check one record against the order and load it.
 * Returns NULL when fine, else the complaint.
 */
static const char *
parse_record(struct qf_input *in, struct queue_message *msg,
    enum qf_stage *stage, int type, off_t pos, size_t len,
    long long *zsize, long long *content)
{
	const unsigned char *p = NULL;

	if (*stage == QF_END)
		return ("record after the end marker");
	if (*stage == QF_CONTENT) {
		if (type == QUEUE_REC_CHUNK) {
			if (len > QUEUE_CHUNK_MAX)
				return ("content record too long");
			*content += (long long)len;
			return (NULL);
		}
		if (type != QUEUE_REC_END && type != QUEUE_REC_EXTRACTED)
			return ("unexpected record in content");
		if (len != 0)
			return ("end or extracted marker with data");
		*stage = type == QUEUE_REC_END ? QF_END : QF_EXTRACTED;
		return (NULL);
	}
	if (*stage == QF_EXTRACTED && type == QUEUE_REC_END) {
		if (len != 0)
			return ("end marker with data");
		*stage = QF_END;
		return (NULL);
	}
	/* an empty record still gets a pointer: memchr(NULL, c, 0) is UB */
	if (len == 0)
		p = (const unsigned char *)"";
	else if ((p = input_get(in, pos + QF_HEADER_LEN, len)) == NULL)
		return ("read error");
	switch (type) {
	case QUEUE_REC_VERSION:
		if (*stage != QF_START)
			return ("misplaced version record");
		if (len != 1 || p[0] != '1')
			return ("unsupported version");
		*stage = QF_HAVE_V;
		return (NULL);
	case QUEUE_REC_TIME:
		if (*stage != QF_HAVE_V)
			return ("misplaced time record");
		if (parse_time(msg, p, len) < 0)
			return ("bad time record");
		*stage = QF_HAVE_T;
		return (NULL);
	case QUEUE_REC_SIZE:
		if (*stage != QF_HAVE_T)
			return ("misplaced size record");
		if (len != QF_SIZE_DIGITS || !all_digits(p, len) ||
		    memcmp(p, "00", 2) != 0)
			return ("bad size record");
		*zsize = parse_decimal(p + 2, len - 2);
		*stage = QF_HAVE_Z;
		return (NULL);
	case QUEUE_REC_SENDER:
		if (*stage != QF_HAVE_Z)
			return ("misplaced sender record");
		if (len > 0 && memchr(p, 0, len) != NULL)
			return ("bad sender record");
		msg->sender = xmemdup(len ? (const void *)p : "", len);
		*stage = QF_ENVELOPE;
		return (NULL);
	case QUEUE_REC_ATTR:
		if (*stage != QF_ENVELOPE && *stage != QF_EXTRACTED)
			return ("misplaced attribute record");
		return (parse_attr(msg, p, len) < 0 ? "bad attribute record" : NULL);
	case QUEUE_REC_RCPT:
	case QUEUE_REC_DONE:
		if (*stage != QF_ENVELOPE && *stage != QF_EXTRACTED)
			return ("misplaced recipient record");
		if (len == 0 || parse_recipient(msg, p, len, pos,
		    type == QUEUE_REC_DONE) < 0)
			return ("bad recipient record");
		return (NULL);
	case QUEUE_REC_CONTENT:
		if (*stage != QF_ENVELOPE)
			return ("misplaced content record");
		if (len != 0)
			return ("content marker with data");
		msg->content_offset = pos + QF_HEADER_LEN;
		*stage = QF_CONTENT;
		return (NULL);
	case QUEUE_REC_CHUNK:
	case QUEUE_REC_END:
	case QUEUE_REC_EXTRACTED:
		if (*stage == QF_EXTRACTED)
			return ("content record in the extracted segment");
		return ("content record before the content marker");
	default:
		return ("unknown record type");
	}
}

/* queue_file_read_named - parse and check the envelope; id names the file */
int
queue_file_read_named(int fd, const char *id, struct queue_message *msg,
    struct strbuf *err)
{
	struct qf_input in = { .fd = fd };
	enum qf_stage stage = QF_START;
	const unsigned char *hdr;
	const char *why = NULL;
	long long zsize = 0, content = 0;
	struct stat st;
	off_t pos = 0;
	size_t len;

	memset(msg, 0, sizeof(*msg));
	attr_list_init(&msg->attrs);
	if (fstat(fd, &st) < 0) {
		strbuf_reset(err);
		strbuf_printf(err, "queue file read error: fstat: %s",
		    strerror(errno));
		return (QUEUE_FILE_IO_ERROR);
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_reset(err);
		strbuf_printf(err, "queue file: not a readable regular file");
		return (-1);
	}
	in.size = st.st_size;
	while (pos < in.size && why == NULL) {
		if (in.size - pos < QF_HEADER_LEN) {
			why = "truncated record header";
			break;
		}
		if ((hdr = input_get(&in, pos, QF_HEADER_LEN)) == NULL) {
			why = "read error";
			break;
		}
		len = get_u32(hdr + 1);
		if (len > QUEUE_RECORD_MAX)
			why = "record too long";
		else if ((off_t)len > in.size - pos - QF_HEADER_LEN)
			why = "record length past end of file";
		else if ((why = parse_record(&in, msg, &stage, hdr[0], pos, len,
		    &zsize, &content)) == NULL)
			pos += QF_HEADER_LEN + (off_t)len;
	}
	if (why == NULL && stage < QF_ENVELOPE)
		why = "missing version, time, size or sender record";
	msg->complete = stage == QF_END &&
	    (st.st_mode & 07777) == QUEUE_MODE_COMPLETE;
	/* Z is patched before the mode flips, so it must agree from then on */
	if (why == NULL && msg->complete && zsize != content)
		why = "content size does not match the size record";
	free(in.buf);
	if (in.io_error) {
		strbuf_reset(err);
		strbuf_printf(err, "queue file read error at offset %lld: %s",
		    (long long)pos, strerror(in.io_errno));
		queue_message_free(msg);
		return (QUEUE_FILE_IO_ERROR);
	}
	if (why != NULL) {
		strbuf_reset(err);
		strbuf_printf(err, "malformed queue file: %s at offset %lld",
		    why, (long long)pos);
		queue_message_free(msg);
		return (-1);
	}
	msg->size = (long)content;
	if (id != NULL && queue_id_valid(id))
		memcpy(msg->id, id, QUEUE_ID_SIZE);
	else if (id == NULL)
		set_id_from_fd(fd, msg->id);
	return (0);
}

/* queue_file_read - the same, the ID from the file's name in /proc */
int
queue_file_read(int fd, struct queue_message *msg, struct strbuf *err)
{
	return (queue_file_read_named(fd, NULL, msg, err));
}

/* queue_message_free - release what queue_file_read loaded */
void
queue_message_free(struct queue_message *msg)
{
	free(msg->sender);
	attr_list_free(&msg->attrs);
	for (size_t i = 0; i < msg->recipient_count; i++) {
		free(msg->recipients[i].address);
		free(msg->recipients[i].orcpt);
		free(msg->recipients[i].original);
	}
	free(msg->recipients);
	memset(msg, 0, sizeof(*msg));
	attr_list_init(&msg->attrs);
}

/* queue_file_read_content - hand each C record to fn, up to the E record */
int
queue_file_read_content(int fd, const struct queue_message *msg,
    int (*fn)(const char *data, size_t len, void *ctx), void *ctx)
{
	struct qf_input in = { .fd = fd };
	const unsigned char *hdr, *data;
	struct stat st;
	off_t pos = msg->content_offset;
	size_t len;
	int r = -1;

	if (pos <= 0)
		return (-1);
	if (fstat(fd, &st) < 0)
		return (QUEUE_FILE_IO_ERROR);
	in.size = st.st_size;
	for (;;) {
		if (in.size - pos < QF_HEADER_LEN ||
		    (hdr = input_get(&in, pos, QF_HEADER_LEN)) == NULL)
			break;
		len = get_u32(hdr + 1);
		/* the extracted segment follows the content: it ends there */
		if (hdr[0] == QUEUE_REC_END || hdr[0] == QUEUE_REC_EXTRACTED) {
			r = len == 0 ? 0 : -1;
			break;
		}
		if (hdr[0] != QUEUE_REC_CHUNK || len > QUEUE_CHUNK_MAX ||
		    (off_t)len > in.size - pos - QF_HEADER_LEN)
			break;
		if (len > 0) {
			if ((data = input_get(&in, pos + QF_HEADER_LEN, len)) == NULL)
				break;
			if ((r = fn((const char *)data, len, ctx)) != 0)
				break;
			r = -1;
		}
		pos += QF_HEADER_LEN + (off_t)len;
	}
	free(in.buf);
	return (in.io_error ? QUEUE_FILE_IO_ERROR : r);
}

/* queue_file_mark_done - R becomes D in place (the caller flushes) */
int
queue_file_mark_done(int fd, off_t offset)
{
	unsigned char c;
	ssize_t n;

	do {
		n = pread(fd, &c, 1, offset);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		if (n == 0)
			errno = EINVAL;
		return (-1);
	}
	if (c == QUEUE_REC_DONE)
		return (0);
	if (c != QUEUE_REC_RCPT) {
		errno = EINVAL;
		return (-1);
	}
	c = QUEUE_REC_DONE;
	do {
		n = pwrite(fd, &c, 1, offset);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		if (n == 0)
			errno = EIO;
		return (-1);
	}
	return (0);
}

/*
 * tail_check - 1 when the last QF_HEADER_LEN bytes are an empty E, 0 when
 * they could be read and are not, QUEUE_FILE_IO_ERROR when they could not
 */
static int
tail_check(int fd, const struct stat *st)
{
	static const unsigned char end[QF_HEADER_LEN] = { QUEUE_REC_END, 0, 0, 0, 0 };
	unsigned char tail[QF_HEADER_LEN];
	ssize_t n;

	if (!S_ISREG(st->st_mode) || st->st_size < QF_HEADER_LEN)
		return (0);
	do {
		n = pread(fd, tail, sizeof(tail), st->st_size - QF_HEADER_LEN);
	} while (n < 0 && errno == EINTR);
	if (n != QF_HEADER_LEN) {
		if (n >= 0)
			errno = EIO;	/* it shrank since the fstat */
		return (QUEUE_FILE_IO_ERROR);
	}
	return (memcmp(tail, end, sizeof(end)) == 0);
}

/*
 * writer_holds - the writer's exclusive lock is still on the file: its
 * fsync may be running and may yet fail, after which the writer removes
 * the name and its client retries.  Taking the file now could deliver a
 * message its sender was told was not queued.
 */
static bool
writer_holds(int fd)
{
	return (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK);
}

/* check_finished - the tail, then the writer's lock */
static int
check_finished(int fd, const struct stat *st)
{
	int r;

	if ((r = tail_check(fd, st)) != 1)
		return (r);
	return (writer_holds(fd) ? QUEUE_FILE_BUSY : 1);
}

/* queue_file_ends_with_end_record - an empty E last, any mode */
bool
queue_file_ends_with_end_record(int fd)
{
	struct stat st;

	return (fstat(fd, &st) == 0 && tail_check(fd, &st) == 1);
}

/* queue_file_check_end_record - 1, 0, QUEUE_FILE_BUSY or _IO_ERROR */
int
queue_file_check_end_record(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return (QUEUE_FILE_IO_ERROR);
	return (check_finished(fd, &st));
}

/* queue_file_check_complete - 1, 0, QUEUE_FILE_BUSY or _IO_ERROR */
int
queue_file_check_complete(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return (QUEUE_FILE_IO_ERROR);
	/* the mode alone says unfinished: no read needed, none can mislead */
	if (!S_ISREG(st.st_mode) ||
	    (st.st_mode & 07777) != QUEUE_MODE_COMPLETE)
		return (0);
	return (check_finished(fd, &st));
}

/* queue_file_is_complete - mode 0700, the last record an empty E, unlocked */
bool
queue_file_is_complete(int fd)
{
	return (queue_file_check_complete(fd) == 1);
}
