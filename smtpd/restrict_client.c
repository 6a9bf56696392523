/*
 * restrict_client - restrictions on who the client is: permit_mynetworks,
 * permit_sasl_authenticated, reject_unknown_client_hostname and
 * reject_unknown_reverse_client_hostname (peer.c found the names).
 *
 * A name lookup that failed for a temporary reason refuses with 450
 * whatever the code parameter says: the client may well be known once
 * the DNS answers again.
 *
 * Parameters: mynetworks, unknown_client_reject_code.
 */
#include "netmatch.h"
#include "restrict_builtin.h"
#include "smtpd.h"

/* restrict_permit_mynetworks - the client address is in mynetworks */
enum restrict_result
restrict_permit_mynetworks(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	if (netlist_match(ctx->session->cfg->mynetworks, ctx->client_addr))
		return (restrict_permit(ctx, step));
	return (RESTRICT_DUNNO);
}

/*
 * restrict_permit_sasl_authenticated - no SASL yet: nobody has
 * authenticated, so this never permits
 */
enum restrict_result
restrict_permit_sasl_authenticated(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)ctx;
	(void)step;
	return (RESTRICT_DUNNO);
}

/* restrict_unknown_client - no name, or one that does not resolve back */
enum restrict_result
restrict_unknown_client(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	const struct smtpd_peer *peer = &ctx->session->peer;

	(void)step;
	if (peer->name_status == PEER_NAME_OK)
		return (RESTRICT_DUNNO);
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    peer->name_status == PEER_NAME_TEMP ? 450 :
	    (int)ctx->rules->unknown_client_code, "4.7.25",
	    "Client host rejected: cannot find your hostname, [%s]",
	    ctx->client_addr));
}

/* restrict_unknown_reverse - no PTR name at all */
enum restrict_result
restrict_unknown_reverse(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	const struct smtpd_peer *peer = &ctx->session->peer;

	(void)step;
	if (peer->reverse_status == PEER_NAME_OK)
		return (RESTRICT_DUNNO);
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    peer->reverse_status == PEER_NAME_TEMP ? 450 :
	    (int)ctx->rules->unknown_client_code, "4.7.1",
	    "Client host rejected: cannot find your reverse hostname, [%s]",
	    ctx->client_addr));
}

/* restrict_needs_dns - see restrict_builtin.h */
int
restrict_needs_dns(struct restrict_step *step, struct smtpd_config *sc,
    struct strbuf *err)
{
	(void)step;
	(void)err;
	sc->rules.needs_dns = true;
	return (0);
}
