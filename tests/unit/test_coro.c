/*
 * test_coro - unit tests of lib/io/coro.c: a coroutine runs at once until
 * its first wait; waits on descriptors and timeouts resume the right
 * coroutine; several may wait on one descriptor, for different events;
 * a descriptor number reused by the next coroutine is waited on afresh;
 * the caller's watched descriptors come back from the round; outside a
 * coroutine coro_poll is poll(); stacks are reused; and a few hundred
 * sessions doing ping-pong over socket pairs all finish with the right
 * data.
 */
#include <sys/socket.h>

#include <fcntl.h>

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "unit.h"

static int	 steps[256];
static int	 nsteps;

/* now_ms - monotonic milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}


/* record - a coroutine that notes it ran, then ends */
static void
record(void *arg)
{
	ck_assert(coro_active());
	steps[nsteps++] = *(int *)arg;
}

START_TEST(test_runs_at_once)
{
	int	 one = 1;

	nsteps = 0;
	ck_assert(!coro_active());
	ck_assert_int_eq(coro_start(record, &one), 0);
	/* it ran to its end inside coro_start */
	ck_assert_int_eq(nsteps, 1);
	ck_assert_int_eq(steps[0], 1);
	ck_assert_uint_eq(coro_count(), 0);
}
END_TEST

/* reader - wait for a byte on *fd, note it */
static void
reader(void *arg)
{
	int	 fd = *(int *)arg;
	short	 rev = 0;
	char	 c;

	ck_assert_int_eq(coro_poll(fd, POLLIN, 5000, &rev), 1);
	ck_assert(rev & POLLIN);
	ck_assert_int_eq(read(fd, &c, 1), 1);
	steps[nsteps++] = c;
}

START_TEST(test_wait_for_descriptor)
{
	int	 sv[2];

	nsteps = 0;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(coro_start(reader, &sv[0]), 0);
	ck_assert_int_eq(nsteps, 0);
	ck_assert_uint_eq(coro_count(), 1);
	/* nothing to read: a round with a short timeout resumes nobody */
	ck_assert_int_eq(coro_schedule(NULL, 0, 10), 0);
	ck_assert_int_eq(nsteps, 0);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	unit_coro_run_all();
	ck_assert_int_eq(nsteps, 1);
	ck_assert_int_eq(steps[0], 'x');
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* sleeper - time out on a silent descriptor, then sleep without one */
static void
sleeper(void *arg)
{
	int	 fd = *(int *)arg;
	long long t0 = now_ms();

	ck_assert_int_eq(coro_poll(fd, POLLIN, 50, NULL), 0);
	ck_assert_int_ge(now_ms() - t0, 45);
	ck_assert_int_eq(coro_poll(-1, 0, 30, NULL), 0);
	ck_assert_int_ge(now_ms() - t0, 75);
	steps[nsteps++] = 7;
}

START_TEST(test_timeouts)
{
	int	 sv[2];

	nsteps = 0;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(coro_start(sleeper, &sv[0]), 0);
	unit_coro_run_all();
	ck_assert_int_eq(nsteps, 1);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_same_descriptor_twice)
{
	int	 sv[2];

	nsteps = 0;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(coro_start(reader, &sv[0]), 0);
	ck_assert_int_eq(coro_start(reader, &sv[0]), 0);
	ck_assert_int_eq(write(sv[1], "ab", 2), 2);
	unit_coro_run_all();
	ck_assert_int_eq(nsteps, 2);
	ck_assert_int_eq(steps[0] + steps[1], 'a' + 'b');
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* nested - starting from inside a coroutine is refused */
static void
nested(void *arg)
{
	(void)arg;
	errno = 0;
	ck_assert_int_eq(coro_start(record, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(coro_schedule(NULL, 0, 0), -1);
	steps[nsteps++] = 9;
}

START_TEST(test_no_nesting_and_plain_poll)
{
	struct pollfd extra;
	int	 sv[2];
	short	 rev = 0;

	nsteps = 0;
	ck_assert_int_eq(coro_start(nested, NULL), 0);
	ck_assert_int_eq(nsteps, 1);
	/* outside a coroutine coro_poll is a plain poll */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(coro_poll(sv[0], POLLIN, 0, &rev), 0);
	ck_assert_int_eq(write(sv[1], "z", 1), 1);
	ck_assert_int_eq(coro_poll(sv[0], POLLIN, 1000, &rev), 1);
	ck_assert(rev & POLLIN);
	/* the caller's own descriptors come back with their revents */
	ck_assert_int_eq(coro_watch(sv[0], POLLIN), 0);
	ck_assert_int_eq(coro_watch(sv[0], POLLIN), -1);
	ck_assert_int_eq(coro_schedule(&extra, 1, 1000), 1);
	ck_assert_int_eq(extra.fd, sv[0]);
	ck_assert(extra.revents & POLLIN);
	/* until unwatched */
	coro_unwatch(sv[0]);
	ck_assert_int_eq(coro_schedule(&extra, 1, 10), 0);
	/* a hang-up is reported even with no events asked for */
	ck_assert_int_eq(coro_watch(sv[0], 0), 0);
	ck_assert_int_eq(coro_schedule(&extra, 1, 10), 0);
	close(sv[1]);
	ck_assert_int_eq(coro_schedule(&extra, 1, 1000), 1);
	ck_assert(extra.revents & POLLHUP);
	coro_unwatch(sv[0]);
	close(sv[0]);
}
END_TEST

/* writer_wait - wait until fd is writable, note it */
static void
writer_wait(void *arg)
{
	ck_assert_int_eq(coro_poll(*(int *)arg, POLLOUT, 1000, NULL), 1);
	steps[nsteps++] = 'w';
}

/* A reader and a writer on one socket: each wakes for its own event. */
START_TEST(test_different_events_one_descriptor)
{
	int	 sv[2];

	nsteps = 0;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(coro_start(reader, &sv[0]), 0);
	ck_assert_int_eq(coro_start(writer_wait, &sv[0]), 0);
	ck_assert_int_ge(coro_schedule(NULL, 0, 1000), 0);
	ck_assert_int_eq(nsteps, 1);
	ck_assert_int_eq(steps[0], 'w');
	/* the reader is still parked, and still hears its data */
	ck_assert_uint_eq(coro_count(), 1);
	ck_assert_int_eq(write(sv[1], "r", 1), 1);
	unit_coro_run_all();
	ck_assert_int_eq(nsteps, 2);
	ck_assert_int_eq(steps[1], 'r');
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* reopen_and_read - close the descriptor, get a new one with the same
 * number, and wait on that */
static void
reopen_and_read(void *arg)
{
	int	*fds = arg, sv[2];
	char	 c;

	ck_assert_int_eq(coro_poll(fds[0], POLLIN, 1000, NULL), 1);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(sv[0], fds[0]);	/* lowest free number */
	fds[1] = sv[1];
	ck_assert_int_eq(coro_poll(sv[0], POLLIN, 1000, NULL), 1);
	ck_assert_int_eq(read(sv[0], &c, 1), 1);
	steps[nsteps++] = c;
	close(sv[0]);
}

START_TEST(test_descriptor_number_reused)
{
	int	 sv[2], fds[2];

	nsteps = 0;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fds[0] = sv[0];
	fds[1] = -1;
	ck_assert_int_eq(coro_start(reopen_and_read, fds), 0);
	ck_assert_int_eq(write(sv[1], "a", 1), 1);
	for (int i = 0; i < 100 && fds[1] < 0; i++)
		ck_assert_int_ge(coro_schedule(NULL, 0, 1000), 0);
	ck_assert_int_ge(fds[1], 0);
	ck_assert_int_eq(write(fds[1], "b", 1), 1);
	unit_coro_run_all();
	ck_assert_int_eq(nsteps, 1);
	ck_assert_int_eq(steps[0], 'b');
	close(sv[1]);
	close(fds[1]);
}
END_TEST

/* file_reader - a regular file cannot go into an epoll set: ready */
static void
file_reader(void *arg)
{
	short	 rev = 0;

	ck_assert_int_eq(coro_poll(*(int *)arg, POLLIN, 1000, &rev), 1);
	ck_assert(rev & POLLIN);
	steps[nsteps++] = 'f';
}

START_TEST(test_regular_file_is_ready)
{
	int	 fd = open("/proc/self/exe", O_RDONLY);

	nsteps = 0;
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(coro_start(file_reader, &fd), 0);
	ck_assert_int_eq(nsteps, 1);
	ck_assert_uint_eq(coro_count(), 0);
	close(fd);
}
END_TEST

#define PINGPONG_SESSIONS	300
#define PINGPONG_ROUNDS		20

struct pingpong {
	int	 fd;
	int	 rounds_done;
};

/* echo_session - read a number, answer it plus one, until EOF */
static void
echo_session(void *arg)
{
	struct pingpong *pp = arg;
	char	 buf[64];
	ssize_t	 n;
	int	 v;

	for (;;) {
		if (coro_poll(pp->fd, POLLIN, 5000, NULL) != 1)
			return;
		if ((n = read(pp->fd, buf, sizeof(buf) - 1)) <= 0)
			return;
		buf[n] = 0;
		v = 0;
		sscanf(buf, "%d", &v);
		n = snprintf(buf, sizeof(buf), "%d", v + 1);
		ck_assert_int_eq(write(pp->fd, buf, (size_t)n), n);
		pp->rounds_done++;
	}
}

START_TEST(test_many_sessions)
{
	static struct pingpong pp[PINGPONG_SESSIONS];
	static int peer[PINGPONG_SESSIONS];
	char	 buf[64];
	int	 sv[2];

	for (int i = 0; i < PINGPONG_SESSIONS; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		pp[i].fd = sv[0];
		pp[i].rounds_done = 0;
		peer[i] = sv[1];
		ck_assert_int_eq(coro_start(echo_session, &pp[i]), 0);
	}
	ck_assert_uint_eq(coro_count(), PINGPONG_SESSIONS);
	for (int r = 0; r < PINGPONG_ROUNDS; r++) {
		for (int i = 0; i < PINGPONG_SESSIONS; i++) {
			int n = snprintf(buf, sizeof(buf), "%d", i * 1000 + r);

			ck_assert_int_eq(write(peer[i], buf, (size_t)n), n);
		}
		for (int i = 0; i < PINGPONG_SESSIONS; i++) {
			ssize_t n;

			while (coro_poll(peer[i], POLLIN, 0, NULL) == 0)
				ck_assert_int_ge(coro_schedule(NULL, 0, 1000), 0);
			n = read(peer[i], buf, sizeof(buf) - 1);
			ck_assert_int_gt(n, 0);
			buf[n] = 0;
			ck_assert_int_eq(atoi(buf), i * 1000 + r + 1);
		}
	}
	for (int i = 0; i < PINGPONG_SESSIONS; i++)
		close(peer[i]);
	unit_coro_run_all();
	for (int i = 0; i < PINGPONG_SESSIONS; i++) {
		ck_assert_int_eq(pp[i].rounds_done, PINGPONG_ROUNDS);
		close(pp[i].fd);
	}
	/* finished stacks are kept and reused */
	nsteps = 0;
	for (int i = 0; i < 100; i++) {
		int one = 1;

		ck_assert_int_eq(coro_start(record, &one), 0);
	}
	ck_assert_int_eq(nsteps, 100);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("coro");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_runs_at_once);
	tcase_add_test(tc, test_wait_for_descriptor);
	tcase_add_test(tc, test_timeouts);
	tcase_add_test(tc, test_same_descriptor_twice);
	tcase_add_test(tc, test_different_events_one_descriptor);
	tcase_add_test(tc, test_descriptor_number_reused);
	tcase_add_test(tc, test_regular_file_is_ready);
	tcase_add_test(tc, test_no_nesting_and_plain_poll);
	tcase_add_test(tc, test_many_sessions);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
