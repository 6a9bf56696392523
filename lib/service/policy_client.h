/*
 * policy_client - smtpd's client of external policy servers (Postfix's
 * check_policy_service, SMTPD_POLICY_README): one request, one reply,
 * over persistent connections.
 *
 * A client stands for one server ("inet:host:port", "inet:[v6]:port",
 * "unix:path"; a relative path is taken from the queue directory, as
 * "unix:private/policy") with its own settings.  The sessions of a
 * process are coroutines; a query takes an idle connection (or makes
 * one) for itself alone and puts it back afterwards, so requests never
 * interleave and a session that waits on the server holds only itself.
 * A connection is given up after max_idle without use, max_ttl after it
 * was made, after request_limit requests, or after any failure.  A query
 * is tried try_limit times, retry_delay apart (a kept connection the
 * server closed meanwhile costs one try); each try, connecting included,
 * must be done within timeout.  The caller applies its default action
 * when the query fails; why says what went wrong.
 */
#ifndef SLUICE_POLICY_CLIENT_H
#define SLUICE_POLICY_CLIENT_H

#include "strbuf.h"

struct policy_client_settings {
	long	 timeout_ms;	/* smtpd_policy_service_timeout, per try */
	long	 max_idle_ms;	/* smtpd_policy_service_max_idle */
	long	 max_ttl_ms;	/* smtpd_policy_service_max_ttl */
	long	 request_limit;	/* smtpd_policy_service_request_limit; 0: none */
	long	 try_limit;	/* smtpd_policy_service_try_limit, >= 1 */
	long	 retry_delay_ms; /* smtpd_policy_service_retry_delay */
};

struct policy_client;

/*
 * policy_endpoint_check - is endpoint a server address this client can
 * use?  0, or -1 with the reason in err (for sluice check)
 */
int	policy_endpoint_check(const char *endpoint, struct strbuf *err);

/*
 * policy_client_create - a client for endpoint (call before the chroot:
 * host names are resolved here, and again at each connection only if
 * that failed).  NULL with the reason in err for a malformed endpoint.
 */
struct policy_client *policy_client_create(const char *endpoint,
	    const struct policy_client_settings *settings, struct strbuf *err);
void	policy_client_free(struct policy_client *client);
/* policy_client_endpoint - the endpoint as given, for logs */
const char *policy_client_endpoint(const struct policy_client *client);

/*
 * policy_client_query - send request (policy_proto.h's lines with their
 * empty line) and read the reply.  0 with the action's value in action,
 * or -1 with why filled (every try failed, or the reply was refused:
 * a refused reply is not tried again, its server answered).
 */
int	policy_client_query(struct policy_client *client,
	    const struct strbuf *request, struct strbuf *action,
	    struct strbuf *why);

/*
 * policy_client_expire - close the idle connections past max_idle or
 * max_ttl now, instead of at the next query
 */
void	policy_client_expire(struct policy_client *client);

/* policy_client_idle_count - connections kept for reuse (tests) */
int	policy_client_idle_count(const struct policy_client *client);

#endif
