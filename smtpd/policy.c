/*
 * policy - may this recipient be accepted: relay control and recipient
 * validation, on the address class the resolver (lib/resolve.h) gives.
 *
 * A client outside mynetworks may send only to our own classes (local,
 * virtual alias, virtual mailbox) and to relay_domains, and never along
 * a route left in the local part (user%other@ours resolves to other;
 * "a!b"@relay keeps its route): "554 5.7.1 Relay access denied".  With
 * smtpd_reject_unlisted_recipient, an address must be known: a key of
 * recipient_canonical_maps, canonical_maps or virtual_alias_maps, else
 * by its class: local_recipient_maps (local; postmaster and
 * MAILER-DAEMON always pass), virtual_mailbox_maps (virtual mailbox); a
 * virtual alias domain address no alias matched is unknown.  The bare
 * address <postmaster> is always accepted (RFC 5321 4.5.1).  A table
 * that cannot answer gives a 4xx, never a 5xx.
 *
 * Parameters: mynetworks, local_recipient_maps, virtual_mailbox_maps,
 * smtpd_reject_unlisted_recipient, unknown_local_recipient_reject_code;
 * the resolver's.
 */
#include <string.h>
#include <strings.h>

#include "maps.h"
#include "netmatch.h"
#include "resolve.h"
#include "smtpd.h"

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

/* always_local - postmaster@ and MAILER-DAEMON@ a local domain */
static bool
always_local(const char *final)
{
	return (strncasecmp(final, "postmaster@", 11) == 0 ||
	    strncasecmp(final, "MAILER-DAEMON@", 14) == 0);
}

/* known - is the recipient in the table of its class (see above) */
static int
known(struct smtpd_session *s, const struct resolve_result *rr,
    const char *address, struct strbuf *reply)
{
	const struct smtpd_config *cfg = s->cfg;
	struct map_list *maps = NULL;
	static struct strbuf value;	/* as rr below */
	int	 rc;

	if ((rc = resolve_known(cfg->resolver, rr->address.data)) != 0)
		return (rc > 0 ? 0 : tempfail(reply, address));
	switch (rr->class) {
	case RESOLVE_CLASS_LOCAL:
		if (always_local(rr->address.data))
			return (0);
		maps = cfg->local_recipient_maps;
		break;
	case RESOLVE_CLASS_VIRTUAL:
		maps = cfg->virtual_mailbox_maps;
		break;
	case RESOLVE_CLASS_ALIAS:
		return (unknown_user(reply, 550, address, "virtual alias"));
	default:
		return (0);
	}
	if (maps == NULL)
		return (0);
	if (value.data == NULL)
		strbuf_init(&value);
	rc = resolve_lookup(cfg->resolver, maps, rr->address.data, &value);
	if (rc == MAP_TEMPFAIL)
		return (tempfail(reply, address));
	if (rc == MAP_FOUND)
		return (0);
	if (rr->class == RESOLVE_CLASS_LOCAL)
		return (unknown_user(reply, (int)cfg->unknown_local_code,
		    address, "local recipient"));
	return (unknown_user(reply, 550, address, "virtual mailbox"));
}

/* smtpd_check_recipient - 0 to accept; else -1 with the reply text */
int
smtpd_check_recipient(struct smtpd_session *s, const struct smtp_path *rcpt,
    struct strbuf *reply)
{
	const struct smtpd_config *cfg = s->cfg;
	const char *address = rcpt->address.data;
	/* one per process: the check never yields to another session */
	static struct resolve_result rr;
	static bool rr_ready;
	bool	 trusted;
	int	 rc = 0;

	/* smtpd -S run by a user: no access policy (standalone.c) */
	if (cfg->policy_off)
		return (0);
	if (rcpt->at >= rcpt->address.len) {
		if (strcasecmp(address, "postmaster") == 0)
			return (0);
		strbuf_set(reply, "501 5.1.3 Bad recipient address syntax");
		return (-1);
	}
	if (!rr_ready) {
		resolve_result_init(&rr);
		rr_ready = true;
	}
	(void)resolve_address(cfg->resolver, NULL, address, &rr);
	trusted = netlist_match(cfg->mynetworks, s->peer.addr);
	if (rr.class == RESOLVE_CLASS_NONE) {
		rc = tempfail(reply, address);
	} else if (rr.flags & RESOLVE_FLAG_ERROR) {
		strbuf_set(reply, "");
		strbuf_printf(reply, "501 5.1.3 <%s>: Bad recipient address "
		    "syntax", address);
		rc = -1;
	} else if (!trusted && ((rr.flags & RESOLVE_FLAG_ROUTED) ||
	    rr.class == RESOLVE_CLASS_DEFAULT)) {
		strbuf_set(reply, "");
		strbuf_printf(reply, "554 5.7.1 <%s>: Relay access denied",
		    address);
		rc = -1;
	} else if (cfg->reject_unlisted) {
		rc = known(s, &rr, address, reply);
	}
	return (rc);
}
