/*
 * params - the main.cf parameters bounce reads (lib/config/config_table.h).
 *
 * Data only: the master and sluice check link this file to validate a
 * configuration the way bounce will read it; main.c reads the rows into
 * struct bounce_settings (notice.h).
 */
#include "config_programs.h"
#include "notice.h"

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct bounce_settings, field)

const struct config_table bounce_params[] = {
	ROW("myhostname", CONF_STR, myhostname),
	ROW("double_bounce_sender", CONF_STR, double_bounce_sender),
	ROW("2bounce_notice_recipient", CONF_STR, double_bounce_recipient),
	ROW("bounce_notice_recipient", CONF_STR, bounce_notice_recipient),
	ROW("delay_notice_recipient", CONF_STR, delay_notice_recipient),
	ROW("notify_classes", CONF_LIST, notify_classes),
	ROW("bounce_size_limit", CONF_INT, bounce_size_limit),
	ROW("maximal_queue_lifetime", CONF_TIME, maximal_queue_lifetime),
	ROW("bounce_queue_lifetime", CONF_TIME, bounce_queue_lifetime),
	ROW("cleanup_service_name", CONF_STR, cleanup_service_name),
	ROW("ipc_timeout", CONF_TIME, ipc_timeout),
	CONFIG_TABLE_END,
};

/* Everything bounce reads: its entry in lib/config/config_programs.c */
const struct config_table *const bounce_tables[] = {
	bounce_params,
	service_params,
	log_params,
	NULL,
};
