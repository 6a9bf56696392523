/*
 * fuzz_dnsbl_reply - the DNSBL argument and reply texts (lib/dns/dnsbl.c,
 * lib/util/template.c) on hostile text: the first line is a list argument
 * "domain=filter" (parsed; a filter that parses is tried on every value of
 * each octet), the rest a reply template expanded with fixed $rbl_* and
 * session values, one of them (the TXT reason) taken from the input too.
 * Checks: a parsed list has a valid domain; a formatted reply is "DDD
 * D.D.D text" with a 4xx/5xx code whose class the enhanced code follows,
 * carries no byte below space or DEL that the template did not have, and
 * stays within the template bound; a template that check refuses never
 * formats.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* session - a few of smtpd's names */
static const char *
session(const char *name, void *ctx)
{
	if (strcmp(name, "client") == 0)
		return ("mx.example[192.0.2.1]");
	if (strcmp(name, "helo_name") == 0)
		return ((const char *)ctx);
	return (NULL);
}

/* try_filter - every value of every octet through a parsed filter */
static void
try_filter(const struct dnsbl_list *l)
{
	unsigned char a[4] = { 127, 0, 0, 0 };
	int octet, v;

	for (octet = 0; octet < 4; octet++)
		for (v = 0; v < 256; v++) {
			a[octet] = (unsigned char)v;
			(void)dnsbl_filter_match(&l->filter, a);
		}
}

/* has_control - a byte below space (but tab) or DEL */
static bool
has_control(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return (true);
	return (false);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf arg, tmpl, reply, err;
	struct dnsbl_list l;
	struct dnsbl_reply_vars v;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t alen = nl != NULL ? (size_t)(nl - data) : size;
	int checked;

	strbuf_init(&arg);
	strbuf_init(&tmpl);
	strbuf_init(&reply);
	strbuf_init(&err);
	strbuf_append(&arg, data, alen);
	if (nl != NULL)
		strbuf_append(&tmpl, nl + 1, size - alen - 1);
	if (strlen(arg.data) == arg.len &&
	    dnsbl_list_parse(arg.data, &l, &err) == 0) {
		if (l.domain == NULL || l.domain[0] == '\0')
			abort();
		if (l.filtered)
			try_filter(&l);
		dnsbl_list_free(&l);
	}
	v.code = 554;
	v.domain = "zen.example";
	v.what = "192.0.2.1";
	v.reason = arg.data;		/* a TXT record is as hostile */
	v.class = "Client host";
	v.next = session;
	v.next_ctx = arg.data;
	strbuf_reset(&err);
	checked = dnsbl_template_check(tmpl.data, session, arg.data, &err);
	strbuf_reset(&err);
	if (dnsbl_reply_format(tmpl.data, &v, &reply, &err) == 0) {
		if (checked != 0)
			abort();
		if ((reply.data[0] != '4' && reply.data[0] != '5') ||
		    reply.data[3] != ' ' || reply.data[4] != reply.data[0] ||
		    reply.data[5] != '.')
			abort();
		if (has_control(reply.data) && !has_control(tmpl.data))
			abort();
		if (reply.len > TEMPLATE_MAX + 32)
			abort();
	} else if (err.len == 0)
		abort();
	strbuf_free(&arg);
	strbuf_free(&tmpl);
	strbuf_free(&reply);
	strbuf_free(&err);
	return (0);
}
