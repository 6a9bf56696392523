/*
 * pickup - feed mail that sluice-drop left in maildrop/ to cleanup.
 *
 * A trigger service (lib/io/trigger.h) on public/pickup: sluice-drop pokes
 * it with 'A' after each new file and the master with 'W' every wakeup
 * seconds; either way the poke is read and dropped and maildrop/ is
 * scanned (scan.c).  Runs as mail_owner.  Each complete file is handed to
 * cleanup as local mail from the user who owns it (submit.c); the file's
 * owner is the only thing about the submitter pickup trusts.
 *
 * Parameters: cleanup_service_name, ipc_timeout, message_size_limit,
 * myhostname.
 */
#include <sys/socket.h>

#include <poll.h>
#include <unistd.h>

#include "config_programs.h"
#include "mem.h"
#include "pickup.h"
#include "service.h"
#include "trigger.h"

#define PICKUP_TRIGGER_WAIT_MS	1000

/* post_jail - the settings, read once per process */
static void
post_jail(struct service_context *ctx)
{
	struct pickup_config *pc = xcalloc(1, sizeof(*pc));

	pickup_config_load(pc, ctx->cfg);
	ctx->app = pc;
}

/* serve - swallow the poke (its content does not matter), then scan */
static void
serve(struct service_context *ctx, int client_fd)
{
	struct pollfd pfd = { .fd = client_fd, .events = POLLIN };
	char buf[TRIGGER_MAX];

	if (poll(&pfd, 1, PICKUP_TRIGGER_WAIT_MS) > 0)
		(void)read(client_fd, buf, sizeof(buf));
	(void)shutdown(client_fd, SHUT_RDWR);	/* the poker need not wait */
	pickup_scan(ctx->app);
}

/* main - hand the callbacks to the service skeleton */
int
main(int argc, char **argv)
{
	static const struct service_ops ops = {
		.program = "pickup",
		.tables = pickup_tables,
		.post_jail = post_jail,
		.serve = serve,
	};

	service_main(argc, argv, &ops);
}
