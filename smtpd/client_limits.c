/*
 * client_limits - how many sessions one client may hold at once and how
 * many it may open per time unit, over all smtpd processes of a service.
 *
 * Each smtpd process holds many sessions, and the master runs many
 * processes, so the counts live in anvil(8); each process keeps one
 * connection to it (lib/service/anvil_client.h).  A session registers right
 * before the greeting and deregisters at its very end; in between it
 * costs nothing.  As in Postfix, a client over smtpd_client_connection_
 * count_limit or smtpd_client_connection_rate_limit gets "421 4.7.0
 * HOSTNAME Error: too many connections from ADDR" instead of the banner,
 * and the log a warning line.  Clients matching
 * smtpd_client_event_limit_exceptions (default $mynetworks) are neither
 * counted nor limited, and when anvil cannot be reached every client is
 * let in (the client logs that once).  A client is its network block of
 * smtpd_client_ipv4_prefix_length or smtpd_client_ipv6_prefix_length
 * bits, as in Postfix 3.8: one IPv6 host has a /64 or more to connect
 * from.
 *
 * Parameters: smtpd_client_connection_count_limit,
 * smtpd_client_connection_rate_limit, smtpd_client_event_limit_exceptions,
 * smtpd_client_ipv4_prefix_length, smtpd_client_ipv6_prefix_length,
 * anvil_service_name.
 */
#include <stdlib.h>

#include "anvil_client.h"
#include "client_limits.h"
#include "mem.h"
#include "msg.h"
#include "netmatch.h"
#include "smtpd.h"
#include "strbuf.h"

struct smtpd_client_limits {
	long		 count_limit;	/* 0: none */
	long		 rate_limit;	/* 0: none */
	int		 ipv4_prefix;	/* bits of a client's address counted */
	int		 ipv6_prefix;
	struct netlist	*exceptions;
	char		*service;	/* master.cf name, in idents and logs */
	struct anvil_client *anvil;	/* NULL when there is no limit */
};

/* smtpd_client_limits_load - see client_limits.h */
struct smtpd_client_limits *
smtpd_client_limits_load(const struct smtpd_config *sc, const char *service)
{
	struct smtpd_client_limits *l = xcalloc(1, sizeof(*l));
	struct strbuf path;

	l->count_limit = sc->client_count_limit;
	l->rate_limit = sc->client_rate_limit;
	l->ipv4_prefix = (int)sc->client_ipv4_prefix;
	l->ipv6_prefix = (int)sc->client_ipv6_prefix;
	l->exceptions = sc->client_limit_exceptions;	/* sc's, for life */
	l->service = xstrdup(service);
	/* no limit, no traffic (as Postfix, which then has no anvil client) */
	if (l->count_limit > 0 || l->rate_limit > 0) {
		strbuf_init(&path);
		strbuf_printf(&path, "private/%s", sc->anvil_service);
		l->anvil = anvil_client_create(path.data);
		strbuf_free(&path);
	}
	return (l);
}

/* client_ident - "service:range", the key of the client in anvil */
static void
client_ident(const struct smtpd_client_limits *l,
    const struct smtpd_session *s, struct strbuf *ident)
{
	struct strbuf range;

	strbuf_init(&range);
	anvil_client_range(s->peer.addr, l->ipv4_prefix, l->ipv6_prefix, &range);
	strbuf_printf(ident, "%s:%s", l->service, range.data);
	strbuf_free(&range);
}

/* over_limit - refuse the session: the warning and the 421 */
static bool
over_limit(struct smtpd_session *s, const char *what, long value)
{
	const struct smtpd_client_limits *l = s->cfg->client_limits;

	msg_warn("Connection %s limit exceeded: %ld from %s for service %s",
	    what, value, s->peer.namaddr, l->service);
	smtpd_reply(s, "421 4.7.0 %s Error: too many connections from %s",
	    s->cfg->myhostname, s->peer.addr);
	return (false);
}

/* smtpd_client_limits_admit - see client_limits.h */
bool
smtpd_client_limits_admit(struct smtpd_session *s)
{
	const struct smtpd_client_limits *l = s->cfg->client_limits;
	struct strbuf ident;
	long	 count, rate;
	int	 status;

	if (l == NULL || l->anvil == NULL ||
	    netlist_match(l->exceptions, s->peer.addr))
		return (true);
	strbuf_init(&ident);
	client_ident(l, s, &ident);
	status = anvil_client_connect(l->anvil, ident.data, &count, &rate,
	    &s->anvil_ticket);
	strbuf_free(&ident);
	if (status != ANVIL_OK)
		return (true);			/* fail open, as Postfix */
	if (l->count_limit > 0 && count > l->count_limit)
		return (over_limit(s, "concurrency", count));
	if (l->rate_limit > 0 && rate > l->rate_limit)
		return (over_limit(s, "rate", rate));
	return (true);
}

/* smtpd_client_limits_done - see client_limits.h */
void
smtpd_client_limits_done(struct smtpd_session *s)
{
	const struct smtpd_client_limits *l = s->cfg->client_limits;
	struct strbuf ident;

	if (l == NULL || l->anvil == NULL || s->anvil_ticket == 0)
		return;
	strbuf_init(&ident);
	client_ident(l, s, &ident);
	anvil_client_disconnect(l->anvil, ident.data, s->anvil_ticket);
	strbuf_free(&ident);
	s->anvil_ticket = 0;
}
