/*
 * params - the main.cf parameters local reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way local will read it.  The rows are check-only until
 * local reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table local_params[] = {
	CONFIG_CHECK_ONLY("alias_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("cleanup_service_name", CONF_STR),
	CONFIG_CHECK_ONLY("command_time_limit", CONF_TIME),
	CONFIG_CHECK_ONLY("default_privs", CONF_STR),
	CONFIG_CHECK_ONLY("duplicate_filter_limit", CONF_INT),
	CONFIG_CHECK_ONLY("forward_path", CONF_STR),
	CONFIG_CHECK_ONLY("home_mailbox", CONF_STR),
	CONFIG_CHECK_ONLY("ipc_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("mail_owner", CONF_STR),
	CONFIG_CHECK_ONLY("mail_spool_directory", CONF_STR),
	CONFIG_CHECK_ONLY("mailbox_delivery_lock", CONF_LIST),
	CONFIG_CHECK_ONLY("mailbox_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("myhostname", CONF_STR),
	CONFIG_CHECK_ONLY("owner_request_special", CONF_BOOL),
	CONFIG_CHECK_ONLY("virtual_gid_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("virtual_mailbox_base", CONF_STR),
	CONFIG_CHECK_ONLY("virtual_mailbox_limit", CONF_INT),
	CONFIG_CHECK_ONLY("virtual_mailbox_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("virtual_minimum_uid", CONF_INT),
	CONFIG_CHECK_ONLY("virtual_uid_maps", CONF_MAPS),
	CONFIG_CHECK_ONLY("allow_mail_to_commands", CONF_LIST),
	CONFIG_CHECK_ONLY("allow_mail_to_files", CONF_LIST),
	CONFIG_CHECK_ONLY("prepend_delivered_header", CONF_LIST),
	CONFIG_TABLE_END,
};
