/*
 * params - the main.cf parameters smtp reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way smtp will read it.  The rows are check-only until
 * smtp reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table smtp_params[] = {
	CONFIG_CHECK_ONLY("ipc_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("lmtp_tcp_port", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_bind_address", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_connect_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("smtp_data_done_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("smtp_data_init_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("smtp_data_xfer_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("smtp_helo_name", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_helo_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("smtp_host_lookup", CONF_LIST),
	CONFIG_CHECK_ONLY("smtp_mail_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("smtp_min_data_rate", CONF_INT),
	CONFIG_CHECK_ONLY("smtp_mx_address_limit", CONF_INT),
	CONFIG_CHECK_ONLY("smtp_mx_session_limit", CONF_INT),
	CONFIG_CHECK_ONLY("smtp_quit_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("smtp_rcpt_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("smtp_sasl_auth_enable", CONF_BOOL),
	CONFIG_CHECK_ONLY("smtp_sasl_password_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("smtp_sasl_tls_only", CONF_BOOL),
	CONFIG_CHECK_ONLY("smtp_tcp_port", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_policy_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("smtp_tls_secure_cert_match", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_security_level", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_verify_cert_match", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_connection_cache_time_limit", CONF_TIME),
	CONFIG_TABLE_END,
};
