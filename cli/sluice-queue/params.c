/*
 * params - the main.cf parameters sluice-queue reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-queue will read it; main.c reads the rows
 * into struct sq_settings, from a lenient read of main.cf (mailq works
 * while main.cf has errors).  The space notice reads queue_space_params.
 */
#include "config_programs.h"
#include "sluice_queue.h"

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct sq_settings, field)

const struct config_table sluice_queue_params[] = {
	ROW("ipc_timeout", CONF_TIME, ipc_timeout),
	ROW("qmgr_service_name", CONF_STR, qmgr_service_name),
	ROW("queue_directory", CONF_STR, queue_directory),
	CONFIG_TABLE_END,
};

/* Everything sluice-queue reads: its entry in lib/config/config_programs.c */
const struct config_table *const sluice_queue_tables[] = {
	sluice_queue_params,
	queue_space_params,
	NULL,
};
