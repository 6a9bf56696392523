/*
 * test_dns_wire - unit tests of lib/dns/dns_wire.c: MX and PTR rdata decoding
 * and reverse-lookup names, with crafted and malformed data (compression
 * pointers, overruns, trailing bytes, over-long labels and names, numeric
 * and badly hyphenated host names), TXT strings (truncated, control
 * bytes, the length limit).  No server needed.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dns_impl.h"
#include "strbuf.h"
#include "strlist.h"
#include "unit.h"

static struct strbuf why;

START_TEST(mx_rdata_decoding)
{
	static const unsigned char good[] = { 0, 10, 3, 'm', 'x', '1', 4, 't',
	    'e', 's', 't', 0 };
	static const unsigned char root[] = { 0, 0, 0 };
	static const unsigned char pointer[] = { 0, 10, 0xc0, 12 };
	static const unsigned char overrun[] = { 0, 10, 5, 'a', 'b', 0 };
	static const unsigned char trailing[] = { 0, 10, 1, 'a', 0, 'x' };
	static const unsigned char unterminated[] = { 0, 10, 1, 'a' };
	static const unsigned char odd_byte[] = { 0, 10, 3, 'a', '.', 'b', 0 };
	static const unsigned char nul_byte[] = { 0, 10, 3, 'a', 0, 'b', 0 };
	unsigned char big[300];
	struct strbuf name;
	size_t pos = 2;
	int pref;

	strbuf_init(&name);
	ck_assert_int_eq(dns_mx_decode(good, sizeof(good), &pref, &name), 0);
	ck_assert_int_eq(pref, 10);
	ck_assert_str_eq(name.data, "mx1.test");
	ck_assert_int_eq(dns_mx_decode(root, sizeof(root), &pref, &name), 0);
	ck_assert_str_eq(name.data, "");
	ck_assert_int_eq(dns_mx_decode(pointer, sizeof(pointer), &pref, &name), -1);
	ck_assert_int_eq(dns_mx_decode(overrun, sizeof(overrun), &pref, &name), -1);
	ck_assert_int_eq(dns_mx_decode(trailing, sizeof(trailing), &pref, &name), -1);
	ck_assert_int_eq(dns_mx_decode(unterminated, sizeof(unterminated), &pref,
	    &name), -1);
	ck_assert_int_eq(dns_mx_decode(odd_byte, sizeof(odd_byte), &pref, &name), -1);
	ck_assert_int_eq(dns_mx_decode(nul_byte, sizeof(nul_byte), &pref, &name), -1);
	ck_assert_int_eq(dns_mx_decode(good, 2, &pref, &name), -1);
	ck_assert_int_eq(dns_mx_decode(good, 0, &pref, &name), -1);
	/* 64-byte label, then a name longer than 255 octets */
	memset(big, 'a', sizeof(big));
	big[0] = 0xff;
	big[1] = 0xff;
	big[2] = 64;
	big[67] = 0;
	ck_assert_int_eq(dns_mx_decode(big, 68, &pref, &name), -1);
	big[67] = 'a';
	while (pos + 64 < sizeof(big)) {
		big[pos] = 63;
		pos += 64;
	}
	big[pos] = 0;
	ck_assert_int_eq(dns_mx_decode(big, pos + 1, &pref, &name), -1);
	/* exactly 255 octets: 63+63+63+61 labels */
	big[2] = 63; big[66] = 63; big[130] = 63; big[194] = 61; big[256] = 0;
	ck_assert_int_eq(dns_mx_decode(big, 257, &pref, &name), 0);
	ck_assert_int_eq(pref, 65535);
	ck_assert_uint_eq(name.len, 253);
	big[194] = 62; big[256] = 'a'; big[257] = 0;
	ck_assert_int_eq(dns_mx_decode(big, 258, &pref, &name), -1);
	strbuf_free(&name);
}
END_TEST

START_TEST(ptr_rdata_decoding)
{
	static const unsigned char good[] = { 4, 'm', 'a', 'i', 'l', 7, 'E',
	    'x', 'a', 'm', 'p', 'l', 'e', 0 };
	static const unsigned char inner_hyphen[] = { 3, 'a', '-', 'b', 1, '7',
	    0 };
	static const unsigned char mixed[] = { 2, '1', 'a', 1, '2', 0 };
	static const unsigned char root[] = { 0 };
	static const unsigned char self_pointer[] = { 0xc0, 0 };
	static const unsigned char loop[] = { 1, 'a', 0xc0, 0 };
	static const unsigned char overrun[] = { 5, 'a', 'b', 0 };
	static const unsigned char unterminated[] = { 1, 'a' };
	static const unsigned char trailing[] = { 1, 'a', 0, 'x' };
	static const unsigned char numeric[] = { 2, '1', '0', 1, '0', 1, '0',
	    1, '1', 0 };
	static const unsigned char digits[] = { 3, '1', '2', '3', 0 };
	static const unsigned char lead_hyphen[] = { 5, '-', 'd', 'a', 's', 'h',
	    0 };
	static const unsigned char tail_hyphen[] = { 2, 'a', '-', 1, 'b', 0 };
	static const unsigned char dot_in_label[] = { 3, 'a', '.', 'b', 0 };
	static const unsigned char space[] = { 3, 'a', ' ', 'b', 0 };
	static const unsigned char high_bit[] = { 2, 'a', 0x80, 0 };
	static const unsigned char nul_byte[] = { 3, 'a', 0, 'b', 0 };
	unsigned char big[300];
	struct strbuf name;
	size_t pos = 0;

	strbuf_init(&name);
	ck_assert_int_eq(dns_ptr_decode(good, sizeof(good), &name), 0);
	ck_assert_str_eq(name.data, "mail.Example");
	ck_assert_int_eq(dns_ptr_decode(inner_hyphen, sizeof(inner_hyphen),
	    &name), 0);
	ck_assert_str_eq(name.data, "a-b.7");
	ck_assert_int_eq(dns_ptr_decode(mixed, sizeof(mixed), &name), 0);
	ck_assert_int_eq(dns_ptr_decode(root, sizeof(root), &name), -1);
	ck_assert_int_eq(dns_ptr_decode(good, 0, &name), -1);
	/* compression pointers (a pointer to itself would loop) are refused */
	ck_assert_int_eq(dns_ptr_decode(self_pointer, sizeof(self_pointer),
	    &name), -1);
	ck_assert_int_eq(dns_ptr_decode(loop, sizeof(loop), &name), -1);
	/* truncated */
	ck_assert_int_eq(dns_ptr_decode(overrun, sizeof(overrun), &name), -1);
	ck_assert_int_eq(dns_ptr_decode(unterminated, sizeof(unterminated),
	    &name), -1);
	ck_assert_int_eq(dns_ptr_decode(good, sizeof(good) - 1, &name), -1);
	ck_assert_int_eq(dns_ptr_decode(trailing, sizeof(trailing), &name), -1);
	/* names that must not stand for a host */
	ck_assert_int_eq(dns_ptr_decode(numeric, sizeof(numeric), &name), -1);
	ck_assert_int_eq(dns_ptr_decode(digits, sizeof(digits), &name), -1);
	ck_assert_int_eq(dns_ptr_decode(lead_hyphen, sizeof(lead_hyphen),
	    &name), -1);
	ck_assert_int_eq(dns_ptr_decode(tail_hyphen, sizeof(tail_hyphen),
	    &name), -1);
	ck_assert_int_eq(dns_ptr_decode(dot_in_label, sizeof(dot_in_label),
	    &name), -1);
	ck_assert_int_eq(dns_ptr_decode(space, sizeof(space), &name), -1);
	ck_assert_int_eq(dns_ptr_decode(high_bit, sizeof(high_bit), &name), -1);
	ck_assert_int_eq(dns_ptr_decode(nul_byte, sizeof(nul_byte), &name), -1);
	/* a 64-byte label; then 255 wire octets pass and 256 do not */
	memset(big, 'a', sizeof(big));
	big[0] = 64;
	big[65] = 0;
	ck_assert_int_eq(dns_ptr_decode(big, 66, &name), -1);
	while (pos + 64 < sizeof(big)) {
		big[pos] = 63;
		pos += 64;
	}
	big[pos] = 0;
	ck_assert_int_eq(dns_ptr_decode(big, pos + 1, &name), -1);
	memset(big, 'a', sizeof(big));
	big[0] = 63; big[64] = 63; big[128] = 63; big[192] = 61; big[254] = 0;
	ck_assert_int_eq(dns_ptr_decode(big, 255, &name), 0);
	ck_assert_uint_eq(name.len, 253);
	ck_assert(dns_name_valid(name.data));
	big[192] = 62; big[254] = 'a'; big[255] = 0;
	ck_assert_int_eq(dns_ptr_decode(big, 256, &name), -1);
	strbuf_free(&name);
}
END_TEST

START_TEST(txt_rdata_decoding)
{
	static const unsigned char two[] = { 5, 'L', 'i', 's', 't', 'e', 3, ' ',
	    'd', '!' };
	static const unsigned char ctl[] = { 4, 'a', '\r', '\n', 0x80 };
	static const unsigned char overrun[] = { 9, 'a', 'b' };
	static const unsigned char empty[] = { 0, 0 };
	unsigned char big[256 * 3];
	struct strbuf out;
	size_t i;

	strbuf_init(&out);
	dns_txt_decode(two, sizeof(two), 500, &out);
	ck_assert_str_eq(out.data, "Liste d!");
	strbuf_reset(&out);
	dns_txt_decode(ctl, sizeof(ctl), 500, &out);
	ck_assert_str_eq(out.data, "a___");
	strbuf_reset(&out);
	dns_txt_decode(overrun, sizeof(overrun), 500, &out);
	ck_assert_str_eq(out.data, "ab");
	strbuf_reset(&out);
	dns_txt_decode(empty, sizeof(empty), 500, &out);
	ck_assert_str_eq(out.data, "");
	dns_txt_decode(two, 0, 500, &out);
	ck_assert_str_eq(out.data, "");
	/* three strings of 255: the limit holds, also when text is there */
	for (i = 0; i < sizeof(big); i++)
		big[i] = i % 256 == 0 ? 255 : 'x';
	strbuf_set(&out, "pre");
	dns_txt_decode(big, sizeof(big), 500, &out);
	ck_assert_uint_eq(out.len, 500);
	strbuf_reset(&out);
	dns_txt_decode(big, 3, 2, &out);
	ck_assert_str_eq(out.data, "xx");
	strbuf_free(&out);
}
END_TEST

START_TEST(reverse_names)
{
	static const char *const bad[] = {
		"", "foo", "1.2.3", "127.0.0.1 ", "1.2.3.256", "::g", "[::1]",
	};
	struct strbuf name;
	struct strlist names;
	size_t i;

	strbuf_init(&name);
	strlist_init(&names);
	ck_assert_int_eq(dns_reverse_name("127.0.0.2", &name), 0);
	ck_assert_str_eq(name.data, "2.0.0.127.in-addr.arpa");
	ck_assert_int_eq(dns_reverse_name("192.0.2.10", &name), 0);
	ck_assert_str_eq(name.data, "10.2.0.192.in-addr.arpa");
	ck_assert_int_eq(dns_reverse_name("2001:DB8::a1", &name), 0);
	ck_assert_str_eq(name.data, "1.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	ck_assert(dns_name_valid(name.data));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(dns_reverse_name(bad[i], &name) == -1, "took %s",
		    bad[i]);
		ck_assert_msg(dns_lookup_ptr(bad[i], &names, &why) == DNS_INVALID,
		    "looked up %s", bad[i]);
	}
	ck_assert_uint_eq(names.count, 0);
	strlist_free(&names);
	strbuf_free(&name);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dns_wire");
	TCase *tc = tcase_create("core");

	strbuf_init(&why);
	tcase_add_test(tc, mx_rdata_decoding);
	tcase_add_test(tc, ptr_rdata_decoding);
	tcase_add_test(tc, txt_rdata_decoding);
	tcase_add_test(tc, reverse_names);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
