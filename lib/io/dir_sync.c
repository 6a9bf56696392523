/*
 * dir_sync - group commit for directory fsyncs, shared by processes; the
 * protocol and its safety argument are in dir_sync.h.
 *
 * The slot words are C11 atomics in a MAP_SHARED file mapping (lock-free
 * 64-bit atomics are address-free on the platforms Sluice runs on), and
 * followers sleep on the slot's seq word with a shared (not private)
 * futex, so a leader in one process wakes followers in the others.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "coro.h"
#include "dir_sync.h"
#include "mem.h"

/* the probe sequence's odd steps cover the table only at a power of two */
_Static_assert((DIR_SYNC_SLOTS & (DIR_SYNC_SLOTS - 1)) == 0,
    "DIR_SYNC_SLOTS must be a power of two");

#define DIR_SYNC_MAGIC		0x32434e5953524944ULL	/* "DIRSYNC2" */

struct dir_sync_slot {
	_Atomic uint64_t key;		/* hash of dev and ino; 0 = free */
	_Atomic uint64_t dev;
	_Atomic uint64_t ino;
	_Atomic uint32_t ready;		/* dev and ino are written */
	_Atomic uint32_t seq;		/* futex word: bumped per completion */
	_Atomic uint64_t started;
	_Atomic uint64_t done;
	_Atomic uint64_t failed;
	_Atomic uint64_t busy;
	_Atomic uint64_t busy_since;	/* CLOCK_MONOTONIC ms */
	_Atomic uint64_t last_mark;	/* CLOCK_MONOTONIC us */
};

struct dir_sync_table {
	uint64_t magic;
	uint64_t slot_count;
	uint64_t slot_size;
	uint64_t pad;
	struct dir_sync_slot slots[DIR_SYNC_SLOTS];
};

static struct dir_sync_table *table;
static unsigned long fsync_count;
static unsigned long naps;		/* a coroutine's sleeps for lack of a futex */

/* table_valid - the header says this is our format and size */
static bool
table_valid(const struct dir_sync_table *t)
{
	return (t->magic == DIR_SYNC_MAGIC && t->slot_count == DIR_SYNC_SLOTS &&
	    t->slot_size == sizeof(struct dir_sync_slot));
}

/* header_matches - read the header of an open file; true when valid */
static bool
header_matches(int fd)
{
	struct dir_sync_table head;

	return (pread(fd, &head, offsetof(struct dir_sync_table, slots), 0) ==
	    (ssize_t)offsetof(struct dir_sync_table, slots) && table_valid(&head));
}

/* dir_sync_table_create - see dir_sync.h */
int
dir_sync_table_create(const char *path, uid_t uid, gid_t gid)
{
	struct dir_sync_table head;
	int	 fd, saved;

	/* Whatever is there goes; a process still using it keeps its map. */
	if (unlink(path) < 0 && errno != ENOENT)
		return (-1);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return (-1);
	memset(&head, 0, sizeof(head));
	head.magic = DIR_SYNC_MAGIC;
	head.slot_count = DIR_SYNC_SLOTS;
	head.slot_size = sizeof(struct dir_sync_slot);
	if (ftruncate(fd, (off_t)sizeof(struct dir_sync_table)) < 0 ||
	    pwrite(fd, &head, offsetof(struct dir_sync_table, slots), 0) !=
	    (ssize_t)offsetof(struct dir_sync_table, slots) ||
	    (geteuid() == 0 && fchown(fd, uid, gid) < 0) ||
	    fchmod(fd, 0600) < 0) {
		saved = errno;
		close(fd);
		(void)unlink(path);
		errno = saved;
		return (-1);
	}
	return (close(fd));
}

/* dir_sync_table_open - see dir_sync.h */
int
dir_sync_table_open(const char *path, uid_t owner_uid)
{
	struct stat st;
	void	*map;
	int	 fd;

	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return (-1);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != (off_t)sizeof(struct dir_sync_table) ||
	    (st.st_uid != geteuid() && !(geteuid() == 0 && st.st_uid == owner_uid)) ||
	    !header_matches(fd)) {
		close(fd);
		errno = EINVAL;
		return (-1);
	}
	map = mmap(NULL, sizeof(struct dir_sync_table), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return (-1);
	if (table != NULL)
		munmap(table, sizeof(*table));
	table = map;
	return (0);
}

/* slot_key - never 0, which marks a free slot */
static uint64_t
slot_key(uint64_t dev, uint64_t ino)
{
	uint64_t h = dev * 0x9e3779b97f4a7c15ULL ^ ino;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return (h | 1);
}

/*
 * slot_find - the slot of directory dirfd, claiming a free one; NULL when
 * the table is missing or full around the key, or a fresh claim by
 * another process is not complete yet (a plain fsync does then).
 */
static struct dir_sync_slot *
slot_find(int dirfd)
{
	struct stat st;
	uint64_t key, dev, ino, want, step;

	if (table == NULL || fstat(dirfd, &st) < 0)
		return (NULL);
	dev = (uint64_t)st.st_dev;
	ino = (uint64_t)st.st_ino;
	key = slot_key(dev, ino);
	/*
	 * Double hashing: an odd step visits every slot of the power-of-two
	 * table, and keys that share a first slot part ways after it, so
	 * DIR_SYNC_PROBES finds room until the table is nearly full (linear
	 * probing's clusters made the first directory go without a slot at
	 * about half full).
	 */
	step = (key >> 32) | 1;
	for (unsigned i = 0; i < DIR_SYNC_PROBES; i++) {
		struct dir_sync_slot *s =
		    &table->slots[(key + i * step) % DIR_SYNC_SLOTS];

		want = 0;
		if (atomic_compare_exchange_strong(&s->key, &want, key)) {
			atomic_store(&s->dev, dev);
			atomic_store(&s->ino, ino);
			atomic_store(&s->ready, 1);
			return (s);
		}
		if (want != key)
			continue;
		if (!atomic_load(&s->ready))
			return (NULL);
		if (atomic_load(&s->dev) == dev && atomic_load(&s->ino) == ino)
			return (s);
	}
	return (NULL);
}

/* atomic_raise - *word = max(*word, value) */
static void
atomic_raise(_Atomic uint64_t *word, uint64_t value)
{
	uint64_t cur = atomic_load(word);

	while (cur < value && !atomic_compare_exchange_weak(word, &cur, value))
		;
}

/*
 * futex_wait_us - sleep while *word == expect, at most us.  A coroutine
 * cannot sleep on a futex without holding every session of its process,
 * and epoll cannot watch one: it naps for DIR_SYNC_NAP_MS instead and
 * its caller looks again (the finish's loop re-reads everything).
 */
static void
futex_wait_us(_Atomic uint32_t *word, uint32_t expect, long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	if (coro_active()) {
		naps++;
		(void)coro_poll(-1, 0, DIR_SYNC_NAP_MS, NULL);
		return;
	}
	(void)syscall(SYS_futex, word, FUTEX_WAIT, expect, &ts, NULL, 0);
}

/*
 * lead - become the slot's one syncing process: take a ticket, then claim
 * busy (from nobody, or from a leader silent for DIR_SYNC_STALE_MS).
 */
static bool
lead(struct dir_sync_slot *s, uint64_t *ticket)
{
	uint64_t busy = atomic_load(&s->busy);
	uint64_t since = atomic_load(&s->busy_since);

	/* signed: a since stored after now was read is not stale */
	if (busy != 0 && (int64_t)((uint64_t)clock_monotonic_ms() - since) < DIR_SYNC_STALE_MS)
		return (false);
	*ticket = atomic_fetch_add(&s->started, 1) + 1;
	if (!atomic_compare_exchange_strong(&s->busy, &busy, *ticket))
		return (false);
	atomic_store(&s->busy_since, (uint64_t)clock_monotonic_ms());
	return (true);
}

/* publish - the outcome of ticket's fsync, and wake the followers */
static void
publish(struct dir_sync_slot *s, uint64_t ticket, int result, bool leading)
{
	uint64_t mine = ticket;

	atomic_raise(result == 0 ? &s->done : &s->failed, ticket);
	if (leading)
		(void)atomic_compare_exchange_strong(&s->busy, &mine, 0);
	atomic_fetch_add(&s->seq, 1);
	(void)syscall(SYS_futex, &s->seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* counted_fsync - fsync(fd), counted (a coroutine's parks only it); errno */
static int
counted_fsync(int fd)
{
	fsync_count++;
	return (async_fsync_run(fd) == 0 ? 0 : errno);
}

/* outcome - an errno value as a return: 0, or -1 with errno set */
static int
outcome(int err)
{
	if (err == 0)
		return (0);
	errno = err;
	return (-1);
}

/* dir_sync_mark - see dir_sync.h */
void
dir_sync_mark(struct dir_sync *ds, int dirfd)
{
	memset(ds, 0, sizeof(*ds));
	ds->dirfd = dirfd;
	if ((ds->slot = slot_find(dirfd)) == NULL)
		return;
	/*
	 * The entry's stores (the kernel's, in the rename or create just
	 * made) must be visible to every CPU before started is read: a
	 * leader whose ticket comes after this read then syncs them.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	ds->seen = atomic_load(&ds->slot->started);
}

/*
 * dir_sync_linger - see dir_sync.h.  Only lingering callers record the
 * time of their marks, so the others (cleanup) pay nothing for it.
 */
void
dir_sync_linger(struct dir_sync *ds, long usec)
{
	uint64_t now = (uint64_t)clock_monotonic_us();

	if (ds->slot == NULL)
		return;
	ds->linger_us = usec;
	ds->hot = (int64_t)(now - atomic_exchange(&ds->slot->last_mark, now)) <
	    DIR_SYNC_HOT_US;
}

/* dir_sync_start - see dir_sync.h */
void
dir_sync_start(struct dir_sync *ds)
{
	struct dir_sync_slot *s = ds->slot;

	if (s == NULL || ds->ticket != 0 || atomic_load(&s->done) > ds->seen ||
	    atomic_load(&s->busy) > ds->seen)
		return;			/* covered, or about to be */
	/*
	 * Lead; or, beside a running fsync that began before the mark (and
	 * so cannot cover it), start a second one rather than wait for the
	 * first to end before the next can begin.
	 */
	ds->leading = lead(s, &ds->ticket);
	if (!ds->leading)
		ds->ticket = atomic_fetch_add(&s->started, 1) + 1;
	fsync_count++;
	async_fsync_start(&ds->aio, ds->dirfd);
}

/* dir_sync_finish - see dir_sync.h */
int
dir_sync_finish(struct dir_sync *ds)
{
	struct dir_sync_slot *s = ds->slot;
	uint64_t deadline, ticket;
	uint32_t seq;
	int	 r;

	if (s == NULL)
		return (outcome(counted_fsync(ds->dirfd)));
	if (ds->ticket != 0) {
		r = async_fsync_wait(&ds->aio) == 0 ? 0 : errno;
		publish(s, ds->ticket, r, ds->leading);
		ds->ticket = 0;
		return (outcome(atomic_load(&s->done) > ds->seen ? 0 : r));
	}
	deadline = (uint64_t)clock_monotonic_ms() + DIR_SYNC_WAIT_MS;
	for (;;) {
		seq = atomic_load(&s->seq);
		if (atomic_load(&s->done) > ds->seen)
			return (0);
		/* one begun after the mark failed: our own says why */
		if (atomic_load(&s->failed) > ds->seen || (uint64_t)clock_monotonic_ms() >= deadline)
			break;
		/* a busy directory: let the entries on their way join in */
		if (ds->hot && ds->linger_us > 0 && atomic_load(&s->busy) == 0) {
			ds->hot = false;
			futex_wait_us(&s->seq, seq, ds->linger_us);
			continue;
		}
		if (lead(s, &ticket)) {
			r = counted_fsync(ds->dirfd);
			publish(s, ticket, r, true);
			return (outcome(r));
		}
		futex_wait_us(&s->seq, seq, 20000);
	}
	ticket = atomic_fetch_add(&s->started, 1) + 1;
	r = counted_fsync(ds->dirfd);
	publish(s, ticket, r, false);
	return (outcome(r));
}

/* dir_sync_abandon - see dir_sync.h */
void
dir_sync_abandon(struct dir_sync *ds)
{
	if (ds->slot != NULL && ds->ticket != 0) {
		publish(ds->slot, ds->ticket, async_fsync_wait(&ds->aio) == 0 ?
		    0 : errno, ds->leading);
		ds->ticket = 0;
	}
}

/* dir_sync_fsyncs - see dir_sync.h */
unsigned long
dir_sync_fsyncs(void)
{
	return (fsync_count);
}

/* dir_sync_naps - see dir_sync.h */
unsigned long
dir_sync_naps(void)
{
	return (naps);
}

/* dir_sync_parent - one plain fsync of path's directory */
int
dir_sync_parent(const char *path)
{
	char	*copy = xstrdup(path);
	int	 fd, rc = -1, saved;

	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		rc = fsync(fd);
		saved = errno;
		close(fd);
		errno = saved;
	}
	free(copy);
	return (rc);
}
