/*
 * params - the main.cf parameters sluice-super reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-super will read it.  The rows are check-only until
 * sluice-super reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table sluice_super_params[] = {
	CONFIG_CHECK_ONLY("mail_owner", CONF_STR),
	CONFIG_CHECK_ONLY("queue_directory", CONF_STR),
	CONFIG_CHECK_ONLY("qmgr_service_name", CONF_STR),
	CONFIG_TABLE_END,
};
