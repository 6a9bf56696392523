/*
 * cleanup_client - hand a message to the cleanup daemon.
 *
 * The conversation is described in cleanup_client.h.  This side keeps one
 * CLEANUP_CHUNK_MAX buffer so that callers may write line by line while the
 * socket sees one attribute list per chunk.  A cleanup that dies
 * mid-message gives the caller a 4xx (the stream layer never raises
 * SIGPIPE).  Any failure to talk to cleanup becomes "451 4.3.0"; the details
 * go to the log, never to the SMTP client.
 *
 * A connection whose conversation ended with a verdict is kept for the
 * next message (a few per process, briefly): that saves a connect, an
 * accept and two master status updates per message.  cleanup may have
 * closed it meanwhile, so a reused connection that fails before its
 * envelope is answered is replaced by a new one once, silently: nothing
 * was queued over it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attr.h"
#include "cleanup_client.h"
#include "mem.h"
#include "msg.h"
#include "queue_id.h"
#include "sock.h"
#include "stream.h"
#include "strbuf.h"

#define CLEANUP_REPLY_MAX	8192	/* a verdict is a few short attributes */
#define CLEANUP_REASON_MAX	200	/* of the text cleanup may send */

#define CLEANUP_TEXT_WRITE	"4.3.0 Error: queue file write error"
#define CLEANUP_TEXT_PROTO	"4.3.0 Error: internal protocol error"
#define CLEANUP_TEXT_REJECT	"5.3.0 Error: message rejected"

/*
 * Idle connections kept per process, and for how long.  cleanup waits
 * CLEANUP_NEXT_MESSAGE_WAIT for the next envelope; a client gives up on a
 * connection well before that, so that the race is rare (and harmless).
 */
#define CLEANUP_POOL_SIZE	8
#define CLEANUP_POOL_IDLE_MS	((CLEANUP_NEXT_MESSAGE_WAIT * 1000) / 2)

struct cleanup_pooled {
	struct stream	*stream;
	char		*socket_path;
	struct timespec	 since;
};

static struct cleanup_pooled cleanup_pool[CLEANUP_POOL_SIZE];

struct cleanup_client {
	struct stream	*stream;
	char		*socket_path;	/* where it came from, for the pool */
	bool		 reusable;	/* the last verdict left it in step */
	char		*chunk;		/* content not yet sent */
	size_t		 chunk_len;
	struct attr_list list;		/* reused for every request and reply */
	bool		 failed;	/* a send failed: the verdict is a 4xx */
	bool		 written;	/* content began: no more prepend */
};

/* smtp_code - the SMTP reply code that goes with a cleanup verdict */
static const char *
smtp_code(int status, const char *text)
{
	if (status == 4)
		return ("451");
	/* Postfix compatibility: an oversized message is a 552. */
	if (strncmp(text, "5.3.4", 5) == 0 || strncmp(text, "5.2.3", 5) == 0)
		return ("552");
	/* content refused by header/body checks or MIME limits: 550 */
	if (strncmp(text, "5.7.", 4) == 0 || strncmp(text, "5.6.", 4) == 0)
		return ("550");
	return ("554");
}

/* enhanced_code_ok - text starts with "C.x.y " where C is the status class */
static bool
enhanced_code_ok(const char *text, size_t len, int status)
{
	size_t	i = 0, digits;
	int	part;

	if (len < 6 || text[0] != '0' + status || text[1] != '.')
		return (false);
	i = 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; i < len && text[i] >= '0' && text[i] <= '9'; i++)
			digits++;
		if (digits < 1 || digits > 3)
			return (false);
		if (part == 0) {
			if (i >= len || text[i] != '.')
				return (false);
			i++;
		}
	}
	return (i < len && text[i] == ' ');
}

/*
 * set_reason - "CODE TEXT" for the caller's SMTP reply.  The text from
 * cleanup is only used when it is short, printable and carries an enhanced
 * code of the right class; a confused peer cannot inject CR/LF into SMTP.
 */
static void
set_reason(struct strbuf *reason, int status, const struct attr *text)
{
	const char *fallback = status == 5 ? CLEANUP_TEXT_REJECT : CLEANUP_TEXT_WRITE;
	const char *use = fallback;
	size_t	i;

	if (text != NULL && text->value_len <= CLEANUP_REASON_MAX
	    && enhanced_code_ok(text->value, text->value_len, status)) {
		for (i = 0; i < text->value_len; i++)
			if ((unsigned char)text->value[i] < 0x20
			    || (unsigned char)text->value[i] > 0x7e)
				break;
		if (i == text->value_len)
			use = text->value;
	}
	if (reason != NULL) {
		strbuf_reset(reason);
		strbuf_printf(reason, "%s %s", smtp_code(status, use), use);
	}
}

/* fail - report a local failure as status 4 */
static void
fail(int *status, struct strbuf *reason, const char *text)
{
	*status = 4;
	if (reason != NULL) {
		strbuf_reset(reason);
		strbuf_printf(reason, "451 %s", text);
	}
}

/* read_reply - one reply list into c->list; 0, or -1 (logged) */
static int
read_reply(struct cleanup_client *c)
{
	int	rc;

	if ((rc = attr_read(c->stream, &c->list, CLEANUP_REPLY_MAX)) != STREAM_OK) {
		msg_warn("cleanup: reading reply: %s", rc == STREAM_EOF ?
		    "lost connection" : stream_status_text(rc));
		return (-1);
	}
	return (0);
}

/*
 * check_verdict - the reply list read.  Returns 0 for status=0 (queue_id,
 * when asked for, checked and copied), else -1 with *status and reason.
 * A well-formed verdict, whatever it says, leaves the connection in step.
 */
static int
check_verdict(struct cleanup_client *c, char *queue_id, int *status,
	     struct strbuf *reason)
{
	const char *id;
	long	code;

	c->reusable = false;
	if (attr_list_get_long(&c->list, "status", &code) < 0
	    || (code != 0 && code != 4 && code != 5)) {
		msg_warn("cleanup: malformed reply (no valid status)");
		fail(status, reason, CLEANUP_TEXT_PROTO);
		return (-1);
	}
	if (code != 0) {
		*status = (int)code;
		set_reason(reason, (int)code, attr_list_find(&c->list, "reason"));
		/* refused at the envelope: the conversation is over mid-way */
		c->reusable = queue_id == NULL;
		return (-1);
	}
	if (queue_id != NULL) {
		id = attr_list_get(&c->list, "queue_id");
		if (id == NULL || !queue_id_valid(id)) {
			msg_warn("cleanup: malformed reply (bad queue_id)");
			fail(status, reason, CLEANUP_TEXT_PROTO);
			return (-1);
		}
		memcpy(queue_id, id, QUEUE_ID_SIZE);
	}
	c->reusable = queue_id == NULL;
	*status = 0;
	return (0);
}

/* send_list - write c->list, pushing it out when flush is set */
static int
send_list(struct cleanup_client *c, bool flush)
{
	if (attr_write(c->stream, &c->list) < 0
	    || (flush && stream_flush(c->stream) < 0)) {
		if (!c->failed)
			msg_warn("cleanup: sending: %s",
			    stream_status_text(stream_status(c->stream)));
		c->failed = true;
		return (-1);
	}
	return (0);
}

/* send_data - one data=BYTES list; the stream writes full blocks itself */
static int
send_data(struct cleanup_client *c, const void *data, size_t len)
{
	attr_list_reset(&c->list);
	attr_list_add(&c->list, "data", data, len);
	return (send_list(c, false));
}

/* elapsed_ms - milliseconds since then */
static long
elapsed_ms(const struct timespec *then)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((long)(now.tv_sec - then->tv_sec) * 1000 +
	    (now.tv_nsec - then->tv_nsec) / 1000000);
}

/* pool_drop - empty a slot, closing its connection unless taken */
static struct stream *
pool_drop(struct cleanup_pooled *p, bool close_it)
{
	struct stream *stream = p->stream;

	if (close_it) {
		stream_close(stream);
		stream = NULL;
	}
	p->stream = NULL;
	free(p->socket_path);
	p->socket_path = NULL;
	return (stream);
}

/* pool_put - keep a connection that is in step for the next message */
static void
pool_put(struct stream *stream, const char *socket_path)
{
	struct cleanup_pooled *slot = NULL, *p;

	for (p = cleanup_pool; p < cleanup_pool + CLEANUP_POOL_SIZE; p++) {
		if (p->stream == NULL) {
			slot = p;
			break;
		}
		if (slot == NULL || p->since.tv_sec < slot->since.tv_sec ||
		    (p->since.tv_sec == slot->since.tv_sec &&
		    p->since.tv_nsec < slot->since.tv_nsec))
			slot = p;	/* full: the oldest makes room */
	}
	if (slot->stream != NULL)
		(void)pool_drop(slot, true);
	slot->stream = stream;
	slot->socket_path = xstrdup(socket_path);
	clock_gettime(CLOCK_MONOTONIC, &slot->since);
}

/*
 * pool_take - a kept connection to socket_path that still looks alive (no
 * input waiting: an idle cleanup says nothing until it hangs up), or
 * NULL.  Expired ones go on the way; only the candidate costs a probe.
 */
static struct stream *
pool_take(const char *socket_path)
{
	struct cleanup_pooled *p;

	for (p = cleanup_pool; p < cleanup_pool + CLEANUP_POOL_SIZE; p++) {
		if (p->stream == NULL)
			continue;
		if (elapsed_ms(&p->since) > CLEANUP_POOL_IDLE_MS)
			(void)pool_drop(p, true);
		else if (strcmp(p->socket_path, socket_path) == 0) {
			if (stream_wait_readable(p->stream, 0) == 0)
				return (pool_drop(p, false));
			(void)pool_drop(p, true);	/* hung up */
		}
	}
	return (NULL);
}

/* client_free - release everything; the connection is kept if it can be */
static void
client_free(struct cleanup_client *c)
{
	if (c->reusable && !c->failed && stream_status(c->stream) == STREAM_OK)
		pool_put(c->stream, c->socket_path);
	else
		stream_close(c->stream);
	attr_list_free(&c->list);
	free(c->socket_path);
	free(c->chunk);
	free(c);
}

/* send_envelope - the envelope list, request=message first; 0 / -1 */
static int
send_envelope(struct cleanup_client *c, const struct attr_list *envelope)
{
	/* Callers may leave out request=message; cleanup insists on it first. */
	if (attr_list_get(envelope, "request") != NULL)
		return (attr_write(c->stream, envelope) < 0 ||
		    stream_flush(c->stream) < 0 ? -1 : 0);
	attr_list_reset(&c->list);
	attr_list_add_str(&c->list, "request", "message");
	for (size_t i = 0; i < envelope->count; i++)
		attr_list_add(&c->list, envelope->items[i].name,
		    envelope->items[i].value, envelope->items[i].value_len);
	return (attr_write(c->stream, &c->list) < 0 ||
	    stream_flush(c->stream) < 0 ? -1 : 0);
}

/* client_new - a client on an open stream */
static struct cleanup_client *
client_new(struct stream *stream, const char *socket_path, int timeout)
{
	struct cleanup_client *c;

	c = xcalloc(1, sizeof(*c));
	c->stream = stream;
	c->socket_path = xstrdup(socket_path);
	stream_set_timeout(c->stream, timeout);
	attr_list_init(&c->list);
	return (c);
}

/*
 * cleanup_open - send the envelope over a kept connection or a new one,
 * wait for the queue ID
 */
struct cleanup_client *
cleanup_open(const char *socket_path, int timeout,
	     const struct attr_list *envelope, char queue_id[QUEUE_ID_SIZE],
	     int *status, struct strbuf *reason)
{
	struct cleanup_client *c;
	struct stream *kept;
	int	fd;

	/*
	 * A kept connection cleanup has just closed fails here, before
	 * anything was queued: it goes, and a new one is tried.
	 */
	if ((kept = pool_take(socket_path)) != NULL) {
		c = client_new(kept, socket_path, timeout);
		if (send_envelope(c, envelope) == 0 &&
		    attr_read(c->stream, &c->list, CLEANUP_REPLY_MAX) == STREAM_OK)
			goto verdict;
		client_free(c);
	}
	if ((fd = unix_connect(socket_path, timeout)) < 0) {
		msg_warn("cleanup: connect to %s: %s", socket_path, strerror(errno));
		fail(status, reason, CLEANUP_TEXT_WRITE);
		return (NULL);
	}
	c = client_new(stream_open(fd), socket_path, timeout);
	if (send_envelope(c, envelope) < 0) {
		msg_warn("cleanup: sending envelope: %s",
		    stream_status_text(stream_status(c->stream)));
		fail(status, reason, CLEANUP_TEXT_WRITE);
		client_free(c);
		return (NULL);
	}
	if (read_reply(c) < 0) {
		fail(status, reason, CLEANUP_TEXT_WRITE);
		client_free(c);
		return (NULL);
	}
verdict:
	if (check_verdict(c, queue_id, status, reason) < 0) {
		client_free(c);
		return (NULL);
	}
	c->chunk = xmalloc(CLEANUP_CHUNK_MAX);
	return (c);
}

/* cleanup_write - buffer content, sending each full chunk */
int
cleanup_write(struct cleanup_client *c, const void *data, size_t len)
{
	const char *p = data;
	size_t	n;

	if (c->failed)
		return (-1);
	if (len > 0)
		c->written = true;
	while (len > 0) {
		/* Large writes skip the copy into the chunk buffer. */
		if (c->chunk_len == 0 && len >= CLEANUP_CHUNK_MAX) {
			if (send_data(c, p, CLEANUP_CHUNK_MAX) < 0)
				return (-1);
			p += CLEANUP_CHUNK_MAX;
			len -= CLEANUP_CHUNK_MAX;
			continue;
		}
		n = CLEANUP_CHUNK_MAX - c->chunk_len;
		if (n > len)
			n = len;
		memcpy(c->chunk + c->chunk_len, p, n);
		c->chunk_len += n;
		p += n;
		len -= n;
		if (c->chunk_len == CLEANUP_CHUNK_MAX) {
			c->chunk_len = 0;
			if (send_data(c, c->chunk, CLEANUP_CHUNK_MAX) < 0)
				return (-1);
		}
	}
	return (0);
}

/* cleanup_finish - flush, send end=1 and wait for the verdict */
int
cleanup_finish(struct cleanup_client *c, int *status, struct strbuf *reason)
{
	int	rc = -1;

	if (!c->failed && c->chunk_len > 0) {
		(void)send_data(c, c->chunk, c->chunk_len);
		c->chunk_len = 0;
	}
	if (!c->failed) {
		attr_list_reset(&c->list);
		attr_list_add_str(&c->list, "end", "1");
		(void)send_list(c, true);
	}
	if (c->failed || read_reply(c) < 0)
		fail(status, reason, CLEANUP_TEXT_WRITE);
	else
		rc = check_verdict(c, NULL, status, reason);
	client_free(c);
	return (rc);
}

/* effect_text_ok - a value or reason cleanup will take: printable, bounded */
static bool
effect_text_ok(const char *text, bool empty_ok)
{
	size_t	len = strlen(text);

	if (len > CLEANUP_EFFECT_MAX || (len == 0 && !empty_ok))
		return (false);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return (false);
	return (true);
}

/* send_effect - one side-effect list: name=value [reason=why] */
static int
send_effect(struct cleanup_client *c, const char *name, const char *value,
    const char *why)
{
	if (!effect_text_ok(value, false) || (why != NULL &&
	    !effect_text_ok(why, true))) {
		msg_warn("cleanup: %s: bad or too long value, not sent", name);
		return (-1);
	}
	if (c->failed)
		return (-1);
	attr_list_reset(&c->list);
	attr_list_add_str(&c->list, name, value);
	if (why != NULL)
		attr_list_add_str(&c->list, "reason", why);
	return (send_list(c, false));
}

/* cleanup_client_hold - the message goes to hold/ */
int
cleanup_client_hold(struct cleanup_client *c, const char *why)
{
	return (send_effect(c, "hold", "1", why));
}

/* cleanup_client_discard - accepted, then dropped */
int
cleanup_client_discard(struct cleanup_client *c, const char *why)
{
	return (send_effect(c, "discard", "1", why));
}

/* cleanup_client_filter - transport:nexthop for every recipient */
int
cleanup_client_filter(struct cleanup_client *c, const char *filter,
    const char *why)
{
	const char *colon = strchr(filter, ':');

	if (colon == NULL || colon == filter) {
		msg_warn("cleanup: filter \"%.100s\" is not transport:nexthop",
		    filter);
		return (-1);
	}
	return (send_effect(c, "filter", filter, why));
}

/* cleanup_client_redirect - every recipient replaced by addr */
int
cleanup_client_redirect(struct cleanup_client *c, const char *addr,
    const char *why)
{
	return (send_effect(c, "redirect", addr, why));
}

/* cleanup_client_bcc - one more recipient */
int
cleanup_client_bcc(struct cleanup_client *c, const char *addr, const char *why)
{
	return (send_effect(c, "bcc", addr, why));
}

/* cleanup_client_prepend - a header above everything the client writes */
int
cleanup_client_prepend(struct cleanup_client *c, const char *header)
{
	if (c->written) {
		msg_warn("cleanup: prepend after the content began, not sent");
		return (-1);
	}
	return (send_effect(c, "prepend", header, NULL));
}

/* cleanup_abort - close without end=1: cleanup removes the file */
void
cleanup_abort(struct cleanup_client *c)
{
	client_free(c);
}
