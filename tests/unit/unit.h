/*
 * unit - what every Check test program of tests/unit shares: running a
 * suite and turning its failures into the exit status, and a spinner
 * for the tests of waits made inside coroutines.
 */
#ifndef SLUICE_TESTS_UNIT_H
#define SLUICE_TESTS_UNIT_H

#include <check.h>
#include <stdbool.h>

/* unit_run - run every test of s (forking, Check's default); exit status */
int	unit_run(Suite *s);

/*
 * unit_coro_run_all - run the scheduler until every coroutine has ended;
 * fails the test after UNIT_CORO_LIMIT_S, so that a lost wake-up fails
 * instead of hanging
 */
#define UNIT_CORO_LIMIT_S	10
void	unit_coro_run_all(void);

/*
 * unit_spinner - a coroutine that runs once in every round of the
 * scheduler (it parks on a descriptor that is always ready, a pipe's
 * write end) and counts the rounds until stop is set: its count going
 * up while another coroutine waits shows that the wait parked only that
 * coroutine, not the process.  (A zero timeout would not yield at all,
 * and 1 ms naps could miss a short wait.)
 */
struct unit_spinner {
	int		 pipe[2];
	bool		 stop;
	unsigned long	 rounds;
};

/* unit_spinner_open - the pipe; unit_spinner_close - closes it */
void	unit_spinner_open(struct unit_spinner *sp);
void	unit_spinner_close(struct unit_spinner *sp);

/* unit_spinner_start - count afresh in a new coroutine until sp->stop */
void	unit_spinner_start(struct unit_spinner *sp);

#endif
