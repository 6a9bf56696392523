/*
 * coro - cooperative coroutines on ucontext (see coro.h for the model).
 *
 * The scheduler is whoever calls coro_schedule(): it runs on the
 * process's own stack, and each coroutine switches back to it when it
 * waits or ends.  Waits go through one epoll set, so that a round costs
 * what is ready, not what is parked (poll(2) over a hundred sessions
 * was 5% of the machine at 500 sessions).  A descriptor is in the set
 * exactly while some coroutine waits on it: several coroutines may wait
 * on one descriptor (a shared DNS socket), so each descriptor has a list
 * of waiters and is registered for the union of their events; it leaves
 * the set before any of them resumes, while it is certainly still open.
 * The caller's own descriptors (coro_watch) stay in the set until
 * coro_unwatch.  Under AddressSanitizer every switch is announced with
 * the fiber-switch hooks, so ASan knows which stack is live.
 */
#include <sys/epoll.h>
#include <sys/mman.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "clock.h"
#include "coro.h"
#include "mem.h"
#include "msg.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN	1
#else
#define CORO_ASAN	0
#endif

#define CORO_FREE_MAX	64	/* finished coroutines kept for their stack */

struct coro {
	ucontext_t	 ctx;
	char		*map;		/* guard page + stack */
	size_t		 map_len;
	coro_fn		 fn;
	void		*arg;
	int		 fd;		/* waited for, or -1 */
	short		 events, revents;
	struct coro	*next_waiter;	/* on the same descriptor */
	long long	 deadline;	/* monotonic ms; LLONG_MAX: none */
	bool		 waiting, timed_out, done;
	void		*asan_fake;	/* ASan's fake stack while parked */
	struct coro	*next_free;
};

/* the waiters on one descriptor, indexed by its number */
struct fd_waiters {
	struct coro	*head;
	bool		 in_set;	/* registered with the epoll set */
	uint32_t	 events;	/* for these */
};

#define WATCH_MAX	16
#define WATCH_TAG	(1ULL << 62)	/* epoll data of a watched descriptor */

static int epoll_fd = -1;
static struct fd_waiters *waiters;
static size_t waiters_cap;
static int watched[WATCH_MAX];		/* the caller's own (coro_watch) */
static size_t watched_count;

static ucontext_t sched_ctx;
static struct coro *current;
static struct coro **live;
static size_t live_count, live_cap;
static struct coro *free_list;
static size_t free_count;
#if CORO_ASAN
static void *sched_fake;
static const void *sched_stack_lo;
static size_t sched_stack_len;
#endif

/* stack_lo - the usable stack, above the guard page */
static void *
stack_lo(const struct coro *co)
{
	return (co->map + sysconf(_SC_PAGESIZE));
}

/* asan_enter - about to switch from the scheduler into co */
static void
asan_enter(struct coro *co)
{
#if CORO_ASAN
	__sanitizer_start_switch_fiber(&sched_fake, stack_lo(co), CORO_STACK_SIZE);
#else
	(void)co;
#endif
}

/* asan_back_in_scheduler - the switch back has happened */
static void
asan_back_in_scheduler(void)
{
#if CORO_ASAN
	__sanitizer_finish_switch_fiber(sched_fake, NULL, NULL);
#endif
}

/* asan_leave - co is about to switch to the scheduler (ending: no return) */
static void
asan_leave(struct coro *co, bool ending)
{
#if CORO_ASAN
	__sanitizer_start_switch_fiber(ending ? NULL : &co->asan_fake,
	    sched_stack_lo, sched_stack_len);
#else
	(void)co;
	(void)ending;
#endif
}

/* asan_back_in_coro - co runs again (or for the first time) */
static void
asan_back_in_coro(struct coro *co)
{
#if CORO_ASAN
	__sanitizer_finish_switch_fiber(co->asan_fake, &sched_stack_lo,
	    &sched_stack_len);
#else
	(void)co;
#endif
}

/* trampoline - a coroutine's whole life; returning resumes uc_link */
static void
trampoline(void)
{
	struct coro *co = current;

	asan_back_in_coro(co);
	co->fn(co->arg);
	co->done = true;
	asan_leave(co, true);
}

/* coro_alloc - a coroutine with a stack: a kept one, or a new mapping */
static struct coro *
coro_alloc(void)
{
	struct coro *co;
	long	 page = sysconf(_SC_PAGESIZE);

	if ((co = free_list) != NULL) {
		free_list = co->next_free;
		free_count--;
		return (co);
	}
	co = xcalloc(1, sizeof(*co));
	co->map_len = (size_t)page + CORO_STACK_SIZE;
	co->map = mmap(NULL, co->map_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (co->map == MAP_FAILED) {
		free(co);
		return (NULL);
	}
	/* the guard page turns a stack overflow into a clean crash */
	if (mprotect(co->map, (size_t)page, PROT_NONE) < 0) {
		munmap(co->map, co->map_len);
		free(co);
		return (NULL);
	}
	return (co);
}

/* coro_release - keep a finished coroutine's stack, or unmap it */
static void
coro_release(struct coro *co)
{
	for (size_t i = 0; i < live_count; i++) {
		if (live[i] == co) {
			live[i] = live[--live_count];
			break;
		}
	}
	if (free_count < CORO_FREE_MAX) {
		co->next_free = free_list;
		free_list = co;
		free_count++;
		return;
	}
	munmap(co->map, co->map_len);
	free(co);
}

/* resume - run co until it waits or ends */
static void
resume(struct coro *co)
{
	current = co;
	asan_enter(co);
	if (swapcontext(&sched_ctx, &co->ctx) < 0)
		msg_fatal("swapcontext: %s", strerror(errno));
	asan_back_in_scheduler();
	current = NULL;
	if (co->done)
		coro_release(co);
}

/*
 * coro_prepare - a fresh context that enters trampoline on co's stack.
 * Its own function: getcontext returns twice, and the caller's locals
 * must not live across that.
 */
static void __attribute__((noinline))
coro_prepare(struct coro *co)
{
	if (getcontext(&co->ctx) < 0)
		msg_fatal("getcontext: %s", strerror(errno));
	co->ctx.uc_stack.ss_sp = stack_lo(co);
	co->ctx.uc_stack.ss_size = CORO_STACK_SIZE;
	co->ctx.uc_link = &sched_ctx;
	makecontext(&co->ctx, trampoline, 0);
}

/* coro_start - see coro.h */
int
coro_start(coro_fn fn, void *arg)
{
	struct coro *co;

	if (current != NULL) {
		errno = EINVAL;		/* no nesting: only the scheduler starts */
		return (-1);
	}
	if ((co = coro_alloc()) == NULL)
		return (-1);
	co->fn = fn;
	co->arg = arg;
	co->fd = -1;
	co->waiting = co->timed_out = co->done = false;
	co->asan_fake = NULL;
	coro_prepare(co);
	if (live_count == live_cap) {
		live_cap = live_cap ? live_cap * 2 : 16;
		live = xrealloc(live, live_cap * sizeof(*live));
	}
	live[live_count++] = co;
	resume(co);
	return (0);
}

/* coro_active - see coro.h */
bool
coro_active(void)
{
	return (current != NULL);
}

/* coro_count - see coro.h */
size_t
coro_count(void)
{
	return (live_count);
}

/* epoll_set - the process's epoll instance, made on first use */
static int
epoll_set(void)
{
	if (epoll_fd < 0 && (epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return (-1);
	return (epoll_fd);
}

/* waiters_union - the events the waiters on fd want together */
static uint32_t
waiters_union(int fd)
{
	uint32_t all = 0;

	for (struct coro *w = waiters[fd].head; w != NULL; w = w->next_waiter)
		all |= (uint32_t)w->events;
	return (all);
}

/*
 * waiters_update - bring fd's registration in line with its waiters;
 * 0, or -1 (errno) when the kernel refused the descriptor
 */
static int
waiters_update(int fd)
{
	struct fd_waiters *fw = &waiters[fd];
	struct epoll_event ev;
	uint32_t want = waiters_union(fd);

	if (fw->head == NULL) {
		if (fw->in_set)
			(void)epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
		fw->in_set = false;
		return (0);
	}
	if (fw->in_set && fw->events == want)
		return (0);
	memset(&ev, 0, sizeof(ev));
	ev.events = want;		/* errors and hang-ups come anyway */
	ev.data.u64 = (uint64_t)fd;
	if (epoll_ctl(epoll_fd, fw->in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
	    &ev) < 0)
		return (-1);
	fw->in_set = true;
	fw->events = want;
	return (0);
}

/* waiter_add - park co on its descriptor; -1 (errno) if epoll refuses it */
static int
waiter_add(struct coro *co)
{
	int	 fd = co->fd;

	if (epoll_set() < 0)
		return (-1);
	if ((size_t)fd >= waiters_cap) {
		size_t cap = waiters_cap ? waiters_cap : 64;

		while (cap <= (size_t)fd)
			cap *= 2;
		waiters = xrealloc(waiters, cap * sizeof(*waiters));
		memset(waiters + waiters_cap, 0,
		    (cap - waiters_cap) * sizeof(*waiters));
		waiters_cap = cap;
	}
	co->next_waiter = waiters[fd].head;
	waiters[fd].head = co;
	if (waiters_update(fd) < 0) {
		waiters[fd].head = co->next_waiter;
		return (-1);
	}
	return (0);
}

/* waiter_remove - co stops waiting (woken, or out of time) */
static void
waiter_remove(struct coro *co)
{
	struct coro **pp;

	if (co->fd < 0 || (size_t)co->fd >= waiters_cap)
		return;
	for (pp = &waiters[co->fd].head; *pp != NULL; pp = &(*pp)->next_waiter)
		if (*pp == co) {
			*pp = co->next_waiter;
			break;
		}
	(void)waiters_update(co->fd);
}

/* coro_poll - see coro.h */
int
coro_poll(int fd, short events, int timeout_ms, short *revents)
{
	struct coro *co = current;
	struct pollfd pfd;
	int	 n;

	/* a zero timeout is a readiness probe: no reason to switch */
	if (co == NULL || timeout_ms == 0) {
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, timeout_ms);
		if (n > 0 && revents != NULL)
			*revents = pfd.revents;
		return (n);
	}
	co->fd = fd;
	co->events = events;
	co->revents = 0;
	co->deadline = timeout_ms < 0 ? LLONG_MAX : clock_monotonic_ms() + timeout_ms;
	co->timed_out = false;
	if (fd >= 0 && waiter_add(co) < 0) {
		/* not pollable by epoll (a regular file): poll says ready */
		if (errno != EPERM)
			return (-1);
		co->fd = -1;
		if (revents != NULL)
			*revents = events & (POLLIN | POLLOUT);
		return (1);
	}
	co->waiting = true;
	asan_leave(co, false);
	if (swapcontext(&co->ctx, &sched_ctx) < 0)
		msg_fatal("swapcontext: %s", strerror(errno));
	asan_back_in_coro(co);
	co->waiting = false;
	if (co->timed_out)
		return (0);
	if (revents != NULL)
		*revents = co->revents;
	return (1);
}

/* watched_find - the slot of a watched descriptor, or -1 */
static int
watched_find(int fd)
{
	for (size_t i = 0; i < watched_count; i++)
		if (watched[i] == fd)
			return ((int)i);
	return (-1);
}

/* coro_watch - see coro.h */
int
coro_watch(int fd, short events)
{
	struct epoll_event ev;

	if (watched_find(fd) >= 0 || watched_count == WATCH_MAX || fd < 0) {
		errno = EINVAL;
		return (-1);
	}
	if (epoll_set() < 0)
		return (-1);
	memset(&ev, 0, sizeof(ev));
	ev.events = (uint32_t)events;
	ev.data.u64 = WATCH_TAG | (uint64_t)fd;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return (-1);
	watched[watched_count++] = fd;
	return (0);
}

/* coro_unwatch - see coro.h */
void
coro_unwatch(int fd)
{
	int	 i = watched_find(fd);

	if (i < 0)
		return;
	(void)epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	watched[i] = watched[--watched_count];
}

/* wake_waiters - the waiters on fd that revents concerns become ready */
static size_t
wake_waiters(int fd, short revents, struct coro **ready, size_t nready)
{
	struct coro **pp = &waiters[fd].head, *co;

	while ((co = *pp) != NULL) {
		short mine = revents & (co->events | POLLERR | POLLHUP | POLLNVAL);

		if (mine == 0 || !co->waiting || co->revents != 0) {
			pp = &co->next_waiter;
			continue;
		}
		*pp = co->next_waiter;
		co->revents = mine;
		ready[nready++] = co;
	}
	(void)waiters_update(fd);
	return (nready);
}

/* coro_schedule - see coro.h */
int
coro_schedule(struct pollfd *out, size_t max, int timeout_ms)
{
	static struct epoll_event *events;
	static struct coro **ready;
	static size_t cap;
	long long now = clock_monotonic_ms(), first = LLONG_MAX;
	size_t	 nready = 0, nout = 0;
	int	 rc, wait;

	if (current != NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (epoll_set() < 0)
		return (-1);
	if (live_count + WATCH_MAX > cap) {
		cap = (live_count + WATCH_MAX) * 2;
		events = xrealloc(events, cap * sizeof(*events));
		ready = xrealloc(ready, cap * sizeof(*ready));
	}
	for (size_t i = 0; i < live_count; i++)
		if (live[i]->waiting && live[i]->deadline < first)
			first = live[i]->deadline;
	wait = timeout_ms;
	if (first != LLONG_MAX) {
		long long left = first > now ? first - now : 0;

		if (wait < 0 || left < wait)
			wait = left > INT_MAX ? INT_MAX : (int)left;
	}
	rc = epoll_wait(epoll_fd, events, (int)cap, wait);
	if (rc < 0 && errno != EINTR)
		return (-1);
	now = clock_monotonic_ms();
	for (int i = 0; i < rc; i++) {
		uint64_t tag = events[i].data.u64;
		short	 rev = (short)(events[i].events & 0xffff);

		if (tag & WATCH_TAG) {
			if (nout < max) {
				out[nout].fd = (int)(tag & ~WATCH_TAG);
				out[nout].events = 0;
				out[nout++].revents = rev;
			}
		} else if (tag < waiters_cap)
			nready = wake_waiters((int)tag, rev, ready, nready);
	}
	for (size_t i = 0; i < live_count; i++) {
		struct coro *co = live[i];

		if (co->waiting && co->revents == 0 && co->deadline <= now) {
			waiter_remove(co);
			co->timed_out = true;
			ready[nready++] = co;
		}
	}
	for (size_t i = 0; i < nready; i++)
		resume(ready[i]);
	return ((int)nout);
}
