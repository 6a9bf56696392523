/*
 * async_fsync - start an fsync now, wait for it later.
 *
 * cleanup makes a queue file's directory entry durable with an fsync of
 * incoming/.  That entry exists from the moment the file is created (or
 * renamed in from the recycle pool), long before the message content
 * has arrived, so the directory fsync can run while the client is still
 * sending: it is started right after the entry is made and only waited
 * for at the end, after the file's own fsync.  The 250 reply still comes
 * only after both have completed, and the directory fsync began after
 * the entry was made, so the guarantee is the same as fsyncing the
 * directory at the end; the wait just disappears from the critical path.
 *
 * Built on the kernel's native AIO (IOCB_CMD_FSYNC, Linux 4.18 and
 * later) through raw system calls, so a daemon stays single-threaded.
 * Where that is unavailable, async_fsync_wait() does a plain fsync.
 * A request started inside a coroutine (lib/io/coro.h) is waited for by
 * parking only the calling coroutine, so that a multi-session daemon
 * (cleanup) keeps serving its other sessions while a session's fsync
 * runs; one started outside is waited for by blocking the process.
 */
#ifndef SLUICE_ASYNC_FSYNC_H
#define SLUICE_ASYNC_FSYNC_H

#include <stdbool.h>
#include <stdint.h>

struct async_fsync {
	int	 fd;		/* kept open by the caller until the wait */
	int	 efd;		/* started in a coroutine: signalled when done */
	bool	 started;	/* submitted to the kernel */
	bool	 done;
	int	 result;	/* 0, or an errno value */
	uint64_t seq;		/* matches the completion event */
};

/*
 * async_fsync_start - begin fsync(fd); never fails (see the wait).  Every
 * start must be waited for (the wait also releases what it holds).
 */
void	async_fsync_start(struct async_fsync *a, int fd);

/*
 * async_fsync_wait - the result of the fsync begun by start: 0, or -1
 * with errno.  Falls back to fsync(fd) when it could not be submitted.
 */
int	async_fsync_wait(struct async_fsync *a);

/*
 * async_fsync_run - fsync(fd): a plain one outside a coroutine, started
 * and waited for as above inside one.  0, or -1 with errno.
 */
int	async_fsync_run(int fd);

#endif
