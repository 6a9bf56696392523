/*
 * status.c - busy/idle accounting from the services' status pipes.
 *
 * Children write struct service_status records (PIPE_BUF-atomic) on fd 3.
 * A new child counts as available until it reports busy, so one pending
 * connection never causes more than one spawn.  The master watches a
 * service's listeners only while it has no available child and is below
 * maxproc: then a readable listener means a client is waiting for a child.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "master.h"
#include "msg.h"
#include "service.h"

#define STATUS_READ_BATCH	64

/* master_wants_child - should a waiting client make us spawn for svc? */
bool
master_wants_child(const struct master_service *svc)
{
	if (svc->retired || svc->throttled || svc->listen_count == 0 ||
	    svc->status_rd < 0)
		return (false);
	if (svc->avail_count > 0)
		return (false);
	return (svc->maxproc == 0 || svc->child_count < svc->maxproc);
}

/* master_status_apply - one record from one child */
static void
master_status_apply(struct master_state *ms, struct master_service *svc,
    const struct service_status *rec)
{
	struct master_child *child;

	for (child = ms->children; child != NULL; child = child->next)
		if (child->pid == rec->pid && child->service == svc)
			break;
	if (child == NULL) {
		/* Possible after the child was reaped; never trust a stranger. */
		msg_debug("status from unknown pid %ld", (long)rec->pid);
		return;
	}
	child->reported = true;
	switch (rec->status) {
	case SERVICE_STATUS_BUSY:
		if (!child->busy) {
			child->busy = true;
			child->ever_busy = true;
			svc->avail_count--;
		}
		break;
	case SERVICE_STATUS_USED:
		child->ever_busy = true;
		break;
	case SERVICE_STATUS_IDLE:
		if (child->busy) {
			child->busy = false;
			svc->avail_count++;
		}
		break;
	default:
		msg_warn("%s: pid %ld sent bad status 0x%02x", svc->path,
		    (long)rec->pid, (unsigned char)rec->status);
		break;
	}
}

/* master_status_read - drain svc's status pipe */
void
master_status_read(struct master_state *ms, struct master_service *svc)
{
	struct service_status recs[STATUS_READ_BATCH];
	ssize_t	 n;
	size_t	 i;

	for (;;) {
		n = read(svc->status_rd, recs, sizeof(recs));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (n % (ssize_t)sizeof(recs[0]) != 0)
			msg_warn("%s: status pipe: partial record ignored",
			    svc->path);
		for (i = 0; i < (size_t)n / sizeof(recs[0]); i++)
			master_status_apply(ms, svc, &recs[i]);
		if (n < (ssize_t)sizeof(recs))
			break;
	}
}
