/*
 * params - the main.cf parameters the master reads
 * (lib/config/config_table.h).
 *
 * Data only: sluice check links this file too, to validate a
 * configuration the way the master will read it.
 */
#include "config_programs.h"
#include "master.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct master_settings, field)

const struct config_table master_params[] = {
	ROW("daemon_directory", CONF_STR, daemon_directory),
	ROW("queue_directory", CONF_STR, queue_directory),
	ROW("mail_owner", CONF_STR, mail_owner),
	ROW("setgid_group", CONF_STR, setgid_group),
	ROW("import_environment", CONF_LIST, import_environment),
	ROW("inet_interfaces", CONF_LIST, inet_interfaces),
	ROW("default_process_limit", CONF_INT, default_process_limit),
	ROW("listen_backlog", CONF_INT, listen_backlog),
	ROW("in_flow_window", CONF_INT, in_flow_window),
	ROW("service_throttle_time", CONF_TIME, service_throttle_time),
	CONFIG_TABLE_END,
};

/* Everything master reads: its entry in lib/config/config_programs.c */
const struct config_table *const master_tables[] = {
	master_params,
	log_params,
	NULL,
};
