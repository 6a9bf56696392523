/*
 * access - the access(5) action parser (access.h).
 *
 * One answer of a table or of a policy server becomes a verb with its
 * code, enhanced status code, text and argument.  Nothing here replies or
 * logs: smtpd's restriction engine carries the action out, so the same
 * answer means the same whoever gave it.  The answer is hostile input (a
 * pcre: table copies the client's words into it, a policy server is
 * another program): its length is bounded and an argument that goes into
 * the queue file (an address, a header, a transport) is checked here.
 */
#include <string.h>
#include <strings.h>

#include "access.h"
#include "address.h"
#include "dsn_code.h"

static const struct {
	const char	*word;
	enum access_verb verb;
} verbs[] = {
	{ "OK", ACCESS_OK },
	{ "RELAY", ACCESS_OK },
	{ "REJECT", ACCESS_REJECT },
	{ "DEFER", ACCESS_DEFER },
	{ "DEFER_IF_REJECT", ACCESS_DEFER_IF_REJECT },
	{ "DEFER_IF_PERMIT", ACCESS_DEFER_IF_PERMIT },
	{ "DUNNO", ACCESS_DUNNO },
	{ "HOLD", ACCESS_HOLD },
	{ "DISCARD", ACCESS_DISCARD },
	{ "FILTER", ACCESS_FILTER },
	{ "REDIRECT", ACCESS_REDIRECT },
	{ "BCC", ACCESS_BCC },
	{ "PREPEND", ACCESS_PREPEND },
	{ "WARN", ACCESS_WARN },
	{ "INFO", ACCESS_INFO },
};

/* access_action_init - an empty action, ready for access_action_parse */
void
access_action_init(struct access_action *act)
{
	memset(act, 0, sizeof(*act));
	strbuf_init(&act->text);
	strbuf_init(&act->arg);
}

/* access_action_free - release its text and argument */
void
access_action_free(struct access_action *act)
{
	strbuf_free(&act->text);
	strbuf_free(&act->arg);
}

/* access_verb_name - the verb as an admin writes it */
const char *
access_verb_name(enum access_verb verb)
{
	switch (verb) {
	case ACCESS_RESTRICTIONS:
		return ("restriction list");
	case ACCESS_IGNORED:
		return ("ignored entry");
	case ACCESS_ERROR:
		return ("bad entry");
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (verbs[i].verb == verb)
			return (verbs[i].word);
	return ("?");
}

/* is_space - the white space that separates an answer's words */
static bool
is_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* is_digit - ASCII only, whatever the locale */
static bool
is_digit(int c)
{
	return (c >= '0' && c <= '9');
}

/* has_control - a byte no queue-file argument may carry */
static bool
has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (true);
	return (false);
}

/*
 * set_reply - code, enhanced code and text: a code at the start of the
 * text wins over def_dsn; its class always follows the reply code's
 * (a "450 5.7.1" answer would tell the client two different things)
 */
static void
set_reply(struct access_action *act, int code, const char *def_dsn,
    const char *text, size_t len)
{
	size_t	 dlen = dsn_code_span(text, len);

	act->code = code;
	if (dlen > 0 && dlen < sizeof(act->dsn)) {
		memcpy(act->dsn, text, dlen);
		act->dsn[dlen] = '\0';
		text += dlen;
		len -= dlen;
		while (len > 0 && is_space(*text))
			text++, len--;
	} else
		strcpy(act->dsn, def_dsn);
	if (code != 0)
		act->dsn[0] = (char)('0' + code / 100);
	else
		act->dsn[0] = def_dsn[0];
	strbuf_append(&act->text, text, len);
}

/* header_ok - "name: value": RFC 5322 field name, a colon, one line */
static bool
header_ok(const char *s, size_t len)
{
	size_t	 n;

	if (len > ACCESS_HEADER_MAX || has_control(s, len))
		return (false);
	for (n = 0; n < len && s[n] != ':'; n++)
		if ((unsigned char)s[n] <= ' ' || (unsigned char)s[n] > '~')
			return (false);
	return (n > 0 && n < len);
}

/* address_arg_ok - a REDIRECT or BCC target that can be a recipient */
static bool
address_arg_ok(const char *s, size_t len)
{
	if (len == 0 || len > SMTP_ADDRESS_MAX || has_control(s, len) ||
	    memchr(s, '@', len) == NULL)
		return (false);
	for (size_t i = 0; i < len; i++)
		if (s[i] == ' ' || s[i] == '<' || s[i] == '>' || s[i] == ',')
			return (false);
	return (true);
}

/* filter_arg_ok - transport:nexthop, the transport a master.cf name */
static bool
filter_arg_ok(const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);

	if (colon == NULL || colon == s || len > 512 || has_control(s, len))
		return (false);
	for (const char *p = s; p < colon; p++)
		if (is_space(*p))
			return (false);
	return (memchr(s, ' ', len) == NULL);
}

/* set_verb - the verb and, for a refusal or a warning, why */
static enum access_verb
set_verb(struct access_action *act, enum access_verb verb, const char *why)
{
	act->verb = verb;
	act->why = why;
	return (verb);
}

/* parse_argument - the verbs that take one argument into the queue file */
static enum access_verb
parse_argument(struct access_action *act, enum access_verb verb,
    const char *arg, size_t len)
{
	bool	 ok;

	switch (verb) {
	case ACCESS_FILTER:
		ok = filter_arg_ok(arg, len);
		break;
	case ACCESS_PREPEND:
		ok = header_ok(arg, len);
		break;
	default:			/* REDIRECT, BCC */
		ok = address_arg_ok(arg, len);
		break;
	}
	if (!ok)
		return (set_verb(act, ACCESS_IGNORED,
		    verb == ACCESS_FILTER ? "FILTER needs transport:destination" :
		    verb == ACCESS_PREPEND ? "PREPEND needs a header name: text" :
		    verb == ACCESS_BCC ? "BCC needs a user@domain target" :
		    "REDIRECT needs a user@domain target"));
	strbuf_append(&act->arg, arg, len);
	return (set_verb(act, verb, NULL));
}

/* all_digits - "an all-numerical result is treated as OK" (access(5)) */
static bool
all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return (false);
	return (len > 0);
}

/*
 * access_action_parse - one table or policy answer (len bytes, need not
 * be NUL-terminated) into act, which is reset first
 */
enum access_verb
access_action_parse(const char *value, size_t len, struct access_action *act)
{
	size_t	 wlen, rlen;
	const char *rest;

	strbuf_reset(&act->text);
	strbuf_reset(&act->arg);
	act->code = 0;
	act->dsn[0] = '\0';
	act->hangup = false;
	act->why = NULL;
	if (len > ACCESS_VALUE_MAX)
		return (set_verb(act, ACCESS_ERROR, "answer too long"));
	if (memchr(value, '\0', len) != NULL)
		return (set_verb(act, ACCESS_ERROR, "NUL byte in answer"));
	while (len > 0 && is_space(*value))
		value++, len--;
	while (len > 0 && is_space(value[len - 1]))
		len--;
	if (len == 0)			/* Postfix's dark-ages meaning, warned */
		return (set_verb(act, ACCESS_OK, "empty answer taken as OK"));
	for (wlen = 0; wlen < len && !is_space(value[wlen]); wlen++)
		;
	for (rest = value + wlen, rlen = len - wlen; rlen > 0 && is_space(*rest);
	    rest++, rlen--)
		;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].word) != wlen ||
		    strncasecmp(value, verbs[i].word, wlen) != 0)
			continue;
		switch (verbs[i].verb) {
		case ACCESS_REJECT:
			set_reply(act, 0, "5.7.1", rest, rlen);
			break;
		case ACCESS_DEFER:
		case ACCESS_DEFER_IF_REJECT:
		case ACCESS_DEFER_IF_PERMIT:
			set_reply(act, 0, "4.7.1", rest, rlen);
			break;
		case ACCESS_FILTER:
		case ACCESS_REDIRECT:
		case ACCESS_BCC:
		case ACCESS_PREPEND:
			return (parse_argument(act, verbs[i].verb, rest, rlen));
		case ACCESS_OK:
		case ACCESS_DUNNO:
			break;		/* trailing text ignored, as Postfix */
		default:		/* HOLD DISCARD WARN INFO: log text */
			strbuf_append(&act->text, rest, rlen);
			break;
		}
		return (set_verb(act, verbs[i].verb, NULL));
	}
	if (all_digits(value, len))
		return (set_verb(act, ACCESS_OK, NULL));
	if (wlen == 3 && all_digits(value, 3) && rlen > 0) {
		if (value[0] != '4' && value[0] != '5')
			return (set_verb(act, ACCESS_ERROR,
			    "reply code is neither 4NN nor 5NN"));
		set_reply(act, (value[0] - '0') * 100 + (value[1] - '0') * 10 +
		    (value[2] - '0'), value[0] == '4' ? "4.7.1" : "5.7.1",
		    rest, rlen);
		act->hangup = act->code == 421 || act->code == 521;
		return (set_verb(act, ACCESS_REJECT, NULL));
	}
	/* tables are opened before the jail: none can be named here */
	if (memchr(value, ':', len) != NULL)
		return (set_verb(act, ACCESS_ERROR, "lookup table in answer: "
		    "define a restriction class and name it instead"));
	if (has_control(value, len))
		return (set_verb(act, ACCESS_ERROR, "control character in "
		    "restriction list"));
	strbuf_append(&act->arg, value, len);
	return (set_verb(act, ACCESS_RESTRICTIONS, NULL));
}
