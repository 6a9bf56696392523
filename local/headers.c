/*
 * headers - Delivered-To: loop detection.
 *
 * Before delivering a request we read the message's header section once
 * (bounded by LOCAL_HEADER_SCAN_MAX) and remember every Delivered-To:
 * address, lower-cased.  A message that already says it was delivered to
 * the address we are about to deliver to has come round a loop (a
 * .forward or alias pointing back at itself through another system) and
 * bounces with 5.4.6 instead of circling forever.
 */
#include <ctype.h>
#include <string.h>

#include "local.h"
#include "strbuf.h"

struct scan_ctx {
	struct local_message *m;
	struct strbuf	 header;	/* current (unfolded) header */
	struct strbuf	 line;		/* current partial line */
	size_t		 seen;
	bool		 done;
};

/* note_header - keep the value of a finished Delivered-To: header */
static void
note_header(struct scan_ctx *s)
{
	struct strbuf value;
	const char *h = s->header.data;

	if (s->header.len < 13 || strncasecmp(h, "Delivered-To:", 13) != 0)
		return;
	strbuf_init(&value);
	strbuf_set(&value, h + 13);
	strbuf_trim(&value);
	if (value.len >= 2 && value.data[0] == '<' &&
	    value.data[value.len - 1] == '>') {
		memmove(value.data, value.data + 1, value.len - 2);
		strbuf_truncate(&value, value.len - 2);
	}
	strbuf_lower(&value);
	/* a hash set: a message with many such headers costs no n^2 */
	if (value.len > 0)
		(void)local_expand_note(&s->m->delivered_to,
		    LOCAL_STEP_DELIVERED_TO, value.data);
	strbuf_free(&value);
}

/* end_line - one complete header line (without its LF) */
static void
end_line(struct scan_ctx *s)
{
	const char *l = s->line.data;

	if (s->line.len == 0 || (s->line.len == 1 && l[0] == '\r')) {
		note_header(s);
		s->done = true;		/* end of the header section */
		return;
	}
	if (l[0] == ' ' || l[0] == '\t') {
		strbuf_append(&s->header, l, s->line.len);
		return;
	}
	note_header(s);
	strbuf_set(&s->header, l);
}

/* scan_chunk - queue_file_read_content callback */
static int
scan_chunk(const char *data, size_t len, void *ctx)
{
	struct scan_ctx *s = ctx;

	for (size_t i = 0; i < len && !s->done; i++) {
		if (data[i] == '\n') {
			end_line(s);
			strbuf_reset(&s->line);
		} else if (s->line.len < 4096)
			strbuf_putc(&s->line, data[i]);
	}
	s->seen += len;
	if (s->header.len > 8192)
		strbuf_truncate(&s->header, 8192);
	return (s->done || s->seen > LOCAL_HEADER_SCAN_MAX ? 1 : 0);
}

/* local_headers_scan - collect the message's Delivered-To: addresses */
void
local_headers_scan(struct local_message *m)
{
	struct scan_ctx s;

	memset(&s, 0, sizeof(s));
	s.m = m;
	strbuf_init(&s.header);
	strbuf_init(&s.line);
	(void)queue_file_read_content(m->fd, &m->msg, scan_chunk, &s);
	if (!s.done)
		note_header(&s);
	strbuf_free(&s.header);
	strbuf_free(&s.line);
}

/* local_headers_loop - did this message already pass through address */
bool
local_headers_loop(const struct local_message *m, const char *address)
{
	return (local_expand_has(&m->delivered_to, LOCAL_STEP_DELIVERED_TO,
	    address));
}
