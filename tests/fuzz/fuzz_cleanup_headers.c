/*
 * fuzz_cleanup_headers - cleanup's address header rewriting
 * (cleanup/rewrite.c) on arbitrary header values.
 *
 * The first byte picks the header name (sender, recipient or another
 * header) and the rewriting context; the rest is the value.  The scanner
 * must find addresses in any mix of quotes, comments, angle brackets,
 * groups and folding without reading past the value, and the rewritten
 * header must keep its name, its line structure (no line break added or
 * lost) and a bounded size; a header that is not an address header, or
 * whose addresses no rule touches, stays byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "mem.h"
#include "msg.h"
#include "resolve.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cleanup_expand expand;
static struct cleanup_params params;
static struct cleanup_message msg;
static int dummy_writer;

/* setup - a resolver with every kind of rule, and one message */
static void
setup(void)
{
	struct config *cfg = config_new("/nonexistent");
	struct strbuf err;

	config_set(cfg, "myhostname", "mx.example.com");
	config_set(cfg, "mydomain", "example.com");
	config_set(cfg, "myorigin", "$mydomain");
	config_set(cfg, "mydestination", "$myhostname, localhost, $mydomain");
	config_set(cfg, "recipient_delimiter", "+");
	config_set(cfg, "append_dot_mydomain", "yes");
	config_set(cfg, "remote_header_rewrite_domain", "remote.invalid");
	config_set(cfg, "canonical_maps", "inline:{ a@example.com=b@example.com, "
	    "@old.test=@new.test, { u = \"quoted user\"@example.com } }");
	config_set(cfg, "sender_canonical_maps", "inline:{ root=admin }");
	config_set(cfg, "masquerade_domains", "!dev.example.com, example.com");
	config_set(cfg, "masquerade_exceptions", "root");
	strbuf_init(&err);
	if ((expand.resolver = resolve_open(cfg, &err)) == NULL)
		msg_fatal("resolve_open: %s", err.data);
	strbuf_free(&err);
	params.header_size_limit = 102400;
	cleanup_message_init(&msg, &params);
	msg.expand = &expand;
	config_free(cfg);
}

/* lines - the number of line breaks */
static size_t
lines(const char *p, size_t len)
{
	size_t	 n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] == '\n';
	return (n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "From", "To", "Cc", "Resent-Bcc",
	    "Reply-To", "Sender", "Subject", "X-From" };
	const char *name;
	struct strbuf before;
	size_t	 name_len;

	if (size == 0)
		return (0);
	if (expand.resolver == NULL)
		setup();
	name = names[data[0] & 7];
	name_len = strlen(name);
	msg.hdr_context = (data[0] >> 3) % 3;
	msg.writer = (struct queue_writer *)(void *)&dummy_writer;
	msg.status = 0;
	strbuf_reset(&msg.header);
	strbuf_printf(&msg.header, "%s:", name);
	strbuf_append(&msg.header, data + 1, size - 1);
	strbuf_init(&before);
	strbuf_append(&before, msg.header.data, msg.header.len);

	cleanup_rewrite_header(&msg, name_len);

	if (msg.status != 0)		/* inline tables never fail */
		abort();
	if (msg.header.len < name_len + 1 ||
	    memcmp(msg.header.data, before.data, name_len + 1) != 0)
		abort();
	if (lines(msg.header.data, msg.header.len) !=
	    lines(before.data, before.len))
		abort();
	/* each address grows by a bounded amount: the tables' and domains' */
	if (msg.header.len > 2 * before.len + 200 * (before.len / 2 + 1))
		abort();
	if ((strcmp(name, "Subject") == 0 || strcmp(name, "X-From") == 0) &&
	    (msg.header.len != before.len ||
	    memcmp(msg.header.data, before.data, before.len) != 0))
		abort();
	strbuf_free(&before);
	return (0);
}
