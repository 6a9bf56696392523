/*
 * restriction_names - every restriction name smtpd knows, with the kind
 * of argument it takes (restriction_list.h).
 *
 * One row per name, sorted (a binary search; a unit test checks the
 * order).  A row here without a handler in smtpd/restrict_table.c is a
 * programming error smtpd reports at start; a name that is not here is
 * a configuration error sluice check reports.  Postfix's older aliases
 * (reject_unknown_client, reject_invalid_hostname, ...) are rows of
 * their own, pointing smtpd at the same handler.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsbl.h"
#include "policy_service.h"
#include "restriction_list.h"

#define NONE(name)		{ (name), RESTRICTION_ARG_NONE, NULL, false }
#define FINAL(name)		{ (name), RESTRICTION_ARG_NONE, NULL, true }
#define WITH(name, kind)	{ (name), (kind), NULL, false }
/* a DNS list: "domain[=filter]", checked by lib/dns (dnsbl.h) */
#define DNSXL(name)	\
	{ (name), RESTRICTION_ARG_DNSXL, dnsbl_arg_check, false }

const struct restriction_def restriction_defs[] = {
	WITH("check_client_a_access", RESTRICTION_ARG_TABLE),
	WITH("check_client_access", RESTRICTION_ARG_TABLE),
	WITH("check_client_mx_access", RESTRICTION_ARG_TABLE),
	WITH("check_client_ns_access", RESTRICTION_ARG_TABLE),
	WITH("check_helo_a_access", RESTRICTION_ARG_TABLE),
	WITH("check_helo_access", RESTRICTION_ARG_TABLE),
	WITH("check_helo_mx_access", RESTRICTION_ARG_TABLE),
	WITH("check_helo_ns_access", RESTRICTION_ARG_TABLE),
	{ "check_policy_service", RESTRICTION_ARG_SERVICE, policy_service_check,
	    false },
	WITH("check_recipient_a_access", RESTRICTION_ARG_TABLE),
	WITH("check_recipient_access", RESTRICTION_ARG_TABLE),
	WITH("check_recipient_mx_access", RESTRICTION_ARG_TABLE),
	WITH("check_recipient_ns_access", RESTRICTION_ARG_TABLE),
	WITH("check_reverse_client_hostname_a_access", RESTRICTION_ARG_TABLE),
	WITH("check_reverse_client_hostname_access", RESTRICTION_ARG_TABLE),
	WITH("check_reverse_client_hostname_mx_access", RESTRICTION_ARG_TABLE),
	WITH("check_reverse_client_hostname_ns_access", RESTRICTION_ARG_TABLE),
	WITH("check_sender_a_access", RESTRICTION_ARG_TABLE),
	WITH("check_sender_access", RESTRICTION_ARG_TABLE),
	WITH("check_sender_mx_access", RESTRICTION_ARG_TABLE),
	WITH("check_sender_ns_access", RESTRICTION_ARG_TABLE),
	FINAL("defer"),
	NONE("defer_if_permit"),
	NONE("defer_if_reject"),
	NONE("defer_unauth_destination"),
	FINAL("permit"),
	NONE("permit_auth_destination"),
	DNSXL("permit_dnswl_client"),
	NONE("permit_mynetworks"),
	DNSXL("permit_rhswl_client"),
	NONE("permit_sasl_authenticated"),
	FINAL("reject"),
	NONE("reject_invalid_helo_hostname"),
	NONE("reject_invalid_hostname"),
	NONE("reject_multi_recipient_bounce"),
	NONE("reject_non_fqdn_helo_hostname"),
	NONE("reject_non_fqdn_hostname"),
	NONE("reject_non_fqdn_recipient"),
	NONE("reject_non_fqdn_sender"),
	DNSXL("reject_rbl"),
	DNSXL("reject_rbl_client"),
	DNSXL("reject_rhsbl_client"),
	DNSXL("reject_rhsbl_helo"),
	DNSXL("reject_rhsbl_recipient"),
	DNSXL("reject_rhsbl_reverse_client"),
	DNSXL("reject_rhsbl_sender"),
	NONE("reject_unauth_destination"),
	NONE("reject_unauth_pipelining"),
	NONE("reject_unknown_client"),
	NONE("reject_unknown_client_hostname"),
	NONE("reject_unknown_helo_hostname"),
	NONE("reject_unknown_hostname"),
	NONE("reject_unknown_recipient_domain"),
	NONE("reject_unknown_reverse_client_hostname"),
	NONE("reject_unknown_sender_domain"),
	NONE("reject_unlisted_recipient"),
	NONE("reject_unlisted_sender"),
	WITH("sleep", RESTRICTION_ARG_NUMBER),
	NONE("warn_if_reject"),
	{ NULL, RESTRICTION_ARG_NONE, NULL, false },
};

/* a bare table is the stage's check_*_access (smtpd/restrict_access.c) */
const bool restriction_implicit_access_ready = true;

const struct restriction_def restriction_implicit_access = {
	"check_access", RESTRICTION_ARG_TABLE, NULL, false
};

/* def_compare - bsearch order of restriction_defs */
static int
def_compare(const void *key, const void *elem)
{
	return (strcasecmp(key, ((const struct restriction_def *)elem)->name));
}

/* restriction_def_find - the row of name (any case), or NULL */
const struct restriction_def *
restriction_def_find(const char *name)
{
	size_t count = sizeof(restriction_defs) / sizeof(restriction_defs[0])
	    - 1;

	return (bsearch(name, restriction_defs, count,
	    sizeof(restriction_defs[0]), def_compare));
}
