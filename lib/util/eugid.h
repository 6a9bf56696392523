/*
 * eugid - act as another user for a while, the way Postfix's set_eugid()
 * does: root switches its effective uid and gid (and the group list) to
 * an unprivileged user for file and socket work in a directory that user
 * can write, and switches back afterwards.  The real and saved uid stay
 * root, so the user can neither signal nor trace us meanwhile (the kernel
 * also marks the process non-dumpable on the switch).
 *
 * Rule of the code base: root never runs a path-based chmod, chown,
 * unlink, rename or connect in a directory another user can write; it
 * does that work under eugid_enter() as the owner of the directory, so a
 * planted symbolic link gains the attacker nothing.
 */
#ifndef SLUICE_EUGID_H
#define SLUICE_EUGID_H

#include <stdbool.h>
#include <sys/types.h>

struct eugid_saved {
	bool	 switched;	/* eugid_leave has something to undo */
	uid_t	 euid;
	gid_t	 egid;
	int	 ngroups;
	gid_t	*groups;	/* the group list before the switch */
};

/*
 * eugid_enter - become uid/gid (group list: gid alone) for file access;
 * saved records what eugid_leave restores.  Not root at all: a no-op
 * that succeeds (an unprivileged instance runs everything as its user).
 * uid 0 is refused, and so is a nested enter (real uid root, effective
 * uid already another user: EPERM), which could otherwise go on as the
 * wrong user.  Returns 0, or -1 with errno and nothing changed.
 */
int	eugid_enter(uid_t uid, gid_t gid, struct eugid_saved *saved);

/* eugid_leave - back to what eugid_enter saved; fatal when that fails */
void	eugid_leave(struct eugid_saved *saved);

struct stat;
struct strbuf;

/*
 * eugid_dir_is_roots - st (of the directory name) is a directory that
 * root owns and no one else can write, so root may work in it by name;
 * else false, with the reason for the administrator in why
 */
bool	eugid_dir_is_roots(const char *name, const struct stat *st,
	    struct strbuf *why);

#endif
