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
 *
 * A per-operation timeout restarts with every byte that arrives, so a peer
 * that drips one byte a second, or talks without end, is never cut off by
 * it.  A deadline (stream_set_deadline) bounds a whole exchange instead: it
 * is checked before every read and write, not only when a wait blocks, and
 * an optional minimum data rate moves it later as bytes go through (as
 * Postfix's smtpd_min_data_rate).  A watched descriptor (stream_set_watch)
 * ends every wait once its peer hangs up: the smtp agent stops talking to a
 * server as soon as qmgr has stopped waiting for the answer.
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

#include "clock.h"
#include "mem.h"
#include "coro.h"
#include "stream.h"

#define STREAM_RBUF_SIZE	(16 * 1024)
#define STREAM_WBUF_SIZE	(16 * 1024)

struct stream {
	int		 fd;
	int		 wfd;		/* for writes: fd, or stdout's of a pair */
	int		 wfd_flags;	/* its file status flags before us */
	int		 timeout;	/* seconds, 0 = wait forever */
	int		 status;	/* sticky enum stream_status */
	bool		 is_socket;
	long long	 deadline_us;	/* monotonic, 0 = no deadline */
	long long	 budget_us;	/* the most a rate bonus may restore */
	int		 min_rate;	/* bytes/s that push the deadline, 0 = none */
	int		 watch_fd;	/* hang-up cancels waits; -1 = none */
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
			n = send(s->wfd, buf, len, MSG_NOSIGNAL);
		else
			n = write(s->wfd, buf, len);
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
	s->fd = s->wfd = fd;
	s->wfd_flags = -1;
	s->timeout = 0;
	s->status = STREAM_OK;
	s->is_socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	s->deadline_us = s->budget_us = 0;
	s->min_rate = 0;
	s->watch_fd = -1;
	s->rd = default_read;
	s->wr = default_write;
	s->ctx = s;
	s->rpos = s->rlen = s->wlen = 0;
	/* Blocking happens only in poll(), where the timeout is enforced. */
	if ((flags = fcntl(fd, F_GETFL)) >= 0 && (flags & O_NONBLOCK) == 0)
		(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	return (s);
}

/*
 * stream_open_pair - a stream that reads rfd and writes wfd (taking
 * ownership of both): standard input and output when a program talks
 * over two pipes (smtpd -S for sendmail -bs).  Plain I/O only: TLS needs
 * one descriptor.  wfd gets its file status flags back at close, since
 * the other end of a terminal or pipe may share them.
 */
struct stream *
stream_open_pair(int rfd, int wfd)
{
	struct stream *s = stream_open(rfd);
	struct stat st;

	if (wfd == rfd)
		return (s);
	s->wfd = wfd;
	s->is_socket = fstat(wfd, &st) == 0 && S_ISSOCK(st.st_mode);
	if ((s->wfd_flags = fcntl(wfd, F_GETFL)) >= 0 &&
	    (s->wfd_flags & O_NONBLOCK) == 0)
		(void)fcntl(wfd, F_SETFL, s->wfd_flags | O_NONBLOCK);
	return (s);
}

/* stream_close - free s and close its descriptor(s) (no implicit flush) */
void
stream_close(struct stream *s)
{
	if (s == NULL)
		return;
	if (s->wfd != s->fd && s->wfd >= 0) {
		if (s->wfd_flags >= 0)
			(void)fcntl(s->wfd, F_SETFL, s->wfd_flags);
		(void)close(s->wfd);
	}
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

/* stream_timeout - the per-operation timeout in seconds, 0 = none */
int
stream_timeout(const struct stream *s)
{
	return (s->timeout);
}

/* stream_set_deadline - bound what follows as a whole (see stream.h) */
void
stream_set_deadline(struct stream *s, long ms, int min_rate)
{
	if (ms <= 0) {
		s->deadline_us = s->budget_us = 0;
		s->min_rate = 0;
		return;
	}
	s->budget_us = (long long)ms * 1000;
	s->deadline_us = clock_monotonic_us() + s->budget_us;
	s->min_rate = min_rate > 0 ? min_rate : 0;
}

/* stream_deadline_left - ms to the deadline (0 when passed), -1 if none */
long
stream_deadline_left(const struct stream *s)
{
	long long left;

	if (s->deadline_us == 0)
		return (-1);
	left = s->deadline_us - clock_monotonic_us();
	return (left > 0 ? (long)((left + 999) / 1000) : 0);
}

/* stream_set_watch - waits end with STREAM_CANCELED when fd hangs up */
void
stream_set_watch(struct stream *s, int fd)
{
	s->watch_fd = fd;
}

/* stream_watch_hung_up - has the watched descriptor's peer gone? */
bool
stream_watch_hung_up(const struct stream *s)
{
	struct pollfd p;

	if (s->watch_fd < 0)
		return (false);
	p.fd = s->watch_fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	return (poll(&p, 1, 0) > 0 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0);
}

/* deadline_passed - true (and the sticky timeout set) once it is over */
static bool
deadline_passed(struct stream *s)
{
	if (s->deadline_us == 0 || clock_monotonic_us() < s->deadline_us)
		return (false);
	s->status = STREAM_TIMEOUT;
	return (true);
}

/*
 * deadline_credit - n bytes went through: with a minimum rate, they buy
 * n/min_rate seconds more, but never more than the whole budget from now
 * (so that a fast start cannot pay for a stall later).
 */
static void
deadline_credit(struct stream *s, size_t n)
{
	long long cap;

	if (s->deadline_us == 0 || s->min_rate <= 0)
		return;
	s->deadline_us += (long long)n * 1000000 / s->min_rate;
	cap = clock_monotonic_us() + s->budget_us;
	if (s->deadline_us > cap)
		s->deadline_us = cap;
}

/* WATCH_SLICE_MS - how often a parked coroutine looks at the watched fd */
#define WATCH_SLICE_MS	1000

/*
 * poll_pair - poll fd and the watched descriptor together (outside a
 * coroutine only: coro_poll takes one descriptor).  1 when fd is ready,
 * 0 on timeout or when only the watch fired (the caller looks), -1 error.
 */
static int
poll_pair(int fd, int watch_fd, short events, int timeout_ms)
{
	struct pollfd p[2];
	int n;

	p[0].fd = fd;
	p[0].events = events;
	p[1].fd = watch_fd;
	p[1].events = POLLRDHUP;
	p[0].revents = p[1].revents = 0;
	if ((n = poll(p, 2, timeout_ms)) <= 0)
		return (n);
	return (p[0].revents != 0 ? 1 : 0);
}

/*
 * poll_stream - wait for events on the stream's descriptor up to
 * timeout_ms (< 0 = forever).  1 ready, 0 timed out, -1 error (errno),
 * -2 the watched descriptor hung up.
 */
static int
poll_stream(const struct stream *s, short events, int timeout_ms)
{
	long long deadline = 0, left;
	int n, wait_ms = timeout_ms, slice;
	/* a pair waits for output on its own descriptor (no TLS there) */
	int fd = (events & POLLOUT) != 0 ? s->wfd : s->fd;

	if (timeout_ms > 0)
		deadline = clock_monotonic_ms() + timeout_ms;
	for (;;) {
		slice = wait_ms;
		if (s->watch_fd >= 0) {
			if (stream_watch_hung_up(s))
				return (-2);
			if (coro_active() && (slice < 0 || slice > WATCH_SLICE_MS))
				slice = WATCH_SLICE_MS;
		}
		if (s->watch_fd >= 0 && !coro_active())
			n = poll_pair(fd, s->watch_fd, events, slice);
		else
			/* in a coroutine this parks only the calling session */
			n = coro_poll(fd, events, slice, NULL);
		if (n > 0)
			return (1);
		if (n < 0 && errno != EINTR)
			return (-1);
		/* A signal, a slice or the watch must not stretch the deadline. */
		if (timeout_ms == 0)
			return (0);
		if (timeout_ms > 0) {
			left = deadline - clock_monotonic_ms();
			if (left <= 0)
				return (0);
			wait_ms = (int)left;
		}
	}
}

/* stream_wait - block for the transport's readiness within the time left */
static int
stream_wait(struct stream *s, bool for_write)
{
	long long left;
	int n, wait_ms = s->timeout > 0 ? s->timeout * 1000 : -1;

	if (s->deadline_us != 0) {
		left = (s->deadline_us - clock_monotonic_us() + 999) / 1000;
		if (left <= 0)
			return (s->status = STREAM_TIMEOUT);
		if (wait_ms < 0 || left < wait_ms)
			wait_ms = (int)left;
	}
	n = poll_stream(s, for_write ? POLLOUT : POLLIN, wait_ms);
	if (n > 0)
		return (STREAM_OK);
	s->status = n == 0 ? STREAM_TIMEOUT : n == -2 ? STREAM_CANCELED :
	    STREAM_ERROR;
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
		/* a peer that never stops sending never needs a wait */
		if (deadline_passed(s))
			return (s->status);
		n = s->rd(s->ctx, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen,
		    &want_write);
		if (n > 0) {
			s->rlen += (size_t)n;
			deadline_credit(s, (size_t)n);
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

/* stream_pending_data - the first of those bytes (for logging) */
const char *
stream_pending_data(const struct stream *s)
{
	return (s->rbuf + s->rpos);
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
	n = poll_stream(s, POLLIN, timeout_ms < 0 ? -1 : timeout_ms);
	if (n == -2)
		return (s->status = STREAM_CANCELED);
	if (n < 0)
		return (STREAM_ERROR);
	return (n);
}

/* stream_poll - wait for events on the descriptor itself (see stream.h) */
int
stream_poll(struct stream *s, short events, int timeout_ms)
{
	int n;

	n = poll_stream(s, events, timeout_ms < 0 ? -1 : timeout_ms);
	if (n == -2)
		return (s->status = STREAM_CANCELED);
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
		/* a peer that reads a byte at a time must not stretch it */
		if (deadline_passed(s))
			return (s->status);
		n = s->wr(s->ctx, p, len, &want_read);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			deadline_credit(s, (size_t)n);
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
	case STREAM_CANCELED:
		return ("canceled");
	default:
		return ("unknown stream status");
	}
}
