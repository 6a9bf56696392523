/*
 * restrict_access - the check_*_access restrictions that look up what
 * the session already knows (restrict_access.h): check_client_access,
 * check_reverse_client_hostname_access, check_helo_access,
 * check_sender_access, check_recipient_access, and a bare "type:name",
 * Postfix's short hand for the stage's own check.  The variants that ask
 * the DNS first are in restrict_access_dns.c.
 *
 * Each step's tables are opened at load, before the jail
 * (restrict_access_prepare); the lookup order is lib/mail/access_find.c's
 * and the answer is carried out by restrict_access_apply().  A table
 * that cannot answer makes the command fail with 451 4.3.0 (never a 5xx:
 * the mail may be fine).  Addresses are looked up in their canonical
 * form (user@domain, as the resolver rewrites them), the null sender
 * under smtpd_null_access_lookup_key.
 *
 * Parameters: parent_domain_matches_subdomains (smtpd_access_maps),
 * smtpd_null_access_lookup_key, recipient_delimiter (the resolver's).
 */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "mem.h"
#include "msg.h"
#include "resolve.h"
#include "restrict_access.h"
#include "restrict_access_impl.h"
#include "smtpd.h"

static const char client_class[] = "Client host";

/* restrict_access_prepare - open the step's tables (before the jail) */
int
restrict_access_prepare(struct restrict_step *step, struct smtpd_config *sc,
    struct strbuf *err)
{
	struct access_table *t;
	struct map_list *maps;

	if ((maps = map_list_open(step->word->arg, err)) == NULL)
		return (-1);
	t = xcalloc(1, sizeof(*t));
	t->lookup.maps = maps;
	t->lookup.resolver = sc->resolver;
	t->lookup.parent_matches_subdomains =
	    access_parent_style(sc->parent_domain_matches_subdomains);
	t->null_key = sc->null_access_lookup_key;
	step->data = t;
	/* an answer may name reject_unknown_* and the like: DNS at hand */
	sc->rules.needs_dns = true;
	return (0);
}

/* restrict_access_release - close what prepare opened */
void
restrict_access_release(struct restrict_step *step)
{
	struct access_table *t = step->data;

	if (t == NULL)
		return;
	map_list_close(t->lookup.maps);
	free(t);
	step->data = NULL;
}

/* restrict_access_changed - a table was rebuilt (sluice-map) */
bool
restrict_access_changed(const struct restrict_step *step)
{
	const struct access_table *t = step->data;

	return (t != NULL && map_list_changed(t->lookup.maps));
}

/*
 * restrict_access_result - what a lookup found, carried out; a failed
 * lookup defers the command
 */
enum restrict_result
restrict_access_result(struct restrict_ctx *ctx, const struct restrict_step *step,
    int found, const struct strbuf *value, const char *reply_name,
    const char *reply_class)
{
	if (found == MAP_TEMPFAIL) {
		msg_warn("%s: table lookup failed for %s", step->word->arg,
		    reply_name);
		return (restrict_lookup_failure(ctx, reply_name));
	}
	if (found != MAP_FOUND)
		return (RESTRICT_DUNNO);
	return (restrict_access_apply(ctx, step, step->word->arg, value->data,
	    value->len, reply_name, reply_class));
}

/* check_client_access - the client's name and parents, then its address */
enum restrict_result
restrict_check_client_access(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	const struct access_table *t = step->data;
	struct strbuf value;
	enum restrict_result status;

	strbuf_init(&value);
	status = restrict_access_result(ctx, step, access_find_client(&t->lookup,
	    ctx->client_name, ctx->client_addr, &value), &value, ctx->namaddr,
	    client_class);
	strbuf_free(&value);
	return (status);
}

/*
 * check_reverse_client_hostname_access - the same with the unverified
 * PTR name; never a permit (anyone can write any PTR name)
 */
enum restrict_result
restrict_check_reverse_access(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	const struct access_table *t = step->data;
	const char *name = ctx->session->peer.reverse_name;
	struct strbuf value;
	enum restrict_result status;

	strbuf_init(&value);
	status = restrict_access_result(ctx, step, access_find_client(&t->lookup,
	    name, ctx->client_addr, &value), &value, name,
	    "Unverified Client host");
	strbuf_free(&value);
	return (restrict_access_no_permit(ctx, step, status, name));
}

/* check_helo_access - the HELO/EHLO name and its parents */
enum restrict_result
restrict_check_helo_access(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	const struct access_table *t = step->data;
	struct strbuf value;
	enum restrict_result status;

	if (ctx->helo == NULL)
		return (RESTRICT_DUNNO);
	strbuf_init(&value);
	status = restrict_access_result(ctx, step, access_find_domain(&t->lookup,
	    ctx->helo, &value), &value, ctx->helo, "Helo command");
	strbuf_free(&value);
	return (status);
}

/* check_address - an envelope address in its canonical form */
static enum restrict_result
check_address(struct restrict_ctx *ctx, const struct restrict_step *step,
    const char *address, const char *reply_class)
{
	const struct access_table *t = step->data;
	struct strbuf value, canon;
	int	 found;
	enum restrict_result status;

	strbuf_init(&value);
	strbuf_init(&canon);
	if (*address == '\0') {
		found = map_list_lookup(t->lookup.maps, t->null_key, &value);
	} else {
		resolve_rewrite(ctx->session->cfg->resolver, RESOLVE_CTX_LOCAL,
		    address, &canon);
		found = access_find_address(&t->lookup, canon.data, &value);
	}
	status = restrict_access_result(ctx, step, found, &value, address,
	    reply_class);
	strbuf_free(&value);
	strbuf_free(&canon);
	return (status);
}

/* check_sender_access - MAIL FROM, the null sender by its key */
enum restrict_result
restrict_check_sender_access(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	if (ctx->sender == NULL)
		return (RESTRICT_DUNNO);
	return (check_address(ctx, step, ctx->sender, "Sender address"));
}

/*
 * routed - the recipient still routes somewhere after our domain is
 * taken off (user%host@ours, host!user@ours, @a:u@ours), as the resolver
 * says or as its local part shows
 */
static bool
routed(struct restrict_ctx *ctx, const char *recipient)
{
	struct resolve_result rr;
	const char *at = strrchr(recipient, '@');
	bool	 yes;

	if (at != NULL && strcspn(recipient, "%!@") < (size_t)(at - recipient))
		return (true);
	resolve_result_init(&rr);
	(void)resolve_address(ctx->session->cfg->resolver, ctx->sender,
	    recipient, &rr);
	yes = (rr.flags & RESOLVE_FLAG_ROUTED) != 0;
	resolve_result_free(&rr);
	return (yes);
}

/*
 * check_recipient_access - RCPT TO; a permit for an address that routes
 * on from our domain is not taken: the table would open a relay
 * (Postfix's allow_untrusted_routing = no)
 */
enum restrict_result
restrict_check_recipient_access(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	enum restrict_result status;

	if (ctx->recipient == NULL)
		return (RESTRICT_DUNNO);
	status = check_address(ctx, step, ctx->recipient, "Recipient address");
	if (status == RESTRICT_OK && !(ctx->effects != NULL &&
	    ctx->effects->discard) && routed(ctx, ctx->recipient))
		status = RESTRICT_DUNNO;
	return (status);
}

/* restrict_implicit_access - a bare type:name: the stage's own check */
enum restrict_result
restrict_implicit_access(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	switch (ctx->stage) {
	case RESTRICTION_CLIENT:
		return (restrict_check_client_access(ctx, step));
	case RESTRICTION_HELO:
		return (restrict_check_helo_access(ctx, step));
	case RESTRICTION_SENDER:
		return (restrict_check_sender_access(ctx, step));
	case RESTRICTION_RELAY:
	case RESTRICTION_RECIPIENT:
		return (restrict_check_recipient_access(ctx, step));
	default:
		msg_warn("%s: a table without check_*_access cannot be used in "
		    "%s", step->word->arg, restriction_stage_param(ctx->stage));
		return (restrict_server_error(ctx));
	}
}

/*
 * restrict_access_no_permit - the checks of names anyone can claim (a
 * PTR name, a domain's MX or NS hosts) may refuse but never permit:
 * an OK there is a configuration error (Postfix's forbid_allowlist)
 */
enum restrict_result
restrict_access_no_permit(struct restrict_ctx *ctx,
    const struct restrict_step *step, enum restrict_result status,
    const char *target)
{
	if (status != RESTRICT_OK || (ctx->effects != NULL &&
	    ctx->effects->discard))
		return (status);
	msg_warn("restriction %s returns OK for %s", step->word->name, target);
	msg_warn("this is not allowed for security reasons");
	msg_warn("use DUNNO instead of OK if you want to make an exception");
	return (restrict_server_error(ctx));
}
