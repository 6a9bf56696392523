/*
 * map_cidr - "cidr:/path", cidr_table(5): a list of networks, each with
 * a result, searched in order; the first network that contains the key
 * (a numeric IPv4 or IPv6 address) answers.
 *
 *	192.0.2.0/24		result
 *	2001:db8::/32		result	(also [2001:db8::]/32)
 *	192.0.2.1		result	(one address, a /32 or /128)
 *	!192.0.2.0/24		result	(every address outside the network)
 *	if 198.51.100.0/24	... rules ... endif	(nest as deep as needed)
 *
 * What Postfix only warns about and skips is an error here, with the
 * file and line, because a skipped rule silently changes who is let in:
 * a prefix longer than the address (/33, /129), host bits set after the
 * prefix (192.0.2.1/24; Postfix suggests the network), a missing result,
 * an unbalanced if/endif.  A rule never matches an address of the other
 * family, negated or not (as in Postfix).  An IPv4-mapped IPv6 key is
 * matched as the IPv4 address, as mynetworks does.  A key that is no
 * address matches nothing.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "logical_lines.h"
#include "map_impl.h"
#include "mem.h"
#include "netmatch.h"
#include "strbuf.h"


enum cidr_op {
	CIDR_MATCH,
	CIDR_IF,
	CIDR_ENDIF,
};

struct cidr_rule {
	enum cidr_op	 op;
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 prefix;
	bool		 negate;
	char		*value;		/* CIDR_MATCH */
	size_t		 skip;		/* CIDR_IF: the index of its endif */
};

struct cidr_table {
	struct cidr_rule *rules;
	size_t		  count;
	size_t		  cap;
	struct map_nest	  nest;		/* while parsing */
	const char	 *path;		/* while parsing */
	struct strbuf	 *err;		/* while parsing */
};

/* cidr_pattern - "addr[/len]" or "[addr][/len]" into r; 0 or -1 + err */
static int
cidr_pattern(struct cidr_rule *r, const char *pat, const char *path,
    int lineno, struct strbuf *err)
{
	const char *addr = pat, *slash, *close;
	size_t addr_len, bits;
	long prefix;
	char *end;

	if (*pat == '[') {
		if ((close = strchr(pat, ']')) == NULL ||
		    (close[1] != 0 && close[1] != '/'))
			goto bad;
		addr = pat + 1;
		addr_len = (size_t)(close - addr);
		slash = close[1] == '/' ? close + 1 : NULL;
	} else {
		slash = strchr(pat, '/');
		addr_len = slash ? (size_t)(slash - pat) : strlen(pat);
	}
	if (netmatch_address(addr, addr_len, &r->family, r->addr) != 0)
		goto bad;
	bits = r->family == AF_INET ? 32 : 128;
	r->prefix = (int)bits;
	if (slash == NULL)
		return (0);
	if (!isdigit((unsigned char)slash[1]) || strlen(slash + 1) > 3)
		goto bad;
	prefix = strtol(slash + 1, &end, 10);
	if (*end != 0)
		goto bad;
	/* an IPv4-mapped network became IPv4: its prefix loses the 96 bits */
	if (r->family == AF_INET && memchr(addr, ':', addr_len) != NULL) {
		if (prefix < 96 || prefix > 128)
			goto bad;
		prefix -= 96;
	}
	if (prefix < 0 || (size_t)prefix > bits) {
		strbuf_printf(err, "%s:%d: bad network prefix length in "
		    "\"%s\" (at most %zu)", path, lineno, pat, bits);
		return (-1);
	}
	r->prefix = (int)prefix;
	for (size_t i = (size_t)prefix; i < bits; i++) {
		if (r->addr[i / 8] & (0x80 >> (i % 8))) {
			char net[INET6_ADDRSTRLEN];
			unsigned char masked[16];

			memcpy(masked, r->addr, sizeof(masked));
			for (size_t j = (size_t)prefix; j < bits; j++)
				masked[j / 8] &= (unsigned char)~(0x80 >> (j % 8));
			inet_ntop(r->family, masked, net, sizeof(net));
			strbuf_printf(err, "%s:%d: non-null host address "
			    "bits in \"%s\", perhaps you should use \"%s/%d\" "
			    "instead", path, lineno, pat, net, r->prefix);
			return (-1);
		}
	}
	return (0);
bad:
	strbuf_printf(err, "%s:%d: bad address pattern \"%s\"", path,
	    lineno, pat);
	return (-1);
}

/* cidr_add - a new zeroed rule at the end of the table */
static struct cidr_rule *
cidr_add(struct cidr_table *t, enum cidr_op op)
{
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->rules = xrealloc(t->rules, t->cap * sizeof(*t->rules));
	}
	memset(&t->rules[t->count], 0, sizeof(t->rules[0]));
	t->rules[t->count].op = op;
	return (&t->rules[t->count++]);
}

/* cidr_fail - "PATH:N: why"; -1 */
static int
cidr_fail(struct cidr_table *t, int lineno, const char *why)
{
	strbuf_printf(t->err, "%s:%d: %s", t->path, lineno, why);
	return (-1);
}

/* cidr_line - one rule (a logical_lines callback) */
static int
cidr_line(struct strbuf *line, int lineno, void *ctx)
{
	struct cidr_table *t = ctx;
	const char *cp, *end;
	struct cidr_rule *r;
	bool negate;
	char *pat;
	long open;
	int rc;

	strbuf_trim(line);
	if ((cp = map_rule_keyword(line->data, "endif")) != NULL) {
		if (*cp != 0)
			return (cidr_fail(t, lineno, "text after endif"));
		if ((open = map_nest_pop(&t->nest)) < 0)
			return (cidr_fail(t, lineno, "endif without if"));
		cidr_add(t, CIDR_ENDIF);
		t->rules[open].skip = t->count - 1;
		return (0);
	}
	if ((cp = map_rule_keyword(line->data, "if")) != NULL) {
		negate = map_rule_negation(&cp);
		if (*cp == 0)
			return (cidr_fail(t, lineno, "if without a pattern"));
		if (cp[strcspn(cp, " \t")] != 0)
			return (cidr_fail(t, lineno, "text after the if pattern"));
		r = cidr_add(t, CIDR_IF);
		r->negate = negate;
		if (map_nest_push(&t->nest, t->count - 1, lineno) != 0)
			return (cidr_fail(t, lineno, "if nested too deep"));
		return (cidr_pattern(r, cp, t->path, lineno, t->err));
	}
	cp = line->data;
	negate = map_rule_negation(&cp);
	end = cp + strcspn(cp, " \t");
	if (end == cp)
		return (cidr_fail(t, lineno, "no address pattern"));
	if (end[strspn(end, " \t")] == 0)
		return (cidr_fail(t, lineno, "no lookup result"));
	pat = xstrndup(cp, (size_t)(end - cp));
	r = cidr_add(t, CIDR_MATCH);
	r->negate = negate;
	rc = cidr_pattern(r, pat, t->path, lineno, t->err);
	free(pat);
	r->value = xstrdup(end + strspn(end, " \t"));
	return (rc);
}

/* cidr_free - the table */
static void
cidr_free(void *state)
{
	struct cidr_table *t = state;

	for (size_t i = 0; i < t->count; i++)
		free(t->rules[i].value);
	free(t->rules);
	free(t);
}

/* cidr_parse - every rule of text */
static void *
cidr_parse(const char *text, const char *path, struct strbuf *err)
{
	struct cidr_table *t = xcalloc(1, sizeof(*t));

	t->path = path;
	t->err = err;
	if (logical_lines(text, path, "rule", MAP_TEXT_LINE_MAX, cidr_line, t,
	    err) != 0) {
		cidr_free(t);
		return (NULL);
	}
	if (map_nest_check(&t->nest, path, err) != 0) {
		cidr_free(t);
		return (NULL);
	}
	t->path = NULL;
	t->err = NULL;
	return (t);
}

/* cidr_contains - r's network holds addr (of r's family) */
static bool
cidr_contains(const struct cidr_rule *r, const unsigned char *addr)
{
	int full = r->prefix / 8, rest = r->prefix % 8;

	if (memcmp(addr, r->addr, (size_t)full) != 0)
		return (false);
	return (rest == 0 ||
	    ((addr[full] ^ r->addr[full]) & (0xff00 >> rest)) == 0);
}

/* cidr_lookup - first matching rule, if/endif blocks skipped when false */
static int
cidr_lookup(void *state, const char *key, size_t key_len, struct strbuf *value)
{
	const struct cidr_table *t = state;
	unsigned char addr[16];
	int family;

	if (netmatch_address(key, key_len, &family, addr) != 0)
		return (MAP_NOTFOUND);
	for (size_t i = 0; i < t->count; i++) {
		const struct cidr_rule *r = &t->rules[i];

		if (r->op == CIDR_ENDIF)
			continue;
		/* another family never matches, negated or not (Postfix) */
		if (family != r->family ||
		    cidr_contains(r, addr) == r->negate) {
			if (r->op == CIDR_IF)
				i = r->skip;
			continue;
		}
		if (r->op == CIDR_MATCH) {
			strbuf_puts(value, r->value);
			return (MAP_FOUND);
		}
	}
	return (MAP_NOTFOUND);
}

const struct map_text_type map_cidr_type = {
	"cidr", MAP_OPS_PATTERN, cidr_parse, cidr_lookup, cidr_free,
};

/* map_cidr_open - read path */
int
map_cidr_open(struct map *map, const char *name, struct strbuf *err)
{
	return (map_text_open(map, name, &map_cidr_type, err));
}
