/*
 * flow - in-flow control through one shared page (see flow.h).
 *
 * The page holds the credit count and the number of sleepers.  A taker
 * that finds no credit sleeps on the count with FUTEX_WAIT (shared, not
 * private: the page is mapped by many processes); a giver wakes one
 * sleeper only when there is one, so the common case, credits to spare,
 * costs one compare-and-swap and no system call.  The sleeper registers
 * before it sleeps and sleeps only while the count is still what it saw,
 * so a credit given in between is never missed.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/futex.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "flow.h"

#define FLOW_MAGIC	0x736c7569636566ULL	/* "sluicef" */
#define FLOW_PAGE_SIZE	4096

struct flow_page {
	uint64_t	 magic;
	_Atomic int	 credits;	/* the futex word */
	_Atomic int	 window;
	_Atomic int	 sleepers;
};

static struct flow_page *page;

/* futex - the raw call; glibc has no wrapper */
static long
futex(_Atomic int *word, int op, int val, const struct timespec *timeout)
{
	return (syscall(SYS_futex, (int *)word, op, val, timeout, NULL, 0));
}

/* flow_create - see flow.h */
int
flow_create(int window)
{
	struct flow_page *p;
	int	 fd;

	if ((fd = memfd_create("sluice-flow", MFD_CLOEXEC)) < 0)
		return (-1);
	if (ftruncate(fd, FLOW_PAGE_SIZE) < 0 ||
	    (p = mmap(NULL, FLOW_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0)) == MAP_FAILED) {
		close(fd);
		return (-1);
	}
	p->magic = FLOW_MAGIC;
	atomic_store(&p->window, window > 0 ? window : 0);
	atomic_store(&p->credits, window > 0 ? window : 0);
	atomic_store(&p->sleepers, 0);
	munmap(p, FLOW_PAGE_SIZE);
	return (fd);
}

/* flow_attach - see flow.h */
bool
flow_attach(int fd)
{
	struct flow_page *p;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != FLOW_PAGE_SIZE)
		return (false);
	p = mmap(NULL, FLOW_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return (false);
	if (p->magic != FLOW_MAGIC) {
		munmap(p, FLOW_PAGE_SIZE);
		return (false);
	}
	if (page != NULL)
		munmap(page, FLOW_PAGE_SIZE);
	page = p;
	close(fd);
	return (true);
}

/* flow_reset - see flow.h */
void
flow_reset(int window)
{
	if (page == NULL)
		return;
	if (window < 0)
		window = 0;
	atomic_store(&page->window, window);
	atomic_store(&page->credits, window);
	if (atomic_load(&page->sleepers) > 0)
		(void)futex(&page->credits, FUTEX_WAKE, INT32_MAX, NULL);
}

/* flow_give - see flow.h */
void
flow_give(void)
{
	int	 c;

	if (page == NULL)
		return;
	c = atomic_load(&page->credits);
	do {
		if (c >= atomic_load(&page->window))
			return;
	} while (!atomic_compare_exchange_weak(&page->credits, &c, c + 1));
	if (atomic_load(&page->sleepers) > 0)
		(void)futex(&page->credits, FUTEX_WAKE, 1, NULL);
}

/* remaining - time left until deadline, false when none */
static bool
remaining(const struct timespec *deadline, struct timespec *left)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left->tv_sec = deadline->tv_sec - now.tv_sec;
	left->tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += 1000000000L;
	}
	return (left->tv_sec > 0 || (left->tv_sec == 0 && left->tv_nsec > 0));
}

/* flow_take - see flow.h */
bool
flow_take(long max_wait_ms)
{
	struct timespec deadline, left;
	int	 c;

	if (page == NULL)
		return (false);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += max_wait_ms / 1000;
	deadline.tv_nsec += (max_wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (;;) {
		c = atomic_load(&page->credits);
		while (c > 0)
			if (atomic_compare_exchange_weak(&page->credits, &c, c - 1))
				return (true);
		if (max_wait_ms <= 0 || !remaining(&deadline, &left))
			return (false);
		if (coro_active()) {
			/* a futex sleep would hold the process's other sessions */
			(void)coro_poll(-1, 0, FLOW_NAP_MS, NULL);
			continue;
		}
		atomic_fetch_add(&page->sleepers, 1);
		(void)futex(&page->credits, FUTEX_WAIT, c, &left);
		atomic_fetch_sub(&page->sleepers, 1);
	}
}

/* flow_credits - see flow.h */
int
flow_credits(void)
{
	return (page == NULL ? -1 : atomic_load(&page->credits));
}
