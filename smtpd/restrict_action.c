/*
 * restrict_action - carry out one access(5) answer in a restriction
 * context (restrict_access.h): the one place that gives OK, REJECT,
 * HOLD, ... their meaning, for access tables and policy servers alike.
 *
 * Side effects go into ctx->effects, which smtpd hands to cleanup with
 * the message; they need a mail transaction, so they are skipped (with a
 * warning, as Postfix does) where there is none yet, and a PREPEND at end
 * of data, when the headers are already written.
 *
 * Parameters: access_map_reject_code, access_map_defer_code (read into
 * the engine's rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "msg.h"
#include "restrict_access.h"
#include "restrict_builtin.h"
#include "smtpd.h"

#define RECURSION_MAX	100	/* as Postfix's restriction nesting limit */

static const char rcpt_class[] = "Recipient address";
static const char sender_class[] = "Sender address";

/*
 * fix_dsn - an address status (X.1.Y) said about the other address or
 * about no address at all: Postfix's smtpd_dsn_fix, so a sender is never
 * refused with "bad destination mailbox" and the client never with an
 * address code
 */
static void
fix_dsn(char *dsn, size_t size, const char *reply_class)
{
	static const struct {
		const char *detail, *sender, *rcpt;
	} map[] = {
		{ "1", "X.1.0", "X.1.1" }, { "2", "X.1.8", "X.1.2" },
		{ "3", "X.1.7", "X.1.3" }, { "4", "X.1.0", "X.1.4" },
		{ "5", "X.1.0", "X.1.5" }, { "6", "X.1.0", "X.1.6" },
		{ "7", "X.1.7", "X.1.3" }, { "8", "X.1.8", "X.1.2" },
	};
	const char *fixed = "X.1.0";
	char	 cls = dsn[0];

	if (strncmp(dsn + 1, ".1.", 3) != 0)
		return;
	if (strcmp(reply_class, sender_class) != 0 &&
	    strcmp(reply_class, rcpt_class) != 0)
		fixed = "X.0.0";
	else
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(dsn + 4, map[i].detail) == 0)
				fixed = strcmp(reply_class, sender_class) == 0 ?
				    map[i].sender : map[i].rcpt;
	snprintf(dsn, size, "%s", fixed);
	dsn[0] = cls;
}

/*
 * in_transaction - a side effect has a message to go with; at end of
 * data the headers are written, so PREPEND comes too late (the others
 * still reach cleanup before it answers)
 */
static bool
in_transaction(struct restrict_ctx *ctx, const char *origin,
    enum access_verb verb)
{
	if (ctx->stage == RESTRICTION_END_OF_DATA && verb == ACCESS_PREPEND) {
		msg_warn("access table %s: action PREPEND must be used before "
		    "smtpd_end_of_data_restrictions", origin);
		return (false);
	}
	if (ctx->effects == NULL || ctx->sender == NULL) {
		msg_warn("access table %s: with smtpd_delay_reject = no, action "
		    "%s is always skipped in client or helo restrictions",
		    origin, access_verb_name(verb));
		return (false);
	}
	return (true);
}

/* log_effect - "NOQUEUE: hold: RCPT from ...: <x>: Sender address ..." */
static void
log_effect(struct restrict_ctx *ctx, const char *what, const char *fmt,
    const char *reply_name, const char *reply_class, const char *text)
{
	struct strbuf line;

	strbuf_init(&line);
	strbuf_printf(&line, "<%s>: %s ", reply_name, reply_class);
	strbuf_printf(&line, fmt, text);
	restrict_log(ctx, what, line.data);
	strbuf_free(&line);
}

/* refuse_word - a word an answer cannot use: logged, 451 4.3.5 */
static enum restrict_result
refuse_word(struct restrict_ctx *ctx, const char *origin, const char *list,
    const char *word, const char *why)
{
	msg_warn("access table %s: restriction \"%s\" in answer \"%s\": %s",
	    origin, word, list, why);
	return (restrict_server_error(ctx));
}

/* seconds_ok - sleep's argument: a number of seconds, at most an hour */
static bool
seconds_ok(const char *arg)
{
	return (arg[0] != '\0' && strspn(arg, "0123456789") == strlen(arg) &&
	    strlen(arg) <= 4 && atoi(arg) <= 3600);
}

/*
 * run_word - one restriction of an answer (words[*i], and its argument,
 * which *i then skips).  What a step prepares at load is prepared here
 * for this one run: only what needs no file or connection (a DNS list's
 * domain and filter, sleep's seconds; the DNS is up, since a step with
 * access tables asked for it).  An answer cannot name a table: tables
 * are opened before the jail.
 */
static enum restrict_result
run_word(struct restrict_ctx *ctx, const char *origin, const char *list,
    const struct strlist *words, size_t *i)
{
	const struct restriction_def *def;
	struct restriction_step word;
	struct restrict_step step;
	struct strbuf err;
	enum restrict_result status;
	bool	 prepared = false;

	memset(&step, 0, sizeof(step));
	memset(&word, 0, sizeof(word));
	word.name = words->items[*i];
	step.word = &word;
	if ((def = restriction_def_find(word.name)) == NULL ||
	    (step.handler = restrict_handler_find(def->name)) == NULL)
		return (refuse_word(ctx, origin, list, word.name, "unknown; "
		    "name a restriction class instead"));
	word.def = def;
	if (def->arg != RESTRICTION_ARG_NONE) {
		if (def->arg != RESTRICTION_ARG_DNSXL &&
		    def->arg != RESTRICTION_ARG_NUMBER)
			return (refuse_word(ctx, origin, list, word.name,
			    "not usable in a table answer; name a restriction "
			    "class instead"));
		if (*i + 1 >= words->count)
			return (refuse_word(ctx, origin, list, word.name,
			    "needs an argument"));
		word.arg = words->items[++*i];
		if (def->arg == RESTRICTION_ARG_NUMBER && !seconds_ok(word.arg))
			return (refuse_word(ctx, origin, list, word.name,
			    "not a number of seconds up to 3600"));
	}
	if (step.handler->prepare != NULL &&
	    step.handler->prepare != restrict_needs_dns) {
		if (def->arg != RESTRICTION_ARG_DNSXL)
			return (refuse_word(ctx, origin, list, word.name,
			    "not usable in a table answer; name a restriction "
			    "class instead"));
		strbuf_init(&err);
		if (step.handler->prepare(&step, ctx->session->cfg, &err) != 0) {
			status = refuse_word(ctx, origin, list, word.name,
			    err.data);
			strbuf_free(&err);
			return (status);
		}
		strbuf_free(&err);
		prepared = true;
	}
	status = step.handler->run(ctx, &step);
	if (prepared && step.handler->release != NULL)
		step.handler->release(&step);
	return (status);
}

/*
 * run_words - an answer that is a restriction list: class names and
 * restrictions, each run in turn
 */
static enum restrict_result
run_words(struct restrict_ctx *ctx, const char *origin, const char *list)
{
	struct strlist words;
	enum restrict_result status = RESTRICT_DUNNO;
	const struct restrict_list *class;

	if (ctx->recursion >= RECURSION_MAX) {
		msg_warn("access table %s entry %s causes unreasonable recursion",
		    origin, list);
		return (restrict_server_error(ctx));
	}
	strlist_init(&words);
	strlist_split(&words, list, ", \t\r\n");
	ctx->recursion++;
	for (size_t i = 0; i < words.count && status == RESTRICT_DUNNO; i++) {
		if ((class = restrict_class_find(ctx->rules, words.items[i])) !=
		    NULL)
			status = restrict_eval_list(ctx, class);
		else
			status = run_word(ctx, origin, list, &words, &i);
		if (ctx->effects != NULL && ctx->effects->discard)
			break;
	}
	ctx->recursion--;
	strlist_free(&words);
	return (status);
}

/* reject - REJECT, DEFER, 4NN, 5NN and the deferrals decided later */
static enum restrict_result
reject(struct restrict_ctx *ctx, struct access_action *act,
    const char *reply_name, const char *reply_class)
{
	const struct restrict_rules *r = ctx->rules;
	const char *text = act->text.len > 0 ? act->text.data :
	    act->verb == ACCESS_DEFER_IF_PERMIT ||
	    act->verb == ACCESS_DEFER_IF_REJECT ? "Service unavailable" :
	    "Access denied";
	int	 code = act->code != 0 ? act->code :
	    act->verb == ACCESS_REJECT ? (int)r->access_reject_code :
	    (int)r->access_defer_code;

	fix_dsn(act->dsn, sizeof(act->dsn), reply_class);
	act->dsn[0] = (char)('0' + code / 100);
	switch (act->verb) {
	case ACCESS_DEFER_IF_PERMIT:
		return (restrict_defer_if_permit(ctx, RESTRICT_ERR_POLICY, code,
		    act->dsn, "<%s>: %s rejected: %s", reply_name, reply_class,
		    text));
	case ACCESS_DEFER_IF_REJECT:
		(void)restrict_defer_if_reject(ctx, RESTRICT_ERR_POLICY, code,
		    act->dsn, "<%s>: %s rejected: %s", reply_name, reply_class,
		    text);
		return (RESTRICT_DUNNO);
	default:
		return (restrict_reject(ctx, RESTRICT_ERR_POLICY, code, act->dsn,
		    "<%s>: %s rejected: %s", reply_name, reply_class, text));
	}
}

/* effect - HOLD, DISCARD, FILTER, REDIRECT, BCC, PREPEND */
static enum restrict_result
effect(struct restrict_ctx *ctx, const struct restrict_step *step,
    const char *origin, const struct access_action *act,
    const char *reply_name, const char *reply_class)
{
	const char *text = act->text.data, *arg = act->arg.data;

	if (!in_transaction(ctx, origin, act->verb))
		return (RESTRICT_DUNNO);
	switch (act->verb) {
	case ACCESS_HOLD:
		log_effect(ctx, "hold", "%s", reply_name, reply_class,
		    *text ? text : "triggers HOLD action");
		restrict_effects_hold(ctx->effects, *text ? text : NULL);
		return (RESTRICT_DUNNO);
	case ACCESS_DISCARD:
		log_effect(ctx, "discard", "%s", reply_name, reply_class,
		    *text ? text : "triggers DISCARD action");
		restrict_effects_discard(ctx->effects, *text ? text : NULL);
		return (restrict_permit(ctx, step));
	case ACCESS_FILTER:
		log_effect(ctx, "filter", "triggers FILTER %s", reply_name,
		    reply_class, arg);
		restrict_effects_filter(ctx->effects, arg);
		return (RESTRICT_DUNNO);
	case ACCESS_REDIRECT:
		log_effect(ctx, "redirect", "triggers REDIRECT %s", reply_name,
		    reply_class, arg);
		restrict_effects_redirect(ctx->effects, arg);
		return (RESTRICT_DUNNO);
	case ACCESS_BCC:
		log_effect(ctx, "bcc", "triggers BCC %s", reply_name,
		    reply_class, arg);
		restrict_effects_bcc(ctx->effects, arg);
		return (RESTRICT_DUNNO);
	default:			/* PREPEND: no log line, as Postfix */
		restrict_effects_prepend(ctx->effects, arg);
		return (RESTRICT_DUNNO);
	}
}

/* restrict_access_apply - see restrict_access.h */
enum restrict_result
restrict_access_apply(struct restrict_ctx *ctx, const struct restrict_step *step,
    const char *origin, const char *value, size_t len, const char *reply_name,
    const char *reply_class)
{
	struct access_action act;
	enum restrict_result status = RESTRICT_DUNNO;

	access_action_init(&act);
	switch (access_action_parse(value, len, &act)) {
	case ACCESS_OK:
		if (act.why != NULL)
			msg_warn("access table %s entry for %s: %s", origin,
			    reply_name, act.why);
		status = restrict_permit(ctx, step);
		break;
	case ACCESS_DUNNO:
		break;
	case ACCESS_REJECT:
	case ACCESS_DEFER:
	case ACCESS_DEFER_IF_REJECT:
	case ACCESS_DEFER_IF_PERMIT:
		status = reject(ctx, &act, reply_name, reply_class);
		/* 421 and 521 hang up, as Postfix, unless only warned about */
		if (act.hangup && status == RESTRICT_REJECT)
			ctx->session->hangup = true;
		break;
	case ACCESS_WARN:
	case ACCESS_INFO:
		restrict_log(ctx, act.verb == ACCESS_WARN ? "warn" : "info",
		    act.text.data);
		break;
	case ACCESS_RESTRICTIONS:
		status = run_words(ctx, origin, act.arg.data);
		break;
	case ACCESS_IGNORED:
		msg_warn("access table %s entry for %s: %s", origin, reply_name,
		    act.why);
		break;
	case ACCESS_ERROR:
		msg_warn("access table %s entry for %s: %s", origin, reply_name,
		    act.why);
		status = restrict_server_error(ctx);
		break;
	default:
		status = effect(ctx, step, origin, &act, reply_name,
		    reply_class);
		break;
	}
	access_action_free(&act);
	return (status);
}
