/*
 * test_map_texthash - texthash: tables (the "key value" text read at
 * open time) and what map_text.c adds to every text table: an edited
 * file is read again at the next lookup, a broken edit keeps the old
 * entries, NUL bytes and over-long lines are refused with their line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "strbuf.h"
#include "unit.h"

static char tmpdir[64];
static char path[128];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/test_map_texthash.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/table", tmpdir);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(tmpdir);
}

/* write_bytes - replace the file (a new inode) with len bytes */
static void
write_bytes(const char *text, size_t len)
{
	char tmp[160];
	FILE *fp;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fp = fopen(tmp, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* open_text - write text and open texthash: on it */
static struct map *
open_text(const char *text, struct strbuf *err)
{
	struct strbuf spec;
	struct map *m;

	write_bytes(text, strlen(text));
	strbuf_init(&spec);
	strbuf_printf(&spec, "texthash:%s", path);
	strbuf_reset(err);
	m = map_open(spec.data, err);
	strbuf_free(&spec);
	return (m);
}

START_TEST(test_texthash_lookup)
{
	struct strbuf err, v;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	m = open_text("# comment\n\nJoe@Example.COM  joe@mail.example\n"
	    "list   one,\n  two\n@example.org  catchall\n", &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert(!map_is_pattern(m));
	ck_assert_int_eq(map_lookup(m, "joe@example.com", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "joe@mail.example");
	ck_assert_int_eq(map_lookup(m, "LIST", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "one, two");
	ck_assert_int_eq(map_lookup(m, "@example.org", &v), MAP_FOUND);
	ck_assert_int_eq(map_lookup(m, "nobody", &v), MAP_NOTFOUND);

	/* edited: the next lookup has the new entries */
	write_bytes("joe@example.com elsewhere\n", 26);
	ck_assert_int_eq(map_lookup(m, "joe@example.com", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "elsewhere");
	ck_assert_int_eq(map_lookup(m, "list", &v), MAP_NOTFOUND);
	/* a broken edit keeps them */
	write_bytes("keyonly\n", 8);
	ck_assert_int_eq(map_lookup(m, "joe@example.com", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "elsewhere");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

START_TEST(test_texthash_garbage)
{
	struct strbuf err, big, spec;

	strbuf_init(&err);
	strbuf_init(&big);
	strbuf_init(&spec);
	ck_assert_ptr_null(open_text("a 1\nkeyonly\n", &err));
	ck_assert_msg(strstr(err.data, ":2: expected format") != NULL,
	    "%s", err.data);
	ck_assert_ptr_null(open_text("root: admin\n", &err));
	ck_assert_msg(strstr(err.data, "aliases(5)") != NULL, "%s", err.data);
	ck_assert_ptr_null(open_text("  a 1\n", &err));
	ck_assert_msg(strstr(err.data, ":1: continuation") != NULL, "%s",
	    err.data);
	write_bytes("a 1\nb\0 2\n", 9);
	strbuf_printf(&spec, "texthash:%s", path);
	strbuf_reset(&err);
	ck_assert_ptr_null(map_open(spec.data, &err));
	ck_assert_msg(strstr(err.data, ":2: NUL byte") != NULL, "%s", err.data);
	strbuf_puts(&big, "k ");
	for (int i = 0; i < 100 * 1024; i++)
		strbuf_putc(&big, 'v');
	ck_assert_ptr_null(open_text(big.data, &err));
	ck_assert_msg(strstr(err.data, ":1: logical line longer") != NULL,
	    "%s", err.data);
	/* not a regular file */
	strbuf_reset(&spec);
	strbuf_printf(&spec, "texthash:%s", tmpdir);
	ck_assert_ptr_null(map_open(spec.data, &err));
	ck_assert_ptr_null(map_open("texthash:/nonexistent/t", &err));
	strbuf_free(&err);
	strbuf_free(&big);
	strbuf_free(&spec);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("map_texthash");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_texthash_lookup);
	tcase_add_test(tc, test_texthash_garbage);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
