/*
 * effects - a message's side effects: HOLD, DISCARD, FILTER, REDIRECT,
 * BCC and PREPEND, whoever asked for them (smtpd's restrictions through
 * the protocol lists of cleanup_client.h, cleanup's own header and body
 * checks through the calls in cleanup.h).
 *
 * They are noted while the content goes by and take effect when it is
 * complete, in Postfix's way: DISCARD drops the file and still answers
 * status=0; HOLD finishes the file in hold/ (queue_writer_set_final_subdir)
 * instead of incoming/, so qmgr never sees it until sluice-super -H; FILTER
 * and REDIRECT become A records of the queue file's extracted segment,
 * which qmgr honours for every recipient (content_filter's route, the one
 * address instead of each); BCC becomes one more R record there, rewritten
 * and alias-expanded like any recipient, with NOTIFY=NEVER.  The last
 * FILTER and REDIRECT win.  Each request is logged as "ID: ACTION: WHY"
 * when it comes with a reason.  A local submission that the checks
 * refused (effect_bounce) is kept with a reject= attribute instead, and
 * qmgr bounces it to its sender.
 */
#include <string.h>

#include "cleanup.h"
#include "cleanup_client.h"
#include "msg.h"
#include "queue_file.h"
#include "queue_scan.h"
#include "strbuf.h"
#include "strlist.h"

/* CLEANUP_BCC_MAX - BCC recipients one message may collect */
#define CLEANUP_BCC_MAX	100

/* effect_log - "ID: ACTION: WHY" when there is a why */
static void
effect_log(const struct cleanup_message *msg, const char *action,
    const char *why)
{
	if (why != NULL && *why != '\0')
		msg_info("%s: %s: %s", msg->id, action, why);
}

/* cleanup_effect_hold - the message goes to hold/ */
void
cleanup_effect_hold(struct cleanup_message *msg, const char *why)
{
	effect_log(msg, "hold", why);
	msg->effect_hold = true;
}

/* cleanup_effect_discard - accepted, then dropped */
void
cleanup_effect_discard(struct cleanup_message *msg, const char *why)
{
	effect_log(msg, "discard", why);
	msg->effect_discard = true;
}

/* cleanup_effect_filter - every recipient through transport:nexthop */
void
cleanup_effect_filter(struct cleanup_message *msg, const char *filter,
    const char *why)
{
	effect_log(msg, "filter", why);
	strbuf_reset(&msg->effect_filter);
	strbuf_puts(&msg->effect_filter, filter);
}

/* cleanup_effect_redirect - every recipient replaced by addr */
void
cleanup_effect_redirect(struct cleanup_message *msg, const char *addr,
    const char *why)
{
	effect_log(msg, "redirect", why);
	strbuf_reset(&msg->effect_redirect);
	strbuf_puts(&msg->effect_redirect, addr);
}

/* cleanup_effect_bcc - one more recipient, up to CLEANUP_BCC_MAX */
void
cleanup_effect_bcc(struct cleanup_message *msg, const char *addr,
    const char *why)
{
	effect_log(msg, "bcc", why);
	/* the same address twice is one R record: the duplicate filter */
	if (msg->effect_bcc.count >= CLEANUP_BCC_MAX) {
		msg_warn("%s: more than %d BCC recipients requested: <%s>"
		    " ignored", msg->id, CLEANUP_BCC_MAX, addr);
		return;
	}
	strlist_add(&msg->effect_bcc, addr);
}

/* cleanup_effects_reset - none yet for the next message */
void
cleanup_effects_reset(struct cleanup_message *msg)
{
	msg->effect_hold = msg->effect_discard = msg->effect_bounce = false;
	strbuf_reset(&msg->effect_filter);
	strbuf_reset(&msg->effect_redirect);
	strlist_free(&msg->effect_bcc);
	strlist_init(&msg->effect_bcc);
}

/* value_ok - printable, not empty, at most max bytes */
static bool
value_ok(const struct attr *a, size_t max)
{
	if (a->value_len == 0 || a->value_len > max ||
	    strlen(a->value) != a->value_len)
		return (false);
	for (size_t i = 0; i < a->value_len; i++)
		if ((unsigned char)a->value[i] < 0x20 || a->value[i] == 0x7f)
			return (false);
	return (true);
}

/* prepend_ok - "Name: value" on one line */
static bool
prepend_ok(const struct attr *a)
{
	const char *colon = memchr(a->value, ':', a->value_len);

	if (!value_ok(a, CLEANUP_EFFECT_MAX) || colon == NULL ||
	    colon == a->value)
		return (false);
	for (const char *p = a->value; p < colon; p++)
		if (*p == ' ' || *p == '\t' || (unsigned char)*p > 0x7e)
			return (false);
	return (true);
}

/*
 * cleanup_effect_request - a side-effect list of the protocol.  1 when
 * list is none (not ours), 0 when taken, -1 when it is malformed or a
 * prepend comes after content (logged; a protocol error).
 */
int
cleanup_effect_request(struct cleanup_message *msg, const struct attr_list *list)
{
	static const char *const names[] = { "hold", "discard", "filter",
	    "redirect", "bcc", "prepend", NULL };
	const struct attr *a, *why = NULL;
	const char *const *n;
	char	line[CLEANUP_EFFECT_MAX + 2];

	if (list->count < 1 || list->count > 2)
		return (1);
	a = &list->items[0];
	for (n = names; *n != NULL && strcmp(*n, a->name) != 0; n++)
		;
	if (*n == NULL)
		return (1);
	if (list->count == 2) {
		why = &list->items[1];
		if (strcmp(why->name, "reason") != 0 ||
		    (why->value_len > 0 && !value_ok(why, CLEANUP_EFFECT_MAX)) ||
		    strlen(why->value) != why->value_len)
			goto bad;
	}
	if (strcmp(a->name, "prepend") == 0) {
		/* a header on top: only while nothing else has come */
		if (why != NULL || msg->content_size != msg->prepended_bytes ||
		    !prepend_ok(a))
			goto bad;
		memcpy(line, a->value, a->value_len);
		line[a->value_len] = '\n';
		msg->prepended_bytes += a->value_len + 1;
		cleanup_content(msg, line, a->value_len + 1);
		return (0);
	}
	if (!value_ok(a, strcmp(a->name, "filter") == 0 ? CLEANUP_EFFECT_MAX :
	    CLEANUP_ADDRESS_MAX))
		goto bad;
	if (strcmp(a->name, "hold") == 0)
		cleanup_effect_hold(msg, why ? why->value : NULL);
	else if (strcmp(a->name, "discard") == 0)
		cleanup_effect_discard(msg, why ? why->value : NULL);
	else if (strcmp(a->name, "filter") == 0) {
		if (a->value[0] == ':' || strchr(a->value, ':') == NULL)
			goto bad;
		cleanup_effect_filter(msg, a->value, why ? why->value : NULL);
	} else if (strcmp(a->name, "redirect") == 0)
		cleanup_effect_redirect(msg, a->value, why ? why->value : NULL);
	else
		cleanup_effect_bcc(msg, a->value, why ? why->value : NULL);
	return (0);
bad:
	msg_warn("%s: protocol error: malformed or misplaced %s request",
	    msg->id, a->name);
	return (-1);
}

/*
 * cleanup_effects_finish - the content is complete: the extracted
 * segment (FILTER, REDIRECT, BCC) and HOLD's destination.  0; -1 for a
 * write error (errno set); 1 when a BCC recipient could not be expanded
 * (*reason as cleanup_expand_recipient says).  DISCARD is the caller's.
 */
int
cleanup_effects_finish(struct cleanup_message *msg,
    const struct cleanup_expand *x, struct cleanup_dups *dups,
    const char **reason)
{
	struct queue_recipient bcc;
	int	 rc;

	/* refused local mail: every recipient bounces, nothing else applies */
	if (msg->effect_bounce)
		return (queue_writer_attr(msg->writer, QUEUE_ATTR_REJECT,
		    msg->check_reason.data) < 0 ? -1 : 0);
	if (msg->effect_filter.len > 0 && queue_writer_attr(msg->writer,
	    QUEUE_ATTR_FILTER, msg->effect_filter.data) < 0)
		return (-1);
	if (msg->effect_redirect.len > 0 && queue_writer_attr(msg->writer,
	    QUEUE_ATTR_REDIRECT, msg->effect_redirect.data) < 0)
		return (-1);
	for (size_t i = 0; i < msg->effect_bcc.count; i++) {
		memset(&bcc, 0, sizeof(bcc));
		bcc.address = msg->effect_bcc.items[i];
		bcc.orcpt = "";
		bcc.notify = DSN_NOTIFY_NEVER;
		if ((rc = cleanup_expand_recipient(x, msg->writer, msg->id,
		    &bcc, dups, reason)) != 0)
			return (rc);
	}
	if (msg->effect_hold)
		queue_writer_set_final_subdir(msg->writer, QUEUE_HOLD);
	return (0);
}
