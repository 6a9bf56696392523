/*
 * dns_wire - host name checks and record data decoding for the dns module.
 *
 * Names given to the resolver are checked first (total length, label
 * length, characters), so that nothing odd reaches libunbound or a log.
 * Record data comes from the network: MX rdata is a 16-bit preference and
 * an uncompressed wire-format name (libunbound hands rdata over
 * decompressed); a compression pointer, an overlong label or name, or a
 * byte that cannot appear in a host name makes the record malformed.
 * PTR rdata is a bare wire name, held to a stricter standard because the
 * name ends up in logs, Received: headers and access decisions: no empty
 * name, no label that begins or ends with a hyphen, and nothing made of
 * digits and dots only (a PTR of "10.0.0.1" must not pass for an
 * address).  dns_reverse_name() builds the in-addr.arpa / ip6.arpa name
 * of an address.  TXT rdata (a DNSBL's reason) is a run of length-
 * prefixed strings whose bytes can be anything: dns_txt_decode() keeps
 * printable ASCII only and stops at the caller's limit.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "dns_impl.h"

/* host_char - letters, digits, hyphen; underscore for service names */
static bool
host_char(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_');
}

/* dns_name_valid - a host or domain name we are willing to look up */
bool
dns_name_valid(const char *name)
{
	size_t len = strlen(name), label = 0, i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return (false);
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return (false);
			label = 0;
			continue;
		}
		if (!host_char((unsigned char)name[i]) || ++label > DNS_LABEL_MAX)
			return (false);
	}
	return (label > 0);
}

/*
 * dns_wire_name - decode an uncompressed wire name into dotted text (""
 * for the root).  *used gets the bytes consumed.  0, or -1 if malformed.
 */
int
dns_wire_name(const unsigned char *data, size_t len, size_t *used,
    struct strbuf *out)
{
	size_t pos = 0, label, i;

	strbuf_reset(out);
	for (;;) {
		if (pos >= len)
			return (-1);
		label = data[pos++];
		if (label == 0)
			break;
		if (label > DNS_LABEL_MAX)	/* 0xC0 pointers, 0x40 types */
			return (-1);
		if (label > len - pos || pos + label + 1 > DNS_WIRE_NAME_MAX)
			return (-1);
		if (out->len > 0)
			strbuf_putc(out, '.');
		for (i = 0; i < label; i++) {
			if (!host_char(data[pos + i]))
				return (-1);
			strbuf_putc(out, data[pos + i]);
		}
		pos += label;
	}
	*used = pos;
	return (0);
}

/* dns_mx_decode - preference and exchange of one MX rdata; 0 or -1 */
int
dns_mx_decode(const unsigned char *data, size_t len, int *preference,
    struct strbuf *exchange)
{
	size_t used;

	if (len < 3)
		return (-1);
	*preference = (data[0] << 8) | data[1];
	if (dns_wire_name(data + 2, len - 2, &used, exchange) != 0)
		return (-1);
	if (used != len - 2)		/* trailing garbage */
		return (-1);
	return (0);
}

/* ptr_host_valid - a PTR name fit to stand for a client (see above) */
static bool
ptr_host_valid(const char *name, size_t len)
{
	size_t i;
	bool numeric = true;

	if (len == 0 || len > DNS_NAME_MAX)
		return (false);
	for (i = 0; i < len; i++) {
		if (name[i] == '-' && (i == 0 || name[i - 1] == '.' ||
		    i + 1 == len || name[i + 1] == '.'))
			return (false);
		if (name[i] != '.' && (name[i] < '0' || name[i] > '9'))
			numeric = false;
	}
	return (!numeric);
}

/* dns_ptr_decode - the host name of one PTR rdata; 0 or -1 */
int
dns_ptr_decode(const unsigned char *data, size_t len, struct strbuf *host)
{
	size_t used;

	if (dns_wire_name(data, len, &used, host) != 0 || used != len)
		return (-1);
	if (!ptr_host_valid(host->data, host->len))
		return (-1);
	return (0);
}

/*
 * dns_reverse_name - "4.3.2.1.in-addr.arpa" for 1.2.3.4, the 32 nibbles
 * under ip6.arpa for an IPv6 address.  0, or -1 when addr is no literal.
 */
int
dns_reverse_name(const char *addr, struct strbuf *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[16];
	int i;

	strbuf_reset(out);
	if (inet_pton(AF_INET, addr, buf) == 1) {
		strbuf_printf(out, "%u.%u.%u.%u.in-addr.arpa", buf[3], buf[2],
		    buf[1], buf[0]);
		return (0);
	}
	if (inet_pton(AF_INET6, addr, buf) != 1)
		return (-1);
	for (i = 15; i >= 0; i--) {
		strbuf_putc(out, hex[buf[i] & 0x0f]);
		strbuf_putc(out, '.');
		strbuf_putc(out, hex[buf[i] >> 4]);
		strbuf_putc(out, '.');
	}
	strbuf_puts(out, "ip6.arpa");
	return (0);
}

/*
 * dns_txt_decode - append the character-strings of one TXT rdata to out,
 * out staying within limit bytes; a byte outside printable ASCII becomes
 * "_", a string that claims more bytes than there are ends with them
 */
void
dns_txt_decode(const unsigned char *data, size_t len, size_t limit,
    struct strbuf *out)
{
	size_t pos = 0, n, i;

	while (pos < len && out->len < limit) {
		n = data[pos++];
		if (n > len - pos)
			n = len - pos;
		for (i = 0; i < n && out->len < limit; i++)
			strbuf_putc(out, data[pos + i] >= 0x20 && data[pos + i] < 0x7f ?
			    data[pos + i] : '_');
		pos += n;
	}
}
