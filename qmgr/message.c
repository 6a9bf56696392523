/*
 * message.c - bring one queue file into memory.
 *
 * A message is moved to active/ and read once: envelope, recipients and
 * the defer log.  Every pending recipient is resolved to a transport and
 * next hop, and becomes part of a job for that destination.  cleanup
 * wrote each R record as one final address (virtual aliases expanded,
 * the original kept in the record), so qmgr does not expand them; only
 * a record of a queue file written before that change (no original
 * field) is expanded here, as the old code did, and may become several
 * addresses.  Recipients that cannot be resolved get their outcome at
 * once, and so do addresses that the defer log says an earlier attempt
 * delivered (a record that became several addresses stays pending until
 * all of them are).  The content stays on disk: the agents read it.
 *
 * Resolution is linear in the addresses and runs in slices: a message
 * is queued on qm->resolving, and each turn of the event loop resolves
 * its records for at most QMGR_RESOLVE_SLICE_MS (whole records: one may
 * become 1000 addresses), so the jobs of its first records go out and
 * other messages are scheduled while a huge one is still expanding.
 * The message holds one job count until its last record is resolved.
 *
 * Two A records of the extracted segment change the routing, as in
 * Postfix's qmgr: redirect=ADDR (REDIRECT) makes ADDR every record's one
 * final address, so the records share one delivery and each keeps its
 * done mark and its orig_to; filter=TRANSPORT:NEXTHOP (FILTER) sends every
 * recipient the resolver routes there instead, to the recipient's domain
 * when NEXTHOP is empty, unless the message also has a REDIRECT (which
 * overrides FILTER, as in Postfix).  A third, reject=D.D.D TEXT, is a local
 * submission that cleanup's checks refused: every record bounces with
 * that reason (the sender learns it from the bounce, as with Postfix).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "flow.h"
#include "mem.h"
#include "msg.h"
#include "qmgr.h"
#include "queue_scan.h"

/* qmgr_message_delay - seconds since arrival */
double
qmgr_message_delay(const struct qmgr_message *m)
{
	struct timespec now;
	double	 d;

	clock_gettime(CLOCK_REALTIME, &now);
	d = (double)(now.tv_sec - m->msg.arrival) +
	    ((double)now.tv_nsec / 1e9 - (double)m->msg.arrival_usec / 1e6);
	return (d < 0 ? 0 : d);
}

/* qmgr_log_rcpt - the Postfix-style to= line for an outcome qmgr decided */
void
qmgr_log_rcpt(const struct qmgr_message *m, const struct qmgr_rcpt *r,
    const char *status)
{
	const char *orig = queue_recipient_original(&m->msg.recipients[r->rec]);
	double	 d = qmgr_message_delay(m);
	char	 delay[32];

	snprintf(delay, sizeof(delay), d < 10 ? "%.2g" : "%.0f", d);
	if (strcasecmp(orig, r->address) != 0)
		msg_info("%s: to=<%s>, orig_to=<%s>, relay=none, delay=%s, "
		    "dsn=%s, status=%s (%s)", m->id, r->address, orig, delay,
		    r->dsn, status, r->reason ? r->reason : "");
	else
		msg_info("%s: to=<%s>, relay=none, delay=%s, dsn=%s, "
		    "status=%s (%s)", m->id, r->address, delay, r->dsn, status,
		    r->reason ? r->reason : "");
}

/*
 * qmgr_message_add_rcpt - one final address; a duplicate (of an earlier
 * address, any record) shares its first's outcome and joins its chain,
 * unless forced_first.  Also counts the address as not yet delivered.
 */
static struct qmgr_rcpt *
qmgr_message_add_rcpt(struct qmgr_message *m, const char *address, size_t rec,
    bool forced_first, bool *duplicate)
{
	struct htable_entry *h;
	struct qmgr_rcpt *r, *first;
	bool	 added;

	if (m->rcpt_count == m->rcpt_cap) {
		m->rcpt_cap = m->rcpt_cap ? 2 * m->rcpt_cap : 16;
		m->rcpts = xrealloc(m->rcpts, m->rcpt_cap * sizeof(*m->rcpts));
	}
	r = &m->rcpts[m->rcpt_count];
	memset(r, 0, sizeof(*r));
	r->address = xstrdup(address);
	r->rec = rec;
	r->same_as = -1;
	r->next_dup = -1;
	*duplicate = false;
	h = htable_enter(m->firsts, address, strlen(address), &added);
	if (added)
		h->num = m->rcpt_count;
	else if (!forced_first) {
		first = &m->rcpts[h->num];
		r->same_as = (long)h->num;
		*duplicate = true;
		/* delivered already: nothing to wait for, nothing to chain */
		if (first->status == 2) {
			m->rcpt_count++;
			return (r);
		}
		r->next_dup = first->next_dup;
		first->next_dup = (long)m->rcpt_count;
	}
	m->recs[rec].undone++;
	m->recs[rec].expansions++;
	m->rcpt_count++;
	return (r);
}

/* qmgr_message_refused - r bounces with cleanup's "D.D.D text" */
static void
qmgr_message_refused(struct qmgr_rcpt *r, const char *refused)
{
	char	 dsn[16];
	size_t	 n = strcspn(refused, " ");

	snprintf(dsn, sizeof(dsn), "%.*s", (int)(n < 15 ? n : 15), refused);
	if (dsn[0] != '5')
		snprintf(dsn, sizeof(dsn), "5.7.1");
	qmgr_rcpt_set(r, 5, dsn, refused[n] == ' ' ? refused + n + 1 : refused);
}

/*
 * route_filter - the FILTER route of a message in place of the
 * resolver's (res), when it has one
 */
static void
route_filter(const struct qmgr_message *m, const char *address,
    struct resolve_result *res)
{
	const char *filter = attr_list_get(&m->msg.attrs, QUEUE_ATTR_FILTER);
	const char *colon, *at;

	if (filter == NULL || (colon = strchr(filter, ':')) == NULL)
		return;
	strbuf_reset(&res->transport);
	strbuf_append(&res->transport, filter, (size_t)(colon - filter));
	strbuf_reset(&res->nexthop);
	if (colon[1] != '\0')
		strbuf_puts(&res->nexthop, colon + 1);
	else if ((at = strrchr(address, '@')) != NULL && at[1] != '\0')
		strbuf_puts(&res->nexthop, at + 1);
	else
		strbuf_puts(&res->nexthop, "localhost");
}

/*
 * qmgr_message_resolve - route one R record (and expand it first when it
 * is a record of an old queue file)
 */
static void
qmgr_message_resolve(struct qmgr *qm, struct qmgr_message *m, size_t rec)
{
	const struct queue_recipient *qr = &m->msg.recipients[rec];
	const char *redirect = attr_list_get(&m->msg.attrs, QUEUE_ATTR_REDIRECT);
	const char *refused = attr_list_get(&m->msg.attrs, QUEUE_ATTR_REJECT);
	struct resolve_result res;
	struct strlist finals;
	struct defer_log notes;
	struct qmgr_rcpt *r;
	enum resolve_status st;
	bool	 dup;

	resolve_result_init(&res);
	strlist_init(&finals);
	defer_log_init(&notes);
	if (refused != NULL) {
		r = qmgr_message_add_rcpt(m, qr->address, rec, true, &dup);
		qmgr_message_refused(r, refused);
		qmgr_log_rcpt(m, r, "bounced");
		goto out;
	}
	/* REDIRECT: one final address for all; else cleanup's expansion */
	if (redirect != NULL) {
		strlist_add(&finals, redirect);
		st = RESOLVE_OK;
	} else if (qr->original != NULL) {
		strlist_add(&finals, qr->address);
		st = RESOLVE_OK;
	} else
		st = resolve_expand(qm->resolver, qr->address, &finals, &res);
	if (st != RESOLVE_OK) {
		r = qmgr_message_add_rcpt(m, qr->address, rec, true, &dup);
		qmgr_rcpt_set(r, st == RESOLVE_DEFER ? 4 : 5, res.dsn,
		    res.reason.data);
		qmgr_log_rcpt(m, r, st == RESOLVE_DEFER ? "deferred" : "bounced");
		goto out;
	}
	for (size_t i = 0; i < finals.count; i++) {
		r = qmgr_message_add_rcpt(m, finals.items[i], rec, false, &dup);
		if (dup) {
			/* its first went already: the log must say so for rec */
			if (m->rcpts[r->same_as].status == 2 &&
			    !defer_log_was_sent(&m->defer, qr->offset, r->address))
				qmgr_outcome_note(m, r, &notes);
			continue;
		}
		/* an address of this record that an earlier attempt delivered */
		if (defer_log_was_sent(&m->defer, qr->offset, r->address)) {
			qmgr_rcpt_set(r, 2, "2.0.0",
			    "delivered in an earlier attempt");
			r->sent_before = true;
			m->recs[rec].undone--;
			m->recs[rec].expansions--;
			continue;
		}
		st = resolve_address(qm->resolver, m->msg.sender, r->address,
		    &res);
		if (st != RESOLVE_OK) {
			qmgr_rcpt_set(r, st == RESOLVE_DEFER ? 4 : 5, res.dsn,
			    res.reason.data);
			qmgr_log_rcpt(m, r, st == RESOLVE_DEFER ? "deferred" :
			    "bounced");
			continue;
		}
		if (strcmp(res.address.data, r->address) != 0)
			r->deliver_to = xstrdup(res.address.data);
		/* REDIRECT overrides FILTER, as in Postfix */
		if (redirect == NULL)
			route_filter(m, res.address.data, &res);
		qmgr_job_add(qm, m, res.transport.data, res.nexthop.data,
		    (size_t)(r - m->rcpts));
	}
out:
	qmgr_outcome_append(qm, m, &notes);
	defer_log_free(&notes);
	strlist_free(&finals);
	resolve_result_free(&res);
}

/*
 * qmgr_message_resolve_some - one slice of every message still being
 * resolved, in arrival order; a message whose last record is resolved
 * leaves the list and gives up its hold (and finishes at once when it
 * has no job).
 */
void
qmgr_message_resolve_some(struct qmgr *qm)
{
	struct qmgr_message *m, *prev = NULL, *next;
	long long start;

	for (m = qm->resolving; m != NULL; m = next) {
		next = m->resolve_next;
		start = clock_monotonic_ms();
		while (m->next_rec < m->msg.recipient_count) {
			size_t	 rec = m->next_rec++;

			if (!m->msg.recipients[rec].done)
				qmgr_message_resolve(qm, m, rec);
			if (clock_monotonic_ms() - start >= QMGR_RESOLVE_SLICE_MS)
				break;
		}
		if (m->next_rec < m->msg.recipient_count) {
			prev = m;
			continue;
		}
		if (prev != NULL)
			prev->resolve_next = next;
		else
			qm->resolving = next;
		if (qm->resolving_tail == m)
			qm->resolving_tail = prev;
		m->resolve_next = NULL;
		m->resolving = false;
		/* resolved: no more duplicates to look up */
		htable_free(m->firsts);
		m->firsts = NULL;
		if (--m->jobs == 0)
			qmgr_message_finish(qm, m);
	}
}

/*
 * qmgr_message_set_aside - move active/ID to queue (unless that is
 * active/ itself), with why in the log: corrupt/ for a file that does not
 * parse; for one that could not be read (EIO) the queue it came from, so
 * that its next scan tries again (in active/ only a restart would).
 */
static void
qmgr_message_set_aside(const char *queue, const char *id, const char *why,
    const char *what)
{
	struct strbuf from, to;

	msg_warn("%s: %s; %s %s/%s", id, why, what, queue,
	    strcmp(queue, QUEUE_CORRUPT) != 0 ? " for a later try" : "");
	if (strcmp(queue, QUEUE_ACTIVE) == 0)
		return;
	strbuf_init(&from);
	strbuf_init(&to);
	strbuf_printf(&from, "%s/%s", QUEUE_ACTIVE, id);
	strbuf_printf(&to, "%s/%s", queue, id);
	if (rename(from.data, to.data) < 0 && errno != ENOENT)
		msg_warn("%s: rename to %s: %s", id, to.data, strerror(errno));
	strbuf_free(&from);
	strbuf_free(&to);
}

/*
 * qmgr_message_activate - move queue/ID to active/ (when it is not there
 * yet), read it, queue it for resolution.  NULL when the file is not (or
 * no longer) deliverable: incomplete, vanished, corrupt, or unreadable
 * for now (then back in queue/ for a later try).
 */
struct qmgr_message *
qmgr_message_activate(struct qmgr *qm, const char *queue, const char *id)
{
	struct qmgr_message *m;
	struct strbuf from, to, err;
	struct stat st;
	int	 fd, rc;

	strbuf_init(&from);
	strbuf_init(&to);
	strbuf_init(&err);
	m = NULL;
	if ((fd = queue_scan_open(queue, id, O_RDONLY, &st)) < 0) {
		if (errno != ENOENT)
			msg_warn("open %s/%s: %s", queue, id, strerror(errno));
		goto out;
	}
	/* cleanup is still writing it: the next trigger brings it back */
	if (!queue_file_is_complete(fd)) {
		close(fd);
		goto out;
	}
	if (strcmp(queue, QUEUE_ACTIVE) != 0) {
		strbuf_printf(&from, "%s/%s", queue, id);
		strbuf_printf(&to, "%s/%s", QUEUE_ACTIVE, id);
		if (rename(from.data, to.data) < 0) {
			if (errno != ENOENT)
				msg_warn("rename %s to %s: %s", from.data,
				    to.data, strerror(errno));
			close(fd);
			goto out;
		}
	}
	m = xcalloc(1, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	clock_gettime(CLOCK_REALTIME, &m->started);
	if ((rc = queue_file_read_named(fd, id, &m->msg, &err)) < 0 ||
	    !m->msg.complete) {
		close(fd);
		if (rc == QUEUE_FILE_IO_ERROR)
			qmgr_message_set_aside(queue, id, err.data,
			    "left in");
		else
			qmgr_message_set_aside(QUEUE_CORRUPT, id, err.len ?
			    err.data : "incomplete file", "moved to");
		queue_message_free(&m->msg);
		free(m);
		m = NULL;
		goto out;
	}
	strbuf_reset(&err);
	if (defer_log_read(id, &m->defer, &err) < 0) {
		if (errno != EBADMSG) {
			/* its sent= lines would be delivered again */
			close(fd);
			qmgr_message_set_aside(queue, id, err.data,
			    "left in");
			queue_message_free(&m->msg);
			free(m);
			m = NULL;
			goto out;
		}
		msg_warn("%s: %s (ignored)", id, err.data);
	}
	m->warned_on_disk = m->defer.warned;
	close(fd);

	m->prev = qm->tail;
	if (qm->tail)
		qm->tail->next = m;
	else
		qm->head = m;
	qm->tail = m;
	qm->message_count++;
	m->jobs = 1;		/* hold: no finish while resolving */
	msg_info("%s: from=<%s>, size=%ld, nrcpt=%zu (queue active)", id,
	    m->msg.sender, m->msg.size, m->msg.recipient_count);
	/* resolved from the event loop: qmgr_message_resolve_some */
	m->recs = xcalloc(m->msg.recipient_count + 1, sizeof(*m->recs));
	m->firsts = htable_create(m->msg.recipient_count, HTABLE_NOCASE);
	m->resolving = true;
	if (qm->resolving_tail != NULL)
		qm->resolving_tail->resolve_next = m;
	else
		qm->resolving = m;
	qm->resolving_tail = m;
out:
	strbuf_free(&from);
	strbuf_free(&to);
	strbuf_free(&err);
	return (m);
}

/*
 * qmgr_message_free - unlink from the active list and release.  A message
 * leaving the active queue (delivered, deferred or bounced) lets one new
 * message in without waiting (lib/io/flow.h); an empty queue restores the
 * whole window, whatever credits crashed cleanup processes took with them.
 */
void
qmgr_message_free(struct qmgr *qm, struct qmgr_message *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		qm->head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		qm->tail = m->prev;
	qm->message_count--;
	qmgr_stall_remove(qm, m);
	for (size_t i = 0; i < m->rcpt_count; i++) {
		free(m->rcpts[i].address);
		free(m->rcpts[i].deliver_to);
		free(m->rcpts[i].reason);
	}
	free(m->rcpts);
	free(m->recs);
	htable_free(m->firsts);
	defer_log_free(&m->defer);
	queue_message_free(&m->msg);
	free(m);
	if (qm->message_count == 0)
		flow_reset((int)qm->flow_window);
	else
		flow_give();
}
