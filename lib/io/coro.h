/*
 * coro - cooperative coroutines, so that one process can run many
 * sessions written as plain blocking code.
 *
 * A daemon in multi-session mode (lib/service/service.c, process_session_limit
 * above 1) runs each accepted connection's serve() in a coroutine with
 * its own stack.  Every place in lib/ that waits for a descriptor calls
 * coro_poll() instead of poll(): outside a coroutine that is poll() on
 * one descriptor; inside one it parks the coroutine and returns to the
 * scheduler, which polls all parked coroutines (and the caller's own
 * descriptors) at once.  Switches happen only there, so code between two
 * waits runs alone: static buffers and the one-threaded libraries stay
 * safe, and nothing needs a lock.  What must never happen inside a
 * coroutine is a wait that does not go through coro_poll (it would hold
 * every session of the process).  The caller's own descriptors (the
 * listening sockets, say) are watched with coro_watch and come back
 * from coro_schedule when ready.
 *
 * Stacks are mmap'ed with a guard page below them and kept for reuse;
 * only the pages a session touches become resident.
 */
#ifndef SLUICE_CORO_H
#define SLUICE_CORO_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#define CORO_STACK_SIZE	(512 * 1024)	/* virtual; resident as touched */

typedef void (*coro_fn)(void *arg);

/*
 * coro_start - run fn(arg) in a new coroutine right away, until its first
 * wait or its end.  0, or -1 (no memory for a stack; errno set).
 */
int	coro_start(coro_fn fn, void *arg);

/* coro_active - true inside a coroutine */
bool	coro_active(void);

/* coro_count - coroutines started and not finished */
size_t	coro_count(void);

/*
 * coro_poll - wait until fd has one of events or timeout_ms passes (< 0:
 * no limit).  Returns 1 (revents, if not NULL, set), 0 on timeout, -1 on
 * error (errno).  fd < 0 just sleeps.
 */
int	coro_poll(int fd, short events, int timeout_ms, short *revents);

/*
 * coro_watch - have coro_schedule report fd (the caller's, not waited on
 * by any coroutine) for events until coro_unwatch; errors and hang-ups
 * always count.  0, or -1 (errno; EINVAL: already watched, or too many).
 * Closing a watched descriptor without coro_unwatch leaves a stale slot:
 * unwatch first.
 */
int	coro_watch(int fd, short events);
void	coro_unwatch(int fd);

/*
 * coro_schedule - one round of the scheduler: wait at most timeout_ms (<
 * 0: no limit) for the parked coroutines' descriptors and deadlines and
 * for the watched descriptors, then resume every coroutine whose
 * descriptor is ready or whose time is up.  The watched descriptors that
 * are ready are written to ready[0..max-1] (fd and revents).  Returns
 * their number, or -1 (errno).
 */
int	coro_schedule(struct pollfd *ready, size_t max, int timeout_ms);

#endif
