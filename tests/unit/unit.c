/*
 * unit - the shared main() tail of the Check test programs, and the
 * spinner of the coroutine tests (unit.h).
 */
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "unit.h"

/* unit_run - run the suite, report, and say whether all passed */
int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

/* unit_spinner_open - see unit.h */
void
unit_spinner_open(struct unit_spinner *sp)
{
	ck_assert_int_eq(pipe(sp->pipe), 0);
}

/* unit_spinner_close - see unit.h */
void
unit_spinner_close(struct unit_spinner *sp)
{
	close(sp->pipe[0]);
	close(sp->pipe[1]);
}

/* spin - the spinner's coroutine */
static void
spin(void *arg)
{
	struct unit_spinner *sp = arg;

	while (!sp->stop) {
		ck_assert_int_eq(coro_poll(sp->pipe[1], POLLOUT, 1000, NULL), 1);
		sp->rounds++;
	}
}

/* unit_spinner_start - see unit.h */
void
unit_spinner_start(struct unit_spinner *sp)
{
	sp->stop = false;
	sp->rounds = 0;
	ck_assert_int_eq(coro_start(spin, sp), 0);
}

/* unit_coro_run_all - see unit.h */
void
unit_coro_run_all(void)
{
	time_t	 deadline = time(NULL) + UNIT_CORO_LIMIT_S + 1;

	while (coro_count() > 0 && time(NULL) < deadline)
		ck_assert_int_ge(coro_schedule(NULL, 0, 100), 0);
	ck_assert_msg(coro_count() == 0,
	    "%zu coroutine(s) still waiting after %ds: a lost wake-up?",
	    coro_count(), UNIT_CORO_LIMIT_S);
}
