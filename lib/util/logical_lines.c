/*
 * logical_lines - comments, blank lines and continuation lines, once for
 * every configuration-style file; see logical_lines.h.
 */
#include <ctype.h>
#include <string.h>

#include "logical_lines.h"

/* logical_lines - split text and hand each logical line to fn */
int
logical_lines(const char *text, const char *origin, const char *what,
    size_t max, int (*fn)(struct strbuf *line, int lineno, void *ctx),
    void *ctx, struct strbuf *err)
{
	struct strbuf line;
	const char *p = text, *end, *q;
	int	 lineno = 0, start = 0, ret = 0;
	size_t	 len;

	strbuf_init(&line);
	while (*p != '\0' && ret == 0) {
		end = strchr(p, '\n');
		len = end ? (size_t)(end - p) : strlen(p);
		lineno++;
		for (q = p; q < p + len && isspace((unsigned char)*q); q++)
			;
		if (q == p + len || *q == '#') {
			/* blank and comment lines are skipped, as in Postfix */
		} else if (q != p) {
			if (start == 0) {
				strbuf_printf(err, "%s:%d: continuation "
				    "line without a preceding %s", origin,
				    lineno, what);
				ret = -1;
				break;
			}
			strbuf_putc(&line, ' ');
			strbuf_append(&line, q, (size_t)(p + len - q));
		} else {
			if (start > 0)
				ret = fn(&line, start, ctx);
			strbuf_reset(&line);
			start = lineno;
			strbuf_append(&line, p, len);
		}
		if (ret == 0 && line.len > max) {
			strbuf_printf(err, "%s:%d: logical line longer "
			    "than %zu bytes", origin, start, max);
			ret = -1;
		}
		p = end ? end + 1 : p + len;
	}
	if (ret == 0 && start > 0)
		ret = fn(&line, start, ctx);
	strbuf_free(&line);
	return (ret);
}
