/*
 * init_files.c - the text of an instance's main.cf, master.cf and aliases.
 *
 * Kept apart from init.c (which creates directories and checks users) so
 * the defaults an instance starts with can be read in one place.
 */
#include <stdio.h>

#include "init.h"
#include "strbuf.h"

/* init_main_cf - main.cf of a self-contained instance */
void
init_main_cf(struct strbuf *out, const struct init_layout *lay)
{
	strbuf_printf(out,
	    "# main.cf - Sluice instance created by `sluice init`.\n"
	    "# Every parameter is described in sluice.conf(5); only settings\n"
	    "# that differ from the defaults appear here.\n"
	    "\n"
	    "# Where things are.  All paths are absolute: every daemon runs\n"
	    "# in queue_directory (or chrooted to it).\n"
	    "queue_directory = %s/queue\n"
	    "daemon_directory = %s\n"
	    "maillog_file = %s/log/maillog\n"
	    "\n"
	    "# Daemons drop to mail_owner; sluice-drop hands files over via\n"
	    "# setgid_group.  As root these are the system user and group\n"
	    "# \"sluice\"/\"sluicedrop\"; otherwise the user who ran init\n"
	    "# (and privilege steps are skipped).\n"
	    "mail_owner = %s\n"
	    "setgid_group = %s\n"
	    "\n"
	    "# Identity and addresses.\n"
	    "myhostname = %s\n"
	    "inet_interfaces = 127.0.0.1\n"
	    "mynetworks = 127.0.0.0/8 [::1]/128\n"
	    "mydestination = $myhostname, localhost\n"
	    "\n"
	    "# Local recipients.  The aliases source is compiled to\n"
	    "# aliases.lmdb; rebuild after editing it.\n"
	    "alias_maps = lmdb:%s/etc/aliases\n"
	    "# Empty: the demo accepts any local part.  To reject unknown\n"
	    "# local users at RCPT time, list the tables that know them:\n"
	    "#local_recipient_maps = unix:passwd.byname $alias_maps\n"
	    "local_recipient_maps =\n",
	    lay->dir, lay->daemon_dir, lay->dir, lay->owner, lay->group,
	    lay->hostname, lay->dir);
}

/* init_master_cf - the service table of an instance */
void
init_master_cf(struct strbuf *out, const struct init_layout *lay)
{
	strbuf_printf(out,
	    "# master.cf - Sluice service table (see master(8)).\n"
	    "# service  type  private unpriv chroot wakeup maxproc command + args\n"
	    "#          (yes)   (yes)   (no)   (never) (100)\n"
	    "%-8s inet  n       -       y      -       -       smtpd\n"
	    "cleanup  unix  -       -       n      -       0       cleanup\n",
	    lay->port);
}

/* init_aliases - aliases(5) source */
void
init_aliases(struct strbuf *out)
{
	strbuf_puts(out,
	    "# aliases - local address aliases, compiled to aliases.lmdb.\n"
	    "# Format: name: target, target...\n"
	    "postmaster: root\n"
	    "mailer-daemon: postmaster\n"
	    "abuse: postmaster\n");
}
