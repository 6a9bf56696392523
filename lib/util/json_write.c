/*
 * json_write - JSON string and number output; see json_write.h.
 *
 * The UTF-8 check follows the table of well-formed byte sequences in the
 * Unicode standard (chapter 3, table 3-7), so overlong encodings and
 * encoded surrogates never reach a JSON consumer.
 */
#include <stdio.h>

#include "json_write.h"

/* json_utf8_sequence - length of the well-formed sequence at p, or 0 */
size_t
json_utf8_sequence(const unsigned char *p, size_t len)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (len == 0)
		return (0);
	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		need = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		need = 3;
		if (p[0] == 0xE0)
			lo = 0xA0;		/* no overlong forms */
		else if (p[0] == 0xED)
			hi = 0x9F;		/* no surrogates */
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		need = 4;
		if (p[0] == 0xF0)
			lo = 0x90;
		else if (p[0] == 0xF4)
			hi = 0x8F;		/* nothing past U+10FFFF */
	} else
		return (0);
	if (len < need)
		return (0);
	if (p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < need; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return (0);
	return (need);
}

/* json_write_string - quoted, escaped, always valid UTF-8 */
void
json_write_string(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	char esc[8];

	strbuf_putc(sb, '"');
	while (i < len) {
		switch (p[i]) {
		case '"':
			strbuf_puts(sb, "\\\"");
			i++;
			continue;
		case '\\':
			strbuf_puts(sb, "\\\\");
			i++;
			continue;
		case '\n':
			strbuf_puts(sb, "\\n");
			i++;
			continue;
		case '\r':
			strbuf_puts(sb, "\\r");
			i++;
			continue;
		case '\t':
			strbuf_puts(sb, "\\t");
			i++;
			continue;
		default:
			break;
		}
		if (p[i] < 0x20 || p[i] == 0x7F) {
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			strbuf_puts(sb, esc);
			i++;
			continue;
		}
		if ((n = json_utf8_sequence(p + i, len - i)) == 0) {
			strbuf_puts(sb, "\\ufffd");
			i++;
			continue;
		}
		if (n == 3 && p[i] == 0xE2 && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
			strbuf_puts(sb, p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
			i += 3;
			continue;
		}
		strbuf_append(sb, p + i, n);
		i += n;
	}
	strbuf_putc(sb, '"');
}

/* json_write_member - "name": with the spacing postqueue -j uses */
void
json_write_member(struct strbuf *sb, const char *name)
{
	strbuf_putc(sb, '"');
	strbuf_puts(sb, name);
	strbuf_puts(sb, "\": ");
}

/* json_write_long - a JSON number */
void
json_write_long(struct strbuf *sb, long value)
{
	strbuf_printf(sb, "%ld", value);
}

/* json_write_bool - a JSON literal */
void
json_write_bool(struct strbuf *sb, bool value)
{
	strbuf_puts(sb, value ? "true" : "false");
}
