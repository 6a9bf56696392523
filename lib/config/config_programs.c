/*
 * config_programs - the registry of parameter tables and the one
 * configuration check (config_programs.h).
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_names.h"
#include "config_programs.h"
#include "dnsbl.h"
#include "mem.h"
#include "msg.h"
#include "restriction_list.h"
#include "strlist.h"
#include "tls.h"

const struct config_program config_programs[] = {
	{ "smtpd", smtpd_tables, 0 },
	{ "cleanup", cleanup_tables, 0 },
	{ "qmgr", qmgr_tables, 0 },
	{ "bounce", bounce_tables, 0 },
	{ "local", local_tables, 0 },
	{ "pickup", pickup_tables, 0 },
	{ "showq", showq_tables, 0 },
	{ "smtp", smtp_tables, 0 },
	{ "anvil", anvil_tables, 0 },
	{ "master", master_tables, 0 },
	{ "sluice", sluice_tables, 0 },
	{ "sendmail", sendmail_tables, 0 },
	{ "sluice-drop", sluice_drop_tables, 0 },
	{ "sluice-queue", sluice_queue_tables, 0 },
	{ "sluice-super", sluice_super_tables, 0 },
	{ "sluice-map", sluice_map_tables, 0 },
	{ "sluice-conf", sluice_conf_tables, 0 },
	{ NULL, NULL, 0 },
};

/* config_program_find - the registry entry of name, or NULL */
const struct config_program *
config_program_find(const char *name)
{
	for (const struct config_program *p = config_programs; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return (p);
	return (NULL);
}

/* Who opens what: root (or this process, unprivileged) and mail_owner. */
struct openers {
	struct config_opener root;
	struct config_opener owner;
	char		*owner_name;
};

/* openers_init - mail_owner's ids when running as root */
static void
openers_init(struct openers *o, struct config *cfg)
{
	struct strbuf why;
	const char *owner;
	struct passwd *pw;

	memset(o, 0, sizeof(*o));
	o->root.user = "root";
	o->root.known = false;		/* this process: access(2) */
	o->owner.user = "mail_owner";
	strbuf_init(&why);
	owner = config_value(cfg, "mail_owner", &why);
	strbuf_free(&why);
	if (geteuid() != 0 || owner == NULL || (pw = getpwnam(owner)) == NULL)
		return;
	o->owner_name = xstrdup(owner);
	o->owner.user = o->owner_name;
	o->owner.uid = pw->pw_uid;
	o->owner.gid = pw->pw_gid;
	o->owner.known = true;
}

/* program_check - every table of one program */
static int
program_check(struct config *cfg, const struct config_program *p,
    const struct openers *o, struct strlist *seen, const struct strlist *only,
    struct strbuf *errors, struct strbuf *warnings)
{
	int problems = 0;

	for (unsigned i = 0; p->tables[i] != NULL; i++)
		problems += config_table_check(cfg, p->tables[i], p->name,
		    (p->owner_opens & (1u << i)) ? &o->owner : &o->root, seen,
		    only, errors, warnings);
	return (problems);
}

/* add_line - append "prefix" + text as a line of out */
static void
add_line(struct strbuf *out, const char *prefix, const char *text)
{
	if (out->len > 0)
		strbuf_putc(out, '\n');
	strbuf_printf(out, "%s%s", prefix, text);
}

/* add_lines - every line of text, each with prefix */
static void
add_lines(struct strbuf *out, const char *prefix, struct strbuf *text)
{
	char *line, *save;

	if (text->len == 0)
		return;
	for (line = strtok_r(text->data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		add_line(out, prefix, line);
	strbuf_reset(text);
}

/* tls_file_usable - the file of parameter name is empty or readable */
static bool
tls_file_usable(struct config *cfg, const char *name)
{
	struct strbuf why;
	const char *path;
	bool ok;

	strbuf_init(&why);
	path = config_value(cfg, name, &why);
	ok = path != NULL && (*path == '\0' || access(path, R_OK) == 0);
	strbuf_free(&why);
	return (ok);
}

/*
 * tls_check - smtpd's certificate and key where smtpd will want them:
 * readable, parseable, and the key matching the certificate
 */
static int
tls_check(struct config *cfg, struct strbuf *errors)
{
	struct tls_context *ctx;
	struct strbuf why;
	const char *level, *wrapper;
	int problems = 0;

	strbuf_init(&why);
	level = config_value(cfg, "smtpd_tls_security_level", &why);
	wrapper = config_value(cfg, "smtpd_tls_wrappermode", &why);
	if (level == NULL || wrapper == NULL) {
		strbuf_free(&why);
		return (0);		/* reported by the table check */
	}
	if (strcasecmp(level, "may") != 0 && strcasecmp(level, "encrypt") != 0 &&
	    strcasecmp(wrapper, "yes") != 0 && strcasecmp(wrapper, "true") != 0 &&
	    strcmp(wrapper, "1") != 0) {
		strbuf_free(&why);
		return (0);		/* no TLS, or a level the table refused */
	}
	/* a file that cannot be read is the table check's to report */
	if (!tls_file_usable(cfg, "smtpd_tls_cert_file") ||
	    !tls_file_usable(cfg, "smtpd_tls_key_file")) {
		strbuf_free(&why);
		return (0);
	}
	if ((ctx = tls_server_context(cfg, &why)) == NULL) {
		const char *origin = config_origin(cfg, "smtpd_tls_cert_file");

		if (errors->len > 0)
			strbuf_putc(errors, '\n');
		strbuf_printf(errors, "%s%sparameter smtpd_tls_cert_file: cannot "
		    "set up TLS: %s (smtpd)", origin ? origin : "",
		    origin ? ": " : "", why.data);
		problems++;
	} else
		tls_context_free(ctx);
	strbuf_free(&why);
	return (problems);
}

/* service_overrides - the -o name=value pairs of a master.cf command */
static int
service_overrides(const struct master_entry *e, struct strlist *pairs)
{
	for (size_t i = 1; i < e->argv.count; i++) {
		if (strcmp(e->argv.items[i], "-o") != 0)
			continue;
		if (i + 1 >= e->argv.count ||
		    strchr(e->argv.items[i + 1], '=') == NULL)
			return (-1);
		strlist_add(pairs, e->argv.items[++i]);
	}
	return (0);
}

/* overrides_tls - does one of names change smtpd's TLS set-up? */
static bool
overrides_tls(const struct strlist *names)
{
	for (size_t i = 0; i < names->count; i++)
		if (strncmp(names->items[i], "smtpd_tls_", 10) == 0)
			return (true);
	return (false);
}

/* overrides_restrictions - does one of names change smtpd's lists? */
static bool
overrides_restrictions(const struct strlist *names)
{
	size_t len;

	for (size_t i = 0; i < names->count; i++) {
		len = strlen(names->items[i]);
		if (strcmp(names->items[i], "smtpd_restriction_classes") == 0 ||
		    (strncmp(names->items[i], "smtpd_", 6) == 0 && len > 13 &&
		    strcmp(names->items[i] + len - 13, "_restrictions") == 0))
			return (true);
	}
	return (false);
}

/*
 * service_check - one master.cf service: its program is known, and its
 * -o overrides leave the program a configuration it can use
 */
static int
service_check(const char *config_dir, const char *path,
    const struct master_entry *e, const struct openers *o,
    struct strbuf *warnings, struct strbuf *errors)
{
	const struct config_program *p;
	struct strlist pairs, seen, names;
	struct strbuf prefix, out, warn;
	struct config *cfg;
	char *name, *eq;
	int problems = 0;

	strbuf_init(&prefix);
	strbuf_printf(&prefix, "%s:%d: service %s/%s: ", path, e->line,
	    e->service, e->type);
	if ((p = config_program_find(e->argv.items[0])) == NULL ||
	    p->tables[0] == master_params) {
		strbuf_init(&out);
		strbuf_printf(&out, "unknown program \"%.64s\"",
		    e->argv.items[0]);
		add_line(errors, prefix.data, out.data);
		strbuf_free(&out);
		strbuf_free(&prefix);
		return (1);
	}
	strlist_init(&pairs);
	if (service_overrides(e, &pairs) != 0) {
		add_line(errors, prefix.data, "-o without name=value");
		strlist_free(&pairs);
		strbuf_free(&prefix);
		return (1);
	}
	if (pairs.count == 0) {
		strlist_free(&pairs);
		strbuf_free(&prefix);
		return (0);
	}
	strbuf_init(&out);
	strbuf_init(&warn);
	if ((cfg = config_read(config_dir, &out)) == NULL) {
		strlist_free(&pairs);
		strbuf_free(&out);
		strbuf_free(&warn);
		strbuf_free(&prefix);
		return (0);		/* main.cf itself was reported */
	}
	strlist_init(&names);
	for (size_t i = 0; i < pairs.count; i++) {
		name = xstrdup(pairs.items[i]);
		eq = strchr(name, '=');
		*eq = '\0';
		strlist_add(&names, name);
		if (config_param_find(name) == NULL) {
			if (config_name_unsupported(name)) {
				strbuf_printf(&out, "%s-o %s: not supported yet",
				    out.len ? "\n" : "", name);
				problems++;
			} else
				strbuf_printf(&warn, "%s-o %s: unknown parameter",
				    warn.len ? "\n" : "", name);
		}
		config_set(cfg, name, eq + 1);
		free(name);
	}
	/* only what the overrides change: main.cf's own values were judged */
	strlist_init(&seen);
	problems += program_check(cfg, p, o, &seen, &names, &out, NULL);
	if (strcmp(p->name, "smtpd") == 0 && overrides_tls(&names))
		problems += tls_check(cfg, &out);
	if (strcmp(p->name, "smtpd") == 0 && overrides_restrictions(&names))
		problems += restriction_config_check(cfg, &out, &warn);
	if (strcmp(p->name, "smtpd") == 0 &&
	    strlist_contains_ci(&names, "default_rbl_reply"))
		problems += dnsbl_config_check(cfg, &out);
	strlist_free(&seen);
	strlist_free(&names);
	add_lines(errors, prefix.data, &out);
	add_lines(warnings, prefix.data, &warn);
	config_free(cfg);
	strlist_free(&pairs);
	strbuf_free(&out);
	strbuf_free(&warn);
	strbuf_free(&prefix);
	return (problems);
}

/* master_cf_check - the service table and each service's settings */
static int
master_cf_check(struct config *cfg, const char *config_dir,
    const struct openers *o, struct strbuf *warnings, struct strbuf *errors)
{
	struct master_entry *entries;
	struct strbuf path, err;
	const char *value;
	size_t count;
	long maxproc;
	int problems = 0;

	strbuf_init(&path);
	strbuf_init(&err);
	strbuf_printf(&path, "%s/master.cf", config_dir);
	if ((value = config_value(cfg, "default_process_limit", &err)) == NULL ||
	    config_param_check(config_param_find("default_process_limit"),
	    PARAM_INT, "default_process_limit", value, &maxproc, &err) != 0)
		maxproc = 100;		/* the table check reports it */
	strbuf_reset(&err);
	if (master_cf_load(path.data, (int)maxproc, &entries, &count,
	    &err) < 0) {
		add_line(errors, "", err.data);
		problems++;
	} else {
		if (count == 0) {
			add_line(errors, path.data, ": defines no services");
			problems++;
		}
		for (size_t i = 0; i < count; i++)
			problems += service_check(config_dir, path.data,
			    &entries[i], o, warnings, errors);
		master_cf_free(entries, count);
	}
	strbuf_free(&err);
	strbuf_free(&path);
	return (problems);
}

struct unread_walk {
	struct config	*cfg;
	struct strlist	 read;		/* every row name of every table */
	struct strbuf	*errors;
	int		 problems;
};

/* unread_one - a user-set name no table reads must still expand */
static void
unread_one(const char *name, const char *raw, void *ctx)
{
	struct unread_walk *w = ctx;
	const struct param_def *def = config_param_find(name);
	const char *value, *origin;
	struct strbuf why;
	long out;

	(void)raw;
	if (strlist_contains_ci(&w->read, name))
		return;
	strbuf_init(&why);
	if ((value = config_value(w->cfg, name, &why)) == NULL ||
	    (def != NULL && config_param_check(def, def->type, name, value,
	    &out, &why) != 0)) {
		origin = config_origin(w->cfg, name);
		if (w->errors->len > 0)
			strbuf_putc(w->errors, '\n');
		strbuf_printf(w->errors, "%s%s%s", origin ? origin : "",
		    origin ? ": " : "", why.data);
		w->problems++;
	}
	strbuf_free(&why);
}

/* config_check_unread - what no table reads: loops in user names */
static int
config_check_unread(struct config *cfg, struct strbuf *errors)
{
	struct unread_walk w;
	const struct config_program *p;

	w.cfg = cfg;
	w.errors = errors;
	w.problems = 0;
	strlist_init(&w.read);
	for (p = config_programs; p->name != NULL; p++)
		for (unsigned i = 0; p->tables[i] != NULL; i++)
			for (const struct config_table *row = p->tables[i];
			    row->name != NULL; row++)
				strlist_add(&w.read, row->name);
	config_each_set(cfg, unread_one, &w);
	strlist_free(&w.read);
	return (w.problems);
}

/* config_programs_check - see config_programs.h */
int
config_programs_check(struct config *cfg, const char *config_dir,
    struct strbuf *warnings, struct strbuf *errors)
{
	const struct config_table *const *declared;
	const struct config_program *p;
	struct openers o;
	struct strlist seen;
	int problems;

	/* the check reads every program's settings as that program does */
	declared = config_tables_declare(NULL);
	config_dir = config_directory_default(config_dir);
	problems = config_names_check(cfg, warnings, errors);
	openers_init(&o, cfg);
	strlist_init(&seen);
	for (p = config_programs; p->name != NULL; p++)
		problems += program_check(cfg, p, &o, &seen, NULL, errors,
		    warnings);
	/* what no table reads: a user-defined name that does not expand */
	problems += config_check_unread(cfg, errors);
	strlist_free(&seen);
	problems += tls_check(cfg, errors);
	problems += restriction_config_check(cfg, errors, warnings);
	problems += dnsbl_config_check(cfg, errors);
	problems += master_cf_check(cfg, config_dir, &o, warnings, errors);
	free(o.owner_name);
	(void)config_tables_declare(declared);
	return (problems);
}
