/*
 * queue - hand a mail transaction to the cleanup service (or, in smtpd -S
 * for sendmail -bs, to sluice-drop: the user's maildrop submission).
 *
 * At DATA (or the first BDAT) smtpd connects to cleanup, sends the
 * envelope and learns the queue ID; the content follows through the
 * content sink, preceded by our Received: header.  Only cleanup's final
 * "status=0", which it sends after the queue file and its directory are
 * on disk, turns into "250 Ok: queued as ID"; any failure is a 4xx/5xx
 * and the incomplete file is removed by cleanup when we hang up.
 *
 * Parameters: cleanup_service_name, ipc_timeout, message_size_limit,
 * header_size_limit, receive_override_options, content_filter.
 */
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "smtpd.h"

/* build_envelope - the attribute list of cleanup protocol step 1 */
static void
build_envelope(const struct smtpd_session *s, struct attr_list *env)
{
	const struct smtpd_txn *t = &s->txn;
	size_t i;

	attr_list_add_str(env, "request", "message");
	attr_list_add_str(env, "sender", t->sender);
	attr_list_add_long(env, "flags", CLEANUP_FLAG_FLOW |
	    cleanup_receive_flags(&s->cfg->receive_override));
	attr_list_add_str(env, "client_name", s->peer.name);
	attr_list_add_str(env, "client_address", s->peer.addr);
	attr_list_add_long(env, "client_port", s->peer.port);
	if (s->helo_name != NULL)
		attr_list_add_str(env, "helo_name", s->helo_name);
	attr_list_add_str(env, "protocol", smtpd_protocol(s));
	if (t->envid != NULL)
		attr_list_add_str(env, "envid", t->envid);
	if (t->ret[0] != '\0')
		attr_list_add_str(env, "ret", t->ret);
	if (t->body_type[0] != '\0')
		attr_list_add_str(env, "body_type", t->body_type);
	attr_list_add_str(env, "smtputf8", t->smtputf8 ? "1" : "0");
	for (i = 0; i < t->rcpt_count; i++) {
		attr_list_add_str(env, "rcpt", t->rcpts[i].address);
		attr_list_add_str(env, "rcpt_orcpt", t->rcpts[i].orcpt);
		attr_list_add_long(env, "rcpt_notify", t->rcpts[i].notify);
	}
}

/*
 * build_drop_envelope - what sluice-drop takes of a user's submission
 * (smtpd -S): the client attributes are not the user's to assert; pickup
 * records the submitting user instead
 */
static void
build_drop_envelope(const struct smtpd_session *s, struct attr_list *env)
{
	const struct smtpd_txn *t = &s->txn;

	attr_list_add_str(env, "request", "message");
	attr_list_add_str(env, "sender", t->sender);
	if (t->envid != NULL)
		attr_list_add_str(env, "envid", t->envid);
	if (t->ret[0] != '\0')
		attr_list_add_str(env, "ret", t->ret);
	for (size_t i = 0; i < t->rcpt_count; i++) {
		attr_list_add_str(env, "rcpt", t->rcpts[i].address);
		if (t->rcpts[i].orcpt[0] != '\0')
			attr_list_add_str(env, "rcpt_orcpt", t->rcpts[i].orcpt);
		if (t->rcpts[i].notify != 0)
			attr_list_add_long(env, "rcpt_notify",
			    t->rcpts[i].notify);
	}
}

/*
 * queue_open_drop - smtpd -S: start sluice-drop for this message; the
 * maildrop queue ID comes at the end.  0, or -1 with the reply in reply.
 */
static int
queue_open_drop(struct smtpd_session *s, struct strbuf *reply)
{
	struct smtpd_txn *t = &s->txn;
	struct attr_list env;

	attr_list_init(&env);
	build_drop_envelope(s, &env);
	t->drop = drop_client_open(s->cfg->drop_program,
	    s->cfg->drop_config_dir, msg_verbose, &env);
	attr_list_free(&env);
	t->queue_id[0] = '\0';
	if (t->drop == NULL) {
		msg_warn("cannot run %s: %m", s->cfg->drop_program);
		strbuf_set(reply, "451 4.3.0 Error: queue file write error");
		return (-1);
	}
	return (0);
}

/* plausible_reply - cleanup's reason text starts with a 4xx/5xx code */
static bool
plausible_reply(const struct strbuf *reason)
{
	return (reason->len >= 5 && (reason->data[0] == '4' || reason->data[0] == '5')
	    && reason->data[1] >= '0' && reason->data[1] <= '9'
	    && reason->data[2] >= '0' && reason->data[2] <= '9'
	    && reason->data[3] == ' ');
}

/*
 * send_effects - what the restrictions asked for the message and cleanup
 * has not been told yet (restrict_effects.c); -1 when the connection
 * failed (cleanup_finish then says 4xx).  PREPEND headers only before
 * the content: Postfix puts them above its Received: line.
 */
static int
send_effects(struct smtpd_txn *t, bool before_content)
{
	struct restrict_effects *e = &t->effects;
	struct cleanup_client *c = t->cleanup;
	int rc = 0;

	if (c == NULL)
		return (0);
	for (; before_content && e->prepend_sent < e->prepend.count;
	    e->prepend_sent++)
		rc |= cleanup_client_prepend(c, e->prepend.items[e->prepend_sent]);
	if (e->unsent & RESTRICT_EFFECT_DISCARD)
		rc |= cleanup_client_discard(c, e->discard_reason);
	if (e->unsent & RESTRICT_EFFECT_HOLD)
		rc |= cleanup_client_hold(c, e->hold_reason);
	if (e->unsent & RESTRICT_EFFECT_FILTER)
		rc |= cleanup_client_filter(c, e->filter, NULL);
	if (e->unsent & RESTRICT_EFFECT_REDIRECT)
		rc |= cleanup_client_redirect(c, e->redirect, NULL);
	for (; e->bcc_sent < e->bcc.count; e->bcc_sent++)
		rc |= cleanup_client_bcc(c, e->bcc.items[e->bcc_sent], NULL);
	e->unsent = 0;
	return (rc);
}

/*
 * smtpd_queue_open - connect to cleanup and start the content.  Returns 0,
 * or -1 with the reply text for the client in reply.
 */
int
smtpd_queue_open(struct smtpd_session *s, struct strbuf *reply)
{
	struct smtpd_txn *t = &s->txn;
	struct attr_list env;
	struct strbuf reason, received;
	int status = 0;

	if (s->cfg->standalone) {
		if (queue_open_drop(s, reply) < 0)
			return (-1);
		content_sink_init(&t->sink, NULL, s->cfg->message_size_limit,
		    s->cfg->header_size_limit, s->bare_newline_reject);
		t->sink.drop = t->drop;
		strbuf_init(&received);
		smtpd_received_header(s, &received);
		if (drop_client_write(t->drop, received.data, received.len) != 0)
			t->sink.write_error = true;
		strbuf_free(&received);
		return (0);
	}
	attr_list_init(&env);
	strbuf_init(&reason);
	build_envelope(s, &env);
	t->cleanup = cleanup_open(s->cfg->cleanup_socket, (int)s->cfg->ipc_timeout,
	    &env, t->queue_id, &status, &reason);
	attr_list_free(&env);
	if (t->cleanup == NULL) {
		t->queue_id[0] = '\0';
		msg_warn("cannot hand mail from %s to %s: %s", s->peer.namaddr,
		    s->cfg->cleanup_socket, reason.len ? reason.data : "failed");
		strbuf_set(reply, plausible_reply(&reason) ? reason.data :
		    "451 4.3.0 Error: queue file write error");
		strbuf_free(&reason);
		return (-1);
	}
	strbuf_free(&reason);
	msg_info("%s: client=%s", t->queue_id, s->peer.namaddr);
	content_sink_init(&t->sink, t->cleanup, s->cfg->message_size_limit,
	    s->cfg->header_size_limit, s->bare_newline_reject);
	/* first, so that a FILTER of the restrictions wins (the last does) */
	if (s->cfg->content_filter != NULL && *s->cfg->content_filter != '\0' &&
	    cleanup_client_filter(t->cleanup, s->cfg->content_filter, NULL) != 0)
		t->sink.write_error = true;
	if (send_effects(t, true) != 0)
		t->sink.write_error = true;
	strbuf_init(&received);
	smtpd_received_header(s, &received);
	if (cleanup_write(t->cleanup, received.data, received.len) != 0)
		t->sink.write_error = true;
	strbuf_free(&received);
	return (0);
}

/* smtpd_queue_abort - drop the message (cleanup removes its file) */
void
smtpd_queue_abort(struct smtpd_session *s)
{
	if (s->txn.cleanup != NULL) {
		cleanup_abort(s->txn.cleanup);
		s->txn.cleanup = NULL;
		s->txn.sink.cleanup = NULL;
	}
	if (s->txn.drop != NULL) {
		drop_client_abort(s->txn.drop);
		s->txn.drop = NULL;
		s->txn.sink.drop = NULL;
	}
}

/* queue_finish_drop - smtpd -S: sluice-drop's verdict becomes the reply */
static void
queue_finish_drop(struct smtpd_session *s)
{
	struct smtpd_txn *t = &s->txn;
	int	 status;

	status = drop_client_close(t->drop, t->queue_id);
	t->drop = t->sink.drop = NULL;
	if (status == 0) {
		msg_info("%s: client=%s", t->queue_id, s->peer.namaddr);
		smtpd_reply(s, "250 2.0.0 Ok: queued as %s", t->queue_id);
		s->error_count = 0;
		s->junk_cmds = 0;
	} else {
		msg_warn("sluice-drop failed with exit status %d", status);
		smtpd_reject(s, "END-OF-MESSAGE", NULL,
		    "451 4.3.0 Error: queue file write error");
	}
}

/* smtpd_queue_finish - the end of the content: answer, reset the transaction */
void
smtpd_queue_finish(struct smtpd_session *s)
{
	struct smtpd_txn *t = &s->txn;
	struct strbuf reason;
	int status = 0;
	const char *stage = "END-OF-MESSAGE";

	if (t->sink.too_big) {
		smtpd_queue_abort(s);
		smtpd_reject(s, stage, NULL, "552 5.3.4 Message size exceeds fixed limit");
	} else if (t->sink.header_too_big) {
		smtpd_queue_abort(s);
		smtpd_reject(s, stage, NULL,
		    "552 5.6.0 Message header size exceeds limit");
	} else if (t->sink.write_error) {
		smtpd_queue_abort(s);
		msg_warn("%s: lost connection to %s", t->queue_id[0] ?
		    t->queue_id : "NOQUEUE", s->cfg->standalone ?
		    s->cfg->drop_program : s->cfg->cleanup_socket);
		smtpd_reply(s, "451 4.3.0 Error: queue file write error");
	} else if (restrict_check_eod(s) != 0) {
		/* smtpd_end_of_data_restrictions refused it: replied, logged */
		smtpd_queue_abort(s);
	} else if (t->drop != NULL) {
		queue_finish_drop(s);
	} else {
		strbuf_init(&reason);
		/* those of smtpd_end_of_data_restrictions; a failure: 4xx below */
		(void)send_effects(t, false);
		if (cleanup_finish(t->cleanup, &status, &reason) == 0) {
			t->cleanup = NULL;
			smtpd_reply(s, "250 2.0.0 Ok: queued as %s", t->queue_id);
			s->error_count = 0;
			s->junk_cmds = 0;
		} else {
			t->cleanup = NULL;
			/*
			 * cleanup logged why (header/body checks, hops, size,
			 * write errors), as Postfix's does: one line per
			 * refusal, the one log tools count
			 */
			if (plausible_reply(&reason))
				smtpd_reply(s, "%s", reason.data);
			else
				smtpd_reply(s,
				    "451 4.3.0 Error: queue file write error");
		}
		strbuf_free(&reason);
	}
	smtpd_txn_reset(s);
}
