/*
 * test_netmatch - mynetworks-style address lists.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netmatch.h"
#include "strbuf.h"
#include "unit.h"

START_TEST(test_match)
{
	struct strbuf err;
	struct netlist *l;

	strbuf_init(&err);
	l = netlist_parse("127.0.0.0/8 [::1]/128, 192.0.2.1\t2001:db8::/32 "
	    "[198.51.100.0]/24 [2001:db8:1::5] 10.0.0.0/9", &err);
	ck_assert_msg(l != NULL, "%s", err.data);
	ck_assert(netlist_match(l, "127.0.0.1"));
	ck_assert(netlist_match(l, "127.255.255.255"));
	ck_assert(!netlist_match(l, "128.0.0.1"));
	ck_assert(netlist_match(l, "::1"));
	ck_assert(netlist_match(l, "[::1]"));
	ck_assert(!netlist_match(l, "::2"));
	ck_assert(netlist_match(l, "192.0.2.1"));
	ck_assert(!netlist_match(l, "192.0.2.2"));
	ck_assert(netlist_match(l, "2001:db8:ffff::1"));
	ck_assert(netlist_match(l, "2001:DB8::"));
	ck_assert(!netlist_match(l, "2001:db9::1"));
	ck_assert(netlist_match(l, "198.51.100.77"));
	ck_assert(netlist_match(l, "2001:db8:1::5"));
	ck_assert(netlist_match(l, "10.127.1.1"));
	ck_assert(!netlist_match(l, "10.128.0.1"));
	/* IPv4-mapped IPv6 compares as IPv4 */
	ck_assert(netlist_match(l, "::ffff:127.0.0.1"));
	ck_assert(netlist_match(l, "::ffff:192.0.2.1"));
	ck_assert(!netlist_match(l, "::ffff:192.0.2.2"));
	/* garbage addresses never match */
	ck_assert(!netlist_match(l, ""));
	ck_assert(!netlist_match(l, "localhost"));
	ck_assert(!netlist_match(l, "127.0.0.1.2"));
	ck_assert(!netlist_match(l, "unknown"));
	netlist_free(l);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_edges)
{
	struct strbuf err;
	struct netlist *l;

	strbuf_init(&err);
	l = netlist_parse("0.0.0.0/0", &err);
	ck_assert(netlist_match(l, "203.0.113.9"));
	ck_assert(!netlist_match(l, "2001:db8::1"));
	netlist_free(l);
	l = netlist_parse("::/0", &err);
	ck_assert(netlist_match(l, "2001:db8::1"));
	ck_assert(!netlist_match(l, "203.0.113.9"));
	netlist_free(l);
	l = netlist_parse("", &err);
	ck_assert_ptr_nonnull(l);
	ck_assert(!netlist_match(l, "127.0.0.1"));
	netlist_free(l);
	l = netlist_parse(NULL, &err);
	ck_assert_ptr_nonnull(l);
	netlist_free(l);
	/* first match wins, "!" excludes */
	l = netlist_parse("!127.0.0.2 127.0.0.0/8", &err);
	ck_assert(!netlist_match(l, "127.0.0.2"));
	ck_assert(netlist_match(l, "127.0.0.3"));
	netlist_free(l);
	/* mapped entry with a prefix of 96 + n */
	l = netlist_parse("::ffff:10.0.0.0/104", &err);
	ck_assert_msg(l != NULL, "%s", err.data);
	ck_assert(netlist_match(l, "10.1.2.3"));
	ck_assert(!netlist_match(l, "11.1.2.3"));
	netlist_free(l);
	/* host names: skipped with a warning */
	l = netlist_parse("mail.example.com 127.0.0.1", &err);
	ck_assert_ptr_nonnull(l);
	ck_assert(netlist_match(l, "127.0.0.1"));
	netlist_free(l);
	/* a table that cannot be opened is an error, not skipped */
	strbuf_reset(&err);
	ck_assert_ptr_null(netlist_parse("127.0.0.1 hash:/nonexistent/x", &err));
	ck_assert_ptr_nonnull(strstr(err.data, "/nonexistent/x"));
	/* a table: the client's numeric address found is a match */
	{
		char dir[] = "/tmp/test_netmatch.XXXXXX", path[64], spec[96];
		FILE *fp;

		ck_assert_ptr_nonnull(mkdtemp(dir));
		snprintf(path, sizeof(path), "%s/clients", dir);
		fp = fopen(path, "w");
		ck_assert_ptr_nonnull(fp);
		fputs("192.0.2.0/24 OK\n2001:db8::/32 OK\n", fp);
		ck_assert_int_eq(fclose(fp), 0);
		snprintf(spec, sizeof(spec), "!192.0.2.7 cidr:%s 10.0.0.0/8", path);
		l = netlist_parse(spec, &err);
		ck_assert_msg(l != NULL, "%s", err.data);
		ck_assert(netlist_match(l, "192.0.2.1"));
		ck_assert(!netlist_match(l, "192.0.2.7"));
		ck_assert(netlist_match(l, "[IPv6:2001:db8::5]"));
		ck_assert(netlist_match(l, "10.9.9.9"));
		ck_assert(!netlist_match(l, "198.51.100.1"));
		netlist_free(l);
		unlink(path);
		rmdir(dir);
	}
	strbuf_free(&err);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *bad[] = {
		"127.0.0.1/33", "::1/129", "127.0.0.0/", "127.0.0.0/-1",
		"127.0.0.0/8x", "127.0.0.0/abc", "1.2.3/8", "1.2.3.256",
		"[::1", "[::1]x", "[::1]/", "[]", "::1::2", "127.0.0.1/8",
		"1.2.3.4/99999999999999999999", "::ffff:10.0.0.0/8", "/8",
		"2001:db8::/+32", "!", "fe80::zz",
	};
	struct strbuf err;

	strbuf_init(&err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		struct netlist *l = netlist_parse(bad[i], &err);

		ck_assert_msg(l == NULL, "accepted %s", bad[i]);
		ck_assert(err.len > 0);
	}
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netmatch");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
