/*
 * test_map_source - the text format of fixed-key tables ("key value"
 * and aliases(5)) as sluice-map and texthash: read it: comments,
 * continuation lines, folded keys, the colon of aliases, and the errors
 * with their line.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "map_source.h"
#include "strbuf.h"
#include "unit.h"

/* collect - "key=value@line;" for each entry */
static int
collect(void *ctx, const char *key, const char *value, int lineno)
{
	strbuf_printf(ctx, "%s=%s@%d;", key, value, lineno);
	return (0);
}

/* parse - the collected entries, or "ERR: why" */
static void
parse(const char *text, enum map_source_format format, struct strbuf *out)
{
	struct strbuf err;

	strbuf_init(&err);
	strbuf_reset(out);
	if (map_source_parse(text, "src", format, 64, collect, out, &err) != 0) {
		strbuf_reset(out);
		strbuf_printf(out, "ERR: %s", err.data);
	}
	strbuf_free(&err);
}

START_TEST(test_source_table)
{
	struct strbuf out;

	strbuf_init(&out);
	parse("# c\n\nKey  Value One\n  continued\r\nother\tx\n", MAP_SOURCE_TABLE,
	    &out);
	ck_assert_str_eq(out.data, "key=Value One continued@3;other=x@5;");
	parse("a 1\nkeyonly\n", MAP_SOURCE_TABLE, &out);
	ck_assert_str_eq(out.data, "ERR: src:2: expected format: "
	    "key whitespace value");
	parse("root: admin\n", MAP_SOURCE_TABLE, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "src:1: key \"root:\" ends "
	    "in ':' as in an aliases(5) file"));
	parse("  a 1\n", MAP_SOURCE_TABLE, &out);
	ck_assert_ptr_nonnull(strstr(out.data, ":1: continuation"));
	parse("k 01234567890123456789012345678901234567890123456789012345678901234567890\n",
	    MAP_SOURCE_TABLE, &out);
	ck_assert_ptr_nonnull(strstr(out.data, ":1: logical line longer"));
	strbuf_free(&out);
}
END_TEST

START_TEST(test_source_aliases)
{
	struct strbuf out;

	strbuf_init(&out);
	parse("# aliases\nRoot: admin\npostmaster:\troot\nteam: a,\n b\n"
	    "prog: \"|/bin/cat\"\ninc: :include:/etc/list\n", MAP_SOURCE_ALIASES,
	    &out);
	ck_assert_str_eq(out.data, "root=admin@2;postmaster=root@3;"
	    "team=a, b@4;prog=\"|/bin/cat\"@6;inc=:include:/etc/list@7;");
	parse("nocolon value\n", MAP_SOURCE_ALIASES, &out);
	ck_assert_str_eq(out.data, "ERR: src:1: expected format: "
	    "name: value");
	parse("two words: x\n", MAP_SOURCE_ALIASES, &out);
	ck_assert_ptr_nonnull(strstr(out.data, ":1: expected format"));
	parse("empty:\n", MAP_SOURCE_ALIASES, &out);
	ck_assert_ptr_nonnull(strstr(out.data, ":1: expected format"));
	strbuf_free(&out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("map_source");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_source_table);
	tcase_add_test(tc, test_source_aliases);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
