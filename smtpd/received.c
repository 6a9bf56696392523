/*
 * received - the Received: header smtpd puts on top of each message.
 *
 *	Received: from HELO (NAME [ADDR])
 *		by MYHOSTNAME (Sluice) with ESMTP id QUEUEID
 *		for <rcpt>; Mon, 2 Jan 2006 15:04:05 +0000
 * After STARTTLS the protocol is ESMTPS (RFC 3848) and, unless
 * smtpd_tls_received_header is off, a "(using TLSv1.3 with cipher ...
 * (256/256 bits))" line follows the first one.
 * ("for" only with exactly one recipient, so the header does not reveal
 * the other recipients; "with UTF8SMTP" for SMTPUTF8 mail, RFC 6531).
 * The HELO name is the client's own text: it was checked to be printable
 * ASCII without spaces when it was received.  Lines end in LF, as all
 * content handed to cleanup does.
 */
#include <stdio.h>
#include <time.h>

#include "mail_date.h"
#include "smtpd.h"

/* smtpd_received_header - the whole header, folded, LF-terminated */
void
smtpd_received_header(const struct smtpd_session *s, struct strbuf *out)
{
	const struct smtpd_txn *t = &s->txn;
	struct strbuf date;

	strbuf_init(&date);
	mail_date(&date, time(NULL));
	strbuf_reset(out);
	strbuf_printf(out, "Received: from %s (%s [%s])\n",
	    s->helo_name ? s->helo_name : s->peer.name, s->peer.name,
	    s->peer.addr);
	if (s->tls_active && s->cfg->tls_received_header)
		strbuf_printf(out, "\t(using %s with cipher %s (%d/%d bits))\n",
		    s->tls_info.protocol, s->tls_info.cipher, s->tls_info.bits,
		    s->tls_info.bits);
	strbuf_printf(out, "\tby %s (Sluice) with %s id %s",
	    s->cfg->myhostname, t->smtputf8 ? (s->tls_active ? "UTF8SMTPS" :
	    "UTF8SMTP") : smtpd_protocol(s), t->queue_id);
	if (t->rcpt_count == 1)
		strbuf_printf(out, "\n\tfor <%s>; %s\n", t->rcpts[0].address,
		    date.data);
	else
		strbuf_printf(out, ";\n\t%s\n", date.data);
	strbuf_free(&date);
}
