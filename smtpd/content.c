/*
 * content - the message content on its way to cleanup.
 *
 * DATA (data.c, after it has found the end and undone dot-stuffing) and
 * BDAT (bdat.c, chunk by chunk) hand this sink the content as the client
 * sent it, and it applies the one line-end policy of both: CRLF becomes
 * LF, also when a chunk or a read ends between the CR and the LF.  A bare
 * LF or a bare CR is what SMTP smuggling is made of: with
 * smtpd_forbid_bare_newline (unless the client is in
 * smtpd_forbid_bare_newline_exclusions) it is refused, and the caller
 * answers 521 and ends the session; otherwise a bare LF ends a line like
 * CRLF and a bare CR is data, which cleanup replaces with a space
 * (cleanup_replace_stray_cr_lf).
 *
 * The sink counts the message size (message_size_limit) and the size of
 * the header section (header_size_limit) and stops forwarding as soon as
 * either is exceeded or cleanup fails: the caller keeps reading the
 * client's data to the end and then answers with the reason.
 *
 * The header section ends at the first empty line, or at the first line
 * that is neither a header field ("name:") nor a continuation of one.
 */
#include <string.h>

#include "smtpd.h"

enum header_state {
	HS_LINE_START,		/* at the start of a header-section line */
	HS_NAME,		/* inside a field name */
	HS_REST,		/* after the colon or in a continuation */
	HS_BODY,		/* header section over */
};

/* content_sink_init - a sink writing to c (NULL: count only) */
void
content_sink_init(struct content_sink *sink, struct cleanup_client *c,
    long size_limit, long header_limit, bool forbid_bare)
{
	memset(sink, 0, sizeof(*sink));
	sink->cleanup = c;
	sink->forbid_bare = forbid_bare;
	sink->size_limit = size_limit;
	sink->header_limit = header_limit;
	sink->header_state = HS_LINE_START;
}

/* scan_headers - advance the header state over data; count header bytes */
static void
scan_headers(struct content_sink *sink, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len && sink->header_state != HS_BODY; i++) {
		unsigned char c = data[i];

		switch (sink->header_state) {
		case HS_LINE_START:
			if (c == '\n')
				sink->header_state = HS_BODY;
			else if (c == ' ' || c == '\t')
				sink->header_state = HS_REST;
			else if (c > 32 && c < 127 && c != ':')
				sink->header_state = HS_NAME;
			else
				sink->header_state = HS_BODY;
			break;
		case HS_NAME:
			if (c == ':')
				sink->header_state = HS_REST;
			else if (c <= 32 || c >= 127)
				sink->header_state = HS_BODY;
			break;
		case HS_REST:
			if (c == '\n')
				sink->header_state = HS_LINE_START;
			break;
		}
		if (sink->header_state != HS_BODY)
			sink->header_bytes++;
	}
	if (sink->header_bytes > sink->header_limit)
		sink->header_too_big = true;
}

/* content_sink_failed - no more content goes to cleanup */
bool
content_sink_failed(const struct content_sink *sink)
{
	return (sink->too_big || sink->header_too_big || sink->write_error);
}

/* content_sink_put - count and forward len bytes of LF-normalized content */
void
content_sink_put(struct content_sink *sink, const char *data, size_t len)
{
	sink->size += len;
	if (content_sink_failed(sink))
		return;
	if (sink->size_limit > 0 && sink->size > sink->size_limit) {
		sink->too_big = true;
		return;
	}
	if (sink->header_state != HS_BODY) {
		scan_headers(sink, data, len);
		if (sink->header_too_big)
			return;
	}
	if (sink->cleanup != NULL && len > 0
	    && cleanup_write(sink->cleanup, data, len) != 0)
		sink->write_error = true;
	else if (sink->drop != NULL && len > 0
	    && drop_client_write(sink->drop, data, len) != 0)
		sink->write_error = true;
}

/* put_run - the bytes from start to end, if any */
static void
put_run(struct content_sink *sink, const char *start, const char *end)
{
	if (end > start)
		content_sink_put(sink, start, (size_t)(end - start));
}

/* bare_cr - a CR not followed by LF: refused, or kept as data */
static const char *
bare_cr(struct content_sink *sink)
{
	if (sink->forbid_bare)
		return ("<CR>");
	content_sink_put(sink, "\r", 1);
	return (NULL);
}

/*
 * content_sink_wire - content as the client sent it, lines ending in CRLF,
 * into the sink with LF line ends.  Returns NULL, or "<CR>" / "<LF>" for a
 * bare one that the policy refuses (the message is then lost: the caller
 * ends the session).  A CR is left out of the run of bytes forwarded as is
 * and decided on by the byte after it, which may come with the next call.
 */
const char *
content_sink_wire(struct content_sink *sink, const char *data, size_t len)
{
	const char *start = data, *why;
	bool cr = sink->carry_cr;	/* the byte before data[i] was a CR */
	size_t i;

	for (i = 0; i < len; i++) {
		if (cr) {
			cr = false;
			if (data[i] == '\n')
				continue;	/* CRLF: the LF starts the next run */
			if ((why = bare_cr(sink)) != NULL)
				return (why);
		} else if (data[i] == '\n' && sink->forbid_bare) {
			return ("<LF>");
		}
		if (data[i] == '\r') {
			put_run(sink, start, data + i);
			start = data + i + 1;
			cr = true;
		}
	}
	put_run(sink, start, data + len);
	sink->carry_cr = cr;
	return (NULL);
}

/* content_sink_wire_end - the content is over: a CR still held was bare */
const char *
content_sink_wire_end(struct content_sink *sink)
{
	if (!sink->carry_cr)
		return (NULL);
	sink->carry_cr = false;
	return (bare_cr(sink));
}
