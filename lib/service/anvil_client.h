/*
 * anvil_client - the client side of the anvil(8) protocol: session
 * counts and event rates per client, shared by every process of a
 * service.
 *
 * One client per process, one connection to private/ANVIL (relative to
 * the queue directory, which is also a chrooted daemon's root), used by
 * every session of the process.  Requests go out at once and replies
 * come back in order; a session waits (through coro_poll, so only that
 * session) for its own.  A request costs one send(2) and the reply one
 * read; a disconnect has no reply, so the end of a session never waits.
 *
 * The client fails open, as Postfix's smtpd does: when anvil cannot be
 * reached, is slow (more than ANVIL_CLIENT_TIMEOUT), or answers nonsense,
 * the request reports ANVIL_FAIL and the caller does not limit.  The first
 * failure is logged as a warning; then the client leaves anvil alone for
 * ANVIL_CLIENT_RETRY seconds, so that a stuck anvil costs one wait, not
 * one per session.  The warning comes again only after anvil worked in
 * between.
 *
 * anvil forgets every session a connection registered when that
 * connection closes (this process exited or was killed).  A session
 * registered over a connection that is gone since is therefore not
 * disconnected over the next one: anvil_client_connect returns a ticket
 * naming the connection, which the disconnect takes.
 */
#ifndef SLUICE_ANVIL_CLIENT_H
#define SLUICE_ANVIL_CLIENT_H

#include "anvil_table.h"
#include "strbuf.h"

#define ANVIL_CLIENT_TIMEOUT	5	/* seconds for a reply */
#define ANVIL_CLIENT_RETRY	10	/* seconds without anvil after a failure */

#define ANVIL_OK	0
#define ANVIL_FAIL	(-1)

struct anvil_client;

/*
 * anvil_client_range - the part of a client address that anvil counts:
 * the first prefix bits (v4_prefix for IPv4, v6_prefix for IPv6) with
 * the rest cleared, and "/prefix" when that is shorter than the
 * address, as Postfix's smtpd_client_ipv4/ipv6_prefix_length do
 * ("2001:db8:0:1:2000::/84").  Text that is no address is used as it
 * is.  The result replaces out's contents.
 */
void	anvil_client_range(const char *addr, int v4_prefix, int v6_prefix,
	    struct strbuf *out);

/* anvil_client_create - for the socket at path; connects on first use */
struct anvil_client *anvil_client_create(const char *path);
void	anvil_client_free(struct anvil_client *client);

/*
 * anvil_client_set_timing - reply timeout and retry delay in
 * milliseconds, instead of the defaults above (tests)
 */
void	anvil_client_set_timing(struct anvil_client *client, int timeout_ms,
	    int retry_ms);

/*
 * anvil_client_connect - register one session of ident; *count is the
 * number of its sessions and *rate its connections in the time unit,
 * both including this one.  ANVIL_OK with *ticket set (pass it to the
 * disconnect), or ANVIL_FAIL with *ticket 0: the session is not counted.
 */
int	anvil_client_connect(struct anvil_client *client, const char *ident,
	    long *count, long *rate, unsigned long *ticket);

/* anvil_client_disconnect - the session of ticket ends (no-op for 0) */
void	anvil_client_disconnect(struct anvil_client *client, const char *ident,
	    unsigned long ticket);

/*
 * anvil_client_event - count one event of ident (message, recipient,
 * newtls, auth); *rate is its number in the time unit.  ANVIL_OK or
 * ANVIL_FAIL.
 */
int	anvil_client_event(struct anvil_client *client, const char *ident,
	    enum anvil_event event, long *rate);

#endif
