/*
 * dir_sync - group commit for directory fsyncs, shared by processes.
 *
 * A new directory entry (a queue file renamed into incoming/, a mail
 * renamed into a Maildir's new/) is durable only after an fsync of its
 * directory that began after the entry was made.  One such fsync covers
 * every entry made before it began, whichever process made them, so the
 * processes that add entries to the same directory share their fsyncs
 * through a small table in shared memory (a file the master creates in
 * private/), one slot per directory (device and inode number):
 *
 *	started	the last ticket handed out; a process takes a ticket
 *		right before it calls fsync, so a ticket greater than the
 *		value read after making an entry means an fsync that began
 *		after the entry existed;
 *	done	the highest ticket whose fsync succeeded (failed: failed);
 *	busy	the ticket being synced now, so that one fsync at a time
 *		runs per directory and whoever arrives meanwhile waits for
 *		the next one, which covers them all (the classic leader and
 *		followers of a group commit);
 *	seq	a futex word bumped at each completion.
 *
 * A caller marks right after making its entry (dir_sync_mark), may start
 * an asynchronous fsync at once unless one that covers the mark is done
 * or running (dir_sync_start: cleanup does this before the file's own
 * fsync, so the two run together), and finishes with dir_sync_finish,
 * which returns 0 only once an fsync with a ticket above its mark has
 * succeeded: its own, or another process's.
 *
 * Safety: every race only costs an extra fsync, never a missed one,
 * because the only thing trusted is "a ticket greater than my mark has
 * succeeded", and a ticket is taken before its fsync is called.  A
 * leader that died mid-fsync leaves busy set: followers take over after
 * DIR_SYNC_STALE_MS, and nobody waits longer than DIR_SYNC_WAIT_MS before
 * doing an fsync of its own.  Without the table (not created, wrong
 * owner or format) every finish is a plain fsync, and so is every
 * finish for a directory that finds no slot: slots are claimed for good
 * (DIR_SYNC_SLOTS per master start), so on a server with many Maildirs
 * the first ones delivered to share and the others sync alone.  The
 * table holds only counters: whoever can write it (mail_owner, root) can
 * at worst make a process skip an fsync, which it could cause anyway by
 * removing queue files.  Inside a coroutine (a multi-session cleanup)
 * every fsync goes through AIO, parking only the calling session, and a
 * wait for another's fsync is a nap of DIR_SYNC_NAP_MS at a time, epoll
 * being unable to watch a futex.
 */
#ifndef SLUICE_DIR_SYNC_H
#define SLUICE_DIR_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "async_fsync.h"

#define DIR_SYNC_TABLE		"private/dirsync"	/* under the queue directory */
#define DIR_SYNC_SLOTS		1024
#define DIR_SYNC_PROBES		32
#define DIR_SYNC_STALE_MS	200
#define DIR_SYNC_WAIT_MS	2000
#define DIR_SYNC_HOT_US		5000	/* marks this close: a busy directory */
#define DIR_SYNC_NAP_MS		1	/* a coroutine's wait for another's fsync */

struct dir_sync_slot;

/* one pending directory entry of the calling process */
struct dir_sync {
	struct dir_sync_slot *slot;	/* NULL: a plain fsync at the finish */
	int	 dirfd;			/* the caller's; open until the finish */
	uint64_t seen;			/* started, read after the entry was made */
	uint64_t ticket;		/* ours, while syncing asynchronously */
	bool	 leading;		/* ticket holds busy */
	bool	 hot;			/* another lingering mark came just before */
	long	 linger_us;		/* see dir_sync_linger */
	struct async_fsync aio;
};

/*
 * dir_sync_table_create - a new, empty table at path (the master, at
 * start), owner uid:gid, mode 0600, replacing whatever was there: slots
 * are never freed, so each master start begins with all of them (a
 * process of an earlier master still using the old file only shares
 * with others that have it).  0, or -1 (errno).
 */
int	dir_sync_table_create(const char *path, uid_t uid, gid_t gid);

/*
 * dir_sync_table_open - map the table for this process: 0, or -1 (errno)
 * and every later finish is a plain fsync.  The file must be a regular
 * file of the right size and format, owned by the caller's effective uid
 * or (for root) by owner_uid.
 */
int	dir_sync_table_open(const char *path, uid_t owner_uid);

/* dir_sync_mark - the caller has just made an entry in directory dirfd */
void	dir_sync_mark(struct dir_sync *ds, int dirfd);

/*
 * dir_sync_linger - right after the mark: before leading an fsync of a
 * busy directory (another lingering caller's mark less than
 * DIR_SYNC_HOT_US before this one), wait up to usec for
 * more entries to be made, so that the fsync covers them too.  For
 * callers whose wait is not on anybody's critical path (local, whose
 * client already has its 250); cleanup does not linger.
 */
void	dir_sync_linger(struct dir_sync *ds, long usec);

/*
 * dir_sync_start - start an asynchronous fsync now, unless one that covers
 * the mark has succeeded or is running: as the leader when nobody syncs,
 * else beside the running one (which began before the mark), so that
 * the caller's wait never holds two fsyncs in a row.
 */
void	dir_sync_start(struct dir_sync *ds);

/*
 * dir_sync_finish - 0 once an fsync of the directory that began after the
 * mark has succeeded, or -1 with errno from the caller's own fsync.  Also
 * what abandons a mark (a lead started must be reaped and published).
 */
int	dir_sync_finish(struct dir_sync *ds);

/* dir_sync_abandon - forget the mark (reaping and publishing a lead) */
void	dir_sync_abandon(struct dir_sync *ds);

/*
 * dir_sync_parent - fsync the directory that holds path, alone, for a
 * rename or create outside the queue (a table, a config file, an
 * instance's files) where no group commit is worth it; 0, or -1 with
 * errno when the directory cannot be opened or synced
 */
int	dir_sync_parent(const char *path);

/* dir_sync_fsyncs - directory fsyncs this process has issued (tests) */
unsigned long dir_sync_fsyncs(void);

/* dir_sync_naps - waits of a coroutine for another's fsync (tests) */
unsigned long dir_sync_naps(void);

#endif
