/*
 * expand - the one depth limit and loop filter of a recipient's expansion.
 *
 * Aliases, .forward files and :include: files nest, and any of them may
 * name itself or an ancestor, directly or through the others.  So every
 * step of one request recipient's expansion tree asks local_expand_step()
 * before it does anything: an address looked up or forwarded, a .forward
 * or :include: file read, a mailbox, file or command delivery.  The step
 * is a key ("include 1000 /home/u/list", "recipient u@host", ...) in one
 * hash set per request recipient, so a step seen before (a loop back to
 * an ancestor, or a duplicate reached another way) is skipped in constant
 * time and the walk ends instead of recursing until the stack runs out.
 *
 * The limits, as in Postfix's local(8): a step nested more than
 * LOCAL_EXPAND_DEPTH_MAX lists deep bounces with "5.4.6 ... nesting limit
 * exceeded"; an expansion reaching duplicate_filter_limit distinct steps
 * (0 = no limit) is cut there with one "5.2.4" bounce (what came before
 * is delivered, nothing after is tried); and an expansion that delivers
 * nothing at all because everything was a repeat is a loop, bounced by
 * local_deliver_rcpt() with "5.4.6 mail forwarding loop for ...".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "local.h"
#include "mem.h"
#include "msg.h"

/* What each step kind is called in keys and in bounce texts. */
static const struct {
	const char	*key;
	const char	*what;
} step_names[] = {
	[LOCAL_STEP_RECIPIENT] = { "recipient", "recipient" },
	[LOCAL_STEP_FORWARD] = { "forward", ".forward" },
	[LOCAL_STEP_FORWARD_DONE] = { "forward-done", ".forward" },
	[LOCAL_STEP_INCLUDE] = { "include", ":include:" },
	[LOCAL_STEP_MAILBOX] = { "mailbox", "mailbox" },
	[LOCAL_STEP_FILE] = { "file", "file" },
	[LOCAL_STEP_COMMAND] = { "command", "command" },
	[LOCAL_STEP_DELIVERED_TO] = { "delivered-to", "Delivered-To:" },
};

/* hash - FNV-1a of a key */
static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h);
}

/* slot_of - where key is, or the empty slot where it would go */
static size_t
slot_of(const struct local_expand *x, const char *key)
{
	size_t	 i = (size_t)hash(key) & (x->cap - 1);

	while (x->slots[i] != NULL && strcmp(x->slots[i], key) != 0)
		i = (i + 1) & (x->cap - 1);
	return (i);
}

/* grow - double the table (kept at most half full) */
static void
grow(struct local_expand *x)
{
	char	**old = x->slots;
	size_t	 old_cap = x->cap;

	x->cap = old_cap ? old_cap * 2 : 64;
	x->slots = xcalloc(x->cap, sizeof(*x->slots));
	for (size_t i = 0; i < old_cap; i++)
		if (old[i] != NULL)
			x->slots[slot_of(x, old[i])] = old[i];
	free(old);
}

/* local_expand_init - an empty filter; limit 0 = no limit */
void
local_expand_init(struct local_expand *x, long limit)
{
	memset(x, 0, sizeof(*x));
	x->limit = limit;
}

/* local_expand_free - forget every key */
void
local_expand_free(struct local_expand *x)
{
	for (size_t i = 0; i < x->cap; i++)
		free(x->slots[i]);
	free(x->slots);
	memset(x, 0, sizeof(*x));
}

/* make_key - "kind name" */
static void
make_key(struct strbuf *key, enum local_step kind, const char *name)
{
	strbuf_reset(key);
	strbuf_printf(key, "%s %s", step_names[kind].key, name);
}

/* local_expand_has - was this step taken (or noted) */
bool
local_expand_has(const struct local_expand *x, enum local_step kind,
    const char *name)
{
	struct strbuf key;
	bool	 found;

	if (x->count == 0)
		return (false);
	strbuf_init(&key);
	make_key(&key, kind, name);
	found = x->slots[slot_of(x, key.data)] != NULL;
	strbuf_free(&key);
	return (found);
}

/* local_expand_note - remember a step without the limits; true when new */
bool
local_expand_note(struct local_expand *x, enum local_step kind,
    const char *name)
{
	struct strbuf key;
	size_t	 i;

	strbuf_init(&key);
	make_key(&key, kind, name);
	if (2 * (x->count + 1) > x->cap)
		grow(x);
	i = slot_of(x, key.data);
	if (x->slots[i] != NULL) {
		strbuf_free(&key);
		return (false);
	}
	x->slots[i] = strbuf_detach(&key);
	x->count++;
	strbuf_free(&key);
	return (true);
}

/* local_expand_step - may this step go ahead (see the top of the file) */
enum local_verdict
local_expand_step(struct local_state *st, const char *to, enum local_step kind,
    const char *name)
{
	struct local_expand *x = &st->result->filter;
	const char *id = st->m->req->queue_id;

	if (x->cut)
		return (LOCAL_STOP);
	if (local_expand_has(x, kind, name)) {
		msg_debug("%s: %s %.200s already expanded", id,
		    step_names[kind].key, name);
		return (LOCAL_SKIP);
	}
	if (x->limit > 0 && x->count >= (size_t)x->limit) {
		x->cut = true;
		msg_warn("%s: expansion of %s reached duplicate_filter_limit "
		    "(%ld); the rest is not delivered", id, st->rcpt->address,
		    x->limit);
		/* the whole expansion is cut: say so for the recipient */
		local_result(st, st->rcpt->address, 5, "5.2.4",
		    "mailing list expansion problem: more than %ld "
		    "destinations (duplicate_filter_limit)", x->limit);
		return (LOCAL_STOP);
	}
	/*
	 * Noted even when too deep, so that each outcome below stands for
	 * one distinct step: a long list of deep entries cannot log more
	 * lines than the filter allows.
	 */
	(void)local_expand_note(x, kind, name);
	if (st->depth > LOCAL_EXPAND_DEPTH_MAX) {
		msg_warn("%s: %s nesting limit exceeded for %.200s", id,
		    step_names[kind].what, name);
		local_result(st, to, 5, "5.4.6", "%s nesting limit exceeded",
		    step_names[kind].what);
		return (LOCAL_STOP);
	}
	return (LOCAL_GO);
}

/* local_rcpt_key - the filter's name for an address: folded, qualified */
void
local_rcpt_key(struct local_daemon *d, const char *address, bool no_alias,
    struct strbuf *key)
{
	strbuf_set(key, no_alias ? "\\" : "");
	strbuf_puts(key, address);
	if (strchr(address, '@') == NULL)
		strbuf_printf(key, "@%s", d->p.myhostname);
	strbuf_lower(key);
}
