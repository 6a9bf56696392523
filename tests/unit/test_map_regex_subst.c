/*
 * test_map_regex_subst - "$1" substitution in pcre:/regexp: results:
 * what is accepted when the table is read, and what a lookup makes of
 * groups that matched, matched nothing, or did not take part.
 */
#include <check.h>
#include <string.h>

#include "map_regex_subst.h"
#include "strbuf.h"
#include "unit.h"

START_TEST(test_subst_check)
{
	static const struct {
		const char *text;
		int rc;
		int max;
	} cases[] = {
		{"plain text", 0, -1},
		{"costs $$5", 0, -1},
		{"$1", 0, 1},
		{"${2}@x $(3)", 0, 3},
		{"$0", 0, 0},
		{"$99", 0, 99},
		{"$1@$2.example", 0, 2},
		{"$", -1, 0},
		{"a $ b", -1, 0},
		{"$x", -1, 0},
		{"$1abc", -1, 0},
		{"$100", -1, 0},
		{"${1", -1, 0},
		{"${}", -1, 0},
		{"$()", -1, 0},
		{"${a}", -1, 0},
		{"${1?x}", -1, 0},
	};
	int max;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = map_regex_subst_check(cases[i].text, &max);

		ck_assert_msg(rc == cases[i].rc, "%s: %d", cases[i].text, rc);
		if (rc == 0)
			ck_assert_msg(max == cases[i].max, "%s: max %d",
			    cases[i].text, max);
	}
}
END_TEST

START_TEST(test_subst_expand)
{
	/* "joe+tag@x": $0 whole, $1 "joe", $2 "" (empty), $3 unset */
	const char *subject = "joe+tag@x";
	size_t ov[8] = {0, 9, 0, 3, 4, 4, MAP_REGEX_UNSET, MAP_REGEX_UNSET};
	struct strbuf out;

	strbuf_init(&out);
	map_regex_subst_expand("[$0][$1][${2}][$(3)] $$ ${1}s", subject, ov, 4,
	    &out);
	ck_assert_str_eq(out.data, "[joe+tag@x][joe][][] $ joes");
	strbuf_reset(&out);
	/* groups beyond those the match set give nothing either */
	map_regex_subst_expand("<$1>", subject, ov, 1, &out);
	ck_assert_str_eq(out.data, "<>");
	strbuf_reset(&out);
	map_regex_subst_expand("no references", subject, ov, 4, &out);
	ck_assert_str_eq(out.data, "no references");
	strbuf_free(&out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("map_regex_subst");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_subst_check);
	tcase_add_test(tc, test_subst_expand);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
