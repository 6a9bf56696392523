/*
 * test_map_text - what every text table (texthash:, cidr:, pcre:,
 * regexp:) gets from map_text.c: reading with limits (size, NUL bytes,
 * regular files only), and noticing edits: a replaced file is read at
 * the next lookup while its path is visible; out of sight (as after
 * chroot) an edit in place is read through the open descriptor and a
 * replacement is reported by map_changed().
 */
#include <fcntl.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_impl.h"
#include "maps.h"
#include "strbuf.h"
#include "unit.h"

static char tmpdir[64];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/test_map_text.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s %s.moved", tmpdir, tmpdir);
	(void)system(cmd);
}

/* write_file - path with len bytes of text, in place */
static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_text_read_limits)
{
	struct strbuf text, err;
	char path[128];
	int fd;

	strbuf_init(&text);
	strbuf_init(&err);
	snprintf(path, sizeof(path), "%s/t", tmpdir);
	write_file(path, "0123456789", 10);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(map_text_read(fd, path, 10, &text, &err), 0);
	ck_assert_str_eq(text.data, "0123456789");
	ck_assert_int_eq(map_text_read(fd, path, 9, &text, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "larger than 9 bytes"));
	close(fd);
	write_file(path, "a\nb\nc\0d\n", 8);
	fd = open(path, O_RDONLY);
	strbuf_reset(&err);
	ck_assert_int_eq(map_text_read(fd, path, 100, &text, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, ":3: NUL byte"));
	close(fd);
	fd = open(tmpdir, O_RDONLY);
	strbuf_reset(&err);
	ck_assert_int_eq(map_text_read(fd, tmpdir, 100, &text, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "not a regular file"));
	close(fd);
	strbuf_free(&text);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_text_out_of_sight)
{
	struct strbuf err, v, spec;
	char path[128], moved[100], there[200];
	struct map *m;

	strbuf_init(&err);
	strbuf_init(&v);
	strbuf_init(&spec);
	snprintf(path, sizeof(path), "%s/clients", tmpdir);
	write_file(path, "192.0.2.0/24 old\n", 17);
	strbuf_printf(&spec, "cidr:%s", path);
	m = map_open(spec.data, &err);
	ck_assert_msg(m != NULL, "%s", err.data);
	snprintf(moved, sizeof(moved), "%s.moved", tmpdir);
	ck_assert_int_eq(rename(tmpdir, moved), 0);
	snprintf(there, sizeof(there), "%s/clients", moved);
	/* edited in place: read through the descriptor */
	write_file(there, "192.0.2.0/24 edited in place\n", 29);
	ck_assert_int_eq(map_lookup(m, "192.0.2.1", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "edited in place");
	ck_assert(!map_changed(m));
	/* replaced: cannot be read from here; the old rules answer */
	ck_assert_int_eq(unlink(there), 0);
	write_file(there, "192.0.2.0/24 replaced\n", 22);
	ck_assert(map_changed(m));
	ck_assert_int_eq(map_lookup(m, "192.0.2.1", &v), MAP_FOUND);
	ck_assert_str_eq(v.data, "edited in place");
	map_close(m);
	ck_assert_int_eq(rename(moved, tmpdir), 0);
	strbuf_free(&err);
	strbuf_free(&v);
	strbuf_free(&spec);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("map_text");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_text_read_limits);
	tcase_add_test(tc, test_text_out_of_sight);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
