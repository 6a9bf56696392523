/*
 * test_xtext - RFC 3461 xtext decoding and encoding.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "strbuf.h"
#include "unit.h"

START_TEST(test_decode_valid)
{
	struct strbuf out;

	strbuf_init(&out);
	ck_assert_int_eq(xtext_decode("abc", 3, &out), 0);
	ck_assert_str_eq(out.data, "abc");
	ck_assert_int_eq(xtext_decode("a+2Bb+3Dc", 9, &out), 0);
	ck_assert_str_eq(out.data, "a+b=c");
	ck_assert_int_eq(xtext_decode("rfc822;joe+40example.com", 24, &out), 0);
	ck_assert_str_eq(out.data, "rfc822;joe@example.com");
	ck_assert_int_eq(xtext_decode("+00", 3, &out), 0);
	ck_assert_uint_eq(out.len, 1);
	ck_assert_int_eq(out.data[0], 0);
	ck_assert_int_eq(xtext_decode("+FF+20", 6, &out), 0);
	ck_assert_uint_eq(out.len, 2);
	ck_assert_int_eq((unsigned char)out.data[0], 0xFF);
	ck_assert_int_eq(xtext_decode("", 0, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	/* replaces earlier contents */
	strbuf_set(&out, "junk");
	ck_assert_int_eq(xtext_decode("x", 1, &out), 0);
	ck_assert_str_eq(out.data, "x");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_decode_malformed)
{
	static const char *bad[] = {
		"+", "+2", "a+", "+2b", "+zz", "+G0", "a=b", "a b", "\x7f",
		"caf\xc3\xa9", "+ 20", "x\t", "+-1",
	};
	struct strbuf out;

	strbuf_init(&out);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(xtext_decode(bad[i], strlen(bad[i]), &out) == -1,
		    "accepted %s", bad[i]);
	/* a NUL inside the given length is a raw control byte */
	ck_assert_int_eq(xtext_decode("a\0b", 3, &out), -1);
	/* length is honoured: "+2" cut from "+2B" */
	ck_assert_int_eq(xtext_decode("+2B", 2, &out), -1);
	strbuf_free(&out);
}
END_TEST

START_TEST(test_encode)
{
	struct strbuf out;

	strbuf_init(&out);
	xtext_encode("a+b=c d", 7, &out);
	ck_assert_str_eq(out.data, "a+2Bb+3Dc+20d");
	xtext_encode("\x01\x7f\xff", 3, &out);
	ck_assert_str_eq(out.data, "+01+7F+FF");
	xtext_encode("", 0, &out);
	ck_assert_str_eq(out.data, "");
	strbuf_free(&out);
}
END_TEST

START_TEST(test_round_trip)
{
	struct strbuf enc, dec;
	unsigned char all[256];

	strbuf_init(&enc);
	strbuf_init(&dec);
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	xtext_encode((const char *)all, sizeof(all), &enc);
	for (size_t i = 0; i < enc.len; i++) {
		unsigned char c = enc.data[i];

		ck_assert(c >= 33 && c <= 126 && c != '=');
	}
	ck_assert_int_eq(xtext_decode(enc.data, enc.len, &dec), 0);
	ck_assert_uint_eq(dec.len, sizeof(all));
	ck_assert(memcmp(dec.data, all, sizeof(all)) == 0);
	strbuf_free(&enc);
	strbuf_free(&dec);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xtext");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_decode_valid);
	tcase_add_test(tc, test_decode_malformed);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_round_trip);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
