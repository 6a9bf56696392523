/*
 * schedule.c - transports, destinations and their job queues.
 *
 * A destination is a (transport, next hop) pair with a FIFO of jobs.
 * It runs at most TRANSPORT_destination_concurrency_limit jobs at once
 * (else default_destination_concurrency_limit); a job holds at most
 * TRANSPORT_destination_recipient_limit recipients (local: 1).  The
 * number of connections to one transport is capped by its master.cf
 * maxproc, because every connection holds one agent process.  All of it
 * is decided from memory; nothing here touches the disk.  A transport
 * finds its destinations through a hash table: one message may put
 * addresses at a million next hops, one at a time.  The scheduler visits
 * only the destinations on the transport's list: those with a job
 * waiting, and those whose last job just ended (to forget them when they
 * are idle), so that a turn of the event loop does not cost every
 * destination known.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "qmgr.h"

#define QMGR_TRANSPORT_NAME_MAX	64

/* qmgr_transport_limit - TRANSPORT_..._limit or default_..._limit, >= 1 */
static int
qmgr_transport_limit(const struct config_per_transport *limits,
    const char *transport)
{
	long	 value = config_per_transport_get(limits, transport);

	if (value < 1)
		value = 1;
	return (value > INT_MAX ? INT_MAX : (int)value);
}

/* qmgr_transport_agent_limit - the maxproc of the transport's service */
static int
qmgr_transport_agent_limit(struct qmgr *qm, const char *transport)
{
	for (size_t i = 0; i < qm->service_count; i++) {
		const struct master_entry *e = &qm->services[i];

		if (strcmp(e->service, transport) == 0 &&
		    strcmp(e->type, "unix") == 0)
			return (e->maxproc > 0 ? e->maxproc : INT_MAX);
	}
	return (qm->default_process_limit > INT_MAX ? INT_MAX :
	    (int)qm->default_process_limit);
}

/* qmgr_transport_name_ok - it becomes a path under private/ */
static bool
qmgr_transport_name_ok(const char *name)
{
	size_t	 len = strlen(name);

	if (len == 0 || len > QMGR_TRANSPORT_NAME_MAX)
		return (false);
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '-' && name[i] != '.')
			return (false);
	return (name[0] != '.');
}

/* qmgr_transport_get - find or create the transport named name */
struct qmgr_transport *
qmgr_transport_get(struct qmgr *qm, const char *name)
{
	struct qmgr_transport *t;

	for (t = qm->transports; t != NULL; t = t->next)
		if (strcmp(t->name, name) == 0)
			return (t);
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->concurrency = qmgr_transport_limit(qm->concurrency_limits, name);
	t->rcpt_limit = qmgr_transport_limit(qm->recipient_limits, name);
	/* an agent refuses a request with more (lib/mail/deliver_request.h) */
	if (t->rcpt_limit > DELIVER_RECIPIENT_MAX) {
		msg_warn("transport %s: destination recipient limit %d is "
		    "above the %d recipients of one delivery request; using "
		    "%d", name, t->rcpt_limit, DELIVER_RECIPIENT_MAX,
		    DELIVER_RECIPIENT_MAX);
		t->rcpt_limit = DELIVER_RECIPIENT_MAX;
	}
	t->agent_limit = qmgr_transport_agent_limit(qm, name);
	t->dest_index = htable_create(0, 0);
	t->next = qm->transports;
	qm->transports = t;
	msg_debug("transport %s: concurrency %d, recipients %d, agents %d",
	    name, t->concurrency, t->rcpt_limit, t->agent_limit);
	return (t);
}

/* qmgr_dest_get - find or create a destination of t */
static struct qmgr_dest *
qmgr_dest_get(struct qmgr_transport *t, const char *nexthop)
{
	struct htable_entry *h;
	struct qmgr_dest *d;
	bool	 added;

	h = htable_enter(t->dest_index, nexthop, strlen(nexthop), &added);
	if (!added)
		return (h->value);
	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(nexthop);
	d->transport = t;
	h->value = d;
	return (d);
}

/* qmgr_dest_list - the scheduler is to look at d (once per turn) */
void
qmgr_dest_list(struct qmgr_dest *d)
{
	struct qmgr_transport *t = d->transport;

	if (d->on_list)
		return;
	d->on_list = true;
	d->next = NULL;
	if (t->listed_tail != NULL)
		t->listed_tail->next = d;
	else
		t->listed = d;
	t->listed_tail = d;
}

/* qmgr_job_add - put rcpts[idx] of m in a job for (transport, nexthop) */
void
qmgr_job_add(struct qmgr *qm, struct qmgr_message *m, const char *transport,
    const char *nexthop, size_t idx)
{
	struct qmgr_transport *t;
	struct qmgr_dest *d;
	struct qmgr_job *job;

	if (!qmgr_transport_name_ok(transport)) {
		qmgr_rcpt_set(&m->rcpts[idx], 4, "4.3.5",
		    "bad transport name in the configuration");
		qmgr_log_rcpt(m, &m->rcpts[idx], "deferred");
		return;
	}
	t = qmgr_transport_get(qm, transport);
	d = qmgr_dest_get(t, nexthop);
	job = d->tail;
	if (job == NULL || job->msg != m || job->count >= (size_t)t->rcpt_limit) {
		job = xcalloc(1, sizeof(*job));
		job->msg = m;
		job->dest = d;
		job->idx = xcalloc((size_t)t->rcpt_limit < 16 ?
		    (size_t)t->rcpt_limit : 16, sizeof(*job->idx));
		if (d->tail)
			d->tail->next = job;
		else
			d->head = job;
		d->tail = job;
		m->jobs++;
		qmgr_dest_list(d);
	} else if (job->count >= 16 && (job->count & (job->count - 1)) == 0) {
		/* grow by doubling past the first 16 */
		job->idx = xrealloc(job->idx, job->count * 2 * sizeof(*job->idx));
	}
	job->idx[job->count++] = idx;
}

/* qmgr_job_unavailable - no agent for the transport: defer the job */
static void
qmgr_job_unavailable(struct qmgr *qm, struct qmgr_job *job, const char *why)
{
	struct qmgr_message *m = job->msg;

	msg_debug("%s: transport %s: %s", m->id, job->dest->transport->name, why);
	for (size_t i = 0; i < job->count; i++) {
		struct qmgr_rcpt *r = &m->rcpts[job->idx[i]];

		qmgr_rcpt_set(r, 4, "4.4.1", "mail transport unavailable");
		qmgr_log_rcpt(m, r, "deferred");
	}
	qmgr_job_done(qm, job);
}

/*
 * qmgr_job_may_grow - the last job of a destination whose message is
 * still being resolved (in slices) gets more recipients with the next
 * slice: it waits until it is full or the message is resolved, so that
 * the slices do not cut a message's deliveries into small requests
 */
static bool
qmgr_job_may_grow(const struct qmgr_job *job)
{
	return (job == job->dest->tail && job->msg->resolving &&
	    job->count < (size_t)job->dest->transport->rcpt_limit);
}

/* qmgr_schedule - start every job that a destination and agent allow */
void
qmgr_schedule(struct qmgr *qm)
{
	struct qmgr_transport *t;
	struct qmgr_dest *d, **dp, *prev;
	struct qmgr_agent *a;
	struct qmgr_job *job;
	struct strbuf err;
	bool	 agents_left;

	if (qm->draining)
		return;
	strbuf_init(&err);
	for (t = qm->transports; t != NULL; t = t->next) {
		agents_left = true;
		for (dp = &t->listed, prev = NULL; (d = *dp) != NULL;) {
			while (agents_left && d->head != NULL &&
			    d->active < t->concurrency &&
			    !qmgr_job_may_grow(d->head)) {
				strbuf_reset(&err);
				a = qmgr_agent_get(qm, t, &err);
				if (a == NULL && err.len == 0) {
					/* all agents busy: later, for all */
					agents_left = false;
					break;
				}
				job = d->head;
				if ((d->head = job->next) == NULL)
					d->tail = NULL;
				job->next = NULL;
				if (a == NULL) {
					qmgr_job_unavailable(qm, job, err.data);
					continue;
				}
				d->active++;
				(void)qmgr_agent_send(qm, a, job);
			}
			if (d->head != NULL) {
				prev = d;	/* a job still waits */
				dp = &d->next;
				continue;
			}
			*dp = d->next;
			if (t->listed_tail == d)
				t->listed_tail = prev;
			d->on_list = false;
			d->next = NULL;
			/* forget idle destinations so their number stays bounded */
			if (d->active == 0) {
				(void)htable_delete(t->dest_index, d->name,
				    strlen(d->name));
				free(d->name);
				free(d);
			}
		}
	}
	strbuf_free(&err);
}

/* qmgr_job_done - a job has all its outcomes; maybe finish its message */
void
qmgr_job_done(struct qmgr *qm, struct qmgr_job *job)
{
	struct qmgr_message *m = job->msg;

	free(job->idx);
	free(job);
	if (--m->jobs == 0)
		qmgr_message_finish(qm, m);
}
