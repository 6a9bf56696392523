/*
 * dnsbl - the names and texts of DNS block and allow lists (dnsbl.h):
 * the "domain=filter" syntax, the query name of an address or a domain,
 * and the reply made from default_rbl_reply or rbl_reply_maps.  The
 * lookups themselves are in dnsbl_cache.c.
 *
 * Everything here is checked before it is used: a list argument is
 * refused when its domain is no valid DNS name or its filter does not
 * parse (so sluice check finds it), and a query name that would exceed
 * 253 bytes is not made.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dns_impl.h"
#include "dnsbl.h"
#include "mem.h"

/* set_bit, has_bit - the 256-bit set of one octet */
static void
set_bit(uint64_t set[4], unsigned v)
{
	set[v >> 6] |= (uint64_t)1 << (v & 63);
}

static bool
has_bit(const uint64_t set[4], unsigned v)
{
	return ((set[v >> 6] >> (v & 63)) & 1);
}

/* parse_octet - a decimal 0..255 at *pp (no sign, at most 3 digits) */
static int
parse_octet(const char **pp, unsigned *v)
{
	const char *p = *pp;
	unsigned n = 0;
	int digits = 0;

	while (*p >= '0' && *p <= '9') {
		if (++digits > 3)
			return (-1);
		n = n * 10 + (unsigned)(*p++ - '0');
	}
	if (digits == 0 || n > 255)
		return (-1);
	*v = n;
	*pp = p;
	return (0);
}

/* parse_field - a number, or "[" members "]"; into set.  0 or -1. */
static int
parse_field(const char **pp, uint64_t set[4], struct strbuf *err)
{
	const char *p = *pp;
	unsigned lo, hi, v;

	if (*p != '[') {
		if (parse_octet(&p, &lo) != 0) {
			strbuf_puts(err, "a field is not a number 0..255 or a "
			    "[...] set");
			return (-1);
		}
		set_bit(set, lo);
		*pp = p;
		return (0);
	}
	p++;
	for (;;) {
		if (parse_octet(&p, &lo) != 0) {
			strbuf_puts(err, "a [...] set member is not a number 0..255");
			return (-1);
		}
		hi = lo;
		if (p[0] == '.' && p[1] == '.') {
			p += 2;
			if (parse_octet(&p, &hi) != 0 || hi < lo) {
				strbuf_puts(err, "bad range in a [...] set (want "
				    "low..high, both 0..255)");
				return (-1);
			}
		}
		for (v = lo; v <= hi; v++)
			set_bit(set, v);
		if (*p == ']')
			break;
		if (*p != ';') {
			strbuf_puts(err, "a [...] set needs \";\" between members "
			    "and a closing \"]\"");
			return (-1);
		}
		p++;
	}
	*pp = p + 1;
	return (0);
}

/* dnsbl_filter_parse - four fields separated by "." */
int
dnsbl_filter_parse(const char *text, struct dnsbl_filter *f, struct strbuf *err)
{
	const char *p = text;
	int i;

	memset(f, 0, sizeof(*f));
	if (strlen(text) > DNSBL_ARG_MAX) {
		strbuf_printf(err, "reply filter longer than %d bytes",
		    DNSBL_ARG_MAX);
		return (-1);
	}
	for (i = 0; i < 4; i++) {
		if (i > 0 && *p++ != '.') {
			strbuf_printf(err, "bad reply filter \"%s\": want four "
			    "fields separated by \".\"", text);
			return (-1);
		}
		if (parse_field(&p, f->octet[i], err) != 0) {
			strbuf_printf(err, " in reply filter \"%s\"", text);
			return (-1);
		}
	}
	if (*p != '\0') {
		strbuf_printf(err, "bad reply filter \"%s\": text after the "
		    "fourth field", text);
		return (-1);
	}
	return (0);
}

/* dnsbl_filter_match - every octet of addr is in its field's set */
bool
dnsbl_filter_match(const struct dnsbl_filter *f, const unsigned char addr[4])
{
	int i;

	for (i = 0; i < 4; i++)
		if (!has_bit(f->octet[i], addr[i]))
			return (false);
	return (true);
}

/* dnsbl_list_parse - "domain[=filter]" */
int
dnsbl_list_parse(const char *arg, struct dnsbl_list *list, struct strbuf *err)
{
	const char *eq;
	size_t len;

	memset(list, 0, sizeof(*list));
	if ((len = strlen(arg)) > DNSBL_ARG_MAX) {
		strbuf_printf(err, "list name longer than %d bytes", DNSBL_ARG_MAX);
		return (-1);
	}
	eq = strchr(arg, '=');
	list->domain = xstrndup(arg, eq != NULL ? (size_t)(eq - arg) : len);
	len = strlen(list->domain);
	if (len > 0 && list->domain[len - 1] == '.')
		list->domain[len - 1] = '\0';
	if (!dns_name_valid(list->domain)) {
		strbuf_printf(err, "\"%s\" is no valid DNS domain name",
		    list->domain);
		goto fail;
	}
	if (eq != NULL) {
		if (dnsbl_filter_parse(eq + 1, &list->filter, err) != 0)
			goto fail;
		list->filtered = true;
	}
	list->arg = xstrdup(arg);
	return (0);
fail:
	dnsbl_list_free(list);
	return (-1);
}

/* dnsbl_list_free - release a parsed list */
void
dnsbl_list_free(struct dnsbl_list *list)
{
	free(list->arg);
	free(list->domain);
	memset(list, 0, sizeof(*list));
}

/* dnsbl_arg_check - parse and forget */
int
dnsbl_arg_check(const char *arg, struct strbuf *err)
{
	struct dnsbl_list list;

	if (dnsbl_list_parse(arg, &list, err) != 0)
		return (-1);
	dnsbl_list_free(&list);
	return (0);
}

/* join - prefix "." domain into out, within DNS's name length; 0 or -1 */
static int
join(const char *prefix, const char *domain, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_printf(out, "%s.%s", prefix, domain);
	if (out->len > 0 && out->data[out->len - 1] == '.')
		strbuf_truncate(out, out->len - 1);
	return (out->len > DNS_NAME_MAX ? -1 : 0);
}

/* dnsbl_addr_query - reversed octets or nibbles, then the list's domain */
int
dnsbl_addr_query(const char *addr, const char *domain, struct strbuf *out)
{
	struct strbuf rev;
	const char *arpa;
	int rc = -1;

	strbuf_init(&rev);
	if (dns_reverse_name(addr, &rev) == 0) {
		/* the reverse-zone suffix goes, the list's domain replaces it */
		arpa = strstr(rev.data, ".in-addr.arpa");
		if (arpa == NULL)
			arpa = strstr(rev.data, ".ip6.arpa");
		strbuf_truncate(&rev, (size_t)(arpa - rev.data));
		rc = join(rev.data, domain, out);
	}
	strbuf_free(&rev);
	return (rc);
}

/* dnsbl_name_query - the name (or an address's domain) under domain */
int
dnsbl_name_query(const char *what, const char *domain, struct strbuf *out)
{
	const char *name, *last;
	struct strbuf host;
	size_t i;
	int rc;

	name = strrchr(what, '@');
	name = name != NULL ? name + 1 : what;
	if (*name == '\0' || *name == '[')
		return (1);
	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] >= 0x80)
			return (1);	/* no IDNA here: nothing to look up */
	if (!dns_name_valid(name))
		return (1);
	/* a numeric last label: an address in disguise ("No IP queries") */
	last = strrchr(name, '.');
	last = last != NULL && last[1] != '\0' ? last + 1 : name;
	if (strspn(last, "0123456789") == strcspn(last, "."))
		return (1);
	strbuf_init(&host);
	strbuf_puts(&host, name);
	if (host.data[host.len - 1] == '.')
		strbuf_truncate(&host, host.len - 1);
	rc = join(host.data, domain, out);
	strbuf_free(&host);
	return (rc);
}

/* dnsbl_reply_lookup - the $rbl_* names, then the caller's */
const char *
dnsbl_reply_lookup(const char *name, void *ctx)
{
	static char code[16];
	struct dnsbl_reply_vars *v = ctx;

	if (strcmp(name, "rbl_code") == 0) {
		snprintf(code, sizeof(code), "%d", v->code);
		return (code);
	}
	if (strcmp(name, "rbl_domain") == 0)
		return (v->domain);
	if (strcmp(name, "rbl_what") == 0)
		return (v->what);
	if (strcmp(name, "rbl_reason") == 0 || strcmp(name, "rbl_txt") == 0)
		return (v->reason);
	if (strcmp(name, "rbl_class") == 0)
		return (v->class);
	return (v->next != NULL ? v->next(name, v->next_ctx) : NULL);
}

/*
 * enhanced_code - "X.Y.Z " at p (RFC 3463: class digit, 1-3 digits, 1-3
 * digits); its length including the space, or 0
 */
static size_t
enhanced_code(const char *p)
{
	size_t n = 0, digits;
	int part;

	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return (0);
	n = 1;
	for (part = 0; part < 2; part++) {
		if (p[n++] != '.')
			return (0);
		for (digits = 0; p[n] >= '0' && p[n] <= '9'; n++)
			if (++digits > 3)
				return (0);
		if (digits == 0)
			return (0);
	}
	return (p[n] == ' ' ? n + 1 : p[n] == '\0' ? n : 0);
}

/* dnsbl_reply_format - the expanded template as "CODE X.Y.Z text" */
int
dnsbl_reply_format(const char *tmpl, struct dnsbl_reply_vars *vars,
    struct strbuf *reply, struct strbuf *err)
{
	struct strbuf text;
	const char *p, *rest;
	size_t elen;
	int rc = -1;

	strbuf_init(&text);
	strbuf_reset(reply);
	if (template_expand(tmpl, dnsbl_reply_lookup, vars, &text, err) != 0)
		goto done;
	p = text.data;
	if ((p[0] != '4' && p[0] != '5') || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || (p[3] != ' ' && p[3] != '\0')) {
		strbuf_printf(err, "reply does not start with a 4xx or 5xx "
		    "code: \"%.100s\"", p);
		goto done;
	}
	rest = p[3] == ' ' ? p + 4 : p + 3;
	strbuf_append(reply, p, 3);
	if ((elen = enhanced_code(rest)) > 0) {
		strbuf_printf(reply, " %c", p[0]);
		strbuf_append(reply, rest + 1, elen - (rest[elen - 1] == ' ' ?
		    2 : 1));
		rest += elen;
	} else
		strbuf_printf(reply, " %c.7.1", p[0]);
	strbuf_printf(reply, " %s", *rest != '\0' ? rest : "Service unavailable");
	rc = 0;
done:
	strbuf_free(&text);
	return (rc);
}

/* empty_rbl - template_lookup_fn of dnsbl_template_check */
static const char *
empty_rbl(const char *name, void *ctx)
{
	struct dnsbl_reply_vars *v = ctx;

	if (strncmp(name, "rbl_", 4) == 0 && dnsbl_reply_lookup(name, v) != NULL)
		return ("");
	return (v->next != NULL ? v->next(name, v->next_ctx) : NULL);
}

/* dnsbl_template_check - tmpl expands with empty $rbl_* values */
int
dnsbl_template_check(const char *tmpl, template_lookup_fn next,
    void *next_ctx, struct strbuf *err)
{
	struct dnsbl_reply_vars v = { 554, "", "", "", "", next, next_ctx };
	struct strbuf out;
	int rc;

	strbuf_init(&out);
	rc = template_expand(tmpl, empty_rbl, &v, &out, err);
	strbuf_free(&out);
	return (rc);
}

/* dnsbl_session_name - a session name of reply templates */
bool
dnsbl_session_name(const char *name)
{
	static const char *const names[] = { "client", "client_address",
	    "client_name", "client_port", "reverse_client_name", "helo_name",
	    "sender", "sender_name", "sender_domain", "recipient",
	    "recipient_name", "recipient_domain", "server_name", NULL };
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], name) == 0)
			return (true);
	return (false);
}

/* empty_session - template_lookup_fn: "" for every session name */
static const char *
empty_session(const char *name, void *ctx)
{
	(void)ctx;
	return (dnsbl_session_name(name) ? "" : NULL);
}

/* dnsbl_config_check - default_rbl_reply expands and starts with a code */
int
dnsbl_config_check(struct config *cfg, struct strbuf *errors)
{
	struct dnsbl_reply_vars v = { 554, "", "", "", "", empty_session, NULL };
	struct strbuf why, reply;
	const char *tmpl = config_get_raw(cfg, "default_rbl_reply");
	const char *origin = config_origin(cfg, "default_rbl_reply");
	int problems = 0;

	if (tmpl == NULL)
		return (0);
	strbuf_init(&why);
	strbuf_init(&reply);
	if (dnsbl_template_check(tmpl, empty_session, NULL, &why) != 0 ||
	    dnsbl_reply_format(tmpl, &v, &reply, &why) != 0) {
		if (errors->len > 0)
			strbuf_putc(errors, '\n');
		strbuf_printf(errors, "%s%sparameter default_rbl_reply: %s (smtpd)",
		    origin ? origin : "", origin ? ": " : "", why.data);
		problems++;
	}
	strbuf_free(&why);
	strbuf_free(&reply);
	return (problems);
}
