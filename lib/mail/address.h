/*
 * address - RFC 5321 paths and addresses.
 *
 * smtp_path_parse() takes what follows "MAIL FROM:" or "RCPT TO:" and
 * returns the address plus where the ESMTP parameters start.  It accepts
 * quoted local parts, address literals, a source route (parsed and
 * dropped, RFC 5321 section 3.3) and, when asked, SMTPUTF8 (RFC 6531)
 * UTF-8 in local part and domain.  Without strict mode it also takes a
 * bare address without angle brackets, as Postfix does by default.  Every
 * failure yields text for a 501 reply with an enhanced status code.
 */
#ifndef SLUICE_ADDRESS_H
#define SLUICE_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define SMTP_PATH_MAX		256	/* RFC 5321 4.5.3.1.3, brackets included */
#define SMTP_LOCAL_MAX		64	/* RFC 5321 4.5.3.1.1 (strict mode) */
#define SMTP_DOMAIN_MAX		255
#define SMTP_ADDRESS_MAX	(SMTP_LOCAL_MAX * 4 + 1 + SMTP_DOMAIN_MAX)

#define SMTP_PATH_STRICT	0x01	/* strict_rfc821_envelopes */
#define SMTP_PATH_ALLOW_NULL	0x02	/* MAIL FROM:<> */
#define SMTP_PATH_UTF8		0x04	/* SMTPUTF8 given on MAIL */
#define SMTP_PATH_ALLOW_BARE	0x08	/* "RCPT TO:<postmaster>" */

struct smtp_path {
	struct strbuf	address;	/* local@domain as received, route dropped; "" = null */
	size_t		at;		/* index of the '@' in address, or address.len */
	bool		null_path;	/* <> */
	bool		utf8;		/* non-ASCII bytes present */
};

void	smtp_path_init(struct smtp_path *p);
void	smtp_path_free(struct smtp_path *p);
/*
 * smtp_path_parse - parse text (NUL-terminated, no CRLF).  On success
 * returns 0 and sets *params to the first byte of the ESMTP parameters
 * (white space skipped; "" when none).  On failure returns -1 and sets
 * *error to a static reply such as "501 5.1.7 Bad sender address syntax",
 * or "553 5.6.7 ..." for UTF-8 without SMTPUTF8 (RFC 6531); the caller
 * adds nothing: the text is complete.  is_sender selects the
 * 5.1.7 vs 5.1.3 code.
 */
int	smtp_path_parse(const char *text, unsigned flags, bool is_sender,
	    struct smtp_path *out, const char **params, const char **error);

/* address_domain - pointer to the domain part (after the last '@'), or "" */
const char *address_domain(const char *address);
/* address_local_part - copy of the local part, unquoted, into out */
void	address_local_part(const char *address, struct strbuf *out);
/* domain_valid - RFC 5321 Domain or address literal; utf8 allows U-labels */
bool	domain_valid(const char *domain, size_t len, bool utf8);
/* utf8_valid - well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF) */
bool	utf8_valid(const char *s, size_t len);

/* xtext (RFC 3461 section 4): decode into out; -1 on malformed input */
int	xtext_decode(const char *in, size_t len, struct strbuf *out);
void	xtext_encode(const char *in, size_t len, struct strbuf *out);

#endif
