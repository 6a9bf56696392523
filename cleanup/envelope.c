/*
 * envelope - check the envelope list from the client and write it out.
 *
 * The list is read strictly: every attribute the protocol knows is checked
 * for form and length before the queue file exists, so a confused or
 * hostile client never leaves a half-written envelope behind.  Attribute
 * names the protocol does not know are logged and skipped, never written.
 * A recipient's rcpt_orcpt and rcpt_notify may be missing (defaults "" and
 * 0) but may not stray from their rcpt.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cleanup_client.h"
#include "msg.h"
#include "queue_file.h"

/* The A record attributes of the protocol, in no particular order. */
static const char *const known_attrs[] = {
	"client_name", "client_address", "client_port", "helo_name",
	"protocol", "envid", "ret", "body_type", "smtputf8",
	"sasl_username", "log_ident", "flags", NULL,
};

/* is_known_attr - one of the names written as an A record */
static bool
is_known_attr(const char *name)
{
	const char *const *k;

	for (k = known_attrs; *k != NULL; k++)
		if (strcmp(name, *k) == 0)
			return (true);
	return (false);
}

/* text_ok - no NUL or control character, at most max bytes */
static bool
text_ok(const struct attr *a, size_t max)
{
	size_t	i;
	unsigned char ch;

	if (a->value_len > max)
		return (false);
	for (i = 0; i < a->value_len; i++) {
		ch = (unsigned char)a->value[i];
		if (ch < 0x20 || ch == 0x7f)
			return (false);
	}
	return (true);
}

/* number_ok - a clean decimal number in [0, max] */
static bool
number_ok(const struct attr *a, long max, long *out)
{
	long	val = 0;
	size_t	i;

	if (a->value_len == 0 || a->value_len > 10)
		return (false);
	for (i = 0; i < a->value_len; i++) {
		if (a->value[i] < '0' || a->value[i] > '9')
			return (false);
		val = val * 10 + (a->value[i] - '0');
	}
	if (val > max)
		return (false);
	if (out != NULL)
		*out = val;
	return (true);
}

/* one_of - value is one of the NULL-terminated words */
static bool
one_of(const struct attr *a, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(a->value, *words) == 0 && strlen(*words) == a->value_len)
			return (true);
	return (false);
}

/* attr_value_ok - the per-name checks of the A record attributes */
static bool
attr_value_ok(const struct attr *a)
{
	static const char *const protocols[] = { "SMTP", "ESMTP", "ESMTPS",
	    "ESMTPA", "ESMTPSA", "LOCAL", NULL };
	static const char *const rets[] = { "FULL", "HDRS", NULL };
	static const char *const bodies[] = { "7BIT", "8BITMIME", "BINARYMIME", NULL };
	static const char *const bools[] = { "0", "1", NULL };

	if (strcmp(a->name, "protocol") == 0)
		return (one_of(a, protocols));
	if (strcmp(a->name, "ret") == 0)
		return (one_of(a, rets));
	if (strcmp(a->name, "body_type") == 0)
		return (one_of(a, bodies));
	if (strcmp(a->name, "smtputf8") == 0)
		return (one_of(a, bools));
	if (strcmp(a->name, "client_port") == 0)
		return (number_ok(a, 65535, NULL));
	if (strcmp(a->name, "flags") == 0)
		return (number_ok(a, 0x7fffffffL, NULL));
	return (text_ok(a, CLEANUP_ATTR_TEXT_MAX));
}

/* cleanup_envelope_check - validate the whole list before any file exists */
int
cleanup_envelope_check(const struct attr_list *env, struct cleanup_message *msg,
		       struct strbuf *why)
{
	const struct attr *a;
	bool	have_sender = false, have_flags = false;
	bool	rcpt_open = false, have_orcpt = false, have_notify = false;
	size_t	i, rcpts = 0;

	strbuf_reset(why);
	msg->flags = 0;
	strbuf_reset(&msg->sender);
	for (i = 0; i < env->count; i++) {
		a = &env->items[i];
		if (strcmp(a->name, "request") == 0) {
			if (i != 0 || strcmp(a->value, "message") != 0) {
				strbuf_puts(why, "unexpected request attribute");
				return (-1);
			}
		} else if (strcmp(a->name, "sender") == 0) {
			if (have_sender || !text_ok(a, CLEANUP_ADDRESS_MAX)) {
				strbuf_puts(why, "duplicate or malformed sender");
				return (-1);
			}
			have_sender = true;
			strbuf_append(&msg->sender, a->value, a->value_len);
		} else if (strcmp(a->name, "rcpt") == 0) {
			if (a->value_len == 0 || !text_ok(a, CLEANUP_ADDRESS_MAX)) {
				strbuf_printf(why, "malformed recipient #%zu", rcpts + 1);
				return (-1);
			}
			rcpts++;
			rcpt_open = true;
			have_orcpt = have_notify = false;
		} else if (strcmp(a->name, "rcpt_orcpt") == 0) {
			if (!rcpt_open || have_orcpt || have_notify
			    || !text_ok(a, CLEANUP_ATTR_TEXT_MAX)) {
				strbuf_printf(why, "misplaced or malformed rcpt_orcpt");
				return (-1);
			}
			have_orcpt = true;
		} else if (strcmp(a->name, "rcpt_notify") == 0) {
			if (!rcpt_open || have_notify || !number_ok(a, DSN_NOTIFY_NEVER
			    | DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY, NULL)) {
				strbuf_printf(why, "misplaced or malformed rcpt_notify");
				return (-1);
			}
			have_notify = true;
		} else if (is_known_attr(a->name)) {
			/* Envelope attributes come before the recipients. */
			if (rcpts > 0 || !attr_value_ok(a)) {
				strbuf_printf(why, "misplaced or malformed %s", a->name);
				return (-1);
			}
			if (strcmp(a->name, "flags") == 0) {
				if (have_flags) {
					strbuf_puts(why, "duplicate flags");
					return (-1);
				}
				have_flags = true;
				msg->flags = strtol(a->value, NULL, 10);
			}
		} else {
			msg_warn("envelope attribute \"%.64s\" unknown, ignored", a->name);
		}
	}
	if (env->count == 0 || strcmp(env->items[0].name, "request") != 0) {
		strbuf_puts(why, "no request attribute");
		return (-1);
	}
	if (!have_sender) {
		strbuf_puts(why, "no sender");
		return (-1);
	}
	if (rcpts == 0) {
		strbuf_puts(why, "no recipients");
		return (-1);
	}
	return (0);
}

/*
 * cleanup_envelope_write - S, A and (expanded, expand.c) R records of a
 * checked list, then M
 */
int
cleanup_envelope_write(struct queue_writer *w, const struct attr_list *env,
    const char *sender, const struct cleanup_expand *x,
    struct cleanup_dups *dups, const char *id, const char **reason)
{
	struct queue_recipient rcpt;
	const struct attr *a;
	bool	rcpt_open = false;
	size_t	i;
	int	rc;

	memset(&rcpt, 0, sizeof(rcpt));
	cleanup_dups_reset(dups);
	if (queue_writer_sender(w, sender) < 0)
		return (-1);
	for (i = 0; i < env->count; i++) {
		a = &env->items[i];
		if (strcmp(a->name, "rcpt") == 0) {
			if (rcpt_open && (rc = cleanup_expand_recipient(x, w, id,
			    &rcpt, dups, reason)) != 0)
				return (rc);
			rcpt.address = a->value;
			rcpt.orcpt = "";
			rcpt.notify = 0;
			rcpt_open = true;
		} else if (strcmp(a->name, "rcpt_orcpt") == 0) {
			rcpt.orcpt = a->value;
		} else if (strcmp(a->name, "rcpt_notify") == 0) {
			rcpt.notify = (int)strtol(a->value, NULL, 10);
		} else if (is_known_attr(a->name)) {
			if (queue_writer_attr(w, a->name, a->value) < 0)
				return (-1);
		}
	}
	if (rcpt_open && (rc = cleanup_expand_recipient(x, w, id, &rcpt, dups,
	    reason)) != 0)
		return (rc);
	return (queue_writer_content_start(w));
}
