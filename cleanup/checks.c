/*
 * checks - header_checks, mime_header_checks, nested_header_checks and
 * body_checks (header_checks(5), body_checks(5)), as Postfix's cleanup
 * applies them.
 *
 * Each logical header (its lines joined, LFs kept, the last one dropped)
 * and each body line (without its LF; empty lines never match) is looked
 * up in the tables of its kind; the result is an action word and its
 * text: REJECT and DEFER refuse the message at the end of its content
 * with the table's text (5.7.1 / 4.7.1 unless the text starts with its
 * own code), WARN and INFO log, IGNORE and STRIP drop the line, REPLACE
 * puts the text in its place, PREPEND puts it before, HOLD, DISCARD,
 * FILTER, REDIRECT and BCC become the message's side effects
 * (effects.c), PASS stops the checks for the message, DUNNO and OK do
 * nothing.  REJECT, DISCARD and REDIRECT stop the checks too.  Every
 * action but IGNORE is logged in Postfix's form, "ID: ACTION: header
 * TEXT from ORIGIN; from=<S> to=<R> proto=P helo=<H>: WHY", which log
 * tools match.  Which section a header belongs to (the message's, a body
 * part's, an attached message's) the MIME parser (lib/mail/mime.c) says;
 * body lines are looked at up to body_checks_size_limit bytes into each
 * part.  A table that cannot answer refuses the message for now (4.3.0).
 *
 * Checks apply to new mail whose client asked for them
 * (CLEANUP_FLAG_FILTER: smtpd and pickup unless receive_override_options
 * says no_header_body_checks), never to bounces and forwards.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "cleanup_client.h"
#include "maps.h"
#include "mem.h"
#include "mime.h"
#include "msg.h"
#include "strbuf.h"

/* the reply text cleanup_client takes from us (its CLEANUP_REASON_MAX) */
#define CHECK_REASON_MAX	190

static void check_mime_header(void *ctx, enum mime_section section,
	    const char *text, size_t len);
static void check_body_line(void *ctx, const char *text, size_t len,
	    size_t offset);
static void check_mime_error(void *ctx, enum mime_error err,
	    const char *text, size_t len);

static const struct mime_ops check_mime_ops = {
	check_mime_header, check_body_line, check_mime_error,
};

/* act_log - Postfix's line for an action on a header or body line */
static void
act_log(struct cleanup_message *msg, const char *action, const char *context,
    const char *text, size_t len, const char *why)
{
	struct strbuf *l = &msg->check_log;

	strbuf_reset(l);
	strbuf_printf(l, "%s: %s: %s %.*s from %s;", msg->id, action, context,
	    (int)(len > 200 ? 200 : len), text, msg->log_origin.data);
	strbuf_printf(l, " from=<%s>", msg->sender.data);
	if (msg->log_rcpt.len > 0)
		strbuf_printf(l, " to=<%s>", msg->log_rcpt.data);
	if (msg->log_proto.len > 0)
		strbuf_printf(l, " proto=%s", msg->log_proto.data);
	if (msg->log_helo.len > 0)
		strbuf_printf(l, " helo=<%s>", msg->log_helo.data);
	if (why != NULL && *why != '\0')
		strbuf_printf(l, ": %s", why);
	msg_info("%s", l->data);
}

/* dsn_ok - text starts with "D.D{1,3}.D{1,3} " */
static bool
dsn_ok(const char *t)
{
	size_t	 n;

	if ((t[0] != '4' && t[0] != '5') || t[1] != '.')
		return (false);
	t += 2;
	for (n = 0; isdigit((unsigned char)t[n]); n++)
		;
	if (n < 1 || n > 3 || t[n] != '.')
		return (false);
	t += n + 1;
	for (n = 0; isdigit((unsigned char)t[n]); n++)
		;
	return (n >= 1 && n <= 3 && (t[n] == ' ' || t[n] == '\0'));
}

/*
 * refuse - REJECT or DEFER: the reply at the end of the content, with the
 * table's text behind its own enhanced code or dflt's; printable and
 * short enough for the client to pass on
 */
static void
refuse(struct cleanup_message *msg, const char *text, const char *dflt_code,
    const char *dflt_text)
{
	struct strbuf *r = &msg->check_reason;

	strbuf_reset(r);
	if (*text == '\0')
		strbuf_printf(r, "%s %s", dflt_code, dflt_text);
	else if (dsn_ok(text))
		strbuf_puts(r, text);
	else
		strbuf_printf(r, "%s %s", dflt_code, text);
	if (r->len > CHECK_REASON_MAX)
		strbuf_truncate(r, CHECK_REASON_MAX);
	for (size_t i = 0; i < r->len; i++)
		if ((unsigned char)r->data[i] < 0x20 || r->data[i] == 0x7f)
			r->data[i] = ' ';
}

/*
 * refuse_message - a content refusal: the client's reply for SMTP mail;
 * local submission (pickup) is accepted and bounced to its sender
 * instead, as Postfix's cleanup does (a 4xx leaves it in maildrop/)
 */
static void
refuse_message(struct cleanup_message *msg, int status, const char *reason)
{
	msg->checks_on = false;
	if (status == 5 && (msg->flags & CLEANUP_FLAG_LOCAL) != 0) {
		msg->effect_bounce = true;
		return;
	}
	cleanup_reject(msg, status, reason);
}

/* is_header_text - "name: value" on one line, for PREPEND and REPLACE */
static bool
is_header_text(const char *text)
{
	return (mime_header_name_len(text, strlen(text)) > 0 &&
	    strchr(text, '\n') == NULL);
}

/* needs_at - REDIRECT and BCC want user@domain */
static bool
needs_at(const char *map_class, const char *cmd, const char *arg)
{
	if (strchr(arg, '@') != NULL)
		return (true);
	msg_warn("bad %s address \"%s\" in %s map -- need user@domain", cmd,
	    arg, map_class);
	return (false);
}

/*
 * act - apply one table result to text (a header or body line, len bytes,
 * no LF).  Returns CHECK_KEEP, CHECK_DROP, or CHECK_REPLACE with the new
 * text in msg->check_replace; a PREPEND's text is output at once.
 */
static enum cleanup_check
act(struct cleanup_message *msg, const char *context, const char *map_class,
    const char *text, size_t len, const char *value)
{
	size_t	 cmd_len = strcspn(value, " \t");
	const char *arg = value + cmd_len;
	bool	 header = strcmp(context, "header") == 0;

#define IS(word) (cmd_len == strlen(word) && strncasecmp(value, word, cmd_len) == 0)

	arg += strspn(arg, " \t");
	if (IS("REJECT") || IS("DEFER")) {
		if (IS("REJECT"))
			refuse(msg, arg, "5.7.1", "message content rejected");
		else
			refuse(msg, arg, "4.7.1", "message content deferred");
		act_log(msg, "reject", context, text, len, msg->check_reason.data);
		refuse_message(msg, msg->check_reason.data[0] == '4' ? 4 : 5,
		    msg->check_reason.data);
	} else if (IS("WARN")) {
		act_log(msg, "warning", context, text, len, arg);
	} else if (IS("INFO")) {
		act_log(msg, "info", context, text, len, arg);
	} else if (IS("FILTER")) {
		if (*arg == '\0' || strchr(arg, ':') == NULL || *arg == ':')
			msg_warn("bad FILTER command \"%s\" in %s map -- need "
			    "transport:destination", arg, map_class);
		else {
			act_log(msg, "filter", context, text, len, arg);
			cleanup_effect_filter(msg, arg, NULL);
		}
	} else if (IS("PASS")) {
		act_log(msg, "pass", context, text, len, arg);
		msg->checks_on = false;
	} else if (IS("DISCARD")) {
		act_log(msg, "discard", context, text, len, arg);
		cleanup_effect_discard(msg, NULL);
		msg->checks_on = false;
	} else if (IS("HOLD")) {
		if (!msg->effect_hold && !msg->effect_discard) {
			act_log(msg, "hold", context, text, len, arg);
			cleanup_effect_hold(msg, NULL);
		}
	} else if (IS("PREPEND") || IS("REPLACE")) {
		if (*arg == '\0' || (header && !is_header_text(arg))) {
			msg_warn("bad %.*s text \"%s\" in %s map -- need %s",
			    (int)cmd_len, value, arg, map_class, header ?
			    "\"headername: headervalue\"" : "text");
			return (CHECK_KEEP);
		}
		act_log(msg, IS("PREPEND") ? "prepend" : "replace", context,
		    text, len, arg);
		strbuf_reset(&msg->check_replace);
		strbuf_printf(&msg->check_replace, "%s\n", arg);
		if (IS("REPLACE"))
			return (CHECK_REPLACE);
		cleanup_content_out(msg, msg->check_replace.data,
		    msg->check_replace.len);
	} else if (IS("REDIRECT")) {
		if (needs_at(map_class, "REDIRECT", arg)) {
			act_log(msg, "redirect", context, text, len, arg);
			cleanup_effect_redirect(msg, arg, NULL);
			msg->checks_on = false;
		}
	} else if (IS("BCC")) {
		if (needs_at(map_class, "BCC", arg)) {
			act_log(msg, "bcc", context, text, len, arg);
			cleanup_effect_bcc(msg, arg, NULL);
		}
	} else if (IS("STRIP")) {
		act_log(msg, "strip", context, text, len, arg);
		return (CHECK_DROP);
	} else if (IS("IGNORE")) {
		return (CHECK_DROP);
	} else if (!IS("DUNNO") && !IS("OK")) {
		msg_warn("unknown command in %s map: %s", map_class, value);
	}
	return (CHECK_KEEP);
#undef IS
}

/*
 * check - look text up in maps and act on what it finds.  text has len
 * bytes and no final LF.
 */
static enum cleanup_check
check(struct cleanup_message *msg, struct map_list *maps,
    const char *map_class, const char *context, const char *text, size_t len)
{
	struct strbuf *key = &msg->check_key;
	int	 rc;

	if (maps == NULL || !msg->checks_on || len == 0 || msg->status != 0 ||
	    msg->effect_bounce)
		return (CHECK_KEEP);
	strbuf_reset(key);
	strbuf_append(key, text, len);
	rc = map_list_lookup(maps, key->data, &msg->check_value);
	if (rc == MAP_NOTFOUND)
		return (CHECK_KEEP);
	if (rc == MAP_TEMPFAIL) {
		msg_warn("%s: %s map lookup problem -- message not accepted, "
		    "try again later", msg->id, map_class);
		cleanup_reject(msg, 4, CLEANUP_TEXT_CHECKS);
		return (CHECK_KEEP);
	}
	return (act(msg, context, map_class, text, len, msg->check_value.data));
}

/* header_maps - the tables and parameter name for a header of section */
static struct map_list *
header_maps(const struct cleanup_checks *c, enum mime_section section,
    const char **map_class)
{
	switch (section) {
	case MIME_SECTION_MULTIPART:
		*map_class = "mime_header_checks";
		return (c->mime_header);
	case MIME_SECTION_NESTED:
		*map_class = "nested_header_checks";
		return (c->nested_header);
	default:
		*map_class = "header_checks";
		return (c->header);
	}
}

/*
 * cleanup_check_header - a logical header (LF-ended lines) of section:
 * CHECK_KEEP, CHECK_DROP, or CHECK_REPLACE (msg->check_replace holds the
 * new header, LF-ended).  The message's own headers also tell the MIME
 * parser about the structure.
 */
enum cleanup_check
cleanup_check_header(struct cleanup_message *msg, enum mime_section section,
    const char *text, size_t len)
{
	const char *map_class;
	struct map_list *maps;

	if (section == MIME_SECTION_PRIMARY && msg->mime != NULL)
		mime_primary_header(msg->mime, text, len);
	if (!msg->checks_on)
		return (CHECK_KEEP);
	maps = header_maps(msg->checks, section, &map_class);
	if (len > 0 && text[len - 1] == '\n')
		len--;
	return (check(msg, maps, map_class, "header", text, len));
}

/* check_mime_header - a body part's or attached message's header */
static void
check_mime_header(void *ctx, enum mime_section section, const char *text,
    size_t len)
{
	struct cleanup_message *msg = ctx;

	switch (cleanup_check_header(msg, section, text, len)) {
	case CHECK_DROP:
		return;
	case CHECK_REPLACE:
		cleanup_content_out(msg, msg->check_replace.data,
		    msg->check_replace.len);
		return;
	default:
		cleanup_content_out(msg, text, len);
	}
}

/* check_body_line - a body line or piece, within body_checks_size_limit */
static void
check_body_line(void *ctx, const char *text, size_t len, size_t offset)
{
	struct cleanup_message *msg = ctx;
	const struct cleanup_checks *c = msg->checks;
	size_t	 n = len > 0 && text[len - 1] == '\n' ? len - 1 : len;

	if (c->body != NULL && (c->body_size_limit == 0 ||
	    offset < (size_t)c->body_size_limit)) {
		switch (check(msg, c->body, "body_checks", "body", text, n)) {
		case CHECK_DROP:
			return;
		case CHECK_REPLACE:
			/* a piece of a longer line keeps the line going */
			cleanup_content_out(msg, msg->check_replace.data,
			    n < len ? msg->check_replace.len :
			    msg->check_replace.len - 1);
			return;
		default:
			break;
		}
	}
	cleanup_content_out(msg, text, len);
}

/*
 * check_mime_error - as Postfix: nesting past mime_nesting_limit refuses
 * the message when header checks are in use; a cut header section is
 * only noted
 */
static void
check_mime_error(void *ctx, enum mime_error err, const char *text, size_t len)
{
	struct cleanup_message *msg = ctx;
	const struct cleanup_checks *c = msg->checks;

	if (err != MIME_ERR_NESTING || msg->status != 0 || msg->effect_bounce ||
	    (c->header == NULL &&
	    c->mime_header == NULL && c->nested_header == NULL))
		return;
	msg_info("%s: reject: mime-error MIME nesting exceeds safety limit:"
	    " %.*s from %s; from=<%s> to=<%s>", msg->id,
	    (int)(len > 100 ? 100 : len), text, msg->log_origin.data,
	    msg->sender.data, msg->log_rcpt.len ? msg->log_rcpt.data : "unknown");
	strbuf_set(&msg->check_reason, CLEANUP_TEXT_NESTING);
	refuse_message(msg, 5, msg->check_reason.data);
}

/* cleanup_checks_body - the body needs looking at line by line */
bool
cleanup_checks_body(const struct cleanup_message *msg)
{
	return (msg->body_mime);
}

/* cleanup_checks_line - one body line or piece of the message */
void
cleanup_checks_line(struct cleanup_message *msg, const char *text, size_t len)
{
	mime_line(msg->mime, text, len);
}

/* cleanup_checks_headers_end - the message's header section ended */
void
cleanup_checks_headers_end(struct cleanup_message *msg)
{
	if (msg->mime != NULL)
		mime_primary_end(msg->mime);
}

/* cleanup_checks_end - the content ended */
void
cleanup_checks_end(struct cleanup_message *msg)
{
	if (msg->mime != NULL)
		mime_end(msg->mime);
}

/* text_of - an envelope attribute, or "" */
static const char *
text_of(const struct attr_list *env, const char *name)
{
	const char *v = attr_list_get(env, name);

	return (v != NULL ? v : "");
}

/*
 * cleanup_checks_start - a new message: what its log lines say about the
 * client, and whether (and how deep) it is checked
 */
void
cleanup_checks_start(struct cleanup_message *msg, const struct attr_list *env)
{
	const struct cleanup_checks *c = msg->checks;
	const char *name = text_of(env, "client_name");
	const char *addr = text_of(env, "client_address");
	bool	 body;

	strbuf_reset(&msg->log_origin);
	if (*addr != '\0')
		strbuf_printf(&msg->log_origin, "%s[%s]", *name ? name :
		    "unknown", addr);
	else
		strbuf_puts(&msg->log_origin, "local");
	strbuf_set(&msg->log_proto, text_of(env, "protocol"));
	strbuf_set(&msg->log_helo, text_of(env, "helo_name"));
	strbuf_set(&msg->log_rcpt, text_of(env, "rcpt"));
	msg->checks_on = (msg->flags & CLEANUP_FLAG_FILTER) != 0 &&
	    (c->header != NULL || c->mime_header != NULL ||
	    c->nested_header != NULL || c->body != NULL);
	/* the body is read line by line only when something looks at it */
	body = msg->checks_on && (c->body != NULL || (!c->disable_mime &&
	    (c->mime_header != NULL || c->nested_header != NULL)));
	if (!body) {
		if (msg->mime != NULL)
			mime_reset(msg->mime, true, false);
	} else {
		if (msg->mime == NULL)
			msg->mime = mime_create(&c->limits, &check_mime_ops, msg);
		mime_reset(msg->mime, true, !c->disable_mime);
	}
	msg->body_mime = body;
}
