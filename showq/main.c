/*
 * showq - list the mail queue for sluice-queue(1) and mailq(1).
 *
 * A one-connection-at-a-time service under the master on public/showq
 * (mail_owner, not chrooted).  It reads nothing from the client: on each
 * connection it writes, in the attribute protocol of lib/service/attr.h, one list
 * per queued message
 *	queue_name, queue_id, arrival_time, message_size, sender,
 *	forced_expire, then per pending recipient: recipient, delay_reason
 * in queue order (maildrop, incoming, active, deferred, hold), then by ID
 * (arrival order), and ends with an empty list.  See report.c.
 * Parameters read: ipc_timeout.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "config_programs.h"
#include "config.h"
#include "mem.h"
#include "msg.h"
#include "service.h"
#include "showq.h"
#include "stream.h"

/* showq_post_jail - read the parameters into the daemon's state */
static void
showq_post_jail(struct service_context *ctx)
{
	struct showq_daemon *d = xcalloc(1, sizeof(*d));
	struct strbuf err;

	/* sluice check refuses what cannot be read; a listing needs it */
	strbuf_init(&err);
	if (config_table_read(ctx->cfg, showq_params, d, &err) > 0)
		config_table_fatal(&err);
	strbuf_free(&err);
	ctx->app = d;
}

/* showq_serve - write the whole listing to one client */
static void
showq_serve(struct service_context *ctx, int client_fd)
{
	struct showq_daemon *d = ctx->app;
	struct stream *s;
	int	 fd;

	if ((fd = dup(client_fd)) < 0) {
		msg_warn("dup: %s", strerror(errno));
		return;
	}
	s = stream_open(fd);
	stream_set_timeout(s, (int)d->ipc_timeout);
	if (showq_report(s) < 0)
		msg_debug("client went away: %s",
		    stream_status_text(stream_status(s)));
	stream_close(s);
}

static const struct service_ops showq_ops = {
	.program = "showq",
	.tables = showq_tables,
	.post_jail = showq_post_jail,
	.serve = showq_serve,
};

/* main - hand the showq callbacks to the service skeleton */
int
main(int argc, char **argv)
{
	service_main(argc, argv, &showq_ops);
}
