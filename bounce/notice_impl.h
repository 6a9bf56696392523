/*
 * notice_impl.h - what notice.c (envelope, headers, MIME assembly) shares
 * with notice_text.c (the bodies of the three report parts).  Internal to
 * the notice builder; the rest of the bounce service uses notice.h.
 */
#ifndef SLUICE_BOUNCE_IMPL_H
#define SLUICE_BOUNCE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "notice.h"
#include "queue_file.h"
#include "strbuf.h"

#define BOUNCE_FIELD_MAX	900	/* bytes of one diagnostic/address kept (lines stay under 998) */
#define BOUNCE_FOLD_WIDTH	78	/* header lines are folded near this */
#define BOUNCE_HEADERS_MAX	(1024 * 1024)	/* returned headers, at most */

/* Everything the part builders need about one notification. */
struct bounce_job {
	const struct bounce_settings *set;
	const struct queue_message *msg;
	enum bounce_action	 action;
	const struct bounce_rcpt *rcpts;
	size_t			 count;
	bool			 global;	/* SMTPUTF8 original: RFC 6533 types */
	bool			 postmaster;	/* a copy for the postmaster: headers only */
	time_t			 now;
};

/* bounce_date - RFC 5322 date-time of when, appended to out */
void	bounce_date(struct strbuf *out, time_t when);
/*
 * bounce_clean - append text with control characters (CR, LF, TAB...)
 * turned into spaces and, unless utf8, non-ASCII bytes into '?', cut at
 * BOUNCE_FIELD_MAX bytes: what agents and remote servers said is hostile.
 */
void	bounce_clean(struct strbuf *out, const char *text, bool utf8);
/* bounce_field - "Name: value\n", folded at spaces near BOUNCE_FOLD_WIDTH */
void	bounce_field(struct strbuf *out, const char *name, const char *value);

/* bounce_human_text - the text/plain part's body */
void	bounce_human_text(const struct bounce_job *job, struct strbuf *out);
/* bounce_status_text - the message/delivery-status part's body */
void	bounce_status_text(const struct bounce_job *job, struct strbuf *out);
/*
 * bounce_returned_text - the original message or its headers, read from
 * queue_fd; *full says which.  0, or -1 with err filled.
 */
int	bounce_returned_text(const struct bounce_job *job, int queue_fd,
	    struct strbuf *out, bool *full, struct strbuf *err);

#endif
