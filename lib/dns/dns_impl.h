/*
 * dns_impl - what the files of the dns module share (internal: other code
 * uses dns.h only).
 *
 * dns.c owns the libunbound context and runs one query at a time with a
 * deadline; dns_lookup.c builds MX and address answers from those
 * results; dns_ptr.c does the reverse (address to name) lookups;
 * dnsbl.c starts several queries at once (dns_query_start) and collects
 * them; dns_wire.c validates names and decodes record data, which arrives from
 * the network and is treated as hostile.
 */
#ifndef SLUICE_DNS_IMPL_H
#define SLUICE_DNS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "strbuf.h"

#define DNS_NAME_MAX	253	/* text form, without the trailing dot */
#define DNS_LABEL_MAX	63
#define DNS_WIRE_NAME_MAX 255

#define DNS_RR_A	1
#define DNS_RR_PTR	12
#define DNS_RR_MX	15
#define DNS_RR_TXT	16
#define DNS_RR_AAAA	28

struct ub_result;

/* one answer, copied out of the ub_result */
struct dns_answer {
	int		 status;	/* DNS_OK (data present) or an error */
	bool		 secure;
	bool		 nodata;	/* DNS_NOTFOUND: the name exists */
	size_t		 count;
	unsigned char	**data;		/* rdata of each record */
	size_t		*len;
};

/*
 * one query in flight (dns.c): started by dns_query_start, ended by
 * dns_query_finish or dns_query_cancel; libunbound writes into it, so it
 * must not move or be freed in between
 */
struct dns_pending {
	bool		 active;	/* started, not yet finished */
	bool		 done;		/* answered (or failed) */
	int		 err;		/* libunbound's error code */
	int		 async_id;
	long long	 deadline;	/* monotonic ms */
	struct ub_result *result;
};

/* dns.c */
int	dns_query_start(const char *name, int rrtype, struct dns_pending *p,
	    struct strbuf *why);
int	dns_query_finish(struct dns_pending *p, const char *name,
	    struct dns_answer *ans, struct strbuf *why);
void	dns_query_cancel(struct dns_pending *p);
int	dns_query(const char *name, int rrtype, struct dns_answer *ans,
	    struct strbuf *why);
void	dns_answer_free(struct dns_answer *ans);
bool	dns_want_family(int family);

/* dns_wire.c */
bool	dns_name_valid(const char *name);
int	dns_wire_name(const unsigned char *data, size_t len, size_t *used,
	    struct strbuf *out);
int	dns_mx_decode(const unsigned char *data, size_t len, int *preference,
	    struct strbuf *exchange);
int	dns_ptr_decode(const unsigned char *data, size_t len, struct strbuf *host);
int	dns_reverse_name(const char *addr, struct strbuf *out);
void	dns_txt_decode(const unsigned char *data, size_t len, size_t limit,
	    struct strbuf *out);

#endif
