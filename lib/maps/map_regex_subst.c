/*
 * map_regex_subst - the result text of pcre: and regexp: rules: "$1",
 * "${1}" and "$(1)" stand for what the pattern's group matched, "$$" for
 * a '$'.
 *
 * The text is checked when the table is read (map_regex_subst_check), so
 * that a lookup never meets a bad reference: a '$' followed by anything
 * else, a name that is not a number, or a group the pattern does not
 * have is an error at open time, with the line, as in Postfix.  At lookup
 * time a group that did not take part in the match, or matched nothing,
 * gives the empty string (Postfix does the same).
 */
#include <ctype.h>
#include <string.h>

#include "map_regex_subst.h"
#include "strbuf.h"

#define SUBST_GROUP_MAX	99

/*
 * subst_ref - at "$...", the group number and the text after it; -1 for
 * "$$" (a literal '$'), -2 for a malformed reference
 */
static int
subst_ref(const char *cp, const char **after)
{
	const char *name, *end;
	char close;
	int n = 0;

	cp++;				/* the '$' */
	if (*cp == '$') {
		*after = cp + 1;
		return (-1);
	}
	if (*cp == '{' || *cp == '(') {
		close = *cp == '{' ? '}' : ')';
		name = cp + 1;
		if ((end = strchr(name, close)) == NULL)
			return (-2);
		*after = end + 1;
	} else {
		name = cp;
		for (end = cp; isalnum((unsigned char)*end) || *end == '_'; end++)
			;
		*after = end;
	}
	if (end == name || end - name > 2)
		return (-2);
	for (const char *p = name; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return (-2);
		n = n * 10 + (*p - '0');
	}
	return (n);
}

/* map_regex_subst_check - see map_regex_subst.h */
int
map_regex_subst_check(const char *text, int *max_group)
{
	const char *cp = text, *after;
	int n;

	*max_group = -1;
	while ((cp = strchr(cp, '$')) != NULL) {
		if ((n = subst_ref(cp, &after)) == -2)
			return (-1);
		if (n > *max_group)
			*max_group = n;
		cp = after;
	}
	return (0);
}

/* map_regex_subst_expand - see map_regex_subst.h */
void
map_regex_subst_expand(const char *text, const char *subject,
    const size_t *ovector, int groups, struct strbuf *out)
{
	const char *cp = text, *dollar, *after;
	int n;

	while ((dollar = strchr(cp, '$')) != NULL) {
		strbuf_append(out, cp, (size_t)(dollar - cp));
		n = subst_ref(dollar, &after);
		if (n == -1) {
			strbuf_putc(out, '$');
		} else if (n >= 0 && n < groups &&
		    ovector[2 * n] != MAP_REGEX_UNSET &&
		    ovector[2 * n + 1] > ovector[2 * n]) {
			strbuf_append(out, subject + ovector[2 * n],
			    ovector[2 * n + 1] - ovector[2 * n]);
		}
		cp = after;
	}
	strbuf_puts(out, cp);
}
