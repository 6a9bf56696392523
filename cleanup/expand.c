/*
 * expand - virtual alias expansion of the recipients cleanup writes.
 *
 * As in Postfix's cleanup, every recipient the client gave is rewritten
 * (rewrite.c: @$myorigin, canonical maps) and replaced by the final
 * addresses virtual_alias_maps makes of it (resolve_expand(),
 * lib/mail/resolve.h: recursive, loop safe, within the expansion and recursion
 * limits) before it reaches the queue file.  Each final address is an R
 * record of its own that keeps the given address as its original, so a
 * delivery agent's done mark covers exactly one delivery, and qmgr never
 * expands again at delivery time.
 *
 * A duplicate filter drops a record that repeats an earlier one of the
 * message: the same (DSN ORCPT, NOTIFY, original, final address) with
 * enable_original_recipient, else the same final address (the first
 * keeps its original and DSN attributes).  It remembers at most
 * duplicate_filter_limit records (0: no limit), as Postfix's been_here
 * table does; past that, records are written without a comparison.
 *
 * A table lookup that fails, or an expansion past a limit, refuses the
 * whole message for now (4xx): never a partial expansion.  An address
 * of a virtual alias domain that no entry matched is written as it is;
 * routing it at delivery bounces it (resolve_transport(), 5.1.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "htable.h"
#include "mem.h"
#include "msg.h"
#include "resolve.h"
#include "strlist.h"

/* cleanup_expand_open - the resolver and the filter's parameters */
void
cleanup_expand_open(struct cleanup_expand *x, struct config *cfg)
{
	struct strbuf err;

	strbuf_init(&err);
	memset(x, 0, sizeof(*x));
	/* a value sluice check refuses: smtpd answers 451, pickup waits */
	if (config_table_read(cfg, cleanup_expand_params, x, &err) > 0)
		config_table_fatal(&err);
	/* a table that cannot be opened costs time (4xx), not the listener */
	if ((x->resolver = resolve_open(cfg, &err)) == NULL) {
		msg_warn("cannot open the virtual alias tables: %s; messages "
		    "are refused until a new cleanup process can", err.data);
		x->open_error = strbuf_detach(&err);
	}
	strbuf_free(&err);
}

/* cleanup_dups_init - an empty filter */
void
cleanup_dups_init(struct cleanup_dups *dups)
{
	dups->seen = NULL;
	dups->records = 0;
	strbuf_init(&dups->key);
	strbuf_init(&dups->first);
	strbuf_init(&dups->canon);
	strbuf_init(&dups->scratch);
	resolve_result_init(&dups->why);
}

/* cleanup_dups_reset - empty for the next message, buffers kept */
void
cleanup_dups_reset(struct cleanup_dups *dups)
{
	htable_free(dups->seen);
	dups->seen = NULL;
	dups->records = 0;
}

/* dups_key - what makes a record the same as another one */
static void
dups_key(const struct cleanup_expand *x, struct strbuf *key,
    const struct queue_recipient *given, const char *final)
{
	strbuf_reset(key);
	if (x->enable_orcpt)
		strbuf_printf(key, "%s\n%d\n%s\n", given->orcpt ?
		    given->orcpt : "", given->notify, given->address);
	strbuf_puts(key, final);
}

/*
 * dups_first - is this record new (then it is remembered, within the
 * limit)?  The first record of a message is only kept aside: a message
 * to one address builds no table.
 */
static bool
dups_first(const struct cleanup_expand *x, struct cleanup_dups *dups,
    const struct queue_recipient *given, const char *final)
{
	struct strbuf *key = dups->records == 0 ? &dups->first : &dups->key;
	bool	 added;

	dups_key(x, key, given, final);
	if (dups->records == 0)
		return (true);
	if (dups->seen == NULL) {
		dups->seen = htable_create(16, HTABLE_NOCASE);
		(void)htable_enter(dups->seen, dups->first.data,
		    dups->first.len, NULL);
	}
	if (x->dup_limit > 0 &&
	    htable_count(dups->seen) >= (size_t)x->dup_limit)
		return (htable_find(dups->seen, key->data, key->len) == NULL);
	(void)htable_enter(dups->seen, key->data, key->len, &added);
	return (added);
}

/*
 * cleanup_expand_recipient - the R records of one given recipient.  0;
 * -1 for a write error (errno set); 1 when the message must be refused,
 * with *reason the client's text (the cause is logged here).
 */
int
cleanup_expand_recipient(const struct cleanup_expand *x, struct queue_writer *w,
    const char *id, const struct queue_recipient *given,
    struct cleanup_dups *dups, const char **reason)
{
	struct queue_recipient out = *given;
	struct resolve_result why;
	struct strlist finals;
	enum resolve_status st;
	int	 rc = 0;

	if (x->resolver == NULL) {
		msg_warn("%s: virtual alias tables unavailable (%s) -- message "
		    "not accepted, try again later", id, x->open_error);
		*reason = CLEANUP_TEXT_ALIAS_TABLE;
		return (1);
	}
	/* canonical maps first, then virtual aliases (Postfix's order) */
	if (cleanup_rewrite_recipient(x, given->address, &dups->canon,
	    &dups->scratch, &dups->why, id, dups->mappings) < 0) {
		*reason = CLEANUP_TEXT_REWRITE;
		return (1);
	}
	resolve_result_init(&why);
	strlist_init(&finals);
	/* no_address_mappings: the address as it is, for a later cleanup */
	if (!dups->mappings) {
		strlist_add(&finals, dups->canon.data);
		st = RESOLVE_OK;
	} else
		st = resolve_expand(x->resolver, dups->canon.data, &finals, &why);
	if (st != RESOLVE_OK) {
		msg_warn("%s: <%s>: %s -- message not accepted, try again "
		    "later", id, given->address, why.reason.data);
		/* Postfix: a failed table is 4.3.0, a limit 4.6.0 */
		*reason = strcmp(why.dsn, "4.6.0") == 0 ? CLEANUP_TEXT_ALIAS_LIMIT :
		    CLEANUP_TEXT_ALIAS_TABLE;
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < finals.count; i++) {
		if (!dups_first(x, dups, given, finals.items[i]))
			continue;
		out.address = finals.items[i];
		out.original = !x->enable_orcpt ||
		    strcmp(finals.items[i], given->address) == 0 ? "" :
		    given->address;
		if (queue_writer_recipient(w, &out) < 0) {
			rc = -1;
			goto out;
		}
		dups->records++;
	}
out:
	strlist_free(&finals);
	resolve_result_free(&why);
	return (rc);
}
