/*
 * queue_recycle - reuse the inodes of delivered queue files.
 *
 * Creating a file allocates an inode and removing one frees it.  On ext4
 * without a journal the inode allocator skips every inode freed in the
 * last minute or so (it reads each one's deletion time), so at a few
 * hundred messages a second queue-file creation becomes the largest cost
 * of the whole MTA (bench/README.md has the profile).  Instead of
 * unlinking a delivered file, qmgr renames it into queue/recycle/ under
 * its inode number; cleanup takes one from there by renaming it into
 * incoming/ under a fresh queue ID and overwrites it.  A rename touches
 * two directory entries and no inode bitmap.
 *
 * Safety: the pool is bounded (QUEUE_RECYCLE_MAX entries, beyond which
 * files are simply removed); a file is taken only when it is a regular
 * file with one link owned by the caller; the rename into incoming/ uses
 * RENAME_NOREPLACE, and the file's mode is set to "being written" (0600)
 * before it becomes visible there, so a half-overwritten file is never
 * mistaken for a complete one.  The name is the inode number: a name can
 * only ever refer to one file while the caller holds that file open, so
 * "open, then rename by name" cannot take a different file than the one
 * checked.  Nothing in recycle/ is ever read as a message; a crash leaves
 * at worst a few spare files there.
 */
#ifndef SLUICE_QUEUE_RECYCLE_H
#define SLUICE_QUEUE_RECYCLE_H

#include <sys/types.h>

#include "queue_id.h"

#define QUEUE_RECYCLE		"recycle"	/* queue subdirectory */
#define QUEUE_RECYCLE_MAX	512		/* files kept at most */

/*
 * queue_recycle_take - a spare file from pool, renamed to subdir/ID under
 * a fresh ID (written to id), mode 0600, opened O_WRONLY at offset 0; its
 * old content is still there (the writer truncates when it finishes).
 * -1 when the pool has nothing usable (missing, empty, or only files that
 * fail the checks): the caller creates a new file as usual.
 */
int	queue_recycle_take(const char *pool, const char *subdir,
	    char id[QUEUE_ID_SIZE]);

/*
 * queue_recycle_put - retire the file at path, whose inode is ino: rename
 * it into pool when there is room, remove it otherwise.  0, or -1 with
 * errno from the unlink (ENOENT when the file is already gone).
 */
int	queue_recycle_put(const char *pool, const char *path, ino_t ino);

#endif
