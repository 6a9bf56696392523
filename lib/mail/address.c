/*
 * address - RFC 5321 path parsing (MAIL FROM / RCPT TO) and the domain
 * and UTF-8 checks that go with it.
 *
 * The parser is a small recursive descent over the grammar of RFC 5321
 * section 4.1.2, extended by RFC 6531 (UTF-8 in local part and domain when
 * the client declared SMTPUTF8).  It never allocates more than the path
 * itself and stops at SMTP_PATH_MAX, so hostile input costs linear time.
 *
 * Reply texts: syntax errors are "501 5.1.7" (sender) / "501 5.1.3"
 * (recipient), RFC 3463 "bad mailbox address syntax"; an over-long path
 * uses the same codes (RFC 5321 4.5.3.1.10 says 501 for "Path too long");
 * non-ASCII without SMTPUTF8 is "553 5.6.7" as RFC 6531 section 3.7.4.1
 * prescribes.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "strbuf.h"

struct path_parser {
	const char	*cp;		/* next byte */
	unsigned	 flags;
	bool		 eightbit;	/* saw a byte >= 0x80 without SMTPUTF8 */
	bool		 saw_utf8;	/* saw a byte >= 0x80 */
};

#define IS_UTF8_BYTE(c)	((unsigned char)(c) >= 0x80)

/* smtp_path_init - empty path */
void
smtp_path_init(struct smtp_path *p)
{
	strbuf_init(&p->address);
	p->at = 0;
	p->null_path = false;
	p->utf8 = false;
}

/* smtp_path_free - release the address buffer */
void
smtp_path_free(struct smtp_path *p)
{
	strbuf_free(&p->address);
	p->at = 0;
}

/* utf8_valid - well-formed UTF-8 per RFC 3629 */
bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, need;
	unsigned long cp, min;

	while (i < len) {
		unsigned char c = u[i];

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return (false);	/* continuation, C0/C1 overlong lead, F5+ */
		}
		if (len - i <= need)
			return (false);
		for (size_t k = 1; k <= need; k++) {
			if ((u[i + k] & 0xC0) != 0x80)
				return (false);
			cp = (cp << 6) | (u[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return (false);
		i += need + 1;
	}
	return (true);
}

/* address_literal_valid - "[...]" of RFC 5321 4.1.3, brackets included */
static bool
address_literal_valid(const char *s, size_t len)
{
	char buf[64];
	unsigned char addr[16];
	const char *in = s + 1;
	size_t inlen = len - 2;
	size_t i;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']')
		return (false);
	if (inlen > 5 && strncasecmp(in, "IPv6:", 5) == 0) {
		if (inlen - 5 >= sizeof(buf))
			return (false);
		memcpy(buf, in + 5, inlen - 5);
		buf[inlen - 5] = 0;
		return (inet_pton(AF_INET6, buf, addr) == 1);
	}
	if (strspn(in, "0123456789.") >= inlen) {
		if (inlen >= sizeof(buf))
			return (false);
		memcpy(buf, in, inlen);
		buf[inlen] = 0;
		return (inet_pton(AF_INET, buf, addr) == 1);
	}
	/* General-address-literal: Standardized-tag ":" 1*dcontent */
	for (i = 0; i < inlen && in[i] != ':'; i++)
		if (!isalnum((unsigned char)in[i]) && in[i] != '-')
			return (false);
	/* tags are registered names: no hyphen at either end */
	if (i == 0 || i >= inlen - 1 || in[0] == '-' || in[i - 1] == '-')
		return (false);
	for (i++; i < inlen; i++) {
		unsigned char c = in[i];

		if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']')
			return (false);
	}
	return (true);
}

/* domain_valid - sub-domains (LDH labels, U-labels with utf8) or literal */
bool
domain_valid(const char *domain, size_t len, bool utf8)
{
	size_t i, label = 0;
	bool has_utf8 = false;

	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return (false);
	if (domain[0] == '[')
		return (address_literal_valid(domain, len));
	for (i = 0; i < len; i++) {
		unsigned char c = domain[i];

		if (c == '.') {
			if (label == 0 || domain[i - 1] == '-')
				return (false);
			label = 0;
			continue;
		}
		if (IS_UTF8_BYTE(c)) {
			if (!utf8)
				return (false);
			has_utf8 = true;
		} else if (c == '-') {
			if (label == 0)
				return (false);
		} else if (!isalnum(c)) {
			return (false);
		}
		if (++label > 63)
			return (false);
	}
	if (label == 0 || domain[len - 1] == '-')
		return (false);
	return (!has_utf8 || utf8_valid(domain, len));
}

/* path_byte_ok - admit a UTF-8 byte only when SMTPUTF8 was declared */
static bool
path_byte_ok(struct path_parser *p, unsigned char c)
{
	if (!IS_UTF8_BYTE(c))
		return (true);
	p->saw_utf8 = true;
	if ((p->flags & SMTP_PATH_UTF8) == 0) {
		p->eightbit = true;
		return (false);
	}
	return (true);
}

/* is_atext - RFC 5322 atext (UTF-8 bytes are handled by the caller) */
static bool
is_atext(unsigned char c)
{
	return (isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL));
}

/* parse_local_part - Dot-string or Quoted-string; advances p->cp */
static bool
parse_local_part(struct path_parser *p)
{
	const char *start = p->cp;
	bool strict = (p->flags & SMTP_PATH_STRICT) != 0;

	if (*p->cp == '"') {
		for (p->cp++;; p->cp++) {
			unsigned char c = *p->cp;

			if (c == '"') {
				p->cp++;
				return (true);
			}
			if (c == '\\') {
				c = *++p->cp;
				if (c < 32 || c > 126)
					return (false);
				continue;
			}
			if (IS_UTF8_BYTE(c)) {
				if (!path_byte_ok(p, c))
					return (false);
				continue;
			}
			if (c < 32 || c > 126)
				return (false);	/* NUL (end), CR, LF, controls */
		}
	}
	for (;; p->cp++) {
		unsigned char c = *p->cp;

		if (c == '.') {
			/* Postfix takes "a..b" and "a.@x" unless strict */
			if (strict && (p->cp == start || p->cp[1] == '.' ||
			    p->cp[1] == '@' || p->cp[1] == '>'))
				return (false);
			continue;
		}
		if (IS_UTF8_BYTE(c)) {
			if (!path_byte_ok(p, c))
				return (false);
			continue;
		}
		if (!is_atext(c))
			break;
	}
	return (p->cp > start);
}

/* parse_domain - up to the first byte that cannot be in a domain */
static bool
parse_domain(struct path_parser *p)
{
	const char *start = p->cp;

	if (*p->cp == '[') {
		const char *end = strchr(p->cp, ']');

		if (end == NULL || end - start >= SMTP_PATH_MAX)
			return (false);
		for (const char *q = start; q < end; q++)
			if (!path_byte_ok(p, *q))
				return (false);
		p->cp = end + 1;
		return (address_literal_valid(start, end - start + 1));
	}
	for (;; p->cp++) {
		unsigned char c = *p->cp;

		if (IS_UTF8_BYTE(c)) {
			if (!path_byte_ok(p, c))
				return (false);
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '.')
			break;
	}
	return (domain_valid(start, p->cp - start,
	    (p->flags & SMTP_PATH_UTF8) != 0));
}

/* parse_route - A-d-l ":" (RFC 5321 3.3: accepted and ignored) */
static bool
parse_route(struct path_parser *p)
{
	for (;;) {
		if (*p->cp != '@')
			return (false);
		p->cp++;
		if (!parse_domain(p))
			return (false);
		if (*p->cp == ':') {
			p->cp++;
			return (true);
		}
		if (*p->cp != ',')
			return (false);
		p->cp++;
	}
}

/* parse_mailbox - Local-part "@" Domain, or a bare postmaster when allowed */
static bool
parse_mailbox(struct path_parser *p, struct smtp_path *out)
{
	const char *start = p->cp, *at;

	if (!parse_local_part(p))
		return (false);
	at = p->cp;
	if (*p->cp != '@') {
		if ((p->flags & SMTP_PATH_ALLOW_BARE) == 0 || at - start != 10 ||
		    strncasecmp(start, "postmaster", 10) != 0)
			return (false);
	} else {
		if ((p->flags & SMTP_PATH_STRICT) && at - start > SMTP_LOCAL_MAX)
			return (false);
		p->cp++;
		if (!parse_domain(p))
			return (false);
	}
	strbuf_append(&out->address, start, p->cp - start);
	out->at = at - start;
	return (true);
}

/* smtp_path_parse - see address.h */
int
smtp_path_parse(const char *text, unsigned flags, bool is_sender,
    struct smtp_path *out, const char **params, const char **error)
{
	const char *syntax = is_sender ? "501 5.1.7 Bad sender address syntax" :
	    "501 5.1.3 Bad recipient address syntax";
	const char *toolong = is_sender ? "501 5.1.7 Sender address too long" :
	    "501 5.1.3 Recipient address too long";
	struct path_parser p;
	const char *path_start;
	bool ok;

	strbuf_reset(&out->address);
	out->at = 0;
	out->null_path = false;
	out->utf8 = false;
	p.cp = text;
	p.flags = flags;
	p.eightbit = false;
	p.saw_utf8 = false;
	*params = "";

	if ((flags & SMTP_PATH_STRICT) == 0)
		while (*p.cp == ' ' || *p.cp == '\t')
			p.cp++;
	path_start = p.cp;
	if (*p.cp == '<') {
		p.cp++;
		if (*p.cp == '>') {
			if ((flags & SMTP_PATH_ALLOW_NULL) == 0) {
				*error = syntax;
				return (-1);
			}
			p.cp++;
			out->null_path = true;
			ok = true;
		} else {
			ok = (*p.cp != '@' || parse_route(&p)) &&
			    parse_mailbox(&p, out) &&
			    *p.cp++ == '>';
		}
	} else if (flags & SMTP_PATH_STRICT) {
		ok = false;
	} else {
		ok = parse_mailbox(&p, out);
	}
	if (p.eightbit) {
		*error = "553 5.6.7 Must declare SMTPUTF8 to send UTF-8 address";
		goto fail;
	}
	if (ok && (size_t)(p.cp - path_start) + (*path_start == '<' ? 0 : 2) >
	    SMTP_PATH_MAX) {
		*error = toolong;
		goto fail;
	}
	/* parameters must be separated by white space: "<a@b>x" is garbage */
	if (!ok || (*p.cp != 0 && *p.cp != ' ' && *p.cp != '\t') ||
	    (p.saw_utf8 && !utf8_valid(out->address.data, out->address.len))) {
		*error = syntax;
		goto fail;
	}
	if (strpbrk(p.cp, "\r\n") != NULL) {
		*error = syntax;
		goto fail;
	}
	while (*p.cp == ' ' || *p.cp == '\t')
		p.cp++;
	*params = p.cp;
	out->utf8 = p.saw_utf8;
	if (out->null_path)
		out->at = 0;
	return (0);

fail:
	strbuf_reset(&out->address);
	out->at = 0;
	out->null_path = false;
	*params = "";
	return (-1);
}

/* address_domain - the text after the last '@', or "" */
const char *
address_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return (at ? at + 1 : "");
}

/* address_local_part - local part with quoting removed */
void
address_local_part(const char *address, struct strbuf *out)
{
	const char *at = strrchr(address, '@');
	size_t len = at ? (size_t)(at - address) : strlen(address);

	strbuf_reset(out);
	if (len >= 2 && address[0] == '"' && address[len - 1] == '"') {
		for (size_t i = 1; i < len - 1; i++) {
			if (address[i] == '\\' && i + 1 < len - 1)
				i++;
			strbuf_putc(out, address[i]);
		}
		return;
	}
	strbuf_append(out, address, len);
}
