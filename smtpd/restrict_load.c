/*
 * restrict_load - the restriction lists of a configuration, ready to run
 * (restrict.h).
 *
 * The words come from lib/config/restriction_list.c (the parser sluice
 * check uses too); each gets its handler from restrict_table.c and the
 * handler's prepare() opens what the argument names while smtpd still
 * runs as root outside the chroot (settings.c calls this in pre_jail).
 * The engine's own parameters are read by the smtpd_params table into
 * struct restrict_rules; only the *_tempfail_action words are turned
 * into flags here.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "msg.h"
#include "restrict.h"
#include "smtpd.h"

/* build_list - steps for the words of one list */
static int
build_list(struct restrict_rules *r, struct restrict_list *out,
    const struct restriction_list *words, struct smtpd_config *sc,
    struct strbuf *err)
{
	const struct restriction_step *w;
	struct restrict_step *step;
	struct strbuf why;
	int rc = 0;

	out->param = words->param;
	out->count = words->count;
	out->steps = xcalloc(words->count ? words->count : 1,
	    sizeof(*out->steps));
	strbuf_init(&why);
	for (size_t i = 0; i < words->count; i++) {
		w = &words->steps[i];
		step = &out->steps[i];
		step->word = w;
		if (w->def == NULL) {
			step->class_list = restrict_class_find(r, w->name);
			if (step->class_list == NULL)
				msg_panic("restriction class %s lost", w->name);
			continue;
		}
		if ((step->handler = restrict_handler_find(w->def->name)) == NULL)
			msg_panic("restriction %s has no handler", w->def->name);
		strbuf_reset(&why);
		if (step->handler->prepare != NULL &&
		    step->handler->prepare(step, sc, &why) != 0) {
			if (err->len > 0)
				strbuf_putc(err, '\n');
			strbuf_printf(err, "parameter %s: %s %s: %s", words->param,
			    w->name, w->arg ? w->arg : "", why.data);
			step->handler = NULL;	/* nothing to release */
			rc = -1;
		}
	}
	strbuf_free(&why);
	return (rc);
}

/* restrict_load - see restrict.h */
int
restrict_load(struct restrict_rules *r, struct config *cfg,
    struct smtpd_config *sc, struct strbuf *err)
{
	struct restriction_set *set;
	int rc = 0;

	/* every row of the names table has a handler: a programming error */
	for (const struct restriction_def *d = restriction_defs; d->name; d++)
		if (restrict_handler_find(d->name) == NULL)
			msg_panic("restriction %s has no handler", d->name);
	if ((set = restriction_set_load(cfg, err)) == NULL)
		return (-1);
	r->words = set;
	r->class_count = set->class_count;
	r->classes = xcalloc(set->class_count ? set->class_count : 1,
	    sizeof(*r->classes));
	/* names first, so that class steps can point at any class */
	for (size_t i = 0; i < set->class_count; i++)
		r->classes[i].param = set->classes[i].param;
	for (size_t i = 0; i < set->class_count; i++)
		rc |= build_list(r, &r->classes[i], &set->classes[i], sc, err);
	for (int s = 0; s < RESTRICTION_STAGES; s++)
		rc |= build_list(r, &r->stages[s], &set->stages[s], sc, err);
	/* as written: Postfix expands its $names per reply (reply.c) */
	free(r->footer);
	r->footer = xstrdup(config_get_raw(cfg, "smtpd_reject_footer") ?
	    config_get_raw(cfg, "smtpd_reject_footer") : "");
	r->tempfail_defer = r->tempfail_action != NULL &&
	    strcasecmp(r->tempfail_action, "defer") == 0;
	r->helo_tempfail_defer = r->helo_tempfail_action != NULL &&
	    strcasecmp(r->helo_tempfail_action, "defer") == 0;
	r->address_tempfail_defer = r->address_tempfail_action != NULL &&
	    strcasecmp(r->address_tempfail_action, "defer") == 0;
	return (rc);
}

/* unload_list - release what prepare made */
static void
unload_list(struct restrict_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->steps[i].handler != NULL &&
		    list->steps[i].handler->release != NULL)
			list->steps[i].handler->release(&list->steps[i]);
	free(list->steps);
	list->steps = NULL;
	list->count = 0;
}

/* restrict_unload - see restrict.h */
void
restrict_unload(struct restrict_rules *r)
{
	for (int s = 0; s < RESTRICTION_STAGES; s++)
		unload_list(&r->stages[s]);
	for (size_t i = 0; i < r->class_count; i++)
		unload_list(&r->classes[i]);
	free(r->classes);
	r->classes = NULL;
	r->class_count = 0;
	restriction_set_free(r->words);
	r->words = NULL;
}

/* list_changed - a step of list reports its table changed */
static bool
list_changed(const struct restrict_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->steps[i].handler != NULL &&
		    list->steps[i].handler->changed != NULL &&
		    list->steps[i].handler->changed(&list->steps[i]))
			return (true);
	return (false);
}

/* restrict_changed - see restrict.h */
bool
restrict_changed(const struct restrict_rules *r)
{
	for (int s = 0; s < RESTRICTION_STAGES; s++)
		if (list_changed(&r->stages[s]))
			return (true);
	for (size_t i = 0; i < r->class_count; i++)
		if (list_changed(&r->classes[i]))
			return (true);
	return (false);
}
