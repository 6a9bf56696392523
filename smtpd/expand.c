/*
 * expand - the session's $names in reply templates: smtpd_reject_footer
 * (reply.c), default_rbl_reply and rbl_reply_maps (restrict_dnsbl.c).
 *
 * The names and values are Postfix's smtpd_expand_lookup's: server_name
 * (myhostname), client (name[address]), client_address, client_name,
 * client_port, reverse_client_name, helo_name (empty before HELO),
 * sender, sender_name, sender_domain, recipient, recipient_name,
 * recipient_domain.  An address not known yet is empty; the null address
 * is "<>" for $sender and $sender_name and empty for $sender_domain.
 * lib/dns/dnsbl.c's dnsbl_session_name() lists the same names for sluice
 * check.  Values are what the client sent; lib/util/template.c filters
 * them before they reach a reply.
 */
#include <string.h>

#include "smtpd.h"

/* address_value - $sender, $sender_name or $sender_domain (part) of addr */
static const char *
address_value(struct strbuf *buf, const char *addr, const char *part)
{
	const char *at;

	if (addr == NULL)
		return (*part == '\0' || strcmp(part, "_name") == 0 ||
		    strcmp(part, "_domain") == 0 ? "" : NULL);
	at = strrchr(addr, '@');
	if (*part == '\0')
		return (*addr != '\0' ? addr : "<>");
	if (strcmp(part, "_name") == 0) {
		if (*addr == '\0')
			return ("<>");
		strbuf_reset(buf);
		strbuf_append(buf, addr, at != NULL ? (size_t)(at - addr) :
		    strlen(addr));
		return (buf->data);
	}
	if (strcmp(part, "_domain") == 0)
		return (at != NULL ? at + 1 : "");
	return (NULL);
}

/* smtpd_expand_lookup - template_lookup_fn over struct smtpd_expand */
const char *
smtpd_expand_lookup(const char *name, void *arg)
{
	struct smtpd_expand *x = arg;
	const struct smtpd_session *s = x->session;

	if (strcmp(name, "server_name") == 0)
		return (s->cfg->myhostname);
	if (strcmp(name, "client") == 0)
		return (s->peer.namaddr);
	if (strcmp(name, "client_address") == 0)
		return (s->peer.addr);
	if (strcmp(name, "client_name") == 0)
		return (s->peer.name);
	if (strcmp(name, "reverse_client_name") == 0)
		return (s->peer.reverse_name);
	if (strcmp(name, "client_port") == 0) {
		strbuf_reset(&x->buf);
		strbuf_printf(&x->buf, "%d", s->peer.port);
		return (x->buf.data);
	}
	if (strcmp(name, "helo_name") == 0)
		return (s->helo_name != NULL ? s->helo_name : "");
	if (strncmp(name, "sender", 6) == 0)
		return (address_value(&x->buf, x->sender, name + 6));
	if (strncmp(name, "recipient", 9) == 0)
		return (address_value(&x->buf, x->recipient, name + 9));
	return (NULL);
}
