/*
 * content - stream the message content into the queue file.
 *
 * This is the hot path.  In the header section, lines are reassembled
 * across the client's chunks (only a line split by a chunk boundary is
 * copied; whole lines are handed to headers.c in place).  Once the body
 * starts, chunks go to the queue writer without looking at lines at all.
 * The writer coalesces content into QUEUE_CHUNK_MAX-sized C records and
 * buffers its writes, so the queue file sees a few large writes, never one
 * per line.
 *
 * A rejected message (size, hops, write error) keeps being read, so the
 * conversation stays in step, but nothing more is written: its file is
 * removed at once.
 *
 * With cleanup_replace_stray_cr_lf (as in Postfix 3.9) every stray CR in
 * the content becomes a space before anything else looks at it, so no
 * queue file holds one and no later hop can be made to split the message
 * at a "<CR>.<CR><LF>" (outbound SMTP smuggling); DKIM signatures then do
 * not depend on what a remote server makes of such bytes either.  Every
 * client (smtpd, pickup, bounces) hands over content whose lines end in
 * LF, so every CR is stray, also one before an LF; an LF always ends a
 * line of the queue file and so is never stray there.
 */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "msg.h"
#include "queue_file.h"
#include "strbuf.h"

/* cleanup_message_init - set up the reusable buffers once */
void
cleanup_message_init(struct cleanup_message *msg, const struct cleanup_params *params)
{
	memset(msg, 0, sizeof(*msg));
	msg->params = params;
	strbuf_init(&msg->sender);
	strbuf_init(&msg->line);
	strbuf_init(&msg->header);
	strbuf_init(&msg->message_id);
	strbuf_init(&msg->rewrite_out);
	strbuf_init(&msg->rewrite_addr);
	strbuf_init(&msg->rewrite_scratch);
	resolve_result_init(&msg->rewrite_why);
	strbuf_init(&msg->effect_filter);
	strbuf_init(&msg->effect_redirect);
	strlist_init(&msg->effect_bcc);
	strbuf_init(&msg->body_line);
	strbuf_init(&msg->check_key);
	strbuf_init(&msg->check_value);
	strbuf_init(&msg->check_replace);
	strbuf_init(&msg->check_reason);
	strbuf_init(&msg->check_log);
	strbuf_init(&msg->log_origin);
	strbuf_init(&msg->log_proto);
	strbuf_init(&msg->log_helo);
	strbuf_init(&msg->log_rcpt);
}

/* cleanup_message_start - per-message reset, keeping the buffers */
void
cleanup_message_start(struct cleanup_message *msg, struct queue_writer *w)
{
	msg->writer = w;
	strbuf_reset(&msg->line);
	strbuf_reset(&msg->header);
	strbuf_reset(&msg->message_id);
	strbuf_reset(&msg->body_line);
	msg->phase = CLEANUP_IN_HEADERS;
	msg->header_bytes = 0;
	msg->content_size = 0;
	msg->hops = 0;
	msg->seen_message_id = msg->seen_date = msg->seen_from = false;
	msg->status = 0;
	msg->reason = NULL;
	msg->prepended_bytes = 0;
	cleanup_effects_reset(msg);
}

/* cleanup_reject - remember the verdict and drop the file right away */
void
cleanup_reject(struct cleanup_message *msg, int status, const char *reason)
{
	if (msg->status != 0)
		return;
	msg->status = status;
	msg->reason = reason;
	if (msg->writer != NULL) {
		queue_writer_abort(msg->writer);
		msg->writer = NULL;
	}
}

/* cleanup_content_out - content for the queue file (the writer coalesces) */
void
cleanup_content_out(struct cleanup_message *msg, const char *data, size_t len)
{
	if (msg->writer == NULL || len == 0)
		return;
	if (queue_writer_content(msg->writer, data, len) < 0) {
		msg_warn("%s: queue file write error: %s", msg->id, strerror(errno));
		cleanup_reject(msg, 4, CLEANUP_TEXT_WRITE);
	}
}

/*
 * header_bytes_over - would n more bytes of header section pass
 * header_size_limit?  Then header processing stops (as Postfix does) and
 * the rest of the content is body.
 */
static bool
header_bytes_over(struct cleanup_message *msg, size_t n)
{
	return (msg->header_bytes + n > (size_t)msg->params->header_size_limit);
}

/*
 * body_chunk - body content: straight to the writer, or, when checks
 * look at the body, as lines (pieces of at most line_length_limit bytes,
 * as Postfix's records are) through the MIME parser (checks.c)
 */
static void
body_chunk(struct cleanup_message *msg, const char *data, size_t len)
{
	const char *end = data + len, *lf;
	size_t	 n, room, max;
	bool	 complete;

	if (!cleanup_checks_body(msg)) {
		cleanup_content_out(msg, data, len);
		return;
	}
	max = msg->checks->line_limit > 0 ? (size_t)msg->checks->line_limit : 1;
	while (data < end && msg->writer != NULL) {
		lf = memchr(data, '\n', (size_t)(end - data));
		n = lf != NULL ? (size_t)(lf - data) + 1 : (size_t)(end - data);
		/* body_line holds less than max: there is room */
		room = max - msg->body_line.len;
		if (n > room)
			n = room;
		complete = data[n - 1] == '\n' || msg->body_line.len + n == max;
		if (complete && msg->body_line.len == 0) {
			cleanup_checks_line(msg, data, n);	/* in place */
		} else {
			strbuf_append(&msg->body_line, data, n);
			if (complete) {
				cleanup_checks_line(msg, msg->body_line.data,
				    msg->body_line.len);
				strbuf_reset(&msg->body_line);
			}
		}
		data += n;
	}
}

/* header_chunk - split a chunk of the header section into lines */
static void
header_chunk(struct cleanup_message *msg, const char *data, size_t len)
{
	const char *end = data + len, *lf;
	size_t	n;

	while (data < end && msg->phase == CLEANUP_IN_HEADERS && msg->writer != NULL) {
		lf = memchr(data, '\n', (size_t)(end - data));
		n = lf != NULL ? (size_t)(lf - data) + 1 : (size_t)(end - data);
		if (header_bytes_over(msg, msg->line.len + n)) {
			msg_warn("%s: header section exceeds header_size_limit %ld:"
			    " the rest is treated as body", msg->id,
			    msg->params->header_size_limit);
			cleanup_header_overflow(msg);
			/* The pending fragment now belongs to the body. */
			body_chunk(msg, msg->line.data, msg->line.len);
			strbuf_reset(&msg->line);
			break;
		}
		if (lf == NULL) {
			strbuf_append(&msg->line, data, n);
			return;
		}
		msg->header_bytes += msg->line.len + n;
		if (msg->line.len == 0) {
			cleanup_header_line(msg, data, n);
		} else {
			strbuf_append(&msg->line, data, n);
			cleanup_header_line(msg, msg->line.data, msg->line.len);
			strbuf_reset(&msg->line);
		}
		data += n;
	}
	if (data < end)
		body_chunk(msg, data, (size_t)(end - data));
}

/* replace_stray_cr - each CR in data becomes a space */
static void
replace_stray_cr(char *data, size_t len)
{
	char *cr, *end = data + len;

	while ((cr = memchr(data, '\r', (size_t)(end - data))) != NULL) {
		*cr = ' ';
		data = cr + 1;
	}
}

/* cleanup_content - one data chunk from the client */
void
cleanup_content(struct cleanup_message *msg, char *data, size_t len)
{
	if (msg->params->replace_stray_cr_lf)
		replace_stray_cr(data, len);
	msg->content_size += len;
	if (msg->params->message_size_limit > 0 && msg->status == 0
	    && msg->content_size > (unsigned long long)msg->params->message_size_limit) {
		msg_info("%s: reject: message size exceeds message_size_limit %ld;"
		    " from=<%s>", msg->id, msg->params->message_size_limit,
		    msg->sender.data);
		cleanup_reject(msg, 5, CLEANUP_TEXT_SIZE);
	}
	if (msg->writer == NULL)
		return;
	if (msg->phase == CLEANUP_IN_HEADERS)
		header_chunk(msg, data, len);
	else
		body_chunk(msg, data, len);
}

/* cleanup_body_line - a complete line that starts the body (headers.c) */
void
cleanup_body_line(struct cleanup_message *msg, const char *line, size_t len)
{
	body_chunk(msg, line, len);
}

/* cleanup_content_end - last partial line, missing headers, last record */
void
cleanup_content_end(struct cleanup_message *msg)
{
	if (msg->writer == NULL)
		return;
	if (msg->phase == CLEANUP_IN_HEADERS) {
		/* The content ended inside the header section. */
		if (msg->line.len > 0) {
			cleanup_header_line(msg, msg->line.data, msg->line.len);
			strbuf_reset(&msg->line);
		}
		if (msg->phase == CLEANUP_IN_HEADERS)
			cleanup_headers_end(msg, false);
	}
	/* a last line without LF */
	if (msg->body_line.len > 0 && msg->writer != NULL)
		cleanup_checks_line(msg, msg->body_line.data,
		    msg->body_line.len);
	strbuf_reset(&msg->body_line);
	if (msg->writer != NULL && cleanup_checks_body(msg))
		cleanup_checks_end(msg);
}
