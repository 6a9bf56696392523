/*
 * loop.c - the queue manager's event loop.
 *
 * One poll(2) over the master's status pipe, the trigger socket, the
 * inotify watch on incoming/ (watch.c), the trigger clients, the agent
 * connections and the bounce service connections (notice.c); timers for
 * the incoming/ safety scan, the deferred/ queue run, the connection
 * deadlines and the retries of attempts that could not be recorded
 * (stall.c).
 * While a message is still being resolved (message.c, in slices) poll
 * does not wait.  The defer logs that got sent= lines in a turn are
 * flushed once at its end.
 * When the master closes the status pipe (reload, stop) qmgr starts no
 * new job, waits up to QMGR_DRAIN_TIMEOUT for the running ones and the
 * notices they lead to, and exits; whatever is left in active/ is
 * recovered by the next qmgr.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "mem.h"
#include "msg.h"
#include "qmgr.h"

/* qmgr_loop_init - what the loop needs besides the settings (main.c) */
static void
qmgr_loop_init(struct qmgr *qm)
{
	if (qm->max_backoff < qm->min_backoff)
		qm->max_backoff = qm->min_backoff;
	flow_reset((int)qm->flow_window);
	strlist_init(&qm->flush_ids);
	strlist_init(&qm->flush_sites);
	strlist_init(&qm->unsynced);
}

/* qmgr_timeout - milliseconds until the next timer (at most one second) */
static int
qmgr_timeout(const struct qmgr *qm, time_t now)
{
	time_t	 next = now + 1;

	if (!qm->draining && qm->resolving != NULL)
		return (0);	/* more of a message to resolve */
	if (!qm->draining) {
		if (qm->next_incoming < next)
			next = qm->next_incoming;
		if (qm->next_deferred < next)
			next = qm->next_deferred;
	}
	for (const struct qmgr_agent *a = qm->agents; a; a = a->next)
		if (a->deadline < next)
			next = a->deadline;
	for (const struct qmgr_trigger_conn *t = qm->triggers; t; t = t->next)
		if (t->deadline < next)
			next = t->deadline;
	next = qmgr_notice_deadline(qm, next);
	return (next <= now ? 0 : (int)(next - now) * 1000);
}

/* qmgr_work - scans, a slice of resolution and scheduling due now */
static void
qmgr_work(struct qmgr *qm, time_t now)
{
	if (qm->want_incoming || now >= qm->next_incoming)
		qmgr_scan_incoming(qm);
	if (qm->want_deferred || now >= qm->next_deferred)
		qmgr_scan_deferred(qm);
	qmgr_message_resolve_some(qm);
	qmgr_schedule(qm);
	qmgr_stall_retry(qm, now);
	qmgr_outcome_sync(qm);
}

/* qmgr_loop - run until the master goes away */
void
qmgr_loop(struct qmgr *qm, const int *listen_fds, int count)
{
	struct pollfd *pfd = NULL;
	void	**owner = NULL;
	size_t	 cap = 0, n, first_trigger, first_agent, first_notice;
	time_t	 now, drain_until = 0;
	int	 rc;

	qmgr_loop_init(qm);
	/* watch first, then scan: nothing written in between is missed */
	qm->watch_fd = qmgr_watch_init();
	qmgr_recover_active(qm);
	qm->want_incoming = true;
	qm->want_deferred = true;
	for (;;) {
		now = time(NULL);
		if (!qm->draining)
			qmgr_work(qm, now);
		else if ((qmgr_agents_busy(qm) == 0 && qm->notices == NULL) ||
		    now >= drain_until)
			break;

		n = 2 + (size_t)count + qm->trigger_count;
		for (struct qmgr_agent *a = qm->agents; a; a = a->next)
			n++;
		for (struct qmgr_notice *x = qm->notices; x; x = x->next)
			n++;
		if (n > cap) {
			cap = n * 2;
			pfd = xrealloc(pfd, cap * sizeof(*pfd));
			owner = xrealloc(owner, cap * sizeof(*owner));
		}
		n = 0;
		pfd[n].fd = qm->draining ? -1 : SERVICE_STATUS_FD;
		pfd[n].events = 0;	/* POLLHUP/POLLERR: the master left */
		owner[n++] = NULL;
		for (int i = 0; i < count; i++) {
			pfd[n].fd = qm->draining ? -1 : listen_fds[i];
			pfd[n].events = POLLIN;
			owner[n++] = NULL;
		}
		pfd[n].fd = qm->draining ? -1 : qm->watch_fd;
		pfd[n].events = POLLIN;
		owner[n++] = NULL;
		first_trigger = n;
		for (struct qmgr_trigger_conn *t = qm->triggers; t; t = t->next) {
			pfd[n].fd = t->fd;
			pfd[n].events = POLLIN;
			owner[n++] = t;
		}
		first_agent = n;
		for (struct qmgr_agent *a = qm->agents; a; a = a->next) {
			pfd[n].fd = a->fd;
			pfd[n].events = POLLIN;
			owner[n++] = a;
		}
		first_notice = n;
		for (struct qmgr_notice *x = qm->notices; x; x = x->next) {
			if ((pfd[n].events = qmgr_notice_events(x)) == 0)
				continue;
			pfd[n].fd = x->fd;
			owner[n++] = x;
		}
		rc = poll(pfd, (nfds_t)n, qmgr_timeout(qm, now));
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			msg_fatal("poll: %s", strerror(errno));
		}
		now = time(NULL);
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			msg_debug("master closed the status pipe: draining");
			qm->draining = true;
			drain_until = now + QMGR_DRAIN_TIMEOUT;
		}
		for (size_t i = 1; i < first_trigger - 1; i++)
			if (pfd[i].revents & POLLIN)
				qmgr_trigger_accept(qm, pfd[i].fd);
		if (pfd[first_trigger - 1].revents & POLLIN)
			qmgr_watch_input(qm, qm->watch_fd);
		for (size_t i = first_trigger; i < first_agent; i++)
			if (pfd[i].revents)
				qmgr_trigger_input(qm, owner[i]);
		for (size_t i = first_agent; i < first_notice; i++)
			if (pfd[i].revents)
				qmgr_agent_input(qm, owner[i]);
		for (size_t i = first_notice; i < n; i++)
			if (pfd[i].revents)
				qmgr_notice_input(qm, owner[i], pfd[i].revents);
		qmgr_agent_expire(qm, now);
		qmgr_notice_expire(qm, now);
		qmgr_trigger_expire(qm, now);
		qmgr_outcome_sync(qm);
	}
	free(pfd);
	free(owner);
}
