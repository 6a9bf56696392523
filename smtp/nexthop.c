/*
 * nexthop - turn qmgr's next-hop text into what to connect to.
 *
 * Forms (as in Postfix): "domain" and "domain:port" look up MX records;
 * "[host]" and "[host]:port" suppress the MX lookup (relayhost style);
 * "inet:" may prefix any of those; LMTP also takes "unix:/path" and never
 * looks up MX records.  The port defaults to smtp_tcp_port (lmtp_tcp_port
 * for LMTP), so tests can point MX deliveries at loopback ports.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "smtp.h"

#define NEXTHOP_MAX	1024

/* port_text - a decimal port, or a known service name turned into one */
static char *
port_text(const char *text, struct strbuf *err)
{
	struct servent *se;
	char	*end;
	long	 n;

	if (*text == '\0') {
		strbuf_set(err, "empty port");
		return (NULL);
	}
	n = strtol(text, &end, 10);
	if (*end == '\0') {
		if (n < 1 || n > 65535) {
			strbuf_printf(err, "bad port \"%s\"", text);
			return (NULL);
		}
		return (xstrdup(text));
	}
	if (strlen(text) < 32 && (se = getservbyname(text, "tcp")) != NULL) {
		char	 buf[16];

		snprintf(buf, sizeof(buf), "%d", ntohs((unsigned short)se->s_port));
		return (xstrdup(buf));
	}
	strbuf_printf(err, "unknown port \"%s\"", text);
	return (NULL);
}

/* smtp_nexthop_parse - parse text into out; 0, or -1 with err */
int
smtp_nexthop_parse(const char *text, bool lmtp, const struct smtp_params *p,
    struct smtp_nexthop *out, struct strbuf *err)
{
	const char *host, *port = NULL, *close;
	size_t	 hlen;

	memset(out, 0, sizeof(*out));
	out->lmtp = lmtp;
	strbuf_reset(err);
	if (strlen(text) > NEXTHOP_MAX) {
		strbuf_set(err, "next hop too long");
		return (-1);
	}
	if (strncmp(text, "unix:", 5) == 0) {
		if (!lmtp || text[5] == '\0') {
			strbuf_printf(err, "bad next hop \"%s\"", text);
			return (-1);
		}
		out->unix_path = true;
		out->host = xstrdup(text + 5);
		return (0);
	}
	if (strncmp(text, "inet:", 5) == 0)
		text += 5;
	if (*text == '[') {
		if ((close = strchr(text, ']')) == NULL || close == text + 1) {
			strbuf_printf(err, "bad next hop \"%s\"", text);
			return (-1);
		}
		host = text + 1;
		hlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0') {
			strbuf_printf(err, "bad next hop \"%s\"", text);
			return (-1);
		}
		out->mx = false;
	} else {
		const char *colon = strrchr(text, ':');

		/* a bare IPv6 address has several colons: no port then */
		if (colon != NULL && strchr(text, ':') == colon) {
			hlen = (size_t)(colon - text);
			port = colon + 1;
		} else
			hlen = strlen(text);
		host = text;
		out->mx = !lmtp && strchr(text, ':') == colon;
	}
	if (hlen == 0 || memchr(host, ' ', hlen) != NULL ||
	    memchr(host, '/', hlen) != NULL) {
		strbuf_printf(err, "bad next hop \"%s\"", text);
		return (-1);
	}
	out->host = xmalloc(hlen + 1);
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	if (out->host[hlen - 1] == '.' && hlen > 1)
		out->host[hlen - 1] = '\0';
	out->port = port_text(port != NULL ? port : lmtp ? p->lmtp_port :
	    p->smtp_port, err);
	if (out->port == NULL) {
		smtp_nexthop_free(out);
		return (-1);
	}
	return (0);
}

/* smtp_nexthop_free - release and clear */
void
smtp_nexthop_free(struct smtp_nexthop *nh)
{
	free(nh->host);
	free(nh->port);
	memset(nh, 0, sizeof(*nh));
}
