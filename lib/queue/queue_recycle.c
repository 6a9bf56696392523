/*
 * queue_recycle - reuse the inodes of delivered queue files (see
 * queue_recycle.h for why and for the safety argument).
 *
 * Taking reads the pool directory now and then into a small per-process
 * list of names, picked at random from what is there so that concurrent
 * cleanup processes rarely race for the same file; a lost race is just an
 * ENOENT from rename and the next name is tried.  Putting keeps a count
 * of the pool: takes only make it smaller, so with one putting process
 * (qmgr) the count plus the puts since it was read is an upper bound, and
 * the directory is read again only when that bound says the pool may be
 * past QUEUE_RECYCLE_FULL (then every so many puts), not while the pool
 * is small.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue_recycle.h"

#define TAKE_BATCH	32	/* names kept per process between reads */
#define SCAN_MAX	1024	/* entries looked at per read */
#define NAME_MAX_LEN	24	/* hex of an ino_t, with room */
#define EMPTY_PAUSE_NS	20000000L	/* 20 ms after finding it empty */
#define RECOUNT_EVERY	64	/* puts between directory counts */
#define RENAME_TRIES	5	/* fresh IDs on EEXIST */

static struct {
	char	 names[TAKE_BATCH][NAME_MAX_LEN];
	int	 count;
	struct timespec empty_until;
	uint64_t rng;
} take_cache;

static long pool_estimate = -1;
static int puts_since_count;

/* monotonic_now - for the empty-pool pause */
static struct timespec
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts);
}

/* before - a < b */
static bool
before(struct timespec a, struct timespec b)
{
	return (a.tv_sec < b.tv_sec ||
	    (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec));
}

/* next_random - xorshift64*, seeded per process; only spreads choices */
static uint64_t
next_random(void)
{
	uint64_t x = take_cache.rng;

	if (x == 0) {
		struct timespec ts = monotonic_now();

		x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^
		    (uint64_t)ts.tv_sec ^ 0x9E3779B97F4A7C15ULL;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	take_cache.rng = x;
	return (x * 0x2545F4914F6CDD1DULL);
}

/* valid_name - what put() writes: lower-case hex, not too long */
static bool
valid_name(const char *name)
{
	size_t n = 0;

	for (; name[n] != 0; n++)
		if (n >= NAME_MAX_LEN - 1 || !isxdigit((unsigned char)name[n]) ||
		    isupper((unsigned char)name[n]))
			return (false);
	return (n > 0);
}

/* refill - up to TAKE_BATCH names chosen at random from the pool */
static void
refill(const char *pool)
{
	static char seen[SCAN_MAX][NAME_MAX_LEN];
	struct dirent *de;
	DIR	*dir;
	int	 n = 0;

	take_cache.count = 0;
	if ((dir = opendir(pool)) == NULL)
		return;
	while (n < SCAN_MAX && (de = readdir(dir)) != NULL)
		if (valid_name(de->d_name))
			memcpy(seen[n++], de->d_name, strlen(de->d_name) + 1);
	closedir(dir);
	/* partial Fisher-Yates: the first k of a random permutation */
	for (int i = 0; i < n && i < TAKE_BATCH; i++) {
		int j = i + (int)(next_random() % (uint64_t)(n - i));

		memcpy(take_cache.names[take_cache.count++], seen[j],
		    NAME_MAX_LEN);
		if (j != i)
			memcpy(seen[j], seen[i], NAME_MAX_LEN);
	}
}

/* try_take - one named file: checks, mode, rename; fd or -1 */
static int
try_take(const char *pool, const char *name, const char *subdir,
    char id[QUEUE_ID_SIZE], off_t *old_size)
{
	static uid_t euid = (uid_t)-1;

	char	 from[PATH_MAX], to[PATH_MAX];
	struct stat st;
	int	 fd;

	if ((size_t)snprintf(from, sizeof(from), "%s/%s", pool, name) >=
	    sizeof(from))
		return (-1);
	fd = open(from, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return (-1);
	if (euid == (uid_t)-1)
		euid = geteuid();	/* a daemon's never changes after setup */
	/*
	 * No change to the file before the rename has claimed it: another
	 * process may hold this same inode open, lose the race, and must not
	 * touch a file that is by then a message being written or queued.
	 * That is why put() sets the mode, not take().
	 */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != euid || (st.st_mode & 07777) != 0600 ||
	    fcntl(fd, F_SETFL, 0) < 0) {
		close(fd);
		return (-1);
	}
	for (int i = 0; i < RENAME_TRIES; i++) {
		queue_id_new(id);
		if ((size_t)snprintf(to, sizeof(to), "%s/%s", subdir, id) >=
		    sizeof(to))
			break;
		if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
			/*
			 * Only now is the file ours.  The size seen before
			 * the rename can be stale: between that fstat and
			 * the rename another process may have taken this
			 * inode, queued a message in it, and qmgr put it back
			 * under the same name.  A wrong size would leave the
			 * old tail behind a shorter message.
			 */
			if (fstat(fd, &st) < 0) {
				(void)unlink(to);
				break;
			}
			*old_size = st.st_size;
			return (fd);
		}
		if (errno != EEXIST)
			break;		/* ENOENT: another process took it */
	}
	close(fd);
	return (-1);
}

/* queue_recycle_take - see queue_recycle.h */
int
queue_recycle_take(const char *pool, const char *subdir, char id[QUEUE_ID_SIZE],
    off_t *old_size)
{
	bool	 refilled = false;
	int	 fd;

	/*
	 * Names kept from an earlier read may have been taken by other
	 * processes since (at hundreds of sessions most of them are), so
	 * when they are used up the directory is read once more before the
	 * caller is sent off to create a new inode.
	 */
	for (;;) {
		while (take_cache.count > 0) {
			const char *name = take_cache.names[--take_cache.count];

			if ((fd = try_take(pool, name, subdir, id, old_size)) >= 0)
				return (fd);
		}
		if (refilled || before(monotonic_now(), take_cache.empty_until))
			return (-1);
		refill(pool);
		refilled = true;
		if (take_cache.count == 0) {
			struct timespec t = monotonic_now();

			t.tv_nsec += EMPTY_PAUSE_NS;
			if (t.tv_nsec >= 1000000000L) {
				t.tv_sec++;
				t.tv_nsec -= 1000000000L;
			}
			take_cache.empty_until = t;
			return (-1);
		}
	}
}

/* count_pool - entries in pool, stopping a little past the bound */
static long
count_pool(const char *pool)
{
	struct dirent *de;
	DIR	*dir;
	long	 n = 0;

	if ((dir = opendir(pool)) == NULL)
		return (-1);
	while (n <= QUEUE_RECYCLE_MAX && (de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return (n);
}

/* queue_recycle_put - see queue_recycle.h */
int
queue_recycle_put(const char *pool, const char *path, int fd)
{
	char	 to[PATH_MAX];
	struct stat st;

	bool	 keep_blocks;

	if (pool_estimate < 0 || (pool_estimate >= QUEUE_RECYCLE_FULL &&
	    puts_since_count >= RECOUNT_EVERY)) {
		pool_estimate = count_pool(pool);
		puts_since_count = 0;
	}
	puts_since_count++;
	keep_blocks = pool_estimate < QUEUE_RECYCLE_FULL;
	if (pool_estimate >= 0 && pool_estimate < QUEUE_RECYCLE_MAX &&
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
	    fchmod(fd, 0600) == 0 &&
	    ((keep_blocks && st.st_size <= QUEUE_RECYCLE_KEEP) ||
	    st.st_size == 0 || ftruncate(fd, 0) == 0) &&
	    (size_t)snprintf(to, sizeof(to), "%s/%llx", pool,
	    (unsigned long long)st.st_ino) < sizeof(to) &&
	    renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
		pool_estimate++;
		return (0);
	}
	return (unlink(path));
}
