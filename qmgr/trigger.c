/*
 * trigger.c - the trigger socket public/qmgr (lib/io/trigger.h).
 *
 * Anybody in setgid_group can connect, so a trigger is hostile input:
 * at most TRIGGER_MAX bytes per connection, read without blocking, and
 * a client that neither sends nor closes is dropped after
 * QMGR_TRIGGER_TIMEOUT seconds.  A trigger only sets flags; the loop
 * does the work, so a flood of pokes costs one scan, not one per poke.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "mem.h"
#include "msg.h"
#include "qmgr.h"
#include "queue_id.h"

/* qmgr_trigger_accept - take new trigger clients */
void
qmgr_trigger_accept(struct qmgr *qm, int listen_fd)
{
	struct qmgr_trigger_conn *t;
	int	 fd;

	while (qm->trigger_count < QMGR_TRIGGER_CONN_MAX) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				msg_warn("accept: %s", strerror(errno));
			return;
		}
		t = xcalloc(1, sizeof(*t));
		t->fd = fd;
		t->deadline = time(NULL) + QMGR_TRIGGER_TIMEOUT;
		t->next = qm->triggers;
		qm->triggers = t;
		qm->trigger_count++;
	}
}

/* qmgr_trigger_arg - the text after a command byte, through its newline */
static size_t
qmgr_trigger_arg(const char *p, size_t left, char *out, size_t out_size)
{
	size_t	 n = 0;

	while (n < left && p[n] != '\n')
		n++;
	if (n >= out_size)
		out[0] = '\0';
	else {
		memcpy(out, p, n);
		out[n] = '\0';
	}
	return (n < left ? n + 1 : n);
}

/* qmgr_trigger_apply - act on the collected bytes */
static void
qmgr_trigger_apply(struct qmgr *qm, const char *buf, size_t len)
{
	char	 arg[TRIGGER_MAX + 1];
	size_t	 i = 0;

	while (i < len) {
		char	 cmd = buf[i++];

		switch (cmd) {
		case TRIGGER_NEW_MAIL:
		case TRIGGER_WAKEUP:
			qm->want_incoming = true;
			break;
		case TRIGGER_FLUSH:
			qm->flush_all = true;
			qm->want_deferred = true;
			qm->want_incoming = true;
			qmgr_stall_flush(qm, NULL);
			break;
		case TRIGGER_FLUSH_ID:
			i += qmgr_trigger_arg(buf + i, len - i, arg, sizeof(arg));
			if (!queue_id_valid(arg)) {
				msg_warn("trigger: bad queue ID in flush request");
				return;
			}
			strlist_add(&qm->flush_ids, arg);
			qm->want_deferred = true;
			qmgr_stall_flush(qm, arg);
			break;
		case TRIGGER_FLUSH_SITE:
			i += qmgr_trigger_arg(buf + i, len - i, arg, sizeof(arg));
			if (arg[0] == '\0' || !domain_valid(arg, strlen(arg),
			    true)) {
				msg_warn("trigger: bad site in flush request");
				return;
			}
			strlist_add(&qm->flush_sites, arg);
			qm->want_deferred = true;
			break;
		case '\n':
			break;
		default:
			msg_warn("trigger: unknown request 0x%02x",
			    (unsigned char)cmd);
			return;
		}
	}
}

/* qmgr_trigger_close - forget one client */
static void
qmgr_trigger_close(struct qmgr *qm, struct qmgr_trigger_conn *t)
{
	struct qmgr_trigger_conn **tp;

	for (tp = &qm->triggers; *tp != NULL; tp = &(*tp)->next) {
		if (*tp == t) {
			*tp = t->next;
			break;
		}
	}
	close(t->fd);
	free(t);
	qm->trigger_count--;
}

/* qmgr_trigger_input - read what is there; act at EOF or at the limit */
void
qmgr_trigger_input(struct qmgr *qm, struct qmgr_trigger_conn *t)
{
	ssize_t	 n;

	for (;;) {
		if (t->len >= TRIGGER_MAX) {
			qmgr_trigger_apply(qm, t->buf, t->len);
			qmgr_trigger_close(qm, t);
			return;
		}
		n = read(t->fd, t->buf + t->len, TRIGGER_MAX - t->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			qmgr_trigger_apply(qm, t->buf, t->len);
			qmgr_trigger_close(qm, t);
			return;
		}
		t->len += (size_t)n;
	}
}

/* qmgr_trigger_expire - drop clients that sat too long; use their bytes */
void
qmgr_trigger_expire(struct qmgr *qm, time_t now)
{
	struct qmgr_trigger_conn *t, *next;

	for (t = qm->triggers; t != NULL; t = next) {
		next = t->next;
		if (t->deadline <= now) {
			qmgr_trigger_apply(qm, t->buf, t->len);
			qmgr_trigger_close(qm, t);
		}
	}
}
