/*
 * xtext - the encoding of DSN ENVID and ORCPT values (RFC 3461 section 4).
 *
 * xtext is printable US-ASCII except '+' and '=', with any other byte
 * written as "+" and two upper-case hex digits.  smtpd decodes what the
 * client sent before storing it; the SMTP client (later) encodes it again.
 * Both functions replace the contents of out.
 */
#include <stddef.h>

#include "address.h"
#include "strbuf.h"

/* hex_value - value of an upper-case hex digit, or -1 */
static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* xtext_decode - strict decoding; -1 on a malformed hexchar or raw byte */
int
xtext_decode(const char *in, size_t len, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];
		int hi, lo;

		if (c == '+') {
			if (len - i < 3 || (hi = hex_value(in[i + 1])) < 0 ||
			    (lo = hex_value(in[i + 2])) < 0)
				return (-1);
			strbuf_putc(out, hi * 16 + lo);
			i += 2;
		} else if (c < 33 || c > 126 || c == '=') {
			return (-1);
		} else {
			strbuf_putc(out, c);
		}
	}
	return (0);
}

/* xtext_encode - escape '+', '=' and everything outside 33..126 */
void
xtext_encode(const char *in, size_t len, struct strbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	strbuf_reset(out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];

		if (c < 33 || c > 126 || c == '+' || c == '=') {
			strbuf_putc(out, '+');
			strbuf_putc(out, hex[c >> 4]);
			strbuf_putc(out, hex[c & 15]);
		} else {
			strbuf_putc(out, c);
		}
	}
}
