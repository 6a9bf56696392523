/*
 * async_fsync - start an fsync now, wait for it later (see async_fsync.h).
 *
 * One kernel AIO context per process, set up on first use.  Completions
 * may arrive for other requests than the one being waited for (an
 * abandoned one, or several outstanding): they are kept in a small ring
 * by sequence number until their owner asks.  The wait blocks the whole
 * process; the daemons that use it serve one message at a time.
 */
#include <sys/syscall.h>

#include <errno.h>
#include <linux/aio_abi.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "async_fsync.h"

#define AIO_EVENTS	32
#define DONE_RING	64

static aio_context_t aio_ctx;
static int aio_state;		/* 0 untried, 1 usable, -1 unavailable */
static uint64_t aio_seq;
static struct {
	uint64_t seq;
	int	 result;
} done_ring[DONE_RING];
static unsigned done_next;

/* aio_ready - set up the context once */
static bool
aio_ready(void)
{
	if (aio_state == 0)
		aio_state = syscall(SYS_io_setup, AIO_EVENTS, &aio_ctx) == 0 ? 1 : -1;
	return (aio_state > 0);
}

/* async_fsync_start - see async_fsync.h */
void
async_fsync_start(struct async_fsync *a, int fd)
{
	struct iocb cb, *cbs[1];

	memset(a, 0, sizeof(*a));
	a->fd = fd;
	if (!aio_ready())
		return;
	memset(&cb, 0, sizeof(cb));
	a->seq = ++aio_seq;
	cb.aio_data = a->seq;
	cb.aio_lio_opcode = IOCB_CMD_FSYNC;
	cb.aio_fildes = (uint32_t)fd;
	cbs[0] = &cb;
	/* the kernel copies the control block: a stack copy is fine */
	if (syscall(SYS_io_submit, aio_ctx, 1L, cbs) == 1)
		a->started = true;
}

/* record - keep a completion for whoever waits for it */
static void
record(uint64_t seq, int result)
{
	done_ring[done_next % DONE_RING].seq = seq;
	done_ring[done_next % DONE_RING].result = result;
	done_next++;
}

/* take - a recorded completion for seq, if any */
static bool
take(uint64_t seq, int *result)
{
	for (unsigned i = 0; i < DONE_RING; i++) {
		if (done_ring[i].seq == seq && seq != 0) {
			*result = done_ring[i].result;
			done_ring[i].seq = 0;
			return (true);
		}
	}
	return (false);
}

/* async_fsync_wait - see async_fsync.h */
int
async_fsync_wait(struct async_fsync *a)
{
	struct io_event ev[AIO_EVENTS];
	long	 n;

	if (!a->started) {
		a->done = true;
		return (fsync(a->fd));
	}
	while (!a->done) {
		if (take(a->seq, &a->result)) {
			a->done = true;
			break;
		}
		n = syscall(SYS_io_getevents, aio_ctx, 1L, (long)AIO_EVENTS, ev,
		    (struct timespec *)NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* the context is broken: a plain fsync still answers */
			a->done = true;
			return (fsync(a->fd));
		}
		for (long i = 0; i < n; i++)
			record(ev[i].data, ev[i].res < 0 ? (int)-ev[i].res : 0);
	}
	if (a->result != 0) {
		errno = a->result;
		return (-1);
	}
	return (0);
}
