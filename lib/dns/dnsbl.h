/*
 * dnsbl - DNS block and allow lists (DNSBL, RHSBL, DNSWL, RHSWL) as
 * smtpd's reject_rbl_client, reject_rhsbl_*, permit_dnswl_client and
 * permit_rhswl_client use them.
 *
 * A list is named as Postfix names it: "domain" or "domain=filter", where
 * the filter is an IPv4 pattern of four fields, each a number or a "[]"
 * set of ";"-separated numbers and number..number ranges
 * (zen.example=127.0.0.[2..11;20]).  An address is looked up as its
 * reversed octets (IPv4) or nibbles (IPv6) under the domain, a name as
 * itself under the domain; the A records of the answer say "listed".
 *
 * Lookups go through a per-session cache: dnsbl_start() sends the A query
 * of a name without waiting (so the lists of a restriction list are all
 * asked at once), dnsbl_lookup() waits for it and judges the answer,
 * dnsbl_reason() fetches the TXT record (the $rbl_reason of the reply)
 * only when a reply needs it.  An answer is asked for once per session.
 * A failure to get an answer (timeout, SERVFAIL, no resolver) is
 * DNSBL_TEMPFAIL, logged as a warning and never a reason to reject.
 * Records that cannot be a list's answer are ignored with a warning:
 * anything but a 4-byte A record, an address outside 127.0.0.0/8 (a
 * wildcard domain or a resolver that redirects NXDOMAIN would otherwise
 * list the whole Internet), and, for a list without a filter,
 * 127.255.255.0/24, which list operators use for error codes ("query
 * refused") rather than listings.
 */
#ifndef SLUICE_DNSBL_H
#define SLUICE_DNSBL_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"
#include "template.h"

#define DNSBL_ARG_MAX		512	/* "domain=filter" as written */
#define DNSBL_REASON_MAX	500	/* TXT text kept for $rbl_reason */
#define DNSBL_CACHE_MAX		128	/* answers one session keeps */

/* an IPv4 pattern: the set of values allowed for each octet */
struct dnsbl_filter {
	uint64_t	 octet[4][4];	/* 256 bits per octet */
};

/* one list as a restriction names it */
struct dnsbl_list {
	char			*arg;		/* "domain=filter" as written */
	char			*domain;	/* without the filter */
	bool			 filtered;
	struct dnsbl_filter	 filter;
};

enum dnsbl_verdict {
	DNSBL_UNLISTED = 0,	/* not listed, or not with a matching record */
	DNSBL_LISTED = 1,
	DNSBL_TEMPFAIL = 2,	/* no answer: the list decides nothing */
};

/*
 * dnsbl_filter_parse - parse an IPv4 pattern.  0, or -1 with err filled.
 * dnsbl_filter_match - addr (4 bytes, network order) fits the pattern.
 */
int	dnsbl_filter_parse(const char *text, struct dnsbl_filter *f,
	    struct strbuf *err);
bool	dnsbl_filter_match(const struct dnsbl_filter *f,
	    const unsigned char addr[4]);

/* dnsbl_list_parse - "domain[=filter]"; 0, or -1 with err filled */
int	dnsbl_list_parse(const char *arg, struct dnsbl_list *list,
	    struct strbuf *err);
void	dnsbl_list_free(struct dnsbl_list *list);
/* dnsbl_arg_check - "domain[=filter]" parses (configuration checks) */
int	dnsbl_arg_check(const char *arg, struct strbuf *err);

/*
 * dnsbl_addr_query - the query name of an IPv4 or IPv6 address under
 * domain into out.  0, or -1 (no address literal, or the name would be
 * longer than DNS allows).
 */
int	dnsbl_addr_query(const char *addr, const char *domain,
	    struct strbuf *out);
/*
 * dnsbl_name_query - the query name of a host or domain name, or of the
 * domain of an address (what = user@domain), under domain.  0 when out
 * holds a name to look up; 1 when there is nothing to look up (no domain,
 * an address literal, a numeric last label, a name that is no valid host
 * name, non-ASCII); -1 when the query name would be too long.
 */
int	dnsbl_name_query(const char *what, const char *domain,
	    struct strbuf *out);

struct dnsbl_cache;

/* dnsbl_cache_create - an empty cache; _free cancels what is in flight */
struct dnsbl_cache *dnsbl_cache_create(void);
void	dnsbl_cache_free(struct dnsbl_cache *cache);

/* dnsbl_start - send the A query for query unless answered or asked */
void	dnsbl_start(struct dnsbl_cache *cache, const char *query);
/*
 * dnsbl_lookup - wait for the answer to query (starting it if need be)
 * and judge it for list.  A tempfail is logged as a warning once.
 */
enum dnsbl_verdict dnsbl_lookup(struct dnsbl_cache *cache, const char *query,
	    const struct dnsbl_list *list);
/*
 * dnsbl_reason - the TXT text of a listed query ("" when there is none
 * or it cannot be had): character-strings joined, records joined with
 * " / ", at most DNSBL_REASON_MAX bytes, valid until the cache is freed
 */
const char *dnsbl_reason(struct dnsbl_cache *cache, const char *query);

/*
 * The reply to a listed client: default_rbl_reply or the rbl_reply_maps
 * template expanded with the $rbl_* names of dnsbl_reply_vars, and every
 * other name asked of next (the session's $client, $sender, ...).
 */
struct dnsbl_reply_vars {
	int			 code;		/* maps_rbl_reject_code */
	const char		*domain;	/* $rbl_domain */
	const char		*what;		/* $rbl_what */
	const char		*reason;	/* $rbl_reason, $rbl_txt */
	const char		*class;		/* $rbl_class: "Client host" ... */
	template_lookup_fn	 next;
	void			*next_ctx;
};

/* dnsbl_reply_lookup - template_lookup_fn over a struct dnsbl_reply_vars */
const char *dnsbl_reply_lookup(const char *name, void *ctx);

/*
 * dnsbl_reply_format - expand template and make a reply of it: "CODE
 * X.Y.Z text", with 4.7.1/5.7.1 when the template gives no enhanced
 * status code, and the enhanced code's class set to the reply code's.
 * 0; or -1 with err filled when the template does not expand or does not
 * start with a 4xx/5xx code (reply is then unusable).
 */
int	dnsbl_reply_format(const char *tmpl, struct dnsbl_reply_vars *vars,
	    struct strbuf *reply, struct strbuf *err);

/*
 * dnsbl_session_name - name is one of the session's names a reply
 * template may use (smtpd's expansion gives each a value): client,
 * client_address, client_name, client_port, reverse_client_name,
 * helo_name, sender, sender_name, sender_domain, recipient,
 * recipient_name, recipient_domain, server_name
 */
bool	dnsbl_session_name(const char *name);

/*
 * dnsbl_config_check - default_rbl_reply is a template that expands with
 * the $rbl_* and session names; problems appended to errors as lines
 * "ORIGIN: parameter default_rbl_reply: why (smtpd)".  The count.
 */
struct config;
int	dnsbl_config_check(struct config *cfg, struct strbuf *errors);

/*
 * dnsbl_template_check - tmpl expands, with every $rbl_* name empty and
 * the other names asked of next (configuration checks); 0 or -1 with err
 */
int	dnsbl_template_check(const char *tmpl, template_lookup_fn next,
	    void *next_ctx, struct strbuf *err);

#endif
