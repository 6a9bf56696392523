/*
 * params - the main.cf parameters anvil reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way anvil will read it.  The rows are check-only until
 * anvil reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table anvil_params[] = {
	CONFIG_CHECK_ONLY("anvil_rate_time_unit", CONF_TIME),
	CONFIG_CHECK_ONLY("anvil_status_update_time", CONF_TIME),
	CONFIG_CHECK_ONLY("max_idle", CONF_TIME),
	CONFIG_TABLE_END,
};
