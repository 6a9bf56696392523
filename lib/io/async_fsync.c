/*
 * async_fsync - start an fsync now, wait for it later (see async_fsync.h).
 *
 * One kernel AIO context per process, set up on first use.  Completions
 * may arrive for other requests than the one being waited for (an
 * abandoned one, or several outstanding): whoever reaps them keeps them
 * in a list by sequence number until their owner asks.  Outside a
 * coroutine the wait blocks the process in io_getevents.  A request
 * started inside a coroutine gets an eventfd of its own that the kernel
 * signals at its completion, and its wait parks the coroutine on it
 * (lib/io/coro.h).  Its own, because a shared one does not work: a
 * coroutine that drained a shared eventfd and reaped could take the
 * signal of a completion whose owner parked after the scheduler's round
 * had picked whom to wake, leaving that owner asleep on a count of zero
 * with its result already in the list.  With one eventfd per request
 * only the owner drains it, and once it is signalled the result is in
 * the kernel's ring or in the list.
 */
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include <errno.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "async_fsync.h"
#include "coro.h"
#include "mem.h"

/* requests in flight at once; past it, the wait falls back to fsync() */
#define AIO_EVENTS	256

static aio_context_t aio_ctx;
static int aio_state;		/* 0 untried, 1 usable, -1 unavailable */
static uint64_t aio_seq;

/* completions reaped and not yet claimed by their waiter */
static struct reaped {
	uint64_t seq;
	int	 result;
} *reaped;
static size_t reaped_count, reaped_cap;

/* aio_ready - set up the context once */
static bool
aio_ready(void)
{
	if (aio_state == 0)
		aio_state = syscall(SYS_io_setup, AIO_EVENTS, &aio_ctx) == 0 ?
		    1 : -1;
	return (aio_state > 0);
}

/* close_eventfd - the request's eventfd is no longer needed */
static void
close_eventfd(struct async_fsync *a)
{
	if (a->efd >= 0) {
		(void)close(a->efd);
		a->efd = -1;
	}
}

/* async_fsync_start - see async_fsync.h */
void
async_fsync_start(struct async_fsync *a, int fd)
{
	struct iocb cb, *cbs[1];

	memset(a, 0, sizeof(*a));
	a->fd = fd;
	a->efd = -1;
	if (!aio_ready())
		return;
	memset(&cb, 0, sizeof(cb));
	a->seq = ++aio_seq;
	cb.aio_data = a->seq;
	cb.aio_lio_opcode = IOCB_CMD_FSYNC;
	cb.aio_fildes = (uint32_t)fd;
	if (coro_active() &&
	    (a->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0) {
		cb.aio_flags = IOCB_FLAG_RESFD;
		cb.aio_resfd = (uint32_t)a->efd;
	}
	cbs[0] = &cb;
	/* the kernel copies the control block: a stack copy is fine */
	if (syscall(SYS_io_submit, aio_ctx, 1L, cbs) == 1)
		a->started = true;
	else
		close_eventfd(a);
}

/* record - keep a completion for whoever waits for it */
static void
record(uint64_t seq, int result)
{
	if (reaped_count == reaped_cap) {
		reaped_cap = reaped_cap ? 2 * reaped_cap : 16;
		reaped = xrealloc(reaped, reaped_cap * sizeof(*reaped));
	}
	reaped[reaped_count].seq = seq;
	reaped[reaped_count].result = result;
	reaped_count++;
}

/* take - a recorded completion for seq, if any */
static bool
take(uint64_t seq, int *result)
{
	for (size_t i = 0; i < reaped_count; i++) {
		if (reaped[i].seq == seq) {
			*result = reaped[i].result;
			reaped[i] = reaped[--reaped_count];
			return (true);
		}
	}
	return (false);
}

/*
 * reap - collect completions: at least one, blocking the process, or
 * (park) whatever is there now.  The number reaped, or -1 (errno).
 */
static long
reap(bool park)
{
	struct io_event ev[32];
	struct timespec zero = { 0, 0 };
	long	 n;

	n = syscall(SYS_io_getevents, aio_ctx, park ? 0L : 1L, 32L, ev,
	    park ? &zero : (struct timespec *)NULL);
	for (long i = 0; i < n; i++)
		record(ev[i].data, ev[i].res < 0 ? (int)-ev[i].res : 0);
	return (n);
}

/*
 * wait_parked - park the coroutine until the request's eventfd is
 * signalled, and drain it; 0, or -1 (errno)
 */
static int
wait_parked(struct async_fsync *a)
{
	uint64_t count;

	if (coro_poll(a->efd, POLLIN, -1, NULL) < 0)
		return (-1);
	if (read(a->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return (-1);
	return (0);
}

/* async_fsync_wait - see async_fsync.h */
int
async_fsync_wait(struct async_fsync *a)
{
	bool	 park = a->efd >= 0 && coro_active();
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
		if ((n = reap(park)) == 0 && park && wait_parked(a) < 0)
			n = -1;
		if (n < 0 && errno != EINTR) {
			/* the context is broken: a plain fsync still answers */
			close_eventfd(a);
			a->done = true;
			return (fsync(a->fd));
		}
	}
	close_eventfd(a);
	if (a->result != 0) {
		errno = a->result;
		return (-1);
	}
	return (0);
}

/* async_fsync_run - see async_fsync.h */
int
async_fsync_run(int fd)
{
	struct async_fsync a;

	if (!coro_active())
		return (fsync(fd));
	async_fsync_start(&a, fd);
	return (async_fsync_wait(&a));
}
