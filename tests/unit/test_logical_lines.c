/*
 * test_logical_lines - comments, blank lines, continuations and limits.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "logical_lines.h"
#include "strbuf.h"
#include "unit.h"

/* collect - "N:line|" for each logical line */
static int
collect(struct strbuf *line, int lineno, void *ctx)
{
	strbuf_printf(ctx, "%d:%s|", lineno, line->data);
	return (strcmp(line->data, "fail") == 0 ? -1 : 0);
}

/* run - the collected lines of text, or the error */
static int
run(const char *text, size_t max, struct strbuf *out, struct strbuf *err)
{
	strbuf_reset(out);
	strbuf_reset(err);
	return (logical_lines(text, "f", "thing", max, collect, out, err));
}

START_TEST(test_structure)
{
	struct strbuf out, err;

	strbuf_init(&out);
	strbuf_init(&err);
	ck_assert_int_eq(run("a = 1\n# c\n\n  # indented comment\nb = 2\n"
	    "  more\n\tand more\nc\n", 1000, &out, &err), 0);
	ck_assert_str_eq(out.data, "1:a = 1|5:b = 2 more and more|8:c|");
	/* no final newline, blank lines inside a continuation */
	ck_assert_int_eq(run("x\n\n y", 1000, &out, &err), 0);
	ck_assert_str_eq(out.data, "1:x y|");
	ck_assert_int_eq(run("", 1000, &out, &err), 0);
	ck_assert_str_eq(out.data, "");
	strbuf_free(&out);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_errors)
{
	struct strbuf out, err;

	strbuf_init(&out);
	strbuf_init(&err);
	ck_assert_int_eq(run("  orphan\nx\n", 1000, &out, &err), -1);
	ck_assert_str_eq(err.data,
	    "f:1: continuation line without a preceding thing");
	ck_assert_int_eq(run("x\n yyyyyyyyyy\n", 8, &out, &err), -1);
	ck_assert_str_eq(err.data, "f:1: logical line longer than 8 bytes");
	/* the callback's failure stops the walk */
	ck_assert_int_eq(run("a\nfail\nb\n", 1000, &out, &err), -1);
	ck_assert_str_eq(out.data, "1:a|2:fail|");
	strbuf_free(&out);
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("logical_lines");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_structure);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
