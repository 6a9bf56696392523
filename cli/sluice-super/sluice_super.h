/*
 * sluice-super - internal interface between the command line (main.c),
 * the per-message operations (ops.c) and the structure repair (repair.c).
 */
#ifndef SLUICE_SUPER_H
#define SLUICE_SUPER_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "eugid.h"

enum super_op {
	SUPER_DELETE,		/* -d */
	SUPER_HOLD,		/* -h */
	SUPER_RELEASE,		/* -H */
	SUPER_REQUEUE,		/* -r */
	SUPER_OP_COUNT,
};

struct super_state {
	struct config	*cfg;
	/* read through sluice_super_params (params.c) */
	char		*mail_owner;
	char		*queue_directory;
	char		*qmgr_service_name;
	bool		 privileged;	/* euid 0: ownership can be fixed */
	bool		 have_owner;	/* mail_owner resolved */
	uid_t		 owner_uid;
	gid_t		 owner_gid;
	struct eugid_saved as_owner;	/* root runs as mail_owner (main.c) */
	const char	*const *queues;	/* named on the command line, or NULL */
	long		 count[SUPER_OP_COUNT];	/* messages affected */
	bool		 changed;	/* poke qmgr at the end */
	bool		 new_mail;	/* something went to incoming/ */
};

/* super_report - "sluice-super: text" on stderr and the same in the log */
void	super_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * super_apply - run op on one ID, on "ALL" (every message of the queues)
 * or on "-" (IDs read from standard input, one per line).
 */
void	super_apply(struct super_state *st, enum super_op op, const char *arg);

/* super_repair - -s: check and repair the queue structure */
void	super_repair(struct super_state *st);

/*
 * super_as_root - run fn(arg) with root's identity again, errno kept;
 * returns fn's result.  Not privileged: fn runs as is.  fn must not work
 * by name in a queue directory (except open with O_NOFOLLOW).
 */
int	super_as_root(struct super_state *st, int (*fn)(void *), void *arg);

#endif
