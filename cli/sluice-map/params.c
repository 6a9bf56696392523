/*
 * params - the main.cf parameters sluice-map reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-map will read it; newaliases.c reads the
 * row into struct map_settings.  alias_maps is text here: sluice-map -N
 * builds the tables it names, which need not exist yet (local's table
 * checks them as tables).
 */
#include "config_programs.h"
#include "sluice_map.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct map_settings, field)

const struct config_table sluice_map_params[] = {
	ROW("alias_maps", CONF_STR, alias_maps),
	CONFIG_TABLE_END,
};

/* Everything sluice-map reads: its entry in lib/config/config_programs.c */
const struct config_table *const sluice_map_tables[] = {
	sluice_map_params,
	NULL,
};
