/*
 * restrict_helo - restrictions on the HELO/EHLO name:
 * reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname and
 * reject_unknown_helo_hostname (and their pre-2.3 names).
 *
 * As in Postfix, one trailing dot is ignored, an address literal
 * ("[192.0.2.1]") is only checked to be a valid address, and a name the
 * DNS cannot look up right now is deferred (450, or the decision left to
 * a later permit with unknown_helo_hostname_tempfail_action =
 * defer_if_permit), never refused.
 *
 * Parameters: invalid_hostname_reject_code, non_fqdn_reject_code,
 * unknown_hostname_reject_code, unknown_helo_hostname_tempfail_action.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "dns.h"
#include "mem.h"
#include "restrict_builtin.h"
#include "smtpd.h"

/* name_len - the length of name without one trailing dot */
static size_t
name_len(const char *name)
{
	size_t len = strlen(name);

	if (len > 1 && name[len - 1] == '.' && name[len - 2] != '.')
		len--;
	return (len);
}

/* invalid_address - a literal that is no valid address: 5.5.2 refusal */
static enum restrict_result
invalid_address(struct restrict_ctx *ctx, const char *helo)
{
	if (domain_valid(helo, strlen(helo), false))
		return (RESTRICT_DUNNO);
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    (int)ctx->rules->bad_name_code, "5.5.2", "<%s>: %s rejected: "
	    "invalid ip address", helo, ctx->reply_class));
}

/* restrict_invalid_helo - bad syntax */
enum restrict_result
restrict_invalid_helo(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	const char *helo = ctx->helo;

	(void)step;
	if (helo == NULL)
		return (RESTRICT_DUNNO);
	if (*helo == '[')
		return (invalid_address(ctx, helo));
	if (domain_valid(helo, name_len(helo), ctx->session->txn.smtputf8))
		return (RESTRICT_DUNNO);
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    (int)ctx->rules->bad_name_code, "5.5.2", "<%s>: %s rejected: "
	    "Invalid name", helo, ctx->reply_class));
}

/* restrict_non_fqdn_helo - not a name with a dot in it */
enum restrict_result
restrict_non_fqdn_helo(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	const char *helo = ctx->helo;
	size_t len;

	(void)step;
	if (helo == NULL)
		return (RESTRICT_DUNNO);
	if (*helo == '[')
		return (invalid_address(ctx, helo));
	len = name_len(helo);
	if (domain_valid(helo, len, ctx->session->txn.smtputf8) &&
	    memchr(helo, '.', len) != NULL)
		return (RESTRICT_DUNNO);
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    (int)ctx->rules->non_fqdn_code, "5.5.2", "<%s>: %s rejected: need "
	    "fully-qualified hostname", helo, ctx->reply_class));
}

/* restrict_unknown_helo - no A, AAAA or MX record */
enum restrict_result
restrict_unknown_helo(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	const char *helo = ctx->helo;
	struct strbuf why;
	char *name;
	int status;

	(void)step;
	if (helo == NULL)
		return (RESTRICT_DUNNO);
	if (*helo == '[')
		return (invalid_address(ctx, helo));
	name = xstrndup(helo, name_len(helo));
	strbuf_init(&why);
	status = dns_domain_exists(name, &why);
	strbuf_free(&why);
	free(name);
	switch (status) {
	case DNS_OK:
	case DNS_NULLMX:
		return (RESTRICT_DUNNO);
	case DNS_TEMPFAIL:
		return (restrict_tempfail(ctx, ctx->rules->helo_tempfail_defer,
		    450, "4.7.1", "<%s>: %s rejected: Host not found", helo,
		    ctx->reply_class));
	default:
		return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
		    (int)ctx->rules->unknown_hostname_code, "4.7.1",
		    "<%s>: %s rejected: %s", helo, ctx->reply_class,
		    status == DNS_INVALID ? "Malformed DNS server reply" :
		    "Host not found"));
	}
}
