/*
 * headers - the header section of a message.
 *
 * RFC 5322: the header section runs up to the first empty line; a line
 * that is neither a header ("name:") nor a continuation (leading white
 * space) also ends it, and that line is body.  Each logical header (a
 * header line and its continuation lines) is collected, looked at once,
 * and passed on unchanged.  We count Received: headers (hopcount_limit)
 * and note Message-ID, Date and From.  At the end of the section the
 * missing ones are added: Message-ID and Date always, From for local
 * submissions or when always_add_missing_headers is set.
 *
 * Each logical header first passes header_checks (checks.c), which may
 * drop or replace it; the addresses of the address headers are then
 * rewritten at classify_header() (rewrite.c).  DKIM signing will hook in
 * there and at cleanup_headers_end().
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "cleanup.h"
#include "mail_date.h"
#include "cleanup_client.h"
#include "mime.h"
#include "msg.h"
#include "strbuf.h"

/* name_is - case-insensitive comparison of a header name */
static bool
name_is(const char *name, size_t len, const char *want)
{
	return (strlen(want) == len && strncasecmp(name, want, len) == 0);
}

/* note_message_id - keep the unfolded, printable Message-ID value for the log */
static void
note_message_id(struct cleanup_message *msg, const char *hdr, size_t len)
{
	const char *p = memchr(hdr, ':', len);
	const char *end = hdr + len;
	unsigned char ch;

	strbuf_reset(&msg->message_id);
	for (p++; p < end && msg->message_id.len < CLEANUP_MESSAGE_ID_MAX; p++) {
		ch = (unsigned char)*p;
		if (ch == '\r' || ch == '\n')
			continue;
		strbuf_putc(&msg->message_id, ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
	strbuf_trim(&msg->message_id);
}

/* count_hop - a Received: header: one more hop, within hopcount_limit */
static void
count_hop(struct cleanup_message *msg)
{
	if (++msg->hops > msg->params->hopcount_limit) {
		msg_info("%s: reject: too many hops (%ld Received: headers,"
		    " hopcount_limit %ld); from=<%s>", msg->id, msg->hops,
		    msg->params->hopcount_limit, msg->sender.data);
		cleanup_reject(msg, 5, CLEANUP_TEXT_HOPS);
	}
}

/* is_received - the pending header is a Received: header */
static bool
is_received(const struct cleanup_message *msg)
{
	return (name_is(msg->header.data, mime_header_name_len(msg->header.data,
	    msg->header.len), "received"));
}

/*
 * classify_header - the checks and notes made on one logical header;
 * hops_counted: its Received: was counted before header_checks saw it
 */
static void
classify_header(struct cleanup_message *msg, bool hops_counted)
{
	const char *hdr = msg->header.data;
	size_t	len = mime_header_name_len(hdr, msg->header.len);

	if (name_is(hdr, len, "received")) {
		if (!hops_counted)
			count_hop(msg);
	} else if (name_is(hdr, len, "message-id")) {
		msg->seen_message_id = true;
		note_message_id(msg, hdr, msg->header.len);
	} else if (name_is(hdr, len, "date")) {
		msg->seen_date = true;
	} else if (name_is(hdr, len, "from")) {
		msg->seen_from = true;
	}
	cleanup_rewrite_header(msg, len);
}

/* output_header - pass the collected header on, ending it with LF */
static void
output_header(struct cleanup_message *msg)
{
	if (msg->header.data[msg->header.len - 1] != '\n')
		strbuf_putc(&msg->header, '\n');
	cleanup_content_out(msg, msg->header.data, msg->header.len);
	strbuf_reset(&msg->header);
}

/*
 * flush_header - finish the pending logical header, if any: header
 * checks first (checks.c), then the notes and rewriting of what remains
 */
static void
flush_header(struct cleanup_message *msg)
{
	if (msg->header.len == 0)
		return;
	/* Received: counts whatever the checks do with it, as in Postfix */
	if (is_received(msg))
		count_hop(msg);
	switch (cleanup_check_header(msg, MIME_SECTION_PRIMARY,
	    msg->header.data, msg->header.len)) {
	case CHECK_DROP:
		strbuf_reset(&msg->header);
		return;
	case CHECK_REPLACE:
		strbuf_set(&msg->header, msg->check_replace.data);
		break;
	default:
		break;
	}
	classify_header(msg, true);
	output_header(msg);
}

/* add_missing_headers - Message-ID, Date and (sometimes) From */
static void
add_missing_headers(struct cleanup_message *msg)
{
	const struct cleanup_params *p = msg->params;
	struct strbuf *buf = &msg->header;	/* empty here: reuse it */
	char	stamp[64];
	struct timeval tv;
	struct tm tm;

	if (msg->writer == NULL)
		return;
	gettimeofday(&tv, NULL);
	strbuf_reset(buf);
	if (!msg->seen_message_id) {
		gmtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
		strbuf_reset(&msg->message_id);
		strbuf_printf(&msg->message_id, "<%s.%s@%s>", stamp, msg->id,
		    p->myhostname);
		strbuf_printf(buf, "Message-ID: %s\n", msg->message_id.data);
	}
	if (!msg->seen_date) {
		strbuf_puts(buf, "Date: ");
		mail_date(buf, tv.tv_sec);
		strbuf_putc(buf, '\n');
	}
	if (!msg->seen_from && ((msg->flags & CLEANUP_FLAG_LOCAL) != 0
	    || p->always_add_missing_headers)) {
		if (msg->sender.len > 0)
			strbuf_printf(buf, "From: <%s>\n", msg->sender.data);
		else
			strbuf_printf(buf, "From: MAILER-DAEMON@%s\n", p->myhostname);
	}
	cleanup_content_out(msg, buf->data, buf->len);
	strbuf_reset(buf);
}

/* log_message_id - the Postfix "ID: message-id=<...>" line */
static void
log_message_id(struct cleanup_message *msg)
{
	if (msg->writer != NULL)
		msg_info("%s: message-id=%s", msg->id, msg->message_id.data);
}

/* cleanup_headers_end - close the header section, adding what is missing */
void
cleanup_headers_end(struct cleanup_message *msg, bool add_blank_line)
{
	flush_header(msg);
	add_missing_headers(msg);
	/* A body that starts without an empty line gets one: well-formed output. */
	if (add_blank_line)
		cleanup_content_out(msg, "\n", 1);
	msg->phase = CLEANUP_IN_BODY;
	cleanup_checks_headers_end(msg);
	log_message_id(msg);
}

/*
 * cleanup_header_overflow - stop header processing in mid-section.  The
 * added headers go before the pending header, so that continuation lines
 * still to come stay attached to the header they belong to.
 */
void
cleanup_header_overflow(struct cleanup_message *msg)
{
	struct strbuf pending;

	if (msg->header.len > 0)
		classify_header(msg, false);
	/* add_missing_headers uses msg->header as scratch: set it aside. */
	pending = msg->header;
	strbuf_init(&msg->header);
	add_missing_headers(msg);
	strbuf_free(&msg->header);
	msg->header = pending;
	if (msg->header.len > 0)
		output_header(msg);
	msg->phase = CLEANUP_IN_BODY;
	cleanup_checks_headers_end(msg);
	log_message_id(msg);
}

/* cleanup_header_line - one line of the header section */
void
cleanup_header_line(struct cleanup_message *msg, const char *line, size_t len)
{
	if ((len == 1 && line[0] == '\n') || (len == 2 && line[0] == '\r'
	    && line[1] == '\n')) {
		cleanup_headers_end(msg, false);
		cleanup_content_out(msg, line, len);
		return;
	}
	if (line[0] == ' ' || line[0] == '\t') {
		if (msg->header.len > 0) {
			strbuf_append(&msg->header, line, len);
			return;
		}
	} else if (mime_header_name_len(line, len) > 0) {
		flush_header(msg);
		strbuf_append(&msg->header, line, len);
		return;
	}
	/* Neither a header nor a continuation: the body starts here. */
	cleanup_headers_end(msg, true);
	cleanup_body_line(msg, line, len);
}
