/*
 * config_log - logging set up from main.cf (config_log.h).
 */
#include "config_log.h"
#include "msg.h"

/* config_log_open - see config_log.h */
void
config_log_open(const char *program, struct config *cfg)
{
	msg_set_syslog_name(config_get(cfg, "syslog_name"));
	/* an unknown facility was refused by the check: keep mail */
	(void)msg_set_syslog_facility(config_get(cfg, "syslog_facility"));
	msg_open(program, config_get(cfg, "maillog_file"));
}
