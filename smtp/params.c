/*
 * params - the main.cf parameters smtp reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way smtp will read it.  The rows with a field are
 * read after the jail (main.c); the check-only ones by tls.c before it.
 */
#include "smtp.h"

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct smtp_params, field)

const struct config_table smtp_params[] = {
	ROW("smtp_helo_name", CONF_STR, helo_name),
	ROW("smtp_tcp_port", CONF_STR, smtp_port),
	ROW("lmtp_tcp_port", CONF_STR, lmtp_port),
	ROW("smtp_bind_address", CONF_STR, bind_address),
	ROW("smtp_connect_timeout", CONF_TIME, connect_timeout),
	ROW("smtp_helo_timeout", CONF_TIME, helo_timeout),
	ROW("smtp_mail_timeout", CONF_TIME, mail_timeout),
	ROW("smtp_rcpt_timeout", CONF_TIME, rcpt_timeout),
	ROW("smtp_data_init_timeout", CONF_TIME, data_init_timeout),
	ROW("smtp_data_xfer_timeout", CONF_TIME, data_xfer_timeout),
	ROW("smtp_data_done_timeout", CONF_TIME, data_done_timeout),
	ROW("smtp_quit_timeout", CONF_TIME, quit_timeout),
	ROW("smtp_connection_cache_time_limit", CONF_TIME, cache_time_limit),
	ROW("ipc_timeout", CONF_TIME, ipc_timeout),
	ROW("smtp_mx_address_limit", CONF_INT, mx_address_limit),
	ROW("smtp_mx_session_limit", CONF_INT, mx_session_limit),
	ROW("smtp_min_data_rate", CONF_INT, min_data_rate),
	ROW("smtp_host_lookup", CONF_LIST, host_lookup),
	/* tls.c, before the jail */
	CONFIG_CHECK_ONLY("smtp_tls_security_level", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_policy_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("smtp_tls_verify_cert_match", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_secure_cert_match", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_sasl_auth_enable", CONF_BOOL),
	CONFIG_CHECK_ONLY("smtp_sasl_tls_only", CONF_BOOL),
	CONFIG_CHECK_ONLY("smtp_sasl_password_maps", CONF_MAPS),
	CONFIG_TABLE_END,
};
