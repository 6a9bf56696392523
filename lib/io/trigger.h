/*
 * trigger - one-shot pokes to a trigger service (qmgr, pickup).
 *
 * A trigger is a short message on a fresh connection to the service's
 * socket: a command byte, optionally followed by an argument and a
 * newline.  It is a hint, never a handshake: the woken service also polls
 * on its own, so an absent or busy service costs nothing but a debug line.
 * The send never blocks for long.
 *
 * Commands understood by qmgr (public/qmgr):
 *	A	new mail in incoming/
 *	W	periodic wake-up (from the master's wakeup column)
 *	F	flush: every deferred message is due now
 *	I<ID>\n	flush one message
 *	S<site>\n flush the messages with recipients at this domain
 * pickup (public/pickup) takes A and W.
 */
#ifndef SLUICE_TRIGGER_H
#define SLUICE_TRIGGER_H

#include <stddef.h>

#define TRIGGER_NEW_MAIL	'A'
#define TRIGGER_WAKEUP		'W'
#define TRIGGER_FLUSH		'F'
#define TRIGGER_FLUSH_ID	'I'
#define TRIGGER_FLUSH_SITE	'S'
#define TRIGGER_MAX		512	/* command + argument */

/* trigger_send - connect to path, send len bytes, close; 0 or -1 (errno) */
int	trigger_send(const char *path, const void *data, size_t len);

#endif
