/*
 * restrict_builtin.h - the handlers of the restrictions smtpd has built
 * in, for the table (restrict_table.c); one file per family.
 */
#ifndef SLUICE_RESTRICT_BUILTIN_H
#define SLUICE_RESTRICT_BUILTIN_H

#include "restrict.h"

#define RESTRICT_HANDLER(name) \
	enum restrict_result name(struct restrict_ctx *, \
	    const struct restrict_step *)

/* restrict_basic.c: permit, reject, defer, defer_if_*, warn_if_reject, sleep */
RESTRICT_HANDLER(restrict_permit_all);
RESTRICT_HANDLER(restrict_reject_all);
RESTRICT_HANDLER(restrict_defer_all);
RESTRICT_HANDLER(restrict_defer_if_permit_step);
RESTRICT_HANDLER(restrict_defer_if_reject_step);
RESTRICT_HANDLER(restrict_warn_if_reject);
RESTRICT_HANDLER(restrict_sleep);

/* restrict_client.c */
RESTRICT_HANDLER(restrict_permit_mynetworks);
RESTRICT_HANDLER(restrict_permit_sasl_authenticated);
RESTRICT_HANDLER(restrict_unknown_client);
RESTRICT_HANDLER(restrict_unknown_reverse);
/* restrict_needs_dns - a prepare(): the process needs its DNS resolver */
int	restrict_needs_dns(struct restrict_step *step, struct smtpd_config *sc,
	    struct strbuf *err);

/* restrict_helo.c */
RESTRICT_HANDLER(restrict_invalid_helo);
RESTRICT_HANDLER(restrict_non_fqdn_helo);
RESTRICT_HANDLER(restrict_unknown_helo);

/* restrict_destination.c */
RESTRICT_HANDLER(restrict_permit_auth_destination);
/*
 * restrict_destination_authorized - address is for one of our
 * destinations (what permit_auth_destination permits): 1, 0, or -1 when
 * the resolver could not say
 */
int	restrict_destination_authorized(struct restrict_ctx *ctx,
	    const char *address);
RESTRICT_HANDLER(restrict_reject_unauth_destination);
RESTRICT_HANDLER(restrict_defer_unauth_destination);

/*
 * restrict_dnsbl.c: every DNS list restriction (reject_rbl_client,
 * reject_rhsbl_*, permit_dnswl_client, permit_rhswl_client) has this
 * handler; prepare parses the "domain=filter" argument into step->data
 */
RESTRICT_HANDLER(restrict_dnsxl);
int	restrict_dnsxl_prepare(struct restrict_step *step,
	    struct smtpd_config *sc, struct strbuf *err);
void	restrict_dnsxl_release(struct restrict_step *step);

/* restrict_unlisted.c */
RESTRICT_HANDLER(restrict_unlisted_recipient_step);
RESTRICT_HANDLER(restrict_unlisted_sender_step);

/* restrict_address.c */
RESTRICT_HANDLER(restrict_non_fqdn_sender);
RESTRICT_HANDLER(restrict_non_fqdn_recipient);
RESTRICT_HANDLER(restrict_unknown_sender_domain);
RESTRICT_HANDLER(restrict_unknown_recipient_domain);

/* restrict_protocol.c */
RESTRICT_HANDLER(restrict_unauth_pipelining);
RESTRICT_HANDLER(restrict_multi_recipient_bounce);

/* restrict_policy.c: check_policy_service */
RESTRICT_HANDLER(restrict_check_policy_service);
int	restrict_policy_prepare(struct restrict_step *step,
	    struct smtpd_config *sc, struct strbuf *err);
void	restrict_policy_release(struct restrict_step *step);

#endif
