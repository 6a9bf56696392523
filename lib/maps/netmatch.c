/*
 * netmatch - client address lists (mynetworks and friends).
 *
 * Each entry is parsed once into (family, address bytes, prefix length);
 * matching converts the client's numeric address the same way and
 * compares prefixes, first match wins ("!entry" excludes, as in Postfix).
 * A "type:table" entry (cidr:/etc/sluice/clients, typically) matches
 * when the table has the client's numeric address; its result is not
 * used, as in Postfix, and a table that cannot be opened is an error.
 * Host names are not supported yet: they are warned about and skipped,
 * so an old main.cf still starts.  Anything
 * that looks like an address but is not a valid one is an error, because
 * a silently ignored mynetworks entry is an open relay or a lost client.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "mem.h"
#include "msg.h"
#include "netmatch.h"
#include "strbuf.h"
#include "strlist.h"

#define NET_TEXT_MAX	64	/* longest address text we accept */

struct net_entry {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	int		prefix;
	bool		negate;
	struct map	*table;		/* a "type:table" entry, else NULL */
};

struct netlist {
	struct net_entry *items;
	size_t		  count;
};

/* netmatch_address - see netmatch.h */
int
netmatch_address(const char *text, size_t len, int *family, unsigned char *addr)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char buf[NET_TEXT_MAX];

	if (len == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, text, len);
	buf[len] = 0;
	if (strchr(buf, ':') == NULL) {
		*family = AF_INET;
		return (inet_pton(AF_INET, buf, addr) == 1 ? 0 : -1);
	}
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return (-1);
	*family = AF_INET6;
	if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		*family = AF_INET;
	}
	return (0);
}

/* looks_like_hostname - letters, digits, '-', '.', with a letter */
static bool
looks_like_hostname(const char *s)
{
	bool alpha = false;

	for (; *s; s++) {
		if (isalpha((unsigned char)*s))
			alpha = true;
		else if (!isdigit((unsigned char)*s) && *s != '-' && *s != '.')
			return (false);
	}
	return (alpha);
}

/* looks_like_table - "type:name" with a lower-case type that is not hex */
static bool
looks_like_table(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return (n > 0 && s[n] == ':' && strspn(s, "0123456789abcdef") < n);
}

/* parse_entry - one list item; 1 parsed, 0 skipped, -1 error */
static int
parse_entry(const char *item, struct net_entry *e, struct strbuf *err)
{
	const char *cp = item, *addr, *slash;
	size_t addr_len, bits;
	char *end;
	long prefix;

	e->negate = false;
	if (*cp == '!') {
		e->negate = true;
		cp++;
	}
	if (looks_like_table(cp)) {
		if ((e->table = map_open(cp, err)) == NULL)
			return (-1);
		return (1);
	}
	if (*cp != '[' && looks_like_hostname(cp)) {
		msg_warn("mynetworks: \"%s\": host names are not supported "
		    "yet; entry ignored", item);
		return (0);
	}
	slash = strchr(cp, '/');
	if (*cp == '[') {
		const char *close = strchr(cp, ']');

		if (close == NULL || (close[1] != 0 && close[1] != '/'))
			goto bad;
		addr = cp + 1;
		addr_len = close - addr;
		slash = close[1] == '/' ? close + 1 : NULL;
	} else {
		addr = cp;
		addr_len = slash ? (size_t)(slash - cp) : strlen(cp);
	}
	if (netmatch_address(addr, addr_len, &e->family, e->addr) != 0)
		goto bad;
	/* an IPv4-mapped entry was folded to IPv4: its prefix shrinks by 96 */
	bits = e->family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		e->prefix = (int)bits;
		return (1);
	}
	if (!isdigit((unsigned char)slash[1]))
		goto bad;
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (*end != 0 || errno != 0)
		goto bad;
	if (e->family == AF_INET && memchr(addr, ':', addr_len) != NULL) {
		if (prefix < 96)
			goto bad;
		prefix -= 96;
	}
	if (prefix < 0 || (size_t)prefix > bits)
		goto bad;
	e->prefix = (int)prefix;
	for (size_t i = (size_t)prefix; i < bits; i++) {
		if (e->addr[i / 8] & (0x80 >> (i % 8))) {
			strbuf_printf(err, "mynetworks: \"%s\": non-null host "
			    "address bits after the prefix", item);
			return (-1);
		}
	}
	return (1);

bad:
	strbuf_printf(err, "mynetworks: \"%s\": bad network address or "
	    "prefix length", item);
	return (-1);
}

/* netlist_parse - parse every entry of text */
struct netlist *
netlist_parse(const char *text, struct strbuf *err)
{
	struct netlist *list = xcalloc(1, sizeof(*list));
	struct strlist items;

	strlist_init(&items);
	if (text != NULL)
		strlist_split(&items, text, ", \t\r\n");
	list->items = xcalloc(items.count + 1, sizeof(*list->items));
	for (size_t i = 0; i < items.count; i++) {
		int rc = parse_entry(items.items[i], &list->items[list->count], err);

		if (rc < 0) {
			strlist_free(&items);
			netlist_free(list);
			return (NULL);
		}
		list->count += rc;
	}
	strlist_free(&items);
	return (list);
}

/* prefix_equal - first bits bits of a and b agree */
static bool
prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return (false);
	if (rest == 0)
		return (true);
	return (((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0);
}

/*
 * table_has - the table knows the address text; a table that fails
 * counts as not matching (the client gets no privilege it may lack)
 */
static bool
table_has(struct map *table, const char *address, size_t len)
{
	struct strbuf key, value;
	int rc;

	strbuf_init(&key);
	strbuf_init(&value);
	strbuf_append(&key, address, len);
	if ((rc = map_lookup(table, key.data, &value)) == MAP_TEMPFAIL)
		msg_warn("%s: lookup of %s failed: not matched", map_spec(table),
		    key.data);
	strbuf_free(&key);
	strbuf_free(&value);
	return (rc == MAP_FOUND);
}

/* netlist_match - does the client address fall in the list */
bool
netlist_match(const struct netlist *list, const char *address)
{
	unsigned char addr[16];
	size_t len = strlen(address);
	int family;

	if (len >= 2 && address[0] == '[' && address[len - 1] == ']') {
		address++;
		len -= 2;
	}
	if (len > 5 && strncasecmp(address, "IPv6:", 5) == 0) {
		address += 5;
		len -= 5;
	}
	len = strcspn(address, "%") < len ? strcspn(address, "%") : len;
	if (netmatch_address(address, len, &family, addr) != 0)
		return (false);
	for (size_t i = 0; i < list->count; i++) {
		const struct net_entry *e = &list->items[i];

		if (e->table != NULL) {
			if (table_has(e->table, address, len))
				return (!e->negate);
		} else if (e->family == family &&
		    prefix_equal(e->addr, addr, e->prefix)) {
			return (!e->negate);
		}
	}
	return (false);
}

/* netlist_changed - one of its tables must be opened anew */
bool
netlist_changed(const struct netlist *list)
{
	for (size_t i = 0; list != NULL && i < list->count; i++)
		if (list->items[i].table != NULL &&
		    map_changed(list->items[i].table))
			return (true);
	return (false);
}

/* netlist_free - release the list */
void
netlist_free(struct netlist *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		map_close(list->items[i].table);
	free(list->items);
	free(list);
}
