/*
 * queue_scan - walk the message queues the way the queue tools do.
 *
 * showq lists the queues and sluice-super changes them; both need the same
 * few steps: the queue names in their fixed order, the sorted entries of a
 * queue directory (bounded, so a flooded queue cannot exhaust memory), the
 * queue that holds a given ID, and a safe open of one entry (no symbolic
 * links, no blocking on a FIFO, regular files only).  Paths are relative
 * to the current directory, which is the queue directory.
 */
#ifndef SLUICE_QUEUE_SCAN_H
#define SLUICE_QUEUE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "strbuf.h"
#include "strlist.h"

#define QUEUE_MAILDROP	"maildrop"
#define QUEUE_INCOMING	"incoming"
#define QUEUE_ACTIVE	"active"
#define QUEUE_DEFERRED	"deferred"
#define QUEUE_HOLD	"hold"
#define QUEUE_CORRUPT	"corrupt"

#define QUEUE_SCAN_LIMIT	1000000		/* entries per directory */

/* The message queues in listing order (maildrop first), NULL-ended. */
extern const char *const queue_scan_all[];

/* queue_scan_is_queue - is name one of queue_scan_all */
bool	queue_scan_is_queue(const char *name);

/*
 * queue_scan_dir - append the names in subdir, sorted (IDs sort by time),
 * without "." and "..", to names.  ids_only: only valid queue IDs.  At
 * most limit names (*truncated, if not NULL, tells whether some were left
 * out).  Returns 0, or -1 with err filled when the directory cannot be read.
 */
int	queue_scan_dir(const char *subdir, bool ids_only, size_t limit,
	    struct strlist *names, bool *truncated, struct strbuf *err);

/*
 * queue_scan_find - the first queue of queues (NULL-ended) that has a
 * directory entry named id, or NULL.
 */
const char *queue_scan_find(const char *const *queues, const char *id);

/*
 * queue_scan_absent - id is in none of queues, for sure: every lookup
 * said ENOENT.  A lookup that failed otherwise (EIO, EACCES) may hide
 * the message, and whoever removes what belongs to a message (its defer
 * log) must not take that for its absence.
 */
bool	queue_scan_absent(const char *const *queues, const char *id);

/*
 * queue_scan_open - open subdir/name with flags | O_NOFOLLOW | O_NONBLOCK
 * | O_CLOEXEC; refuse anything but a regular file (ELOOP for a symbolic
 * link, EINVAL for other non-regular files and names with a '/').  st
 * (may be NULL) gets its fstat.  Returns the fd or -1 with errno (ENOENT:
 * it vanished meanwhile).
 */
int	queue_scan_open(const char *subdir, const char *name, int flags,
	    struct stat *st);

#endif
