/*
 * config_edit - change parameters in main.cf text while keeping everything
 * else (comments, blank lines, order, other definitions) as written.
 *
 * Used by sluice-conf -e/-X; reusable by anything that writes main.cf.
 * A definition is a line starting with "name" (then '=') plus its
 * continuation lines (lines starting with white space, possibly after
 * comment or blank lines, as config.c reads them).  Setting a parameter
 * replaces its first definition in place and drops any later ones (the
 * later one would win); a parameter that is not defined yet is appended.
 * Removing drops every definition.  Comments are never touched.
 */
#ifndef SLUICE_CONFIG_EDIT_H
#define SLUICE_CONFIG_EDIT_H

#include <stddef.h>

#include "strbuf.h"

#define CONFIG_EDIT_FILE_MAX	(4 * 1024 * 1024)	/* as config.c reads */

struct config_edit {
	const char	*name;		/* [A-Za-z0-9_]+ */
	const char	*value;		/* NULL: remove the parameter */
};

/*
 * config_edit_parse - split "name=value" (spaces around '=' allowed) into
 * name and value (both trimmed).  0, or -1 with err filled for a bad name,
 * a missing '=' or a value with a line break or NUL.
 */
int	config_edit_parse(const char *arg, struct strbuf *name,
	    struct strbuf *value, struct strbuf *err);

/*
 * config_edit_text - apply edits (in order; for the same name the last
 * one counts) to text, result in out.  0, or -1 with err filled (bad name
 * or value in an edit).
 */
int	config_edit_text(const char *text, size_t len,
	    const struct config_edit *edits, size_t count, struct strbuf *out,
	    struct strbuf *err);

/*
 * config_edit_file - the same on a file, replaced atomically: the new
 * text goes to a temporary file created with O_EXCL in the same
 * directory (same mode and, as root, owner as the old file), is
 * fsync()ed and renamed over path; the directory is fsync()ed.  A missing
 * file counts as empty.  A symbolic link is followed: its target is
 * replaced.  0, or -1 with err filled (the old file is then unchanged).
 */
int	config_edit_file(const char *path, const struct config_edit *edits,
	    size_t count, struct strbuf *err);

#endif
