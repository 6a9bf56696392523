/*
 * notice_text.c - the bodies of the three parts of a delivery status
 * notification (RFC 3464): the explanation for people, the
 * machine-readable delivery-status fields, and the returned message.
 *
 * Everything that came from outside (addresses, the diagnostics of
 * delivery agents and remote servers) passes through bounce_clean()
 * before it lands in a header-like line, so nothing can inject lines or
 * fields.  notice.c wraps these bodies into the MIME structure.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "notice_impl.h"
#include "mail_date.h"
#include "config.h"
#include "json_write.h"
#include "mem.h"
#include "queue_file.h"
#include "strbuf.h"

#define HUMAN_WIDTH	72	/* wrap width of the text part */

/* bounce_date - RFC 5322 date-time in local time */
void
bounce_date(struct strbuf *out, time_t when)
{
	mail_date(out, when);
}

/* bounce_clean - append a sanitized copy of text */
void
bounce_clean(struct strbuf *out, const char *text, bool utf8)
{
	size_t n, len, seq;
	unsigned char ch;

	len = strnlen(text, BOUNCE_FIELD_MAX);
	for (n = 0; n < len; n++) {
		ch = (unsigned char)text[n];
		if (ch < 0x20 || ch == 0x7f)
			strbuf_putc(out, ' ');
		else if (ch < 0x80)
			strbuf_putc(out, ch);
		else if (utf8 && (seq = json_utf8_sequence(
		    (const unsigned char *)text + n, len - n)) > 1) {
			/* a global DSN carries UTF-8, never stray 8-bit bytes */
			strbuf_append(out, text + n, seq);
			n += seq - 1;
		} else
			strbuf_putc(out, '?');
	}
}

/* bounce_field - one header-like line, folded at white space */
void
bounce_field(struct strbuf *out, const char *name, const char *value)
{
	size_t col, word;
	const char *cp = value;

	strbuf_printf(out, "%s:", name);
	col = strlen(name) + 1;
	while (*cp != 0) {
		while (*cp == ' ')
			cp++;
		if (*cp == 0)
			break;
		word = strcspn(cp, " ");
		if (col > strlen(name) + 1 && col + 1 + word > BOUNCE_FOLD_WIDTH) {
			strbuf_puts(out, "\n   ");
			col = 3;
		}
		strbuf_putc(out, ' ');
		strbuf_append(out, cp, word);
		col += 1 + word;
		cp += word;
	}
	strbuf_putc(out, '\n');
}

/* status_valid - "2.x.y", "4.x.y" or "5.x.y" with 1-3 digit parts */
static bool
status_valid(const char *s)
{
	size_t n;
	int part;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return (false);
	s += 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; isdigit((unsigned char)s[n]); n++)
			;
		if (n < 1 || n > 3)
			return (false);
		s += n;
		if (part == 0 && *s++ != '.')
			return (false);
	}
	return (*s == 0);
}

/* rcpt_status - the recipient's status, or a generic one for the action */
static const char *
rcpt_status(const struct bounce_job *job, const struct bounce_rcpt *r)
{
	if (status_valid(r->status))
		return (r->status);
	switch (job->action) {
	case BOUNCE_DELIVERED:
		return ("2.0.0");
	case BOUNCE_DELAYED:
		return ("4.0.0");
	default:
		return ("5.0.0");
	}
}

/* diag_type_len - length of a leading "type;" (RFC 3464 diagnostic-type) */
static size_t
diag_type_len(const char *d)
{
	size_t n = 0;

	if (!isalpha((unsigned char)d[0]))
		return (0);
	while (isalnum((unsigned char)d[n]) || d[n] == '-')
		n++;
	return (d[n] == ';' && n <= 40 ? n : 0);
}

/* has_8bit - any byte above 0x7f */
static bool
has_8bit(const char *s)
{
	for (; *s != 0; s++)
		if ((unsigned char)*s >= 0x80)
			return (true);
	return (false);
}

/* address_typed - "rfc822; addr", or "utf-8; addr" for a UTF-8 address */
static void
address_typed(const struct bounce_job *job, struct strbuf *out, const char *addr)
{
	strbuf_puts(out, job->global && has_8bit(addr) ? "utf-8; " : "rfc822; ");
	bounce_clean(out, addr, job->global);
}

/* wrap_append - text wrapped at HUMAN_WIDTH, continuation lines indented */
static void
wrap_append(struct strbuf *out, const char *text)
{
	size_t col = 0, word;
	const char *cp = text;

	while (*cp != 0) {
		while (*cp == ' ')
			cp++;
		if (*cp == 0)
			break;
		word = strcspn(cp, " ");
		if (col > 0 && col + 1 + word > HUMAN_WIDTH) {
			strbuf_puts(out, "\n    ");
			col = 4;
		} else if (col > 0) {
			strbuf_putc(out, ' ');
			col++;
		}
		strbuf_append(out, cp, word);
		col += word;
		cp += word;
	}
	strbuf_putc(out, '\n');
}

/* lifetime - how long the queue keeps trying this message, in seconds */
static long
lifetime(const struct bounce_job *job)
{
	return (job->msg->sender[0] == 0 ? job->set->bounce_queue_lifetime :
	    job->set->maximal_queue_lifetime);
}

/* span_text - "N hours" / "N minutes" / "N days" for people */
static void
span_text(struct strbuf *out, long seconds)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds >= 2 * 86400 && seconds % 86400 == 0)
		strbuf_printf(out, "%ld days", seconds / 86400);
	else if (seconds >= 3600)
		strbuf_printf(out, "%ld hour%s", seconds / 3600,
		    seconds / 3600 == 1 ? "" : "s");
	else
		strbuf_printf(out, "%ld minute%s", seconds / 60,
		    seconds / 60 == 1 ? "" : "s");
}

/* bounce_human_text - what happened, in words, then one line per recipient */
void
bounce_human_text(const struct bounce_job *job, struct strbuf *out)
{
	struct strbuf line;
	const struct bounce_rcpt *r;
	const char *diag;

	strbuf_printf(out, "This is the mail system at host %s.\n\n",
	    job->set->myhostname);
	switch (job->action) {
	case BOUNCE_FAILED:
		strbuf_puts(out,
		    "I'm sorry to have to inform you that your message could not\n"
		    "be delivered to one or more recipients. It's attached below.\n"
		    "\n"
		    "For further assistance, please send mail to postmaster.\n"
		    "If you do so, please include this problem report. You can\n"
		    "delete your own text from the attached returned message.\n");
		break;
	case BOUNCE_DELAYED:
		strbuf_puts(out,
		    "####### THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND "
		    "YOUR MESSAGE. #######\n\n"
		    "Your message could not be delivered for ");
		span_text(out, (long)(job->now - job->msg->arrival));
		strbuf_puts(out, ".\nIt will be retried until it is ");
		span_text(out, lifetime(job));
		strbuf_puts(out, " old.\n\n"
		    "For further assistance, please send mail to postmaster.\n");
		break;
	case BOUNCE_DELIVERED:
		strbuf_puts(out,
		    "You asked for a delivery status notification: your message\n"
		    "was successfully delivered to the destinations listed below.\n"
		    "If a destination was a mailbox, that is where the message\n"
		    "stays; a forwarding address may still send it further.\n");
		break;
	}
	strbuf_puts(out, "\n                   The mail system\n\n");

	strbuf_init(&line);
	for (size_t i = 0; i < job->count; i++) {
		r = &job->rcpts[i];
		strbuf_reset(&line);
		strbuf_putc(&line, '<');
		bounce_clean(&line, r->final_recipient, job->global);
		strbuf_putc(&line, '>');
		if (r->original_recipient != NULL && r->original_recipient[0] != 0
		    && strcasecmp(r->original_recipient, r->final_recipient) != 0) {
			strbuf_puts(&line, " (expanded from <");
			bounce_clean(&line, r->original_recipient, job->global);
			strbuf_puts(&line, ">)");
		}
		diag = r->diagnostic != NULL ? r->diagnostic : "";
		if (diag_type_len(diag) > 0)
			diag += diag_type_len(diag) + 1;
		strbuf_puts(&line, ": ");
		if (*diag == 0)
			strbuf_puts(&line, job->action == BOUNCE_DELIVERED ?
			    "delivered" : rcpt_status(job, r));
		else
			bounce_clean(&line, diag, job->global);
		wrap_append(out, line.data);
		strbuf_putc(out, '\n');
	}
	strbuf_free(&line);
}

/* add_original - from ORCPT ("rfc822;x" -> "rfc822; x"), else the R address */
static void
add_original(const struct bounce_job *job, struct strbuf *val,
    const struct bounce_rcpt *r)
{
	const char *semi;

	if (r->orcpt != NULL && r->orcpt[0] != 0
	    && (semi = strchr(r->orcpt, ';')) != NULL && semi > r->orcpt) {
		bounce_clean(val, r->orcpt, job->global);
		strbuf_truncate(val, (size_t)(semi - r->orcpt));
		strbuf_puts(val, "; ");
		semi++;
		while (*semi == ' ')
			semi++;
		bounce_clean(val, semi, job->global);
	} else if (r->original_recipient != NULL && r->original_recipient[0] != 0
	    && strcasecmp(r->original_recipient, r->final_recipient) != 0) {
		address_typed(job, val, r->original_recipient);
	}
}

/* bounce_status_text - per-message fields, then one group per recipient */
void
bounce_status_text(const struct bounce_job *job, struct strbuf *out)
{
	static const char *const actions[] = { "failed", "delayed", "delivered" };
	const struct queue_message *msg = job->msg;
	const struct bounce_rcpt *r;
	const char *envid, *diag;
	struct strbuf val;
	size_t tlen;

	strbuf_init(&val);
	strbuf_printf(&val, "dns; %s", job->set->myhostname);
	bounce_field(out, "Reporting-MTA", val.data);
	strbuf_set(&val, msg->id);
	bounce_field(out, "X-Sluice-Queue-ID", val.data);
	strbuf_reset(&val);
	address_typed(job, &val, msg->sender);
	bounce_field(out, "X-Sluice-Sender", val.data);
	if ((envid = attr_list_get(&msg->attrs, "envid")) != NULL && *envid != 0) {
		strbuf_reset(&val);
		bounce_clean(&val, envid, job->global);
		bounce_field(out, "Original-Envelope-Id", val.data);
	}
	strbuf_reset(&val);
	bounce_date(&val, msg->arrival);
	bounce_field(out, "Arrival-Date", val.data);

	for (size_t i = 0; i < job->count; i++) {
		r = &job->rcpts[i];
		strbuf_putc(out, '\n');
		strbuf_reset(&val);
		address_typed(job, &val, r->final_recipient);
		bounce_field(out, "Final-Recipient", val.data);
		strbuf_reset(&val);
		add_original(job, &val, r);
		if (val.len > 0)
			bounce_field(out, "Original-Recipient", val.data);
		bounce_field(out, "Action", actions[job->action]);
		bounce_field(out, "Status", rcpt_status(job, r));
		diag = r->diagnostic != NULL ? r->diagnostic : "";
		if (*diag != 0) {
			strbuf_reset(&val);
			if ((tlen = diag_type_len(diag)) > 0) {
				strbuf_append(&val, diag, tlen);
				diag += tlen + 1;
				while (*diag == ' ')
					diag++;
			} else {
				strbuf_puts(&val, "x-unix");
			}
			strbuf_puts(&val, "; ");
			bounce_clean(&val, diag, job->global);
			bounce_field(out, "Diagnostic-Code", val.data);
		}
		strbuf_reset(&val);
		bounce_date(&val, r->last_attempt > 0 ? r->last_attempt : job->now);
		bounce_field(out, "Last-Attempt-Date", val.data);
		if (job->action == BOUNCE_DELAYED) {
			strbuf_reset(&val);
			bounce_date(&val, msg->arrival + lifetime(job));
			bounce_field(out, "Will-Retry-Until", val.data);
		}
	}
	strbuf_free(&val);
}

/* Collecting the original content. */
struct returned_ctx {
	struct strbuf	*out;
	bool		 headers_only;
	bool		 at_line_start;	/* the last byte seen was LF */
	bool		 done;
};

/* collect - content chunk callback: everything, or up to the blank line */
static int
collect(const char *data, size_t len, void *ptr)
{
	struct returned_ctx *rc = ptr;
	size_t i;

	if (!rc->headers_only) {
		strbuf_append(rc->out, data, len);
		return (0);
	}
	for (i = 0; i < len; i++) {
		if (data[i] == '\n' && rc->at_line_start) {
			rc->done = true;
			break;
		}
		rc->at_line_start = data[i] == '\n';
	}
	strbuf_append(rc->out, data, i);
	if (rc->done || rc->out->len > BOUNCE_HEADERS_MAX)
		return (1);
	return (0);
}

/* bounce_returned_text - the original message, or its header section */
int
bounce_returned_text(const struct bounce_job *job, int queue_fd,
    struct strbuf *out, bool *full, struct strbuf *err)
{
	struct returned_ctx rc;
	const char *ret = attr_list_get(&job->msg->attrs, "ret");
	long limit = job->set->bounce_size_limit;
	char *nl;
	int r;

	/* RFC 3461 4.3: only a failure returns the content, and not with HDRS */
	*full = job->action == BOUNCE_FAILED && !job->postmaster
	    && (ret == NULL || strcasecmp(ret, "HDRS") != 0)
	    && job->msg->size >= 0 && job->msg->size <= limit;
	memset(&rc, 0, sizeof(rc));
	rc.out = out;
	rc.headers_only = !*full;
	rc.at_line_start = true;
	r = queue_file_read_content(queue_fd, job->msg, collect, &rc);
	if (r < 0) {
		strbuf_printf(err, "%s: cannot read the message content",
		    job->msg->id);
		return (-1);
	}
	if (rc.headers_only && out->len > BOUNCE_HEADERS_MAX) {
		/* absurd header section: keep whole lines only */
		strbuf_truncate(out, BOUNCE_HEADERS_MAX);
		if ((nl = strrchr(out->data, '\n')) != NULL)
			strbuf_truncate(out, (size_t)(nl - out->data) + 1);
	}
	return (0);
}
