/*
 * params - the main.cf parameters sluice-conf reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sluice-conf will read it; services.c reads the
 * row into struct conf_settings.  Listing parameters (show.c) is no use
 * of them: it shows any parameter, as postconf does.
 */
#include "config_programs.h"
#include "sluice_conf.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct conf_settings, field)

const struct config_table sluice_conf_params[] = {
	ROW("default_process_limit", CONF_INT, default_process_limit),
	CONFIG_TABLE_END,
};

/* Everything sluice-conf reads: its entry in lib/config/config_programs.c */
const struct config_table *const sluice_conf_tables[] = {
	sluice_conf_params,
	NULL,
};
