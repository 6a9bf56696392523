/*
 * test_config_names - unknown main.cf names are warnings, Postfix
 * parameters Sluice does not implement yet are errors unless harmless.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_names.h"
#include "msg.h"
#include "unit.h"

/* check_text - config_names_check of main.cf text */
static int
check_text(const char *text, struct strbuf *warnings, struct strbuf *errors)
{
	struct config *cfg = config_new("/etc/test");
	int n;

	ck_assert_int_eq(config_parse_text(cfg, text, "main.cf", errors), 0);
	n = config_names_check(cfg, warnings, errors);
	config_free(cfg);
	return (n);
}

/* Unsupported names with values that are errors or harmless. */
static const struct {
	const char *text;
	int errors;
} cases[] = {
	{ "smtp_header_checks = regexp:/etc/postfix/header_checks\n", 1 },
	{ "smtp_header_checks =\n", 0 },
	{ "smtp_body_checks = pcre:/etc/postfix/body_checks\n", 1 },
	/* implemented (cleanup/checks.c): no longer "not supported" */
	{ "header_checks = regexp:/etc/postfix/header_checks\n", 0 },
	{ "body_checks = pcre:/etc/postfix/body_checks\n", 0 },
	/* the restriction lists are Sluice's now: restriction_list decides */
	{ "smtpd_recipient_restrictions = permit_mynetworks, "
	    "reject_rbl_client zen.spamhaus.org, reject_unauth_destination\n", 0 },
	{ "smtpd_etrn_restrictions = reject\n", 1 },
	{ "smtpd_etrn_restrictions =\n", 0 },
	{ "smtpd_sasl_auth_enable = yes\n", 1 },
	{ "smtpd_sasl_auth_enable = no\n", 0 },
	{ "smtpd_sasl_path = private/auth\n", 1 },
	{ "smtpd_milters = inet:127.0.0.1:8891\n", 1 },
	{ "non_smtpd_milters = $smtpd_milters\nsmtpd_milters = inet:x:1\n", 2 },
	{ "always_bcc = archive@example.com\n", 1 },
	{ "sender_bcc_maps = hash:/etc/postfix/bcc\n", 1 },
	{ "recipient_bcc_maps =\n", 0 },
	{ "smtpd_tls_auth_only = yes\n", 1 },
	{ "smtpd_tls_auth_only = no\n", 0 },
	{ "content_filter = amavis:[127.0.0.1]:10024\n", 0 },
	{ "smtpd_delay_reject = no\n", 0 },
};

START_TEST(test_unsupported)
{
	struct strbuf warnings, errors;

	strbuf_init(&warnings);
	strbuf_init(&errors);
	ck_assert_msg(check_text(cases[_i].text, &warnings, &errors) ==
	    cases[_i].errors, "%s: %s", cases[_i].text, errors.data);
	ck_assert_str_eq(warnings.data, "");
	if (cases[_i].errors > 0) {
		ck_assert_ptr_nonnull(strstr(errors.data, "main.cf:1: parameter "));
		ck_assert_ptr_nonnull(strstr(errors.data, "not supported yet"));
	}
	strbuf_free(&warnings);
	strbuf_free(&errors);
}
END_TEST

START_TEST(test_unknown_is_a_warning)
{
	struct strbuf warnings, errors;

	strbuf_init(&warnings);
	strbuf_init(&errors);
	ck_assert_int_eq(check_text("myhostname = a.example\n"
	    "smtpd_bannr = typo\n", &warnings, &errors), 0);
	ck_assert_str_eq(errors.data, "");
	ck_assert_str_eq(warnings.data, "main.cf:2: unknown parameter "
	    "smtpd_bannr (kept for $smtpd_bannr expansion, otherwise ignored)");
	ck_assert(config_name_unsupported("smtpd_sasl_type"));
	ck_assert(config_name_unsupported("smtp_header_checks"));
	ck_assert(!config_name_unsupported("header_checks"));
	ck_assert(!config_name_unsupported("receive_override_options"));
	ck_assert(!config_name_unsupported("smtpd_bannr"));
	/* one Sluice has is never "unsupported" */
	ck_assert(!config_name_unsupported("smtpd_sender_restrictions"));
	strbuf_free(&warnings);
	strbuf_free(&errors);
}
END_TEST

START_TEST(test_restriction_class_is_no_unknown_name)
{
	struct strbuf warnings, errors;

	strbuf_init(&warnings);
	strbuf_init(&errors);
	ck_assert_int_eq(check_text("smtpd_restriction_classes = strict\n"
	    "strict = reject\nstrikt = reject\n", &warnings, &errors), 0);
	ck_assert_str_eq(errors.data, "");
	ck_assert_str_eq(warnings.data, "main.cf:3: unknown parameter "
	    "strikt (kept for $strikt expansion, otherwise ignored)");
	strbuf_free(&warnings);
	strbuf_free(&errors);
}
END_TEST

/* qmgr reads TRANSPORT_destination_*_limit for any master.cf service */
START_TEST(test_per_transport_limit_is_no_unknown_name)
{
	struct strbuf warnings, errors;

	strbuf_init(&warnings);
	strbuf_init(&errors);
	ck_assert_int_eq(check_text("relay_destination_concurrency_limit = 5\n"
	    "slow_destination_recipient_limit = 2\n"
	    "_destination_recipient_limit = 2\n", &warnings, &errors), 0);
	ck_assert_str_eq(errors.data, "");
	ck_assert_str_eq(warnings.data, "main.cf:3: unknown parameter "
	    "_destination_recipient_limit (kept for "
	    "$_destination_recipient_limit expansion, otherwise ignored)");
	strbuf_free(&warnings);
	strbuf_free(&errors);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_names");
	TCase *tc = tcase_create("core");

	msg_open("test_config_names", "/dev/null");
	tcase_add_loop_test(tc, test_unsupported, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_unknown_is_a_warning);
	tcase_add_test(tc, test_restriction_class_is_no_unknown_name);
	tcase_add_test(tc, test_per_transport_limit_is_no_unknown_name);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
