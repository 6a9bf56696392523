/*
 * services - sluice-conf -M: master.cf as the master reads it.
 *
 * Every service on one line in fixed columns, with the "-" defaults
 * resolved (private/unpriv/chroot as y or n, wakeup and maxproc as
 * numbers, maxproc 0 = unlimited) and continuation lines joined, so the
 * output is easy to compare and to grep.  Arguments select services by
 * name or name/type; a selector that matches nothing is warned about and
 * makes the exit status 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_programs.h"
#include "config.h"
#include "mem.h"
#include "sluice_conf.h"
#include "strbuf.h"

/* selected - does entry match selector "name" or "name/type" */
static bool
selected(const struct master_entry *e, const char *selector)
{
	const char *slash = strrchr(selector, '/');
	size_t nlen = slash != NULL ? (size_t)(slash - selector) : strlen(selector);

	if (strlen(e->service) != nlen || strncmp(e->service, selector, nlen) != 0)
		return (false);
	return (slash == NULL || strcmp(e->type, slash + 1) == 0);
}

/* print_entry - one normalized master.cf line */
static void
print_entry(const struct master_entry *e)
{
	printf("%-10s %-5s %-7s %-7s %-7s %-7d %-7d", e->service, e->type,
	    e->private_ ? "y" : "n", e->unpriv ? "y" : "n",
	    e->chroot ? "y" : "n", e->wakeup, e->maxproc);
	for (size_t i = 0; i < e->argv.count; i++)
		printf(" %s", e->argv.items[i]);
	putchar('\n');
}

/* conf_services - print all services or the selected ones */
int
conf_services(const struct conf_opts *opts, int argc, char **argv)
{
	struct master_entry *entries;
	struct conf_settings set;
	struct config *cfg;
	struct strbuf err, path;
	size_t count;
	int status = 0, found;

	strbuf_init(&err);
	strbuf_init(&path);
	if ((cfg = config_load(opts->config_dir, &err)) == NULL) {
		fprintf(stderr, "sluice-conf: fatal: %s\n", err.data);
		strbuf_free(&err);
		strbuf_free(&path);
		return (1);
	}
	strbuf_printf(&path, "%s/master.cf", opts->config_dir);
	if (config_table_read(cfg, sluice_conf_params, &set, &err) > 0 ||
	    master_cf_load(path.data, (int)set.default_process_limit,
	    &entries, &count, &err) != 0) {
		fprintf(stderr, "sluice-conf: fatal: %s\n", err.data);
		status = 1;
		goto out;
	}
	if (argc == 0) {
		for (size_t i = 0; i < count; i++)
			print_entry(&entries[i]);
	}
	for (int a = 0; a < argc; a++) {
		found = 0;
		for (size_t i = 0; i < count; i++) {
			if (selected(&entries[i], argv[a])) {
				print_entry(&entries[i]);
				found = 1;
			}
		}
		if (!found) {
			conf_warn("%s: no such service in %s", argv[a], path.data);
			status = 1;
		}
	}
	master_cf_free(entries, count);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "sluice-conf: fatal: write error on standard output\n");
		status = 1;
	}
out:
	config_free(cfg);
	strbuf_free(&err);
	strbuf_free(&path);
	return (status);
}
