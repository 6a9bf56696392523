/*
 * fuzz_mime - the MIME structure parser (lib/mail/mime.c) on arbitrary
 * messages.
 *
 * The first byte picks the limits (small ones, so that nesting,
 * boundary and header limits are reached), the piece size lines are cut
 * into, and whether the parser reads the primary headers itself; the
 * rest is the message.  Checks: the headers and body lines handed out
 * add up to the input byte for byte, no more multiparts are open than
 * nesting_limit, a header is never longer than header_limit plus one
 * piece, and each error is reported at most once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_seen {
	struct strbuf	 out;
	size_t		 max_header;
	unsigned	 errors;
	long		 header_limit;
	size_t		 piece;
};

static void
on_header(void *ctx, enum mime_section section, const char *text, size_t len)
{
	struct fuzz_seen *s = ctx;

	if (section > MIME_SECTION_NESTED || len == 0 ||
	    len > (size_t)s->header_limit + s->piece)
		abort();
	strbuf_append(&s->out, text, len);
}

static void
on_body(void *ctx, const char *text, size_t len, size_t offset)
{
	struct fuzz_seen *s = ctx;

	(void)offset;
	strbuf_append(&s->out, text, len);
}

static void
on_error(void *ctx, enum mime_error err, const char *text, size_t len)
{
	struct fuzz_seen *s = ctx;

	(void)text;
	(void)len;
	if (s->errors & err)
		abort();		/* once per message */
	s->errors |= err;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mime_ops ops = { on_header, on_body, on_error };
	struct mime_limits lim;
	struct fuzz_seen s = { 0 };
	struct mime_state *m;
	const char *p, *end, *lf;
	size_t	 n;
	bool	 by_caller;

	if (size < 1)
		return (0);
	lim.nesting_limit = 1 + (data[0] & 7);
	lim.boundary_length_limit = 1 + ((data[0] >> 3) & 3) * 8;
	lim.header_limit = 64 + ((data[0] >> 5) & 1) * 1000;
	by_caller = (data[0] & 0x40) != 0;
	s.piece = data[0] & 0x80 ? 7 : 4096;
	s.header_limit = lim.header_limit;
	strbuf_init(&s.out);
	m = mime_create(&lim, &ops, &s);
	mime_reset(m, by_caller, true);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	if (by_caller) {
		/* the first line as the caller's one primary header */
		lf = memchr(p, '\n', (size_t)(end - p));
		n = lf != NULL ? (size_t)(lf - p) + 1 : (size_t)(end - p);
		mime_primary_header(m, p, n);
		mime_primary_end(m);
		strbuf_append(&s.out, p, n);
		p += n;
	}
	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		n = lf != NULL ? (size_t)(lf - p) + 1 : (size_t)(end - p);
		if (n > s.piece)
			n = s.piece;
		mime_line(m, p, n);
		if ((long)mime_depth(m) > lim.nesting_limit)
			abort();
		p += n;
	}
	mime_end(m);
	if (s.out.len != size - 1 || memcmp(s.out.data, data + 1, size - 1) != 0)
		abort();
	mime_free(m);
	strbuf_free(&s.out);
	return (0);
}
