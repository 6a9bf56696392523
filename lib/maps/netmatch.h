/*
 * netmatch - client address lists such as mynetworks.
 *
 * Accepts what Postfix's mynetworks accepts for addresses: "127.0.0.0/8",
 * "192.0.2.1", "[::1]/128", "::1/128", "[2001:db8::]/32", and lookup
 * tables ("cidr:/path": the client's address found = in the list).  Host
 * names are not matched yet and are warned about.  Matching is on
 * the numeric address text as smtpd sees it (IPv4-mapped IPv6 addresses
 * are compared as IPv4).
 */
#ifndef SLUICE_NETMATCH_H
#define SLUICE_NETMATCH_H

#include <stdbool.h>

#include "strbuf.h"

struct netlist;

/*
 * netmatch_address - numeric address text (len bytes, no brackets) to
 * its family and bytes, an IPv4-mapped IPv6 address as IPv4; 0 or -1
 */
int	netmatch_address(const char *text, size_t len, int *family,
	    unsigned char *addr);

/* netlist_parse - NULL with err filled on a malformed entry */
struct netlist *netlist_parse(const char *text, struct strbuf *err);
bool	netlist_match(const struct netlist *list, const char *address);
/* netlist_changed - a table of the list was replaced (see map_changed) */
bool	netlist_changed(const struct netlist *list);
void	netlist_free(struct netlist *list);

#endif
