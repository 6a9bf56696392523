/*
 * config.c - main.cf and master.cf as the master needs them.
 *
 * master_main_load() reads main.cf and derives what the master keeps
 * between reloads (mail_owner ids, the children's environment);
 * master_services_build() turns master.cf into a list of services with
 * their program paths and listen addresses, without opening anything.
 *
 * Parameters: daemon_directory, mail_owner, import_environment,
 * inet_interfaces, default_process_limit.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_log.h"
#include "config_programs.h"
#include "master.h"
#include "mem.h"
#include "msg.h"
#include "sock.h"

extern char **environ;

/* master_import_env - the children's environment from import_environment */
static void
master_import_env(struct master_state *ms)
{
	const struct strlist *names = &ms->set.import_environment;
	const char *value;
	struct strbuf pair;
	size_t	 i;

	strlist_free(&ms->env);
	strlist_init(&ms->env);
	strbuf_init(&pair);
	for (i = 0; i < names->count; i++) {
		if (strchr(names->items[i], '=') != NULL) {
			strlist_add(&ms->env, names->items[i]);
			continue;
		}
		if ((value = getenv(names->items[i])) == NULL)
			continue;
		strbuf_set(&pair, names->items[i]);
		strbuf_putc(&pair, '=');
		strbuf_puts(&pair, value);
		strlist_add(&ms->env, pair.data);
	}
	strbuf_free(&pair);
}

/*
 * master_main_check - the one configuration check (lib/config/config_programs.h)
 * of what is about to be applied.  On reload a problem refuses the new
 * configuration (err), the running one stays.  At start it refuses to
 * start, as postfix start does after postfix check: each problem goes to
 * the terminal (the master has not detached yet) and to the maillog of
 * the configuration it was given, then the master exits 1.
 */
static int
master_main_check(struct master_state *ms, struct config *cfg, bool reload,
    struct strbuf *err, struct strbuf *notes)
{
	struct strbuf problems;
	char	*line, *save;

	strbuf_init(&problems);
	if (config_programs_check(cfg, ms->config_dir, notes, &problems) == 0) {
		strbuf_free(&problems);
		return (0);
	}
	if (reload) {
		strbuf_puts(err, problems.data);
		strbuf_free(&problems);
		return (-1);
	}
	config_log_open("master", cfg);
	master_log_notes(notes);
	for (line = strtok_r(problems.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		msg_error("configuration error: %s", line);
	strbuf_free(&problems);
	msg_fatal("refusing to start: the configuration has errors (see "
	    "sluice check)");
}

/*
 * master_main_load - (re)load main.cf into ms; 0 or -1 + err (ms
 * unchanged).  notes gets the lines to log as warnings once the maillog
 * is open: unknown parameter names.
 */
int
master_main_load(struct master_state *ms, bool reload, struct strbuf *err,
    struct strbuf *notes)
{
	struct config *cfg;
	struct master_settings set;
	struct passwd *pw;
	struct strbuf path, text;
	const char *owner;

	/*
	 * What is checked is what the daemons get: one read of the file.
	 * Parsed only: the one check judges every value, and reports them
	 * all (config_load_text would stop at the first bad number).
	 */
	strbuf_init(&path);
	strbuf_init(&text);
	strbuf_printf(&path, "%s/main.cf", ms->config_dir);
	cfg = NULL;
	if (config_file_text(path.data, &text, err) == 0) {
		cfg = config_new(ms->config_dir);
		if (config_parse_text(cfg, text.data, path.data, err) != 0) {
			config_free(cfg);
			cfg = NULL;
		}
	}
	strbuf_free(&path);
	if (cfg == NULL || master_main_check(ms, cfg, reload, err, notes) < 0) {
		config_free(cfg);
		strbuf_free(&text);
		return (-1);
	}
	memset(&set, 0, sizeof(set));
	if (config_table_read(cfg, master_params, &set, err) > 0) {
		config_table_release(master_params, &set);
		config_free(cfg);
		strbuf_free(&text);
		return (-1);
	}
	owner = set.mail_owner;
	if (ms->privileged) {
		if ((pw = getpwnam(owner)) == NULL) {
			strbuf_printf(err, "mail_owner \"%s\" does not exist", owner);
			config_table_release(master_params, &set);
			config_free(cfg);
			strbuf_free(&text);
			return (-1);
		}
		if (pw->pw_uid == 0) {
			strbuf_printf(err, "mail_owner \"%s\" must not be root",
			    owner);
			config_table_release(master_params, &set);
			config_free(cfg);
			strbuf_free(&text);
			return (-1);
		}
		ms->owner_uid = pw->pw_uid;
		ms->owner_gid = pw->pw_gid;
	} else {
		ms->owner_uid = getuid();
		ms->owner_gid = getgid();
	}
	if (ms->cfg != NULL)
		config_free(ms->cfg);
	ms->cfg = cfg;
	config_table_release(master_params, &ms->set);
	ms->set = set;
	strbuf_free(&ms->main_cf_text);
	ms->main_cf_text = text;
	master_import_env(ms);
	return (0);
}

/* master_log_notes - each line of notes as a warning, then empty it */
void
master_log_notes(struct strbuf *notes)
{
	char	*line, *save;

	if (notes->len == 0)
		return;
	for (line = strtok_r(notes->data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		msg_warn("%s", line);
	strbuf_reset(notes);
}

/* master_inet_addresses - "host|port" for each address an inet service binds */
static int
master_inet_addresses(struct master_state *ms, struct master_service *svc,
    struct strbuf *err)
{
	struct strbuf host, port, pair;
	struct strlist ifaces;
	const char *iface;
	size_t	 i;
	int	 rc = 0;

	strbuf_init(&host);
	strbuf_init(&port);
	strbuf_init(&pair);
	strlist_init(&ifaces);
	if (inet_split_hostport(svc->name, &host, &port) < 0 ||
	    port.len == 0) {
		strbuf_printf(err, "bad inet service address \"%s\"", svc->name);
		rc = -1;
	} else if (host.len > 0) {
		strbuf_printf(&pair, "%s|%s", host.data, port.data);
		strlist_add(&svc->addresses, pair.data);
	} else {
		for (i = 0; i < ms->set.inet_interfaces.count; i++)
			strlist_add(&ifaces, ms->set.inet_interfaces.items[i]);
		if (ifaces.count == 0) {
			strbuf_puts(err, "inet_interfaces is empty");
			rc = -1;
		}
		for (i = 0; rc == 0 && i < ifaces.count; i++) {
			iface = ifaces.items[i];
			if (strcasecmp(iface, "all") == 0)
				iface = "";
			else if (strcasecmp(iface, "loopback-only") == 0 ||
			    strcasecmp(iface, "localhost") == 0)
				iface = "127.0.0.1";
			strbuf_reset(&pair);
			strbuf_printf(&pair, "%s|%s", iface, port.data);
			strlist_add(&svc->addresses, pair.data);
		}
	}
	strlist_free(&ifaces);
	strbuf_free(&pair);
	strbuf_free(&port);
	strbuf_free(&host);
	return (rc);
}

/* master_service_new - one service from a master.cf entry */
static struct master_service *
master_service_new(struct master_state *ms, const struct master_entry *ent,
    struct strbuf *err)
{
	struct master_service *svc;
	struct strbuf path;
	size_t	 i;

	if (ent->argv.count == 0 || strchr(ent->argv.items[0], '/') != NULL ||
	    strcmp(ent->argv.items[0], "..") == 0) {
		strbuf_printf(err, "%s/master.cf:%d: bad command for service %s",
		    ms->config_dir, ent->line, ent->service);
		return (NULL);
	}
	svc = xcalloc(1, sizeof(*svc));
	svc->name = xstrdup(ent->service);
	svc->type = xstrdup(ent->type);
	svc->private_ = ent->private_;
	svc->unpriv = ent->unpriv;
	svc->chroot = ent->chroot;
	svc->wakeup = ent->wakeup;
	svc->maxproc = ent->maxproc;
	svc->status_rd = svc->status_wr = -1;
	strlist_init(&svc->argv);
	strlist_init(&svc->addresses);
	for (i = 0; i < ent->argv.count; i++)
		strlist_add(&svc->argv, ent->argv.items[i]);
	strbuf_init(&path);
	strbuf_printf(&path, "%s/%s", ms->set.daemon_directory,
	    ent->argv.items[0]);
	svc->path = strbuf_detach(&path);
	strbuf_free(&path);

	if (strcmp(svc->type, "inet") == 0) {
		strbuf_init(&path);
		if (master_inet_addresses(ms, svc, &path) < 0) {
			strbuf_printf(err, "%s/master.cf:%d: %s", ms->config_dir,
			    ent->line, path.data);
			strbuf_free(&path);
			master_service_free(svc);
			return (NULL);
		}
		strbuf_free(&path);
	} else if (strcmp(svc->type, "unix") == 0) {
		if (strchr(svc->name, '/') != NULL || svc->name[0] == '.') {
			strbuf_printf(err, "%s/master.cf:%d: bad unix service "
			    "name \"%s\"", ms->config_dir, ent->line, svc->name);
			master_service_free(svc);
			return (NULL);
		}
		strbuf_init(&path);
		strbuf_printf(&path, "%s/%s", svc->private_ ? "private" :
		    "public", svc->name);
		strlist_add(&svc->addresses, path.data);
		strbuf_free(&path);
	} else {
		strbuf_printf(err, "%s/master.cf:%d: unsupported service type "
		    "\"%s\"", ms->config_dir, ent->line, svc->type);
		master_service_free(svc);
		return (NULL);
	}
	return (svc);
}

/* master_services_build - master.cf as a list of (unopened) services */
struct master_service *
master_services_build(struct master_state *ms, struct strbuf *err)
{
	struct master_entry *entries;
	struct master_service *head = NULL, **tail = &head, *svc, *s;
	struct strbuf path;
	size_t	 count, i;

	strbuf_init(&path);
	strbuf_printf(&path, "%s/master.cf", ms->config_dir);
	if (master_cf_load(path.data, (int)ms->set.default_process_limit,
	    &entries, &count, err) < 0) {
		strbuf_free(&path);
		return (NULL);
	}
	for (i = 0; i < count; i++) {
		for (s = head; s != NULL; s = s->next)
			if (strcmp(s->name, entries[i].service) == 0 &&
			    strcmp(s->type, entries[i].type) == 0)
				break;
		if (s != NULL) {
			strbuf_printf(err, "%s:%d: duplicate service %s/%s",
			    path.data, entries[i].line, s->name, s->type);
			svc = NULL;
		} else if ((svc = master_service_new(ms, &entries[i], err)) ==
		    NULL) {
			strbuf_printf(err, " in %s", path.data);
		}
		if (svc == NULL) {
			while ((s = head) != NULL) {
				head = s->next;
				master_service_free(s);
			}
			master_cf_free(entries, count);
			strbuf_free(&path);
			return (NULL);
		}
		*tail = svc;
		tail = &svc->next;
	}
	master_cf_free(entries, count);
	strbuf_free(&path);
	if (head == NULL)
		strbuf_puts(err, "master.cf defines no services");
	return (head);
}

/* master_service_same_listeners - may b take over a's sockets? */
bool
master_service_same_listeners(const struct master_service *a,
    const struct master_service *b)
{
	size_t	 i;

	if (strcmp(a->name, b->name) != 0 || strcmp(a->type, b->type) != 0 ||
	    a->addresses.count != b->addresses.count)
		return (false);
	for (i = 0; i < a->addresses.count; i++)
		if (strcmp(a->addresses.items[i], b->addresses.items[i]) != 0)
			return (false);
	return (true);
}

/* master_service_free - release a service whose descriptors are closed */
void
master_service_free(struct master_service *svc)
{
	free(svc->name);
	free(svc->type);
	free(svc->path);
	free(svc->listen_fds);
	strlist_free(&svc->argv);
	strlist_free(&svc->addresses);
	free(svc);
}
