/*
 * test_map_lmdb_update - lmdb: tables rebuilt in place: a reader whose
 * path went out of sight (as in a chroot) still gets the new entries at
 * its next lookup, and a reader looking up while another process
 * rebuilds the table in a loop never misses a key that every version
 * has, never gets a temporary failure, and never sees a mixture.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps.h"
#include "strbuf.h"
#include "unit.h"

static char tmpdir[64];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/test_map_lmdb_update.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s %s.moved", tmpdir, tmpdir);
	(void)system(cmd);
}

/* write_file - create path with text */
static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* version - a table where every key's value names the version */
static void
version(const char *path, int n, int keys)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "always v%d\n", n);
	for (int i = 0; i < keys; i++)
		fprintf(fp, "key%d v%d\n", i, n);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_update_out_of_sight)
{
	struct strbuf err, v, spec;
	char path[200], moved[100];
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&spec);
	snprintf(path, sizeof(path), "%s/virtual", tmpdir);
	write_file(path, "old@example.com old\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	strbuf_printf(&spec, "hash:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert_int_eq(map_lookup(m, "new@example.com", &v), MAP_NOTFOUND);
	/* the directory moves away: our path no longer names the file */
	snprintf(moved, sizeof(moved), "%s.moved", tmpdir);
	ck_assert_int_eq(rename(tmpdir, moved), 0);
	snprintf(path, sizeof(path), "%s/virtual", moved);
	write_file(path, "new@example.com new\n");
	ck_assert_msg(map_lmdb_build(path, MAP_SOURCE_TABLE, &err) == 0, "%s",
	    err.data);
	ck_assert_int_eq(map_lookup(m, "new@example.com", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "new");
	ck_assert_int_eq(map_lookup(m, "old@example.com", &v), MAP_NOTFOUND);
	ck_assert(!map_changed(m));
	map_close(m);
	ck_assert_int_eq(rename(moved, tmpdir), 0);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&spec);
}
END_TEST

START_TEST(test_update_under_load)
{
	struct strbuf err, v, spec;
	char path[128];
	int status, seen_first = -1, seen_last = -1;
	long lookups = 0;
	struct map *m;
	pid_t pid;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&spec);
	snprintf(path, sizeof(path), "%s/load", tmpdir);
	version(path, 0, 2000);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	strbuf_printf(&spec, "lmdb:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	if ((pid = fork()) == 0) {
		struct strbuf cerr;

		strbuf_init(&cerr);
		/* each version grows, so the map must also be remapped */
		for (int n = 1; n <= 40; n++) {
			version(path, n, 2000 + n * 200);
			if (map_lmdb_build(path, MAP_SOURCE_TABLE, &cerr) != 0)
				_exit(1);
		}
		_exit(0);
	}
	ck_assert_int_ge(pid, 0);
	for (;;) {
		int done = waitpid(pid, &status, WNOHANG) == pid;
		char key[32];
		int n;

		for (int i = 0; i < 50; i++) {
			snprintf(key, sizeof(key), i ? "key%d" : "always", i * 37);
			ck_assert_int_eq(map_lookup(m, key, &v), MAP_FOUND);
			ck_assert_int_eq(sscanf(v.data, "v%d", &n), 1);
			/* one version per lookup, never older than seen */
			ck_assert_int_ge(n, seen_last);
			seen_last = n;
			if (seen_first < 0)
				seen_first = n;
			lookups++;
		}
		if (done)
			break;
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(map_lookup(m, "always", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "v40");
	ck_assert_int_gt(lookups, 0);
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&spec);
}
END_TEST

START_TEST(test_update_keeps_old_on_error)
{
	struct strbuf err, v, spec;
	char path[128];
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&spec);
	snprintf(path, sizeof(path), "%s/t", tmpdir);
	write_file(path, "a 1\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	strbuf_printf(&spec, "lmdb:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_ptr_nonnull(m);
	/* an aliases file given as a table: refused, the table stays */
	write_file(path, "root: admin\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), -1);
	ck_assert_msg(strstr(err.data, ":1: key \"root:\" ends in ':'") &&
	    strstr(err.data, "sluice-map -a"), "%s", err.data);
	ck_assert_int_eq(map_lookup(m, "a", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "1");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&spec);
}
END_TEST

START_TEST(test_update_grows_past_the_readers_map)
{
	struct strbuf err, v, spec;
	char path[128], key[32];
	struct map *m;
	FILE *fp;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&spec);
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	write_file(path, "small 1\n");
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), 0);
	strbuf_printf(&spec, "lmdb:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	/* far more than the 16 MiB the reader mapped */
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	for (int i = 0; i < 120000; i++)
		fprintf(fp, "key%d %0200d\n", i, i);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_msg(map_lmdb_build(path, MAP_SOURCE_TABLE, &err) == 0, "%s",
	    err.data);
	snprintf(key, sizeof(key), "key%d", 119999);
	ck_assert_int_eq(map_lookup(m, key, &v), MAP_FOUND);
	ck_assert_int_eq(v.len, 200);
	ck_assert_int_eq(map_lookup(m, "small", &v), MAP_NOTFOUND);
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&spec);
}
END_TEST

START_TEST(test_update_replaces_a_damaged_table)
{
	struct strbuf err, v, spec, lpath;
	char path[128];
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&spec);
	strbuf_init(&lpath);
	snprintf(path, sizeof(path), "%s/d", tmpdir);
	strbuf_printf(&lpath, "%s.lmdb", path);
	/* not LMDB at all (a Berkeley DB file, a copy gone wrong) */
	write_file(lpath.data, "this is no LMDB file, but it is long enough to "
	    "have a header LMDB would look for; padding padding padding padding "
	    "padding padding padding padding padding padding padding padding\n");
	write_file(path, "a 1\n");
	ck_assert_msg(map_lmdb_build(path, MAP_SOURCE_TABLE, &err) == 0, "%s",
	    err.data);
	strbuf_printf(&spec, "lmdb:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	ck_assert_int_eq(map_lookup(m, "a", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "1");
	map_close(m);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&spec);
	strbuf_free(&lpath);
}
END_TEST

START_TEST(test_update_refuses_a_planted_link)
{
	struct strbuf err, lpath;
	char path[128], victim[128];
	struct stat st;

	strbuf_init(&err);
	strbuf_init(&lpath);
	snprintf(path, sizeof(path), "%s/t", tmpdir);
	snprintf(victim, sizeof(victim), "%s/victim", tmpdir);
	write_file(victim, "precious\n");
	ck_assert_int_eq(chmod(victim, 0600), 0);
	write_file(path, "a 1\n");
	ck_assert_int_eq(chmod(path, 0644), 0);
	strbuf_printf(&lpath, "%s.lmdb", path);
	ck_assert_int_eq(symlink(victim, lpath.data), 0);
	ck_assert_int_eq(map_lmdb_build(path, MAP_SOURCE_TABLE, &err), -1);
	ck_assert_int_eq(stat(victim, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, 9);
	strbuf_free(&err);
	strbuf_free(&lpath);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("map_lmdb_update");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_update_out_of_sight);
	tcase_add_test(tc, test_update_under_load);
	tcase_add_test(tc, test_update_keeps_old_on_error);
	tcase_add_test(tc, test_update_grows_past_the_readers_map);
	tcase_add_test(tc, test_update_refuses_a_planted_link);
	tcase_add_test(tc, test_update_replaces_a_damaged_table);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
