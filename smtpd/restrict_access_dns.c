/*
 * restrict_access_dns - the check_*_access restrictions that judge a name
 * by the hosts the DNS says serve it, for each name smtpd knows (the
 * client's verified name, its unverified PTR name, the HELO name, the
 * sender's and the recipient's domain): check_*_mx_access (the domain's
 * MX hosts), check_*_ns_access (its name servers) and check_*_a_access
 * (the name's own addresses), as Postfix has them.
 *
 * As Postfix: each server's name is looked up as a domain (not for the A
 * check), then each of its addresses as a host address, and the first
 * entry found decides.  A domain literal is its own MX host; a domain
 * with a null MX, a DNS failure or a name that cannot be asked skips the
 * check (a warning, never a refusal: the DNS being down says nothing
 * about the mail).  These checks may refuse but never permit: the names
 * are the sender's to choose (restrict_access_no_permit).  Lookups wait
 * through lib/dns, which parks only this session.
 *
 * Parameters: those of restrict_access.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "msg.h"
#include "restrict_access.h"
#include "restrict_access_impl.h"
#include "smtpd.h"

#define ADDRESS_CHECK_MAX	100	/* Postfix's dns_rr_list_limit */

enum server_kind { SERVER_A, SERVER_MX, SERVER_NS };

struct server_check {
	struct restrict_ctx *ctx;
	const struct restrict_step *step;
	const struct access_table *table;
	const char	*reply_name;
	const char	*reply_class;
	struct strbuf	 value;
	size_t		 addresses;	/* checked so far */
	bool		 decided;	/* an entry was found */
};

/* check_addr - one host address; decided when the table has an entry */
static enum restrict_result
check_addr(struct server_check *sc, const char *addr)
{
	int	 found = access_find_host_address(&sc->table->lookup, addr,
	    &sc->value);

	sc->decided = found != MAP_NOTFOUND;
	return (restrict_access_result(sc->ctx, sc->step, found, &sc->value,
	    sc->reply_name, sc->reply_class));
}

/* addr_text - a resolved address as text */
static const char *
addr_text(const struct dns_addr *a, char *buf, size_t size)
{
	const struct sockaddr *sa = (const struct sockaddr *)&a->sa;

	if (sa->sa_family == AF_INET6)
		return (inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    sa)->sin6_addr, buf, (socklen_t)size));
	return (inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
	    buf, (socklen_t)size));
}

/* check_host - a server's name (unless kind A), then its addresses */
static enum restrict_result
check_host(struct server_check *sc, const char *host, enum server_kind kind)
{
	struct dns_hosts hosts;
	struct strbuf why;
	enum restrict_result status = RESTRICT_DUNNO;
	char	 buf[INET6_ADDRSTRLEN];
	int	 found;

	if (access_is_host_address(host))
		return (check_addr(sc, host));
	if (kind != SERVER_A) {
		found = access_find_domain(&sc->table->lookup, host, &sc->value);
		sc->decided = found != MAP_NOTFOUND;
		status = restrict_access_result(sc->ctx, sc->step, found,
		    &sc->value, sc->reply_name, sc->reply_class);
		if (sc->decided || status != RESTRICT_DUNNO)
			return (status);
	}
	strbuf_init(&why);
	if (dns_lookup_host(host, &hosts, &why) != DNS_OK) {
		if (kind != SERVER_A)
			msg_warn("Unable to look up %s host %s for %s %s: %s",
			    kind == SERVER_MX ? "MX" : "NS", host,
			    sc->reply_class, sc->reply_name, why.data);
		strbuf_free(&why);
		return (RESTRICT_DUNNO);
	}
	strbuf_free(&why);
	for (size_t h = 0; h < hosts.count && !sc->decided &&
	    status == RESTRICT_DUNNO; h++) {
		for (size_t i = 0; i < hosts.hosts[h].addr_count; i++) {
			if (++sc->addresses > ADDRESS_CHECK_MAX) {
				msg_warn("%s server address count limit (%d) "
				    "exceeded for %s %s -- ignoring the remainder",
				    kind == SERVER_MX ? "MX" : kind == SERVER_NS ?
				    "NS" : "A", ADDRESS_CHECK_MAX,
				    sc->reply_class, sc->reply_name);
				sc->decided = true;
				break;
			}
			status = check_addr(sc, addr_text(&hosts.hosts[h].addrs[i],
			    buf, sizeof(buf)));
			if (sc->decided || status != RESTRICT_DUNNO)
				break;
		}
	}
	dns_hosts_free(&hosts);
	return (status);
}

/* literal - [addr] is its own MX host; NS has no such thing */
static enum restrict_result
literal(struct server_check *sc, const char *domain, enum server_kind kind)
{
	char	 addr[INET6_ADDRSTRLEN + 8];
	size_t	 len = strlen(domain);
	const char *bare = addr;

	if (kind == SERVER_NS || len < 3 || domain[len - 1] != ']' ||
	    len - 2 >= sizeof(addr))
		return (RESTRICT_DUNNO);
	memcpy(addr, domain + 1, len - 2);
	addr[len - 2] = '\0';
	if (strncasecmp(addr, "IPv6:", 5) == 0)
		bare += 5;
	if (!access_is_host_address(bare))
		return (RESTRICT_DUNNO);
	return (check_addr(sc, bare));
}

/* check_servers - Postfix's check_server_access for name (or address) */
static enum restrict_result
check_servers(struct restrict_ctx *ctx, const struct restrict_step *step,
    const char *name, enum server_kind kind, const char *reply_name,
    const char *reply_class)
{
	struct server_check sc = { ctx, step, step->data, reply_name,
	    reply_class, { NULL, 0, 0 }, 0, false };
	const char *at = strrchr(name, '@');
	const char *domain = at != NULL ? at + 1 : name;
	enum restrict_result status = RESTRICT_DUNNO;
	struct strlist servers;
	struct strbuf why;
	int	 rc;

	if (*domain == '\0')
		return (RESTRICT_DUNNO);
	strbuf_init(&sc.value);
	if (*domain == '[') {
		status = literal(&sc, domain, kind);
		strbuf_free(&sc.value);
		return (restrict_access_no_permit(ctx, step, status, reply_name));
	}
	strlist_init(&servers);
	strbuf_init(&why);
	if (kind == SERVER_A) {
		strlist_add(&servers, domain);
		rc = DNS_OK;
	} else {
		rc = dns_lookup_servers(domain, kind == SERVER_MX ?
		    DNS_SERVERS_MX : DNS_SERVERS_NS, &servers, &why);
	}
	if (rc != DNS_OK && rc != DNS_NULLMX)
		msg_warn("Unable to look up %s host for %s: %s",
		    kind == SERVER_MX ? "MX" : "NS", domain, why.data);
	for (size_t i = 0; rc == DNS_OK && i < servers.count && !sc.decided &&
	    status == RESTRICT_DUNNO; i++)
		status = check_host(&sc, servers.items[i], kind);
	strlist_free(&servers);
	strbuf_free(&why);
	strbuf_free(&sc.value);
	return (restrict_access_no_permit(ctx, step, status, reply_name));
}

/* Which name a check judges, and by which servers. */
enum subject { CLIENT, REVERSE, HELO, SENDER, RECIPIENT };

static const struct {
	const char	*name;
	enum subject	 subject;
	enum server_kind kind;
} server_checks[] = {
	{ "check_client_a_access", CLIENT, SERVER_A },
	{ "check_client_mx_access", CLIENT, SERVER_MX },
	{ "check_client_ns_access", CLIENT, SERVER_NS },
	{ "check_reverse_client_hostname_a_access", REVERSE, SERVER_A },
	{ "check_reverse_client_hostname_mx_access", REVERSE, SERVER_MX },
	{ "check_reverse_client_hostname_ns_access", REVERSE, SERVER_NS },
	{ "check_helo_a_access", HELO, SERVER_A },
	{ "check_helo_mx_access", HELO, SERVER_MX },
	{ "check_helo_ns_access", HELO, SERVER_NS },
	{ "check_sender_a_access", SENDER, SERVER_A },
	{ "check_sender_mx_access", SENDER, SERVER_MX },
	{ "check_sender_ns_access", SENDER, SERVER_NS },
	{ "check_recipient_a_access", RECIPIENT, SERVER_A },
	{ "check_recipient_mx_access", RECIPIENT, SERVER_MX },
	{ "check_recipient_ns_access", RECIPIENT, SERVER_NS },
};

/*
 * restrict_check_server_access - every check_*_{a,mx,ns}_access: the
 * step's name says whose name and which servers; a name not known yet
 * (no HELO, the null sender, an unnamed client) is no match
 */
enum restrict_result
restrict_check_server_access(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	const char *name = NULL, *reply_name, *reply_class;
	size_t	 i;

	for (i = 0; i < sizeof(server_checks) / sizeof(server_checks[0]); i++)
		if (strcasecmp(step->word->name, server_checks[i].name) == 0)
			break;
	if (i == sizeof(server_checks) / sizeof(server_checks[0]))
		msg_panic("restrict_check_server_access: %s", step->word->name);
	switch (server_checks[i].subject) {
	case CLIENT:
		name = ctx->client_name;
		reply_name = ctx->namaddr;
		reply_class = "Client host";
		break;
	case REVERSE:
		name = ctx->session->peer.reverse_name;
		reply_name = name;
		reply_class = "Unverified Client host";
		break;
	case HELO:
		reply_name = name = ctx->helo;
		reply_class = "Helo command";
		break;
	case SENDER:
		reply_name = name = ctx->sender;
		reply_class = "Sender address";
		break;
	default:
		reply_name = name = ctx->recipient;
		reply_class = "Recipient address";
		break;
	}
	if (name == NULL || *name == '\0' || ((server_checks[i].subject ==
	    CLIENT || server_checks[i].subject == REVERSE) &&
	    strcasecmp(name, "unknown") == 0))
		return (RESTRICT_DUNNO);
	return (check_servers(ctx, step, name, server_checks[i].kind,
	    reply_name, reply_class));
}
