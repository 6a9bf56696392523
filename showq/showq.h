/*
 * showq - internal interface between the skeleton wiring (main.c) and the
 * queue report (report.c).
 */
#ifndef SLUICE_SHOWQ_H
#define SLUICE_SHOWQ_H

#include "attr.h"
#include "config_table.h"
#include "stream.h"

/* A listed message stays within what the reader accepts (lib/service/attr.h). */
#define SHOWQ_LIST_BYTES	(ATTR_TOTAL_DEFAULT - 64 * 1024)
#define SHOWQ_LIST_ITEMS	(ATTR_COUNT_MAX - 16)

/*
 * showq_report - write one attr list per message of every queue, then the
 * empty list that ends the listing.  0, or -1 when the client went away.
 */
int	showq_report(struct stream *s);

/* The daemon's settings, read through showq_params (params.c). */
struct showq_daemon {
	long	ipc_timeout;		/* seconds */
};

extern const struct config_table showq_params[];

#endif
