/*
 * params - the main.cf parameters sluice reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice will read it; main.c reads the rows into
 * struct sluice_settings.  check.c measures the queue's space through
 * queue_space_params, and reads the other programs' tables (their check)
 * as they do.
 */
#include "config_programs.h"
#include "sluice.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct sluice_settings, field)

const struct config_table sluice_params[] = {
	ROW("daemon_directory", CONF_STR, daemon_directory),
	ROW("mail_owner", CONF_STR, mail_owner),
	ROW("queue_directory", CONF_STR, queue_directory),
	ROW("setgid_group", CONF_STR, setgid_group),
	CONFIG_TABLE_END,
};

/* Everything sluice reads: its entry in lib/config/config_programs.c */
const struct config_table *const sluice_tables[] = {
	sluice_params,
	queue_space_params,
	log_params,
	NULL,
};
