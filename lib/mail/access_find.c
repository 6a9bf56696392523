/*
 * access_find - which keys an access(5) table is asked, in Postfix's
 * order (access.h): addresses, domains, host addresses and clients.
 *
 * The first key is the whole thing and every table sees it, so a pcre:
 * table matches the address or name as received and a cidr: table the
 * client's address.  The shorter keys derived from it (user@domain
 * without its extension, parent domains, user@, shorter networks) go to
 * the fixed-key tables only (map_list_lookup_partial): a pattern written
 * for the whole key would match them by accident.  The first answer ends
 * the search, DUNNO too: that is what DUNNO is for.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "access.h"
#include "resolve.h"
#include "strlist.h"

/* access_parent_style - "smtpd_access_maps" is in the list */
bool
access_parent_style(const char *pdms)
{
	struct strlist words;
	bool	 on;

	strlist_init(&words);
	strlist_split(&words, pdms != NULL ? pdms : "", ", \t\r\n");
	on = strlist_contains_ci(&words, "smtpd_access_maps") != 0;
	strlist_free(&words);
	return (on);
}

/* access_is_host_address - a dotted quad or an IPv6 address */
bool
access_is_host_address(const char *text)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return (inet_pton(AF_INET, text, buf) == 1 ||
	    inet_pton(AF_INET6, text, buf) == 1);
}

/* ask - one key; full: every table, else fixed-key tables only */
static int
ask(const struct access_lookup *al, const char *key, bool full,
    struct strbuf *value)
{
	if (*key == '\0')
		return (MAP_NOTFOUND);
	return (full ? map_list_lookup(al->maps, key, value) :
	    map_list_lookup_partial(al->maps, key, value));
}

/*
 * find_parents - the name (asked as full says), then each parent domain:
 * "b.c" or ".b.c" for a.b.c as the table's style is
 */
static int
find_parents(const struct access_lookup *al, const char *name, bool full,
    struct strbuf *value)
{
	int	 rc;

	for (const char *next; *name != '\0'; name = next) {
		if ((rc = ask(al, name, full, value)) != MAP_NOTFOUND)
			return (rc);
		if ((next = strchr(name + 1, '.')) == NULL)
			break;
		if (al->parent_matches_subdomains)
			next++;
		full = false;
	}
	return (MAP_NOTFOUND);
}

/* access_find_domain - a host name and its parents; an address whole */
int
access_find_domain(const struct access_lookup *al, const char *domain,
    struct strbuf *value)
{
	/* no subdomain magic for numerical names (1.2.3.4 is no domain) */
	if (access_is_host_address(domain) || *domain == '[')
		return (ask(al, domain, true, value));
	return (find_parents(al, domain, true, value));
}

/* access_find_host_address - the address, then shorter networks */
int
access_find_host_address(const struct access_lookup *al, const char *addr,
    struct strbuf *value)
{
	char	 key[INET6_ADDRSTRLEN + 1];
	char	*cut;
	int	 delim = strchr(addr, ':') != NULL ? ':' : '.';
	int	 rc;
	bool	 full = true;

	if (strlen(addr) >= sizeof(key))
		return (MAP_NOTFOUND);	/* no address: nothing to ask */
	strcpy(key, addr);
	do {
		if ((rc = ask(al, key, full, value)) != MAP_NOTFOUND)
			return (rc);
		full = false;
		if ((cut = strrchr(key, delim)) != NULL)
			*cut = '\0';
	} while (cut != NULL);
	return (MAP_NOTFOUND);
}

/* access_find_client - the client's name as a domain, then its address */
int
access_find_client(const struct access_lookup *al, const char *name,
    const char *addr, struct strbuf *value)
{
	int	 rc;

	if ((rc = access_find_domain(al, name, value)) != MAP_NOTFOUND)
		return (rc);
	return (access_find_host_address(al, addr, value));
}

/* local_at - ask "local@" for the first len bytes of the local part */
static int
local_at(const struct access_lookup *al, const char *local, size_t len,
    struct strbuf *key, struct strbuf *value)
{
	strbuf_reset(key);
	strbuf_append(key, local, len);
	strbuf_putc(key, '@');
	return (ask(al, key->data, false, value));
}

/*
 * access_find_address - user+ext@domain, user@domain, domain and its
 * parents, user+ext@, user@ (access(5) "EMAIL ADDRESS EXTENSION")
 */
int
access_find_address(const struct access_lookup *al, const char *address,
    struct strbuf *value)
{
	const char *at = strrchr(address, '@');
	size_t	 local_len = at != NULL ? (size_t)(at - address) : strlen(address);
	size_t	 ext = 0;
	struct strbuf key;
	int	 rc;

	if ((rc = ask(al, address, true, value)) != MAP_NOTFOUND)
		return (rc);
	if (al->resolver != NULL)
		ext = resolve_extension(al->resolver, address, local_len);
	strbuf_init(&key);
	if (ext > 0 && at != NULL) {
		strbuf_append(&key, address, ext);
		strbuf_puts(&key, at);
		rc = ask(al, key.data, false, value);
	}
	/* a domain literal has no parents: [1.2.3.4] is not under .3.4] */
	if (rc == MAP_NOTFOUND && at != NULL && at[1] != '\0')
		rc = at[1] == '[' ? ask(al, at + 1, false, value) :
		    find_parents(al, at + 1, false, value);
	if (rc == MAP_NOTFOUND && local_len > 0)
		rc = local_at(al, address, local_len, &key, value);
	if (rc == MAP_NOTFOUND && ext > 0)
		rc = local_at(al, address, ext, &key, value);
	strbuf_free(&key);
	return (rc);
}
