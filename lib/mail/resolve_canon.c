/*
 * resolve_canon - canonical maps and masquerading, as Postfix's cleanup
 * applies them (cleanup_map11, cleanup_masquerade; see resolve.h).
 *
 * One class at a time: the specific table (sender_ or
 * recipient_canonical_maps) first, then canonical_maps, each only when
 * its *_canonical_classes names the class; a table result replaces the
 * address and is looked up again (at most RESOLVE_CANON_DEPTH times)
 * until it maps to itself or to nothing.  Then masquerading, when
 * masquerade_classes names the class.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "resolve_impl.h"

#define RESOLVE_CANON_DEPTH	10	/* Postfix: canonical map nesting */

/* The words of *_classes parameters. */
static const struct {
	const char	*name;
	unsigned	 bit;
} class_words[] = {
	{ "envelope_sender", RESOLVE_ENV_SENDER },
	{ "envelope_recipient", RESOLVE_ENV_RCPT },
	{ "header_sender", RESOLVE_HDR_SENDER },
	{ "header_recipient", RESOLVE_HDR_RCPT },
};

/* classes_parse - a *_classes parameter into bits; -1 on a bad word */
static int
classes_parse(const struct strlist *words, const char *name,
    unsigned *out, struct strbuf *err)
{
	int	 rc = 0;

	*out = 0;
	for (size_t i = 0; i < words->count && rc == 0; i++) {
		size_t	 w;

		for (w = 0; w < sizeof(class_words) / sizeof(class_words[0]); w++)
			if (strcasecmp(words->items[i], class_words[w].name) == 0)
				break;
		if (w == sizeof(class_words) / sizeof(class_words[0])) {
			strbuf_printf(err, "%s: unknown address class \"%s\"",
			    name, words->items[i]);
			rc = -1;
		} else {
			*out |= class_words[w].bit;
		}
	}
	return (rc);
}

/* resolve_canon_open - the class words and extension propagation */
int
resolve_canon_open(struct resolver *res, struct strbuf *err)
{
	if (classes_parse(&res->words.canonical_classes, "canonical_classes",
	    &res->canonical_classes, err) < 0 ||
	    classes_parse(&res->words.sender_canonical_classes,
	    "sender_canonical_classes", &res->sender_canonical_classes,
	    err) < 0 ||
	    classes_parse(&res->words.recipient_canonical_classes,
	    "recipient_canonical_classes", &res->recipient_canonical_classes,
	    err) < 0 ||
	    classes_parse(&res->words.masquerade_classes, "masquerade_classes",
	    &res->masq_classes, err) < 0)
		return (-1);
	res->propagate_canonical = strlist_contains_ci(&res->words.propagate,
	    "canonical");
	res->propagate_virtual = strlist_contains_ci(&res->words.propagate,
	    "virtual");
	return (0);
}

/*
 * lookup - one partial key (user@domain without its extension, user,
 * @domain) in maps: folded, and not put to the pattern tables, whose
 * patterns are written for the full key (see maps.h)
 */
static int
lookup(struct resolver *res, struct map_list *maps, const char *key,
    size_t len, struct strbuf *value)
{
	strbuf_reset(&res->key);
	strbuf_append(&res->key, key, len);
	strbuf_lower(&res->key);
	return (map_list_lookup_partial(maps, res->key.data, value));
}

/*
 * resolve_find - Postfix's lookup order for an address: user+ext@domain (the
 * only key pattern tables see),
 * user@domain, then (for $myorigin or a local domain) user+ext and user,
 * then @domain.  *ext is where the unmatched extension starts (0: none
 * was dropped to match).
 */
int
resolve_find(struct resolver *res, struct map_list *maps, const char *addr,
    size_t *ext, struct strbuf *value)
{
	size_t	 len = strlen(addr), at = resolve_find_at(addr, len);
	size_t	 x = resolve_extension(res, addr, at);
	const char *domain = at < len ? addr + at + 1 : NULL;
	int	 rc;

	*ext = 0;
	/* the full key as given: a pattern table sees it (maps fold it) */
	if ((rc = map_list_lookup(maps, addr, value)) != MAP_NOTFOUND)
		return (rc);
	if (x > 0) {
		strbuf_reset(&res->part);
		strbuf_append(&res->part, addr, x);
		strbuf_puts(&res->part, addr + at);
		if ((rc = lookup(res, maps, res->part.data, res->part.len,
		    value)) != MAP_NOTFOUND) {
			*ext = x;
			return (rc);
		}
	}
	if (domain != NULL && *domain != '\0' &&
	    (strcasecmp(domain, res->myorigin) == 0 ||
	    (rc = resolve_is_local(res, domain)) != 0)) {
		if (rc < 0)
			return (MAP_TEMPFAIL);
		if ((rc = lookup(res, maps, addr, at, value)) != MAP_NOTFOUND)
			return (rc);
		if (x > 0 && (rc = lookup(res, maps, addr, x, value)) !=
		    MAP_NOTFOUND) {
			*ext = x;
			return (rc);
		}
	}
	if (domain != NULL && *domain != '\0')
		return (lookup(res, maps, addr + at, len - at, value));
	return (MAP_NOTFOUND);
}

/* value_item - length of the first address of a result (quotes kept) */
static size_t
value_item(const char *v)
{
	bool	 quoted = false;
	size_t	 n;

	for (n = 0; v[n] != '\0'; n++) {
		if (v[n] == '\\' && v[n + 1] != '\0')
			n++;
		else if (v[n] == '"')
			quoted = !quoted;
		else if (!quoted && strchr(", \t", v[n]) != NULL)
			break;
	}
	return (n);
}

/*
 * map_result - the address a table result stands for: its first entry
 * ("@domain" keeps the local part), the unmatched extension carried
 * over, canonicalised.
 */
static void
map_result(struct resolver *res, const char *addr, size_t ext,
    struct strbuf *out)
{
	const char *v = res->value.data;
	size_t	 len = strlen(addr), at = resolve_find_at(addr, len);
	size_t	 n, vat;

	v += strspn(v, ", \t");
	n = value_item(v);
	if (v[n] != '\0' && v[n + strspn(v + n, ", \t")] != '\0')
		msg_warn("multi-valued canonical map entry for %s", addr);
	strbuf_reset(out);
	if (n > 0 && v[0] == '@') {
		strbuf_append(out, addr, ext > 0 ? ext : at);
		strbuf_append(out, v, n);
		resolve_rewrite_buf(res, RESOLVE_CTX_LOCAL, out);
		return;
	}
	strbuf_append(out, v, n);
	resolve_rewrite_buf(res, RESOLVE_CTX_LOCAL, out);
	if (ext > 0 && res->propagate_canonical &&
	    (vat = resolve_find_at(out->data, out->len)) < out->len) {
		/* user@new + "+ext" of the original = user+ext@new */
		strbuf_set(&res->part, out->data + vat);
		strbuf_truncate(out, vat);
		strbuf_append(out, addr + ext, at - ext);
		strbuf_puts(out, res->part.data);
	}
}

/* canon_map - one canonical table, applied until it settles */
static enum resolve_status
canon_map(struct resolver *res, struct map_list *maps, const char *name,
    struct strbuf *address, struct resolve_result *why)
{
	size_t	 ext;
	int	 rc;

	for (int depth = 0; depth < RESOLVE_CANON_DEPTH; depth++) {
		if (address->len > RESOLVE_ADDRESS_MAX)
			return (resolve_fail(why, RESOLVE_DEFER, "4.3.0",
			    "address from the canonical maps too long: %.100s",
			    address->data));
		rc = resolve_find(res, maps, address->data, &ext, &res->value);
		if (rc == MAP_NOTFOUND)
			return (RESOLVE_OK);
		if (rc == MAP_TEMPFAIL) {
			snprintf(why->dsn, sizeof(why->dsn), "4.3.0");
			strbuf_reset(&why->reason);
			strbuf_printf(&why->reason, "%s map lookup problem for "
			    "%.300s", name, address->data);
			return (RESOLVE_DEFER);
		}
		map_result(res, address->data, ext, &res->work);
		if (res->work.len == 0)
			return (RESOLVE_OK);	/* an empty result: no change */
		if (strcasecmp(res->work.data, address->data) == 0) {
			strbuf_set(address, res->work.data);
			return (RESOLVE_OK);
		}
		strbuf_set(address, res->work.data);
	}
	snprintf(why->dsn, sizeof(why->dsn), "4.3.0");
	strbuf_reset(&why->reason);
	strbuf_printf(&why->reason, "unreasonable %s nesting for %.300s", name,
	    address->data);
	return (RESOLVE_DEFER);
}

/* masquerade - strip host names below a masquerade_domains entry */
static enum resolve_status
masquerade(struct resolver *res, struct strbuf *address,
    struct resolve_result *why)
{
	size_t	 at = resolve_find_at(address->data, address->len);
	const char *domain;
	size_t	 dlen;
	int	 rc;

	if (res->masq_domains.count == 0 || at + 1 >= address->len)
		return (RESOLVE_OK);
	resolve_unquote(address->data, at, &res->part);
	if ((rc = domain_list_match(res->masq_exceptions, res->part.data)) != 0) {
		if (rc > 0)
			return (RESOLVE_OK);
		return (resolve_fail(why, RESOLVE_DEFER, "4.3.0",
		    "masquerade_exceptions lookup failure for %.300s",
		    address->data));
	}
	domain = address->data + at + 1;
	dlen = address->len - at - 1;
	for (size_t i = 0; i < res->masq_domains.count; i++) {
		const char *masq = res->masq_domains.items[i];
		bool	 strip = *masq != '!';
		size_t	 mlen;

		masq += !strip;
		if ((mlen = strlen(masq)) == 0)
			continue;
		if (mlen == dlen) {
			if (strcasecmp(masq, domain) == 0)
				break;
		} else if (mlen < dlen && domain[dlen - mlen - 1] == '.' &&
		    strcasecmp(masq, domain + dlen - mlen) == 0) {
			if (strip) {
				strbuf_truncate(address, at + 1);
				strbuf_puts(address, masq);
			}
			break;
		}
	}
	return (RESOLVE_OK);
}

/* resolve_canonical - canonical maps, then masquerading, for one class */
enum resolve_status
resolve_canonical(struct resolver *res, unsigned class, struct strbuf *address,
    struct resolve_result *why)
{
	struct map_list *specific = (class & (RESOLVE_ENV_SENDER |
	    RESOLVE_HDR_SENDER)) ? res->sender_canonical : res->recipient_canonical;
	unsigned specific_classes = (class & (RESOLVE_ENV_SENDER |
	    RESOLVE_HDR_SENDER)) ? res->sender_canonical_classes :
	    res->recipient_canonical_classes;
	enum resolve_status st = RESOLVE_OK;

	/* the null sender and over-long text are left as they are */
	if (address->len == 0 || address->len > RESOLVE_ADDRESS_MAX)
		return (RESOLVE_OK);
	if (specific != NULL && (specific_classes & class) != 0)
		st = canon_map(res, specific, (class & (RESOLVE_ENV_SENDER |
		    RESOLVE_HDR_SENDER)) ? "sender_canonical_maps" :
		    "recipient_canonical_maps", address, why);
	if (st == RESOLVE_OK && res->canonical != NULL &&
	    (res->canonical_classes & class) != 0)
		st = canon_map(res, res->canonical, "canonical_maps", address,
		    why);
	if (st == RESOLVE_OK && (res->masq_classes & class) != 0)
		st = masquerade(res, address, why);
	return (st);
}

/* resolve_lookup - one address in maps, in Postfix's order */
int
resolve_lookup(struct resolver *res, struct map_list *maps, const char *address,
    struct strbuf *value)
{
	size_t	 ext;

	if (maps == NULL || strlen(address) > RESOLVE_ADDRESS_MAX)
		return (MAP_NOTFOUND);
	return (resolve_find(res, maps, address, &ext, value));
}

/* resolve_known - a key of the recipient rewriting tables: 1, 0, -1 */
int
resolve_known(struct resolver *res, const char *address)
{
	struct map_list *maps[] = { res->recipient_canonical, res->canonical,
	    res->virtual_alias };
	int	 rc;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if ((rc = resolve_lookup(res, maps[i], address, &res->work)) !=
		    MAP_NOTFOUND)
			return (rc == MAP_FOUND ? 1 : -1);
	return (0);
}

/* resolve_alias_match - virtual_alias_maps has the address: 1, 0, -1 */
int
resolve_alias_match(struct resolver *res, const char *address)
{
	int	 rc = resolve_lookup(res, res->virtual_alias, address, &res->work);

	return (rc == MAP_FOUND ? 1 : rc == MAP_TEMPFAIL ? -1 : 0);
}
