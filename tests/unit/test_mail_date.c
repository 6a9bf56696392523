/*
 * test_mail_date - RFC 5322 dates in the C locale's spelling, with the
 * numeric zone of the local time.
 */
#include <check.h>
#include <stdlib.h>
#include <time.h>

#include "mail_date.h"
#include "strbuf.h"
#include "unit.h"

/* format_in - the date of when in time zone tz */
static void
format_in(const char *tz, time_t when, struct strbuf *out)
{
	setenv("TZ", tz, 1);
	tzset();
	strbuf_reset(out);
	mail_date(out, when);
}

START_TEST(test_utc)
{
	struct strbuf sb;

	strbuf_init(&sb);
	format_in("UTC", 0, &sb);
	ck_assert_str_eq(sb.data, "Thu, 1 Jan 1970 00:00:00 +0000");
	format_in("UTC", 1795586471, &sb);
	ck_assert_str_eq(sb.data, "Wed, 25 Nov 2026 06:01:11 +0000");
	strbuf_free(&sb);
}
END_TEST

START_TEST(test_zones)
{
	struct strbuf sb;

	strbuf_init(&sb);
	format_in("EST5", 0, &sb);
	ck_assert_str_eq(sb.data, "Wed, 31 Dec 1969 19:00:00 -0500");
	format_in("IST-5:30", 0, &sb);
	ck_assert_str_eq(sb.data, "Thu, 1 Jan 1970 05:30:00 +0530");
	strbuf_free(&sb);
}
END_TEST

START_TEST(test_appends)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_puts(&sb, "Date: ");
	setenv("TZ", "UTC", 1);
	tzset();
	mail_date(&sb, 86400);
	ck_assert_str_eq(sb.data, "Date: Fri, 2 Jan 1970 00:00:00 +0000");
	strbuf_free(&sb);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mail_date");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_utc);
	tcase_add_test(tc, test_zones);
	tcase_add_test(tc, test_appends);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
