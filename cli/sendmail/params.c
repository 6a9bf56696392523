/*
 * params - the main.cf parameters sendmail reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sendmail will read it.  The rows are check-only until
 * sendmail reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table sendmail_params[] = {
	CONFIG_CHECK_ONLY("daemon_directory", CONF_STR),
	CONFIG_CHECK_ONLY("header_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("message_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("myorigin", CONF_STR),
	CONFIG_CHECK_ONLY("queue_directory", CONF_STR),
	CONFIG_TABLE_END,
};
