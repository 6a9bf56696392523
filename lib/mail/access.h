/*
 * access - access(5) tables: what an answer means and which keys are
 * asked, in Postfix's order.  smtpd's check_*_access restrictions use
 * both halves; its policy client reads a policy server's "action=" with
 * the same parser, so a table and a policy server mean the same thing.
 *
 * access.c: access_action_parse() turns one answer into a verb and its argument:
 *
 *	OK, RELAY, all-numerical   permit
 *	REJECT [text]              access_map_reject_code, 5.7.1 unless text
 *				   starts with an enhanced status code
 *	DEFER [text]               access_map_defer_code, 4.7.1
 *	DEFER_IF_REJECT [text]     access_map_defer_code, 4.7.1
 *	DEFER_IF_PERMIT [text]     access_map_defer_code, 4.7.1
 *	4NN text, 5NN text         that code; the enhanced code's class
 *				   follows it (421 and 521 also hang up)
 *	DUNNO                      as if not found; no shorter key is tried
 *	HOLD [text], DISCARD [text], WARN [text], INFO [text]
 *	FILTER transport:nexthop   needs the colon
 *	REDIRECT addr, BCC addr    need user@domain
 *	PREPEND name: value        needs a header
 *	anything else              a restriction list (no table in it)
 *
 * Verbs are case-insensitive.  An entry that cannot be carried out is
 * either ignored with a warning (a FILTER, REDIRECT, BCC or PREPEND
 * without a usable argument, as Postfix does) or an error the caller
 * answers with 451 4.3.5 (a lookup table in the answer, a value past
 * ACCESS_VALUE_MAX, a code neither 4NN nor 5NN).
 *
 * access_find.c: the access_find_* functions ask a list of tables, stopping at the first
 * answer (DUNNO included: it stops the search, which is its purpose):
 *
 *  address	user+ext@domain (as given: pattern tables see only this),
 *		user@domain, domain and its parents, user+ext@, user@
 *  domain	the name (as given), then its parents: "example.com" for
 *		sub.example.com when parent_domain_matches_subdomains lists
 *		smtpd_access_maps, ".example.com" otherwise; an IP address
 *		is looked up whole only
 *  host address  1.2.3.4 (as given; cidr: tables see this), 1.2.3, 1.2,
 *		1; IPv6 in its compressed form, then shortened at each ':'
 *  client	the name as a domain, then the address as a host address
 *
 * Parameters (of the callers): access_map_reject_code,
 * access_map_defer_code, parent_domain_matches_subdomains,
 * recipient_delimiter.
 */
#ifndef SLUICE_ACCESS_H
#define SLUICE_ACCESS_H

#include <stdbool.h>

#include "maps.h"
#include "strbuf.h"

/* longer answers are refused: a table or policy server gone wrong */
#define ACCESS_VALUE_MAX	4096
/* PREPEND's header and an RFC 5322 line, without CRLF */
#define ACCESS_HEADER_MAX	998

enum access_verb {
	ACCESS_OK,
	ACCESS_REJECT,		/* REJECT or 4NN/5NN: code, dsn, text */
	ACCESS_DEFER,
	ACCESS_DEFER_IF_REJECT,
	ACCESS_DEFER_IF_PERMIT,
	ACCESS_DUNNO,
	ACCESS_HOLD,
	ACCESS_DISCARD,
	ACCESS_FILTER,		/* arg: transport:nexthop */
	ACCESS_REDIRECT,	/* arg: address */
	ACCESS_BCC,		/* arg: address */
	ACCESS_PREPEND,		/* arg: the header */
	ACCESS_WARN,
	ACCESS_INFO,
	ACCESS_RESTRICTIONS,	/* arg: the whole answer, a restriction list */
	ACCESS_IGNORED,		/* unusable entry, ignored: why says why */
	ACCESS_ERROR,		/* unusable entry, 451 4.3.5: why says why */
};

struct access_action {
	enum access_verb verb;
	int		 code;		/* 4NN/5NN given; 0: the caller's code */
	char		 dsn[12];	/* enhanced status code (REJECT, DEFER*) */
	bool		 hangup;	/* 421 or 521: close after the reply */
	struct strbuf	 text;		/* reply or log text, "" when none */
	struct strbuf	 arg;		/* FILTER/REDIRECT/BCC/PREPEND/list */
	const char	*why;		/* IGNORED, ERROR; a warning for OK */
};

void	access_action_init(struct access_action *act);
void	access_action_free(struct access_action *act);
/* access_action_parse - fill act from value (len bytes); returns its verb */
enum access_verb access_action_parse(const char *value, size_t len,
	    struct access_action *act);
/* access_verb_name - "REJECT", "HOLD", ... for logs */
const char *access_verb_name(enum access_verb verb);

/* What the lookups need besides the key. */
struct resolver;

struct access_lookup {
	struct map_list	*maps;
	struct resolver	*resolver;	/* recipient_delimiter; NULL: none */
	bool		 parent_matches_subdomains;
};

/*
 * access_parent_style - parent_domain_matches_subdomains (its value)
 * lists smtpd_access_maps
 */
bool	access_parent_style(const char *pdms);

/*
 * The lookups: MAP_FOUND with value set, MAP_NOTFOUND, or MAP_TEMPFAIL
 * (a table failed: the caller answers 4xx, never 5xx).  The first key
 * is asked of every table, the shorter ones of fixed-key tables only.
 */
int	access_find_address(const struct access_lookup *al,
	    const char *address, struct strbuf *value);
int	access_find_domain(const struct access_lookup *al, const char *domain,
	    struct strbuf *value);
int	access_find_host_address(const struct access_lookup *al,
	    const char *addr, struct strbuf *value);
int	access_find_client(const struct access_lookup *al, const char *name,
	    const char *addr, struct strbuf *value);

/* access_is_host_address - text is an IPv4 or IPv6 address (no brackets) */
bool	access_is_host_address(const char *text);

#endif
