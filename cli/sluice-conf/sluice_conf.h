/*
 * sluice_conf - the pieces of the sluice-conf program: parameter listing
 * (show.c), main.cf editing (edit.c) and master.cf listing (services.c);
 * main.c parses the options and picks one.
 */
#ifndef SLUICE_CONF_PROGRAM_H
#define SLUICE_CONF_PROGRAM_H

#include <stdbool.h>

#include "config.h"

struct conf_opts {
	const char	*config_dir;
	bool		 defaults;	/* -d */
	bool		 only_set;	/* -n */
	bool		 values_only;	/* -h */
	bool		 expand;	/* -x */
};

/* What -M reads of main.cf (params.c, sluice_conf_params). */
struct conf_settings {
	long		 default_process_limit;	/* master.cf's "-" maxproc */
};

/* conf_show - list parameters (all, -n, -d, or the names); exit status */
int	conf_show(const struct conf_opts *opts, int argc, char **argv);
/* conf_edit - -e name=value... (remove: -X name...); exit status */
int	conf_edit(const struct conf_opts *opts, bool remove, int argc, char **argv);
/* conf_services - -M [service[/type]...]; exit status */
int	conf_services(const struct conf_opts *opts, int argc, char **argv);

/* conf_warn - "sluice-conf: warning: ..." on stderr, as postconf does */
void	conf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
