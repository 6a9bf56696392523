/*
 * stream - buffered I/O on a descriptor, with per-operation timeouts.
 *
 * The descriptor is switched to non-blocking mode once, at stream_open();
 * every place that would block instead polls for at most the stream's
 * timeout, so a silent peer can never hang a process.  Input is read in
 * large blocks and lines are found with memchr(); output is collected and
 * written when the buffer fills or on stream_flush().  The first timeout,
 * error or EOF becomes the sticky status that every later call returns.
 *
 * The transport (read/write) is replaceable so that TLS can slot in under
 * the same buffering; the default uses read(2), and send(2) with
 * MSG_NOSIGNAL on sockets so that a vanished peer is an error, not SIGPIPE.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "coro.h"
#include "stream.h"

#define STREAM_RBUF_SIZE	(16 * 1024)
#define STREAM_WBUF_SIZE	(16 * 1024)

struct stream {
	int		 fd;
	int		 timeout;	/* seconds, 0 = wait forever */
	int		 status;	/* sticky enum stream_status */
	bool		 is_socket;
	stream_read_fn	 rd;
	stream_write_fn	 wr;
	void		*ctx;
	size_t		 rpos;		/* next unread byte in rbuf */
	size_t		 rlen;		/* end of valid data in rbuf */
	size_t		 wlen;		/* bytes waiting in wbuf */
	char		 rbuf[STREAM_RBUF_SIZE];
	char		 wbuf[STREAM_WBUF_SIZE];
};

/* default_read - read(2) with EINTR retry */
static ssize_t
default_read(void *ctx, void *buf, size_t len, int *want_write)
{
	struct stream *s = ctx;
	ssize_t n;

	*want_write = 0;
	do {
		n = read(s->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return (n);
}

/* default_write - send(2) without SIGPIPE on sockets, else write(2) */
static ssize_t
default_write(void *ctx, const void *buf, size_t len, int *want_read)
{
	struct stream *s = ctx;
	ssize_t n;

	*want_read = 0;
	do {
		if (s->is_socket)
			n = send(s->fd, buf, len, MSG_NOSIGNAL);
		else
			n = write(s->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return (n);
}

/* stream_open - wrap fd (taking ownership) */
struct stream *
stream_open(int fd)
{
	struct stream *s;
	struct stat st;
	int flags;

	s = xmalloc(sizeof(*s));
	s->fd = fd;
	s->timeout = 0;
	s->status = STREAM_OK;
	s->is_socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	s->rd = default_read;
	s->wr = default_write;
	s->ctx = s;
	s->rpos = s->rlen = s->wlen = 0;
	/* Blocking happens only in poll(), where the timeout is enforced. */
	if ((flags = fcntl(fd, F_GETFL)) >= 0 && (flags & O_NONBLOCK) == 0)
		(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	return (s);
}

/* stream_close - free s and close its descriptor (no implicit flush) */
void
stream_close(struct stream *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		(void)close(s->fd);
	free(s);
}

/* stream_fd - the underlying descriptor */
int
stream_fd(const struct stream *s)
{
	return (s->fd);
}

/* stream_set_timeout - per-operation timeout in seconds, 0 = none */
void
stream_set_timeout(struct stream *s, int seconds)
{
	if (seconds > INT_MAX / 1000)
		seconds = INT_MAX / 1000;
	s->timeout = seconds > 0 ? seconds : 0;
}

/* stream_set_io - replace the transport (NULL restores the default) */
void
stream_set_io(struct stream *s, stream_read_fn rd, stream_write_fn wr, void *ctx)
{
	if (rd == NULL || wr == NULL) {
		s->rd = default_read;
		s->wr = default_write;
		s->ctx = s;
		return;
	}
	s->rd = rd;
	s->wr = wr;
	s->ctx = ctx;
}

/* stream_io_context - the replaced transport's context, or NULL */
void *
stream_io_context(struct stream *s)
{
	return (s->rd == default_read ? NULL : s->ctx);
}

/* monotonic_ms - a clock for deadlines that wall-clock changes cannot move */
static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* poll_fd - wait for events up to timeout_ms (< 0 = forever); 1, 0, -1 */
static int
poll_fd(int fd, short events, int timeout_ms)
{
	long long deadline = 0;
	int n, wait_ms = timeout_ms;

	if (timeout_ms > 0)
		deadline = monotonic_ms() + timeout_ms;
	for (;;) {
		/* in a coroutine this parks only the calling session */
		n = coro_poll(fd, events, wait_ms, NULL);
		if (n > 0)
			return (1);
		if (n == 0)
			return (0);
		if (errno != EINTR)
			return (-1);
		/* A signal must not stretch the deadline. */
		if (timeout_ms > 0) {
			long long left = deadline - monotonic_ms();

			if (left <= 0)
				return (0);
			wait_ms = (int)left;
		}
	}
}

/* stream_wait - block for the transport's readiness within the timeout */
static int
stream_wait(struct stream *s, bool for_write)
{
	int n;

	n = poll_fd(s->fd, for_write ? POLLOUT : POLLIN,
	    s->timeout > 0 ? s->timeout * 1000 : -1);
	if (n > 0)
		return (STREAM_OK);
	s->status = n == 0 ? STREAM_TIMEOUT : STREAM_ERROR;
	return (s->status);
}

/* stream_fill - read more input into rbuf; STREAM_OK or the new status */
static int
stream_fill(struct stream *s)
{
	ssize_t n;
	int want_write;

	if (s->status != STREAM_OK)
		return (s->status);
	if (s->rpos == s->rlen)
		s->rpos = s->rlen = 0;
	else if (s->rpos > 0) {
		memmove(s->rbuf, s->rbuf + s->rpos, s->rlen - s->rpos);
		s->rlen -= s->rpos;
		s->rpos = 0;
	}
	for (;;) {
		n = s->rd(s->ctx, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen,
		    &want_write);
		if (n > 0) {
			s->rlen += (size_t)n;
			return (STREAM_OK);
		}
		if (n == 0)
			return (s->status = STREAM_EOF);
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return (s->status = STREAM_ERROR);
		if (errno != EINTR && stream_wait(s, want_write != 0) != STREAM_OK)
			return (s->status);
	}
}

/* stream_read - up to len bytes, buffered data first */
ssize_t
stream_read(struct stream *s, void *buf, size_t len)
{
	size_t avail;
	int r;

	if (len == 0)
		return (s->status != STREAM_OK ? s->status : 0);
	if (s->rpos == s->rlen && (r = stream_fill(s)) != STREAM_OK)
		return (r);
	avail = s->rlen - s->rpos;
	if (avail > len)
		avail = len;
	memcpy(buf, s->rbuf + s->rpos, avail);
	s->rpos += avail;
	return ((ssize_t)avail);
}

/* stream_read_exact - exactly len bytes or a negative status */
int
stream_read_exact(struct stream *s, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = stream_read(s, p, len)) < 0)
			return ((int)n);
		p += n;
		len -= (size_t)n;
	}
	return (STREAM_OK);
}

/*
 * getline_common - the two getline flavours; discard_rest selects whether
 * an overlong line is swallowed through its LF or left for the next call.
 */
static int
getline_common(struct stream *s, struct strbuf *line, size_t limit,
    bool discard_rest)
{
	const char *p, *lf;
	size_t avail, n, room;
	bool toolong = false;
	int r;

	strbuf_reset(line);
	for (;;) {
		if (s->rpos == s->rlen && (r = stream_fill(s)) != STREAM_OK) {
			if (r == STREAM_EOF && toolong)
				return (STREAM_TOOLONG);
			if (r == STREAM_EOF && line->len > 0)
				return (STREAM_OK);
			return (r);
		}
		p = s->rbuf + s->rpos;
		avail = s->rlen - s->rpos;
		lf = memchr(p, '\n', avail);
		n = lf != NULL ? (size_t)(lf - p) : avail;
		if (toolong) {
			if (lf == NULL) {
				s->rpos = s->rlen;
				continue;
			}
			s->rpos += n + 1;
			return (STREAM_TOOLONG);
		}
		room = limit - line->len;
		if (n <= room) {
			if (lf != NULL) {
				strbuf_append(line, p, n + 1);
				s->rpos += n + 1;
				return (STREAM_OK);
			}
			strbuf_append(line, p, n);
			s->rpos += n;
			continue;
		}
		strbuf_append(line, p, room);
		s->rpos += room;
		if (!discard_rest)
			return (STREAM_TOOLONG);
		toolong = true;
	}
}

/* stream_getline - one line with its terminator; overlong rest discarded */
int
stream_getline(struct stream *s, struct strbuf *line, size_t limit)
{
	return (getline_common(s, line, limit, true));
}

/* stream_getline_chunk - one line, or its next limit bytes */
int
stream_getline_chunk(struct stream *s, struct strbuf *line, size_t limit)
{
	return (getline_common(s, line, limit, false));
}

/* stream_pending - buffered, unread input */
size_t
stream_pending(const struct stream *s)
{
	return (s->rlen - s->rpos);
}

/* stream_discard_pending - forget buffered input */
void
stream_discard_pending(struct stream *s)
{
	s->rpos = s->rlen = 0;
}

/* stream_wait_readable - is input available within timeout_ms */
int
stream_wait_readable(struct stream *s, int timeout_ms)
{
	int n;

	if (s->rlen > s->rpos)
		return (1);
	if (s->status != STREAM_OK)
		return (s->status);
	n = poll_fd(s->fd, POLLIN, timeout_ms < 0 ? -1 : timeout_ms);
	if (n < 0)
		return (STREAM_ERROR);
	return (n);
}

/* write_all - push len bytes through the transport within the timeout */
static int
write_all(struct stream *s, const char *p, size_t len)
{
	ssize_t n;
	int want_read;

	while (len > 0) {
		n = s->wr(s->ctx, p, len, &want_read);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return (s->status = STREAM_ERROR);
		if (stream_wait(s, want_read == 0) != STREAM_OK)
			return (s->status);
	}
	return (STREAM_OK);
}

/* stream_flush - write out buffered output */
int
stream_flush(struct stream *s)
{
	int r;

	if (s->status != STREAM_OK)
		return (s->status);
	if (s->wlen == 0)
		return (STREAM_OK);
	r = write_all(s, s->wbuf, s->wlen);
	s->wlen = 0;
	return (r);
}

/* stream_write - buffer output; large blocks bypass the buffer */
int
stream_write(struct stream *s, const void *buf, size_t len)
{
	const char *p = buf;
	size_t room;
	int r;

	if (s->status != STREAM_OK)
		return (s->status);
	room = sizeof(s->wbuf) - s->wlen;
	if (len <= room) {
		memcpy(s->wbuf + s->wlen, p, len);
		s->wlen += len;
		return (STREAM_OK);
	}
	/* Top up the buffer so that every write(2) is a full block. */
	if (s->wlen > 0) {
		memcpy(s->wbuf + s->wlen, p, room);
		s->wlen += room;
		p += room;
		len -= room;
		if ((r = stream_flush(s)) != STREAM_OK)
			return (r);
	}
	if (len >= sizeof(s->wbuf))
		return (write_all(s, p, len));
	memcpy(s->wbuf, p, len);
	s->wlen = len;
	return (STREAM_OK);
}

/* stream_puts - write a C string */
int
stream_puts(struct stream *s, const char *str)
{
	return (stream_write(s, str, strlen(str)));
}

/* stream_printf - formatted output, straight into the buffer when it fits */
int
stream_printf(struct stream *s, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	char *tmp;
	int n, r;

	if (s->status != STREAM_OK)
		return (s->status);
	room = sizeof(s->wbuf) - s->wlen;
	va_start(ap, fmt);
	n = vsnprintf(s->wbuf + s->wlen, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return (STREAM_ERROR);
	if ((size_t)n < room) {
		s->wlen += (size_t)n;
		return (STREAM_OK);
	}
	tmp = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r = stream_write(s, tmp, (size_t)n);
	free(tmp);
	return (r);
}

/* stream_status - the sticky status */
int
stream_status(const struct stream *s)
{
	return (s->status);
}

/* stream_status_text - words for log lines ("lost connection after DATA") */
const char *
stream_status_text(int status)
{
	switch (status) {
	case STREAM_OK:
		return ("ok");
	case STREAM_EOF:
		return ("lost connection");
	case STREAM_ERROR:
		return ("I/O error");
	case STREAM_TIMEOUT:
		return ("timeout");
	case STREAM_TOOLONG:
		return ("line too long");
	default:
		return ("unknown stream status");
	}
}
