/*
 * check.c - `sluice check`: is this instance fit to start?
 *
 * Runs the one configuration check (lib/config/config_programs.h: every value
 * as each program will read it, tables, certificates, master.cf), then
 * looks at what the daemons will rely on: their programs, the queue directories
 * with their owners and modes, mail_owner (the tables, compiled and
 * current, are the configuration check's).
 * Every problem is printed; the exit status is 1 if there was any.
 * A queue file system too full for new mail (queue_minfree) is printed
 * as a warning only: the instance still runs and delivers, which is what
 * frees the space, so it must not be kept from starting.
 *
 * Parameters: daemon_directory, queue_directory, mail_owner, setgid_group,
 * alias_maps, virtual_mailbox_maps, virtual_alias_maps, transport_maps,
 * canonical_maps, sender_canonical_maps, recipient_canonical_maps,
 * sender_dependent_relayhost_maps, default_process_limit, queue_minfree,
 * message_size_limit; the address resolver's (it is opened as the
 * daemons open it).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_programs.h"
#include "mem.h"
#include "msg.h"
#include "queue_space.h"
#include "resolve.h"
#include "sluice.h"
#include "strbuf.h"
#include "strlist.h"

struct check_state {
	struct config	*cfg;
	struct sluice_settings set;	/* read once the values are known good */
	int		 problems;
	bool		 privileged;
	uid_t		 owner_uid;	/* valid when owner_known */
	gid_t		 owner_gid;
	gid_t		 drop_gid;	/* valid when drop_known */
	bool		 owner_known;
	bool		 drop_known;
};

/* check_problem - print one finding */
static void __attribute__((format(printf, 2, 3)))
check_problem(struct check_state *cs, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stdout, "sluice check: ");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	cs->problems++;
}

/* check_users - mail_owner exists and is not root; setgid_group exists */
static void
check_users(struct check_state *cs)
{
	const char *owner = cs->set.mail_owner;
	const char *group = cs->set.setgid_group;
	struct passwd *pw;
	struct group *gr;

	if ((pw = getpwnam(owner)) == NULL) {
		check_problem(cs, "mail_owner \"%s\" does not exist", owner);
	} else if (pw->pw_uid == 0 && cs->privileged) {
		check_problem(cs, "mail_owner \"%s\" must not be root", owner);
	} else {
		cs->owner_uid = pw->pw_uid;
		cs->owner_gid = pw->pw_gid;
		cs->owner_known = true;
	}
	if ((gr = getgrnam(group)) == NULL) {
		check_problem(cs, "setgid_group \"%s\" does not exist", group);
	} else {
		cs->drop_gid = gr->gr_gid;
		cs->drop_known = true;
	}
}

/* check_program - name in daemon_directory is an executable file */
static void
check_program(struct check_state *cs, const char *name)
{
	struct strbuf path;
	struct stat st;

	strbuf_init(&path);
	strbuf_printf(&path, "%s/%s", cs->set.daemon_directory, name);
	if (stat(path.data, &st) < 0)
		check_problem(cs, "program %s: %s", path.data, strerror(errno));
	else if (!S_ISREG(st.st_mode) || access(path.data, X_OK) < 0)
		check_problem(cs, "program %s is not executable", path.data);
	else if (st.st_mode & 0022)
		check_problem(cs, "program %s is group- or world-writable",
		    path.data);
	strbuf_free(&path);
}

/*
 * check_bounce_service - qmgr writes no notice itself: without a bounce
 * service every bounce and delay warning would stay owed for good
 */
static void
check_bounce_service(struct check_state *cs, const char *path,
    const struct master_entry *entries, size_t count)
{
	const struct master_entry *qmgr = NULL;

	for (size_t i = 0; i < count; i++) {
		if (strcmp(entries[i].type, "unix") != 0)
			continue;
		if (strcmp(entries[i].service, "bounce") == 0)
			return;
		if (strcmp(entries[i].argv.items[0], "qmgr") == 0)
			qmgr = &entries[i];
	}
	if (qmgr != NULL)
		check_problem(cs, "%s:%d: qmgr runs without a \"bounce\" service "
		    "(unix, private/bounce): no bounce or delay warning could "
		    "be sent", path, qmgr->line);
}

/*
 * check_transports - the relay and virtual classes in use have their
 * transport in master.cf: relay_transport = relay needs the relay
 * service a master.cf older than the address resolver does not have,
 * and without it mail for relay_domains would wait in the queue
 */
static void
check_transports(struct check_state *cs, const char *path,
    const struct master_entry *entries, size_t count)
{
	static const char *const pairs[][2] = {
		{ "relay_domains", "relay_transport" },
		{ "virtual_mailbox_domains", "virtual_transport" },
	};
	bool	 have_qmgr = false;
	struct strbuf why;

	for (size_t i = 0; i < count; i++)
		if (strcmp(entries[i].argv.items[0], "qmgr") == 0)
			have_qmgr = true;
	strbuf_init(&why);
	for (size_t p = 0; have_qmgr && p < 2; p++) {
		/* the resolver's parameters, which the table check passed */
		const char *domains = config_value(cs->cfg, pairs[p][0], &why);
		const char *value = config_value(cs->cfg, pairs[p][1], &why);
		size_t	 len;
		bool	 found = false;

		if (domains == NULL || value == NULL)
			continue;
		len = strcspn(value, ":");
		if (domains[strspn(domains, ", \t\r\n")] == '\0' || len == 0 ||
		    (len == 5 && strncmp(value, "error", 5) == 0) ||
		    (len == 5 && strncmp(value, "retry", 5) == 0))
			continue;
		for (size_t i = 0; i < count && !found; i++)
			found = strcmp(entries[i].type, "unix") == 0 &&
			    strlen(entries[i].service) == len &&
			    strncmp(entries[i].service, value, len) == 0;
		if (!found)
			check_problem(cs, "%s: no \"%.*s\" service (unix) for "
			    "%s = %s: mail for %s would wait for it", path,
			    (int)len, value, pairs[p][1], value, pairs[p][0]);
	}
	strbuf_free(&why);
}

/* check_master_cf - the service table parses; its programs exist */
static void
check_master_cf(struct check_state *cs, const char *config_dir)
{
	struct master_entry *entries;
	struct strbuf path, err;
	size_t	 count, i;

	strbuf_init(&path);
	strbuf_init(&err);
	strbuf_printf(&path, "%s/master.cf", config_dir);
	check_program(cs, "master");
	/* a master.cf that does not parse: config_programs_check said why */
	if (master_cf_load(path.data, 100, &entries, &count, &err) == 0) {
		for (i = 0; i < count; i++) {
			if (strchr(entries[i].argv.items[0], '/') != NULL)
				check_problem(cs, "%s:%d: command must be a name "
				    "in daemon_directory", path.data,
				    entries[i].line);
			else
				check_program(cs, entries[i].argv.items[0]);
		}
		check_bounce_service(cs, path.data, entries, count);
		check_transports(cs, path.data, entries, count);
		master_cf_free(entries, count);
	}
	strbuf_free(&err);
	strbuf_free(&path);
}

/* check_dir - one queue directory: exists, owner, mode */
static void
check_dir(struct check_state *cs, const char *name, mode_t mode, bool by_owner,
    bool drop_group)
{
	struct strbuf path;
	struct stat st;

	strbuf_init(&path);
	strbuf_printf(&path, "%s/%s", cs->set.queue_directory, name);
	if (lstat(path.data, &st) < 0) {
		check_problem(cs, "%s: %s", path.data, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		check_problem(cs, "%s is not a directory", path.data);
	} else {
		if ((st.st_mode & 07777) != mode)
			check_problem(cs, "%s has mode %04o, want %04o",
			    path.data, (unsigned)(st.st_mode & 07777),
			    (unsigned)mode);
		if (cs->privileged && by_owner && cs->owner_known &&
		    st.st_uid != cs->owner_uid)
			check_problem(cs, "%s is not owned by mail_owner",
			    path.data);
		if (cs->privileged && !by_owner && st.st_uid != 0)
			check_problem(cs, "%s is not owned by root", path.data);
		if (cs->privileged && drop_group && cs->drop_known &&
		    st.st_gid != cs->drop_gid)
			check_problem(cs, "%s is not in group setgid_group",
			    path.data);
	}
	strbuf_free(&path);
}

/* check_queue - the layout `sluice init` creates */
static void
check_queue(struct check_state *cs)
{
	static const char *const owned[] = {"incoming", "active", "deferred",
	    "hold", "corrupt", "defer", "private", "recycle", NULL};
	size_t	 i;

	check_dir(cs, ".", 0755, false, false);
	for (i = 0; owned[i] != NULL; i++)
		check_dir(cs, owned[i], 0700, true, false);
	check_dir(cs, "maildrop", 01730, true, true);
	check_dir(cs, "public", 0710, true, true);
	check_dir(cs, "pid", 0755, false, false);
}

/*
 * check_space - warn while smtpd, sendmail and sluice-drop would refuse
 * new mail for lack of space in the queue file system (lib/queue/queue_space.h)
 */
static void
check_space(struct check_state *cs)
{
	const char *queue_dir = cs->set.queue_directory;
	struct queue_space_usage usage;
	struct queue_space qs;
	struct strbuf why;
	long	 minfree, limit;

	strbuf_init(&why);
	if (queue_space_init_config(&qs, cs->cfg, queue_dir, &why) != 0)
		msg_panic("check_space: %s", why.data);	/* checked before */
	minfree = qs.minfree;
	limit = qs.size_limit;
	queue_space_free(&qs);
	strbuf_free(&why);
	if (queue_space_measure(queue_dir, NULL, &usage) < 0) {
		if (errno != ENOENT)	/* a missing one: check_queue said so */
			check_problem(cs, "cannot measure free space of %s: %s",
			    queue_dir, strerror(errno));
		return;
	}
	if (queue_space_judge(&usage, minfree, limit, 0) != QUEUE_SPACE_LOW)
		return;
	strbuf_init(&why);
	queue_space_describe(&why, &usage, minfree, limit);
	printf("sluice check: warning: the queue file system of %s is short of "
	    "space: %s: new mail is refused (452 4.3.1) until there is more\n",
	    queue_dir, why.data);
	strbuf_free(&why);
}

/*
 * check_resolver - the address resolver opens as every daemon will open
 * it (its tables, the *_classes words, the interface addresses): a
 * failure here is a daemon that would refuse to start
 */
static void
check_resolver(struct check_state *cs)
{
	const struct config_table *const *before;
	struct resolver *res;
	struct strbuf err;

	strbuf_init(&err);
	/* read as smtpd reads it (and cleanup, qmgr, local, sendmail -bv) */
	before = config_tables_declare(config_program_find("smtpd")->tables);
	if ((res = resolve_open(cs->cfg, &err)) == NULL)
		check_problem(cs, "address resolver: %s", err.data);
	(void)config_tables_declare(before);
	resolve_close(res);
	strbuf_free(&err);
}

/* sluice_check - the command */
int
sluice_check(const struct sluice_opts *opts, int argc, char **argv)
{
	struct check_state cs;
	struct strbuf err, warnings;
	char	*line, *save;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sluice check\n");
		return (2);
	}
	memset(&cs, 0, sizeof(cs));
	cs.privileged = (geteuid() == 0);
	strbuf_init(&err);
	strbuf_init(&warnings);
	if ((cs.cfg = config_read(opts->config_dir, &err)) == NULL) {
		check_problem(&cs, "%s", err.data);
		strbuf_free(&err);
		strbuf_free(&warnings);
		return (1);
	}
	(void)config_programs_check(cs.cfg, opts->config_dir, &warnings, &err);
	for (line = strtok_r(warnings.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		printf("sluice check: warning: %s\n", line);
	for (line = strtok_r(err.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		check_problem(&cs, "%s", line);
	strbuf_free(&warnings);
	strbuf_free(&err);
	if (cs.problems > 0) {
		/* the rest reads values that may be among the broken ones */
		config_free(cs.cfg);
		return (1);
	}
	sluice_settings_read(cs.cfg, &cs.set);
	check_users(&cs);
	check_master_cf(&cs, opts->config_dir);
	check_queue(&cs);
	check_space(&cs);
	check_resolver(&cs);
	sluice_settings_free(&cs.set);
	config_free(cs.cfg);
	if (cs.problems == 0)
		printf("sluice check: ok\n");
	return (cs.problems > 0 ? 1 : 0);
}
