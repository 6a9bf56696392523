/*
 * eugid - temporary effective identity; see eugid.h.
 *
 * The order matters: the group list and the gid change while we are
 * still root (afterwards we could not), the uid last; going back, the uid
 * first, for the same reason.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eugid.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"

/* eugid_enter - see eugid.h */
int
eugid_enter(uid_t uid, gid_t gid, struct eugid_saved *saved)
{
	int	 n, saved_errno;

	memset(saved, 0, sizeof(*saved));
	if (geteuid() != 0) {
		/* root already switched (a nested enter) must not go on as is */
		if (getuid() == 0) {
			errno = EPERM;
			return (-1);
		}
		return (0);
	}
	if (uid == 0) {
		errno = EPERM;
		return (-1);
	}
	saved->euid = geteuid();
	saved->egid = getegid();
	if ((n = getgroups(0, NULL)) < 0)
		return (-1);
	saved->groups = xcalloc((size_t)n + 1, sizeof(gid_t));
	if ((saved->ngroups = getgroups(n, saved->groups)) < 0) {
		saved_errno = errno;
		free(saved->groups);
		saved->groups = NULL;
		errno = saved_errno;
		return (-1);
	}
	if (setgroups(1, &gid) < 0 || setegid(gid) < 0 || seteuid(uid) < 0) {
		saved_errno = errno;
		saved->switched = true;
		eugid_leave(saved);
		errno = saved_errno;
		return (-1);
	}
	saved->switched = true;
	return (0);
}

/* eugid_leave - see eugid.h */
void
eugid_leave(struct eugid_saved *saved)
{
	if (!saved->switched)
		return;
	if (seteuid(saved->euid) < 0 || setegid(saved->egid) < 0 ||
	    setgroups((size_t)saved->ngroups, saved->groups) < 0)
		msg_fatal("cannot restore privileges: %s", strerror(errno));
	free(saved->groups);
	saved->groups = NULL;
	saved->switched = false;
}

/* eugid_dir_is_roots - a directory root may work in by name */
bool
eugid_dir_is_roots(const char *name, const struct stat *st,
    struct strbuf *why)
{
	if (S_ISDIR(st->st_mode) && st->st_uid == 0 &&
	    (st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return (true);
	strbuf_printf(why, "%s must be a directory owned by root and writable "
	    "only by root (it is uid %ld mode %04o): root works in it by name",
	    name, (long)st->st_uid, (unsigned)(st->st_mode & 07777));
	return (false);
}
