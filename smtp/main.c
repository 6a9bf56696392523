/*
 * smtp - the SMTP/LMTP client delivery agent.
 *
 * A one-connection-at-a-time service under the master, running as
 * mail_owner (master.cf unpriv column "-"): qmgr connects to private/smtp
 * or private/lmtp, keeps the connection for many requests, and gets one
 * outcome per recipient back (lib/mail/deliver_request.h).  The same program
 * serves both; the service name or the request's transport selects LMTP.
 * The DNS resolver context is created in pre_jail, before any chroot.
 *
 * Parameters read: dns_resolver_address, dns_trust_anchor_file,
 * inet_protocols, ipc_timeout, lmtp_tcp_port, smtp_bind_address,
 * smtp_connect_timeout, smtp_connection_cache_time_limit,
 * smtp_data_done_timeout, smtp_data_init_timeout, smtp_data_xfer_timeout,
 * smtp_helo_name, smtp_helo_timeout, smtp_host_lookup, smtp_mail_timeout,
 * smtp_min_data_rate, smtp_mx_address_limit, smtp_mx_session_limit,
 * smtp_quit_timeout,
 * smtp_rcpt_timeout, smtp_sasl_auth_enable, smtp_sasl_password_maps,
 * smtp_sasl_tls_only, smtp_tcp_port, smtp_tls_CAfile, smtp_tls_CApath,
 * smtp_tls_mandatory_protocols, smtp_tls_policy_maps, smtp_tls_protocols,
 * smtp_tls_secure_cert_match,
 * smtp_tls_security_level, smtp_tls_session_cache_timeout,
 * smtp_tls_verify_cert_match.
 */
#include <stdlib.h>
#include <string.h>

#include "config_programs.h"
#include "config.h"
#include "dns.h"
#include "mem.h"
#include "msg.h"
#include "service.h"
#include "smtp.h"
#include "strlist.h"

/* smtp_pre_jail - the resolver reads its files before any chroot */
static void
smtp_pre_jail(struct service_context *ctx)
{
	struct strbuf err;

	strbuf_init(&err);
	if (dns_init(ctx->cfg, &err) < 0)
		msg_warn("DNS resolver unavailable: %s", err.data);
	strbuf_free(&err);
	/* CA files are read now; post_jail fills in the rest */
	ctx->app = xcalloc(1, sizeof(struct smtp_agent));
	((struct smtp_agent *)ctx->app)->qmgr_fd = -1;
	smtp_tls_setup(ctx->app, ctx->cfg);
}

/* smtp_post_jail - read the parameters */
static void
smtp_post_jail(struct service_context *ctx)
{
	struct smtp_agent *a = ctx->app;
	struct smtp_params *p = &a->p;
	struct strbuf err;

	a->service_name = ctx->service_name;
	/*
	 * What sluice check refuses is fatal here: qmgr then finds no agent
	 * and defers the mail, which waits in the queue, with the reason in
	 * the maillog.
	 */
	strbuf_init(&err);
	if (config_table_read(ctx->cfg, smtp_params, p, &err) > 0)
		config_table_fatal(&err);
	strbuf_free(&err);
	p->host_lookup_dns = strlist_contains_ci(&p->host_lookup, "dns");
	p->host_lookup_native = strlist_contains_ci(&p->host_lookup, "native");
	if (*p->helo_name == '\0')
		msg_fatal("smtp_helo_name is empty");
	ctx->app = a;
}

/* smtp_serve_cb - the skeleton's per-connection callback */
static void
smtp_serve_cb(struct service_context *ctx, int client_fd)
{
	smtp_serve(ctx->app, client_fd);
}

static const struct service_ops smtp_ops = {
	.program = "smtp",
	.tables = smtp_tables,
	.pre_jail = smtp_pre_jail,
	.post_jail = smtp_post_jail,
	.serve = smtp_serve_cb,
};

/* main - hand the smtp callbacks to the service skeleton */
int
main(int argc, char **argv)
{
	service_main(argc, argv, &smtp_ops);
}
