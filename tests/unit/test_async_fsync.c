/*
 * test_async_fsync - unit tests of lib/io/async_fsync.c: an fsync started
 * on a file or a directory completes with 0; several outstanding ones
 * can be waited for in any order; a bad descriptor reports EBADF from
 * the wait, whether the kernel refused the request or the fallback ran.
 * In coroutines (lib/io/coro.h): many sessions, each with two fsyncs of its
 * own started and waited for in different orders and interleavings, all
 * get 0 and all finish (a lost wakeup fails within a bound instead of
 * hanging); a session waiting for its fsync parks only itself, another
 * session keeps running meanwhile (with start and wait, and with
 * async_fsync_run); async_fsync_run answers 0 or the fsync's errno both
 * outside and inside a coroutine; and the per-request eventfds are all
 * closed again.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
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

#include "async_fsync.h"
#include "coro.h"
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

/* aio_works - whether the kernel takes AIO fsyncs (else all is fallback) */
static bool
aio_works(void)
{
	struct async_fsync a;
	bool	 started;
	int	 fd = new_file("aio-probe");

	async_fsync_start(&a, fd);
	started = a.started;
	ck_assert_int_eq(async_fsync_wait(&a), 0);
	close(fd);
	return (started);
}

#define WORKERS		20
#define ITERATIONS	10

/* one session of test_coroutines_interleaved: two fsyncs of its own */
struct worker {
	int	 id;
	int	 fd[2];
	struct async_fsync a[2];
	int	 result[2];
	int	 error[2];
	bool	 own_efd[2];	/* started with an eventfd of its own */
	bool	 efd_closed[2];	/* and the wait closed it */
	bool	 both;		/* both were in flight at once ... */
	bool	 distinct;	/* ... each with its own eventfd */
	bool	 done;
};

/* worker_start - start the session's fsync k */
static void
worker_start(struct worker *w, int k)
{
	async_fsync_start(&w->a[k], w->fd[k]);
	w->own_efd[k] = w->a[k].started && w->a[k].efd >= 0;
}

/* worker_wait - wait for the session's fsync k, note what came back */
static void
worker_wait(struct worker *w, int k)
{
	errno = 0;
	w->result[k] = async_fsync_wait(&w->a[k]);
	w->error[k] = errno;
	w->efd_closed[k] = w->a[k].efd == -1;
}

/* worker_both - both are in flight: a shared eventfd loses wakeups */
static void
worker_both(struct worker *w)
{
	w->both = true;
	w->distinct = w->a[0].efd != w->a[1].efd;
}

/* nap - a 1 ms sleep that lets the other sessions run */
static void
nap(void)
{
	ck_assert_int_eq(coro_poll(-1, 0, 1, NULL), 0);
}

/* worker - two fsyncs, started and waited for in one of five patterns */
static void
worker(void *arg)
{
	struct worker *w = arg;

	switch (w->id % 5) {
	case 0:			/* both, then first to last */
		worker_start(w, 0);
		worker_start(w, 1);
		worker_both(w);
		worker_wait(w, 0);
		worker_wait(w, 1);
		break;
	case 1:			/* both, then last to first */
		worker_start(w, 0);
		worker_start(w, 1);
		worker_both(w);
		worker_wait(w, 1);
		worker_wait(w, 0);
		break;
	case 2:			/* a nap first: starts a round later */
		nap();
		worker_start(w, 0);
		worker_start(w, 1);
		worker_both(w);
		worker_wait(w, 0);
		worker_wait(w, 1);
		break;
	case 3:			/* a nap between the starts */
		worker_start(w, 0);
		nap();
		worker_start(w, 1);
		worker_both(w);
		worker_wait(w, 1);
		worker_wait(w, 0);
		break;
	default:		/* one after the other: a start each round */
		worker_start(w, 0);
		worker_wait(w, 0);
		worker_start(w, 1);
		worker_wait(w, 1);
		break;
	}
	w->done = true;
}

/* run_workers - WORKERS sessions on new files, run to their end; checked */
static void
run_workers(int iteration, bool aio)
{
	static struct worker w[WORKERS];
	char	 name[32];

	memset(w, 0, sizeof(w));
	for (int i = 0; i < WORKERS; i++) {
		w[i].id = i;
		for (int k = 0; k < 2; k++) {
			snprintf(name, sizeof(name), "w%d.%d.%d", iteration, i,
			    k);
			w[i].fd[k] = new_file(name);
		}
	}
	for (int i = 0; i < WORKERS; i++)
		ck_assert_int_eq(coro_start(worker, &w[i]), 0);
	unit_coro_run_all();
	for (int i = 0; i < WORKERS; i++) {
		ck_assert_msg(w[i].done, "iteration %d: session %d unfinished",
		    iteration, i);
		for (int k = 0; k < 2; k++) {
			ck_assert_msg(w[i].result[k] == 0,
			    "iteration %d: session %d fsync %d: %s", iteration,
			    i, k, strerror(w[i].error[k]));
			ck_assert(w[i].a[k].done);
			/* inside a coroutine: an eventfd of its own, closed */
			if (aio)
				ck_assert_msg(w[i].own_efd[k],
				    "session %d fsync %d: no eventfd", i, k);
			ck_assert(w[i].efd_closed[k]);
			close(w[i].fd[k]);
		}
		if (aio && w[i].both)
			ck_assert_msg(w[i].distinct,
			    "session %d: two requests share an eventfd", i);
	}
}

START_TEST(test_coroutines_interleaved)
{
	bool	 aio = aio_works();

	for (int it = 0; it < ITERATIONS; it++)
		run_workers(it, aio);
}
END_TEST

static struct unit_spinner spinner;

struct slow {
	int	 fd;
	bool	 use_run;	/* async_fsync_run, not start and wait */
	int	 result;
	unsigned long spins_during;
};

/* slow_waiter - one fsync of much dirty data, counting others' rounds */
static void
slow_waiter(void *arg)
{
	struct slow *s = arg;
	struct async_fsync a;
	unsigned long before;

	if (s->use_run) {
		before = spinner.rounds;
		s->result = async_fsync_run(s->fd);
	} else {
		async_fsync_start(&a, s->fd);
		before = spinner.rounds;
		s->result = async_fsync_wait(&a);
	}
	s->spins_during = spinner.rounds - before;
	spinner.stop = true;
}

/* dirty_file - a new file with mb MB not yet written back */
static int
dirty_file(const char *name, int mb)
{
	static char block[1 << 20];
	int	 fd = new_file(name);

	memset(block, 'x', sizeof(block));
	for (int i = 0; i < mb; i++)
		ck_assert_int_eq(write(fd, block, sizeof(block)),
		    (ssize_t)sizeof(block));
	return (fd);
}

/*
 * A wait that blocked the process (io_getevents, fsync) would finish
 * before the spinner ran again, in every attempt; a parked one lets it
 * run while the fsync is in flight.  Several attempts, in case the
 * kernel is so fast that one completes before the first reap.
 */
START_TEST(test_wait_parks_only_its_coroutine)
{
	struct slow s;
	char	 name[32];

	unit_spinner_open(&spinner);
	for (int mode = 0; mode < 2; mode++) {
		bool	 overlapped = false;

		for (int attempt = 0; attempt < 10 && !overlapped; attempt++) {
			snprintf(name, sizeof(name), "slow%d.%d", mode,
			    attempt);
			memset(&s, 0, sizeof(s));
			s.fd = dirty_file(name, 4);
			s.use_run = mode == 1;
			unit_spinner_start(&spinner);
			ck_assert_int_eq(coro_start(slow_waiter, &s), 0);
			unit_coro_run_all();
			ck_assert_int_eq(s.result, 0);
			overlapped = s.spins_during > 0;
			close(s.fd);
		}
		ck_assert_msg(overlapped, "%s held the whole process",
		    mode ? "async_fsync_run" : "async_fsync_wait");
	}
	unit_spinner_close(&spinner);
}
END_TEST

/* what async_fsync_run answered, for test_run_inside_and_outside */
struct run_results {
	int	 file, dir, bad, bad_errno, pipe, pipe_errno;
	bool	 inside, done;
};

static int	 run_file_fd, run_dir_fd, run_bad_fd, run_pipe_fd;

/* run_all_kinds - async_fsync_run on a file, a directory, and bad ones */
static void
run_all_kinds(struct run_results *r)
{
	r->inside = coro_active();
	r->file = async_fsync_run(run_file_fd);
	r->dir = async_fsync_run(run_dir_fd);
	errno = 0;
	r->bad = async_fsync_run(run_bad_fd);
	r->bad_errno = errno;
	errno = 0;
	r->pipe = async_fsync_run(run_pipe_fd);
	r->pipe_errno = errno;
	r->done = true;
}

static void
run_in_coroutine(void *arg)
{
	run_all_kinds(arg);
}

/* check_run_results - 0, 0, EBADF, EINVAL (a pipe cannot be synced) */
static void
check_run_results(const struct run_results *r, bool inside)
{
	ck_assert(r->done);
	ck_assert(r->inside == inside);
	ck_assert_int_eq(r->file, 0);
	ck_assert_int_eq(r->dir, 0);
	ck_assert_int_eq(r->bad, -1);
	ck_assert_int_eq(r->bad_errno, EBADF);
	ck_assert_int_eq(r->pipe, -1);
	ck_assert_int_eq(r->pipe_errno, EINVAL);
}

START_TEST(test_run_inside_and_outside)
{
	struct run_results out, in;
	int	 pfd[2], fd;

	run_file_fd = new_file("run");
	run_dir_fd = open(topdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(run_dir_fd, 0);
	ck_assert_int_eq(pipe(pfd), 0);
	run_pipe_fd = pfd[0];
	/* a closed number far above the others, so nothing reuses it */
	fd = new_file("run-closed");
	run_bad_fd = fcntl(fd, F_DUPFD, 900);
	ck_assert_int_ge(run_bad_fd, 900);
	close(run_bad_fd);
	close(fd);
	memset(&out, 0, sizeof(out));
	run_all_kinds(&out);
	check_run_results(&out, false);
	memset(&in, 0, sizeof(in));
	ck_assert_int_eq(coro_start(run_in_coroutine, &in), 0);
	unit_coro_run_all();
	check_run_results(&in, true);
	close(run_file_fd);
	close(run_dir_fd);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

/* open_fds - how many descriptors the process has open */
static int
open_fds(void)
{
	DIR	*d = opendir("/proc/self/fd");
	struct dirent *e;
	int	 n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

static void
run_twice(void *arg)
{
	int	 fd = *(int *)arg;

	ck_assert_int_eq(async_fsync_run(fd), 0);
	/* refused at submission: the eventfd goes too */
	ck_assert_int_eq(async_fsync_run(-1), -1);
	ck_assert_int_eq(async_fsync_run(fd), 0);
}

START_TEST(test_no_descriptor_leak)
{
	bool	 aio = aio_works();
	int	 before, after, fd;

	/* the first round sets up what lives on (the scheduler's epoll) */
	run_workers(0, aio);
	before = open_fds();
	for (int it = 1; it <= 5; it++)
		run_workers(it, aio);
	fd = new_file("twice");
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(coro_start(run_twice, &fd), 0);
	unit_coro_run_all();
	close(fd);
	after = open_fds();
	ck_assert_msg(after == before, "%d descriptors before, %d after",
	    before, after);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("async_fsync");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_file_and_directory);
	tcase_add_test(tc, test_many_in_any_order);
	tcase_add_test(tc, test_bad_descriptor);
	tcase_add_test(tc, test_coroutines_interleaved);
	tcase_add_test(tc, test_wait_parks_only_its_coroutine);
	tcase_add_test(tc, test_run_inside_and_outside);
	tcase_add_test(tc, test_no_descriptor_leak);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
