/*
 * test_async_fsync - unit tests of lib/async_fsync.c: an fsync started
 * on a file or a directory completes with 0; several outstanding ones
 * can be waited for in any order; a bad descriptor reports EBADF from
 * the wait, whether the kernel refused the request or the fallback ran.
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "async_fsync.h"
#include "unit.h"

static char	 topdir[64];

static void
setup(void)
{
	snprintf(topdir, sizeof(topdir), "/tmp/test_async_fsync.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(topdir));
}

static void
teardown(void)
{
	char	 cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", topdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* new_file - an open file with some content in the scratch directory */
static int
new_file(const char *name)
{
	char	 path[PATH_MAX];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", topdir, name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "content\n", 8), 8);
	return (fd);
}

START_TEST(test_file_and_directory)
{
	struct async_fsync a, d;
	int	 fd, dfd;

	fd = new_file("one");
	dfd = open(topdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	async_fsync_start(&d, dfd);
	async_fsync_start(&a, fd);
	ck_assert_int_eq(async_fsync_wait(&a), 0);
	ck_assert(a.done);
	ck_assert_int_eq(async_fsync_wait(&d), 0);
	ck_assert(d.done);
	close(fd);
	close(dfd);
}
END_TEST

START_TEST(test_many_in_any_order)
{
	struct async_fsync a[20];
	int	 fd[20];
	char	 name[16];

	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		fd[i] = new_file(name);
		async_fsync_start(&a[i], fd[i]);
	}
	/* last first: the others' completions are kept until asked for */
	for (int i = 19; i >= 0; i--) {
		ck_assert_int_eq(async_fsync_wait(&a[i]), 0);
		close(fd[i]);
	}
}
END_TEST

START_TEST(test_bad_descriptor)
{
	struct async_fsync a;
	int	 fd = new_file("gone");

	close(fd);
	async_fsync_start(&a, fd);
	errno = 0;
	ck_assert_int_eq(async_fsync_wait(&a), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("async_fsync");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_and_directory);
	tcase_add_test(tc, test_many_in_any_order);
	tcase_add_test(tc, test_bad_descriptor);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
