/*
 * mail - MAIL FROM and its ESMTP parameters.
 *
 * Parameters accepted: SIZE (RFC 1870), BODY=7BIT|8BITMIME|BINARYMIME
 * (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531), RET and ENVID (RFC 3461).
 * Each may appear once; anything else is refused with 555.  The declared
 * SIZE is checked against message_size_limit right away, so a client
 * learns before sending a byte of content.  Last, as Postfix's
 * smtpd_check_queue() does after the sender checks, the free space of
 * the queue file system (lib/queue/queue_space.h): below queue_minfree or
 * 1.5 x message_size_limit, or too little for the declared SIZE, the
 * answer is 452 4.3.1, a temporary refusal, so that the client tries
 * again later instead of us failing to write what we acknowledged.
 *
 * With smtpd_delay_reject = no, smtpd_sender_restrictions run here
 * (restrict_eval.c), else at each RCPT.
 *
 * Parameters: smtpd_helo_required, strict_rfc821_envelopes,
 * smtputf8_enable, message_size_limit, queue_minfree.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "queue_space.h"
#include "smtpd.h"

#define ENVID_MAX	100		/* RFC 3461 4.4 */
#define SIZE_DIGITS_MAX	18		/* fits a long without overflow */

#define SEEN_SIZE	0x01
#define SEEN_BODY	0x02
#define SEEN_UTF8	0x04
#define SEEN_RET	0x08
#define SEEN_ENVID	0x10

/* smtpd_next_param - split "KEYWORD[=VALUE]" off the parameter text */
int
smtpd_next_param(const char **cursor, struct strbuf *keyword,
    struct strbuf *value, bool *has_value)
{
	const char *cp = *cursor;
	const char *start;

	while (*cp == ' ')
		cp++;
	if (*cp == '\0') {
		*cursor = cp;
		return (0);
	}
	strbuf_reset(keyword);
	strbuf_reset(value);
	*has_value = false;
	if (!isalnum((unsigned char)*cp))
		return (-1);
	for (start = cp; isalnum((unsigned char)*cp) || *cp == '-'; cp++)
		;
	strbuf_append(keyword, start, cp - start);
	if (*cp == '=') {
		*has_value = true;
		for (start = ++cp; *cp != '\0' && *cp != ' '; cp++) {
			unsigned char c = *cp;

			if (c < 33 || c == '=' || c == 127)
				return (-1);
		}
		if (cp == start)
			return (-1);
		strbuf_append(value, start, cp - start);
	}
	if (*cp != '\0' && *cp != ' ')
		return (-1);
	*cursor = cp;
	return (1);
}

/* smtpd_mail_check - sequence and syntax of MAIL */
int
smtpd_mail_check(struct smtpd_session *s, const char *args)
{
	if (s->cfg->helo_required && s->helo_name == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return (-1);
	}
	if (s->txn.active) {
		smtpd_reply(s, "503 5.5.1 Error: nested MAIL command");
		return (-1);
	}
	if (strncasecmp(args, "FROM:", 5) != 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return (-1);
	}
	return (0);
}

/* parse_size - strict decimal, no sign, no overflow */
static int
parse_size(const char *text, long *out)
{
	size_t len = strlen(text);

	if (len == 0 || len > SIZE_DIGITS_MAX || strspn(text, "0123456789") != len)
		return (-1);
	*out = strtol(text, NULL, 10);
	return (0);
}

/* printable_ascii - xtext-decoded values must stay printable */
static bool
printable_ascii(const struct strbuf *sb)
{
	size_t i;

	for (i = 0; i < sb->len; i++)
		if ((unsigned char)sb->data[i] < 33 || (unsigned char)sb->data[i] > 126)
			return (false);
	return (true);
}

struct mail_params {
	long		 size;
	const char	*body;
	const char	*ret;
	bool		 smtputf8;
	struct strbuf	 envid;
	bool		 has_envid;
};

/* mail_params - parse and validate the parameters; -1 after a reply */
static int
mail_params(struct smtpd_session *s, const char *cursor, struct mail_params *mp)
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
			break;
		}
		if (strcasecmp(key.data, "SIZE") == 0)
			bit = SEEN_SIZE;
		else if (strcasecmp(key.data, "BODY") == 0)
			bit = SEEN_BODY;
		else if (strcasecmp(key.data, "SMTPUTF8") == 0 && s->cfg->smtputf8_enable)
			bit = SEEN_UTF8;
		else if (strcasecmp(key.data, "RET") == 0)
			bit = SEEN_RET;
		else if (strcasecmp(key.data, "ENVID") == 0)
			bit = SEEN_ENVID;
		else {
			smtpd_reply(s, "555 5.5.4 Unsupported option: %s", key.data);
			rc = -1;
			break;
		}
		if (seen & bit) {
			smtpd_reply(s, "501 5.5.4 Error: duplicate %s parameter",
			    key.data);
			rc = -1;
			break;
		}
		seen |= bit;
		if ((bit == SEEN_UTF8) == has_value) {
			smtpd_reply(s, "501 5.5.4 Bad %s parameter syntax", key.data);
			rc = -1;
		} else if (bit == SEEN_SIZE) {
			if (parse_size(value.data, &mp->size) != 0) {
				smtpd_reply(s, "501 5.5.4 Bad message size syntax");
				rc = -1;
			}
		} else if (bit == SEEN_BODY) {
			if (strcasecmp(value.data, "7BIT") == 0)
				mp->body = "7BIT";
			else if (strcasecmp(value.data, "8BITMIME") == 0)
				mp->body = "8BITMIME";
			else if (strcasecmp(value.data, "BINARYMIME") == 0)
				mp->body = "BINARYMIME";
			else {
				smtpd_reply(s, "501 5.5.4 Bad BODY keyword value");
				rc = -1;
			}
		} else if (bit == SEEN_UTF8) {
			mp->smtputf8 = true;
		} else if (bit == SEEN_RET) {
			if (strcasecmp(value.data, "FULL") == 0)
				mp->ret = "FULL";
			else if (strcasecmp(value.data, "HDRS") == 0)
				mp->ret = "HDRS";
			else {
				smtpd_reply(s, "501 5.5.4 Bad RET parameter syntax");
				rc = -1;
			}
		} else if (bit == SEEN_ENVID) {
			if (value.len > ENVID_MAX
			    || xtext_decode(value.data, value.len, &mp->envid) != 0
			    || mp->envid.len == 0 || !printable_ascii(&mp->envid)) {
				smtpd_reply(s, "501 5.5.4 Bad ENVID parameter syntax");
				rc = -1;
			}
			mp->has_envid = true;
		}
	}
	strbuf_free(&key);
	strbuf_free(&value);
	return (rc);
}

/*
 * queue_has_room - the queue file system can take a message of the
 * declared size (0: none declared); else 452 4.3.1, logged as a reject.
 * A failed statvfs accepts: a write error still answers 4xx later.
 */
static bool
queue_has_room(struct smtpd_session *s, long declared_size)
{
	switch (queue_space_check(s->cfg->queue_space, declared_size)) {
	case QUEUE_SPACE_LOW:
	case QUEUE_SPACE_TOO_BIG:
		smtpd_reject(s, "MAIL", NULL,
		    "452 4.3.1 Insufficient system storage");
		return (false);
	case QUEUE_SPACE_OK:
	case QUEUE_SPACE_UNKNOWN:
		break;
	}
	return (true);
}

/* smtpd_mail - MAIL FROM:<path> [params] */
int
smtpd_mail(struct smtpd_session *s, const char *args)
{
	struct smtpd_txn *t = &s->txn;
	struct mail_params mp;
	struct smtp_path path;
	const char *params, *error;
	unsigned flags = SMTP_PATH_ALLOW_NULL;

	args += 5;
	while (*args == ' ')
		args++;
	if (s->cfg->strict_envelopes)
		flags |= SMTP_PATH_STRICT;
	if (s->cfg->smtputf8_enable)
		flags |= SMTP_PATH_UTF8;
	memset(&mp, 0, sizeof(mp));
	strbuf_init(&mp.envid);
	smtp_path_init(&path);
	if (smtp_path_parse(args, flags, true, &path, &params, &error) != 0) {
		smtpd_reply(s, "%s", error);
		goto done;
	}
	if (mail_params(s, params, &mp) != 0)
		goto done;
	t->declared_size = mp.size;	/* for the checks of this MAIL */
	if (path.utf8 && !mp.smtputf8) {
		smtpd_reply(s, "553 5.6.7 Must declare SMTPUTF8 to send UTF8 address");
		goto done;
	}
	if (s->cfg->message_size_limit > 0 && mp.size > s->cfg->message_size_limit) {
		smtpd_reject(s, "MAIL", NULL,
		    "552 5.3.4 Message size exceeds fixed limit");
		goto done;
	}
	if (restrict_check_sender(s, path.address.data) != 0)
		goto done;
	if (!queue_has_room(s, mp.size))
		goto done;
	t->active = true;
	t->sender = xstrdup(path.address.data);
	t->smtputf8 = mp.smtputf8;
	if (mp.body != NULL)
		snprintf(t->body_type, sizeof(t->body_type), "%s", mp.body);
	if (mp.ret != NULL)
		snprintf(t->ret, sizeof(t->ret), "%s", mp.ret);
	if (mp.has_envid)
		t->envid = xstrdup(mp.envid.data);
	smtpd_reply(s, "250 2.1.0 Ok");
done:
	smtp_path_free(&path);
	strbuf_free(&mp.envid);
	return (0);
}
