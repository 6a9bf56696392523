/*
 * resolve - opening the resolver's tables, and virtual alias expansion;
 * see resolve.h (rewriting, classes and routes are in resolve_rewrite.c,
 * resolve_canon.c and resolve_class.c).  Every table lookup can fail temporarily; such a failure
 * always defers (never bounces), so a broken table costs time, not mail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "config_table.h"
#include "domain_list.h"
#include "htable.h"
#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "resolve_impl.h"

#define ROW(name, kind, field)	CONFIG_ROW(name, kind, struct resolver, field)

/* What resolve_open() reads: the fields of struct resolver. */
const struct config_table resolve_params[] = {
	ROW("myorigin", CONF_STR, myorigin),
	ROW("mydomain", CONF_STR, mydomain),
	ROW("myhostname", CONF_STR, myhostname),
	ROW("remote_header_rewrite_domain", CONF_STR, remote_domain),
	ROW("empty_address_recipient", CONF_STR, empty_address),
	ROW("recipient_delimiter", CONF_STR, delimiters),
	ROW("append_at_myorigin", CONF_BOOL, append_at_myorigin),
	ROW("append_dot_mydomain", CONF_BOOL, append_dot_mydomain),
	ROW("swap_bangpath", CONF_BOOL, swap_bangpath),
	ROW("allow_percent_hack", CONF_BOOL, percent_hack),
	ROW("resolve_dequoted_address", CONF_BOOL, resolve_dequoted),
	ROW("local_transport", CONF_STR, local_transport),
	ROW("virtual_transport", CONF_STR, virtual_transport),
	ROW("relay_transport", CONF_STR, relay_transport),
	ROW("default_transport", CONF_STR, default_transport),
	ROW("relayhost", CONF_HOSTPORT, relayhost),
	ROW("virtual_alias_expansion_limit", CONF_INT, expansion_limit),
	ROW("virtual_alias_recursion_limit", CONF_INT, recursion_limit),
	ROW("virtual_alias_maps", CONF_MAPS, virtual_alias),
	ROW("transport_maps", CONF_MAPS, transport),
	ROW("sender_dependent_relayhost_maps", CONF_MAPS, sender_relay),
	ROW("mydestination", CONF_DOMAINS, mydestination),
	ROW("virtual_mailbox_domains", CONF_DOMAINS, virtual_mailbox),
	ROW("virtual_alias_domains", CONF_DOMAINS, virtual_alias_domains),
	ROW("relay_domains", CONF_DOMAINS, relay_domains),
	ROW("inet_interfaces", CONF_LIST, words.inet_interfaces),
	ROW("proxy_interfaces", CONF_LIST, words.proxy_interfaces),
	ROW("canonical_maps", CONF_MAPS, canonical),
	ROW("sender_canonical_maps", CONF_MAPS, sender_canonical),
	ROW("recipient_canonical_maps", CONF_MAPS, recipient_canonical),
	ROW("canonical_classes", CONF_LIST, words.canonical_classes),
	ROW("sender_canonical_classes", CONF_LIST,
	    words.sender_canonical_classes),
	ROW("recipient_canonical_classes", CONF_LIST,
	    words.recipient_canonical_classes),
	ROW("masquerade_classes", CONF_LIST, words.masquerade_classes),
	ROW("masquerade_domains", CONF_LIST, masq_domains),
	ROW("masquerade_exceptions", CONF_DOMAINS, masq_exceptions),
	ROW("propagate_unmatched_extensions", CONF_LIST, words.propagate),
	CONFIG_TABLE_END,
};

/* resolve_open - everything resolution needs, opened before the jail */
struct resolver *
resolve_open(struct config *cfg, struct strbuf *err)
{
	struct resolver *res = xcalloc(1, sizeof(*res));

	strbuf_init(&res->work);
	strbuf_init(&res->key);
	strbuf_init(&res->value);
	strbuf_init(&res->part);
	if (config_table_read(cfg, resolve_params, res, err) > 0 ||
	    resolve_ifaddrs_open(res, err) < 0 ||
	    resolve_canon_open(res, err) < 0) {
		resolve_close(res);
		return (NULL);
	}
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
	config_table_release(resolve_params, res);
	free(res->ifaddrs);
	strbuf_free(&res->work);
	strbuf_free(&res->key);
	strbuf_free(&res->value);
	strbuf_free(&res->part);
	free(res->path);
	free(res);
}

/* resolve_changed - a table was rebuilt: the caller should restart */
bool
resolve_changed(struct resolver *res)
{
	struct map_list *maps[] = { res->virtual_alias, res->transport,
	    res->sender_relay, res->canonical, res->sender_canonical,
	    res->recipient_canonical };
	struct domain_list *lists[] = { res->mydestination, res->virtual_mailbox,
	    res->virtual_alias_domains, res->relay_domains,
	    res->masq_exceptions };

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (maps[i] != NULL && map_list_changed(maps[i]))
			return (true);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (lists[i] != NULL && domain_list_changed(lists[i]))
			return (true);
	return (false);
}

/* resolve_class_name - the class as the logs and sendmail -bv say it */
const char *
resolve_class_name(enum resolve_class class)
{
	switch (class) {
	case RESOLVE_CLASS_LOCAL:
		return ("local");
	case RESOLVE_CLASS_ALIAS:
		return ("virtual alias");
	case RESOLVE_CLASS_VIRTUAL:
		return ("virtual mailbox");
	case RESOLVE_CLASS_RELAY:
		return ("relay");
	case RESOLVE_CLASS_DEFAULT:
		return ("default");
	default:
		return ("none");
	}
}

/* resolve_result_init - empty result */
void
resolve_result_init(struct resolve_result *out)
{
	strbuf_init(&out->transport);
	strbuf_init(&out->nexthop);
	strbuf_init(&out->reason);
	strbuf_init(&out->address);
	out->class = RESOLVE_CLASS_NONE;
	out->flags = 0;
	out->dsn[0] = '\0';
}

/* resolve_result_free - release and re-init */
void
resolve_result_free(struct resolve_result *out)
{
	strbuf_free(&out->transport);
	strbuf_free(&out->nexthop);
	strbuf_free(&out->reason);
	strbuf_free(&out->address);
	out->dsn[0] = '\0';
}

/* resolve_fail - fill the why fields, return status */
enum resolve_status
resolve_fail(struct resolve_result *why, enum resolve_status status,
    const char *dsn, const char *fmt, const char *arg)
{
	snprintf(why->dsn, sizeof(why->dsn), "%s", dsn);
	strbuf_reset(&why->reason);
	strbuf_printf(&why->reason, fmt, arg);
	return (status);
}

/*
 * resolve_alias_lookup - virtual_alias_maps in Postfix's order (virtual(5):
 * user+ext@domain, user@domain, user+ext and user for our own domains,
 * @domain); *ext as resolve_find()
 */
static int
resolve_alias_lookup(struct resolver *res, const char *address,
    struct strbuf *value, size_t *ext)
{
	*ext = 0;
	if (res->virtual_alias == NULL || strlen(address) > RESOLVE_ADDRESS_MAX)
		return (MAP_NOTFOUND);
	return (resolve_find(res, res->virtual_alias, address, ext, value));
}

/*
 * alias_target - one entry of an alias value as an address: canonicalised
 * (@$myorigin for a bare user, as Postfix's cleanup does), with the
 * extension the lookup dropped carried over (propagate_unmatched_extensions
 * = virtual): list+tag@x -> member+tag@y
 */
static void
alias_target(struct resolver *res, const char *address, size_t ext,
    const char *target, struct strbuf *out)
{
	size_t	 at, tat;

	strbuf_set(out, target);
	resolve_rewrite_buf(res, RESOLVE_CTX_LOCAL, out);
	if (ext == 0 || !res->propagate_virtual)
		return;
	at = resolve_find_at(address, strlen(address));
	if ((tat = resolve_find_at(out->data, out->len)) == out->len)
		return;
	strbuf_set(&res->part, out->data + tat);
	strbuf_truncate(out, tat);
	strbuf_append(out, address + ext, at - ext);
	strbuf_puts(out, res->part.data);
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
	struct strbuf value, target;
	struct strlist targets;
	enum resolve_status st = RESOLVE_OK;
	size_t	 ext;
	int	 rc;

	for (int i = 0; i < depth; i++)
		if (strcasecmp(path[i], address) == 0)
			return (resolve_add_final(res, address, out, why));
	if (depth >= res->recursion_limit)
		return (resolve_fail(why, RESOLVE_DEFER, "4.6.0",
		    "virtual alias recursion limit exceeded for <%s>", address));
	strbuf_init(&value);
	rc = resolve_alias_lookup(res, address, &value, &ext);
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
	strbuf_init(&target);
	for (size_t i = 0; i < targets.count && st == RESOLVE_OK; i++) {
		if (strlen(targets.items[i]) > SMTP_ADDRESS_MAX) {
			st = resolve_fail(why, RESOLVE_DEFER, "4.6.0",
			    "overlong virtual alias target for <%s>", address);
			break;
		}
		alias_target(res, address, ext, targets.items[i], &target);
		if (strcasecmp(target.data, address) == 0)
			st = resolve_add_final(res, address, out, why);
		else
			st = resolve_expand_one(res, target.data, path,
			    depth + 1, out, why);
	}
	strbuf_free(&target);
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

/* resolve_transport - route of one final address, no sender known */
enum resolve_status
resolve_transport(struct resolver *res, const char *address,
    struct resolve_result *out)
{
	return (resolve_address(res, NULL, address, out));
}
