/*
 * submit - hand one maildrop file to cleanup.
 *
 * The envelope comes from the file, but the submitter comes from the
 * file's owner (st_uid) and nothing else: the Received: header names the
 * uid, and a file without a sender gets the owner's login name.  Of the file's A records only envid and ret (DSN) and
 * null_sender (an explicit "sendmail -f <>") mean anything; client
 * attributes a user might forge are never passed on.  Addresses go as the
 * user wrote them: cleanup's rewriting (the address resolver) gives the
 * unqualified ones @$myorigin, as Postfix's does, keeping the given form
 * as the original recipient.  Cleanup does the rest (Message-ID, Date, From: with CLEANUP_FLAG_LOCAL),
 * and decides with its own limits; its 4xx leaves the file for the next
 * pass, its 5xx removes it.
 */
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup_client.h"
#include "mem.h"
#include "msg.h"
#include "mail_date.h"
#include "pickup.h"

struct content_ctx {
	struct cleanup_client	*client;
	bool			 write_failed;
};

/* pickup_config_load - the parameters pickup reads */
void
pickup_config_load(struct pickup_config *pc, struct config *cfg)
{
	struct strbuf path, err;

	/*
	 * What sluice check refuses is fatal here: the maildrop files stay
	 * where they are until a corrected configuration is reloaded.
	 */
	strbuf_init(&err);
	if (config_table_read(cfg, pickup_params, pc, &err) > 0)
		config_table_fatal(&err);
	strbuf_free(&err);
	strbuf_init(&path);
	strbuf_printf(&path, "private/%s", pc->cleanup_service_name);
	pc->cleanup_socket = strbuf_detach(&path);
	strbuf_free(&path);
}

/* envelope_sender - the sender cleanup gets for a file owned by uid */
static void
envelope_sender(const struct queue_message *msg, uid_t uid,
    struct strbuf *out)
{
	const char *explicit_null = attr_list_get(&msg->attrs, "null_sender");
	struct passwd *pw;
	char login[32];

	if (msg->sender[0] != 0) {
		strbuf_set(out, msg->sender);
		return;
	}
	if (explicit_null != NULL && strcmp(explicit_null, "1") == 0) {
		strbuf_reset(out);
		return;
	}
	if ((pw = getpwuid(uid)) != NULL && pw->pw_name[0] != 0)
		strbuf_set(out, pw->pw_name);
	else {
		snprintf(login, sizeof(login), "#%lu", (unsigned long)uid);
		strbuf_set(out, login);
	}
}

/* pickup_envelope - see pickup.h */
void
pickup_envelope(const struct queue_message *msg, uid_t uid, const char *file_id,
    long flags, struct attr_list *env, struct strbuf *sender_out)
{
	const char *value, *sender;

	envelope_sender(msg, uid, sender_out);
	sender = sender_out->data;
	attr_list_add_str(env, "request", "message");
	attr_list_add_str(env, "sender", sender);
	attr_list_add_long(env, "flags", CLEANUP_FLAG_LOCAL | CLEANUP_FLAG_FLOW |
	    flags);
	attr_list_add_str(env, "protocol", "LOCAL");
	attr_list_add_str(env, "log_ident", file_id);
	if ((value = attr_list_get(&msg->attrs, "envid")) != NULL)
		attr_list_add_str(env, "envid", value);
	if ((value = attr_list_get(&msg->attrs, "ret")) != NULL)
		attr_list_add_str(env, "ret", value);
	for (size_t i = 0; i < msg->recipient_count; i++) {
		const struct queue_recipient *r = &msg->recipients[i];

		if (r->done)
			continue;
		attr_list_add_str(env, "rcpt", r->address);
		attr_list_add_str(env, "rcpt_orcpt", r->orcpt);
		attr_list_add_long(env, "rcpt_notify", r->notify);
	}
}

/* copy_chunk - queue_file_read_content callback: one C record to cleanup */
static int
copy_chunk(const char *data, size_t len, void *ctx)
{
	struct content_ctx *cc = ctx;

	if (cleanup_write(cc->client, data, len) != 0) {
		cc->write_failed = true;
		return (1);
	}
	return (0);
}

/* verdict - a cleanup status as a pickup result */
static enum pickup_result
verdict(int status)
{
	return (status == 5 ? PICKUP_REJECT : PICKUP_RETRY);
}

/* send_message - the conversation with cleanup, envelope to verdict */
static enum pickup_result
send_message(const struct pickup_config *pc, int fd,
    const struct queue_message *msg, const struct attr_list *env, uid_t uid,
    char *queue_id, struct strbuf *why)
{
	struct content_ctx cc = { 0 };
	struct strbuf received;
	int status = 4, r, read_errno;

	cc.client = cleanup_open(pc->cleanup_socket, (int)pc->ipc_timeout, env,
	    queue_id, &status, why);
	if (cc.client == NULL)
		return (verdict(status));
	if (pc->content_filter != NULL && *pc->content_filter != '\0' &&
	    cleanup_client_filter(cc.client, pc->content_filter, NULL) != 0) {
		cleanup_abort(cc.client);
		strbuf_set(why, "lost connection to cleanup");
		return (PICKUP_RETRY);
	}
	strbuf_init(&received);
	strbuf_printf(&received, "Received: by %s (Sluice, from userid %lu)\n"
	    "\tid %s; ", pc->myhostname, (unsigned long)uid, queue_id);
	mail_date(&received, time(NULL));
	strbuf_putc(&received, '\n');
	r = cleanup_write(cc.client, received.data, received.len);
	strbuf_free(&received);
	if (r != 0) {
		cleanup_abort(cc.client);
		strbuf_set(why, "lost connection to cleanup");
		return (PICKUP_RETRY);
	}
	r = queue_file_read_content(fd, msg, copy_chunk, &cc);
	if (r != 0) {
		read_errno = errno;
		cleanup_abort(cc.client);
		if (cc.write_failed)
			strbuf_set(why, "lost connection to cleanup");
		else if (r == QUEUE_FILE_IO_ERROR)
			strbuf_printf(why, "read error: %s", strerror(read_errno));
		else
			strbuf_set(why, "unreadable content or no end record");
		/* a read error is the disk's, not the file's: try again */
		return (cc.write_failed || r == QUEUE_FILE_IO_ERROR ?
		    PICKUP_RETRY : PICKUP_CORRUPT);
	}
	if (cleanup_finish(cc.client, &status, why) != 0)
		return (verdict(status));
	return (PICKUP_DONE);
}

/* pickup_submit - read the file's envelope, check it, send it */
enum pickup_result
pickup_submit(const struct pickup_config *pc, int fd, const char *file_id,
    uid_t uid, char *queue_id, struct strbuf *why)
{
	struct queue_message msg;
	struct attr_list env;
	struct strbuf sender;
	enum pickup_result res;

	switch (queue_file_read(fd, &msg, why)) {
	case 0:
		break;
	case QUEUE_FILE_IO_ERROR:
		return (PICKUP_RETRY);
	default:
		return (PICKUP_CORRUPT);
	}
	if (msg.recipient_count == 0 || msg.recipient_count > PICKUP_RCPT_MAX) {
		strbuf_printf(why, "%zu recipients", msg.recipient_count);
		queue_message_free(&msg);
		return (PICKUP_CORRUPT);
	}
	if (pc->message_size_limit > 0 && msg.size > pc->message_size_limit) {
		strbuf_set(why, "5.3.4 message file too big");
		queue_message_free(&msg);
		return (PICKUP_REJECT);
	}
	strbuf_init(&sender);
	attr_list_init(&env);
	pickup_envelope(&msg, uid, file_id,
	    cleanup_receive_flags(&pc->receive_override), &env, &sender);
	res = send_message(pc, fd, &msg, &env, uid, queue_id, why);
	if (res == PICKUP_DONE)
		msg_info("%s: uid=%lu from=<%s>", queue_id, (unsigned long)uid,
		    sender.data);
	attr_list_free(&env);
	strbuf_free(&sender);
	queue_message_free(&msg);
	return (res);
}
