/*
 * params - the main.cf parameters sluice-super reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-super will read it; main.c reads the rows
 * into struct super_state.
 */
#include "config_programs.h"
#include "sluice_super.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct super_state, field)

const struct config_table sluice_super_params[] = {
	ROW("mail_owner", CONF_STR, mail_owner),
	ROW("queue_directory", CONF_STR, queue_directory),
	ROW("qmgr_service_name", CONF_STR, qmgr_service_name),
	CONFIG_TABLE_END,
};

/* Everything sluice-super reads: its entry in lib/config/config_programs.c */
const struct config_table *const sluice_super_tables[] = {
	sluice_super_params,
	log_params,
	NULL,
};
