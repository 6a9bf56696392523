/*
 * params - the main.cf parameters qmgr reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way qmgr will read it.  The rows with a field are read
 * into struct qmgr by main.c.  The check-only ones are read by schedule.c
 * as TRANSPORT_destination_*_limit, with TRANSPORT whatever the resolver
 * names, so only the known transports' names can be rows.
 */
#include "qmgr.h"

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct qmgr, field)

const struct config_table qmgr_params[] = {
	ROW("bounce_queue_lifetime", CONF_TIME, bounce_lifetime),
	ROW("default_process_limit", CONF_INT, default_process_limit),
	ROW("delay_warning_time", CONF_TIME, delay_warning),
	ROW("in_flow_window", CONF_INT, flow_window),
	ROW("ipc_timeout", CONF_TIME, ipc_timeout),
	ROW("maximal_backoff_time", CONF_TIME, max_backoff),
	ROW("maximal_queue_lifetime", CONF_TIME, lifetime),
	ROW("minimal_backoff_time", CONF_TIME, min_backoff),
	ROW("qmgr_message_active_limit", CONF_INT, active_limit),
	ROW("queue_run_delay", CONF_TIME, queue_run_delay),
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
