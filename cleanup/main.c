/*
 * cleanup - build queue files from messages handed in by smtpd and pickup.
 *
 * A service under the master (lib/service/service.h) that serves up to
 * cleanup_process_session_limit connections at once, each in a coroutine:
 * while one session waits for its client or its fsyncs (started through
 * AIO, lib/io/async_fsync.h), the others run, so a few busy processes do
 * what one process per connection did.  Each connection carries messages
 * in the conversation described in lib/mail/cleanup_client.h; see protocol.c.
 * Parameters read: hopcount_limit, header_size_limit, message_size_limit,
 * always_add_missing_headers, cleanup_replace_stray_cr_lf, myhostname,
 * ipc_timeout, in_flow_delay, cleanup_process_session_limit,
 * enable_original_recipient, duplicate_filter_limit, and the resolver's
 * (lib/mail/resolve.h) for virtual alias expansion.
 */
#include <string.h>
#include <time.h>

#include "config_programs.h"
#include "cleanup.h"
#include "config.h"
#include "mem.h"
#include "msg.h"
#include "service.h"
#include "strbuf.h"

/*
 * cleanup_pre_jail - load the time zone and open the virtual alias
 * tables and the header and body checks (once per process) while /etc
 * is still reachable
 */
static void
cleanup_pre_jail(struct service_context *ctx)
{
	struct cleanup_daemon *d = xcalloc(1, sizeof(*d));
	struct strbuf err;

	tzset();
	cleanup_expand_open(&d->expand, ctx->cfg);
	cleanup_rewrite_open(&d->expand);
	/* a table sluice check refuses is fatal: smtpd answers 451 */
	strbuf_init(&err);
	if (config_table_read(ctx->cfg, cleanup_checks_params, &d->checks,
	    &err) > 0)
		config_table_fatal(&err);
	strbuf_free(&err);
	d->checks.limits.nesting_limit = d->checks.nesting_limit;
	d->checks.limits.boundary_length_limit = d->checks.boundary_limit;
	d->checks.limits.header_limit = d->checks.header_limit;
	ctx->app = d;
}

/* cleanup_post_jail - read the parameters into the daemon's state */
static void
cleanup_post_jail(struct service_context *ctx)
{
	struct cleanup_daemon *d = ctx->app;
	struct strbuf err;

	/*
	 * What sluice check refuses is fatal here: smtpd then answers 451
	 * (no cleanup), and pickup leaves the maildrop files where they are.
	 */
	strbuf_init(&err);
	if (config_table_read(ctx->cfg, cleanup_params, &d->params, &err) > 0)
		config_table_fatal(&err);
	strbuf_free(&err);
	ctx->session_limit = (unsigned)d->params.session_limit;
	if (ctx->session_limit < 1)
		ctx->session_limit = 1;
}

static const struct service_ops cleanup_ops = {
	.program = "cleanup",
	.tables = cleanup_tables,
	.pre_jail = cleanup_pre_jail,
	.post_jail = cleanup_post_jail,
	.serve = cleanup_serve,
};

/* main - hand the cleanup callbacks to the service skeleton */
int
main(int argc, char **argv)
{
	service_main(argc, argv, &cleanup_ops);
}
