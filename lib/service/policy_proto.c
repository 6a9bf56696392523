/*
 * policy_proto - request formatting and reply parsing of the policy
 * delegation protocol (policy_proto.h).
 *
 * The parser is given everything received so far each time and starts
 * over; a reply is at most POLICY_REPLY_MAX bytes, so that costs little
 * and leaves no state between reads to get wrong.
 */
#include <string.h>

#include "address.h"
#include "policy_proto.h"

/* policy_request_attr - one attribute line, its value kept on one line */
void
policy_request_attr(struct strbuf *req, const char *name, const char *value)
{
	const char *p;

	strbuf_puts(req, name);
	strbuf_putc(req, '=');
	for (p = value != NULL ? value : ""; *p != 0; p++)
		strbuf_putc(req, (*p == '\r' || *p == '\n') ? ' ' : *p);
	strbuf_putc(req, '\n');
}

/* policy_request_end - the request's terminator */
void
policy_request_end(struct strbuf *req)
{
	strbuf_putc(req, '\n');
}

/* bad - refuse the reply with a reason, and no action */
static enum policy_reply_status
bad(struct strbuf *action, struct strbuf *why, const char *text)
{
	strbuf_reset(action);
	strbuf_set(why, text);
	return (POLICY_REPLY_BAD);
}

/* policy_reply_parse - see policy_proto.h */
enum policy_reply_status
policy_reply_parse(const char *buf, size_t len, struct strbuf *action,
    size_t *used, struct strbuf *why)
{
	size_t	 pos = 0, line_len, name_len;
	const char *line, *nl, *eq;
	int	 actions = 0;

	strbuf_reset(action);
	while (pos < len) {
		line = buf + pos;
		nl = memchr(line, '\n', len - pos);
		if (memchr(line, 0, nl != NULL ? (size_t)(nl - line) : len - pos))
			return (bad(action, why, "NUL byte in reply"));
		if (nl == NULL)
			break;
		if ((size_t)(nl - buf) + 1 > POLICY_REPLY_MAX)
			return (bad(action, why, "reply longer than 4096 bytes"));
		line_len = (size_t)(nl - line);
		pos += line_len + 1;
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		if (line_len == 0) {
			if (actions == 0)
				return (bad(action, why, "reply without action"));
			*used = pos;
			return (POLICY_REPLY_DONE);
		}
		if ((eq = memchr(line, '=', line_len)) == NULL || eq == line)
			return (bad(action, why, "reply line is no name=value"));
		name_len = (size_t)(eq - line);
		if (name_len != 6 || memcmp(line, "action", 6) != 0)
			continue;
		/* as Postfix: the first action counts, later ones are skipped */
		if (++actions > 1)
			continue;
		if (line_len == name_len + 1)
			return (bad(action, why, "empty action in reply"));
		if (!utf8_valid(eq + 1, line_len - name_len - 1))
			return (bad(action, why, "action is not valid UTF-8"));
		strbuf_append(action, eq + 1, line_len - name_len - 1);
	}
	if (len >= POLICY_REPLY_MAX)
		return (bad(action, why, "reply longer than 4096 bytes"));
	strbuf_reset(action);
	return (POLICY_REPLY_MORE);
}
