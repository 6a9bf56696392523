/*
 * addrlist - the addresses in an RFC 5322 address list.
 *
 * For -t (To:, Cc:, Bcc:) and for command-line recipients, which may be
 * written the same way ("Joe <joe@example.com>, ann").  Comments are
 * dropped, quoted strings kept, a display name gives way to the angle
 * address after it, a group ("team: a, b;") yields its members, and a
 * source route inside the angle brackets is dropped.  The result is
 * syntax-checked later (sluice-drop does it again, authoritatively).
 */
#include <stdbool.h>
#include <string.h>

#include "address.h"
#include "sendmail.h"

struct addr_state {
	struct strbuf	 plain;		/* text outside angle brackets */
	struct strbuf	 angle;		/* text inside them */
	bool		 have_angle;
};

/* finish_item - the address of one list element, if any */
static void
finish_item(struct addr_state *st, struct strlist *out)
{
	struct strbuf *pick = st->have_angle ? &st->angle : &st->plain;
	const char *colon;
	size_t skip = 0, len;

	strbuf_trim(pick);
	/* a NUL byte in header text ends the element: C strings from here */
	len = strlen(pick->data);
	/* <@relay1,@relay2:user@example> */
	if (st->have_angle && len > 0 && pick->data[0] == '@' &&
	    (colon = strchr(pick->data, ':')) != NULL)
		skip = (size_t)(colon - pick->data) + 1;
	if (len > skip)
		strlist_add(out, pick->data + skip);
	strbuf_reset(&st->plain);
	strbuf_reset(&st->angle);
	st->have_angle = false;
}

/* skip_comment - past a (possibly nested) comment starting at text[i] */
static size_t
skip_comment(const char *text, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (text[i] == '\\' && i + 1 < len)
			i++;
		else if (text[i] == '(')
			depth++;
		else if (text[i] == ')' && --depth == 0)
			return (i + 1);
	}
	return (len);
}

/* sm_address_list - split text into addr-specs */
void
sm_address_list(const char *text, size_t len, struct strlist *out)
{
	struct addr_state st = { .have_angle = false };
	bool in_quote = false, in_angle = false;
	struct strbuf *cur;
	size_t i = 0;
	char ch;

	strbuf_init(&st.plain);
	strbuf_init(&st.angle);
	while (i < len) {
		ch = text[i];
		cur = in_angle ? &st.angle : &st.plain;
		if (in_quote) {
			strbuf_putc(cur, ch);
			if (ch == '\\' && i + 1 < len)
				strbuf_putc(cur, text[++i]);
			else if (ch == '"')
				in_quote = false;
			i++;
			continue;
		}
		if (ch == '(') {
			i = skip_comment(text, len, i);
			continue;
		}
		i++;
		if (ch == '"') {
			in_quote = true;
			strbuf_putc(cur, ch);
		} else if (ch == '<' && !in_angle) {
			in_angle = true;
			st.have_angle = true;
			strbuf_reset(&st.angle);
		} else if (ch == '>' && in_angle)
			in_angle = false;
		else if (ch == ':' && !in_angle)
			strbuf_reset(&st.plain);	/* a group's name */
		else if ((ch == ',' || ch == ';') && !in_angle)
			finish_item(&st, out);
		else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			/* white space outside quotes is not part of an address */
		} else
			strbuf_putc(cur, ch);
	}
	finish_item(&st, out);
	strbuf_free(&st.plain);
	strbuf_free(&st.angle);
}

/* sm_address_valid - what sluice-drop will take as a recipient */
bool
sm_address_valid(const char *address)
{
	struct smtp_path path;
	struct strbuf text;
	const char *params, *error;
	bool ok;

	if (address[0] == 0 || strlen(address) > SMTP_ADDRESS_MAX ||
	    strpbrk(address, "<>") != NULL)
		return (false);
	for (const char *p = address; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return (false);
	strbuf_init(&text);
	strbuf_printf(&text, "<%s%s>", address,
	    strchr(address, '@') ? "" : "@localhost");
	smtp_path_init(&path);
	ok = smtp_path_parse(text.data, SMTP_PATH_UTF8, false, &path, &params,
	    &error) == 0 && *params == 0;
	smtp_path_free(&path);
	strbuf_free(&text);
	return (ok);
}
