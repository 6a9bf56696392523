/*
 * bounce.h - what the files of the bounce service share.
 *
 * main.c wires the service skeleton and documents the service; serve.c
 * answers one qmgr connection (a notice request, lib/mail/bounce_request.h);
 * notify.c does the work of one request: the queue file, the notice
 * (built by notice.c and notice_text.c, notice.h) queued through
 * cleanup, and the done marks.
 */
#ifndef SLUICE_BOUNCE_H
#define SLUICE_BOUNCE_H

#include "bounce_request.h"
#include "notice.h"
#include "service.h"

#define BOUNCE_SESSION_LIMIT	100	/* qmgr connections per process */
#define BOUNCE_REQUEST_TIMEOUT	60	/* seconds for a request to arrive */
#define BOUNCE_STATUS_GONE	(-1)	/* notify.c: the requester left */

/* serve.c */
/* ctx->app: the struct bounce_settings main.c read */
void	bounce_serve(struct service_context *ctx, int client_fd);

/* notify.c */
void	bounce_notify(const struct bounce_settings *set, const struct bounce_request *req,
	    int client_fd, struct bounce_reply *reply);

#endif
