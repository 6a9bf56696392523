/*
 * restrict_access - access(5) answers in the restriction engine: the
 * check_*_access restrictions (restrict_access.c, restrict_access_dns.c)
 * and the one function that carries out an answer, whoever gave it (an
 * access table here, a policy server in restrict_policy.c), so that an
 * answer means the same from either.
 *
 * restrict_access_apply(ctx, step, origin, value, len, reply_name,
 * reply_class) parses value with access_action_parse() (lib/mail/access.h)
 * and does what Postfix does with it:
 *
 *   OK			permit (restrict_permit)
 *   REJECT, DEFER, 4NN, 5NN
 *			"<reply_name>: reply_class rejected: text" with
 *			access_map_reject_code / access_map_defer_code or
 *			the given code ("Access denied" without text)
 *   DEFER_IF_REJECT, DEFER_IF_PERMIT
 *			recorded ("Service unavailable" without text)
 *   DUNNO		go on
 *   WARN, INFO		a "warn:" / "info:" log line, go on
 *   HOLD, DISCARD, FILTER, REDIRECT, BCC, PREPEND
 *			recorded in ctx->effects with a "hold:" (etc.) log
 *			line, go on; DISCARD permits and ends the lists;
 *			only within a mail transaction (not in the client
 *			or helo lists with smtpd_delay_reject = no); no
 *			PREPEND at end of data, as Postfix
 *   a restriction list	each name run in turn (a class, or a restriction
 *			whose argument is no table or server), nested at
 *			most 100 deep
 *   a broken answer	logged; 451 4.3.5 Server configuration error, or
 *			ignored where Postfix ignores it
 *
 * origin names the table or server in logs ("hash:/etc/postfix/access").
 */
#ifndef SLUICE_RESTRICT_ACCESS_H
#define SLUICE_RESTRICT_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "restrict.h"

/*
 * The restrictions (restrict_table.c's rows): prepare opens the step's
 * tables before the jail, release closes them, changed says a table was
 * rebuilt.
 */
int	restrict_access_prepare(struct restrict_step *step,
	    struct smtpd_config *sc, struct strbuf *err);
void	restrict_access_release(struct restrict_step *step);
bool	restrict_access_changed(const struct restrict_step *step);
enum restrict_result restrict_check_client_access(struct restrict_ctx *ctx,
	    const struct restrict_step *step);
enum restrict_result restrict_check_reverse_access(struct restrict_ctx *ctx,
	    const struct restrict_step *step);
enum restrict_result restrict_check_helo_access(struct restrict_ctx *ctx,
	    const struct restrict_step *step);
enum restrict_result restrict_check_sender_access(struct restrict_ctx *ctx,
	    const struct restrict_step *step);
enum restrict_result restrict_check_recipient_access(struct restrict_ctx *ctx,
	    const struct restrict_step *step);
enum restrict_result restrict_implicit_access(struct restrict_ctx *ctx,
	    const struct restrict_step *step);
/* every check_*_{a,mx,ns}_access (restrict_access_dns.c) */
enum restrict_result restrict_check_server_access(struct restrict_ctx *ctx,
	    const struct restrict_step *step);

enum restrict_result restrict_access_apply(struct restrict_ctx *ctx,
	    const struct restrict_step *step, const char *origin,
	    const char *value, size_t len, const char *reply_name,
	    const char *reply_class);

#endif
