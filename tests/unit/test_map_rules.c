/*
 * test_map_rules - the if/endif and '!' syntax of cidr: and pcre:/regexp:
 * tables: keywords in any case and only as whole words, negations that
 * cancel out, nesting that is bounded and balanced.
 */
#include <check.h>
#include <string.h>

#include "map_impl.h"
#include "strbuf.h"
#include "unit.h"

START_TEST(test_rules_keyword)
{
	ck_assert_str_eq(map_rule_keyword("if /a/", "if"), "/a/");
	ck_assert_str_eq(map_rule_keyword("IF\t !/a/", "if"), "!/a/");
	ck_assert_str_eq(map_rule_keyword("endif", "endif"), "");
	ck_assert_str_eq(map_rule_keyword("EndIf  ", "endif"), "");
	ck_assert_ptr_null(map_rule_keyword("ifx /a/", "if"));
	ck_assert_ptr_null(map_rule_keyword("/if/ x", "if"));
	ck_assert_ptr_null(map_rule_keyword("endiff", "endif"));
	ck_assert_ptr_null(map_rule_keyword("i", "if"));
}
END_TEST

START_TEST(test_rules_negation)
{
	const char *cp;

	cp = "/a/";
	ck_assert(!map_rule_negation(&cp));
	ck_assert_str_eq(cp, "/a/");
	cp = "!/a/";
	ck_assert(map_rule_negation(&cp));
	ck_assert_str_eq(cp, "/a/");
	cp = "! ! /a/";
	ck_assert(!map_rule_negation(&cp));
	ck_assert_str_eq(cp, "/a/");
	cp = "!!!";
	ck_assert(map_rule_negation(&cp));
	ck_assert_str_eq(cp, "");
}
END_TEST

START_TEST(test_rules_nest)
{
	struct map_nest nest;
	struct strbuf err;

	memset(&nest, 0, sizeof(nest));
	strbuf_init(&err);
	ck_assert_int_eq(map_nest_check(&nest, "t", &err), 0);
	ck_assert_int_eq(map_nest_pop(&nest), -1);
	ck_assert_int_eq(map_nest_push(&nest, 3, 10), 0);
	ck_assert_int_eq(map_nest_push(&nest, 7, 12), 0);
	ck_assert_int_eq(map_nest_check(&nest, "t", &err), -1);
	ck_assert_str_eq(err.data, "t:12: if without endif");
	ck_assert_int_eq(map_nest_pop(&nest), 7);
	ck_assert_int_eq(map_nest_pop(&nest), 3);
	ck_assert_int_eq(map_nest_pop(&nest), -1);
	for (int i = 0; i < MAP_NEST_MAX; i++)
		ck_assert_int_eq(map_nest_push(&nest, (size_t)i, i + 1), 0);
	ck_assert_int_eq(map_nest_push(&nest, 999, 999), -1);
	ck_assert_int_eq(map_nest_pop(&nest), MAP_NEST_MAX - 1);
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("map_rules");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rules_keyword);
	tcase_add_test(tc, test_rules_negation);
	tcase_add_test(tc, test_rules_nest);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
