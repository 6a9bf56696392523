/*
 * params - the main.cf parameters sluice-drop reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-drop will read it.  The rows are check-only until
 * sluice-drop reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table sluice_drop_params[] = {
	CONFIG_CHECK_ONLY("message_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("queue_directory", CONF_STR),
	CONFIG_CHECK_ONLY("queue_minfree", CONF_INT),
	CONFIG_TABLE_END,
};
