/*
 * protocol - cleanup's side of the conversation in cleanup_client.h.
 *
 * One message at a time, several per connection:
 *	envelope list  -> checked (envelope.c); new mail from outside
 *	                  (CLEANUP_FLAG_FLOW) first waits for an in-flow
 *	                  credit, at most in_flow_delay (lib/io/flow.h); queue
 *	                  file created and the envelope written, each
 *	                  recipient replaced by its virtual alias expansion
 *	                  (expand.c)
 *	                  -> status=0 queue_id=ID, or status=4 when a table
 *	                  failed or a limit was passed (the file removed)
 *	data lists     -> content.c, until end=1
 *	               -> queue_writer_finish (E, mode 0700, fsync file and
 *	                  directory), and only then status=0
 *	(then the next envelope, if one comes within CLEANUP_NEXT_MESSAGE_WAIT)
 * Every list is read with a size bound and checked for exactly the shape
 * expected at that point; anything else is a protocol error answered with
 * status=4 and the file removed.  A client that disconnects before end=1
 * leaves no file.  Errors are logged with their real cause; the client
 * only ever sees the fixed texts of cleanup.h.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "cleanup.h"
#include "cleanup_client.h"
#include "flow.h"
#include "mem.h"
#include "msg.h"
#include "queue_file.h"
#include "queue_recycle.h"
#include "service.h"
#include "stream.h"
#include "strbuf.h"

/* A data list: the value plus the name and length words. */
#define CLEANUP_DATA_LIST_MAX	(CLEANUP_CHUNK_MAX + 256)

/* reply - send status (and queue ID or reason); 0 / -1 */
static int
reply(struct stream *s, struct attr_list *list, int status, const char *id,
      const char *reason)
{
	attr_list_reset(list);
	attr_list_add_long(list, "status", status);
	if (id != NULL)
		attr_list_add_str(list, "queue_id", id);
	if (reason != NULL)
		attr_list_add_str(list, "reason", reason);
	if (attr_write(s, list) < 0 || stream_flush(s) < 0)
		return (-1);
	return (0);
}

/* is_single - the list is exactly one attribute called name */
static bool
is_single(const struct attr_list *list, const char *name)
{
	return (list->count == 1 && strcmp(list->items[0].name, name) == 0);
}

/*
 * receive_content - data lists until end=1: 0; -1 when the client went;
 * 1 after a protocol error (the rest of its lists are not read)
 */
static int
receive_content(struct cleanup_session *cs, struct stream *s)
{
	struct cleanup_message *msg = &cs->msg;
	const struct attr *a;
	int	rc;

	for (;;) {
		rc = attr_read(s, &cs->request, CLEANUP_DATA_LIST_MAX);
		if (rc != STREAM_OK) {
			msg_warn("%s: lost connection with client while receiving"
			    " content (%s)", msg->id, rc == STREAM_EOF ?
			    "end of input" : stream_status_text(rc));
			return (-1);
		}
		a = cs->request.count > 0 ? &cs->request.items[0] : NULL;
		if (is_single(&cs->request, "data") && a->value_len <= CLEANUP_CHUNK_MAX) {
			cleanup_content(msg, a->value, a->value_len);
		} else if ((rc = cleanup_effect_request(msg, &cs->request)) <= 0) {
			if (rc < 0) {
				cleanup_reject(msg, 4, CLEANUP_TEXT_PROTO);
				return (1);
			}
		} else if (is_single(&cs->request, "end") && strcmp(a->value, "1") == 0
		    && a->value_len == 1) {
			return (0);
		} else {
			msg_warn("%s: protocol error: unexpected list (%zu attributes,"
			    " first \"%.64s\") in the content", msg->id,
			    cs->request.count, a != NULL ? a->name : "");
			cleanup_reject(msg, 4, CLEANUP_TEXT_PROTO);
			return (1);
		}
	}
}

/*
 * serve_message - the whole conversation for one message.  Returns true
 * when it ended with the final verdict sent and the connection in step
 * (end=1 read), so that the next envelope may follow.
 */
static bool
serve_message(struct cleanup_daemon *d, struct cleanup_session *cs,
    struct stream *s)
{
	struct cleanup_message *msg = &cs->msg;
	struct queue_writer *w;
	struct strbuf err;
	const char *request, *refusal = NULL;
	bool	 in_step = false, credit = false, queued = false;
	int	rc;

	rc = attr_read(s, &cs->request, ATTR_TOTAL_DEFAULT);
	if (rc == STREAM_EOF)
		return (false);
	if (rc != STREAM_OK) {
		msg_warn("reading envelope: %s", stream_status_text(rc));
		(void)reply(s, &cs->request, 4, NULL, CLEANUP_TEXT_PROTO);
		return (false);
	}
	request = attr_list_get(&cs->request, "request");
	if (request == NULL || strcmp(request, "message") != 0) {
		msg_warn("unknown request \"%.64s\"", request ? request : "(none)");
		(void)reply(s, &cs->request, 4, NULL, CLEANUP_TEXT_PROTO);
		return (false);
	}
	strbuf_init(&err);
	if (cleanup_envelope_check(&cs->request, msg, &err) < 0) {
		msg_warn("malformed envelope: %s", err.data);
		(void)reply(s, &cs->request, 4, NULL, CLEANUP_TEXT_PROTO);
		goto done;
	}
	cleanup_rewrite_start(&d->expand, msg, &cs->request);
	cleanup_checks_start(msg, &cs->request);
	/* the client waits for the envelope's answer: that is the pause */
	if ((msg->flags & CLEANUP_FLAG_FLOW) && d->params.in_flow_delay > 0)
		credit = flow_take(d->params.in_flow_delay * 1000L);
	if ((w = queue_writer_create_recycled("incoming", QUEUE_RECYCLE,
	    &err)) == NULL) {
		msg_warn("cannot create queue file: %s", err.data);
		(void)reply(s, &cs->request, 4, NULL, CLEANUP_TEXT_WRITE);
		goto done;
	}
	memcpy(msg->id, queue_writer_id(w), QUEUE_ID_SIZE);
	msg->id[QUEUE_ID_SIZE - 1] = 0;
	cs->dups.mappings = (msg->flags & CLEANUP_FLAG_NO_MAPPINGS) == 0;
	if ((rc = cleanup_rewrite_sender(&d->expand, msg, &cs->dups.scratch,
	    &refusal)) == 0)
		rc = cleanup_envelope_write(w, &cs->request, msg->sender.data,
		    &d->expand, &cs->dups, msg->id, &refusal);
	if (rc != 0) {
		if (rc < 0)
			msg_warn("%s: queue file write error: %s", msg->id,
			    strerror(errno));
		queue_writer_abort(w);
		(void)reply(s, &cs->request, 4, NULL, rc < 0 ?
		    CLEANUP_TEXT_WRITE : refusal);
		goto done;
	}
	cleanup_message_start(msg, w);
	if (reply(s, &cs->request, 0, msg->id, NULL) < 0) {
		msg_warn("%s: lost connection with client after the envelope",
		    msg->id);
		cleanup_reject(msg, 4, CLEANUP_TEXT_WRITE);
		goto done;
	}
	if ((rc = receive_content(cs, s)) < 0) {
		cleanup_reject(msg, 4, CLEANUP_TEXT_WRITE);
		goto done;
	}
	cleanup_content_end(msg);
	if (msg->status == 0 && (!msg->effect_discard || msg->effect_bounce) &&
	    (rc = cleanup_effects_finish(msg, &d->expand, &cs->dups,
	    &refusal)) != 0) {
		if (rc < 0)
			msg_warn("%s: queue file write error: %s", msg->id,
			    strerror(errno));
		cleanup_reject(msg, 4, rc < 0 ? CLEANUP_TEXT_WRITE : refusal);
		rc = 0;
	}
	if (msg->status != 0) {
		in_step = reply(s, &cs->request, msg->status, NULL,
		    msg->reason) == 0 && rc == 0;
		goto done;
	}
	/* accepted and dropped: the client says 250, nothing is delivered */
	if (msg->effect_discard && !msg->effect_bounce) {
		queue_writer_abort(msg->writer);
		msg->writer = NULL;
		in_step = reply(s, &cs->request, 0, NULL, NULL) == 0;
		goto done;
	}

	/*
	 * The fsyncs park only this session (lib/io/async_fsync.h); the
	 * directory's is shared with every session and process that made an
	 * entry in incoming/ before it began (lib/io/dir_sync.h).
	 */
	w = msg->writer;
	msg->writer = NULL;
	strbuf_reset(&err);
	if (queue_writer_finish(w, &err) < 0) {
		msg_warn("%s: queue file write error: %s", msg->id, err.data);
		in_step = reply(s, &cs->request, 4, NULL, CLEANUP_TEXT_WRITE) == 0;
		goto done;
	}
	queued = true;
	if (reply(s, &cs->request, 0, NULL, NULL) < 0)
		msg_warn("%s: lost connection with client before the verdict;"
		    " the message is queued", msg->id);
	else
		in_step = true;
	/* no trigger: qmgr learns of the file from inotify (qmgr/watch.c) */
done:
	/* a message not queued after all holds no place in the window */
	if (credit && !queued)
		flow_give();
	strbuf_free(&err);
	return (in_step);
}

/* session_get - a session from the free list, or a new one */
static struct cleanup_session *
session_get(struct cleanup_daemon *d)
{
	struct cleanup_session *cs = d->free_sessions;

	if (cs != NULL) {
		d->free_sessions = cs->next_free;
		return (cs);
	}
	cs = xcalloc(1, sizeof(*cs));
	attr_list_init(&cs->request);
	cleanup_dups_init(&cs->dups);
	cleanup_message_init(&cs->msg, &d->params);
	cs->msg.checks = &d->checks;
	return (cs);
}

/* cleanup_serve - one accepted connection (the skeleton closes client_fd) */
void
cleanup_serve(struct service_context *ctx, int client_fd)
{
	struct cleanup_daemon *d = ctx->app;
	struct cleanup_session *cs;
	struct stream *s;
	int	fd;

	/* The stream owns its descriptor; the skeleton owns client_fd. */
	if ((fd = dup(client_fd)) < 0) {
		msg_warn("dup: %s", strerror(errno));
		return;
	}
	s = stream_open(fd);
	stream_set_timeout(s, (int)d->params.ipc_timeout);
	cs = session_get(d);
	/* a client between messages holds a session: only briefly */
	while (serve_message(d, cs, s) &&
	    stream_wait_readable(s, CLEANUP_NEXT_MESSAGE_WAIT * 1000) > 0)
		;
	stream_close(s);
	attr_list_reset(&cs->request);
	cs->next_free = d->free_sessions;
	d->free_sessions = cs;
	/* tables that could not be opened: a fresh process tries again */
	if (d->expand.resolver == NULL && !ctx->stop_accepting)
		service_stop_accepting(ctx);
}
