/*
 * params - the main.cf parameters smtp reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way smtp will read it.  smtp_params is read after
 * the jail into struct smtp_params (main.c); smtp_tls_params by tls.c
 * before it, into struct smtp_agent, while the tables are reachable.
 */
#include "config_programs.h"
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
	CONFIG_TABLE_END,
};

#define TLS_ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct smtp_agent, field)

const struct config_table smtp_tls_params[] = {
	TLS_ROW("smtp_tls_security_level", CONF_STR, tls_level_word),
	TLS_ROW("smtp_tls_policy_maps", CONF_MAPS, tls_policy_maps),
	TLS_ROW("smtp_tls_verify_cert_match", CONF_STR, tls_verify_match),
	TLS_ROW("smtp_tls_secure_cert_match", CONF_STR, tls_secure_match),
	TLS_ROW("smtp_sasl_auth_enable", CONF_BOOL, sasl_enable),
	TLS_ROW("smtp_sasl_tls_only", CONF_BOOL, sasl_tls_only),
	TLS_ROW("smtp_sasl_password_maps", CONF_MAPS, sasl_password_maps),
	CONFIG_TABLE_END,
};

/* Everything smtp reads: its entry in lib/config/config_programs.c */
const struct config_table *const smtp_tables[] = {
	smtp_params,
	smtp_tls_params,
	service_params,
	log_params,
	tls_client_params,
	dns_params,
	NULL,
};
