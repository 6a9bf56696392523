/*
 * test_resolve_class - the resolver's address table (lib/resolve_class.c
 * and the rewriting it starts with, lib/resolve_rewrite.c): over a
 * hundred addresses (quoted local parts, '%', '!', [ip] literals,
 * extensions, unqualified, SMTPUTF8, trailing dots, case, source routes,
 * broken domains) with the class, transport, next hop, final address and
 * flags Postfix's trivial-rewrite gives them under the same main.cf.
 * Tables are inline: maps, so no files are needed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "resolve.h"
#include "strbuf.h"
#include "unit.h"

#define OK	RESOLVE_OK
#define DEFER	RESOLVE_DEFER
#define BOUNCE	RESOLVE_BOUNCE
#define LOCAL	RESOLVE_CLASS_LOCAL
#define ALIAS	RESOLVE_CLASS_ALIAS
#define VIRT	RESOLVE_CLASS_VIRTUAL
#define RELAY	RESOLVE_CLASS_RELAY
#define DFLT	RESOLVE_CLASS_DEFAULT
#define ROUTED	RESOLVE_FLAG_ROUTED
#define BAD	RESOLVE_FLAG_ERROR

struct row {
	const char	*sender;	/* NULL: none known */
	const char	*address;
	enum resolve_status status;
	enum resolve_class class;
	const char	*transport;
	const char	*nexthop;
	const char	*final;
	unsigned	 flags;
};

#define MX	"mx.example.com"
#define UNK	"5.1.1 User unknown in virtual alias table"

static const struct row table[] = {
	/* local: mydestination, unqualified, case, dots, extensions */
	{ NULL, "user@example.com", OK, LOCAL, "local", MX, "user@example.com", 0 },
	{ NULL, "user", OK, LOCAL, "local", MX, "user@example.com", 0 },
	{ NULL, "User@EXAMPLE.COM", OK, LOCAL, "local", MX, "User@EXAMPLE.COM", 0 },
	{ NULL, "user@example.com.", OK, LOCAL, "local", MX, "user@example.com", 0 },
	{ NULL, "user@mx.example.com", OK, LOCAL, "local", MX, "user@mx.example.com", 0 },
	{ NULL, "user@localhost", OK, LOCAL, "local", MX, "user@localhost", 0 },
	{ NULL, "user@LOCALHOST", OK, LOCAL, "local", MX, "user@LOCALHOST", 0 },
	{ NULL, "user@localhost.", OK, LOCAL, "local", MX, "user@localhost", 0 },
	{ NULL, "user@localhost.example.com", OK, LOCAL, "local", MX, "user@localhost.example.com", 0 },
	{ NULL, "user+tag@example.com", OK, LOCAL, "local", MX, "user+tag@example.com", 0 },
	{ NULL, "user+tag+more@example.com", OK, LOCAL, "local", MX, "user+tag+more@example.com", 0 },
	{ NULL, "+tag@example.com", OK, LOCAL, "local", MX, "+tag@example.com", 0 },
	{ NULL, "user+@example.com", OK, LOCAL, "local", MX, "user+@example.com", 0 },
	{ NULL, "USER+TAG@Example.Com.", OK, LOCAL, "local", MX, "USER+TAG@Example.Com", 0 },
	{ NULL, "user+tag", OK, LOCAL, "local", MX, "user+tag@example.com", 0 },
	{ NULL, "postmaster", OK, LOCAL, "local", MX, "postmaster@example.com", 0 },
	{ NULL, "Postmaster", OK, LOCAL, "local", MX, "Postmaster@example.com", 0 },
	{ NULL, "MAILER-DAEMON", OK, LOCAL, "local", MX, "MAILER-DAEMON@example.com", 0 },
	{ NULL, "", OK, LOCAL, "local", MX, "MAILER-DAEMON@mx.example.com", 0 },
	{ NULL, "@", OK, LOCAL, "local", MX, "MAILER-DAEMON@mx.example.com", 0 },
	{ NULL, "\"\"@example.com", OK, LOCAL, "local", MX, "MAILER-DAEMON@example.com", 0 },
	{ NULL, "a.b.c@example.com", OK, LOCAL, "local", MX, "a.b.c@example.com", 0 },
	{ NULL, "jos\xc3\xa9@example.com", OK, LOCAL, "local", MX, "jos\xc3\xa9@example.com", 0 },
	{ NULL, "jos\xc3\xa9", OK, LOCAL, "local", MX, "jos\xc3\xa9@example.com", 0 },

	/* quoted local parts: text, not routes, unless the domain is ours */
	{ NULL, "\"john doe\"@example.com", OK, LOCAL, "local", MX, "\"john doe\"@example.com", 0 },
	{ NULL, "\"john..doe\"@example.com", OK, LOCAL, "local", MX, "\"john..doe\"@example.com", 0 },
	{ NULL, "\"quoted+tag\"@remote.test", OK, DFLT, "smtp", "remote.test", "\"quoted+tag\"@remote.test", 0 },
	{ NULL, "\"a b\"@relay.test", OK, RELAY, "relay", "relay.test", "\"a b\"@relay.test", 0 },
	{ NULL, "\"a\\\"b\"@remote.test", OK, DFLT, "smtp", "remote.test", "\"a\\\"b\"@remote.test", 0 },
	{ NULL, "\"a@b\"@remote.test", OK, DFLT, "smtp", "remote.test", "\"a@b\"@remote.test", ROUTED },
	{ NULL, "\"a!b\"@remote.test", OK, DFLT, "smtp", "remote.test", "\"a!b\"@remote.test", ROUTED },
	{ NULL, "\"a%b\"@remote.test", OK, DFLT, "smtp", "remote.test", "\"a%b\"@remote.test", ROUTED },
	{ NULL, "\"user@remote.test\"@example.com", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "\"user%remote.test\"@example.com", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "\"remote.test!user\"@example.com", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "\"user%remote.test\"@other.test", OK, DFLT, "smtp", "other.test", "\"user%remote.test\"@other.test", ROUTED },
	{ NULL, "\"a b\"@example.com", OK, LOCAL, "local", MX, "\"a b\"@example.com", 0 },

	/* the percent hack and bang paths, through our domains */
	{ NULL, "user%remote.test@example.com", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "user%host.example.com@example.com", OK, DFLT, "smtp", "host.example.com", "user@host.example.com", 0 },
	{ NULL, "user%mx.example.com@example.com", OK, LOCAL, "local", MX, "user@mx.example.com", 0 },
	{ NULL, "user%localhost@example.com", OK, LOCAL, "local", MX, "user@localhost", 0 },
	{ NULL, "user%remote.test", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "user%remote.test@other.test", OK, DFLT, "smtp", "other.test", "user%remote.test@other.test", ROUTED },
	{ NULL, "a%b%remote.test@example.com", OK, DFLT, "smtp", "remote.test", "a%b@remote.test", ROUTED },
	{ NULL, "a%b%example.com@example.com", OK, DFLT, "smtp", "b", "a@b", 0 },
	{ NULL, "user%[192.0.2.9]@example.com", OK, DFLT, "smtp", "[192.0.2.9]", "user@[192.0.2.9]", 0 },
	{ NULL, "user%[192.0.2.1]@example.com", OK, LOCAL, "local", MX, "user@[192.0.2.1]", 0 },
	{ NULL, "remote.test!user@example.com", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "example.com!user@example.com", OK, LOCAL, "local", MX, "user@example.com", 0 },
	{ NULL, "host!user", OK, DFLT, "smtp", "host", "user@host", 0 },
	{ NULL, "a!b!user", OK, DFLT, "smtp", "a", "b!user@a", ROUTED },
	{ NULL, "a!user@other.test", OK, DFLT, "smtp", "other.test", "a!user@other.test", ROUTED },
	{ NULL, "user@remote.test@example.com", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "remote.test!user", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "mx.example.com!user", OK, LOCAL, "local", MX, "user@mx.example.com", 0 },

	/* source routes are dropped */
	{ NULL, "@hop1.test,@hop2.test:user@remote.test", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "@hop1.test:user@example.com", OK, LOCAL, "local", MX, "user@example.com", 0 },

	/* [ip] literals: inet_interfaces and proxy_interfaces are ours */
	{ NULL, "user@[192.0.2.1]", OK, LOCAL, "local", MX, "user@[192.0.2.1]", 0 },
	{ NULL, "user@[192.0.2.1].", OK, LOCAL, "local", MX, "user@[192.0.2.1]", 0 },
	{ NULL, "user@[127.0.0.1]", OK, LOCAL, "local", MX, "user@[127.0.0.1]", 0 },
	{ NULL, "user@[IPv6:2001:db8::1]", OK, LOCAL, "local", MX, "user@[IPv6:2001:db8::1]", 0 },
	{ NULL, "user@[ipv6:2001:DB8:0::1]", OK, LOCAL, "local", MX, "user@[ipv6:2001:DB8:0::1]", 0 },
	{ NULL, "user@[198.51.100.7]", OK, LOCAL, "local", MX, "user@[198.51.100.7]", 0 },
	{ NULL, "user@[203.0.113.9]", OK, DFLT, "smtp", "[203.0.113.9]", "user@[203.0.113.9]", 0 },
	{ NULL, "user@[192.0.2.2]", OK, DFLT, "smtp", "[192.0.2.2]", "user@[192.0.2.2]", 0 },
	{ NULL, "user@[IPv6:2001:db8::2]", OK, DFLT, "smtp", "[ipv6:2001:db8::2]", "user@[IPv6:2001:db8::2]", 0 },
	{ NULL, "user@[2001:db8::1]", BOUNCE, DFLT, "", "", "user@[2001:db8::1]", BAD },
	{ NULL, "user@[300.1.1.1]", BOUNCE, DFLT, "", "", "user@[300.1.1.1]", BAD },

	/* virtual alias domains: only what an alias matched gets out */
	{ NULL, "info@valias.test", BOUNCE, ALIAS, "error", UNK, "info@valias.test", 0 },
	{ NULL, "INFO@VALIAS.TEST", BOUNCE, ALIAS, "error", UNK, "INFO@VALIAS.TEST", 0 },
	{ NULL, "user@valias.test.", BOUNCE, ALIAS, "error", UNK, "user@valias.test", 0 },
	{ NULL, "user+x@valias.test", BOUNCE, ALIAS, "error", UNK, "user+x@valias.test", 0 },

	/* virtual mailbox domains */
	{ NULL, "user@vmail.test", OK, VIRT, "virtual", "vmail.test", "user@vmail.test", 0 },
	{ NULL, "x@vmail.test", OK, VIRT, "virtual", "vmail.test", "x@vmail.test", 0 },
	{ NULL, "user@VMAIL.TEST.", OK, VIRT, "virtual", "vmail.test", "user@VMAIL.TEST", 0 },
	{ NULL, "\xce\x94@vmail.test", OK, VIRT, "virtual", "vmail.test", "\xce\x94@vmail.test", 0 },
	{ NULL, "joe@vmail.test", OK, VIRT, "virtual", "[backup.vmail.test]", "joe@vmail.test", 0 },
	{ NULL, "joe+x@vmail.test", OK, VIRT, "virtual", "[backup.vmail.test]", "joe+x@vmail.test", 0 },
	{ NULL, "Joe@VMail.test", OK, VIRT, "virtual", "[backup.vmail.test]", "Joe@VMail.test", 0 },

	/* relay domains */
	{ NULL, "user@relay.test", OK, RELAY, "relay", "relay.test", "user@relay.test", 0 },
	{ NULL, "x+y@relay.test", OK, RELAY, "relay", "relay.test", "x+y@relay.test", 0 },
	{ NULL, "x@RELAY.TEST", OK, RELAY, "relay", "relay.test", "x@RELAY.TEST", 0 },
	{ NULL, "user@a.sub.relay.test", OK, RELAY, "relay", "a.sub.relay.test", "user@a.sub.relay.test", 0 },
	{ NULL, "user@sub.relay.test", OK, DFLT, "smtp", "sub.relay.test", "user@sub.relay.test", 0 },
	{ NULL, "user@other.relay.test", OK, DFLT, "smtp", "other.relay.test", "user@other.relay.test", 0 },

	/* default */
	{ NULL, "user@remote.test", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "User@Remote.TEST", OK, DFLT, "smtp", "remote.test", "User@Remote.TEST", 0 },
	{ NULL, "user@remote.test.", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ NULL, "user@sub.remote.test", OK, DFLT, "smtp", "sub.remote.test", "user@sub.remote.test", 0 },
	{ NULL, "user@remote-test.example", OK, DFLT, "smtp", "remote-test.example", "user@remote-test.example", 0 },
	{ NULL, "user@xn--bcher-kva.test", OK, DFLT, "smtp", "xn--bcher-kva.test", "user@xn--bcher-kva.test", 0 },
	{ NULL, "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe6\xb5\x8b\xe8\xaf\x95", OK, DFLT, "smtp",
	    "\xe4\xbe\x8b\xe5\xad\x90.\xe6\xb5\x8b\xe8\xaf\x95",
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe6\xb5\x8b\xe8\xaf\x95", 0 },
	{ NULL, "host.example.com!user", OK, DFLT, "smtp", "host.example.com", "user@host.example.com", 0 },

	/* broken domains: not deliverable, flagged */
	{ NULL, "user@remote.test..", BOUNCE, DFLT, "", "", "user@remote.test..", BAD },
	{ NULL, "user@", BOUNCE, DFLT, "", "", "user@", BAD },
	{ NULL, "user@-bad.test", BOUNCE, DFLT, "", "", "user@-bad.test", BAD },
	{ NULL, "user@bad_domain.test", BOUNCE, DFLT, "", "", "user@bad_domain.test", BAD },
	{ NULL, "user@bad domain.test", BOUNCE, DFLT, "", "", "user@bad domain.test", BAD },
	{ NULL, "\xff@remote.test", BOUNCE, DFLT, "", "", "\xff@remote.test", BAD },
	{ NULL, "\"unbalanced@example.com", BOUNCE, DFLT, "", "", "", BAD },
	{ NULL, "trailing\\", BOUNCE, DFLT, "", "", "", BAD },
	{ NULL, "[", BOUNCE, DFLT, "", "", "", BAD },
	{ NULL, "user@[192.0.2.1", BOUNCE, DFLT, "", "", "", BAD },
	{ NULL, "user]@example.com", BOUNCE, DFLT, "", "", "", BAD },
	{ NULL, "user@\xc3\x28.test", BOUNCE, DFLT, "", "", "user@\xc3\x28.test", BAD },

	/* transport_maps: address, address without extension, domain, .parent */
	{ NULL, "x@special.test", OK, DFLT, "smtp", "[10.0.0.5]:2525", "x@special.test", 0 },
	{ NULL, "user@special.test.", OK, DFLT, "smtp", "[10.0.0.5]:2525", "user@special.test", 0 },
	{ NULL, "user@SPECIAL.test", OK, DFLT, "smtp", "[10.0.0.5]:2525", "user@SPECIAL.test", 0 },
	{ NULL, "x@a.parent.test", OK, DFLT, "lmtp", "unix:/run/lmtp", "x@a.parent.test", 0 },
	{ NULL, "x@b.a.parent.test", OK, DFLT, "lmtp", "unix:/run/lmtp", "x@b.a.parent.test", 0 },
	{ NULL, "x@parent.test", OK, DFLT, "smtp", "parent.test", "x@parent.test", 0 },
	{ NULL, "user@routed.test", BOUNCE, DFLT, "error", "5.7.1 go away", "user@routed.test", 0 },
	{ NULL, "user+ext@routed.test", BOUNCE, DFLT, "error", "5.7.1 go away", "user+ext@routed.test", 0 },
	{ NULL, "other@routed.test", OK, DFLT, "smtp", "routed.test", "other@routed.test", 0 },
	{ NULL, "bob@example.com", OK, LOCAL, "uucp", "example.com", "bob@example.com", 0 },
	{ NULL, "bob", OK, LOCAL, "uucp", "example.com", "bob@example.com", 0 },
	{ NULL, "x@slow.test", DEFER, DFLT, "retry", "4.4.1 later", "x@slow.test", 0 },
	{ NULL, "x@keep.test", OK, DFLT, "smtp", "keep.test", "x@keep.test", 0 },
	{ NULL, "x@gone.test", BOUNCE, DFLT, "error", "Address is undeliverable", "x@gone.test", 0 },

	/* sender_dependent_relayhost_maps: relay and default classes only */
	{ "boss@example.com", "user@remote.test", OK, DFLT, "smtp", "[smarthost.test]:587", "user@remote.test", 0 },
	{ "Boss@Example.com", "user@remote.test", OK, DFLT, "smtp", "[smarthost.test]:587", "user@remote.test", 0 },
	{ "anyone@partner.test", "user@remote.test", OK, DFLT, "smtp", "[partner-relay.test]", "user@remote.test", 0 },
	{ "", "user@remote.test", OK, DFLT, "smtp", "[bounce-relay.test]", "user@remote.test", 0 },
	{ "boss@example.com", "user@relay.test", OK, RELAY, "relay", "[smarthost.test]:587", "user@relay.test", 0 },
	{ "boss@example.com", "user@example.com", OK, LOCAL, "local", MX, "user@example.com", 0 },
	{ "boss@example.com", "user@vmail.test", OK, VIRT, "virtual", "vmail.test", "user@vmail.test", 0 },
	{ "boss@example.com", "x@special.test", OK, DFLT, "smtp", "[10.0.0.5]:2525", "x@special.test", 0 },
	{ "other@example.com", "user@remote.test", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
	{ "dunno@partner.test", "user@remote.test", OK, DFLT, "smtp", "remote.test", "user@remote.test", 0 },
};

static struct config *cfg;
static struct resolver *res;
static struct resolve_result rr;

/* open_res - the resolver over cfg as the case left it */
static void
open_res(void)
{
	struct strbuf err;

	strbuf_init(&err);
	res = resolve_open(cfg, &err);
	ck_assert_msg(res != NULL, "resolve_open: %s", err.data);
	strbuf_free(&err);
}

/* setup - one office-style main.cf for the whole table */
static void
setup(void)
{
	cfg = config_new("/nonexistent");
	config_set(cfg, "myhostname", "mx.example.com");
	config_set(cfg, "mydomain", "example.com");
	config_set(cfg, "myorigin", "$mydomain");
	config_set(cfg, "mydestination",
	    "$myhostname, localhost.$mydomain, localhost, $mydomain");
	config_set(cfg, "inet_interfaces", "127.0.0.1, 192.0.2.1, 2001:db8::1");
	config_set(cfg, "proxy_interfaces", "198.51.100.7");
	config_set(cfg, "virtual_alias_domains", "valias.test");
	config_set(cfg, "virtual_alias_maps",
	    "inline:{ info@valias.test=staff@example.com }");
	config_set(cfg, "virtual_mailbox_domains", "vmail.test");
	config_set(cfg, "relay_domains", "relay.test, .sub.relay.test");
	config_set(cfg, "recipient_delimiter", "+");
	config_set(cfg, "transport_maps", "inline:{ "
	    "special.test=smtp:[10.0.0.5]:2525, .parent.test=lmtp:unix:/run/lmtp, "
	    "{ user@routed.test = error:5.7.1 go away }, "
	    "joe@vmail.test=:[backup.vmail.test], bob@example.com=uucp:, "
	    "{ slow.test = retry:4.4.1 later }, keep.test=:, gone.test=error: }");
	config_set(cfg, "sender_dependent_relayhost_maps", "inline:{ "
	    "boss@example.com=[smarthost.test]:587, "
	    "@partner.test=[partner-relay.test], dunno@partner.test=DUNNO, "
	    "<>=[bounce-relay.test] }");
	res = NULL;
	resolve_result_init(&rr);
}

/* teardown - release everything */
static void
teardown(void)
{
	resolve_close(res);
	resolve_result_free(&rr);
	config_free(cfg);
}

START_TEST(test_table)
{
	const struct row *r = &table[_i];
	enum resolve_status st;

	open_res();
	st = resolve_address(res, r->sender, r->address, &rr);
	ck_assert_msg(st == r->status, "<%s>: status %d, want %d (%s %s)",
	    r->address, st, r->status, rr.dsn, rr.reason.data);
	ck_assert_msg(rr.class == r->class, "<%s>: class %s, want %s",
	    r->address, resolve_class_name(rr.class),
	    resolve_class_name(r->class));
	ck_assert_msg(strcmp(rr.transport.data, r->transport) == 0,
	    "<%s>: transport \"%s\", want \"%s\"", r->address,
	    rr.transport.data, r->transport);
	ck_assert_msg(strcmp(rr.nexthop.data, r->nexthop) == 0,
	    "<%s>: nexthop \"%s\", want \"%s\"", r->address, rr.nexthop.data,
	    r->nexthop);
	ck_assert_msg(strcmp(rr.address.data, r->final) == 0,
	    "<%s>: final <%s>, want <%s>", r->address, rr.address.data,
	    r->final);
	ck_assert_msg(rr.flags == r->flags, "<%s>: flags %#x, want %#x",
	    r->address, rr.flags, r->flags);
}
END_TEST

/* a wild-card transport, relayhost and class transports with hops */
START_TEST(test_wildcard_relayhost)
{
	config_set(cfg, "transport_maps", "inline:{ *=smtp:[all.test] }");
	config_set(cfg, "relayhost", "[smart.test]:25");
	open_res();
	ck_assert_int_eq(resolve_address(res, NULL, "a@x.test", &rr), OK);
	ck_assert_str_eq(rr.nexthop.data, "[all.test]");
	resolve_close(res);
	config_set(cfg, "transport_maps", "");
	config_set(cfg, "relay_transport", "smtp:[relay-out.test]");
	config_set(cfg, "virtual_transport", "lmtp:unix:private/dovecot-lmtp");
	open_res();
	ck_assert_int_eq(resolve_address(res, NULL, "a@x.test", &rr), OK);
	ck_assert_str_eq(rr.nexthop.data, "[smart.test]:25");
	ck_assert_int_eq(resolve_address(res, NULL, "a@relay.test", &rr), OK);
	ck_assert_str_eq(rr.transport.data, "smtp");
	ck_assert_str_eq(rr.nexthop.data, "[relay-out.test]");
	ck_assert_int_eq(resolve_address(res, NULL, "a@vmail.test", &rr), OK);
	ck_assert_str_eq(rr.transport.data, "lmtp");
	ck_assert_str_eq(rr.nexthop.data, "unix:private/dovecot-lmtp");
}
END_TEST

/* pattern tables see the full address only, never the partial keys */
START_TEST(test_pattern_tables)
{
	char	 path[] = "/tmp/test_resolve_pcre.XXXXXX";
	int	 fd = mkstemp(path);
	struct strbuf spec;
	static const char text[] =
	    "/^bob@/\tsmtp:[pcre.test]\n"
	    "/^[a-z.]+$/\terror:5.7.1 a partial key was put to a pattern\n";

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1),
	    (ssize_t)(sizeof(text) - 1));
	close(fd);
	strbuf_init(&spec);
	strbuf_printf(&spec, "pcre:%s", path);
	config_set(cfg, "transport_maps", spec.data);
	config_set(cfg, "sender_dependent_relayhost_maps", spec.data);
	open_res();
	ck_assert_int_eq(resolve_address(res, NULL, "Bob@remote.test", &rr), OK);
	ck_assert_str_eq(rr.nexthop.data, "[pcre.test]");
	ck_assert_int_eq(resolve_address(res, "x@example.com", "alice@remote.test",
	    &rr), OK);
	ck_assert_str_eq(rr.transport.data, "smtp");
	ck_assert_str_eq(rr.nexthop.data, "remote.test");
	unlink(path);
	strbuf_free(&spec);
}
END_TEST

/* the routing switches off: '%' and '!' are text, quotes are not opened */
START_TEST(test_routing_off)
{
	config_set(cfg, "allow_percent_hack", "no");
	config_set(cfg, "swap_bangpath", "no");
	config_set(cfg, "resolve_dequoted_address", "no");
	open_res();
	ck_assert_int_eq(resolve_address(res, NULL, "user%remote.test@example.com",
	    &rr), OK);
	ck_assert_int_eq(rr.class, LOCAL);
	ck_assert_str_eq(rr.address.data, "user%remote.test@example.com");
	ck_assert_uint_eq(rr.flags, ROUTED);
	ck_assert_int_eq(resolve_address(res, NULL, "host!user", &rr), OK);
	ck_assert_str_eq(rr.address.data, "host!user@example.com");
	ck_assert_int_eq(rr.class, LOCAL);
	ck_assert_uint_eq(rr.flags, ROUTED);
	ck_assert_int_eq(resolve_address(res, NULL,
	    "\"user@remote.test\"@example.com", &rr), OK);
	ck_assert_int_eq(rr.class, LOCAL);
	ck_assert_uint_eq(rr.flags, ROUTED);
}
END_TEST

/* an address loop through our own domains ends; over-long input refused */
START_TEST(test_limits)
{
	struct strbuf big;

	open_res();
	strbuf_init(&big);
	/* a%example.com%example.com...@example.com: peeled one by one */
	strbuf_putc(&big, 'a');
	for (int i = 0; i < 60; i++)
		strbuf_puts(&big, "%example.com");
	strbuf_puts(&big, "@example.com");
	ck_assert_int_eq(resolve_address(res, NULL, big.data, &rr), OK);
	ck_assert_int_eq(rr.class, LOCAL);
	ck_assert_str_eq(rr.address.data, "a@example.com");
	strbuf_reset(&big);
	for (int i = 0; i < RESOLVE_ADDRESS_MAX; i++)
		strbuf_putc(&big, 'x');
	strbuf_puts(&big, "@remote.test");
	ck_assert_int_eq(resolve_address(res, NULL, big.data, &rr), BOUNCE);
	ck_assert_str_eq(rr.dsn, "5.1.3");
	ck_assert_uint_eq(rr.flags, BAD);
	strbuf_free(&big);
}
END_TEST

/* a table that fails defers; it never bounces */
START_TEST(test_table_failure)
{
	config_set(cfg, "transport_maps", "lmdb:/nonexistent/transport");
	config_set(cfg, "relay_domains", "");
	{
		struct strbuf err;

		strbuf_init(&err);
		ck_assert_ptr_null(resolve_open(cfg, &err));
		ck_assert(strstr(err.data, "transport_maps") != NULL);
		strbuf_free(&err);
	}
	config_set(cfg, "transport_maps", "");
	config_set(cfg, "canonical_classes", "envelope_sender, bogus");
	{
		struct strbuf err;

		strbuf_init(&err);
		ck_assert_ptr_null(resolve_open(cfg, &err));
		ck_assert(strstr(err.data, "bogus") != NULL);
		strbuf_free(&err);
	}
}
END_TEST

/* resolve_class_suite - the table and the switches */
static Suite *
resolve_class_suite(void)
{
	Suite	*s = suite_create("resolve_class");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_table, 0,
	    (int)(sizeof(table) / sizeof(table[0])));
	tcase_add_test(tc, test_wildcard_relayhost);
	tcase_add_test(tc, test_routing_off);
	tcase_add_test(tc, test_pattern_tables);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_table_failure);
	suite_add_tcase(s, tc);
	return (s);
}

/* main - run the suite */
int
main(void)
{
	if (sizeof(table) / sizeof(table[0]) < 100) {
		fprintf(stderr, "the issue asks for at least 100 addresses\n");
		return (EXIT_FAILURE);
	}
	return (unit_run(resolve_class_suite()));
}
