/*
 * htable - a hash table from byte-string keys to the caller's values.
 *
 * For the places that must answer "seen this one before?" among many
 * keys without a search: qmgr's duplicate addresses of one message and
 * its destinations, the defer log's records and delivered addresses, a
 * delivery agent's records of one request.  Keys are copied; with
 * HTABLE_NOCASE they are hashed and compared ASCII case-insensitively
 * (mail addresses).  Keys often come from remote senders, so the hash is
 * SipHash-1-3 under a random key per table: nobody can choose keys that
 * all land in one place.  Open addressing with linear probing, at most
 * half full, doubling; an entry itself never moves, so a pointer to it
 * stays valid until it is deleted.
 */
#ifndef SLUICE_HTABLE_H
#define SLUICE_HTABLE_H

#include <stdbool.h>
#include <stddef.h>

#define HTABLE_NOCASE	1	/* ASCII case-insensitive keys */

struct htable_entry {
	void	*value;		/* the caller's, NULL when added */
	size_t	 num;		/* the caller's, 0 when added */
	size_t	 len;		/* of key */
	char	 key[];		/* a copy, NUL-terminated */
};

struct htable;

/* htable_create - an empty table; hint: the number of keys expected */
struct htable *htable_create(size_t hint, int flags);
/* htable_free - the table and its entries (not what values point to) */
void	htable_free(struct htable *t);
size_t	htable_count(const struct htable *t);

/* htable_find - the entry for key (len bytes), or NULL */
struct htable_entry *htable_find(const struct htable *t, const void *key,
	    size_t len);
/* htable_enter - the entry for key, added when absent (*added says so) */
struct htable_entry *htable_enter(struct htable *t, const void *key,
	    size_t len, bool *added);
/* htable_delete - forget key; false when it was not there */
bool	htable_delete(struct htable *t, const void *key, size_t len);

#endif
