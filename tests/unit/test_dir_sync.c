/*
 * test_dir_sync - unit tests of lib/io/dir_sync.c: the table is made anew
 * by every create and refused when damaged or a symlink; an
 * fsync that began after a mark covers it, one that began before does
 * not; a failed fsync sends the followers to their own; a leader that
 * died mid-fsync is taken over; a lingering leader of a busy directory
 * covers an entry made while it lingered; processes hammering one
 * directory share fsyncs and every finish succeeds; without a table, or
 * without a slot in a full one, a finish is a plain fsync.  In
 * coroutines (lib/io/coro.h): many sessions making entries in one directory
 * all finish with 0, within a bound; a session waiting for another
 * session's fsync, for another process's, or for a dead leader's, naps
 * (dir_sync_naps) instead of sleeping on the futex, so the process's
 * other sessions, the leader among them, go on running meanwhile; and
 * a session's own fsync, with or without the table, parks only it.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
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

/*
 * leave_dead_leader - a child process makes entry name, starts leading
 * its directory's fsync and exits, leaving busy set for good
 */
static void
leave_dead_leader(const char *name)
{
	struct dir_sync ds;
	pid_t	 pid;
	int	 status;

	new_entry(name);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dir_sync_mark(&ds, dirfd_top);
		dir_sync_start(&ds);	/* busy is set ... */
		_exit(0);		/* ... and never cleared */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
}

START_TEST(test_dead_leader_is_taken_over)
{
	struct dir_sync b;
	double	 t0, waited;

	with_table();
	leave_dead_leader("a");
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
	/*
	 * Double hashing fills 85-93% before the first miss; uniform probing
	 * would miss below two thirds with a chance of about 1 in 20,000.
	 * (Linear probing missed near half full, and failed a bound of 1/2.)
	 */
	ck_assert_uint_ge(dirs, DIR_SYNC_SLOTS * 2 / 3);
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


#define CORO_SESSIONS	16
#define CORO_ENTRIES	10

/* one session of test_coroutines_in_one_directory */
struct session {
	int	 id;
	int	 finished;	/* entries whose finish returned */
	int	 failed;	/* ... with -1 */
	int	 error;
};

/* session - entries one after the other, some with a start, some napping */
static void
session(void *arg)
{
	struct session *se = arg;
	struct dir_sync ds;
	char	 name[32];

	for (int i = 0; i < CORO_ENTRIES; i++) {
		snprintf(name, sizeof(name), "c%d.%d", se->id, i);
		new_entry(name);
		dir_sync_mark(&ds, dirfd_top);
		if ((se->id + i) % 2)
			dir_sync_start(&ds);
		/* others make entries and finish meanwhile */
		if ((se->id + i) % 3 == 0)
			(void)coro_poll(-1, 0, 1, NULL);
		errno = 0;
		if (dir_sync_finish(&ds) != 0) {
			se->failed++;
			se->error = errno;
		}
		se->finished++;
	}
}

START_TEST(test_coroutines_in_one_directory)
{
	static struct session se[CORO_SESSIONS];

	with_table();
	memset(se, 0, sizeof(se));
	for (int i = 0; i < CORO_SESSIONS; i++) {
		se[i].id = i;
		ck_assert_int_eq(coro_start(session, &se[i]), 0);
	}
	unit_coro_run_all();
	for (int i = 0; i < CORO_SESSIONS; i++) {
		ck_assert_int_eq(se[i].finished, CORO_ENTRIES);
		ck_assert_msg(se[i].failed == 0, "session %d: %d failed (%s)",
		    i, se[i].failed, strerror(se[i].error));
	}
	/* never more than one fsync per entry (sharing is not asserted) */
	ck_assert_uint_ge(dir_sync_fsyncs(), 1);
	ck_assert_uint_le(dir_sync_fsyncs(), CORO_SESSIONS * CORO_ENTRIES);
}
END_TEST

/*
 * The ticker naps 1 ms at a time until told to stop, counting its
 * rounds: if they go up while a session waits, the wait held only that
 * session, not the process.
 */
static unsigned long ticks;
static bool	 stop_ticking;

static void
ticker(void *arg)
{
	(void)arg;
	while (!stop_ticking) {
		(void)coro_poll(-1, 0, 1, NULL);
		ticks++;
	}
}

/* a session that marks and finishes, timing its wait (a follower) */
struct follower {
	const char *name;
	int	 result;
	int	 error;
	double	 waited;
	unsigned long ticks_during;
	bool	 done;
};

static char	 order[8];	/* finish order: L(eader), F(ollower) */
static int	 norder;

static void
follower(void *arg)
{
	struct follower *f = arg;
	struct dir_sync ds;
	unsigned long t0_ticks;
	double	 t0;

	new_entry(f->name);
	dir_sync_mark(&ds, dirfd_top);
	t0 = now();
	t0_ticks = ticks;
	errno = 0;
	f->result = dir_sync_finish(&ds);
	f->error = errno;
	f->waited = now() - t0;
	f->ticks_during = ticks - t0_ticks;
	order[norder++] = 'F';
	f->done = true;
	stop_ticking = true;
}

/* a session that leads an asynchronous fsync, then dawdles */
struct leader {
	int	 result;
	bool	 leading;
};

static void
leader(void *arg)
{
	struct leader *l = arg;
	struct dir_sync ds;

	new_entry("lead");
	dir_sync_mark(&ds, dirfd_top);
	dir_sync_start(&ds);
	l->leading = ds.leading;
	/* busy stays set, well short of DIR_SYNC_STALE_MS */
	(void)coro_poll(-1, 0, 20, NULL);
	l->result = dir_sync_finish(&ds);
	order[norder++] = 'L';
}

/* reset_counters - ticks, order and stop flag afresh; the naps so far */
static unsigned long
reset_counters(void)
{
	ticks = 0;
	stop_ticking = false;
	norder = 0;
	memset(order, 0, sizeof(order));
	return (dir_sync_naps());
}

/*
 * check_naps - the follower's wait was naps, each through the scheduler:
 * at least one, and at most about one per millisecond waited (a nap
 * that did not switch would spin, thousands a millisecond)
 */
static void
check_naps(const struct follower *f, unsigned long naps0)
{
	unsigned long naps = dir_sync_naps() - naps0;

	ck_assert_uint_gt(naps, 0);
	ck_assert_msg(naps <= (unsigned long)(2 * f->waited * 1000 /
	    DIR_SYNC_NAP_MS) + 10, "%lu naps in %.3fs", naps, f->waited);
	ck_assert_uint_gt(f->ticks_during, 0);
}

START_TEST(test_coroutine_naps_while_another_leads)
{
	struct leader l = { -1, false };
	struct follower f = { "follow", -1, 0, 0, 0, false };
	unsigned long naps0;

	with_table();
	naps0 = reset_counters();
	ck_assert_int_eq(coro_start(ticker, NULL), 0);
	ck_assert_int_eq(coro_start(leader, &l), 0);
	ck_assert(l.leading);
	/* marked after the leader's fsync began: it must wait for the next */
	ck_assert_int_eq(coro_start(follower, &f), 0);
	unit_coro_run_all();
	ck_assert_int_eq(l.result, 0);
	ck_assert_msg(f.result == 0, "follower: %s", strerror(f.error));
	/*
	 * The follower napped until the leader (same process) published,
	 * then synced on its own: a futex sleep would have held the leader
	 * until the follower took over a "stale" lead (F before L).
	 */
	check_naps(&f, naps0);
	ck_assert_str_eq(order, "LF");
	ck_assert_uint_eq(dir_sync_fsyncs(), 2);
}
END_TEST

START_TEST(test_coroutine_waits_for_another_process)
{
	struct follower f = { "follow", -1, 0, 0, 0, false };
	struct dir_sync a;
	unsigned long naps0;
	int	 go[2], status;
	char	 byte = 0;
	pid_t	 pid;

	with_table();
	new_entry("a");
	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the other process leads, and holds busy for 100 ms */
		dir_sync_mark(&a, dirfd_top);
		dir_sync_start(&a);
		if (!a.leading || write(go[1], &byte, 1) != 1)
			_exit(2);
		usleep(100 * 1000);
		_exit(dir_sync_finish(&a) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(read(go[0], &byte, 1), 1);
	naps0 = reset_counters();
	ck_assert_int_eq(coro_start(ticker, NULL), 0);
	ck_assert_int_eq(coro_start(follower, &f), 0);
	unit_coro_run_all();
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "leader: status %d", status);
	ck_assert_msg(f.result == 0, "follower: %s", strerror(f.error));
	check_naps(&f, naps0);
	/* the leader's began before the mark: one of its own after it */
	ck_assert_uint_eq(dir_sync_fsyncs(), 1);
	close(go[0]);
	close(go[1]);
}
END_TEST

START_TEST(test_coroutine_takes_over_dead_leader)
{
	struct follower f = { "b", -1, 0, 0, 0, false };
	unsigned long naps0;

	with_table();
	leave_dead_leader("a");
	naps0 = reset_counters();
	ck_assert_int_eq(coro_start(ticker, NULL), 0);
	ck_assert_int_eq(coro_start(follower, &f), 0);
	unit_coro_run_all();
	ck_assert_msg(f.result == 0, "follower: %s", strerror(f.error));
	ck_assert_uint_eq(dir_sync_fsyncs(), 1);
	/* napped through DIR_SYNC_STALE_MS, the other session ticking */
	check_naps(&f, naps0);
	ck_assert_msg(f.waited < DIR_SYNC_WAIT_MS / 1000.0 * 0.75,
	    "waited %.3fs for a dead leader", f.waited);
}
END_TEST

static struct unit_spinner spinner;

/* a session whose own fsync is timed against the spinner */
struct syncer {
	int	 serial;	/* names its entries */
	bool	 start;		/* dir_sync_start first */
	int	 result;
	unsigned long spins_during;
};

static void
syncer(void *arg)
{
	struct syncer *sy = arg;
	struct dir_sync ds;
	unsigned long before;
	char	 name[32];

	/* entries to make the directory's fsync take a while */
	for (int i = 0; i < 32; i++) {
		snprintf(name, sizeof(name), "s%d.%d", sy->serial, i);
		new_entry(name);
	}
	dir_sync_mark(&ds, dirfd_top);
	before = spinner.rounds;
	if (sy->start)
		dir_sync_start(&ds);
	sy->result = dir_sync_finish(&ds);
	sy->spins_during = spinner.rounds - before;
	spinner.stop = true;
}

/* own_fsync_parks - whether a session's own fsync let another run */
static void
own_fsync_parks(bool start, const char *what)
{
	static int serial;
	struct syncer sy;
	bool	 overlapped = false;

	unit_spinner_open(&spinner);
	for (int attempt = 0; attempt < 10 && !overlapped; attempt++) {
		memset(&sy, 0, sizeof(sy));
		sy.serial = serial++;
		sy.start = start;
		sy.result = -1;
		(void)reset_counters();
		unit_spinner_start(&spinner);
		ck_assert_int_eq(coro_start(syncer, &sy), 0);
		unit_coro_run_all();
		ck_assert_int_eq(sy.result, 0);
		overlapped = sy.spins_during > 0;
	}
	ck_assert_msg(overlapped, "%s: the fsync held the whole process", what);
	unit_spinner_close(&spinner);
}

/*
 * A session's own directory fsync goes through AIO and parks only it:
 * without a table (a plain fsync at the finish), as the leader at the
 * finish, and started early then waited for at the finish.
 */
START_TEST(test_coroutine_own_fsync_parks)
{
	own_fsync_parks(false, "without a table");
	with_table();
	own_fsync_parks(false, "leading at the finish");
	own_fsync_parks(true, "started, then finished");
}
END_TEST

/* dir_sync_parent: the directory of a path, or errno when there is none */
START_TEST(test_parent_of_a_path)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/new-file", topdir);
	ck_assert_int_eq(dir_sync_parent(path), 0);
	snprintf(path, sizeof(path), "%s/missing/new-file", topdir);
	errno = 0;
	ck_assert_int_eq(dir_sync_parent(path), -1);
	ck_assert_int_eq(errno, ENOENT);
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
	tcase_add_test(tc, test_parent_of_a_path);
	tcase_add_test(tc, test_no_table_is_plain_fsync);
	tcase_add_test(tc, test_later_fsync_covers_earlier_marks);
	tcase_add_test(tc, test_earlier_fsync_does_not_cover_later_mark);
	tcase_add_test(tc, test_start_beside_an_older_fsync);
	tcase_add_test(tc, test_failed_fsync_sends_followers_to_their_own);
	tcase_add_test(tc, test_dead_leader_is_taken_over);
	tcase_add_test(tc, test_linger_lets_later_entries_join);
	tcase_add_test(tc, test_full_table_syncs_alone);
	tcase_add_test(tc, test_processes_share_fsyncs);
	tcase_add_test(tc, test_coroutines_in_one_directory);
	tcase_add_test(tc, test_coroutine_naps_while_another_leads);
	tcase_add_test(tc, test_coroutine_waits_for_another_process);
	tcase_add_test(tc, test_coroutine_takes_over_dead_leader);
	tcase_add_test(tc, test_coroutine_own_fsync_parks);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
