/*
 * report - the queue listing written by showq.
 *
 * Queue files are read with queue_file_read(); files that are still being
 * written, or that vanish between the directory scan and the open (qmgr
 * moves and removes files all the time), are skipped without a word.
 * maildrop/ holds files written by local users through sluice-drop: they
 * are described from the directory entry (ID, modification time, file
 * size), with the sender and recipients only when the file parses.
 * Delay reasons come from defer/ID (lib/queue/defer_log.h), matched to a
 * recipient by the offset of its R record.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "defer_log.h"
#include "msg.h"
#include "queue_file.h"
#include "queue_scan.h"
#include "showq.h"
#include "strbuf.h"
#include "strlist.h"

/* list_recipients - the pending recipients, within the list size bounds */
static void
list_recipients(struct attr_list *list, const struct queue_message *msg,
    const struct defer_log *log)
{
	const struct defer_entry *why;
	size_t	 bytes = 0, i;
	const char *reason;

	for (i = 0; i < list->count; i++)
		bytes += strlen(list->items[i].name) + list->items[i].value_len + 8;
	for (i = 0; i < msg->recipient_count; i++) {
		if (msg->recipients[i].done)
			continue;
		why = log ? defer_log_find(log, msg->recipients[i].offset) : NULL;
		reason = why && why->reason ? why->reason : "";
		bytes += strlen(msg->recipients[i].address) + strlen(reason) + 40;
		if (bytes > SHOWQ_LIST_BYTES || list->count + 2 > SHOWQ_LIST_ITEMS) {
			msg_warn("%s: listing only the first recipients", msg->id);
			break;
		}
		attr_list_add_str(list, "recipient", msg->recipients[i].address);
		attr_list_add_str(list, "delay_reason", reason);
	}
}

/* describe_message - the attr list of one message, 0 or -1 to skip it */
static int
describe_message(struct attr_list *list, const char *queue, const char *id)
{
	struct queue_message msg;
	struct defer_log log;
	struct strbuf err;
	struct stat st;
	bool	 maildrop = strcmp(queue, QUEUE_MAILDROP) == 0;
	bool	 parsed;
	int	 fd;

	if ((fd = queue_scan_open(queue, id, O_RDONLY, &st)) < 0) {
		if (errno != ENOENT && !(maildrop && errno == EACCES))
			msg_warn("open %s/%s: %s", queue, id, strerror(errno));
		return (-1);
	}
	if ((st.st_mode & 07777) == QUEUE_MODE_WRITING) {
		close(fd);		/* still being written */
		return (-1);
	}
	strbuf_init(&err);
	parsed = queue_file_read(fd, &msg, &err) == 0;
	close(fd);
	if (!maildrop && (!parsed || !msg.complete)) {
		if (!parsed)
			msg_warn("%s/%s: %s", queue, id, err.data);
		if (parsed)
			queue_message_free(&msg);
		strbuf_free(&err);
		return (-1);
	}
	attr_list_reset(list);
	attr_list_add_str(list, "queue_name", queue);
	attr_list_add_str(list, "queue_id", id);
	attr_list_add_long(list, "arrival_time",
	    maildrop || !parsed ? (long)st.st_mtime : (long)msg.arrival);
	attr_list_add_long(list, "message_size",
	    maildrop || !parsed ? (long)st.st_size : msg.size);
	attr_list_add_str(list, "sender", parsed ? msg.sender : "");
	attr_list_add_str(list, "forced_expire", "0");
	if (parsed) {
		memcpy(msg.id, id, QUEUE_ID_SIZE);
		defer_log_init(&log);
		if (maildrop || defer_log_read(id, &log, &err) < 0) {
			if (!maildrop)
				msg_warn("%s: %s", id, err.data);
			list_recipients(list, &msg, NULL);
		} else
			list_recipients(list, &msg, &log);
		defer_log_free(&log);
		queue_message_free(&msg);
	}
	strbuf_free(&err);
	return (0);
}

/* report_queue - every message of one queue; -1 when the client is gone */
static int
report_queue(struct stream *s, const char *queue, struct attr_list *list)
{
	struct strlist ids;
	struct strbuf err;
	bool	 truncated;
	int	 status = 0;

	strlist_init(&ids);
	strbuf_init(&err);
	if (queue_scan_dir(queue, true, QUEUE_SCAN_LIMIT, &ids, &truncated,
	    &err) < 0)
		msg_warn("%s", err.data);
	else if (truncated)
		msg_warn("%s: more than %d files, listing the first ones",
		    queue, QUEUE_SCAN_LIMIT);
	for (size_t i = 0; i < ids.count && status == 0; i++) {
		if (describe_message(list, queue, ids.items[i]) < 0)
			continue;
		if (attr_write(s, list) < 0 || stream_status(s) != STREAM_OK)
			status = -1;
	}
	strlist_free(&ids);
	strbuf_free(&err);
	return (status);
}

/* showq_report - the whole listing, ended by an empty list */
int
showq_report(struct stream *s)
{
	struct attr_list list;
	int	 status = 0;

	attr_list_init(&list);
	for (const char *const *q = queue_scan_all; *q != NULL && status == 0; q++)
		status = report_queue(s, *q, &list);
	if (status == 0) {
		attr_list_reset(&list);
		if (attr_write(s, &list) < 0 || stream_flush(s) != STREAM_OK)
			status = -1;
	}
	attr_list_free(&list);
	return (status);
}
