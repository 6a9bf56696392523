/*
 * dns - the libunbound context of the process and the query primitive.
 *
 * dns_init() builds the one context before the chroot: forwarders from
 * dns_resolver_address (libunbound wants "addr@port"), or the system's
 * resolv.conf when that is empty; the trust anchors of
 * dns_trust_anchor_file are read here, line by line, because libunbound
 * would otherwise open the file lazily at the first query, inside the
 * jail.  The address families come from inet_protocols.
 *
 * dns_query() runs one query through libunbound's asynchronous interface
 * (a resolver thread) and waits with a deadline, so that a dead resolver
 * costs a bounded time and turns into DNS_TEMPFAIL, never a bounce.  It
 * is dns_query_start() and dns_query_finish() in one: callers that want
 * several answers at once (DNSBL lookups, dnsbl.c) start them all, then
 * finish each; the waits overlap, so the slowest query sets the pace.
 * When forwarders are configured, the RFC 6761 "test." names and the
 * loopback reverse zone 127.in-addr.arpa, which libunbound answers itself
 * by default, are passed to them ("transparent" local zones): the
 * administrator chose those servers, and the test suite serves its zones
 * (forward and reverse) from them.  The reverse zones of private
 * networks (RFC 1918 and friends) are likewise not blocked: libunbound
 * always forwards here (resolv.conf or dns_resolver_address), so those
 * queries reach the site's own resolver, which is where the names of LAN
 * clients of smtpd live.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unbound.h>

#include "clock.h"
#include "coro.h"
#include "dns_impl.h"
#include "mem.h"
#include "msg.h"
#include "sock.h"
#include "strlist.h"

#define DNS_QUERY_TIMEOUT_MS	10000	/* one query, all retries included */
#define DNS_COROUTINE_SLICE_MS	50	/* see wait_answer */
#define DNS_TA_FILE_MAX		(256 * 1024)
#define DNS_TA_LINE_MAX		4096

static struct ub_ctx *dns_ctx;
static bool dns_use_v4 = true;
static bool dns_use_v6 = true;

/* dns_want_family - inet_protocols allows this address family */
bool
dns_want_family(int family)
{
	return (family == AF_INET ? dns_use_v4 : family == AF_INET6 ? dns_use_v6 :
	    false);
}

/* What dns_init() reads (dns_params). */
struct dns_settings {
	struct strlist	 inet_protocols;
	char		*resolver_address;	/* host, [host]:port ... */
	char		*trust_anchor_file;
};

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct dns_settings, field)

const struct config_table dns_params[] = {
	ROW("inet_protocols", CONF_LIST, inet_protocols),
	ROW("dns_resolver_address", CONF_HOSTPORT, resolver_address),
	ROW("dns_trust_anchor_file", CONF_FILE, trust_anchor_file),
	CONFIG_TABLE_END,
};

/* set_protocols - parse inet_protocols: all, ipv4, ipv6 */
static int
set_protocols(const struct strlist *protocols, struct strbuf *err)
{
	const struct strlist *list = protocols;
	size_t i;
	int rc = 0;

	dns_use_v4 = dns_use_v6 = false;
	for (i = 0; i < list->count; i++) {
		if (strcasecmp(list->items[i], "all") == 0)
			dns_use_v4 = dns_use_v6 = true;
		else if (strcasecmp(list->items[i], "ipv4") == 0)
			dns_use_v4 = true;
		else if (strcasecmp(list->items[i], "ipv6") == 0)
			dns_use_v6 = true;
		else {
			strbuf_printf(err, "bad inet_protocols value: %s",
			    list->items[i]);
			rc = -1;
		}
	}
	if (rc == 0 && !dns_use_v4 && !dns_use_v6) {
		strbuf_puts(err, "inet_protocols enables no address family");
		rc = -1;
	}
	return (rc);
}

/* numeric_address - an IPv4 or IPv6 literal */
static bool
numeric_address(const char *text)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return (inet_pton(AF_INET, text, buf) == 1 ||
	    inet_pton(AF_INET6, text, buf) == 1);
}

/*
 * forwarder_text - "addr", "[v6]", "addr:port" or "[v6]:port" to
 * libunbound's "addr@port".  0 or -1.
 */
static int
forwarder_text(const char *item, struct strbuf *out)
{
	struct strbuf host, port;
	size_t len = strlen(item);
	int rc = -1;

	strbuf_reset(out);
	if (numeric_address(item)) {
		strbuf_printf(out, "%s@53", item);
		return (0);
	}
	strbuf_init(&host);
	strbuf_init(&port);
	if (len > 2 && item[0] == '[' && item[len - 1] == ']') {
		strbuf_append(&host, item + 1, len - 2);
		strbuf_set(&port, "53");
	} else if (inet_split_hostport(item, &host, &port) != 0) {
		goto done;
	}
	if (host.len == 0 || !numeric_address(host.data) ||
	    strtol(port.data, NULL, 10) < 1 || strtol(port.data, NULL, 10) > 65535)
		goto done;
	strbuf_printf(out, "%s@%s", host.data, port.data);
	rc = 0;
done:
	strbuf_free(&host);
	strbuf_free(&port);
	return (rc);
}

/* set_forwarders - dns_resolver_address, or resolv.conf when empty */
static int
set_forwarders(const char *addresses, struct strbuf *err)
{
	struct strlist list;
	struct strbuf fwd;
	size_t i;
	int rc = 0, ub;

	strlist_init(&list);
	strbuf_init(&fwd);
	strlist_split(&list, addresses, ", \t\r\n");
	if (list.count == 0) {
		if ((ub = ub_ctx_resolvconf(dns_ctx, NULL)) != 0) {
			strbuf_printf(err, "cannot read resolv.conf: %s",
			    ub == UB_READFILE ? strerror(errno) : ub_strerror(ub));
			rc = -1;
		}
	}
	for (i = 0; rc == 0 && i < list.count; i++) {
		if (forwarder_text(list.items[i], &fwd) != 0) {
			strbuf_printf(err, "bad dns_resolver_address entry: %s",
			    list.items[i]);
			rc = -1;
		} else if ((ub = ub_ctx_set_fwd(dns_ctx, fwd.data)) != 0) {
			strbuf_printf(err, "dns_resolver_address %s: %s",
			    list.items[i], ub_strerror(ub));
			rc = -1;
		}
	}
	if (rc == 0 && list.count > 0 &&
	    (ub_ctx_set_option(dns_ctx, "local-zone:", "test. transparent") != 0 ||
	    ub_ctx_set_option(dns_ctx, "local-zone:",
	    "127.in-addr.arpa. transparent") != 0)) {
		strbuf_puts(err, "cannot configure the resolver's local zones");
		rc = -1;
	}
	strbuf_free(&fwd);
	strlist_free(&list);
	return (rc);
}

/* set_trust_anchors - each RR line of the file, read now (before chroot) */
static int
set_trust_anchors(const char *path, struct strbuf *err)
{
	FILE *fp;
	char line[DNS_TA_LINE_MAX];
	size_t total = 0, len, count = 0;
	int rc = 0;

	if ((fp = fopen(path, "re")) == NULL) {
		strbuf_printf(err, "open dns_trust_anchor_file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	while (rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		len = strlen(line);
		total += len;
		if (total > DNS_TA_FILE_MAX || (len > 0 && line[len - 1] != '\n' &&
		    !feof(fp))) {
			strbuf_printf(err, "%s: line or file too long", path);
			rc = -1;
			break;
		}
		line[strcspn(line, ";\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '\0')
			continue;
		if (strchr(line, '(') != NULL) {
			strbuf_printf(err, "%s: multi-line records are not supported",
			    path);
			rc = -1;
		} else if (ub_ctx_add_ta(dns_ctx, line) != 0) {
			strbuf_printf(err, "%s: bad trust anchor: %s", path, line);
			rc = -1;
		} else
			count++;
	}
	if (rc == 0 && ferror(fp)) {
		strbuf_printf(err, "read %s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && count == 0) {
		strbuf_printf(err, "%s: no trust anchor", path);
		rc = -1;
	}
	fclose(fp);
	return (rc);
}

/* dns_init - the process's resolver context, before the chroot */
int
dns_init(struct config *cfg, struct strbuf *err)
{
	struct dns_settings set;

	dns_shutdown();
	memset(&set, 0, sizeof(set));
	if (config_table_read(cfg, dns_params, &set, err) > 0 ||
	    set_protocols(&set.inet_protocols, err) != 0) {
		config_table_release(dns_params, &set);
		return (-1);
	}
	if ((dns_ctx = ub_ctx_create()) == NULL) {
		strbuf_puts(err, "cannot create the resolver context");
		config_table_release(dns_params, &set);
		return (-1);
	}
	/* a thread, not a forked helper: nothing outlives the process */
	if (ub_ctx_async(dns_ctx, 1) != 0 ||
	    ub_ctx_set_option(dns_ctx, "do-ip6:", dns_use_v6 ? "yes" : "no") != 0 ||
	    ub_ctx_set_option(dns_ctx, "infra-cache-max-rtt:", "2000") != 0 ||
	    ub_ctx_set_option(dns_ctx, "unblock-lan-zones:", "yes") != 0 ||
	    ub_ctx_set_option(dns_ctx, "insecure-lan-zones:", "yes") != 0) {
		strbuf_puts(err, "cannot configure the resolver context");
		goto fail;
	}
	if (set_forwarders(set.resolver_address, err) != 0)
		goto fail;
	if (*set.trust_anchor_file != '\0' &&
	    set_trust_anchors(set.trust_anchor_file, err) != 0)
		goto fail;
	config_table_release(dns_params, &set);
	return (0);
fail:
	config_table_release(dns_params, &set);
	dns_shutdown();
	return (-1);
}

/* dns_shutdown - drop the context (and its resolver thread) */
void
dns_shutdown(void)
{
	if (dns_ctx != NULL) {
		ub_ctx_delete(dns_ctx);
		dns_ctx = NULL;
	}
}

/* dns_initialized - a context exists (dns_init succeeded, no shutdown) */
bool
dns_initialized(void)
{
	return (dns_ctx != NULL);
}

/* dns_fd - descriptor to poll for asynchronous answers, -1 without init */
int
dns_fd(void)
{
	return (dns_ctx == NULL ? -1 : ub_fd(dns_ctx));
}

/* dns_process - deliver the answers that have arrived */
int
dns_process(void)
{
	return (dns_ctx == NULL ? -1 : ub_process(dns_ctx));
}

/* query_done - libunbound's callback: the answer of one pending query */
static void
query_done(void *arg, int err, struct ub_result *result)
{
	struct dns_pending *p = arg;

	p->done = true;
	p->err = err;
	p->result = result;
}

/*
 * dns_query_start - send a query and return at once; p must stay where it
 * is until dns_query_finish or dns_query_cancel.  0, or DNS_TEMPFAIL with
 * why filled (no resolver, libunbound refused).
 */
int
dns_query_start(const char *name, int rrtype, struct dns_pending *p,
    struct strbuf *why)
{
	int err;

	memset(p, 0, sizeof(*p));
	if (dns_ctx == NULL) {
		strbuf_printf(why, "no resolver for %s", name);
		return (DNS_TEMPFAIL);
	}
	if ((err = ub_resolve_async(dns_ctx, name, rrtype, 1, p, query_done,
	    &p->async_id)) != 0) {
		strbuf_printf(why, "lookup of %s failed: %s", name, ub_strerror(err));
		return (DNS_TEMPFAIL);
	}
	p->active = true;
	p->deadline = clock_monotonic_ms() + DNS_QUERY_TIMEOUT_MS;
	return (0);
}

/* dns_query_cancel - forget a query still in flight (its answer is dropped) */
void
dns_query_cancel(struct dns_pending *p)
{
	if (p->active && !p->done && dns_ctx != NULL)
		(void)ub_cancel(dns_ctx, p->async_id);
	if (p->done && p->result != NULL)
		ub_resolve_free(p->result);
	memset(p, 0, sizeof(*p));
}

/*
 * wait_answer - run the resolver until p is answered or its deadline
 * passes; 0 or -1.  Answers to the process's other pending queries are
 * delivered on the way, which is how queries started together wait
 * together.
 */
static int
wait_answer(struct dns_pending *p)
{
	long long left;

	while (!p->done) {
		if ((left = p->deadline - clock_monotonic_ms()) <= 0) {
			(void)ub_cancel(dns_ctx, p->async_id);
			return (-1);
		}
		/*
		 * Sessions of one process share the resolver: whoever runs
		 * ub_process may complete another coroutine's query, whose
		 * own wait then sees no input; short slices bound that delay.
		 */
		if (coro_active() && left > DNS_COROUTINE_SLICE_MS)
			left = DNS_COROUTINE_SLICE_MS;
		if (coro_poll(ub_fd(dns_ctx), POLLIN, (int)left, NULL) < 0 &&
		    errno != EINTR)
			msg_fatal("poll on the resolver: %s", strerror(errno));
		if (ub_process(dns_ctx) != 0)
			msg_fatal("resolver failure in ub_process");
	}
	return (0);
}

/* copy_answer - the rdata of a positive answer */
static void
copy_answer(const struct ub_result *res, struct dns_answer *ans)
{
	size_t i;

	for (ans->count = 0; res->data[ans->count] != NULL; ans->count++)
		;
	ans->data = xcalloc(ans->count + 1, sizeof(*ans->data));
	ans->len = xcalloc(ans->count + 1, sizeof(*ans->len));
	for (i = 0; i < ans->count; i++) {
		ans->len[i] = res->len[i] < 0 ? 0 : (size_t)res->len[i];
		ans->data[i] = (unsigned char *)xmemdup(res->data[i], ans->len[i]);
	}
}

/*
 * dns_query_finish - wait for a query of dns_query_start and classify its
 * answer as dns_query does; p is free again afterwards.
 */
int
dns_query_finish(struct dns_pending *p, const char *name,
    struct dns_answer *ans, struct strbuf *why)
{
	struct ub_result *res;

	memset(ans, 0, sizeof(*ans));
	if (!p->active) {
		strbuf_printf(why, "lookup of %s was not started", name);
		return (ans->status = DNS_TEMPFAIL);
	}
	if (wait_answer(p) != 0) {
		memset(p, 0, sizeof(*p));
		strbuf_printf(why, "lookup of %s timed out", name);
		return (ans->status = DNS_TEMPFAIL);
	}
	res = p->result;
	if (p->err != 0 || res == NULL) {
		strbuf_printf(why, "lookup of %s failed: %s", name,
		    ub_strerror(p->err));
		if (res != NULL)
			ub_resolve_free(res);
		memset(p, 0, sizeof(*p));
		return (ans->status = DNS_TEMPFAIL);
	}
	memset(p, 0, sizeof(*p));
	ans->secure = res->secure != 0;
	if (res->bogus) {
		strbuf_printf(why, "DNSSEC validation of %s failed: %s", name,
		    res->why_bogus ? res->why_bogus : "bogus");
		ans->status = DNS_INVALID;
	} else if (res->nxdomain || res->rcode == 3) {
		strbuf_printf(why, "%s: host not found", name);
		ans->status = DNS_NOTFOUND;
	} else if (res->rcode != 0) {
		strbuf_printf(why, "%s: temporary DNS failure (rcode %d)", name,
		    res->rcode);
		ans->status = DNS_TEMPFAIL;
	} else if (!res->havedata) {
		strbuf_printf(why, "%s: no such record", name);
		ans->nodata = true;
		ans->status = DNS_NOTFOUND;
	} else {
		copy_answer(res, ans);
		ans->status = DNS_OK;
	}
	ub_resolve_free(res);
	return (ans->status);
}

/*
 * dns_query - one lookup: DNS_OK with the records, DNS_NOTFOUND for
 * NXDOMAIN or no such records, DNS_TEMPFAIL when the answer is unknown,
 * DNS_INVALID for a DNSSEC-bogus answer.  why explains a failure.
 */
int
dns_query(const char *name, int rrtype, struct dns_answer *ans,
    struct strbuf *why)
{
	struct dns_pending p;
	int status;

	if ((status = dns_query_start(name, rrtype, &p, why)) != 0) {
		memset(ans, 0, sizeof(*ans));
		return (ans->status = status);
	}
	return (dns_query_finish(&p, name, ans, why));
}

/* dns_answer_free - release copied records */
void
dns_answer_free(struct dns_answer *ans)
{
	size_t i;

	for (i = 0; i < ans->count; i++)
		free(ans->data[i]);
	free(ans->data);
	free(ans->len);
	memset(ans, 0, sizeof(*ans));
}
