/*
 * test_queue_scan - unit tests of lib/queue/queue_scan.c: sorted and bounded
 * directory scans, ID filtering, finding a message's queue, and the safe
 * open that refuses symbolic links, FIFOs and directories.
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queue_scan.h"
#include "strbuf.h"
#include "strlist.h"
#include "unit.h"

static char	 topdir[PATH_MAX];
static char	 olddir[PATH_MAX];

/* setup - a scratch queue directory as the cwd */
static void
setup(void)
{
	ck_assert_ptr_nonnull(getcwd(olddir, sizeof(olddir)));
	snprintf(topdir, sizeof(topdir), "/tmp/test_queue_scan.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(topdir));
	ck_assert_int_eq(chdir(topdir), 0);
	for (const char *const *q = queue_scan_all; *q != NULL; q++)
		ck_assert_int_eq(mkdir(*q, 0700), 0);
}

/* teardown - remove the scratch tree */
static void
teardown(void)
{
	char	 cmd[PATH_MAX + 16];

	ck_assert_int_eq(chdir(olddir), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", topdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* touch - create dir/name */
static void
touch(const char *dir, const char *name)
{
	char	 path[PATH_MAX];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

START_TEST(test_queue_names)
{
	ck_assert_str_eq(queue_scan_all[0], "maildrop");
	ck_assert(queue_scan_is_queue("hold"));
	ck_assert(queue_scan_is_queue("deferred"));
	ck_assert(!queue_scan_is_queue("corrupt"));
	ck_assert(!queue_scan_is_queue("Hold"));
	ck_assert(!queue_scan_is_queue(""));
	ck_assert(!queue_scan_is_queue("../etc"));
}
END_TEST

START_TEST(test_scan_sorted_and_filtered)
{
	struct strlist names;
	struct strbuf err;
	bool	 truncated = true;

	touch("deferred", "65000002000000001");
	touch("deferred", "65000001000000002");
	touch("deferred", "65000001000000001");
	touch("deferred", "not-an-id");
	touch("deferred", ".hidden");
	touch("deferred", "65000001000000001X");
	strlist_init(&names);
	strbuf_init(&err);
	ck_assert_int_eq(queue_scan_dir("deferred", true, 100, &names,
	    &truncated, &err), 0);
	ck_assert(!truncated);
	ck_assert_uint_eq(names.count, 3);
	ck_assert_str_eq(names.items[0], "65000001000000001");
	ck_assert_str_eq(names.items[1], "65000001000000002");
	ck_assert_str_eq(names.items[2], "65000002000000001");
	strlist_free(&names);

	strlist_init(&names);
	ck_assert_int_eq(queue_scan_dir("deferred", false, 100, &names, NULL,
	    &err), 0);
	ck_assert_uint_eq(names.count, 6);
	for (size_t i = 0; i < names.count; i++) {
		ck_assert_str_ne(names.items[i], ".");
		ck_assert_str_ne(names.items[i], "..");
	}
	strlist_free(&names);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_scan_limit_and_errors)
{
	struct strlist names;
	struct strbuf err;
	bool	 truncated = false;
	char	 id[32];

	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "6500000100000%04X", i);
		touch("hold", id);
	}
	strlist_init(&names);
	strbuf_init(&err);
	ck_assert_int_eq(queue_scan_dir("hold", true, 4, &names, &truncated,
	    &err), 0);
	ck_assert(truncated);
	ck_assert_uint_eq(names.count, 4);
	/* appends after what the list already holds, sorting only the new */
	ck_assert_int_eq(queue_scan_dir("incoming", true, 4, &names,
	    &truncated, &err), 0);
	ck_assert(!truncated);
	ck_assert_uint_eq(names.count, 4);
	ck_assert_int_eq(queue_scan_dir("no-such-dir", true, 4, &names, NULL,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err.data, "no-such-dir"));
	strlist_free(&names);
	strbuf_free(&err);
}
END_TEST

START_TEST(test_find)
{
	static const char *const some[] = { "incoming", "hold", NULL };

	touch("hold", "65000001000000001");
	touch("deferred", "65000001000000002");
	ck_assert_str_eq(queue_scan_find(queue_scan_all, "65000001000000001"),
	    "hold");
	ck_assert_str_eq(queue_scan_find(some, "65000001000000001"), "hold");
	ck_assert_ptr_null(queue_scan_find(some, "65000001000000002"));
	ck_assert_ptr_null(queue_scan_find(queue_scan_all, "65000001000000003"));
	/* a dangling symbolic link is still an entry */
	ck_assert_int_eq(symlink("/nonexistent", "active/65000001000000004"), 0);
	ck_assert_str_eq(queue_scan_find(queue_scan_all, "65000001000000004"),
	    "active");
	ck_assert(queue_scan_absent(queue_scan_all, "65000001000000003"));
	ck_assert(!queue_scan_absent(queue_scan_all, "65000001000000001"));
	ck_assert(!queue_scan_absent(queue_scan_all, "65000001000000004"));
	ck_assert(queue_scan_absent(some, "65000001000000002"));
}
END_TEST

/*
 * A queue that cannot be looked into hides what it holds: the message
 * is not known to be absent, though no queue is known to hold it.
 */
START_TEST(test_absent_only_when_known)
{
	static const char *const one[] = { "deferred", NULL };
	bool	 root = geteuid() == 0;

	touch("deferred", "65000001000000005");
	if (root)
		ck_assert_int_eq(seteuid(65534), 0);
	else
		ck_assert_int_eq(chmod("deferred", 0), 0);
	ck_assert_ptr_null(queue_scan_find(one, "65000001000000005"));
	ck_assert(!queue_scan_absent(one, "65000001000000005"));
	ck_assert(!queue_scan_absent(one, "65000001000000006"));
	if (root)
		ck_assert_int_eq(seteuid(0), 0);
	else
		ck_assert_int_eq(chmod("deferred", 0700), 0);
	ck_assert(!queue_scan_absent(one, "65000001000000005"));
	ck_assert(queue_scan_absent(one, "65000001000000006"));
}
END_TEST

START_TEST(test_open_safely)
{
	struct stat st;
	int	 fd;

	touch("incoming", "65000001000000001");
	fd = queue_scan_open("incoming", "65000001000000001", O_RDONLY, &st);
	ck_assert_int_ge(fd, 0);
	ck_assert(S_ISREG(st.st_mode));
	close(fd);

	ck_assert_int_eq(queue_scan_open("incoming", "65000001000000009",
	    O_RDONLY, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);

	ck_assert_int_eq(symlink("65000001000000001",
	    "incoming/65000001000000002"), 0);
	ck_assert_int_eq(queue_scan_open("incoming", "65000001000000002",
	    O_RDONLY, NULL), -1);
	ck_assert_int_eq(errno, ELOOP);

	ck_assert_int_eq(mkfifo("incoming/65000001000000003", 0600), 0);
	ck_assert_int_eq(queue_scan_open("incoming", "65000001000000003",
	    O_RDONLY, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);

	ck_assert_int_eq(mkdir("incoming/65000001000000004", 0700), 0);
	ck_assert_int_eq(queue_scan_open("incoming", "65000001000000004",
	    O_RDONLY, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);

	ck_assert_int_eq(queue_scan_open("incoming", "../hold", O_RDONLY,
	    NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("queue_scan");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_queue_names);
	tcase_add_test(tc, test_scan_sorted_and_filtered);
	tcase_add_test(tc, test_scan_limit_and_errors);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_absent_only_when_known);
	tcase_add_test(tc, test_open_safely);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
