/*
 * config_table_check - check a program's parameter table without keeping
 * the values (config_table.h): each row is converted as the program would
 * convert it (config_table.c), and the files and tables it names must be
 * there and readable by the user the program runs as.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_table.h"
#include "config_table_impl.h"
#include "domain_list.h"
#include "map_impl.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "netmatch.h"
#include "strlist.h"


/* config_in_group - is gid one of user's groups (primary or listed)? */
static bool
config_in_group(const struct config_opener *who, gid_t gid)
{
	struct group *gr;

	if (gid == who->gid)
		return (true);
	if ((gr = getgrgid(gid)) == NULL || gr->gr_mem == NULL)
		return (false);
	for (char **m = gr->gr_mem; *m != NULL; m++)
		if (strcmp(*m, who->user) == 0)
			return (true);
	return (false);
}

/* config_may - does st grant who the access in bits (r=4, x=1)? */
static bool
config_may(const struct config_opener *who, const struct stat *st, unsigned bits)
{
	if (who->uid == 0)
		return (bits != 1 || (st->st_mode & 0111) != 0 ||
		    S_ISDIR(st->st_mode));
	if (st->st_uid == who->uid)
		return (((st->st_mode >> 6) & bits) == bits);
	if (config_in_group(who, st->st_gid))
		return (((st->st_mode >> 3) & bits) == bits);
	return ((st->st_mode & bits) == bits);
}

/* config_file_readable_by - see config_table.h */
int
config_file_readable_by(const char *path, const struct config_opener *who,
    struct strbuf *err)
{
	struct stat st;
	char *dir, *slash;

	if (stat(path, &st) < 0) {
		strbuf_printf(err, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (S_ISDIR(st.st_mode)) {
		strbuf_printf(err, "%s is a directory", path);
		return (-1);
	}
	if (who == NULL || !who->known)
		return (access(path, R_OK) == 0 ? 0 :
		    (strbuf_printf(err, "%s: %s", path, strerror(errno)), -1));
	if (!config_may(who, &st, 4)) {
		strbuf_printf(err, "%s is not readable by %s", path, who->user);
		return (-1);
	}
	/* every directory on the way must let who search it */
	dir = xstrdup(path);
	while ((slash = strrchr(dir, '/')) != NULL) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(dir, &st) == 0 && !config_may(who, &st, 1)) {
			strbuf_printf(err, "%s: directory %s is not searchable "
			    "by %s", path, dir, who->user);
			free(dir);
			return (-1);
		}
		if (slash == dir)
			break;
	}
	free(dir);
	return (0);
}

/*
 * config_table_files - the files the tables in value open, for the
 * permission test: "lmdb:/p" (and its Postfix names hash:, btree:) opens
 * /p.lmdb; a table type with a path opens that path; inline:, static:,
 * unix: open nothing a user could break.
 */
static void
config_table_files(const char *value, struct strlist *files)
{
	struct strlist items;
	struct strbuf path;
	const char *colon;

	strlist_init(&items);
	strbuf_init(&path);
	if (map_split_braced(value, &items) == 0) {
		for (size_t i = 0; i < items.count; i++) {
			colon = strchr(items.items[i], ':');
			if (colon == NULL || colon[1] != '/')
				continue;
			strbuf_set(&path, colon + 1);
			if (strncmp(items.items[i], "lmdb:", 5) == 0 ||
			    strncmp(items.items[i], "hash:", 5) == 0 ||
			    strncmp(items.items[i], "btree:", 6) == 0)
				strbuf_puts(&path, ".lmdb");
			strlist_add(files, path.data);
		}
	}
	strbuf_free(&path);
	strlist_free(&items);
}

/* config_row_files_check - the files a row opens, readable by opener */
static int
config_row_files_check(struct config *cfg, const struct config_table *row,
    const struct config_opener *opener, struct strbuf *why)
{
	struct strlist files;
	const char *value;
	int rc = 0;

	if ((value = config_value(cfg, row->name, why)) == NULL)
		return (-1);
	strlist_init(&files);
	if (row->kind == CONF_FILE && *value != '\0')
		strlist_add(&files, value);
	else if (row->kind == CONF_MAPS || row->kind == CONF_DOMAINS)
		config_table_files(value, &files);
	for (size_t i = 0; rc == 0 && i < files.count; i++)
		rc = config_file_readable_by(files.items[i], opener, why);
	strlist_free(&files);
	return (rc);
}

/*
 * config_row_tables_check - what lib/maps can tell of a row's tables
 * beyond opening them (maps_check_list: every rule parses, the compiled
 * table is not older than its source); notices go to notice
 */
static int
config_row_tables_check(struct config *cfg, const struct config_table *row,
    struct strbuf *why, struct strbuf *notice)
{
	struct strlist items;
	struct strbuf specs;
	const char *value;
	int rc;

	if (row->kind != CONF_MAPS && row->kind != CONF_DOMAINS)
		return (0);
	if ((value = config_value(cfg, row->name, why)) == NULL)
		return (-1);
	if (row->kind == CONF_MAPS)
		return (maps_check_list(value, why, notice));
	/* a domain list: only its "type:name" items are tables */
	strlist_init(&items);
	strbuf_init(&specs);
	if (map_split_braced(value, &items) == 0)
		for (size_t i = 0; i < items.count; i++)
			if (strchr(items.items[i], ':') != NULL)
				strbuf_printf(&specs, "%s%s", specs.len ? " " : "",
				    items.items[i]);
	rc = maps_check_list(specs.data, why, notice);
	strbuf_free(&specs);
	strlist_free(&items);
	return (rc);
}

/* config_kind_opens - does a row of this kind open files? */
static bool
config_kind_opens(enum config_kind kind)
{
	return (kind == CONF_MAPS || kind == CONF_DOMAINS || kind == CONF_FILE);
}

/*
 * config_row_echoes - the value is a default that only names another
 * parameter ("$mynetworks"): a problem with it is that parameter's, and
 * is reported there, with the file and line the admin has to change
 */
static bool
config_row_echoes(const struct config *cfg, const char *name)
{
	const char *raw = config_get_raw(cfg, name);
	const struct param_def *other;

	if (config_is_set(cfg, name) || raw == NULL || *raw != '$')
		return (false);
	other = config_param_find(raw[1] == '{' ? NULL : raw + 1);
	return (other != NULL);
}

/* config_table_check - see config_table.h */
int
config_table_check(struct config *cfg, const struct config_table *table,
    const char *program, const struct config_opener *opener,
    struct strlist *seen, const struct strlist *only, struct strbuf *err,
    struct strbuf *warnings)
{
	const struct config_table *row;
	union config_value v;
	struct strbuf why, key, notice, culprit;
	int problems = 0;

	strbuf_init(&why);
	strbuf_init(&key);
	strbuf_init(&notice);
	strbuf_init(&culprit);
	for (row = table; row->name != NULL; row++) {
		if (only != NULL && !strlist_contains_ci(only, row->name))
			continue;
		strbuf_reset(&key);
		strbuf_printf(&key, "%s:%d:%s", row->name, (int)row->kind,
		    opener != NULL && opener->known && config_kind_opens(row->kind) ?
		    opener->user : "");
		if (seen != NULL) {
			if (strlist_contains_ci(seen, key.data))
				continue;
			strlist_add(seen, key.data);
		}
		strbuf_reset(&why);
		strbuf_reset(&notice);
		if ((config_row_convert(cfg, row, &v, &why, &culprit) != 0 ||
		    config_row_tables_check(cfg, row, &why, &notice) != 0 ||
		    config_row_files_check(cfg, row, opener, &why) != 0) &&
		    !config_row_echoes(cfg, culprit.data)) {
			config_row_problem(cfg, culprit.data, &why, program,
			    err);
			problems++;
		} else if (notice.len > 0 && warnings != NULL &&
		    !config_row_echoes(cfg, row->name))
			config_row_problem(cfg, row->name, &notice, NULL,
			    warnings);
		config_value_release(row->kind, &v);
	}
	strbuf_free(&culprit);
	strbuf_free(&notice);
	strbuf_free(&key);
	strbuf_free(&why);
	return (problems);
}
