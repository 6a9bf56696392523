/*
 * dns_ptr - reverse lookups: the host name of a client address.
 *
 * smtpd names its clients the way Postfix does: the PTR names of the
 * address, each kept only when it resolves forward to the same address
 * again (whoever controls a reverse zone can write any name into it;
 * only the owner of the forward zone can confirm it).  The two halves
 * are separate calls so that the caller decides how many names to try.
 * Both go through dns_query(), so they wait the way every other lookup
 * of the process waits, and a dead resolver costs a bounded time.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "dns_impl.h"

/* ptr_names - decode the PTR records; count of malformed ones */
static size_t
ptr_names(const struct dns_answer *ans, struct strlist *names)
{
	struct strbuf host;
	size_t i, bad = 0, kept = 0;

	strbuf_init(&host);
	for (i = 0; i < ans->count && kept < DNS_PTR_MAX; i++) {
		if (dns_ptr_decode(ans->data[i], ans->len[i], &host) != 0) {
			bad++;
			continue;
		}
		if (strlist_contains_ci(names, host.data))
			continue;
		strlist_add(names, host.data);
		kept++;
	}
	strbuf_free(&host);
	return (bad);
}

/* dns_lookup_ptr - the plausible PTR names of addr (unverified) */
int
dns_lookup_ptr(const char *addr, struct strlist *names, struct strbuf *why)
{
	struct dns_answer ans;
	struct strbuf rev;
	size_t before, bad;
	int status;

	strbuf_reset(why);
	strbuf_init(&rev);
	if (dns_reverse_name(addr, &rev) != 0) {
		strbuf_puts(why, "not an IP address");
		strbuf_free(&rev);
		return (DNS_INVALID);
	}
	before = names->count;
	status = dns_query(rev.data, DNS_RR_PTR, &ans, why);
	if (status == DNS_OK) {
		bad = ptr_names(&ans, names);
		if (names->count == before) {
			strbuf_printf(why, "%s: %zu malformed PTR record(s)",
			    rev.data, bad);
			status = DNS_INVALID;
		}
	}
	dns_answer_free(&ans);
	strbuf_free(&rev);
	return (status);
}

/* dns_host_has_addr - does host have addr among its A or AAAA records */
int
dns_host_has_addr(const char *host, const char *addr, struct strbuf *why)
{
	struct dns_answer ans;
	unsigned char want[16];
	size_t size, i;
	int status, type;

	strbuf_reset(why);
	if (inet_pton(AF_INET, addr, want) == 1) {
		type = DNS_RR_A;
		size = 4;
	} else if (inet_pton(AF_INET6, addr, want) == 1) {
		type = DNS_RR_AAAA;
		size = 16;
	} else {
		strbuf_puts(why, "not an IP address");
		return (DNS_INVALID);
	}
	if (!dns_name_valid(host)) {
		strbuf_puts(why, "invalid host name");
		return (DNS_INVALID);
	}
	status = dns_query(host, type, &ans, why);
	if (status == DNS_OK) {
		status = DNS_NOTFOUND;
		for (i = 0; i < ans.count; i++)
			if (ans.len[i] == size && memcmp(ans.data[i], want, size) == 0)
				status = DNS_OK;
		if (status != DNS_OK)
			strbuf_printf(why, "%s does not resolve to address %s",
			    host, addr);
	}
	dns_answer_free(&ans);
	return (status);
}
