/*
 * config_programs - every program's parameter tables, and the one check
 * that validates a configuration before a start or a reload.
 *
 * Each program declares what it reads in <program>/params.c (and lists
 * the lib/ modules it calls, whose tables are in config_modules.c).
 * config_programs_check() runs every table against main.cf, as root
 * would and as mail_owner would where a program opens a file after its
 * privilege drop, then master.cf: its syntax, the programs it names and
 * the -o overrides of each service, checked with that service's tables.
 * sluice check, sluice reload (before it signals the master) and the
 * master itself (at start and before it applies a reload) all call it,
 * so they cannot disagree.
 *
 * A program that links this module links every <program>/params.c (Makefile
 * PARAMS_OBJ).
 */
#ifndef SLUICE_CONFIG_PROGRAMS_H
#define SLUICE_CONFIG_PROGRAMS_H

#include "config.h"
#include "config_table.h"
#include "strbuf.h"

struct config_program {
	const char	*name;		/* the program (master.cf command) */
	const struct config_table *const *tables;	/* NULL-terminated */
	/*
	 * bit i set: tables[i]'s files are opened after the drop to
	 * mail_owner (none is today: every daemon opens its tables in
	 * pre_jail, as root)
	 */
	unsigned	 owner_opens;
};

/* Every program, ended by a NULL name. */
extern const struct config_program config_programs[];
const struct config_program *config_program_find(const char *name);

/*
 * config_programs_check - validate cfg (loaded from config_dir) and
 * config_dir/master.cf.  Problems go to errors, unknown names to
 * warnings, one per line.  Returns the number of problems.
 */
int	config_programs_check(struct config *cfg, const char *config_dir,
	    struct strbuf *warnings, struct strbuf *errors);

/* The tables, from <program>/params.c and config_modules.c. */
extern const struct config_table smtpd_params[], cleanup_params[],
	cleanup_checks_params[],
	qmgr_params[], local_params[], pickup_params[], showq_params[],
	smtp_params[], anvil_params[], bounce_params[], master_params[],
	sluice_params[],
	sendmail_params[], sluice_drop_params[], sluice_queue_params[],
	sluice_super_params[], sluice_map_params[], sluice_conf_params[];
extern const struct config_table service_params[], tls_server_params[],
	tls_client_params[], dns_params[], queue_space_params[],
	resolve_params[], log_params[];

#endif
