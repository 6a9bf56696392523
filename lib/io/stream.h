/*
 * stream - buffered I/O on a descriptor, with per-operation timeouts.
 *
 * The one I/O layer of the code base: SMTP sessions, the IPC protocol and
 * (later) TLS all go through it.  Reads and writes block with poll(2) for
 * at most the stream's timeout; a timeout, an error or EOF is sticky and
 * reported by every later call.  The read/write functions can be replaced
 * (stream_set_io) so that TLS slots in underneath without the callers
 * changing.
 */
#ifndef SLUICE_STREAM_H
#define SLUICE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

enum stream_status {
	STREAM_OK = 0,
	STREAM_EOF = -1,	/* orderly end of input */
	STREAM_ERROR = -2,	/* read/write error (errno logged by caller) */
	STREAM_TIMEOUT = -3,	/* no progress within the timeout */
	STREAM_TOOLONG = -4,	/* getline: line longer than the limit */
	STREAM_CANCELED = -5,	/* the watched descriptor hung up */
};

struct stream;

/*
 * Replaceable transport: return bytes moved, 0 for EOF (read only), or -1
 * with errno set (EAGAIN/EWOULDBLOCK means "wait for readiness and retry";
 * the stream polls for want_write when *want_write is set by the callee).
 */
typedef ssize_t (*stream_read_fn)(void *ctx, void *buf, size_t len, int *want_write);
typedef ssize_t (*stream_write_fn)(void *ctx, const void *buf, size_t len, int *want_read);

struct stream *stream_open(int fd);	/* takes ownership of fd */
/* stream_open_pair - reads rfd, writes wfd (plain I/O, no TLS); owns both */
struct stream *stream_open_pair(int rfd, int wfd);
void	stream_close(struct stream *s);	/* flush is NOT implied; closes fd */
int	stream_fd(const struct stream *s);
void	stream_set_timeout(struct stream *s, int seconds);	/* 0 = none */
int	stream_timeout(const struct stream *s);
/*
 * stream_set_deadline - bound everything that follows, reads and writes
 * together, by ms from now (ms <= 0: no deadline); the per-operation
 * timeout still applies to each wait.  It is checked before every read
 * and write, so a peer that never stops sending is cut off too.  With
 * min_rate > 0 every n bytes moved push it n/min_rate seconds later, but
 * never beyond ms from now.  Once passed, the status is STREAM_TIMEOUT.
 */
void	stream_set_deadline(struct stream *s, long ms, int min_rate);
/* stream_deadline_left - ms to the deadline (0: passed), -1 when none */
long	stream_deadline_left(const struct stream *s);
/*
 * stream_set_watch - from now on a wait also ends, with STREAM_CANCELED,
 * when the peer of fd (a descriptor the caller keeps open) hangs up; -1
 * stops watching.  Input on fd is not consumed and does not count.
 */
void	stream_set_watch(struct stream *s, int fd);
/* stream_watch_hung_up - has the watched descriptor's peer hung up? */
bool	stream_watch_hung_up(const struct stream *s);
void	stream_set_io(struct stream *s, stream_read_fn rd, stream_write_fn wr, void *ctx);
/* stream_io_context - the ctx given to stream_set_io, NULL for the default */
void	*stream_io_context(struct stream *s);

/*
 * stream_read - up to len bytes (buffered data first).  Returns the count
 * (> 0) or a negative enum stream_status.
 */
ssize_t	stream_read(struct stream *s, void *buf, size_t len);
/* stream_read_exact - exactly len bytes: STREAM_OK or negative status */
int	stream_read_exact(struct stream *s, void *buf, size_t len);
/*
 * stream_getline - read through the next LF into line (reset first).  The
 * line keeps its terminator (so callers can tell CRLF from a bare LF).
 * Returns STREAM_OK; STREAM_OK with no LF at the end if EOF cut the line;
 * STREAM_EOF if EOF came before any byte; STREAM_TOOLONG when more than
 * limit bytes came before the LF: line then holds the first limit bytes and
 * the rest of the line, through its LF, has been read and discarded.
 */
int	stream_getline(struct stream *s, struct strbuf *line, size_t limit);
/*
 * stream_getline_chunk - like stream_getline, but when limit bytes come
 * before the LF it returns STREAM_TOOLONG with those bytes and leaves the
 * rest of the line unread: the next call continues the same line.  For
 * message content, whose lines are streamed, not refused.
 */
int	stream_getline_chunk(struct stream *s, struct strbuf *line, size_t limit);
/* stream_pending - bytes already buffered and not yet read */
size_t	stream_pending(const struct stream *s);
/* stream_pending_data - where those stream_pending() bytes start */
const char *stream_pending_data(const struct stream *s);
/* stream_discard_pending - drop buffered input (STARTTLS injection defence) */
void	stream_discard_pending(struct stream *s);
/*
 * stream_wait_readable - wait up to timeout_ms for input (buffered counts).
 * 1 = readable, 0 = timed out, negative status on error.
 */
int	stream_wait_readable(struct stream *s, int timeout_ms);

/*
 * stream_poll - wait up to timeout_ms (< 0: no limit) for events on the
 * descriptor itself, not the buffer (for a TLS handshake run beside the
 * stream), ending early when the watched descriptor hangs up.  1 ready,
 * 0 timed out, STREAM_CANCELED (made sticky) or STREAM_ERROR (errno).
 */
int	stream_poll(struct stream *s, short events, int timeout_ms);

/* Writes are buffered; stream_flush pushes them out within the timeout. */
int	stream_write(struct stream *s, const void *buf, size_t len);
int	stream_puts(struct stream *s, const char *str);
int	stream_printf(struct stream *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	stream_flush(struct stream *s);

/* stream_status - the sticky status (STREAM_OK while healthy) */
int	stream_status(const struct stream *s);
const char *stream_status_text(int status);	/* "timeout", "lost connection", ... */

#endif
