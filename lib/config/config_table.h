/*
 * config_table - the parameters one program reads, declared as a table.
 *
 * As Postfix's per-daemon CONFIG_*_TABLEs: a program lists every main.cf
 * parameter it reads, with the form it wants the value in and the field
 * of its own settings struct that receives it, and reads them all with
 * one config_table_read() instead of a getter call per parameter.
 * Defaults, types and bounds are not repeated here: they stay in the one
 * defaults table (config_params.c), and a table row whose kind does not
 * fit the parameter's type there is a programming error (a unit test
 * walks every table of lib/config/config_programs.c).
 *
 * The same rows let one check (config_table_check(), driven for every
 * program by config_programs_check()) validate each value the way the
 * program will use it, before a start or a reload: numbers and times
 * with their bounds, booleans, network lists (a /33 is an error), domain
 * and table lists (the type known, the table compiled and readable by
 * the user that opens it), host:port destinations, files a program
 * opens (certificates, keys, CA files).
 *
 * Each program declares the list of tables it reads (the same list its
 * entry in lib/config/config_programs.c names) with config_tables_declare();
 * reading any other table is then a programming error, so a parameter
 * cannot be read by a program whose check does not validate it.
 */
#ifndef SLUICE_CONFIG_TABLE_H
#define SLUICE_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "strbuf.h"
#include "strlist.h"

enum config_kind {
	CONF_STR,	/* char *: the expanded value (xstrdup) */
	/*
	 * char *: as written, not expanded: its $names are the program's,
	 * not main.cf's (a reply template; local's forward_path: $user,
	 * $home ...).  A row made with CONFIG_RAW_ROW lists them, and the
	 * check refuses any other; with CONFIG_ROW the program checks them.
	 */
	CONF_RAW,
	CONF_INT,	/* long, within the row's bounds */
	CONF_TIME,	/* long: seconds, rounded up */
	CONF_TIME_MS,	/* long: milliseconds */
	CONF_BOOL,	/* bool */
	CONF_LIST,	/* struct strlist, split on ", \t\r\n" */
	CONF_MAPS,	/* struct map_list *, NULL when it names no table */
	CONF_DOMAINS,	/* struct domain_list * (names and tables) */
	CONF_NETWORKS,	/* struct netlist * (address/prefix list) */
	CONF_HOSTPORT,	/* char *: "", or a list of host, [host], host:port */
	CONF_FILE,	/* char *: "", or a file the program opens to read */
	/*
	 * struct config_per_transport *: an integer per transport, as
	 * Postfix's TRANSPORT_destination_concurrency_limit: the row names
	 * default_SUFFIX, the fallback; every TRANSPORT_SUFFIX that is in the
	 * defaults table or set in main.cf is read (and checked with the
	 * bounds of its own row, else of default_SUFFIX)
	 */
	CONF_PER_TRANSPORT,
};

struct config_table {
	const char	*name;		/* the parameter (config_params.c) */
	enum config_kind kind;
	size_t		 offset;	/* of the field in the settings struct */
	const char *const *names;	/* CONF_RAW: its $names, NULL-ended;
					 * NULL: not checked here */
};

/* CONFIG_ROW - one row: parameter, kind, settings struct type, field */
#define CONFIG_ROW(name, kind, type, field) \
	{ (name), (kind), offsetof(type, field), NULL }
/* CONFIG_RAW_ROW - a CONF_RAW row whose value may use $names */
#define CONFIG_RAW_ROW(name, type, field, names) \
	{ (name), CONF_RAW, offsetof(type, field), (names) }
/*
 * CONFIG_CHECK_ONLY - a row read elsewhere (a lib/ module the program
 * calls, which reads it itself) but validated with this program's check
 */
#define CONFIG_CHECK_ONLY(name, kind)	{ (name), (kind), (size_t)-1, NULL }
#define CONFIG_TABLE_END		{ NULL, CONF_STR, 0, NULL }

/* What a CONF_PER_TRANSPORT row reads. */
struct config_per_transport {
	long		 fallback;	/* default_SUFFIX */
	size_t		 count;
	char		**transports;	/* "smtp", "relay" ... */
	long		*values;	/* TRANSPORT_SUFFIX of each */
};

/* config_per_transport_get - TRANSPORT_SUFFIX, else default_SUFFIX */
long	config_per_transport_get(const struct config_per_transport *pt,
	    const char *transport);

/*
 * config_tables_declare - the tables this program reads (NULL-ended);
 * from now on config_table_read() of another table msg_panic()s.  Returns
 * the list declared before (NULL: none, nothing is enforced), so that
 * the configuration check can read a table as another program does.
 */
const struct config_table *const *config_tables_declare(
	    const struct config_table *const *tables);
/*
 * config_table_declares - name is a row of a declared table (true when
 * nothing was declared): config_get() and its typed forms panic when not
 */
bool	config_table_declares(const char *name);

/*
 * config_table_read - fill settings from cfg, one field per row.  Returns
 * the number of parameters that could not be used, each appended to err
 * as a line "ORIGIN: parameter NAME: why" (ORIGIN "main.cf:N" when the
 * value comes from main.cf); their fields stay zero.  Whatever was read
 * must be released with config_table_release(), also after an error.
 */
int	config_table_read(struct config *cfg, const struct config_table *table,
	    void *settings, struct strbuf *err);
/*
 * config_table_fatal - a daemon that cannot use what config_table_read()
 * put in problems: each line logged as an error of its own, then a
 * fatal line; does not return
 */
void	config_table_fatal(struct strbuf *problems) __attribute__((noreturn));
/* config_table_release - free what config_table_read put in settings */
void	config_table_release(const struct config_table *table, void *settings);

/* Who opens the files and tables a table names. */
struct config_opener {
	const char	*user;		/* for messages: "root", "sluice" */
	uid_t		 uid;
	gid_t		 gid;
	bool		 known;		/* false: skip the permission test */
};

/*
 * config_table_check - validate every row of table as the program would
 * read it, opened files tested for reading by opener (NULL: by this
 * process only).  Each problem is appended to err as a line, prefixed by
 * its main.cf origin and followed by " (PROGRAM)".  Returns the number
 * of problems.  A parameter already in seen (a strlist of "name:kind")
 * is skipped and every checked one is added, so that a value several
 * programs read is reported once.  When only is not NULL, the rows of
 * names not in it are skipped (a master.cf service's -o overrides).
 * Notices that are not problems (a compiled table older than its
 * source, hash: served by lmdb:) go to warnings, if not NULL.
 */
int	config_table_check(struct config *cfg, const struct config_table *table,
	    const char *program, const struct config_opener *opener,
	    struct strlist *seen, const struct strlist *only, struct strbuf *err,
	    struct strbuf *warnings);

/*
 * config_file_readable_by - can uid (primary group gid and its
 * supplementary groups) open path for reading?  0, or -1 with the reason
 * in err (the first directory on the way that denies search, or the file)
 */
int	config_file_readable_by(const char *path, const struct config_opener *who,
	    struct strbuf *err);

#endif
