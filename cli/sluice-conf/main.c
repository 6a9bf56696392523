/*
 * sluice-conf - show and edit the Sluice configuration (like postconf).
 *
 * Usage:
 *	sluice-conf [-c DIR] [-d|-n] [-h] [-x] [NAME...]
 *	sluice-conf [-c DIR] -e name=value...
 *	sluice-conf [-c DIR] -X name...
 *	sluice-conf [-c DIR] -M [service[/type]...]
 * As with postconf, values are shown as written (unexpanded) unless -x.
 * The configuration directory is -c DIR, else $SLUICE_CONFIG, else the
 * compiled-in default.  Listing lives in show.c, editing in edit.c, the
 * master.cf view in services.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config_programs.h"
#include "config.h"
#include "msg.h"
#include "sluice_conf.h"

/* conf_warn - a warning for the person at the terminal */
void
conf_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("sluice-conf: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* usage - the synopsis, then fail */
static void
usage(void)
{
	fprintf(stderr, "usage: sluice-conf [-c DIR] [-d|-n] [-h] [-x] [NAME...]\n"
	    "       sluice-conf [-c DIR] -e name=value...\n"
	    "       sluice-conf [-c DIR] -X name...\n"
	    "       sluice-conf [-c DIR] -M [service[/type]...]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct conf_opts opts = { 0 };
	const char *dir = NULL;
	int ch, edit = 0, remove = 0, services = 0;

	(void)config_tables_declare(sluice_conf_tables);
	msg_open("sluice-conf", NULL);
	msg_set_stderr(true);
	while ((ch = getopt(argc, argv, "c:dehnMxX")) != -1) {
		switch (ch) {
		case 'c':
			dir = optarg;
			break;
		case 'd':
			opts.defaults = true;
			break;
		case 'e':
			edit = 1;
			break;
		case 'h':
			opts.values_only = true;
			break;
		case 'n':
			opts.only_set = true;
			break;
		case 'M':
			services = 1;
			break;
		case 'x':
			opts.expand = true;
			break;
		case 'X':
			remove = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	opts.config_dir = config_directory_default(dir);
	if (edit + remove + services > 1 || (opts.defaults && opts.only_set) ||
	    ((edit || remove) && (opts.defaults || opts.only_set || argc == 0)))
		usage();
	if (edit || remove)
		return (conf_edit(&opts, remove, argc, argv));
	if (services)
		return (conf_services(&opts, argc, argv));
	return (conf_show(&opts, argc, argv));
}
