/*
 * test_mem - unit tests of lib/util/mem.c (allocation wrappers).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "unit.h"

const char *__asan_default_options(void);

/* __asan_default_options - let malloc fail instead of ASan aborting */
const char *
__asan_default_options(void)
{
	return ("allocator_may_return_null=1");
}

START_TEST(test_xmalloc_zero)
{
	char *p = xmalloc(0), *q = xcalloc(0, 10);

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	free(p);
	free(q);
}
END_TEST

START_TEST(test_xcalloc_zeroed)
{
	unsigned char *p = xcalloc(100, 3);

	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(p[i], 0);
	p = xrealloc(p, 1000);
	ck_assert_int_eq(p[299], 0);
	free(p);
}
END_TEST

START_TEST(test_strdup_family)
{
	char *a = xstrdup("hello"), *b = xstrndup("hello", 3);
	char *c = xstrndup("hi", 10), *d = xmemdup("a\0b", 3);

	ck_assert_str_eq(a, "hello");
	ck_assert_str_eq(b, "hel");
	ck_assert_str_eq(c, "hi");
	ck_assert_int_eq(memcmp(d, "a\0b\0", 4), 0);
	free(a);
	free(b);
	free(c);
	free(d);
}
END_TEST

START_TEST(test_xmalloc_huge_exits)
{
	/* a size no allocator can satisfy must end the process (exit 1) */
	(void)xmalloc(SIZE_MAX - 16);
}
END_TEST

START_TEST(test_xcalloc_overflow_exits)
{
	(void)xcalloc(SIZE_MAX / 2, 4);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_xmalloc_zero);
	tcase_add_test(tc, test_xcalloc_zeroed);
	tcase_add_test(tc, test_strdup_family);
	tcase_add_exit_test(tc, test_xmalloc_huge_exits, 1);
	tcase_add_exit_test(tc, test_xcalloc_overflow_exits, 1);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
