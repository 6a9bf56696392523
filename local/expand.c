/*
 * expand - the one depth limit and loop and duplicate filter of a
 * recipient's expansion.
 *
 * Aliases, .forward files and :include: files nest, and any of them may
 * name itself or an ancestor, directly or through the others.  So every
 * step of one request recipient's expansion tree asks local_expand_step()
 * before it does anything.  The step is a key ("include 1000
 * /home/u/list", "recipient u@host", ...) in one hash table per request
 * recipient (lib/htable: seeded SipHash, since the keys come from users'
 * lists and remote senders), so a step seen before (a loop back to an
 * ancestor, or a duplicate reached another way) is skipped in constant
 * time and the walk ends instead of recursing until the stack runs out.
 *
 * Two kinds of steps, as in Postfix's local(8):
 *
 * - Structural steps are the nodes a loop goes through: an address (its
 *   alias lookup, .forward and mailbox decision), an alias entry, a
 *   .forward file, an :include: file (by name, and by device and inode
 *   once open: forward.c).  They are always remembered, so every loop
 *   ends, and every alias, file and address is expanded at most once
 *   per recipient (a file once per identity reading it): the work stays
 *   linear in the size of the distinct lists reached (a file of 1000
 *   includes of files of 1000 includes reads each file once, it does
 *   not multiply).
 *
 * - Leaf deliveries (a mailbox, a /file, a |command, an address
 *   forwarded elsewhere) are remembered up to duplicate_filter_limit
 *   (0 = no limit).  Past it a new leaf is still delivered, only no
 *   longer remembered, so a later duplicate of it may be delivered again
 *   (Postfix's been_here(): the limit bounds the filter's memory, not
 *   the list); one warning per expansion says so.
 *
 * A step nested more than LOCAL_EXPAND_DEPTH_MAX lists deep bounces with
 * "5.4.6 ... nesting limit exceeded"; an expansion that delivers nothing
 * at all because everything was a repeat is a loop, bounced by
 * local_walk_rcpt() with "5.4.6 mail forwarding loop for ...".
 */
#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "local.h"
#include "msg.h"

/* What each step kind is called in keys and in bounce texts. */
static const struct {
	const char	*key;
	const char	*what;
	bool		 leaf;		/* remembered up to the limit only */
} step_names[] = {
	[LOCAL_STEP_RECIPIENT] = { "recipient", "recipient", false },
	[LOCAL_STEP_ALIAS] = { "alias", "alias", false },
	[LOCAL_STEP_FORWARD] = { "forward", ".forward", false },
	[LOCAL_STEP_FORWARD_DONE] = { "forward-done", ".forward", false },
	[LOCAL_STEP_INCLUDE] = { "include", ":include:", false },
	[LOCAL_STEP_LIST_FILE] = { "list-file", "list file", false },
	[LOCAL_STEP_MAILBOX] = { "mailbox", "mailbox", true },
	[LOCAL_STEP_FILE] = { "file", "file", true },
	[LOCAL_STEP_COMMAND] = { "command", "command", true },
	/*
	 * The recipient's namespace: an address is one node whichever way
	 * it is reached, so a list naming the recipient that is being
	 * expanded does not forward it back out.
	 */
	[LOCAL_STEP_REMOTE] = { "recipient", "recipient", true },
	[LOCAL_STEP_DELIVERED_TO] = { "delivered-to", "Delivered-To:", false },
};

/* local_expand_init - an empty filter; limit: leaves kept, 0 = no limit */
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
	htable_free(x->seen);
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

	if (x->seen == NULL)
		return (false);
	strbuf_init(&key);
	make_key(&key, kind, name);
	found = htable_find(x->seen, key.data, key.len) != NULL;
	strbuf_free(&key);
	return (found);
}

/* remember - add a key; true when it is new */
static bool
remember(struct local_expand *x, enum local_step kind, const char *name)
{
	struct strbuf key;
	bool	 added;

	/* made on first use: most messages carry no Delivered-To: at all */
	if (x->seen == NULL)
		x->seen = htable_create(0, 0);
	strbuf_init(&key);
	make_key(&key, kind, name);
	(void)htable_enter(x->seen, key.data, key.len, &added);
	strbuf_free(&key);
	return (added);
}

/* local_expand_note - remember a structural mark, no limit; true when new */
bool
local_expand_note(struct local_expand *x, enum local_step kind,
    const char *name)
{
	if (!remember(x, kind, name))
		return (false);
	x->structural++;
	return (true);
}

/* leaf_note - remember a leaf while there is room; warn once when full */
static void
leaf_note(struct local_state *st, struct local_expand *x, enum local_step kind,
    const char *name)
{
	if (x->limit <= 0 || x->leaves_kept < (size_t)x->limit) {
		if (remember(x, kind, name))
			x->leaves_kept++;
		return;
	}
	if (!x->full) {
		x->full = true;
		msg_warn("%s: expansion of %s reached duplicate_filter_limit "
		    "(%ld): further deliveries are not checked for duplicates",
		    st->m->req->queue_id, st->rcpt->address, x->limit);
	}
}

/* local_expand_step - may this step go ahead (see the top of the file) */
enum local_verdict
local_expand_step(struct local_state *st, const char *to, enum local_step kind,
    const char *name)
{
	struct local_expand *x = &st->result->filter;
	const char *id = st->m->req->queue_id;

	x->lookups++;
	if (local_expand_has(x, kind, name)) {
		msg_debug("%s: %s %.200s already expanded", id,
		    step_names[kind].key, name);
		return (LOCAL_SKIP);
	}
	/*
	 * Noted even when too deep, so that a long list of deep entries
	 * logs one outcome per distinct step (and, for leaves past the
	 * limit, no more than one per entry of a list read once).
	 */
	if (step_names[kind].leaf) {
		x->leaves++;
		leaf_note(st, x, kind, name);
	} else
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

/* local_expand_kept - keys held now (structural and leaves) */
size_t
local_expand_kept(const struct local_expand *x)
{
	return (x->seen != NULL ? htable_count(x->seen) : 0);
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
