/*
 * serve - the requests of one anvil client connection (an smtpd process,
 * or any service that limits its clients), one after the other, in the
 * coroutine the skeleton runs for that connection.
 *
 * Each request is one attribute list, checked strictly: known names only,
 * each at most once, an ident of 1..ANVIL_IDENT_MAX bytes without NUL.
 * A malformed request ends the connection (the client is one of our own
 * daemons, so that is a bug worth a warning, not something to guess at).
 * Replies are flushed when no further request is buffered, so a burst of
 * requests is answered with one write.  When the connection ends, however
 * it ends, the sessions it registered are released.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anvil.h"
#include "attr.h"
#include "msg.h"
#include "stream.h"

#define ANVIL_REQUEST_MAX	1024	/* bytes of one request on the wire */

/* one request, picked apart */
struct anvil_request {
	const char	*request;
	const char	*ident;
	const char	*event;		/* NULL when absent */
};

/* request_parse - the request's fields; false when it is malformed */
static bool
request_parse(const struct attr_list *list, struct anvil_request *req)
{
	const char **slot;

	memset(req, 0, sizeof(*req));
	for (size_t i = 0; i < list->count; i++) {
		const struct attr *a = &list->items[i];

		if (strcmp(a->name, "request") == 0)
			slot = &req->request;
		else if (strcmp(a->name, "ident") == 0)
			slot = &req->ident;
		else if (strcmp(a->name, "event") == 0)
			slot = &req->event;
		else
			return (false);
		if (*slot != NULL || strlen(a->value) != a->value_len)
			return (false);
		*slot = a->value;
	}
	return (req->request != NULL && req->ident != NULL &&
	    req->ident[0] != '\0' && strlen(req->ident) <= ANVIL_IDENT_MAX);
}

/* reply_numbers - status=0 with the numbers; count only when >= 0 */
static void
reply_numbers(struct stream *s, long count, long rate)
{
	struct attr_list list;

	attr_list_init(&list);
	attr_list_add_long(&list, "status", 0);
	if (count >= 0)
		attr_list_add_long(&list, "count", count);
	attr_list_add_long(&list, "rate", rate);
	(void)attr_write(s, &list);
	attr_list_free(&list);
}

/* reply_status - a bare status (1: the request was not understood) */
static void
reply_status(struct stream *s, long status)
{
	struct attr_list list;

	attr_list_init(&list);
	attr_list_add_long(&list, "status", status);
	(void)attr_write(s, &list);
	attr_list_free(&list);
}

/*
 * request_run - one request.  A disconnect has no reply: the client
 * never waits at the end of a session.
 */
static void
request_run(struct anvil_daemon *d, struct anvil_owner *owner,
    struct stream *s, const struct anvil_request *req, time_t now)
{
	enum anvil_event event = ANVIL_EVENT_CONNECT;
	long	 count, rate;

	if (req->event != NULL && !anvil_event_parse(req->event, &event)) {
		msg_warn("unknown event \"%.100s\" in %s request",
		    req->event, req->request);
		reply_status(s, 1);
		return;
	}
	if (strcmp(req->request, "connect") == 0 && req->event == NULL) {
		anvil_table_connect(d->table, owner, req->ident, now, &count,
		    &rate);
		reply_numbers(s, count, rate);
	} else if (strcmp(req->request, "disconnect") == 0 &&
	    req->event == NULL) {
		(void)anvil_table_disconnect(d->table, owner, req->ident, now);
	} else if (strcmp(req->request, "event") == 0 && req->event != NULL &&
	    event != ANVIL_EVENT_CONNECT) {
		rate = anvil_table_event(d->table, req->ident, event, now);
		reply_numbers(s, -1, rate);
	} else if (strcmp(req->request, "lookup") == 0) {
		anvil_table_lookup(d->table, req->ident, event, now, &count,
		    &rate);
		reply_numbers(s, count, rate);
	} else {
		msg_warn("unrecognized request: \"%.100s\", ignored",
		    req->request);
		reply_status(s, 1);
	}
}

/* anvil_serve - requests until the client closes; then release its sessions */
void
anvil_serve(struct service_context *ctx, int client_fd)
{
	struct anvil_daemon *d = ctx->app;
	struct anvil_owner *owner;
	struct anvil_request req;
	struct attr_list list;
	struct stream *s;
	time_t	 now;
	int	 fd, r;

	if ((fd = dup(client_fd)) < 0) {
		msg_warn("dup: %m");
		return;
	}
	s = stream_open(fd);		/* no timeout: clients idle for long */
	owner = anvil_owner_create();
	attr_list_init(&list);
	for (;;) {
		errno = 0;
		if ((r = attr_read(s, &list, ANVIL_REQUEST_MAX)) != STREAM_OK) {
			/* a killed client with replies unread: a reset, no bug */
			if (r != STREAM_EOF && errno != ECONNRESET)
				msg_warn("client connection: %s: closing it",
				    r == STREAM_ERROR ? "malformed request or "
				    "read error" : stream_status_text(r));
			break;
		}
		if (!request_parse(&list, &req)) {
			msg_warn("malformed request from a client: closing its "
			    "connection");
			break;
		}
		now = time(NULL);
		anvil_stats_due(d, now);
		anvil_table_expire(d->table, now);
		request_run(d, owner, s, &req, now);
		if (stream_pending(s) == 0 && stream_flush(s) != STREAM_OK)
			break;
	}
	attr_list_free(&list);
	anvil_owner_release(d->table, owner, time(NULL));
	stream_close(s);
}
