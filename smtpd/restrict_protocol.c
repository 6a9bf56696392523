/*
 * restrict_protocol - restrictions on how the client talks:
 * reject_unauth_pipelining (commands sent ahead where RFC 2920 does not
 * allow it, flagged by the command loop, commands.c) and
 * reject_multi_recipient_bounce (a null sender with more than one
 * recipient: no bounce has that).
 *
 * Parameters: unauth_pipelining_reject_code,
 * multi_recipient_bounce_reject_code.
 */
#include <string.h>

#include "restrict_builtin.h"
#include "smtpd.h"

/* restrict_unauth_pipelining - the client sent commands ahead */
enum restrict_result
restrict_unauth_pipelining(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	if (!ctx->session->rstate.ill_pipelining)
		return (RESTRICT_DUNNO);
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    (int)ctx->rules->unauth_pipelining_code, "5.5.0", "<%s>: %s "
	    "rejected: Improper use of SMTP command pipelining",
	    ctx->reply_name, ctx->reply_class));
}

/*
 * restrict_multi_recipient_bounce - at RCPT a second recipient, at DATA
 * or the end of data more than one, for the null sender
 */
enum restrict_result
restrict_multi_recipient_bounce(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	size_t count = ctx->session->txn.rcpt_count;
	bool at_rcpt = strcmp(ctx->command, "RCPT") == 0;

	(void)step;
	if (ctx->sender == NULL || *ctx->sender != '\0' ||
	    count <= (at_rcpt ? 0 : 1))
		return (RESTRICT_DUNNO);
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    (int)ctx->rules->multi_rcpt_bounce_code, "5.5.3", "<%s>: %s "
	    "rejected: Multi-recipient bounce", ctx->reply_name,
	    ctx->reply_class));
}
