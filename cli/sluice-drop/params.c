/*
 * params - the main.cf parameters sluice-drop reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-drop will read it; main.c reads the rows
 * into struct drop_settings, and queue_minfree and message_size_limit
 * through queue_space_params.
 */
#include "config_programs.h"
#include "sluice_drop.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct drop_settings, field)

const struct config_table sluice_drop_params[] = {
	ROW("queue_directory", CONF_STR, queue_directory),
	CONFIG_TABLE_END,
};

/* Everything sluice-drop reads: its entry in lib/config/config_programs.c */
const struct config_table *const sluice_drop_tables[] = {
	sluice_drop_params,
	queue_space_params,
	NULL,
};
