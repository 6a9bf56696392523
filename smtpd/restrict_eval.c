/*
 * restrict_eval - run the restriction lists at each SMTP stage
 * (restrict.h), with Postfix's semantics:
 *
 * - a list runs until a restriction permits (that list ends; the next
 *   list still runs), refuses (the command is refused) or the list ends;
 * - warn_if_reject makes the next restriction's refusal a logged
 *   "reject_warning" instead;
 * - defer_if_permit is remembered across the client, helo and sender
 *   stages and turns into its 4xx when the recipient would be accepted;
 *   defer_if_reject turns a later 5xx refusal of the same stage into its
 *   4xx;
 * - with smtpd_delay_reject (the default) the client, helo and sender
 *   lists run at each RCPT (so the log shows the recipient, and a client
 *   gets to say who it is before being refused); without it each runs at
 *   its own command, a client refusal answering the connection and then
 *   every command but QUIT with 503;
 * - at RCPT, smtpd_relay_restrictions then smtpd_recipient_restrictions
 *   (the other way round with smtpd_relay_before_recipient_restrictions =
 *   no, Postfix's order before 3.6);
 *   then the implicit reject_unlisted_recipient when
 *   smtpd_reject_unlisted_recipient is on and no restriction did it;
 *   the same for the sender with smtpd_reject_unlisted_sender;
 * - the bare address <postmaster> is always accepted (RFC 5321 4.5.1);
 * - a DISCARD from a table ends the evaluation: all is accepted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "msg.h"
#include "restrict.h"
#include "smtpd.h"

#define RECURSION_MAX	100		/* a table result naming a list ... */

static const char *const reply_classes[RESTRICTION_STAGES] = {
	"Client host", "Helo command", "Sender address", "Recipient address",
	"Recipient address", "Data command", "End-of-data",
};

/* restrict_eval_list - see restrict.h */
enum restrict_result
restrict_eval_list(struct restrict_ctx *ctx, const struct restrict_list *list)
{
	enum restrict_result status = RESTRICT_DUNNO;
	int saved = ctx->recursion++;

	if (ctx->recursion > RECURSION_MAX) {
		msg_warn("restriction list %s: nested more than %d deep",
		    list->param, RECURSION_MAX);
		ctx->recursion = saved;
		return (restrict_server_error(ctx));
	}
	for (size_t i = 0; i < list->count; i++) {
		const struct restrict_step *step = &list->steps[i];

		if (ctx->effects != NULL && ctx->effects->discard)
			break;
		if (step->handler == NULL)
			status = restrict_eval_list(ctx, step->class_list);
		else
			status = step->handler->run(ctx, step);
		/* warn_if_reject covers the one restriction after it */
		if (ctx->warn_if_reject >= ctx->recursion &&
		    strcmp(step->word->name, "warn_if_reject") != 0)
			ctx->warn_if_reject = 0;
		if (status != RESTRICT_DUNNO)
			break;
		if (ctx->defer_if_permit.active && ctx->defer_if_reject.active)
			break;
	}
	ctx->recursion = saved;
	if (ctx->warn_if_reject > ctx->recursion)
		ctx->warn_if_reject = 0;
	return (status);
}

/* restrict_class_find - see restrict.h */
const struct restrict_list *
restrict_class_find(const struct restrict_rules *r, const char *name)
{
	for (size_t i = 0; i < r->class_count; i++)
		if (strcmp(r->classes[i].param, name) == 0)
			return (&r->classes[i]);
	return (NULL);
}

/* ctx_open - a context for one check of session s */
static void
ctx_open(struct restrict_ctx *ctx, struct smtpd_session *s,
    const char *command)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->session = s;
	ctx->rules = &s->cfg->rules;
	ctx->client_name = s->peer.name;
	ctx->client_addr = s->peer.addr;
	ctx->namaddr = s->peer.namaddr;
	ctx->helo = s->helo_name;
	ctx->sender = s->txn.active ? s->txn.sender : NULL;
	ctx->command = command;
	ctx->effects = &s->txn.effects;
	strbuf_init(&ctx->reply);
	/* the session's, carried across stages; copied back by ctx_close */
	ctx->defer_if_permit = s->rstate.defer_if_permit;
	strbuf_init(&ctx->defer_if_reject.reason);
}

/*
 * ctx_close_to - keep the session's state; a refusal goes to out, or is
 * sent when out is NULL
 */
static int
ctx_close_to(struct restrict_ctx *ctx, enum restrict_result status,
    struct strbuf *out)
{
	struct smtpd_session *s = ctx->session;
	int rc = 0;

	s->rstate.defer_if_permit = ctx->defer_if_permit;
	if (status == RESTRICT_REJECT) {
		if (out != NULL) {
			strbuf_set(out, ctx->reply.data);
		} else {
			s->rstate.reply_recipient = ctx->recipient;
			smtpd_reply(s, "%s", ctx->reply.data);
			s->rstate.reply_recipient = NULL;
		}
		rc = -1;
	}
	strbuf_free(&ctx->reply);
	strbuf_free(&ctx->defer_if_reject.reason);
	return (rc);
}

/* ctx_close - send the refusal, if any, and keep the session's state */
static int
ctx_close(struct restrict_ctx *ctx, enum restrict_result status)
{
	return (ctx_close_to(ctx, status, NULL));
}

/* stage_reset - Postfix's SMTPD_CHECK_RESET */
static void
stage_reset(struct restrict_ctx *ctx, enum restriction_stage stage,
    const char *reply_name)
{
	ctx->stage = stage;
	ctx->reply_class = reply_classes[stage];
	ctx->reply_name = reply_name;
	ctx->recursion = 0;
	ctx->warn_if_reject = 0;
	ctx->defer_if_reject.active = false;
}

/* run_stage - one list */
static enum restrict_result
run_stage(struct restrict_ctx *ctx, enum restriction_stage stage,
    const char *reply_name)
{
	stage_reset(ctx, stage, reply_name);
	return (restrict_eval_list(ctx, &ctx->rules->stages[stage]));
}

/* check_client - the client list; remembers its defer_if_permit */
static enum restrict_result
check_client(struct restrict_ctx *ctx)
{
	struct restrict_state *st = &ctx->session->rstate;
	enum restrict_result status;

	ctx->defer_if_permit.active = false;
	status = run_stage(ctx, RESTRICTION_CLIENT, ctx->namaddr);
	st->dip_client = ctx->defer_if_permit.active;
	return (status);
}

/* check_helo - the helo list, when there is a name */
static enum restrict_result
check_helo(struct restrict_ctx *ctx)
{
	struct restrict_state *st = &ctx->session->rstate;
	enum restrict_result status;

	if (ctx->helo == NULL)
		return (RESTRICT_DUNNO);
	ctx->defer_if_permit.active = st->dip_client;
	status = run_stage(ctx, RESTRICTION_HELO, ctx->helo);
	st->dip_helo = ctx->defer_if_permit.active;
	return (status);
}

/* check_sender - the sender list and the implicit reject_unlisted_sender */
static enum restrict_result
check_sender(struct restrict_ctx *ctx)
{
	struct restrict_state *st = &ctx->session->rstate;
	enum restrict_result status;

	if (ctx->sender == NULL)
		return (RESTRICT_DUNNO);
	ctx->defer_if_permit.active = st->dip_client || st->dip_helo;
	st->sender_checked = false;
	status = run_stage(ctx, RESTRICTION_SENDER, ctx->sender);
	st->dip_sender = ctx->defer_if_permit.active;
	if (ctx->rules->reject_unlisted_sender && status != RESTRICT_REJECT &&
	    !st->sender_checked && !ctx->effects->discard && *ctx->sender)
		status = restrict_unlisted_sender(ctx);
	return (status);
}

/* policy_off - smtpd -S run by a user: no access policy (standalone.c) */
static bool
policy_off(const struct smtpd_session *s)
{
	return (s->cfg->policy_off);
}

/* restrict_check_connect - see restrict.h */
int
restrict_check_connect(struct smtpd_session *s)
{
	struct restrict_ctx ctx;
	enum restrict_result status;

	if (policy_off(s) || s->cfg->rules.delay_reject)
		return (0);
	ctx_open(&ctx, s, "CONNECT");
	status = check_client(&ctx);
	if (status == RESTRICT_REJECT)
		s->rstate.access_denied = xstrdup(ctx.reply.data);
	return (ctx_close(&ctx, status));
}

/* restrict_check_helo - see restrict.h */
int
restrict_check_helo(struct smtpd_session *s, const char *helo)
{
	struct restrict_ctx ctx;
	enum restrict_result status;

	if (policy_off(s) || s->cfg->rules.delay_reject)
		return (0);
	ctx_open(&ctx, s, s->where);
	ctx.helo = helo;
	status = check_helo(&ctx);
	return (ctx_close(&ctx, status));
}

/* restrict_check_sender - see restrict.h */
int
restrict_check_sender(struct smtpd_session *s, const char *sender)
{
	struct restrict_ctx ctx;
	enum restrict_result status;

	if (policy_off(s) || s->cfg->rules.delay_reject)
		return (0);
	ctx_open(&ctx, s, "MAIL");
	ctx.sender = sender;
	status = check_sender(&ctx);
	return (ctx_close(&ctx, status));
}

/* restrict_check_rcpt - see restrict.h */
int
restrict_check_rcpt(struct smtpd_session *s, const char *recipient)
{
	struct restrict_state *st = &s->rstate;
	struct restrict_ctx ctx;
	enum restrict_result status = RESTRICT_DUNNO;
	enum restriction_stage first;

	if (policy_off(s) || strcasecmp(recipient, "postmaster") == 0)
		return (0);
	ctx_open(&ctx, s, s->where);	/* RCPT or VRFY */
	ctx.recipient = recipient;
	if (s->cfg->rules.delay_reject &&
	    ((status = check_client(&ctx)) == RESTRICT_REJECT ||
	    (status = check_helo(&ctx)) == RESTRICT_REJECT ||
	    (status = check_sender(&ctx)) == RESTRICT_REJECT))
		return (ctx_close(&ctx, status));
	ctx.defer_if_permit.active = st->dip_sender;
	st->recipient_checked = false;
	first = ctx.rules->relay_first ? RESTRICTION_RELAY :
	    RESTRICTION_RECIPIENT;
	status = run_stage(&ctx, first, recipient);
	if (status != RESTRICT_REJECT)
		status = run_stage(&ctx, first == RESTRICTION_RELAY ?
		    RESTRICTION_RECIPIENT : RESTRICTION_RELAY, recipient);
	if (status != RESTRICT_REJECT && ctx.defer_if_permit.active)
		status = restrict_reject(&ctx, ctx.defer_if_permit.error,
		    ctx.defer_if_permit.code, ctx.defer_if_permit.dsn, "%s",
		    ctx.defer_if_permit.reason.data);
	if (ctx.rules->reject_unlisted_recipient && status != RESTRICT_REJECT
	    && !st->recipient_checked && !ctx.effects->discard)
		status = restrict_unlisted_recipient(&ctx);
	return (ctx_close(&ctx, status));
}

/*
 * data_stage - DATA (or the first BDAT) or end of data: its list, with
 * defer_if_permit; a refusal into out (NULL: sent)
 */
static int
data_stage(struct smtpd_session *s, enum restriction_stage stage,
    const char *command, const char *reply_name, struct strbuf *out)
{
	struct restrict_ctx ctx;
	enum restrict_result status;

	if (policy_off(s) || s->cfg->rules.stages[stage].count == 0)
		return (0);
	ctx_open(&ctx, s, command);
	/* one recipient is logged as Postfix does; several: none */
	if (s->txn.rcpt_count == 1)
		ctx.recipient = s->txn.rcpts[0].address;
	ctx.defer_if_permit.active = false;
	status = run_stage(&ctx, stage, reply_name);
	if (status != RESTRICT_REJECT && ctx.defer_if_permit.active)
		status = restrict_reject(&ctx, ctx.defer_if_permit.error,
		    ctx.defer_if_permit.code, ctx.defer_if_permit.dsn, "%s",
		    ctx.defer_if_permit.reason.data);
	return (ctx_close_to(&ctx, status, out));
}

/* restrict_check_data - see restrict.h */
int
restrict_check_data(struct smtpd_session *s)
{
	return (data_stage(s, RESTRICTION_DATA, "DATA", "DATA", NULL));
}

/* restrict_check_bdat - see restrict.h */
int
restrict_check_bdat(struct smtpd_session *s, struct strbuf *reply)
{
	return (data_stage(s, RESTRICTION_DATA, "BDAT", "DATA", reply));
}

/* restrict_check_eod - see restrict.h */
int
restrict_check_eod(struct smtpd_session *s)
{
	return (data_stage(s, RESTRICTION_END_OF_DATA, "END-OF-MESSAGE",
	    "END-OF-MESSAGE", NULL));
}

/* restrict_state_free - the session's engine state */
void
restrict_state_free(struct restrict_state *st)
{
	strbuf_free(&st->defer_if_permit.reason);
	free(st->access_denied);
	memset(st, 0, sizeof(*st));
}
