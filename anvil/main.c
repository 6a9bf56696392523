/*
 * anvil - session counts and event rates per client, shared by every
 * process of a service (Postfix's anvil(8)).
 *
 * smtpd runs many processes with many sessions each; a per-client limit
 * must count across all of them, so they ask this one process.  It runs
 * under the service skeleton in multi-session mode on private/anvil
 * (master.cf maxproc 1): every client connection (one per smtpd process,
 * kept for the life of that process) is a coroutine running serve.c, and
 * all of them share one lib/anvil_table.  When a connection closes, for
 * whatever reason (the smtpd exited or was killed), the sessions it
 * registered are released.
 *
 * Protocol (lib/service/attr.h lists).  ident is the client as the caller names
 * it ("service:address" for smtpd); anvil does not interpret it.
 *
 *	request=connect ident=ID
 *		-> status=0 count=SESSIONS rate=CONNECTIONS_IN_TIME_UNIT
 *	request=disconnect ident=ID
 *		-> no reply (one of this connection's sessions of ID ends;
 *		   a session it did not register is ignored)
 *	request=event ident=ID event=message|recipient|newtls|auth
 *		-> status=0 rate=EVENTS_IN_TIME_UNIT
 *	request=lookup ident=ID [event=NAME]
 *		-> status=0 count=SESSIONS rate=N (nothing is counted)
 *	anything else understood as a list
 *		-> status=1
 *
 * Rates are counted per anvil_rate_time_unit in a fixed window that the
 * first event of an ident opens.  The statistics (stats.c) are logged
 * every anvil_status_update_time and at exit.
 *
 * Parameters: anvil_rate_time_unit, anvil_status_update_time, max_idle
 * (raised to at least anvil_rate_time_unit, so that a rate window is not
 * forgotten early), max_use (not applied: the connections are long-lived,
 * and a new anvil would start with empty counters).
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config_programs.h"
#include "anvil.h"
#include "config.h"
#include "mem.h"
#include "msg.h"
#include "service.h"

/*
 * One connection per client process: a few services of up to
 * default_process_limit processes each.  A full anvil reports busy, and
 * clients beyond it wait in the listen queue and fail open.  Each
 * connection takes two descriptors (the skeleton's and serve.c's copy).
 */
#define ANVIL_CONNECTION_LIMIT	1000
#define ANVIL_SPARE_FDS		64	/* log, epoll, listeners, status */

static struct anvil_daemon *anvil_at_exit;	/* for the last statistics */

/* anvil_exit - the statistics since the last report, when the process ends */
static void
anvil_exit(void)
{
	anvil_stats_log(anvil_at_exit);
}

/*
 * connection_limit - ANVIL_CONNECTION_LIMIT, or fewer when the
 * descriptor limit (raised to its hard maximum first) is lower
 */
static unsigned
connection_limit(void)
{
	struct rlimit rl;
	rlim_t	 fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return (ANVIL_CONNECTION_LIMIT);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >=
	    2 * ANVIL_CONNECTION_LIMIT + ANVIL_SPARE_FDS)
		return (ANVIL_CONNECTION_LIMIT);
	fit = rl.rlim_cur > 2 * ANVIL_SPARE_FDS ?
	    (rl.rlim_cur - ANVIL_SPARE_FDS) / 2 : ANVIL_SPARE_FDS / 2;
	msg_warn("descriptor limit %lu: at most %lu client connections",
	    (unsigned long)rl.rlim_cur, (unsigned long)fit);
	return ((unsigned)fit);
}

/* anvil_pre_jail - parameters, the table, the skeleton's limits */
static void
anvil_pre_jail(struct service_context *ctx)
{
	struct anvil_daemon *d = xcalloc(1, sizeof(*d));
	struct strbuf err;
	char	 num[32];

	/* sluice check refuses what cannot be read: no guessing a rate window */
	strbuf_init(&err);
	if (config_table_read(ctx->cfg, anvil_params, d, &err) > 0)
		config_table_fatal(&err);
	strbuf_free(&err);
	d->table = anvil_table_create(d->time_unit);
	anvil_stats_start(d, time(NULL));
	tzset();			/* statistics times after chroot */
	ctx->session_limit = connection_limit();
	/* as Postfix's anvil: no use limit, no exit within a rate window */
	snprintf(num, sizeof(num), "%ld", 1L << 30);
	config_set(ctx->cfg, "max_use", num);
	if (d->max_idle < d->time_unit) {
		snprintf(num, sizeof(num), "%lds", d->time_unit);
		config_set(ctx->cfg, "max_idle", num);
	}
	ctx->app = d;
	anvil_at_exit = d;
	if (atexit(anvil_exit) != 0)
		msg_warn("atexit: cannot log the statistics at exit");
}

/* main - hand the callbacks to the service skeleton */
int
main(int argc, char **argv)
{
	static const struct service_ops ops = {
		.program = "anvil",
		.tables = anvil_tables,
		.pre_jail = anvil_pre_jail,
		.serve = anvil_serve,
	};

	service_main(argc, argv, &ops);
}
