/*
 * params - the main.cf parameters sluice-queue reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-queue will read it.  The rows are check-only until
 * sluice-queue reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table sluice_queue_params[] = {
	CONFIG_CHECK_ONLY("ipc_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("message_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("qmgr_service_name", CONF_STR),
	CONFIG_CHECK_ONLY("queue_directory", CONF_STR),
	CONFIG_CHECK_ONLY("queue_minfree", CONF_INT),
	CONFIG_TABLE_END,
};
