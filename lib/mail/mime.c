/*
 * mime - the MIME structure parser of mime.h.
 *
 * Two phases per section: collecting its logical headers, then body
 * lines.  The Content-Type header of a section decides what follows its
 * empty line: an attached message's own headers (message/rfc822), or body
 * in which the boundaries it pushed are looked for (multipart/x).  The
 * boundary stack is searched from the innermost out, so a boundary of an
 * enclosing multipart closes everything inside it.  Every buffer is
 * bounded by the limits: the stack by nesting_limit entries of at most
 * boundary_length_limit bytes, the pending header by header_limit.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "mime.h"
#include "strbuf.h"

/* What a section's Content-Type says comes after its header section. */
enum mime_ctype {
	MIME_CTYPE_TEXT,	/* or anything else that is just body */
	MIME_CTYPE_MESSAGE,	/* message/rfc822: headers again */
	MIME_CTYPE_MULTIPART,	/* body parts between boundaries */
};

struct mime_boundary {
	char		*text;
	size_t		 len;
	enum mime_ctype	 part_default;	/* message/rfc822 in a digest */
};

struct mime_state {
	struct mime_limits limits;
	struct mime_ops	 ops;
	void		*ctx;
	bool		 primary_by_caller;
	bool		 structure;	/* not disable_mime_input_processing */
	bool		 in_headers;
	enum mime_section section;
	enum mime_ctype	 ctype;		/* of the current section */
	struct strbuf	 header;	/* the pending logical header */
	size_t		 section_bytes;	/* header bytes of this section */
	bool		 mid_line;	/* the last piece had no LF */
	size_t		 offset;	/* body bytes of this part so far */
	unsigned	 reported;	/* enum mime_error bits */
	struct mime_boundary *stack;	/* innermost last */
	size_t		 depth;
};

#define TSPECIALS	"()<>@,;:\\\"/[]?="

/* report - an error, once per message */
static void
report(struct mime_state *m, enum mime_error err, const char *text, size_t len)
{
	if (m->reported & err)
		return;
	m->reported |= err;
	if (m->ops.error != NULL)
		m->ops.error(m->ctx, err, text, len);
}

/* skip_cfws - white space (folding included) and nested comments */
static const char *
skip_cfws(const char *p, const char *end)
{
	int	 depth = 0;

	for (; p < end; p++) {
		if (depth > 0) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
		} else if (*p == '(')
			depth = 1;
		else if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			break;
	}
	return (p);
}

/* token_end - the end of an RFC 2045 token starting at p */
static const char *
token_end(const char *p, const char *end)
{
	while (p < end && (unsigned char)*p > ' ' && *p != 0x7f &&
	    strchr(TSPECIALS, *p) == NULL)
		p++;
	return (p);
}

/* next_param - past the next ';' outside comments and quoted strings */
static const char *
next_param(const char *p, const char *end)
{
	while ((p = skip_cfws(p, end)) < end) {
		if (*p == ';')
			return (p + 1);
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\' && p + 1 < end)
					p++;
			if (p < end)
				p++;
		} else
			p++;
	}
	return (NULL);
}

/* is_token - [p, q) is the word w, ignoring case */
static bool
is_token(const char *p, const char *q, const char *w)
{
	return ((size_t)(q - p) == strlen(w) && strncasecmp(p, w, strlen(w)) == 0);
}

/* push - a multipart's boundary, unless nesting_limit is reached */
static void
push(struct mime_state *m, const char *text, size_t len,
    enum mime_ctype part_default, const char *hdr, size_t hdr_len)
{
	struct mime_boundary *b;

	if (len == 0)
		return;
	if ((long)m->depth >= m->limits.nesting_limit) {
		report(m, MIME_ERR_NESTING, hdr, hdr_len);
		return;
	}
	if ((long)len > m->limits.boundary_length_limit)
		len = (size_t)m->limits.boundary_length_limit;
	m->stack = xrealloc(m->stack, (m->depth + 1) * sizeof(*m->stack));
	b = &m->stack[m->depth++];
	b->text = xmemdup(text, len);
	b->len = len;
	b->part_default = part_default;
}

/* pop - close the innermost multipart */
static void
pop(struct mime_state *m)
{
	free(m->stack[--m->depth].text);
}

/*
 * param_value - the value at p (token or quoted string) into out, at most
 * max bytes kept; returns where it ends
 */
static const char *
param_value(const char *p, const char *end, struct strbuf *out, size_t max)
{
	const char *q;

	strbuf_reset(out);
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (*p == '\n' || *p == '\r')
				continue;	/* folding inside the quotes */
			if (out->len < max)
				strbuf_putc(out, *p);
		}
		return (p < end ? p + 1 : p);
	}
	q = token_end(p, end);
	strbuf_append(out, p, (size_t)(q - p) < max ? (size_t)(q - p) : max);
	return (q);
}

/*
 * content_type - look at one logical header of the current section: a
 * Content-Type sets the section's type and pushes a multipart's
 * boundaries (each of them, as Postfix does: a sender may not hide parts
 * behind a second boundary parameter)
 */
static void
content_type(struct mime_state *m, const char *hdr, size_t len)
{
	const char *end = hdr + len, *p = hdr, *q, *type, *type_end;
	enum mime_ctype part_default = MIME_CTYPE_TEXT;
	struct strbuf value;

	if (len < 13 || strncasecmp(hdr, "content-type", 12) != 0)
		return;
	p = hdr + 12;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != ':')
		return;
	p = skip_cfws(p + 1, end);
	type = p;
	type_end = p = token_end(p, end);
	p = skip_cfws(p, end);
	if (p == end || *p != '/')
		return;
	p = skip_cfws(p + 1, end);
	q = token_end(p, end);
	m->ctype = MIME_CTYPE_TEXT;
	if (is_token(type, type_end, "message")) {
		if (is_token(p, q, "rfc822"))
			m->ctype = MIME_CTYPE_MESSAGE;
		return;
	}
	if (!is_token(type, type_end, "multipart"))
		return;
	m->ctype = MIME_CTYPE_MULTIPART;
	if (is_token(p, q, "digest"))
		part_default = MIME_CTYPE_MESSAGE;
	strbuf_init(&value);
	for (p = q; p < end; ) {
		/* ; attribute = value */
		if ((p = next_param(p, end)) == NULL)
			break;
		p = skip_cfws(p, end);
		q = token_end(p, end);
		type = p;
		type_end = q;
		p = skip_cfws(q, end);
		if (p == end || *p != '=')
			continue;
		p = param_value(skip_cfws(p + 1, end), end, &value,
		    (size_t)m->limits.boundary_length_limit);
		if (is_token(type, type_end, "boundary"))
			push(m, value.data, value.len, part_default, hdr, len);
	}
	strbuf_free(&value);
}

/* flush_header - hand out the pending logical header */
static void
flush_header(struct mime_state *m)
{
	if (m->header.len == 0)
		return;
	if (m->structure)
		content_type(m, m->header.data, m->header.len);
	m->ops.header(m->ctx, m->section, m->header.data, m->header.len);
	strbuf_reset(&m->header);
}

/* start_section - a header section of kind section begins */
static void
start_section(struct mime_state *m, enum mime_section section,
    enum mime_ctype ctype)
{
	m->in_headers = true;
	m->section = section;
	m->ctype = ctype;
	m->section_bytes = 0;
	m->offset = 0;
	strbuf_reset(&m->header);
}

/* end_section - the header section is over: what comes next */
static void
end_section(struct mime_state *m)
{
	m->in_headers = false;
	m->offset = 0;
	if (m->structure && m->ctype == MIME_CTYPE_MESSAGE)
		start_section(m, MIME_SECTION_NESTED, MIME_CTYPE_TEXT);
}

/* body_out - a body line to the caller */
static void
body_out(struct mime_state *m, const char *text, size_t len)
{
	m->ops.body(m->ctx, text, len, m->offset);
	m->offset += len;
}

/* boundary - a "--..." line: the part or multipart it closes, if any */
static void
boundary(struct mime_state *m, const char *text, size_t len)
{
	size_t	 i;

	for (i = m->depth; i-- > 0; ) {
		const struct mime_boundary *b = &m->stack[i];

		if (len < 2 + b->len || memcmp(text + 2, b->text, b->len) != 0)
			continue;
		while (m->depth > i + 1)
			pop(m);
		if (len >= 4 + b->len && memcmp(text + 2 + b->len, "--", 2) == 0) {
			pop(m);
			m->ctype = MIME_CTYPE_TEXT;	/* the epilogue */
			m->offset = 0;
		} else
			start_section(m, MIME_SECTION_MULTIPART,
			    b->part_default);
		return;
	}
}

/* mime_header_name_len - "name" of "name:" / "name :", 0 if no header */
size_t
mime_header_name_len(const char *line, size_t len)
{
	size_t	i, name_len;
	unsigned char ch;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)line[i];
		if (ch == ':' || ch == ' ' || ch == '\t' || ch < 33 || ch > 126)
			break;
	}
	name_len = i;
	if (name_len == 0)
		return (0);
	/* Obsolete syntax (RFC 5322 4.5): white space before the colon. */
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return (i < len && line[i] == ':' ? name_len : 0);
}

/* add_header_text - text joins the pending header, within header_limit */
static bool
add_header_text(struct mime_state *m, const char *text, size_t len)
{
	if (m->section_bytes + len > (size_t)m->limits.header_limit) {
		report(m, MIME_ERR_TRUNC_HEADER, m->header.data, m->header.len);
		return (false);
	}
	m->section_bytes += len;
	strbuf_append(&m->header, text, len);
	return (true);
}

/*
 * overflow - the section passed header_limit: what was collected goes
 * out as a header, the rest of the part is body
 */
static bool
overflow(struct mime_state *m)
{
	flush_header(m);
	m->in_headers = false;
	m->offset = 0;
	return (false);
}

/* header_line - a line (or piece) while in a header section */
static bool
header_line(struct mime_state *m, const char *text, size_t len, bool cont)
{
	bool	 empty = len == 0 || (len == 1 && text[0] == '\n');

	if (cont || (!empty && (text[0] == ' ' || text[0] == '\t'))) {
		if (m->header.len > 0)
			return (add_header_text(m, text, len) ? true : overflow(m));
	} else if (!empty && mime_header_name_len(text, len) > 0) {
		flush_header(m);
		return (add_header_text(m, text, len) ? true : overflow(m));
	}
	flush_header(m);
	if (empty) {
		body_out(m, text, len);
		end_section(m);
		return (true);
	}
	/* neither header nor continuation: the section ends, this is body */
	m->in_headers = false;
	m->offset = 0;
	return (false);
}

/* mime_line - one line or piece */
void
mime_line(struct mime_state *m, const char *text, size_t len)
{
	bool	 cont = m->mid_line;

	m->mid_line = len == 0 || text[len - 1] != '\n';
	if (m->in_headers && header_line(m, text, len, cont))
		return;
	if (!cont && m->depth > 0 && len > 2 && text[0] == '-' && text[1] == '-') {
		body_out(m, text, len);
		boundary(m, text, len);
		return;
	}
	body_out(m, text, len);
}

/* mime_primary_header - the caller's logical header of the message */
void
mime_primary_header(struct mime_state *m, const char *text, size_t len)
{
	if (m->structure)
		content_type(m, text, len);
}

/* mime_primary_end - after the message's header section */
void
mime_primary_end(struct mime_state *m)
{
	end_section(m);
}

/* mime_end - the last pending header */
void
mime_end(struct mime_state *m)
{
	if (m->in_headers)
		flush_header(m);
}

/* mime_reset - forget the previous message */
void
mime_reset(struct mime_state *m, bool primary_by_caller, bool structure)
{
	while (m->depth > 0)
		pop(m);
	m->primary_by_caller = primary_by_caller;
	m->structure = structure;
	m->reported = 0;
	m->mid_line = false;
	start_section(m, MIME_SECTION_PRIMARY, MIME_CTYPE_TEXT);
	/* the caller's own header section: lines come only after it */
	m->in_headers = !primary_by_caller;
}

/* mime_create - a parser with its limits and callbacks */
struct mime_state *
mime_create(const struct mime_limits *limits, const struct mime_ops *ops,
    void *ctx)
{
	struct mime_state *m = xcalloc(1, sizeof(*m));

	m->limits = *limits;
	if (m->limits.nesting_limit < 0)
		m->limits.nesting_limit = 0;
	if (m->limits.boundary_length_limit < 1)
		m->limits.boundary_length_limit = 1;
	if (m->limits.header_limit < 1)
		m->limits.header_limit = 1;
	m->ops = *ops;
	m->ctx = ctx;
	strbuf_init(&m->header);
	mime_reset(m, false, true);
	return (m);
}

/* mime_free - release everything */
void
mime_free(struct mime_state *m)
{
	if (m == NULL)
		return;
	while (m->depth > 0)
		pop(m);
	free(m->stack);
	strbuf_free(&m->header);
	free(m);
}

/* mime_depth - open multiparts */
size_t
mime_depth(const struct mime_state *m)
{
	return (m->depth);
}
