/*
 * config_log - logging set up from main.cf (config_log.h).
 */
#include <string.h>

#include "config_log.h"
#include "config_table.h"
#include "msg.h"

/* What config_log_open() reads (log_params). */
struct log_settings {
	char		*maillog_file;
	char		*syslog_name;
	char		*syslog_facility;
};

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct log_settings, field)

const struct config_table log_params[] = {
	ROW("maillog_file", CONF_STR, maillog_file),
	ROW("syslog_name", CONF_STR, syslog_name),
	ROW("syslog_facility", CONF_STR, syslog_facility),
	CONFIG_TABLE_END,
};

/* config_log_open - see config_log.h */
void
config_log_open(const char *program, struct config *cfg)
{
	struct log_settings set;
	struct strbuf err;

	memset(&set, 0, sizeof(set));
	strbuf_init(&err);
	(void)config_table_read(cfg, log_params, &set, &err);
	if (set.syslog_name != NULL)
		msg_set_syslog_name(set.syslog_name);
	/* an unknown facility was refused by the check: keep mail */
	if (set.syslog_facility != NULL)
		(void)msg_set_syslog_facility(set.syslog_facility);
	msg_open(program, set.maillog_file);
	/* not fatal: where the log goes decides nothing about mail */
	if (err.len > 0)
		msg_error("%s; logging to the default place", err.data);
	config_table_release(log_params, &set);
	strbuf_free(&err);
}
