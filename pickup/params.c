/*
 * params - the main.cf parameters pickup reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way pickup will read it; pickup_config_load (submit.c)
 * reads the rows into struct pickup_config after the jail.
 */
#include "config_programs.h"
#include "pickup.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct pickup_config, field)

const struct config_table pickup_params[] = {
	ROW("cleanup_service_name", CONF_STR, cleanup_service_name),
	ROW("ipc_timeout", CONF_TIME, ipc_timeout),
	ROW("message_size_limit", CONF_INT, message_size_limit),
	ROW("myhostname", CONF_STR, myhostname),
	ROW("receive_override_options", CONF_LIST, receive_override),
	ROW("content_filter", CONF_STR, content_filter),
	CONFIG_TABLE_END,
};

/* Everything pickup reads: its entry in lib/config/config_programs.c */
const struct config_table *const pickup_tables[] = {
	pickup_params,
	service_params,
	log_params,
	NULL,
};
