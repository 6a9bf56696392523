/*
 * anvil_table - session counts and event rates per ident (anvil_table.h).
 *
 * The idents are found through a lib/htable (SipHash under a random key
 * per table, so a client cannot choose addresses that all collide); the
 * entries are also on a doubly linked list, the one walk that expiry and
 * freeing need.  Each owner keeps an array of the idents it holds
 * sessions of, with how many: a disconnect is checked against it, and
 * releasing the owner walks it.  An entry with sessions is never freed,
 * so the owners' pointers to entries stay valid; entries without
 * sessions are freed by anvil_table_expire once their rate window is
 * over (at most one walk of the table per second, however often it is
 * called).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "anvil_table.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"

struct anvil_entry {
	struct anvil_entry *prev, *next;	/* on the table's list */
	char		*ident;
	long		 count;		/* sessions open now */
	long		 rate[ANVIL_EVENT_COUNT];	/* events in this window */
	time_t		 start;		/* of the window */
};

struct anvil_table {
	struct htable	*index;		/* ident -> entry */
	struct anvil_entry *head;	/* every entry */
	size_t		 size;
	long		 time_unit;
	time_t		 last_expire;
	struct anvil_peaks peaks;
};

struct anvil_hold {
	struct anvil_entry *entry;
	long		 sessions;
};

struct anvil_owner {
	struct anvil_hold *holds;
	size_t		 count;
	size_t		 cap;
};

static const char *const event_names[ANVIL_EVENT_COUNT] = {
	"connection", "message", "recipient", "newtls", "auth",
};

/* anvil_event_name - see anvil_table.h */
const char *
anvil_event_name(enum anvil_event event)
{
	if ((unsigned)event >= ANVIL_EVENT_COUNT)
		msg_panic("anvil_event_name: bad event %d", (int)event);
	return (event_names[event]);
}

/* anvil_event_parse - see anvil_table.h */
bool
anvil_event_parse(const char *name, enum anvil_event *event)
{
	for (int i = 0; i < ANVIL_EVENT_COUNT; i++) {
		if (strcmp(name, event_names[i]) == 0) {
			*event = (enum anvil_event)i;
			return (true);
		}
	}
	return (false);
}

/* anvil_table_create - see anvil_table.h */
struct anvil_table *
anvil_table_create(long time_unit)
{
	struct anvil_table *t = xcalloc(1, sizeof(*t));

	t->index = htable_create(0, 0);
	t->time_unit = time_unit > 0 ? time_unit : 1;
	return (t);
}

/* entry_free - one entry, off the list and the index */
static void
entry_free(struct anvil_table *t, struct anvil_entry *e)
{
	if (!htable_delete(t->index, e->ident, strlen(e->ident)))
		msg_panic("anvil_table: %s is not indexed", e->ident);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	t->size--;
	free(e->ident);
	free(e);
}

/* anvil_table_free - see anvil_table.h */
void
anvil_table_free(struct anvil_table *t)
{
	struct anvil_entry *e, *next;

	if (t == NULL)
		return;
	for (e = t->head; e != NULL; e = next) {
		next = e->next;
		free(e->ident);
		free(e);
	}
	htable_free(t->index);
	free(t);
}

/* entry_find - the entry of ident, or NULL */
static struct anvil_entry *
entry_find(const struct anvil_table *t, const char *ident)
{
	struct htable_entry *h = htable_find(t->index, ident, strlen(ident));

	return (h != NULL ? h->value : NULL);
}

/* entry_get - the entry of ident, made (without sessions) when absent */
static struct anvil_entry *
entry_get(struct anvil_table *t, const char *ident, time_t now)
{
	struct htable_entry *h;
	struct anvil_entry *e;
	bool	 added;

	h = htable_enter(t->index, ident, strlen(ident), &added);
	if (!added)
		return (h->value);
	e = xcalloc(1, sizeof(*e));
	e->ident = xstrdup(ident);
	e->start = now;
	e->next = t->head;
	if (t->head != NULL)
		t->head->prev = e;
	t->head = e;
	h->value = e;
	t->size++;
	if (t->size > t->peaks.table_size) {
		t->peaks.table_size = t->size;
		t->peaks.table_size_when = now;
	}
	return (e);
}

/*
 * window_update - start a new window when the current one is over (the
 * clock going backwards starts one too, rather than freezing the rates)
 */
static void
window_update(const struct anvil_table *t, struct anvil_entry *e, time_t now)
{
	if (now >= e->start + t->time_unit || now < e->start) {
		memset(e->rate, 0, sizeof(e->rate));
		e->start = now;
	}
}

/* peak_update - remember a new highest value */
static void
peak_update(struct anvil_peak *p, long value, const char *ident, time_t now)
{
	if (value <= p->value)
		return;
	p->value = value;
	p->when = now;
	if (strcmp(p->ident, ident) != 0) {
		strncpy(p->ident, ident, sizeof(p->ident) - 1);
		p->ident[sizeof(p->ident) - 1] = '\0';
	}
}

/* anvil_owner_create - see anvil_table.h */
struct anvil_owner *
anvil_owner_create(void)
{
	return (xcalloc(1, sizeof(struct anvil_owner)));
}

/* owner_find - the hold of owner on e, or NULL */
static struct anvil_hold *
owner_find(struct anvil_owner *o, const struct anvil_entry *e)
{
	for (size_t i = 0; i < o->count; i++)
		if (o->holds[i].entry == e)
			return (&o->holds[i]);
	return (NULL);
}

/* anvil_table_connect - see anvil_table.h */
void
anvil_table_connect(struct anvil_table *t, struct anvil_owner *o,
    const char *ident, time_t now, long *count, long *rate)
{
	struct anvil_entry *e = entry_get(t, ident, now);
	struct anvil_hold *h;

	window_update(t, e, now);
	e->count++;
	e->rate[ANVIL_EVENT_CONNECT]++;
	if ((h = owner_find(o, e)) == NULL) {
		if (o->count == o->cap) {
			o->cap = o->cap ? o->cap * 2 : 8;
			o->holds = xrealloc(o->holds, o->cap * sizeof(*o->holds));
		}
		h = &o->holds[o->count++];
		h->entry = e;
		h->sessions = 0;
	}
	h->sessions++;
	peak_update(&t->peaks.count, e->count, ident, now);
	peak_update(&t->peaks.rate[ANVIL_EVENT_CONNECT],
	    e->rate[ANVIL_EVENT_CONNECT], ident, now);
	*count = e->count;
	*rate = e->rate[ANVIL_EVENT_CONNECT];
}

/* hold_drop - one session of hold ends; the hold goes when it was the last */
static void
hold_drop(struct anvil_owner *o, struct anvil_hold *h, long sessions)
{
	h->entry->count -= sessions;
	h->sessions -= sessions;
	if (h->sessions == 0)
		*h = o->holds[--o->count];
}

/* anvil_table_disconnect - see anvil_table.h */
bool
anvil_table_disconnect(struct anvil_table *t, struct anvil_owner *o,
    const char *ident, time_t now)
{
	struct anvil_entry *e;
	struct anvil_hold *h;

	(void)now;
	if ((e = entry_find(t, ident)) == NULL ||
	    (h = owner_find(o, e)) == NULL)
		return (false);
	hold_drop(o, h, 1);
	return (true);
}

/* anvil_owner_release - see anvil_table.h */
void
anvil_owner_release(struct anvil_table *t, struct anvil_owner *o, time_t now)
{
	(void)t;
	(void)now;
	if (o == NULL)
		return;
	while (o->count > 0)
		hold_drop(o, &o->holds[o->count - 1],
		    o->holds[o->count - 1].sessions);
	free(o->holds);
	free(o);
}

/* anvil_table_event - see anvil_table.h */
long
anvil_table_event(struct anvil_table *t, const char *ident,
    enum anvil_event event, time_t now)
{
	struct anvil_entry *e = entry_get(t, ident, now);

	if ((unsigned)event >= ANVIL_EVENT_COUNT)
		msg_panic("anvil_table_event: bad event %d", (int)event);
	window_update(t, e, now);
	if (e->rate[event] < LONG_MAX)
		e->rate[event]++;
	peak_update(&t->peaks.rate[event], e->rate[event], ident, now);
	return (e->rate[event]);
}

/* anvil_table_lookup - see anvil_table.h */
void
anvil_table_lookup(struct anvil_table *t, const char *ident,
    enum anvil_event event, time_t now, long *count, long *rate)
{
	struct anvil_entry *e = entry_find(t, ident);

	if ((unsigned)event >= ANVIL_EVENT_COUNT)
		msg_panic("anvil_table_lookup: bad event %d", (int)event);
	*count = *rate = 0;
	if (e == NULL)
		return;
	*count = e->count;
	/* a window that is over reports nothing, and is not restarted */
	if (now < e->start + t->time_unit && now >= e->start)
		*rate = e->rate[event];
}

/* anvil_table_expire - see anvil_table.h */
void
anvil_table_expire(struct anvil_table *t, time_t now)
{
	struct anvil_entry *e, *next;

	if (now == t->last_expire)
		return;
	t->last_expire = now;
	for (e = t->head; e != NULL; e = next) {
		next = e->next;
		if (e->count == 0 && (now >= e->start + t->time_unit ||
		    now < e->start))
			entry_free(t, e);
	}
}

/* anvil_table_size - see anvil_table.h */
size_t
anvil_table_size(const struct anvil_table *t)
{
	return (t->size);
}

/* anvil_table_peaks - see anvil_table.h */
const struct anvil_peaks *
anvil_table_peaks(const struct anvil_table *t)
{
	return (&t->peaks);
}

/* anvil_table_reset_peaks - see anvil_table.h */
void
anvil_table_reset_peaks(struct anvil_table *t)
{
	memset(&t->peaks, 0, sizeof(t->peaks));
}
