/*
 * watch.c - learn about new mail in incoming/ from inotify.
 *
 * cleanup's last step on a queue file is the close after the fsyncs of
 * the file and of incoming/ (until then it holds the file's lock, and on
 * a failed fsync it removes the name before the close); inotify reports
 * that close (IN_CLOSE_WRITE) with the file's name, so qmgr activates
 * exactly that file once it is durable: no trigger connection from
 * cleanup and no directory scan per message, and a burst of messages
 * arrives as one read().  The chmod to 0700 is not the signal: it comes
 * before the fsync, which may still fail (the client is then told 451
 * and sends again).  Nothing else is watched: the rename that brings a
 * spare file in from recycle/ would cost qmgr a wake-up per message for
 * nothing, and the queue tools that move complete files in send qmgr a
 * new-mail trigger (sluice-super).  Only names that look like queue IDs
 * and files at mode 0700 are looked at further (qmgr_message_activate
 * checks the rest, the writer's lock included).  An event
 * queue overflow, or no inotify at all, falls back to scanning the
 * directory (want_incoming); the periodic safety scan stays either way.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "qmgr.h"
#include "queue_file.h"
#include "queue_id.h"
#include "queue_scan.h"

#define WATCH_EVENTS	IN_CLOSE_WRITE
#define WATCH_BUF	(64 * 1024)

/* qmgr_watch_init - start watching incoming/; -1 when unavailable */
int
qmgr_watch_init(void)
{
	int	 fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		msg_warn("inotify_init1: %s; scanning %s/ instead",
		    strerror(errno), QUEUE_INCOMING);
		return (-1);
	}
	if (inotify_add_watch(fd, QUEUE_INCOMING, WATCH_EVENTS) < 0) {
		msg_warn("inotify_add_watch %s: %s; scanning it instead",
		    QUEUE_INCOMING, strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* is_complete_mode - the cheap first test: mode 0700, a regular file */
static bool
is_complete_mode(const char *id)
{
	char	 path[sizeof(QUEUE_INCOMING) + QUEUE_ID_SIZE + 1];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", QUEUE_INCOMING, id);
	return (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && (st.st_mode & 07777) == QUEUE_MODE_COMPLETE);
}

/* qmgr_watch_input - drain the inotify descriptor, activate what is new */
void
qmgr_watch_input(struct qmgr *qm, int fd)
{
	static char buf[WATCH_BUF]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t	 n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				msg_warn("read inotify: %s", strerror(errno));
			return;
		}
		if (n == 0)
			return;
		for (char *p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				qm->want_incoming = true;
				continue;
			}
			if (ev->len == 0 || !queue_id_valid(ev->name) ||
			    !is_complete_mode(ev->name))
				continue;
			if (qm->message_count >= (size_t)qm->active_limit) {
				/* no room: the scan picks it up later */
				qm->want_incoming = true;
				continue;
			}
			(void)qmgr_message_activate(qm, QUEUE_INCOMING, ev->name);
		}
	}
}
