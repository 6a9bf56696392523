/*
 * params - the main.cf parameters showq reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way showq will read it.  The rows are check-only until
 * showq reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table showq_params[] = {
	CONFIG_CHECK_ONLY("ipc_timeout", CONF_TIME),
	CONFIG_TABLE_END,
};
