/*
 * bounce - delivery status notifications for the queue manager
 * (Postfix's bounce(8)).
 *
 * At the end of a delivery attempt qmgr asks this service for the
 * notices it owes: failures (non-delivery), delays (delay warnings) and
 * NOTIFY=SUCCESS deliveries.  Writing a notice means reading the original
 * queue file and waiting for cleanup's fsyncs, which qmgr's event loop
 * must not do: it keeps scheduling other mail while a notice is written
 * here and finishes the message's attempt when the reply comes.
 *
 * A service under the master (lib/service.h) as mail_owner, in
 * multi-session mode: every qmgr connection carries one request
 * (lib/mail/bounce_request.h) and is a coroutine running serve.c, so a notice
 * waiting for cleanup holds only its own session.  notify.c opens
 * active/ID (a plain file of ours with one link), holds an exclusive lock
 * on it while it works (a qmgr restarted meanwhile takes the file for
 * one still being written, and leaves it alone until the lock goes),
 * builds the notice (notice.c), queues it through private/cleanup, marks
 * the records qmgr asked it to mark done and flushes them, then replies.
 *
 * Parameters (params.c): myhostname, double_bounce_sender,
 * 2bounce_notice_recipient, bounce_notice_recipient,
 * delay_notice_recipient, notify_classes, bounce_size_limit,
 * maximal_queue_lifetime, bounce_queue_lifetime, cleanup_service_name,
 * ipc_timeout.
 */
#include <time.h>

#include "config_programs.h"
#include "bounce.h"
#include "mem.h"
#include "msg.h"
#include "service.h"
#include "strbuf.h"

/* bounce_pre_jail - the time zone for Date: and Arrival-Date: */
static void
bounce_pre_jail(struct service_context *ctx)
{
	tzset();
	ctx->session_limit = BOUNCE_SESSION_LIMIT;
}

/*
 * bounce_post_jail - the settings, read once.  What sluice check refuses
 * is fatal here: qmgr keeps the records it asked about and asks again.
 */
static void
bounce_post_jail(struct service_context *ctx)
{
	struct bounce_settings *set = xcalloc(1, sizeof(*set));
	struct strbuf err;

	strbuf_init(&err);
	if (config_table_read(ctx->cfg, bounce_params, set, &err) > 0)
		config_table_fatal(&err);
	strbuf_free(&err);
	ctx->app = set;
}

/* main - hand the callbacks to the service skeleton */
int
main(int argc, char **argv)
{
	static const struct service_ops ops = {
		.program = "bounce",
		.tables = bounce_tables,
		.pre_jail = bounce_pre_jail,
		.post_jail = bounce_post_jail,
		.serve = bounce_serve,
	};

	service_main(argc, argv, &ops);
}
