/*
 * resolve - virtual alias rewriting and transport resolution; see
 * resolve.h.  Every table lookup can fail temporarily; such a failure
 * always defers (never bounces), so a broken table costs time, not mail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "domain_list.h"
#include "htable.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "resolve.h"

struct resolver {
	struct map_list		*virtual_alias;		/* NULL: none */
	struct map_list		*transport;		/* NULL: none */
	struct domain_list	*mydestination;
	struct domain_list	*virtual_mailbox;
	struct domain_list	*virtual_alias_domains;
	char			*local_transport;
	char			*virtual_transport;
	char			*default_transport;
	char			*relayhost;
	char			*myhostname;
	long			 expansion_limit;	/* per recipient */
	long			 recursion_limit;	/* nesting depth */
	/*
	 * The addresses above the one being expanded, recursion_limit + 1
	 * slots allocated once: an expansion never waits (no table type
	 * yields to another coroutine), so one path serves every caller.
	 */
	const char		**path;
};

/* resolve_maps_open - a map list, or NULL for an empty parameter */
static int
resolve_maps_open(struct config *cfg, const char *name, struct map_list **out,
    struct strbuf *err)
{
	const char *text = config_get(cfg, name);

	*out = NULL;
	if (text[strspn(text, ", \t\r\n")] == '\0')
		return (0);
	if ((*out = map_list_open(text, err)) == NULL) {
		strbuf_printf(err, " (%s)", name);
		return (-1);
	}
	return (0);
}

/* resolve_domains_open - one domain list parameter */
static int
resolve_domains_open(struct config *cfg, const char *name,
    struct domain_list **out, struct strbuf *err)
{
	if ((*out = domain_list_open(config_get(cfg, name), err)) == NULL) {
		strbuf_printf(err, " (%s)", name);
		return (-1);
	}
	return (0);
}

/* resolve_open - everything resolution needs, opened before the jail */
struct resolver *
resolve_open(struct config *cfg, struct strbuf *err)
{
	struct resolver *res = xcalloc(1, sizeof(*res));

	if (resolve_maps_open(cfg, "virtual_alias_maps", &res->virtual_alias,
	    err) < 0 ||
	    resolve_maps_open(cfg, "transport_maps", &res->transport, err) < 0 ||
	    resolve_domains_open(cfg, "mydestination", &res->mydestination,
	    err) < 0 ||
	    resolve_domains_open(cfg, "virtual_mailbox_domains",
	    &res->virtual_mailbox, err) < 0 ||
	    resolve_domains_open(cfg, "virtual_alias_domains",
	    &res->virtual_alias_domains, err) < 0) {
		resolve_close(res);
		return (NULL);
	}
	res->local_transport = xstrdup(config_get(cfg, "local_transport"));
	res->virtual_transport = xstrdup(config_get(cfg, "virtual_transport"));
	res->default_transport = xstrdup(config_get(cfg, "default_transport"));
	res->relayhost = xstrdup(config_get(cfg, "relayhost"));
	res->myhostname = xstrdup(config_get(cfg, "myhostname"));
	res->expansion_limit = config_get_int(cfg,
	    "virtual_alias_expansion_limit");
	res->recursion_limit = config_get_int(cfg,
	    "virtual_alias_recursion_limit");
	res->path = xcalloc((size_t)res->recursion_limit + 1,
	    sizeof(*res->path));
	return (res);
}

/* resolve_close - release the tables */
void
resolve_close(struct resolver *res)
{
	if (res == NULL)
		return;
	if (res->virtual_alias)
		map_list_close(res->virtual_alias);
	if (res->transport)
		map_list_close(res->transport);
	if (res->mydestination)
		domain_list_free(res->mydestination);
	if (res->virtual_mailbox)
		domain_list_free(res->virtual_mailbox);
	if (res->virtual_alias_domains)
		domain_list_free(res->virtual_alias_domains);
	free(res->local_transport);
	free(res->virtual_transport);
	free(res->default_transport);
	free(res->relayhost);
	free(res->myhostname);
	free(res->path);
	free(res);
}

/* resolve_result_init - empty result */
void
resolve_result_init(struct resolve_result *out)
{
	strbuf_init(&out->transport);
	strbuf_init(&out->nexthop);
	strbuf_init(&out->reason);
	out->dsn[0] = '\0';
}

/* resolve_result_free - release and re-init */
void
resolve_result_free(struct resolve_result *out)
{
	strbuf_free(&out->transport);
	strbuf_free(&out->nexthop);
	strbuf_free(&out->reason);
	out->dsn[0] = '\0';
}

/* resolve_fail - fill the why fields, return status */
static enum resolve_status
resolve_fail(struct resolve_result *why, enum resolve_status status,
    const char *dsn, const char *fmt, const char *arg)
{
	snprintf(why->dsn, sizeof(why->dsn), "%s", dsn);
	strbuf_reset(&why->reason);
	strbuf_printf(&why->reason, fmt, arg);
	return (status);
}

/* resolve_alias_lookup - address, then @domain, in virtual_alias_maps */
static int
resolve_alias_lookup(struct resolver *res, const char *address,
    struct strbuf *value)
{
	const char *domain;
	struct strbuf key;
	int	 rc;

	if (res->virtual_alias == NULL)
		return (MAP_NOTFOUND);
	rc = map_list_lookup(res->virtual_alias, address, value);
	if (rc != MAP_NOTFOUND)
		return (rc);
	domain = address_domain(address);
	if (*domain == '\0')
		return (MAP_NOTFOUND);
	strbuf_init(&key);
	strbuf_printf(&key, "@%s", domain);
	rc = map_list_lookup_partial(res->virtual_alias, key.data, value);
	strbuf_free(&key);
	return (rc);
}

/*
 * The final addresses of one expansion: the caller's list, in order, and
 * a case-insensitive index of it, so that finding a duplicate among up to
 * virtual_alias_expansion_limit addresses is one lookup, not a search of
 * the list.
 */
struct resolve_finals {
	struct strlist	*list;
	struct htable	*seen;		/* NULL while the list is empty */
};

/* finals_new - is address not in the list yet (then it is indexed) */
static bool
finals_new(struct resolve_finals *out, const char *address)
{
	bool	 added;

	if (out->seen == NULL) {
		/* most recipients are no alias: one address, no table */
		if (out->list->count == 0)
			return (true);
		out->seen = htable_create(2 * out->list->count, HTABLE_NOCASE);
		for (size_t i = 0; i < out->list->count; i++)
			(void)htable_enter(out->seen, out->list->items[i],
			    strlen(out->list->items[i]), NULL);
	}
	(void)htable_enter(out->seen, address, strlen(address), &added);
	return (added);
}

/* resolve_add_final - one final address, unless it is there already */
static enum resolve_status
resolve_add_final(struct resolver *res, const char *address,
    struct resolve_finals *out, struct resolve_result *why)
{
	if (!finals_new(out, address))
		return (RESOLVE_OK);
	/* past the limit the result is not used: out is unspecified */
	if ((long)out->list->count >= res->expansion_limit)
		return (resolve_fail(why, RESOLVE_DEFER, "4.6.0",
		    "virtual alias expansion of <%s> exceeds the limit",
		    address));
	strlist_add(out->list, address);
	return (RESOLVE_OK);
}

/* resolve_expand_one - recursive step; path holds the addresses above */
static enum resolve_status
resolve_expand_one(struct resolver *res, const char *address,
    const char **path, int depth, struct resolve_finals *out,
    struct resolve_result *why)
{
	struct strbuf value;
	struct strlist targets;
	enum resolve_status st = RESOLVE_OK;
	int	 rc;

	for (int i = 0; i < depth; i++)
		if (strcasecmp(path[i], address) == 0)
			return (resolve_add_final(res, address, out, why));
	if (depth >= res->recursion_limit)
		return (resolve_fail(why, RESOLVE_DEFER, "4.6.0",
		    "virtual alias recursion limit exceeded for <%s>", address));
	strbuf_init(&value);
	rc = resolve_alias_lookup(res, address, &value);
	if (rc == MAP_TEMPFAIL) {
		strbuf_free(&value);
		return (resolve_fail(why, RESOLVE_DEFER, "4.3.0",
		    "virtual_alias_maps lookup failure for <%s>", address));
	}
	if (rc == MAP_NOTFOUND) {
		strbuf_free(&value);
		return (resolve_add_final(res, address, out, why));
	}
	strlist_init(&targets);
	strlist_split(&targets, value.data, ", \t\r\n");
	strbuf_free(&value);
	path[depth] = address;
	for (size_t i = 0; i < targets.count && st == RESOLVE_OK; i++) {
		if (strlen(targets.items[i]) > SMTP_ADDRESS_MAX)
			st = resolve_fail(why, RESOLVE_DEFER, "4.6.0",
			    "overlong virtual alias target for <%s>", address);
		else if (strcasecmp(targets.items[i], address) == 0)
			st = resolve_add_final(res, address, out, why);
		else
			st = resolve_expand_one(res, targets.items[i], path,
			    depth + 1, out, why);
	}
	if (targets.count == 0 && st == RESOLVE_OK)
		st = resolve_fail(why, RESOLVE_DEFER, "4.3.0",
		    "empty virtual alias entry for <%s>", address);
	strlist_free(&targets);
	return (st);
}

/* resolve_expand - all final addresses of one recipient */
enum resolve_status
resolve_expand(struct resolver *res, const char *address, struct strlist *out,
    struct resolve_result *why)
{
	struct resolve_finals finals;
	enum resolve_status st;

	/* what out holds already counts as found (see resolve.h) */
	finals.list = out;
	finals.seen = NULL;
	st = resolve_expand_one(res, address, res->path, 0, &finals, why);
	htable_free(finals.seen);
	return (st);
}

/* resolve_split - "transport:nexthop" into the result, keeping defaults */
static void
resolve_split(const char *value, struct resolve_result *out)
{
	const char *colon = strchr(value, ':');
	size_t	 tlen = colon ? (size_t)(colon - value) : strlen(value);

	if (tlen > 0) {
		strbuf_reset(&out->transport);
		strbuf_append(&out->transport, value, tlen);
		strbuf_trim(&out->transport);
	}
	if (colon != NULL && colon[1] != '\0') {
		strbuf_set(&out->nexthop, colon + 1);
		strbuf_trim(&out->nexthop);
	}
}

/* resolve_transport_lookup - transport_maps: address, domain, .parents */
static int
resolve_transport_lookup(struct resolver *res, const char *address,
    const char *domain, struct strbuf *value)
{
	const char *p;
	int	 rc;

	if (res->transport == NULL)
		return (MAP_NOTFOUND);
	if ((rc = map_list_lookup(res->transport, address, value)) !=
	    MAP_NOTFOUND || *domain == '\0')
		return (rc);
	if ((rc = map_list_lookup_partial(res->transport, domain, value)) !=
	    MAP_NOTFOUND)
		return (rc);
	for (p = strchr(domain, '.'); p != NULL && p[1] != '\0';
	    p = strchr(p + 1, '.'))
		if ((rc = map_list_lookup_partial(res->transport, p, value)) !=
		    MAP_NOTFOUND)
			return (rc);
	return (MAP_NOTFOUND);
}

/* resolve_special - error: bounces, retry: defers, with optional dsn */
static enum resolve_status
resolve_special(struct resolve_result *out)
{
	const char *text = out->nexthop.data;
	bool	 bounce = strcmp(out->transport.data, "error") == 0;
	int	 c, s, d, n = 0;

	if (!bounce && strcmp(out->transport.data, "retry") != 0)
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

/* resolve_transport - transport and next hop of one final address */
enum resolve_status
resolve_transport(struct resolver *res, const char *address,
    struct resolve_result *out)
{
	struct strbuf domain, value;
	enum resolve_status st = RESOLVE_OK;
	int	 rc;

	strbuf_init(&domain);
	strbuf_init(&value);
	strbuf_set(&domain, address_domain(address));
	strbuf_lower(&domain);
	if (domain.len > 0 && domain.data[domain.len - 1] == '.')
		strbuf_truncate(&domain, domain.len - 1);
	strbuf_reset(&out->transport);
	strbuf_reset(&out->nexthop);
	strbuf_reset(&out->reason);
	out->dsn[0] = '\0';

	/* the default for the domain class first; transport_maps overrides */
	if (domain.len == 0 ||
	    (rc = domain_list_match(res->mydestination, domain.data)) > 0) {
		strbuf_set(&out->nexthop, res->myhostname);
		resolve_split(res->local_transport, out);
	} else if (rc < 0) {
		st = resolve_fail(out, RESOLVE_DEFER, "4.3.0",
		    "mydestination lookup failure for %s", domain.data);
	} else if ((rc = domain_list_match(res->virtual_alias_domains,
	    domain.data)) > 0) {
		/* what virtual_alias_maps left of such a domain is unknown */
		strbuf_set(&out->transport, "error");
		st = resolve_fail(out, RESOLVE_BOUNCE, "5.1.1",
		    "<%s>: User unknown in virtual alias table", address);
	} else if (rc < 0) {
		st = resolve_fail(out, RESOLVE_DEFER, "4.3.0",
		    "virtual_alias_domains lookup failure for %s", domain.data);
	} else if ((rc = domain_list_match(res->virtual_mailbox,
	    domain.data)) > 0) {
		strbuf_set(&out->nexthop, domain.data);
		resolve_split(res->virtual_transport, out);
	} else if (rc < 0) {
		st = resolve_fail(out, RESOLVE_DEFER, "4.3.0",
		    "virtual_mailbox_domains lookup failure for %s",
		    domain.data);
	} else {
		strbuf_set(&out->nexthop, res->relayhost[0] ? res->relayhost :
		    domain.data);
		resolve_split(res->default_transport, out);
	}
	if (st == RESOLVE_OK) {
		rc = resolve_transport_lookup(res, address, domain.data, &value);
		if (rc == MAP_TEMPFAIL)
			st = resolve_fail(out, RESOLVE_DEFER, "4.3.0",
			    "transport_maps lookup failure for <%s>", address);
		else if (rc == MAP_FOUND)
			resolve_split(value.data, out);
	}
	if (st == RESOLVE_OK && out->transport.len == 0)
		st = resolve_fail(out, RESOLVE_DEFER, "4.3.5",
		    "no transport for <%s>", address);
	if (st == RESOLVE_OK)
		st = resolve_special(out);
	strbuf_free(&domain);
	strbuf_free(&value);
	return (st);
}
