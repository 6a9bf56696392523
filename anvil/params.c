/*
 * params - the main.cf parameters anvil reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way anvil will read it.
 */
#include "config_programs.h"
#include "anvil.h"

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct anvil_daemon, field)

const struct config_table anvil_params[] = {
	ROW("anvil_rate_time_unit", CONF_TIME, time_unit),
	ROW("anvil_status_update_time", CONF_TIME, status_update),
	ROW("max_idle", CONF_TIME, max_idle),
	CONFIG_TABLE_END,
};

/* Everything anvil reads: its entry in lib/config/config_programs.c */
const struct config_table *const anvil_tables[] = {
	anvil_params,
	service_params,
	log_params,
	NULL,
};
