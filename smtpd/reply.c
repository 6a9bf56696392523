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
 * "\c" at the start continues the reply's last line; $client_address,
 * $client_name and $helo_name are replaced).
 *
 * Parameters: smtpd_soft_error_limit, smtpd_error_sleep_time, soft_bounce,
 * smtpd_reject_footer.
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

/* footer_macro - the value of $name (len bytes) in a footer, or NULL */
static const char *
footer_macro(const struct smtpd_session *s, const char *name, size_t len)
{
	static const char *const names[] = { "client_address", "client_name",
	    "helo_name" };
	const char *values[] = { s->peer.addr, s->peer.name,
	    s->helo_name ? s->helo_name : "" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return (values[i]);
	return (NULL);
}

/* footer_expand - append text with its $name and ${name} replaced */
static void
footer_expand(const struct smtpd_session *s, struct strbuf *out,
    const char *text, size_t len)
{
	const char *end = text + len, *name, *value;
	size_t nlen;

	while (text < end) {
		if (*text != '$' || text + 1 >= end) {
			strbuf_putc(out, *text++);
			continue;
		}
		if (text[1] == '{') {
			name = text + 2;
			nlen = 0;
			while (name + nlen < end && name[nlen] != '}')
				nlen++;
			value = name + nlen < end ? footer_macro(s, name, nlen) :
			    NULL;
			if (value == NULL) {
				strbuf_putc(out, *text++);
				continue;
			}
			text = name + nlen + 1;
		} else {
			name = text + 1;
			nlen = strspn(name, "abcdefghijklmnopqrstuvwxyz_");
			if (name + nlen > end)
				nlen = (size_t)(end - name);
			if ((value = footer_macro(s, name, nlen)) == NULL) {
				strbuf_putc(out, *text++);
				continue;
			}
			text = name + nlen;
		}
		strbuf_puts(out, value);
	}
}

/*
 * footer - the reply in text followed by smtpd_reject_footer: every line
 * but the last written here with "-" after the code
 */
static void
footer(struct smtpd_session *s, struct strbuf *text)
{
	const char *tmpl = s->cfg->rules.footer, *next, *status;
	struct strbuf line;
	size_t status_len = 0;
	char code[4];
	bool first = true;

	memcpy(code, text->data, 3);
	code[3] = '\0';
	status = text->data + 4;
	if (text->len > 4 && text->data[3] == ' ' && (*status == '4' ||
	    *status == '5') && status[1] == '.')
		status_len = strcspn(status, " ");
	strbuf_init(&line);
	strbuf_append(&line, text->data, text->len);
	for (;;) {
		next = strstr(tmpl, "\\n");
		if (first && strncmp(tmpl, "\\c", 2) == 0) {
			tmpl += 2;
		} else {
			line.data[3] = '-';
			write_line(s, &line);
			strbuf_reset(&line);
			strbuf_printf(&line, "%s ", code);
			if (status_len > 0)
				strbuf_printf(&line, "%.*s ", (int)status_len, status);
		}
		first = false;
		footer_expand(s, &line, tmpl, next ? (size_t)(next - tmpl) :
		    strlen(tmpl));
		if (next == NULL)
			break;
		tmpl = next + 2;
	}
	strbuf_set(text, line.data);
	strbuf_free(&line);
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
