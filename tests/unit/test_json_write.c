/*
 * test_json_write - unit tests of lib/util/json_write.c: escaping, UTF-8
 * validation (overlong, surrogate, out of range, truncated), numbers.
 */
#include <check.h>
#include <string.h>

#include "json_write.h"
#include "strbuf.h"
#include "unit.h"

/* quoted - json_write_string of len bytes, compared with want */
static void
check_quoted(const char *in, size_t len, const char *want)
{
	struct strbuf sb;

	strbuf_init(&sb);
	json_write_string(&sb, in, len);
	ck_assert_msg(strcmp(sb.data, want) == 0, "got %s want %s", sb.data, want);
	strbuf_free(&sb);
}

#define CHECK(lit, want) check_quoted(lit, sizeof(lit) - 1, want)

START_TEST(test_plain_and_escapes)
{
	CHECK("", "\"\"");
	CHECK("user@example.com", "\"user@example.com\"");
	CHECK("a\"b\\c", "\"a\\\"b\\\\c\"");
	CHECK("l1\nl2\r\t", "\"l1\\nl2\\r\\t\"");
	CHECK("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	CHECK("a\0b", "\"a\\u0000b\"");
	CHECK("/", "\"/\"");
}
END_TEST

START_TEST(test_valid_utf8_passes)
{
	CHECK("\xc3\xa9", "\"\xc3\xa9\"");			/* U+00E9 */
	CHECK("\xe2\x82\xac", "\"\xe2\x82\xac\"");		/* U+20AC */
	CHECK("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");	/* U+1F600 */
	CHECK("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");	/* U+10FFFF */
	CHECK("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");		/* U+D7FF */
	CHECK("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");
}
END_TEST

START_TEST(test_invalid_utf8_replaced)
{
	CHECK("\xff", "\"\\ufffd\"");
	CHECK("\x80", "\"\\ufffd\"");
	CHECK("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* overlong '/' */
	CHECK("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	CHECK("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");	/* overlong */
	CHECK("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	CHECK("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	CHECK("a\xc3", "\"a\\ufffd\"");			/* truncated at end */
	CHECK("\xe2\x82x", "\"\\ufffd\\ufffdx\"");		/* truncated inside */
	CHECK("\xc3\xa9\xc3", "\"\xc3\xa9\\ufffd\"");
}
END_TEST

START_TEST(test_sequence_lengths)
{
	ck_assert_uint_eq(json_utf8_sequence((const unsigned char *)"", 0), 0);
	ck_assert_uint_eq(json_utf8_sequence((const unsigned char *)"a", 1), 1);
	ck_assert_uint_eq(json_utf8_sequence((const unsigned char *)"\xc3\xa9", 2), 2);
	ck_assert_uint_eq(json_utf8_sequence((const unsigned char *)"\xc3\xa9", 1), 0);
	ck_assert_uint_eq(json_utf8_sequence((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	ck_assert_uint_eq(json_utf8_sequence((const unsigned char *)"\xf0\x8f\xbf\xbf", 4), 0);
}
END_TEST

START_TEST(test_members_numbers)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_putc(&sb, '{');
	json_write_member(&sb, "arrival_time");
	json_write_long(&sb, 1700000000L);
	strbuf_puts(&sb, ", ");
	json_write_member(&sb, "neg");
	json_write_long(&sb, -5);
	strbuf_puts(&sb, ", ");
	json_write_member(&sb, "f");
	json_write_bool(&sb, false);
	strbuf_puts(&sb, ", ");
	json_write_member(&sb, "t");
	json_write_bool(&sb, true);
	strbuf_putc(&sb, '}');
	ck_assert_str_eq(sb.data, "{\"arrival_time\": 1700000000, \"neg\": -5, "
	    "\"f\": false, \"t\": true}");
	strbuf_free(&sb);
}
END_TEST

START_TEST(test_every_byte_yields_valid_output)
{
	unsigned char in[256];
	struct strbuf sb;
	size_t	 i, n;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)i;
	strbuf_init(&sb);
	json_write_string(&sb, (const char *)in, sizeof(in));
	/* the output itself is valid UTF-8 without raw control characters */
	for (i = 0; i < sb.len; i += n) {
		ck_assert((unsigned char)sb.data[i] >= 0x20);
		n = json_utf8_sequence((const unsigned char *)sb.data + i,
		    sb.len - i);
		ck_assert_uint_gt(n, 0);
	}
	strbuf_free(&sb);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("json_write");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_plain_and_escapes);
	tcase_add_test(tc, test_valid_utf8_passes);
	tcase_add_test(tc, test_invalid_utf8_replaced);
	tcase_add_test(tc, test_sequence_lengths);
	tcase_add_test(tc, test_members_numbers);
	tcase_add_test(tc, test_every_byte_yields_valid_output);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
