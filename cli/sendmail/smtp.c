/*
 * smtp - sendmail -bs: an SMTP dialogue on standard input and output.
 *
 * For programs that talk SMTP to a pipe instead of a socket.  A compact
 * server: HELO, EHLO (PIPELINING, SIZE, 8BITMIME, DSN,
 * ENHANCEDSTATUSCODES), MAIL (SIZE, BODY, RET, ENVID), RCPT (NOTIFY,
 * ORCPT), DATA (dot-unstuffed, CRLF made LF), RSET, NOOP, QUIT.  Each
 * message goes through sluice-drop like any other submission by this
 * user, so the dialogue grants nothing the command line does not.
 * MAIL is answered 452 4.3.1 while the queue file system is short of
 * space (queue_minfree, as smtpd does).
 * Command lines are at most SM_SMTP_LINE_MAX bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "mem.h"
#include "queue_file.h"
#include "sendmail.h"

#define SM_SMTP_LINE_MAX	2048
#define SM_SMTP_TIMEOUT		300
#define SM_SMTP_ERROR_MAX	20

struct smtp_state {
	const struct sm_options	*o;
	struct stream		*in;
	struct stream		*out;
	struct sm_envelope	 env;
	bool			 have_mail;
	char			*ret;		/* "FULL"/"HDRS" or NULL */
	int			 errors;
};

/* reply - one reply line, CRLF, flushed */
static void
reply(struct smtp_state *s, const char *text)
{
	stream_printf(s->out, "%s\r\n", text);
	(void)stream_flush(s->out);
}

/* reset - forget the transaction */
static void
reset(struct smtp_state *s)
{
	free(s->env.sender);
	free(s->env.envid);
	free(s->ret);
	sm_envelope_free(&s->env);
	s->ret = NULL;
	s->have_mail = false;
}

/* param_value - "NAME=value" with NAME matched case-insensitively */
static const char *
param_value(const char *param, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(param, name, n) == 0 && param[n] == '=')
		return (param + n + 1);
	return (NULL);
}

/* parse_notify - "NEVER" or SUCCESS,FAILURE,DELAY; -1 when bad */
static int
parse_notify(const char *text)
{
	struct strlist words;
	int bits = 0;

	strlist_init(&words);
	strlist_split(&words, text, ",");
	for (size_t i = 0; i < words.count && bits >= 0; i++) {
		if (strcasecmp(words.items[i], "NEVER") == 0 && words.count == 1)
			bits = DSN_NOTIFY_NEVER;
		else if (strcasecmp(words.items[i], "SUCCESS") == 0)
			bits |= DSN_NOTIFY_SUCCESS;
		else if (strcasecmp(words.items[i], "FAILURE") == 0)
			bits |= DSN_NOTIFY_FAILURE;
		else if (strcasecmp(words.items[i], "DELAY") == 0)
			bits |= DSN_NOTIFY_DELAY;
		else
			bits = -1;
	}
	if (words.count == 0)
		bits = -1;
	strlist_free(&words);
	return (bits);
}

/* mail_params - SIZE, BODY, RET, ENVID; an error reply or NULL */
static const char *
mail_params(struct smtp_state *s, const char *params)
{
	struct strlist list;
	struct strbuf decoded;
	const char *v, *err = NULL;

	strlist_init(&list);
	strbuf_init(&decoded);
	strlist_split(&list, params, " \t");
	for (size_t i = 0; i < list.count && err == NULL; i++) {
		const char *p = list.items[i];

		if ((v = param_value(p, "SIZE")) != NULL) {
			if (s->o->size_limit > 0 &&
			    strtoll(v, NULL, 10) > s->o->size_limit)
				err = "552 5.3.4 Message size exceeds fixed "
				    "limit";
		} else if ((v = param_value(p, "BODY")) != NULL) {
			if (strcasecmp(v, "7BIT") != 0 &&
			    strcasecmp(v, "8BITMIME") != 0)
				err = "501 5.5.4 Unsupported BODY parameter";
		} else if ((v = param_value(p, "RET")) != NULL) {
			if (strcasecmp(v, "FULL") != 0 && strcasecmp(v, "HDRS") != 0)
				err = "501 5.5.4 Bad RET parameter syntax";
			else {
				free(s->ret);
				s->ret = xstrdup(strcasecmp(v, "FULL") == 0 ?
				    "FULL" : "HDRS");
			}
		} else if ((v = param_value(p, "ENVID")) != NULL) {
			strbuf_reset(&decoded);
			if (xtext_decode(v, strlen(v), &decoded) < 0 ||
			    decoded.len == 0 || decoded.len > SM_ENVID_MAX ||
			    strspn(decoded.data, "!\"#$%&'()*+,-./0123456789:;<=>"
			    "?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmno"
			    "pqrstuvwxyz{|}~") != decoded.len)
				err = "501 5.5.4 Bad ENVID parameter syntax";
			else {
				free(s->env.envid);
				s->env.envid = xstrdup(decoded.data);
			}
		} else
			err = "555 5.5.4 Unsupported option";
	}
	strlist_free(&list);
	strbuf_free(&decoded);
	return (err);
}

/* queue_has_room - the queue file system takes new mail (queue_minfree) */
static bool
queue_has_room(struct smtp_state *s)
{
	struct strbuf why;
	bool ok;

	strbuf_init(&why);
	ok = sm_queue_space_ok(s->o, &why);
	strbuf_free(&why);
	return (ok);
}

/* cmd_mail - MAIL FROM:<path> [params] */
static void
cmd_mail(struct smtp_state *s, const char *arg)
{
	struct smtp_path path;
	const char *params, *error;

	if (s->have_mail) {
		reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (strncasecmp(arg, "FROM:", 5) != 0) {
		reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	smtp_path_init(&path);
	if (smtp_path_parse(arg + 5, SMTP_PATH_ALLOW_NULL | SMTP_PATH_UTF8, true,
	    &path, &params, &error) < 0) {
		reply(s, error);
	} else if ((error = mail_params(s, params)) != NULL) {
		reply(s, error);
		reset(s);
	} else if (!queue_has_room(s)) {
		reply(s, "452 4.3.1 Insufficient system storage");
		reset(s);
	} else {
		s->env.sender = xstrdup(path.address.data);
		s->env.ret = s->ret;
		s->have_mail = true;
		reply(s, "250 2.1.0 Ok");
	}
	smtp_path_free(&path);
}

/* rcpt_params - NOTIFY and ORCPT; an error reply or NULL */
static const char *
rcpt_params(const char *params, int *notify, struct strbuf *orcpt)
{
	struct strlist list;
	const char *v, *err = NULL;

	strlist_init(&list);
	strlist_split(&list, params, " \t");
	for (size_t i = 0; i < list.count && err == NULL; i++) {
		const char *p = list.items[i];

		if ((v = param_value(p, "NOTIFY")) != NULL) {
			if ((*notify = parse_notify(v)) < 0)
				err = "501 5.5.4 Bad NOTIFY parameter syntax";
		} else if ((v = param_value(p, "ORCPT")) != NULL) {
			strbuf_reset(orcpt);
			if (strchr(v, ';') == NULL || xtext_decode(v, strlen(v),
			    orcpt) < 0 || orcpt->len > 500 ||
			    strpbrk(orcpt->data, "\r\n") != NULL)
				err = "501 5.5.4 Bad ORCPT parameter syntax";
		} else
			err = "555 5.5.4 Unsupported option";
	}
	strlist_free(&list);
	return (err);
}

/* cmd_rcpt - RCPT TO:<path> [params] */
static void
cmd_rcpt(struct smtp_state *s, const char *arg)
{
	struct smtp_path path;
	struct strbuf orcpt;
	const char *params, *error;
	int notify;

	if (!s->have_mail) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (strncasecmp(arg, "TO:", 3) != 0) {
		reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	smtp_path_init(&path);
	strbuf_init(&orcpt);
	notify = s->o->notify;
	if (smtp_path_parse(arg + 3, SMTP_PATH_ALLOW_BARE | SMTP_PATH_UTF8,
	    false, &path, &params, &error) < 0)
		reply(s, error);
	else if ((error = rcpt_params(params, &notify, &orcpt)) != NULL)
		reply(s, error);
	else if (sm_envelope_add(&s->env, path.address.data, orcpt.data,
	    notify) < 0)
		reply(s, "452 4.5.3 Error: too many recipients");
	else
		reply(s, "250 2.1.5 Ok");
	smtp_path_free(&path);
	strbuf_free(&orcpt);
}

/* status_reply - the reply for sluice-drop's exit status */
static void
status_reply(struct smtp_state *s, int status, const char *id, bool too_big)
{
	char text[128];

	if (too_big)
		reply(s, "552 5.3.4 Error: message file too big");
	else if (status == EX_OK) {
		snprintf(text, sizeof(text), "250 2.0.0 Ok: queued as %s", id);
		reply(s, text);
	} else if (status == EX_DATAERR || status == EX_NOPERM)
		reply(s, "554 5.6.0 Error: message rejected by sluice-drop");
	else
		reply(s, "451 4.3.0 Error: queue file write error");
}

/* cmd_data - the message, up to the lone dot */
static void
cmd_data(struct smtp_state *s)
{
	struct strbuf line;
	struct sm_drop *drop;
	char id[QUEUE_ID_SIZE] = "";
	long long total = 0;
	bool line_start = true, too_big = false, ok = true;
	int status;

	if (!s->have_mail || s->env.rcpt_count == 0) {
		reply(s, s->have_mail ? "503 5.5.1 Error: need RCPT command" :
		    "503 5.5.1 Error: need MAIL command");
		return;
	}
	drop = sm_drop_open(s->o, &s->env);
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	strbuf_init(&line);
	for (;;) {
		int r = stream_getline_chunk(s->in, &line, SM_LINE_PIECE);
		size_t skip = 0;

		if (r != STREAM_OK && r != STREAM_TOOLONG) {
			ok = false;
			break;
		}
		if (line.len >= 2 && line.data[line.len - 2] == '\r' &&
		    line.data[line.len - 1] == '\n') {
			line.data[line.len - 2] = '\n';
			strbuf_truncate(&line, line.len - 1);
		}
		if (line_start && line.data[0] == '.') {
			if (line.len == 2 && line.data[1] == '\n')
				break;
			skip = 1;	/* dot-stuffing */
		}
		line_start = line.data[line.len - 1] == '\n';
		total += (long long)(line.len - skip);
		if (s->o->size_limit > 0 && total > s->o->size_limit)
			too_big = true;
		if (!too_big)
			(void)sm_drop_write(drop, line.data + skip,
			    line.len - skip);
	}
	strbuf_free(&line);
	if (!ok || too_big) {
		sm_drop_abort(drop);
		if (ok)
			status_reply(s, EX_DATAERR, id, true);
	} else {
		if (!line_start)
			(void)sm_drop_write(drop, "\n", 1);
		status = sm_drop_close(drop, id);
		status_reply(s, status, id, false);
	}
	reset(s);
}

/* ehlo_reply - the EHLO keywords */
static void
ehlo_reply(struct smtp_state *s, const char *host)
{
	stream_printf(s->out, "250-%s\r\n250-PIPELINING\r\n", host);
	if (s->o->size_limit > 0)
		stream_printf(s->out, "250-SIZE %ld\r\n", s->o->size_limit);
	else
		stream_printf(s->out, "250-SIZE\r\n");
	reply(s, "250-8BITMIME\r\n250-DSN\r\n250 ENHANCEDSTATUSCODES");
}

/* dispatch - one command line; false after QUIT */
static bool
dispatch(struct smtp_state *s, char *line, const char *host)
{
	char *arg = line + strcspn(line, " ");
	size_t verb_len = (size_t)(arg - line);
	char text[300];

	while (*arg == ' ')
		arg++;
#define VERB(w) (verb_len == strlen(w) && strncasecmp(line, w, verb_len) == 0)
	if (VERB("HELO") || VERB("EHLO")) {
		if (*arg == 0) {
			reply(s, "501 5.5.4 Syntax: EHLO hostname");
			return (true);
		}
		reset(s);
		if (VERB("EHLO"))
			ehlo_reply(s, host);
		else {
			snprintf(text, sizeof(text), "250 %s", host);
			reply(s, text);
		}
	} else if (VERB("MAIL"))
		cmd_mail(s, arg);
	else if (VERB("RCPT"))
		cmd_rcpt(s, arg);
	else if (VERB("DATA"))
		cmd_data(s);
	else if (VERB("RSET")) {
		reset(s);
		reply(s, "250 2.0.0 Ok");
	} else if (VERB("NOOP"))
		reply(s, "250 2.0.0 Ok");
	else if (VERB("QUIT")) {
		reply(s, "221 2.0.0 Bye");
		return (false);
	} else if (VERB("VRFY"))
		reply(s, "502 5.5.1 VRFY command is disabled");
	else {
		reply(s, "502 5.5.2 Error: command not recognized");
		s->errors++;
	}
#undef VERB
	return (s->errors < SM_SMTP_ERROR_MAX);
}

/* sm_smtp_session - the whole dialogue */
int
sm_smtp_session(const struct sm_options *o)
{
	struct smtp_state s = { .o = o };
	const char *host = config_get(o->cfg, "myhostname");
	struct strbuf line;
	char text[300];
	int r;

	sm_envelope_init(&s.env);
	s.in = stream_open(dup(0));
	s.out = stream_open(dup(1));
	stream_set_timeout(s.in, SM_SMTP_TIMEOUT);
	stream_set_timeout(s.out, SM_SMTP_TIMEOUT);
	strbuf_init(&line);
	snprintf(text, sizeof(text), "220 %.250s ESMTP Sluice", host);
	reply(&s, text);
	for (;;) {
		r = stream_getline(s.in, &line, SM_SMTP_LINE_MAX);
		if (r == STREAM_TOOLONG) {
			reply(&s, "500 5.5.0 Error: line too long");
			continue;
		}
		if (r != STREAM_OK || stream_status(s.out) != STREAM_OK)
			break;
		while (line.len > 0 && (line.data[line.len - 1] == '\n' ||
		    line.data[line.len - 1] == '\r'))
			strbuf_truncate(&line, line.len - 1);
		if (memchr(line.data, 0, line.len) != NULL) {
			reply(&s, "500 5.5.2 Error: bad syntax");
			continue;
		}
		if (!dispatch(&s, line.data, host))
			break;
	}
	reset(&s);
	strbuf_free(&line);
	stream_close(s.in);
	stream_close(s.out);
	return (EX_OK);
}
