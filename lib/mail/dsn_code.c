/*
 * dsn_code - RFC 3463 enhanced status codes (dsn_code.h).
 *
 * smtp takes them from a next hop's replies, smtpd from access tables and
 * policy answers, qmgr and bounce from the defer log and bounce
 * requests: all hostile or at least untrusted, so the syntax is checked
 * here once, without sscanf's tolerance of signs and blanks.
 */
#include <string.h>

#include "dsn_code.h"

/* dsn_code_span - length of a code starting text, followed by end/blank */
size_t
dsn_code_span(const char *text, size_t len)
{
	size_t	 i = 1, digits;

	if (len == 0 || (text[0] != '2' && text[0] != '4' && text[0] != '5'))
		return (0);
	for (int part = 0; part < 2; part++) {
		if (i >= len || text[i] != '.')
			return (0);
		for (i++, digits = 0; i < len && text[i] >= '0' &&
		    text[i] <= '9'; i++)
			digits++;
		if (digits < 1 || digits > 3)
			return (0);
	}
	return (i == len || text[i] == ' ' || text[i] == '\t' ? i : 0);
}

/* dsn_code_valid - the whole string is one code */
bool
dsn_code_valid(const char *text)
{
	size_t	 len = strlen(text);

	return (len > 0 && dsn_code_span(text, len) == len);
}
