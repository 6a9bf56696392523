/*
 * params - the main.cf parameters showq reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way showq will read it.
 */
#include "showq.h"

const struct config_table showq_params[] = {
	CONFIG_ROW("ipc_timeout", CONF_TIME, struct showq_daemon, ipc_timeout),
	CONFIG_TABLE_END,
};
