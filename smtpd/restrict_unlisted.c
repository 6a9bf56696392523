/*
 * restrict_unlisted - is the address known: reject_unlisted_recipient,
 * reject_unlisted_sender, and the implicit checks of
 * smtpd_reject_unlisted_recipient / smtpd_reject_unlisted_sender.
 *
 * An address is known when it is a key of recipient_canonical_maps,
 * canonical_maps or virtual_alias_maps (resolve_known), else by its
 * class: local_recipient_maps (local; postmaster and MAILER-DAEMON
 * always pass; empty means every local address), virtual_mailbox_maps
 * (virtual mailbox); a virtual alias domain address that no alias
 * matched is unknown.  Relay and other domains are not checked here
 * (relay_recipient_maps is not implemented).  A table that cannot answer
 * gives 451 4.3.0, never a 5xx.
 *
 * Parameters: local_recipient_maps, virtual_mailbox_maps,
 * unknown_local_recipient_reject_code, unknown_virtual_alias_reject_code,
 * unknown_virtual_mailbox_reject_code.
 */
#include <string.h>
#include <strings.h>

#include "maps.h"
#include "resolve.h"
#include "restrict_builtin.h"
#include "smtpd.h"

/* always_local - postmaster@ and MAILER-DAEMON@ a local domain */
static bool
always_local(const char *final)
{
	return (strncasecmp(final, "postmaster@", 11) == 0 ||
	    strncasecmp(final, "MAILER-DAEMON@", 14) == 0);
}

/*
 * unknown_user - the refusal of an address missing from its table.  An
 * unknown sender is X.1.0 (other address status), as Postfix says: X.1.1
 * means a bad destination mailbox (RFC 3463), which the sender is not.
 */
static enum restrict_result
unknown_user(struct restrict_ctx *ctx, const char *address, long code,
    const char *table, const char *reply_class)
{
	bool sender = strcmp(reply_class, "Sender address") == 0;

	return (restrict_reject(ctx, RESTRICT_ERR_POLICY, (int)code,
	    code >= 500 ? (sender ? "5.1.0" : "5.1.1") :
	    (sender ? "4.1.0" : "4.1.1"), "<%s>: %s rejected: User unknown "
	    "in %s table", address, reply_class, table));
}

/* check_listed - the address is in the table of its class (see above) */
static enum restrict_result
check_listed(struct restrict_ctx *ctx, const char *address,
    const char *reply_class)
{
	const struct smtpd_config *cfg = ctx->session->cfg;
	/* one per process: nothing below yields to another session */
	static struct strbuf value;
	const struct resolve_result *rr;
	struct map_list *maps = NULL;
	int rc;

	if (value.data == NULL)
		strbuf_init(&value);
	if (strchr(address, '@') == NULL)
		return (RESTRICT_DUNNO);	/* "postmaster" alone, or local */
	rr = smtpd_resolve(cfg, address);
	if (rr->class == RESOLVE_CLASS_NONE)
		return (restrict_lookup_failure(ctx, address));
	if ((rc = resolve_known(cfg->resolver, rr->address.data)) != 0)
		return (rc > 0 ? RESTRICT_DUNNO :
		    restrict_lookup_failure(ctx, address));
	switch (rr->class) {
	case RESOLVE_CLASS_LOCAL:
		if (always_local(rr->address.data))
			return (RESTRICT_DUNNO);
		maps = cfg->local_recipient_maps;
		break;
	case RESOLVE_CLASS_VIRTUAL:
		maps = cfg->virtual_mailbox_maps;
		break;
	case RESOLVE_CLASS_ALIAS:
		return (unknown_user(ctx, address,
		    ctx->rules->unknown_virtual_alias_code, "virtual alias",
		    reply_class));
	default:
		return (RESTRICT_DUNNO);
	}
	if (maps == NULL)
		return (RESTRICT_DUNNO);
	rc = resolve_lookup(cfg->resolver, maps, rr->address.data, &value);
	if (rc == MAP_TEMPFAIL)
		return (restrict_lookup_failure(ctx, address));
	if (rc == MAP_FOUND)
		return (RESTRICT_DUNNO);
	if (rr->class == RESOLVE_CLASS_LOCAL)
		return (unknown_user(ctx, address, ctx->rules->unknown_local_code,
		    "local recipient", reply_class));
	return (unknown_user(ctx, address,
	    ctx->rules->unknown_virtual_mailbox_code, "virtual mailbox",
	    reply_class));
}

/* restrict_unlisted_recipient - see restrict.h */
enum restrict_result
restrict_unlisted_recipient(struct restrict_ctx *ctx)
{
	if (ctx->recipient == NULL || *ctx->recipient == '\0')
		return (RESTRICT_DUNNO);
	ctx->session->rstate.recipient_checked = true;
	return (check_listed(ctx, ctx->recipient, "Recipient address"));
}

/* restrict_unlisted_sender - see restrict.h */
enum restrict_result
restrict_unlisted_sender(struct restrict_ctx *ctx)
{
	if (ctx->sender == NULL || *ctx->sender == '\0')
		return (RESTRICT_DUNNO);
	ctx->session->rstate.sender_checked = true;
	return (check_listed(ctx, ctx->sender, "Sender address"));
}

/* restrict_unlisted_recipient_step - reject_unlisted_recipient */
enum restrict_result
restrict_unlisted_recipient_step(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	return (restrict_unlisted_recipient(ctx));
}

/* restrict_unlisted_sender_step - reject_unlisted_sender */
enum restrict_result
restrict_unlisted_sender_step(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	return (restrict_unlisted_sender(ctx));
}
