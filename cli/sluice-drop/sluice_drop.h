/*
 * sluice_drop.h - sluice-drop's internals: the program (main.c) and the
 * reading, checking and writing of one submission (drop.c).
 */
#ifndef SLUICE_DROP_H
#define SLUICE_DROP_H

#include <sysexits.h>

#include "queue_id.h"
#include "stream.h"

#define DROP_RCPT_MAX		10000
#define DROP_ENVID_MAX		100	/* RFC 3461 section 4.4 */
#define DROP_ORCPT_MAX		500
#define DROP_ENVELOPE_TOTAL	(16 * 1024 * 1024)

/* drop_fatal - report on stderr, log, remove an unfinished file, exit */
void	drop_fatal(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
/* drop_set_unfinished - the path a signal or fatal error must remove */
void	drop_set_unfinished(const char *path);

/*
 * drop_message - read the submission from in, check it and write
 * maildrop/ID (cwd: the queue directory).  size_limit 0 = none.  On
 * success the ID is in id; every failure is fatal.
 */
void	drop_message(struct stream *in, long size_limit, char id[QUEUE_ID_SIZE]);

/* What sluice-drop reads of main.cf (params.c, sluice_drop_params). */
struct drop_settings {
	char		*queue_directory;
};

#endif
