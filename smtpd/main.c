/*
 * smtpd - the SMTP server daemon.
 *
 * Started by the master (one SMTP session at a time per process, see
 * lib/service.h).  Everything that needs the file system outside the
 * queue directory happens in pre_jail: the settings and lookup tables
 * (settings.c) and the resolver and name-service set-up (peer.c).  The
 * session itself (session.c) never writes the queue: it streams each
 * message to the cleanup service (queue.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "dns.h"
#include "mem.h"
#include "msg.h"
#include "service.h"
#include "smtpd.h"

/* pre_jail - settings and tables, while the file system is still ours */
static void
pre_jail(struct service_context *ctx)
{
	struct smtpd_config *sc = xcalloc(1, sizeof(*sc));

	smtpd_config_load(sc, ctx->cfg);
	smtpd_peer_prepare();
	if (sc->reject_unknown_sender_domain) {
		struct strbuf err;

		strbuf_init(&err);
		if (dns_init(ctx->cfg, &err) != 0)
			msg_fatal("%s", err.data);
		strbuf_free(&err);
	}
	tzset();			/* Received: dates after chroot */
	ctx->app = sc;
}

/* serve - one SMTP session */
static void
serve(struct service_context *ctx, int client_fd)
{
	smtpd_session_run(ctx->app, client_fd);
	if (smtpd_config_tables_changed(ctx->app)) {
		msg_info("lookup table has changed -- restarting");
		close(client_fd);
		exit(0);
	}
}

/* main - hand the callbacks to the service skeleton */
int
main(int argc, char **argv)
{
	static const struct service_ops ops = {
		.program = "smtpd",
		.pre_jail = pre_jail,
		.post_jail = NULL,
		.serve = serve,
	};

	service_main(argc, argv, &ops);
}
