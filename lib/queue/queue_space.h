/*
 * queue_space - is there room in the queue file system for new mail?
 *
 * Postfix's rule (smtpd_check_queue): new mail is refused while the
 * space that an unprivileged user may still use (statvfs f_bavail, not
 * f_bfree: mail_owner cannot touch root's reserve) is no more than
 * queue_minfree, or while message_size_limit does not fit 1.5 times into
 * it.  A message whose size is declared (SMTP SIZE=) is refused as well
 * when that size does not fit 1.5 times into the space above
 * queue_minfree (RFC 1870: 452, not 552, because it may fit later).
 * Both are temporary refusals: "452 4.3.1 Insufficient system storage"
 * in smtpd, exit status 75 (EX_TEMPFAIL) in sendmail and sluice-drop.
 *
 * Two layers: queue_space_measure() and queue_space_judge() answer once
 * for whoever only looks (sluice check, sluice-queue); struct
 * queue_space is the cached check of the programs that take mail in
 * (smtpd at MAIL FROM, sendmail, sluice-drop): statvfs at most once per
 * QUEUE_SPACE_INTERVAL_MS per process (a monotonic clock compare in
 * between), and one warning when an episode of low space begins and
 * one line when it ends, not one per refused client.
 */
#ifndef SLUICE_QUEUE_SPACE_H
#define SLUICE_QUEUE_SPACE_H

#include <stdbool.h>
#include <sys/statvfs.h>

#include "config.h"
#include "config_table.h"
#include "strbuf.h"

#define QUEUE_SPACE_INTERVAL_MS	1000

/* What the free space says about new mail. */
enum queue_space_status {
	QUEUE_SPACE_OK,		/* room for new mail */
	QUEUE_SPACE_LOW,	/* refuse all new mail */
	QUEUE_SPACE_TOO_BIG,	/* room, but not for this declared size */
	QUEUE_SPACE_UNKNOWN,	/* statvfs failed: the caller accepts */
};

/* One statvfs of the queue file system. */
struct queue_space_usage {
	unsigned long long block_size;		/* f_frsize */
	unsigned long long blocks_avail;	/* f_bavail */
};

typedef int (*queue_space_stat_fn)(const char *, struct statvfs *);

/* The cached check of one process. */
struct queue_space {
	char		*path;		/* "." when cwd is the queue directory */
	long		 minfree;	/* queue_minfree, bytes */
	long		 size_limit;	/* message_size_limit, 0 = none */
	queue_space_stat_fn stat_fn;	/* statvfs; tests replace it */
	bool		 sampled;	/* usage/stat_errno are valid */
	long long	 sampled_ms;	/* monotonic time of the sample */
	int		 stat_errno;	/* of the last sample, 0 = fine */
	struct queue_space_usage usage;
	bool		 low;		/* in a logged episode of low space */
	bool		 stat_warned;	/* statvfs failure logged */
};

/*
 * queue_space_init - a check of the file system that holds path, with
 * the given queue_minfree and message_size_limit; nothing is measured yet
 */
void	queue_space_init(struct queue_space *qs, const char *path,
	    long minfree, long size_limit);
/*
 * queue_space_init_config - the same with the two parameters from cfg,
 * read through queue_space_params (lib/config/config_table.h); -1 with a
 * line per unusable value in err (the check is then made with none)
 */
int	queue_space_init_config(struct queue_space *qs, struct config *cfg,
	    const char *path, struct strbuf *err);
/* The parameters it reads, for the programs' tables (config_programs.c). */
extern const struct config_table queue_space_params[];
void	queue_space_free(struct queue_space *qs);

/*
 * queue_space_check - may a message of declared_size bytes (0: not
 * declared) come in?  Measures again when the last sample is
 * QUEUE_SPACE_INTERVAL_MS old; logs the start and the end of a
 * low-space episode.  queue_space_check_at - the same at a given
 * monotonic time in milliseconds (for tests).
 */
enum queue_space_status queue_space_check(struct queue_space *qs,
	    long declared_size);
enum queue_space_status queue_space_check_at(struct queue_space *qs,
	    long long now_ms, long declared_size);

/* queue_space_measure - statvfs(path) (stat_fn NULL: the real one); -1 + errno */
int	queue_space_measure(const char *path, queue_space_stat_fn stat_fn,
	    struct queue_space_usage *u);

/* queue_space_judge - the rule above, for one measurement */
enum queue_space_status queue_space_judge(const struct queue_space_usage *u,
	    long minfree, long size_limit, long declared_size);

/* queue_space_bytes_free - what the measurement leaves for mail */
unsigned long long queue_space_bytes_free(const struct queue_space_usage *u);

/*
 * queue_space_bytes_needed - the free space below which all new mail is
 * refused: the larger of queue_minfree and 1.5 x message_size_limit
 */
unsigned long long queue_space_bytes_needed(long minfree, long size_limit);

/*
 * queue_space_describe - "N bytes free, need more than M (queue_minfree
 * X, 1.5 x message_size_limit Y)" appended to out
 */
void	queue_space_describe(struct strbuf *out,
	    const struct queue_space_usage *u, long minfree, long size_limit);

#endif
