/*
 * sluice-map - compile, query and edit lookup tables (like postmap).
 *
 * Usage:
 *	sluice-map [-c DIR] [-a] [lmdb:]FILE...	compile FILE into FILE.lmdb
 *						(hash: and btree: alike; cidr:,
 *						pcre:, regexp:, texthash: are
 *						checked, they need no compiling)
 *	sluice-map [-c DIR] -q KEY TABLE...	print KEY's value from the
 *						first table that has it
 *	sluice-map [-c DIR] -q - TABLE...	keys from stdin, "key value" out
 *	sluice-map [-c DIR] [-a] -d KEY TABLE...	delete KEY (compiled tables)
 *	sluice-map [-c DIR] -N			newaliases: compile alias_maps
 * -a reads the aliases(5) format instead of "key value".  Exit status:
 * 0 success (found, deleted), 1 not found, 2 error (as postmap's -q).
 * Compiling and deleting change NAME.lmdb in one transaction (lib/
 * map_lmdb_update.c, delete.c): a daemon reading the table never sees a
 * half-built one, and its next lookup sees the new one.  Failures are
 * printed as "error:" lines (the run goes on with the other tables),
 * never as warnings: the table was not built.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_programs.h"
#include "config.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "sluice_map.h"
#include "strbuf.h"

#define EXIT_NOTFOUND	1
#define EXIT_TROUBLE	2
#define QUERY_LINE_MAX	4096	/* keys read with -q - */

/* usage - the synopsis, then fail */
static void
usage(void)
{
	fprintf(stderr, "usage: sluice-map [-c DIR] [-a] [lmdb:]FILE...\n"
	    "       sluice-map [-c DIR] -q KEY|- TABLE...\n"
	    "       sluice-map [-c DIR] -d KEY [lmdb:]FILE...\n"
	    "       sluice-map [-c DIR] -N\n");
	exit(EXIT_TROUBLE);
}

/*
 * compiled_source - the source file name of a table that sluice-map
 * compiles: "lmdb:/x", "hash:/x", "btree:/x" or a bare "/x"; NULL for
 * another type
 */
static const char *
compiled_source(const char *spec)
{
	static const char *types[] = {"lmdb:", "hash:", "btree:"};
	const char *name = spec;
	size_t n;

	if (strncasecmp(name, "proxy:", 6) == 0)
		name += 6;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i]);
		if (strncasecmp(name, types[i], n) == 0)
			return (name[n] ? name + n : NULL);
	}
	return (strchr(spec, ':') == NULL ? spec : NULL);
}

/* table_spec - "type:name", with lmdb: added to a bare file name */
static void
table_spec(struct strbuf *out, const char *arg)
{
	strbuf_reset(out);
	if (strchr(arg, ':') == NULL)
		strbuf_puts(out, "lmdb:");
	strbuf_puts(out, arg);
}

/*
 * check_text_table - a table read as text at open time (cidr:, pcre:,
 * regexp:, texthash:, inline:...): nothing to compile, but parse it, so
 * that "sluice-map pcre:/x" after an edit says what a daemon would say
 */
static int
check_text_table(const char *spec)
{
	struct strbuf err, notice;
	int status = 0;

	strbuf_init(&err);
	strbuf_init(&notice);
	if (maps_check_reference(spec, &err, &notice) != 0) {
		msg_error("%s", err.data);
		status = EXIT_TROUBLE;
	}
	strbuf_free(&err);
	strbuf_free(&notice);
	return (status);
}

/* compile - build every named table; exit status */
static int
compile(int argc, char **argv, enum map_source_format format)
{
	struct strbuf err;
	const char *path;
	int status = 0;

	strbuf_init(&err);
	for (int i = 0; i < argc; i++) {
		if ((path = compiled_source(argv[i])) == NULL) {
			if (check_text_table(argv[i]) != 0)
				status = EXIT_TROUBLE;
			continue;
		}
		strbuf_reset(&err);
		if (map_lmdb_build(path, format, &err) != 0) {
			msg_error("%s", err.data);
			status = EXIT_TROUBLE;
		}
	}
	strbuf_free(&err);
	return (status);
}

/* open_tables - open each table for lookups; NULL after a warning */
static struct map **
open_tables(int argc, char **argv)
{
	struct map **maps = xcalloc((size_t)argc, sizeof(*maps));
	struct strbuf spec, err;

	strbuf_init(&spec);
	strbuf_init(&err);
	for (int i = 0; i < argc; i++) {
		table_spec(&spec, argv[i]);
		strbuf_reset(&err);
		if ((maps[i] = map_open(spec.data, &err)) == NULL) {
			msg_error("%s", err.data);
			for (int j = 0; j < i; j++)
				map_close(maps[j]);
			free(maps);
			maps = NULL;
			break;
		}
	}
	strbuf_free(&spec);
	strbuf_free(&err);
	return (maps);
}

/* lookup_one - the first table that has key; MAP_* result */
static int
lookup_one(struct map **maps, int count, const char *key, struct strbuf *value)
{
	int rc;

	for (int i = 0; i < count; i++) {
		strbuf_reset(value);
		if ((rc = map_lookup(maps[i], key, value)) != MAP_NOTFOUND)
			return (rc);
	}
	return (MAP_NOTFOUND);
}

/* query - -q KEY (or keys from stdin with -q -); exit status */
static int
query(const char *key, int argc, char **argv)
{
	struct map **maps;
	struct strbuf value;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc, status = EXIT_NOTFOUND;

	if ((maps = open_tables(argc, argv)) == NULL)
		return (EXIT_TROUBLE);
	strbuf_init(&value);
	if (strcmp(key, "-") != 0) {
		rc = lookup_one(maps, argc, key, &value);
		if (rc == MAP_FOUND) {
			printf("%s\n", value.data);
			status = 0;
		} else if (rc == MAP_TEMPFAIL) {
			status = EXIT_TROUBLE;
		}
	} else {
		while ((n = getline(&line, &cap, stdin)) >= 0) {
			while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				line[--n] = 0;
			if (n == 0 || n > QUERY_LINE_MAX)
				continue;
			rc = lookup_one(maps, argc, line, &value);
			if (rc == MAP_FOUND) {
				printf("%s\t%s\n", line, value.data);
				if (status == EXIT_NOTFOUND)
					status = 0;
			} else if (rc == MAP_TEMPFAIL) {
				status = EXIT_TROUBLE;
			}
		}
		free(line);
	}
	for (int i = 0; i < argc; i++)
		map_close(maps[i]);
	free(maps);
	strbuf_free(&value);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		msg_error("write standard output: %s", strerror(errno));
		return (EXIT_TROUBLE);
	}
	return (status);
}

/* delete - -d KEY from each table; exit status */
static int
delete(const char *key, int argc, char **argv)
{
	struct strbuf err;
	const char *path;
	int status = EXIT_NOTFOUND, rc;

	strbuf_init(&err);
	for (int i = 0; i < argc; i++) {
		if ((path = compiled_source(argv[i])) == NULL) {
			msg_error("%s: keys can only be deleted from compiled "
			    "(lmdb:, hash:, btree:) tables", argv[i]);
			status = EXIT_TROUBLE;
			continue;
		}
		strbuf_reset(&err);
		if ((rc = map_delete_key(path, key, &err)) < 0) {
			msg_error("%s", err.data);
			status = EXIT_TROUBLE;
		} else if (rc == 1 && status == EXIT_NOTFOUND) {
			status = 0;
		}
	}
	strbuf_free(&err);
	return (status);
}

int
main(int argc, char **argv)
{
	enum map_source_format format = MAP_SOURCE_TABLE;
	const char *dir = NULL, *qkey = NULL, *dkey = NULL;
	struct config *cfg;
	struct strbuf err;
	int ch, run_newaliases = 0, status;

	(void)config_tables_declare(sluice_map_tables);
	msg_open("sluice-map", NULL);
	msg_set_stderr(true);
	while ((ch = getopt(argc, argv, "ac:d:Nq:")) != -1) {
		switch (ch) {
		case 'a':
			format = MAP_SOURCE_ALIASES;
			break;
		case 'c':
			dir = optarg;
			break;
		case 'd':
			dkey = optarg;
			break;
		case 'N':
			run_newaliases = 1;
			break;
		case 'q':
			qkey = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((qkey != NULL) + (dkey != NULL) + run_newaliases > 1)
		usage();
	if (run_newaliases) {
		if (argc != 0)
			usage();
		strbuf_init(&err);
		if ((cfg = config_load(config_directory_default(dir), &err)) == NULL) {
			msg_error("%s", err.data);
			return (EXIT_TROUBLE);
		}
		strbuf_free(&err);
		status = newaliases(cfg) == 0 ? 0 : EXIT_TROUBLE;
		config_free(cfg);
		return (status);
	}
	if (argc < 1)
		usage();
	if (qkey != NULL)
		return (query(qkey, argc, argv));
	if (dkey != NULL)
		return (delete(dkey, argc, argv));
	return (compile(argc, argv, format));
}
