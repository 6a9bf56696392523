/*
 * test_domain_list - mydestination-style domain lists.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain_list.h"
#include "maps.h"
#include "strbuf.h"
#include "unit.h"

START_TEST(test_names)
{
	struct strbuf err;
	struct domain_list *l;

	strbuf_init(&err);
	l = domain_list_open("mail.Example.COM, localhost\t.sub.example.org. "
	    "example.net.", &err);
	ck_assert_msg(l != NULL, "%s", err.data);
	ck_assert_int_eq(domain_list_match(l, "mail.example.com"), 1);
	ck_assert_int_eq(domain_list_match(l, "MAIL.EXAMPLE.COM."), 1);
	ck_assert_int_eq(domain_list_match(l, "example.com"), 0);
	ck_assert_int_eq(domain_list_match(l, "x.mail.example.com"), 0);
	ck_assert_int_eq(domain_list_match(l, "localhost"), 1);
	ck_assert_int_eq(domain_list_match(l, "a.sub.example.org"), 1);
	ck_assert_int_eq(domain_list_match(l, "a.b.sub.example.org"), 1);
	ck_assert_int_eq(domain_list_match(l, "sub.example.org"), 0);
	ck_assert_int_eq(domain_list_match(l, "xsub.example.org"), 0);
	ck_assert_int_eq(domain_list_match(l, "example.net"), 1);
	ck_assert_int_eq(domain_list_match(l, "example.net.."), 1);
	ck_assert_int_eq(domain_list_match(l, ""), 0);
	ck_assert_int_eq(domain_list_match(l, "."), 0);
	domain_list_free(l);

	l = domain_list_open("", &err);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(domain_list_match(l, "localhost"), 0);
	domain_list_free(l);
	l = domain_list_open("!bad.example.com .example.com", &err);
	ck_assert_int_eq(domain_list_match(l, "bad.example.com"), 0);
	ck_assert_int_eq(domain_list_match(l, "good.example.com"), 1);
	domain_list_free(l);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_tables)
{
	char dir[] = "/tmp/test_dl.XXXXXX", path[64], spec[128];
	struct strbuf err;
	struct domain_list *l;
	FILE *fp;

	strbuf_init(&err);
	l = domain_list_open("inline:{relay.example=ok, .parent.example=ok} "
	    "static.example", &err);
	ck_assert_msg(l != NULL, "%s", err.data);
	ck_assert_int_eq(domain_list_match(l, "Relay.Example"), 1);
	ck_assert_int_eq(domain_list_match(l, "x.relay.example"), 0);
	ck_assert_int_eq(domain_list_match(l, "a.b.parent.example"), 1);
	ck_assert_int_eq(domain_list_match(l, "parent.example"), 0);
	ck_assert_int_eq(domain_list_match(l, "static.example"), 1);
	ck_assert_int_eq(domain_list_match(l, "other.example"), 0);
	domain_list_free(l);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/domains", dir);
	fp = fopen(path, "w");
	fputs("hosted.example OK\n", fp);
	fclose(fp);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	snprintf(spec, sizeof(spec), "localhost lmdb:%s", path);
	l = domain_list_open(spec, &err);
	ck_assert_msg(l != NULL, "%s", err.data);
	ck_assert_int_eq(domain_list_match(l, "HOSTED.example."), 1);
	ck_assert_int_eq(domain_list_match(l, "localhost"), 1);
	ck_assert_int_eq(domain_list_match(l, "nothosted.example"), 0);
	domain_list_free(l);
	snprintf(spec, sizeof(spec), "%s.lmdb", path);
	unlink(spec);
	unlink(path);
	rmdir(dir);

	ck_assert_ptr_null(domain_list_open("lmdb:/nonexistent/x", &err));
	ck_assert_ptr_null(domain_list_open("nosuch:table", &err));
	ck_assert_ptr_null(domain_list_open("inline:{a=b", &err));
	ck_assert_ptr_null(domain_list_open("example.com .", &err));
	strbuf_free(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("domain_list");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_tables);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
