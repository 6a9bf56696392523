/*
 * params - the main.cf parameters sendmail reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way sendmail will read it; main.c reads the rows into
 * struct sm_options.  The queue space check reads its own table
 * (queue_space_params), -bv the resolver's (resolve_params).
 */
#include "config_programs.h"
#include "sendmail.h"

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct sm_options, field)

const struct config_table sendmail_params[] = {
	ROW("daemon_directory", CONF_STR, daemon_directory),
	ROW("header_size_limit", CONF_INT, header_limit),
	ROW("message_size_limit", CONF_INT, size_limit),
	ROW("myorigin", CONF_STR, myorigin),
	ROW("queue_directory", CONF_STR, queue_directory),
	CONFIG_TABLE_END,
};

/* Everything sendmail reads: its entry in lib/config/config_programs.c */
const struct config_table *const sendmail_tables[] = {
	sendmail_params,
	queue_space_params,
	resolve_params,
	NULL,
};
