/*
 * coro - cooperative coroutines on ucontext (see coro.h for the model).
 *
 * The scheduler is whoever calls coro_schedule(): it runs on the
 * process's own stack, and each coroutine switches back to it when it
 * waits or ends.  A round polls every parked coroutine's descriptor in
 * one poll(2) (several coroutines may wait on the same descriptor, which
 * an epoll set could not hold), then resumes the ready and the timed-out
 * ones.  Under AddressSanitizer every switch is announced with the
 * fiber-switch hooks, so ASan knows which stack is live.
 */
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
	long long	 deadline;	/* monotonic ms; LLONG_MAX: none */
	bool		 waiting, timed_out, done;
	void		*asan_fake;	/* ASan's fake stack while parked */
	struct coro	*next_free;
};

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

/* now_ms - monotonic milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

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
	co->deadline = timeout_ms < 0 ? LLONG_MAX : now_ms() + timeout_ms;
	co->timed_out = false;
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

/* coro_schedule - see coro.h */
int
coro_schedule(struct pollfd *extra, size_t n, int timeout_ms)
{
	static struct pollfd *pfd;
	static struct coro **owner, **ready;
	static size_t cap;
	long long now = now_ms(), first = LLONG_MAX;
	size_t	 count = 0, nready = 0;
	int	 rc, caller_ready = 0, wait;

	if (current != NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (n + live_count > cap) {
		cap = (n + live_count) * 2;
		pfd = xrealloc(pfd, cap * sizeof(*pfd));
		owner = xrealloc(owner, cap * sizeof(*owner));
		ready = xrealloc(ready, cap * sizeof(*ready));
	}
	for (size_t i = 0; i < n; i++) {
		pfd[count] = extra[i];
		pfd[count].revents = 0;
		owner[count++] = NULL;
	}
	for (size_t i = 0; i < live_count; i++) {
		struct coro *co = live[i];

		if (!co->waiting)
			continue;
		if (co->deadline < first)
			first = co->deadline;
		if (co->fd < 0)
			continue;
		pfd[count].fd = co->fd;
		pfd[count].events = co->events;
		pfd[count].revents = 0;
		owner[count++] = co;
	}
	wait = timeout_ms;
	if (first != LLONG_MAX) {
		long long left = first > now ? first - now : 0;

		if (wait < 0 || left < wait)
			wait = left > INT_MAX ? INT_MAX : (int)left;
	}
	rc = poll(pfd, count, wait);
	if (rc < 0 && errno != EINTR)
		return (-1);
	now = now_ms();
	for (size_t i = 0; i < n; i++) {
		extra[i].revents = rc > 0 ? pfd[i].revents : 0;
		if (extra[i].revents)
			caller_ready++;
	}
	for (size_t i = n; rc > 0 && i < count; i++) {
		if (pfd[i].revents && owner[i]->waiting && owner[i]->revents == 0) {
			owner[i]->revents = pfd[i].revents;
			ready[nready++] = owner[i];
		}
	}
	for (size_t i = 0; i < live_count; i++) {
		struct coro *co = live[i];

		if (co->waiting && co->revents == 0 && co->deadline <= now) {
			co->timed_out = true;
			ready[nready++] = co;
		}
	}
	for (size_t i = 0; i < nready; i++)
		resume(ready[i]);
	return (caller_ready);
}
