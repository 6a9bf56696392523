/*
 * params - the main.cf parameters showq reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way showq will read it.
 */
#include "config_programs.h"
#include "showq.h"

const struct config_table showq_params[] = {
	CONFIG_ROW("ipc_timeout", CONF_TIME, struct showq_daemon, ipc_timeout),
	CONFIG_TABLE_END,
};

/* Everything showq reads: its entry in lib/config/config_programs.c */
const struct config_table *const showq_tables[] = {
	showq_params,
	service_params,
	log_params,
	NULL,
};
