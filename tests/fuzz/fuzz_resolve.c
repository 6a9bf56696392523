/*
 * fuzz_resolve - the resolver's rewriting and resolution (lib/resolve*.c)
 * on arbitrary bytes.
 *
 * The first byte picks the rewriting switches (percent hack, bang paths,
 * dequoting, append_dot_mydomain) and the class for the canonical maps;
 * the rest, up to a NUL or "\n", is the address, and what follows a "\n"
 * is the envelope sender.  Invariants the callers rely on: the rewritten
 * and canonical forms stay bounded; a resolved address has the
 * user@domain form and a class; a route that is not error:/retry: has a
 * transport and a next hop; no call fails for an input that no table
 * refuses (inline tables never fail, so a DEFER is a bug); a virtual
 * alias expansion stays within its limits and never bounces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mem.h"
#include "msg.h"
#include "resolve.h"
#include "strbuf.h"
#include "strlist.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct resolver *resolvers[16];

/* resolver_for - one resolver per combination of switches, opened once */
static struct resolver *
resolver_for(unsigned bits)
{
	struct config *cfg;
	struct strbuf err;

	if (resolvers[bits] != NULL)
		return (resolvers[bits]);
	cfg = config_new("/nonexistent");
	config_set(cfg, "myhostname", "mx.example.com");
	config_set(cfg, "mydomain", "example.com");
	config_set(cfg, "myorigin", "$mydomain");
	config_set(cfg, "mydestination", "$myhostname, localhost, $mydomain");
	config_set(cfg, "inet_interfaces", "127.0.0.1, ::1");
	config_set(cfg, "virtual_alias_domains", "valias.test");
	config_set(cfg, "virtual_mailbox_domains", "vmail.test");
	config_set(cfg, "relay_domains", "relay.test");
	config_set(cfg, "recipient_delimiter", "+-");
	config_set(cfg, "allow_percent_hack", bits & 1 ? "yes" : "no");
	config_set(cfg, "swap_bangpath", bits & 2 ? "yes" : "no");
	config_set(cfg, "resolve_dequoted_address", bits & 4 ? "yes" : "no");
	config_set(cfg, "append_dot_mydomain", bits & 8 ? "yes" : "no");
	config_set(cfg, "remote_header_rewrite_domain", "remote.invalid");
	config_set(cfg, "transport_maps", "inline:{ special.test=smtp:[10.0.0.5], "
	    ".parent.test=lmtp:, { a@b.test = error:5.1.1 gone }, "
	    "x@example.com=:, { slow.test = retry: } }");
	config_set(cfg, "sender_dependent_relayhost_maps",
	    "inline:{ @example.com=[smart.test], <>=[bounce.test] }");
	config_set(cfg, "canonical_maps", "inline:{ a@example.com=b@example.com, "
	    "b@example.com=c%d@example.com, @old.test=@new.test, "
	    "loop@x.test=loop2@x.test, loop2@x.test=loop@x.test, "
	    "{ u = \"quoted user\"@example.com }, bang=host!user }");
	config_set(cfg, "sender_canonical_maps", "inline:{ root=admin }");
	config_set(cfg, "virtual_alias_maps", "inline:{ "
	    "{ list@example.com = a@x.test, b, list@example.com }, "
	    "loop1@x.test=loop2@x.test, loop2@x.test=loop1@x.test, "
	    "@valias.test=catch@example.com, { team = t1@y.test, \"q u\"@y.test } }");
	config_set(cfg, "virtual_alias_expansion_limit", "50");
	config_set(cfg, "virtual_alias_recursion_limit", "20");
	config_set(cfg, "masquerade_domains", "!dev.example.com, example.com");
	config_set(cfg, "masquerade_exceptions", "root");
	strbuf_init(&err);
	if ((resolvers[bits] = resolve_open(cfg, &err)) == NULL)
		msg_fatal("resolve_open: %s", err.data);
	strbuf_free(&err);
	config_free(cfg);
	return (resolvers[bits]);
}

/* check_result - what every caller of resolve_address() relies on */
static void
check_result(enum resolve_status st, const struct resolve_result *rr)
{
	if (st == RESOLVE_DEFER && strcmp(rr->transport.data, "retry") != 0)
		abort();
	if (rr->class == RESOLVE_CLASS_NONE)
		abort();
	if (rr->flags & RESOLVE_FLAG_ERROR)
		return;
	if (strchr(rr->address.data, '@') == NULL ||
	    rr->address.len > 2 * RESOLVE_ADDRESS_MAX + 300)
		abort();
	if (rr->transport.len == 0 || rr->nexthop.len == 0)
		abort();
	if (st == RESOLVE_OK && (strcmp(rr->transport.data, "error") == 0 ||
	    strcmp(rr->transport.data, "retry") == 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned classes[] = { RESOLVE_ENV_SENDER,
	    RESOLVE_ENV_RCPT, RESOLVE_HDR_SENDER, RESOLVE_HDR_RCPT };
	struct resolve_result rr;
	struct strbuf buf;
	struct resolver *res;
	char	*text, *sender;
	enum resolve_status st;

	if (size == 0)
		return (0);
	res = resolver_for(data[0] & 0x0f);
	text = xmemdup(data + 1, size - 1);	/* stops at an embedded NUL */
	if ((sender = strchr(text, '\n')) != NULL)
		*sender++ = '\0';
	resolve_result_init(&rr);
	strbuf_init(&buf);

	resolve_rewrite(res, RESOLVE_CTX_LOCAL, text, &buf);
	if (buf.len > strlen(text) + 300)
		abort();
	resolve_rewrite(res, RESOLVE_CTX_REMOTE, text, &buf);
	if (buf.len > strlen(text) + 300)
		abort();
	strbuf_set(&buf, text);
	st = resolve_canonical(res, classes[(data[0] >> 4) & 3], &buf, &rr);
	if (st == RESOLVE_DEFER && strstr(rr.reason.data, "nesting") == NULL &&
	    strstr(rr.reason.data, "too long") == NULL)
		abort();
	/* over-long text is left alone; the tables' results are short */
	if (strlen(text) > RESOLVE_ADDRESS_MAX ? strcmp(buf.data, text) != 0 :
	    buf.len > RESOLVE_ADDRESS_MAX + 300)
		abort();
	st = resolve_address(res, sender, text, &rr);
	check_result(st, &rr);
	/*
	 * Resolving the result again gives the same class; not with
	 * append_dot_mydomain, where Postfix's own order (the dot test before
	 * the trailing dot goes) makes "%mx." end as "@mx", which then gets
	 * ".$mydomain" (corpus/append_dot_not_idempotent)
	 */
	if (st == RESOLVE_OK && rr.address.len > 0 && (data[0] & 8) == 0) {
		enum resolve_class class = rr.class;

		strbuf_set(&buf, rr.address.data);
		st = resolve_address(res, sender, buf.data, &rr);
		check_result(st, &rr);
		if (rr.class != class && rr.class != RESOLVE_CLASS_DEFAULT)
			abort();
	}
	{
		/* virtual aliases: bounded, every result resolvable text */
		struct strlist finals;

		strlist_init(&finals);
		st = resolve_expand(res, text, &finals, &rr);
		if (st == RESOLVE_OK && (finals.count == 0 || finals.count > 50))
			abort();
		if (st == RESOLVE_BOUNCE)
			abort();
		strlist_free(&finals);
	}
	resolve_result_free(&rr);
	strbuf_free(&buf);
	free(text);
	return (0);
}
