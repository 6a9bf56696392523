/*
 * params - the main.cf parameters qmgr reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way qmgr will read it.  The rows with a field are read
 * into struct qmgr by main.c; schedule.c looks a transport's limits up in
 * the two per-transport rows (TRANSPORT_destination_*_limit, for whatever
 * transport the resolver names, else default_destination_*_limit).
 */
#include "config_programs.h"
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
	/* schedule.c: TRANSPORT_destination_*_limit, else default_... */
	ROW("default_destination_concurrency_limit", CONF_PER_TRANSPORT,
	    concurrency_limits),
	ROW("default_destination_recipient_limit", CONF_PER_TRANSPORT,
	    recipient_limits),
	CONFIG_TABLE_END,
};

/* Everything qmgr reads: its entry in lib/config/config_programs.c */
const struct config_table *const qmgr_tables[] = {
	qmgr_params,
	service_params,
	log_params,
	resolve_params,
	NULL,
};
