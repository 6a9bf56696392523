/*
 * ehlo - HELO and EHLO (RFC 5321 4.1.1.1, RFC 1869).
 *
 * Either one starts a new session state: the transaction is reset and the
 * name the client gave is kept for the Received: header and the logs.
 * EHLO lists the extensions, minus those named in
 * smtpd_discard_ehlo_keywords.  STARTTLS is listed only while the session
 * is still in plaintext (see starttls.c).
 *
 * With smtpd_delay_reject = no, smtpd_helo_restrictions run here; a
 * refused name is not remembered (restrict_eval.c).
 *
 * Parameters: smtpd_discard_ehlo_keywords, message_size_limit,
 * smtputf8_enable, myhostname.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "smtpd.h"

#define HELO_NAME_MAX	255

/* smtpd_helo_check - HELO/EHLO need one printable argument */
int
smtpd_helo_check(struct smtpd_session *s, const char *args)
{
	const char *cp;

	if (*args == '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: %s hostname", s->where);
		return (-1);
	}
	for (cp = args; *cp; cp++) {
		if ((unsigned char)*cp <= ' ' || (unsigned char)*cp >= 0x7f) {
			smtpd_reply(s, "501 5.5.4 Syntax: %s hostname", s->where);
			return (-1);
		}
	}
	if (strlen(args) > HELO_NAME_MAX) {
		smtpd_reply(s, "501 5.5.4 Error: %s name too long", s->where);
		return (-1);
	}
	return (0);
}

/* remember_helo - reset the transaction and keep the client's name */
static void
remember_helo(struct smtpd_session *s, const char *args, bool esmtp)
{
	smtpd_txn_reset(s);
	free(s->helo_name);
	s->helo_name = xstrdup(args);
	s->esmtp = esmtp;
}

/* smtpd_helo - HELO: plain SMTP */
int
smtpd_helo(struct smtpd_session *s, const char *args)
{
	if (restrict_check_helo(s, args) != 0)
		return (0);
	remember_helo(s, args, false);
	smtpd_reply(s, "250 %s", s->cfg->myhostname);
	return (0);
}

/* keyword_wanted - not listed in smtpd_discard_ehlo_keywords */
static bool
keyword_wanted(const struct smtpd_session *s, const char *keyword)
{
	return (!strlist_contains_ci(&s->cfg->discard_ehlo, keyword));
}

/* smtpd_ehlo - EHLO: ESMTP and the extension list */
int
smtpd_ehlo(struct smtpd_session *s, const char *args)
{
	const char *keywords[10];
	char size_line[40];
	size_t n = 0, i;

	if (restrict_check_helo(s, args) != 0)
		return (0);
	remember_helo(s, args, true);
	if (keyword_wanted(s, "PIPELINING"))
		keywords[n++] = "PIPELINING";
	if (keyword_wanted(s, "SIZE")) {
		if (s->cfg->message_size_limit > 0)
			snprintf(size_line, sizeof(size_line), "SIZE %ld",
			    s->cfg->message_size_limit);
		else
			snprintf(size_line, sizeof(size_line), "SIZE");
		keywords[n++] = size_line;
	}
	if (keyword_wanted(s, "8BITMIME"))
		keywords[n++] = "8BITMIME";
	if (keyword_wanted(s, "ENHANCEDSTATUSCODES"))
		keywords[n++] = "ENHANCEDSTATUSCODES";
	if (s->cfg->smtputf8_enable && keyword_wanted(s, "SMTPUTF8"))
		keywords[n++] = "SMTPUTF8";
	if (keyword_wanted(s, "DSN"))
		keywords[n++] = "DSN";
	if (keyword_wanted(s, "CHUNKING"))
		keywords[n++] = "CHUNKING";
	if (smtpd_starttls_offered(s) && keyword_wanted(s, "STARTTLS"))
		keywords[n++] = "STARTTLS";
	if (n == 0) {
		smtpd_reply(s, "250 %s", s->cfg->myhostname);
		return (0);
	}
	smtpd_reply_part(s, "250-%s", s->cfg->myhostname);
	for (i = 0; i + 1 < n; i++)
		smtpd_reply_part(s, "250-%s", keywords[i]);
	smtpd_reply(s, "250 %s", keywords[n - 1]);
	return (0);
}
