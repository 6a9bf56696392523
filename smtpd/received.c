/*
 * received - the Received: header smtpd puts on top of each message.
 *
 *	Received: from HELO (NAME [ADDR])
 *		by MYHOSTNAME (Sluice) with ESMTP id QUEUEID
 *		for <rcpt>; Mon, 2 Jan 2006 15:04:05 +0000
 * After STARTTLS a "(using TLSv1.3 with cipher ... (256/256 bits))" line
 * follows the first one and the protocol is ESMTPS (RFC 3848).
 * ("for" only with exactly one recipient, so the header does not reveal
 * the other recipients; "with UTF8SMTP" for SMTPUTF8 mail, RFC 6531).
 * The HELO name is the client's own text: it was checked to be printable
 * ASCII without spaces when it was received.  Lines end in LF, as all
 * content handed to cleanup does.
 */
#include <stdio.h>
#include <time.h>

#include "smtpd.h"

/* rfc5322_date - "Mon, 2 Jan 2006 15:04:05 +0000" for now */
static void
rfc5322_date(char *buf, size_t size)
{
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;
	long off;

	localtime_r(&now, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf, size, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
}

/* smtpd_received_header - the whole header, folded, LF-terminated */
void
smtpd_received_header(const struct smtpd_session *s, struct strbuf *out)
{
	const struct smtpd_txn *t = &s->txn;
	char date[64];

	rfc5322_date(date, sizeof(date));
	strbuf_reset(out);
	strbuf_printf(out, "Received: from %s (%s [%s])\n",
	    s->helo_name ? s->helo_name : s->peer.name, s->peer.name,
	    s->peer.addr);
	if (s->tls_active)
		strbuf_printf(out, "\t(using %s with cipher %s (%d/%d bits))\n",
		    s->tls_info.protocol, s->tls_info.cipher, s->tls_info.bits,
		    s->tls_info.bits);
	strbuf_printf(out, "\tby %s (Sluice) with %s id %s",
	    s->cfg->myhostname, t->smtputf8 ? (s->tls_active ? "UTF8SMTPS" :
	    "UTF8SMTP") : smtpd_protocol(s), t->queue_id);
	if (t->rcpt_count == 1)
		strbuf_printf(out, "\n\tfor <%s>; %s\n", t->rcpts[0].address, date);
	else
		strbuf_printf(out, ";\n\t%s\n", date);
}
