/*
 * cleanup_flags - what receive_override_options (Postfix's words, in
 * master.cf as -o for one smtpd or pickup) asks of cleanup, as the
 * CLEANUP_FLAG_* bits of the envelope (cleanup_client.h).  Apart from
 * the conversation itself so that a program with a fake cleanup (the
 * smtpd fuzz harness) still links.
 */
#include "cleanup_client.h"
#include "strlist.h"

/* cleanup_receive_flags - receive_override_options as cleanup flags */
long
cleanup_receive_flags(const struct strlist *override_options)
{
	long	 flags = CLEANUP_FLAG_FILTER;

	if (strlist_contains_ci(override_options, "no_header_body_checks"))
		flags &= ~CLEANUP_FLAG_FILTER;
	if (strlist_contains_ci(override_options, "no_address_mappings"))
		flags |= CLEANUP_FLAG_NO_MAPPINGS;
	return (flags);
}
