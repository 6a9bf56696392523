/*
 * verify - sendmail -bv: what the mail system would do with each address,
 * without sending anything.
 *
 * Each address goes the way a submitted recipient goes: canonicalised
 * (@$myorigin, routes), recipient_canonical_maps and canonical_maps,
 * virtual_alias_maps, then the resolver's class, transport and next hop
 * for each final address (lib/resolve.h; the same module qmgr routes
 * with).  One line per final address:
 *
 *	ADDR: deliverable: CLASS, transport T, nexthop H[, via ORIG]
 *	ADDR: undeliverable: REASON
 *	ADDR: deferred: REASON		(a table could not answer)
 *
 * Postfix's sendmail -bv mails such a report; Sluice prints it.  The exit
 * status is EX_DATAERR when an address is undeliverable, EX_TEMPFAIL
 * when one could not be decided, else EX_OK.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "resolve.h"
#include "sendmail.h"
#include "strbuf.h"
#include "strlist.h"

/* worse - EX_DATAERR beats EX_TEMPFAIL beats EX_OK */
static int
worse(int a, int b)
{
	if (a == EX_DATAERR || b == EX_DATAERR)
		return (EX_DATAERR);
	return (a == EX_TEMPFAIL || b == EX_TEMPFAIL ? EX_TEMPFAIL : EX_OK);
}

/* report - one line; returns the exit status it stands for */
static int
report(const char *address, enum resolve_status st,
    const struct resolve_result *rr, const char *via)
{
	if (st == RESOLVE_DEFER && rr->class == RESOLVE_CLASS_NONE) {
		printf("%s: deferred: %s\n", address, rr->reason.data);
		return (EX_TEMPFAIL);
	}
	if (st != RESOLVE_OK) {
		printf("%s: %s: %s %s\n", address, st == RESOLVE_BOUNCE ?
		    "undeliverable" : "deferred", rr->dsn, rr->reason.data);
		return (st == RESOLVE_BOUNCE ? EX_DATAERR : EX_TEMPFAIL);
	}
	/* the address as the resolver leaves it (user%host@ours: user@host) */
	printf("%s: deliverable: %s, transport %s, nexthop %s",
	    rr->address.data, resolve_class_name(rr->class),
	    rr->transport.data, rr->nexthop.data);
	if (via == NULL && strcmp(rr->address.data, address) != 0)
		via = address;
	if (via != NULL)
		printf(", via <%s>", via);
	printf("\n");
	return (EX_OK);
}

/* verify_one - one address given on the command line */
static int
verify_one(struct resolver *res, const char *address)
{
	struct resolve_result rr;
	struct strbuf canon;
	struct strlist finals;
	enum resolve_status st;
	int	 status = EX_OK;

	resolve_result_init(&rr);
	strbuf_init(&canon);
	strlist_init(&finals);
	resolve_rewrite(res, RESOLVE_CTX_LOCAL, address, &canon);
	st = resolve_canonical(res, RESOLVE_ENV_RCPT, &canon, &rr);
	if (st == RESOLVE_OK)
		st = resolve_expand(res, canon.data, &finals, &rr);
	if (st != RESOLVE_OK) {
		rr.class = RESOLVE_CLASS_NONE;
		status = report(address, st, &rr, NULL);
		if (st == RESOLVE_BOUNCE)
			status = EX_DATAERR;
	}
	for (size_t i = 0; st == RESOLVE_OK && i < finals.count; i++) {
		const char *final = finals.items[i];
		bool	 same = strcmp(final, address) == 0;

		status = worse(status, report(final,
		    resolve_address(res, NULL, final, &rr), &rr,
		    same ? NULL : address));
	}
	strlist_free(&finals);
	strbuf_free(&canon);
	resolve_result_free(&rr);
	return (status);
}

/* sm_verify - -bv on the address arguments; the exit status */
int
sm_verify(const struct sm_options *o, int argc, char **argv)
{
	struct resolver *res;
	struct strlist list;
	struct strbuf err;
	int	 status = EX_OK;

	strlist_init(&list);
	for (int i = 0; i < argc; i++)
		sm_address_list(argv[i], strlen(argv[i]), &list);
	if (list.count == 0) {
		strlist_free(&list);
		return (-1);
	}
	strbuf_init(&err);
	if ((res = resolve_open(o->cfg, &err)) == NULL)
		sm_fatal(EX_TEMPFAIL, "cannot open the address tables: %s",
		    err.data);
	strbuf_free(&err);
	for (size_t i = 0; i < list.count; i++) {
		if (!sm_address_valid(list.items[i])) {
			printf("%s: undeliverable: bad address syntax\n",
			    list.items[i]);
			status = EX_DATAERR;
			continue;
		}
		status = worse(status, verify_one(res, list.items[i]));
	}
	resolve_close(res);
	strlist_free(&list);
	return (status);
}
