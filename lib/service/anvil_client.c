/*
 * anvil_client - requests to anvil(8) from the sessions of one process
 * (anvil_client.h).
 *
 * The sessions of a process are coroutines that share one connection.
 * Requests are written whole at once, without ever waiting: a write that
 * does not fit in the socket buffer means anvil has stopped reading, and
 * the connection is given up (a wait there would let two sessions'
 * requests interleave).  Replies come in request order, so the sessions
 * waiting for one form a queue: whoever finds the connection readable
 * and nobody reading reads the next reply and hands it to the head of the
 * queue, until its own has come; then it hands over the replies still
 * buffered, so that none sits unseen while its session waits.  The head
 * of the queue waits for the connection to become readable: its reply
 * comes next.  A session further back may have its reply read by
 * another one, and coro_poll has no way to wake a particular coroutine,
 * so it also looks again after a nap (ANVIL_NAP_MS, doubling up to
 * ANVIL_NAP_MAX_MS); that happens only while several sessions wait.
 *
 * A descriptor must not be closed while a coroutine waits on it, so a
 * failed connection is only marked broken and closed by the last session
 * that leaves it.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "anvil_client.h"
#include "attr.h"
#include "coro.h"
#include "mem.h"
#include "msg.h"
#include "sock.h"
#include "stream.h"

#define ANVIL_NAP_MS		1
#define ANVIL_NAP_MAX_MS	32
#define ANVIL_REPLY_MAX		512	/* status, count and rate fit easily */

/* a session waiting for its reply */
struct anvil_wait {
	struct anvil_wait *next;
	bool	 done;
	bool	 ok;
	long	 count;
	long	 rate;
};

struct anvil_client {
	char	*path;
	int	 timeout_ms;
	int	 retry_ms;
	int	 fd;			/* -1: no connection */
	struct stream *stream;
	unsigned long generation;	/* of the connection, from 1 */
	bool	 connecting;
	bool	 reading;		/* a session is inside attr_read */
	bool	 broken;		/* given up; closed when unused */
	unsigned users;			/* sessions waiting on the connection */
	struct anvil_wait *head, *tail;
	long long retry_at;		/* monotonic ms: no attempt before */
	bool	 warned;		/* since anvil last worked */
	struct attr_list reply;
};

/* client_io_read - plain read(2) of the connection */
static ssize_t
client_io_read(void *ctx, void *buf, size_t len, int *want_write)
{
	struct anvil_client *c = ctx;
	ssize_t n;

	*want_write = 0;
	do {
		n = read(c->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return (n);
}

/*
 * client_io_write - send(2) that never waits: a full socket buffer is an
 * error (ENOBUFS), not a reason to park with half a request written
 */
static ssize_t
client_io_write(void *ctx, const void *buf, size_t len, int *want_read)
{
	struct anvil_client *c = ctx;
	ssize_t n;

	*want_read = 0;
	do {
		n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		errno = ENOBUFS;
	return (n);
}

/* anvil_client_create - see anvil_client.h */
struct anvil_client *
anvil_client_create(const char *path)
{
	struct anvil_client *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(path);
	c->timeout_ms = ANVIL_CLIENT_TIMEOUT * 1000;
	c->retry_ms = ANVIL_CLIENT_RETRY * 1000;
	c->fd = -1;
	attr_list_init(&c->reply);
	return (c);
}

/* anvil_client_set_timing - see anvil_client.h */
void
anvil_client_set_timing(struct anvil_client *c, int timeout_ms, int retry_ms)
{
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	c->retry_ms = retry_ms >= 0 ? retry_ms : 0;
}

/* client_close_if_unused - close a broken connection nobody waits on */
static void
client_close_if_unused(struct anvil_client *c)
{
	if (c->stream == NULL || !c->broken || c->users > 0)
		return;
	stream_close(c->stream);
	c->stream = NULL;
	c->fd = -1;
	c->broken = false;
}

/*
 * client_fail - anvil failed us: every waiting session fails (open), the
 * connection is given up, and anvil is left alone for retry_ms.  Warn
 * once until anvil works again.
 */
static void
client_fail(struct anvil_client *c, const char *why)
{
	struct anvil_wait *w;

	if (!c->warned)
		msg_warn("anvil service %s: %s; client connection limits are "
		    "not enforced for %d s", c->path, why,
		    (c->retry_ms + 999) / 1000);
	c->warned = true;
	for (w = c->head; w != NULL; w = w->next) {
		w->done = true;
		w->ok = false;
	}
	c->head = c->tail = NULL;
	c->retry_at = clock_monotonic_ms() + c->retry_ms;
	if (c->stream != NULL)
		c->broken = true;
	client_close_if_unused(c);
}

/* client_open - a usable connection: 0, or -1 (fail open) */
static int
client_open(struct anvil_client *c)
{
	struct strbuf why;
	int	 fd;

	if (c->stream != NULL)
		return (c->broken ? -1 : 0);
	/* one session connects; the others meanwhile go unlimited */
	if (c->connecting || clock_monotonic_ms() < c->retry_at)
		return (-1);
	c->connecting = true;
	fd = unix_connect(c->path, (c->timeout_ms + 999) / 1000);
	c->connecting = false;
	if (fd < 0) {
		strbuf_init(&why);
		strbuf_printf(&why, "connect: %s", strerror(errno));
		client_fail(c, why.data);
		strbuf_free(&why);
		return (-1);
	}
	c->fd = fd;
	c->stream = stream_open(fd);
	stream_set_io(c->stream, client_io_read, client_io_write, c);
	c->generation++;
	return (0);
}

/*
 * client_drop_if_idle - a write failed on a connection nobody waits on:
 * anvil went away in between (exited, was restarted), which is no
 * failure worth a warning and a pause; close it, and say whether it was
 */
static bool
client_drop_if_idle(struct anvil_client *c)
{
	if (c->head != NULL || c->users > 0)
		return (false);
	c->broken = true;
	client_close_if_unused(c);
	return (true);
}

/* client_send - write one request whole, now; 0 or -1 */
static int
client_send(struct anvil_client *c, const struct attr_list *req)
{
	if (attr_write(c->stream, req) < 0 || stream_flush(c->stream) != STREAM_OK)
		return (-1);
	return (0);
}

/*
 * client_read_one - read the next reply and hand it to the head of the
 * queue; any failure fails every waiting session
 */
static void
client_read_one(struct anvil_client *c, long long deadline)
{
	struct anvil_wait *w;
	long long left = deadline - clock_monotonic_ms();
	long	 status;
	int	 r;

	stream_set_timeout(c->stream, left > 0 ? (int)((left + 999) / 1000) : 1);
	c->reading = true;
	r = attr_read(c->stream, &c->reply, ANVIL_REPLY_MAX);
	c->reading = false;
	if (c->broken)			/* failed meanwhile, by a timeout */
		return;
	if (r != STREAM_OK) {
		client_fail(c, r == STREAM_EOF ? "connection closed" :
		    r == STREAM_TIMEOUT ? "timeout" : "malformed reply");
		return;
	}
	if ((w = c->head) == NULL) {
		client_fail(c, "reply without a request");
		return;
	}
	if (attr_list_get_long(&c->reply, "status", &status) != 0) {
		client_fail(c, "reply without a status");
		return;
	}
	if ((c->head = w->next) == NULL)
		c->tail = NULL;
	w->done = true;
	w->count = w->rate = 0;
	/* status 0 with the numbers asked for, or this request failed */
	w->ok = status == 0 &&
	    attr_list_get_long(&c->reply, "rate", &w->rate) == 0 &&
	    (attr_list_find(&c->reply, "count") == NULL ||
	    attr_list_get_long(&c->reply, "count", &w->count) == 0);
	if (w->ok)
		c->warned = false;
}

/* client_wait - until w's reply has come (or everything failed) */
static void
client_wait(struct anvil_client *c, struct anvil_wait *w)
{
	long long deadline = clock_monotonic_ms() + c->timeout_ms, left;
	bool	 readable = false;
	int	 n, nap = ANVIL_NAP_MS, wait;

	c->users++;
	while (!w->done) {
		if (!c->reading && (readable || stream_pending(c->stream) > 0)) {
			client_read_one(c, deadline);
			readable = false;
			continue;
		}
		if ((left = deadline - clock_monotonic_ms()) <= 0) {
			client_fail(c, "timeout");
			break;
		}
		/* the head's reply comes next; the others look again */
		if (c->head == w && !c->reading) {
			wait = left > INT_MAX ? INT_MAX : (int)left;
		} else {
			wait = left < nap ? (int)left : nap;
			if (nap < ANVIL_NAP_MAX_MS)
				nap *= 2;
		}
		n = coro_poll(c->fd, POLLIN, wait, NULL);
		readable = n > 0;
	}
	/* buffered replies are for sessions that wait: hand them over now */
	while (!c->broken && !c->reading && c->head != NULL &&
	    stream_pending(c->stream) > 0)
		client_read_one(c, deadline);
	c->users--;
	client_close_if_unused(c);
}

/*
 * client_request - send req; with w, wait for the reply into w.
 * 0, or -1 (fail open).  A connection found closed before anything was
 * waiting on it (anvil exited in between) is replaced once, quietly.
 */
static int
client_request(struct anvil_client *c, const struct attr_list *req,
    struct anvil_wait *w)
{
	for (int attempt = 0;; attempt++) {
		if (client_open(c) < 0)
			return (-1);
		if (client_send(c, req) == 0)
			break;
		if (attempt == 0 && client_drop_if_idle(c))
			continue;
		client_fail(c, "cannot send a request");
		return (-1);
	}
	if (w == NULL)
		return (0);
	memset(w, 0, sizeof(*w));
	if (c->tail != NULL)
		c->tail->next = w;
	else
		c->head = w;
	c->tail = w;
	client_wait(c, w);
	return (w->ok ? 0 : -1);
}

/* anvil_client_connect - see anvil_client.h */
int
anvil_client_connect(struct anvil_client *c, const char *ident, long *count,
    long *rate, unsigned long *ticket)
{
	struct attr_list req;
	struct anvil_wait w;
	int	 r;

	*count = *rate = 0;
	*ticket = 0;
	attr_list_init(&req);
	attr_list_add_str(&req, "request", "connect");
	attr_list_add_str(&req, "ident", ident);
	r = client_request(c, &req, &w);
	attr_list_free(&req);
	if (r < 0)
		return (ANVIL_FAIL);
	*count = w.count;
	*rate = w.rate;
	*ticket = c->generation;
	return (ANVIL_OK);
}

/* anvil_client_disconnect - see anvil_client.h */
void
anvil_client_disconnect(struct anvil_client *c, const char *ident,
    unsigned long ticket)
{
	struct attr_list req;

	/* a session of an earlier connection: anvil has forgotten it */
	if (ticket == 0 || ticket != c->generation || c->stream == NULL ||
	    c->broken)
		return;
	attr_list_init(&req);
	attr_list_add_str(&req, "request", "disconnect");
	attr_list_add_str(&req, "ident", ident);
	if (client_send(c, &req) < 0 && !client_drop_if_idle(c))
		client_fail(c, "cannot send a request");
	attr_list_free(&req);
}

/* anvil_client_event - see anvil_client.h */
int
anvil_client_event(struct anvil_client *c, const char *ident,
    enum anvil_event event, long *rate)
{
	struct attr_list req;
	struct anvil_wait w;
	int	 r;

	*rate = 0;
	attr_list_init(&req);
	attr_list_add_str(&req, "request", "event");
	attr_list_add_str(&req, "ident", ident);
	attr_list_add_str(&req, "event", anvil_event_name(event));
	r = client_request(c, &req, &w);
	attr_list_free(&req);
	if (r < 0)
		return (ANVIL_FAIL);
	*rate = w.rate;
	return (ANVIL_OK);
}

/* anvil_client_range - see anvil_client.h */
void
anvil_client_range(const char *addr, int v4_prefix, int v6_prefix,
    struct strbuf *out)
{
	unsigned char bytes[16];
	char	 text[INET6_ADDRSTRLEN];
	int	 family, bits, prefix;

	strbuf_reset(out);
	if (inet_pton(AF_INET, addr, bytes) == 1) {
		family = AF_INET;
		bits = 32;
		prefix = v4_prefix;
	} else if (inet_pton(AF_INET6, addr, bytes) == 1) {
		family = AF_INET6;
		bits = 128;
		prefix = v6_prefix;
	} else {
		strbuf_puts(out, addr);
		return;
	}
	if (prefix < 0 || prefix > bits)
		prefix = bits;
	for (int i = 0; i < bits / 8; i++) {
		int keep = prefix - i * 8;

		if (keep <= 0)
			bytes[i] = 0;
		else if (keep < 8)
			bytes[i] &= (unsigned char)(0xff << (8 - keep));
	}
	if (inet_ntop(family, bytes, text, sizeof(text)) == NULL) {
		strbuf_puts(out, addr);
		return;
	}
	strbuf_puts(out, text);
	if (prefix < bits)
		strbuf_printf(out, "/%d", prefix);
}

/* anvil_client_free - see anvil_client.h */
void
anvil_client_free(struct anvil_client *c)
{
	if (c == NULL)
		return;
	if (c->stream != NULL)
		stream_close(c->stream);
	attr_list_free(&c->reply);
	free(c->path);
	free(c);
}
