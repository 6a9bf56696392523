/*
 * fuzz_restriction_list - smtpd's restriction lists and classes
 * (lib/config/restriction_list.c) on hostile main.cf text.
 *
 * The input is parsed as main.cf (a syntax error ends the run), then as
 * restriction lists the way config_load, sluice check and smtpd do.
 * Invariants: a refusal says why, one line per problem, and the syntax
 * check counts exactly those lines; an accepted set has every step a
 * known restriction with its argument when it takes one, or a class
 * that exists and never reaches itself; names and arguments stay within
 * their bounds.  Tables named are not opened (restriction_config_check
 * would: the input could name any file).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "msg.h"
#include "restriction_list.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lines - the number of lines of a problem list */
static int
lines(const struct strbuf *sb)
{
	int n = sb->len > 0;

	for (size_t i = 0; i < sb->len; i++)
		n += sb->data[i] == '\n';
	return (n);
}

/* reaches - does list get to target through classes, within depth */
static int
reaches(const struct restriction_list *list,
    const struct restriction_list *target, int depth)
{
	if (depth > 300)
		return (1);
	for (size_t i = 0; i < list->count; i++) {
		const struct restriction_list *c = list->steps[i].class_list;

		if (c != NULL && (c == target || reaches(c, target, depth + 1)))
			return (1);
	}
	return (0);
}

/* list_ok - every step of list is well formed */
static void
list_ok(const struct restriction_set *set, const struct restriction_list *l)
{
	if (l->param == NULL || l->count > 1000)
		abort();
	for (size_t i = 0; i < l->count; i++) {
		const struct restriction_step *s = &l->steps[i];

		if (s->name == NULL || strlen(s->name) > 1024)
			abort();
		if (s->def == NULL) {
			if (s->class_list == NULL || s->arg != NULL ||
			    restriction_class_find(set, s->name) != s->class_list)
				abort();
			continue;
		}
		if ((s->def->arg == RESTRICTION_ARG_NONE) != (s->arg == NULL))
			abort();
		if (s->arg != NULL && strlen(s->arg) > 1024)
			abort();
		if (s->def != &restriction_implicit_access &&
		    restriction_def_find(s->name) != s->def)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int opened;
	struct restriction_set *set;
	struct strbuf err, check_err;
	struct config *cfg;
	char *text;

	if (!opened) {
		msg_open("fuzz_restriction_list", "/dev/null");
		opened = 1;
	}
	text = xmemdup(data, size);
	cfg = config_new("/etc/fuzz");
	strbuf_init(&err);
	strbuf_init(&check_err);
	if (memchr(data, '\0', size) == NULL &&
	    config_parse_text(cfg, text, "fuzz.cf", &err) == 0) {
		strbuf_reset(&err);
		set = restriction_set_load(cfg, &err);
		if ((set == NULL) != (err.len > 0))
			abort();
		if (restriction_syntax_check(cfg, &check_err) != lines(&err) ||
		    strcmp(check_err.data, err.data) != 0)
			abort();
		if (set != NULL) {
			for (int s = 0; s < RESTRICTION_STAGES; s++)
				list_ok(set, &set->stages[s]);
			for (size_t i = 0; i < set->class_count; i++) {
				list_ok(set, &set->classes[i]);
				if (reaches(&set->classes[i], &set->classes[i], 0))
					abort();
			}
			restriction_set_free(set);
		}
	}
	strbuf_free(&check_err);
	strbuf_free(&err);
	config_free(cfg);
	free(text);
	return (0);
}
