/*
 * sluice - control program of the Sluice mail system.
 *
 * Usage: sluice [-c CONFIG_DIR] [-v] COMMAND [ARGS]
 *	init DIR [--port N] [--hostname H]	create an instance
 *	start [-f] | stop | reload | status	control the master
 *	check					configuration sanity
 * The commands live one group per file: init.c, control.c, check.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_programs.h"
#include "config.h"
#include "mem.h"
#include "msg.h"
#include "sluice.h"

struct sluice_command {
	const char	*name;
	bool		 needs_config;
	int		(*run)(const struct sluice_opts *, int, char **);
};

static const struct sluice_command sluice_commands[] = {
	{"init", false, sluice_init},
	{"start", true, sluice_start},
	{"stop", true, sluice_stop},
	{"reload", true, sluice_reload},
	{"status", true, sluice_status},
	{"check", true, sluice_check},
	{NULL, false, NULL},
};

/* sluice_usage - print the synopsis and fail */
static void
sluice_usage(void)
{
	fprintf(stderr, "usage: sluice [-c CONFIG_DIR] [-v] COMMAND\n"
	    "commands:\n"
	    "  init DIR [--port N] [--hostname H]\n"
	    "  start [-f] | stop | reload | status | check\n");
	exit(2);
}

/* sluice_settings_read - see sluice.h */
void
sluice_settings_read(struct config *cfg, struct sluice_settings *set)
{
	struct strbuf err;

	memset(set, 0, sizeof(*set));
	strbuf_init(&err);
	if (config_table_read(cfg, sluice_params, set, &err) > 0)
		msg_fatal("%s", err.data);
	strbuf_free(&err);
}

/* sluice_settings_free - what sluice_settings_read() allocated */
void
sluice_settings_free(struct sluice_settings *set)
{
	config_table_release(sluice_params, set);
}

int
main(int argc, char **argv)
{
	const struct sluice_command *cmd;
	struct sluice_opts opts;
	const char *dir = NULL;
	char	 real[PATH_MAX];
	int	 ch;

	(void)config_tables_declare(sluice_tables);
	msg_open("sluice", NULL);
	msg_set_stderr(true);
	memset(&opts, 0, sizeof(opts));
	while ((ch = getopt(argc, argv, "+c:v")) != -1) {
		switch (ch) {
		case 'c':
			dir = optarg;
			break;
		case 'v':
			msg_set_verbose(++opts.verbose);
			break;
		default:
			sluice_usage();
		}
	}
	if (optind >= argc)
		sluice_usage();
	for (cmd = sluice_commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[optind]) == 0)
			break;
	if (cmd->name == NULL) {
		fprintf(stderr, "sluice: unknown command \"%s\"\n", argv[optind]);
		sluice_usage();
	}
	if (cmd->needs_config) {
		dir = config_directory_default(dir);
		/* Children run in the queue directory: pass an absolute path. */
		if (realpath(dir, real) == NULL)
			msg_fatal("configuration directory %s: %s", dir,
			    strerror(errno));
		opts.config_dir = real;
	}
	return (cmd->run(&opts, argc - optind, argv + optind));
}
