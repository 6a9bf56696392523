/*
 * session - one SMTP session: greeting, the read-eval loop, the end.
 *
 * Command lines are read with a length limit (line_length_limit) and a
 * timeout (smtpd_timeout).  A line must end in CRLF: a bare LF or a bare
 * CR is the raw material of SMTP smuggling, so with
 * smtpd_forbid_bare_newline (unless the client is listed in
 * smtpd_forbid_bare_newline_exclusions) it ends the session with 521;
 * otherwise a bare LF ends a line like CRLF.  Replies are flushed only
 * when no further input is buffered, so a pipelined batch is answered in
 * one write (RFC 2920).  In wrapper mode (smtps) the TLS handshake comes
 * before the greeting.
 *
 * smtpd_timeout alone restarts with every byte: a client that sends one
 * byte a second holds the session for ever.  With smtpd_per_record_deadline
 * (the default here, unlike Postfix, which turns it on only under stress)
 * it bounds a whole command line, and a message's content gets the same
 * time plus what it earns at smtpd_min_data_rate.
 *
 * Parameters: smtpd_banner, smtpd_greet_pause, smtpd_timeout,
 * smtpd_per_record_deadline, smtpd_min_data_rate, smtpd_hard_error_limit,
 * line_length_limit, myhostname.
 */
#include <sys/socket.h>

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_limits.h"
#include "coro.h"
#include "dnsbl.h"
#include "mem.h"
#include "msg.h"
#include "netmatch.h"
#include "smtpd.h"

#define LINGER_MS		1000
#define LINGER_BYTES_MAX	(1024 * 1024)

/* smtpd_protocol - "SMTP", "ESMTP", "ESMTPS" (RFC 3848) as logged and stored */
const char *
smtpd_protocol(const struct smtpd_session *s)
{
	if (s->tls_active)
		return (s->esmtp ? "ESMTPS" : "SMTPS");
	return (s->esmtp ? "ESMTP" : "SMTP");
}

/* smtpd_txn_reset - forget the mail transaction (RSET, EHLO, after DATA) */
void
smtpd_txn_reset(struct smtpd_session *s)
{
	struct smtpd_txn *t = &s->txn;
	size_t i;

	if (t->cleanup != NULL)
		cleanup_abort(t->cleanup);
	if (t->drop != NULL)
		drop_client_abort(t->drop);
	free(t->sender);
	free(t->envid);
	for (i = 0; i < t->rcpt_count; i++) {
		free(t->rcpts[i].address);
		free(t->rcpts[i].orcpt);
	}
	free(t->rcpts);
	free(t->bdat_fail);
	restrict_effects_free(&t->effects);
	memset(t, 0, sizeof(*t));
}

/* greet - pause, refuse clients that talk first, send the banner */
static bool
greet(struct smtpd_session *s)
{
	long pause_ms = s->cfg->greet_pause_ms;
	int ready;

	/* a program on the pipe of smtpd -S may well write ahead */
	if (s->cfg->standalone)
		goto banner;
	if (pause_ms > 24L * 3600 * 1000)
		pause_ms = 24L * 3600 * 1000;
	ready = stream_wait_readable(s->stream, (int)pause_ms);
	if (ready < 0) {
		msg_info("lost connection after CONNECT from %s", s->peer.namaddr);
		return (false);
	}
	if (ready > 0) {
		s->where = "CONNECT";
		smtpd_reject(s, "CONNECT", NULL,
		    "554 5.5.1 Error: talking before the SMTP greeting");
		return (false);
	}
banner:
	/*
	 * smtpd_delay_reject = no: a client the client list refuses gets the
	 * refusal instead of the banner, then 503 to all but QUIT
	 */
	if (restrict_check_connect(s) == 0)
		smtpd_reply(s, "220 %s", s->cfg->banner);
	smtpd_flush(s);
	return (true);
}

/*
 * smtpd_arm_deadline - with smtpd_per_record_deadline, smtpd_timeout from
 * now bounds all that the client sends next: one command line, or (content)
 * a message's content, which earns 1/smtpd_min_data_rate seconds a byte
 * but never more than smtpd_timeout ahead.  Without it, only each read is
 * bounded, as in Postfix's default.
 */
void
smtpd_arm_deadline(struct smtpd_session *s, bool content)
{
	if (!s->cfg->per_record_deadline)
		return;
	stream_set_deadline(s->stream, s->cfg->timeout * 1000,
	    content ? (int)s->cfg->min_data_rate : 0);
}

/*
 * smtpd_bare_newline - refuse a bare CR or LF; true: end the session.
 * Logged as Postfix's "reject: DATA from name[addr]: bare <LF> received;
 * from=<> ..." so that pflogsumm files it under its command.
 */
bool
smtpd_bare_newline(struct smtpd_session *s, const char *what)
{
	struct strbuf text;

	strbuf_init(&text);
	strbuf_printf(&text, "bare %s received", what);
	smtpd_log_reject(s, s->where, NULL, text.data);
	strbuf_free(&text);
	smtpd_reply(s, "521 5.5.2 %s Error: bare %s received",
	    s->cfg->myhostname, what);
	return (true);
}

/* smtpd_read_failed - log (and answer a timeout) when input stops */
void
smtpd_read_failed(struct smtpd_session *s, int status)
{
	struct strbuf text;

	if (status == STREAM_TIMEOUT) {
		msg_info("timeout after %s from %s", s->where, s->peer.namaddr);
		/* the stream refuses I/O after a timeout: write past it, once */
		strbuf_init(&text);
		strbuf_printf(&text, "421 4.4.2 %s Error: timeout exceeded\r\n",
		    s->cfg->myhostname);
		(void)send(stream_fd(s->stream), text.data, text.len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		strbuf_free(&text);
	} else {
		msg_info("lost connection after %s from %s", s->where,
		    s->peer.namaddr);
	}
}

/*
 * read_command - one command line, terminator removed.  Returns 1 with a
 * line to run, 0 to read the next (already answered), -1 to end the session.
 */
static int
read_command(struct smtpd_session *s, struct strbuf *line)
{
	int status;

	if (stream_pending(s->stream) == 0)
		smtpd_flush(s);
	status = stream_getline(s->stream, line, s->cfg->line_length_limit);
	if (status == STREAM_TOOLONG) {
		smtpd_reply(s, "500 5.5.2 Error: line too long");
		return (0);
	}
	if (status != STREAM_OK || line->len == 0
	    || line->data[line->len - 1] != '\n') {
		smtpd_read_failed(s, status);
		return (-1);
	}
	if (line->len < 2 || line->data[line->len - 2] != '\r') {
		if (s->bare_newline_reject)
			return (smtpd_bare_newline(s, "<LF>") ? -1 : 0);
		strbuf_truncate(line, line->len - 1);
	} else {
		strbuf_truncate(line, line->len - 2);
	}
	if (memchr(line->data, '\r', line->len) != NULL && s->bare_newline_reject)
		return (smtpd_bare_newline(s, "<CR>") ? -1 : 0);
	if (memchr(line->data, '\0', line->len) != NULL) {
		smtpd_reply(s, "500 5.5.2 Error: NUL character in command");
		return (0);
	}
	return (1);
}

/*
 * linger - after our last reply, read and drop what the client still sends
 * for a moment, so that closing with unread input (which makes TCP reset
 * the connection) does not destroy the replies before the client reads
 * them.  Bounded in time and volume.
 */
static void
linger(struct smtpd_session *s)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;
	int fd = stream_fd(s->stream);

	stream_discard_pending(s->stream);
	if (shutdown(fd, SHUT_WR) < 0)
		return;
	while (total < LINGER_BYTES_MAX && coro_poll(fd, POLLIN, LINGER_MS,
	    NULL) > 0) {
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			break;
		total += n;
	}
}

/* log_disconnect - the Postfix-style summary line */
static void
log_disconnect(struct smtpd_session *s)
{
	struct strbuf counts;

	strbuf_init(&counts);
	smtpd_format_counters(s, &counts);
	msg_info("disconnect from %s%s", s->peer.namaddr, counts.data);
	strbuf_free(&counts);
}

/*
 * session_serve - one client, whose peer is known, on stream (which the
 * session closes)
 */
static void
session_serve(struct smtpd_config *cfg, const struct smtpd_peer *peer,
    struct stream *stream)
{
	struct smtpd_session sess, *s = &sess;
	struct strbuf line;
	int status;
	bool admitted = true;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->where = "CONNECT";
	s->peer = *peer;
	msg_info("connect from %s", s->peer.namaddr);
	s->bare_newline_reject = cfg->bare_newline == BARE_NEWLINE_REJECT
	    && !netlist_match(cfg->bare_newline_exclusions, s->peer.addr);
	s->stream = stream;
	if (cfg->broken) {
		/* settings.c logged why at start; say it once per client too */
		msg_info("reject: connect from %s: 421 4.3.5 server "
		    "configuration error", s->peer.namaddr);
		smtpd_reply(s, "421 4.3.5 Server configuration error");
		smtpd_flush(s);
		log_disconnect(s);
		stream_close(s->stream);
		return;
	}
	stream_set_timeout(s->stream, (int)cfg->timeout);
	strbuf_init(&line);

	if (cfg->tls_wrappermode && smtpd_tls_wrapper_start(s) != 0)
		s->where = "CONNECT";
	else if ((admitted = smtpd_client_limits_admit(s)) && greet(s)) {
		for (;;) {
			if (s->error_count >= cfg->hard_error_limit) {
				msg_info("too many errors after %s from %s",
				    s->where, s->peer.namaddr);
				smtpd_reply(s, "421 4.7.0 %s Error: too many errors",
				    cfg->myhostname);
				break;
			}
			smtpd_arm_deadline(s, false);
			if ((status = read_command(s, &line)) < 0)
				break;
			if (status == 0)
				continue;
			if (smtpd_dispatch(s, line.data) < 0 || s->hangup)
				break;
		}
	}
	smtpd_flush(s);
	smtpd_txn_reset(s);
	if (s->tls_active)
		tls_stop(s->stream);
	/*
	 * A client refused by a connection limit has not had a banner, so it
	 * has nothing in flight to lose, and a flood of them must not hold
	 * a session slot each for the linger time.
	 */
	if (admitted)
		linger(s);
	smtpd_client_limits_done(s);
	log_disconnect(s);
	free(s->helo_name);
	restrict_state_free(&s->rstate);
	dnsbl_cache_free(s->dnsbl);
	strbuf_free(&line);
	stream_close(s->stream);
}

/* smtpd_session_run - serve one client on fd (the caller closes fd) */
void
smtpd_session_run(struct smtpd_config *cfg, int fd)
{
	struct smtpd_peer peer;
	int	 fd_copy;

	smtpd_peer_init(&peer, fd, cfg->peername_lookup);
	if ((fd_copy = dup(fd)) < 0) {
		msg_warn("dup: %m");
		return;
	}
	session_serve(cfg, &peer, stream_open(fd_copy));
}

/* smtpd_session_run_stdio - see smtpd.h */
void
smtpd_session_run_stdio(struct smtpd_config *cfg)
{
	struct smtpd_peer peer;

	smtpd_peer_init(&peer, 0, cfg->peername_lookup);
	session_serve(cfg, &peer, stream_open_pair(0, 1));
}
