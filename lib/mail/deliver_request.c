/*
 * deliver_request - encode, decode and validate delivery requests and
 * their replies; see deliver_request.h for the conversation.
 *
 * Both ends check everything they read: an agent never trusts a request
 * to name a queue file outside active/, and qmgr never trusts a reply to
 * carry more or fewer outcomes than it asked for.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "deliver_request.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"
#include "queue_file.h"

#define DELIVER_ADDRESS_MAX	1024
#define DELIVER_TEXT_MAX	1024
#define DELIVER_TOTAL_MAX	(16 * 1024 * 1024)

/* deliver_request_init - empty request */
void
deliver_request_init(struct deliver_request *req)
{
	memset(req, 0, sizeof(*req));
}

/* deliver_request_free - release everything, leave req empty */
void
deliver_request_free(struct deliver_request *req)
{
	for (size_t i = 0; i < req->rcpt_count; i++) {
		free(req->rcpts[i].address);
		free(req->rcpts[i].original);
		free(req->rcpts[i].orcpt);
		free(req->rcpts[i].also);
		strbuf_free(&req->rcpts[i].reason);
	}
	free(req->rcpts);
	free(req->transport);
	free(req->nexthop);
	free(req->sender);
	free(req->envid);
	free(req->ret);
	deliver_request_init(req);
}

/* deliver_request_set - replace one string field */
void
deliver_request_set(struct deliver_request *req, char **field, const char *value)
{
	(void)req;
	free(*field);
	*field = xstrdup(value ? value : "");
}

/* deliver_request_add_rcpt - append one recipient */
struct deliver_rcpt *
deliver_request_add_rcpt(struct deliver_request *req, const char *address,
    const char *original, const char *orcpt, int notify, off_t offset)
{
	struct deliver_rcpt *r;

	if (req->rcpt_count == req->rcpt_cap) {
		req->rcpt_cap = req->rcpt_cap ? req->rcpt_cap * 2 : 4;
		req->rcpts = xrealloc(req->rcpts,
		    req->rcpt_cap * sizeof(*req->rcpts));
	}
	r = &req->rcpts[req->rcpt_count++];
	memset(r, 0, sizeof(*r));
	r->address = xstrdup(address);
	r->original = xstrdup(original ? original : address);
	r->orcpt = xstrdup(orcpt ? orcpt : "");
	r->notify = notify;
	r->offset = offset;
	strbuf_init(&r->reason);
	return (r);
}

/* deliver_rcpt_add_also - see deliver_request.h */
bool
deliver_rcpt_add_also(struct deliver_request *req, struct deliver_rcpt *r,
    off_t offset)
{
	if (req->also_count >= DELIVER_ALSO_MAX)
		return (false);
	/* grows by doubling: the count is a power of two when full */
	if ((r->also_count & (r->also_count - 1)) == 0)
		r->also = xrealloc(r->also, (r->also_count ? 2 * r->also_count :
		    1) * sizeof(*r->also));
	r->also[r->also_count++] = offset;
	req->also_count++;
	return (true);
}

/* text_ok - printable text of bounded length (UTF-8 bytes allowed) */
static bool
text_ok(const struct attr *a, size_t max)
{
	if (a->value_len > max)
		return (false);
	for (size_t i = 0; i < a->value_len; i++) {
		unsigned char c = (unsigned char)a->value[i];

		if (c < 0x20 || c == 0x7f)
			return (false);
	}
	return (true);
}

/* number_ok - a clean non-negative decimal within long range */
static bool
number_ok(const struct attr *a, long *out)
{
	char	*end;

	if (a->value_len == 0 || a->value_len > 18 ||
	    !isdigit((unsigned char)a->value[0]))
		return (false);
	*out = strtol(a->value, &end, 10);
	return (*end == 0);
}

/* dsn_ok - "C.S.D" with the class matching status */
static bool
dsn_ok(const char *dsn, int status)
{
	int	 c, s, d, n = 0;

	if (strlen(dsn) > 11 || sscanf(dsn, "%1d.%3d.%3d%n", &c, &s, &d, &n) != 3 ||
	    dsn[n] != 0 || c != status)
		return (false);
	return (true);
}

/* deliver_request_write - one request list, flushed */
int
deliver_request_write(struct stream *s, const struct deliver_request *req)
{
	struct attr_list list;
	int	 rc;

	attr_list_init(&list);
	attr_list_add_str(&list, "request", "deliver");
	attr_list_add_str(&list, "queue_name", req->queue_name);
	attr_list_add_str(&list, "queue_id", req->queue_id);
	attr_list_add_str(&list, "transport", req->transport ? req->transport : "");
	attr_list_add_str(&list, "nexthop", req->nexthop ? req->nexthop : "");
	attr_list_add_str(&list, "sender", req->sender ? req->sender : "");
	attr_list_add_long(&list, "arrival", req->arrival);
	attr_list_add_str(&list, "envid", req->envid ? req->envid : "");
	attr_list_add_str(&list, "ret", req->ret ? req->ret : "");
	attr_list_add_long(&list, "flags", req->flags);
	for (size_t i = 0; i < req->rcpt_count; i++) {
		const struct deliver_rcpt *r = &req->rcpts[i];

		attr_list_add_str(&list, "rcpt", r->address);
		attr_list_add_str(&list, "rcpt_original", r->original);
		attr_list_add_str(&list, "rcpt_orcpt", r->orcpt);
		attr_list_add_long(&list, "rcpt_notify", r->notify);
		attr_list_add_long(&list, "rcpt_offset", (long)r->offset);
		if (r->mark_done)
			attr_list_add_long(&list, "rcpt_mark", 1);
		for (size_t j = 0; r->mark_done && j < r->also_count; j++)
			attr_list_add_long(&list, "rcpt_also", (long)r->also[j]);
	}
	rc = attr_write(s, &list);
	attr_list_free(&list);
	if (rc != 0 || stream_flush(s) != 0)
		return (-1);
	return (0);
}

/* fail - record why a list was refused */
static int
fail(struct strbuf *err, const char *fmt, const char *name)
{
	strbuf_reset(err);
	strbuf_printf(err, fmt, name);
	return (STREAM_ERROR);
}

/* envelope_field - the string member named n, or NULL */
static char **
envelope_field(struct deliver_request *req, const char *n)
{
	if (strcmp(n, "transport") == 0)
		return (&req->transport);
	if (strcmp(n, "nexthop") == 0)
		return (&req->nexthop);
	if (strcmp(n, "sender") == 0)
		return (&req->sender);
	if (strcmp(n, "envid") == 0)
		return (&req->envid);
	if (strcmp(n, "ret") == 0)
		return (&req->ret);
	return (NULL);
}

/* deliver_request_read - agent side: one validated request */
int
deliver_request_read(struct stream *s, struct deliver_request *req,
    struct strbuf *err)
{
	struct attr_list list;
	struct deliver_rcpt *r = NULL;
	char	**field;
	int	 rc, seen_request = 0;
	long	 num;

	deliver_request_free(req);
	attr_list_init(&list);
	if ((rc = attr_read(s, &list, DELIVER_TOTAL_MAX)) != STREAM_OK) {
		attr_list_free(&list);
		if (rc != STREAM_EOF)
			fail(err, "%s", "malformed request");
		return (rc);
	}
	rc = STREAM_OK;
	for (size_t i = 0; i < list.count && rc == STREAM_OK; i++) {
		const struct attr *a = &list.items[i];
		const char *n = a->name;

		if (strcmp(n, "request") == 0) {
			if (strcmp(a->value, "deliver") != 0)
				rc = fail(err, "unknown request \"%s\"", "request");
			seen_request = 1;
		} else if (strcmp(n, "queue_name") == 0) {
			if (strcmp(a->value, "active") != 0)
				rc = fail(err, "bad %s", n);
			else
				strcpy(req->queue_name, a->value);
		} else if (strcmp(n, "queue_id") == 0) {
			if (!queue_id_valid(a->value))
				rc = fail(err, "bad %s", n);
			else
				strcpy(req->queue_id, a->value);
		} else if ((field = envelope_field(req, n)) != NULL) {
			if (!text_ok(a, DELIVER_ADDRESS_MAX))
				rc = fail(err, "bad %s", n);
			else
				deliver_request_set(req, field, a->value);
		} else if (strcmp(n, "arrival") == 0) {
			if (!number_ok(a, &num))
				rc = fail(err, "bad %s", n);
			req->arrival = num;
		} else if (strcmp(n, "flags") == 0) {
			if (!number_ok(a, &num) || num > 0xffff)
				rc = fail(err, "bad %s", n);
			req->flags = (int)num;
		} else if (strcmp(n, "rcpt") == 0) {
			if (req->rcpt_count >= DELIVER_RECIPIENT_MAX)
				rc = fail(err, "too many %s", n);
			else if (a->value_len == 0 || !text_ok(a, DELIVER_ADDRESS_MAX))
				rc = fail(err, "bad %s", n);
			else
				r = deliver_request_add_rcpt(req, a->value, NULL,
				    NULL, 0, 0);
		} else if (strncmp(n, "rcpt_", 5) == 0) {
			if (r == NULL)
				rc = fail(err, "%s before rcpt", n);
			else if (strcmp(n, "rcpt_original") == 0 ||
			    strcmp(n, "rcpt_orcpt") == 0) {
				field = strcmp(n, "rcpt_original") == 0 ?
				    &r->original : &r->orcpt;
				if (!text_ok(a, DELIVER_ADDRESS_MAX))
					rc = fail(err, "bad %s", n);
				else
					deliver_request_set(req, field, a->value);
			} else if (strcmp(n, "rcpt_notify") == 0) {
				if (!number_ok(a, &num) || num > 15)
					rc = fail(err, "bad %s", n);
				r->notify = (int)num;
			} else if (strcmp(n, "rcpt_offset") == 0) {
				if (!number_ok(a, &num))
					rc = fail(err, "bad %s", n);
				r->offset = (off_t)num;
			} else if (strcmp(n, "rcpt_mark") == 0) {
				if (!number_ok(a, &num) || num > 1)
					rc = fail(err, "bad %s", n);
				r->mark_done = num == 1;
			} else if (strcmp(n, "rcpt_also") == 0) {
				if (!r->mark_done || !number_ok(a, &num))
					rc = fail(err, "bad %s", n);
				else if (!deliver_rcpt_add_also(req, r,
				    (off_t)num))
					rc = fail(err, "too many %s", n);
			} else
				rc = fail(err, "unknown attribute %s", n);
		} else
			rc = fail(err, "unknown attribute %s", n);
	}
	attr_list_free(&list);
	if (rc == STREAM_OK && (!seen_request || req->queue_id[0] == 0 ||
	    req->queue_name[0] == 0 || req->sender == NULL ||
	    req->rcpt_count == 0))
		rc = fail(err, "%s", "incomplete request");
	return (rc);
}

/* deliver_rcpt_status - record one recipient's outcome */
void
deliver_rcpt_status(struct deliver_rcpt *rcpt, int status, const char *dsn,
    const char *fmt, ...)
{
	va_list	 ap;

	rcpt->status = status;
	snprintf(rcpt->dsn, sizeof(rcpt->dsn), "%s", dsn);
	strbuf_reset(&rcpt->reason);
	va_start(ap, fmt);
	strbuf_vprintf(&rcpt->reason, fmt, ap);
	va_end(ap);
	if (rcpt->reason.len > DELIVER_REASON_MAX)
		strbuf_truncate(&rcpt->reason, DELIVER_REASON_MAX);
	/* the reason travels in logs and DSNs: no line breaks in it */
	for (size_t i = 0; i < rcpt->reason.len; i++)
		if ((unsigned char)rcpt->reason.data[i] < 0x20)
			rcpt->reason.data[i] = ' ';
}

/* deliver_reply_write - agent side: every recipient's outcome, flushed */
int
deliver_reply_write(struct stream *s, const struct deliver_request *req)
{
	struct attr_list list;
	int	 rc;

	attr_list_init(&list);
	for (size_t i = 0; i < req->rcpt_count; i++) {
		const struct deliver_rcpt *r = &req->rcpts[i];
		int	 status = r->status ? r->status : 4;

		attr_list_add_long(&list, "status", status);
		attr_list_add_str(&list, "dsn", r->status ? r->dsn : "4.3.0");
		attr_list_add_str(&list, "reason", r->status ? r->reason.data :
		    "delivery agent gave no status");
	}
	rc = attr_write(s, &list);
	attr_list_free(&list);
	if (rc != 0 || stream_flush(s) != 0)
		return (-1);
	return (0);
}

/* deliver_reply_read - qmgr side: one outcome per recipient, in order */
int
deliver_reply_read(struct stream *s, struct deliver_request *req,
    struct strbuf *err)
{
	struct attr_list list;
	size_t	 n = 0;
	int	 rc;
	long	 num;

	attr_list_init(&list);
	if ((rc = attr_read(s, &list, DELIVER_TOTAL_MAX)) != STREAM_OK) {
		attr_list_free(&list);
		strbuf_set(err, rc == STREAM_EOF ? "delivery agent closed the connection" :
		    "malformed reply from delivery agent");
		return (rc == STREAM_EOF ? STREAM_ERROR : rc);
	}
	if (list.count != 3 * req->rcpt_count) {
		attr_list_free(&list);
		return (fail(err, "%s", "reply has the wrong number of outcomes"));
	}
	for (size_t i = 0; i < list.count; i += 3, n++) {
		const struct attr *st = &list.items[i], *dsn = &list.items[i + 1];
		const struct attr *why = &list.items[i + 2];
		struct deliver_rcpt *r = &req->rcpts[n];

		if (strcmp(st->name, "status") != 0 || strcmp(dsn->name, "dsn") != 0 ||
		    strcmp(why->name, "reason") != 0 || !number_ok(st, &num) ||
		    (num != 2 && num != 4 && num != 5) ||
		    !dsn_ok(dsn->value, (int)num) || !text_ok(why, DELIVER_TEXT_MAX * 4)) {
			attr_list_free(&list);
			return (fail(err, "%s", "malformed outcome in reply"));
		}
		deliver_rcpt_status(r, (int)num, dsn->value, "%s", why->value);
	}
	attr_list_free(&list);
	return (STREAM_OK);
}

/*
 * undelivered_records - the offsets of the R records with a recipient in
 * req that was not delivered: one pass, so that marking costs the
 * request's size, not its square (a request holds up to 10000)
 */
static struct htable *
undelivered_records(const struct deliver_request *req)
{
	struct htable *t = htable_create(0, 0);

	for (size_t i = 0; i < req->rcpt_count; i++)
		if (req->rcpts[i].status != 2)
			(void)htable_enter(t, &req->rcpts[i].offset,
			    sizeof(req->rcpts[i].offset), NULL);
	return (t);
}

/*
 * mark_delivered - flip the R records qmgr asked us to mark (rcpt_mark)
 * whose recipients in this request were all delivered, and the records
 * delivered with them (rcpt_also), before the reply goes back.  A mark that fails is only logged: qmgr still marks the
 * record when it reads the reply, as it does for every recipient.
 */
static void
mark_delivered(const struct deliver_request *req)
{
	struct htable *skip = NULL;	/* undelivered or marked records */
	bool	 added;
	struct stat st;
	char	 path[64];
	int	 fd = -1;

	for (size_t i = 0; i < req->rcpt_count; i++) {
		const struct deliver_rcpt *r = &req->rcpts[i];

		if (!r->mark_done || r->status != 2)
			continue;
		if (skip == NULL)
			skip = undelivered_records(req);
		(void)htable_enter(skip, &r->offset, sizeof(r->offset), &added);
		if (!added)
			continue;
		if (fd < 0) {
			(void)snprintf(path, sizeof(path), "%s/%s",
			    req->queue_name, req->queue_id);
			if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				/* gone (sluice-super -d, -h): nothing to mark */
				if (errno != ENOENT)
					msg_warn("%s: open %s to mark recipients "
					    "done: %s", req->queue_id, path,
					    strerror(errno));
				htable_free(skip);
				return;
			}
			/*
			 * local runs as root: write only into what can be a
			 * queue file, never a hard link to somebody's file
			 */
			if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
			    st.st_nlink != 1) {
				msg_warn("%s: %s is not a plain queue file; "
				    "recipients not marked", req->queue_id, path);
				(void)close(fd);
				htable_free(skip);
				return;
			}
		}
		if (queue_file_mark_done(fd, r->offset) < 0)
			msg_warn("%s: mark recipient <%s> done: %s",
			    req->queue_id, r->original, strerror(errno));
		/* the same address in other records: delivered with it */
		for (size_t j = 0; j < r->also_count; j++)
			if (queue_file_mark_done(fd, r->also[j]) < 0)
				msg_warn("%s: mark a duplicate of <%s> done: %s",
				    req->queue_id, r->address, strerror(errno));
	}
	if (fd >= 0)
		(void)close(fd);
	htable_free(skip);
}

/* deliver_agent_serve - see deliver_request.h */
void
deliver_agent_serve(int client_fd, int timeout,
    void (*deliver)(void *ctx, struct deliver_request *req),
    void (*idle)(void *ctx, struct stream *s), void *ctx)
{
	struct deliver_request req;
	struct stream *s;
	struct strbuf err;
	int	 fd, rc;

	/* The skeleton closes client_fd; the stream gets its own copy. */
	if ((fd = dup(client_fd)) < 0) {
		msg_warn("dup: %s", strerror(errno));
		return;
	}
	s = stream_open(fd);
	stream_set_timeout(s, timeout);
	deliver_request_init(&req);
	strbuf_init(&err);
	for (;;) {
		if (idle != NULL)
			idle(ctx, s);
		rc = deliver_request_read(s, &req, &err);
		if (rc == STREAM_EOF)
			break;
		if (rc != STREAM_OK) {
			msg_warn("bad request from qmgr: %s",
			    rc == STREAM_ERROR && err.len ? err.data :
			    stream_status_text(rc));
			break;
		}
		deliver(ctx, &req);
		mark_delivered(&req);
		if (deliver_reply_write(s, &req) < 0) {
			msg_warn("%s: cannot send reply to qmgr: %s", req.queue_id,
			    stream_status_text(stream_status(s)));
			break;
		}
	}
	deliver_request_free(&req);
	strbuf_free(&err);
	stream_close(s);
}
