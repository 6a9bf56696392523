/*
 * restrict_effects - what restrictions ask for a message besides its
 * acceptance: HOLD, DISCARD, FILTER, REDIRECT, BCC and PREPEND
 * (restrict.h).  Kept with the transaction (struct smtpd_txn) and handed
 * to cleanup with the content; reset with the transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "restrict.h"

/* restrict_effects_init - nothing asked (all zero is the same) */
void
restrict_effects_init(struct restrict_effects *e)
{
	memset(e, 0, sizeof(*e));
}

/* restrict_effects_free - forget everything */
void
restrict_effects_free(struct restrict_effects *e)
{
	free(e->hold_reason);
	free(e->discard_reason);
	free(e->filter);
	free(e->redirect);
	strlist_free(&e->bcc);
	strlist_free(&e->prepend);
	restrict_effects_init(e);
}

/* replace - *slot = a copy of value */
static void
replace(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value ? value : "");
}

/* restrict_effects_hold - into hold/ instead of delivery */
void
restrict_effects_hold(struct restrict_effects *e, const char *reason)
{
	e->hold = true;
	e->unsent |= RESTRICT_EFFECT_HOLD;
	replace(&e->hold_reason, reason);
}

/* restrict_effects_discard - accept and drop (ends the evaluation) */
void
restrict_effects_discard(struct restrict_effects *e, const char *reason)
{
	e->discard = true;
	e->unsent |= RESTRICT_EFFECT_DISCARD;
	replace(&e->discard_reason, reason);
}

/* restrict_effects_filter - deliver via transport:nexthop */
void
restrict_effects_filter(struct restrict_effects *e, const char *nexthop)
{
	e->unsent |= RESTRICT_EFFECT_FILTER;
	replace(&e->filter, nexthop);
}

/* restrict_effects_redirect - every recipient replaced by addr */
void
restrict_effects_redirect(struct restrict_effects *e, const char *addr)
{
	e->unsent |= RESTRICT_EFFECT_REDIRECT;
	replace(&e->redirect, addr);
}

/* restrict_effects_bcc - one more recipient, once */
void
restrict_effects_bcc(struct restrict_effects *e, const char *addr)
{
	if (!strlist_contains_ci(&e->bcc, addr))
		strlist_add(&e->bcc, addr);
}

/* restrict_effects_prepend - a header line put before the others */
void
restrict_effects_prepend(struct restrict_effects *e, const char *header)
{
	strlist_add(&e->prepend, header);
}
