/*
 * params - the main.cf parameters sluice-conf reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-conf will read it.  The rows are check-only until
 * sluice-conf reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table sluice_conf_params[] = {
	CONFIG_CHECK_ONLY("default_process_limit", CONF_INT),
	CONFIG_TABLE_END,
};
