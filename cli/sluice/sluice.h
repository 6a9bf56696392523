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

/* What the commands read of main.cf (params.c, sluice_params). */
struct sluice_settings {
	char		*daemon_directory;
	char		*mail_owner;
	char		*queue_directory;
	char		*setgid_group;
};

/* main.c */
/*
 * sluice_settings_read - set from cfg (a lenient one, for stop and
 * status, always reads); msg_fatal() on a value that cannot be used
 */
void	sluice_settings_read(struct config *cfg, struct sluice_settings *set);
void	sluice_settings_free(struct sluice_settings *set);

/* init.c */
int	sluice_init(const struct sluice_opts *opts, int argc, char **argv);

/* control.c */
int	sluice_start(const struct sluice_opts *opts, int argc, char **argv);
int	sluice_stop(const struct sluice_opts *opts, int argc, char **argv);
int	sluice_reload(const struct sluice_opts *opts, int argc, char **argv);
int	sluice_status(const struct sluice_opts *opts, int argc, char **argv);
/* sluice_master_pid - pid of the running master of this queue, or 0 */
pid_t	sluice_master_pid(const char *queue_directory);

/* check.c */
int	sluice_check(const struct sluice_opts *opts, int argc, char **argv);

#endif
