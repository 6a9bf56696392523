/*
 * config_programs - every program's parameter tables, and the one check
 * that validates a configuration before a start or a reload.
 *
 * Each program declares what it reads in <program>/params.c (and lists
 * the lib/ modules it calls, each of which declares the table it reads
 * beside the code that reads it: resolve_params in lib/mail/resolve.c ...).
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

/* Each program's list of tables (<program>/params.c), NULL-ended. */
extern const struct config_table *const smtpd_tables[];
extern const struct config_table *const cleanup_tables[];
extern const struct config_table *const qmgr_tables[];
extern const struct config_table *const bounce_tables[];
extern const struct config_table *const local_tables[];
extern const struct config_table *const pickup_tables[];
extern const struct config_table *const showq_tables[];
extern const struct config_table *const smtp_tables[];
extern const struct config_table *const anvil_tables[];
extern const struct config_table *const master_tables[];
extern const struct config_table *const sluice_tables[];
extern const struct config_table *const sendmail_tables[];
extern const struct config_table *const sluice_drop_tables[];
extern const struct config_table *const sluice_queue_tables[];
extern const struct config_table *const sluice_super_tables[];
extern const struct config_table *const sluice_map_tables[];
extern const struct config_table *const sluice_conf_tables[];
/* The per-program tables they name (<program>/params.c). */
extern const struct config_table smtpd_params[], smtpd_standalone_params[],
	cleanup_params[], cleanup_expand_params[], cleanup_checks_params[],
	qmgr_params[],
	local_params[], pickup_params[], showq_params[], smtp_params[],
	smtp_tls_params[], anvil_params[], bounce_params[], master_params[],
	sluice_params[], sendmail_params[], sluice_drop_params[],
	sluice_queue_params[], sluice_super_params[], sluice_map_params[],
	sluice_conf_params[];
/* The lib/ modules' tables (declared beside the code that reads them). */
extern const struct config_table service_params[], log_params[],
	tls_server_params[], tls_client_params[], dns_params[],
	queue_space_params[], resolve_params[];

#endif
