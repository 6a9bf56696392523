/*
 * resolve - the one answer to "what is this address and where does it
 * go" (the role of Postfix's trivial-rewrite), asked by every program:
 * smtpd (recipient validation, relay decisions), cleanup (rewriting of
 * the envelope and the headers), qmgr (routing), local (classification)
 * and sendmail -bv (reporting).  No program keeps its own copy of these
 * rules.
 *
 * Addresses are handled in their envelope (external) form: a quoted
 * local part stays quoted; routing characters inside quotes are text.
 *
 * resolve_rewrite() canonicalises as Postfix's rewrite_tree: a source
 * route is dropped; an address without '@' becomes user@site for
 * site!user (swap_bangpath), user@domain for user%domain
 * (allow_percent_hack), else user@$myorigin (append_at_myorigin); a
 * domain without a dot gets .$mydomain (append_dot_mydomain); one
 * trailing dot goes.  The remote context (headers of mail from clients
 * outside local_header_rewrite_clients) uses
 * remote_header_rewrite_domain for both, and nothing when it is empty.
 *
 * resolve_canonical() applies the canonical maps of one address class
 * (sender_ or recipient_canonical_maps, then canonical_maps, each
 * gated by its *_canonical_classes) and masquerading (masquerade_domains,
 * masquerade_exceptions, masquerade_classes), as Postfix's cleanup does.
 * Lookups try user+ext@domain, user@domain, user+ext and user (when the
 * domain is $myorigin or local), then @domain; an unmatched extension is
 * carried over (propagate_unmatched_extensions); a result "@domain"
 * keeps the local part.
 *
 * resolve_address() gives the address class of ADDRESS_CLASS_README
 * (local: mydestination, or an [ip] literal of inet_interfaces /
 * proxy_interfaces; virtual alias: virtual_alias_domains; virtual
 * mailbox: virtual_mailbox_domains; relay: relay_domains; default:
 * everything else), the final address (local domains stripped of
 * percent-hack and bang routes, as Postfix's resolver does: a route left
 * in the local part sets RESOLVE_FLAG_ROUTED), and the class's transport
 * and next hop: *_transport, relayhost, sender_dependent_relayhost_maps,
 * then transport_maps (address, address without extension, domain,
 * .parent domains, "*").
 *
 * resolve_expand() rewrites one address through virtual_alias_maps
 * (keys as virtual(5): user+ext@domain, user@domain, the bare user for
 * our own domains, @domain; a dropped extension is carried over to the
 * members, which are canonicalised), recursively: one address may
 * become many, an address that maps to itself or that appears again on
 * its own expansion path is final (loop safe), depth and fan-out are
 * bounded by virtual_alias_recursion_limit and
 * virtual_alias_expansion_limit (Postfix's meaning: past either, the
 * message is not accepted for now, 4.6.0).  What expansion leaves in a
 * virtual_alias_domains domain (no alias matched it) is unknown: the
 * virtual alias class resolves to error:5.1.1, as in Postfix.
 * Transport "error" bounces with its next-hop text, "retry" defers.
 *
 * Every table is opened once by resolve_open() (before the jail); a
 * lookup that fails defers (never bounces).  The resolver keeps scratch
 * buffers so that the per-recipient calls do not allocate.
 *
 * Parameters: myhostname, mydomain, myorigin, mydestination,
 * inet_interfaces, proxy_interfaces, virtual_alias_maps,
 * virtual_alias_domains, virtual_alias_expansion_limit,
 * virtual_alias_recursion_limit, virtual_mailbox_domains, relay_domains,
 * transport_maps, local_transport, virtual_transport, relay_transport,
 * default_transport, relayhost, sender_dependent_relayhost_maps,
 * append_at_myorigin, append_dot_mydomain, swap_bangpath,
 * allow_percent_hack, resolve_dequoted_address, empty_address_recipient,
 * recipient_delimiter, remote_header_rewrite_domain, canonical_maps,
 * sender_canonical_maps, recipient_canonical_maps, canonical_classes,
 * sender_canonical_classes, recipient_canonical_classes,
 * masquerade_domains, masquerade_exceptions, masquerade_classes,
 * propagate_unmatched_extensions.
 */
#ifndef SLUICE_RESOLVE_H
#define SLUICE_RESOLVE_H

#include <stdbool.h>

#include "config.h"
#include "config_table.h"
#include "strbuf.h"
#include "strlist.h"

#define RESOLVE_ADDRESS_MAX	1024	/* longer input is refused, not cut */

enum resolve_status {
	RESOLVE_OK = 0,
	RESOLVE_DEFER = 1,	/* temporary: a table failed, limits, retry: */
	RESOLVE_BOUNCE = 2,	/* permanent: error:, unknown virtual alias */
};

/* Address classes (Postfix ADDRESS_CLASS_README). */
enum resolve_class {
	RESOLVE_CLASS_NONE = 0,		/* not resolved (a failure) */
	RESOLVE_CLASS_LOCAL,
	RESOLVE_CLASS_ALIAS,		/* virtual alias domain */
	RESOLVE_CLASS_VIRTUAL,		/* virtual mailbox domain */
	RESOLVE_CLASS_RELAY,
	RESOLVE_CLASS_DEFAULT,
};

#define RESOLVE_FLAG_ROUTED	0x01	/* '@', '!' or '%' left in the local part */
#define RESOLVE_FLAG_ERROR	0x02	/* malformed domain: not deliverable */

struct resolve_result {
	struct strbuf	 transport;	/* "local", "virtual", "smtp", ... */
	struct strbuf	 nexthop;	/* "localhost", "example.test", ... */
	struct strbuf	 address;	/* resolve_address: the final address */
	enum resolve_class class;
	unsigned	 flags;		/* RESOLVE_FLAG_* */
	char		 dsn[16];	/* DEFER/BOUNCE: "4.3.0", "5.1.1" */
	struct strbuf	 reason;	/* DEFER/BOUNCE: text for logs, DSNs */
};

/* Rewriting contexts (Postfix: local and remote). */
enum resolve_context {
	RESOLVE_CTX_LOCAL,
	RESOLVE_CTX_REMOTE,
};

/* Address classes of canonical_classes and masquerade_classes. */
#define RESOLVE_ENV_SENDER	0x01
#define RESOLVE_ENV_RCPT	0x02
#define RESOLVE_HDR_SENDER	0x04
#define RESOLVE_HDR_RCPT	0x08

struct resolver;

/* resolve_open - open the tables named by cfg; NULL with err filled */
struct resolver *resolve_open(struct config *cfg, struct strbuf *err);
void	resolve_close(struct resolver *res);
/* resolve_changed - one of its tables was rebuilt (see map_changed) */
bool	resolve_changed(struct resolver *res);

void	resolve_result_init(struct resolve_result *out);
void	resolve_result_free(struct resolve_result *out);
const char *resolve_class_name(enum resolve_class class);

/*
 * resolve_rewrite - canonical form of address (see above) into out.  An
 * over-long address is copied unchanged.
 */
void	resolve_rewrite(struct resolver *res, enum resolve_context ctx,
	    const char *address, struct strbuf *out);

/*
 * resolve_canonical - canonical maps and masquerading for one class
 * (one RESOLVE_ENV_* / RESOLVE_HDR_* bit), in place.  RESOLVE_OK, or
 * RESOLVE_DEFER with why's dsn and reason (a table failed, a loop).
 */
enum resolve_status resolve_canonical(struct resolver *res, unsigned class,
	    struct strbuf *address, struct resolve_result *why);

/*
 * resolve_address - class, final address, transport and next hop of one
 * recipient, for the given envelope sender (NULL: none known).  The
 * status is RESOLVE_OK, RESOLVE_DEFER (a table failed; class NONE) or
 * the verdict of an error:/retry: transport (class and route filled).
 */
enum resolve_status resolve_address(struct resolver *res, const char *sender,
	    const char *address, struct resolve_result *out);

struct map_list;

/*
 * resolve_lookup - address in maps in Postfix's order: user+ext@domain,
 * user@domain, then (for $myorigin or a local domain) user+ext and user,
 * then @domain.  MAP_FOUND (the result in value), MAP_NOTFOUND or
 * MAP_TEMPFAIL; maps may be NULL (not found).
 */
int	resolve_lookup(struct resolver *res, struct map_list *maps,
	    const char *address, struct strbuf *value);

/*
 * resolve_known - address is a key of recipient_canonical_maps,
 * canonical_maps or virtual_alias_maps, which make any recipient known
 * to smtpd whatever its class (as Postfix): 1, 0, or -1 a table failed.
 */
int	resolve_known(struct resolver *res, const char *address);

/*
 * resolve_alias_match - address is a key of virtual_alias_maps (Postfix's
 * lookup order): 1, 0, or -1 a table failed.
 */
int	resolve_alias_match(struct resolver *res, const char *address);

/* resolve_domain_class - the class of a domain; NONE: a table failed */
enum resolve_class resolve_domain_class(struct resolver *res,
	    const char *domain);

/* resolve_own_address - ip is one of inet_interfaces / proxy_interfaces */
bool	resolve_own_address(struct resolver *res, const char *ip);

/* resolve_is_local - the domain is ours (local class); -1 a table failed */
int	resolve_is_local(struct resolver *res, const char *domain);

/*
 * resolve_extension - where the recipient_delimiter extension of a local
 * part starts (its delimiter), or 0 when it has none.  "owner-x" and
 * "x-request" keep their '-' as Postfix does.
 */
size_t	resolve_extension(struct resolver *res, const char *local_part,
	    size_t len);

/*
 * resolve_expand - the final addresses for address (appended to out,
 * without duplicates).  RESOLVE_OK, or RESOLVE_DEFER with why->dsn
 * (4.3.0 a table failed, 4.6.0 a limit was passed) and why->reason set
 * (out is then unspecified).  cleanup calls it for every recipient it
 * writes; qmgr only for records of old queue files (lib/queue/queue_file.h).
 */
enum resolve_status resolve_expand(struct resolver *res, const char *address,
	    struct strlist *out, struct resolve_result *why);

/*
 * resolve_transport - transport and next hop of one final address:
 * resolve_address() without a sender.
 */
enum resolve_status resolve_transport(struct resolver *res, const char *address,
	    struct resolve_result *out);

#endif
