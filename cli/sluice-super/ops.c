/*
 * ops - delete, hold, release and requeue, one message at a time.
 *
 * Every change is a rename(2) within the queue directory or an unlink(2),
 * so qmgr sees either the old state or the new one.  A file that vanishes
 * between finding it and acting on it (qmgr delivered it meanwhile) is
 * simply not counted.  Mtimes matter to qmgr: a deferred message is due
 * when its mtime has passed, so a released or requeued message gets the
 * current time before it becomes visible in its new queue.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "defer_log.h"
#include "msg.h"
#include "queue_id.h"
#include "queue_scan.h"
#include "sluice_super.h"
#include "strbuf.h"
#include "strlist.h"

#define STDIN_LINE_MAX	1024

/* Where each operation looks by default (postsuper's defaults). */
static const char *const delete_queues[] = {
	QUEUE_HOLD, QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, NULL,
};
static const char *const hold_queues[] = {
	QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, NULL,
};
static const char *const release_queues[] = { QUEUE_HOLD, NULL };
static const char *const requeue_queues[] = {
	QUEUE_HOLD, QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, NULL,
};

/* op_queues - the queues an operation searches */
static const char *const *
op_queues(const struct super_state *st, enum super_op op)
{
	if (op == SUPER_RELEASE)
		return (release_queues);
	if (st->queues != NULL)
		return (st->queues);
	switch (op) {
	case SUPER_DELETE:
		return (delete_queues);
	case SUPER_HOLD:
		return (hold_queues);
	default:
		return (requeue_queues);
	}
}

/* touch_now - set the mtime of queue/id to now; 0 or -1 (errno) */
static int
touch_now(const char *queue, const char *id)
{
	char	 path[64];

	snprintf(path, sizeof(path), "%s/%s", queue, id);
	return (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW));
}

/* move_message - rename from/id to to/id; 0 or -1 (errno) */
static int
move_message(const char *from, const char *to, const char *id)
{
	char	 src[64], dst[64];

	snprintf(src, sizeof(src), "%s/%s", from, id);
	snprintf(dst, sizeof(dst), "%s/%s", to, id);
	return (rename(src, dst));
}

/*
 * requeue_defer_log - a requeued message starts without delay reasons,
 * but a log that lists delivered addresses of pending recipients stays
 * (lib/queue/defer_log.h): without it the next attempt would deliver them
 * again.  Its old reasons show until that attempt rewrites the log.  A
 * log that could not be read (EIO, ...) stays too: only a malformed one
 * is known to hold nothing worth keeping.
 */
static void
requeue_defer_log(const char *id)
{
	struct defer_log log;
	struct strbuf err;
	int	 rc;

	defer_log_init(&log);
	strbuf_init(&err);
	rc = defer_log_read(id, &log, &err);
	if (rc < 0 && errno != EBADMSG)
		msg_warn("%s: %s; defer log kept", id, err.data);
	else if (rc < 0 || log.sent_count == 0)
		defer_log_remove(id);
	defer_log_free(&log);
	strbuf_free(&err);
}

/* apply_one - op on the message id found in queue; true when done */
static bool
apply_one(struct super_state *st, enum super_op op, const char *queue,
    const char *id)
{
	char	 path[64];
	int	 r = 0;

	/* maildrop files are not queue files yet: pickup must see them */
	if (op != SUPER_DELETE && strcmp(queue, QUEUE_MAILDROP) == 0) {
		msg_warn("%s/%s: maildrop files can only be deleted", queue, id);
		return (false);
	}
	switch (op) {
	case SUPER_DELETE:
		snprintf(path, sizeof(path), "%s/%s", queue, id);
		if ((r = unlink(path)) == 0) {
			defer_log_remove(id);
			super_report("%s: removed", id);
		}
		break;
	case SUPER_HOLD:
		if (strcmp(queue, QUEUE_HOLD) == 0)
			return (false);
		if ((r = move_message(queue, QUEUE_HOLD, id)) == 0)
			msg_info("%s: placed on hold", id);
		break;
	case SUPER_RELEASE:
		if ((r = touch_now(queue, id)) == 0 &&
		    (r = move_message(queue, QUEUE_DEFERRED, id)) == 0)
			msg_info("%s: released from hold", id);
		break;
	case SUPER_REQUEUE:
		if ((r = touch_now(queue, id)) == 0 &&
		    strcmp(queue, QUEUE_INCOMING) != 0)
			r = move_message(queue, QUEUE_INCOMING, id);
		if (r == 0) {
			requeue_defer_log(id);
			msg_info("%s: requeued", id);
			st->new_mail = true;
		}
		break;
	default:
		return (false);
	}
	if (r < 0) {
		if (errno != ENOENT)
			msg_warn("%s/%s: %s", queue, id, strerror(errno));
		return (false);
	}
	st->count[op]++;
	st->changed = true;
	return (true);
}

/* apply_id - op on one message, wherever it is among the op's queues */
static void
apply_id(struct super_state *st, enum super_op op, const char *id)
{
	const char *queue;

	if (!queue_id_valid(id)) {
		msg_warn("invalid mail queue id: %.100s", id);
		return;
	}
	if ((queue = queue_scan_find(op_queues(st, op), id)) == NULL) {
		msg_warn("%s: no such message in the selected queues", id);
		return;
	}
	apply_one(st, op, queue, id);
}

/* apply_all - op on every message of the op's queues */
static void
apply_all(struct super_state *st, enum super_op op)
{
	const char *const *queues = op_queues(st, op);
	struct strlist ids;
	struct strbuf err;

	strbuf_init(&err);
	for (; *queues != NULL; queues++) {
		strlist_init(&ids);
		if (queue_scan_dir(*queues, true, QUEUE_SCAN_LIMIT, &ids, NULL,
		    &err) < 0)
			msg_warn("%s", err.data);
		for (size_t i = 0; i < ids.count; i++)
			apply_one(st, op, *queues, ids.items[i]);
		strlist_free(&ids);
	}
	strbuf_free(&err);
}

/* apply_stdin - op on each ID read from standard input */
static void
apply_stdin(struct super_state *st, enum super_op op)
{
	char	 line[STDIN_LINE_MAX], *id;
	size_t	 len;
	int	 c;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] != '\n' && !feof(stdin)) {
			while ((c = getchar()) != EOF && c != '\n')
				;
			msg_warn("input line too long, skipped");
			continue;
		}
		id = line + strspn(line, " \t");
		id[strcspn(id, " \t\r\n")] = 0;
		if (id[0] != 0)
			apply_id(st, op, id);
	}
}

/* super_apply - one ID, ALL, or - */
void
super_apply(struct super_state *st, enum super_op op, const char *arg)
{
	if (strcmp(arg, "ALL") == 0)
		apply_all(st, op);
	else if (strcmp(arg, "-") == 0)
		apply_stdin(st, op);
	else
		apply_id(st, op, arg);
}
