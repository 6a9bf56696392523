/*
 * restrict_destination - relay control: permit_auth_destination,
 * reject_unauth_destination and defer_unauth_destination, on the
 * address class the resolver (lib/mail/resolve.h) gives.
 *
 * An authorized destination is one of our own classes (local, virtual
 * alias, virtual mailbox) or relay_domains, and never an address that
 * still carries a route in its local part after resolution
 * (user%other@ours resolves to other; "a!b"@relay keeps its route):
 * such mail could go anywhere, so only a permit before this restriction
 * (permit_mynetworks) lets it through.  A resolver table that cannot
 * answer gives 451 4.3.0, never a 5xx.
 *
 * Parameters: relay_domains_reject_code; the resolver's (mydestination,
 * relay_domains, virtual_*_domains, allow_percent_hack ...).
 */
#include <string.h>

#include "resolve.h"
#include "restrict_builtin.h"
#include "smtpd.h"

/* restrict_destination_authorized - 1 ours, 0 not, -1 the resolver failed */
int
restrict_destination_authorized(struct restrict_ctx *ctx, const char *address)
{
	const struct resolve_result *rr = smtpd_resolve(ctx->session->cfg,
	    address);

	switch (rr->class) {
	case RESOLVE_CLASS_NONE:
		return (-1);
	case RESOLVE_CLASS_DEFAULT:
		return (0);
	default:
		return ((rr->flags & RESOLVE_FLAG_ROUTED) == 0);
	}
}

/* restrict_permit_auth_destination - permit mail for our destinations */
enum restrict_result
restrict_permit_auth_destination(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	if (ctx->recipient == NULL)
		return (RESTRICT_DUNNO);
	switch (restrict_destination_authorized(ctx, ctx->recipient)) {
	case 1:
		return (restrict_permit(ctx, step));
	case 0:
		return (RESTRICT_DUNNO);
	default:
		return (restrict_lookup_failure(ctx, ctx->recipient));
	}
}

/* unauth - refuse what is not for our destinations with code and dsn */
static enum restrict_result
unauth(struct restrict_ctx *ctx, int code, const char *dsn)
{
	if (ctx->recipient == NULL)
		return (RESTRICT_DUNNO);
	switch (restrict_destination_authorized(ctx, ctx->recipient)) {
	case 1:
		return (RESTRICT_DUNNO);
	case 0:
		return (restrict_reject(ctx, RESTRICT_ERR_POLICY, code, dsn,
		    "<%s>: Relay access denied", ctx->recipient));
	default:
		return (restrict_lookup_failure(ctx, ctx->recipient));
	}
}

/* restrict_reject_unauth_destination - 554 5.7.1 Relay access denied */
enum restrict_result
restrict_reject_unauth_destination(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	return (unauth(ctx, (int)ctx->rules->relay_code, "5.7.1"));
}

/* restrict_defer_unauth_destination - the same as a 4xx (454 4.7.1) */
enum restrict_result
restrict_defer_unauth_destination(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	return (unauth(ctx, (int)ctx->rules->relay_code - 100, "4.7.1"));
}
