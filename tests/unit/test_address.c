/*
 * test_address - RFC 5321 path parsing, domain and UTF-8 validation.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "strbuf.h"
#include "unit.h"

struct path_case {
	const char	*text;
	unsigned	 flags;
	const char	*address;	/* expected address, NULL = must fail */
	const char	*params;	/* expected params when it succeeds */
};

#define NUL_OK	SMTP_PATH_ALLOW_NULL
#define U8	SMTP_PATH_UTF8
#define STRICT	SMTP_PATH_STRICT
#define BARE	SMTP_PATH_ALLOW_BARE

static const struct path_case cases[] = {
	/* valid */
	{"<a@example.com>", 0, "a@example.com", ""},
	{"<a@example.com> SIZE=100 BODY=8BITMIME", 0, "a@example.com", "SIZE=100 BODY=8BITMIME"},
	{"<a@example.com>\tSIZE=1", 0, "a@example.com", "SIZE=1"},
	{" <a@example.com>", 0, "a@example.com", ""},
	{"<first.last+tag@sub.example.co.uk>", STRICT, "first.last+tag@sub.example.co.uk", ""},
	{"<\"john doe\"@example.com>", 0, "\"john doe\"@example.com", ""},
	{"<\"a\\\"b@c\"@example.com>", 0, "\"a\\\"b@c\"@example.com", ""},
	{"<\"a>b\"@example.com>", 0, "\"a>b\"@example.com", ""},
	{"<@relay.example,@b.example:user@example.com>", 0, "user@example.com", ""},
	{"<@relay.example:user@example.com>", STRICT, "user@example.com", ""},
	{"<user@[192.0.2.1]>", 0, "user@[192.0.2.1]", ""},
	{"<user@[IPv6:2001:db8::1]>", 0, "user@[IPv6:2001:db8::1]", ""},
	{"<user@[ipv6:::1]>", 0, "user@[ipv6:::1]", ""},
	{"<user@[x-tag:some-content]>", 0, "user@[x-tag:some-content]", ""},
	{"<>", NUL_OK, "", ""},
	{"<> RET=HDRS", NUL_OK, "", "RET=HDRS"},
	{"<postmaster>", BARE, "postmaster", ""},
	{"<PostMaster>", BARE, "PostMaster", ""},
	{"a@example.com", 0, "a@example.com", ""},
	{"a@example.com SIZE=5", 0, "a@example.com", "SIZE=5"},
	{"<j\xc3\xb6rg@b\xc3\xbc" "cher.example>", U8, "j\xc3\xb6rg@b\xc3\xbc" "cher.example", ""},
	{"<\"\xe2\x82\xac\"@example.com>", U8, "\"\xe2\x82\xac\"@example.com", ""},
	{"<a@localhost>", 0, "a@localhost", ""},
	{"<a..b@example.com>", 0, "a..b@example.com", ""},
	{"<a-b@x-y.example>", 0, "a-b@x-y.example", ""},
	/* invalid */
	{"", 0, NULL, NULL},
	{"<", 0, NULL, NULL},
	{"<a@example.com", 0, NULL, NULL},
	{"a@example.com>", 0, NULL, NULL},
	{"<<a@example.com>>", 0, NULL, NULL},
	{"<a@example.com>x", 0, NULL, NULL},
	{"<>", 0, NULL, NULL},
	{"<a>", 0, NULL, NULL},
	{"<postmaster>", 0, NULL, NULL},
	{"<postmasters>", BARE, NULL, NULL},
	{"<a@>", 0, NULL, NULL},
	{"<@example.com>", 0, NULL, NULL},
	{"<a@-example.com>", 0, NULL, NULL},
	{"<a@example-.com>", 0, NULL, NULL},
	{"<a@exa_mple.com>", 0, NULL, NULL},
	{"<a@example..com>", 0, NULL, NULL},
	{"<a@.example.com>", 0, NULL, NULL},
	{"<a@example.com.>", 0, NULL, NULL},
	{"<a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com>", 0, NULL, NULL},
	{"<a b@example.com>", 0, NULL, NULL},
	{"<a@example.com >", 0, NULL, NULL},
	{"<a@[192.0.2.256]>", 0, NULL, NULL},
	{"<a@[192.0.2]>", 0, NULL, NULL},
	{"<a@[IPv6:2001:db8::g]>", 0, NULL, NULL},
	{"<a@[IPv6:1.2.3.4]>", 0, NULL, NULL},
	{"<a@[192.0.2.1>", 0, NULL, NULL},
	{"<a@[tag:]>", 0, NULL, NULL},
	{"<a@[-tag:x]>", 0, NULL, NULL},
	{"<\"unterminated@example.com>", 0, NULL, NULL},
	{"<\"a\rb\"@example.com>", 0, NULL, NULL},
	{"<\"a\nb\"@example.com>", 0, NULL, NULL},
	{"<a\r@example.com>", 0, NULL, NULL},
	{"<a@example.com>\r", 0, NULL, NULL},
	{"<a@example.com> SIZE=1\n", 0, NULL, NULL},
	{"<@relay.example,user@example.com>", 0, NULL, NULL},
	{"<@:user@example.com>", 0, NULL, NULL},
	{"<@-bad.example:user@example.com>", 0, NULL, NULL},
	/* UTF-8: malformed even with the flag */
	{"<\xc0\xaf@example.com>", U8, NULL, NULL},		/* overlong '/' */
	{"<\xe0\x80\xaf@example.com>", U8, NULL, NULL},		/* overlong 3-byte */
	{"<\xed\xa0\x80@example.com>", U8, NULL, NULL},		/* surrogate */
	{"<\xf4\x90\x80\x80@example.com>", U8, NULL, NULL},	/* > U+10FFFF */
	{"<\xc3@example.com>", U8, NULL, NULL},			/* truncated */
	{"<a@b\xc3.example>", U8, NULL, NULL},
	/* strict mode */
	{"a@example.com", STRICT, NULL, NULL},
	{" <a@example.com>", STRICT, NULL, NULL},
	{"<a..b@example.com>", STRICT, NULL, NULL},
	{"<.a@example.com>", STRICT, NULL, NULL},
	{"<a.@example.com>", STRICT, NULL, NULL},
	{"<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com>", STRICT, NULL, NULL},
};

/* check_case - run one table row */
static void
check_case(const struct path_case *c)
{
	struct smtp_path path;
	const char *params = NULL, *error = NULL;
	int rc;

	smtp_path_init(&path);
	rc = smtp_path_parse(c->text, c->flags, true, &path, &params, &error);
	if (c->address == NULL) {
		ck_assert_msg(rc == -1, "accepted \"%s\"", c->text);
		ck_assert_ptr_nonnull(error);
		ck_assert_msg(strncmp(error, "501 5.1.7 ", 10) == 0 ||
		    strncmp(error, "553 5.6.7 ", 10) == 0, "error %s", error);
		ck_assert_uint_eq(path.address.len, 0);
	} else {
		ck_assert_msg(rc == 0, "rejected \"%s\": %s", c->text, error);
		ck_assert_str_eq(path.address.data, c->address);
		ck_assert_str_eq(params, c->params);
		ck_assert(path.null_path == (c->address[0] == 0));
		if (strchr(c->address, '@'))
			ck_assert_uint_eq(path.at, strrchr(c->address, '@') - c->address);
		else
			ck_assert_uint_eq(path.at, path.address.len);
	}
	smtp_path_free(&path);
}

START_TEST(test_path_table)
{
	check_case(&cases[_i]);
}
END_TEST

START_TEST(test_recipient_code)
{
	struct smtp_path path;
	const char *params, *error;

	smtp_path_init(&path);
	ck_assert_int_eq(smtp_path_parse("<bad@@x>", 0, false, &path, &params, &error), -1);
	ck_assert_str_eq(error, "501 5.1.3 Bad recipient address syntax");
	ck_assert_int_eq(smtp_path_parse("<bad@@x>", 0, true, &path, &params, &error), -1);
	ck_assert_str_eq(error, "501 5.1.7 Bad sender address syntax");
	smtp_path_free(&path);
}
END_TEST

START_TEST(test_eightbit_without_flag)
{
	struct smtp_path path;
	const char *params, *error;

	smtp_path_init(&path);
	ck_assert_int_eq(smtp_path_parse("<j\xc3\xb6rg@example.com>", 0, true,
	    &path, &params, &error), -1);
	ck_assert_str_eq(error, "553 5.6.7 Must declare SMTPUTF8 to send UTF-8 address");
	ck_assert_int_eq(smtp_path_parse("<a@b\xc3\xbc" "cher.example>", 0, false,
	    &path, &params, &error), -1);
	ck_assert_str_eq(error, "553 5.6.7 Must declare SMTPUTF8 to send UTF-8 address");
	ck_assert_int_eq(smtp_path_parse("<a@b\xc3\xbc" "cher.example>", U8, false,
	    &path, &params, &error), 0);
	ck_assert(path.utf8);
	ck_assert_int_eq(smtp_path_parse("<a@b.example>", U8, false,
	    &path, &params, &error), 0);
	ck_assert(!path.utf8);
	smtp_path_free(&path);
}
END_TEST

START_TEST(test_nul_ends_text)
{
	struct smtp_path path;
	const char *params, *error;
	const char text[] = "<a\0@example.com>";

	smtp_path_init(&path);
	ck_assert_int_eq(smtp_path_parse(text, 0, true, &path, &params, &error), -1);
	smtp_path_free(&path);
}
END_TEST

START_TEST(test_length_limit)
{
	struct smtp_path path;
	const char *params, *error;
	struct strbuf text;
	size_t i;

	smtp_path_init(&path);
	strbuf_init(&text);
	/* 256 exactly: "<" + 60 "a" + "@" + domain + ">" */
	strbuf_puts(&text, "<");
	for (i = 0; i < 60; i++)
		strbuf_putc(&text, 'a');
	strbuf_putc(&text, '@');
	while (text.len < 255 - 4) {
		strbuf_puts(&text, "bbbbbbbbb.");
	}
	strbuf_truncate(&text, 251);
	strbuf_puts(&text, "com>");
	ck_assert_uint_eq(text.len, 255);
	ck_assert_int_eq(smtp_path_parse(text.data, 0, true, &path, &params, &error), 0);
	strbuf_truncate(&text, text.len - 4);
	strbuf_puts(&text, "coma>");
	ck_assert_uint_eq(text.len, 256);
	ck_assert_int_eq(smtp_path_parse(text.data, 0, true, &path, &params, &error), 0);
	strbuf_truncate(&text, text.len - 1);
	strbuf_puts(&text, "b>");
	ck_assert_int_eq(smtp_path_parse(text.data, 0, true, &path, &params, &error), -1);
	ck_assert_str_eq(error, "501 5.1.7 Sender address too long");
	ck_assert_int_eq(smtp_path_parse(text.data, 0, false, &path, &params, &error), -1);
	ck_assert_str_eq(error, "501 5.1.3 Recipient address too long");
	/* a bare address counts as if bracketed */
	ck_assert_int_eq(smtp_path_parse(text.data + 1, 0, true, &path, &params, &error), -1);
	/* huge garbage is refused, not crashed on */
	strbuf_reset(&text);
	strbuf_putc(&text, '<');
	for (i = 0; i < 100000; i++)
		strbuf_putc(&text, 'a');
	ck_assert_int_eq(smtp_path_parse(text.data, 0, true, &path, &params, &error), -1);
	strbuf_free(&text);
	smtp_path_free(&path);
}
END_TEST

START_TEST(test_local_part_long_nonstrict)
{
	struct smtp_path path;
	const char *params, *error;
	const char *t = "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com>";

	smtp_path_init(&path);
	ck_assert_int_eq(smtp_path_parse(t, 0, true, &path, &params, &error), 0);
	ck_assert_uint_eq(path.at, 65);
	smtp_path_free(&path);
}
END_TEST

START_TEST(test_helpers)
{
	struct strbuf lp;

	strbuf_init(&lp);
	ck_assert_str_eq(address_domain("a@example.com"), "example.com");
	ck_assert_str_eq(address_domain("\"a@b\"@example.com"), "example.com");
	ck_assert_str_eq(address_domain("postmaster"), "");
	address_local_part("\"john \\\"x\\\" doe\"@example.com", &lp);
	ck_assert_str_eq(lp.data, "john \"x\" doe");
	address_local_part("plain@example.com", &lp);
	ck_assert_str_eq(lp.data, "plain");
	address_local_part("postmaster", &lp);
	ck_assert_str_eq(lp.data, "postmaster");
	address_local_part("\"a@b\"@c", &lp);
	ck_assert_str_eq(lp.data, "a@b");
	strbuf_free(&lp);
}
END_TEST

START_TEST(test_domain_valid)
{
	ck_assert(domain_valid("example.com", 11, false));
	ck_assert(domain_valid("a", 1, false));
	ck_assert(domain_valid("[127.0.0.1]", 11, false));
	ck_assert(domain_valid("[IPv6:::1]", 10, false));
	ck_assert(!domain_valid("", 0, false));
	ck_assert(!domain_valid("-a.com", 6, false));
	ck_assert(!domain_valid("a-.com", 6, false));
	ck_assert(!domain_valid("a..com", 6, false));
	ck_assert(!domain_valid("[1.2.3.4", 8, false));
	ck_assert(!domain_valid("[]", 2, false));
	ck_assert(!domain_valid("b\xc3\xbc.de", 6, false));
	ck_assert(domain_valid("b\xc3\xbc.de", 6, true));
	ck_assert(!domain_valid("b\xff.de", 5, true));
	/* length: 4 labels of 63 + 3 dots = 255 ok, one more is not */
	char big[300];
	memset(big, 'a', sizeof(big));
	big[63] = big[127] = big[191] = '.';
	ck_assert(domain_valid(big, 255, false));
	big[255] = '.';
	ck_assert(!domain_valid(big, 257, false));
	big[63] = 'a';
	ck_assert(!domain_valid(big, 127, false));	/* 64-byte label */
}
END_TEST

START_TEST(test_utf8_valid)
{
	ck_assert(utf8_valid("", 0));
	ck_assert(utf8_valid("abc", 3));
	ck_assert(utf8_valid("\xc3\xa9", 2));
	ck_assert(utf8_valid("\xe2\x82\xac", 3));
	ck_assert(utf8_valid("\xf0\x9f\x98\x80", 4));
	ck_assert(utf8_valid("\xf4\x8f\xbf\xbf", 4));		/* U+10FFFF */
	ck_assert(utf8_valid("\xed\x9f\xbf", 3));		/* U+D7FF */
	ck_assert(!utf8_valid("\xc0\x80", 2));
	ck_assert(!utf8_valid("\xc1\xbf", 2));
	ck_assert(!utf8_valid("\xe0\x9f\xbf", 3));
	ck_assert(!utf8_valid("\xf0\x8f\xbf\xbf", 4));
	ck_assert(!utf8_valid("\xed\xa0\x80", 3));
	ck_assert(!utf8_valid("\xed\xbf\xbf", 3));
	ck_assert(!utf8_valid("\xf4\x90\x80\x80", 4));
	ck_assert(!utf8_valid("\xf5\x80\x80\x80", 4));
	ck_assert(!utf8_valid("\x80", 1));
	ck_assert(!utf8_valid("\xe2\x82", 2));
	ck_assert(!utf8_valid("\xe2\x28\xac", 3));
	ck_assert(!utf8_valid("\xff", 1));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("address");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_path_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_recipient_code);
	tcase_add_test(tc, test_eightbit_without_flag);
	tcase_add_test(tc, test_nul_ends_text);
	tcase_add_test(tc, test_length_limit);
	tcase_add_test(tc, test_local_part_long_nonstrict);
	tcase_add_test(tc, test_helpers);
	tcase_add_test(tc, test_domain_valid);
	tcase_add_test(tc, test_utf8_valid);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
