/*
 * params - the main.cf parameters cleanup reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way cleanup will read it.  cleanup_params is read by
 * main.c after the jail; cleanup_expand_params by expand.c before it,
 * with the address resolver's own table (lib/mail/resolve.c), and
 * cleanup_checks_params by main.c before it too (checks.c: the tables
 * must be opened there).
 */
#include "config_programs.h"
#include "cleanup.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct cleanup_params, field)

const struct config_table cleanup_params[] = {
	ROW("hopcount_limit", CONF_INT, hopcount_limit),
	ROW("header_size_limit", CONF_INT, header_size_limit),
	ROW("message_size_limit", CONF_INT, message_size_limit),
	ROW("always_add_missing_headers", CONF_BOOL, always_add_missing_headers),
	ROW("cleanup_replace_stray_cr_lf", CONF_BOOL, replace_stray_cr_lf),
	ROW("myhostname", CONF_STR, myhostname),
	ROW("ipc_timeout", CONF_TIME, ipc_timeout),
	ROW("in_flow_delay", CONF_TIME, in_flow_delay),
	ROW("cleanup_process_session_limit", CONF_INT, session_limit),
	CONFIG_TABLE_END,
};

#define CHECKS_ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct cleanup_checks, field)

/* header and body checks: read before the jail, where the tables are */
const struct config_table cleanup_checks_params[] = {
	CHECKS_ROW("header_checks", CONF_MAPS, header),
	CHECKS_ROW("mime_header_checks", CONF_MAPS, mime_header),
	CHECKS_ROW("nested_header_checks", CONF_MAPS, nested_header),
	CHECKS_ROW("body_checks", CONF_MAPS, body),
	CHECKS_ROW("body_checks_size_limit", CONF_INT, body_size_limit),
	CHECKS_ROW("disable_mime_input_processing", CONF_BOOL, disable_mime),
	CHECKS_ROW("mime_nesting_limit", CONF_INT, nesting_limit),
	CHECKS_ROW("mime_boundary_length_limit", CONF_INT, boundary_limit),
	CHECKS_ROW("line_length_limit", CONF_INT, line_limit),
	CHECKS_ROW("header_size_limit", CONF_INT, header_limit),
	CONFIG_TABLE_END,
};

#define EXPAND_ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct cleanup_expand, field)

const struct config_table cleanup_expand_params[] = {
	/* expand.c */
	EXPAND_ROW("duplicate_filter_limit", CONF_INT, dup_limit),
	EXPAND_ROW("enable_original_recipient", CONF_BOOL, enable_orcpt),
	/* rewrite.c */
	EXPAND_ROW("local_header_rewrite_clients", CONF_LIST, rewrite_clients),
	EXPAND_ROW("mynetworks", CONF_NETWORKS, mynetworks),
	EXPAND_ROW("remote_header_rewrite_domain", CONF_STR, remote_domain),
	CONFIG_TABLE_END,
};

/* Everything cleanup reads: its entry in lib/config/config_programs.c */
const struct config_table *const cleanup_tables[] = {
	cleanup_params,
	cleanup_expand_params,
	cleanup_checks_params,
	service_params,
	log_params,
	resolve_params,
	NULL,
};
