/*
 * test_clock - unit tests of lib/util/clock.c (the monotonic clock).
 */
#include <check.h>
#include <time.h>

#include "clock.h"
#include "unit.h"

/* the two units read one clock, and it only moves forward */
START_TEST(test_units_agree_and_advance)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	long long ms0, us0, ms1, us1;

	us0 = clock_monotonic_us();
	ms0 = clock_monotonic_ms();
	ck_assert(ms0 >= us0 / 1000);
	ck_assert(ms0 - us0 / 1000 < 1000);
	ck_assert_int_eq(nanosleep(&nap, NULL), 0);
	ms1 = clock_monotonic_ms();
	us1 = clock_monotonic_us();
	ck_assert(ms1 - ms0 >= 20);
	ck_assert(us1 - us0 >= 20000);
	ck_assert(us1 / 1000 >= ms1);
}
END_TEST

/* clock_suite - every test above */
static Suite *
clock_suite(void)
{
	Suite	*suite = suite_create("clock");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_units_agree_and_advance);
	suite_add_tcase(suite, tc);
	return (suite);
}

int
main(void)
{
	return (unit_run(clock_suite()));
}
