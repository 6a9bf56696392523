/*
 * test_maps_check - maps_check_reference() and maps_check_list(), what
 * "sluice check" and reload say about table references: unknown types,
 * missing or uncompiled files, stale compiled tables, tables that do not
 * parse (refused, with file and line), and the notices for hash:,
 * btree: and proxy:.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maps.h"
#include "strbuf.h"
#include "unit.h"

static char tmpdir[64];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/test_maps_check.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	(void)system(cmd);
}

/* write_file - tmpdir/name with text; the path in out */
static void
write_file(const char *name, const char *text, char *out, size_t outlen)
{
	FILE *fp;

	snprintf(out, outlen, "%s/%s", tmpdir, name);
	fp = fopen(out, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* check - run maps_check_reference on the printf-formatted spec */
static int
check(struct strbuf *err, struct strbuf *notice, const char *fmt,
    const char *arg)
{
	struct strbuf spec;
	int rc;

	strbuf_init(&spec);
	strbuf_printf(&spec, fmt, arg);
	strbuf_reset(err);
	strbuf_reset(notice);
	rc = maps_check_reference(spec.data, err, notice);
	strbuf_free(&spec);
	return (rc);
}

START_TEST(test_check_reference)
{
	struct strbuf err, notice;
	char virt[128], pcre[128], cidr[128];
	struct timespec later[2];

	strbuf_init(&err);
	strbuf_init(&notice);
	write_file("virtual", "a@example.com b@example.com\n", virt, sizeof(virt));

	/* a Debian admin's hash: table before and after sluice-map */
	ck_assert_int_eq(check(&err, &notice, "hash:%s", virt), -1);
	ck_assert_msg(strstr(err.data, "is not compiled: run \"sluice-map hash:")
	    != NULL, "%s", err.data);
	ck_assert_int_eq(map_lmdb_build(virt, MAP_SOURCE_TABLE, &err), 0);
	ck_assert_msg(check(&err, &notice, "hash:%s", virt) == 0, "%s", err.data);
	ck_assert_msg(strstr(notice.data, "served by lmdb:") != NULL, "%s",
	    notice.data);
	ck_assert_int_eq(check(&err, &notice, "btree:%s", virt), 0);
	ck_assert_int_eq(check(&err, &notice, "lmdb:%s", virt), 0);
	ck_assert_int_eq(notice.len, 0);
	/* the source edited after the build: still valid, with a notice */
	clock_gettime(CLOCK_REALTIME, &later[0]);
	later[0].tv_sec += 10;
	later[1] = later[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, virt, later, 0), 0);
	ck_assert_int_eq(check(&err, &notice, "lmdb:%s", virt), 0);
	ck_assert_msg(strstr(notice.data, "older than its source") != NULL,
	    "%s", notice.data);
	ck_assert_int_eq(check(&err, &notice, "proxy:lmdb:%s", virt), 0);
	ck_assert_msg(strstr(notice.data, "proxy: is not needed") != NULL,
	    "%s", notice.data);

	/* text tables are parsed: an error names file and line */
	write_file("pcre", "/ok/ x\nif /a/\n", pcre, sizeof(pcre));
	ck_assert_int_eq(check(&err, &notice, "pcre:%s", pcre), -1);
	ck_assert_msg(strstr(err.data, ":2: if without endif") != NULL,
	    "%s", err.data);
	write_file("cidr", "127.0.0.1/33 x\n", cidr, sizeof(cidr));
	ck_assert_int_eq(check(&err, &notice, "cidr:%s", cidr), -1);
	ck_assert_msg(strstr(err.data, ":1: bad network prefix") != NULL,
	    "%s", err.data);
	ck_assert_int_eq(check(&err, &notice, "regexp:%s", "/nonexistent/r"), -1);
	ck_assert_int_eq(check(&err, &notice, "texthash:%s", virt), 0);
	ck_assert_int_eq(check(&err, &notice, "%s", "inline:{a=b}"), 0);
	ck_assert_int_eq(check(&err, &notice, "%s", "static:OK"), 0);

	/* unknown types and bad syntax */
	ck_assert_int_eq(check(&err, &notice, "dbm:%s", virt), -1);
	ck_assert_msg(strstr(err.data, "unknown table type \"dbm\"") != NULL,
	    "%s", err.data);
	ck_assert_int_eq(check(&err, &notice, "%s", "noclon"), -1);
	ck_assert_int_eq(check(&err, &notice, "%s", "proxy:nothing"), -1);
	ck_assert_int_eq(check(&err, &notice, "%s", "lmdb:/nonexistent/x"), -1);
	strbuf_free(&err);
	strbuf_free(&notice);
}
END_TEST

START_TEST(test_check_list)
{
	struct strbuf err, notice, list;
	char virt[128];

	strbuf_init(&err);
	strbuf_init(&notice);
	strbuf_init(&list);
	write_file("virtual", "a b\n", virt, sizeof(virt));
	ck_assert_int_eq(map_lmdb_build(virt, MAP_SOURCE_TABLE, &err), 0);
	strbuf_printf(&list, "hash:%s, inline:{x=y, z=w} texthash:%s", virt, virt);
	ck_assert_msg(maps_check_list(list.data, &err, &notice) == 0, "%s",
	    err.data);
	ck_assert_ptr_nonnull(strstr(notice.data, "served by lmdb:"));
	strbuf_reset(&list);
	strbuf_printf(&list, "lmdb:%s, nosuch:%s", virt, virt);
	ck_assert_int_eq(maps_check_list(list.data, &err, &notice), -1);
	ck_assert_int_eq(maps_check_list("inline:{a=b", &err, &notice), -1);
	ck_assert_int_eq(maps_check_list("", &err, &notice), 0);
	strbuf_free(&err);
	strbuf_free(&notice);
	strbuf_free(&list);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("maps_check");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_check_reference);
	tcase_add_test(tc, test_check_list);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
