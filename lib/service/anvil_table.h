/*
 * anvil_table - the counters of the anvil(8) service: per (service,
 * client) "ident", the number of sessions open now and the number of
 * events of each kind in the current time unit.
 *
 * Rates are counted in a fixed window, as Postfix's anvil does: the
 * first event of an ident starts a window of time_unit seconds, and the
 * first event after it ends resets every rate of that ident.  An ident
 * whose count is zero is forgotten once its window is over.
 *
 * Every session is held by an owner: one per anvil client connection (an
 * smtpd process).  A disconnect counts only against a session the same
 * owner registered, and when an owner goes away (its process ended or was
 * killed) the sessions it still held are released, so a crash cannot
 * leave a client's count up for good.
 *
 * The table takes the time as an argument, so that tests can move it.
 */
#ifndef SLUICE_ANVIL_TABLE_H
#define SLUICE_ANVIL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ANVIL_IDENT_MAX	300	/* "service:address" and then some */

/* What is counted per time unit; the protocol names are anvil_event_name's. */
enum anvil_event {
	ANVIL_EVENT_CONNECT,	/* a new session (the connection rate) */
	ANVIL_EVENT_MESSAGE,	/* MAIL FROM */
	ANVIL_EVENT_RECIPIENT,	/* RCPT TO */
	ANVIL_EVENT_NEWTLS,	/* a full TLS handshake */
	ANVIL_EVENT_AUTH,	/* AUTH */
	ANVIL_EVENT_COUNT
};

/* The highest value seen of one counter, with its ident and time. */
struct anvil_peak {
	long	 value;
	char	 ident[ANVIL_IDENT_MAX + 1];
	time_t	 when;
};

struct anvil_peaks {
	struct anvil_peak count;			/* concurrent sessions */
	struct anvil_peak rate[ANVIL_EVENT_COUNT];	/* per time unit */
	size_t	 table_size;				/* idents kept */
	time_t	 table_size_when;
};

struct anvil_table;
struct anvil_owner;

/* anvil_event_name - "connection", "message", "recipient", "newtls", "auth" */
const char *anvil_event_name(enum anvil_event event);
/* anvil_event_parse - the event of a name; false when there is none */
bool	anvil_event_parse(const char *name, enum anvil_event *event);

/* anvil_table_create - time_unit in seconds (at least 1) */
struct anvil_table *anvil_table_create(long time_unit);
/* anvil_table_free - the table; its owners must be freed first */
void	anvil_table_free(struct anvil_table *table);

/* anvil_owner_create - a client connection of the service */
struct anvil_owner *anvil_owner_create(void);
/* anvil_owner_release - give back every session owner still holds, free it */
void	anvil_owner_release(struct anvil_table *table, struct anvil_owner *owner,
	    time_t now);

/*
 * anvil_table_connect - owner opens one more session of ident: the
 * session count and the connection rate, both including this one
 */
void	anvil_table_connect(struct anvil_table *table, struct anvil_owner *owner,
	    const char *ident, time_t now, long *count, long *rate);
/*
 * anvil_table_disconnect - one session of ident held by owner ends.
 * False (and nothing changes) when owner holds none.
 */
bool	anvil_table_disconnect(struct anvil_table *table,
	    struct anvil_owner *owner, const char *ident, time_t now);
/* anvil_table_event - count one event of ident; its rate, this one included */
long	anvil_table_event(struct anvil_table *table, const char *ident,
	    enum anvil_event event, time_t now);
/* anvil_table_lookup - count and rate of ident without counting anything */
void	anvil_table_lookup(struct anvil_table *table, const char *ident,
	    enum anvil_event event, time_t now, long *count, long *rate);

/* anvil_table_expire - forget idents without sessions whose window is over */
void	anvil_table_expire(struct anvil_table *table, time_t now);
/* anvil_table_size - idents kept now */
size_t	anvil_table_size(const struct anvil_table *table);

/* anvil_table_peaks - the peaks since the last reset (anvil's statistics) */
const struct anvil_peaks *anvil_table_peaks(const struct anvil_table *table);
void	anvil_table_reset_peaks(struct anvil_table *table);

#endif
