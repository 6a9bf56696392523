/*
 * sender_policy - smtpd_sender_restrictions = reject_unknown_sender_domain.
 *
 * As in Postfix: a sender domain for which we are not the final
 * destination must have an MX, A or AAAA record.  NXDOMAIN or no such
 * records: "450 4.1.8 ... Domain not found" (the code is
 * unknown_address_reject_code's default; 5xx gives 5.1.8); a null MX (RFC
 * 7505): "550 5.7.27 ... does not accept mail"; a DNS failure always
 * defers with 450 4.1.8, never a permanent reject.  The null sender
 * always passes, and so do addresses without a domain, domain literals
 * and non-ASCII (SMTPUTF8) domains, which have no DNS form here.
 *
 * The check is active exactly when main.c created the resolver context,
 * which it does only when smtpd_sender_restrictions asks for it.
 *
 * Whether we are the final destination is the resolver's answer (the
 * local, virtual alias and virtual mailbox classes).
 *
 * Parameters: smtpd_sender_restrictions, dns_resolver_address.
 */
#include <string.h>

#include "dns.h"
#include "resolve.h"
#include "smtpd.h"


/* final_destination - we deliver this domain ourselves; -1 table failure */
static int
final_destination(const struct smtpd_config *cfg, const char *address)
{
	static struct resolve_result rr;	/* never shared: no yield here */
	static bool rr_ready;

	if (!rr_ready) {
		resolve_result_init(&rr);
		rr_ready = true;
	}
	(void)resolve_address(cfg->resolver, NULL, address, &rr);
	switch (rr.class) {
	case RESOLVE_CLASS_NONE:
		return (-1);
	case RESOLVE_CLASS_LOCAL:
	case RESOLVE_CLASS_ALIAS:
	case RESOLVE_CLASS_VIRTUAL:
		return (1);
	default:
		return (0);
	}
}

/*
 * smtpd_check_sender_domain - 0 to go on, -1 after a rejection (replied
 * and logged)
 */
int
smtpd_check_sender_domain(struct smtpd_session *s, const struct smtp_path *sender)
{
	const char *address = sender->address.data;
	const char *domain;
	struct strbuf why;
	int status, code = (int)s->cfg->unknown_address_code;

	/* smtpd -S run by a user: no access policy (standalone.c) */
	if (s->cfg->policy_off)
		return (0);
	if (s->cfg->sender_restrictions_broken) {
		smtpd_reject(s, "MAIL", NULL, "451 4.3.5 <%s>: Server "
		    "configuration error", address);
		return (-1);
	}
	if (!s->cfg->reject_unknown_sender_domain || sender->null_path || sender->utf8 ||
	    sender->at >= sender->address.len)
		return (0);
	domain = address + sender->at + 1;
	if (*domain == '[' || *domain == '\0')
		return (0);
	if ((status = final_destination(s->cfg, address)) != 0) {
		if (status > 0)
			return (0);
		smtpd_reject(s, "MAIL", NULL, "451 4.3.0 <%s>: Temporary lookup "
		    "failure", address);
		return (-1);
	}
	strbuf_init(&why);
	status = dns_domain_exists(domain, &why);
	strbuf_free(&why);
	switch (status) {
	case DNS_OK:
		return (0);
	case DNS_NULLMX:
		smtpd_reject(s, "MAIL", NULL, "550 5.7.27 <%s>: Sender address "
		    "rejected: Domain %s does not accept mail (nullMX)", address,
		    domain);
		return (-1);
	case DNS_TEMPFAIL:
		code = 450;
		break;
	default:			/* NOTFOUND, INVALID */
		break;
	}
	smtpd_reject(s, "MAIL", NULL, "%d %c.1.8 <%s>: Sender address rejected: "
	    "Domain not found", code, code >= 500 ? '5' : '4', address);
	return (-1);
}
