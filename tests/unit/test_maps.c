/*
 * test_maps - lookup tables: static, inline, unix, lmdb (build, lookup,
 * rebuild while open, malformed sources) and map lists.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "strbuf.h"
#include "unit.h"

static char tmpdir[64];

/* write_file - create path with text */
static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* lookup - convenience: result code, value copied into buf */
static int
lookup(struct map *map, const char *key, struct strbuf *value)
{
	return (map_lookup(map, key, value));
}

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/test_maps.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	(void)system(cmd);
}

START_TEST(test_static)
{
	struct strbuf err, v;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	m = map_open("static:OK", &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(lookup(m, "anything", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "OK");
	ck_assert_str_eq(map_spec(m), "static:OK");
	map_close(m);
	m = map_open("static:{ text with spaces }", &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(lookup(m, "x", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "text with spaces");
	map_close(m);
	ck_assert_ptr_null(map_open("static:{unterminated", &err));
	ck_assert_ptr_nonnull(strstr(err.data, "missing '}'"));
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

START_TEST(test_inline)
{
	struct strbuf err, v;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	m = map_open("inline:{ a=1, B=two,c=3\n{ key with = value, with comma } "
	    "{d=}}", &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert_int_eq(lookup(m, "a", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "1");
	ck_assert_int_eq(lookup(m, "b", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "two");
	ck_assert_int_eq(lookup(m, "A", &v), MAP_FOUND);
	ck_assert_int_eq(lookup(m, "C", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "3");
	ck_assert_int_eq(lookup(m, "key with", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "value, with comma");
	ck_assert_int_eq(lookup(m, "d", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "");
	ck_assert_int_eq(lookup(m, "e", &v), MAP_NOTFOUND);
	ck_assert_uint_eq(v.len, 0);
	ck_assert_int_eq(lookup(m, "", &v), MAP_NOTFOUND);
	map_close(m);

	/* duplicates: the later one wins */
	m = map_open("inline:{k=old, K=new}", &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(lookup(m, "k", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "new");
	map_close(m);
	m = map_open("inline:{}", &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(lookup(m, "k", &v), MAP_NOTFOUND);
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

START_TEST(test_inline_malformed)
{
	static const char *bad[] = {
		"inline:a=b", "inline:{a=b", "inline:a=b}", "inline:{a}",
		"inline:{=b}", "inline:{a=b, c}", "inline:{ {a=b}x }",
		"inline:{{a=b}", "inline:{a=b}}", "inline:{a = b}", "inline:",
	};
	struct strbuf err;

	strbuf_init(&err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		ck_assert_msg(map_open(bad[i], &err) == NULL, "accepted %s", bad[i]);
		ck_assert_msg(err.len > 0, "no error text for %s", bad[i]);
	}
	strbuf_free(&err);
}
END_TEST

START_TEST(test_open_errors)
{
	struct strbuf err;

	strbuf_init(&err);
	ck_assert_ptr_null(map_open("nosuchtype:x", &err));
	ck_assert_ptr_nonnull(strstr(err.data, "unsupported type"));
	strbuf_reset(&err);
	ck_assert_ptr_null(map_open("nocolon", &err));
	ck_assert_ptr_null(map_open(":x", &err));
	ck_assert_ptr_null(map_open("lmdb:", &err));
	ck_assert_ptr_null(map_open("lmdb:/nonexistent/table", &err));
	ck_assert_ptr_null(map_open("unix:group.byname", &err));
	strbuf_free(&err);
}
END_TEST

START_TEST(test_unix_passwd)
{
	struct strbuf err, v;
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	m = map_open("unix:passwd.byname", &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(lookup(m, "root", &v), MAP_FOUND);
	ck_assert_msg(strncmp(v.data, "root:x:0:0:", 11) == 0, "%s", v.data);
	ck_assert_int_eq(lookup(m, "ROOT", &v), MAP_FOUND);
	ck_assert_int_eq(lookup(m, "no-such-user-xyzzy", &v), MAP_NOTFOUND);
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
}
END_TEST

/* count_tmp_files - leftovers of the build in tmpdir */
static int
count_tmp_files(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".tmp") != NULL || strstr(de->d_name, "-lock"))
			n++;
	closedir(d);
	return (n);
}

START_TEST(test_lmdb_table)
{
	struct strbuf err, v, spec;
	char path[128];
	struct map *m;
	struct stat st;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&spec);
	snprintf(path, sizeof(path), "%s/table", tmpdir);
	write_file(path,
	    "# a comment\n"
	    "\n"
	    "Example.COM   OK\n"
	    "multi  first part\n"
	    "   second part\n"
	    "  # indented comment\n"
	    "dup  one\n"
	    "dup\ttwo\n"
	    "spaces  value with  spaces   \r\n");
	ck_assert_msg(map_lmdb_build(path, MAP_SOURCE_TABLE, &err) == 0, "%s", err.data);
	ck_assert_int_eq(count_tmp_files(), 0);
	strbuf_printf(&spec, "lmdb:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert_int_eq(lookup(m, "example.com", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "OK");
	ck_assert_int_eq(lookup(m, "EXAMPLE.com", &v), MAP_FOUND);
	ck_assert_int_eq(lookup(m, "multi", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "first part second part");
	ck_assert_int_eq(lookup(m, "dup", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "two");
	ck_assert_int_eq(lookup(m, "spaces", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "value with  spaces");
	ck_assert_int_eq(lookup(m, "#", &v), MAP_NOTFOUND);
	ck_assert_int_eq(lookup(m, "", &v), MAP_NOTFOUND);
	ck_assert_int_eq(lookup(m, "missing", &v), MAP_NOTFOUND);

	/* rebuild while open: the open map sees the new table */
	write_file(path, "example.com REJECT\nnew.example OK\n");
	ck_assert_msg(map_lmdb_build(path, MAP_SOURCE_TABLE, &err) == 0, "%s", err.data);
	ck_assert_int_eq(lookup(m, "example.com", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "REJECT");
	ck_assert_int_eq(lookup(m, "new.example", &v), MAP_FOUND);
	ck_assert_int_eq(lookup(m, "multi", &v), MAP_NOTFOUND);

	/* a malformed source leaves the installed table alone */
	write_file(path, "good value\nbadline\n");
	strbuf_reset(&err);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), -1);
	ck_assert_msg(strstr(err.data, ":2: ") != NULL, "%s", err.data);
	ck_assert_int_eq(lookup(m, "new.example", &v), MAP_FOUND);
	ck_assert_int_eq(count_tmp_files(), 0);
	map_close(m);

	/* mode follows the source, for a rebuilt table as for a new one */
	chmod(path, 0600);
	write_file(path, "k v\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	strbuf_reset(&spec);
	strbuf_printf(&spec, "%s.lmdb", path);
	ck_assert_int_eq(stat(spec.data, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(unlink(spec.data), 0);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	ck_assert_int_eq(stat(spec.data, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&spec);
}
END_TEST

START_TEST(test_lmdb_malformed)
{
	static const char *bad[] = {
		"  continuation first\n",
		"keyonly\n",
		"ok v\nkeyonly   \n",
	};
	struct strbuf err, big;
	char path[128];

	strbuf_init(&err);
	strbuf_init(&big);
	snprintf(path, sizeof(path), "%s/bad", tmpdir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i]);
		strbuf_reset(&err);
		ck_assert_msg(map_lmdb_build(path, MAP_SOURCE_TABLE, &err) == -1,
		    "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err.data, path));
	}
	/* key over the LMDB limit */
	for (int i = 0; i < 600; i++)
		strbuf_putc(&big, 'k');
	strbuf_puts(&big, " v\n");
	write_file(path, big.data);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), -1);
	/* NUL byte */
	{
		FILE *fp = fopen(path, "w");

		fwrite("a\0b c\n", 1, 6, fp);
		fclose(fp);
	}
	strbuf_reset(&err);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, ":1: NUL"));
	/* missing source, directory as source */
	ck_assert_int_eq(map_lmdb_build("/nonexistent/x", MAP_SOURCE_TABLE, &err), -1);
	ck_assert_int_eq(map_lmdb_build(tmpdir, MAP_SOURCE_TABLE, &err), -1);
	ck_assert_int_eq(count_tmp_files(), 0);
	strbuf_free(&err);
	strbuf_free(&big);
}
END_TEST

START_TEST(test_lmdb_aliases)
{
	struct strbuf err, v, spec;
	char path[128];
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&spec);
	snprintf(path, sizeof(path), "%s/aliases", tmpdir);
	write_file(path,
	    "# aliases\n"
	    "postmaster: root\n"
	    "Team:alice,\n"
	    "\tbob,  carol\n"
	    "pipe: \"|/usr/bin/cmd arg\"\n");
	ck_assert_msg(map_lmdb_build(path, MAP_SOURCE_ALIASES, &err) == 0, "%s", err.data);
	strbuf_printf(&spec, "lmdb:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(lookup(m, "postmaster", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "root");
	ck_assert_int_eq(lookup(m, "team", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "alice, bob,  carol");
	ck_assert_int_eq(lookup(m, "pipe", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "\"|/usr/bin/cmd arg\"");
	map_close(m);

	write_file(path, "root: admin\nno colon here\n");
	strbuf_reset(&err);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_ALIASES, &err), -1);
	ck_assert_msg(strstr(err.data, "aliases:2: ") != NULL, "%s", err.data);
	write_file(path, "empty:\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_ALIASES, &err), -1);
	write_file(path, "two words: x\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_ALIASES, &err), -1);
	/* an empty source builds an empty table */
	write_file(path, "# nothing\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_ALIASES, &err), 0);
	m = map_open(spec.data, &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(lookup(m, "root", &v), MAP_NOTFOUND);
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&spec);
}
END_TEST

START_TEST(test_lmdb_changed)
{
	struct strbuf err, spec, lpath, v;
	struct map_list *list;
	char path[128], other[128];
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&spec);
	strbuf_init(&lpath);
	strbuf_init(&v);
	snprintf(path, sizeof(path), "%s/changing", tmpdir);
	write_file(path, "a 1\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	strbuf_printf(&spec, "lmdb:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_ptr_nonnull(m);
	list = map_list_open(spec.data, &err);
	ck_assert_ptr_nonnull(list);
	ck_assert(!map_changed(m));
	ck_assert(!map_list_changed(list));
	/*
	 * rebuilt: the same file gets the new entries, which the open map
	 * answers with at once; nothing to restart for
	 */
	write_file(path, "a 2\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	ck_assert(!map_changed(m));
	ck_assert(!map_list_changed(list));
	ck_assert_int_eq(map_list_lookup(list, "a", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "2");
	/* replaced by another file (a copy renamed over it): a new inode */
	snprintf(other, sizeof(other), "%s/other", tmpdir);
	write_file(other, "a 3\n");
	ck_assert_int_eq(map_lmdb_build(other, MAP_SOURCE_TABLE, &err), 0);
	strbuf_printf(&lpath, "%s.lmdb", path);
	strbuf_reset(&spec);
	strbuf_printf(&spec, "%s.lmdb", other);
	ck_assert_int_eq(rename(spec.data, lpath.data), 0);
	ck_assert(map_changed(m));
	ck_assert(map_list_changed(list));
	map_list_close(list);
	map_close(m);
	strbuf_reset(&spec);
	strbuf_printf(&spec, "lmdb:%s", path);
	/* path out of sight (as after chroot): our copy unlinked = changed */
	m = map_open(spec.data, &err);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(unlink(lpath.data), 0);
	ck_assert(map_changed(m));
	map_close(m);
	/* tables without files never change */
	m = map_open("inline:{x=y}", &err);
	ck_assert(!map_changed(m));
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&spec);
	strbuf_free(&lpath);
	strbuf_free(&v);
}
END_TEST

START_TEST(test_lmdb_many)
{
	struct strbuf err, v, spec, text;
	char path[128], key[32];
	struct map *m;
	FILE *fp;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&spec);
	strbuf_init(&text);
	snprintf(path, sizeof(path), "%s/many", tmpdir);
	fp = fopen(path, "w");
	for (int i = 0; i < 20000; i++)
		fprintf(fp, "key%d value-%d\n", i, i);
	fclose(fp);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	strbuf_printf(&spec, "lmdb:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_ptr_nonnull(m);
	snprintf(key, sizeof(key), "KEY%d", 12345);
	ck_assert_int_eq(lookup(m, key, &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "value-12345");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&spec);
	strbuf_free(&text);
}
END_TEST

START_TEST(test_map_list)
{
	struct strbuf err, v, specs;
	struct map_list *list;
	char path[128];

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&specs);
	snprintf(path, sizeof(path), "%s/l", tmpdir);
	write_file(path, "a from-lmdb\nc from-lmdb\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	strbuf_printf(&specs, "inline:{a=from-inline, { b = x y }},lmdb:%s\n"
	    "  static:{fallback value}", path);
	list = map_list_open(specs.data, &err);
	ck_assert_msg(list != NULL, "%s", err.data);
	ck_assert_int_eq(map_list_count(list), 3);
	ck_assert_int_eq(map_list_lookup(list, "A", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "from-inline");
	ck_assert_int_eq(map_list_lookup(list, "b", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "x y");
	ck_assert_int_eq(map_list_lookup(list, "c", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "from-lmdb");
	ck_assert_int_eq(map_list_lookup(list, "zzz", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "fallback value");
	map_list_close(list);

	list = map_list_open("inline:{a=1}", &err);
	ck_assert_int_eq(map_list_lookup(list, "b", &v), MAP_NOTFOUND);
	map_list_close(list);
	list = map_list_open("", &err);
	ck_assert_ptr_nonnull(list);
	ck_assert_int_eq(map_list_count(list), 0);
	ck_assert_int_eq(map_list_lookup(list, "a", &v), MAP_NOTFOUND);
	map_list_close(list);
	ck_assert_ptr_null(map_list_open("inline:{a=1} bogus:x", &err));
	ck_assert_ptr_null(map_list_open("inline:{a=1", &err));
	ck_assert_ptr_null(map_list_open("static:x}", &err));
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&specs);
}
END_TEST

/*
 * partial keys ("@domain", a parent domain) are not put to pattern
 * tables, whose patterns are written for whole keys; the whole key is,
 * unfolded
 */
START_TEST(test_map_list_partial)
{
	struct strbuf err, v, specs;
	struct map_list *list;
	char path[128];

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&specs);
	snprintf(path, sizeof(path), "%s/p.pcre", tmpdir);
	write_file(path, "/^@/ pattern saw a partial key\n"
	    "/^(Joe)@/ pattern: $1\n");
	strbuf_printf(&specs, "pcre:%s inline:{@example.com=fixed}", path);
	list = map_list_open(specs.data, &err);
	ck_assert_msg(list != NULL, "%s", err.data);
	ck_assert_int_eq(map_list_lookup(list, "Joe@example.com", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "pattern: Joe");
	ck_assert_int_eq(map_list_lookup(list, "joe@example.com", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "pattern: joe");	/* caseless, unfolded */
	ck_assert_int_eq(map_list_lookup_partial(list, "@example.com", &v),
	    MAP_FOUND);
	ck_assert_str_eq(v.data, "fixed");
	ck_assert_int_eq(map_list_lookup(list, "@example.com", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "pattern saw a partial key");
	ck_assert_int_eq(map_list_lookup_partial(list, "@other.example", &v),
	    MAP_NOTFOUND);
	map_list_close(list);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&specs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("maps");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_static);
	tcase_add_test(tc, test_lmdb_changed);
	tcase_add_test(tc, test_inline);
	tcase_add_test(tc, test_inline_malformed);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_unix_passwd);
	tcase_add_test(tc, test_lmdb_table);
	tcase_add_test(tc, test_lmdb_malformed);
	tcase_add_test(tc, test_lmdb_aliases);
	tcase_add_test(tc, test_lmdb_many);
	tcase_add_test(tc, test_map_list);
	tcase_add_test(tc, test_map_list_partial);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
