/*
 * test_strbuf - unit tests of lib/util/strbuf.c (growable strings).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "unit.h"

START_TEST(test_append_grow)
{
	struct strbuf sb;

	strbuf_init(&sb);
	ck_assert_str_eq(sb.data, "");
	for (int i = 0; i < 10000; i++)
		strbuf_putc(&sb, 'a' + i % 26);
	ck_assert_uint_eq(sb.len, 10000);
	ck_assert_int_eq(sb.data[10000], '\0');
	ck_assert_int_eq(sb.data[27], 'b');
	ck_assert_uint_ge(sb.cap, 10001);
	strbuf_free(&sb);
	ck_assert_ptr_null(sb.data);
}
END_TEST

START_TEST(test_binary_safe)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_append(&sb, "a\0b", 3);
	strbuf_append(&sb, "", 0);
	ck_assert_uint_eq(sb.len, 3);
	ck_assert_int_eq(memcmp(sb.data, "a\0b\0", 4), 0);
	strbuf_free(&sb);
}
END_TEST

START_TEST(test_printf_long)
{
	struct strbuf sb;
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_init(&sb);
	strbuf_puts(&sb, "<");
	strbuf_printf(&sb, "%s|%d", big, 42);
	ck_assert_uint_eq(sb.len, 1 + 4999 + 3);
	ck_assert_str_eq(sb.data + sb.len - 3, "|42");
	ck_assert_int_eq(sb.data[0], '<');
	strbuf_free(&sb);
}
END_TEST

START_TEST(test_set_trim_lower_truncate)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_set(&sb, " \t MiXeD Case \r\n");
	strbuf_trim(&sb);
	ck_assert_str_eq(sb.data, "MiXeD Case");
	ck_assert_uint_eq(sb.len, 10);
	strbuf_lower(&sb);
	ck_assert_str_eq(sb.data, "mixed case");
	strbuf_truncate(&sb, 5);
	ck_assert_str_eq(sb.data, "mixed");
	strbuf_truncate(&sb, 50);	/* never lengthens */
	ck_assert_str_eq(sb.data, "mixed");
	strbuf_set(&sb, "   ");
	strbuf_trim(&sb);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_str_eq(sb.data, "");
	strbuf_reset(&sb);
	ck_assert_uint_eq(sb.len, 0);
	strbuf_free(&sb);
}
END_TEST

START_TEST(test_detach)
{
	struct strbuf sb;
	char *p;

	strbuf_init(&sb);
	strbuf_puts(&sb, "owned");
	p = strbuf_detach(&sb);
	ck_assert_str_eq(p, "owned");
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_str_eq(sb.data, "");
	strbuf_puts(&sb, "again");
	ck_assert_str_eq(sb.data, "again");
	free(p);
	strbuf_free(&sb);
}
END_TEST

START_TEST(test_self_append)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_puts(&sb, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz");
	/* appending a buffer to itself must survive the reallocation */
	strbuf_append(&sb, sb.data, sb.len);
	ck_assert_uint_eq(sb.len, 124);
	ck_assert_int_eq(memcmp(sb.data, sb.data + 62, 62), 0);
	strbuf_free(&sb);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_append_grow);
	tcase_add_test(tc, test_binary_safe);
	tcase_add_test(tc, test_printf_long);
	tcase_add_test(tc, test_set_trim_lower_truncate);
	tcase_add_test(tc, test_detach);
	tcase_add_test(tc, test_self_append);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
