/*
 * htable - byte-string keys to values in constant expected time; see
 * htable.h for who uses it and why.
 *
 * The slots hold the full 64-bit hash next to a pointer to the entry, so
 * a probe compares keys only when the hashes agree and growing never
 * hashes a key again.  Deletion shifts the following entries of the run
 * back (Knuth's algorithm R) instead of leaving tombstones, so that a
 * table that sees many additions and deletions (qmgr's destinations)
 * does not fill up with dead slots.
 */
#include <sys/random.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "htable.h"
#include "mem.h"
#include "msg.h"

#define HTABLE_MIN_CAP	16

struct htable_slot {
	uint64_t	 hash;
	struct htable_entry *entry;	/* NULL: free */
};

struct htable {
	struct htable_slot *slots;
	size_t		 cap;		/* a power of two */
	size_t		 count;
	int		 flags;
	uint64_t	 k0, k1;	/* the SipHash key */
};

/* fold - one byte as the table compares it */
static inline unsigned char
fold(const struct htable *t, unsigned char c)
{
	if ((t->flags & HTABLE_NOCASE) && c >= 'A' && c <= 'Z')
		return ((unsigned char)(c + ('a' - 'A')));
	return (c);
}

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* hash - SipHash-1-3 of the (folded) key under the table's key */
static uint64_t
hash(const struct htable *t, const unsigned char *p, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ t->k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ t->k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ t->k0;
	uint64_t v3 = 0x7465646279746573ULL ^ t->k1;
	uint64_t m;
	size_t	 i = 0, j;

	for (; len - i >= 8; i += 8) {
		m = 0;
		for (j = 0; j < 8; j++)
			m |= (uint64_t)fold(t, p[i + j]) << (8 * j);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	m = (uint64_t)len << 56;
	for (j = 0; i + j < len; j++)
		m |= (uint64_t)fold(t, p[i + j]) << (8 * j);
	v3 ^= m;
	SIPROUND;
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return (v0 ^ v1 ^ v2 ^ v3);
}

/* same_key - does entry e hold key (compared as the table does) */
static bool
same_key(const struct htable *t, const struct htable_entry *e,
    const unsigned char *key, size_t len)
{
	const unsigned char *k = (const unsigned char *)e->key;

	if (e->len != len)
		return (false);
	if (!(t->flags & HTABLE_NOCASE))
		return (memcmp(k, key, len) == 0);
	for (size_t i = 0; i < len; i++)
		if (fold(t, k[i]) != fold(t, key[i]))
			return (false);
	return (true);
}

/* table_seed - a random SipHash key; a weaker one if there is no entropy */
static void
table_seed(struct htable *t)
{
	static uint64_t counter;
	uint64_t key[2];
	struct timespec ts;

	if (getrandom(key, sizeof(key), GRND_NONBLOCK) == (ssize_t)sizeof(key)) {
		t->k0 = key[0];
		t->k1 = key[1];
		return;
	}
	/* still unpredictable enough from outside to spread keys */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->k0 = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 16) ^ (uintptr_t)t;
	t->k1 = ++counter * 0x9e3779b97f4a7c15ULL ^ (uintptr_t)&ts;
}

/* htable_create - see htable.h */
struct htable *
htable_create(size_t hint, int flags)
{
	struct htable *t = xcalloc(1, sizeof(*t));

	t->cap = HTABLE_MIN_CAP;
	while (t->cap / 2 < hint && t->cap < SIZE_MAX / 4)
		t->cap *= 2;
	t->slots = xcalloc(t->cap, sizeof(*t->slots));
	t->flags = flags;
	table_seed(t);
	return (t);
}

/* htable_free - see htable.h */
void
htable_free(struct htable *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->cap; i++)
		free(t->slots[i].entry);
	free(t->slots);
	free(t);
}

/* htable_count - the number of keys */
size_t
htable_count(const struct htable *t)
{
	return (t->count);
}

/* slot_of - the slot holding key, or the free slot ending its run */
static size_t
slot_of(const struct htable *t, const void *key, size_t len, uint64_t h)
{
	size_t	 mask = t->cap - 1, i = (size_t)h & mask;

	while (t->slots[i].entry != NULL) {
		if (t->slots[i].hash == h &&
		    same_key(t, t->slots[i].entry, key, len))
			break;
		i = (i + 1) & mask;
	}
	return (i);
}

/* grow - twice the slots, every entry placed again by its stored hash */
static void
grow(struct htable *t)
{
	struct htable_slot *old = t->slots;
	size_t	 old_cap = t->cap, mask, i;

	if (t->cap > SIZE_MAX / 2 / sizeof(*t->slots))
		msg_fatal("htable: too many keys (%zu)", t->count);
	t->cap *= 2;
	t->slots = xcalloc(t->cap, sizeof(*t->slots));
	mask = t->cap - 1;
	for (size_t k = 0; k < old_cap; k++) {
		if (old[k].entry == NULL)
			continue;
		for (i = (size_t)old[k].hash & mask; t->slots[i].entry != NULL;)
			i = (i + 1) & mask;
		t->slots[i] = old[k];
	}
	free(old);
}

/* htable_find - see htable.h */
struct htable_entry *
htable_find(const struct htable *t, const void *key, size_t len)
{
	return (t->slots[slot_of(t, key, len, hash(t, key, len))].entry);
}

/* htable_enter - see htable.h */
struct htable_entry *
htable_enter(struct htable *t, const void *key, size_t len, bool *added)
{
	struct htable_entry *e;
	uint64_t h = hash(t, key, len);
	size_t	 i = slot_of(t, key, len, h);

	if (t->slots[i].entry != NULL) {
		if (added != NULL)
			*added = false;
		return (t->slots[i].entry);
	}
	/* at most half full: probe runs stay short */
	if (2 * (t->count + 1) > t->cap) {
		grow(t);
		i = slot_of(t, key, len, h);
	}
	if (len > SIZE_MAX - sizeof(*e) - 1)
		msg_fatal("htable: key too long");
	e = xmalloc(sizeof(*e) + len + 1);
	e->value = NULL;
	e->num = 0;
	e->len = len;
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	t->slots[i].hash = h;
	t->slots[i].entry = e;
	t->count++;
	if (added != NULL)
		*added = true;
	return (e);
}

/* htable_delete - see htable.h */
bool
htable_delete(struct htable *t, const void *key, size_t len)
{
	size_t	 mask = t->cap - 1, i, j, home;

	i = slot_of(t, key, len, hash(t, key, len));
	if (t->slots[i].entry == NULL)
		return (false);
	free(t->slots[i].entry);
	t->count--;
	/* pull back every later entry of the run that may sit in slot i */
	for (j = (i + 1) & mask; t->slots[j].entry != NULL; j = (j + 1) & mask) {
		home = (size_t)t->slots[j].hash & mask;
		/* home cyclically in (i, j]: the entry must stay where it is */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slots[i] = t->slots[j];
		i = j;
	}
	t->slots[i].entry = NULL;
	t->slots[i].hash = 0;
	return (true);
}
