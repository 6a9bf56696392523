/*
 * template - "$name" expansion of reply templates (template.h).
 *
 * A recursive descent over the template: expand_text() copies literal
 * text up to the end (or, inside braces, up to the closing "}") and
 * hands each "$" to expand_ref(), which reads the name and, for the
 * conditional forms, expands or skips the text that follows.  Skipped
 * text is still parsed, so a template is rejected for a syntax error
 * whatever the values of the moment are.
 */
#include <stdbool.h>
#include <string.h>

#include "template.h"

struct expander {
	template_lookup_fn	 lookup;
	void			*ctx;
	struct strbuf		*out;
	struct strbuf		*err;
	size_t			 base;		/* out->len at the start */
};

#define NAME_MAX_LEN	64

static int expand_text(struct expander *x, const char **pp, int close,
	    int depth, bool emit);

/* name_char - letters, digits and "_" make a $name */
static bool
name_char(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_');
}

/* emit - append n bytes, within the output bound; 0 or -1 */
static int
emit(struct expander *x, const char *p, size_t n, bool filter)
{
	size_t i;

	if (x->out->len - x->base + n > TEMPLATE_MAX) {
		strbuf_printf(x->err, "expansion longer than %d bytes",
		    TEMPLATE_MAX);
		return (-1);
	}
	if (!filter) {
		strbuf_append(x->out, p, n);
		return (0);
	}
	for (i = 0; i < n; i++)
		strbuf_putc(x->out, (unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x7f ? p[i] : '_');
	return (0);
}

/* read_name - the name at *pp into name; 0 or -1 */
static int
read_name(struct expander *x, const char **pp, char *name)
{
	size_t n = 0;

	while (name_char((unsigned char)(*pp)[n])) {
		if (n >= NAME_MAX_LEN) {
			strbuf_puts(x->err, "name too long after \"$\"");
			return (-1);
		}
		name[n] = (*pp)[n];
		n++;
	}
	name[n] = '\0';
	if (n == 0) {
		strbuf_puts(x->err, "\"$\" not followed by a name (write $$ for "
		    "a dollar)");
		return (-1);
	}
	*pp += n;
	return (0);
}

/*
 * branch - the text after "?" or ":" inside ${...}: braced "{text}" or
 * bare text up to the closing "}"; emitted when take.  0 or -1.
 */
static int
branch(struct expander *x, const char **pp, int close, int depth, bool take)
{
	if (**pp == '{') {
		(*pp)++;
		if (expand_text(x, pp, '}', depth + 1, take) != 0)
			return (-1);
		(*pp)++;		/* the "}" of the braces */
		return (0);
	}
	return (expand_text(x, pp, close, depth + 1, take));
}

/* expand_ref - one "$..." reference at *pp (after the "$"); 0 or -1 */
static int
expand_ref(struct expander *x, const char **pp, int depth, bool emitting)
{
	char name[NAME_MAX_LEN + 1];
	const char *value;
	int close = 0;
	bool braced;
	char op;

	if (**pp == '$') {
		(*pp)++;
		return (emitting ? emit(x, "$", 1, false) : 0);
	}
	if (**pp == '{')
		close = '}';
	else if (**pp == '(')
		close = ')';
	if (close)
		(*pp)++;
	if (read_name(x, pp, name) != 0)
		return (-1);
	if ((value = x->lookup(name, x->ctx)) == NULL) {
		strbuf_printf(x->err, "unknown name \"$%s\"", name);
		return (-1);
	}
	if (!close)
		return (emitting ? emit(x, value, strlen(value), true) : 0);
	op = **pp;
	if (op == (char)close) {
		(*pp)++;
		return (emitting ? emit(x, value, strlen(value), true) : 0);
	}
	if (close != '}' || (op != '?' && op != ':')) {
		strbuf_printf(x->err, "bad character after \"$%c%s\"",
		    close == '}' ? '{' : '(', name);
		return (-1);
	}
	(*pp)++;
	braced = **pp == '{';
	if (branch(x, pp, close, depth, emitting && ((op == '?') ==
	    (*value != '\0'))) != 0)
		return (-1);
	/* ${name?{text1}:{text2}}: the second branch belongs to ":" */
	if (op == '?' && braced && **pp == ':' && (*pp)[1] == '{') {
		(*pp)++;
		if (branch(x, pp, close, depth, emitting && *value == '\0') != 0)
			return (-1);
	}
	if (**pp != (char)close) {
		strbuf_printf(x->err, "missing \"}\" after \"${%s%c\"", name, op);
		return (-1);
	}
	(*pp)++;
	return (0);
}

/*
 * expand_text - literal text and references up to close ('\0': the end);
 * *pp is left on close.  0 or -1.
 */
static int
expand_text(struct expander *x, const char **pp, int close, int depth,
    bool emitting)
{
	const char *p = *pp, *lit;

	if (depth > TEMPLATE_DEPTH_MAX) {
		strbuf_printf(x->err, "more than %d nested ${name?...}",
		    TEMPLATE_DEPTH_MAX);
		return (-1);
	}
	for (;;) {
		lit = p;
		while (*p != '\0' && *p != '$' && *p != (char)close)
			p++;
		if (emitting && emit(x, lit, (size_t)(p - lit), false) != 0)
			return (-1);
		if (*p == '\0' && close != '\0') {
			strbuf_printf(x->err, "missing \"%c\"", close);
			return (-1);
		}
		if (*p != '$')
			break;
		p++;
		if (expand_ref(x, &p, depth, emitting) != 0)
			return (-1);
	}
	*pp = p;
	return (0);
}

/* template_expand - append the expansion of text to out */
int
template_expand(const char *text, template_lookup_fn lookup, void *ctx,
    struct strbuf *out, struct strbuf *err)
{
	struct expander x = { lookup, ctx, out, err, out->len };
	const char *p = text;

	if (strlen(text) > TEMPLATE_MAX) {
		strbuf_printf(err, "template longer than %d bytes", TEMPLATE_MAX);
		return (-1);
	}
	return (expand_text(&x, &p, '\0', 0, true));
}
