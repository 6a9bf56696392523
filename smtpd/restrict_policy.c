/*
 * restrict_policy - check_policy_service: ask an external policy server
 * (Postfix's SMTPD_POLICY_README protocol) and do what it answers.
 *
 * The argument names the server ("inet:host:port", "unix:path"; a
 * relative path is taken from the queue directory), optionally in
 * Postfix's braces with per-server settings (lib/service/
 * policy_service.h).  Steps that ask the same server with the same
 * settings share one client, so its connections are kept once per
 * process (policy_client.h).  The request carries every attribute
 * Postfix sends (policy_request.c); the answer is an access(5) action,
 * applied by the one function that applies a table's (restrict_access.h)
 * with the stage's reply name and class, so "DEFER_IF_PERMIT
 * Greylisted" or "PREPEND X-Greylist: ..." mean what they mean in an
 * access map.  When the server cannot be asked or its reply is refused,
 * the default action is applied instead, the same way.
 *
 * Parameters: smtpd_policy_service_timeout, _max_idle, _max_ttl,
 * _request_limit, _try_limit, _retry_delay, _default_action,
 * _policy_context.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "policy_client.h"
#include "policy_service.h"
#include "restrict.h"
#include "restrict_access.h"
#include "restrict_builtin.h"
#include "smtpd.h"

/* smtpd_policy_service_default_action's default, for a nested failure */
#define POLICY_BUILTIN_DEFAULT	"451 4.3.5 Server configuration problem"

/* one client of this process, shared by the steps with its key */
struct policy_server {
	struct policy_server *next;
	char	*key;
	struct policy_client *client;
	unsigned refs;
};

/* what a step keeps (step->data) */
struct policy_step {
	struct policy_server *server;
	char	*default_action;
	char	*context;
};

static struct policy_server *servers;

/* server_get - the shared client for spec, made on first use */
static struct policy_server *
server_get(const struct policy_service_spec *spec, struct strbuf *err)
{
	struct policy_server *srv;
	struct policy_client *client;
	struct strbuf key;

	strbuf_init(&key);
	policy_service_key(spec, &key);
	for (srv = servers; srv != NULL; srv = srv->next) {
		if (strcmp(srv->key, key.data) == 0) {
			srv->refs++;
			strbuf_free(&key);
			return (srv);
		}
	}
	if ((client = policy_client_create(spec->endpoint, &spec->set,
	    err)) == NULL) {
		strbuf_free(&key);
		return (NULL);
	}
	srv = xcalloc(1, sizeof(*srv));
	srv->key = strbuf_detach(&key);
	srv->client = client;
	srv->refs = 1;
	srv->next = servers;
	servers = srv;
	return (srv);
}

/* server_put - one step fewer uses it; the last closes its connections */
static void
server_put(struct policy_server *srv)
{
	struct policy_server **pp;

	if (--srv->refs > 0)
		return;
	for (pp = &servers; *pp != srv; pp = &(*pp)->next)
		;
	*pp = srv->next;
	policy_client_free(srv->client);
	free(srv->key);
	free(srv);
}

/* restrict_policy_prepare - the step's server, before the jail */
int
restrict_policy_prepare(struct restrict_step *step, struct smtpd_config *sc,
    struct strbuf *err)
{
	struct policy_client_settings base = {
		.timeout_ms = sc->policy_timeout * 1000,
		.max_idle_ms = sc->policy_max_idle * 1000,
		.max_ttl_ms = sc->policy_max_ttl * 1000,
		.request_limit = sc->policy_request_limit,
		.try_limit = sc->policy_try_limit,
		.retry_delay_ms = sc->policy_retry_delay * 1000,
	};
	struct policy_service_spec spec;
	struct policy_server *srv = NULL;
	struct policy_step *ps;
	const char *action;

	if (policy_service_parse(step->word->arg, &base, &spec, err) == 0) {
		action = spec.default_action != NULL ? spec.default_action :
		    sc->policy_default_action;
		if (policy_default_action_check(action, err) == 0)
			srv = server_get(&spec, err);
	}
	if (srv == NULL) {
		policy_service_spec_free(&spec);
		return (-1);
	}
	ps = xcalloc(1, sizeof(*ps));
	ps->server = srv;
	ps->default_action = xstrdup(spec.default_action != NULL ?
	    spec.default_action : sc->policy_default_action);
	ps->context = xstrdup(spec.context != NULL ? spec.context :
	    sc->policy_context != NULL ? sc->policy_context : "");
	step->data = ps;
	policy_service_spec_free(&spec);
	return (0);
}

/* restrict_policy_release - what prepare made */
void
restrict_policy_release(struct restrict_step *step)
{
	struct policy_step *ps = step->data;

	if (ps == NULL)
		return;
	server_put(ps->server);
	free(ps->default_action);
	free(ps->context);
	free(ps);
	step->data = NULL;
}

/*
 * The evaluations now applying a default action.  A default action that
 * is a restriction list may name a policy server that fails too; that
 * one gets the built-in default instead of starting over (as Postfix
 * guards it).  Kept per evaluation, not in a counter: sessions are
 * coroutines, and another one may run while this one waits on a server.
 */
struct default_guard {
	struct default_guard *next;
	const struct restrict_ctx *ctx;
};

static struct default_guard *applying_default;

/* default_nested - is ctx already applying a default action? */
static bool
default_nested(const struct restrict_ctx *ctx)
{
	for (struct default_guard *g = applying_default; g != NULL; g = g->next)
		if (g->ctx == ctx)
			return (true);
	return (false);
}

/* apply_default - the default action, guarded against recursion */
static enum restrict_result
apply_default(struct restrict_ctx *ctx, const struct restrict_step *step,
    const struct policy_step *ps)
{
	struct default_guard guard = { applying_default, ctx }, **pp;
	const char *action = default_nested(ctx) ? POLICY_BUILTIN_DEFAULT :
	    ps->default_action;
	enum restrict_result res;

	applying_default = &guard;
	res = restrict_access_apply(ctx, step,
	    policy_client_endpoint(ps->server->client), action, strlen(action),
	    ctx->reply_name, ctx->reply_class);
	/* others may have come and gone meanwhile: unlink this one */
	for (pp = &applying_default; *pp != &guard; pp = &(*pp)->next)
		;
	*pp = guard.next;
	return (res);
}

/* restrict_check_policy_service - ask, then apply the answer */
enum restrict_result
restrict_check_policy_service(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	struct policy_step *ps = step->data;
	struct strbuf req, action, why;
	enum restrict_result res;

	/* the idle connections of every server go when their time is up */
	for (struct policy_server *srv = servers; srv != NULL; srv = srv->next)
		policy_client_expire(srv->client);
	strbuf_init(&req);
	strbuf_init(&action);
	strbuf_init(&why);
	smtpd_policy_request(ctx->session, ctx->command, ctx->sender,
	    ctx->recipient, ps->context, &req);
	if (policy_client_query(ps->server->client, &req, &action, &why) == 0)
		res = restrict_access_apply(ctx, step,
		    policy_client_endpoint(ps->server->client), action.data,
		    action.len, ctx->reply_name, ctx->reply_class);
	else
		res = apply_default(ctx, step, ps);
	strbuf_free(&req);
	strbuf_free(&action);
	strbuf_free(&why);
	return (res);
}
