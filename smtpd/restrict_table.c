/*
 * restrict_table - every restriction smtpd runs: its name and handler
 * (restrict.h).
 *
 * One row per row of lib/config/restriction_names.c (restrict_load()
 * refuses to start with one missing), sorted by name for the binary
 * search.  The handlers live in one file per family; Postfix's older
 * names share the handler of the current one.
 */
#include <stdlib.h>
#include <strings.h>

#include "restrict.h"
#include "restrict_access.h"
#include "restrict_builtin.h"

/* RUN: a handler alone; DNS: one that asks the DNS (dns_init at start) */
#define RUN(name, fn)	{ (name), (fn), NULL, NULL, NULL }
#define DNS(name, fn)	{ (name), (fn), restrict_needs_dns, NULL, NULL }
/* ACCESS: opens its tables at load (restrict_access.c) */
#define ACCESS(name, fn) { (name), (fn), restrict_access_prepare, \
	    restrict_access_release, restrict_access_changed }
/* DNSXL: a DNS list (restrict_dnsbl.c); its prepare also asks for DNS */
#define DNSXL(name)	{ (name), restrict_dnsxl, restrict_dnsxl_prepare, \
	restrict_dnsxl_release, NULL }

static const struct restrict_handler handlers[] = {
	ACCESS("check_access", restrict_implicit_access),
	ACCESS("check_client_a_access", restrict_check_server_access),
	ACCESS("check_client_access", restrict_check_client_access),
	ACCESS("check_client_mx_access", restrict_check_server_access),
	ACCESS("check_client_ns_access", restrict_check_server_access),
	ACCESS("check_helo_a_access", restrict_check_server_access),
	ACCESS("check_helo_access", restrict_check_helo_access),
	ACCESS("check_helo_mx_access", restrict_check_server_access),
	ACCESS("check_helo_ns_access", restrict_check_server_access),
	{ "check_policy_service", restrict_check_policy_service,
	    restrict_policy_prepare, restrict_policy_release, NULL },
	ACCESS("check_recipient_a_access", restrict_check_server_access),
	ACCESS("check_recipient_access", restrict_check_recipient_access),
	ACCESS("check_recipient_mx_access", restrict_check_server_access),
	ACCESS("check_recipient_ns_access", restrict_check_server_access),
	ACCESS("check_reverse_client_hostname_a_access",
	    restrict_check_server_access),
	ACCESS("check_reverse_client_hostname_access",
	    restrict_check_reverse_access),
	ACCESS("check_reverse_client_hostname_mx_access",
	    restrict_check_server_access),
	ACCESS("check_reverse_client_hostname_ns_access",
	    restrict_check_server_access),
	ACCESS("check_sender_a_access", restrict_check_server_access),
	ACCESS("check_sender_access", restrict_check_sender_access),
	ACCESS("check_sender_mx_access", restrict_check_server_access),
	ACCESS("check_sender_ns_access", restrict_check_server_access),
	RUN("defer", restrict_defer_all),
	RUN("defer_if_permit", restrict_defer_if_permit_step),
	RUN("defer_if_reject", restrict_defer_if_reject_step),
	RUN("defer_unauth_destination", restrict_defer_unauth_destination),
	RUN("permit", restrict_permit_all),
	RUN("permit_auth_destination", restrict_permit_auth_destination),
	DNSXL("permit_dnswl_client"),
	RUN("permit_mynetworks", restrict_permit_mynetworks),
	DNSXL("permit_rhswl_client"),
	RUN("permit_sasl_authenticated", restrict_permit_sasl_authenticated),
	RUN("reject", restrict_reject_all),
	RUN("reject_invalid_helo_hostname", restrict_invalid_helo),
	RUN("reject_invalid_hostname", restrict_invalid_helo),
	RUN("reject_multi_recipient_bounce", restrict_multi_recipient_bounce),
	RUN("reject_non_fqdn_helo_hostname", restrict_non_fqdn_helo),
	RUN("reject_non_fqdn_hostname", restrict_non_fqdn_helo),
	RUN("reject_non_fqdn_recipient", restrict_non_fqdn_recipient),
	RUN("reject_non_fqdn_sender", restrict_non_fqdn_sender),
	DNSXL("reject_rbl"),
	DNSXL("reject_rbl_client"),
	DNSXL("reject_rhsbl_client"),
	DNSXL("reject_rhsbl_helo"),
	DNSXL("reject_rhsbl_recipient"),
	DNSXL("reject_rhsbl_reverse_client"),
	DNSXL("reject_rhsbl_sender"),
	RUN("reject_unauth_destination", restrict_reject_unauth_destination),
	RUN("reject_unauth_pipelining", restrict_unauth_pipelining),
	DNS("reject_unknown_client", restrict_unknown_client),
	DNS("reject_unknown_client_hostname", restrict_unknown_client),
	DNS("reject_unknown_helo_hostname", restrict_unknown_helo),
	DNS("reject_unknown_hostname", restrict_unknown_helo),
	DNS("reject_unknown_recipient_domain",
	    restrict_unknown_recipient_domain),
	DNS("reject_unknown_reverse_client_hostname", restrict_unknown_reverse),
	DNS("reject_unknown_sender_domain", restrict_unknown_sender_domain),
	RUN("reject_unlisted_recipient", restrict_unlisted_recipient_step),
	RUN("reject_unlisted_sender", restrict_unlisted_sender_step),
	RUN("sleep", restrict_sleep),
	RUN("warn_if_reject", restrict_warn_if_reject),
};

/* handler_compare - bsearch order of handlers */
static int
handler_compare(const void *key, const void *elem)
{
	return (strcasecmp(key, ((const struct restrict_handler *)elem)->name));
}

/* restrict_handler_find - see restrict.h */
const struct restrict_handler *
restrict_handler_find(const char *name)
{
	return (bsearch(name, handlers, sizeof(handlers) / sizeof(handlers[0]),
	    sizeof(handlers[0]), handler_compare));
}
