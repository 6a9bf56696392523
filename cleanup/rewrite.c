/*
 * rewrite - address rewriting of the envelope and of the address headers,
 * as Postfix's cleanup does it, with the resolver's rules (lib/mail/
 * resolve.h): canonicalisation, then the canonical maps of the address's
 * class, then masquerading.
 *
 * The envelope is always rewritten in the local context (an unqualified
 * address gets @$myorigin).  Headers (From:, Sender:, Reply-To:,
 * Errors-To:, Return-Receipt-To:, Resent-From/Sender/Reply-To: as
 * senders; To:, Cc:, Bcc:, Apparently-To:, Resent-To/Cc/Bcc: as
 * recipients) get the local context for local submissions and for
 * clients that local_header_rewrite_clients names, the remote context
 * (remote_header_rewrite_domain) for others when that is set, and no
 * canonicalisation otherwise; canonical maps and masquerading apply in
 * every case.  Only the addr-specs of a header change: display names,
 * comments, groups and folding stay as they were; a header none of whose
 * addresses changed is passed on byte for byte.
 *
 * A table that cannot answer refuses the message for now (4.3.0).
 *
 * Parameters: local_header_rewrite_clients, mynetworks; the resolver's.
 */
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "cleanup_client.h"
#include "msg.h"
#include "netmatch.h"
#include "resolve.h"

/* cleanup_rewrite_open - local_header_rewrite_clients, after the resolver */
void
cleanup_rewrite_open(struct cleanup_expand *x)
{
	struct strbuf nets, err;

	strbuf_init(&nets);
	strbuf_init(&err);
	for (size_t i = 0; i < x->rewrite_clients.count; i++) {
		const char *w = x->rewrite_clients.items[i];

		if (strcasecmp(w, "permit_inet_interfaces") == 0)
			x->hdr_inet_interfaces = true;
		else if (strcasecmp(w, "permit_mynetworks") == 0)
			x->hdr_mynetworks = true;
		else if (strcasecmp(w, "permit_sasl_authenticated") == 0)
			x->hdr_sasl = true;
		else if (strcasecmp(w, "static:all") == 0)
			x->hdr_all = true;
		else
			strbuf_printf(&nets, "%s%s", nets.len ? " " : "", w);
	}
	x->remote_rewrite = *x->remote_domain != '\0';
	if (nets.len > 0 && (x->hdr_clients = netlist_parse(nets.data,
	    &err)) == NULL)
		msg_fatal("local_header_rewrite_clients: %s", err.data);
	strbuf_free(&nets);
	strbuf_free(&err);
}

/* cleanup_rewrite_start - the header context of one message's client */
void
cleanup_rewrite_start(const struct cleanup_expand *x,
    struct cleanup_message *msg, const struct attr_list *env)
{
	const char *client = attr_list_get(env, "client_address");
	const char *sasl = attr_list_get(env, "sasl_username");
	bool	 local;

	msg->expand = x;
	local = (msg->flags & CLEANUP_FLAG_LOCAL) != 0 || x->hdr_all ||
	    (x->hdr_sasl && sasl != NULL && *sasl != '\0');
	if (!local && client != NULL && *client != '\0')
		local = (x->hdr_inet_interfaces && x->resolver != NULL &&
		    resolve_own_address(x->resolver, client)) ||
		    (x->hdr_mynetworks && x->mynetworks != NULL &&
		    netlist_match(x->mynetworks, client)) ||
		    (x->hdr_clients != NULL &&
		    netlist_match(x->hdr_clients, client));
	msg->hdr_context = local ? CLEANUP_HDR_LOCAL : x->remote_rewrite ?
	    CLEANUP_HDR_REMOTE : CLEANUP_HDR_NONE;
}

/*
 * rewrite_one - canonical form of one address of a class; 0 or -1.
 * why is the caller's: nothing is allocated per address.
 */
static int
rewrite_one(const struct cleanup_expand *x, int ctx, unsigned class,
    struct strbuf *addr, struct strbuf *scratch, struct resolve_result *why,
    const char *id, bool mappings)
{
	if (ctx != CLEANUP_HDR_NONE) {
		resolve_rewrite(x->resolver, ctx == CLEANUP_HDR_LOCAL ?
		    RESOLVE_CTX_LOCAL : RESOLVE_CTX_REMOTE, addr->data, scratch);
		strbuf_set(addr, scratch->data);
	}
	/* no_address_mappings: qualified only (Postfix's MAP_OK off) */
	if (!mappings)
		return (0);
	if (resolve_canonical(x->resolver, class, addr, why) == RESOLVE_OK)
		return (0);
	msg_warn("%s: %s -- message not accepted, try again later", id,
	    why->reason.data);
	return (-1);
}

/*
 * cleanup_rewrite_sender - the envelope sender, in msg->sender; 0, or 1
 * with *reason set (a table failed; logged)
 */
int
cleanup_rewrite_sender(const struct cleanup_expand *x,
    struct cleanup_message *msg, struct strbuf *scratch, const char **reason)
{
	if (msg->sender.len == 0 || x->resolver == NULL)
		return (0);
	if (rewrite_one(x, CLEANUP_HDR_LOCAL, RESOLVE_ENV_SENDER, &msg->sender,
	    scratch, &msg->rewrite_why, msg->id,
	    (msg->flags & CLEANUP_FLAG_NO_MAPPINGS) == 0) < 0) {
		*reason = CLEANUP_TEXT_REWRITE;
		return (1);
	}
	return (0);
}

/* cleanup_rewrite_recipient - one envelope recipient into out; 0 or -1 */
int
cleanup_rewrite_recipient(const struct cleanup_expand *x, const char *address,
    struct strbuf *out, struct strbuf *scratch, struct resolve_result *why,
    const char *id, bool mappings)
{
	strbuf_set(out, address);
	return (rewrite_one(x, CLEANUP_HDR_LOCAL, RESOLVE_ENV_RCPT, out,
	    scratch, why, id, mappings));
}

/* header_class - RESOLVE_HDR_SENDER / _RCPT for an address header, or 0 */
static unsigned
header_class(const char *name, size_t len)
{
	static const char *const senders[] = { "from", "sender", "reply-to",
	    "errors-to", "return-receipt-to", "resent-from", "resent-sender",
	    "resent-reply-to", NULL };
	static const char *const rcpts[] = { "to", "cc", "bcc",
	    "apparently-to", "resent-to", "resent-cc", "resent-bcc", NULL };

	for (const char *const *n = senders; *n != NULL; n++)
		if (strlen(*n) == len && strncasecmp(name, *n, len) == 0)
			return (RESOLVE_HDR_SENDER);
	for (const char *const *n = rcpts; *n != NULL; n++)
		if (strlen(*n) == len && strncasecmp(name, *n, len) == 0)
			return (RESOLVE_HDR_RCPT);
	return (0);
}

/* The scanner's view of one element of an address list. */
struct element {
	size_t	 start;		/* first byte of the element */
	size_t	 angle_open;	/* index of '<', or 0 when none */
	size_t	 angle_close;	/* index of '>' */
	size_t	 comment;	/* first '(' outside the brackets, or 0 */
};

/*
 * addr_span - where the addr-spec of an element is: inside <...>, or
 * the whole element when it is one bare word (up to a comment; a display
 * name).  False when there is nothing to rewrite.
 */
static bool
addr_span(const char *v, size_t end, const struct element *e, size_t *from,
    size_t *to)
{
	size_t	 a, b;

	if (e->angle_open > 0) {
		a = e->angle_open + 1;
		b = e->angle_close;
	} else {
		/* "user@host (Name)": the address ends where the comment starts */
		a = e->start;
		b = e->comment > 0 ? e->comment : end;
	}
	while (a < b && strchr(" \t\r\n", v[a]) != NULL)
		a++;
	while (b > a && strchr(" \t\r\n", v[b - 1]) != NULL)
		b--;
	if (a == b)
		return (false);
	/* a bare element with white space inside is a phrase, not an address */
	for (size_t i = a; i < b; i++)
		if (strchr(" \t\r\n", v[i]) != NULL && e->angle_open == 0)
			return (false);
	*from = a;
	*to = b;
	return (true);
}

/*
 * rewrite_span - append v[from, to) rewritten to out; true when it
 * changed.  *failed is set when a table could not answer.
 */
static bool
rewrite_span(struct cleanup_message *msg, unsigned class, const char *v,
    size_t from, size_t to, struct strbuf *out, bool *failed)
{
	struct strbuf *addr = &msg->rewrite_addr;

	strbuf_reset(addr);
	strbuf_append(addr, v + from, to - from);
	/* an address folded over lines, or one with a NUL: left alone */
	if (memchr(addr->data, '\n', addr->len) != NULL ||
	    strlen(addr->data) != addr->len) {
		strbuf_append(out, v + from, to - from);
		return (false);
	}
	if (rewrite_one(msg->expand, msg->hdr_context, class, addr,
	    &msg->rewrite_scratch, &msg->rewrite_why, msg->id,
	    (msg->flags & CLEANUP_FLAG_NO_MAPPINGS) == 0) < 0) {
		*failed = true;
		strbuf_append(out, v + from, to - from);
		return (false);
	}
	strbuf_append(out, addr->data, addr->len);
	return (addr->len != to - from ||
	    memcmp(addr->data, v + from, addr->len) != 0);
}

/*
 * rewrite_list - the address list v[0, len) into out, element by
 * element (commas and ';' end one, "name:" opens a group); true when an
 * address changed
 */
static bool
rewrite_list(struct cleanup_message *msg, unsigned class, const char *v,
    size_t len, struct strbuf *out, bool *failed)
{
	struct element e = { 0, 0, 0, 0 };
	size_t	 copied = 0, from, to;
	int	 depth = 0;
	bool	 quoted = false, changed = false, in_angle = false;

	for (size_t i = 0; i <= len; i++) {
		char	 c = i < len ? v[i] : ',';

		if (c == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		if (depth > 0) {
			depth += c == '(' ? 1 : c == ')' ? -1 : 0;
			continue;
		}
		if (quoted) {
			quoted = c != '"';
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '(') {
			depth = 1;
			if (e.comment == 0 && !in_angle)
				e.comment = i;
		} else if (c == '<' && !in_angle) {
			in_angle = true;
			e.angle_open = i;
		} else if (c == '>' && in_angle) {
			in_angle = false;
			e.angle_close = i;
		} else if (c == ':' && !in_angle && e.angle_open == 0) {
			/* "group:" - the members start after it */
			e.start = i + 1;
			e.comment = 0;
		} else if ((c == ',' || c == ';') && !in_angle) {
			if (addr_span(v, i, &e, &from, &to)) {
				strbuf_append(out, v + copied, from - copied);
				changed |= rewrite_span(msg, class, v, from, to,
				    out, failed);
				copied = to;
			}
			e.start = i + 1;
			e.angle_open = e.angle_close = 0;
			e.comment = 0;
		}
	}
	strbuf_append(out, v + copied, len - copied);
	return (changed);
}

/*
 * cleanup_rewrite_header - msg->header is a complete logical header
 * whose name is name_len bytes; rewrite its addresses in place
 */
void
cleanup_rewrite_header(struct cleanup_message *msg, size_t name_len)
{
	struct strbuf *out = &msg->rewrite_out;
	const char *colon;
	unsigned class;
	size_t	 off;
	bool	 failed = false;

	if (msg->expand == NULL || msg->expand->resolver == NULL ||
	    msg->writer == NULL ||
	    (class = header_class(msg->header.data, name_len)) == 0 ||
	    (colon = memchr(msg->header.data, ':', msg->header.len)) == NULL)
		return;
	off = (size_t)(colon - msg->header.data) + 1;
	strbuf_reset(out);
	strbuf_append(out, msg->header.data, off);
	if (rewrite_list(msg, class, msg->header.data + off,
	    msg->header.len - off, out, &failed)) {
		strbuf_reset(&msg->header);
		strbuf_append(&msg->header, out->data, out->len);
	}
	if (failed)
		cleanup_reject(msg, 4, CLEANUP_TEXT_REWRITE);
}
