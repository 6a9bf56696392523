/*
 * restrict_address - restrictions on the form and the domain of the
 * sender and recipient addresses: reject_non_fqdn_sender,
 * reject_non_fqdn_recipient, reject_unknown_sender_domain and
 * reject_unknown_recipient_domain.
 *
 * As in Postfix: the null sender always passes; a domain for which we
 * are the final destination (local, virtual alias, virtual mailbox) is
 * known; otherwise it must have an MX, A or AAAA record.  No record or
 * NXDOMAIN: unknown_address_reject_code with 4.1.8 (sender) or 4.1.2
 * (recipient); a null MX (RFC 7505): 550 5.7.27 (5.1.10 for a
 * recipient, 556); a DNS failure is never a permanent refusal: 450, deferred
 * to a later permit with unknown_address_tempfail_action =
 * defer_if_permit (the default, after reject_tempfail_action).
 * Domain literals and non-ASCII (SMTPUTF8) domains have no DNS form here
 * and pass.
 *
 * Parameters: non_fqdn_reject_code, unknown_address_reject_code,
 * unknown_address_tempfail_action.
 */
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "dns.h"
#include "resolve.h"
#include "restrict_builtin.h"
#include "smtpd.h"

/* non_fqdn - address@domain.with.dot, or refuse */
static enum restrict_result
non_fqdn(struct restrict_ctx *ctx, const char *address, const char *what)
{
	const char *at = strrchr(address, '@');
	const char *domain = at ? at + 1 : "";
	size_t len = strlen(domain);

	if (*domain == '[' || (len > 0 && memchr(domain, '.', len) != NULL &&
	    domain[len - 1] != '.'))
		return (RESTRICT_DUNNO);
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    (int)ctx->rules->non_fqdn_code, "4.5.2", "<%s>: %s rejected: need "
	    "fully-qualified address", address, what));
}

/* restrict_non_fqdn_sender - the sender's domain is fully qualified */
enum restrict_result
restrict_non_fqdn_sender(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	if (ctx->sender == NULL || *ctx->sender == '\0')
		return (RESTRICT_DUNNO);
	return (non_fqdn(ctx, ctx->sender, "Sender address"));
}

/* restrict_non_fqdn_recipient - the recipient's domain is fully qualified */
enum restrict_result
restrict_non_fqdn_recipient(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	if (ctx->recipient == NULL || *ctx->recipient == '\0')
		return (RESTRICT_DUNNO);
	return (non_fqdn(ctx, ctx->recipient, "Recipient address"));
}

/* final_destination - 1 we deliver the domain, 0 not, -1 table failure */
static int
final_destination(struct restrict_ctx *ctx, const char *address)
{
	switch (smtpd_resolve(ctx->session->cfg, address)->class) {
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

/* dns_domain - the domain of address if the DNS can be asked about it */
static const char *
dns_domain(const char *address)
{
	const char *at = strrchr(address, '@');
	const char *domain = at ? at + 1 : "";

	if (*domain == '\0' || *domain == '[')
		return (NULL);
	for (const char *p = domain; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return (NULL);
	return (domain);
}

/* unknown_domain - the domain of address exists for mail, or refuse */
static enum restrict_result
unknown_domain(struct restrict_ctx *ctx, const char *address,
    const char *what, const char *dsn_detail, int nullmx_code,
    const char *nullmx_dsn)
{
	const char *domain = dns_domain(address);
	struct strbuf why;
	int status, code = (int)ctx->rules->unknown_address_code;
	char dsn[16];

	if (domain == NULL)
		return (RESTRICT_DUNNO);
	if ((status = final_destination(ctx, address)) != 0)
		return (status > 0 ? RESTRICT_DUNNO :
		    restrict_lookup_failure(ctx, address));
	strbuf_init(&why);
	status = dns_domain_exists(domain, &why);
	strbuf_free(&why);
	switch (status) {
	case DNS_OK:
		return (RESTRICT_DUNNO);
	case DNS_NULLMX:
		return (restrict_reject(ctx, RESTRICT_ERR_POLICY, nullmx_code,
		    nullmx_dsn, "<%s>: %s rejected: Domain %s does not accept "
		    "mail (nullMX)", address, what, domain));
	case DNS_TEMPFAIL:
		snprintf(dsn, sizeof(dsn), "4%s", dsn_detail);
		return (restrict_tempfail(ctx, ctx->rules->address_tempfail_defer,
		    450, dsn, "<%s>: %s rejected: Domain not found", address,
		    what));
	default:			/* NOTFOUND, INVALID */
		snprintf(dsn, sizeof(dsn), "%c%s", code >= 500 ? '5' : '4',
		    dsn_detail);
		return (restrict_reject(ctx, RESTRICT_ERR_POLICY, code, dsn,
		    "<%s>: %s rejected: %s", address, what,
		    status == DNS_INVALID ? "Malformed DNS server reply" :
		    "Domain not found"));
	}
}

/* restrict_unknown_sender_domain - see above */
enum restrict_result
restrict_unknown_sender_domain(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	if (ctx->sender == NULL || *ctx->sender == '\0')
		return (RESTRICT_DUNNO);
	return (unknown_domain(ctx, ctx->sender, "Sender address", ".1.8",
	    550, "5.7.27"));
}

/* restrict_unknown_recipient_domain - see above */
enum restrict_result
restrict_unknown_recipient_domain(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	if (ctx->recipient == NULL || *ctx->recipient == '\0')
		return (RESTRICT_DUNNO);
	return (unknown_domain(ctx, ctx->recipient, "Recipient address", ".1.2",
	    556, "5.1.10"));
}
