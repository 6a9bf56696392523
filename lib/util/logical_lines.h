/*
 * logical_lines - the line structure shared by main.cf, master.cf and
 * the table sources: '#' comment lines and blank lines are skipped, a line
 * starting with white space continues the previous one (joined with one
 * space), and a logical line longer than a limit is an error.
 */
#ifndef SLUICE_LOGICAL_LINES_H
#define SLUICE_LOGICAL_LINES_H

#include <stddef.h>

#include "strbuf.h"

/*
 * logical_lines - call fn for each logical line of text with the number
 * of its first physical line; fn may modify line and returns 0 or -1 (with
 * err filled).  what names the thing a continuation line must follow
 * ("parameter", "service") in the error "ORIGIN:N: continuation
 * line without a preceding WHAT".  Returns 0 or -1.
 */
int	logical_lines(const char *text, const char *origin, const char *what,
	    size_t max, int (*fn)(struct strbuf *line, int lineno, void *ctx),
	    void *ctx, struct strbuf *err);

#endif
