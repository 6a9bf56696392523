/*
 * resolve - where a recipient goes: virtual alias rewriting, then the
 * transport and next hop.
 *
 * qmgr resolves every recipient when it reads a message; smtpd may later
 * use the same code to refuse unknown virtual recipients at RCPT time.
 *
 * resolve_expand() rewrites one address through virtual_alias_maps
 * (keys: the full address, then "@domain"), recursively: one address may
 * become many, an address that maps to itself or that appears again on
 * its own expansion path is final (loop safe), depth and fan-out are
 * bounded by virtual_alias_recursion_limit and
 * virtual_alias_expansion_limit (Postfix's meaning: past either, the
 * message is not accepted for now, 4.6.0).  resolve_transport() then picks the transport: transport_maps
 * (the full address, the domain, then each parent domain with a leading
 * dot), else local_transport for no domain or a mydestination domain,
 * virtual_transport for virtual_mailbox_domains, and default_transport
 * (next hop relayhost when set) for everything else.  An address in
 * virtual_alias_domains (what expansion left there: no alias matched
 * it) is unknown (5.1.1), as Postfix's virtual alias class.
 * Transport "error" bounces with its next-hop text, "retry" defers.
 *
 * Parameters: virtual_alias_maps, virtual_alias_domains,
 * virtual_alias_expansion_limit, virtual_alias_recursion_limit, transport_maps,
 * mydestination, virtual_mailbox_domains, local_transport,
 * virtual_transport, default_transport, relayhost, myhostname.
 */
#ifndef SLUICE_RESOLVE_H
#define SLUICE_RESOLVE_H

#include "config.h"
#include "strbuf.h"
#include "strlist.h"

enum resolve_status {
	RESOLVE_OK = 0,
	RESOLVE_DEFER = 1,	/* temporary: a table failed, limits, retry: */
	RESOLVE_BOUNCE = 2,	/* permanent: error:, unknown virtual alias */
};

struct resolve_result {
	struct strbuf	 transport;	/* "local", "virtual", "smtp", ... */
	struct strbuf	 nexthop;	/* "localhost", "example.test", ... */
	char		 dsn[16];	/* DEFER/BOUNCE: "4.3.0", "5.1.1" */
	struct strbuf	 reason;	/* DEFER/BOUNCE: text for logs, DSNs */
};

struct resolver;

/* resolve_open - open the tables named by cfg; NULL with err filled */
struct resolver *resolve_open(struct config *cfg, struct strbuf *err);
void	resolve_close(struct resolver *res);

void	resolve_result_init(struct resolve_result *out);
void	resolve_result_free(struct resolve_result *out);

/*
 * resolve_expand - the final addresses for address (appended to out,
 * without duplicates).  RESOLVE_OK, or RESOLVE_DEFER with why->dsn
 * (4.3.0 a table failed, 4.6.0 a limit was passed) and why->reason set
 * (out is then unspecified).  cleanup calls it for every recipient it
 * writes; qmgr only for records of old queue files (lib/queue/queue_file.h).
 */
enum resolve_status resolve_expand(struct resolver *res, const char *address,
	    struct strlist *out, struct resolve_result *why);

/* resolve_transport - transport and next hop of one final address */
enum resolve_status resolve_transport(struct resolver *res, const char *address,
	    struct resolve_result *out);

#endif
