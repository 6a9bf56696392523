/*
 * test_queue_space - unit tests of lib/queue/queue_space.c: Postfix's rule in
 * whole blocks (queue_minfree, 1.5 x message_size_limit, a declared
 * SIZE against the space above queue_minfree) at its boundaries and
 * without overflow; f_bavail (not f_bfree) and f_frsize; the cache
 * (statvfs at most once per QUEUE_SPACE_INTERVAL_MS, again when the
 * clock goes back); one warning when low space begins and one line when
 * it ends, however many checks in between; a statvfs failure accepts
 * and is logged once; a real statvfs of a real directory.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "queue_space.h"
#include "strbuf.h"
#include "unit.h"

#define BS	4096ULL

static char	 tmpdir[64];
static char	 logpath[128];

/* What the fake statvfs reports, and how often it was asked. */
static unsigned long fake_frsize = BS;
static unsigned long fake_bsize = BS;
static unsigned long long fake_bavail;
static unsigned long long fake_bfree;
static int	 fake_errno;
static int	 fake_calls;

/* fake_statvfs - the queue_space_stat_fn of these tests */
static int
fake_statvfs(const char *path, struct statvfs *st)
{
	(void)path;
	fake_calls++;
	if (fake_errno != 0) {
		errno = fake_errno;
		return (-1);
	}
	memset(st, 0, sizeof(*st));
	st->f_frsize = fake_frsize;
	st->f_bsize = fake_bsize;
	st->f_bavail = fake_bavail;
	st->f_bfree = fake_bfree;
	return (0);
}

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_queue_space.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(logpath, sizeof(logpath), "%s/maillog", tmpdir);
	msg_open("test", logpath);
	fake_frsize = fake_bsize = BS;
	fake_bavail = fake_bfree = 0;
	fake_errno = 0;
	fake_calls = 0;
}

static void
teardown(void)
{
	msg_open("test", NULL);
	unlink(logpath);
	rmdir(tmpdir);
}

/* log_count - lines of the log that contain needle */
static int
log_count(const char *needle)
{
	char	 line[2048];
	FILE	*fp = fopen(logpath, "r");
	int	 n = 0;

	if (fp == NULL)
		return (0);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(fp);
	return (n);
}

/* usage - a measurement of avail blocks of BS bytes */
static struct queue_space_usage
usage(unsigned long long avail)
{
	struct queue_space_usage u = { BS, avail };

	return (u);
}

START_TEST(test_minfree_boundary)
{
	struct queue_space_usage u = usage(100);

	ck_assert_int_eq(queue_space_judge(&u, 0, 0, 0), QUEUE_SPACE_OK);
	ck_assert_int_eq(queue_space_judge(&u, 99 * BS, 0, 0), QUEUE_SPACE_OK);
	/* a part block of queue_minfree counts for nothing, as in Postfix */
	ck_assert_int_eq(queue_space_judge(&u, 99 * BS + BS - 1, 0, 0),
	    QUEUE_SPACE_OK);
	ck_assert_int_eq(queue_space_judge(&u, 100 * BS, 0, 0), QUEUE_SPACE_LOW);
	ck_assert_int_eq(queue_space_judge(&u, 1000 * BS, 0, 0), QUEUE_SPACE_LOW);
}
END_TEST

START_TEST(test_size_limit_one_and_a_half)
{
	struct queue_space_usage u = usage(150);

	/* 1.5 x 99 blocks fit into 150, 1.5 x 100 do not */
	ck_assert_int_eq(queue_space_judge(&u, 0, 99 * BS, 0), QUEUE_SPACE_OK);
	ck_assert_int_eq(queue_space_judge(&u, 0, 100 * BS, 0), QUEUE_SPACE_LOW);
	/* both rules apply: either one refuses */
	ck_assert_int_eq(queue_space_judge(&u, 150 * BS, 10 * BS, 0),
	    QUEUE_SPACE_LOW);
}
END_TEST

START_TEST(test_full_file_system_refuses_without_limits)
{
	struct queue_space_usage empty = usage(0), one = usage(1);

	ck_assert_int_eq(queue_space_judge(&empty, 0, 0, 0), QUEUE_SPACE_LOW);
	ck_assert_int_eq(queue_space_judge(&one, 0, 0, 0), QUEUE_SPACE_OK);
}
END_TEST

START_TEST(test_declared_size)
{
	struct queue_space_usage u = usage(1000);

	/* 600 blocks above queue_minfree: 1.5 x 399 fit, 1.5 x 400 do not */
	ck_assert_int_eq(queue_space_judge(&u, 400 * BS, 0, 399 * BS),
	    QUEUE_SPACE_OK);
	ck_assert_int_eq(queue_space_judge(&u, 400 * BS, 0, 400 * BS),
	    QUEUE_SPACE_TOO_BIG);
	/* without queue_minfree the whole space counts */
	ck_assert_int_eq(queue_space_judge(&u, 0, 0, 600 * BS), QUEUE_SPACE_OK);
	ck_assert_int_eq(queue_space_judge(&u, 0, 0, 667 * BS),
	    QUEUE_SPACE_TOO_BIG);
	/* a general refusal wins over the size */
	ck_assert_int_eq(queue_space_judge(&u, 1000 * BS, 0, 999 * BS),
	    QUEUE_SPACE_LOW);
	/* nothing declared, nothing to say */
	ck_assert_int_eq(queue_space_judge(&u, 999 * BS, 0, 0), QUEUE_SPACE_OK);
}
END_TEST

START_TEST(test_no_overflow)
{
	struct queue_space_usage u = { BS, ULLONG_MAX / 2 + 5 };
	struct queue_space_usage small = { 1, 3 };

	ck_assert_int_eq(queue_space_judge(&u, LONG_MAX, LONG_MAX, LONG_MAX),
	    QUEUE_SPACE_OK);
	ck_assert_uint_eq(queue_space_bytes_free(&u), ULLONG_MAX);
	/* block size 1: 3 x 2 >= 2 x 3 refuses, 3 x 1 < 6 fits */
	ck_assert_int_eq(queue_space_judge(&small, 0, 2, 0), QUEUE_SPACE_LOW);
	ck_assert_int_eq(queue_space_judge(&small, 0, 1, 0), QUEUE_SPACE_OK);
	ck_assert_uint_eq(queue_space_bytes_free(&small), 3);
}
END_TEST

START_TEST(test_bytes_needed_and_describe)
{
	struct queue_space_usage u = usage(10);
	struct strbuf text;

	ck_assert_uint_eq(queue_space_bytes_needed(0, 0), 0);
	ck_assert_uint_eq(queue_space_bytes_needed(1000, 0), 1000);
	ck_assert_uint_eq(queue_space_bytes_needed(1000, 1000), 1500);
	ck_assert_uint_eq(queue_space_bytes_needed(2000, 1000), 2000);
	strbuf_init(&text);
	queue_space_describe(&text, &u, 2000, 1000);
	ck_assert_str_eq(text.data, "40960 bytes free, need more than 2000 "
	    "(queue_minfree 2000, 1.5 x message_size_limit 1500)");
	strbuf_free(&text);
}
END_TEST

START_TEST(test_measure_uses_bavail_and_frsize)
{
	struct queue_space_usage u;

	fake_bavail = 7;
	fake_bfree = 1000;		/* root's reserve is not ours */
	fake_frsize = 1024;
	fake_bsize = 65536;
	ck_assert_int_eq(queue_space_measure("/queue", fake_statvfs, &u), 0);
	ck_assert_uint_eq(u.blocks_avail, 7);
	ck_assert_uint_eq(u.block_size, 1024);
	fake_frsize = 0;		/* then f_bsize is the unit */
	ck_assert_int_eq(queue_space_measure("/queue", fake_statvfs, &u), 0);
	ck_assert_uint_eq(u.block_size, 65536);
	fake_errno = EIO;
	errno = 0;
	ck_assert_int_eq(queue_space_measure("/queue", fake_statvfs, &u), -1);
	ck_assert_int_eq(errno, EIO);
}
END_TEST

START_TEST(test_real_statvfs)
{
	struct queue_space_usage u;
	char	 missing[160];

	ck_assert_int_eq(queue_space_measure(tmpdir, NULL, &u), 0);
	ck_assert_uint_gt(u.block_size, 0);
	/* a queue_minfree beyond any disk refuses; none accepts here */
	ck_assert_int_eq(queue_space_judge(&u, 1L << 50, 0, 0), QUEUE_SPACE_LOW);
	snprintf(missing, sizeof(missing), "%s/none", tmpdir);
	ck_assert_int_eq(queue_space_measure(missing, NULL, &u), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_cache_interval)
{
	struct queue_space qs;

	queue_space_init(&qs, ".", 0, 0);
	qs.stat_fn = fake_statvfs;
	fake_bavail = 100;
	ck_assert_int_eq(queue_space_check_at(&qs, 5000, 0), QUEUE_SPACE_OK);
	ck_assert_int_eq(fake_calls, 1);
	/* the disk fills, but the sample of this second still stands */
	fake_bavail = 0;
	ck_assert_int_eq(queue_space_check_at(&qs, 5500, 0), QUEUE_SPACE_OK);
	ck_assert_int_eq(queue_space_check_at(&qs, 5999, 0), QUEUE_SPACE_OK);
	ck_assert_int_eq(fake_calls, 1);
	ck_assert_int_eq(queue_space_check_at(&qs, 6000, 0), QUEUE_SPACE_LOW);
	ck_assert_int_eq(fake_calls, 2);
	/* a clock that went back does not freeze the sample */
	fake_bavail = 100;
	ck_assert_int_eq(queue_space_check_at(&qs, 10, 0), QUEUE_SPACE_OK);
	ck_assert_int_eq(fake_calls, 3);
	/* the real clock: two checks in a row measure once */
	fake_calls = 0;
	qs.sampled = false;
	ck_assert_int_eq(queue_space_check(&qs, 0), QUEUE_SPACE_OK);
	ck_assert_int_eq(queue_space_check(&qs, 0), QUEUE_SPACE_OK);
	ck_assert_int_eq(fake_calls, 1);
	queue_space_free(&qs);
}
END_TEST

START_TEST(test_episode_logged_once)
{
	struct queue_space qs;
	long long now = 0;
	int	 i;

	queue_space_init(&qs, ".", 50 * BS, 10 * BS);
	qs.stat_fn = fake_statvfs;
	fake_bavail = 100;
	ck_assert_int_eq(queue_space_check_at(&qs, now, 0), QUEUE_SPACE_OK);
	fake_bavail = 20;
	for (i = 0; i < 50; i++) {
		now += 700;
		ck_assert_int_eq(queue_space_check_at(&qs, now, 0) ==
		    QUEUE_SPACE_LOW, now >= 1000);
	}
	ck_assert_int_eq(log_count("warning: not enough free space in the "
	    "queue file system: 81920 bytes free, need more than 204800 "
	    "(queue_minfree 204800, 1.5 x message_size_limit 61440): "
	    "refusing new mail"), 1);
	ck_assert_int_eq(log_count("is back"), 0);
	/* a declared size that does not fit is not an episode */
	fake_bavail = 100;
	now += 1000;
	ck_assert_int_eq(queue_space_check_at(&qs, now, 40 * BS),
	    QUEUE_SPACE_TOO_BIG);
	ck_assert_int_eq(log_count("free space in the queue file system is "
	    "back: 409600 bytes free"), 1);
	for (i = 0; i < 20; i++) {
		now += 1000;
		ck_assert_int_eq(queue_space_check_at(&qs, now, 0),
		    QUEUE_SPACE_OK);
	}
	ck_assert_int_eq(log_count("is back"), 1);
	/* the next episode is logged again */
	fake_bavail = 1;
	now += 1000;
	ck_assert_int_eq(queue_space_check_at(&qs, now, 0), QUEUE_SPACE_LOW);
	ck_assert_int_eq(log_count("not enough free space"), 2);
	queue_space_free(&qs);
}
END_TEST

START_TEST(test_stat_failure_accepts_and_logs_once)
{
	struct queue_space qs;
	long long now = 0;

	queue_space_init(&qs, "/gone", 0, 0);
	qs.stat_fn = fake_statvfs;
	fake_errno = ENOENT;
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(queue_space_check_at(&qs, now, 0),
		    QUEUE_SPACE_UNKNOWN);
		now += 1000;
	}
	ck_assert_int_eq(fake_calls, 5);
	ck_assert_int_eq(log_count("cannot measure free space in the queue "
	    "file system: statvfs /gone: No such file or directory"), 1);
	/* once it works again, a later failure is logged again */
	fake_errno = 0;
	fake_bavail = 10;
	ck_assert_int_eq(queue_space_check_at(&qs, now, 0), QUEUE_SPACE_OK);
	fake_errno = EIO;
	now += 1000;
	ck_assert_int_eq(queue_space_check_at(&qs, now, 0), QUEUE_SPACE_UNKNOWN);
	ck_assert_int_eq(log_count("cannot measure free space"), 2);
	queue_space_free(&qs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("queue_space");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_minfree_boundary);
	tcase_add_test(tc, test_size_limit_one_and_a_half);
	tcase_add_test(tc, test_full_file_system_refuses_without_limits);
	tcase_add_test(tc, test_declared_size);
	tcase_add_test(tc, test_no_overflow);
	tcase_add_test(tc, test_bytes_needed_and_describe);
	tcase_add_test(tc, test_measure_uses_bavail_and_frsize);
	tcase_add_test(tc, test_real_statvfs);
	tcase_add_test(tc, test_cache_interval);
	tcase_add_test(tc, test_episode_logged_once);
	tcase_add_test(tc, test_stat_failure_accepts_and_logs_once);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
