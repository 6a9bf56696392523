/*
 * local - the local and virtual delivery agent.
 *
 * A one-connection-at-a-time service under the master, running as root
 * (master.cf unpriv column "n") so that it can take each recipient's
 * identity for the write; it never writes mail as root.  qmgr keeps its
 * connection open for many requests (lib/mail/deliver_request.h); request.c
 * serves them until EOF.  The same program serves private/local (system
 * users of the local domains, aliases, .forward) and private/virtual
 * (virtual mailbox domains); the recipient's address class, as the
 * resolver (lib/resolve.h) gives it, decides.
 *
 * Parameters read: alias_maps, allow_mail_to_commands, allow_mail_to_files,
 * cleanup_service_name, command_time_limit, default_privs,
 * duplicate_filter_limit, forward_path,
 * home_mailbox, ipc_timeout, mail_owner, mail_spool_directory,
 * mailbox_delivery_lock, mailbox_size_limit, myhostname,
 * owner_request_special, prepend_delivered_header, virtual_gid_maps,
 * virtual_mailbox_base, virtual_mailbox_limit, virtual_mailbox_maps,
 * virtual_minimum_uid, virtual_uid_maps; the resolver's (mydestination,
 * virtual_mailbox_domains, virtual_alias_maps, recipient_delimiter...).
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config_programs.h"
#include "config.h"
#include "dir_sync.h"
#include "local.h"
#include "mem.h"
#include "msg.h"
#include "service.h"
#include "strbuf.h"
#include "strlist.h"

/* class_mask - "alias, forward, include" style list to bits */
static unsigned
class_mask(const struct strlist *list, const char *name,
    const char *const *words, const unsigned *bits)
{
	unsigned mask = 0;

	for (size_t i = 0; i < list->count; i++) {
		size_t	 w;

		for (w = 0; words[w] != NULL; w++)
			if (strcasecmp(list->items[i], words[w]) == 0)
				break;
		if (words[w] == NULL)
			msg_warn("%s: unknown class \"%s\" ignored", name,
			    list->items[i]);
		else
			mask |= bits[w];
	}
	return (mask);
}

/* open_alias_maps - each table with the owner of its file */
static void
open_alias_maps(struct local_daemon *d)
{
	const struct strlist *specs = &d->p.alias_maps;
	struct strbuf err, path;
	struct stat st;

	strbuf_init(&err);
	strbuf_init(&path);
	d->alias_maps = xcalloc(specs->count + 1, sizeof(*d->alias_maps));
	for (size_t i = 0; i < specs->count; i++) {
		struct local_alias_map *am = &d->alias_maps[d->alias_count];
		const char *spec = specs->items[i];

		if ((am->map = map_open(spec, &err)) == NULL)
			msg_fatal("alias_maps: %s", err.data);
		/* Files and commands in a table run as its owner (not root). */
		am->uid = 0;
		am->gid = 0;
		if (strncmp(spec, "lmdb:", 5) == 0) {
			strbuf_set(&path, spec + 5);
			strbuf_puts(&path, ".lmdb");
			if (stat(path.data, &st) == 0) {
				am->uid = st.st_uid;
				am->gid = st.st_gid;
			}
		}
		d->alias_count++;
	}
	strbuf_free(&err);
	strbuf_free(&path);
}

/* local_post_jail - read the parameters and open the tables */
static void
local_post_jail(struct service_context *ctx)
{
	static const char *const classes[] = { "alias", "forward", "include", NULL };
	static const unsigned class_bits[] = { LOCAL_CLASS_ALIAS,
	    LOCAL_CLASS_FORWARD, LOCAL_CLASS_INCLUDE };
	static const char *const hdrs[] = { "command", "file", "forward", NULL };
	static const unsigned hdr_bits[] = { LOCAL_HDR_COMMAND, LOCAL_HDR_FILE,
	    LOCAL_HDR_FORWARD };
	struct local_daemon *d = xcalloc(1, sizeof(*d));
	struct config *cfg = ctx->cfg;
	struct local_params *p = &d->p;
	struct passwd *pw;
	struct strbuf path;

	tzset();
	/*
	 * What sluice check refuses is fatal here: qmgr defers the mail
	 * (no local) and logs why.
	 */
	strbuf_init(&path);
	if (config_table_read(cfg, local_params, d, &path) > 0)
		config_table_fatal(&path);
	strbuf_reset(&path);
	d->service_name = ctx->service_name;
	d->privileged = ctx->privileged;
	strbuf_printf(&path, "private/%s", p->cleanup_service_name);
	p->cleanup_path = strbuf_detach(&path);
	strbuf_free(&path);
	p->lock_fcntl = strlist_contains_ci(&p->delivery_lock, "fcntl");
	p->lock_dotlock = strlist_contains_ci(&p->delivery_lock, "dotlock");
	p->allow_commands = class_mask(&p->allow_mail_to_commands,
	    "allow_mail_to_commands", classes, class_bits);
	p->allow_files = class_mask(&p->allow_mail_to_files,
	    "allow_mail_to_files", classes, class_bits);
	p->prepend_delivered = class_mask(&p->prepend_delivered_header,
	    "prepend_delivered_header", hdrs, hdr_bits);
	pw = getpwnam(p->mail_owner);
	p->mail_owner_uid = pw != NULL ? pw->pw_uid : (uid_t)-1;

	/* shared Maildir new/ fsyncs; without the table each syncs alone */
	if (dir_sync_table_open(DIR_SYNC_TABLE, p->mail_owner_uid) < 0)
		msg_warn("%s: %s (each delivery syncs its directory alone)",
		    DIR_SYNC_TABLE, strerror(errno));
	open_alias_maps(d);
	strbuf_init(&path);
	if ((d->resolver = resolve_open(cfg, &path)) == NULL)
		msg_fatal("%s", path.data);
	strbuf_free(&path);
	umask(077);
	ctx->app = d;
}

/* local_serve_cb - the skeleton's per-connection callback */
static void
local_serve_cb(struct service_context *ctx, int client_fd)
{
	local_serve(ctx->app, client_fd);
}

static const struct service_ops local_ops = {
	.program = "local",
	.tables = local_tables,
	.post_jail = local_post_jail,
	.serve = local_serve_cb,
};

/* main - hand the local callbacks to the service skeleton */
int
main(int argc, char **argv)
{
	service_main(argc, argv, &local_ops);
}
