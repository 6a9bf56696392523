/*
 * test_resolve - unit tests for lib/mail/resolve.c: virtual alias expansion
 * (fan-out, catch-all, self references, loops, depth and size limits,
 * shared members found as duplicates in any case, unknown virtual alias
 * addresses) and transport resolution (local,
 * virtual, default, relayhost, transport_maps keys, error and retry).
 * Tables are inline: maps, so no files are needed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "resolve.h"
#include "strbuf.h"
#include "strlist.h"

#define DEPTH_LIMIT	100	/* virtual_alias_recursion_limit in one case */
#define EXPAND_LIMIT	1000	/* virtual_alias_expansion_limit's default */

static struct config *cfg;
static struct resolver *res;
static struct resolve_result rr;
static struct strlist out;

/* setup - a configuration like a demo instance */
static void
setup(void)
{
	cfg = config_new("/nonexistent");
	config_set(cfg, "myhostname", "mx.local.test");
	config_set(cfg, "mydestination", "$myhostname, localhost");
	config_set(cfg, "virtual_mailbox_domains", "example.test");
	config_set(cfg, "virtual_alias_maps", "");
	config_set(cfg, "virtual_alias_domains", "");
	res = NULL;
	resolve_result_init(&rr);
	strlist_init(&out);
}

/* teardown - release everything */
static void
teardown(void)
{
	resolve_close(res);
	resolve_result_free(&rr);
	strlist_free(&out);
	config_free(cfg);
}

/* open_res - open the resolver after the case set its parameters */
static void
open_res(void)
{
	struct strbuf err;

	strbuf_init(&err);
	res = resolve_open(cfg, &err);
	ck_assert_msg(res != NULL, "resolve_open: %s", err.data);
	strbuf_free(&err);
}

/* check_route - resolve address and compare transport and next hop */
static void
check_route(const char *address, const char *transport, const char *nexthop)
{
	ck_assert_int_eq(resolve_transport(res, address, &rr), RESOLVE_OK);
	ck_assert_str_eq(rr.transport.data, transport);
	ck_assert_str_eq(rr.nexthop.data, nexthop);
}

START_TEST(test_default_routes)
{
	open_res();
	check_route("root", "local", "mx.local.test");
	check_route("u@localhost", "local", "mx.local.test");
	check_route("u@MX.Local.Test.", "local", "mx.local.test");
	check_route("user@example.test", "virtual", "example.test");
	check_route("a@Remote.Example", "smtp", "remote.example");
}
END_TEST

START_TEST(test_relayhost)
{
	config_set(cfg, "relayhost", "[smarthost.test]:587");
	open_res();
	check_route("a@remote.example", "smtp", "[smarthost.test]:587");
	/* local and virtual mail never goes to the relay host */
	check_route("u@localhost", "local", "mx.local.test");
	check_route("user@example.test", "virtual", "example.test");
}
END_TEST

START_TEST(test_transport_maps)
{
	config_set(cfg, "transport_maps", "inline:{ special@remote.example=relay:[10.0.0.1], "
	    "remote.example=smtp:[mx.remote.example], .parent.test=lmtp, "
	    "{ gone.test = error:5.1.2 domain is gone }, later.test=retry:, "
	    "hop.test=:[other.hop], bad.test=error:}");
	open_res();
	check_route("special@remote.example", "relay", "[10.0.0.1]");
	check_route("x@remote.example", "smtp", "[mx.remote.example]");
	/* parent-domain keys match subdomains, not the domain itself */
	check_route("x@a.b.parent.test", "lmtp", "a.b.parent.test");
	check_route("x@parent.test", "smtp", "parent.test");
	/* an empty transport keeps the default, only the next hop changes */
	check_route("x@hop.test", "smtp", "[other.hop]");
	ck_assert_int_eq(resolve_transport(res, "x@gone.test", &rr), RESOLVE_BOUNCE);
	ck_assert_str_eq(rr.dsn, "5.1.2");
	ck_assert_str_eq(rr.reason.data, "domain is gone");
	ck_assert_int_eq(resolve_transport(res, "x@bad.test", &rr), RESOLVE_BOUNCE);
	ck_assert_str_eq(rr.dsn, "5.0.0");
	ck_assert_int_eq(resolve_transport(res, "x@later.test", &rr), RESOLVE_DEFER);
	ck_assert(rr.dsn[0] == '4');
}
END_TEST

START_TEST(test_expand_simple)
{
	config_set(cfg, "virtual_alias_maps",
	    "inline:{ {info@example.test = a@example.test, b@remote.example}, "
	    "a@example.test=user@example.test }");
	open_res();
	ck_assert_int_eq(resolve_expand(res, "info@example.test", &out, &rr),
	    RESOLVE_OK);
	ck_assert_uint_eq(out.count, 2);
	ck_assert_str_eq(out.items[0], "user@example.test");
	ck_assert_str_eq(out.items[1], "b@remote.example");
	/* not in the table: itself */
	strlist_free(&out);
	strlist_init(&out);
	ck_assert_int_eq(resolve_expand(res, "other@example.test", &out, &rr),
	    RESOLVE_OK);
	ck_assert_uint_eq(out.count, 1);
	ck_assert_str_eq(out.items[0], "other@example.test");
}
END_TEST

START_TEST(test_expand_self_and_loop)
{
	config_set(cfg, "virtual_alias_maps",
	    "inline:{ {keep@x.test = keep@x.test, copy@x.test}, "
	    "ping@x.test=pong@x.test, pong@x.test=ping@x.test, "
	    "{dup@x.test = c@x.test, C@X.test}}");
	open_res();
	ck_assert_int_eq(resolve_expand(res, "keep@x.test", &out, &rr), RESOLVE_OK);
	ck_assert_uint_eq(out.count, 2);
	ck_assert_str_eq(out.items[0], "keep@x.test");
	ck_assert_str_eq(out.items[1], "copy@x.test");
	/* a loop ends, with a finite result */
	strlist_free(&out);
	strlist_init(&out);
	ck_assert_int_eq(resolve_expand(res, "ping@x.test", &out, &rr), RESOLVE_OK);
	ck_assert_uint_eq(out.count, 1);
	ck_assert_str_eq(out.items[0], "ping@x.test");
	/* duplicates differing in case collapse */
	strlist_free(&out);
	strlist_init(&out);
	ck_assert_int_eq(resolve_expand(res, "dup@x.test", &out, &rr), RESOLVE_OK);
	ck_assert_uint_eq(out.count, 1);
}
END_TEST

START_TEST(test_expand_catchall)
{
	config_set(cfg, "virtual_alias_maps",
	    "inline:{ @alias.test=catch@example.test, boss@alias.test=ceo@example.test }");
	open_res();
	ck_assert_int_eq(resolve_expand(res, "boss@alias.test", &out, &rr), RESOLVE_OK);
	ck_assert_str_eq(out.items[0], "ceo@example.test");
	strlist_free(&out);
	strlist_init(&out);
	ck_assert_int_eq(resolve_expand(res, "anyone@alias.test", &out, &rr),
	    RESOLVE_OK);
	ck_assert_str_eq(out.items[0], "catch@example.test");
}
END_TEST

/*
 * virtual(5)'s search order with recipient_delimiter: user+ext@domain,
 * user@domain (the extension carried over to the members), the bare user
 * for our own domains only, @domain; a bare member gets @$myorigin
 */
START_TEST(test_expand_extensions_and_local_parts)
{
	config_set(cfg, "recipient_delimiter", "+");
	config_set(cfg, "myorigin", "example.test");
	config_set(cfg, "virtual_alias_maps", "inline:{ "
	    "{ list@x.test = a@y.test, b }, team=t1@y.test, "
	    "exact+tag@x.test=e@y.test }");
	open_res();
	ck_assert_int_eq(resolve_expand(res, "list+news@x.test", &out, &rr),
	    RESOLVE_OK);
	ck_assert_int_eq((int)out.count, 2);
	ck_assert_str_eq(out.items[0], "a+news@y.test");
	ck_assert_str_eq(out.items[1], "b+news@example.test");
	strlist_free(&out);
	strlist_init(&out);
	/* an exact key with the extension: no extension to carry */
	ck_assert_int_eq(resolve_expand(res, "exact+tag@x.test", &out, &rr),
	    RESOLVE_OK);
	ck_assert_str_eq(out.items[0], "e@y.test");
	strlist_free(&out);
	strlist_init(&out);
	/* "team" is a key for local domains only */
	ck_assert_int_eq(resolve_expand(res, "team@localhost", &out, &rr),
	    RESOLVE_OK);
	ck_assert_str_eq(out.items[0], "t1@y.test");
	strlist_free(&out);
	strlist_init(&out);
	ck_assert_int_eq(resolve_expand(res, "team@elsewhere.test", &out, &rr),
	    RESOLVE_OK);
	ck_assert_str_eq(out.items[0], "team@elsewhere.test");
}
END_TEST

START_TEST(test_expand_depth_limit)
{
	struct strbuf spec;

	strbuf_init(&spec);
	strbuf_puts(&spec, "inline:{");
	for (int i = 0; i < DEPTH_LIMIT + 5; i++)
		strbuf_printf(&spec, " a%d@x.test=a%d@x.test", i, i + 1);
	strbuf_puts(&spec, " }");
	config_set(cfg, "virtual_alias_maps", spec.data);
	config_set(cfg, "virtual_alias_recursion_limit", "100");
	strbuf_free(&spec);
	open_res();
	ck_assert_int_eq(resolve_expand(res, "a0@x.test", &out, &rr), RESOLVE_DEFER);
	/* Postfix: "4.6.0 Alias expansion error", the message not accepted */
	ck_assert_str_eq(rr.dsn, "4.6.0");
	/* a chain within the limit works */
	strlist_free(&out);
	strlist_init(&out);
	ck_assert_int_eq(resolve_expand(res, "a50@x.test", &out, &rr), RESOLVE_OK);
	ck_assert_str_eq(out.items[0], "a105@x.test");
}
END_TEST

START_TEST(test_expand_fanout_limit)
{
	struct strbuf spec;

	strbuf_init(&spec);
	strbuf_puts(&spec, "inline:{ {list@x.test = ");
	for (int i = 0; i < EXPAND_LIMIT + 1; i++)
		strbuf_printf(&spec, "%sm%d@y.test", i ? ", " : "", i);
	strbuf_puts(&spec, "} }");
	config_set(cfg, "virtual_alias_maps", spec.data);
	strbuf_free(&spec);
	open_res();
	ck_assert_int_eq(resolve_expand(res, "list@x.test", &out, &rr), RESOLVE_DEFER);
	ck_assert_str_eq(rr.dsn, "4.6.0");
	/* the limit is virtual_alias_expansion_limit */
	resolve_close(res);
	strlist_free(&out);
	strlist_init(&out);
	config_set(cfg, "virtual_alias_expansion_limit", "1001");
	open_res();
	ck_assert_int_eq(resolve_expand(res, "list@x.test", &out, &rr), RESOLVE_OK);
	ck_assert_uint_eq(out.count, EXPAND_LIMIT + 1);
	resolve_close(res);
	strlist_free(&out);
	strlist_init(&out);
	config_set(cfg, "virtual_alias_expansion_limit", "3");
	open_res();
	ck_assert_int_eq(resolve_expand(res, "list@x.test", &out, &rr), RESOLVE_DEFER);
}
END_TEST

/*
 * Many lists sharing members: each address once, in the order first
 * reached, duplicates found whatever their case (through the index that
 * replaced a search of the list), and exactly EXPAND_LIMIT
 * distinct addresses still fit.
 */
START_TEST(test_expand_shared_members)
{
	struct strbuf spec;
	char	 want[64];

	strbuf_init(&spec);
	strbuf_puts(&spec, "inline:{ {all@x.test = ");
	for (int l = 0; l < 10; l++)
		strbuf_printf(&spec, "%slist%d@x.test", l ? ", " : "", l);
	strbuf_puts(&spec, "}");
	for (int l = 0; l < 10; l++) {
		strbuf_printf(&spec, " {list%d@x.test = ", l);
		/* list l: members 100*l .. 100*l+199, the upper case half again */
		for (int i = 100 * l; i < 100 * l + 200 && i < EXPAND_LIMIT;
		    i++)
			strbuf_printf(&spec, "%s%s%d@Y.test", i > 100 * l ? ", " : "",
			    l % 2 ? "M" : "m", i);
		strbuf_puts(&spec, "}");
	}
	strbuf_puts(&spec, " }");
	config_set(cfg, "virtual_alias_maps", spec.data);
	strbuf_free(&spec);
	open_res();
	ck_assert_int_eq(resolve_expand(res, "all@x.test", &out, &rr), RESOLVE_OK);
	ck_assert_uint_eq(out.count, EXPAND_LIMIT);
	for (int i = 0; i < EXPAND_LIMIT; i++) {
		/* first reached through list i/100 - 1 (odd: "M"), or list 0 */
		snprintf(want, sizeof(want), "%s%d@Y.test",
		    i >= 100 && (i / 100 - 1) % 2 ? "M" : "m", i);
		ck_assert_str_eq(out.items[i], want);
	}
	/* what the caller's list holds already counts as found */
	strlist_free(&out);
	strlist_init(&out);
	strlist_add(&out, "M150@y.TEST");
	ck_assert_int_eq(resolve_expand(res, "list1@x.test", &out, &rr),
	    RESOLVE_OK);
	ck_assert_uint_eq(out.count, 200);
	ck_assert_str_eq(out.items[0], "M150@y.TEST");
	ck_assert_str_eq(out.items[1], "M100@Y.test");
	ck_assert_str_eq(out.items[51], "M151@Y.test");
}
END_TEST

START_TEST(test_virtual_alias_domain_unknown)
{
	config_set(cfg, "virtual_alias_maps", "inline:{ known@va.test=user@example.test }");
	config_set(cfg, "virtual_alias_domains", "va.test");
	open_res();
	ck_assert_int_eq(resolve_expand(res, "known@va.test", &out, &rr), RESOLVE_OK);
	ck_assert_str_eq(out.items[0], "user@example.test");
	/*
	 * Expansion leaves an unknown address as it is (cleanup writes it);
	 * routing it says unknown, as Postfix's virtual alias class does.
	 */
	ck_assert_int_eq(resolve_expand(res, "unknown@va.test", &out, &rr),
	    RESOLVE_OK);
	ck_assert_uint_eq(out.count, 2);
	ck_assert_str_eq(out.items[1], "unknown@va.test");
	ck_assert_int_eq(resolve_transport(res, "unknown@VA.test.", &rr),
	    RESOLVE_BOUNCE);
	ck_assert_str_eq(rr.dsn, "5.1.1");
	ck_assert_ptr_nonnull(strstr(rr.reason.data, "virtual alias table"));
	ck_assert_int_eq(resolve_transport(res, "user@example.test", &rr),
	    RESOLVE_OK);
}
END_TEST

START_TEST(test_open_failure)
{
	struct strbuf err;

	config_set(cfg, "transport_maps", "nosuchtype:/x");
	strbuf_init(&err);
	ck_assert_ptr_null(resolve_open(cfg, &err));
	ck_assert_uint_gt(err.len, 0);
	strbuf_free(&err);
}
END_TEST

/* resolve_suite - all cases */
static Suite *
resolve_suite(void)
{
	Suite	*s = suite_create("resolve");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_default_routes);
	tcase_add_test(tc, test_relayhost);
	tcase_add_test(tc, test_transport_maps);
	tcase_add_test(tc, test_expand_simple);
	tcase_add_test(tc, test_expand_self_and_loop);
	tcase_add_test(tc, test_expand_catchall);
	tcase_add_test(tc, test_expand_extensions_and_local_parts);
	tcase_add_test(tc, test_expand_depth_limit);
	tcase_add_test(tc, test_expand_fanout_limit);
	tcase_add_test(tc, test_expand_shared_members);
	tcase_add_test(tc, test_virtual_alias_domain_unknown);
	tcase_add_test(tc, test_open_failure);
	suite_add_tcase(s, tc);
	return (s);
}

/* main - run the suite */
int
main(void)
{
	SRunner	*sr = srunner_create(resolve_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
