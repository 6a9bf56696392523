/*
 * reap.c - dead children, and the throttle that stops a respawn loop.
 *
 * Every abnormal exit is logged in Postfix's words.  A child that dies
 * before it ever reported to the master, or that dies abnormally before it
 * served its first client, points at a broken program or configuration:
 * its service gets no new children for service_throttle_time, then we try
 * again.  A child killed in the middle of a session does not throttle, so
 * one crash on hostile input does not take the service away from others.
 * A child that exits on its own (msg_fatal: a value it cannot use, a
 * table gone) before it ever reported refused to start, and dies so
 * again each time: it never accepts, so a client waiting in the listen
 * backlog would wait for ipc_timeout (an hour).  While a unix (internal)
 * service is throttled for that reason and has no child, each client
 * that connects is accepted and closed at once: smtpd answers 451 when
 * cleanup cannot start, qmgr defers instead of waiting for an agent.
 * Nothing is lost: the client still holds what it was handing over.  A
 * throttle after a crash or a kill is waited out as before.
 *
 * Parameters: service_throttle_time.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "clock.h"
#include "master.h"
#include "msg.h"

/* master_throttle - no new children for svc for a while */
void
master_throttle(struct master_state *ms, struct master_service *svc)
{
	long	 secs;

	if (svc->throttled || svc->retired)
		return;
	secs = ms->set.service_throttle_time;
	svc->throttled = true;
	svc->throttle_refused = 0;
	svc->throttle_refused_start = false;
	svc->throttle_until = clock_monotonic_ms() + secs * 1000LL;
	msg_warn("%s: bad command startup -- throttling for %lds", svc->path,
	    secs);
}

/* master_unthrottle - end the throttle when its time has come */
void
master_unthrottle(struct master_service *svc, long long now)
{
	if (svc->throttled && now >= svc->throttle_until) {
		svc->throttled = false;
		if (svc->throttle_refused > 0)
			msg_warn("%s: throttle ended; %lu client%s turned away",
			    svc->path, svc->throttle_refused,
			    svc->throttle_refused == 1 ? "" : "s");
		msg_debug("%s: throttle ended", svc->path);
	}
}

/* master_throttle_refusing - see master.h */
bool
master_throttle_refusing(const struct master_service *svc)
{
	return (svc->throttled && svc->throttle_refused_start &&
	    !svc->retired && svc->child_count == 0 &&
	    strcmp(svc->type, "unix") == 0);
}

/* master_throttle_refuse - see master.h */
void
master_throttle_refuse(struct master_service *svc, int fd)
{
	int	 client;

	if ((client = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			msg_warn("%s: accept: %s", svc->path, strerror(errno));
		return;
	}
	(void)close(client);
	if (svc->throttle_refused++ == 0)
		msg_warn("%s: throttled: turning clients of service %s away "
		    "until the throttle ends", svc->path, svc->name);
}

/* master_retired_sweep - free old-generation services without children */
void
master_retired_sweep(struct master_state *ms)
{
	struct master_service **pp, *svc;

	for (pp = &ms->retired; (svc = *pp) != NULL;) {
		if (svc->child_count == 0) {
			*pp = svc->next;
			master_service_free(svc);
		} else {
			pp = &svc->next;
		}
	}
}

/* master_child_exited - accounting and logging for one child */
static void
master_child_exited(struct master_state *ms, struct master_child *child,
    int status)
{
	struct master_service *svc = child->service;
	bool	 abnormal = false;

	if (WIFSIGNALED(status) && ms->stopping &&
	    WTERMSIG(status) == SIGTERM) {
		/* We asked for it: not worth a warning. */
	} else if (WIFSIGNALED(status)) {
		msg_warn("process %s pid %ld killed by signal %d", svc->path,
		    (long)child->pid, WTERMSIG(status));
		abnormal = true;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		msg_warn("process %s pid %ld exit status %d", svc->path,
		    (long)child->pid, WEXITSTATUS(status));
		abnormal = true;
	}
	if (!child->busy)
		svc->avail_count--;
	svc->child_count--;
	if (!child->reported || (abnormal && !child->ever_busy)) {
		master_throttle(ms, svc);
		if (!child->reported && WIFEXITED(status) &&
		    WEXITSTATUS(status) != 0)
			svc->throttle_refused_start = true;
	}
	/*
	 * A trigger service (qmgr, pickup) that lost its last process may have
	 * work in the queue that no new trigger will announce: wake it at once
	 * instead of a full wakeup interval later.
	 */
	if (svc->wakeup > 0 && svc->child_count == 0 && !ms->stopping)
		svc->next_wakeup = 0;
}

/* master_reap - collect every exited child */
void
master_reap(struct master_state *ms)
{
	struct master_child **pp, *child;
	pid_t	 pid;
	int	 status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		for (pp = &ms->children; (child = *pp) != NULL;
		    pp = &child->next)
			if (child->pid == pid)
				break;
		if (child == NULL) {
			msg_debug("reaped unknown pid %ld", (long)pid);
			continue;
		}
		*pp = child->next;
		master_child_exited(ms, child, status);
		free(child);
	}
	master_retired_sweep(ms);
}
