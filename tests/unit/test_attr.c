/*
 * test_attr - unit tests for lib/service/attr.c: round trips and hostile input.
 *
 * Wire bytes are built by hand and fed through a stream on a memfd, so
 * every malformation can be produced exactly.
 */
#include <sys/mman.h>

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "mem.h"
#include "unit.h"

/* wire_u32 - append a big-endian length */
static void
wire_u32(struct strbuf *w, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	strbuf_append(w, b, 4);
}

/* wire_pair - append one pair as the protocol writes it */
static void
wire_pair(struct strbuf *w, const char *name, const void *value, size_t len)
{
	wire_u32(w, (uint32_t)strlen(name));
	strbuf_puts(w, name);
	wire_u32(w, (uint32_t)len);
	strbuf_append(w, value, len);
}

/* stream_of - a stream reading exactly these bytes */
static struct stream *
stream_of(const void *data, size_t len)
{
	int fd = memfd_create("attr", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return (stream_open(fd));
}

/* read_wire - attr_read over the bytes in w */
static int
read_wire(const struct strbuf *w, struct attr_list *list, size_t max_total)
{
	struct stream *s = stream_of(w->data, w->len);
	int r = attr_read(s, list, max_total);

	stream_close(s);
	return (r);
}

/* roundtrip - write list into a memfd, read it back into out */
static int
roundtrip(const struct attr_list *in, struct attr_list *out, size_t *wire_len)
{
	int fd = memfd_create("attr", MFD_CLOEXEC);
	struct stream *s;
	int r;

	ck_assert_int_ge(fd, 0);
	s = stream_open(fd);
	ck_assert_int_eq(attr_write(s, in), 0);
	ck_assert_int_eq(stream_flush(s), STREAM_OK);
	if (wire_len)
		*wire_len = (size_t)lseek(fd, 0, SEEK_CUR);
	lseek(fd, 0, SEEK_SET);
	r = attr_read(s, out, 0);
	stream_close(s);
	return (r);
}

START_TEST(test_roundtrip)
{
	struct attr_list in, out;
	const char bin[] = { 'a', 0, 'b', '\n', (char)0xff };
	long v;
	size_t wire;

	attr_list_init(&in);
	attr_list_init(&out);
	attr_list_add_str(&in, "request", "message");
	attr_list_add_long(&in, "flags", -42);
	attr_list_add(&in, "data", bin, sizeof(bin));
	attr_list_add_str(&in, "rcpt", "a@example.org");
	attr_list_add_str(&in, "rcpt", "b@example.org");
	attr_list_add_str(&in, "empty", "");
	ck_assert_int_eq(roundtrip(&in, &out, &wire), STREAM_OK);
	/* 6 pairs: 8 bytes of lengths each, names, values, terminator */
	ck_assert_uint_eq(wire, 6 * 8 + (7 + 5 + 4 + 4 + 4 + 5) +
	    (7 + 3 + 5 + 13 + 13 + 0) + 4);
	ck_assert_uint_eq(out.count, 6);
	ck_assert_str_eq(attr_list_get(&out, "request"), "message");
	ck_assert_int_eq(attr_list_get_long(&out, "flags", &v), 0);
	ck_assert_int_eq(v, -42);
	ck_assert_uint_eq(attr_list_find(&out, "data")->value_len, sizeof(bin));
	ck_assert(memcmp(attr_list_find(&out, "data")->value, bin,
	    sizeof(bin)) == 0);
	ck_assert_int_eq(attr_list_find(&out, "data")->value[sizeof(bin)], 0);
	/* repeated names keep their order */
	ck_assert_str_eq(out.items[3].name, "rcpt");
	ck_assert_str_eq(out.items[3].value, "a@example.org");
	ck_assert_str_eq(out.items[4].value, "b@example.org");
	ck_assert_str_eq(attr_list_get(&out, "rcpt"), "a@example.org");
	ck_assert_str_eq(attr_list_get(&out, "empty"), "");
	ck_assert_ptr_null(attr_list_get(&out, "absent"));
	attr_list_free(&in);
	attr_list_free(&out);
}
END_TEST

START_TEST(test_empty_list_and_sequence)
{
	struct strbuf w;
	struct attr_list list;
	struct stream *s;

	strbuf_init(&w);
	attr_list_init(&list);
	wire_u32(&w, 0);
	wire_pair(&w, "status", "0", 1);
	wire_u32(&w, 0);
	s = stream_of(w.data, w.len);
	ck_assert_int_eq(attr_read(s, &list, 100), STREAM_OK);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_int_eq(attr_read(s, &list, 100), STREAM_OK);
	ck_assert_uint_eq(list.count, 1);
	ck_assert_str_eq(attr_list_get(&list, "status"), "0");
	/* clean EOF before the next list */
	ck_assert_int_eq(attr_read(s, &list, 100), STREAM_EOF);
	ck_assert_uint_eq(list.count, 0);
	stream_close(s);
	attr_list_free(&list);
	strbuf_free(&w);
}
END_TEST

START_TEST(test_bad_names)
{
	static const char *bad[] = { "Request", "a-b", "a b", "a.b", "\xc3\xa9",
	    "x\ty" };
	struct strbuf w;
	struct attr_list list;

	strbuf_init(&w);
	attr_list_init(&list);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&w);
		wire_pair(&w, "ok", "1", 1);
		wire_pair(&w, bad[i], "1", 1);
		wire_u32(&w, 0);
		ck_assert_int_eq(read_wire(&w, &list, 0), STREAM_ERROR);
		ck_assert_uint_eq(list.count, 0);
	}
	/* a NUL inside the name */
	strbuf_reset(&w);
	wire_u32(&w, 3);
	strbuf_append(&w, "a\0b", 3);
	wire_u32(&w, 0);
	wire_u32(&w, 0);
	ck_assert_int_eq(read_wire(&w, &list, 0), STREAM_ERROR);
	ck_assert(attr_name_valid("client_address", 14));
	ck_assert(!attr_name_valid("", 0));
	ck_assert(!attr_name_valid("UPPER", 5));
	attr_list_free(&list);
	strbuf_free(&w);
}
END_TEST

START_TEST(test_bad_lengths)
{
	struct strbuf w;
	struct attr_list list;
	char name[ATTR_NAME_MAX + 2];

	strbuf_init(&w);
	attr_list_init(&list);
	/* longest legal name is fine, one more is not */
	memset(name, 'n', sizeof(name));
	name[ATTR_NAME_MAX] = 0;
	wire_pair(&w, name, "v", 1);
	wire_u32(&w, 0);
	ck_assert_int_eq(read_wire(&w, &list, 0), STREAM_OK);
	strbuf_reset(&w);
	name[ATTR_NAME_MAX] = 'n';
	name[ATTR_NAME_MAX + 1] = 0;
	wire_pair(&w, name, "v", 1);
	wire_u32(&w, 0);
	ck_assert_int_eq(read_wire(&w, &list, 0), STREAM_ERROR);
	/* a huge name length must fail before any allocation */
	strbuf_reset(&w);
	wire_u32(&w, 0xffffffffu);
	ck_assert_int_eq(read_wire(&w, &list, 0), STREAM_ERROR);
	/* oversize value length, with nothing behind it */
	strbuf_reset(&w);
	wire_u32(&w, 1);
	strbuf_puts(&w, "v");
	wire_u32(&w, ATTR_VALUE_MAX + 1);
	ck_assert_int_eq(read_wire(&w, &list, 0), STREAM_ERROR);
	strbuf_reset(&w);
	wire_u32(&w, 1);
	strbuf_puts(&w, "v");
	wire_u32(&w, 0xfffffff0u);
	ck_assert_int_eq(read_wire(&w, &list, SIZE_MAX), STREAM_ERROR);
	attr_list_free(&list);
	strbuf_free(&w);
}
END_TEST

START_TEST(test_truncated)
{
	struct strbuf w;
	struct attr_list list;

	strbuf_init(&w);
	attr_list_init(&list);
	wire_pair(&w, "sender", "a@b.c", 5);
	wire_u32(&w, 0);
	/* every cut, from inside the first length word to before the end */
	for (size_t cut = 1; cut < w.len; cut++) {
		struct strbuf part;

		strbuf_init(&part);
		strbuf_append(&part, w.data, cut);
		ck_assert_msg(read_wire(&part, &list, 0) == STREAM_ERROR,
		    "cut at %zu", cut);
		ck_assert_uint_eq(list.count, 0);
		strbuf_free(&part);
	}
	ck_assert_int_eq(read_wire(&w, &list, 0), STREAM_OK);
	attr_list_free(&list);
	strbuf_free(&w);
}
END_TEST

START_TEST(test_max_total)
{
	struct strbuf w;
	struct attr_list list;
	char value[1000];

	strbuf_init(&w);
	attr_list_init(&list);
	memset(value, 'x', sizeof(value));
	wire_pair(&w, "data", value, sizeof(value));
	wire_u32(&w, 0);
	/* the exact wire size passes, one byte less does not */
	ck_assert_int_eq(read_wire(&w, &list, w.len), STREAM_OK);
	ck_assert_int_eq(read_wire(&w, &list, w.len - 1), STREAM_ERROR);
	ck_assert_int_eq(read_wire(&w, &list, 100), STREAM_ERROR);
	ck_assert_uint_eq(list.count, 0);
	attr_list_free(&list);
	strbuf_free(&w);
}
END_TEST

START_TEST(test_count_limit)
{
	struct strbuf w;
	struct attr_list list;

	strbuf_init(&w);
	attr_list_init(&list);
	for (int i = 0; i < ATTR_COUNT_MAX; i++)
		wire_pair(&w, "r", "", 0);
	wire_u32(&w, 0);
	ck_assert_int_eq(read_wire(&w, &list, SIZE_MAX), STREAM_OK);
	ck_assert_uint_eq(list.count, ATTR_COUNT_MAX);
	strbuf_truncate(&w, w.len - 4);
	wire_pair(&w, "r", "", 0);
	wire_u32(&w, 0);
	ck_assert_int_eq(read_wire(&w, &list, SIZE_MAX), STREAM_ERROR);
	ck_assert_uint_eq(list.count, 0);
	attr_list_free(&list);
	strbuf_free(&w);
}
END_TEST

START_TEST(test_writer_refuses_bad_lists)
{
	struct attr_list list;
	int fd = memfd_create("attr", MFD_CLOEXEC);
	struct stream *s = stream_open(fd);

	attr_list_init(&list);
	attr_list_add_str(&list, "good", "1");
	attr_list_add_str(&list, "Bad", "1");
	ck_assert_int_eq(attr_write(s, &list), -1);
	ck_assert_int_eq(stream_flush(s), STREAM_OK);
	/* nothing at all was written */
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
	attr_list_reset(&list);
	attr_list_add_str(&list, "", "1");
	ck_assert_int_eq(attr_write(s, &list), -1);
	stream_close(s);
	attr_list_free(&list);
}
END_TEST

START_TEST(test_get_long)
{
	struct attr_list list;
	long v = 7;

	attr_list_init(&list);
	attr_list_add_str(&list, "a", "123");
	attr_list_add_str(&list, "b", " 12");
	attr_list_add_str(&list, "c", "12x");
	attr_list_add_str(&list, "d", "");
	attr_list_add_str(&list, "e", "99999999999999999999999");
	attr_list_add(&list, "f", "1\0002", 3);
	attr_list_add_str(&list, "g", "+5");
	ck_assert_int_eq(attr_list_get_long(&list, "a", &v), 0);
	ck_assert_int_eq(v, 123);
	ck_assert_int_eq(attr_list_get_long(&list, "b", &v), -1);
	ck_assert_int_eq(attr_list_get_long(&list, "c", &v), -1);
	ck_assert_int_eq(attr_list_get_long(&list, "d", &v), -1);
	ck_assert_int_eq(attr_list_get_long(&list, "e", &v), -1);
	ck_assert_int_eq(attr_list_get_long(&list, "f", &v), -1);
	ck_assert_int_eq(attr_list_get_long(&list, "g", &v), -1);
	ck_assert_int_eq(attr_list_get_long(&list, "zz", &v), -1);
	ck_assert_int_eq(v, 123);
	attr_list_free(&list);
}
END_TEST

START_TEST(test_large_value_roundtrip)
{
	struct attr_list in, out;
	char *big = xmalloc(ATTR_VALUE_MAX);

	for (size_t i = 0; i < ATTR_VALUE_MAX; i++)
		big[i] = (char)(i * 7);
	attr_list_init(&in);
	attr_list_init(&out);
	attr_list_add(&in, "data", big, ATTR_VALUE_MAX);
	ck_assert_int_eq(roundtrip(&in, &out, NULL), STREAM_OK);
	ck_assert_uint_eq(out.items[0].value_len, ATTR_VALUE_MAX);
	ck_assert(memcmp(out.items[0].value, big, ATTR_VALUE_MAX) == 0);
	free(big);
	attr_list_free(&in);
	attr_list_free(&out);
}
END_TEST

/*
 * test_wire_complete_and_buffers - a list measured while its bytes
 * arrive one by one, then read back from memory; garbage is refused
 */
START_TEST(test_wire_complete_and_buffers)
{
	struct attr_list list, back;
	struct strbuf wire;
	unsigned char bad[8] = { 0, 0, 0, 65, 'a', 'b', 'c', 'd' };
	long	 whole;

	attr_list_init(&list);
	attr_list_init(&back);
	strbuf_init(&wire);
	attr_list_add_str(&list, "status", "0");
	attr_list_add(&list, "data", "a\0b", 3);
	ck_assert_int_eq(attr_to_buffer(&list, &wire), 0);
	for (size_t n = 0; n < wire.len; n++)
		ck_assert_int_eq(attr_wire_complete(wire.data, n), 0);
	whole = attr_wire_complete(wire.data, wire.len);
	ck_assert_int_eq(whole, (long)wire.len);
	ck_assert_int_eq(attr_from_buffer(wire.data, wire.len, &back, 0),
	    STREAM_OK);
	ck_assert_uint_eq(back.count, 2);
	ck_assert_str_eq(attr_list_get(&back, "status"), "0");
	ck_assert_uint_eq(attr_list_find(&back, "data")->value_len, 3);
	/* bytes after the list, a list cut short, a name over the limit */
	strbuf_putc(&wire, 'x');
	ck_assert_int_eq(attr_wire_complete(wire.data, wire.len),
	    (long)wire.len - 1);
	ck_assert_int_eq(attr_from_buffer(wire.data, wire.len, &back, 0),
	    STREAM_ERROR);
	ck_assert_uint_eq(back.count, 0);
	ck_assert_int_eq(attr_from_buffer(wire.data, wire.len - 3, &back, 0),
	    STREAM_ERROR);
	ck_assert_int_eq(attr_from_buffer(wire.data, 0, &back, 0),
	    STREAM_ERROR);
	ck_assert_int_eq(attr_wire_complete(bad, sizeof(bad)), -1);
	/* a list over max_total */
	ck_assert_int_eq(attr_from_buffer(wire.data, wire.len - 1, &back, 10),
	    STREAM_ERROR);
	/* an invalid name is refused by the writer, nothing appended */
	strbuf_reset(&wire);
	attr_list_add_str(&list, "Bad-Name", "x");
	ck_assert_int_eq(attr_to_buffer(&list, &wire), -1);
	ck_assert_uint_eq(wire.len, 0);
	attr_list_free(&list);
	attr_list_free(&back);
	strbuf_free(&wire);
}
END_TEST

/* attr_suite - every test above */
static Suite *
attr_suite(void)
{
	Suite *suite = suite_create("attr");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_empty_list_and_sequence);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_bad_lengths);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_max_total);
	tcase_add_test(tc, test_count_limit);
	tcase_add_test(tc, test_writer_refuses_bad_lists);
	tcase_add_test(tc, test_get_long);
	tcase_add_test(tc, test_large_value_roundtrip);
	tcase_add_test(tc, test_wire_complete_and_buffers);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(attr_suite()));
}
