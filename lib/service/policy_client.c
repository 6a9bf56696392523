/*
 * policy_client - connections to one policy server and the query over
 * them (policy_client.h).
 *
 * Idle connections wait in a list, most recently used first; a query
 * owns the connection it took until it puts it back, so the coroutines
 * of a process never share one mid-request.  A kept connection is looked
 * at before use: if the server closed it (or sent something unasked),
 * it is dropped without spending a try.  Each try has one deadline for
 * the connect, the request and the whole reply, so a server that
 * trickles bytes is cut off as surely as one that says nothing.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "coro.h"
#include "mem.h"
#include "msg.h"
#include "policy_client.h"
#include "policy_proto.h"
#include "sock.h"
#include "stream.h"

#define POLICY_READ_CHUNK	1024

struct policy_conn {
	struct policy_conn *next;
	struct stream *stream;
	long long born_ms;	/* monotonic */
	long long used_ms;	/* end of the last request */
	long	 requests;
	bool	 out_of_step;	/* the server sent more than its reply */
};

struct policy_client {
	char	*endpoint;
	bool	 is_unix;
	char	*path;			/* unix: */
	char	*host, *port;		/* inet: */
	struct addrinfo *addrs;		/* NULL: resolve at connect */
	struct policy_client_settings set;
	struct policy_conn *idle;
};

/* parse_endpoint - split endpoint into path or host and port */
static int
parse_endpoint(const char *endpoint, bool *is_unix, struct strbuf *path,
    struct strbuf *host, struct strbuf *port, struct strbuf *err)
{
	const char *rest;

	if (strncasecmp(endpoint, "unix:", 5) == 0 ||
	    strncasecmp(endpoint, "local:", 6) == 0) {
		rest = strchr(endpoint, ':') + 1;
		*is_unix = true;
		if (*rest == 0 || strlen(rest) >= 108) {
			strbuf_printf(err, "policy server %s: bad socket path",
			    endpoint);
			return (-1);
		}
		strbuf_set(path, rest);
		return (0);
	}
	if (strncasecmp(endpoint, "inet:", 5) == 0) {
		*is_unix = false;
		if (inet_split_hostport(endpoint + 5, host, port) < 0 ||
		    host->len == 0 || port->len == 0) {
			strbuf_printf(err, "policy server %s: expected "
			    "inet:host:port", endpoint);
			return (-1);
		}
		return (0);
	}
	strbuf_printf(err, "policy server %s: expected inet:host:port or "
	    "unix:pathname", endpoint);
	return (-1);
}

/* policy_endpoint_check - see policy_client.h */
int
policy_endpoint_check(const char *endpoint, struct strbuf *err)
{
	struct strbuf path, host, port;
	bool	 is_unix;
	int	 rc;

	strbuf_init(&path);
	strbuf_init(&host);
	strbuf_init(&port);
	rc = parse_endpoint(endpoint, &is_unix, &path, &host, &port, err);
	strbuf_free(&path);
	strbuf_free(&host);
	strbuf_free(&port);
	return (rc);
}

/* resolve - the addresses of an inet: server; -1 with why */
static int
resolve(struct policy_client *c, struct strbuf *why)
{
	struct addrinfo hints;
	int	 gerr;

	if (c->addrs != NULL)
		return (0);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((gerr = getaddrinfo(c->host, c->port, &hints, &c->addrs)) != 0) {
		c->addrs = NULL;
		strbuf_set(why, "");
		strbuf_printf(why, "cannot resolve %s:%s: %s", c->host,
		    c->port, gai_strerror(gerr));
		return (-1);
	}
	return (0);
}

/* policy_client_create - see policy_client.h */
struct policy_client *
policy_client_create(const char *endpoint,
    const struct policy_client_settings *settings, struct strbuf *err)
{
	struct policy_client *c;
	struct strbuf path, host, port, why;
	bool	 is_unix;

	strbuf_init(&path);
	strbuf_init(&host);
	strbuf_init(&port);
	if (parse_endpoint(endpoint, &is_unix, &path, &host, &port, err) < 0) {
		strbuf_free(&path);
		strbuf_free(&host);
		strbuf_free(&port);
		return (NULL);
	}
	c = xcalloc(1, sizeof(*c));
	c->endpoint = xstrdup(endpoint);
	c->is_unix = is_unix;
	c->set = *settings;
	if (c->set.try_limit < 1)
		c->set.try_limit = 1;
	if (is_unix) {
		c->path = strbuf_detach(&path);
	} else {
		c->host = strbuf_detach(&host);
		c->port = strbuf_detach(&port);
		strbuf_init(&why);
		if (resolve(c, &why) < 0)
			msg_warn("policy server %s: %s; trying again at "
			    "connect time", endpoint, why.data);
		strbuf_free(&why);
	}
	strbuf_free(&path);
	strbuf_free(&host);
	strbuf_free(&port);
	return (c);
}

/* conn_close - end one connection */
static void
conn_close(struct policy_conn *conn)
{
	stream_close(conn->stream);
	free(conn);
}

/* policy_client_free - see policy_client.h */
void
policy_client_free(struct policy_client *c)
{
	struct policy_conn *conn;

	if (c == NULL)
		return;
	while ((conn = c->idle) != NULL) {
		c->idle = conn->next;
		conn_close(conn);
	}
	if (c->addrs != NULL)
		freeaddrinfo(c->addrs);
	free(c->endpoint);
	free(c->path);
	free(c->host);
	free(c->port);
	free(c);
}

/* policy_client_endpoint - see policy_client.h */
const char *
policy_client_endpoint(const struct policy_client *c)
{
	return (c->endpoint);
}

/* conn_expired - too old, idle too long, or used up */
static bool
conn_expired(const struct policy_client *c, const struct policy_conn *conn,
    long long now)
{
	if (c->set.max_ttl_ms > 0 && now - conn->born_ms >= c->set.max_ttl_ms)
		return (true);
	if (c->set.max_idle_ms > 0 && now - conn->used_ms >= c->set.max_idle_ms)
		return (true);
	return (c->set.request_limit > 0 &&
	    conn->requests >= c->set.request_limit);
}

/* policy_client_expire - see policy_client.h */
void
policy_client_expire(struct policy_client *c)
{
	struct policy_conn **pp = &c->idle, *conn;
	long long now = clock_monotonic_ms();

	while ((conn = *pp) != NULL) {
		if (conn_expired(c, conn, now)) {
			*pp = conn->next;
			conn_close(conn);
		} else {
			pp = &conn->next;
		}
	}
}

/* policy_client_idle_count - see policy_client.h */
int
policy_client_idle_count(const struct policy_client *c)
{
	const struct policy_conn *conn;
	int	 n = 0;

	for (conn = c->idle; conn != NULL; conn = conn->next)
		n++;
	return (n);
}

/*
 * conn_still_usable - nothing to read on a kept connection: anything
 * there now (an EOF, an error, bytes nobody asked for) rules it out
 */
static bool
conn_still_usable(struct policy_conn *conn)
{
	struct pollfd pfd;

	if (stream_pending(conn->stream) > 0)
		return (false);
	pfd.fd = stream_fd(conn->stream);
	pfd.events = POLLIN;
	pfd.revents = 0;
	return (poll(&pfd, 1, 0) == 0);
}

/* conn_connect - a new connection within the try's time; NULL + why */
static struct policy_conn *
conn_connect(struct policy_client *c, struct strbuf *why)
{
	struct policy_conn *conn;
	struct addrinfo *ai;
	int	 fd = -1;

	if (c->is_unix) {
		fd = unix_connect(c->path, (int)((c->set.timeout_ms + 999) / 1000));
	} else {
		if (resolve(c, why) < 0)
			return (NULL);
		for (ai = c->addrs; ai != NULL && fd < 0; ai = ai->ai_next)
			fd = sock_connect(ai->ai_addr, ai->ai_addrlen,
			    (int)c->set.timeout_ms);
	}
	if (fd < 0) {
		strbuf_set(why, "");
		strbuf_printf(why, "connect: %s", strerror(errno));
		return (NULL);
	}
	conn = xcalloc(1, sizeof(*conn));
	conn->stream = stream_open(fd);
	conn->born_ms = clock_monotonic_ms();
	return (conn);
}

/* conn_take - a kept connection still good, else a new one */
static struct policy_conn *
conn_take(struct policy_client *c, struct strbuf *why)
{
	struct policy_conn *conn;

	policy_client_expire(c);
	while ((conn = c->idle) != NULL) {
		c->idle = conn->next;
		if (conn_still_usable(conn))
			return (conn);
		conn_close(conn);
	}
	return (conn_connect(c, why));
}

/* conn_put_back - keep it for the next query, unless used up */
static void
conn_put_back(struct policy_client *c, struct policy_conn *conn)
{
	conn->used_ms = clock_monotonic_ms();
	if (conn_expired(c, conn, conn->used_ms)) {
		conn_close(conn);
		return;
	}
	conn->next = c->idle;
	c->idle = conn;
}

enum try_result { TRY_OK, TRY_FAILED, TRY_REFUSED };

/*
 * try_query - one request and its reply on conn, within the try's
 * deadline; the reply is read in pieces into buf until it is complete,
 * refused, or over the limit
 */
static enum try_result
try_query(struct policy_client *c, struct policy_conn *conn,
    const struct strbuf *request, struct strbuf *action, struct strbuf *why)
{
	struct stream *s = conn->stream;
	struct strbuf buf;
	char	 chunk[POLICY_READ_CHUNK];
	enum policy_reply_status st = POLICY_REPLY_MORE;
	size_t	 used = 0;
	ssize_t	 n;

	stream_set_timeout(s, (int)((c->set.timeout_ms + 999) / 1000));
	stream_set_deadline(s, c->set.timeout_ms, 0);
	conn->requests++;
	if (stream_write(s, request->data, request->len) != STREAM_OK ||
	    stream_flush(s) != STREAM_OK) {
		strbuf_set(why, "");
		strbuf_printf(why, "write: %s",
		    stream_status_text(stream_status(s)));
		return (TRY_FAILED);
	}
	strbuf_init(&buf);
	while (st == POLICY_REPLY_MORE) {
		if ((n = stream_read(s, chunk, sizeof(chunk))) < 0) {
			strbuf_set(why, "");
			strbuf_printf(why, "read: %s", stream_status_text((int)n));
			break;
		}
		strbuf_append(&buf, chunk, (size_t)n);
		st = policy_reply_parse(buf.data, buf.len, action, &used, why);
	}
	/* bytes after the reply: the connection is out of step */
	if (st == POLICY_REPLY_DONE && (used != buf.len ||
	    stream_pending(s) > 0))
		conn->out_of_step = true;
	strbuf_free(&buf);
	if (st == POLICY_REPLY_DONE)
		return (TRY_OK);
	return (st == POLICY_REPLY_BAD ? TRY_REFUSED : TRY_FAILED);
}

/* policy_client_query - see policy_client.h */
int
policy_client_query(struct policy_client *c, const struct strbuf *request,
    struct strbuf *action, struct strbuf *why)
{
	struct policy_conn *conn;
	enum try_result res = TRY_FAILED;
	long	 try;

	for (try = 1; try <= c->set.try_limit; try++) {
		if (try > 1 && c->set.retry_delay_ms > 0)
			(void)coro_poll(-1, 0, (int)c->set.retry_delay_ms, NULL);
		if ((conn = conn_take(c, why)) == NULL) {
			msg_warn("problem talking to policy server %s: %s",
			    c->endpoint, why->data);
			continue;
		}
		res = try_query(c, conn, request, action, why);
		if (res == TRY_OK) {
			if (conn->out_of_step)
				conn_close(conn);
			else
				conn_put_back(c, conn);
			return (0);
		}
		conn_close(conn);
		msg_warn("problem talking to policy server %s: %s",
		    c->endpoint, why->data);
		if (res == TRY_REFUSED)
			break;
	}
	strbuf_reset(action);
	return (-1);
}
