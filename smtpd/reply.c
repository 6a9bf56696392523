/*
 * reply - SMTP replies and the logging of rejections.
 *
 * Replies are buffered on the session stream; the command loop decides
 * when to flush (PIPELINING, RFC 2920).  Every final 4xx/5xx reply counts
 * as a client error: past smtpd_soft_error_limit each one is delayed by
 * smtpd_error_sleep_time, and the loop hangs up at smtpd_hard_error_limit.
 * Reply text never carries CR, LF or other control characters, whatever
 * a client managed to put into an argument.
 *
 * As in Postfix, two settings apply to every 4xx/5xx reply, not only to
 * the restrictions' ones: soft_bounce turns a 5 into a 4 (code and
 * status code), so that nothing is refused for good while an
 * administrator tests; smtpd_reject_footer adds lines after the reply,
 * each with its code and status code ("\n" in the text starts a line,
 * "\c" at the start continues the reply's last line; Postfix's $names
 * in lib/util/template.h's syntax, see expand.c).
 *
 * Parameters: smtpd_soft_error_limit, smtpd_error_sleep_time, soft_bounce,
 * smtpd_reject_footer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coro.h"
#include "mem.h"
#include "msg.h"
#include "smtpd.h"
#include "template.h"

/* reply_code - the three-digit code at the start of text, or 0 */
static int
reply_code(const char *text)
{
	if (text[0] >= '2' && text[0] <= '5' && text[1] >= '0' && text[1] <= '9'
	    && text[2] >= '0' && text[2] <= '9')
		return ((text[0] - '0') * 100 + (text[1] - '0') * 10 + text[2] - '0');
	return (0);
}

/*
 * sleep_ms - pause this session only: other sessions of the process run
 * on (a nanosleep would stall all of them, letting one misbehaving
 * client slow everybody down)
 */
static void
sleep_ms(long ms)
{
	if (ms > 24L * 3600 * 1000)
		ms = 24L * 3600 * 1000;
	(void)coro_poll(-1, 0, (int)ms, NULL);
}

/* write_line - sanitize and buffer one reply line */
static void
write_line(struct smtpd_session *s, struct strbuf *text)
{
	size_t i;

	for (i = 0; i < text->len; i++) {
		unsigned char c = text->data[i];

		if (c < 0x20 || c == 0x7f)
			text->data[i] = ' ';
	}
	if (text->len > 510)		/* RFC 5321 4.5.3.1.5 reply line */
		strbuf_truncate(text, 510);
	strbuf_append(text, "\r\n", 2);
	(void)stream_write(s->stream, text->data, text->len);
}

/* soft_bounce - 5xx into 4xx, the status code's class with it */
static void
soft_bounce(struct smtpd_session *s, struct strbuf *text)
{
	if (!s->cfg->rules.soft_bounce || text->data[0] != '5')
		return;
	text->data[0] = '4';
	if (text->len > 5 && text->data[4] == '5' && text->data[5] == '.')
		text->data[4] = '4';
}

/*
 * footer_lines - the footer's lines, expanded, each ended by LF; the
 * first starts with LF unless the template starts with \c (it then
 * continues the reply's line).  -1 when a $name is unknown or the
 * template malformed: logged, and the reply goes out without it.
 */
static int
footer_lines(struct smtpd_session *s, struct strbuf *out)
{
	const char *tmpl = s->cfg->rules.footer, *next;
	struct smtpd_expand names = { s, s->txn.active ? s->txn.sender : NULL,
	    s->rstate.reply_recipient, { 0 } };
	struct strbuf why;
	char *piece;
	int rc = 0;

	strbuf_init(&why);
	strbuf_init(&names.buf);
	if (strncmp(tmpl, "\\c", 2) == 0)
		tmpl += 2;
	else
		strbuf_putc(out, '\n');
	for (;;) {
		next = strstr(tmpl, "\\n");
		piece = xstrndup(tmpl, next ? (size_t)(next - tmpl) :
		    strlen(tmpl));
		rc = template_expand(piece, smtpd_expand_lookup, &names, out,
		    &why);
		free(piece);
		if (rc != 0) {
			msg_warn("smtpd_reject_footer: %s", why.data);
			break;
		}
		if (next == NULL)
			break;
		strbuf_putc(out, '\n');
		tmpl = next + 2;
	}
	strbuf_free(&why);
	strbuf_free(&names.buf);
	return (rc);
}

/*
 * footer - the reply in text followed by smtpd_reject_footer: every line
 * but the last written here with "-" after the code, each with the
 * reply's code and status code
 */
static void
footer(struct smtpd_session *s, struct strbuf *text)
{
	struct strbuf lines, line;
	const char *status = text->data + 4, *p, *nl;
	size_t status_len = 0;

	strbuf_init(&lines);
	if (footer_lines(s, &lines) != 0) {
		strbuf_free(&lines);
		return;
	}
	if (text->len > 4 && text->data[3] == ' ' && (*status == '4' ||
	    *status == '5') && status[1] == '.')
		status_len = strcspn(status, " ");
	strbuf_init(&line);
	strbuf_append(&line, text->data, text->len);
	for (p = lines.data; ; p = nl + 1) {
		nl = strchr(p, '\n');
		strbuf_append(&line, p, nl ? (size_t)(nl - p) : strlen(p));
		if (nl == NULL)
			break;
		line.data[3] = '-';
		write_line(s, &line);
		strbuf_reset(&line);
		strbuf_append(&line, text->data, 4);
		if (status_len > 0)
			strbuf_printf(&line, "%.*s ", (int)status_len, status);
	}
	strbuf_set(text, line.data);
	strbuf_free(&line);
	strbuf_free(&lines);
}

/* smtpd_reply_part - a non-final line of a multi-line reply ("250-...") */
void
smtpd_reply_part(struct smtpd_session *s, const char *fmt, ...)
{
	struct strbuf text;
	va_list ap;

	strbuf_init(&text);
	va_start(ap, fmt);
	strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	write_line(s, &text);
	strbuf_free(&text);
}

/* smtpd_reply - a final reply line; errors are counted and slowed down */
void
smtpd_reply(struct smtpd_session *s, const char *fmt, ...)
{
	struct strbuf text;
	va_list ap;
	int code;

	strbuf_init(&text);
	va_start(ap, fmt);
	strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	code = reply_code(text.data);
	if (code == 0)
		msg_panic("smtpd_reply: no reply code in \"%s\"", text.data);
	s->last_code = code;
	if (code >= 400 && code != 421 && code != 521) {
		s->error_count++;
		if (s->error_count > s->cfg->soft_error_limit
		    && s->cfg->error_sleep_ms > 0) {
			smtpd_flush(s);
			sleep_ms(s->cfg->error_sleep_ms);
		}
	}
	soft_bounce(s, &text);
	if (code >= 400 && s->cfg->rules.footer != NULL &&
	    *s->cfg->rules.footer != '\0')
		footer(s, &text);
	write_line(s, &text);
	strbuf_free(&text);
}

/*
 * smtpd_log_reject - the Postfix-style line alone, as log tools read it:
 * "NOQUEUE: reject: RCPT from name[addr]: 554 ...; from=<> to=<> proto= helo=<>"
 */
void
smtpd_log_reject(struct smtpd_session *s, const char *stage,
    const char *recipient, const char *text)
{
	struct strbuf log;

	strbuf_init(&log);
	strbuf_printf(&log, "%s: reject: %s from %s: %s;",
	    s->txn.queue_id[0] ? s->txn.queue_id : "NOQUEUE", stage,
	    s->peer.namaddr, text);
	if (s->txn.active)
		strbuf_printf(&log, " from=<%s>", s->txn.sender);
	if (recipient != NULL)
		strbuf_printf(&log, " to=<%s>", recipient);
	strbuf_printf(&log, " proto=%s", smtpd_protocol(s));
	if (s->helo_name != NULL)
		strbuf_printf(&log, " helo=<%s>", s->helo_name);
	msg_info("%s", log.data);
	strbuf_free(&log);
}

/* smtpd_reject - reply and log the refusal (smtpd_log_reject) */
void
smtpd_reject(struct smtpd_session *s, const char *stage, const char *recipient,
    const char *fmt, ...)
{
	struct strbuf text;
	va_list ap;

	strbuf_init(&text);
	va_start(ap, fmt);
	strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	smtpd_log_reject(s, stage, recipient, text.data);
	smtpd_reply(s, "%s", text.data);
	strbuf_free(&text);
}

/* smtpd_flush - push buffered replies out */
void
smtpd_flush(struct smtpd_session *s)
{
	(void)stream_flush(s->stream);
}
