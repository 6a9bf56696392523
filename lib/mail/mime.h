/*
 * mime - the MIME structure of a message, one line at a time.
 *
 * A streaming parser for what header and body checks need to know: which
 * lines are headers of which section (the message's own, a multipart
 * body part's, or a message/rfc822 attachment's), as whole logical
 * headers, and which are body lines, with their offset in their part.
 * It follows RFC 2045/2046 as Postfix's MIME processor reads them:
 * Content-Type (multipart/x with its boundary, multipart/digest whose
 * parts default to message/rfc822, message/rfc822) decides what comes
 * after each header section; a "--boundary" line of any enclosing
 * multipart closes the parts inside it (a sender that forgets one
 * cannot hide the rest of the message); "--boundary--" ends it.  The
 * parser writes nothing: the caller outputs each header and line it is
 * handed (or what its checks make of them).
 *
 * Hostile input is bounded: at most nesting_limit multiparts are open
 * (more is MIME_ERR_NESTING and their boundaries are not looked for), a
 * boundary is remembered up to boundary_length_limit bytes (as Postfix
 * does, a longer one still matches on that prefix), a part's header
 * section holds at most header_limit bytes (then MIME_ERR_TRUNC_HEADER and
 * the rest of the part is body), and a line arrives in pieces of at most
 * what the caller chose (a piece that does not end in LF continues the
 * line: it is never a header start or a boundary).
 */
#ifndef SLUICE_MIME_H
#define SLUICE_MIME_H

#include <stdbool.h>
#include <stddef.h>

/* Which header section a logical header belongs to. */
enum mime_section {
	MIME_SECTION_PRIMARY,	/* the message's own headers */
	MIME_SECTION_MULTIPART,	/* a body part's (mime_header_checks) */
	MIME_SECTION_NESTED,	/* an attached message's (nested_header_checks) */
};

/* Errors, reported once each per message. */
enum mime_error {
	MIME_ERR_NESTING = 1,		/* more than nesting_limit multiparts */
	MIME_ERR_TRUNC_HEADER = 2,	/* a header section over header_limit */
};

struct mime_limits {
	long	 nesting_limit;		/* mime_nesting_limit */
	long	 boundary_length_limit;	/* mime_boundary_length_limit */
	long	 header_limit;		/* header_size_limit */
};

struct mime_ops {
	/*
	 * header - one logical header of a section: its lines as they came,
	 * each ending in LF (the last one may not, at the end of input)
	 */
	void	(*header)(void *ctx, enum mime_section section,
		    const char *text, size_t len);
	/*
	 * body - a line (or a piece of a long one) that is not a header:
	 * body text, boundary lines, the empty line after a header section.
	 * offset: the bytes of this part's body before it.
	 */
	void	(*body)(void *ctx, const char *text, size_t len, size_t offset);
	/* error - first occurrence of err; text: the line or header at fault */
	void	(*error)(void *ctx, enum mime_error err, const char *text,
		    size_t len);
};

struct mime_state;

struct mime_state *mime_create(const struct mime_limits *limits,
	    const struct mime_ops *ops, void *ctx);
void	mime_free(struct mime_state *m);
/*
 * mime_reset - a new message.  primary_by_caller: the caller collects the
 * message's own headers itself and tells them with mime_primary_header
 * and mime_primary_end; else mime_line parses them too.  structure: false
 * (disable_mime_input_processing) makes everything after the primary
 * headers plain body.
 */
void	mime_reset(struct mime_state *m, bool primary_by_caller, bool structure);
/* mime_primary_header - a logical header of the message's own section */
void	mime_primary_header(struct mime_state *m, const char *text, size_t len);
/* mime_primary_end - the message's header section ended */
void	mime_primary_end(struct mime_state *m);
/*
 * mime_line - the next line, LF included, or a piece of one (no LF: the
 * next call continues it)
 */
void	mime_line(struct mime_state *m, const char *text, size_t len);
/* mime_end - the input ended: a pending header is handed out */
void	mime_end(struct mime_state *m);
/*
 * mime_header_name_len - the length of "name" when line starts a header
 * ("name:" or the obsolete "name :"), else 0
 */
size_t	mime_header_name_len(const char *line, size_t len);
/* mime_depth - multiparts open now (for tests) */
size_t	mime_depth(const struct mime_state *m);

#endif
