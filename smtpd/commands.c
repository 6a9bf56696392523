/*
 * commands - the SMTP command table and dispatch.
 *
 * Each row pairs a check function (is the command allowed now, are its
 * arguments sane; it replies itself when not) with a proceed function
 * (do it), as OpenSMTPD does.  The small commands (RSET, NOOP, QUIT,
 * HELP, VRFY and the not-yet-implemented ones) live here; each larger one
 * has its own file.  Replies are not flushed here: the session loop
 * flushes when no more input is buffered, which answers a pipelined
 * group in one write and never holds a reply the client waits for.  The table also drives the per-command counters of
 * the "disconnect from" log line.
 *
 * Commands that move no mail (HELO, EHLO, RSET, NOOP, VRFY, ETRN, HELP)
 * are "junk" as in Postfix: past smtpd_junk_command_limit of them since
 * the last message, each one also counts as an error, so that a client
 * that only keeps the session busy reaches smtpd_hard_error_limit and is
 * disconnected (421 "too many errors").  DATA and BDAT get a deadline of
 * their own for the content (session.c).
 *
 * Parameters: disable_vrfy_command, smtpd_junk_command_limit.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "smtpd.h"

#define CMD_UTF8	0x01	/* arguments may hold UTF-8 (SMTPUTF8) */
#define CMD_MAIL_TXN	0x02	/* refused before STARTTLS at level encrypt */
#define CMD_JUNK	0x04	/* moves no mail: smtpd_junk_command_limit */
#define CMD_CONTENT	0x08	/* reads message content: a deadline of its own */
#define CMD_LAST	0x10	/* ends a PIPELINING group (RFC 2920 3.1) */

struct smtpd_command {
	const char	*name;		/* as counted in the disconnect line */
	const char	*verb;		/* as logged in "lost connection after" */
	int		 flags;
	int		(*check)(struct smtpd_session *, const char *);
	int		(*proceed)(struct smtpd_session *, const char *);
};

/* cmd_rset - RSET: drop the transaction */
static int
cmd_rset(struct smtpd_session *s, const char *args)
{
	if (*args != '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: RSET");
		return (0);
	}
	smtpd_txn_reset(s);
	smtpd_reply(s, "250 2.0.0 Ok");
	return (0);
}

/* cmd_noop - NOOP (arguments allowed, RFC 5321 4.1.1.9) */
static int
cmd_noop(struct smtpd_session *s, const char *args)
{
	(void)args;
	smtpd_reply(s, "250 2.0.0 Ok");
	return (0);
}

/* cmd_quit - QUIT: say goodbye and end the session */
static int
cmd_quit(struct smtpd_session *s, const char *args)
{
	(void)args;
	smtpd_reply(s, "221 2.0.0 Bye");
	return (-1);
}

/* cmd_help - HELP: list the commands */
static int
cmd_help(struct smtpd_session *s, const char *args)
{
	(void)args;
	smtpd_reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT "
	    "RSET NOOP QUIT HELP VRFY");
	return (0);
}

/* cmd_vrfy - VRFY: a vague answer, or the local recipient verdict */
static int
cmd_vrfy(struct smtpd_session *s, const char *args)
{
	struct smtp_path path;
	struct strbuf reply;
	const char *params, *error;

	if (*args == '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: VRFY address");
		return (0);
	}
	if (s->cfg->disable_vrfy) {
		smtpd_reply(s, "252 2.0.0 Send some mail, I'll try my best");
		return (0);
	}
	smtp_path_init(&path);
	strbuf_init(&reply);
	if (smtp_path_parse(args, SMTP_PATH_ALLOW_BARE, false, &path, &params,
	    &error) != 0 || *params != '\0' || path.null_path)
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
	else if (smtpd_rcpt_address_check(s, &path, &reply) != 0)
		smtpd_reject(s, "VRFY", path.address.data, "%s", reply.data);
	else if (restrict_check_rcpt(s, path.address.data) != 0)
		/* answered and logged */ ;
	else
		smtpd_reply(s, "252 2.0.0 <%s>", path.address.data);
	strbuf_free(&reply);
	smtp_path_free(&path);
	return (0);
}

/* cmd_unimplemented - ETRN, AUTH for now */
static int
cmd_unimplemented(struct smtpd_session *s, const char *args)
{
	(void)args;
	smtpd_reply(s, "502 5.5.1 Error: command not implemented");
	return (0);
}

static const struct smtpd_command command_table[] = {
	{ "helo", "HELO", CMD_JUNK | CMD_LAST, smtpd_helo_check, smtpd_helo },
	{ "ehlo", "EHLO", CMD_JUNK | CMD_LAST, smtpd_helo_check, smtpd_ehlo },
	{ "starttls", "STARTTLS", 0, NULL, smtpd_starttls },
	{ "auth", "AUTH", 0, NULL, cmd_unimplemented },
	{ "mail", "MAIL", CMD_UTF8 | CMD_MAIL_TXN, smtpd_mail_check, smtpd_mail },
	{ "rcpt", "RCPT", CMD_UTF8 | CMD_MAIL_TXN, smtpd_rcpt_check, smtpd_rcpt },
	{ "bdat", "BDAT", CMD_MAIL_TXN | CMD_CONTENT, NULL, smtpd_bdat },
	{ "data", "DATA", CMD_MAIL_TXN | CMD_CONTENT | CMD_LAST, smtpd_data_check,
	    smtpd_data },
	{ "rset", "RSET", CMD_JUNK, NULL, cmd_rset },
	{ "noop", "NOOP", CMD_JUNK | CMD_LAST, NULL, cmd_noop },
	{ "vrfy", "VRFY", CMD_UTF8 | CMD_JUNK | CMD_LAST, NULL, cmd_vrfy },
	{ "etrn", "ETRN", CMD_JUNK, NULL, cmd_unimplemented },
	{ "help", "HELP", CMD_JUNK, NULL, cmd_help },
	{ "quit", "QUIT", 0, NULL, cmd_quit },
};

#define COMMAND_COUNT	(sizeof(command_table) / sizeof(command_table[0]))
#define UNKNOWN_SLOT	COMMAND_COUNT

_Static_assert(COMMAND_COUNT + 1 <= SMTPD_CMD_SLOTS, "too few counter slots");

/* has_8bit - any byte outside ASCII */
static bool
has_8bit(const char *text)
{
	for (; *text; text++)
		if ((unsigned char)*text >= 0x80)
			return (true);
	return (false);
}

/*
 * flag_pipelining - input already waiting after a command that must end
 * a group, or from a client that was never told PIPELINING (no EHLO):
 * remembered for reject_unauth_pipelining and logged once, with the
 * start of what was sent ahead, as Postfix does
 */
static void
flag_pipelining(struct smtpd_session *s, const struct smtpd_command *cmd)
{
	char ahead[101];
	size_t n;

	if (s->rstate.ill_pipelining || s->cfg->standalone ||
	    (s->esmtp && !(cmd->flags & CMD_LAST)) ||
	    (n = stream_pending(s->stream)) == 0)
		return;
	s->rstate.ill_pipelining = true;
	if (n > sizeof(ahead) - 1)
		n = sizeof(ahead) - 1;
	memcpy(ahead, stream_pending_data(s->stream), n);
	ahead[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ahead[i] < 0x20 || (unsigned char)ahead[i] >= 0x7f)
			ahead[i] = '?';
	msg_info("improper command pipelining after %s from %s: %s", cmd->verb,
	    s->peer.namaddr, ahead);
}

/* smtpd_dispatch - run one command line; -1 ends the session */
int
smtpd_dispatch(struct smtpd_session *s, char *line)
{
	const struct smtpd_command *cmd = NULL;
	struct smtpd_counter *counter;
	char *args, *end;
	size_t verb_len, i;
	int rc = 0;

	verb_len = strcspn(line, " \t");
	args = line + verb_len;
	args += strspn(args, " \t");
	for (end = args + strlen(args); end > args && (end[-1] == ' '
	    || end[-1] == '\t'); end--)
		end[-1] = '\0';
	for (i = 0; i < COMMAND_COUNT; i++) {
		if (strlen(command_table[i].name) == verb_len
		    && strncasecmp(line, command_table[i].name, verb_len) == 0) {
			cmd = command_table + i;
			break;
		}
	}
	counter = s->counters + (cmd ? i : UNKNOWN_SLOT);
	counter->total++;
	s->last_code = 0;
	if (cmd == NULL) {
		s->where = "UNKNOWN";
		smtpd_reply(s, "502 5.5.2 Error: command not recognized");
		return (0);
	}
	s->where = cmd->verb;
	if (s->rstate.access_denied != NULL && cmd->proceed != cmd_quit) {
		/* the client list refused at CONNECT (smtpd_delay_reject = no) */
		if (strncmp(s->rstate.access_denied + 1, "21", 2) == 0)
			smtpd_reply(s, "%s", s->rstate.access_denied);
		else
			smtpd_reply(s, "503 5.7.0 Error: access denied for %s",
			    s->peer.namaddr);
		return (0);
	}
	flag_pipelining(s, cmd);
	if (has_8bit(line) && !((cmd->flags & CMD_UTF8) && s->cfg->smtputf8_enable)) {
		smtpd_reply(s, "500 5.5.2 Error: non-ASCII character in command");
		return (0);
	}
	if ((cmd->flags & CMD_MAIL_TXN) && smtpd_tls_required(s))
		return (0);
	if (cmd->check == NULL || cmd->check(s, args) == 0) {
		if (cmd->flags & CMD_CONTENT)
			smtpd_arm_deadline(s, true);
		rc = cmd->proceed(s, args);
	}
	if (s->last_code >= 200 && s->last_code < 400)
		counter->ok++;
	/* as Postfix: the count goes on, only the errors start late */
	if ((cmd->flags & CMD_JUNK) &&
	    s->junk_cmds++ > s->cfg->junk_command_limit)
		s->error_count++;
	return (rc);
}

/* add_counter - " name=total" or " name=ok/total" */
static void
add_counter(struct strbuf *out, const char *name, const struct smtpd_counter *c)
{
	if (c->total == 0)
		return;
	if (c->ok == c->total)
		strbuf_printf(out, " %s=%u", name, c->total);
	else
		strbuf_printf(out, " %s=%u/%u", name, c->ok, c->total);
}

/* smtpd_format_counters - the counters of the "disconnect from" line */
void
smtpd_format_counters(const struct smtpd_session *s, struct strbuf *out)
{
	struct smtpd_counter sum = { 0, 0 };
	size_t i;

	for (i = 0; i <= UNKNOWN_SLOT; i++) {
		add_counter(out, i < COMMAND_COUNT ? command_table[i].name :
		    "unknown", s->counters + i);
		sum.total += s->counters[i].total;
		sum.ok += s->counters[i].ok;
	}
	if (sum.ok == sum.total)
		strbuf_printf(out, " commands=%u", sum.total);
	else
		strbuf_printf(out, " commands=%u/%u", sum.ok, sum.total);
}
