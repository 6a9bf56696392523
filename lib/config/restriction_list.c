/*
 * restriction_list - parse and check smtpd's restriction lists and
 * restriction classes (restriction_list.h).
 *
 * A list is split as Postfix splits it (", \t\r\n" outside braces, so an
 * inline:{...} table argument stays one word).  Names compare without
 * regard to case, class names (parameters) with it, as in Postfix.  A
 * class may use other classes but never itself, even
 * through others: Postfix would recurse until it gives up at run time,
 * here the configuration is refused.  As in Postfix, the relay or the
 * recipient list must hold a restriction that stops relaying (not after
 * a permit, not softened by warn_if_reject), else the configuration is
 * refused: an open relay is never one typo away.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maps.h"
#include "mem.h"
#include "policy_service.h"
#include "restriction_list.h"
#include "strlist.h"

#define WORD_MAX	1024		/* one name or argument */
#define WORDS_MAX	1000		/* words in one list */
#define CLASSES_MAX	200
#define SLEEP_MAX	3600		/* seconds */

static const char *const stage_params[RESTRICTION_STAGES] = {
	"smtpd_client_restrictions",
	"smtpd_helo_restrictions",
	"smtpd_sender_restrictions",
	"smtpd_relay_restrictions",
	"smtpd_recipient_restrictions",
	"smtpd_data_restrictions",
	"smtpd_end_of_data_restrictions",
};

/* restriction_stage_param - the parameter of a stage */
const char *
restriction_stage_param(enum restriction_stage stage)
{
	return (stage < RESTRICTION_STAGES ? stage_params[stage] : "?");
}

/* Collects problems, each a line "ORIGIN: parameter NAME: why". */
struct problems {
	struct config	*cfg;
	struct strbuf	*err;
	int		 count;
};

/* problem - one line about parameter param */
static void
problem(struct problems *p, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct problems *p, const char *param, const char *fmt, ...)
{
	const char *origin = config_origin(p->cfg, param);
	va_list ap;

	if (p->err->len > 0)
		strbuf_putc(p->err, '\n');
	if (origin != NULL)
		strbuf_printf(p->err, "%s: ", origin);
	strbuf_printf(p->err, "parameter %s: ", param);
	va_start(ap, fmt);
	strbuf_vprintf(p->err, fmt, ap);
	va_end(ap);
	p->count++;
}

/* check_table - "type:name" with a known type */
static int
check_table(const char *arg, struct strbuf *err)
{
	const char *colon = strchr(arg, ':');

	if (colon == NULL || colon == arg || colon[1] == '\0') {
		strbuf_printf(err, "\"%.100s\" is not a table (type:name)", arg);
		return (-1);
	}
	if (!map_type_known(arg, (size_t)(colon - arg))) {
		strbuf_printf(err, "unknown table type \"%.*s\"",
		    (int)(colon - arg > 40 ? 40 : colon - arg), arg);
		return (-1);
	}
	return (0);
}

/*
 * check_dnsxl - "domain" or "domain=filter": a DNS name, and a filter of
 * the characters of 127.0.0.[2..11;20] forms
 */
static int
check_dnsxl(const char *arg, struct strbuf *err)
{
	const char *eq = strchr(arg, '=');
	size_t dlen = eq ? (size_t)(eq - arg) : strlen(arg);

	if (dlen == 0 || dlen > 253 || arg[0] == '.' || arg[0] == '-' ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") != dlen) {
		strbuf_printf(err, "\"%.100s\" is not a DNS list domain", arg);
		return (-1);
	}
	if (eq != NULL && (eq[1] == '\0' ||
	    strspn(eq + 1, "0123456789.[];*") != strlen(eq + 1))) {
		strbuf_printf(err, "bad reply filter \"%.100s\"", eq + 1);
		return (-1);
	}
	return (0);
}

/* check_service - inet:host:port or unix:path */
static int
check_service(const char *arg, struct strbuf *err)
{
	const char *port;

	if (strncmp(arg, "unix:", 5) == 0 && arg[5] != '\0')
		return (0);
	if (strncmp(arg, "inet:", 5) == 0 && (port = strrchr(arg + 5, ':'))
	    != NULL && port > arg + 5 && port[1] != '\0' &&
	    strlen(port + 1) <= 5 && strspn(port + 1, "0123456789") ==
	    strlen(port + 1))
		return (0);
	strbuf_printf(err, "\"%.100s\" is not inet:host:port or unix:path", arg);
	return (-1);
}

/* check_number - seconds, 0..SLEEP_MAX */
static int
check_number(const char *arg, struct strbuf *err)
{
	size_t len = strlen(arg);

	if (len == 0 || len > 4 || strspn(arg, "0123456789") != len ||
	    atoi(arg) > SLEEP_MAX) {
		strbuf_printf(err, "\"%.100s\" is not a number of seconds "
		    "(0..%d)", arg, SLEEP_MAX);
		return (-1);
	}
	return (0);
}

/* check_arg - the argument of def, by its own check or its kind's */
static int
check_arg(const struct restriction_def *def, const char *arg,
    struct strbuf *err)
{
	if (def->check != NULL)
		return (def->check(arg, err));
	switch (def->arg) {
	case RESTRICTION_ARG_TABLE:
		return (check_table(arg, err));
	case RESTRICTION_ARG_DNSXL:
		return (check_dnsxl(arg, err));
	case RESTRICTION_ARG_SERVICE:
		return (check_service(arg, err));
	case RESTRICTION_ARG_NUMBER:
		return (check_number(arg, err));
	case RESTRICTION_ARG_NONE:
		break;
	}
	return (0);
}

/* lower_dup - a lower-case copy */
static char *
lower_dup(const char *s)
{
	char *copy = xstrdup(s);

	for (char *p = copy; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return (copy);
}

/* is_class - name is one of the class names (exactly: parameters) */
static bool
is_class(const struct strlist *classes, const char *name)
{
	for (size_t i = 0; i < classes->count; i++)
		if (strcmp(classes->items[i], name) == 0)
			return (true);
	return (false);
}

/* add_step - append a step to list */
static struct restriction_step *
add_step(struct restriction_list *list, const struct restriction_def *def,
    const char *name, const char *arg)
{
	struct restriction_step *step;

	list->steps = xrealloc(list->steps, (list->count + 1) *
	    sizeof(*list->steps));
	step = &list->steps[list->count++];
	step->def = def;
	/* restriction names in any case; a class is a parameter: as written */
	step->name = def != NULL ? lower_dup(name) : xstrdup(name);
	step->arg = arg ? xstrdup(arg) : NULL;
	step->class_list = NULL;
	return (step);
}

/*
 * parse_list - the words of value into list; class names are known in
 * classes (resolved later).  stage < 0 for a class.
 */
static void
parse_list(struct problems *p, struct restriction_list *list,
    const char *value, int stage, const struct strlist *classes)
{
	const struct restriction_def *def;
	struct strlist words;
	struct strbuf why;
	const char *word;

	strlist_init(&words);
	strbuf_init(&why);
	if (map_split_braced(value, &words) != 0)
		problem(p, list->param, "unbalanced braces");
	else if (words.count > WORDS_MAX)
		problem(p, list->param, "more than %d words", WORDS_MAX);
	for (size_t i = 0; p->count == 0 && i < words.count; i++) {
		word = words.items[i];
		strbuf_reset(&why);
		if (strlen(word) > WORD_MAX) {
			problem(p, list->param, "word longer than %d bytes",
			    WORD_MAX);
		} else if ((def = restriction_def_find(word)) != NULL) {
			if (def->arg == RESTRICTION_ARG_NONE) {
				add_step(list, def, word, NULL);
				continue;
			}
			if (i + 1 >= words.count) {
				problem(p, list->param, "restriction %s needs "
				    "an argument", word);
			} else if (check_arg(def, words.items[i + 1], &why)
			    != 0) {
				problem(p, list->param, "restriction %s: %s",
				    word, why.data);
			} else {
				add_step(list, def, word, words.items[i + 1]);
				i++;
			}
		} else if (is_class(classes, word)) {
			add_step(list, NULL, word, NULL);
		} else if (strchr(word, ':') != NULL) {
			if (stage == RESTRICTION_DATA ||
			    stage == RESTRICTION_END_OF_DATA)
				problem(p, list->param, "table %s without a "
				    "check_*_access before it", word);
			else if (check_table(word, &why) != 0)
				problem(p, list->param, "%s", why.data);
			else if (!restriction_implicit_access_ready)
				problem(p, list->param, "table %s: access tables "
				    "are not supported yet", word);
			else
				add_step(list, &restriction_implicit_access,
				    restriction_implicit_access.name, word);
		} else {
			problem(p, list->param, "unknown restriction \"%.100s\"",
			    word);
		}
	}
	strbuf_free(&why);
	strlist_free(&words);
}

/* list_value - the expanded value of param, or NULL after a problem */
static const char *
list_value(struct problems *p, const char *param)
{
	struct strbuf why;
	const char *value;

	strbuf_init(&why);
	value = config_value(p->cfg, param, &why);
	if (value == NULL)
		problem(p, param, "%s", why.data);
	strbuf_free(&why);
	return (value);
}

/* restriction_class_find - see restriction_list.h */
const struct restriction_list *
restriction_class_find(const struct restriction_set *set, const char *name)
{
	for (size_t i = 0; i < set->class_count; i++)
		if (strcmp(set->classes[i].param, name) == 0)
			return (&set->classes[i]);
	return (NULL);
}

/* resolve_classes - point every class step of list at its class */
static void
resolve_classes(struct restriction_set *set, struct restriction_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->steps[i].def == NULL)
			list->steps[i].class_list = restriction_class_find(set,
			    list->steps[i].name);
}

/* uses_class - does list reach target through its classes (depth-bounded) */
static bool
uses_class(const struct restriction_list *list,
    const struct restriction_list *target, unsigned depth)
{
	if (depth > CLASSES_MAX)
		return (true);
	for (size_t i = 0; i < list->count; i++) {
		const struct restriction_list *c = list->steps[i].class_list;

		if (c == NULL)
			continue;
		if (c == target || uses_class(c, target, depth + 1))
			return (true);
	}
	return (false);
}

/*
 * has_relay_control - does list (through its classes) hold a restriction
 * that stops relaying?  A permit before one ends the search, and so does
 * the restriction after warn_if_reject (it only warns): as Postfix.
 */
static bool
has_relay_control(const struct restriction_list *list, unsigned depth)
{
	static const char *const required[] = { "reject_unauth_destination",
	    "defer_unauth_destination", "reject", "defer", "defer_if_permit",
	    NULL };

	if (depth > CLASSES_MAX)
		return (false);
	for (size_t i = 0; i < list->count; i++) {
		const struct restriction_step *step = &list->steps[i];

		if (strcmp(step->name, "warn_if_reject") == 0 && step->def) {
			i++;
			continue;
		}
		if (step->def != NULL && strcmp(step->name, "permit") == 0)
			return (false);
		for (size_t r = 0; step->def != NULL && required[r]; r++)
			if (strcmp(step->name, required[r]) == 0)
				return (true);
		if (step->class_list != NULL &&
		    has_relay_control(step->class_list, depth + 1))
			return (true);
	}
	return (false);
}

/* load_classes - smtpd_restriction_classes and each class's list */
static void
load_classes(struct problems *p, struct restriction_set *set,
    struct strlist *names)
{
	const char *value;

	if ((value = list_value(p, "smtpd_restriction_classes")) == NULL)
		return;
	strlist_split(names, value, ", \t\r\n");
	if (names->count > CLASSES_MAX) {
		problem(p, "smtpd_restriction_classes", "more than %d classes",
		    CLASSES_MAX);
		return;
	}
	set->classes = xcalloc(names->count ? names->count : 1,
	    sizeof(*set->classes));
	for (size_t i = 0; i < names->count; i++) {
		const char *name = names->items[i];

		if (restriction_def_find(name) != NULL ||
		    strchr(name, ':') != NULL) {
			problem(p, "smtpd_restriction_classes", "class name "
			    "\"%.100s\" is a restriction name", name);
			continue;
		}
		if (config_param_find(name) != NULL) {
			problem(p, "smtpd_restriction_classes", "class name "
			    "\"%.100s\" is a parameter name", name);
			continue;
		}
		if (!config_is_set(p->cfg, name)) {
			problem(p, "smtpd_restriction_classes", "class %.100s "
			    "is not defined", name);
			continue;
		}
		set->classes[set->class_count].param = xstrdup(name);
		set->class_count++;
	}
	for (size_t i = 0; p->count == 0 && i < set->class_count; i++) {
		struct restriction_list *c = &set->classes[i];

		if ((value = list_value(p, c->param)) != NULL)
			parse_list(p, c, value, -1, names);
	}
}

/* restriction_set_load - see restriction_list.h */
struct restriction_set *
restriction_set_load(struct config *cfg, struct strbuf *err)
{
	struct restriction_set *set = xcalloc(1, sizeof(*set));
	struct problems p = { cfg, err, 0 };
	struct strlist classes;
	const char *value;

	strlist_init(&classes);
	load_classes(&p, set, &classes);
	for (int s = 0; p.count == 0 && s < RESTRICTION_STAGES; s++) {
		set->stages[s].param = xstrdup(stage_params[s]);
		if ((value = list_value(&p, stage_params[s])) != NULL)
			parse_list(&p, &set->stages[s], value, s, &classes);
	}
	strlist_free(&classes);
	if (p.count == 0) {
		for (size_t i = 0; i < set->class_count; i++)
			resolve_classes(set, &set->classes[i]);
		for (int s = 0; s < RESTRICTION_STAGES; s++)
			resolve_classes(set, &set->stages[s]);
		for (size_t i = 0; i < set->class_count; i++)
			if (uses_class(&set->classes[i], &set->classes[i], 0))
				problem(&p, set->classes[i].param, "restriction "
				    "class %s uses itself", set->classes[i].param);
	}
	/* Postfix's safety net against an open relay */
	if (p.count == 0 &&
	    !has_relay_control(&set->stages[RESTRICTION_RELAY], 0) &&
	    !has_relay_control(&set->stages[RESTRICTION_RECIPIENT], 0))
		problem(&p, "smtpd_relay_restrictions", "neither it nor "
		    "smtpd_recipient_restrictions has a working instance of "
		    "reject_unauth_destination, defer_unauth_destination, "
		    "reject, defer or defer_if_permit: that would be an open "
		    "relay");
	if (p.count > 0) {
		restriction_set_free(set);
		return (NULL);
	}
	return (set);
}

/* list_free - the steps of one list */
static void
list_free(struct restriction_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->steps[i].name);
		free(list->steps[i].arg);
	}
	free(list->steps);
	free(list->param);
}

/* restriction_set_free - everything restriction_set_load made */
void
restriction_set_free(struct restriction_set *set)
{
	if (set == NULL)
		return;
	for (int s = 0; s < RESTRICTION_STAGES; s++)
		list_free(&set->stages[s]);
	for (size_t i = 0; i < set->class_count; i++)
		list_free(&set->classes[i]);
	free(set->classes);
	free(set);
}

/* check_tables - every table argument of list opens (maps_check) */
static void
check_tables(struct problems *p, const struct restriction_list *list,
    struct strbuf *warnings)
{
	struct strbuf why, notice;

	strbuf_init(&why);
	strbuf_init(&notice);
	for (size_t i = 0; i < list->count; i++) {
		const struct restriction_step *step = &list->steps[i];

		if (step->def != NULL && step->def->final && i + 1 < list->count
		    && warnings != NULL && (i == 0 ||
		    strcmp(list->steps[i - 1].name, "warn_if_reject") != 0)) {
			if (warnings->len > 0)
				strbuf_putc(warnings, '\n');
			strbuf_printf(warnings, "parameter %s: restriction `%s' "
			    "after `%s' is ignored (smtpd)", list->param,
			    list->steps[i + 1].name, step->name);
		}
		if (step->def == NULL || step->def->arg != RESTRICTION_ARG_TABLE)
			continue;
		strbuf_reset(&why);
		if (maps_check_reference(step->arg, &why, &notice) != 0)
			problem(p, list->param, "%s", why.data);
	}
	strbuf_free(&why);
	strbuf_free(&notice);
}

/* restriction_config_check - see restriction_list.h */
int
restriction_config_check(struct config *cfg, struct strbuf *errors,
    struct strbuf *warnings)
{
	struct strbuf err;
	struct restriction_set *set;
	struct problems p = { cfg, NULL, 0 };
	char *line, *save;
	int count = 0;

	strbuf_init(&err);
	p.err = &err;
	if ((set = restriction_set_load(cfg, &err)) != NULL) {
		for (int s = 0; s < RESTRICTION_STAGES; s++)
			check_tables(&p, &set->stages[s], warnings);
		for (size_t i = 0; i < set->class_count; i++)
			check_tables(&p, &set->classes[i], warnings);
		restriction_set_free(set);
	}
	(void)policy_service_config_check(cfg, &err);
	for (line = strtok_r(err.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (errors->len > 0)
			strbuf_putc(errors, '\n');
		strbuf_printf(errors, "%s (smtpd)", line);
		count++;
	}
	strbuf_free(&err);
	return (count);
}

/* restriction_syntax_check - see restriction_list.h */
int
restriction_syntax_check(struct config *cfg, struct strbuf *err)
{
	struct restriction_set *set;
	size_t before = err->len;
	int count = 0;

	if ((set = restriction_set_load(cfg, err)) != NULL) {
		restriction_set_free(set);
		return (0);
	}
	/* each problem is a line; the first of an empty err has no newline */
	for (const char *p = err->data + before; *p != '\0'; p++)
		count += *p == '\n';
	return (before == 0 ? count + 1 : count);
}
