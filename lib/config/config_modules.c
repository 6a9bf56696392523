/*
 * config_modules - the parameters lib/ modules read for the programs that
 * call them (the service skeleton, TLS, DNS, queue space, the address
 * resolver, logging), as check-only tables (lib/config/config_table.h).
 *
 * The modules read these themselves; a program that calls a module lists
 * its table in lib/config/config_programs.c, so that the one check validates
 * them as that program will use them.
 */
#include "config_programs.h"

/* lib/service/service.c: every daemon started by the master */
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

/* lib/tls/tls.c tls_server_context() */
const struct config_table tls_server_params[] = {
	CONFIG_CHECK_ONLY("smtpd_tls_cert_file", CONF_FILE),
	CONFIG_CHECK_ONLY("smtpd_tls_key_file", CONF_FILE),
	CONFIG_CHECK_ONLY("smtpd_tls_protocols", CONF_STR),
	CONFIG_CHECK_ONLY("smtpd_tls_mandatory_protocols", CONF_STR),
	CONFIG_TABLE_END,
};

/* lib/tls/tls.c tls_client_context() */
const struct config_table tls_client_params[] = {
	CONFIG_CHECK_ONLY("smtp_tls_CAfile", CONF_FILE),
	CONFIG_CHECK_ONLY("smtp_tls_CApath", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_protocols", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_mandatory_protocols", CONF_STR),
	CONFIG_CHECK_ONLY("smtp_tls_session_cache_timeout", CONF_TIME),
	CONFIG_TABLE_END,
};

/* lib/dns/dns.c dns_init() */
const struct config_table dns_params[] = {
	CONFIG_CHECK_ONLY("inet_protocols", CONF_LIST),
	CONFIG_CHECK_ONLY("dns_resolver_address", CONF_HOSTPORT),
	CONFIG_CHECK_ONLY("dns_trust_anchor_file", CONF_FILE),
	CONFIG_TABLE_END,
};

/* lib/queue/queue_space.c queue_space_init_config() */
const struct config_table queue_space_params[] = {
	CONFIG_CHECK_ONLY("queue_minfree", CONF_INT),
	CONFIG_CHECK_ONLY("message_size_limit", CONF_INT),
	CONFIG_TABLE_END,
};

/* lib/mail/resolve*.c resolve_open(): the address resolver */
const struct config_table resolve_params[] = {
	CONFIG_CHECK_ONLY("myorigin", CONF_STR),
	CONFIG_CHECK_ONLY("mydomain", CONF_STR),
	CONFIG_CHECK_ONLY("myhostname", CONF_STR),
	CONFIG_CHECK_ONLY("remote_header_rewrite_domain", CONF_STR),
	CONFIG_CHECK_ONLY("empty_address_recipient", CONF_STR),
	CONFIG_CHECK_ONLY("recipient_delimiter", CONF_STR),
	CONFIG_CHECK_ONLY("append_at_myorigin", CONF_BOOL),
	CONFIG_CHECK_ONLY("append_dot_mydomain", CONF_BOOL),
	CONFIG_CHECK_ONLY("swap_bangpath", CONF_BOOL),
	CONFIG_CHECK_ONLY("allow_percent_hack", CONF_BOOL),
	CONFIG_CHECK_ONLY("resolve_dequoted_address", CONF_BOOL),
	CONFIG_CHECK_ONLY("local_transport", CONF_STR),
	CONFIG_CHECK_ONLY("virtual_transport", CONF_STR),
	CONFIG_CHECK_ONLY("relay_transport", CONF_STR),
	CONFIG_CHECK_ONLY("default_transport", CONF_STR),
	CONFIG_CHECK_ONLY("relayhost", CONF_HOSTPORT),
	CONFIG_CHECK_ONLY("virtual_alias_expansion_limit", CONF_INT),
	CONFIG_CHECK_ONLY("virtual_alias_recursion_limit", CONF_INT),
	CONFIG_CHECK_ONLY("virtual_alias_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("transport_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("sender_dependent_relayhost_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("mydestination", CONF_DOMAINS),
	CONFIG_CHECK_ONLY("virtual_mailbox_domains", CONF_DOMAINS),
	CONFIG_CHECK_ONLY("virtual_alias_domains", CONF_DOMAINS),
	CONFIG_CHECK_ONLY("relay_domains", CONF_DOMAINS),
	CONFIG_CHECK_ONLY("inet_interfaces", CONF_LIST),
	CONFIG_CHECK_ONLY("proxy_interfaces", CONF_LIST),
	CONFIG_CHECK_ONLY("canonical_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("sender_canonical_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("recipient_canonical_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("canonical_classes", CONF_LIST),
	CONFIG_CHECK_ONLY("sender_canonical_classes", CONF_LIST),
	CONFIG_CHECK_ONLY("recipient_canonical_classes", CONF_LIST),
	CONFIG_CHECK_ONLY("masquerade_classes", CONF_LIST),
	CONFIG_CHECK_ONLY("masquerade_domains", CONF_LIST),
	CONFIG_CHECK_ONLY("masquerade_exceptions", CONF_DOMAINS),
	CONFIG_CHECK_ONLY("propagate_unmatched_extensions", CONF_LIST),
	CONFIG_TABLE_END,
};
