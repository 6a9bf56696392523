/*
 * params - the main.cf parameters smtpd reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way smtpd will read it.
 */
#include "config_table.h"
#include "smtpd.h"

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct smtpd_config, field)

const struct config_table smtpd_params[] = {
	ROW("myhostname", CONF_STR, myhostname),
	ROW("smtpd_banner", CONF_STR, banner),
	ROW("cleanup_service_name", CONF_STR, cleanup_service),
	ROW("smtpd_greet_pause", CONF_TIME_MS, greet_pause_ms),
	ROW("smtpd_timeout", CONF_TIME, timeout),
	ROW("smtpd_error_sleep_time", CONF_TIME_MS, error_sleep_ms),
	ROW("smtpd_soft_error_limit", CONF_INT, soft_error_limit),
	ROW("smtpd_hard_error_limit", CONF_INT, hard_error_limit),
	ROW("smtpd_junk_command_limit", CONF_INT, junk_command_limit),
	ROW("smtpd_per_record_deadline", CONF_BOOL, per_record_deadline),
	ROW("smtpd_min_data_rate", CONF_INT, min_data_rate),
	ROW("smtpd_recipient_limit", CONF_INT, recipient_limit),
	ROW("smtpd_process_session_limit", CONF_INT, session_limit),
	ROW("message_size_limit", CONF_INT, message_size_limit),
	ROW("header_size_limit", CONF_INT, header_size_limit),
	ROW("line_length_limit", CONF_INT, line_length_limit),
	ROW("ipc_timeout", CONF_TIME, ipc_timeout),
	ROW("unknown_local_recipient_reject_code", CONF_INT, unknown_local_code),
	ROW("unknown_address_reject_code", CONF_INT, unknown_address_code),
	ROW("smtpd_helo_required", CONF_BOOL, helo_required),
	ROW("strict_rfc821_envelopes", CONF_BOOL, strict_envelopes),
	ROW("smtputf8_enable", CONF_BOOL, smtputf8_enable),
	ROW("disable_vrfy_command", CONF_BOOL, disable_vrfy),
	ROW("smtpd_peername_lookup", CONF_BOOL, peername_lookup),
	ROW("smtpd_reject_unlisted_recipient", CONF_BOOL, reject_unlisted),
	ROW("smtpd_forbid_bare_newline", CONF_STR, bare_newline_word),
	ROW("smtpd_sender_restrictions", CONF_LIST, sender_restrictions),
	ROW("smtpd_discard_ehlo_keywords", CONF_LIST, discard_ehlo),
	ROW("mynetworks", CONF_NETWORKS, mynetworks),
	ROW("smtpd_forbid_bare_newline_exclusions", CONF_NETWORKS,
	    bare_newline_exclusions),
	ROW("local_recipient_maps", CONF_MAPS, local_recipient_maps),
	ROW("virtual_mailbox_maps", CONF_MAPS, virtual_mailbox_maps),
	ROW("smtpd_tls_security_level", CONF_STR, tls_level_word),
	ROW("smtpd_tls_wrappermode", CONF_BOOL, tls_wrappermode),
	ROW("smtpd_tls_received_header", CONF_BOOL, tls_received_header),
	ROW("smtpd_client_connection_count_limit", CONF_INT, client_count_limit),
	ROW("smtpd_client_connection_rate_limit", CONF_INT, client_rate_limit),
	ROW("smtpd_client_ipv4_prefix_length", CONF_INT, client_ipv4_prefix),
	ROW("smtpd_client_ipv6_prefix_length", CONF_INT, client_ipv6_prefix),
	ROW("smtpd_client_event_limit_exceptions", CONF_NETWORKS,
	    client_limit_exceptions),
	ROW("anvil_service_name", CONF_STR, anvil_service),
	ROW("smtpd_policy_service_timeout", CONF_TIME, policy_timeout),
	ROW("smtpd_policy_service_max_idle", CONF_TIME, policy_max_idle),
	ROW("smtpd_policy_service_max_ttl", CONF_TIME, policy_max_ttl),
	ROW("smtpd_policy_service_request_limit", CONF_INT,
	    policy_request_limit),
	ROW("smtpd_policy_service_try_limit", CONF_INT, policy_try_limit),
	ROW("smtpd_policy_service_retry_delay", CONF_TIME, policy_retry_delay),
	ROW("smtpd_policy_service_default_action", CONF_STR,
	    policy_default_action),
	ROW("smtpd_policy_service_policy_context", CONF_STR, policy_context),
	/* standalone.c: smtpd -S, the server of sendmail -bs */
	CONFIG_CHECK_ONLY("mail_owner", CONF_STR),
	CONFIG_CHECK_ONLY("daemon_directory", CONF_STR),
	CONFIG_CHECK_ONLY("queue_directory", CONF_STR),
	CONFIG_TABLE_END,
};
