/*
 * resolve_class - the address class of a recipient and its route, as
 * Postfix's resolver decides them (see resolve.h).  First the local
 * domains are peeled off: user%remote@ours and remote!user@ours become
 * user@remote again and are resolved as such, so that a route through
 * us is seen for what it is (RESOLVE_FLAG_ROUTED when one is left).
 * Then the domain picks the class, the class its transport and next
 * hop, and transport_maps has the last word.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "address.h"
#include "mem.h"
#include "resolve_impl.h"

/* to_in6 - text address into IPv6 form (IPv4 mapped); -1 if not one */
static int
to_in6(const char *text, struct in6_addr *out)
{
	struct in_addr v4;

	if (inet_pton(AF_INET6, text, out) == 1)
		return (0);
	if (inet_pton(AF_INET, text, &v4) != 1)
		return (-1);
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], &v4, 4);
	return (0);
}

/* ifaddr_add - one address of this host */
static void
ifaddr_add(struct resolver *res, const struct in6_addr *a)
{
	for (size_t i = 0; i < res->ifaddr_count; i++)
		if (memcmp(&res->ifaddrs[i].addr, a, sizeof(*a)) == 0)
			return;
	res->ifaddrs = xrealloc(res->ifaddrs, (res->ifaddr_count + 1) *
	    sizeof(*res->ifaddrs));
	res->ifaddrs[res->ifaddr_count++].addr = *a;
}

/* ifaddr_all - every address of every interface (inet_interfaces = all) */
static void
ifaddr_all(struct resolver *res)
{
	struct ifaddrs *list, *ifa;
	struct in6_addr a;

	if (getifaddrs(&list) < 0)
		return;
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			memset(&a, 0, sizeof(a));
			a.s6_addr[10] = a.s6_addr[11] = 0xff;
			memcpy(&a.s6_addr[12], &((struct sockaddr_in *)
			    (void *)ifa->ifa_addr)->sin_addr, 4);
			ifaddr_add(res, &a);
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			ifaddr_add(res, &((struct sockaddr_in6 *)
			    (void *)ifa->ifa_addr)->sin6_addr);
		}
	}
	freeifaddrs(list);
}

/*
 * resolve_ifaddrs_open - the addresses [ip] literals of this host may
 * name: inet_interfaces (all: every interface; loopback-only) and
 * proxy_interfaces.  Host names are not looked up (no DNS at start).
 */
int
resolve_ifaddrs_open(struct resolver *res, struct strbuf *err)
{
	static const char *const params[] = { "inet_interfaces",
	    "proxy_interfaces" };
	const struct strlist *lists[] = { &res->words.inet_interfaces,
	    &res->words.proxy_interfaces };
	struct in6_addr a;

	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < lists[p]->count; i++) {
			const char *name = lists[p]->items[i];

			if (strcasecmp(name, "all") == 0) {
				ifaddr_all(res);
			} else if (strcasecmp(name, "loopback-only") == 0 ||
			    strcasecmp(name, "localhost") == 0) {
				(void)to_in6("127.0.0.1", &a);
				ifaddr_add(res, &a);
				(void)to_in6("::1", &a);
				ifaddr_add(res, &a);
			} else if (to_in6(name, &a) == 0) {
				ifaddr_add(res, &a);
			} else if (strchr(name, ':') != NULL ||
			    strspn(name, "0123456789.") == strlen(name)) {
				strbuf_printf(err, "%s: bad address \"%s\"",
				    params[p], name);
				return (-1);
			}
		}
	}
	return (0);
}

/* literal_is_ours - "[1.2.3.4]" or "[IPv6:...]" names this host */
static bool
literal_is_ours(struct resolver *res, const char *domain, size_t len)
{
	char	 text[INET6_ADDRSTRLEN + 8];
	struct in6_addr a;
	size_t	 skip = 1;

	if (len < 3 || domain[0] != '[' || domain[len - 1] != ']')
		return (false);
	if (len > 6 && strncasecmp(domain + 1, "ipv6:", 5) == 0)
		skip = 6;
	if (len - 1 - skip >= sizeof(text))
		return (false);
	memcpy(text, domain + skip, len - 1 - skip);
	text[len - 1 - skip] = '\0';
	if ((skip == 6) != (strchr(text, ':') != NULL) || to_in6(text, &a) < 0)
		return (false);
	for (size_t i = 0; i < res->ifaddr_count; i++)
		if (memcmp(&res->ifaddrs[i].addr, &a, sizeof(a)) == 0)
			return (true);
	return (false);
}

/* literal_tagged - an IPv6 literal says so (RFC 5321 4.1.3) */
static bool
literal_tagged(const char *domain)
{
	return (domain[0] != '[' || strchr(domain, ':') == NULL ||
	    strncmp(domain, "[ipv6:", 6) == 0);
}

/* resolve_is_local - mydestination, or a literal of this host; -1 failure */
int
resolve_is_local(struct resolver *res, const char *domain)
{
	size_t	 len = strlen(domain);
	int	 rc;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || domain[len - 1] == '.')
		return (0);
	if ((rc = domain_list_match(res->mydestination, domain)) != 0)
		return (rc);
	return (literal_is_ours(res, domain, len) ? 1 : 0);
}

/* has_route_ops - '@', '!' (swap_bangpath) or '%' (percent hack) unquoted */
static bool
has_route_ops(struct resolver *res, const char *text, size_t len)
{
	return (resolve_find_op(text, len, '@', false) < len ||
	    (res->swap_bangpath && resolve_find_op(text, len, '!', false) < len) ||
	    (res->percent_hack && resolve_find_op(text, len, '%', false) < len));
}

/*
 * crack_quoted - "user@remote"@ours (resolve_dequoted_address): the
 * route inside the quotes counts, as in Postfix.  True when addr was
 * rewritten and must be looked at again.
 */
static bool
crack_quoted(struct resolver *res, struct strbuf *addr)
{
	struct strbuf *text = &res->part;
	char	*op;

	if (!res->resolve_dequoted || addr->len < 2 || addr->data[0] != '"' ||
	    addr->data[addr->len - 1] != '"' ||
	    resolve_find_op(addr->data + 1, addr->len - 2, '"', false) <
	    addr->len - 2)
		return (false);
	resolve_unquote(addr->data, addr->len, text);
	/* quotes inside the quotes: no safe way to re-tokenise, leave it */
	if (strpbrk(text->data, "\"\\") != NULL ||
	    !resolve_balanced(text->data, text->len))
		return (false);
	if ((op = strrchr(text->data, '@')) == NULL &&
	    (!res->percent_hack || (op = strrchr(text->data, '%')) == NULL) &&
	    (!res->swap_bangpath || (op = strrchr(text->data, '!')) == NULL))
		return (false);
	if (*op == '%')
		*op = '@';
	strbuf_reset(addr);
	if (*op == '@') {
		resolve_quote_local(text->data, (size_t)(op - text->data), addr);
		strbuf_puts(addr, op);
	} else {
		strbuf_puts(addr, text->data);
	}
	resolve_rewrite_buf(res, RESOLVE_CTX_LOCAL, addr);
	return (true);
}

/*
 * peel_local - strip our own domains and the routes they carry; addr
 * ends as user@domain.  1: the domain is ours, 0: it is not, -1: a
 * table failed or the address loops, -2: malformed.
 */
static int
peel_local(struct resolver *res, struct strbuf *addr)
{
	struct strbuf *saved = &res->value;
	bool	 have_saved = false, have_domain;
	size_t	 at, loops, max = addr->len + 100;
	int	 rc;

	for (loops = 0;; loops++) {
		if (loops > max)
			return (-1);
		at = resolve_find_at(addr->data, addr->len);
		if (at < addr->len && addr->len - at >= 3 &&
		    addr->data[addr->len - 1] == '.' &&
		    addr->data[addr->len - 2] != '.')
			strbuf_truncate(addr, addr->len - 1);
		if ((have_domain = at < addr->len)) {
			if (at + 1 < addr->len) {
				rc = resolve_is_local(res, addr->data + at + 1);
				if (rc <= 0)
					return (rc);
			}
			strbuf_set(saved, addr->data + at);
			have_saved = true;
			strbuf_truncate(addr, at);
		}
		if (has_route_ops(res, addr->data, addr->len)) {
			if (!resolve_balanced(addr->data, addr->len))
				return (-2);
			resolve_rewrite_buf(res, RESOLVE_CTX_LOCAL, addr);
			continue;
		}
		if (crack_quoted(res, addr))
			continue;
		if (addr->len == 0 || strcmp(addr->data, "\"\"") == 0) {
			strbuf_set(addr, res->empty_address);
			continue;
		}
		if (!have_domain && !have_saved) {
			strbuf_putc(addr, '@');
			strbuf_puts(addr, res->myhostname);
			/* "[@x" hides every '@' we add: malformed */
			if (resolve_find_at(addr->data, addr->len) == addr->len)
				return (-2);
			continue;
		}
		break;
	}
	if (have_saved)
		strbuf_puts(addr, saved->data);
	else {
		strbuf_putc(addr, '@');
		strbuf_puts(addr, res->myhostname);
	}
	return (1);
}

/* set_route - "transport[:nexthop]" of a class over the default hop */
static void
set_route(const char *channel, const char *nexthop, struct resolve_result *out)
{
	const char *colon = strchr(channel, ':');

	strbuf_reset(&out->transport);
	strbuf_append(&out->transport, channel, colon ? (size_t)(colon -
	    channel) : strlen(channel));
	strbuf_trim(&out->transport);
	if (colon != NULL && colon[1] != '\0')
		strbuf_set(&out->nexthop, colon + 1);
	else
		strbuf_set(&out->nexthop, nexthop);
	strbuf_trim(&out->nexthop);
}

/* is_special - the error and retry transports: their hop is text */
static bool
is_special(const char *transport)
{
	return (strcmp(transport, "error") == 0 ||
	    strcmp(transport, "retry") == 0);
}

/*
 * update_route - a transport_maps result: ":hop" keeps the transport,
 * "transport:" resets the hop to the recipient domain, as Postfix's
 * transport(5).
 */
static void
update_route(const char *value, const char *domain, struct resolve_result *out)
{
	const char *colon = strchr(value, ':');
	size_t	 tlen = colon ? (size_t)(colon - value) : strlen(value);
	const char *hop = colon ? colon + 1 : "";

	while (tlen > 0 && (value[tlen - 1] == ' ' || value[tlen - 1] == '\t'))
		tlen--;
	hop += strspn(hop, " \t");
	if (tlen > 0) {
		strbuf_reset(&out->transport);
		strbuf_append(&out->transport, value, tlen);
		if (*hop == '\0')
			strbuf_set(&out->nexthop, is_special(out->transport.data) ?
			    "Address is undeliverable" : domain);
	}
	if (*hop != '\0')
		strbuf_set(&out->nexthop, hop);
	strbuf_trim(&out->nexthop);
}

/*
 * transport_find - transport_maps keys in Postfix's order: the address
 * (the only key pattern tables see), the address without its extension,
 * the domain, its .parent domains, then "*"
 */
static int
transport_find(struct resolver *res, const char *address, const char *domain,
    struct strbuf *value)
{
	struct strbuf *key = &res->key;
	size_t	 at = resolve_find_at(address, strlen(address)), ext;
	int	 rc;

	if ((rc = map_list_lookup(res->transport, address, value)) !=
	    MAP_NOTFOUND)
		return (rc);
	if ((ext = resolve_extension(res, address, at)) > 0) {
		strbuf_reset(key);
		strbuf_append(key, address, ext);
		strbuf_puts(key, address + at);
		strbuf_lower(key);
		if ((rc = map_list_lookup_partial(res->transport, key->data,
		    value)) != MAP_NOTFOUND)
			return (rc);
	}
	for (const char *name = domain; name != NULL && *name != '\0';
	    name = strchr(name + 1, '.')) {
		if (name != domain && name[1] == '\0')
			break;
		if ((rc = map_list_lookup_partial(res->transport, name,
		    value)) != MAP_NOTFOUND)
			return (rc);
	}
	return (map_list_lookup(res->transport, "*", value));
}

/*
 * sender_relay - sender_dependent_relayhost_maps, looked up as Postfix
 * does (the sender, then its partial keys; "<>" for the null sender);
 * 1 found, 0, -1 failure
 */
static int
sender_relay(struct resolver *res, const char *sender, struct strbuf *value)
{
	int	 rc;

	if (res->sender_relay == NULL || sender == NULL)
		return (0);
	if (*sender == '\0')
		rc = map_list_lookup(res->sender_relay, "<>", value);
	else
		rc = resolve_lookup(res, res->sender_relay, sender, value);
	strbuf_trim(value);
	if (rc == MAP_FOUND && (value->len == 0 ||
	    strcasecmp(value->data, "DUNNO") == 0))
		rc = MAP_NOTFOUND;
	return (rc == MAP_FOUND ? 1 : rc == MAP_TEMPFAIL ? -1 : 0);
}

/* special_verdict - error: bounces, retry: defers, with optional dsn */
static enum resolve_status
special_verdict(struct resolve_result *out)
{
	const char *text = out->nexthop.data;
	bool	 bounce = strcmp(out->transport.data, "error") == 0;
	int	 c, s, d, n = 0;

	if (!is_special(out->transport.data))
		return (RESOLVE_OK);
	snprintf(out->dsn, sizeof(out->dsn), bounce ? "5.0.0" : "4.0.0");
	if (sscanf(text, "%1d.%3d.%3d%n", &c, &s, &d, &n) == 3 && n > 0 &&
	    (text[n] == ' ' || text[n] == '\0') && c == (bounce ? 5 : 4)) {
		snprintf(out->dsn, sizeof(out->dsn), "%.*s", n, text);
		text += n;
		text += strspn(text, " ");
	}
	strbuf_set(&out->reason, *text ? text : bounce ?
	    "mail for this address is not deliverable" :
	    "delivery temporarily suspended");
	return (bounce ? RESOLVE_BOUNCE : RESOLVE_DEFER);
}

/* classify - class, transport and next hop of a domain not ours */
static enum resolve_status
classify_remote(struct resolver *res, const char *sender, const char *domain,
    struct resolve_result *out)
{
	const char *channel;
	int	 rc;

	if ((rc = domain_list_match(res->virtual_alias_domains, domain)) > 0) {
		out->class = RESOLVE_CLASS_ALIAS;
		set_route("error", "5.1.1 User unknown in virtual alias table",
		    out);
		return (RESOLVE_OK);
	}
	if (rc == 0 &&
	    (rc = domain_list_match(res->virtual_mailbox, domain)) > 0) {
		out->class = RESOLVE_CLASS_VIRTUAL;
		set_route(res->virtual_transport, domain, out);
		return (RESOLVE_OK);
	}
	if (rc == 0 && (rc = domain_list_match(res->relay_domains, domain)) > 0) {
		out->class = RESOLVE_CLASS_RELAY;
		channel = res->relay_transport;
	} else {
		out->class = RESOLVE_CLASS_DEFAULT;
		channel = res->default_transport;
	}
	if (rc < 0 || (rc = sender_relay(res, sender, &res->value)) < 0) {
		out->class = RESOLVE_CLASS_NONE;
		return (resolve_fail(out, RESOLVE_DEFER, "4.3.0",
		    "address class lookup failure for %s", domain));
	}
	set_route(channel, rc > 0 ? res->value.data : *res->relayhost ?
	    res->relayhost : domain, out);
	return (RESOLVE_OK);
}

/* resolve_address - class, final address, transport and next hop */
enum resolve_status
resolve_address(struct resolver *res, const char *sender, const char *address,
    struct resolve_result *out)
{
	struct strbuf *addr = &out->address;
	struct strbuf *domain = &res->work;
	enum resolve_status st;
	size_t	 at;
	int	 rc;

	out->class = RESOLVE_CLASS_NONE;
	out->flags = 0;
	out->dsn[0] = '\0';
	strbuf_reset(&out->reason);
	strbuf_reset(&out->transport);
	strbuf_reset(&out->nexthop);
	if (strlen(address) > RESOLVE_ADDRESS_MAX ||
	    !resolve_balanced(address, strlen(address))) {
		strbuf_set(addr, "");
		out->flags |= RESOLVE_FLAG_ERROR;
		out->class = RESOLVE_CLASS_DEFAULT;
		return (resolve_fail(out, RESOLVE_BOUNCE, "5.1.3",
		    "bad address syntax%s", ""));
	}
	strbuf_set(addr, address);
	resolve_rewrite_buf(res, RESOLVE_CTX_LOCAL, addr);
	if ((rc = peel_local(res, addr)) == -2) {
		out->flags |= RESOLVE_FLAG_ERROR;
		out->class = RESOLVE_CLASS_DEFAULT;
		return (resolve_fail(out, RESOLVE_BOUNCE, "5.1.3",
		    "bad address syntax: <%s>", address));
	}
	if (rc < 0)
		return (resolve_fail(out, RESOLVE_DEFER, "4.3.0",
		    "local domain lookup failure for <%s>", address));
	if ((at = resolve_find_at(addr->data, addr->len)) == addr->len) {
		/* only a remote domain can end here; be safe anyway */
		strbuf_putc(addr, '@');
		strbuf_puts(addr, res->myhostname);
		if ((at = resolve_find_at(addr->data, addr->len)) == addr->len) {
			out->flags |= RESOLVE_FLAG_ERROR;
			out->class = RESOLVE_CLASS_DEFAULT;
			return (resolve_fail(out, RESOLVE_BOUNCE, "5.1.3",
			    "bad address syntax%s", ""));
		}
	}
	strbuf_set(domain, addr->data + at + 1);
	strbuf_lower(domain);
	if (!domain_valid(domain->data, domain->len, true) ||
	    !literal_tagged(domain->data) ||
	    !utf8_valid(addr->data, addr->len)) {
		out->flags |= RESOLVE_FLAG_ERROR;
		out->class = RESOLVE_CLASS_DEFAULT;
		return (resolve_fail(out, RESOLVE_BOUNCE, "5.1.2",
		    "bad destination domain in <%s>", addr->data));
	}
	resolve_unquote(addr->data, at, &res->part);
	if (strpbrk(res->part.data, "@!%") != NULL)
		out->flags |= RESOLVE_FLAG_ROUTED;
	if (rc > 0) {
		out->class = RESOLVE_CLASS_LOCAL;
		set_route(res->local_transport, domain->data, out);
	} else if ((st = classify_remote(res, sender, domain->data, out)) !=
	    RESOLVE_OK) {
		return (st);
	}
	if (res->transport != NULL && out->class != RESOLVE_CLASS_ALIAS) {
		rc = transport_find(res, addr->data, domain->data, &res->value);
		if (rc == MAP_TEMPFAIL) {
			out->class = RESOLVE_CLASS_NONE;
			return (resolve_fail(out, RESOLVE_DEFER, "4.3.0",
			    "transport_maps lookup failure for <%s>",
			    addr->data));
		}
		if (rc == MAP_FOUND)
			update_route(res->value.data, domain->data, out);
	}
	if (out->transport.len == 0 || out->nexthop.len == 0) {
		out->class = RESOLVE_CLASS_NONE;
		return (resolve_fail(out, RESOLVE_DEFER, "4.3.5",
		    "no transport or next hop for <%s> (check *_transport)",
		    addr->data));
	}
	return (special_verdict(out));
}

/* resolve_domain_class - the class of an address in domain (NONE: failure) */
enum resolve_class
resolve_domain_class(struct resolver *res, const char *domain)
{
	int	 rc;

	if ((rc = resolve_is_local(res, domain)) != 0)
		return (rc > 0 ? RESOLVE_CLASS_LOCAL : RESOLVE_CLASS_NONE);
	if ((rc = domain_list_match(res->virtual_alias_domains, domain)) != 0)
		return (rc > 0 ? RESOLVE_CLASS_ALIAS : RESOLVE_CLASS_NONE);
	if ((rc = domain_list_match(res->virtual_mailbox, domain)) != 0)
		return (rc > 0 ? RESOLVE_CLASS_VIRTUAL : RESOLVE_CLASS_NONE);
	if ((rc = domain_list_match(res->relay_domains, domain)) != 0)
		return (rc > 0 ? RESOLVE_CLASS_RELAY : RESOLVE_CLASS_NONE);
	return (RESOLVE_CLASS_DEFAULT);
}

/* resolve_own_address - ip is an address of this host (inet/proxy_interfaces) */
bool
resolve_own_address(struct resolver *res, const char *ip)
{
	struct in6_addr a;

	if (to_in6(ip, &a) < 0)
		return (false);
	for (size_t i = 0; i < res->ifaddr_count; i++)
		if (memcmp(&res->ifaddrs[i].addr, &a, sizeof(a)) == 0)
			return (true);
	return (false);
}
