/*
 * sluice.h - the subcommands of the `sluice` control program.
 */
#ifndef SLUICE_CLI_SLUICE_H
#define SLUICE_CLI_SLUICE_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

struct sluice_opts {
	const char	*config_dir;	/* absolute, or NULL for init */
	int		 verbose;
};

/* main.c */
struct config *sluice_config(const struct sluice_opts *opts);

/* init.c */
int	sluice_init(const struct sluice_opts *opts, int argc, char **argv);

/* control.c */
int	sluice_start(const struct sluice_opts *opts, int argc, char **argv);
int	sluice_stop(const struct sluice_opts *opts, int argc, char **argv);
int	sluice_reload(const struct sluice_opts *opts, int argc, char **argv);
int	sluice_status(const struct sluice_opts *opts, int argc, char **argv);
/* sluice_master_pid - pid of the running master of cfg's queue, or 0 */
pid_t	sluice_master_pid(struct config *cfg);

/* check.c */
int	sluice_check(const struct sluice_opts *opts, int argc, char **argv);

#endif
