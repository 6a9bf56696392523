/*
 * bounce_request - encode, decode and validate notice requests and their
 * replies; see bounce_request.h for the conversation.
 *
 * The bounce service trusts nothing it reads: a request may only name a
 * file in active/ by a well-formed queue ID, every field appears where
 * and as often as it may, and every length is bounded before the notice
 * is built.  qmgr is as strict with the reply.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce_request.h"
#include "dsn_code.h"
#include "mem.h"
#include "queue_scan.h"

static const char *const action_names[] = {
	[BOUNCE_FAILED] = "failed",
	[BOUNCE_DELAYED] = "delayed",
	[BOUNCE_DELIVERED] = "delivered",
};

/* bounce_action_name - the wire name of an action */
const char *
bounce_action_name(enum bounce_action action)
{
	return ((unsigned)action <= BOUNCE_DELIVERED ? action_names[action] :
	    "unknown");
}

/* bounce_request_init - an empty request */
void
bounce_request_init(struct bounce_request *req)
{
	memset(req, 0, sizeof(*req));
}

/* bounce_request_free - release the recipients and start over */
void
bounce_request_free(struct bounce_request *req)
{
	for (size_t i = 0; i < req->count; i++) {
		free(req->rcpts[i].address);
		free(req->rcpts[i].reason);
	}
	free(req->rcpts);
	bounce_request_init(req);
}

/* bounce_request_add_rcpt - one more recipient */
void
bounce_request_add_rcpt(struct bounce_request *req, const char *address,
    off_t offset, const char *dsn, const char *reason, bool mark)
{
	struct bounce_request_rcpt *r;

	if (req->count == req->cap) {
		req->cap = req->cap ? req->cap * 2 : 8;
		req->rcpts = xrealloc(req->rcpts, req->cap *
		    sizeof(*req->rcpts));
	}
	r = &req->rcpts[req->count++];
	r->address = xstrdup(address);
	r->offset = offset;
	snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
	r->reason = xstrndup(reason ? reason : "", BOUNCE_REASON_MAX);
	r->mark = mark;
}

/* bounce_request_to_list - the wire form */
void
bounce_request_to_list(const struct bounce_request *req,
    struct attr_list *list)
{
	attr_list_add_str(list, "request", "notify");
	attr_list_add_str(list, "queue_name", req->queue_name);
	attr_list_add_str(list, "queue_id", req->queue_id);
	attr_list_add_str(list, "action", bounce_action_name(req->action));
	attr_list_add_long(list, "last_attempt", (long)req->last_attempt);
	for (size_t i = 0; i < req->count; i++) {
		const struct bounce_request_rcpt *r = &req->rcpts[i];

		attr_list_add_str(list, "rcpt", r->address);
		attr_list_add_long(list, "rcpt_offset", (long)r->offset);
		attr_list_add_str(list, "rcpt_dsn", r->dsn);
		attr_list_add_str(list, "rcpt_reason", r->reason);
		attr_list_add_long(list, "rcpt_mark", r->mark ? 1 : 0);
	}
}

/* text_ok - a value without NUL of at most max bytes */
static bool
text_ok(const struct attr *a, size_t max)
{
	return (a->value_len <= max && strlen(a->value) == a->value_len);
}

/* number_ok - a decimal number in [min, max] */
static bool
number_ok(const struct attr *a, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (a->value_len == 0 || a->value_len > 20 ||
	    !isdigit((unsigned char)a->value[0]))
		return (false);
	errno = 0;
	v = strtol(a->value, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (false);
	*out = v;
	return (true);
}

/* the envelope fields seen so far */
struct seen {
	bool	 request, queue_name, queue_id, action, last_attempt;
};

/* parse_envelope - one envelope field; 1 taken, 0 not one, -1 bad */
static int
parse_envelope(const struct attr *a, struct bounce_request *req,
    struct seen *seen, struct strbuf *err)
{
	long	 v;

	if (strcmp(a->name, "request") == 0) {
		if (seen->request || strcmp(a->value, "notify") != 0)
			goto bad;
		seen->request = true;
	} else if (strcmp(a->name, "queue_name") == 0) {
		/* only the active queue: nothing else is the caller's now */
		if (seen->queue_name || strcmp(a->value, QUEUE_ACTIVE) != 0)
			goto bad;
		snprintf(req->queue_name, sizeof(req->queue_name), "%s",
		    a->value);
		seen->queue_name = true;
	} else if (strcmp(a->name, "queue_id") == 0) {
		if (seen->queue_id || !text_ok(a, QUEUE_ID_LEN) ||
		    !queue_id_valid(a->value))
			goto bad;
		snprintf(req->queue_id, sizeof(req->queue_id), "%s", a->value);
		seen->queue_id = true;
	} else if (strcmp(a->name, "action") == 0) {
		if (seen->action)
			goto bad;
		for (v = 0; v <= BOUNCE_DELIVERED; v++)
			if (strcmp(a->value, action_names[v]) == 0)
				break;
		if (v > BOUNCE_DELIVERED)
			goto bad;
		req->action = (enum bounce_action)v;
		seen->action = true;
	} else if (strcmp(a->name, "last_attempt") == 0) {
		if (seen->last_attempt || !number_ok(a, 0, LONG_MAX, &v))
			goto bad;
		req->last_attempt = (time_t)v;
		seen->last_attempt = true;
	} else
		return (0);
	return (1);
bad:
	strbuf_printf(err, "bad or repeated %s", a->name);
	return (-1);
}

/* parse_rcpt_field - a field of the last recipient; 0 or -1 */
static int
parse_rcpt_field(const struct attr *a, struct bounce_request_rcpt *r,
    unsigned *have, struct strbuf *err)
{
	static const char *const names[] = {
		"rcpt_offset", "rcpt_dsn", "rcpt_reason", "rcpt_mark",
	};
	unsigned bit;
	long	 v;

	for (bit = 0; bit < 4; bit++)
		if (strcmp(a->name, names[bit]) == 0)
			break;
	if (bit == 4) {
		strbuf_printf(err, "unknown attribute %.64s", a->name);
		return (-1);
	}
	if (r == NULL || (*have & (1u << bit)) != 0)
		goto bad;
	*have |= 1u << bit;
	switch (bit) {
	case 0:
		if (!number_ok(a, 1, LONG_MAX, &v))
			goto bad;
		r->offset = (off_t)v;
		break;
	case 1:
		if (!text_ok(a, sizeof(r->dsn) - 1) || !dsn_code_valid(a->value))
			goto bad;
		snprintf(r->dsn, sizeof(r->dsn), "%s", a->value);
		break;
	case 2:
		if (!text_ok(a, BOUNCE_REASON_MAX))
			goto bad;
		free(r->reason);
		r->reason = xstrdup(a->value);
		break;
	default:
		if (!number_ok(a, 0, 1, &v))
			goto bad;
		r->mark = v == 1;
		break;
	}
	return (0);
bad:
	strbuf_printf(err, "bad, repeated or misplaced %s", a->name);
	return (-1);
}

/* rcpt_complete - the previous recipient has its offset and DSN */
static bool
rcpt_complete(const struct bounce_request *req, unsigned have,
    struct strbuf *err)
{
	if (req->count == 0 || (have & 3u) == 3u)
		return (true);
	strbuf_printf(err, "recipient %zu without rcpt_offset or rcpt_dsn",
	    req->count);
	return (false);
}

/* bounce_request_parse - a received request, checked */
int
bounce_request_parse(const struct attr_list *list, struct bounce_request *req,
    struct strbuf *err)
{
	struct seen seen = { 0 };
	unsigned have = 0;
	int	 r;

	bounce_request_free(req);
	for (size_t i = 0; i < list->count; i++) {
		const struct attr *a = &list->items[i];

		if ((r = parse_envelope(a, req, &seen, err)) < 0)
			goto bad;
		if (r > 0)
			continue;
		if (strcmp(a->name, "rcpt") == 0) {
			if (!rcpt_complete(req, have, err))
				goto bad;
			if (req->count == BOUNCE_RECIPIENT_MAX ||
			    !text_ok(a, BOUNCE_ADDRESS_MAX)) {
				strbuf_puts(err, "too many recipients or an "
				    "address too long");
				goto bad;
			}
			bounce_request_add_rcpt(req, a->value, 0, "", "", false);
			have = 0;
			continue;
		}
		if (parse_rcpt_field(a, req->count ? &req->rcpts[req->count - 1]
		    : NULL, &have, err) < 0)
			goto bad;
	}
	if (!rcpt_complete(req, have, err))
		goto bad;
	if (!seen.request || !seen.queue_name || !seen.queue_id ||
	    !seen.action || !seen.last_attempt || req->count == 0) {
		strbuf_puts(err, "incomplete request");
		goto bad;
	}
	return (0);
bad:
	bounce_request_free(req);
	return (-1);
}

/* bounce_reply_init - an empty reply */
void
bounce_reply_init(struct bounce_reply *reply)
{
	reply->status = BOUNCE_STATUS_TEMPFAIL;
	reply->queue_id[0] = '\0';
	reply->marked = false;
	strbuf_init(&reply->reason);
}

/* bounce_reply_free - release the reason */
void
bounce_reply_free(struct bounce_reply *reply)
{
	strbuf_free(&reply->reason);
}

/* bounce_reply_to_list - the wire form */
void
bounce_reply_to_list(const struct bounce_reply *reply, struct attr_list *list)
{
	attr_list_add_long(list, "status", reply->status);
	if (reply->status == BOUNCE_STATUS_QUEUED) {
		attr_list_add_str(list, "queue_id", reply->queue_id);
		attr_list_add_long(list, "marked", reply->marked ? 1 : 0);
	} else if (reply->status == BOUNCE_STATUS_TEMPFAIL)
		attr_list_add_str(list, "reason", reply->reason.len ?
		    reply->reason.data : "unknown error");
}

/* bounce_reply_parse - a received reply, checked */
int
bounce_reply_parse(const struct attr_list *list, struct bounce_reply *reply,
    struct strbuf *err)
{
	const struct attr *id, *marked, *reason;
	long	 status, v;

	strbuf_reset(&reply->reason);
	reply->queue_id[0] = '\0';
	reply->marked = false;
	if (attr_list_get_long(list, "status", &status) < 0)
		goto bad;
	id = attr_list_find(list, "queue_id");
	marked = attr_list_find(list, "marked");
	reason = attr_list_find(list, "reason");
	switch (status) {
	case BOUNCE_STATUS_QUEUED:
		if (list->count != 3 || id == NULL || marked == NULL ||
		    !text_ok(id, QUEUE_ID_LEN) || !queue_id_valid(id->value) ||
		    !number_ok(marked, 0, 1, &v))
			goto bad;
		snprintf(reply->queue_id, sizeof(reply->queue_id), "%s",
		    id->value);
		reply->marked = v == 1;
		break;
	case BOUNCE_STATUS_DISCARDED:
		if (list->count != 1)
			goto bad;
		break;
	case BOUNCE_STATUS_TEMPFAIL:
		if (list->count != 2 || reason == NULL ||
		    !text_ok(reason, BOUNCE_REPLY_MAX / 2))
			goto bad;
		strbuf_set(&reply->reason, reason->value);
		break;
	default:
		goto bad;
	}
	reply->status = (int)status;
	return (0);
bad:
	strbuf_puts(err, "malformed reply from the bounce service");
	return (-1);
}
