/*
 * test_access - lib/mail/access.c (the access(5) action parser) and
 * access_find.c (the lookup order for addresses, domains, host addresses
 * and clients).  Tables are inline: and cidr:/pcre: files in a scratch
 * directory; a recording table is emulated by giving every key its own
 * answer, so the first key asked is the answer seen.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "maps.h"
#include "resolve.h"
#include "strbuf.h"
#include "unit.h"

static struct access_action act;

static void
setup(void)
{
	access_action_init(&act);
}

static void
teardown(void)
{
	access_action_free(&act);
}

static enum access_verb
parse(const char *value)
{
	return (access_action_parse(value, strlen(value), &act));
}

START_TEST(test_accept)
{
	ck_assert_int_eq(parse("OK"), ACCESS_OK);
	ck_assert_ptr_null(act.why);
	ck_assert_int_eq(parse("ok trailing text"), ACCESS_OK);
	ck_assert_int_eq(parse("Relay"), ACCESS_OK);
	ck_assert_int_eq(parse("1733612345"), ACCESS_OK);	/* pop-before-smtp */
	ck_assert_int_eq(parse("550"), ACCESS_OK);		/* all-numerical */
	ck_assert_int_eq(parse("  \t"), ACCESS_OK);
	ck_assert_ptr_nonnull(act.why);
	ck_assert_int_eq(parse("DUNNO"), ACCESS_DUNNO);
	ck_assert_int_eq(parse("dunno whatever"), ACCESS_DUNNO);
	ck_assert_int_eq(parse("OKAY"), ACCESS_RESTRICTIONS);
}
END_TEST

START_TEST(test_reject_defer)
{
	ck_assert_int_eq(parse("REJECT"), ACCESS_REJECT);
	ck_assert_int_eq(act.code, 0);
	ck_assert_str_eq(act.dsn, "5.7.1");
	ck_assert_str_eq(act.text.data, "");
	ck_assert_int_eq(parse("reject  go away "), ACCESS_REJECT);
	ck_assert_str_eq(act.text.data, "go away");
	ck_assert_int_eq(parse("REJECT 5.7.26 DMARC says no"), ACCESS_REJECT);
	ck_assert_str_eq(act.dsn, "5.7.26");
	ck_assert_str_eq(act.text.data, "DMARC says no");
	/* not a code: too many digits, or glued to the text */
	ck_assert_int_eq(parse("REJECT 5.7.1234 x"), ACCESS_REJECT);
	ck_assert_str_eq(act.dsn, "5.7.1");
	ck_assert_str_eq(act.text.data, "5.7.1234 x");
	ck_assert_int_eq(parse("REJECT 5.7.1x"), ACCESS_REJECT);
	ck_assert_str_eq(act.text.data, "5.7.1x");
	ck_assert_int_eq(parse("DEFER"), ACCESS_DEFER);
	ck_assert_int_eq(act.code, 0);
	ck_assert_str_eq(act.dsn, "4.7.1");
	ck_assert_int_eq(parse("DEFER 4.2.2 mailbox full"), ACCESS_DEFER);
	ck_assert_str_eq(act.dsn, "4.2.2");
	ck_assert_str_eq(act.text.data, "mailbox full");
	/* DEFER never says 5.x.x */
	ck_assert_int_eq(parse("DEFER 5.1.1 nope"), ACCESS_DEFER);
	ck_assert_str_eq(act.dsn, "4.1.1");
	ck_assert_int_eq(parse("DEFER_IF_REJECT"), ACCESS_DEFER_IF_REJECT);
	ck_assert_str_eq(act.dsn, "4.7.1");
	ck_assert_int_eq(parse("defer_if_permit maybe later"),
	    ACCESS_DEFER_IF_PERMIT);
	ck_assert_str_eq(act.text.data, "maybe later");
}
END_TEST

START_TEST(test_numeric)
{
	ck_assert_int_eq(parse("550 no such user here"), ACCESS_REJECT);
	ck_assert_int_eq(act.code, 550);
	ck_assert_str_eq(act.dsn, "5.7.1");
	ck_assert_str_eq(act.text.data, "no such user here");
	ck_assert(!act.hangup);
	ck_assert_int_eq(parse("450 4.7.1 slow down"), ACCESS_REJECT);
	ck_assert_int_eq(act.code, 450);
	ck_assert_str_eq(act.dsn, "4.7.1");
	ck_assert_str_eq(act.text.data, "slow down");
	/* the enhanced code's class follows the reply code */
	ck_assert_int_eq(parse("451 5.7.1 mixed"), ACCESS_REJECT);
	ck_assert_str_eq(act.dsn, "4.7.1");
	ck_assert_int_eq(parse("554 4.4.4 mixed"), ACCESS_REJECT);
	ck_assert_str_eq(act.dsn, "5.4.4");
	ck_assert_int_eq(parse("421 go away"), ACCESS_REJECT);
	ck_assert(act.hangup);
	ck_assert_int_eq(parse("521 botnet"), ACCESS_REJECT);
	ck_assert(act.hangup);
	ck_assert_str_eq(act.dsn, "5.7.1");
	/* codes that are no rejection are refused */
	ck_assert_int_eq(parse("250 fine"), ACCESS_ERROR);
	ck_assert_int_eq(parse("650 what"), ACCESS_ERROR);
	ck_assert_int_eq(parse("099 what"), ACCESS_ERROR);
	ck_assert_ptr_nonnull(act.why);
	/* not three digits: a restriction list (unknown names: the engine) */
	ck_assert_int_eq(parse("5500 x"), ACCESS_RESTRICTIONS);
	ck_assert_int_eq(parse("55 x"), ACCESS_RESTRICTIONS);
}
END_TEST

START_TEST(test_side_effects)
{
	ck_assert_int_eq(parse("HOLD"), ACCESS_HOLD);
	ck_assert_str_eq(act.text.data, "");
	ck_assert_int_eq(parse("HOLD look at this"), ACCESS_HOLD);
	ck_assert_str_eq(act.text.data, "look at this");
	ck_assert_int_eq(parse("DISCARD spam trap"), ACCESS_DISCARD);
	ck_assert_str_eq(act.text.data, "spam trap");
	ck_assert_int_eq(parse("WARN odd sender"), ACCESS_WARN);
	ck_assert_str_eq(act.text.data, "odd sender");
	ck_assert_int_eq(parse("INFO"), ACCESS_INFO);

	ck_assert_int_eq(parse("FILTER smtp:[127.0.0.1]:10025"), ACCESS_FILTER);
	ck_assert_str_eq(act.arg.data, "smtp:[127.0.0.1]:10025");
	ck_assert_int_eq(parse("FILTER scan:"), ACCESS_FILTER);
	ck_assert_int_eq(parse("FILTER"), ACCESS_IGNORED);
	ck_assert_ptr_nonnull(act.why);
	ck_assert_int_eq(parse("FILTER noColon"), ACCESS_IGNORED);
	ck_assert_int_eq(parse("FILTER :nexthop"), ACCESS_IGNORED);
	ck_assert_int_eq(parse("FILTER smtp:a b"), ACCESS_IGNORED);

	ck_assert_int_eq(parse("REDIRECT abuse@example.com"), ACCESS_REDIRECT);
	ck_assert_str_eq(act.arg.data, "abuse@example.com");
	ck_assert_int_eq(parse("REDIRECT abuse"), ACCESS_IGNORED);
	ck_assert_int_eq(parse("REDIRECT a@b c@d"), ACCESS_IGNORED);
	ck_assert_int_eq(parse("REDIRECT <a@b>"), ACCESS_IGNORED);
	ck_assert_int_eq(parse("BCC archive@example.com"), ACCESS_BCC);
	ck_assert_str_eq(act.arg.data, "archive@example.com");
	ck_assert_int_eq(parse("BCC"), ACCESS_IGNORED);

	ck_assert_int_eq(parse("PREPEND X-Spam-Flag: YES"), ACCESS_PREPEND);
	ck_assert_str_eq(act.arg.data, "X-Spam-Flag: YES");
	ck_assert_int_eq(parse("PREPEND X-Empty:"), ACCESS_PREPEND);
	ck_assert_int_eq(parse("PREPEND no header here"), ACCESS_IGNORED);
	ck_assert_int_eq(parse("PREPEND : value"), ACCESS_IGNORED);
	ck_assert_int_eq(parse("PREPEND"), ACCESS_IGNORED);
}
END_TEST

START_TEST(test_restrictions_and_limits)
{
	struct strbuf big;

	ck_assert_int_eq(parse("permit_mynetworks, reject"), ACCESS_RESTRICTIONS);
	ck_assert_str_eq(act.arg.data, "permit_mynetworks, reject");
	ck_assert_int_eq(parse("my_class"), ACCESS_RESTRICTIONS);
	/* tables are opened before the jail: none in an answer */
	ck_assert_int_eq(parse("check_client_access cidr:/etc/x"), ACCESS_ERROR);
	ck_assert_ptr_nonnull(act.why);
	/* but a colon in a REJECT's text is text */
	ck_assert_int_eq(parse("REJECT see: policy"), ACCESS_REJECT);

	/* NUL bytes and overlong answers */
	ck_assert_int_eq(access_action_parse("OK\0x", 4, &act), ACCESS_ERROR);
	strbuf_init(&big);
	strbuf_puts(&big, "REJECT ");
	while (big.len <= ACCESS_VALUE_MAX)
		strbuf_putc(&big, 'x');
	ck_assert_int_eq(access_action_parse(big.data, big.len, &act),
	    ACCESS_ERROR);
	strbuf_truncate(&big, ACCESS_VALUE_MAX);
	ck_assert_int_eq(access_action_parse(big.data, big.len, &act),
	    ACCESS_REJECT);
	strbuf_free(&big);
	/* a header a line cannot carry */
	ck_assert_int_eq(parse("PREPEND X-A: b\001c"), ACCESS_IGNORED);
	/* the value need not be NUL-terminated */
	ck_assert_int_eq(access_action_parse("HOLDxyz", 4, &act), ACCESS_HOLD);
	ck_assert_str_eq(access_verb_name(ACCESS_BCC), "BCC");
	ck_assert_str_eq(access_verb_name(ACCESS_DEFER_IF_PERMIT),
	    "DEFER_IF_PERMIT");
}
END_TEST

/*
 * Lookup order: each key of one table answers with its own name, so the
 * answer says which key was asked first among those present.
 */
static struct map_list *maps;
static struct strbuf value;

static void
open_maps(const char *specs)
{
	struct strbuf err;

	strbuf_init(&err);
	map_list_close(maps);
	maps = map_list_open(specs, &err);
	ck_assert_msg(maps != NULL, "%s: %s", specs, err.data);
	strbuf_free(&err);
}

static void
lookup_setup(void)
{
	maps = NULL;
	strbuf_init(&value);
}

static void
lookup_teardown(void)
{
	map_list_close(maps);
	strbuf_free(&value);
}

/* found - what the lookup of address answered, "" when nothing */
static const char *
found_address(const struct access_lookup *al, const char *address)
{
	int	 rc = access_find_address(al, address, &value);

	ck_assert_int_ne(rc, MAP_TEMPFAIL);
	return (rc == MAP_FOUND ? value.data : "");
}

START_TEST(test_address_order)
{
	struct access_lookup al = { NULL, NULL, true };

	open_maps("inline:{user@sub.example.com=full, sub.example.com=domain,"
	    " example.com=parent, user@=local}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "user@sub.example.com"), "full");
	ck_assert_str_eq(found_address(&al, "USER@Sub.Example.COM"), "full");
	ck_assert_str_eq(found_address(&al, "other@sub.example.com"), "domain");
	ck_assert_str_eq(found_address(&al, "other@a.b.example.com"), "parent");
	ck_assert_str_eq(found_address(&al, "other@example.com"), "parent");
	ck_assert_str_eq(found_address(&al, "user@elsewhere.org"), "local");
	ck_assert_str_eq(found_address(&al, "nobody@elsewhere.org"), "");
	/* "com" is a parent too, as Postfix asks top-level domains */
	open_maps("inline:{com=tld}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "x@example.com"), "tld");

	/* without smtpd_access_maps in the parameter: .domain keys */
	al.parent_matches_subdomains = false;
	open_maps("inline:{example.com=exact, .example.com=dot}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "x@example.com"), "exact");
	ck_assert_str_eq(found_address(&al, "x@a.example.com"), "dot");
	ck_assert_str_eq(found_address(&al, "x@a.b.example.com"), "dot");
	open_maps("inline:{example.com=exact}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "x@a.example.com"), "");

	/* a domain literal is looked up whole, no parents */
	open_maps("inline:{[192.0.2.1]=literal, 2.1]=bogus, .2.1]=bogus}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "x@[192.0.2.1]"), "literal");
	ck_assert_str_eq(found_address(&al, "x@[198.51.2.1]"), "");
}
END_TEST

START_TEST(test_address_extension)
{
	struct config *cfg = config_new("/nonexistent");
	struct strbuf err;
	struct resolver *res;
	struct access_lookup al = { NULL, NULL, true };

	config_set(cfg, "recipient_delimiter", "+");
	strbuf_init(&err);
	res = resolve_open(cfg, &err);
	ck_assert_msg(res != NULL, "%s", err.data);
	al.resolver = res;

	/* access(5): user+foo@domain, user@domain, domain, user+foo@, user@ */
	open_maps("inline:{user+foo@example.com=1, user@example.com=2,"
	    " example.com=3, user+foo@=4, user@=5}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "user+foo@example.com"), "1");
	open_maps("inline:{user@example.com=2, example.com=3, user+foo@=4,"
	    " user@=5}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "user+foo@example.com"), "2");
	open_maps("inline:{example.com=3, user+foo@=4, user@=5}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "user+foo@example.com"), "3");
	open_maps("inline:{user+foo@=4, user@=5}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "user+foo@example.com"), "4");
	open_maps("inline:{user@=5}");
	al.maps = maps;
	ck_assert_str_eq(found_address(&al, "user+foo@example.com"), "5");
	ck_assert_str_eq(found_address(&al, "user+bar@other.org"), "5");
	/* without a delimiter configured, the extension is part of the name */
	al.resolver = NULL;
	ck_assert_str_eq(found_address(&al, "user+foo@example.com"), "");

	resolve_close(res);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_domain_and_client)
{
	struct access_lookup al = { NULL, NULL, true };

	open_maps("inline:{mail.example.com=name, example.com=parent,"
	    " 192.0.2.7=addr, 192.0.2=net24, 192.0=net16, 10=net8,"
	    " 2001:db8::1=v6addr, 2001:db8=v6net}");
	al.maps = maps;
	ck_assert_int_eq(access_find_domain(&al, "mail.example.com", &value),
	    MAP_FOUND);
	ck_assert_str_eq(value.data, "name");
	ck_assert_int_eq(access_find_domain(&al, "mx.example.com", &value),
	    MAP_FOUND);
	ck_assert_str_eq(value.data, "parent");
	ck_assert_int_eq(access_find_domain(&al, "example.org", &value),
	    MAP_NOTFOUND);
	/* no subdomain magic for an address written as a HELO name */
	ck_assert_int_eq(access_find_domain(&al, "198.192.0.2", &value),
	    MAP_NOTFOUND);

	/* the name first: a domain entry wins over the address */
	ck_assert_int_eq(access_find_client(&al, "mx.example.com", "192.0.2.7",
	    &value), MAP_FOUND);
	ck_assert_str_eq(value.data, "parent");
	ck_assert_int_eq(access_find_client(&al, "unknown", "192.0.2.7",
	    &value), MAP_FOUND);
	ck_assert_str_eq(value.data, "addr");
	ck_assert_int_eq(access_find_client(&al, "unknown", "192.0.2.8",
	    &value), MAP_FOUND);
	ck_assert_str_eq(value.data, "net24");
	ck_assert_int_eq(access_find_client(&al, "unknown", "192.0.3.8",
	    &value), MAP_FOUND);
	ck_assert_str_eq(value.data, "net16");
	ck_assert_int_eq(access_find_client(&al, "unknown", "10.9.8.7",
	    &value), MAP_FOUND);
	ck_assert_str_eq(value.data, "net8");
	/* 1.92.0.2 must not be taken for 192.0.2 */
	ck_assert_int_eq(access_find_client(&al, "unknown", "1.92.0.2",
	    &value), MAP_NOTFOUND);
	ck_assert_int_eq(access_find_host_address(&al, "2001:db8::1", &value),
	    MAP_FOUND);
	ck_assert_str_eq(value.data, "v6addr");
	/* 2001:db8::2 -> 2001:db8: -> 2001:db8 */
	ck_assert_int_eq(access_find_host_address(&al, "2001:db8::2", &value),
	    MAP_FOUND);
	ck_assert_str_eq(value.data, "v6net");

	/* DUNNO ends the search: no shorter key is tried */
	open_maps("inline:{192.0.2.7=DUNNO, 192.0.2=REJECT}");
	al.maps = maps;
	ck_assert_int_eq(access_find_host_address(&al, "192.0.2.7", &value),
	    MAP_FOUND);
	ck_assert_str_eq(value.data, "DUNNO");

	ck_assert(access_parent_style("debug_peer_list, smtpd_access_maps"));
	ck_assert(access_parent_style("SMTPD_ACCESS_MAPS"));
	ck_assert(!access_parent_style("relay_domains smtpd_access_mapsx"));
	ck_assert(!access_parent_style(""));
	ck_assert(access_is_host_address("::1"));
	ck_assert(!access_is_host_address("1.2.3"));
}
END_TEST

/* write_file - a scratch table file */
static void
write_file(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_pattern_tables)
{
	char	 dir[] = "/tmp/test_access.XXXXXX", cidr[64], pcre[64];
	char	 specs[200];
	struct access_lookup al = { NULL, NULL, true };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cidr, sizeof(cidr), "%s/cidr", dir);
	snprintf(pcre, sizeof(pcre), "%s/pcre", dir);
	write_file(cidr, "192.0.2.0/24 REJECT cidr\n2001:db8::/32 DEFER v6\n");
	/* would match every shorter key if it were asked them */
	write_file(pcre, "/^example\\.com$/ REJECT partial key seen\n"
	    "/^spammer@/ REJECT pcre\n/^host\\.example\\.com$/ REJECT name\n");
	snprintf(specs, sizeof(specs), "cidr:%s pcre:%s", cidr, pcre);
	open_maps(specs);
	al.maps = maps;

	ck_assert_int_eq(access_find_client(&al, "unknown", "192.0.2.99",
	    &value), MAP_FOUND);
	ck_assert_str_eq(value.data, "REJECT cidr");
	ck_assert_int_eq(access_find_host_address(&al, "2001:db8::5", &value),
	    MAP_FOUND);
	ck_assert_str_eq(value.data, "DEFER v6");
	ck_assert_str_eq(found_address(&al, "spammer@example.com"),
	    "REJECT pcre");
	/* pattern tables see the whole address only, never "example.com" */
	ck_assert_str_eq(found_address(&al, "friend@example.com"), "");
	ck_assert_int_eq(access_find_client(&al, "host.example.com",
	    "198.51.100.1", &value), MAP_FOUND);
	ck_assert_str_eq(value.data, "REJECT name");
	ck_assert_int_eq(access_find_client(&al, "mx.example.com",
	    "198.51.100.1", &value), MAP_NOTFOUND);
	ck_assert_int_eq(access_find_domain(&al, "example.com", &value),
	    MAP_FOUND);	/* the whole name is asked of every table */

	unlink(cidr);
	unlink(pcre);
	rmdir(dir);
}
END_TEST

static Suite *
access_suite(void)
{
	Suite	*s = suite_create("access");
	TCase	*tc = tcase_create("actions");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_accept);
	tcase_add_test(tc, test_reject_defer);
	tcase_add_test(tc, test_numeric);
	tcase_add_test(tc, test_side_effects);
	tcase_add_test(tc, test_restrictions_and_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("lookups");
	tcase_add_checked_fixture(tc, lookup_setup, lookup_teardown);
	tcase_add_test(tc, test_address_order);
	tcase_add_test(tc, test_address_extension);
	tcase_add_test(tc, test_domain_and_client);
	tcase_add_test(tc, test_pattern_tables);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (unit_run(access_suite()));
}
