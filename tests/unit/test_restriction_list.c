/*
 * test_restriction_list - smtpd's restriction lists as sluice check and
 * smtpd parse them: names, arguments, classes, and what is refused.
 * (restriction_names.c is tested here too: it is the parser's table.)
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "msg.h"
#include "restriction_list.h"
#include "unit.h"

/* load - restriction_set_load of main.cf text; NULL with err filled */
static struct restriction_set *
load(const char *text, struct strbuf *err)
{
	struct config *cfg = config_new("/etc/test");
	struct restriction_set *set;

	ck_assert_int_eq(config_parse_text(cfg, text, "main.cf", err), 0);
	set = restriction_set_load(cfg, err);
	config_free(cfg);
	return (set);
}

START_TEST(test_names_sorted)
{
	for (size_t i = 1; restriction_defs[i].name != NULL; i++)
		ck_assert_msg(strcmp(restriction_defs[i - 1].name,
		    restriction_defs[i].name) < 0, "not sorted at %s",
		    restriction_defs[i].name);
	ck_assert_ptr_nonnull(restriction_def_find("PERMIT_MYNETWORKS"));
	ck_assert_ptr_null(restriction_def_find("permit_everybody"));
}
END_TEST

START_TEST(test_defaults)
{
	struct strbuf err;
	struct restriction_set *set;
	const struct restriction_list *relay;

	strbuf_init(&err);
	set = load("", &err);
	ck_assert_msg(set != NULL, "%s", err.data);
	relay = &set->stages[RESTRICTION_RELAY];
	ck_assert_str_eq(relay->param, "smtpd_relay_restrictions");
	ck_assert_uint_eq(relay->count, 3);
	ck_assert_str_eq(relay->steps[0].name, "permit_mynetworks");
	ck_assert_str_eq(relay->steps[1].name, "permit_sasl_authenticated");
	ck_assert_str_eq(relay->steps[2].name, "defer_unauth_destination");
	ck_assert_uint_eq(set->stages[RESTRICTION_RECIPIENT].count, 0);
	ck_assert_uint_eq(set->stages[RESTRICTION_CLIENT].count, 0);
	restriction_set_free(set);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_arguments_and_case)
{
	struct strbuf err;
	struct restriction_set *set;
	const struct restriction_list *l;

	strbuf_init(&err);
	set = load("smtpd_client_restrictions = SLEEP 2,\n"
	    "  warn_if_reject Reject_Unknown_Client_Hostname permit\n", &err);
	ck_assert_msg(set != NULL, "%s", err.data);
	l = &set->stages[RESTRICTION_CLIENT];
	ck_assert_uint_eq(l->count, 4);
	ck_assert_str_eq(l->steps[0].name, "sleep");
	ck_assert_str_eq(l->steps[0].arg, "2");
	ck_assert_str_eq(l->steps[1].name, "warn_if_reject");
	ck_assert_ptr_null(l->steps[1].arg);
	ck_assert_str_eq(l->steps[2].name, "reject_unknown_client_hostname");
	ck_assert_str_eq(l->steps[2].def->name, "reject_unknown_client_hostname");
	restriction_set_free(set);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_classes)
{
	struct strbuf err;
	struct restriction_set *set;
	const struct restriction_list *l;

	strbuf_init(&err);
	set = load("smtpd_restriction_classes = strict, Relaxed\n"
	    "strict = reject_non_fqdn_sender, Relaxed\n"
	    "Relaxed = permit\n"
	    "smtpd_recipient_restrictions = strict\n", &err);
	ck_assert_msg(set != NULL, "%s", err.data);
	ck_assert_uint_eq(set->class_count, 2);
	l = &set->stages[RESTRICTION_RECIPIENT];
	ck_assert_uint_eq(l->count, 1);
	ck_assert_ptr_null(l->steps[0].def);
	ck_assert_ptr_eq(l->steps[0].class_list,
	    restriction_class_find(set, "strict"));
	ck_assert_ptr_eq(l->steps[0].class_list->steps[1].class_list,
	    restriction_class_find(set, "Relaxed"));
	ck_assert_ptr_null(restriction_class_find(set, "relaxed"));
	restriction_set_free(set);
	strbuf_free(&err);
}
END_TEST

/* Lists that must be refused, and a piece of the reason. */
static const struct {
	const char *text;
	const char *want;
} bad[] = {
	{ "smtpd_helo_restrictions = permit_everybody\n",
	    "main.cf:1: parameter smtpd_helo_restrictions: unknown "
	    "restriction \"permit_everybody\"" },
	{ "smtpd_client_restrictions = sleep\n", "sleep needs an argument" },
	{ "smtpd_client_restrictions = sleep x\n", "not a number of seconds" },
	{ "smtpd_client_restrictions = sleep 99999\n",
	    "not a number of seconds" },
	{ "smtpd_restriction_classes = a\n", "class a is not defined" },
	{ "smtpd_restriction_classes = a\na = permit\n"
	    "smtpd_client_restrictions = A\n", "unknown restriction \"A\"" },
	{ "smtpd_restriction_classes = a\na = b\n",
	    "parameter a: unknown restriction \"b\"" },
	{ "smtpd_restriction_classes = a, b\na = b\nb = permit_mynetworks a\n",
	    "class a uses itself" },
	{ "smtpd_restriction_classes = a\na = a\n", "class a uses itself" },
	{ "smtpd_restriction_classes = reject\nreject = permit\n",
	    "is a restriction name" },
	{ "smtpd_restriction_classes = mynetworks\n", "is a parameter name" },
	{ "smtpd_data_restrictions = lmdb:/etc/x\n",
	    "without a check_*_access before it" },
	{ "smtpd_client_restrictions = nosuchtype:/etc/x\n",
	    "unknown table type" },
	{ "smtpd_client_restrictions = check_client_access\n",
	    "check_client_access needs an argument" },
	{ "smtpd_sender_restrictions = check_sender_access nosuch:/etc/x\n",
	    "unknown table type" },
	{ "smtpd_client_restrictions = inline:{a=b, c\n", "unbalanced braces" },
	/* an open relay: no relay control, or only after permit or warned */
	{ "smtpd_relay_restrictions = permit_mynetworks\n",
	    "parameter smtpd_relay_restrictions: neither it nor "
	    "smtpd_recipient_restrictions has a working instance of" },
	{ "smtpd_relay_restrictions = permit, reject_unauth_destination\n",
	    "would be an open relay" },
	{ "smtpd_relay_restrictions = warn_if_reject reject_unauth_destination\n",
	    "would be an open relay" },
	{ "smtpd_restriction_classes = c\nc = permit_mynetworks\n"
	    "smtpd_relay_restrictions = c\n", "would be an open relay" },
};

START_TEST(test_refused)
{
	struct strbuf err;

	strbuf_init(&err);
	ck_assert_ptr_null(load(bad[_i].text, &err));
	ck_assert_msg(strstr(err.data, bad[_i].want) != NULL,
	    "%s: want \"%s\" in \"%s\"", bad[_i].text, bad[_i].want, err.data);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_relay_control_anywhere)
{
	static const char *const good[] = {
		"smtpd_relay_restrictions =\nsmtpd_recipient_restrictions = "
		    "permit_mynetworks, reject_unauth_destination\n",
		"smtpd_relay_restrictions = permit_mynetworks, defer\n",
		"smtpd_restriction_classes = c\nc = defer_if_permit\n"
		    "smtpd_relay_restrictions = permit_mynetworks c\n",
		"smtpd_relay_restrictions = warn_if_reject reject_non_fqdn_sender "
		    "reject\n",
	};
	struct strbuf err;
	struct restriction_set *set;

	strbuf_init(&err);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		set = load(good[i], &err);
		ck_assert_msg(set != NULL, "%s: %s", good[i], err.data);
		restriction_set_free(set);
	}
	strbuf_free(&err);
}
END_TEST

START_TEST(test_syntax_check_counts)
{
	struct config *cfg = config_new("/etc/test");
	struct strbuf err;

	strbuf_init(&err);
	ck_assert_int_eq(config_parse_text(cfg,
	    "smtpd_helo_restrictions = bogus\n", "main.cf", &err), 0);
	ck_assert_int_eq(restriction_syntax_check(cfg, &err), 1);
	strbuf_set(&err, "earlier problem");
	ck_assert_int_eq(restriction_syntax_check(cfg, &err), 1);
	ck_assert_ptr_nonnull(strstr(err.data, "earlier problem\nmain.cf"));
	config_free(cfg);
	/* config_check_values (every program's config_load) refuses it too */
	cfg = config_new("/etc/test");
	strbuf_reset(&err);
	ck_assert_int_eq(config_parse_text(cfg,
	    "smtpd_sender_restrictions = reject_sender_of_the_day\n",
	    "main.cf", &err), 0);
	ck_assert_int_eq(config_check_values(cfg, &err), 1);
	config_free(cfg);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_long_and_many_words)
{
	struct strbuf text, err;

	strbuf_init(&text);
	strbuf_init(&err);
	strbuf_puts(&text, "smtpd_client_restrictions =");
	for (int i = 0; i < 1001; i++)
		strbuf_puts(&text, " permit_mynetworks");
	strbuf_putc(&text, '\n');
	ck_assert_ptr_null(load(text.data, &err));
	ck_assert_ptr_nonnull(strstr(err.data, "more than 1000 words"));
	strbuf_free(&text);
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("restriction_list");
	TCase *tc = tcase_create("core");

	msg_open("test_restriction_list", "/dev/null");
	tcase_add_test(tc, test_names_sorted);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_arguments_and_case);
	tcase_add_test(tc, test_classes);
	tcase_add_loop_test(tc, test_refused, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_relay_control_anywhere);
	tcase_add_test(tc, test_syntax_check_counts);
	tcase_add_test(tc, test_long_and_many_words);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
