/*
 * test_mime - the MIME structure parser (lib/mail/mime.c): which lines
 * are headers of which section, boundaries, nesting, digests, attached
 * messages, and the limits on hostile input.  Every test also checks that
 * the pieces handed out add up to the input exactly: the parser never
 * loses or invents content.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mime.h"
#include "strbuf.h"
#include "unit.h"

/* What the callbacks saw. */
struct seen {
	struct strbuf	 events;	/* "P:Subject: x|", "B0:text|", ... */
	struct strbuf	 output;	/* headers and body, in order */
	unsigned	 errors;
	size_t		 headers;
};

static const char section_letter[] = { 'P', 'M', 'N' };

static void
on_header(void *ctx, enum mime_section section, const char *text, size_t len)
{
	struct seen *s = ctx;

	s->headers++;
	strbuf_printf(&s->events, "%c:%.*s|", section_letter[section],
	    (int)(len > 60 ? 60 : len), text);
	strbuf_append(&s->output, text, len);
}

static void
on_body(void *ctx, const char *text, size_t len, size_t offset)
{
	struct seen *s = ctx;

	strbuf_printf(&s->events, "B%zu:%.*s|", offset,
	    (int)(len > 60 ? 60 : len), text);
	strbuf_append(&s->output, text, len);
}

static void
on_error(void *ctx, enum mime_error err, const char *text, size_t len)
{
	struct seen *s = ctx;

	(void)text;
	(void)len;
	s->errors |= err;
}

static const struct mime_ops ops = { on_header, on_body, on_error };
static const struct mime_limits postfix_limits = { 100, 2048, 102400 };

/* parse - feed text line by line (pieces of at most piece bytes) */
static struct mime_state *
parse(struct seen *s, const struct mime_limits *lim, const char *text,
    size_t len, size_t piece, bool structure)
{
	struct mime_state *m;
	const char *p = text, *end = text + len, *lf;
	size_t	 n;

	memset(s, 0, sizeof(*s));
	strbuf_init(&s->events);
	strbuf_init(&s->output);
	m = mime_create(lim, &ops, s);
	mime_reset(m, false, structure);
	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		n = lf != NULL ? (size_t)(lf - p) + 1 : (size_t)(end - p);
		if (n > piece)
			n = piece;
		mime_line(m, p, n);
		p += n;
	}
	mime_end(m);
	/* nothing lost, nothing added */
	ck_assert_uint_eq(s->output.len, len);
	ck_assert(memcmp(s->output.data, text, len) == 0);
	return (m);
}

static void
seen_free(struct seen *s, struct mime_state *m)
{
	strbuf_free(&s->events);
	strbuf_free(&s->output);
	mime_free(m);
}

#define EXPECT(s, want) ck_assert_msg(strcmp((s).events.data, (want)) == 0, \
	"got %s", (s).events.data)

START_TEST(test_plain_message_folded_header)
{
	static const char msg[] = "Subject: one\n two\nFrom: a@b\n\nbody\n";
	struct seen s;
	struct mime_state *m = parse(&s, &postfix_limits, msg, strlen(msg),
	    4096, true);

	EXPECT(s, "P:Subject: one\n two\n|P:From: a@b\n|B0:\n|B0:body\n|");
	seen_free(&s, m);
}
END_TEST

START_TEST(test_multipart_parts_and_epilogue)
{
	static const char msg[] =
	    "Content-Type: multipart/mixed;\n boundary=\"b1\"\n\n"
	    "prolog\n--b1\nContent-Type: text/plain\n\none\n"
	    "--b1\nX-Part: 2\n\ntwo\n--b1--\nepilogue\n";
	struct seen s;
	struct mime_state *m = parse(&s, &postfix_limits, msg, strlen(msg),
	    4096, true);

	EXPECT(s, "P:Content-Type: multipart/mixed;\n boundary=\"b1\"\n|"
	    "B0:\n|B0:prolog\n|B7:--b1\n|M:Content-Type: text/plain\n|B0:\n|"
	    "B0:one\n|B4:--b1\n|M:X-Part: 2\n|B0:\n|B0:two\n|B4:--b1--\n|"
	    "B0:epilogue\n|");
	ck_assert_uint_eq(mime_depth(m), 0);
	seen_free(&s, m);
}
END_TEST

START_TEST(test_attached_message_and_digest)
{
	static const char msg[] =
	    "Content-Type: multipart/digest; boundary=d\n\n"
	    "--d\n\nSubject: in digest\n\nx\n"
	    "--d\nContent-Type: message/rfc822\n\nSubject: explicit\n\ny\n"
	    "--d\nContent-Type: text/plain\n\nSubject: not a header\n--d--\n";
	struct seen s;
	struct mime_state *m = parse(&s, &postfix_limits, msg, strlen(msg),
	    4096, true);

	ck_assert_ptr_nonnull(strstr(s.events.data, "N:Subject: in digest\n|"));
	ck_assert_ptr_nonnull(strstr(s.events.data, "N:Subject: explicit\n|"));
	ck_assert_ptr_nonnull(strstr(s.events.data, "B0:Subject: not a header\n|"));
	ck_assert_ptr_nonnull(strstr(s.events.data,
	    "M:Content-Type: message/rfc822\n|"));
	seen_free(&s, m);
}
END_TEST

/* An outer boundary closes an inner multipart its sender left open. */
START_TEST(test_outer_boundary_closes_inner)
{
	static const char msg[] =
	    "Content-Type: multipart/mixed; boundary=outer\n\n"
	    "--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
	    "--inner\nX-Inner: 1\n\na\n"
	    "--outer\nX-After: 1\n\nb\n--outer--\n";
	struct seen s;
	struct mime_state *m = parse(&s, &postfix_limits, msg, strlen(msg),
	    4096, true);

	ck_assert_ptr_nonnull(strstr(s.events.data, "M:X-Inner: 1\n|"));
	ck_assert_ptr_nonnull(strstr(s.events.data, "M:X-After: 1\n|"));
	ck_assert_uint_eq(mime_depth(m), 0);
	seen_free(&s, m);
}
END_TEST

/* 1,000 nested multiparts: at most nesting_limit open, one error. */
START_TEST(test_deep_nesting_is_bounded)
{
	struct strbuf msg;
	struct seen s;
	struct mime_state *m;

	strbuf_init(&msg);
	strbuf_puts(&msg, "Content-Type: multipart/mixed; boundary=b0000\n\n");
	for (int i = 1; i <= 1000; i++)
		strbuf_printf(&msg, "--b%04d\nContent-Type: multipart/mixed;"
		    " boundary=b%04d\n\n", i - 1, i);
	strbuf_puts(&msg, "--b1000\nX-Deep: 1\n\nbody\n");
	m = parse(&s, &postfix_limits, msg.data, msg.len, 4096, true);
	ck_assert_uint_eq(mime_depth(m), 100);
	ck_assert_uint_eq(s.errors, MIME_ERR_NESTING);
	/* past the limit the boundaries are body: no header is seen there */
	ck_assert_ptr_null(strstr(s.events.data, "M:X-Deep"));
	seen_free(&s, m);
	strbuf_free(&msg);
}
END_TEST

/*
 * A 10 KiB boundary is kept to its first 2048 bytes and still matches on
 * them (the rest of the line is ignored, as trailing cruft is).
 */
START_TEST(test_long_boundary)
{
	struct strbuf msg, b;
	struct seen s;
	struct mime_state *m;

	strbuf_init(&msg);
	strbuf_init(&b);
	for (int i = 0; i < 10240; i++)
		strbuf_putc(&b, (char)('a' + i % 26));
	strbuf_printf(&msg, "Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
	    "--%s\nX-Part: 1\n\nx\n--%s--\n", b.data, b.data, b.data);
	m = parse(&s, &postfix_limits, msg.data, msg.len, 100000, true);
	ck_assert_ptr_nonnull(strstr(s.events.data, "M:X-Part: 1\n|"));
	/* as in Postfix: the close delimiter of a cut boundary is not seen */
	ck_assert_uint_eq(mime_depth(m), 1);
	ck_assert_uint_eq(s.errors, 0);
	seen_free(&s, m);
	strbuf_free(&msg);
	strbuf_free(&b);
}
END_TEST

/* A 1 MiB header folded 10,000 times: cut at header_limit, rest body. */
START_TEST(test_huge_folded_header)
{
	struct strbuf msg;
	struct seen s;
	struct mime_state *m;
	char	 fold[106];

	strbuf_init(&msg);
	memset(fold, 'x', sizeof(fold));
	fold[0] = ' ';
	fold[sizeof(fold) - 1] = '\n';
	strbuf_puts(&msg, "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nX-Huge: start\n");
	for (int i = 0; i < 10000; i++)
		strbuf_append(&msg, fold, sizeof(fold));
	strbuf_puts(&msg, "X-Next: 1\n\nbody\n--b--\n");
	m = parse(&s, &postfix_limits, msg.data, msg.len, 2048, true);
	ck_assert_uint_eq(s.errors, MIME_ERR_TRUNC_HEADER);
	ck_assert_ptr_nonnull(strstr(s.events.data, "M:X-Huge: start\n"));
	ck_assert_uint_eq(mime_depth(m), 0);	/* --b-- still seen */
	seen_free(&s, m);
	strbuf_free(&msg);
}
END_TEST

/* A long line comes in pieces: a piece inside it is no boundary. */
START_TEST(test_pieces_are_not_boundaries_or_headers)
{
	static const char hdr[] = "Content-Type: multipart/mixed; boundary=b\n";
	static const char body[] = "--b\n\n0123456789--b--\nstill: body\n--b--\n";
	const char *p = body, *end = body + strlen(body), *lf;
	struct seen s = { 0 };
	struct mime_state *m;
	size_t	 n;

	strbuf_init(&s.events);
	strbuf_init(&s.output);
	m = mime_create(&postfix_limits, &ops, &s);
	mime_reset(m, true, true);
	mime_primary_header(m, hdr, strlen(hdr));
	mime_primary_end(m);
	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)(lf - p) + 1;
		mime_line(m, p, n > 10 ? 10 : n);
		p += n > 10 ? 10 : n;
	}
	mime_end(m);
	ck_assert_ptr_nonnull(strstr(s.events.data, "B10:--b--\n|"));
	ck_assert_uint_eq(mime_depth(m), 0);	/* the real one closed it */
	ck_assert_uint_eq(s.headers, 0);
	ck_assert_uint_eq(s.output.len, strlen(body));
	seen_free(&s, m);
}
END_TEST

START_TEST(test_structure_disabled)
{
	static const char msg[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\nX-Part: 1\n\nx\n--b--\n";
	struct seen s;
	struct mime_state *m = parse(&s, &postfix_limits, msg, strlen(msg),
	    4096, false);

	ck_assert_uint_eq(s.headers, 1);
	ck_assert_uint_eq(mime_depth(m), 0);
	ck_assert_ptr_nonnull(strstr(s.events.data, "B4:X-Part: 1\n|"));
	seen_free(&s, m);
}
END_TEST

/* The caller's own header section, then lines (as cleanup uses it). */
START_TEST(test_primary_by_caller)
{
	static const char hdr[] = "Content-Type: message/rfc822\n";
	static const char body[] = "Subject: attached\n\ntext\n";
	struct seen s = { 0 };
	struct mime_state *m;

	strbuf_init(&s.events);
	strbuf_init(&s.output);
	m = mime_create(&postfix_limits, &ops, &s);
	mime_reset(m, true, true);
	mime_primary_header(m, hdr, strlen(hdr));
	mime_primary_end(m);
	mime_line(m, body, 18);
	mime_line(m, body + 18, 1);
	mime_line(m, body + 19, 5);
	mime_end(m);
	EXPECT(s, "N:Subject: attached\n|B0:\n|B0:text\n|");
	/* reset: a new message forgets the old structure */
	mime_reset(m, false, true);
	mime_line(m, "X: 1\n", 5);
	mime_end(m);
	ck_assert_ptr_nonnull(strstr(s.events.data, "P:X: 1\n|"));
	seen_free(&s, m);
}
END_TEST

/* Comments, quoting, case and a second boundary parameter. */
START_TEST(test_content_type_syntax)
{
	static const char msg[] =
	    "content-type : (c) MultiPart (x) / Mixed ; charset=x;"
	    " BOUNDARY = \"q\\\"b\" (comment; boundary=no); boundary=second\n\n"
	    "--second\nX-One: 1\n\n--no\nX-Two: 2\n\n--second--\n";
	struct seen s;
	struct mime_state *m = parse(&s, &postfix_limits, msg, strlen(msg),
	    4096, true);

	ck_assert_ptr_nonnull(strstr(s.events.data, "M:X-One: 1\n|"));
	/* a boundary= inside a comment is none */
	ck_assert_ptr_nonnull(strstr(s.events.data, "B5:X-Two: 2\n|"));
	/* both boundaries were pushed (as Postfix does); one is closed */
	ck_assert_uint_eq(mime_depth(m), 1);
	seen_free(&s, m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_plain_message_folded_header);
	tcase_add_test(tc, test_multipart_parts_and_epilogue);
	tcase_add_test(tc, test_attached_message_and_digest);
	tcase_add_test(tc, test_outer_boundary_closes_inner);
	tcase_add_test(tc, test_deep_nesting_is_bounded);
	tcase_add_test(tc, test_long_boundary);
	tcase_add_test(tc, test_huge_folded_header);
	tcase_add_test(tc, test_pieces_are_not_boundaries_or_headers);
	tcase_add_test(tc, test_structure_disabled);
	tcase_add_test(tc, test_primary_by_caller);
	tcase_add_test(tc, test_content_type_syntax);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
