/*
 * smtpd - the SMTP server daemon.
 *
 * Started by the master; one process runs up to smtpd_process_session_limit
 * sessions at once, each in a coroutine (lib/service/service.h, lib/io/coro.h), so
 * every wait of a session goes through lib/'s stream, sock, tls and dns.
 * Everything that needs the file system outside the queue directory
 * happens in pre_jail: the settings and lookup tables (settings.c), the
 * /etc/hosts snapshot and the resolver for client names (peer.c).  The
 * session itself (session.c) never writes the queue: it streams each
 * message to the cleanup service (queue.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "config_programs.h"
#include "client_limits.h"
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
	sc->client_limits = smtpd_client_limits_load(sc, ctx->service_name);
	smtpd_peer_prepare(ctx->cfg, sc->peername_lookup);
	if (sc->rules.needs_dns && !dns_initialized()) {
		struct strbuf err;

		strbuf_init(&err);
		if (dns_init(ctx->cfg, &err) != 0)
			msg_fatal("%s", err.data);
		strbuf_free(&err);
	}
	tzset();			/* Received: dates after chroot */
	ctx->session_limit = (unsigned)sc->session_limit;
	ctx->app = sc;
}

/* serve - one SMTP session */
static void
serve(struct service_context *ctx, int client_fd)
{
	smtpd_session_run(ctx->app, client_fd);
	if (!ctx->stop_accepting && smtpd_config_tables_changed(ctx->app)) {
		/* the other sessions of this process may still be running */
		msg_info("lookup table has changed -- restarting");
		service_stop_accepting(ctx);
	}
}

/* main - hand the callbacks to the service skeleton */
int
main(int argc, char **argv)
{
	static const struct service_ops ops = {
		.program = "smtpd",
		.tables = smtpd_tables,
		.pre_jail = pre_jail,
		.post_jail = NULL,
		.serve = serve,
	};

	/* -S: stand-alone for sendmail -bs, without the master */
	for (int i = 1; i < argc && argv[i][0] == '-'; i++)
		if (strcmp(argv[i], "-S") == 0)
			smtpd_standalone_main(argc, argv);
	service_main(argc, argv, &ops);
}
