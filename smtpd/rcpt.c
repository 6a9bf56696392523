/*
 * rcpt - RCPT TO and its DSN parameters (RFC 3461).
 *
 * NOTIFY is NEVER alone or any of SUCCESS, FAILURE, DELAY; ORCPT is
 * "addr-type;xtext", stored decoded as "type;address" for the queue file.
 * An address no restriction can judge (no domain, a malformed one, or
 * one the resolver cannot classify now) is refused first, whoever the
 * client is; then the restriction lists decide (restrict_eval.c), which
 * reply and log themselves.  smtpd_recipient_limit caps the recipients
 * of one transaction with a 452, so a well-behaved client sends the rest
 * in another transaction.
 *
 * Parameters: smtpd_recipient_limit, strict_rfc821_envelopes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "queue_file.h"
#include "resolve.h"
#include "smtpd.h"

#define ORCPT_MAX	500		/* RFC 3461 4.2: encoded length */

#define SEEN_NOTIFY	0x01
#define SEEN_ORCPT	0x02

/* smtpd_rcpt_check - sequence and syntax of RCPT */
int
smtpd_rcpt_check(struct smtpd_session *s, const char *args)
{
	if (!s->txn.active) {
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
		return (-1);
	}
	if (strncasecmp(args, "TO:", 3) != 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return (-1);
	}
	return (0);
}

/* parse_notify - "NEVER" or a list of SUCCESS, FAILURE, DELAY */
static int
parse_notify(const char *text, int *notify)
{
	char *copy = xstrdup(text), *word, *next = copy;
	int bits = 0, bit;

	while ((word = strsep(&next, ",")) != NULL) {
		if (strcasecmp(word, "NEVER") == 0)
			bit = DSN_NOTIFY_NEVER;
		else if (strcasecmp(word, "SUCCESS") == 0)
			bit = DSN_NOTIFY_SUCCESS;
		else if (strcasecmp(word, "FAILURE") == 0)
			bit = DSN_NOTIFY_FAILURE;
		else if (strcasecmp(word, "DELAY") == 0)
			bit = DSN_NOTIFY_DELAY;
		else
			bit = -1;
		if (bit < 0 || (bits & bit))
			break;
		bits |= bit;
	}
	free(copy);
	if (word != NULL || ((bits & DSN_NOTIFY_NEVER) && bits != DSN_NOTIFY_NEVER))
		return (-1);
	*notify = bits;
	return (0);
}

/* parse_orcpt - "addr-type;xtext" into "type;decoded" */
static int
parse_orcpt(const char *text, size_t len, struct strbuf *out)
{
	const char *semi = memchr(text, ';', len);
	struct strbuf decoded;
	size_t type_len, i;
	int rc = 0;

	if (len > ORCPT_MAX || semi == NULL || semi == text)
		return (-1);
	type_len = semi - text;
	for (i = 0; i < type_len; i++)
		if (!isalnum((unsigned char)text[i]) && text[i] != '-')
			return (-1);
	strbuf_init(&decoded);
	if (xtext_decode(semi + 1, len - type_len - 1, &decoded) != 0
	    || decoded.len == 0)
		rc = -1;
	for (i = 0; rc == 0 && i < decoded.len; i++)
		if ((unsigned char)decoded.data[i] < 32 || decoded.data[i] == 127)
			rc = -1;
	if (rc == 0) {
		strbuf_reset(out);
		strbuf_append(out, text, type_len);
		strbuf_lower(out);
		strbuf_putc(out, ';');
		strbuf_append(out, decoded.data, decoded.len);
	}
	strbuf_free(&decoded);
	return (rc);
}

/* rcpt_params - NOTIFY and ORCPT; -1 after a reply */
static int
rcpt_params(struct smtpd_session *s, const char *cursor, int *notify,
    struct strbuf *orcpt)
{
	struct strbuf key, value;
	bool has_value;
	unsigned seen = 0, bit;
	int rc = 0, got;

	strbuf_init(&key);
	strbuf_init(&value);
	while (rc == 0 && (got = smtpd_next_param(&cursor, &key, &value,
	    &has_value)) != 0) {
		if (got < 0) {
			smtpd_reply(s, "501 5.5.4 Syntax error in parameters");
			rc = -1;
		} else if ((bit = strcasecmp(key.data, "NOTIFY") == 0 ? SEEN_NOTIFY :
		    strcasecmp(key.data, "ORCPT") == 0 ? SEEN_ORCPT : 0) == 0) {
			smtpd_reply(s, "555 5.5.4 Unsupported option: %s", key.data);
			rc = -1;
		} else if (seen & bit) {
			smtpd_reply(s, "501 5.5.4 Error: duplicate %s parameter",
			    key.data);
			rc = -1;
		} else if (bit == SEEN_NOTIFY && (!has_value
		    || parse_notify(value.data, notify) != 0)) {
			smtpd_reply(s, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
			rc = -1;
		} else if (bit == SEEN_ORCPT && (!has_value
		    || parse_orcpt(value.data, value.len, orcpt) != 0)) {
			smtpd_reply(s, "501 5.5.4 Error: Bad ORCPT parameter syntax");
			rc = -1;
		}
		seen |= bit;
	}
	strbuf_free(&key);
	strbuf_free(&value);
	return (rc);
}

/* smtpd_rcpt_address_check - see smtpd.h */
int
smtpd_rcpt_address_check(struct smtpd_session *s, const struct smtp_path *rcpt,
    struct strbuf *reply)
{
	const char *address = rcpt->address.data;
	const struct resolve_result *rr;

	if (s->cfg->policy_off)
		return (0);
	strbuf_reset(reply);
	if (rcpt->at >= rcpt->address.len) {
		if (strcasecmp(address, "postmaster") == 0)
			return (0);
		strbuf_set(reply, "501 5.1.3 Bad recipient address syntax");
		return (-1);
	}
	rr = smtpd_resolve(s->cfg, address);
	if (rr->class == RESOLVE_CLASS_NONE)
		strbuf_printf(reply, "451 4.3.0 <%s>: Temporary lookup failure",
		    address);
	else if (rr->flags & RESOLVE_FLAG_ERROR)
		strbuf_printf(reply, "501 5.1.3 <%s>: Bad recipient address "
		    "syntax", address);
	return (reply->len > 0 ? -1 : 0);
}

/* add_recipient - append to the transaction */
static void
add_recipient(struct smtpd_txn *t, const char *address, const char *orcpt,
    int notify)
{
	if (t->rcpt_count == t->rcpt_cap) {
		t->rcpt_cap = t->rcpt_cap ? t->rcpt_cap * 2 : 8;
		t->rcpts = xrealloc(t->rcpts, t->rcpt_cap * sizeof(*t->rcpts));
	}
	t->rcpts[t->rcpt_count].address = xstrdup(address);
	t->rcpts[t->rcpt_count].orcpt = xstrdup(orcpt);
	t->rcpts[t->rcpt_count].notify = notify;
	t->rcpt_count++;
}

/* smtpd_rcpt - RCPT TO:<path> [params] */
int
smtpd_rcpt(struct smtpd_session *s, const char *args)
{
	struct smtpd_txn *t = &s->txn;
	struct smtp_path path;
	struct strbuf orcpt, reply;
	const char *params, *error;
	unsigned flags = SMTP_PATH_ALLOW_BARE;
	int notify = 0;

	args += 3;
	while (*args == ' ')
		args++;
	if (s->cfg->strict_envelopes)
		flags |= SMTP_PATH_STRICT;
	if (t->smtputf8)
		flags |= SMTP_PATH_UTF8;
	smtp_path_init(&path);
	strbuf_init(&orcpt);
	strbuf_init(&reply);
	if (smtp_path_parse(args, flags, false, &path, &params, &error) != 0) {
		smtpd_reply(s, "%s", error);
	} else if (path.null_path) {
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
	} else if (rcpt_params(s, params, &notify, &orcpt) != 0) {
		/* already answered */ ;
	} else if (t->rcpt_count >= (size_t)s->cfg->recipient_limit) {
		smtpd_reject(s, "RCPT", path.address.data,
		    "452 4.5.3 Error: too many recipients");
	} else if (smtpd_rcpt_address_check(s, &path, &reply) != 0) {
		smtpd_reject(s, "RCPT", path.address.data, "%s", reply.data);
	} else if (restrict_check_rcpt(s, path.address.data) != 0) {
		/* answered and logged */ ;
	} else {
		add_recipient(t, path.address.data, orcpt.data, notify);
		smtpd_reply(s, "250 2.1.5 Ok");
	}
	strbuf_free(&reply);
	strbuf_free(&orcpt);
	smtp_path_free(&path);
	return (0);
}
