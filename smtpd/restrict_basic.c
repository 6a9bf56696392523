/*
 * restrict_basic - the restrictions that look at nothing: permit,
 * reject, defer, defer_if_permit, defer_if_reject, warn_if_reject and
 * sleep (Postfix's generic restrictions).
 *
 * Parameters: reject_code, defer_code.
 */
#include <stdlib.h>

#include "coro.h"
#include "restrict_builtin.h"

/* restrict_permit_all - permit */
enum restrict_result
restrict_permit_all(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	return (restrict_permit(ctx, step));
}

/* restrict_reject_all - reject: reject_code, 5.7.1 */
enum restrict_result
restrict_reject_all(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	(void)step;
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    (int)ctx->rules->reject_code, "5.7.1", "<%s>: %s rejected: Access "
	    "denied", ctx->reply_name, ctx->reply_class));
}

/* restrict_defer_all - defer: defer_code, 4.3.2 */
enum restrict_result
restrict_defer_all(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	(void)step;
	return (restrict_reject(ctx, RESTRICT_ERR_POLICY,
	    (int)ctx->rules->defer_code, "4.3.2", "<%s>: %s rejected: Try again "
	    "later", ctx->reply_name, ctx->reply_class));
}

/* restrict_defer_if_permit_step - a later permit becomes 450 */
enum restrict_result
restrict_defer_if_permit_step(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	return (restrict_defer_if_permit(ctx, RESTRICT_ERR_POLICY, 450, "4.7.0",
	    "<%s>: %s rejected: defer_if_permit requested", ctx->reply_name,
	    ctx->reply_class));
}

/* restrict_defer_if_reject_step - a later 5xx becomes 450 */
enum restrict_result
restrict_defer_if_reject_step(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	return (restrict_defer_if_reject(ctx, RESTRICT_ERR_POLICY, 450, "4.7.0",
	    "<%s>: %s rejected: defer_if_reject requested", ctx->reply_name,
	    ctx->reply_class));
}

/* restrict_warn_if_reject - the next restriction only logs its refusal */
enum restrict_result
restrict_warn_if_reject(struct restrict_ctx *ctx,
    const struct restrict_step *step)
{
	(void)step;
	if (ctx->warn_if_reject == 0)
		ctx->warn_if_reject = ctx->recursion;
	return (RESTRICT_DUNNO);
}

/*
 * restrict_sleep - pause this session (only: the other sessions of the
 * process go on), to trip up clients that talk before their turn
 */
enum restrict_result
restrict_sleep(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	(void)ctx;
	(void)coro_poll(-1, 0, atoi(step->word->arg) * 1000, NULL);
	return (RESTRICT_DUNNO);
}
