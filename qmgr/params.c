/*
 * params - the main.cf parameters qmgr reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way qmgr will read it.  The rows are check-only until
 * qmgr reads its settings through config_table_read().
 */
#include "config_programs.h"

const struct config_table qmgr_params[] = {
	CONFIG_CHECK_ONLY("bounce_queue_lifetime", CONF_TIME),
	CONFIG_CHECK_ONLY("default_process_limit", CONF_INT),
	CONFIG_CHECK_ONLY("delay_warning_time", CONF_TIME),
	CONFIG_CHECK_ONLY("in_flow_window", CONF_INT),
	CONFIG_CHECK_ONLY("ipc_timeout", CONF_TIME),
	CONFIG_CHECK_ONLY("maximal_backoff_time", CONF_TIME),
	CONFIG_CHECK_ONLY("maximal_queue_lifetime", CONF_TIME),
	CONFIG_CHECK_ONLY("minimal_backoff_time", CONF_TIME),
	CONFIG_CHECK_ONLY("qmgr_message_active_limit", CONF_INT),
	CONFIG_CHECK_ONLY("queue_run_delay", CONF_TIME),
	/* schedule.c: TRANSPORT_destination_*_limit of the transports there are */
	CONFIG_CHECK_ONLY("default_destination_concurrency_limit", CONF_INT),
	CONFIG_CHECK_ONLY("default_destination_recipient_limit", CONF_INT),
	CONFIG_CHECK_ONLY("local_destination_concurrency_limit", CONF_INT),
	CONFIG_CHECK_ONLY("local_destination_recipient_limit", CONF_INT),
	CONFIG_CHECK_ONLY("smtp_destination_concurrency_limit", CONF_INT),
	CONFIG_CHECK_ONLY("smtp_destination_recipient_limit", CONF_INT),
	CONFIG_CHECK_ONLY("virtual_destination_concurrency_limit", CONF_INT),
	CONFIG_CHECK_ONLY("virtual_destination_recipient_limit", CONF_INT),
	CONFIG_TABLE_END,
};
