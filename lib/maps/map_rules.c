/*
 * map_rules - the rule syntax that cidr: and pcre:/regexp: tables share
 * with Postfix's: "if PATTERN" ... "endif" blocks (any case, nested up
 * to MAP_NEST_MAX deep) and '!' before a pattern.  The types parse their
 * patterns themselves; this keeps the block structure and the keywords
 * in one place, so both report the same errors the same way.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "map_impl.h"
#include "strbuf.h"

/* map_rule_keyword - see map_impl.h */
const char *
map_rule_keyword(const char *line, const char *word)
{
	size_t n = strlen(word);

	if (strncasecmp(line, word, n) != 0 ||
	    (line[n] != 0 && !isspace((unsigned char)line[n])))
		return (NULL);
	return (line + n + strspn(line + n, " \t"));
}

/* map_rule_negation - see map_impl.h */
bool
map_rule_negation(const char **cp)
{
	bool negate = false;

	for (; **cp == '!' || isspace((unsigned char)**cp); (*cp)++)
		if (**cp == '!')
			negate = !negate;
	return (negate);
}

/* map_nest_push - see map_impl.h */
int
map_nest_push(struct map_nest *nest, size_t rule, int lineno)
{
	if (nest->depth == MAP_NEST_MAX)
		return (-1);
	nest->rule[nest->depth] = rule;
	nest->line[nest->depth++] = lineno;
	return (0);
}

/* map_nest_pop - see map_impl.h */
long
map_nest_pop(struct map_nest *nest)
{
	return (nest->depth == 0 ? -1 : (long)nest->rule[--nest->depth]);
}

/* map_nest_check - see map_impl.h */
int
map_nest_check(const struct map_nest *nest, const char *path,
    struct strbuf *err)
{
	if (nest->depth == 0)
		return (0);
	strbuf_printf(err, "%s:%d: if without endif", path,
	    nest->line[nest->depth - 1]);
	return (-1);
}
