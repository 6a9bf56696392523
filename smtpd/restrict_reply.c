/*
 * restrict_reply - how a restriction refuses, permits or defers, and the
 * log line of each refusal (restrict.h).
 *
 * Every refusal goes through restrict_reject(), as every one goes through
 * smtpd_check_reject() in Postfix, so that warn_if_reject, a pending
 * defer_if_reject and soft_bounce apply to all of them alike and the
 * "reject:" (or "reject_warning:") line is written in one format that log
 * tools (pflogsumm, fail2ban's postfix filter) parse:
 *
 *   NOQUEUE: reject: RCPT from name[addr]: 554 5.7.1 <r>: Relay access
 *   denied; from=<s> to=<r> proto=ESMTP helo=<h>
 *
 * The reply is checked before it is used: a code outside 400..599 (from
 * a *_reject_code parameter or a table) or a malformed status code is
 * logged and replaced by "450 4.7.1 Service unavailable", and the
 * status code's class follows the reply code's (a 4xx never says 5.x.x).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dsn_code.h"
#include "msg.h"
#include "restrict.h"
#include "smtpd.h"

#define REPLY_MAX	510		/* RFC 5321 4.5.3.1.5 */

/* restrict_log - see restrict.h */
void
restrict_log(struct restrict_ctx *ctx, const char *what, const char *text)
{
	struct smtpd_session *s = ctx->session;
	struct strbuf line;

	strbuf_init(&line);
	strbuf_printf(&line, "%s: %s: %s from %s: %s;",
	    s->txn.queue_id[0] ? s->txn.queue_id : "NOQUEUE", what,
	    ctx->command, s->peer.namaddr, text);
	if (ctx->sender != NULL)
		strbuf_printf(&line, " from=<%s>", ctx->sender);
	if (ctx->recipient != NULL)
		strbuf_printf(&line, " to=<%s>", ctx->recipient);
	strbuf_printf(&line, " proto=%s", smtpd_protocol(s));
	if (ctx->helo != NULL)
		strbuf_printf(&line, " helo=<%s>", ctx->helo);
	msg_info("%s", line.data);
	strbuf_free(&line);
}

/* make_reply - "CODE DSN text" into ctx->reply, checked and printable */
static void
make_reply(struct restrict_ctx *ctx, int code, const char *dsn,
    const char *fmt, va_list ap)
{
	struct strbuf *r = &ctx->reply;

	strbuf_reset(r);
	strbuf_printf(r, "%d %s ", code, dsn);
	strbuf_vprintf(r, fmt, ap);
	if (code < 400 || code > 599) {
		msg_warn("SMTP reply code configuration error: %s", r->data);
		strbuf_set(r, "450 4.7.1 Service unavailable");
	} else if (r->len < 4 || dsn_code_span(r->data + 4, r->len - 4) == 0) {
		msg_warn("DSN detail code configuration error: %s", r->data);
		strbuf_set(r, "450 4.7.1 Service unavailable");
	}
	/* control characters: replaced in the reply (reply.c), escaped in logs */
	if (r->len > REPLY_MAX)
		strbuf_truncate(r, REPLY_MAX);
}

/* reject_now - the refusal in ctx->reply: defer_if_reject, soft_bounce, log */
static enum restrict_result
reject_now(struct restrict_ctx *ctx, enum restrict_error error)
{
	bool warn_only = ctx->warn_if_reject > 0 &&
	    error == RESTRICT_ERR_POLICY;
	struct restrict_defer *dir = &ctx->defer_if_reject;

	if (!warn_only && dir->active && ctx->reply.data[0] == '5') {
		/* an earlier temporary failure might have allowed this mail */
		ctx->warn_if_reject = 0;
		dir->active = false;
		return (restrict_reject(ctx, dir->error, dir->code, dir->dsn,
		    "%s", dir->reason.data));
	}
	if (ctx->rules->soft_bounce && ctx->reply.data[0] == '5')
		ctx->reply.data[0] = '4';
	ctx->reply.data[4] = ctx->reply.data[0];
	restrict_log(ctx, warn_only ? "reject_warning" : "reject",
	    ctx->reply.data);
	return (warn_only ? RESTRICT_DUNNO : RESTRICT_REJECT);
}

/* restrict_reject - see restrict.h */
enum restrict_result
restrict_reject(struct restrict_ctx *ctx, enum restrict_error error, int code,
    const char *dsn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	make_reply(ctx, code, dsn, fmt, ap);
	va_end(ap);
	return (reject_now(ctx, error));
}

/* restrict_permit - a permit; overruled by a pending defer_if_permit */
enum restrict_result
restrict_permit(struct restrict_ctx *ctx, const struct restrict_step *step)
{
	(void)ctx;
	(void)step;
	return (RESTRICT_OK);
}

/* defer_record - the first deferral of its kind wins */
static void
defer_record(struct restrict_defer *d, enum restrict_error error, int code,
    const char *dsn, const char *fmt, va_list ap)
{
	if (d->active)
		return;
	d->active = true;
	d->error = error;
	d->code = code;
	snprintf(d->dsn, sizeof(d->dsn), "%s", dsn);
	if (d->reason.data == NULL)
		strbuf_init(&d->reason);
	strbuf_reset(&d->reason);
	strbuf_vprintf(&d->reason, fmt, ap);
}

/* restrict_defer_if_permit - see restrict.h */
enum restrict_result
restrict_defer_if_permit(struct restrict_ctx *ctx, enum restrict_error error,
    int code, const char *dsn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	defer_record(&ctx->defer_if_permit, error, code, dsn, fmt, ap);
	va_end(ap);
	return (RESTRICT_DUNNO);
}

/* restrict_defer_if_reject - see restrict.h */
enum restrict_result
restrict_defer_if_reject(struct restrict_ctx *ctx, enum restrict_error error,
    int code, const char *dsn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	defer_record(&ctx->defer_if_reject, error, code, dsn, fmt, ap);
	va_end(ap);
	return (RESTRICT_DUNNO);
}

/* restrict_tempfail - see restrict.h */
enum restrict_result
restrict_tempfail(struct restrict_ctx *ctx, bool defer, int code,
    const char *dsn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (defer) {
		make_reply(ctx, code, dsn, fmt, ap);
		va_end(ap);
		return (reject_now(ctx, RESTRICT_ERR_POLICY));
	}
	defer_record(&ctx->defer_if_permit, RESTRICT_ERR_POLICY, code, dsn, fmt,
	    ap);
	va_end(ap);
	return (RESTRICT_DUNNO);
}

/* restrict_lookup_failure - see restrict.h */
enum restrict_result
restrict_lookup_failure(struct restrict_ctx *ctx, const char *reply_name)
{
	return (restrict_reject(ctx, RESTRICT_ERR_DATA, 451, "4.3.0",
	    "<%s>: Temporary lookup failure", reply_name));
}

/* restrict_server_error - see restrict.h */
enum restrict_result
restrict_server_error(struct restrict_ctx *ctx)
{
	return (restrict_reject(ctx, RESTRICT_ERR_SOFTWARE, 451, "4.3.5",
	    "Server configuration error"));
}
