/*
 * test_policy_service - check_policy_service's argument
 * (lib/service/policy_service.c): a bare server, Postfix's braces with
 * per-server overrides checked against their parameters' bounds, and the
 * refusals sluice check reports.
 */
#include <check.h>
#include <string.h>

#include "policy_service.h"
#include "strbuf.h"
#include "unit.h"

START_TEST(test_plain_server_gets_defaults)
{
	struct policy_service_spec spec;
	struct strbuf err;

	strbuf_init(&err);
	ck_assert_int_eq(policy_service_parse("inet:127.0.0.1:10023", NULL,
	    &spec, &err), 0);
	ck_assert_str_eq(spec.endpoint, "inet:127.0.0.1:10023");
	ck_assert_int_eq(spec.set.timeout_ms, 100000);
	ck_assert_int_eq(spec.set.max_idle_ms, 300000);
	ck_assert_int_eq(spec.set.max_ttl_ms, 1000000);
	ck_assert_int_eq(spec.set.request_limit, 0);
	ck_assert_int_eq(spec.set.try_limit, 2);
	ck_assert_int_eq(spec.set.retry_delay_ms, 1000);
	ck_assert(spec.default_action == NULL && spec.context == NULL);
	policy_service_spec_free(&spec);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_braces_override)
{
	struct policy_client_settings base = {
		.timeout_ms = 5000, .max_idle_ms = 1000, .max_ttl_ms = 2000,
		.request_limit = 3, .try_limit = 4, .retry_delay_ms = 500,
	};
	struct policy_service_spec spec;
	struct strbuf err, k1, k2;

	strbuf_init(&err);
	strbuf_init(&k1);
	strbuf_init(&k2);
	ck_assert_int_eq(policy_service_parse("{ unix:private/policy, "
	    "timeout=10s, default_action=DUNNO,try_limit=1, retry_delay=0, "
	    "policy_context=submission, max_idle=2m, max_ttl=1h, "
	    "request_limit=7 }", &base, &spec, &err), 0);
	ck_assert_str_eq(spec.endpoint, "unix:private/policy");
	ck_assert_int_eq(spec.set.timeout_ms, 10000);
	ck_assert_int_eq(spec.set.try_limit, 1);
	ck_assert_int_eq(spec.set.retry_delay_ms, 0);
	ck_assert_int_eq(spec.set.max_idle_ms, 120000);
	ck_assert_int_eq(spec.set.max_ttl_ms, 3600000);
	ck_assert_int_eq(spec.set.request_limit, 7);
	ck_assert_str_eq(spec.default_action, "DUNNO");
	ck_assert_str_eq(spec.context, "submission");
	policy_service_key(&spec, &k1);
	policy_service_spec_free(&spec);
	/* untouched settings come from the base */
	ck_assert_int_eq(policy_service_parse("{inet:[::1]:9,timeout=3}", &base,
	    &spec, &err), 0);
	ck_assert_str_eq(spec.endpoint, "inet:[::1]:9");
	ck_assert_int_eq(spec.set.timeout_ms, 3000);
	ck_assert_int_eq(spec.set.try_limit, 4);
	ck_assert_int_eq(spec.set.request_limit, 3);
	policy_service_key(&spec, &k2);
	ck_assert_str_ne(k1.data, k2.data);
	policy_service_spec_free(&spec);
	strbuf_free(&err);
	strbuf_free(&k1);
	strbuf_free(&k2);
}
END_TEST

START_TEST(test_refusals)
{
	static const struct {
		const char *arg;
		const char *why;
	} bad[] = {
		{ "127.0.0.1:9", "expected inet:host:port or unix:pathname" },
		{ "{ inet:127.0.0.1:9, timeout=0 }", "timeout" },
		{ "{ inet:127.0.0.1:9, try_limit=many }", "try_limit" },
		{ "{ inet:127.0.0.1:9, try_limit=0 }", "try_limit" },
		{ "{ inet:127.0.0.1:9, colour=blue }", "unknown option" },
		{ "{ inet:127.0.0.1:9, timeout }", "not name=value" },
		{ "{ inet:127.0.0.1:9, timeout=1s", "missing \"}\"" },
		{ "{ }", "no server" },
		{ "{ , timeout=1s }", "no server" },
		{ "{ tcp:x:9 }", "expected inet:host:port" },
	};
	struct policy_service_spec spec;
	struct strbuf err, longarg;

	strbuf_init(&err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		ck_assert_msg(policy_service_parse(bad[i].arg, NULL, &spec,
		    &err) < 0, "accepted %s", bad[i].arg);
		ck_assert_msg(strstr(err.data, bad[i].why) != NULL, "%s: %s",
		    bad[i].arg, err.data);
		policy_service_spec_free(&spec);
		ck_assert_int_lt(policy_service_check(bad[i].arg, &err), 0);
	}
	strbuf_init(&longarg);
	strbuf_puts(&longarg, "{ inet:127.0.0.1:9");
	while (longarg.len < 3000)
		strbuf_puts(&longarg, ", policy_context=x");
	strbuf_puts(&longarg, " }");
	ck_assert_int_lt(policy_service_check(longarg.data, &err), 0);
	ck_assert_int_eq(policy_service_check("unix:private/policy", &err), 0);
	strbuf_free(&longarg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_default_action)
{
	static const char *const good[] = {
		"451 4.3.5 Server configuration problem", "DUNNO", "OK",
		"DEFER_IF_PERMIT Service unavailable", "REJECT", "HOLD",
		"550 5.7.1 go away", "permit_mynetworks, reject",
	};
	static const char *const bad[] = {
		"", "FILTER", "699 odd code", "REDIRECT nobody",
	};
	struct policy_service_spec spec;
	struct strbuf err;

	strbuf_init(&err);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(policy_default_action_check(good[i], &err) == 0,
		    "refused %s: %s", good[i], err.data);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		ck_assert_msg(policy_default_action_check(bad[i], &err) < 0,
		    "accepted \"%s\"", bad[i]);
		ck_assert(strstr(err.data, "policy default action") != NULL);
	}
	ck_assert_int_lt(policy_service_parse("{ inet:127.0.0.1:9, "
	    "default_action=FILTER }", NULL, &spec, &err), 0);
	policy_service_spec_free(&spec);
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy_service");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_plain_server_gets_defaults);
	tcase_add_test(tc, test_braces_override);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_default_action);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
