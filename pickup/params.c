/*
 * params - the main.cf parameters pickup reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way pickup will read it.  The rows are check-only until
 * pickup reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table pickup_params[] = {
	CONFIG_CHECK_ONLY("cleanup_service_name", CONF_STR),
	CONFIG_CHECK_ONLY("ipc_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("message_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("myhostname", CONF_STR),
	CONFIG_TABLE_END,
};
