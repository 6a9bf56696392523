/*
 * config - main.cf and master.cf.
 *
 * main.cf: "name = value" lines, '#' comments, a line starting with white
 * space continues the previous one, "$name" and "${name}" expand to other
 * parameters at lookup time.  Every parameter Sluice knows is declared once
 * in the defaults table (config_params.c) with its type, default and bounds;
 * a name that is not in the table is warned about with file and line by
 * config_names_check() (config_names.h), never silently ignored.
 *
 * master.cf: one service per line (continuation as in main.cf):
 *	service type private unpriv chroot wakeup maxproc command [args...]
 * with "-" meaning the default of that column (private y, unpriv y, chroot
 * n, wakeup 0, maxproc $default_process_limit).
 *
 * The configuration directory comes from -c DIR, else $SLUICE_CONFIG, else
 * the compiled-in default (config_directory_default()).
 */
#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"
#include "strlist.h"

#ifndef SLUICE_CONFIG_DIR
#define SLUICE_CONFIG_DIR "/etc/sluice"
#endif

enum param_type {
	PARAM_STR,		/* any string, expanded */
	PARAM_INT,		/* decimal integer within [min, max] */
	PARAM_TIME,		/* integer + optional unit ms/s/m/h/d/w */
	PARAM_BOOL,		/* yes/no (also true/false, 1/0) */
};

struct param_def {
	const char	*name;
	enum param_type	 type;
	const char	*default_value;	/* as written in main.cf, may use $x */
	long		 min;		/* INT/TIME bounds (TIME in seconds) */
	long		 max;
	char		 time_unit;	/* TIME: unit of a bare number ('s','d') */
};

/* The defaults table, sorted by name, ended by a NULL name. */
extern const struct param_def config_param_table[];
const struct param_def *config_param_find(const char *name);

/*
 * config_param_check - validate an expanded value as a parameter of the
 * given type with def's bounds (def may be NULL: no bounds).  The result
 * (INT: the number, TIME: milliseconds, BOOL: 0/1) goes to *out.  Returns
 * 0, or -1 with the reason appended to err.
 */
int	config_param_check(const struct param_def *def, enum param_type type,
	    const char *name, const char *value, long *out, struct strbuf *err);

struct config;

/* config_directory_default - -c argument, else $SLUICE_CONFIG, else default */
const char *config_directory_default(const char *from_command_line);

/* config_new - the defaults only (config_directory set to dir) */
struct config *config_new(const char *config_dir);
/*
 * config_load - defaults + DIR/main.cf.  Returns NULL and fills err on a
 * syntax error or an out-of-range value (each problem a line of err).
 */
struct config *config_load(const char *config_dir, struct strbuf *err);
/* config_load_text - the same from main.cf's text, its lines named origin */
struct config *config_load_text(const char *config_dir, const char *text,
	    const char *origin, struct strbuf *err);
/*
 * config_read - the same without the value check: only a file that
 * cannot be read or parsed is an error (the checks that report every
 * problem, config_programs_check())
 */
struct config *config_read(const char *config_dir, struct strbuf *err);
/*
 * config_read_lenient - what can be used of DIR/main.cf, never NULL: lines
 * that do not parse are skipped and values that do not expand or fit
 * their type give way to the default.  For the commands that must work
 * while main.cf is broken (sluice stop and status, mailq), which need
 * little more than queue_directory.
 */
struct config *config_read_lenient(const char *config_dir);
/* config_load_file - merge one main.cf-format file into cfg; 0 or -1 */
int	config_load_file(struct config *cfg, const char *path, struct strbuf *err);
/*
 * config_load_file_as - the same, with origin (the main.cf path) naming
 * the lines: a daemon reads the master's copy of the main.cf it checked
 * (lib/service.h) and reports its problems at the lines of the original
 */
int	config_load_file_as(struct config *cfg, const char *path,
	    const char *origin, struct strbuf *err);
/*
 * config_read_fd - the rest of fd (named path in errors) into text: at
 * most limit bytes, no NUL byte; 0, or -1 + err.  fd stays open.
 */
int	config_read_fd(int fd, const char *path, size_t limit,
	    struct strbuf *text, struct strbuf *err);
/* config_file_text - the whole text of a main.cf-format file; 0 or -1 */
int	config_file_text(const char *path, struct strbuf *text, struct strbuf *err);
/* config_parse_text - the same for text in memory (tests, -o lists) */
int	config_parse_text(struct config *cfg, const char *text, const char *origin,
	    struct strbuf *err);
void	config_free(struct config *cfg);

/*
 * config_set - override one parameter (master.cf "-o name=value", tests).
 * Unknown names are accepted with a warning (user-defined $names).
 */
void	config_set(struct config *cfg, const char *name, const char *value);

/* config_get - expanded value; msg_panic()s for a name not in the table
 * and not set by the user (a programming error). The pointer stays valid
 * until the next config_set/config_free. */
const char *config_get(struct config *cfg, const char *name);
/*
 * config_value - the expanded value of a known or user-set name, or NULL
 * with the reason (an expansion loop) in err: the getters' non-fatal form
 */
const char *config_value(struct config *cfg, const char *name, struct strbuf *err);
/* config_origin - "FILE:N" of the value of name, NULL when not from a file */
const char *config_origin(const struct config *cfg, const char *name);
/* config_get_raw - unexpanded value as written (or the default), or NULL */
const char *config_get_raw(const struct config *cfg, const char *name);
long	config_get_int(struct config *cfg, const char *name);
long	config_get_time(struct config *cfg, const char *name);	/* seconds, rounded up */
long	config_get_time_ms(struct config *cfg, const char *name);	/* milliseconds */
bool	config_get_bool(struct config *cfg, const char *name);
/* config_get_list - split the expanded value on ", \t\r\n" into list */
void	config_get_list(struct config *cfg, const char *name, struct strlist *list);
/* config_is_set - the user set it (main.cf or config_set) */
bool	config_is_set(const struct config *cfg, const char *name);

/*
 * config_each_set - call fn for every user-set parameter in name order
 * (sluice-conf -n).
 */
void	config_each_set(const struct config *cfg,
	    void (*fn)(const char *name, const char *raw_value, void *ctx), void *ctx);

/*
 * config_check_values - validate every typed parameter after expansion;
 * returns the number of errors, each appended to err as a line.
 */
int	config_check_values(struct config *cfg, struct strbuf *err);

/* master.cf */
struct master_entry {
	char		*service;	/* "smtp", "127.0.0.1:2525", "cleanup" */
	char		*type;		/* "inet", "unix", "pass"... */
	bool		 private_;
	bool		 unpriv;
	bool		 chroot;
	int		 wakeup;	/* seconds, 0 = never */
	int		 maxproc;	/* 0 = unlimited */
	struct strlist	 argv;		/* command + args, argv.items[0] = command */
	int		 line;		/* for error messages */
};

/*
 * master_cf_load - parse DIR/master.cf.  default_maxproc replaces "-" in
 * the maxproc column.  Returns 0, or -1 with err filled (FILE:N: why).
 */
int	master_cf_load(const char *path, int default_maxproc,
	    struct master_entry **entries, size_t *count, struct strbuf *err);
void	master_cf_free(struct master_entry *entries, size_t count);

#endif
