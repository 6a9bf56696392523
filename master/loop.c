/*
 * loop.c - the master's single poll(2) loop.
 *
 * It watches the signal self-pipe, every status pipe, and the listeners of
 * services that need a child or turn clients away while throttled; it
 * wakes for throttle ends and wakeup triggers.  Signal work runs last in each round because a reload frees
 * the services the poll array points into.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "master.h"
#include "mem.h"
#include "msg.h"

static int master_signal_fd = -1;

/* master_next_timeout - ms until the next timed event, or -1 */
static int
master_next_timeout(struct master_state *ms, long long now)
{
	struct master_service *svc;
	long long next = -1, t;

	for (svc = ms->services; svc != NULL; svc = svc->next) {
		t = -1;
		if (svc->throttled)
			t = svc->throttle_until;
		if (svc->next_wakeup > 0 && (t < 0 || svc->next_wakeup < t))
			t = svc->next_wakeup;
		if (t >= 0 && (next < 0 || t < next))
			next = t;
	}
	if (next < 0)
		return (-1);
	if (next <= now)
		return (0);
	return (next - now > 3600000 ? 3600000 : (int)(next - now));
}

/* master_handle_signals - reap, reload or stop */
static void
master_handle_signals(struct master_state *ms)
{
	int	 signo;

	while ((signo = master_signal_next()) != 0) {
		switch (signo) {
		case SIGCHLD:
			master_reap(ms);
			break;
		case SIGHUP:
			master_reap(ms);
			master_reload(ms);
			break;
		case SIGTERM:
		case SIGINT:
			master_stop(ms, signo);
		}
	}
}

/* master_loop - never returns */
void
master_loop(struct master_state *ms)
{
	struct master_service **owner = NULL, *svc;
	struct pollfd *pfd = NULL;
	size_t	 cap = 0, n, i;
	long long now;
	int	 j, rc;

	master_signal_fd = master_signals_init();
	for (;;) {
		now = clock_monotonic_ms();
		for (svc = ms->services; svc != NULL; svc = svc->next)
			master_unthrottle(svc, now);
		master_wakeup_run(ms, now);

		n = 1;
		for (svc = ms->services; svc != NULL; svc = svc->next)
			n += 1 + (size_t)svc->listen_count;
		if (n > cap) {
			cap = n;
			pfd = xrealloc(pfd, cap * sizeof(*pfd));
			owner = xrealloc(owner, cap * sizeof(*owner));
		}
		n = 0;
		pfd[n].fd = master_signal_fd;
		pfd[n].events = POLLIN;
		owner[n++] = NULL;
		for (svc = ms->services; svc != NULL; svc = svc->next) {
			if (svc->status_rd >= 0) {
				pfd[n].fd = svc->status_rd;
				pfd[n].events = POLLIN;
				owner[n++] = svc;
			}
			if (!master_wants_child(svc) &&
			    !master_throttle_refusing(svc))
				continue;
			for (j = 0; j < svc->listen_count; j++) {
				pfd[n].fd = svc->listen_fds[j];
				pfd[n].events = POLLIN;
				owner[n++] = svc;
			}
		}
		rc = poll(pfd, (nfds_t)n, master_next_timeout(ms, now));
		if (rc < 0) {
			if (errno != EINTR)
				msg_fatal("poll: %s", strerror(errno));
			continue;
		}
		for (i = 1; rc > 0 && i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			svc = owner[i];
			if (pfd[i].fd == svc->status_rd)
				master_status_read(ms, svc);
			else if (master_wants_child(svc))
				master_spawn(ms, svc);
			else if (master_throttle_refusing(svc))
				master_throttle_refuse(svc, pfd[i].fd);
		}
		if (pfd[0].revents)
			master_handle_signals(ms);
	}
}
