/*
 * map_regex_subst - "$1" substitution in the results of pcre: and
 * regexp: tables (see map_regex_subst.c).
 */
#ifndef SLUICE_MAP_REGEX_SUBST_H
#define SLUICE_MAP_REGEX_SUBST_H

#include <stddef.h>

#include "strbuf.h"

#define MAP_REGEX_UNSET	(~(size_t)0)	/* PCRE2_UNSET: a group not taken */

/*
 * map_regex_subst_check - text is well formed; *max_group is the highest
 * group it names (-1: none, the text is used as it is, "$$" included).
 * 0, or -1 for a malformed reference.
 */
int	map_regex_subst_check(const char *text, int *max_group);

/*
 * map_regex_subst_expand - append text to out with each reference
 * replaced by the bytes of subject that group matched (ovector as PCRE2
 * fills it, groups pairs); unset or empty groups give nothing
 */
void	map_regex_subst_expand(const char *text, const char *subject,
	    const size_t *ovector, int groups, struct strbuf *out);

#endif
