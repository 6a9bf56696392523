/*
 * qmgr - the queue manager.
 *
 * Moves complete messages from incoming/ (and due ones from deferred/)
 * to active/, resolves their recipients, delivers them through the
 * delivery agents on private/TRANSPORT, records outcomes in the queue
 * files, defers with back-off, expires and notifies.  One long-lived
 * process (master.cf maxproc 1) driven by a poll loop: triggers arrive
 * on public/qmgr (lib/io/trigger.h), the timers cover the rest.
 *
 * Parameters: minimal_backoff_time, maximal_backoff_time,
 * maximal_queue_lifetime, bounce_queue_lifetime, delay_warning_time,
 * queue_run_delay, qmgr_message_active_limit, in_flow_window, ipc_timeout,
 * default_destination_concurrency_limit,
 * TRANSPORT_destination_concurrency_limit,
 * default_destination_recipient_limit,
 * TRANSPORT_destination_recipient_limit, default_process_limit, and
 * those of lib/mail/resolve.h.
 */
#include <sys/resource.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config_programs.h"
#include "mem.h"
#include "msg.h"
#include "qmgr.h"

/* qmgr_pre_jail - open the tables while they are reachable */
static void
qmgr_pre_jail(struct service_context *ctx)
{
	struct qmgr *qm = xcalloc(1, sizeof(*qm));
	struct strbuf err, path;
	struct rlimit rl;

	strbuf_init(&err);
	strbuf_init(&path);
	qm->ctx = ctx;
	qm->cfg = ctx->cfg;
	/*
	 * Read before the jail, not after as the other daemons do: master.cf,
	 * which needs default_process_limit, is not reachable in a chroot.
	 * What sluice check refuses is fatal; the mail waits in the queue.
	 */
	if (config_table_read(ctx->cfg, qmgr_params, qm, &err) > 0)
		config_table_fatal(&err);
	strbuf_reset(&err);
	if ((qm->resolver = resolve_open(ctx->cfg, &err)) == NULL)
		msg_fatal("%s", err.data);
	strbuf_printf(&path, "%s/master.cf", ctx->config_dir);
	strbuf_reset(&err);
	if (master_cf_load(path.data, qm->default_process_limit > INT_MAX ?
	    INT_MAX : (int)qm->default_process_limit, &qm->services,
	    &qm->service_count, &err) < 0) {
		msg_warn("%s; agent connection limits default", err.data);
		qm->services = NULL;
		qm->service_count = 0;
	}
	/* Agent connections and trigger clients all need descriptors. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	strbuf_free(&err);
	strbuf_free(&path);
	ctx->app = qm;
}

/* qmgr_run - the skeleton's hand-over to the event loop */
static void
qmgr_run(struct service_context *ctx, const int *listen_fds, int count)
{
	qmgr_loop(ctx->app, listen_fds, count);
}

static const struct service_ops qmgr_ops = {
	.program = "qmgr",
	.tables = qmgr_tables,
	.pre_jail = qmgr_pre_jail,
	.run = qmgr_run,
};

/* main - hand over to the service skeleton */
int
main(int argc, char **argv)
{
	service_main(argc, argv, &qmgr_ops);
}
