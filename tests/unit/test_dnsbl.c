/*
 * test_dnsbl - unit tests of lib/dns/dnsbl.c and dnsbl_cache.c: the reply
 * filter syntax (numbers, [a..b] ranges, [a;b] sets, every error), the
 * "domain=filter" argument, query names (reversed IPv4 octets, IPv6
 * nibbles, domains of addresses, what is never looked up, the 253-byte
 * bound), the reply made of a template, and a cache without a resolver,
 * whose every answer is a temporary failure.  Answers from a real server
 * are tested in tests/integration/test_dnsbl.py.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "dnsbl.h"
#include "strbuf.h"
#include "unit.h"

static struct strbuf err, out;

/* filter - parse text; the error text, or "" */
static const char *
filter(const char *text, struct dnsbl_filter *f)
{
	strbuf_reset(&err);
	if (dnsbl_filter_parse(text, f, &err) != 0)
		return (err.data[0] != '\0' ? err.data : "(no text)");
	return ("");
}

/* match - does a.b.c.d fit f */
static bool
match(const struct dnsbl_filter *f, int a, int b, int c, int d)
{
	unsigned char addr[4] = { (unsigned char)a, (unsigned char)b,
	    (unsigned char)c, (unsigned char)d };

	return (dnsbl_filter_match(f, addr));
}

START_TEST(filter_syntax_and_matching)
{
	struct dnsbl_filter f;
	int i;

	ck_assert_str_eq(filter("127.0.0.2", &f), "");
	ck_assert(match(&f, 127, 0, 0, 2));
	ck_assert(!match(&f, 127, 0, 0, 3));
	ck_assert(!match(&f, 126, 0, 0, 2));
	ck_assert_str_eq(filter("127.0.0.[2..11]", &f), "");
	for (i = 0; i < 256; i++)
		ck_assert(match(&f, 127, 0, 0, i) == (i >= 2 && i <= 11));
	ck_assert_str_eq(filter("127.[0;1].0.[2;4;6..8;255]", &f), "");
	ck_assert(match(&f, 127, 1, 0, 4));
	ck_assert(match(&f, 127, 0, 0, 255));
	ck_assert(match(&f, 127, 0, 0, 7));
	ck_assert(!match(&f, 127, 0, 0, 5));
	ck_assert(!match(&f, 127, 2, 0, 2));
	ck_assert_str_eq(filter("[0..255].[0..255].[0..255].[0..255]", &f), "");
	ck_assert(match(&f, 0, 255, 128, 1));
	ck_assert_str_eq(filter("127.0.0.[3..3]", &f), "");
	ck_assert(match(&f, 127, 0, 0, 3) && !match(&f, 127, 0, 0, 2));
}
END_TEST

START_TEST(filter_errors)
{
	struct dnsbl_filter f;
	struct strbuf big;
	int i;

	ck_assert_str_eq(filter("127.0.0", &f), "bad reply filter \"127.0.0\": "
	    "want four fields separated by \".\"");
	ck_assert_str_eq(filter("127.0.0.2.1", &f), "bad reply filter "
	    "\"127.0.0.2.1\": text after the fourth field");
	ck_assert_str_eq(filter("127.0.0.256", &f), "a field is not a number "
	    "0..255 or a [...] set in reply filter \"127.0.0.256\"");
	ck_assert_str_eq(filter("127.0.0.0002", &f), "a field is not a number "
	    "0..255 or a [...] set in reply filter \"127.0.0.0002\"");
	ck_assert_str_eq(filter("127.0.0.-1", &f), "a field is not a number "
	    "0..255 or a [...] set in reply filter \"127.0.0.-1\"");
	ck_assert_str_eq(filter("127.0.0.", &f), "a field is not a number "
	    "0..255 or a [...] set in reply filter \"127.0.0.\"");
	ck_assert_str_eq(filter("", &f), "a field is not a number "
	    "0..255 or a [...] set in reply filter \"\"");
	ck_assert_str_eq(filter("127.0.0.[11..2]", &f), "bad range in a [...] "
	    "set (want low..high, both 0..255) in reply filter "
	    "\"127.0.0.[11..2]\"");
	ck_assert_str_eq(filter("127.0.0.[2..]", &f), "bad range in a [...] "
	    "set (want low..high, both 0..255) in reply filter "
	    "\"127.0.0.[2..]\"");
	ck_assert_str_eq(filter("127.0.0.[2,3]", &f), "a [...] set needs \";\" "
	    "between members and a closing \"]\" in reply filter "
	    "\"127.0.0.[2,3]\"");
	ck_assert_str_eq(filter("127.0.0.[2", &f), "a [...] set needs \";\" "
	    "between members and a closing \"]\" in reply filter "
	    "\"127.0.0.[2\"");
	ck_assert_str_eq(filter("127.0.0.[]", &f), "a [...] set member is not "
	    "a number 0..255 in reply filter \"127.0.0.[]\"");
	ck_assert_str_eq(filter("127.0.[0.0].2", &f), "a [...] set needs \";\" "
	    "between members and a closing \"]\" in reply filter "
	    "\"127.0.[0.0].2\"");
	ck_assert_str_eq(filter("127.0.0.3[6..9]", &f), "bad reply filter "
	    "\"127.0.0.3[6..9]\": text after the fourth field");
	strbuf_init(&big);
	strbuf_puts(&big, "127.0.0.[1");
	for (i = 0; i < 300; i++)
		strbuf_puts(&big, ";1");
	strbuf_puts(&big, "]");
	ck_assert_str_eq(filter(big.data, &f), "reply filter longer than 512 "
	    "bytes");
	strbuf_free(&big);
}
END_TEST

START_TEST(list_arguments)
{
	struct dnsbl_list l;

	strbuf_reset(&err);
	ck_assert_int_eq(dnsbl_list_parse("zen.example.", &l, &err), 0);
	ck_assert_str_eq(l.domain, "zen.example");
	ck_assert_str_eq(l.arg, "zen.example.");
	ck_assert(!l.filtered);
	dnsbl_list_free(&l);
	ck_assert_int_eq(dnsbl_list_parse("zen.example=127.0.0.[2..11]", &l,
	    &err), 0);
	ck_assert_str_eq(l.domain, "zen.example");
	ck_assert_str_eq(l.arg, "zen.example=127.0.0.[2..11]");
	ck_assert(l.filtered && match(&l.filter, 127, 0, 0, 11));
	dnsbl_list_free(&l);
	ck_assert_int_eq(dnsbl_list_parse("zen..example", &l, &err), -1);
	ck_assert_str_eq(err.data, "\"zen..example\" is no valid DNS domain "
	    "name");
	strbuf_reset(&err);
	ck_assert_int_eq(dnsbl_list_parse("=127.0.0.2", &l, &err), -1);
	ck_assert_str_eq(err.data, "\"\" is no valid DNS domain name");
	strbuf_reset(&err);
	ck_assert_int_eq(dnsbl_list_parse("bad name.example", &l, &err), -1);
	strbuf_reset(&err);
	ck_assert_int_eq(dnsbl_list_parse("zen.example=127.0.0.x", &l, &err), -1);
	ck_assert_str_eq(err.data, "a field is not a number 0..255 or a [...] "
	    "set in reply filter \"127.0.0.x\"");
	ck_assert_ptr_null(l.domain);
	strbuf_reset(&err);
	ck_assert_int_eq(dnsbl_arg_check("zen.example=127.0.0.[2;4]", &err), 0);
	ck_assert_int_eq(dnsbl_arg_check("zen.example=127.0.0.[4;2..1]", &err),
	    -1);
	ck_assert_str_eq(err.data, "bad range in a [...] set (want low..high, "
	    "both 0..255) in reply filter \"127.0.0.[4;2..1]\"");
}
END_TEST

START_TEST(address_query_names)
{
	struct strbuf dom;
	int i;

	ck_assert_int_eq(dnsbl_addr_query("192.0.2.1", "zen.example", &out), 0);
	ck_assert_str_eq(out.data, "1.2.0.192.zen.example");
	ck_assert_int_eq(dnsbl_addr_query("127.0.0.2", "zen.example.", &out), 0);
	ck_assert_str_eq(out.data, "2.0.0.127.zen.example");
	ck_assert_int_eq(dnsbl_addr_query("2001:db8::1", "zen.example", &out), 0);
	ck_assert_str_eq(out.data, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
	    ".0.0.8.b.d.0.1.0.0.2.zen.example");
	ck_assert_int_eq(dnsbl_addr_query("::ffff:192.0.2.1", "zen.example",
	    &out), 0);
	ck_assert_str_eq(out.data, "1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0"
	    ".0.0.0.0.0.0.0.0.0.0.zen.example");
	ck_assert_int_eq(dnsbl_addr_query("mx.example", "zen.example", &out), -1);
	ck_assert_int_eq(dnsbl_addr_query("192.0.2", "zen.example", &out), -1);
	ck_assert_int_eq(dnsbl_addr_query("", "zen.example", &out), -1);
	/* 64 nibble bytes + "." + a 189-byte domain = 253: fits; 190 not */
	strbuf_init(&dom);
	for (i = 0; i < 3; i++)
		strbuf_puts(&dom, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strbuf_puts(&dom, "aaaa");
	ck_assert_uint_eq(dom.len, 190);
	ck_assert_int_eq(dnsbl_addr_query("2001:db8::1", dom.data, &out), -1);
	ck_assert_int_eq(dnsbl_addr_query("2001:db8::1", dom.data + 1, &out), 0);
	ck_assert_uint_eq(out.len, 253);
	strbuf_free(&dom);
}
END_TEST

START_TEST(name_query_names)
{
	ck_assert_int_eq(dnsbl_name_query("mail.example.org", "dbl.example",
	    &out), 0);
	ck_assert_str_eq(out.data, "mail.example.org.dbl.example");
	ck_assert_int_eq(dnsbl_name_query("user@Example.ORG", "dbl.example",
	    &out), 0);
	ck_assert_str_eq(out.data, "Example.ORG.dbl.example");
	ck_assert_int_eq(dnsbl_name_query("a@b@example.org", "dbl.example",
	    &out), 0);
	ck_assert_str_eq(out.data, "example.org.dbl.example");
	ck_assert_int_eq(dnsbl_name_query("example.org.", "dbl.example", &out), 0);
	ck_assert_str_eq(out.data, "example.org.dbl.example");
	/* nothing to look up */
	ck_assert_int_eq(dnsbl_name_query("", "dbl.example", &out), 1);
	ck_assert_int_eq(dnsbl_name_query("user", "dbl.example", &out), 0);
	ck_assert_int_eq(dnsbl_name_query("user@", "dbl.example", &out), 1);
	ck_assert_int_eq(dnsbl_name_query("user@[192.0.2.1]", "dbl.example",
	    &out), 1);
	ck_assert_int_eq(dnsbl_name_query("192.0.2.1", "dbl.example", &out), 1);
	ck_assert_int_eq(dnsbl_name_query("host.123", "dbl.example", &out), 1);
	ck_assert_int_eq(dnsbl_name_query("under_score..example",
	    "dbl.example", &out), 1);
	ck_assert_int_eq(dnsbl_name_query("bad host.example", "dbl.example",
	    &out), 1);
	ck_assert_int_eq(dnsbl_name_query("m\xc3\xbcller.example",
	    "dbl.example", &out), 1);
	ck_assert_int_eq(dnsbl_name_query("host.1a", "dbl.example", &out), 0);
}
END_TEST

START_TEST(name_query_length_bound)
{
	struct strbuf name;
	int i;

	strbuf_init(&name);
	for (i = 0; i < 3; i++)
		strbuf_puts(&name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strbuf_puts(&name, "example");
	/* 199 + "." + "dbl.example" (11) = 211 */
	ck_assert_int_eq(dnsbl_name_query(name.data, "dbl.example", &out), 0);
	ck_assert_uint_eq(out.len, 211);
	strbuf_puts(&name, ".aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ck_assert_uint_eq(name.len, 243);
	ck_assert_int_eq(dnsbl_name_query(name.data, "dbl.example", &out), -1);
	strbuf_free(&name);
}
END_TEST

/* session - the caller's names for reply templates */
static const char *
session(const char *name, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "client_address") == 0)
		return ("192.0.2.1");
	if (strcmp(name, "client") == 0)
		return ("unknown[192.0.2.1]");
	return (NULL);
}

/* reply - the formatted reply of tmpl, or "ERR: why" */
static const char *
reply(const char *tmpl, int code, const char *reason)
{
	struct dnsbl_reply_vars v = { code, "zen.example", "192.0.2.1", reason,
	    "Client host", session, NULL };

	strbuf_reset(&err);
	if (dnsbl_reply_format(tmpl, &v, &out, &err) != 0) {
		strbuf_reset(&out);
		strbuf_printf(&out, "ERR: %s", err.data);
	}
	return (out.data);
}

#define DEFAULT_REPLY	"$rbl_code Service unavailable; $rbl_class " \
	"[$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}"

START_TEST(reply_texts)
{
	ck_assert_str_eq(reply(DEFAULT_REPLY, 554, ""), "554 5.7.1 Service "
	    "unavailable; Client host [192.0.2.1] blocked using zen.example");
	ck_assert_str_eq(reply(DEFAULT_REPLY, 554, "see http://x/?192.0.2.1"),
	    "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
	    "using zen.example; see http://x/?192.0.2.1");
	ck_assert_str_eq(reply(DEFAULT_REPLY, 450, "r\r\nSMTP injection"),
	    "450 4.7.1 Service unavailable; Client host [192.0.2.1] blocked "
	    "using zen.example; r__SMTP injection");
	ck_assert_str_eq(reply("$rbl_code 5.7.9 $client_address is on "
	    "$rbl_domain ($rbl_txt)", 550, "why"), "550 5.7.9 192.0.2.1 is on "
	    "zen.example (why)");
	/* the enhanced code's class follows the reply code */
	ck_assert_str_eq(reply("451 5.7.1 listed", 0, ""), "451 4.7.1 listed");
	ck_assert_str_eq(reply("554", 0, ""), "554 5.7.1 Service unavailable");
	ck_assert_str_eq(reply("554 5.7.1", 0, ""), "554 5.7.1 Service "
	    "unavailable");
	ck_assert_str_eq(reply("554 5.7.1234 x", 0, ""), "554 5.7.1 5.7.1234 x");
	/* unusable */
	ck_assert_str_eq(reply("250 fine", 0, ""), "ERR: reply does not start "
	    "with a 4xx or 5xx code: \"250 fine\"");
	ck_assert_str_eq(reply("$rbl_reason", 0, "nothing"), "ERR: reply does "
	    "not start with a 4xx or 5xx code: \"nothing\"");
	ck_assert_str_eq(reply("55 x", 0, ""), "ERR: reply does not start "
	    "with a 4xx or 5xx code: \"55 x\"");
	ck_assert_str_eq(reply("5544 x", 0, ""), "ERR: reply does not start "
	    "with a 4xx or 5xx code: \"5544 x\"");
	ck_assert_str_eq(reply("554 $nosuch", 0, ""), "ERR: unknown name "
	    "\"$nosuch\"");
}
END_TEST

START_TEST(template_checks)
{
	strbuf_reset(&err);
	ck_assert_int_eq(dnsbl_template_check(DEFAULT_REPLY, session, NULL,
	    &err), 0);
	ck_assert_int_eq(dnsbl_template_check("$rbl_code $client ${rbl_txt:x}",
	    session, NULL, &err), 0);
	ck_assert_int_eq(dnsbl_template_check("$rbl_code $rbl_bogus", session,
	    NULL, &err), -1);
	ck_assert_str_eq(err.data, "unknown name \"$rbl_bogus\"");
	strbuf_reset(&err);
	ck_assert_int_eq(dnsbl_template_check("$rbl_code ${client", session,
	    NULL, &err), -1);
}
END_TEST

START_TEST(default_rbl_reply_checked)
{
	struct config *cfg = config_new("/nonexistent");
	struct strbuf errors;

	strbuf_init(&errors);
	/* Postfix's default, and the session names */
	ck_assert_int_eq(dnsbl_config_check(cfg, &errors), 0);
	config_set(cfg, "default_rbl_reply", "$rbl_code 5.7.9 $client "
	    "$client_address $client_name $client_port $reverse_client_name "
	    "$helo_name $sender $sender_name $sender_domain $recipient "
	    "$recipient_name $recipient_domain $server_name ${rbl_txt:-}");
	ck_assert_int_eq(dnsbl_config_check(cfg, &errors), 0);
	ck_assert_str_eq(errors.data, "");
	config_set(cfg, "default_rbl_reply", "$rbl_code $myhostname");
	ck_assert_int_eq(dnsbl_config_check(cfg, &errors), 1);
	ck_assert_str_eq(errors.data, "parameter default_rbl_reply: unknown "
	    "name \"$myhostname\" (smtpd)");
	strbuf_reset(&errors);
	config_set(cfg, "default_rbl_reply", "blocked: $rbl_what");
	ck_assert_int_eq(dnsbl_config_check(cfg, &errors), 1);
	ck_assert_str_eq(errors.data, "parameter default_rbl_reply: reply does "
	    "not start with a 4xx or 5xx code: \"blocked: \" (smtpd)");
	strbuf_free(&errors);
	config_free(cfg);
}
END_TEST

START_TEST(cache_without_resolver)
{
	struct dnsbl_cache *cache = dnsbl_cache_create();
	struct dnsbl_list l;
	int i;
	char name[64];

	ck_assert_int_eq(dnsbl_list_parse("zen.example", &l, &err), 0);
	dnsbl_start(cache, "2.0.0.127.zen.example");
	ck_assert_int_eq(dnsbl_lookup(cache, "2.0.0.127.zen.example", &l),
	    DNSBL_TEMPFAIL);
	ck_assert_str_eq(dnsbl_reason(cache, "2.0.0.127.zen.example"), "");
	ck_assert_int_eq(dnsbl_lookup(cache, "bad..name", &l), DNSBL_TEMPFAIL);
	/* more names than the cache holds: the oldest make room */
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "%d.0.0.127.zen.example", i);
		ck_assert_int_eq(dnsbl_lookup(cache, name, &l), DNSBL_TEMPFAIL);
	}
	dnsbl_list_free(&l);
	dnsbl_cache_free(cache);
	dnsbl_cache_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dnsbl");
	TCase *tc = tcase_create("core");

	strbuf_init(&err);
	strbuf_init(&out);
	tcase_add_test(tc, filter_syntax_and_matching);
	tcase_add_test(tc, filter_errors);
	tcase_add_test(tc, list_arguments);
	tcase_add_test(tc, address_query_names);
	tcase_add_test(tc, name_query_names);
	tcase_add_test(tc, name_query_length_bound);
	tcase_add_test(tc, reply_texts);
	tcase_add_test(tc, template_checks);
	tcase_add_test(tc, default_rbl_reply_checked);
	tcase_add_test(tc, cache_without_resolver);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
