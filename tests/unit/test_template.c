/*
 * test_template - unit tests of lib/util/template.c: every reference form
 * of Postfix's reply templates, the one-level rule, the filtering of
 * values, and the errors (unknown names, unbalanced braces, a lone "$",
 * too deep, too long).
 */
#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "strbuf.h"
#include "template.h"
#include "unit.h"

/* vars - a fixed set of names; "empty" is known and empty */
static const char *
vars(const char *name, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "client") == 0)
		return ("mx.example[192.0.2.1]");
	if (strcmp(name, "empty") == 0)
		return ("");
	if (strcmp(name, "dollar") == 0)
		return ("$client");
	if (strcmp(name, "ctl") == 0)
		return ("a\r\nb\tc\x7f\xc3\xa9");
	if (strcmp(name, "long") == 0) {
		static char big[3000];

		memset(big, 'x', sizeof(big) - 1);
		return (big);
	}
	return (NULL);
}

/* expand - the expansion of text, or "ERR: why" */
static const char *
expand(const char *text)
{
	static struct strbuf out, err;
	static bool ready;

	if (!ready) {
		strbuf_init(&out);
		strbuf_init(&err);
		ready = true;
	}
	strbuf_reset(&out);
	strbuf_reset(&err);
	if (template_expand(text, vars, NULL, &out, &err) != 0) {
		strbuf_reset(&out);
		strbuf_printf(&out, "ERR: %s", err.data);
	}
	return (out.data);
}

START_TEST(references)
{
	ck_assert_str_eq(expand("plain text"), "plain text");
	ck_assert_str_eq(expand("[$client]"), "[mx.example[192.0.2.1]]");
	ck_assert_str_eq(expand("${client}x"), "mx.example[192.0.2.1]x");
	ck_assert_str_eq(expand("$(client)x"), "mx.example[192.0.2.1]x");
	ck_assert_str_eq(expand("a$$b"), "a$b");
	ck_assert_str_eq(expand("${client?; yes}"), "; yes");
	ck_assert_str_eq(expand("${empty?; yes}"), "");
	ck_assert_str_eq(expand("${client:no}"), "");
	ck_assert_str_eq(expand("${empty:no}"), "no");
	ck_assert_str_eq(expand("${client?{A}:{B}}"), "A");
	ck_assert_str_eq(expand("${empty?{A}:{B}}"), "B");
	ck_assert_str_eq(expand("${empty:{B}}"), "B");
	ck_assert_str_eq(expand("${client?{<$client>}}"), "<mx.example[192.0.2.1]>");
	ck_assert_str_eq(expand("${client?x ${empty:y} z}"), "x y z");
	/* the default_rbl_reply of Postfix */
	ck_assert_str_eq(expand("554 Service unavailable; [$client] blocked"
	    "${empty?; $empty}"), "554 Service unavailable; "
	    "[mx.example[192.0.2.1]] blocked");
}
END_TEST

START_TEST(values_are_not_expanded_again_and_are_filtered)
{
	ck_assert_str_eq(expand("$dollar"), "$client");
	ck_assert_str_eq(expand("$ctl"), "a__b_c___");
	/* template text itself is the admin's and kept */
	ck_assert_str_eq(expand("a\tb"), "a\tb");
}
END_TEST

START_TEST(errors)
{
	ck_assert_str_eq(expand("$nosuch"), "ERR: unknown name \"$nosuch\"");
	ck_assert_str_eq(expand("${nosuch?x}"), "ERR: unknown name \"$nosuch\"");
	/* a skipped branch is still checked */
	ck_assert_str_eq(expand("${empty?$nosuch}"),
	    "ERR: unknown name \"$nosuch\"");
	ck_assert_str_eq(expand("cost $"), "ERR: \"$\" not followed by a name "
	    "(write $$ for a dollar)");
	ck_assert_str_eq(expand("$ 5"), "ERR: \"$\" not followed by a name "
	    "(write $$ for a dollar)");
	ck_assert_str_eq(expand("${client"), "ERR: bad character after "
	    "\"${client\"");
	ck_assert_str_eq(expand("${client?x"), "ERR: missing \"}\"");
	ck_assert_str_eq(expand("${client?{x}"), "ERR: missing \"}\" after "
	    "\"${client?\"");
	ck_assert_str_eq(expand("$(client?x)"), "ERR: bad character after "
	    "\"$(client\"");
	ck_assert_str_eq(expand("${client!x}"), "ERR: bad character after "
	    "\"${client\"");
}
END_TEST

START_TEST(limits)
{
	struct strbuf t;
	int i;

	strbuf_init(&t);
	/* nesting */
	for (i = 0; i < 20; i++)
		strbuf_puts(&t, "${client?");
	for (i = 0; i < 20; i++)
		strbuf_puts(&t, "}");
	ck_assert_str_eq(expand(t.data), "ERR: more than 8 nested ${name?...}");
	strbuf_reset(&t);
	for (i = 0; i < 8; i++)
		strbuf_puts(&t, "${client?");
	strbuf_puts(&t, "x");
	for (i = 0; i < 8; i++)
		strbuf_puts(&t, "}");
	ck_assert_str_eq(expand(t.data), "x");
	/* output and template bounds */
	ck_assert_str_eq(expand("$long $long"), "ERR: expansion longer than "
	    "4096 bytes");
	ck_assert_uint_eq(strlen(expand("$long")), 2999);
	strbuf_reset(&t);
	for (i = 0; i < 5000; i++)
		strbuf_putc(&t, 'a');
	ck_assert_str_eq(expand(t.data), "ERR: template longer than 4096 bytes");
	/* a name is bounded */
	strbuf_reset(&t);
	strbuf_putc(&t, '$');
	for (i = 0; i < 100; i++)
		strbuf_putc(&t, 'n');
	ck_assert_str_eq(expand(t.data), "ERR: name too long after \"$\"");
	strbuf_free(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, references);
	tcase_add_test(tc, values_are_not_expanded_again_and_are_filtered);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, limits);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
