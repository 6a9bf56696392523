/*
 * init_files.c - the text of an instance's main.cf, master.cf, aliases
 * and vmailbox.
 *
 * Kept apart from init.c (which creates directories and checks users) so
 * the defaults an instance starts with can be read in one place.  The
 * demo is a working mail server for one virtual mailbox domain,
 * example.test: its mailboxes are not system users, every Maildir under
 * DIR/mail belongs to one fixed uid (mail_owner's), and local mail for
 * postmaster is aliased there, so `make run` delivers somewhere a user
 * can look without creating accounts.
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
	    "# Relay control.  The built-in default ends in\n"
	    "# defer_unauth_destination, as Postfix's does: a relay attempt\n"
	    "# gets 454, so mail a mistake in mynetworks or relay_domains\n"
	    "# refuses is retried rather than bounced.  A server whose\n"
	    "# settings are tested refuses it for good (554):\n"
	    "smtpd_relay_restrictions = permit_mynetworks,\n"
	    "    permit_sasl_authenticated, reject_unauth_destination\n"
	    "\n"
	    "# Local recipients.  The aliases source is compiled to\n"
	    "# aliases.lmdb; rebuild after editing it (sluice-map, newaliases).\n"
	    "alias_maps = lmdb:%s/etc/aliases\n"
	    "# Empty: the demo accepts any local part at RCPT time, so that\n"
	    "# mail to a name that is neither a system user nor an alias is\n"
	    "# taken in and then bounced by local(8), which shows the bounce\n"
	    "# path; and a test instance needs no system accounts.  To reject\n"
	    "# unknown local users at RCPT time instead, list the tables that\n"
	    "# know them:\n"
	    "#local_recipient_maps = unix:passwd.byname $alias_maps\n"
	    "local_recipient_maps =\n"
	    "\n"
	    "# The virtual mailbox domain " INIT_VIRTUAL_DOMAIN ": mailboxes\n"
	    "# that are not system users.  vmailbox maps each address to its\n"
	    "# Maildir (trailing '/') under virtual_mailbox_base; smtpd rejects\n"
	    "# addresses it does not list.  Every mailbox belongs to one uid/gid\n"
	    "# (mail_owner's here).  Rebuild vmailbox.lmdb after editing.\n"
	    "virtual_mailbox_domains = " INIT_VIRTUAL_DOMAIN "\n"
	    "virtual_mailbox_base = %s/mail\n"
	    "virtual_mailbox_maps = lmdb:%s/etc/vmailbox\n"
	    "virtual_uid_maps = static:%lu\n"
	    "virtual_gid_maps = static:%lu\n",
	    lay->dir, lay->daemon_dir, lay->dir, lay->owner, lay->group,
	    lay->hostname, lay->dir, lay->dir, lay->dir,
	    (unsigned long)lay->owner_uid, (unsigned long)lay->owner_gid);
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
	    "# per-client session counts and rates for all smtpd processes\n"
	    "anvil    unix  -       -       y      -       1       anvil\n"
	    "# one smtpd process holds smtpd_process_session_limit sessions,\n"
	    "# so cleanup is limited too (Postfix: 0, as its smtpd count is)\n"
	    "cleanup  unix  -       -       n      -       -       cleanup\n"
	    "qmgr     unix  n       -       n      300     1       qmgr\n"
	    "# bounces and delay warnings, written for qmgr\n"
	    "bounce   unix  -       -       n      -       -       bounce\n"
	    "pickup   unix  n       -       n      60      1       pickup\n"
	    "showq    unix  n       -       n      -       -       showq\n"
	    "# local(8) starts as root and takes the recipient's identity for\n"
	    "# each delivery; the same program serves the virtual domains.\n"
	    "local    unix  -       n       n      -       -       local\n"
	    "virtual  unix  -       n       n      -       -       local\n"
	    "smtp     unix  -       -       n      -       -       smtp\n"
	    "# relay_domains go out through relay_transport (relay)\n"
	    "relay    unix  -       -       n      -       -       smtp\n"
	    "lmtp     unix  -       -       n      -       -       smtp\n",
	    lay->port);
}

/* init_aliases - aliases(5) source */
void
init_aliases(struct strbuf *out)
{
	strbuf_puts(out,
	    "# aliases - local address aliases, compiled to aliases.lmdb.\n"
	    "# Format: name: target, target...\n"
	    "# Mail for postmaster (RFC 5321) and the role addresses of\n"
	    "# RFC 2142 ends in the demo's virtual mailbox.\n"
	    "postmaster: postmaster@" INIT_VIRTUAL_DOMAIN "\n"
	    "root: postmaster\n"
	    "mailer-daemon: postmaster\n"
	    "abuse: postmaster\n");
}

/* init_vmailbox - virtual_mailbox_maps source: address, Maildir path */
void
init_vmailbox(struct strbuf *out)
{
	strbuf_puts(out,
	    "# vmailbox - the virtual mailboxes, compiled to vmailbox.lmdb.\n"
	    "# Format: address  path/under/virtual_mailbox_base/ (a trailing\n"
	    "# '/' means Maildir).  local(8) creates a missing Maildir.\n"
	    "postmaster@" INIT_VIRTUAL_DOMAIN "\t" INIT_VIRTUAL_DOMAIN
	    "/postmaster/\n"
	    "user@" INIT_VIRTUAL_DOMAIN "\t" INIT_VIRTUAL_DOMAIN "/user/\n");
}
