/*
 * test_resolve_canon - canonical maps and masquerading
 * (lib/resolve_canon.c) and the rewriting contexts (lib/resolve_rewrite.c):
 * the lookup order (user+ext@domain, user@domain, user, @domain), an
 * unmatched extension carried over, "@domain" results, the class gates,
 * nesting and its limit, table failures, masquerade_domains with "!"
 * and masquerade_exceptions; append_dot_mydomain and the remote header
 * context.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "resolve.h"
#include "strbuf.h"
#include "unit.h"

static struct config *cfg;
static struct resolver *res;
static struct resolve_result why;
static struct strbuf addr;

/* setup - an office: example.com, hosts below it, a few tables */
static void
setup(void)
{
	cfg = config_new("/nonexistent");
	config_set(cfg, "myhostname", "mx.example.com");
	config_set(cfg, "mydomain", "example.com");
	config_set(cfg, "myorigin", "$mydomain");
	config_set(cfg, "mydestination", "$myhostname, localhost, $mydomain");
	config_set(cfg, "recipient_delimiter", "+");
	config_set(cfg, "canonical_maps", "inline:{ "
	    "jsmith@example.com=John.Smith@example.com, "
	    "mary=Mary.Jones@example.com, @old.test=@new.test, "
	    "loop1@example.com=loop2@example.com, "
	    "loop2@example.com=loop1@example.com, "
	    "self@example.com=Self@example.com, "
	    "a1@x.test=a2@x.test, a2@x.test=a3@x.test }");
	config_set(cfg, "sender_canonical_maps",
	    "inline:{ root@example.com=admin@example.com }");
	config_set(cfg, "recipient_canonical_maps",
	    "inline:{ sales@example.com=team@example.com }");
	config_set(cfg, "masquerade_domains", "!dev.example.com, example.com");
	config_set(cfg, "masquerade_exceptions", "root, mailer-daemon");
	res = NULL;
	resolve_result_init(&why);
	strbuf_init(&addr);
}

/* teardown - release everything */
static void
teardown(void)
{
	resolve_close(res);
	resolve_result_free(&why);
	strbuf_free(&addr);
	config_free(cfg);
}

/* open_res - the resolver over cfg */
static void
open_res(void)
{
	struct strbuf err;

	strbuf_init(&err);
	res = resolve_open(cfg, &err);
	ck_assert_msg(res != NULL, "resolve_open: %s", err.data);
	strbuf_free(&err);
}

/* canon - one address through one class; RESOLVE_OK expected */
static void
canon(unsigned class, const char *in, const char *want)
{
	strbuf_set(&addr, in);
	ck_assert_msg(resolve_canonical(res, class, &addr, &why) == RESOLVE_OK,
	    "<%s>: %s", in, why.reason.data);
	ck_assert_msg(strcmp(addr.data, want) == 0, "<%s> became <%s>, want <%s>",
	    in, addr.data, want);
}

START_TEST(test_lookup_order)
{
	open_res();
	canon(RESOLVE_ENV_RCPT, "jsmith@example.com", "John.Smith@example.com");
	canon(RESOLVE_ENV_RCPT, "JSmith@Example.COM", "John.Smith@example.com");
	/* user@domain without the extension, the extension carried over */
	canon(RESOLVE_ENV_RCPT, "jsmith+lists@example.com",
	    "John.Smith+lists@example.com");
	/* the bare user, for $myorigin and local domains only */
	canon(RESOLVE_ENV_RCPT, "mary@example.com", "Mary.Jones@example.com");
	canon(RESOLVE_ENV_RCPT, "mary+x@mx.example.com",
	    "Mary.Jones+x@example.com");
	canon(RESOLVE_ENV_RCPT, "mary@remote.test", "mary@remote.test");
	/* @domain keeps the user (extension and all) */
	canon(RESOLVE_ENV_RCPT, "bob+y@old.test", "bob+y@new.test");
	/* unmatched, the null sender and nesting */
	canon(RESOLVE_ENV_RCPT, "nobody@remote.test", "nobody@remote.test");
	canon(RESOLVE_ENV_SENDER, "", "");
	canon(RESOLVE_ENV_RCPT, "a1@x.test", "a3@x.test");
	canon(RESOLVE_ENV_RCPT, "self@example.com", "Self@example.com");
}
END_TEST

START_TEST(test_propagation_off)
{
	config_set(cfg, "propagate_unmatched_extensions", "virtual");
	open_res();
	canon(RESOLVE_ENV_RCPT, "jsmith+lists@example.com",
	    "John.Smith@example.com");
}
END_TEST

START_TEST(test_classes)
{
	open_res();
	/* sender_canonical_maps: senders only, before canonical_maps */
	canon(RESOLVE_ENV_SENDER, "root@example.com", "admin@example.com");
	canon(RESOLVE_ENV_RCPT, "root@example.com", "root@example.com");
	canon(RESOLVE_HDR_SENDER, "sales@example.com", "sales@example.com");
	canon(RESOLVE_HDR_RCPT, "sales@example.com", "team@example.com");
	resolve_close(res);
	config_set(cfg, "masquerade_exceptions", "");
	config_set(cfg, "canonical_classes", "envelope_recipient");
	open_res();
	canon(RESOLVE_ENV_SENDER, "root@example.com", "admin@example.com");
	canon(RESOLVE_ENV_SENDER, "jsmith@example.com", "jsmith@example.com");
	canon(RESOLVE_HDR_RCPT, "jsmith@example.com", "jsmith@example.com");
	canon(RESOLVE_ENV_RCPT, "jsmith@example.com", "John.Smith@example.com");
}
END_TEST

START_TEST(test_loop_and_failure)
{
	open_res();
	strbuf_set(&addr, "loop1@example.com");
	ck_assert_int_eq(resolve_canonical(res, RESOLVE_ENV_RCPT, &addr, &why),
	    RESOLVE_DEFER);
	ck_assert_str_eq(why.dsn, "4.3.0");
	ck_assert(strstr(why.reason.data, "nesting") != NULL);
	resolve_close(res);
	res = NULL;
	config_set(cfg, "canonical_maps", "bogus:/nonexistent");
	{
		struct strbuf err;

		strbuf_init(&err);
		ck_assert_ptr_null(resolve_open(cfg, &err));
		ck_assert(strstr(err.data, "canonical_maps") != NULL);
		strbuf_free(&err);
	}
}
END_TEST

START_TEST(test_masquerade)
{
	open_res();
	/* masquerade_classes: envelope sender, header sender and recipient */
	canon(RESOLVE_ENV_SENDER, "joe@host.example.com", "joe@example.com");
	canon(RESOLVE_HDR_SENDER, "joe@a.b.example.com", "joe@example.com");
	canon(RESOLVE_HDR_RCPT, "joe@host.example.com", "joe@example.com");
	canon(RESOLVE_ENV_RCPT, "joe@host.example.com", "joe@host.example.com");
	/* !dev.example.com comes first; the domain itself stays */
	canon(RESOLVE_ENV_SENDER, "joe@build.dev.example.com",
	    "joe@build.dev.example.com");
	canon(RESOLVE_ENV_SENDER, "joe@example.com", "joe@example.com");
	canon(RESOLVE_ENV_SENDER, "joe@notexample.com", "joe@notexample.com");
	/* masquerade_exceptions: by user name */
	canon(RESOLVE_ENV_SENDER, "root@host.example.com", "root@host.example.com");
	canon(RESOLVE_ENV_SENDER, "MAILER-DAEMON@mx.example.com",
	    "MAILER-DAEMON@mx.example.com");
}
END_TEST

START_TEST(test_rewrite_contexts)
{
	struct strbuf out;

	strbuf_init(&out);
	config_set(cfg, "append_dot_mydomain", "yes");
	config_set(cfg, "remote_header_rewrite_domain", "domain.invalid");
	open_res();
	resolve_rewrite(res, RESOLVE_CTX_LOCAL, "joe", &out);
	ck_assert_str_eq(out.data, "joe@example.com");
	resolve_rewrite(res, RESOLVE_CTX_LOCAL, "joe@host", &out);
	ck_assert_str_eq(out.data, "joe@host.example.com");
	resolve_rewrite(res, RESOLVE_CTX_LOCAL, "joe@[192.0.2.1]", &out);
	ck_assert_str_eq(out.data, "joe@[192.0.2.1]");
	resolve_rewrite(res, RESOLVE_CTX_LOCAL, "joe@host.test.", &out);
	ck_assert_str_eq(out.data, "joe@host.test");
	resolve_rewrite(res, RESOLVE_CTX_REMOTE, "joe", &out);
	ck_assert_str_eq(out.data, "joe@domain.invalid");
	resolve_rewrite(res, RESOLVE_CTX_REMOTE, "joe@host", &out);
	ck_assert_str_eq(out.data, "joe@host.domain.invalid");
	resolve_rewrite(res, RESOLVE_CTX_LOCAL, "", &out);
	ck_assert_str_eq(out.data, "");
	resolve_close(res);
	config_set(cfg, "append_at_myorigin", "no");
	config_set(cfg, "remote_header_rewrite_domain", "");
	open_res();
	resolve_rewrite(res, RESOLVE_CTX_LOCAL, "joe", &out);
	ck_assert_str_eq(out.data, "joe");
	resolve_rewrite(res, RESOLVE_CTX_REMOTE, "joe@host", &out);
	ck_assert_str_eq(out.data, "joe@host");
	strbuf_free(&out);
}
END_TEST

/* resolve_canon_suite - all cases */
static Suite *
resolve_canon_suite(void)
{
	Suite	*s = suite_create("resolve_canon");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lookup_order);
	tcase_add_test(tc, test_propagation_off);
	tcase_add_test(tc, test_classes);
	tcase_add_test(tc, test_loop_and_failure);
	tcase_add_test(tc, test_masquerade);
	tcase_add_test(tc, test_rewrite_contexts);
	suite_add_tcase(s, tc);
	return (s);
}

/* main - run the suite */
int
main(void)
{
	return (unit_run(resolve_canon_suite()));
}
