/*
 * params - the main.cf parameters bounce reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way bounce will read it.  The rows are check-only until
 * bounce reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table bounce_params[] = {
	CONFIG_CHECK_ONLY("myhostname", CONF_STR),
	CONFIG_CHECK_ONLY("double_bounce_sender", CONF_STR),
	CONFIG_CHECK_ONLY("2bounce_notice_recipient", CONF_STR),
	CONFIG_CHECK_ONLY("bounce_notice_recipient", CONF_STR),
	CONFIG_CHECK_ONLY("delay_notice_recipient", CONF_STR),
	CONFIG_CHECK_ONLY("notify_classes", CONF_LIST),
	CONFIG_CHECK_ONLY("bounce_size_limit", CONF_INT),
	CONFIG_CHECK_ONLY("maximal_queue_lifetime", CONF_TIME),
	CONFIG_CHECK_ONLY("bounce_queue_lifetime", CONF_TIME),
	CONFIG_CHECK_ONLY("cleanup_service_name", CONF_STR),
	CONFIG_CHECK_ONLY("ipc_timeout", CONF_TIME),
	CONFIG_TABLE_END,
};
