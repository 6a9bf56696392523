/*
 * dns - DNS lookups for mail routing, on libunbound.
 *
 * One resolver context per process, configured from dns_resolver_address
 * (forwarders as host[:port] or [v6]:port; empty = /etc/resolv.conf) and
 * dns_trust_anchor_file (DNSSEC validation when set; the "secure" flag of
 * every answer is kept for DANE).  The context is created before chroot
 * (it reads its files then) and used afterwards.  Lookups are synchronous
 * for now (ub_resolve); dns_fd()/dns_process() expose libunbound's
 * asynchronous interface for event loops.
 *
 * Besides mail routing, the module answers smtpd's client name question:
 * the PTR names of an address, and whether a name resolves back to it.
 *
 * Every lookup distinguishes a definite "no such thing" (DNS_NOTFOUND:
 * NXDOMAIN or no data) from a failure to find out (DNS_TEMPFAIL: SERVFAIL,
 * timeout, no resolver): a DNS outage defers mail, never bounces it.
 */
#ifndef SLUICE_DNS_H
#define SLUICE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "config_table.h"
#include "strbuf.h"
#include "strlist.h"

enum dns_status {
	DNS_OK = 0,
	DNS_NOTFOUND = 1,	/* NXDOMAIN, or the name exists without such records */
	DNS_TEMPFAIL = 2,	/* SERVFAIL, timeout, resolver unreachable */
	DNS_NULLMX = 3,		/* RFC 7505: "MX 0 ." - the domain takes no mail */
	DNS_INVALID = 4,	/* bogus DNSSEC, malformed answer or name */
};

struct dns_addr {
	struct sockaddr_storage	sa;	/* port left 0 */
	socklen_t		len;
};

struct dns_host {
	char			*name;		/* the MX exchange or the domain itself */
	int			 preference;	/* MX preference; 0 for A/AAAA fallback */
	struct dns_addr		*addrs;
	size_t			 addr_count;
	bool			 secure;	/* DNSSEC-validated */
};

struct dns_hosts {
	struct dns_host	*hosts;		/* ordered: preference, random among equals */
	size_t		 count;
	bool		 secure;	/* the MX answer itself validated */
};

/*
 * dns_init - create the process's resolver context from cfg (call before
 * chroot).  Returns 0, or -1 with err filled.
 */
int	dns_init(struct config *cfg, struct strbuf *err);
/* What dns_init() reads, for the programs' tables (config_programs.c) */
extern const struct config_table dns_params[];
void	dns_shutdown(void);
/* dns_initialized - dns_init succeeded (a daemon that needs DNS for more
 * than one reason initialises once) */
bool	dns_initialized(void);

/*
 * dns_lookup_mx - the mail hosts of domain: MX records in preference
 * order (random among equal preferences), each with its addresses
 * (A and/or AAAA per inet_protocols; CNAMEs followed); when the domain has
 * no MX, the domain itself as an implicit MX (RFC 5321 5.1).  why gets a
 * text for logs and DSNs on failure.
 */
int	dns_lookup_mx(const char *domain, struct dns_hosts *out, struct strbuf *why);
/* dns_lookup_host - the addresses of one host name (no MX) */
int	dns_lookup_host(const char *host, struct dns_hosts *out, struct strbuf *why);
/*
 * dns_lookup_servers - the names of the mail servers (MX, in preference
 * order; the domain itself when it has none) or the name servers (NS; of
 * the nearest parent that has some) of domain, appended to names, at most
 * DNS_SERVERS_MAX, addresses not looked up (dns_servers.c: for smtpd's
 * check_*_mx_access and check_*_ns_access).  DNS_OK, DNS_NULLMX,
 * DNS_NOTFOUND (no NS anywhere), DNS_TEMPFAIL or DNS_INVALID.
 */
#define DNS_SERVERS_MAX	100
enum dns_server_kind {
	DNS_SERVERS_MX,
	DNS_SERVERS_NS,
};
int	dns_lookup_servers(const char *domain, enum dns_server_kind kind,
	    struct strlist *names, struct strbuf *why);
/* dns_domain_exists - A, AAAA or MX present (reject_unknown_sender_domain) */
int	dns_domain_exists(const char *domain, struct strbuf *why);
void	dns_hosts_free(struct dns_hosts *hosts);

/*
 * dns_lookup_ptr - the host names of an address (IPv4 or IPv6 text) from
 * its PTR records, appended to names: only names fit to stand for a host
 * (valid, not numeric; at most DNS_PTR_MAX), in answer order.  DNS_OK,
 * DNS_NOTFOUND, DNS_TEMPFAIL, or DNS_INVALID (no literal, or only
 * malformed records).  Unverified: see dns_host_has_addr.
 */
#define DNS_PTR_MAX	10
int	dns_lookup_ptr(const char *addr, struct strlist *names,
	    struct strbuf *why);
/*
 * dns_host_has_addr - forward confirmation: DNS_OK when host has an A
 * (IPv4 addr) or AAAA (IPv6 addr) record equal to addr, DNS_NOTFOUND when
 * it definitely has not, else DNS_TEMPFAIL or DNS_INVALID.
 */
int	dns_host_has_addr(const char *host, const char *addr,
	    struct strbuf *why);

/* asynchronous use: the descriptor to poll, and the call when readable */
int	dns_fd(void);
int	dns_process(void);

#endif
