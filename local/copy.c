/*
 * copy - write the queued message to a mailbox, file or command.
 *
 * The queue holds the content with LF line ends; it is written byte for
 * byte after the lines a delivery type adds in front (Postfix order:
 * "From " line, Return-Path:, Delivered-To:).  mbox destinations also get
 * ">From " quoting of body lines that start with "From " and an empty
 * line after the message, so the next "From " line starts a new message.
 * Writes stop with an error when local_timed_out is set by SIGALRM
 * (command_time_limit), so a command that never reads cannot hang us.
 * A failed write to a mailbox or file is always a deferral, never a
 * bounce (local_write_dsn): the disk or the quota may have room later.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "local.h"
#include "strbuf.h"

#define COPY_FLUSH_SIZE	(64 * 1024)

volatile int local_timed_out;

struct copy_ctx {
	int		 fd;
	bool		 quote;
	bool		 at_bol;	/* next byte starts a line */
	char		 pend[5];	/* a line start not yet decided */
	size_t		 npend;
	char		 last;		/* last byte written */
	struct strbuf	 out;
	int		 error;		/* errno of the first failure */
};

/* write_all - the whole buffer, or an error (EINTR only on timeout) */
static int
write_all(struct copy_ctx *c, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t	 n;

		/* an interrupted pipe write may return a short count, not EINTR */
		if (local_timed_out) {
			c->error = ETIMEDOUT;
			return (-1);
		}
		n = write(c->fd, p, len);

		if (n < 0) {
			if (errno == EINTR && !local_timed_out)
				continue;
			c->error = local_timed_out ? ETIMEDOUT : errno;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* flush - push the output buffer */
static int
flush(struct copy_ctx *c)
{
	int	 rc = 0;

	if (c->out.len > 0)
		rc = write_all(c, c->out.data, c->out.len);
	strbuf_reset(&c->out);
	return (rc);
}

/* emit - buffered output */
static int
emit(struct copy_ctx *c, const char *p, size_t len)
{
	if (len == 0)
		return (0);
	strbuf_append(&c->out, p, len);
	c->last = p[len - 1];
	if (c->out.len >= COPY_FLUSH_SIZE)
		return (flush(c));
	return (0);
}

/* decide_pending - the line start is known: quote it or not */
static int
decide_pending(struct copy_ctx *c)
{
	if (c->npend == 5 && memcmp(c->pend, "From ", 5) == 0 &&
	    emit(c, ">", 1) < 0)
		return (-1);
	if (emit(c, c->pend, c->npend) < 0)
		return (-1);
	c->npend = 0;
	c->at_bol = false;
	return (0);
}

/* copy_chunk - queue_file_read_content callback */
static int
copy_chunk(const char *data, size_t len, void *ctx)
{
	struct copy_ctx *c = ctx;
	const char *p = data, *end = data + len;

	if (!c->quote)
		return (emit(c, data, len) < 0 ? 1 : 0);
	while (p < end) {
		const char *nl;

		if (c->at_bol) {
			/* collect up to 5 bytes or the end of a short line */
			while (p < end && c->npend < 5 && (c->npend == 0 ||
			    c->pend[c->npend - 1] != '\n'))
				c->pend[c->npend++] = *p++;
			if (c->npend == 5 || c->pend[c->npend - 1] == '\n') {
				bool	 ended = c->pend[c->npend - 1] == '\n';

				if (decide_pending(c) < 0)
					return (1);
				c->at_bol = ended;
			}
			continue;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			if (emit(c, p, (size_t)(end - p)) < 0)
				return (1);
			break;
		}
		if (emit(c, p, (size_t)(nl + 1 - p)) < 0)
			return (1);
		p = nl + 1;
		c->at_bol = true;
	}
	return (0);
}

/*
 * local_write_dsn - the status of a mailbox write that failed with err,
 * as Postfix's mbox_dsn(): a full quota (EFBIG: a file size limit, its
 * stand-in) is 4.2.2 "mailbox full", a locked mailbox 4.2.0, anything
 * else (ENOSPC, EIO, a queue file read error) 4.3.0.  All are 4xx.
 */
const char *
local_write_dsn(int err)
{
	if (err == EDQUOT || err == EFBIG)
		return ("4.2.2");
	if (err == EAGAIN)
		return ("4.2.0");
	return ("4.3.0");
}

/* local_copy - prefix lines, then the content, as flags say */
int
local_copy(struct local_state *st, int fd, unsigned flags,
    const char *delivered_to, struct strbuf *err)
{
	struct copy_ctx c;
	const char *sender = st->m->req->sender;
	struct strbuf line;
	time_t	 now;
	int	 rc;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.quote = (flags & LOCAL_COPY_QUOTE) != 0;
	c.at_bol = true;
	c.last = '\n';
	strbuf_init(&c.out);
	strbuf_init(&line);
	if (flags & LOCAL_COPY_FROM) {
		char	 date[32];

		now = time(NULL);
		ctime_r(&now, date);
		date[24] = 0;
		strbuf_printf(&line, "From %s  %s\n", *sender ? sender :
		    "MAILER-DAEMON", date);
	}
	if (flags & LOCAL_COPY_RETURN_PATH)
		strbuf_printf(&line, "Return-Path: <%s>\n", sender);
	if ((flags & LOCAL_COPY_DELIVERED) && delivered_to != NULL)
		strbuf_printf(&line, "Delivered-To: %s\n", delivered_to);
	rc = emit(&c, line.data, line.len);
	if (rc == 0) {
		rc = queue_file_read_content(st->m->fd, &st->m->msg, copy_chunk, &c);
		if (rc < 0 && c.error == 0)
			strbuf_set(err, "queue file read error");
	}
	if (rc == 0 && c.npend > 0 && decide_pending(&c) < 0)
		rc = -1;
	if (rc == 0 && (flags & LOCAL_COPY_BLANK)) {
		if (c.last != '\n' && emit(&c, "\n", 1) < 0)
			rc = -1;
		if (rc == 0 && emit(&c, "\n", 1) < 0)
			rc = -1;
	}
	if (rc == 0 && flush(&c) < 0)
		rc = -1;
	if (rc != 0 && c.error != 0)
		strbuf_set(err, strerror(c.error));
	strbuf_free(&c.out);
	strbuf_free(&line);
	if (rc != 0 && c.error != 0)
		errno = c.error;
	return (rc != 0 ? -1 : 0);
}
