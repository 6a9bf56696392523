/*
 * fault_inject.c - make the Nth write, fsync, rename, link, open(O_CREAT),
 * mkdir, fchmod, read or unlink of a Sluice program fail (ENOSPC, EIO,
 * ...); tests only.
 *
 * An LD_PRELOAD shim.  The integration tests pass it to the daemons with
 * import_environment (LD_PRELOAD, SLUICE_FAULT_DIR, SLUICE_FAULT_IGNORE);
 * the master hands the environment to every child.  A daemon whose
 * program name has a state file, $SLUICE_FAULT_DIR/PROGRAM.state, made
 * by the test (layout: struct fault_state below, mirrored in
 * tests/integration/test_fault_injection.py), maps it shared at start,
 * before any chroot or privilege drop; every other daemon and every
 * program without the variable runs untouched.
 *
 * In the state file the test sets a target: a kind of call, N and a
 * count L.  All processes of the program count the calls of each kind
 * in one shared counter, so "the Nth" is the same across the daemon's
 * processes and its restarts; the calls N .. N+L-1 of the target kind
 * fail with the target errno without reaching the kernel.  With a site
 * key in the target, N counts only the calls of that one call site.  Only calls
 * on the queue, mailboxes and other files count: descriptors that are
 * not regular files or directories (sockets, pipes), stdin/out/err, the
 * maillog (SLUICE_FAULT_IGNORE) and paths under /dev, /proc and /sys
 * are passed through uncounted.  Each counted call also records its call
 * site (the return address in the daemon, as an offset into its object,
 * for addr2line), how often it ran and how often it failed, so the test
 * can say which sites it reached.
 *
 * A run may also fail the calls N .. N+L-1 of a whole kind (no site
 * key, a large L): a disk that stays full for a while; the also mask
 * makes more kinds fail with it (each counted on its own).  A flag in the
 * state makes renameat2(RENAME_NOREPLACE) fail with EINVAL, uncounted,
 * as on a file system without it, so that the link(2) fallbacks run.
 *
 * fsyncs that lib/io/async_fsync.c submits to the kernel's AIO ring
 * (io_submit of IOCB_CMD_FSYNC/FDSYNC) count as fsyncs: a failing one is
 * not submitted, and its completion (res = -errno) is handed out by the
 * next io_getevents of the process, its eventfd signalled as the kernel
 * would.
 *
 * Under the sanitizer build, the test preloads libasan first and this
 * shim after it: ASan's interceptors then reach the real function
 * through this shim (dlsym RTLD_NEXT finds it next).
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum fault_kind {
	FK_WRITE, FK_FSYNC, FK_RENAME, FK_LINK, FK_OPEN, FK_MKDIR,
	FK_CHMOD, FK_READ, FK_UNLINK, FK_KINDS = 10
};

/* fault_state.flags */
#define FF_NO_NOREPLACE	1	/* renameat2(RENAME_NOREPLACE): EINVAL */

#define FAULT_MAGIC	0x31544c5541464c53ULL	/* "SLFAULT1" */
#define FAULT_SITES	1024

struct fault_site {
	uint64_t key;		/* (kind + 1) << 48 | offset; 0 = free */
	uint64_t calls;
	uint64_t fired;
};

struct fault_state {
	uint64_t magic;
	int64_t	 kind;		/* the kind that fails; -1: none */
	uint64_t nth;		/* the first call that fails, from 1 */
	uint64_t len;		/* how many calls from nth on fail */
	int64_t	 err;		/* the errno they fail with */
	uint64_t key;		/* not 0: count only this site's calls */
	uint64_t count[FK_KINDS];	/* counted calls so far */
	uint64_t fired[FK_KINDS];	/* failed calls so far */
	uint64_t last_key;	/* the site of the last failed call */
	uint64_t last_pid;
	uint64_t overflow;	/* counted calls whose site found no slot */
	struct fault_site site[FAULT_SITES];
	uint64_t flags;		/* FF_* */
	uint64_t also;		/* bit k: kind k fails like the target kind */
};

static struct fault_state *st;
static dev_t ign_dev;
static ino_t ign_ino;
static int ign_set;
static const char *ign_path;
static __thread int in_shim;

/* the real functions, found behind this object */
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_readv)(int, const struct iovec *, int);
static int (*real_syncfs)(int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *,
    unsigned int);
static int (*real_link)(const char *, const char *);
static int (*real_unlink)(const char *);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_linkat)(int, const char *, int, const char *, int);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_mkdir)(const char *, mode_t);
static int (*real_mkdirat)(int, const char *, mode_t);
static int (*real_fchmod)(int, mode_t);
static long (*real_syscall)(long, ...);

/* faked AIO fsync completions not yet handed to io_getevents */
#define FAKE_EVENTS	64
static struct io_event fake_ev[FAKE_EVENTS];
static int fake_count;

#define REAL(name)	(real_##name != NULL ? real_##name : \
	(fault_resolve(), real_##name))
#define RESOLVE(name)	(real_##name = \
	(__typeof__(real_##name))dlsym(RTLD_NEXT, #name))

/* fault_resolve - find the real functions behind this object */
static void
fault_resolve(void)
{
	RESOLVE(write); RESOLVE(pwrite); RESOLVE(writev);
	RESOLVE(read); RESOLVE(pread); RESOLVE(readv); RESOLVE(syncfs);
	RESOLVE(fsync); RESOLVE(fdatasync); RESOLVE(rename);
	RESOLVE(renameat); RESOLVE(renameat2); RESOLVE(link);
	RESOLVE(linkat); RESOLVE(open); RESOLVE(openat);
	RESOLVE(unlink); RESOLVE(unlinkat);
	RESOLVE(mkdir); RESOLVE(mkdirat); RESOLVE(fchmod);
	RESOLVE(syscall);
}

/* fault_init - map the program's state file, if the test made one */
__attribute__((constructor)) static void
fault_init(void)
{
	const char *dir, *prog;
	char	 path[4096];
	void	*frames[4];
	struct stat sb;
	void	*map;
	int	 fd;

	/* Resolve everything now, before a chroot hides the libraries. */
	fault_resolve();
	if ((dir = getenv("SLUICE_FAULT_DIR")) == NULL || *dir == '\0')
		return;
	prog = program_invocation_short_name;
	if (snprintf(path, sizeof(path), "%s/%s.state", dir, prog) >=
	    (int)sizeof(path))
		return;
	if ((fd = real_open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size < sizeof(*st)) {
		(void)close(fd);
		return;
	}
	map = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	(void)close(fd);
	if (map == MAP_FAILED)
		return;
	if (((struct fault_state *)map)->magic != FAULT_MAGIC) {
		(void)munmap(map, sizeof(*st));
		return;
	}
	if ((ign_path = getenv("SLUICE_FAULT_IGNORE")) != NULL &&
	    stat(ign_path, &sb) == 0) {
		ign_dev = sb.st_dev;
		ign_ino = sb.st_ino;
		ign_set = 1;
	}
	/* backtrace() loads libgcc_s on first use: do it before a chroot */
	(void)backtrace(frames, 4);
	st = map;
}

/* fault_site_key - the caller in the daemon: its object offset + kind */
static uint64_t
fault_site_key(enum fault_kind k)
{
	void	*frames[12];
	Dl_info	 self, info;
	int	 n, i;

	if (dladdr((void *)fault_site_key, &self) == 0)
		return (0);
	n = backtrace(frames, 12);
	for (i = 1; i < n; i++) {
		if (dladdr(frames[i], &info) == 0)
			continue;
		if (info.dli_fbase == self.dli_fbase ||
		    (info.dli_fname != NULL &&
		    (strstr(info.dli_fname, "libasan") != NULL ||
		    strstr(info.dli_fname, "libubsan") != NULL)))
			continue;
		/* the return address - 1 lies in the calling instruction */
		return (((uint64_t)k + 1) << 48 |
		    (((uintptr_t)frames[i] - (uintptr_t)info.dli_fbase - 1) &
		    0xffffffffffffULL));
	}
	return (0);
}

/* fault_site_slot - the shared slot of a site, claimed on first use */
static struct fault_site *
fault_site_slot(uint64_t key)
{
	uint64_t want;
	size_t	 i, h;

	if (key == 0)
		return (NULL);
	h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 54) % FAULT_SITES;
	for (i = 0; i < FAULT_SITES; i++) {
		struct fault_site *s = &st->site[(h + i) % FAULT_SITES];

		want = 0;
		if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) == key ||
		    __atomic_compare_exchange_n(&s->key, &want, key, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) || want == key)
			return (s);
	}
	return (NULL);
}

/* fault_hit - count one call of kind k; the errno it fails with, or 0 */
static int
fault_hit(enum fault_kind k)
{
	struct fault_site *s;
	uint64_t n, nth, key, want;
	int64_t	 armed;
	int	 saved = errno, err = 0;

	in_shim = 1;
	n = __atomic_add_fetch(&st->count[k], 1, __ATOMIC_SEQ_CST);
	key = fault_site_key(k);
	if ((s = fault_site_slot(key)) != NULL) {
		uint64_t calls = __atomic_add_fetch(&s->calls, 1,
		    __ATOMIC_SEQ_CST);

		if ((want = __atomic_load_n(&st->key, __ATOMIC_SEQ_CST)) != 0)
			n = want == key ? calls : 0;
	} else {
		__atomic_add_fetch(&st->overflow, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&st->key, __ATOMIC_SEQ_CST) != 0)
			n = 0;
	}
	nth = __atomic_load_n(&st->nth, __ATOMIC_SEQ_CST);
	armed = __atomic_load_n(&st->kind, __ATOMIC_SEQ_CST);
	if ((armed == (int64_t)k || (armed >= 0 &&
	    (__atomic_load_n(&st->also, __ATOMIC_SEQ_CST) >> k & 1) != 0)) &&
	    nth > 0 && n >= nth &&
	    n < nth + __atomic_load_n(&st->len, __ATOMIC_SEQ_CST)) {
		err = (int)__atomic_load_n(&st->err, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&st->fired[k], 1, __ATOMIC_SEQ_CST);
		if (s != NULL)
			__atomic_add_fetch(&s->fired, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&st->last_key, key, __ATOMIC_SEQ_CST);
		__atomic_store_n(&st->last_pid, (uint64_t)getpid(),
		    __ATOMIC_SEQ_CST);
	}
	in_shim = 0;
	errno = saved;
	return (err);
}

/* fault_fd - a counted call on fd? (regular files and directories) */
static int
fault_fd(enum fault_kind k, int fd)
{
	struct stat sb;
	int	 saved = errno;

	if (st == NULL || in_shim || fd <= 2)
		return (0);
	if (fstat(fd, &sb) < 0 ||
	    !(S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode)) ||
	    (ign_set && sb.st_dev == ign_dev && sb.st_ino == ign_ino)) {
		errno = saved;
		return (0);
	}
	return (fault_hit(k));
}

/* fault_path_counts - a path of the queue or a mailbox, not the log */
static int
fault_path_counts(const char *path)
{
	if (path == NULL)
		return (0);
	if (strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0 ||
	    strncmp(path, "/sys/", 5) == 0)
		return (0);
	if (ign_path != NULL && strcmp(path, ign_path) == 0)
		return (0);
	return (1);
}

/* fault_path - a counted call on path(s)? */
static int
fault_path(enum fault_kind k, const char *a, const char *b)
{
	if (st == NULL || in_shim)
		return (0);
	if (!fault_path_counts(a) && !fault_path_counts(b))
		return (0);
	return (fault_hit(k));
}

#define FAIL(err, value)	do { errno = (err); return (value); } while (0)

ssize_t
write(int fd, const void *buf, size_t n)
{
	int	 err;

	if ((err = fault_fd(FK_WRITE, fd)) != 0)
		FAIL(err, -1);
	return (REAL(write)(fd, buf, n));
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	int	 err;

	if ((err = fault_fd(FK_WRITE, fd)) != 0)
		FAIL(err, -1);
	return (REAL(pwrite)(fd, buf, n, off));
}

ssize_t pwrite64(int, const void *, size_t, off_t)
    __attribute__((alias("pwrite")));

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	int	 err;

	if ((err = fault_fd(FK_WRITE, fd)) != 0)
		FAIL(err, -1);
	return (REAL(writev)(fd, iov, cnt));
}

int
fsync(int fd)
{
	int	 err;

	if ((err = fault_fd(FK_FSYNC, fd)) != 0)
		FAIL(err, -1);
	return (REAL(fsync)(fd));
}

int
syncfs(int fd)
{
	int	 err;

	if ((err = fault_fd(FK_FSYNC, fd)) != 0)
		FAIL(err, -1);
	return (REAL(syncfs)(fd));
}

ssize_t
read(int fd, void *buf, size_t n)
{
	int	 err;

	if ((err = fault_fd(FK_READ, fd)) != 0)
		FAIL(err, -1);
	return (REAL(read)(fd, buf, n));
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	int	 err;

	if ((err = fault_fd(FK_READ, fd)) != 0)
		FAIL(err, -1);
	return (REAL(pread)(fd, buf, n, off));
}

ssize_t pread64(int, void *, size_t, off_t) __attribute__((alias("pread")));

ssize_t
readv(int fd, const struct iovec *iov, int cnt)
{
	int	 err;

	if ((err = fault_fd(FK_READ, fd)) != 0)
		FAIL(err, -1);
	return (REAL(readv)(fd, iov, cnt));
}

int
fdatasync(int fd)
{
	int	 err;

	if ((err = fault_fd(FK_FSYNC, fd)) != 0)
		FAIL(err, -1);
	return (REAL(fdatasync)(fd));
}

int
fchmod(int fd, mode_t mode)
{
	int	 err;

	if ((err = fault_fd(FK_CHMOD, fd)) != 0)
		FAIL(err, -1);
	return (REAL(fchmod)(fd, mode));
}

int
rename(const char *from, const char *to)
{
	int	 err;

	if ((err = fault_path(FK_RENAME, from, to)) != 0)
		FAIL(err, -1);
	return (REAL(rename)(from, to));
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	int	 err;

	if ((err = fault_path(FK_RENAME, from, to)) != 0)
		FAIL(err, -1);
	return (REAL(renameat)(fd1, from, fd2, to));
}

int
renameat2(int fd1, const char *from, int fd2, const char *to,
    unsigned int flags)
{
	int	 err;

	if (st != NULL && !in_shim && (flags & RENAME_NOREPLACE) != 0 &&
	    (__atomic_load_n(&st->flags, __ATOMIC_SEQ_CST) &
	    FF_NO_NOREPLACE) != 0)
		FAIL(EINVAL, -1);
	if ((err = fault_path(FK_RENAME, from, to)) != 0)
		FAIL(err, -1);
	return (REAL(renameat2)(fd1, from, fd2, to, flags));
}

int
link(const char *from, const char *to)
{
	int	 err;

	if ((err = fault_path(FK_LINK, from, to)) != 0)
		FAIL(err, -1);
	return (REAL(link)(from, to));
}

int
linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
	int	 err;

	if ((err = fault_path(FK_LINK, from, to)) != 0)
		FAIL(err, -1);
	return (REAL(linkat)(fd1, from, fd2, to, flags));
}

int
unlink(const char *path)
{
	int	 err;

	if ((err = fault_path(FK_UNLINK, path, NULL)) != 0)
		FAIL(err, -1);
	return (REAL(unlink)(path));
}

int
unlinkat(int fd, const char *path, int flags)
{
	int	 err;

	if ((err = fault_path(FK_UNLINK, path, NULL)) != 0)
		FAIL(err, -1);
	return (REAL(unlinkat)(fd, path, flags));
}

int
mkdir(const char *path, mode_t mode)
{
	int	 err;

	if ((err = fault_path(FK_MKDIR, path, NULL)) != 0)
		FAIL(err, -1);
	return (REAL(mkdir)(path, mode));
}

int
mkdirat(int fd, const char *path, mode_t mode)
{
	int	 err;

	if ((err = fault_path(FK_MKDIR, path, NULL)) != 0)
		FAIL(err, -1);
	return (REAL(mkdirat)(fd, path, mode));
}

/* creates - open flags that may create a file */
static int
creates(int flags)
{
	return ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE);
}

int
open(const char *path, int flags, ...)
{
	va_list	 ap;
	mode_t	 mode = 0;
	int	 err;

	if (creates(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
		if ((err = fault_path(FK_OPEN, path, NULL)) != 0)
			FAIL(err, -1);
	}
	return (REAL(open)(path, flags, mode));
}

int open64(const char *, int, ...) __attribute__((alias("open")));

int
openat(int dfd, const char *path, int flags, ...)
{
	va_list	 ap;
	mode_t	 mode = 0;
	int	 err;

	if (creates(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
		if ((err = fault_path(FK_OPEN, path, NULL)) != 0)
			FAIL(err, -1);
	}
	return (REAL(openat)(dfd, path, flags, mode));
}

int openat64(int, const char *, int, ...) __attribute__((alias("openat")));

/* fault_aio_submit - io_submit of fsyncs: fail the chosen ones here */
static long
fault_aio_submit(long ctx, long nr, struct iocb **cbs)
{
	long	 i;
	int	 err;

	for (i = 0; i < nr; i++) {
		struct iocb *cb = cbs[i];
		uint64_t one = 1;

		if (cb->aio_lio_opcode != IOCB_CMD_FSYNC &&
		    cb->aio_lio_opcode != IOCB_CMD_FDSYNC)
			break;
		if (fake_count == FAKE_EVENTS ||
		    (err = fault_fd(FK_FSYNC, (int)cb->aio_fildes)) == 0)
			break;
		/* refused: its completion comes from fault_aio_getevents */
		memset(&fake_ev[fake_count], 0, sizeof(fake_ev[0]));
		fake_ev[fake_count].data = cb->aio_data;
		fake_ev[fake_count].obj = (uint64_t)(uintptr_t)cb;
		fake_ev[fake_count].res = -err;
		fake_count++;
		if (cb->aio_flags & IOCB_FLAG_RESFD)
			(void)REAL(write)((int)cb->aio_resfd, &one,
			    sizeof(one));
	}
	if (i == nr)
		return (nr);
	if (i > 0)
		return (i);	/* a short submit, as the kernel may make */
	return (REAL(syscall)(SYS_io_submit, ctx, nr, cbs));
}

/* fault_aio_getevents - refused fsyncs first, then the kernel's */
static long
fault_aio_getevents(long ctx, long min_nr, long nr, struct io_event *ev,
    struct timespec *ts)
{
	long	 n = 0;

	if (fake_count > 0 && nr > 0) {
		n = fake_count < nr ? fake_count : nr;
		memcpy(ev, fake_ev, (size_t)n * sizeof(ev[0]));
		memmove(fake_ev, fake_ev + n,
		    (size_t)(fake_count - n) * sizeof(ev[0]));
		fake_count -= (int)n;
		return (n);
	}
	return (REAL(syscall)(SYS_io_getevents, ctx, min_nr, nr, ev, ts));
}

long
syscall(long number, ...)
{
	va_list	 ap;
	long	 a[6];
	int	 i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (st != NULL && !in_shim) {
		if (number == SYS_io_submit)
			return (fault_aio_submit(a[0], a[1],
			    (struct iocb **)a[2]));
		if (number == SYS_io_getevents)
			return (fault_aio_getevents(a[0], a[1], a[2],
			    (struct io_event *)a[3], (struct timespec *)a[4]));
	}
	return (REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]));
}
