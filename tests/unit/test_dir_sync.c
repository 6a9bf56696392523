/*
 * test_dir_sync - unit tests of lib/dir_sync.c: the table is made anew
 * by every create and refused when damaged or a symlink; an
 * fsync that began after a mark covers it, one that began before does
 * not; a failed fsync sends the followers to their own; a leader that
 * died mid-fsync is taken over; a lingering leader of a busy directory
 * covers an entry made while it lingered; processes hammering one
 * directory share fsyncs and every finish succeeds; without a table, or
 * without a slot in a full one, a finish is a plain fsync.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dir_sync.h"
#include "unit.h"

static char	 topdir[64];
static char	 table_path[PATH_MAX];
static int	 dirfd_top;

static void
setup(void)
{
	snprintf(topdir, sizeof(topdir), "/tmp/test_dir_sync.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(topdir));
	snprintf(table_path, sizeof(table_path), "%s/dirsync", topdir);
	dirfd_top = open(topdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dirfd_top, 0);
}

static void
teardown(void)
{
	char	 cmd[PATH_MAX + 16];

	close(dirfd_top);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", topdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* with_table - create and map the table as the current user */
static void
with_table(void)
{
	ck_assert_int_eq(dir_sync_table_create(table_path, geteuid(),
	    getegid()), 0);
	ck_assert_int_eq(dir_sync_table_open(table_path, geteuid()), 0);
}

/* new_entry - a new file in the scratch directory */
static void
new_entry(const char *name)
{
	char	 path[PATH_MAX];
	int	 fd;

	snprintf(path, sizeof(path), "%s/%s", topdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

START_TEST(test_table_create_replace_refuse)
{
	struct stat st1, st2;
	int	 fd;

	ck_assert_int_eq(dir_sync_table_create(table_path, geteuid(),
	    getegid()), 0);
	ck_assert_int_eq(stat(table_path, &st1), 0);
	ck_assert_int_eq(st1.st_mode & 07777, 0600);
	ck_assert_int_eq(dir_sync_table_open(table_path, geteuid()), 0);
	/* every create starts over with a new file */
	ck_assert_int_eq(dir_sync_table_create(table_path, geteuid(),
	    getegid()), 0);
	ck_assert_int_eq(stat(table_path, &st2), 0);
	ck_assert_uint_ne(st1.st_ino, st2.st_ino);
	/* a damaged one is refused by open */
	fd = open(table_path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "garbage!", 8, 0), 8);
	close(fd);
	errno = 0;
	ck_assert_int_eq(dir_sync_table_open(table_path, geteuid()), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* a short one too */
	ck_assert_int_eq(truncate(table_path, 4096), 0);
	ck_assert_int_eq(dir_sync_table_open(table_path, geteuid()), -1);
	/* a symlink is never followed, and create replaces it */
	ck_assert_int_eq(unlink(table_path), 0);
	ck_assert_int_eq(symlink("/etc/passwd", table_path), 0);
	ck_assert_int_eq(dir_sync_table_open(table_path, geteuid()), -1);
	ck_assert_int_eq(dir_sync_table_create(table_path, geteuid(),
	    getegid()), 0);
	ck_assert_int_eq(lstat(table_path, &st1), 0);
	ck_assert(S_ISREG(st1.st_mode));
	ck_assert_int_eq(dir_sync_table_open(table_path, geteuid()), 0);
}
END_TEST

START_TEST(test_no_table_is_plain_fsync)
{
	struct dir_sync ds;

	ck_assert_int_eq(dir_sync_table_open(table_path, geteuid()), -1);
	new_entry("a");
	dir_sync_mark(&ds, dirfd_top);
	dir_sync_start(&ds);
	ck_assert_int_eq(dir_sync_finish(&ds), 0);
	ck_assert_uint_eq(dir_sync_fsyncs(), 1);
	/* and an error is the fsync's own */
	dir_sync_mark(&ds, -1);
	errno = 0;
	ck_assert_int_eq(dir_sync_finish(&ds), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(test_later_fsync_covers_earlier_marks)
{
	struct dir_sync a, b;

	with_table();
	new_entry("a");
	dir_sync_mark(&a, dirfd_top);
	new_entry("b");
	dir_sync_mark(&b, dirfd_top);
	ck_assert_int_eq(dir_sync_finish(&a), 0);
	ck_assert_uint_eq(dir_sync_fsyncs(), 1);
	/* a's fsync began after b's entry: b needs none of its own */
	ck_assert_int_eq(dir_sync_finish(&b), 0);
	ck_assert_uint_eq(dir_sync_fsyncs(), 1);
}
END_TEST

START_TEST(test_earlier_fsync_does_not_cover_later_mark)
{
	struct dir_sync a, b;

	with_table();
	new_entry("a");
	dir_sync_mark(&a, dirfd_top);
	dir_sync_start(&a);	/* a leads, asynchronously */
	ck_assert_uint_eq(dir_sync_fsyncs(), 1);
	new_entry("b");
	dir_sync_mark(&b, dirfd_top);
	ck_assert_int_eq(dir_sync_finish(&a), 0);
	/* a's fsync began before b's entry existed: b must have its own */
	ck_assert_int_eq(dir_sync_finish(&b), 0);
	ck_assert_uint_eq(dir_sync_fsyncs(), 2);
}
END_TEST

START_TEST(test_start_beside_an_older_fsync)
{
	struct dir_sync a, b, c;

	with_table();
	new_entry("a");
	dir_sync_mark(&a, dirfd_top);
	new_entry("c");
	dir_sync_mark(&c, dirfd_top);
	dir_sync_start(&a);	/* a leads */
	ck_assert(a.leading);
	/* a's began after c's mark: c has nothing to start */
	dir_sync_start(&c);
	ck_assert_uint_eq(dir_sync_fsyncs(), 1);
	new_entry("b");
	dir_sync_mark(&b, dirfd_top);
	/* a's cannot cover b: b starts one of its own beside it at once */
	dir_sync_start(&b);
	ck_assert(!b.leading);
	ck_assert_uint_eq(dir_sync_fsyncs(), 2);
	ck_assert_int_eq(dir_sync_finish(&b), 0);
	ck_assert_int_eq(dir_sync_finish(&a), 0);
	ck_assert_int_eq(dir_sync_finish(&c), 0);
	ck_assert_uint_eq(dir_sync_fsyncs(), 2);
}
END_TEST

START_TEST(test_failed_fsync_sends_followers_to_their_own)
{
	struct dir_sync a, b;
	int	 pipefd[2], fd;

	with_table();
	fd = dup(dirfd_top);
	ck_assert_int_ge(fd, 0);
	new_entry("a");
	dir_sync_mark(&a, fd);
	new_entry("b");
	dir_sync_mark(&b, dirfd_top);
	/* a's descriptor becomes a pipe, whose fsync fails with EINVAL */
	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(dup2(pipefd[0], fd), fd);
	errno = 0;
	ck_assert_int_eq(dir_sync_finish(&a), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(dir_sync_finish(&b), 0);
	ck_assert_uint_eq(dir_sync_fsyncs(), 2);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

START_TEST(test_dead_leader_is_taken_over)
{
	struct dir_sync a, b;
	double	 t0, waited;
	pid_t	 pid;
	int	 status;

	with_table();
	new_entry("a");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dir_sync_mark(&a, dirfd_top);
		dir_sync_start(&a);	/* busy is set ... */
		_exit(0);		/* ... and never cleared */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	new_entry("b");
	dir_sync_mark(&b, dirfd_top);
	t0 = now();
	ck_assert_int_eq(dir_sync_finish(&b), 0);
	waited = now() - t0;
	ck_assert_uint_eq(dir_sync_fsyncs(), 1);
	/* followers wait out DIR_SYNC_STALE_MS, not DIR_SYNC_WAIT_MS */
	ck_assert_msg(waited < DIR_SYNC_WAIT_MS / 1000.0 * 0.75,
	    "waited %.3fs for a dead leader", waited);
}
END_TEST

START_TEST(test_linger_lets_later_entries_join)
{
	struct dir_sync a, b, c, x;
	int	 go[2], done[2], status;
	unsigned long n;
	char	 byte = 0;
	pid_t	 pid;

	with_table();
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(done), 0);
	new_entry("a");
	dir_sync_mark(&a, dirfd_top);
	dir_sync_linger(&a, 0);	/* records the mark's time, never waits */
	ck_assert(!a.hot);	/* the first mark */
	ck_assert_int_eq(dir_sync_finish(&a), 0);
	/* two marks close together: the directory is busy ("hot") */
	dir_sync_mark(&x, dirfd_top);
	dir_sync_linger(&x, 0);
	new_entry("b");
	dir_sync_mark(&b, dirfd_top);
	/* b lingers long enough for the parent's entry to be made */
	dir_sync_linger(&b, 500 * 1000);
	ck_assert(b.hot);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (write(go[1], &byte, 1) != 1 || dir_sync_finish(&b) != 0)
			_exit(1);
		n = dir_sync_fsyncs();
		_exit(write(done[1], &n, sizeof(n)) == sizeof(n) ? 0 : 2);
	}
	ck_assert_int_eq(read(go[0], &byte, 1), 1);
	new_entry("c");
	dir_sync_mark(&c, dirfd_top);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(read(done[0], &n, sizeof(n)), sizeof(n));
	ck_assert_uint_eq(n, 2);	/* a's, and b's which waited for c */
	/* c was made before b's fsync began: covered, no fsync of its own */
	ck_assert_int_eq(dir_sync_finish(&c), 0);
	ck_assert_uint_eq(dir_sync_fsyncs(), 1);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}
END_TEST

START_TEST(test_full_table_syncs_alone)
{
	struct dir_sync a, b;
	char	 path[PATH_MAX];
	unsigned long dirs = 0;
	int	 fd = -1;

	with_table();
	/* new directories until one finds no slot (at most 4 per slot) */
	do {
		ck_assert_uint_lt(dirs, 4 * DIR_SYNC_SLOTS);
		snprintf(path, sizeof(path), "%s/d%lu", topdir, dirs++);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		if (fd >= 0)
			close(fd);
		fd = open(path, O_RDONLY | O_DIRECTORY);
		ck_assert_int_ge(fd, 0);
		dir_sync_mark(&a, fd);
		ck_assert_int_eq(dir_sync_finish(&a), 0);
	} while (a.slot != NULL);
	ck_assert_uint_ge(dirs, DIR_SYNC_SLOTS / 2);
	/* two marks on the slotless directory: no sharing, two fsyncs */
	dir_sync_mark(&a, fd);
	dir_sync_mark(&b, fd);
	ck_assert_ptr_null(b.slot);
	ck_assert_int_eq(dir_sync_finish(&a), 0);
	ck_assert_int_eq(dir_sync_finish(&b), 0);
	ck_assert_uint_eq(dir_sync_fsyncs(), dirs + 2);
	close(fd);
}
END_TEST

#define HAMMER_PROCS	4
#define HAMMER_ROUNDS	200

START_TEST(test_processes_share_fsyncs)
{
	unsigned long total = 0;
	int	 pipefd[2], status;
	pid_t	 pids[HAMMER_PROCS];

	with_table();
	ck_assert_int_eq(pipe(pipefd), 0);
	for (int p = 0; p < HAMMER_PROCS; p++) {
		pids[p] = fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] == 0) {
			unsigned long n;
			char	 name[32];

			close(pipefd[0]);
			for (int i = 0; i < HAMMER_ROUNDS; i++) {
				struct dir_sync ds;

				snprintf(name, sizeof(name), "p%d.%d", p, i);
				new_entry(name);
				dir_sync_mark(&ds, dirfd_top);
				if (i % 2)
					dir_sync_start(&ds);
				if (dir_sync_finish(&ds) != 0)
					_exit(1);
			}
			n = dir_sync_fsyncs();
			_exit(write(pipefd[1], &n, sizeof(n)) == sizeof(n) ? 0 : 2);
		}
	}
	close(pipefd[1]);
	for (int p = 0; p < HAMMER_PROCS; p++) {
		unsigned long n;

		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "worker %d: status %d", p, status);
		ck_assert_int_eq(read(pipefd[0], &n, sizeof(n)), sizeof(n));
		total += n;
	}
	close(pipefd[0]);
	ck_assert_uint_ge(total, 1);
	ck_assert_msg(total < HAMMER_PROCS * HAMMER_ROUNDS,
	    "%lu fsyncs for %d entries: none shared", total,
	    HAMMER_PROCS * HAMMER_ROUNDS);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dir_sync");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_table_create_replace_refuse);
	tcase_add_test(tc, test_no_table_is_plain_fsync);
	tcase_add_test(tc, test_later_fsync_covers_earlier_marks);
	tcase_add_test(tc, test_earlier_fsync_does_not_cover_later_mark);
	tcase_add_test(tc, test_start_beside_an_older_fsync);
	tcase_add_test(tc, test_failed_fsync_sends_followers_to_their_own);
	tcase_add_test(tc, test_dead_leader_is_taken_over);
	tcase_add_test(tc, test_linger_lets_later_entries_join);
	tcase_add_test(tc, test_full_table_syncs_alone);
	tcase_add_test(tc, test_processes_share_fsyncs);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
