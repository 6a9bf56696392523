/*
 * config_modules - the parameters lib/ modules read for the programs that
 * call them (the service skeleton, TLS, DNS, queue space, the resolver,
 * bounces), as check-only tables (lib/config/config_table.h).
 *
 * The modules read these themselves; a program that calls a module lists
 * its table in lib/config/config_programs.c, so that the one check validates
 * them as that program will use them.
 */
#include "config_programs.h"

/* lib/service.c: every daemon started by the master */
const struct config_table service_params[] = {
	CONFIG_CHECK_ONLY("queue_directory", CONF_STR),
	CONFIG_CHECK_ONLY("mail_owner", CONF_STR),
	CONFIG_CHECK_ONLY("max_use", CONF_INT),
	CONFIG_CHECK_ONLY("max_idle", CONF_TIME),
	CONFIG_CHECK_ONLY("config_directory", CONF_STR),
	CONFIG_TABLE_END,
};

/* lib/config/config_log.c: every program that logs where main.cf says */
const struct config_table log_params[] = {
	CONFIG_CHECK_ONLY("maillog_file", CONF_STR),
	CONFIG_CHECK_ONLY("syslog_name", CONF_STR),
	CONFIG_CHECK_ONLY("syslog_facility", CONF_STR),
	CONFIG_TABLE_END,
};

/* lib/tls.c tls_server_context() */
const struct config_table tls_server_params[] = {
	CONFIG_CHECK_ONLY("smtpd_tls_cert_file", CONF_FILE),
	CONFIG_CHECK_ONLY("smtpd_tls_key_file", CONF_FILE),
	CONFIG_CHECK_ONLY("smtpd_tls_protocols", CONF_STR),
	CONFIG_CHECK_ONLY("smtpd_tls_mandatory_protocols", CONF_STR),
	CONFIG_TABLE_END,
};

/* lib/tls.c tls_client_context() */
const struct config_table tls_client_params[] = {
	CONFIG_CHECK_ONLY("smtp_tls_CAfile", CONF_FILE),
	CONFIG_CHECK_ONLY("smtp_tls_CApath", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_protocols", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_mandatory_protocols", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_session_cache_timeout", CONF_TIME),
	CONFIG_TABLE_END,
};

/* lib/dns.c dns_init() */
const struct config_table dns_params[] = {
	CONFIG_CHECK_ONLY("inet_protocols", CONF_LIST),
	CONFIG_CHECK_ONLY("dns_resolver_address", CONF_HOSTPORT),
	CONFIG_CHECK_ONLY("dns_trust_anchor_file", CONF_FILE),
	CONFIG_TABLE_END,
};

/* lib/queue_space.c queue_space_init_config() */
const struct config_table queue_space_params[] = {
	CONFIG_CHECK_ONLY("queue_minfree", CONF_INT),
	CONFIG_CHECK_ONLY("message_size_limit", CONF_INT),
	CONFIG_TABLE_END,
};

/* lib/resolve.c resolve_open() */
const struct config_table resolve_params[] = {
	CONFIG_CHECK_ONLY("virtual_alias_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("transport_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("mydestination", CONF_DOMAINS),
	CONFIG_CHECK_ONLY("virtual_mailbox_domains", CONF_DOMAINS),
	CONFIG_CHECK_ONLY("virtual_alias_domains", CONF_DOMAINS),
	CONFIG_CHECK_ONLY("local_transport", CONF_STR),
	CONFIG_CHECK_ONLY("virtual_transport", CONF_STR),
	CONFIG_CHECK_ONLY("default_transport", CONF_STR),
	CONFIG_CHECK_ONLY("relayhost", CONF_HOSTPORT),
	CONFIG_CHECK_ONLY("myhostname", CONF_STR),
	CONFIG_TABLE_END,
};

/* lib/bounce.c, lib/bounce_text.c */
const struct config_table bounce_params[] = {
	CONFIG_CHECK_ONLY("myhostname", CONF_STR),
	CONFIG_CHECK_ONLY("double_bounce_sender", CONF_STR),
	CONFIG_CHECK_ONLY("2bounce_notice_recipient", CONF_STR),
	CONFIG_CHECK_ONLY("bounce_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("maximal_queue_lifetime", CONF_TIME),
	CONFIG_CHECK_ONLY("bounce_queue_lifetime", CONF_TIME),
	CONFIG_CHECK_ONLY("cleanup_service_name", CONF_STR),
	CONFIG_CHECK_ONLY("ipc_timeout", CONF_TIME),
	CONFIG_TABLE_END,
};
