/*
 * map_regex - "pcre:/path" (pcre_table(5)) and "regexp:/path"
 * (regexp_table(5)), both on PCRE2.
 *
 *	/pattern/flags		result	(first matching rule answers)
 *	!/pattern/flags		result	(the key does not match)
 *	/pat1/!/pat2/		result	(regexp: only: pat1 and not pat2)
 *	if /pattern/flags	... rules ... endif	(if !/pattern/ too)
 *
 * Any character may delimit a pattern; a backslash keeps the next one
 * in the pattern.  Flags toggle, as in Postfix: pcre: is caseless and
 * dot-all by default, and knows i, m, s, x, A (anchored), E (dollar at
 * the very end only), U (ungreedy); X is obsolete and ignored with a
 * warning.  regexp: is caseless and extended by default and knows i, m
 * (newline-sensitive: ^ and $ at line ends, '.' stops at newlines) and x
 * (basic regular expressions, translated here).  regexp: patterns are
 * run by PCRE2, so they get PCRE's leftmost-first alternation and its
 * backslash escapes inside brackets, not POSIX's.
 *
 * A table that Postfix would load with warnings and skipped rules is an
 * error here, with its file and line (an unknown flag, a pattern that
 * does not compile, a bad $ reference, an unbalanced if/endif, a missing
 * result), because a rule silently skipped changes what mail does.  The
 * key is matched as the caller wrote it (no case folding) and whole (no
 * partial keys).  Each match is bounded (match, depth and heap limits),
 * so a hostile key cannot hold a daemon: a key that reaches a limit gets
 * MAP_TEMPFAIL (a 4xx), never a silent miss.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "logical_lines.h"
#include "map_impl.h"
#include "map_regex_subst.h"
#include "mem.h"
#include "msg.h"
#include "strbuf.h"

#define REGEX_MATCH_LIMIT	100000		/* backtracking steps: ~3 ms at worst */
#define REGEX_DEPTH_LIMIT	1000		/* nested backtracking */
#define REGEX_HEAP_LIMIT	8192		/* KiB of backtracking memory */

enum regex_kind {
	REGEX_PCRE,
	REGEX_REGEXP,
};

enum regex_op {
	REGEX_MATCH,
	REGEX_IF,
	REGEX_ENDIF,
};

struct regex_rule {
	enum regex_op	 op;
	int		 lineno;
	pcre2_code	*re;
	bool		 negate;
	pcre2_code	*re_not;	/* regexp: /pat1/!/pat2/ */
	char		*result;
	size_t		 skip;		/* REGEX_IF: the index of its endif */
};

struct regex_table {
	enum regex_kind		 kind;
	struct regex_rule	*rules;
	size_t			 count;
	size_t			 cap;
	pcre2_match_data	*md;
	pcre2_match_data	*md_not;	/* for re_not */
	int			 matched;	/* pairs md holds */
	pcre2_match_context	*mctx;
	char			*path;
	/* while parsing */
	struct strbuf		*err;
	struct map_nest		 nest;
};

struct regex_pattern {
	bool		 negate;
	uint32_t	 options;
	struct strbuf	 text;
};

/* regex_fail - "PATH:N: why"; -1 */
static int
regex_fail(struct regex_table *t, int lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
regex_fail(struct regex_table *t, int lineno, const char *fmt, ...)
{
	va_list ap;

	strbuf_printf(t->err, "%s:%d: ", t->path, lineno);
	va_start(ap, fmt);
	strbuf_vprintf(t->err, fmt, ap);
	va_end(ap);
	return (-1);
}

/*
 * bre_to_pcre - a POSIX basic regular expression in PCRE syntax: \( \)
 * \{ \} \| \+ \? are the operators, the bare characters are literals
 */
static void
bre_to_pcre(const char *bre, struct strbuf *out)
{
	bool bracket = false;

	for (const char *cp = bre; *cp; cp++) {
		if (bracket) {
			strbuf_putc(out, *cp);
			if (*cp == ']')
				bracket = false;
			continue;
		}
		if (*cp == '[') {
			strbuf_putc(out, *cp);
			bracket = true;
			/* "[]" and "[^]" keep the ']' as a member */
			if (cp[1] == '^')
				strbuf_putc(out, *++cp);
			if (cp[1] == ']')
				strbuf_putc(out, *++cp);
		} else if (*cp == '\\' && cp[1] != 0 && strchr("(){}|+?", cp[1])) {
			strbuf_putc(out, *++cp);
		} else if (*cp == '\\' && cp[1] != 0) {
			strbuf_putc(out, *cp);
			strbuf_putc(out, *++cp);
		} else if (strchr("(){}|+?", *cp)) {
			strbuf_putc(out, '\\');
			strbuf_putc(out, *cp);
		} else {
			strbuf_putc(out, *cp);
		}
	}
}

/* regex_flags - the flag letters after a pattern, toggling the defaults */
static int
regex_flags(struct regex_table *t, int lineno, const char **cpp,
    struct regex_pattern *p, bool *basic)
{
	const char *cp = *cpp;

	*basic = false;
	p->options = PCRE2_CASELESS | PCRE2_DOTALL;
	for (; *cp && !isspace((unsigned char)*cp) && *cp != '!'; cp++) {
		if (*cp == 'i')
			p->options ^= PCRE2_CASELESS;
		else if (*cp == 'm' && t->kind == REGEX_REGEXP)
			p->options ^= PCRE2_MULTILINE | PCRE2_DOTALL;
		else if (*cp == 'x' && t->kind == REGEX_REGEXP)
			*basic = !*basic;
		else if (t->kind == REGEX_REGEXP)
			return (regex_fail(t, lineno, "unknown regexp flag "
			    "\"%c\"", *cp));
		else if (*cp == 'm')
			p->options ^= PCRE2_MULTILINE;
		else if (*cp == 's')
			p->options ^= PCRE2_DOTALL;
		else if (*cp == 'x')
			p->options ^= PCRE2_EXTENDED;
		else if (*cp == 'A')
			p->options ^= PCRE2_ANCHORED;
		else if (*cp == 'E')
			p->options ^= PCRE2_DOLLAR_ENDONLY;
		else if (*cp == 'U')
			p->options ^= PCRE2_UNGREEDY;
		else if (*cp == 'X')
			msg_warn("%s:%d: ignoring obsolete pcre flag \"X\"",
			    t->path, lineno);
		else
			return (regex_fail(t, lineno, "unknown pcre flag \"%c\"",
			    *cp));
	}
	*cpp = cp;
	return (0);
}

/* regex_pattern - "[!]DELIM pattern DELIM flags" at *cpp into p */
static int
regex_pattern(struct regex_table *t, int lineno, const char **cpp,
    struct regex_pattern *p)
{
	const char *cp = *cpp, *start;
	char delim;
	bool basic;

	p->negate = map_rule_negation(&cp);
	if (*cp == 0)
		return (regex_fail(t, lineno, "no pattern"));
	delim = *cp++;
	for (start = cp; *cp && *cp != delim; cp++)
		if (*cp == '\\' && cp[1] != 0)
			cp++;
	if (*cp == 0)
		return (regex_fail(t, lineno, "no closing pattern delimiter "
		    "\"%c\"", delim));
	strbuf_reset(&p->text);
	strbuf_append(&p->text, start, (size_t)(cp - start));
	cp++;
	if (regex_flags(t, lineno, &cp, p, &basic) != 0)
		return (-1);
	if (basic) {
		struct strbuf bre;

		strbuf_init(&bre);
		strbuf_append(&bre, p->text.data, p->text.len);
		strbuf_reset(&p->text);
		bre_to_pcre(bre.data, &p->text);
		strbuf_free(&bre);
	}
	*cpp = cp;
	return (0);
}

/* regex_compile - the compiled pattern, or NULL with the error at lineno */
static pcre2_code *
regex_compile(struct regex_table *t, int lineno, const struct regex_pattern *p)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	pcre2_code *re;
	int code;

	re = pcre2_compile((PCRE2_SPTR)p->text.data, p->text.len, p->options,
	    &code, &offset, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			strcpy((char *)msg, "unknown error");
		regex_fail(t, lineno, "bad pattern \"%.100s\": %s at offset %zu",
		    p->text.data, (char *)msg, (size_t)offset);
	}
	return (re);
}

/* regex_add - a new zeroed rule at the end of the table */
static struct regex_rule *
regex_add(struct regex_table *t, enum regex_op op, int lineno)
{
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->rules = xrealloc(t->rules, t->cap * sizeof(*t->rules));
	}
	memset(&t->rules[t->count], 0, sizeof(t->rules[0]));
	t->rules[t->count].op = op;
	t->rules[t->count].lineno = lineno;
	return (&t->rules[t->count++]);
}

/* regex_block - "if PATTERN" and "endif" */
static int
regex_block(struct regex_table *t, int lineno, const char *cp, bool is_if,
    struct regex_pattern *p)
{
	struct regex_rule *r;
	pcre2_code *re;
	long open;

	if (!is_if) {
		if (*cp != 0)
			return (regex_fail(t, lineno, "text after endif"));
		if ((open = map_nest_pop(&t->nest)) < 0)
			return (regex_fail(t, lineno, "endif without if"));
		regex_add(t, REGEX_ENDIF, lineno);
		t->rules[open].skip = t->count - 1;
		return (0);
	}
	if (regex_pattern(t, lineno, &cp, p) != 0)
		return (-1);
	if (cp[strspn(cp, " \t")] != 0)
		return (regex_fail(t, lineno, "text after the if pattern "
		    "(rules inside if/endif must not be indented)"));
	if ((re = regex_compile(t, lineno, p)) == NULL)
		return (-1);
	r = regex_add(t, REGEX_IF, lineno);
	r->re = re;
	r->negate = p->negate;
	if (map_nest_push(&t->nest, t->count - 1, lineno) != 0)
		return (regex_fail(t, lineno, "if nested too deep"));
	return (0);
}

/* regex_rule - "PATTERN result" */
static int
regex_rule(struct regex_table *t, int lineno, const char *cp,
    struct regex_pattern *p)
{
	struct regex_rule *r;
	uint32_t groups;
	int max_group;

	if (regex_pattern(t, lineno, &cp, p) != 0)
		return (-1);
	r = regex_add(t, REGEX_MATCH, lineno);
	r->negate = p->negate;
	if ((r->re = regex_compile(t, lineno, p)) == NULL)
		return (-1);
	if (*cp == '!' && t->kind == REGEX_REGEXP) {
		if (regex_pattern(t, lineno, &cp, p) != 0)
			return (-1);
		if (!p->negate)
			return (regex_fail(t, lineno, "/pattern1/!/pattern2/: "
			    "the second pattern must be negated once"));
		if ((r->re_not = regex_compile(t, lineno, p)) == NULL)
			return (-1);
	}
	if (*cp != 0 && !isspace((unsigned char)*cp))
		return (regex_fail(t, lineno, "text after the pattern flags"));
	cp += strspn(cp, " \t");
	if (*cp == 0)
		return (regex_fail(t, lineno, "no result after the pattern"));
	if (map_regex_subst_check(cp, &max_group) != 0)
		return (regex_fail(t, lineno, "bad $ substitution in \"%.100s\" "
		    "(use $1..$99, ${1} or $$)", cp));
	if (max_group >= 0 && r->negate)
		return (regex_fail(t, lineno, "$%d in the result of a negated "
		    "pattern", max_group));
	(void)pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &groups);
	if (max_group > (int)groups)
		return (regex_fail(t, lineno, "$%d but the pattern has %u "
		    "group%s", max_group, groups, groups == 1 ? "" : "s"));
	r->result = xstrdup(cp);
	return (0);
}

/* regex_line - one logical line (a logical_lines callback) */
static int
regex_line(struct strbuf *line, int lineno, void *ctx)
{
	struct regex_table *t = ctx;
	struct regex_pattern p;
	const char *cp;
	int rc;

	strbuf_trim(line);
	strbuf_init(&p.text);
	if ((cp = map_rule_keyword(line->data, "if")) != NULL)
		rc = regex_block(t, lineno, cp, true, &p);
	else if ((cp = map_rule_keyword(line->data, "endif")) != NULL)
		rc = regex_block(t, lineno, cp, false, &p);
	else
		rc = regex_rule(t, lineno, line->data, &p);
	strbuf_free(&p.text);
	return (rc);
}

/* regex_free - rules, patterns and match state */
static void
regex_free(void *state)
{
	struct regex_table *t = state;

	for (size_t i = 0; i < t->count; i++) {
		pcre2_code_free(t->rules[i].re);
		pcre2_code_free(t->rules[i].re_not);
		free(t->rules[i].result);
	}
	free(t->rules);
	pcre2_match_data_free(t->md);
	pcre2_match_data_free(t->md_not);
	pcre2_match_context_free(t->mctx);
	free(t->path);
	free(t);
}

/* regex_parse - every rule of text */
static void *
regex_parse(enum regex_kind kind, const char *text, const char *path,
    struct strbuf *err)
{
	struct regex_table *t = xcalloc(1, sizeof(*t));
	uint32_t groups, most = 0;

	t->kind = kind;
	t->path = xstrdup(path);
	t->err = err;
	if (logical_lines(text, path, "rule", MAP_TEXT_LINE_MAX, regex_line, t,
	    err) != 0) {
		regex_free(t);
		return (NULL);
	}
	if (map_nest_check(&t->nest, path, err) != 0) {
		regex_free(t);
		return (NULL);
	}
	t->err = NULL;
	for (size_t i = 0; i < t->count; i++) {
		if (t->rules[i].re != NULL &&
		    pcre2_pattern_info(t->rules[i].re, PCRE2_INFO_CAPTURECOUNT,
		    &groups) == 0 && groups > most)
			most = groups;
	}
	t->md = pcre2_match_data_create(most + 1, NULL);
	t->md_not = pcre2_match_data_create(1, NULL);
	t->mctx = pcre2_match_context_create(NULL);
	if (t->md == NULL || t->md_not == NULL || t->mctx == NULL)
		msg_fatal("%s: out of memory for PCRE2 match data", path);
	pcre2_set_match_limit(t->mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(t->mctx, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(t->mctx, REGEX_HEAP_LIMIT);
	return (t);
}

/*
 * regex_try - 1 re matches key, 0 it does not, -1 it could not tell; a
 * match leaves in t->matched how many ovector pairs of md it set
 */
static int
regex_try(struct regex_table *t, const struct regex_rule *r, pcre2_code *re,
    pcre2_match_data *md, const char *key, size_t key_len)
{
	PCRE2_UCHAR msg[128];
	int rc;

	rc = pcre2_match(re, (PCRE2_SPTR)key, key_len, 0, 0, md, t->mctx);
	if (rc >= 0) {
		/* 0: more groups than md holds (md_not has room for none) */
		t->matched = rc > 0 ? rc : (int)pcre2_get_ovector_count(md);
		return (1);
	}
	if (rc == PCRE2_ERROR_NOMATCH)
		return (0);
	if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
		strcpy((char *)msg, "unknown error");
	msg_warn("%s:%d: matching a key of %zu bytes: %s", t->path,
	    r->lineno, key_len, (char *)msg);
	return (-1);
}

/* regex_lookup - first matching rule; an if that fails skips its block */
static int
regex_lookup(void *state, const char *key, size_t key_len, struct strbuf *value)
{
	struct regex_table *t = state;
	int hit, groups;

	for (size_t i = 0; i < t->count; i++) {
		const struct regex_rule *r = &t->rules[i];

		if (r->op == REGEX_ENDIF)
			continue;
		if ((hit = regex_try(t, r, r->re, t->md, key, key_len)) < 0)
			return (MAP_TEMPFAIL);
		if (hit == r->negate) {
			if (r->op == REGEX_IF)
				i = r->skip;
			continue;
		}
		if (r->op == REGEX_IF)
			continue;
		groups = t->matched;
		if (r->re_not != NULL) {
			/* md_not: the first pattern's groups feed the result */
			if ((hit = regex_try(t, r, r->re_not, t->md_not, key,
			    key_len)) < 0)
				return (MAP_TEMPFAIL);
			if (hit)
				continue;
		}
		map_regex_subst_expand(r->result, key,
		    pcre2_get_ovector_pointer(t->md), r->negate ? 0 : groups,
		    value);
		return (MAP_FOUND);
	}
	return (MAP_NOTFOUND);
}

/* pcre_parse, regexp_parse - the two flavours */
static void *
pcre_parse(const char *text, const char *path, struct strbuf *err)
{
	return (regex_parse(REGEX_PCRE, text, path, err));
}

static void *
regexp_parse(const char *text, const char *path, struct strbuf *err)
{
	return (regex_parse(REGEX_REGEXP, text, path, err));
}

const struct map_text_type map_pcre_type = {
	"pcre", MAP_OPS_PATTERN, pcre_parse, regex_lookup, regex_free,
};

const struct map_text_type map_regexp_type = {
	"regexp", MAP_OPS_PATTERN, regexp_parse, regex_lookup, regex_free,
};

/* map_pcre_open, map_regexp_open - read path */
int
map_pcre_open(struct map *map, const char *name, struct strbuf *err)
{
	return (map_text_open(map, name, &map_pcre_type, err));
}

int
map_regexp_open(struct map *map, const char *name, struct strbuf *err)
{
	return (map_text_open(map, name, &map_regexp_type, err));
}
