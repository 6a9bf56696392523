/*
 * restriction_list - smtpd's restriction lists as words: which names
 * exist, which take an argument, and the parsed lists of a main.cf.
 *
 * The seven smtpd_*_restrictions parameters and the classes named in
 * smtpd_restriction_classes are parsed here, outside smtpd, so that
 * sluice check, sluice reload and the master (config_programs.c) refuse
 * exactly what smtpd would refuse: an unknown name, a missing or bad
 * argument, a class that is not defined or that includes itself.  The
 * server (smtpd/restrict.c) then turns each parsed word into a handler.
 *
 * Every restriction smtpd knows is one row of restriction_defs[]
 * (restriction_names.c): its name, the kind of argument it takes from
 * the next word of the list, and how that argument is checked.  A word
 * "type:name" where a restriction name is expected is Postfix's short
 * hand for the stage's check_*_access (step def is restriction_implicit_access).
 */
#ifndef SLUICE_RESTRICTION_LIST_H
#define SLUICE_RESTRICTION_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "strbuf.h"

/* The lists, in the order of a transaction (Postfix's names). */
enum restriction_stage {
	RESTRICTION_CLIENT,	/* smtpd_client_restrictions */
	RESTRICTION_HELO,	/* smtpd_helo_restrictions */
	RESTRICTION_SENDER,	/* smtpd_sender_restrictions */
	RESTRICTION_RELAY,	/* smtpd_relay_restrictions */
	RESTRICTION_RECIPIENT,	/* smtpd_recipient_restrictions */
	RESTRICTION_DATA,	/* smtpd_data_restrictions */
	RESTRICTION_END_OF_DATA,	/* smtpd_end_of_data_restrictions */
	RESTRICTION_STAGES,
};

/* What the word after a restriction name is. */
enum restriction_arg {
	RESTRICTION_ARG_NONE,
	RESTRICTION_ARG_TABLE,	/* type:name (check_*_access) */
	RESTRICTION_ARG_DNSXL,	/* domain[=filter] (reject_rbl_client ...) */
	RESTRICTION_ARG_SERVICE,	/* inet:host:port or unix:path */
	RESTRICTION_ARG_NUMBER,	/* seconds (sleep) */
};

struct restriction_def {
	const char	*name;
	enum restriction_arg arg;
	/*
	 * check - the argument is usable (NULL: the kind's check); 0, or -1
	 * with one sentence in err.  A row's owner may give a stricter one
	 * (lib/dns for DNSBL filters, the policy client for its endpoint).
	 */
	int	(*check)(const char *arg, struct strbuf *err);
	/* a permit that ends every list after it (warned about, as Postfix) */
	bool	 final;
};

/* Every known name, ended by a NULL name (restriction_names.c). */
extern const struct restriction_def restriction_defs[];
/* The step of a bare "type:name": the stage's check_*_access. */
extern const struct restriction_def restriction_implicit_access;
extern const bool restriction_implicit_access_ready;
const struct restriction_def *restriction_def_find(const char *name);

struct restriction_list;

struct restriction_step {
	const struct restriction_def *def;	/* NULL: a class */
	char		*name;		/* as written, lower case */
	char		*arg;		/* the argument word, or NULL */
	const struct restriction_list *class_list;	/* a class's list */
};

struct restriction_list {
	char		*param;		/* the parameter or class name */
	struct restriction_step *steps;
	size_t		 count;
};

/* All lists of one configuration. */
struct restriction_set {
	struct restriction_list stages[RESTRICTION_STAGES];
	struct restriction_list *classes;
	size_t		 class_count;
};

/* restriction_stage_param - "smtpd_client_restrictions" ... */
const char *restriction_stage_param(enum restriction_stage stage);

/*
 * restriction_set_load - parse every list and class of cfg.  Returns
 * the set, or NULL with one line per problem in err, each prefixed by
 * its main.cf origin ("main.cf:12: parameter X: ...").
 */
struct restriction_set *restriction_set_load(struct config *cfg,
	    struct strbuf *err);
void	restriction_set_free(struct restriction_set *set);

/* restriction_class_find - the class named name, or NULL */
const struct restriction_list *restriction_class_find(
	    const struct restriction_set *set, const char *name);

/*
 * restriction_syntax_check - for config_check_values(): the lists parse
 * (no table is opened); problems appended to err as lines, counted
 */
int	restriction_syntax_check(struct config *cfg, struct strbuf *err);

/*
 * restriction_config_check - for config_programs_check(): the lists
 * parse (as above) and every table they name would open (maps_check).
 * Problems are appended to errors as lines ending in " (smtpd)";
 * returns their number.
 */
int	restriction_config_check(struct config *cfg, struct strbuf *errors,
	    struct strbuf *warnings);

#endif
