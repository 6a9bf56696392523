/*
 * content - the message content on its way to cleanup.
 *
 * DATA and BDAT both feed this sink with content whose lines already end
 * in a bare LF.  It counts the message size (message_size_limit) and the
 * size of the header section (header_size_limit) and stops forwarding as
 * soon as either is exceeded or cleanup fails: the caller keeps reading
 * the client's data to the end and then answers with the reason.
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
    long size_limit, long header_limit)
{
	memset(sink, 0, sizeof(*sink));
	sink->cleanup = c;
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
}
