/*
 * test_flow - unit tests of lib/io/flow.c, the in-flow control page: credits
 * are taken and given back up to the window, a taker without credit waits
 * at most its limit and is woken by a give from another process, and
 * attach refuses what is not a flow page.  In a coroutine (lib/io/coro.h)
 * a taker without credit waits about its limit and the process's other
 * coroutines keep running meanwhile (naps, not a futex sleep), and a
 * credit given by another coroutine during the wait is taken.  Each
 * test forks (Check's default), so each starts without a page.
 */
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "flow.h"
#include "unit.h"

/* elapsed_ms - since start */
static long
elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((now.tv_sec - start->tv_sec) * 1000L +
	    (now.tv_nsec - start->tv_nsec) / 1000000L);
}

/* attach_new - a fresh page with window credits, mapped here */
static void
attach_new(int window)
{
	int	 fd = flow_create(window);

	ck_assert_int_ge(fd, 0);
	ck_assert(flow_attach(fd));
	/* attach closed it */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
}

START_TEST(test_without_page)
{
	struct timespec start;

	ck_assert_int_eq(flow_credits(), -1);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert(!flow_take(500));
	ck_assert_int_lt(elapsed_ms(&start), 100);
	flow_give();
	flow_reset(5);
	ck_assert_int_eq(flow_credits(), -1);
}
END_TEST

START_TEST(test_take_and_give_within_window)
{
	attach_new(3);
	ck_assert_int_eq(flow_credits(), 3);
	ck_assert(flow_take(0));
	ck_assert(flow_take(0));
	ck_assert(flow_take(0));
	ck_assert_int_eq(flow_credits(), 0);
	ck_assert(!flow_take(0));
	ck_assert_int_eq(flow_credits(), 0);
	flow_give();
	ck_assert_int_eq(flow_credits(), 1);
	/* never past the window, however many messages leave the queue */
	for (int i = 0; i < 10; i++)
		flow_give();
	ck_assert_int_eq(flow_credits(), 3);
	/* a reset restores the (new) window */
	ck_assert(flow_take(0));
	flow_reset(5);
	ck_assert_int_eq(flow_credits(), 5);
	flow_give();
	ck_assert_int_eq(flow_credits(), 5);
}
END_TEST

START_TEST(test_wait_is_bounded)
{
	struct timespec start;
	long	 ms;

	attach_new(1);
	ck_assert(flow_take(0));
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert(!flow_take(300));
	ms = elapsed_ms(&start);
	ck_assert_int_ge(ms, 290);
	ck_assert_int_lt(ms, 2000);
	ck_assert_int_eq(flow_credits(), 0);
}
END_TEST

START_TEST(test_give_from_another_process_wakes)
{
	struct timespec start;
	pid_t	 pid;
	int	 status;
	long	 ms;

	attach_new(1);
	ck_assert(flow_take(0));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the mapping is shared with the parent across fork */
		usleep(150000);
		flow_give();
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert(flow_take(10000));
	ms = elapsed_ms(&start);
	ck_assert_int_ge(ms, 100);
	ck_assert_int_lt(ms, 5000);	/* woken, not timed out */
	ck_assert_int_eq(flow_credits(), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

START_TEST(test_attach_refuses_other_descriptors)
{
	char	 path[] = "/tmp/test_flow.XXXXXX";
	char	 zeros[4096] = {0};
	int	 fd, pfd[2];

	/* the right size, but not a page flow_create() made */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(write(fd, zeros, sizeof(zeros)), (ssize_t)sizeof(zeros));
	ck_assert(!flow_attach(fd));
	ck_assert_int_ge(fcntl(fd, F_GETFD), 0);	/* left open */
	close(fd);
	/* not a regular file */
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert(!flow_attach(pfd[0]));
	close(pfd[0]);
	close(pfd[1]);
	ck_assert_int_eq(flow_credits(), -1);
}
END_TEST


/* the ticker naps 1 ms at a time, counting, until the taker is done */
static unsigned long ticks;
static bool	 taker_done;

static void
ticker(void *arg)
{
	(void)arg;
	while (!taker_done) {
		ck_assert_int_eq(coro_poll(-1, 0, 1, NULL), 0);
		ticks++;
	}
}

/* a coroutine's flow_take, timed, counting the ticker's rounds */
struct taker {
	long	 max_wait_ms;
	bool	 took;
	long	 ms;
	unsigned long ticks_during;
};

static void
taker(void *arg)
{
	struct taker *t = arg;
	struct timespec start;
	unsigned long t0 = ticks;

	clock_gettime(CLOCK_MONOTONIC, &start);
	t->took = flow_take(t->max_wait_ms);
	t->ms = elapsed_ms(&start);
	t->ticks_during = ticks - t0;
	taker_done = true;
}

START_TEST(test_coroutine_wait_is_bounded_and_yields)
{
	struct taker t = { 300, true, 0, 0 };

	attach_new(1);
	ck_assert(flow_take(0));
	ticks = 0;
	taker_done = false;
	ck_assert_int_eq(coro_start(ticker, NULL), 0);
	ck_assert_int_eq(coro_start(taker, &t), 0);
	/* the taker naps: coro_start came back with it waiting */
	ck_assert_uint_eq(coro_count(), 2);
	unit_coro_run_all();
	ck_assert(!t.took);
	ck_assert_int_ge(t.ms, 290);
	ck_assert_int_lt(t.ms, 2000);
	/* about one tick a millisecond; a futex sleep would allow none */
	ck_assert_msg(t.ticks_during >= 10, "%lu ticks in %ld ms",
	    t.ticks_during, t.ms);
	ck_assert_int_eq(flow_credits(), 0);
}
END_TEST

/* giver - a coroutine that gives a credit back after 100 ms */
static bool	 given;

static void
giver(void *arg)
{
	(void)arg;
	ck_assert_int_eq(coro_poll(-1, 0, 100, NULL), 0);
	given = true;
	flow_give();
}

START_TEST(test_coroutine_woken_by_give)
{
	struct taker t = { 3000, false, 0, 0 };

	attach_new(1);
	ck_assert(flow_take(0));
	ticks = 0;
	taker_done = false;
	given = false;
	ck_assert_int_eq(coro_start(ticker, NULL), 0);
	ck_assert_int_eq(coro_start(giver, NULL), 0);
	ck_assert_int_eq(coro_start(taker, &t), 0);
	unit_coro_run_all();
	/* the giver ran during the wait, and its credit was taken */
	ck_assert(given);
	ck_assert(t.took);
	ck_assert_int_ge(t.ms, 90);
	ck_assert_int_lt(t.ms, 2000);	/* taken, not timed out */
	ck_assert_uint_gt(t.ticks_during, 0);
	ck_assert_int_eq(flow_credits(), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("flow");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_without_page);
	tcase_add_test(tc, test_take_and_give_within_window);
	tcase_add_test(tc, test_wait_is_bounded);
	tcase_add_test(tc, test_give_from_another_process_wakes);
	tcase_add_test(tc, test_attach_refuses_other_descriptors);
	tcase_add_test(tc, test_coroutine_wait_is_bounded_and_yields);
	tcase_add_test(tc, test_coroutine_woken_by_give);
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
