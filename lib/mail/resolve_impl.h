/*
 * resolve_impl.h - what the files of the resolver share (not for its
 * callers: they use resolve.h).
 *
 * resolve.c opens and closes the resolver and expands virtual aliases;
 * resolve_rewrite.c canonicalises address text; resolve_canon.c applies
 * canonical maps and masquerading; resolve_class.c decides the class,
 * transport and next hop.  The scratch buffers belong to whichever of
 * those functions runs: none of them calls another that uses the same
 * buffer.
 */
#ifndef SLUICE_RESOLVE_IMPL_H
#define SLUICE_RESOLVE_IMPL_H

#include <netinet/in.h>
#include <stddef.h>

#include "domain_list.h"
#include "maps.h"
#include "resolve.h"

/* One address of this host, for [ip] literals (IPv4 mapped into IPv6). */
struct resolve_ifaddr {
	struct in6_addr	 addr;
};

struct resolver {
	/* rewriting */
	char			*myorigin;
	char			*mydomain;
	char			*myhostname;
	char			*remote_domain;		/* remote_header_rewrite_domain */
	char			*empty_address;		/* empty_address_recipient */
	char			*delimiters;		/* recipient_delimiter */
	bool			 append_at_myorigin;
	bool			 append_dot_mydomain;
	bool			 swap_bangpath;
	bool			 percent_hack;
	bool			 resolve_dequoted;

	/* address classes */
	struct domain_list	*mydestination;
	struct domain_list	*virtual_alias_domains;
	struct domain_list	*virtual_mailbox;
	struct domain_list	*relay_domains;
	struct resolve_ifaddr	*ifaddrs;		/* inet_ and proxy_interfaces */
	size_t			 ifaddr_count;
	char			*local_transport;
	char			*virtual_transport;
	char			*relay_transport;
	char			*default_transport;
	char			*relayhost;

	/* virtual alias expansion */
	long			 expansion_limit;	/* per recipient */
	long			 recursion_limit;	/* nesting depth */
	/*
	 * The addresses above the one being expanded, recursion_limit + 1
	 * slots allocated once: an expansion never waits (no table type
	 * yields to another coroutine), so one path serves every caller.
	 */
	const char		**path;

	/* tables; NULL when the parameter is empty */
	struct map_list		*virtual_alias;
	struct map_list		*transport;
	struct map_list		*sender_relay;		/* sender_dependent_relayhost_maps */
	struct map_list		*canonical;
	struct map_list		*sender_canonical;
	struct map_list		*recipient_canonical;
	unsigned		 canonical_classes;	/* RESOLVE_ENV_* | RESOLVE_HDR_* */
	unsigned		 sender_canonical_classes;
	unsigned		 recipient_canonical_classes;
	bool			 propagate_canonical;	/* propagate_unmatched_extensions */
	bool			 propagate_virtual;
	struct strlist		 masq_domains;		/* "!name" excludes */
	struct domain_list	*masq_exceptions;	/* local parts, as names */
	unsigned		 masq_classes;

	/* word lists as read, turned into the fields above by resolve_open */
	struct {
		struct strlist	 canonical_classes;
		struct strlist	 sender_canonical_classes;
		struct strlist	 recipient_canonical_classes;
		struct strlist	 masquerade_classes;
		struct strlist	 propagate;	/* propagate_unmatched_extensions */
		struct strlist	 inet_interfaces;
		struct strlist	 proxy_interfaces;
	} words;

	/* scratch, kept between calls so that they do not allocate */
	struct strbuf		 work;
	struct strbuf		 key;
	struct strbuf		 value;
	struct strbuf		 part;
};

/* resolve_rewrite.c: address text */

/*
 * resolve_find_at - index of the '@' that separates the domain (the last
 * one outside quotes), or len when there is none.
 */
size_t	resolve_find_at(const char *address, size_t len);
/* resolve_balanced - quotes and brackets closed, no dangling escape */
bool	resolve_balanced(const char *text, size_t len);
/* resolve_find_op - first (or last) unquoted ch in text[0..len), or len */
size_t	resolve_find_op(const char *text, size_t len, int ch, bool last);
/* resolve_unquote - the local part text[0..len) without its quoting */
void	resolve_unquote(const char *text, size_t len, struct strbuf *out);
/* resolve_quote_local - append local part, quoted if it needs it */
void	resolve_quote_local(const char *local, size_t len, struct strbuf *out);
/* resolve_rewrite_buf - resolve_rewrite() in place */
void	resolve_rewrite_buf(struct resolver *res, enum resolve_context ctx,
	    struct strbuf *addr);

/* resolve_class.c: the addresses of inet_ and proxy_interfaces */
int	resolve_ifaddrs_open(struct resolver *res, struct strbuf *err);

/* resolve_canon.c: the *_classes words and propagate_unmatched_extensions */
int	resolve_canon_open(struct resolver *res, struct strbuf *err);

/*
 * resolve_find - address in maps in Postfix's order (user+ext@domain,
 * user@domain, user+ext and user for $myorigin or a local domain,
 * @domain); *ext: where the extension that was dropped to match starts,
 * else 0.  MAP_FOUND with value, MAP_NOTFOUND, MAP_TEMPFAIL.
 */
int	resolve_find(struct resolver *res, struct map_list *maps,
	    const char *addr, size_t *ext, struct strbuf *value);

/* resolve.c */
enum resolve_status resolve_fail(struct resolve_result *why,
	    enum resolve_status status, const char *dsn, const char *fmt,
	    const char *arg);

#endif
