/*
 * params - the main.cf parameters cleanup reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way cleanup will read it.  The rows are check-only until
 * cleanup reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table cleanup_params[] = {
	CONFIG_CHECK_ONLY("always_add_missing_headers", CONF_BOOL),
	CONFIG_CHECK_ONLY("cleanup_replace_stray_cr_lf", CONF_BOOL),
	CONFIG_CHECK_ONLY("header_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("hopcount_limit", CONF_INT),
	CONFIG_CHECK_ONLY("in_flow_delay", CONF_TIME),
	CONFIG_CHECK_ONLY("ipc_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("message_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("myhostname", CONF_STR),
	CONFIG_CHECK_ONLY("duplicate_filter_limit", CONF_INT),
	CONFIG_CHECK_ONLY("enable_original_recipient", CONF_BOOL),
	/* rewrite.c */
	CONFIG_CHECK_ONLY("local_header_rewrite_clients", CONF_LIST),
	CONFIG_CHECK_ONLY("mynetworks", CONF_NETWORKS),
	CONFIG_CHECK_ONLY("remote_header_rewrite_domain", CONF_STR),
	CONFIG_CHECK_ONLY("cleanup_process_session_limit", CONF_INT),
	CONFIG_TABLE_END,
};
