/*
 * stop.c - orderly stop on SIGTERM (and SIGINT in the foreground).
 *
 * Listeners and status pipes close first, so idle children leave on their
 * own; every child then gets SIGTERM, and whatever is still alive after
 * MASTER_STOP_WAIT_MS gets SIGKILL.  The pid file goes last, while we
 * still hold its lock, so a new master cannot start underneath us.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "clock.h"
#include "master.h"
#include "msg.h"

/* master_kill_all - send signo to every child we know */
static void
master_kill_all(struct master_state *ms, int signo)
{
	struct master_child *child;

	for (child = ms->children; child != NULL; child = child->next)
		(void)kill(child->pid, signo);
}

/* master_close_all - close every descriptor handed to children */
static void
master_close_all(struct master_state *ms, struct master_service *list)
{
	struct master_service *svc;

	for (svc = list; svc != NULL; svc = svc->next) {
		master_listen_close(ms, svc, false);
		master_status_close(svc);
	}
}

/* master_stop - never returns */
void
master_stop(struct master_state *ms, int signo)
{
	struct timespec nap = {0, 50 * 1000 * 1000};
	long long deadline;

	msg_info("terminating on signal %d", signo);
	ms->stopping = true;
	master_close_all(ms, ms->services);
	master_close_all(ms, ms->retired);
	master_kill_all(ms, SIGTERM);
	deadline = clock_monotonic_ms() + MASTER_STOP_WAIT_MS;
	for (;;) {
		master_reap(ms);
		if (ms->children == NULL || clock_monotonic_ms() >= deadline)
			break;
		(void)nanosleep(&nap, NULL);
	}
	if (ms->children != NULL) {
		master_kill_all(ms, SIGKILL);
		while (ms->children != NULL) {
			master_reap(ms);
			if (ms->children != NULL)
				(void)nanosleep(&nap, NULL);
		}
	}
	master_pidfile_remove(ms->pid_fd, MASTER_PID_FILE);
	exit(0);
}
