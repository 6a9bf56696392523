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
 * Parameters: smtpd_soft_error_limit, smtpd_error_sleep_time.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "coro.h"
#include "msg.h"
#include "smtpd.h"

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
	write_line(s, &text);
	strbuf_free(&text);
}

/*
 * smtpd_reject - reply and log in the Postfix style:
 * "NOQUEUE: reject: RCPT from name[addr]: 554 ...; from=<> to=<> proto= helo=<>"
 */
void
smtpd_reject(struct smtpd_session *s, const char *stage, const char *recipient,
    const char *fmt, ...)
{
	struct strbuf text, log;
	va_list ap;

	strbuf_init(&text);
	va_start(ap, fmt);
	strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	strbuf_init(&log);
	strbuf_printf(&log, "%s: reject: %s from %s: %s;",
	    s->txn.queue_id[0] ? s->txn.queue_id : "NOQUEUE", stage,
	    s->peer.namaddr, text.data);
	if (s->txn.active)
		strbuf_printf(&log, " from=<%s>", s->txn.sender);
	if (recipient != NULL)
		strbuf_printf(&log, " to=<%s>", recipient);
	strbuf_printf(&log, " proto=%s", smtpd_protocol(s));
	if (s->helo_name != NULL)
		strbuf_printf(&log, " helo=<%s>", s->helo_name);
	msg_info("%s", log.data);
	smtpd_reply(s, "%s", text.data);
	strbuf_free(&log);
	strbuf_free(&text);
}

/* smtpd_flush - push buffered replies out */
void
smtpd_flush(struct smtpd_session *s)
{
	(void)stream_flush(s->stream);
}
