/*
 * queue_space - the free-space check before new mail is taken in.
 *
 * The rule and the callers are described in queue_space.h.  The
 * arithmetic is Postfix's: sizes are turned into whole blocks before
 * they are compared with the available blocks, so that nothing
 * overflows, and "fits 1.5 times" is 3 x size >= 2 x space in integers.
 * The cache costs one clock_gettime (vDSO) per check; the warning and
 * the all-clear are logged by the process whose check saw the change,
 * so each process says it once per episode.
 *
 * Parameters (through queue_space_init_config): queue_minfree,
 * message_size_limit.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config_table.h"
#include "mem.h"
#include "msg.h"
#include "queue_space.h"

/* queue_space_init - see queue_space.h */
void
queue_space_init(struct queue_space *qs, const char *path, long minfree,
    long size_limit)
{
	memset(qs, 0, sizeof(*qs));
	qs->path = xstrdup(path);
	qs->minfree = minfree > 0 ? minfree : 0;
	qs->size_limit = size_limit > 0 ? size_limit : 0;
	qs->stat_fn = statvfs;
}

/* What queue_space_init_config() reads. */
struct queue_space_settings {
	long		 minfree;
	long		 size_limit;
};

#define ROW(name, kind, field) \
	CONFIG_ROW(name, kind, struct queue_space_settings, field)

const struct config_table queue_space_params[] = {
	ROW("message_size_limit", CONF_INT, size_limit),
	ROW("queue_minfree", CONF_INT, minfree),
	CONFIG_TABLE_END,
};

/* queue_space_init_config - see queue_space.h */
int
queue_space_init_config(struct queue_space *qs, struct config *cfg,
    const char *path, struct strbuf *err)
{
	struct queue_space_settings set;
	int problems;

	memset(&set, 0, sizeof(set));
	problems = config_table_read(cfg, queue_space_params, &set, err);
	queue_space_init(qs, path, set.minfree, set.size_limit);
	config_table_release(queue_space_params, &set);
	return (problems > 0 ? -1 : 0);
}

/* queue_space_free - release the path */
void
queue_space_free(struct queue_space *qs)
{
	free(qs->path);
	qs->path = NULL;
}

/* queue_space_measure - one statvfs, reduced to what the rule needs */
int
queue_space_measure(const char *path, queue_space_stat_fn stat_fn,
    struct queue_space_usage *u)
{
	struct statvfs st;

	if ((stat_fn != NULL ? stat_fn : statvfs)(path, &st) < 0)
		return (-1);
	/* f_frsize is the unit of f_bavail; old file systems leave it 0 */
	u->block_size = st.f_frsize > 0 ? st.f_frsize : st.f_bsize;
	if (u->block_size == 0)
		u->block_size = 1;
	u->blocks_avail = st.f_bavail;
	return (0);
}

/* fits_one_and_a_half - do size blocks fit 1.5 times into space blocks? */
static bool
fits_one_and_a_half(unsigned long long size, unsigned long long space)
{
	/* Postfix: size >= space / 1.5 refuses; 3 size >= 2 space, no float */
	if (space > ULLONG_MAX / 2)
		return (true);
	if (size > ULLONG_MAX / 3)
		return (false);
	return (3 * size < 2 * space);
}

/* queue_space_judge - see queue_space.h */
enum queue_space_status
queue_space_judge(const struct queue_space_usage *u, long minfree,
    long size_limit, long declared_size)
{
	unsigned long long bs = u->block_size ? u->block_size : 1;
	unsigned long long avail = u->blocks_avail;
	unsigned long long min_blocks = minfree > 0 ? (unsigned long long)minfree / bs : 0;
	unsigned long long limit_blocks = size_limit > 0 ?
	    (unsigned long long)size_limit / bs : 0;

	if (min_blocks >= avail || !fits_one_and_a_half(limit_blocks, avail))
		return (QUEUE_SPACE_LOW);
	if (declared_size > 0 &&
	    !fits_one_and_a_half((unsigned long long)declared_size / bs,
	    avail - min_blocks))
		return (QUEUE_SPACE_TOO_BIG);
	return (QUEUE_SPACE_OK);
}

/* queue_space_bytes_free - blocks times block size, saturated */
unsigned long long
queue_space_bytes_free(const struct queue_space_usage *u)
{
	unsigned long long bytes;

	if (__builtin_mul_overflow(u->blocks_avail, u->block_size, &bytes))
		return (ULLONG_MAX);
	return (bytes);
}

/* queue_space_bytes_needed - see queue_space.h */
unsigned long long
queue_space_bytes_needed(long minfree, long size_limit)
{
	unsigned long long floor = minfree > 0 ? (unsigned long long)minfree : 0;
	unsigned long long margin = size_limit > 0 ?
	    (unsigned long long)size_limit + (unsigned long long)size_limit / 2 : 0;

	return (floor > margin ? floor : margin);
}

/* queue_space_describe - see queue_space.h */
void
queue_space_describe(struct strbuf *out, const struct queue_space_usage *u,
    long minfree, long size_limit)
{
	strbuf_printf(out, "%llu bytes free, need more than %llu "
	    "(queue_minfree %ld, 1.5 x message_size_limit %llu)",
	    queue_space_bytes_free(u), queue_space_bytes_needed(minfree,
	    size_limit), minfree, queue_space_bytes_needed(0, size_limit));
}

/* monotonic_ms - a cheap clock for the cache (no system call via vDSO) */
static long long
monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0 &&
	    clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return (0);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* sample - measure again; a failure is logged once until one succeeds */
static void
sample(struct queue_space *qs, long long now_ms)
{
	qs->sampled = true;
	qs->sampled_ms = now_ms;
	if (queue_space_measure(qs->path, qs->stat_fn, &qs->usage) == 0) {
		qs->stat_errno = 0;
		qs->stat_warned = false;
		return;
	}
	qs->stat_errno = errno;
	if (!qs->stat_warned) {
		/* mail is still accepted: a write failure still answers 4xx */
		msg_warn("cannot measure free space in the queue file system: "
		    "statvfs %s: %s", qs->path, strerror(qs->stat_errno));
		qs->stat_warned = true;
	}
}

/* note_episode - one line when low space begins, one when it ends */
static void
note_episode(struct queue_space *qs, bool low)
{
	struct strbuf text;

	if (low == qs->low)
		return;
	qs->low = low;
	strbuf_init(&text);
	queue_space_describe(&text, &qs->usage, qs->minfree, qs->size_limit);
	if (low)
		msg_warn("not enough free space in the queue file system: %s: "
		    "refusing new mail", text.data);
	else
		msg_info("free space in the queue file system is back: %s: "
		    "accepting new mail", text.data);
	strbuf_free(&text);
}

/* queue_space_check_at - see queue_space.h */
enum queue_space_status
queue_space_check_at(struct queue_space *qs, long long now_ms,
    long declared_size)
{
	enum queue_space_status status;

	if (!qs->sampled || now_ms - qs->sampled_ms >= QUEUE_SPACE_INTERVAL_MS ||
	    now_ms < qs->sampled_ms)
		sample(qs, now_ms);
	if (qs->stat_errno != 0)
		return (QUEUE_SPACE_UNKNOWN);
	status = queue_space_judge(&qs->usage, qs->minfree, qs->size_limit,
	    declared_size);
	/* TOO_BIG implies not LOW: other mail still fits */
	note_episode(qs, status == QUEUE_SPACE_LOW);
	return (status);
}

/* queue_space_check - see queue_space.h */
enum queue_space_status
queue_space_check(struct queue_space *qs, long declared_size)
{
	return (queue_space_check_at(qs, monotonic_ms(), declared_size));
}
