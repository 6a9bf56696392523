/*
 * dns_lookup - mail routing answers built from single queries.
 *
 * dns_lookup_mx() follows RFC 5321 5.1: the MX records in preference
 * order, equal preferences shuffled so that load spreads, each exchange
 * resolved to A and/or AAAA records (per inet_protocols; libunbound
 * follows CNAMEs); no MX at all means the domain itself, preference 0.
 * A lone "MX 0 ." is RFC 7505's null MX.  A temporary failure anywhere
 * that leaves us without a usable host is DNS_TEMPFAIL, so an outage
 * defers mail instead of bouncing it; an MX host that definitely does not
 * exist is skipped.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "dns_impl.h"
#include "mem.h"
#include "msg.h"

#define DNS_MX_MAX	100	/* more MX records than anyone needs */

/* add_addr - append one address record of the given family */
static void
add_addr(struct dns_host *host, int family, const unsigned char *data)
{
	struct dns_addr *a;
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;

	host->addrs = xrealloc(host->addrs, (host->addr_count + 1) *
	    sizeof(*host->addrs));
	a = &host->addrs[host->addr_count++];
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		sin = (struct sockaddr_in *)&a->sa;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, data, 4);
		a->len = sizeof(*sin);
	} else {
		sin6 = (struct sockaddr_in6 *)&a->sa;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, data, 16);
		a->len = sizeof(*sin6);
	}
}

/*
 * literal_host - an address literal needs no lookup: DNS_OK, DNS_NOTFOUND
 * (inet_protocols excludes its family), or -1 when name is no literal.
 */
static int
literal_host(const char *name, struct dns_host *host, struct strbuf *why)
{
	unsigned char buf[16];
	int family;

	if (inet_pton(AF_INET, name, buf) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, name, buf) == 1)
		family = AF_INET6;
	else
		return (-1);
	if (!dns_want_family(family)) {
		strbuf_printf(why, "%s: address family disabled by inet_protocols",
		    name);
		return (DNS_NOTFOUND);
	}
	add_addr(host, family, buf);
	host->secure = true;
	return (DNS_OK);
}

/* host_addresses - A then AAAA records of name into host */
static int
host_addresses(const char *name, struct dns_host *host, struct strbuf *why)
{
	static const struct { int family, type; size_t size; } kinds[] = {
		{ AF_INET, DNS_RR_A, 4 },
		{ AF_INET6, DNS_RR_AAAA, 16 },
	};
	struct dns_answer ans;
	size_t k, i;
	int status, worst = DNS_NOTFOUND;
	bool secure = true;

	host->name = xstrdup(name);
	if ((status = literal_host(name, host, why)) >= 0)
		return (status);
	if (!dns_name_valid(name)) {
		strbuf_printf(why, "invalid host name");
		return (DNS_INVALID);
	}
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (!dns_want_family(kinds[k].family))
			continue;
		status = dns_query(name, kinds[k].type, &ans, why);
		if (status == DNS_OK) {
			for (i = 0; i < ans.count; i++)
				if (ans.len[i] == kinds[k].size)
					add_addr(host, kinds[k].family, ans.data[i]);
			secure = secure && ans.secure;
		} else if (status != DNS_NOTFOUND)
			worst = status;
		dns_answer_free(&ans);
	}
	host->secure = secure && host->addr_count > 0;
	if (host->addr_count > 0) {
		strbuf_reset(why);
		return (DNS_OK);
	}
	if (worst == DNS_NOTFOUND) {
		strbuf_reset(why);
		strbuf_printf(why, "Host or domain name not found. Name service "
		    "error for name=%s type=A: Host not found", name);
	}
	return (worst);
}

/* dns_lookup_host - the addresses of one host name (no MX) */
int
dns_lookup_host(const char *host, struct dns_hosts *out, struct strbuf *why)
{
	struct dns_host h;
	int status;

	memset(out, 0, sizeof(*out));
	memset(&h, 0, sizeof(h));
	strbuf_reset(why);
	status = host_addresses(host, &h, why);
	if (status != DNS_OK) {
		free(h.name);
		free(h.addrs);
		return (status);
	}
	out->hosts = xmalloc(sizeof(*out->hosts));
	out->hosts[0] = h;
	out->count = 1;
	out->secure = h.secure;
	return (DNS_OK);
}

/* by_preference - qsort order of MX hosts */
static int
by_preference(const void *a, const void *b)
{
	const struct dns_host *ha = a, *hb = b;

	return (ha->preference - hb->preference);
}

/* shuffle_equal - random order within each run of equal preference */
static void
shuffle_equal(struct dns_host *hosts, size_t count)
{
	struct dns_host tmp;
	size_t start, end, i, j;

	for (start = 0; start < count; start = end) {
		for (end = start + 1; end < count &&
		    hosts[end].preference == hosts[start].preference; end++)
			;
		for (i = end - 1; i > start; i--) {
			j = start + arc4random_uniform((uint32_t)(i - start + 1));
			tmp = hosts[i];
			hosts[i] = hosts[j];
			hosts[j] = tmp;
		}
	}
}

struct mx_record {
	int	 preference;
	char	*exchange;
};

/* parse_mx - decode the MX rdata; null MX detected; count of usable */
static int
parse_mx(const struct dns_answer *ans, struct mx_record *mx, size_t *count,
    const char *domain, struct strbuf *why)
{
	struct strbuf name;
	size_t i, bad = 0, n = 0;
	int pref;
	bool null_mx = false;

	strbuf_init(&name);
	for (i = 0; i < ans->count && n < DNS_MX_MAX; i++) {
		if (dns_mx_decode(ans->data[i], ans->len[i], &pref, &name) != 0) {
			bad++;
			continue;
		}
		if (name.len == 0) {
			null_mx = true;
			continue;
		}
		mx[n].preference = pref;
		mx[n].exchange = xstrdup(name.data);
		n++;
	}
	strbuf_free(&name);
	*count = n;
	if (bad > 0)
		msg_warn("%s: %zu malformed MX record(s) ignored", domain, bad);
	if (n == 0 && null_mx && bad == 0) {
		strbuf_printf(why, "Domain %s does not accept mail (nullMX)",
		    domain);
		return (DNS_NULLMX);
	}
	if (n == 0) {
		strbuf_printf(why, "%s: malformed MX records", domain);
		return (DNS_INVALID);
	}
	return (DNS_OK);
}

/* resolve_exchanges - addresses for each MX host */
static int
resolve_exchanges(struct mx_record *mx, size_t count, struct dns_hosts *out,
    struct strbuf *why)
{
	struct dns_host h;
	struct strbuf host_why;
	size_t i;
	int status, worst = DNS_NOTFOUND;

	strbuf_init(&host_why);
	out->hosts = xcalloc(count, sizeof(*out->hosts));
	for (i = 0; i < count; i++) {
		memset(&h, 0, sizeof(h));
		strbuf_reset(&host_why);
		status = host_addresses(mx[i].exchange, &h, &host_why);
		if (status == DNS_OK) {
			h.preference = mx[i].preference;
			out->hosts[out->count++] = h;
			continue;
		}
		free(h.name);
		free(h.addrs);
		if (worst == DNS_NOTFOUND || status == DNS_TEMPFAIL) {
			worst = status;
			strbuf_set(why, host_why.data);
		}
	}
	strbuf_free(&host_why);
	if (out->count > 0) {
		strbuf_reset(why);
		qsort(out->hosts, out->count, sizeof(*out->hosts), by_preference);
		shuffle_equal(out->hosts, out->count);
		return (DNS_OK);
	}
	free(out->hosts);
	out->hosts = NULL;
	return (worst);
}

/* dns_lookup_mx - MX hosts with addresses, or the implicit MX */
int
dns_lookup_mx(const char *domain, struct dns_hosts *out, struct strbuf *why)
{
	struct dns_answer ans;
	struct mx_record *mx;
	size_t count = 0, i;
	int status;
	bool secure;

	memset(out, 0, sizeof(*out));
	strbuf_reset(why);
	if (!dns_name_valid(domain)) {
		strbuf_printf(why, "invalid domain name");
		return (DNS_INVALID);
	}
	status = dns_query(domain, DNS_RR_MX, &ans, why);
	secure = ans.secure;
	if (status == DNS_NOTFOUND && ans.nodata) {
		dns_answer_free(&ans);
		status = dns_lookup_host(domain, out, why);
		out->secure = out->secure && secure;
		return (status);
	}
	if (status != DNS_OK) {
		dns_answer_free(&ans);
		return (status);
	}
	mx = xcalloc(ans.count, sizeof(*mx));
	status = parse_mx(&ans, mx, &count, domain, why);
	dns_answer_free(&ans);
	if (status == DNS_OK) {
		status = resolve_exchanges(mx, count, out, why);
		out->secure = secure;
	}
	for (i = 0; i < count; i++)
		free(mx[i].exchange);
	free(mx);
	return (status);
}

/* dns_domain_exists - MX, A or AAAA present (reject_unknown_sender_domain) */
int
dns_domain_exists(const char *domain, struct strbuf *why)
{
	struct dns_answer ans;
	struct mx_record *mx;
	size_t count = 0, i;
	int status;

	strbuf_reset(why);
	if (!dns_name_valid(domain)) {
		strbuf_printf(why, "invalid domain name");
		return (DNS_INVALID);
	}
	status = dns_query(domain, DNS_RR_MX, &ans, why);
	if (status == DNS_OK) {
		mx = xcalloc(ans.count, sizeof(*mx));
		status = parse_mx(&ans, mx, &count, domain, why);
		for (i = 0; i < count; i++)
			free(mx[i].exchange);
		free(mx);
	} else if (status == DNS_NOTFOUND && ans.nodata) {
		struct dns_hosts hosts;

		strbuf_reset(why);
		if ((status = dns_lookup_host(domain, &hosts, why)) == DNS_OK)
			dns_hosts_free(&hosts);
	}
	dns_answer_free(&ans);
	return (status);
}

/* dns_hosts_free - release a lookup result */
void
dns_hosts_free(struct dns_hosts *hosts)
{
	size_t i;

	for (i = 0; i < hosts->count; i++) {
		free(hosts->hosts[i].name);
		free(hosts->hosts[i].addrs);
	}
	free(hosts->hosts);
	memset(hosts, 0, sizeof(*hosts));
}
