/*
 * policy - may this recipient be accepted: relay control and recipient
 * validation.
 *
 * A recipient domain in mydestination is local: its local part must be
 * in local_recipient_maps (when that is not empty).  A domain in
 * virtual_alias_domains or virtual_mailbox_domains must have the address
 * (or a catch-all "@domain") in virtual_alias_maps or
 * virtual_mailbox_maps.  A domain in relay_domains is relayed.  Anything
 * else is relayed only for clients in mynetworks: "554 5.7.1 Relay access
 * denied".  The bare address <postmaster> is always accepted (RFC 5321
 * 4.5.1).  A table that cannot answer gives a 4xx, never a 5xx.
 *
 * Parameters: mydestination, virtual_alias_domains,
 * virtual_mailbox_domains, relay_domains, mynetworks,
 * local_recipient_maps, virtual_alias_maps, virtual_mailbox_maps,
 * smtpd_reject_unlisted_recipient, unknown_local_recipient_reject_code.
 */
#include <string.h>
#include <strings.h>

#include "domain_list.h"
#include "maps.h"
#include "netmatch.h"
#include "smtpd.h"

enum verdict {
	VERDICT_FOUND,
	VERDICT_UNKNOWN,
	VERDICT_TEMPFAIL,
};

/* lookup_local - the local part (then the whole address) in the table */
static enum verdict
lookup_local(struct map_list *maps, const char *address)
{
	struct strbuf local, value;
	int result;

	strbuf_init(&local);
	strbuf_init(&value);
	address_local_part(address, &local);
	strbuf_lower(&local);
	result = map_list_lookup_partial(maps, local.data, &value);
	if (result == MAP_NOTFOUND)
		result = map_list_lookup(maps, address, &value);
	strbuf_free(&local);
	strbuf_free(&value);
	return (result == MAP_FOUND ? VERDICT_FOUND :
	    result == MAP_TEMPFAIL ? VERDICT_TEMPFAIL : VERDICT_UNKNOWN);
}

/* lookup_virtual - the whole address, then "@domain" */
static enum verdict
lookup_virtual(struct map_list *maps, const char *address, const char *domain)
{
	struct strbuf key, value;
	int result;

	if (maps == NULL)
		return (VERDICT_UNKNOWN);
	strbuf_init(&key);
	strbuf_init(&value);
	result = map_list_lookup(maps, address, &value);
	if (result == MAP_NOTFOUND) {
		strbuf_printf(&key, "@%s", domain);
		result = map_list_lookup_partial(maps, key.data, &value);
	}
	strbuf_free(&key);
	strbuf_free(&value);
	return (result == MAP_FOUND ? VERDICT_FOUND :
	    result == MAP_TEMPFAIL ? VERDICT_TEMPFAIL : VERDICT_UNKNOWN);
}

/* tempfail - the reply for a table that could not answer */
static int
tempfail(struct strbuf *reply, const char *address)
{
	strbuf_set(reply, "");
	strbuf_printf(reply, "451 4.3.0 <%s>: Temporary lookup failure", address);
	return (-1);
}

/* unknown_user - reply for an address missing from its table */
static int
unknown_user(struct strbuf *reply, int code, const char *address,
    const char *table)
{
	strbuf_set(reply, "");
	strbuf_printf(reply, "%d %d.1.1 <%s>: Recipient address rejected: "
	    "User unknown in %s table", code, code / 100, address, table);
	return (-1);
}

/* smtpd_check_recipient - 0 to accept; else -1 with the reply text */
int
smtpd_check_recipient(struct smtpd_session *s, const struct smtp_path *rcpt,
    struct strbuf *reply)
{
	const struct smtpd_config *cfg = s->cfg;
	const char *address = rcpt->address.data;
	const char *domain;
	enum verdict v;
	int match;

	/* smtpd -S run by a user: no access policy (standalone.c) */
	if (cfg->policy_off)
		return (0);
	if (rcpt->at >= rcpt->address.len) {
		if (strcasecmp(address, "postmaster") == 0)
			return (0);
		strbuf_set(reply, "501 5.1.3 Bad recipient address syntax");
		return (-1);
	}
	domain = address_domain(address);

	if ((match = domain_list_match(cfg->mydestination, domain)) != 0) {
		if (match < 0)
			return (tempfail(reply, address));
		if (!cfg->reject_unlisted || cfg->local_recipient_maps == NULL)
			return (0);
		v = lookup_local(cfg->local_recipient_maps, address);
		if (v == VERDICT_TEMPFAIL)
			return (tempfail(reply, address));
		if (v == VERDICT_UNKNOWN)
			return (unknown_user(reply, (int)cfg->unknown_local_code,
			    address, "local recipient"));
		return (0);
	}
	if ((match = domain_list_match(cfg->virtual_alias_domains, domain)) != 0) {
		if (match < 0)
			return (tempfail(reply, address));
		if (!cfg->reject_unlisted)
			return (0);
		v = lookup_virtual(cfg->virtual_alias_maps, address, domain);
		if (v == VERDICT_TEMPFAIL)
			return (tempfail(reply, address));
		if (v == VERDICT_UNKNOWN)
			return (unknown_user(reply, 550, address, "virtual alias"));
		return (0);
	}
	if ((match = domain_list_match(cfg->virtual_mailbox_domains, domain)) != 0) {
		if (match < 0)
			return (tempfail(reply, address));
		if (!cfg->reject_unlisted)
			return (0);
		v = lookup_virtual(cfg->virtual_alias_maps, address, domain);
		if (v == VERDICT_UNKNOWN)
			v = lookup_virtual(cfg->virtual_mailbox_maps, address, domain);
		if (v == VERDICT_TEMPFAIL)
			return (tempfail(reply, address));
		if (v == VERDICT_UNKNOWN)
			return (unknown_user(reply, 550, address, "virtual mailbox"));
		return (0);
	}
	if ((match = domain_list_match(cfg->relay_domains, domain)) != 0) {
		if (match < 0)
			return (tempfail(reply, address));
		return (0);
	}
	if (netlist_match(cfg->mynetworks, s->peer.addr))
		return (0);
	strbuf_set(reply, "");
	strbuf_printf(reply, "554 5.7.1 <%s>: Relay access denied", address);
	return (-1);
}
