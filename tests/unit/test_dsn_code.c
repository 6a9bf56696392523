/*
 * test_dsn_code - unit tests of lib/mail/dsn_code.c (RFC 3463 codes).
 */
#include <check.h>
#include <string.h>

#include "dsn_code.h"
#include "unit.h"

/* codes, with what may follow them */
START_TEST(test_span)
{
	static const struct {
		const char *text;
		size_t	 span;
	} cases[] = {
		{ "5.7.1", 5 }, { "4.3.0 Temporary failure", 5 },
		{ "2.0.0\tok", 5 }, { "5.123.123", 9 }, { "5.123.123 x", 9 },
		{ "5.1234.1", 0 }, { "5.1.1234", 0 }, { "3.1.1", 0 },
		{ "6.1.1", 0 }, { "5..1", 0 }, { "5.1.", 0 }, { "5.1", 0 },
		{ "5", 0 }, { "", 0 }, { "5.1.1x", 0 }, { "5.1.1.", 0 },
		{ " 5.1.1", 0 }, { "5.+1.1", 0 }, { "5. 1.1", 0 },
		{ "5.-1.1", 0 }, { "5.1.1\r", 0 }, { "50.1.1", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(dsn_code_span(cases[i].text,
		    strlen(cases[i].text)) == cases[i].span, "%s",
		    cases[i].text);
	/* the length bounds the scan: no reading past it */
	ck_assert_uint_eq(dsn_code_span("5.7.1", 4), 0);
	ck_assert_uint_eq(dsn_code_span("5.7.12", 5), 5);
	ck_assert_uint_eq(dsn_code_span("5.7.1", 0), 0);
}
END_TEST

/* a whole string */
START_TEST(test_valid)
{
	ck_assert(dsn_code_valid("5.7.1"));
	ck_assert(dsn_code_valid("4.999.999"));
	ck_assert(!dsn_code_valid("5.7.1 "));
	ck_assert(!dsn_code_valid("5.7.1 text"));
	ck_assert(!dsn_code_valid(""));
	ck_assert(!dsn_code_valid("1.0.0"));
	ck_assert_uint_eq(strlen("5.123.123"), DSN_CODE_MAX);
}
END_TEST

/* dsn_code_suite - every test above */
static Suite *
dsn_code_suite(void)
{
	Suite	*suite = suite_create("dsn_code");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_span);
	tcase_add_test(tc, test_valid);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(dsn_code_suite()));
}
