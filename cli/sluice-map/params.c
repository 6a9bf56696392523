/*
 * params - the main.cf parameters sluice-map reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-map will read it.  The rows are check-only until
 * sluice-map reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table sluice_map_params[] = {
	CONFIG_CHECK_ONLY("alias_maps", CONF_STR),
	CONFIG_TABLE_END,
};
