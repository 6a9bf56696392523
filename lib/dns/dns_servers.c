/*
 * dns_servers - the names of a domain's mail servers or name servers,
 * for the check_*_mx_access and check_*_ns_access restrictions of smtpd
 * (dns.h).
 *
 * Unlike dns_lookup_mx, which is for delivery and keeps only the hosts
 * it can reach, this keeps every name: an access table judges a sender
 * by who serves its domain, and a server whose address cannot be found
 * is still that domain's server.  A domain without MX records is its own
 * mail server (RFC 5321 5.1), also when it does not exist (some servers
 * answer NXDOMAIN for "no data"; the name itself is then still worth
 * checking).  A domain without NS records is served by those of its
 * nearest parent that has some.  Answers come through dns_query(), which
 * parks the calling coroutine, not the process.
 */
#include <stdlib.h>
#include <string.h>

#include "dns_impl.h"
#include "mem.h"
#include "msg.h"

#define DNS_RR_NS	2

struct server {
	int	 preference;
	char	*name;
};

/* by_preference - qsort order: MX preference, then answer order */
static int
by_preference(const void *a, const void *b)
{
	const struct server *sa = a, *sb = b;

	return (sa->preference - sb->preference);
}

/*
 * decode - the names of an MX or NS answer into names; DNS_NULLMX when
 * the only MX is the null MX, DNS_INVALID when no record decodes
 */
static int
decode(const struct dns_answer *ans, int type, struct strlist *names,
    struct strbuf *why)
{
	struct server *list = xcalloc(ans->count + 1, sizeof(*list));
	struct strbuf name;
	size_t n = 0, used;
	bool null_mx = false;

	strbuf_init(&name);
	for (size_t i = 0; i < ans->count && n < DNS_SERVERS_MAX; i++) {
		int pref = 0, rc;

		rc = type == DNS_RR_MX ?
		    dns_mx_decode(ans->data[i], ans->len[i], &pref, &name) :
		    dns_wire_name(ans->data[i], ans->len[i], &used, &name);
		if (rc != 0)
			continue;
		if (name.len == 0) {
			null_mx = type == DNS_RR_MX;
			continue;
		}
		list[n].preference = pref;
		list[n].name = xstrdup(name.data);
		n++;
	}
	strbuf_free(&name);
	/* a stable order: equal preferences stay in answer order */
	for (size_t i = 0; i < n; i++)
		list[i].preference = list[i].preference * 1024 + (int)i;
	qsort(list, n, sizeof(*list), by_preference);
	for (size_t i = 0; i < n; i++) {
		if (!strlist_contains_ci(names, list[i].name))
			strlist_add(names, list[i].name);
		free(list[i].name);
	}
	free(list);
	if (n > 0)
		return (DNS_OK);
	if (null_mx) {
		strbuf_puts(why, "null MX");
		return (DNS_NULLMX);
	}
	strbuf_puts(why, "malformed records");
	return (DNS_INVALID);
}

/* lookup - one query of domain; its names appended */
static int
lookup(const char *domain, int type, struct strlist *names, bool *nodata,
    struct strbuf *why)
{
	struct dns_answer ans;
	int	 status;

	status = dns_query(domain, type, &ans, why);
	*nodata = ans.nodata;
	if (status == DNS_OK)
		status = decode(&ans, type, names, why);
	dns_answer_free(&ans);
	return (status);
}

/* dns_lookup_servers - see dns.h */
int
dns_lookup_servers(const char *domain, enum dns_server_kind kind,
    struct strlist *names, struct strbuf *why)
{
	bool	 nodata;
	int	 status;

	strbuf_reset(why);
	if (!dns_name_valid(domain)) {
		strbuf_puts(why, "invalid domain name");
		return (DNS_INVALID);
	}
	if (kind == DNS_SERVERS_MX) {
		status = lookup(domain, DNS_RR_MX, names, &nodata, why);
		if (status == DNS_NOTFOUND) {
			strlist_add(names, domain);
			status = DNS_OK;
		}
		return (status);
	}
	status = lookup(domain, DNS_RR_NS, names, &nodata, why);
	/* no NS here: the zone's are those of the nearest parent with some */
	while (status == DNS_NOTFOUND && (domain = strchr(domain, '.')) != NULL
	    && domain[1] != '\0') {
		domain++;
		strbuf_reset(why);
		status = lookup(domain, DNS_RR_NS, names, &nodata, why);
	}
	return (status);
}
