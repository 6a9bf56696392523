/*
 * config_log - start a program's logging the way main.cf says:
 * syslog_name (the "sluice" of "sluice/smtpd"), syslog_facility, and
 * maillog_file (a file instead of syslog).  Every program that has read
 * main.cf opens its log through this, so that the three parameters mean
 * the same everywhere.
 */
#ifndef SLUICE_CONFIG_LOG_H
#define SLUICE_CONFIG_LOG_H

#include "config.h"
#include "config_table.h"

/* config_log_open - msg_open(program, ...) with cfg's logging settings */
void	config_log_open(const char *program, struct config *cfg);
/* The parameters it reads, for every program's tables (config_programs.c). */
extern const struct config_table log_params[];

#endif
