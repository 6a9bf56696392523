/*
 * params - the main.cf parameters master reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way master will read it.  The rows are check-only until
 * master reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table master_params[] = {
	CONFIG_CHECK_ONLY("daemon_directory", CONF_STR),
	CONFIG_CHECK_ONLY("import_environment", CONF_LIST),
	CONFIG_CHECK_ONLY("inet_interfaces", CONF_LIST),
	CONFIG_CHECK_ONLY("listen_backlog", CONF_INT),
	CONFIG_CHECK_ONLY("mail_owner", CONF_STR),
	CONFIG_CHECK_ONLY("queue_directory", CONF_STR),
	CONFIG_CHECK_ONLY("service_throttle_time", CONF_TIME),
	CONFIG_CHECK_ONLY("setgid_group", CONF_STR),
	CONFIG_CHECK_ONLY("default_process_limit", CONF_INT),
	CONFIG_CHECK_ONLY("in_flow_window", CONF_INT),
	CONFIG_TABLE_END,
};
