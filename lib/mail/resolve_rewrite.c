/*
 * resolve_rewrite - canonical form of an address, as Postfix's
 * rewrite_tree does it (see resolve.h), and the small text helpers the
 * resolver needs to look into an address without being fooled by quotes:
 * in "a@b"@example.com only the second '@' separates the domain.
 */
#include <string.h>
#include <strings.h>

#include "resolve_impl.h"

/* resolve_find_op - first (or last) unquoted ch, or len */
size_t
resolve_find_op(const char *text, size_t len, int ch, bool last)
{
	bool	 quoted = false;
	int	 bracket = 0;
	size_t	 found = len;

	for (size_t i = 0; i < len; i++) {
		char	 c = text[i];

		if (c == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted)
			continue;
		if (c == '[')
			bracket++;
		else if (c == ']' && bracket > 0)
			bracket--;
		else if (c == ch && bracket == 0) {
			found = i;
			if (!last)
				break;
		}
	}
	return (found);
}

/* resolve_balanced - quotes and brackets closed, no dangling escape */
bool
resolve_balanced(const char *text, size_t len)
{
	bool	 quoted = false;
	int	 bracket = 0;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\') {
			if (++i == len)
				return (false);
		} else if (text[i] == '"') {
			quoted = !quoted;
		} else if (!quoted && text[i] == '[') {
			bracket++;
		} else if (!quoted && text[i] == ']' && --bracket < 0) {
			return (false);
		}
	}
	return (!quoted && bracket == 0);
}

/* resolve_find_at - the '@' before the domain, or len */
size_t
resolve_find_at(const char *address, size_t len)
{
	return (resolve_find_op(address, len, '@', true));
}

/* resolve_unquote - the local part without its quotes and escapes */
void
resolve_unquote(const char *text, size_t len, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"')
			continue;
		if (text[i] == '\\' && i + 1 < len)
			i++;
		strbuf_putc(out, text[i]);
	}
}

/* needs_quotes - not a dot-atom (RFC 5322 3.2.3): quote it */
static bool
needs_quotes(const char *local, size_t len)
{
	static const char specials[] = "()<>[]:;@\\,\"";

	if (len == 0 || local[0] == '.' || local[len - 1] == '.')
		return (true);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)local[i];

		if (c <= ' ' || c == 0x7f || strchr(specials, c) != NULL ||
		    (c == '.' && local[i + 1] == '.'))
			return (true);
	}
	return (false);
}

/* resolve_quote_local - append the local part, quoted if needed */
void
resolve_quote_local(const char *local, size_t len, struct strbuf *out)
{
	if (!needs_quotes(local, len)) {
		strbuf_append(out, local, len);
		return;
	}
	strbuf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (local[i] == '"' || local[i] == '\\')
			strbuf_putc(out, '\\');
		strbuf_putc(out, local[i]);
	}
	strbuf_putc(out, '"');
}

/* swap_bang - "site!rest" to "rest@site" (the first '!' splits) */
static void
swap_bang(struct resolver *res, struct strbuf *addr, size_t bang)
{
	struct strbuf *tmp = &res->part;

	strbuf_reset(tmp);
	strbuf_append(tmp, addr->data + bang + 1, addr->len - bang - 1);
	strbuf_putc(tmp, '@');
	strbuf_append(tmp, addr->data, bang);
	strbuf_set(addr, tmp->data);
}

/* resolve_rewrite_buf - canonicalise addr in place */
void
resolve_rewrite_buf(struct resolver *res, enum resolve_context ctx,
    struct strbuf *addr)
{
	const char *origin = ctx == RESOLVE_CTX_LOCAL ? res->myorigin :
	    res->remote_domain;
	const char *mydomain = ctx == RESOLVE_CTX_LOCAL ? res->mydomain :
	    res->remote_domain;
	size_t	 at, op;

	if (addr->len == 0 || addr->len > RESOLVE_ADDRESS_MAX ||
	    strcmp(addr->data, "\"\"") == 0 ||
	    !resolve_balanced(addr->data, addr->len))
		return;
	if (strcmp(addr->data, "@") == 0) {
		strbuf_reset(addr);
		return;
	}
	/* a source route: @hop1,@hop2:user@domain */
	if (addr->data[0] == '@' &&
	    (op = resolve_find_op(addr->data, addr->len, ':', false)) <
	    addr->len - 1) {
		memmove(addr->data, addr->data + op + 1, addr->len - op);
		strbuf_truncate(addr, addr->len - op - 1);
	}
	if ((at = resolve_find_at(addr->data, addr->len)) == addr->len) {
		if (res->swap_bangpath && (op = resolve_find_op(addr->data,
		    addr->len, '!', false)) < addr->len)
			swap_bang(res, addr, op);
		else if (res->percent_hack && (op = resolve_find_op(addr->data,
		    addr->len, '%', true)) < addr->len)
			addr->data[op] = '@';
		else if (res->append_at_myorigin && *origin != '\0') {
			strbuf_putc(addr, '@');
			strbuf_puts(addr, origin);
		}
		at = resolve_find_at(addr->data, addr->len);
	}
	if (res->append_dot_mydomain && *mydomain != '\0' &&
	    at + 1 < addr->len && addr->data[at + 1] != '[' &&
	    memchr(addr->data + at + 1, '.', addr->len - at - 1) == NULL) {
		strbuf_putc(addr, '.');
		strbuf_puts(addr, mydomain);
	}
	/* one trailing dot, but not ".." or "@." (left for diagnostics) */
	if (addr->len >= 2 && addr->data[addr->len - 1] == '.' &&
	    addr->data[addr->len - 2] != '.' && addr->data[addr->len - 2] != '@')
		strbuf_truncate(addr, addr->len - 1);
}

/* resolve_rewrite - canonical form of address into out */
void
resolve_rewrite(struct resolver *res, enum resolve_context ctx,
    const char *address, struct strbuf *out)
{
	strbuf_set(out, address);
	resolve_rewrite_buf(res, ctx, out);
}

/* resolve_extension - offset of the extension's delimiter, or 0 */
size_t
resolve_extension(struct resolver *res, const char *local, size_t len)
{
	size_t	 n;

	if (*res->delimiters == '\0' || len == 0)
		return (0);
	/* owner-list and list-request stay whole when '-' is a delimiter */
	if (strchr(res->delimiters, '-') != NULL &&
	    ((len > 6 && strncasecmp(local, "owner-", 6) == 0) ||
	    (len > 8 && strncasecmp(local + len - 8, "-request", 8) == 0)))
		return (0);
	for (n = 0; n < len && strchr(res->delimiters, local[n]) == NULL; n++)
		;
	return (n < len && n > 0 ? n : 0);
}
