/*
 * serve.c - one qmgr connection: one notice request, one reply.
 *
 * Runs in the coroutine the skeleton gives the connection.  The request
 * is read with a bound on its size and checked strictly
 * (lib/mail/bounce_request.c); a malformed one is answered with a temporary
 * error and logged, since only our own qmgr talks here.
 */
#include <errno.h>
#include <unistd.h>

#include "attr.h"
#include "bounce.h"
#include "msg.h"
#include "stream.h"

/* reply_send - the one reply of the connection */
static void
reply_send(struct stream *s, const struct bounce_reply *reply)
{
	struct attr_list list;

	attr_list_init(&list);
	bounce_reply_to_list(reply, &list);
	if (attr_write(s, &list) < 0 || stream_flush(s) != STREAM_OK)
		msg_warn("send the reply to qmgr: %s",
		    stream_status_text(stream_status(s)));
	attr_list_free(&list);
}

/* bounce_serve - read the request, do it, answer */
void
bounce_serve(struct service_context *ctx, int client_fd)
{
	struct bounce_request req;
	struct bounce_reply reply;
	struct attr_list list;
	struct strbuf err;
	struct stream *s;
	int	 fd, r;

	if ((fd = dup(client_fd)) < 0) {
		msg_warn("dup: %m");
		return;
	}
	s = stream_open(fd);
	stream_set_timeout(s, BOUNCE_REQUEST_TIMEOUT);
	attr_list_init(&list);
	bounce_request_init(&req);
	bounce_reply_init(&reply);
	strbuf_init(&err);
	if ((r = attr_read(s, &list, BOUNCE_REQUEST_MAX)) != STREAM_OK) {
		if (r != STREAM_EOF)
			msg_warn("read a request: %s", r == STREAM_ERROR ?
			    "malformed or too large" : stream_status_text(r));
		goto out;
	}
	if (bounce_request_parse(&list, &req, &err) < 0) {
		msg_warn("malformed request from qmgr: %s", err.data);
		strbuf_printf(&reply.reason, "malformed request: %s", err.data);
		reply_send(s, &reply);
		goto out;
	}
	attr_list_free(&list);
	bounce_notify(ctx->app, &req, client_fd, &reply);
	reply_send(s, &reply);
out:
	attr_list_free(&list);
	bounce_request_free(&req);
	bounce_reply_free(&reply);
	strbuf_free(&err);
	stream_close(s);
}
