/*
 * privs - whose identity a delivery runs with.
 *
 * The agent runs as root only to become someone else.  Mailbox and file
 * writes switch the effective uid/gid (and the group list) to the owner
 * for the duration of the write and switch back afterwards (lib/util/eugid.h,
 * the one implementation of that switch); the real and saved uid stay
 * root, which also keeps the owner from signalling or tracing us
 * meanwhile.  One switch at a time: a second enter before the leave is
 * refused, never taken as the first user.  Commands run in a child that gives up root for
 * good (local_privs_apply_child) before it execs anything.  Not started as
 * root (a test instance of an ordinary user), every switch is a no-op.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eugid.h"
#include "local.h"
#include "msg.h"

/* what local_privs_leave restores; one switch at a time */
static struct eugid_saved privs_saved;

/* fill - copy a passwd entry, refusing ones that do not fit */
static int
fill(const struct passwd *pw, struct local_privs *out)
{
	memset(out, 0, sizeof(*out));
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	if (snprintf(out->user, sizeof(out->user), "%s", pw->pw_name) >=
	    (int)sizeof(out->user) ||
	    snprintf(out->home, sizeof(out->home), "%s", pw->pw_dir) >=
	    (int)sizeof(out->home))
		return (-1);
	snprintf(out->shell, sizeof(out->shell), "%s",
	    pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
	return (0);
}

/* local_privs_lookup - a system user by name; -1 when unknown */
int
local_privs_lookup(const char *name, struct local_privs *out)
{
	struct passwd *pw;

	if (*name == 0 || strlen(name) >= sizeof(out->user))
		return (-1);
	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		return (-1);
	return (fill(pw, out));
}

/* local_privs_from_uid - identity for a uid (a file's owner) */
int
local_privs_from_uid(uid_t uid, gid_t gid, struct local_privs *out)
{
	struct passwd *pw;

	if ((pw = getpwuid(uid)) != NULL && fill(pw, out) == 0) {
		out->gid = gid;
		return (0);
	}
	memset(out, 0, sizeof(*out));
	out->uid = uid;
	out->gid = gid;
	snprintf(out->user, sizeof(out->user), "#%ld", (long)uid);
	snprintf(out->home, sizeof(out->home), "/");
	snprintf(out->shell, sizeof(out->shell), "/bin/sh");
	return (0);
}

/* local_privs_enter - become p for file access; 0 or -1 (still root) */
int
local_privs_enter(struct local_daemon *d, const struct local_privs *p)
{
	if (!d->privileged)
		return (0);
	if (p->uid == 0) {
		msg_warn("refusing to write as root");
		return (-1);
	}
	if (eugid_enter(p->uid, p->gid, &privs_saved) < 0) {
		msg_warn("cannot switch to uid %ld gid %ld: %s", (long)p->uid,
		    (long)p->gid, strerror(errno));
		return (-1);
	}
	return (0);
}

/* local_privs_leave - back to root */
void
local_privs_leave(struct local_daemon *d)
{
	if (!d->privileged)
		return;
	eugid_leave(&privs_saved);
}

/* local_privs_apply_child - become p irreversibly (command children) */
int
local_privs_apply_child(const struct local_privs *p)
{
	if (geteuid() != 0)
		return (0);
	if (p->uid == 0)
		return (-1);
	if (setgroups(1, &p->gid) < 0 || setgid(p->gid) < 0 ||
	    setuid(p->uid) < 0)
		return (-1);
	if (setuid(0) == 0 || geteuid() != p->uid || getegid() != p->gid)
		return (-1);
	return (0);
}
