/*
 * test_flow - unit tests of lib/flow.c, the in-flow control page: credits
 * are taken and given back up to the window, a taker without credit waits
 * at most its limit and is woken by a give from another process, and
 * attach refuses what is not a flow page.  Each test forks (Check's
 * default), so each starts without a page.
 */
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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
	suite_add_tcase(s, tc);
	return (unit_run(s));
}
