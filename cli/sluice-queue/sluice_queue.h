/*
 * sluice-queue - internal interface between the command line (main.c) and
 * the listing formats (listing.c).
 */
#ifndef SLUICE_QUEUE_TOOL_H
#define SLUICE_QUEUE_TOOL_H

#include <stdio.h>

#include "stream.h"

#define EX_QUEUE_USAGE		64	/* EX_USAGE */
#define EX_QUEUE_DATAERR	65	/* EX_DATAERR */
#define EX_QUEUE_UNAVAILABLE	69	/* EX_UNAVAILABLE: mail system down */
#define EX_QUEUE_SOFTWARE	70	/* EX_SOFTWARE: bad reply from showq */
#define EX_QUEUE_NOPERM		77	/* EX_NOPERM */

enum listing_format {
	LISTING_CLASSIC,	/* -p, mailq */
	LISTING_JSON,		/* -j, JSON Lines */
};

/* queue_fatal - "sluice-queue: fatal: ..." on stderr (and the log), exit */
void	queue_fatal(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/*
 * listing_print - read showq's lists from s and print them to out in the
 * given format; exits through queue_fatal() on a malformed reply.
 */
void	listing_print(struct stream *s, FILE *out, enum listing_format format);

/* What sluice-queue reads of main.cf (params.c, sluice_queue_params). */
struct sq_settings {
	char		*queue_directory;
	char		*qmgr_service_name;
	long		 ipc_timeout;	/* seconds */
};

struct queue_space_usage;

/*
 * listing_print_space - the first line of a listing while new mail is
 * refused for lack of space (lib/queue/queue_space.h): a {"queue_status":
 * "refusing mail", ...} object in JSON, a "-- Mail is refused" line in
 * the classic listing
 */
void	listing_print_space(FILE *out, enum listing_format format,
	    const struct queue_space_usage *u, long minfree, long size_limit);

#endif
