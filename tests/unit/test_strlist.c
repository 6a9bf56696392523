/*
 * test_strlist - unit tests of lib/util/strlist.c (string arrays).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "strlist.h"
#include "unit.h"

START_TEST(test_split)
{
	struct strlist l;

	strlist_init(&l);
	ck_assert_ptr_null(l.items[0]);
	strlist_split(&l, ",, a, b\tc\r\n d,,", ", \t\r\n");
	ck_assert_uint_eq(l.count, 4);
	ck_assert_str_eq(l.items[0], "a");
	ck_assert_str_eq(l.items[3], "d");
	ck_assert_ptr_null(l.items[4]);
	strlist_split(&l, "", ", ");
	strlist_split(&l, " , ", ", ");
	ck_assert_uint_eq(l.count, 4);
	strlist_free(&l);
}
END_TEST

START_TEST(test_add_grow_null_terminated)
{
	struct strlist l;
	char buf[16];

	strlist_init(&l);
	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		strlist_add(&l, buf);
		ck_assert_ptr_null(l.items[l.count]);
	}
	ck_assert_uint_eq(l.count, 1000);
	ck_assert_str_eq(l.items[999], "s999");
	strlist_free(&l);
	ck_assert_uint_eq(l.count, 0);
}
END_TEST

START_TEST(test_contains_ci)
{
	struct strlist l;

	strlist_init(&l);
	ck_assert_int_eq(strlist_contains_ci(&l, "x"), 0);
	strlist_split(&l, "PIPELINING size", " ");
	ck_assert_int_ne(strlist_contains_ci(&l, "pipelining"), 0);
	ck_assert_int_ne(strlist_contains_ci(&l, "SIZE"), 0);
	ck_assert_int_eq(strlist_contains_ci(&l, "SIZ"), 0);
	strlist_free(&l);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("strlist");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_add_grow_null_terminated);
	tcase_add_test(tc, test_contains_ci);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
