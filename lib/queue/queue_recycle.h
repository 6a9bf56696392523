/*
 * queue_recycle - reuse the inodes of delivered queue files.
 *
 * Creating a file allocates an inode and removing one frees it.  On ext4
 * without a journal the inode allocator skips every inode freed in the
 * last minute (six while its inode-table block is dirty), reading each
 * one's deletion time, so at a few hundred messages a second queue-file
 * creation becomes the largest cost of the whole MTA (bench/README.md
 * has the profile).  Instead of unlinking a delivered file, qmgr renames
 * it into queue/recycle/ under its inode number; cleanup takes one from
 * there by renaming it into incoming/ under a fresh queue ID and
 * overwrites it.  A rename touches two directory entries and no inode
 * bitmap.
 *
 * The pool is sized for a backlog, not for the steady state: when more
 * messages are in flight than the pool holds (a burst, a destination
 * down for a while) cleanup creates new files, and when they drain qmgr
 * would unlink the surplus, so every burst would both free and allocate
 * thousands of inodes (a third of all queue files at 500 sessions with a
 * 1,024-file pool, most of cleanup's time then going to the inode scan).
 * So the pool keeps up to QUEUE_RECYCLE_MAX inodes, but only the first
 * QUEUE_RECYCLE_FULL of them keep their blocks.
 *
 * Safety: the pool is bounded (QUEUE_RECYCLE_MAX entries, beyond which
 * files are simply removed; a file longer than QUEUE_RECYCLE_KEEP, or any
 * file put while the pool already holds QUEUE_RECYCLE_FULL, is cut to
 * nothing first, so the pool holds at most 32 MiB of old content, and
 * only its inode is what is being saved); put() sets the mode to "being
 * written" (0600) first, before it cuts the file or moves it into the
 * pool, so a recycled file never shows up in incoming/ looking complete,
 * and a put() cut short by a crash leaves, at its old place, a file at
 * mode 0600 (whole or cut) that its owner knows to be finished: qmgr
 * removes such a file from active/ instead of offering it again, and
 * sluice-super -s does the same; a file is taken only
 * when it is a regular file with one link, owned by the caller and at
 * mode 0600, and
 * the taker changes nothing before its RENAME_NOREPLACE into incoming/
 * has claimed the file (a process that lost the race for the same inode
 * must not touch what is by then somebody's message), and it learns the
 * file's size only after that rename (before it, the inode may still go
 * through a whole message and back into the pool under the same name).
 * The name is the inode number: a name can only ever refer to one file
 * while the caller holds that file open, so "open, then rename by name"
 * cannot take a different file than the one checked.  Nothing in
 * recycle/ is ever read as a message; a crash leaves at worst a few
 * spare files there.
 */
#ifndef SLUICE_QUEUE_RECYCLE_H
#define SLUICE_QUEUE_RECYCLE_H

#include <sys/types.h>

#include "queue_id.h"

#define QUEUE_RECYCLE		"recycle"	/* queue subdirectory */
#define QUEUE_RECYCLE_MAX	8192		/* files kept at most */
#define QUEUE_RECYCLE_FULL	1024		/* of which keep their blocks */
#define QUEUE_RECYCLE_KEEP	(32 * 1024)	/* bytes a spare file keeps */

/*
 * queue_recycle_take - a spare file from pool, renamed to subdir/ID under
 * a fresh ID (written to id), mode 0600, opened O_WRONLY at offset 0; its
 * old content is still there (*old_size bytes: the writer truncates when
 * it finishes, if the new message is shorter).
 * -1 when the pool has nothing usable (missing, empty, or only files that
 * fail the checks): the caller creates a new file as usual.
 */
int	queue_recycle_take(const char *pool, const char *subdir,
	    char id[QUEUE_ID_SIZE], off_t *old_size);

/*
 * queue_recycle_put - retire the file at path, open as fd (for its inode
 * number, the mode change and the truncation of a long file, so open for
 * writing): mode 0600 and into pool when there is room, removed
 * otherwise.  0, or -1 with errno from the unlink (ENOENT
 * when the file is already gone).
 */
int	queue_recycle_put(const char *pool, const char *path, int fd);

#endif
